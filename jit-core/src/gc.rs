//! The moving, generational collector every target's compiled code allocates from: one
//! implementation, working on the target's memory through [`HeapMemory`] (host memory for
//! native code, the emulator's for ARM: `jit_emu::Machine::map_heap`), laid out by
//! [`TargetLayout`].
//!
//! The heap is a **nursery**, where compiled code allocates by bumping a pointer, and an
//! **old space** that objects surviving a collection are copied into. A **minor
//! collection** copies every nursery object reachable from the roots — the refs the caller
//! hands over (the trace's inputs and the refs its GC map says are live in registers and
//! frame slots) — and from old objects the write barrier recorded, then scans what it
//! copied (Cheney's algorithm), updates every ref to a moved object, and empties the
//! nursery. Nothing is scanned conservatively: a root is exactly a word that holds a ref.
//!
//! **The write barrier.** An old object carries [`FLAG_TRACK_YOUNG_PTRS`]; storing a ref
//! into an object with the flag set calls [`Heap::write_barrier_slow`], which records the
//! object and clears the flag, so later stores into it cost the flag test only, and the
//! next collection scans it. Objects in the nursery never carry the flag.
//!
//! **Large objects** (more than a quarter of the nursery) are allocated in the old space
//! directly, flagged, as PyPy's collector does.
//!
//! **Full collections.** The old space is two halves; a full collection copies everything
//! reachable — old objects too — into the other half. It runs when the old space has no
//! room for what a minor collection could promote, or for a large object, so a run that
//! keeps allocating large garbage does not run out of memory.
//!
//! **Stress mode** ([`GcConfig::stress`]) is for tests and the fuzzer: every collection is
//! a full one that copies every reachable object, old ones included, into the other half
//! of the old space, and fills everything it left — the nursery and the old half — with
//! [`POISON`], so code still holding a stale pointer reads poison, which shows up as a
//! divergence or a fault naming its address. [`Heap::verify`] checks the whole heap.

use std::collections::HashMap;
use std::fmt;

use crate::objects::{
    ArrayLayout, FieldType, ObjectDecl, ObjectKind, TargetLayout, GC_FLAGS_OFFSET, OBJECT_ALIGN,
    TYPE_ID_OFFSET,
};

/// The header flag of an old object whose ref stores the write barrier must see.
pub const FLAG_TRACK_YOUNG_PTRS: u32 = 1;

/// The header flag of an object the current collection has copied (in its old copy's
/// place, in the nursery or the old half being left).
pub const FLAG_FORWARDED: u32 = 2;

/// The byte stress mode fills freed memory with.
pub const POISON: u8 = 0xdd;

/// The longest array a trace may allocate (docs/ir.md §6): 32,768 items, which every heap
/// configuration holds — 256 KiB of 8-byte items in the stress heap's 1 MiB old half, with
/// room for the rest. The interpreter refuses a longer one (`ObjectError::Length`), so a
/// trace allocating one has no compiled meaning; in compiled code an inline allocation with
/// a longer length takes the slow path, which refuses it.
pub const MAX_ARRAY_LENGTH: u32 = 1 << 15;

/// Why the collector could not go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GcError {
    /// The old space has no room for what survives, or for a large object.
    OutOfMemory {
        /// Bytes asked for.
        bytes: u64,
    },
    /// An object header names no declared type.
    BadTypeId {
        /// The object.
        addr: u64,
        /// The type id found.
        tid: u32,
    },
    /// A ref that points neither into the heap at an object nor is null.
    BadRef {
        /// Where the ref was found (an object's field or a root's position).
        at: String,
        /// Its value.
        value: u64,
    },
    /// Reading or writing the target's memory failed.
    Memory(String),
    /// An array length that does not fit the heap's sizes.
    BadLength(u64),
    /// Allocating a type id of the wrong kind (a struct as an array or the reverse).
    WrongKind {
        /// The type id.
        tid: u32,
    },
    /// What [`Heap::verify`] found wrong.
    Corrupt(String),
}

impl fmt::Display for GcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GcError::OutOfMemory { bytes } => {
                write!(f, "the old space has no room for {bytes} more bytes")
            }
            GcError::BadTypeId { addr, tid } => {
                write!(
                    f,
                    "the object at {addr:#x} has type id {tid}, which is not declared"
                )
            }
            GcError::BadRef { at, value } => {
                write!(
                    f,
                    "{at} holds {value:#x}, which is not an object of the heap"
                )
            }
            GcError::Memory(e) => write!(f, "heap memory: {e}"),
            GcError::BadLength(n) => write!(f, "an array of {n} items does not fit the heap"),
            GcError::WrongKind { tid } => {
                write!(f, "type id {tid} is not of the kind being allocated")
            }
            GcError::Corrupt(e) => write!(f, "the heap is corrupt: {e}"),
        }
    }
}

impl std::error::Error for GcError {}

/// The target memory the heap lives in, addressed as the target's code addresses it.
pub trait HeapMemory {
    /// Reads `buf.len()` bytes at `addr`.
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), GcError>;
    /// Writes `bytes` at `addr`.
    fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), GcError>;
}

