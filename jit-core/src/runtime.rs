//! Running compiled traces on this machine.
//!
//! A compiled trace is entered as `extern "C" fn(frame: *mut u64) -> u64`: the frame holds
//! its inputs (where [`CompiledTrace::inputs`] says) and the loop budget; a run as if
//! invalidated patches the code's `guard_not_invalidated` sites first
//! ([`crate::tree::set_invalidated`]); the trace returns the index of the exit it left by, with registers
//! saved into the frame, and the runtime reads the exit's values through the exit's
//! location records. Code lives in memory that is writable while it is copied in and
//! executable afterwards, never both at once.
//!
//! Memory is the interpreter's [`Memory`]: each buffer is copied to real host memory for the
//! run and back afterwards, and refs are translated both ways, so an [`Outcome`] of native
//! code compares directly with the interpreter's.

use std::fmt;

use crate::backend::{CompiledTrace, ExitLoc};
use crate::externs::take_native_calls;
use crate::interp::{ExitKind, Outcome, RunOptions};
use crate::ir::{ExitId, Scalar, Type};
use crate::memory::Memory;

/// Why a compiled trace could not run to an exit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    /// The code is for another architecture than this machine's.
    WrongHost {
        /// The code's architecture.
        code: String,
    },
    /// Executable memory could not be mapped.
    Map(String),
    /// The number or types of inputs differ from the trace's.
    Inputs(String),
    /// The step budget ran out: the trace loops too long or forever.
    StepBudget {
        /// The budget, in operations (as the interpreter counts them).
        steps: u64,
    },
    /// The code returned an exit index it does not have.
    BadExit(u64),
    /// The code faulted (bad memory access, bad jump, undefined instruction).
    Fault(String),
    /// The collector failed (out of memory, a length out of range, a corrupt heap).
    Gc(String),
    /// An indirect call's callee was not a function the trace declares with the call's
    /// signature (the interpreter's `InterpError::BadCallee`).
    BadCallee,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::WrongHost { code } => {
                write!(f, "code for {code} cannot run natively on this machine")
            }
            RunError::Map(e) => write!(f, "cannot map executable memory: {e}"),
            RunError::Inputs(e) => write!(f, "bad inputs: {e}"),
            RunError::StepBudget { steps } => {
                write!(
                    f,
                    "step budget of {steps} operations exhausted (a runaway loop?)"
                )
            }
            RunError::BadExit(i) => {
                write!(f, "the code returned exit index {i}, which does not exist")
            }
            RunError::Fault(e) => write!(f, "the code faulted: {e}"),
            RunError::Gc(e) => write!(f, "the collector failed: {e}"),
            RunError::BadCallee => write!(
                f,
                "an indirect call's callee is not a function the trace declares with its signature"
            ),
        }
    }
}

impl std::error::Error for RunError {}

/// Something that runs a compiled trace: native code here, or an emulated CPU.
pub trait Runner {
    /// Runs once on `inputs`, reading and writing `memory`.
    fn run(
        &mut self,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
    ) -> Result<Outcome, RunError>;
}

/// Executable memory holding one piece of code: a [`NativeCodeSpace`] of its own size.
///
/// [`NativeCodeSpace`]: crate::codespace::NativeCodeSpace
pub struct ExecutableCode {
    /// Owns the memory (unmapped when dropped).
    space: crate::codespace::NativeCodeSpace,
    addr: u64,
}

impl ExecutableCode {
    /// Places `code` in fresh code memory (read-execute, never writable and executable at
    /// once).
    pub fn new(code: &[u8]) -> Result<ExecutableCode, RunError> {
        let mut space = crate::codespace::NativeCodeSpace::new(code.len())
            .map_err(|e| RunError::Map(e.to_string()))?;
        let addr =
            crate::codespace::load(&mut space, code).map_err(|e| RunError::Map(e.to_string()))?;
        Ok(ExecutableCode { space, addr })
    }

    /// The code space holding it, to patch it.
    pub fn space(&mut self) -> &mut crate::codespace::NativeCodeSpace {
        &mut self.space
    }

    /// The address of the first byte.
    pub fn addr(&self) -> *const u8 {
        self.addr as *const u8
    }
}

/// The largest distance between a ref and the byte an access through it touches: an i32
/// index times a scale of at most 8, plus an i32 offset, plus the access size.
const REACH: usize = (1 << 34) + (1 << 31) + 8;

