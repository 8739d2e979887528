//! The collector as compiled code meets it: the GC map a slow path hands over, the
//! helpers its slow paths call, and a run's heap on this machine.
//!
//! **The frame's GC words** hold the nursery's free pointer and the top compiled code
//! compares its bump with ([`crate::frame::FrameLayout::gc`] and the word after it). The
//! runtime writes both before a run and reads the free pointer back after it; the slow
//! paths write both.
//!
//! **A GC map** is data in the code after the slow path of a `gc_alloc`: little-endian
//! 32-bit words — the type id allocated, the number of frame words holding refs, then
//! those words (the save words of registers holding refs, which the slow path stored
//! there, and the frame slots holding refs), as the allocator recorded them
//! ([`crate::regalloc::Allocation::live_across`]). The collector reads and updates exactly
//! these words: no conservative scanning.
//!
//! **The helpers** are [`ALLOC_HELPER`] `(frame, size, length, map) -> ref` (0 when the
//! collector failed: the code then leaves by [`crate::emit::GC_FAILED_EXIT`]) and
//! [`BARRIER_HELPER`] `(frame, object)`. Natively they are `extern "C"` functions working on
//! the heap of the run going on on this thread ([`with_heap`]); the emulated targets trap
//! to the same collector working on emulated memory (`jit_emu`).

use std::cell::RefCell;

use crate::backend::Loc;
use crate::frame::FrameLayout;
use crate::gc::{BlockMemory, GcConfig, GcError, Heap, HeapMemory};
use crate::ir::Type;
use crate::objects::{ObjectDecl, TargetLayout};

/// The allocation slow path's helper.
pub const ALLOC_HELPER: &str = "tracejit_gc_alloc";
/// The write barrier's slow-path helper.
pub const BARRIER_HELPER: &str = "tracejit_gc_wb";

/// The heap of a run when its trace declares object types: a 64 KiB nursery, 8 MiB of old
/// space.
pub const DEFAULT_GC: GcConfig = GcConfig {
    nursery_bytes: 64 << 10,
    old_bytes: 8 << 20,
    stress: false,
};

/// A heap whose nursery fills after a few objects, so that minor collections — inline
/// bumps, the write barrier's records, survivors promoted — happen in short runs (the
/// fuzzer's third configuration).
pub const SMALL_GC: GcConfig = GcConfig {
    nursery_bytes: 1 << 10,
    old_bytes: 4 << 20,
    stress: false,
};

/// The heap of a run in stress mode: a nursery that never has room (every allocation
/// collects, moving every object), freed memory poisoned.
pub const STRESS_GC: GcConfig = GcConfig {
    nursery_bytes: 4 << 10,
    old_bytes: 1 << 20,
    stress: true,
};

/// The frame words a GC map lists: where the refs among `live` are.
pub fn gc_map_words(live: &[(Loc, Type)], layout: &FrameLayout) -> Vec<u32> {
    live.iter()
        .filter(|&&(_, ty)| ty == Type::Ref)
        .filter_map(|&(l, _)| match l {
            Loc::Reg(r) => Some(layout.save_word(r)),
            Loc::Slot(s) => Some(layout.slot_word(s)),
            _ => None,
        })
        .collect()
}

/// The bytes of a GC map for an allocation of type id `tid`.
pub fn gc_map_blob(tid: u32, words: &[u32]) -> Vec<u8> {
    let mut b = Vec::with_capacity(8 + 4 * words.len());
    b.extend_from_slice(&tid.to_le_bytes());
    b.extend_from_slice(&(words.len() as u32).to_le_bytes());
    for w in words {
        b.extend_from_slice(&w.to_le_bytes());
    }
    b
}

/// A GC map read back: the type id and the frame words.
pub fn parse_gc_map(read_u32: impl Fn(u64) -> Option<u32>, at: u64) -> Option<(u32, Vec<u32>)> {
    let tid = read_u32(at)?;
    let n = read_u32(at + 4)?;
    // A map names at most every word of the largest frame.
    if n > 1 << 20 {
        return None;
    }
    let words = (0..n as u64)
        .map(|k| read_u32(at + 8 + 4 * k))
        .collect::<Option<Vec<_>>>()?;
    Some((tid, words))
}