/// A heap's memory as one block of bytes at a base address: what tests use, and at its
/// own address what native runs use (the emulated targets' heap is the machine's own
/// memory, `jit_emu::Machine` being a `HeapMemory`).
#[derive(Clone, Debug)]
pub struct BlockMemory {
    /// The address of `bytes[0]`.
    pub base: u64,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl BlockMemory {
    /// `len` zero bytes at `base`.
    pub fn new(base: u64, len: usize) -> BlockMemory {
        BlockMemory {
            base,
            bytes: vec![0; len],
        }
    }

    /// `len` zero bytes addressed by where they really are in this process, so native
    /// code can use the addresses (the bytes never move: the block is never resized).
    pub fn at_own_address(len: usize) -> BlockMemory {
        let bytes = vec![0; len];
        BlockMemory {
            base: bytes.as_ptr() as u64,
            bytes,
        }
    }

    /// Whether `len` bytes at `addr` are in the block.
    pub fn holds(&self, addr: u64, len: usize) -> bool {
        self.range(addr, len).is_ok()
    }

    fn range(&self, addr: u64, len: usize) -> Result<std::ops::Range<usize>, GcError> {
        let start = addr
            .checked_sub(self.base)
            .and_then(|o| usize::try_from(o).ok())
            .filter(|&o| o.checked_add(len).is_some_and(|e| e <= self.bytes.len()));
        match start {
            Some(o) => Ok(o..o + len),
            None => Err(GcError::Memory(format!(
                "{len} bytes at {addr:#x} are outside the block at {:#x}",
                self.base
            ))),
        }
    }
}

impl HeapMemory for BlockMemory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), GcError> {
        let r = self.range(addr, buf.len())?;
        buf.copy_from_slice(&self.bytes[r]);
        Ok(())
    }

    fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), GcError> {
        let r = self.range(addr, bytes.len())?;
        self.bytes[r].copy_from_slice(bytes);
        Ok(())
    }
}

/// How big the heap is and how it collects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcConfig {
    /// Bytes of the nursery (a multiple of 8).
    pub nursery_bytes: u64,
    /// Bytes of each of the old space's two halves.
    pub old_bytes: u64,
    /// Full collections that move every object and poison what they leave.
    pub stress: bool,
}

impl GcConfig {
    /// The stress configuration: a nursery of `nursery_bytes` (tiny, so allocations
    /// collect constantly), every collection moving everything.
    pub fn stress(nursery_bytes: u64, old_bytes: u64) -> GcConfig {
        GcConfig {
            nursery_bytes,
            old_bytes,
            stress: true,
        }
    }

    /// The configuration with its sizes rounded to 8, as a heap keeps it.
    pub fn rounded(&self) -> GcConfig {
        GcConfig {
            nursery_bytes: self.nursery_bytes.next_multiple_of(OBJECT_ALIGN as u64),
            old_bytes: self.old_bytes.next_multiple_of(OBJECT_ALIGN as u64),
            stress: self.stress,
        }
    }

    /// Bytes of memory the heap needs from its base: the nursery and two halves of old
    /// space (a full collection copies from one into the other).
    pub fn total_bytes(&self) -> u64 {
        self.nursery_bytes + self.old_bytes * 2
    }
}

/// What the collector knows of a type id: its size and where its refs are.
#[derive(Clone, Debug, PartialEq, Eq)]
enum TypeInfo {
    Struct { size: u32, refs: Vec<u32> },
    Array { layout: ArrayLayout, refs: bool },
}

/// What collections have done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcStats {
    /// Collections run.
    pub collections: u64,
    /// Objects copied by them.
    pub objects_moved: u64,
    /// Bytes copied by them.
    pub bytes_moved: u64,
    /// Objects allocated (fast path or slow).
    pub allocated: u64,
    /// Old objects the write barrier recorded.
    pub barrier_records: u64,
}

/// A heap: the nursery, the old space, the types, the write barrier's records.
#[derive(Clone, Debug)]
pub struct Heap {
    layout: TargetLayout,
    config: GcConfig,
    types: Vec<TypeInfo>,
    base: u64,
    /// The nursery's free pointer (compiled code bumps it).
    pub free: u64,
    /// The nursery's end.
    pub top: u64,
    /// The old half objects are copied to.
    old_start: u64,
    /// Its free pointer.
    old_free: u64,
    /// The other half (stress mode).
    other_old: u64,
    remembered: Vec<u64>,
    stats: GcStats,
}

/// What the collector knows of each type of `decls` under `layout`.
fn type_table(decls: &[ObjectDecl], layout: TargetLayout) -> Vec<TypeInfo> {
    decls
        .iter()
        .map(|d| match &d.kind {
            ObjectKind::Struct(fields) => {
                let l = layout.struct_layout(fields);
                TypeInfo::Struct {
                    size: l.size,
                    refs: fields
                        .iter()
                        .zip(&l.offsets)
                        .filter(|(f, _)| f.ty == FieldType::Ref)
                        .map(|(_, &o)| o)
                        .collect(),
                }
            }
            ObjectKind::Array(item) => TypeInfo::Array {
                layout: layout.array_layout(*item),
                refs: *item == FieldType::Ref,
            },
        })
        .collect()
}