/// The interpreter's buffers copied to host memory, with both-way ref translation.
///
/// All buffers live in one reservation of address space: each buffer's bytes end where its
/// read-write pages end, a page of no access follows every buffer, and `REACH` bytes of no
/// access lie before the first and after the last. So any address a trace can form from a
/// buffer's ref lies inside the reservation: an access past a buffer faults (the fault
/// handler of [`crate::fault`] turns it into an error), and nothing a trace does through its
/// buffers reaches the host's own memory.
pub struct HostMemory {
    /// The reservation: its first byte and length.
    base: *mut u8,
    len: usize,
    /// (virtual address, length in bytes, host address) per buffer.
    buffers: Vec<(u64, usize, u64)>,
}

impl HostMemory {
    /// Copies every buffer of `memory` to host memory (8-byte aligned, guarded).
    pub fn new(memory: &Memory) -> Result<HostMemory, RunError> {
        let page = page_size();
        let pages = |n: usize| n.div_ceil(page) * page;
        let mut len = 2 * pages(REACH);
        for b in memory.buffers() {
            len += pages(b.bytes.len()) + page;
        }
        // SAFETY: a fresh private anonymous mapping with no access; nothing else refers to it.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(RunError::Map(std::io::Error::last_os_error().to_string()));
        }
        let base = base as *mut u8;
        let mut host = HostMemory {
            base,
            len,
            buffers: Vec::new(),
        };
        let mut at = pages(REACH);
        for b in memory.buffers() {
            let rw = pages(b.bytes.len());
            let start = at + rw - b.bytes.len().div_ceil(8) * 8;
            if rw > 0 {
                // SAFETY: [at, at + rw) lies inside the reservation made above.
                let r = unsafe {
                    libc::mprotect(
                        base.add(at) as *mut libc::c_void,
                        rw,
                        libc::PROT_READ | libc::PROT_WRITE,
                    )
                };
                if r != 0 {
                    return Err(RunError::Map(std::io::Error::last_os_error().to_string()));
                }
                // SAFETY: the destination is read-write, inside the reservation, and holds
                // at least `bytes.len()` bytes from `start`.
                unsafe {
                    std::ptr::copy_nonoverlapping(b.bytes.as_ptr(), base.add(start), b.bytes.len());
                }
            }
            host.buffers
                .push((b.addr, b.bytes.len(), base as u64 + start as u64));
            at += rw + page;
        }
        Ok(host)
    }

    /// The host address for an interpreter address (unchanged if it is in no buffer).
    pub fn to_host(&self, virt: u64) -> u64 {
        for &(addr, len, host) in &self.buffers {
            if virt >= addr && virt <= addr + len as u64 {
                return host + (virt - addr);
            }
        }
        virt
    }

    /// The interpreter address for a host address (unchanged if it is in no buffer).
    pub fn to_virtual(&self, host: u64) -> u64 {
        for &(addr, len, base) in &self.buffers {
            if host >= base && host <= base + len as u64 {
                return addr + (host - base);
            }
        }
        host
    }

    /// Says where a host address is relative to the buffers, for fault messages.
    pub fn describe(&self, host: u64) -> String {
        let start = self.base as u64;
        if host < start || host >= start + self.len as u64 {
            return "outside the buffers' reservation".into();
        }
        let nearest = self
            .buffers
            .iter()
            .min_by_key(|&&(_, len, base)| {
                if host < base {
                    base - host
                } else {
                    host.saturating_sub(base + len as u64)
                }
            })
            .copied();
        match nearest {
            Some((addr, _, base)) if host < base => {
                format!("{} bytes before the buffer at {addr:#x}", base - host)
            }
            Some((addr, len, base)) => format!(
                "{} bytes past the end of the buffer at {addr:#x} ({len} bytes)",
                host - (base + len as u64)
            ),
            None => "inside the guard region".into(),
        }
    }

    /// Copies the host buffers back into `memory`.
    pub fn copy_back(&self, memory: &mut Memory) {
        for &(addr, len, host) in &self.buffers {
            if let Some(dst) = memory.contents_mut(addr) {
                // SAFETY: `host` holds `len` initialized, readable bytes (made in `new`).
                let src = unsafe { std::slice::from_raw_parts(host as *const u8, len) };
                dst[..len].copy_from_slice(src);
            }
        }
    }
}

impl Drop for HostMemory {
    fn drop(&mut self) {
        // SAFETY: the reservation was mapped in `new` and nothing refers to it any more.
        unsafe {
            libc::munmap(self.base as *mut libc::c_void, self.len);
        }
    }
}

/// The host's page size.
fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