/// The collector's side of a slow path, for any memory: reads the refs the map names from
/// the frame, allocates (collecting if needed), writes the refs and the frame's nursery
/// words back, and returns the object.
#[allow(clippy::too_many_arguments)]
pub fn alloc_slow(
    heap: &mut Heap,
    mem: &mut dyn HeapMemory,
    decls: &[ObjectDecl],
    layout: &FrameLayout,
    frame: u64,
    size: u64,
    len: u64,
    tid: u32,
    words: &[u32],
) -> Result<u64, GcError> {
    let word_bytes = 8;
    let pointer = heap.pointer_bytes() as usize;
    // The nursery's free pointer as compiled code left it: its inline bumps do not tell
    // the collector, so the heap's own copy is stale.
    let mut free = [0u8; 8];
    mem.read(frame + layout.gc as u64 * word_bytes, &mut free[..pointer])?;
    heap.sync_free(u64::from_le_bytes(free))?;
    let mut roots = Vec::with_capacity(words.len());
    for &w in words {
        let mut b = [0u8; 8];
        mem.read(frame + w as u64 * word_bytes, &mut b[..pointer])?;
        roots.push(u64::from_le_bytes(b));
    }
    let array = tid
        .checked_sub(1)
        .and_then(|k| decls.get(k as usize))
        .ok_or(GcError::BadTypeId { addr: 0, tid })?
        .is_array();
    let obj = heap.allocate_young(mem, tid, size, array.then_some(len), &mut roots)?;
    for (&w, &r) in words.iter().zip(&roots) {
        mem.write(frame + w as u64 * word_bytes, &r.to_le_bytes()[..pointer])?;
    }
    write_nursery_words(heap, mem, layout, frame)?;
    Ok(obj)
}

/// After a run that left its frame as `frame`: the heap takes the nursery's free pointer
/// from it, is verified in stress mode (the refs in `values` as roots), and the objects
/// `values` reach are read into `memory` (`gc::reify_with`, buffer refs in fields turned
/// back by `to_virtual`). The error says what went wrong.
#[allow(clippy::too_many_arguments)]
pub fn read_back(
    heap: &mut Heap,
    mem: &dyn HeapMemory,
    decls: &[ObjectDecl],
    layout: &FrameLayout,
    frame: &[u64],
    values: &mut [crate::ir::Scalar],
    memory: &mut crate::memory::Memory,
    to_virtual: &dyn Fn(u64) -> u64,
) -> Result<(), String> {
    let mask = if heap.pointer_bytes() == 4 {
        0xffff_ffff
    } else {
        u64::MAX
    };
    heap.sync_free(frame[layout.gc as usize] & mask)
        .map_err(|e| e.to_string())?;
    let roots: Vec<u64> = values
        .iter()
        .filter_map(|v| match v {
            crate::ir::Scalar::Ref(r) if heap.contains(*r) => Some(*r),
            _ => None,
        })
        .collect();
    if gc_config().stress {
        heap.verify(mem, &roots)
            .map_err(|e| format!("after the run: {e}"))?;
    }
    crate::gc::reify_with(heap, mem, decls, values, memory, to_virtual).map_err(|e| e.to_string())
}

/// Writes the nursery's free pointer and the top compiled code compares with into the
/// frame's GC words.
pub fn write_nursery_words(
    heap: &Heap,
    mem: &mut dyn HeapMemory,
    layout: &FrameLayout,
    frame: u64,
) -> Result<(), GcError> {
    for (k, w) in heap.nursery_words().into_iter().enumerate() {
        mem.write(frame + (layout.gc as u64 + k as u64) * 8, &w.to_le_bytes())?;
    }
    Ok(())
}

/// The frame's GC words (a frame as the runtime fills it) set for a run on `heap`.
pub fn fill_nursery_words(heap: &Heap, layout: &FrameLayout, frame: &mut [u64]) {
    let w = layout.gc as usize;
    frame[w..w + 2].copy_from_slice(&heap.nursery_words());
}

/// The heap of a native run and what its helpers need.
pub struct NativeHeap {
    /// The collector.
    pub heap: Heap,
    /// Its memory: a block at its own address (refs are real pointers).
    pub mem: BlockMemory,
    /// The object types.
    pub decls: Vec<ObjectDecl>,
    /// The frame layout of the code running.
    pub layout: FrameLayout,
    /// What the collector reported, if a helper failed.
    pub error: Option<GcError>,
}