impl Heap {
    /// A heap of objects declared by `decls`, laid out for a target by `layout`, at `base`
    /// in `mem` (which must hold [`GcConfig::total_bytes`] from there). The nursery is
    /// zeroed, the old space poisoned in stress mode.
    pub fn new(
        decls: &[ObjectDecl],
        layout: TargetLayout,
        config: GcConfig,
        base: u64,
        mem: &mut dyn HeapMemory,
    ) -> Result<Heap, GcError> {
        let types = type_table(decls, layout);
        let nursery = config.nursery_bytes.next_multiple_of(OBJECT_ALIGN as u64);
        let old = config.old_bytes.next_multiple_of(OBJECT_ALIGN as u64);
        let heap = Heap {
            layout,
            config: GcConfig {
                nursery_bytes: nursery,
                old_bytes: old,
                stress: config.stress,
            },
            types,
            base,
            free: base,
            top: base + nursery,
            old_start: base + nursery,
            old_free: base + nursery,
            other_old: base + nursery + old,
            remembered: Vec::new(),
            stats: GcStats::default(),
        };
        fill(mem, base, nursery, 0)?;
        if config.stress {
            fill(mem, heap.old_start, old * 2, POISON)?;
        }
        Ok(heap)
    }

    /// How the heap was configured (its sizes rounded to 8).
    pub fn config(&self) -> GcConfig {
        self.config
    }

    /// Empties the heap for another run: no objects, the nursery zero again (up to where
    /// it was used; in stress mode the old space used poisoned again too), no records, the
    /// statistics cleared. Cheaper than a new heap, which zeroes the whole nursery.
    pub fn reset(&mut self, mem: &mut dyn HeapMemory) -> Result<(), GcError> {
        fill(mem, self.base, self.free - self.base, 0)?;
        if self.config.stress {
            fill(mem, self.old_start, self.old_free - self.old_start, POISON)?;
        }
        self.free = self.base;
        self.old_free = self.old_start;
        self.remembered.clear();
        self.stats = GcStats::default();
        Ok(())
    }

    /// Empties the heap ([`Heap::reset`]) and gives it the object types `decls` laid out
    /// by `layout`: a heap for another run of other types, without zeroing and poisoning
    /// memory a new one would.
    pub fn retype(
        &mut self,
        decls: &[ObjectDecl],
        layout: TargetLayout,
        mem: &mut dyn HeapMemory,
    ) -> Result<(), GcError> {
        self.reset(mem)?;
        self.types = type_table(decls, layout);
        self.layout = layout;
        Ok(())
    }

    /// Bytes of a ref on the heap's target (4 or 8).
    pub fn pointer_bytes(&self) -> u32 {
        self.layout.pointer_bytes
    }

    /// What collections have done so far.
    pub fn stats(&self) -> GcStats {
        self.stats
    }

    /// The nursery's address range.
    pub fn nursery(&self) -> std::ops::Range<u64> {
        self.base..self.top
    }

    /// The address range of the old half in use, up to its free pointer.
    pub fn old_space(&self) -> std::ops::Range<u64> {
        self.old_start..self.old_free
    }

    /// Bytes of an object of type `tid` (with `len` items for an array).
    pub fn size_of(&self, tid: u32, len: Option<u64>) -> Result<u64, GcError> {
        match (self.info(tid)?, len) {
            (TypeInfo::Struct { size, .. }, None) => Ok(*size as u64),
            (TypeInfo::Array { layout, .. }, Some(n)) => {
                let n = u32::try_from(n).map_err(|_| GcError::BadLength(n))?;
                layout
                    .size(n)
                    .map(u64::from)
                    .ok_or(GcError::BadLength(n as u64))
            }
            _ => Err(GcError::WrongKind { tid }),
        }
    }

    fn info(&self, tid: u32) -> Result<&TypeInfo, GcError> {
        tid.checked_sub(1)
            .and_then(|k| self.types.get(k as usize))
            .ok_or(GcError::BadTypeId { addr: 0, tid })
    }

    /// Allocates a zeroed object of type `tid` (an array of `len` items), collecting first
    /// if the nursery has no room: the slow path compiled code calls. `roots` are the refs
    /// live across it, updated in place if their objects move.
    pub fn allocate(
        &mut self,
        mem: &mut dyn HeapMemory,
        tid: u32,
        len: Option<u64>,
        roots: &mut [u64],
    ) -> Result<u64, GcError> {
        let size = self.size_of(tid, len)?;
        // Large objects go to the old space directly, flagged for the write barrier.
        let addr = if size > self.config.nursery_bytes / 4 {
            let a = self.old_alloc_collecting(mem, size, roots)?;
            self.init(mem, a, size, tid, len, FLAG_TRACK_YOUNG_PTRS)?;
            a
        } else {
            self.nursery_alloc(mem, tid, size, len, roots)?
        };
        self.stats.allocated += 1;
        Ok(addr)
    }

    /// `size` bytes from the nursery for an object of type `tid`, initialized, after a
    /// collection when it has no room (always, in stress mode).
    fn nursery_alloc(
        &mut self,
        mem: &mut dyn HeapMemory,
        tid: u32,
        size: u64,
        len: Option<u64>,
        roots: &mut [u64],
    ) -> Result<u64, GcError> {
        if self.config.stress || self.free + size > self.top {
            self.collect(mem, roots)?;
        }
        let a = self.free;
        self.free += size;
        self.init(mem, a, size, tid, len, 0)?;
        Ok(a)
    }