/// Fills a frame for `code` from `inputs`, translating refs with `to_host`.
pub fn fill_frame(
    code: &CompiledTrace,
    inputs: &[Scalar],
    input_types: &[Type],
    options: RunOptions,
    to_host: impl Fn(u64) -> u64,
) -> Result<Vec<u64>, RunError> {
    if inputs.len() != code.inputs.len() || inputs.len() != input_types.len() {
        return Err(RunError::Inputs(format!(
            "the trace takes {} input(s), {} given",
            code.inputs.len(),
            inputs.len()
        )));
    }
    let mut frame = vec![0u64; code.frame_words as usize];
    for (k, ((&x, &loc), &ty)) in inputs.iter().zip(&code.inputs).zip(input_types).enumerate() {
        if x.ty() != ty {
            return Err(RunError::Inputs(format!(
                "input {k} must be {ty}, {} given",
                x.ty()
            )));
        }
        let bits = match x {
            Scalar::I32(v) => v as u32 as u64,
            Scalar::I64(v) => v as u64,
            Scalar::F64(b) => b,
            Scalar::Ref(a) => to_host(a),
        };
        match loc {
            ExitLoc::Frame(w) => frame[w as usize] = bits,
            ExitLoc::Pair(lo, hi) => {
                frame[lo as usize] = bits & 0xffff_ffff;
                frame[hi as usize] = bits >> 32;
            }
            ExitLoc::Const(_) => {}
        }
    }
    if let Some(b) = code.budget_word {
        frame[b as usize] = jumps_allowed(code, options);
    }
    Ok(frame)
}

/// How many times `jump` may go back to the label under `options.step_budget`: the
/// interpreter's rule (the next iteration must fit in the budget) counted in jumps.
pub fn jumps_allowed(code: &CompiledTrace, options: RunOptions) -> u64 {
    match options.step_budget.checked_sub(code.first_jump_steps) {
        Some(left) if code.iteration_steps > 0 => left / code.iteration_steps,
        _ => 0,
    }
}

/// Reads the outcome of a run that returned exit index `index` with `frame`.
pub fn read_exit(
    code: &CompiledTrace,
    index: u64,
    frame: &[u64],
    options: RunOptions,
    to_virtual: impl Fn(u64) -> u64,
) -> Result<Outcome, RunError> {
    if index == code.budget_exit as u64 {
        return Err(RunError::StepBudget {
            steps: options.step_budget,
        });
    }
    if index & 0xffff_ffff == crate::emit::BAD_CALLEE_EXIT as u64 {
        return Err(RunError::BadCallee);
    }
    let exit = code
        .exits
        .get(index as usize)
        .ok_or(RunError::BadExit(index))?;
    let values = read_values(code, &exit.values, frame, &to_virtual);
    let iterations = code.budget_word.map_or(0, |b| {
        jumps_allowed(code, options).saturating_sub(frame[b as usize])
    });
    Ok(Outcome {
        kind: if exit.finish {
            ExitKind::Finish
        } else {
            ExitKind::Guard
        },
        exit: ExitId(exit.id.0),
        op: exit.op,
        values,
        steps: (exit.op as u64 + 1).saturating_add(iterations.saturating_mul(code.iteration_steps)),
        iterations,
        calls: Vec::new(),
        call_count: 0,
    })
}

/// The values at `values` (an exit's, or the budget exit's) in `frame` after a run of
/// `code` (refs turned back into virtual addresses by `to_virtual`).
pub fn read_values(
    code: &CompiledTrace,
    values: &[(Type, ExitLoc)],
    frame: &[u64],
    to_virtual: impl Fn(u64) -> u64,
) -> Vec<Scalar> {
    // A 32-bit target stores a pointer in the low half of its frame word; the high half
    // may hold whatever a wider value left in that slot.
    let narrow = matches!(
        code.triple.pointer_width(),
        Ok(target_lexicon::PointerWidth::U32 | target_lexicon::PointerWidth::U16)
    );
    values
        .iter()
        .map(|&(ty, loc)| match loc {
            ExitLoc::Const(c) => c,
            ExitLoc::Pair(lo, hi) => {
                let bits = (frame[lo as usize] & 0xffff_ffff) | frame[hi as usize] << 32;
                match ty {
                    Type::F64 => Scalar::F64(bits),
                    _ => Scalar::I64(bits as i64),
                }
            }
            ExitLoc::Frame(w) => {
                let bits = match ty {
                    Type::Ref if narrow => frame[w as usize] & 0xffff_ffff,
                    _ => frame[w as usize],
                };
                match ty {
                    Type::I32 => Scalar::I32(bits as u32 as i32),
                    Type::I64 => Scalar::I64(bits as i64),
                    Type::F64 => Scalar::F64(bits),
                    Type::Ref => Scalar::Ref(if bits == 0 { 0 } else { to_virtual(bits) }),
                }
            }
        })
        .collect()
}