impl NativeHeap {
    /// A heap for objects of `decls` on this machine (LP64 layout).
    pub fn new(
        decls: &[ObjectDecl],
        config: GcConfig,
        layout: FrameLayout,
    ) -> Result<NativeHeap, GcError> {
        let mut mem = BlockMemory::at_own_address(config.total_bytes() as usize + 8);
        let base = mem.base.next_multiple_of(8);
        let heap = Heap::new(decls, TargetLayout::LP64, config, base, &mut mem)?;
        Ok(NativeHeap {
            heap,
            mem,
            decls: decls.to_vec(),
            layout,
            error: None,
        })
    }
}

thread_local! {
    static RUNNING: RefCell<Option<NativeHeap>> = const { RefCell::new(None) };
    static CONFIG: std::cell::Cell<GcConfig> = const { std::cell::Cell::new(DEFAULT_GC) };
}

/// The heap configuration runs on this thread get ([`DEFAULT_GC`] unless set).
pub fn gc_config() -> GcConfig {
    CONFIG.with(|c| c.get())
}

/// Makes runs on this thread get heaps of `config` from now on; returns the configuration
/// before.
pub fn set_gc_config(config: GcConfig) -> GcConfig {
    CONFIG.with(|c| c.replace(config))
}

/// Runs `f` with runs on this thread getting heaps of `config` (tests and the fuzzer set
/// [`STRESS_GC`]).
pub fn with_gc_config<R>(config: GcConfig, f: impl FnOnce() -> R) -> R {
    let before = set_gc_config(config);
    let out = f();
    set_gc_config(before);
    out
}

/// Runs `f` with `heap` as the heap the helpers of this thread work on; returns it after.
pub fn with_heap<R>(heap: NativeHeap, f: impl FnOnce() -> R) -> (R, NativeHeap) {
    let before = RUNNING.with(|r| r.borrow_mut().replace(heap));
    let out = f();
    let heap = RUNNING
        .with(|r| std::mem::replace(&mut *r.borrow_mut(), before))
        .expect("the heap installed above");
    (out, heap)
}

/// Host memory the frame lives in, as the helpers see it: the frame's words, read and
/// written through raw pointers compiled code handed over.
struct FrameAndHeap<'a> {
    heap: &'a mut BlockMemory,
}

impl HeapMemory for FrameAndHeap<'_> {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), GcError> {
        if self.heap.holds(addr, buf.len()) {
            return self.heap.read(addr, buf);
        }
        // SAFETY: addresses outside the heap are the running code's frame words, which the
        // compiled code's GC map names and the helper's caller passed the frame for; the
        // frame is live for the whole call.
        unsafe { std::ptr::copy_nonoverlapping(addr as *const u8, buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), GcError> {
        if self.heap.holds(addr, bytes.len()) {
            return self.heap.write(addr, bytes);
        }
        // SAFETY: as in `read`: the running code's own frame words.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, bytes.len()) };
        Ok(())
    }
}

/// The native allocation slow path (see the module docs).
pub extern "C" fn tracejit_gc_alloc(frame: *mut u64, size: u32, len: u32, map: *const u32) -> u64 {
    RUNNING.with(|r| {
        let mut guard = r.borrow_mut();
        let Some(h) = guard.as_mut() else {
            return 0;
        };
        // SAFETY: `map` points at a GC map the compiler placed in the code calling this,
        // which stays mapped readable while it runs; its count bounds the read.
        let parsed = parse_gc_map(
            |a| Some(unsafe { (a as *const u32).read_unaligned() }),
            map as u64,
        );
        let Some((tid, words)) = parsed else {
            h.error = Some(GcError::Corrupt("a GC map could not be read".into()));
            return 0;
        };
        let NativeHeap {
            heap,
            mem,
            decls,
            layout,
            error,
        } = h;
        let mut m = FrameAndHeap { heap: mem };
        match alloc_slow(
            heap,
            &mut m,
            decls,
            layout,
            frame as u64,
            size as u64,
            len as u64,
            tid,
            &words,
        ) {
            Ok(p) => p,
            Err(e) => {
                *error = Some(e);
                0
            }
        }
    })
}

/// The native write barrier's slow path.
pub extern "C" fn tracejit_gc_wb(_frame: *mut u64, obj: u64) {
    RUNNING.with(|r| {
        if let Some(h) = r.borrow_mut().as_mut() {
            if let Err(e) = h.heap.write_barrier_slow(&mut h.mem, obj) {
                h.error.get_or_insert(e);
            }
        }
    })
}