    fn init(
        &self,
        mem: &mut dyn HeapMemory,
        addr: u64,
        size: u64,
        tid: u32,
        len: Option<u64>,
        flags: u32,
    ) -> Result<(), GcError> {
        fill(mem, addr, size, 0)?;
        mem.write(addr + TYPE_ID_OFFSET as u64, &tid.to_le_bytes())?;
        mem.write(addr + GC_FLAGS_OFFSET as u64, &flags.to_le_bytes())?;
        if let (Some(n), TypeInfo::Array { layout, .. }) = (len, self.info(tid)?) {
            self.write_word(mem, addr + layout.length as u64, n)?;
        }
        Ok(())
    }

    /// `size` bytes of old space for a large object, after a full collection when the old
    /// space is full.
    fn old_alloc_collecting(
        &mut self,
        mem: &mut dyn HeapMemory,
        size: u64,
        roots: &mut [u64],
    ) -> Result<u64, GcError> {
        match self.old_alloc(size) {
            Ok(a) => Ok(a),
            Err(_) => {
                self.collect_with(mem, roots, true)?;
                self.old_alloc(size)
            }
        }
    }

    fn old_alloc(&mut self, size: u64) -> Result<u64, GcError> {
        let end = self.old_start + self.config.old_bytes;
        if self.old_free + size > end {
            return Err(GcError::OutOfMemory { bytes: size });
        }
        let a = self.old_free;
        self.old_free += size;
        Ok(a)
    }

    /// The write barrier's slow path, for a ref store into `obj` whose header has
    /// [`FLAG_TRACK_YOUNG_PTRS`]: records it for the next collection and clears the flag.
    pub fn write_barrier_slow(
        &mut self,
        mem: &mut dyn HeapMemory,
        obj: u64,
    ) -> Result<(), GcError> {
        let flags = self.read_u32(mem, obj + GC_FLAGS_OFFSET as u64)?;
        if flags & FLAG_TRACK_YOUNG_PTRS != 0 {
            self.write_u32(
                mem,
                obj + GC_FLAGS_OFFSET as u64,
                flags & !FLAG_TRACK_YOUNG_PTRS,
            )?;
            self.remembered.push(obj);
            self.stats.barrier_records += 1;
        }
        Ok(())
    }

    /// A collection: minor, or full in stress mode and when the old space may not hold
    /// what a minor one promotes. `roots` (refs, null allowed) are updated in place.
    pub fn collect(&mut self, mem: &mut dyn HeapMemory, roots: &mut [u64]) -> Result<(), GcError> {
        // A minor collection may promote the whole nursery: when the old space has no room
        // for that, a full one empties it first.
        let room = self.old_start + self.config.old_bytes - self.old_free;
        let full = self.config.stress || room < self.free - self.base;
        self.collect_with(mem, roots, full)
    }

    /// A collection, full (everything copied into the other old half) or minor.
    fn collect_with(
        &mut self,
        mem: &mut dyn HeapMemory,
        roots: &mut [u64],
        full: bool,
    ) -> Result<(), GcError> {
        self.stats.collections += 1;
        let mut forward: HashMap<u64, u64> = HashMap::new();
        // In a full collection everything is copied into the other old half.
        let (from_old, scan_start) = if full {
            let from = self.old_start..self.old_free;
            std::mem::swap(&mut self.old_start, &mut self.other_old);
            self.old_free = self.old_start;
            (Some(from), self.old_start)
        } else {
            (None, self.old_free)
        };
        let moves = |heap: &Heap, a: u64| {
            heap.nursery().contains(&a) || from_old.as_ref().is_some_and(|r| r.contains(&a))
        };
        for (k, r) in roots.iter_mut().enumerate() {
            if *r != 0 && moves(self, *r) {
                *r = self.evacuate(mem, *r, &mut forward, &|| format!("root {k}"))?;
            } else if *r != 0 && self.contains(*r) && !self.in_old(*r) {
                return Err(GcError::BadRef {
                    at: format!("root {k}"),
                    value: *r,
                });
            }
        }
        // Old objects the barrier recorded (a minor collection's extra roots); they get
        // their flag back.
        for obj in std::mem::take(&mut self.remembered) {
            if !full {
                self.scan_object(mem, obj, &mut forward, &|h: &Heap, a| {
                    h.nursery().contains(&a)
                })?;
                let flags = self.read_u32(mem, obj + GC_FLAGS_OFFSET as u64)?;
                self.write_u32(
                    mem,
                    obj + GC_FLAGS_OFFSET as u64,
                    flags | FLAG_TRACK_YOUNG_PTRS,
                )?;
            }
        }
        // Cheney: scan what was copied, copying what it refers to.
        let mut scan = scan_start;
        while scan < self.old_free {
            let size = self.object_size(mem, scan)?;
            self.scan_object(mem, scan, &mut forward, &moves)?;
            scan += size;
        }
        // The nursery is empty again: zero, as compiled code allocates from it without
        // clearing (in stress mode poison, as every allocation goes through the slow path,
        // which clears what it hands out).
        // Only what was used is written: the rest of the nursery and of the old half left
        // is still as it was left before (zero, or poison in stress mode).
        let used = self.free - self.base;
        self.free = self.base;
        if !self.config.stress {
            fill(mem, self.base, used, 0)?;
        } else {
            fill(mem, self.base, used, POISON)?;
            if let Some(r) = from_old {
                fill(mem, r.start, r.end - r.start, POISON)?;
            }
        }
        Ok(())
    }