/// A compiled trace loaded into executable memory of this machine.
pub struct NativeTrace {
    code: CompiledTrace,
    exec: ExecutableCode,
    input_types: Vec<Type>,
    /// Whether the invalidation sites are patched now.
    invalidated: bool,
    /// The heap of the last run, emptied and reused by the next.
    heap: Option<crate::gcrun::NativeHeap>,
}

impl NativeTrace {
    /// Loads code compiled for this machine; `input_types` are the trace's input types.
    pub fn load(code: CompiledTrace, input_types: Vec<Type>) -> Result<NativeTrace, RunError> {
        if code.triple.architecture != target_lexicon::HOST.architecture {
            return Err(RunError::WrongHost {
                code: code.triple.to_string(),
            });
        }
        let exec = ExecutableCode::new(&code.code)?;
        Ok(NativeTrace {
            code,
            exec,
            input_types,
            invalidated: false,
            heap: None,
        })
    }

    /// The compiled trace.
    pub fn code(&self) -> &CompiledTrace {
        &self.code
    }

    /// Runs with a frame already filled; returns the exit index. For benchmarks, which
    /// fill the frame once and re-run. A fault inside the code is an error.
    pub fn run_raw(&self, frame: &mut [u64]) -> Result<u64, RunError> {
        if frame.len() < self.code.frame_words as usize {
            return Err(RunError::Inputs(format!(
                "the frame has {} words, the code needs {}",
                frame.len(),
                self.code.frame_words
            )));
        }
        self.enter(frame)
            .map_err(|f| RunError::Fault(f.to_string()))
    }

    /// Runs with a frame at least `frame_words` long.
    fn enter(&self, frame: &mut [u64]) -> Result<u64, crate::fault::Fault> {
        debug_assert!(frame.len() >= self.code.frame_words as usize);
        // SAFETY: the code was produced by a backend for this architecture (checked in
        // `load`) for exactly this frame layout, the frame is at least as large as the code
        // addresses, and the code only touches memory through refs the caller placed in
        // the frame and through the external functions the trace declared; a fault in it
        // comes back as an error.
        unsafe { crate::fault::enter(self.exec.addr(), self.code.code.len(), frame.as_mut_ptr()) }
    }
}

impl Runner for NativeTrace {
    fn run(
        &mut self,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
    ) -> Result<Outcome, RunError> {
        let host = HostMemory::new(memory)?;
        let (gc, objects) = start_native_gc(
            &mut self.heap,
            &self.code.objects,
            self.code.layout,
            memory,
            &host,
        )?;
        let mut frame = fill_frame(&self.code, inputs, &self.input_types, options, |a| {
            native_ref(&objects, &host, a)
        })?;
        if let Some(g) = &gc {
            crate::gcrun::fill_nursery_words(&g.heap, &g.layout, &mut frame);
        }
        let addr = self.exec.addr() as u64;
        crate::tree::sync_invalidated(
            self.exec.space(),
            &self.code,
            addr,
            &mut self.invalidated,
            options,
        )?;
        take_native_calls();
        let sites = if self.invalidated {
            Vec::new()
        } else {
            crate::tree::site_patches(&self.code, self.exec.addr() as u64).collect()
        };
        let (entry, len) = (self.exec.addr(), self.code.code.len());
        let space = self.exec.space();
        let run = || {
            crate::tree::with_running(space, sites, || {
                // SAFETY: as in `enter`: code for this architecture and frame layout
                // (checked in `load`), a frame as large as the code addresses, memory
                // reached only through the refs in the frame, the heap, and the declared
                // external functions.
                unsafe { crate::fault::enter(entry, len, frame.as_mut_ptr()) }
            })
        };
        let ((index, fired), gc) = match gc {
            Some(g) => {
                let (out, g) = crate::gcrun::with_heap(g, run);
                (out?, Some(g))
            }
            None => (run()?, None),
        };
        self.invalidated |= fired;
        let index = index.map_err(|f| match f.signal {
            libc::SIGSEGV | libc::SIGBUS => {
                RunError::Fault(format!("{f}: {}", host.describe(f.addr)))
            }
            _ => RunError::Fault(f.to_string()),
        });
        let calls = take_native_calls();
        let index = index?;
        host.copy_back(memory);
        let gc = check_native_gc(gc, index)?;
        let mut out = read_exit(&self.code, index, &frame, options, |a| host.to_virtual(a))?;
        finish_native_gc(gc, &mut self.heap, &frame, &mut out.values, memory, &host)?;
        out.call_count = calls.len() as u64;
        out.calls = calls;
        Ok(out)
    }
}