    /// Whether `a` lies in the heap's memory (the nursery or either old half). A ref
    /// elsewhere (null, a buffer) is no GC object: the collector leaves it.
    pub fn contains(&self, a: u64) -> bool {
        (self.base..self.base + self.config.total_bytes()).contains(&a)
    }

    /// The slow path of compiled code's inline allocation: an object of type `tid` of
    /// `size` bytes (an array of `len` items), zeroed, with its header — after a
    /// collection when the nursery has no room (always, in stress mode). `roots` are the
    /// refs live across it (its GC map's words), updated if their objects move. An object
    /// larger than the whole nursery goes to the old space, already recorded as the write
    /// barrier would record it, so compiled code may store young refs into it without a
    /// barrier until the next safepoint (the GC rewrite leaves those barriers out).
    pub fn allocate_young(
        &mut self,
        mem: &mut dyn HeapMemory,
        tid: u32,
        size: u64,
        len: Option<u64>,
        roots: &mut [u64],
    ) -> Result<u64, GcError> {
        if let Some(n) = len {
            if n > MAX_ARRAY_LENGTH as u64 {
                return Err(GcError::BadLength(n));
            }
        }
        let want = self.size_of(tid, len)?;
        if want != size {
            return Err(GcError::Corrupt(format!(
                "compiled code asked for {size} bytes for an object of {want}"
            )));
        }
        let addr = if size > self.config.nursery_bytes {
            let a = self.old_alloc_collecting(mem, size, roots)?;
            self.init(mem, a, size, tid, len, 0)?;
            self.remembered.push(a);
            a
        } else {
            self.nursery_alloc(mem, tid, size, len, roots)?
        };
        self.stats.allocated += 1;
        Ok(addr)
    }

    /// Takes the nursery's free pointer from compiled code, which bumps it inline: it must
    /// lie in the nursery, at or past where the heap last had it.
    pub fn sync_free(&mut self, free: u64) -> Result<(), GcError> {
        if free < self.free || free > self.top {
            return Err(GcError::Corrupt(format!(
                "compiled code's nursery free pointer {free:#x} is outside {:#x}..={:#x}",
                self.free, self.top
            )));
        }
        self.free = free;
        Ok(())
    }

    /// The frame's two GC words before compiled code runs: the nursery's free pointer and
    /// the top its bumps compare with.
    pub fn nursery_words(&self) -> [u64; 2] {
        [self.free, self.code_top()]
    }

    /// The nursery top compiled code compares its bump with: the real one, or in stress
    /// mode the free pointer, so that every allocation takes the slow path and collects.
    pub fn code_top(&self) -> u64 {
        if self.config.stress {
            self.free
        } else {
            self.top
        }
    }

    fn in_old(&self, a: u64) -> bool {
        (self.old_start..self.old_free).contains(&a)
    }

    /// Copies the object at `obj` to the old space unless it was (the forwarding table
    /// says where), flagging the copy for the write barrier; returns the new address.
    fn evacuate(
        &mut self,
        mem: &mut dyn HeapMemory,
        obj: u64,
        forward: &mut HashMap<u64, u64>,
        at: &dyn Fn() -> String,
    ) -> Result<u64, GcError> {
        if let Some(&to) = forward.get(&obj) {
            return Ok(to);
        }
        if !obj.is_multiple_of(OBJECT_ALIGN as u64) {
            return Err(GcError::BadRef {
                at: at(),
                value: obj,
            });
        }
        let size = self.object_size(mem, obj)?;
        let to = self.old_alloc(size)?;
        let mut bytes = vec![0; size as usize];
        mem.read(obj, &mut bytes)?;
        mem.write(to, &bytes)?;
        let flags = self.read_u32(mem, obj + GC_FLAGS_OFFSET as u64)?;
        self.write_u32(mem, obj + GC_FLAGS_OFFSET as u64, flags | FLAG_FORWARDED)?;
        self.write_u32(
            mem,
            to + GC_FLAGS_OFFSET as u64,
            (flags & !FLAG_FORWARDED) | FLAG_TRACK_YOUNG_PTRS,
        )?;
        forward.insert(obj, to);
        self.stats.objects_moved += 1;
        self.stats.bytes_moved += size;
        Ok(to)
    }

    /// Evacuates what each ref field of `obj` points to when `moves` says it moves, and
    /// updates the field.
    fn scan_object(
        &mut self,
        mem: &mut dyn HeapMemory,
        obj: u64,
        forward: &mut HashMap<u64, u64>,
        moves: &dyn Fn(&Heap, u64) -> bool,
    ) -> Result<(), GcError> {
        for field in self.ref_fields(mem, obj)? {
            let r = self.read_word(mem, field)?;
            if r != 0 && moves(self, r) {
                let to = self.evacuate(mem, r, forward, &|| format!("the field at {field:#x}"))?;
                self.write_word(mem, field, to)?;
            }
        }
        Ok(())
    }

    /// The addresses of the ref fields of the object at `obj`.
    fn ref_fields(&self, mem: &dyn HeapMemory, obj: u64) -> Result<Vec<u64>, GcError> {
        let tid = self.read_u32(mem, obj + TYPE_ID_OFFSET as u64)?;
        let info = self
            .info(tid)
            .map_err(|_| GcError::BadTypeId { addr: obj, tid })?;
        Ok(match info {
            TypeInfo::Struct { refs, .. } => refs.iter().map(|&o| obj + o as u64).collect(),
            TypeInfo::Array { layout, refs: true } => {
                let n = self.read_word(mem, obj + layout.length as u64)?;
                if n > MAX_ARRAY_LENGTH as u64 {
                    return Err(GcError::BadLength(n));
                }
                (0..n)
                    .map(|k| obj + layout.items as u64 + k * layout.item_size as u64)
                    .collect()
            }
            TypeInfo::Array { .. } => Vec::new(),
        })
    }

    /// Bytes of the object at `obj`, from its header.
    pub fn object_size(&self, mem: &dyn HeapMemory, obj: u64) -> Result<u64, GcError> {
        let tid = self.read_u32(mem, obj + TYPE_ID_OFFSET as u64)?;
        let info = self
            .info(tid)
            .map_err(|_| GcError::BadTypeId { addr: obj, tid })?;
        match info {
            TypeInfo::Struct { size, .. } => Ok(*size as u64),
            TypeInfo::Array { layout, .. } => {
                let n = self.read_word(mem, obj + layout.length as u64)?;
                if n > MAX_ARRAY_LENGTH as u64 {
                    return Err(GcError::BadLength(n));
                }
                let n = u32::try_from(n).map_err(|_| GcError::BadLength(n))?;
                layout
                    .size(n)
                    .map(u64::from)
                    .ok_or(GcError::BadLength(n as u64))
            }
        }
    }

    /// Checks the whole heap: every object in the nursery (up to its free pointer) and the
    /// old space has a declared type, every ref field is null or the start of an object
    /// of the heap, and an old object that points into the nursery has been recorded by
    /// the write barrier (its flag cleared); `roots` too must be null or objects.
    pub fn verify(&self, mem: &dyn HeapMemory, roots: &[u64]) -> Result<(), GcError> {
        let mut starts = std::collections::HashSet::new();
        let mut objects = Vec::new();
        for range in [self.base..self.free, self.old_start..self.old_free] {
            let mut a = range.start;
            while a < range.end {
                let size = self.object_size(mem, a)?;
                if size == 0 || a + size > range.end {
                    return Err(GcError::Corrupt(format!(
                        "the object at {a:#x} runs past its space"
                    )));
                }
                starts.insert(a);
                objects.push(a);
                a += size;
            }
        }
        let bad = |at: String, value: u64| GcError::BadRef { at, value };
        // Refs outside the heap (buffers) are no GC objects.
        for (k, &r) in roots.iter().enumerate() {
            if r != 0 && self.contains(r) && !starts.contains(&r) {
                return Err(bad(format!("root {k}"), r));
            }
        }
        for &obj in &objects {
            let flags = self.read_u32(mem, obj + GC_FLAGS_OFFSET as u64)?;
            if flags & FLAG_FORWARDED != 0 {
                return Err(GcError::Corrupt(format!(
                    "the object at {obj:#x} is a forwarded copy still in use"
                )));
            }
            let old = self.in_old(obj);
            for field in self.ref_fields(mem, obj)? {
                let r = self.read_word(mem, field)?;
                if r == 0 || !self.contains(r) {
                    continue;
                }
                if !starts.contains(&r) {
                    return Err(bad(format!("the field at {field:#x} of {obj:#x}"), r));
                }
                if old && self.nursery().contains(&r) && flags & FLAG_TRACK_YOUNG_PTRS != 0 {
                    return Err(GcError::Corrupt(format!(
                        "the old object at {obj:#x} points into the nursery ({r:#x}) \
                         without the write barrier having recorded it"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Reads the pointer-sized word at `addr` (a ref or an array length).
    pub fn read_word(&self, mem: &dyn HeapMemory, addr: u64) -> Result<u64, GcError> {
        let mut b = [0u8; 8];
        let n = self.layout.pointer_bytes as usize;
        mem.read(addr, &mut b[..n])?;
        Ok(u64::from_le_bytes(b))
    }

    /// Writes the pointer-sized word at `addr`.
    pub fn write_word(
        &self,
        mem: &mut dyn HeapMemory,
        addr: u64,
        value: u64,
    ) -> Result<(), GcError> {
        let n = self.layout.pointer_bytes as usize;
        mem.write(addr, &value.to_le_bytes()[..n])
    }

    fn read_u32(&self, mem: &dyn HeapMemory, addr: u64) -> Result<u32, GcError> {
        let mut b = [0u8; 4];
        mem.read(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn write_u32(&self, mem: &mut dyn HeapMemory, addr: u64, v: u32) -> Result<(), GcError> {
        mem.write(addr, &v.to_le_bytes())
    }

    /// The type id of the object at `obj`.
    pub fn type_of(&self, mem: &dyn HeapMemory, obj: u64) -> Result<u32, GcError> {
        self.read_u32(mem, obj + TYPE_ID_OFFSET as u64)
    }
}

/// Fills `len` bytes at `addr` with `byte`.
fn fill(mem: &mut dyn HeapMemory, addr: u64, len: u64, byte: u8) -> Result<(), GcError> {
    const CHUNK: u64 = 4096;
    let chunk = vec![byte; CHUNK.min(len) as usize];
    let mut at = 0;
    while at < len {
        let n = CHUNK.min(len - at);
        mem.write(addr + at, &chunk[..n as usize])?;
        at += n;
    }
    Ok(())
}

/// Reads field or item `t` at `addr` as the IR value it holds.
fn read_slot(
    heap: &Heap,
    mem: &dyn HeapMemory,
    t: FieldType,
    addr: u64,
) -> Result<crate::ir::Scalar, GcError> {
    Ok(match t {
        FieldType::Ref => crate::ir::Scalar::Ref(heap.read_word(mem, addr)?),
        FieldType::Mem(m) => {
            let mut b = [0u8; 8];
            mem.read(addr, &mut b[..m.size() as usize])?;
            m.extend(u64::from_le_bytes(b))
        }
    })
}

/// Writes the IR value `v` into field or item `t` at `addr`.
fn write_slot(
    heap: &Heap,
    mem: &mut dyn HeapMemory,
    t: FieldType,
    addr: u64,
    v: crate::ir::Scalar,
) -> Result<(), GcError> {
    match t {
        FieldType::Ref => heap.write_word(mem, addr, v.bits() as u64),
        FieldType::Mem(m) => {
            let bits = v.bits() as u64;
            mem.write(addr, &bits.to_le_bytes()[..m.size() as usize])
        }
    }
}

/// The fields or items of the object at `obj` of declaration `decl`: each slot's type and
/// address.
fn slots(
    heap: &Heap,
    mem: &dyn HeapMemory,
    decl: &ObjectDecl,
    obj: u64,
) -> Result<Vec<(FieldType, u64)>, GcError> {
    Ok(match &decl.kind {
        ObjectKind::Struct(fields) => {
            let l = heap.layout.struct_layout(fields);
            fields
                .iter()
                .zip(&l.offsets)
                .map(|(f, &o)| (f.ty, obj + o as u64))
                .collect()
        }
        ObjectKind::Array(item) => {
            let l = heap.layout.array_layout(*item);
            let n = heap.read_word(mem, obj + l.length as u64)?;
            // A length no allocation makes: a stale or corrupt object, not a reason to
            // allocate without bound.
            if n > MAX_ARRAY_LENGTH as u64 {
                return Err(GcError::BadLength(n));
            }
            (0..n)
                .map(|k| (*item, obj + l.items as u64 + k * l.item_size as u64))
                .collect()
        }
    })
}

/// Copies the interpreter's objects (`memory.objects()`, abstract) into `heap`, in order,
/// with their fields (refs to objects translated, other refs kept); returns each object's
/// address (in the nursery while it has room, then in the old space; nothing collects).
pub fn materialize(
    heap: &mut Heap,
    mem: &mut dyn HeapMemory,
    decls: &[ObjectDecl],
    memory: &crate::memory::Memory,
) -> Result<Vec<u64>, GcError> {
    materialize_with(heap, mem, decls, memory, &|a| a)
}

/// [`materialize`], with the other refs (buffers) the objects hold turned into the
/// target's addresses by `to_target` (the native runtime's buffers are elsewhere).
pub fn materialize_with(
    heap: &mut Heap,
    mem: &mut dyn HeapMemory,
    decls: &[ObjectDecl],
    memory: &crate::memory::Memory,
    to_target: &dyn Fn(u64) -> u64,
) -> Result<Vec<u64>, GcError> {
    let objects = memory.objects();
    let mut addrs = Vec::with_capacity(objects.len());
    for o in objects {
        let len = o.array.then_some(o.slots.len() as u64);
        // Nothing is a root yet: no collection, the nursery while it has room, then old.
        let size = heap.size_of(o.tid, len)?;
        let (a, flags) = if heap.free + size <= heap.top {
            heap.free += size;
            (heap.free - size, 0)
        } else {
            (heap.old_alloc(size)?, FLAG_TRACK_YOUNG_PTRS)
        };
        heap.init(mem, a, size, o.tid, len, flags)?;
        heap.stats.allocated += 1;
        addrs.push(a);
    }
    for (o, &a) in objects.iter().zip(&addrs) {
        let decl = &decls[o.tid as usize - 1];
        for ((t, at), &v) in slots(heap, mem, decl, a)?.into_iter().zip(&o.slots) {
            let v = match v {
                crate::ir::Scalar::Ref(r) if r != 0 => crate::ir::Scalar::Ref(
                    crate::memory::object_index(r).map_or_else(|| to_target(r), |k| addrs[k]),
                ),
                other => other,
            };
            write_slot(heap, mem, t, at, v)?;
            // An old object pointing into the nursery is recorded, as the barrier would.
            if let crate::ir::Scalar::Ref(r) = v {
                if heap.in_old(a) && heap.nursery().contains(&r) {
                    heap.write_barrier_slow(mem, a)?;
                }
            }
        }
    }
    Ok(addrs)
}

/// Reads the objects of `heap` reachable from `values` into `memory` as the interpreter's
/// abstract objects (after those it has), and turns the refs in `values` to them into
/// theirs: a target's run then compares with the interpreter's as docs/ir.md §10 says
/// (with [`crate::memory::Memory::canonicalize_objects`] on both). Refs outside the heap
/// (null, buffers) stay as they are.
pub fn reify(
    heap: &Heap,
    mem: &dyn HeapMemory,
    decls: &[ObjectDecl],
    values: &mut [crate::ir::Scalar],
    memory: &mut crate::memory::Memory,
) -> Result<(), GcError> {
    reify_with(heap, mem, decls, values, memory, &|a| a)
}

/// [`reify`], with the other refs (buffers) objects hold turned back into the
/// interpreter's addresses by `to_virtual`.
pub fn reify_with(
    heap: &Heap,
    mem: &dyn HeapMemory,
    decls: &[ObjectDecl],
    values: &mut [crate::ir::Scalar],
    memory: &mut crate::memory::Memory,
    to_virtual: &dyn Fn(u64) -> u64,
) -> Result<(), GcError> {
    use crate::ir::Scalar;
    let mut index: HashMap<u64, u64> = HashMap::new();
    // Objects found but not yet read: (address, its ref in `memory`).
    let mut work: Vec<u64> = Vec::new();
    let refer = |a: u64,
                 index: &mut HashMap<u64, u64>,
                 memory: &mut crate::memory::Memory,
                 work: &mut Vec<u64>|
     -> Result<u64, GcError> {
        if a == 0 || !heap.contains(a) {
            return Ok(a);
        }
        if let Some(&r) = index.get(&a) {
            return Ok(r);
        }
        let tid = heap.type_of(mem, a)?;
        let decl = tid
            .checked_sub(1)
            .and_then(|k| decls.get(k as usize))
            .ok_or(GcError::BadTypeId { addr: a, tid })?;
        let n = slots(heap, mem, decl, a)?.len();
        let r = memory
            .new_object(tid, vec![Scalar::I32(0); n], decl.is_array())
            .ok_or(GcError::BadLength(n as u64))?;
        index.insert(a, r);
        work.push(a);
        Ok(r)
    };
    for v in values.iter_mut() {
        if let Scalar::Ref(a) = *v {
            *v = Scalar::Ref(refer(a, &mut index, memory, &mut work)?);
        }
    }
    while let Some(a) = work.pop() {
        let tid = heap.type_of(mem, a)?;
        let decl = &decls[tid as usize - 1];
        let mut read = Vec::new();
        for (t, at) in slots(heap, mem, decl, a)? {
            let x = read_slot(heap, mem, t, at)?;
            read.push(match x {
                Scalar::Ref(p) if p != 0 && !heap.contains(p) => Scalar::Ref(to_virtual(p)),
                Scalar::Ref(p) => Scalar::Ref(refer(p, &mut index, memory, &mut work)?),
                other => other,
            });
        }
        let r = *index.get(&a).expect("indexed when found");
        if let Some(o) = memory.object_mut(r) {
            o.slots = read;
        }
    }
    Ok(())
}

/// Whether the values `a` (from a run in the interpreter, objects in `memory`) and `b` (from
/// a target, objects in `heap`) agree as docs/ir.md §10 says: equal scalars, null for null,
/// equal buffer addresses, and refs to objects that correspond one to one, of the same
/// type, whose fields agree in turn — the object graphs isomorphic. `Err` says where they
/// first differ.
pub fn same_graph(
    memory: &crate::memory::Memory,
    a: &[crate::ir::Scalar],
    heap: &Heap,
    mem: &dyn HeapMemory,
    b: &[crate::ir::Scalar],
    decls: &[ObjectDecl],
) -> Result<(), String> {
    use crate::ir::Scalar;
    if a.len() != b.len() {
        return Err(format!("{} values against {}", a.len(), b.len()));
    }
    // The correspondence found so far, both ways.
    let mut to_target: HashMap<usize, u64> = HashMap::new();
    let mut to_interp: HashMap<u64, usize> = HashMap::new();
    let mut work: Vec<(Scalar, Scalar, String)> = a
        .iter()
        .zip(b)
        .enumerate()
        .map(|(k, (&x, &y))| (x, y, format!("value {k}")))
        .collect();
    while let Some((x, y, at)) = work.pop() {
        let (Scalar::Ref(rx), Scalar::Ref(ry)) = (x, y) else {
            if x.same_result(y) {
                continue;
            }
            return Err(format!("{at}: {x} against {y}"));
        };
        let Some(k) = crate::memory::object_index(rx).filter(|&k| k < memory.objects().len())
        else {
            // Null or a buffer: the same address on both sides.
            if rx == ry {
                continue;
            }
            return Err(format!("{at}: {rx:#x} against {ry:#x}"));
        };
        if ry == 0 {
            return Err(format!("{at}: an object against null"));
        }
        match (to_target.get(&k), to_interp.get(&ry)) {
            (Some(&t), _) if t == ry => continue,
            (None, None) => {}
            _ => return Err(format!("{at}: the objects correspond to different ones")),
        }
        to_target.insert(k, ry);
        to_interp.insert(ry, k);
        let o = &memory.objects()[k];
        let tid = heap.type_of(mem, ry).map_err(|e| format!("{at}: {e}"))?;
        if tid != o.tid {
            return Err(format!("{at}: type {} against type {tid}", o.tid));
        }
        let decl = &decls[o.tid as usize - 1];
        let fields = slots(heap, mem, decl, ry).map_err(|e| format!("{at}: {e}"))?;
        if fields.len() != o.slots.len() {
            return Err(format!(
                "{at}: {} items against {}",
                o.slots.len(),
                fields.len()
            ));
        }
        for (j, ((t, addr), &v)) in fields.into_iter().zip(&o.slots).enumerate() {
            let w = read_slot(heap, mem, t, addr).map_err(|e| format!("{at}: {e}"))?;
            work.push((v, w, format!("{at} ({}) slot {j}", decl.name)));
        }
    }
    Ok(())
}