/// The heap of a native run of code allocating objects of `decls` (none without), with the
/// interpreter's objects in `memory` copied in (their buffer refs translated by `host`);
/// returns it and their addresses.
pub(crate) fn start_native_gc(
    cache: &mut Option<crate::gcrun::NativeHeap>,
    decls: &[crate::objects::ObjectDecl],
    layout: crate::frame::FrameLayout,
    memory: &Memory,
    host: &HostMemory,
) -> Result<(Option<crate::gcrun::NativeHeap>, Vec<u64>), RunError> {
    if decls.is_empty() {
        return Ok((None, Vec::new()));
    }
    let gc_err = |e: crate::gc::GcError| RunError::Gc(e.to_string());
    let config = crate::gcrun::gc_config();
    // The last run's heap, emptied, when it has this configuration; given these types if
    // it had others (a new heap would zero and, in stress mode, poison all its memory).
    let reused = cache.take().filter(|g| g.heap.config() == config.rounded());
    let mut g = match reused {
        Some(mut g) if g.decls == decls => {
            g.heap.reset(&mut g.mem).map_err(gc_err)?;
            g.layout = layout;
            g.error = None;
            g
        }
        Some(mut g) => {
            let target = crate::objects::TargetLayout::LP64;
            g.heap.retype(decls, target, &mut g.mem).map_err(gc_err)?;
            g.decls = decls.to_vec();
            g.layout = layout;
            g.error = None;
            g
        }
        None => crate::gcrun::NativeHeap::new(decls, config, layout).map_err(gc_err)?,
    };
    let objects = crate::gc::materialize_with(&mut g.heap, &mut g.mem, &g.decls, memory, &|a| {
        host.to_host(a)
    })
    .map_err(gc_err)?;
    Ok((Some(g), objects))
}

/// An input ref as native code sees it: an interpreter object's copy in the heap, or a
/// buffer's host address.
pub(crate) fn native_ref(objects: &[u64], host: &HostMemory, a: u64) -> u64 {
    match crate::memory::object_index(a).and_then(|k| objects.get(k)) {
        Some(&o) => o,
        None => host.to_host(a),
    }
}

/// After a native run that returned `index`: the collector's failure as an error, else
/// the heap back.
pub(crate) fn check_native_gc(
    gc: Option<crate::gcrun::NativeHeap>,
    index: u64,
) -> Result<Option<crate::gcrun::NativeHeap>, RunError> {
    let Some(mut g) = gc else {
        return Ok(None);
    };
    if let Some(e) = g.error.take() {
        return Err(RunError::Gc(e.to_string()));
    }
    if index == crate::emit::GC_FAILED_EXIT as u64 {
        return Err(RunError::Gc("the allocation slow path failed".into()));
    }
    Ok(Some(g))
}

/// The objects `values` reach read from the heap into `memory` (`gc::reify`, buffer refs
/// in fields turned back by `host`), the heap verified first in stress mode.
pub(crate) fn finish_native_gc(
    gc: Option<crate::gcrun::NativeHeap>,
    cache: &mut Option<crate::gcrun::NativeHeap>,
    frame: &[u64],
    values: &mut [Scalar],
    memory: &mut Memory,
    host: &HostMemory,
) -> Result<(), RunError> {
    let Some(mut g) = gc else {
        return Ok(());
    };
    let out = finish_heap(&mut g, frame, values, memory, host);
    // Kept for the next run.
    *cache = Some(g);
    out
}

fn finish_heap(
    g: &mut crate::gcrun::NativeHeap,
    frame: &[u64],
    values: &mut [Scalar],
    memory: &mut Memory,
    host: &HostMemory,
) -> Result<(), RunError> {
    let crate::gcrun::NativeHeap {
        heap,
        mem,
        decls,
        layout,
        ..
    } = g;
    crate::gcrun::read_back(heap, mem, decls, layout, frame, values, memory, &|a| {
        host.to_virtual(a)
    })
    .map_err(RunError::Gc)
}
