//! Runs ARM (A32) and AArch64 code in-process on QEMU's CPU models, through
//! unicorn-engine, so the ARM backends' code runs on every test run on this x86 machine
//! (and x86-64 code, to count its instructions the same way: [`x86`]).
//!
//! A [`Machine`] (ARM) or [`aarch64::A64Machine`] is one emulated CPU with tracejit's
//! memory map; [`EmuMachine`] is what both give the trace and tree runners ([`EmuTrace`],
//! [`EmuTree`]) and the test kit's pooled runners ([`pooled`]):
//!
//! ```text
//! 0x0001_0000  code (read + execute), up to 16 MiB
//! 0x0400_0000  the frame a compiled trace is entered with (read + write)
//! 0x0800_0000  the stack, 1 MiB, growing down from 0x0810_0000
//! 0x0f00_0000  the return address: reaching it ends a run (never mapped)
//! 0x1000_0000  the interpreter's buffers, at the interpreter's own addresses
//! 0x3000_0000  a run's GC heap, when its code allocates
//! ```
//!
//! Buffers live at the same addresses as in the interpreter, so refs need no translation.
//! A Cortex-A8 runs ARMv7-A with VFPv3 enabled (FPEXC.EN set); an ARM926 runs ARMv5TE with
//! VFP left disabled, so a stray VFP instruction traps. A budget of basic blocks turns a
//! runaway loop into an error, and every fault — an access outside mapped memory, a jump
//! to nowhere, an undefined instruction — becomes an [`EmuError`] naming the address.
//!
//! This crate is GPL-2.0 because it links unicorn; the rest of the workspace is not.

#![warn(missing_docs)]

use std::fmt;

/// Implements `CodeSpace` for a machine type with `uc` and `regions` fields: its code
/// region as a code space, where writes land in memory the CPU reads and only a flush
/// drops the translations QEMU made of the old bytes.
macro_rules! regions_code_space {
    ($machine:ty) => {
        impl jit_core::codespace::CodeSpace for $machine {
            fn allocate(&mut self, len: usize) -> Result<u64, jit_core::codespace::CodeSpaceError> {
                self.regions.allocate(len)
            }
            fn write(
                &mut self,
                addr: u64,
                bytes: &[u8],
            ) -> Result<(), jit_core::codespace::CodeSpaceError> {
                self.regions.write(addr, bytes)
            }
            fn flush(
                &mut self,
                addr: u64,
                len: usize,
            ) -> Result<(), jit_core::codespace::CodeSpaceError> {
                self.regions.flush(&mut self.uc, addr, len)
            }
            fn read(
                &self,
                addr: u64,
                len: usize,
            ) -> Result<Vec<u8>, jit_core::codespace::CodeSpaceError> {
                self.regions.read(addr, len)
            }
        }
    };
}
pub(crate) use regions_code_space;

pub mod aarch64;
pub mod arm;
pub mod pooled;
pub mod x86;

use jit_core::backend::CompiledTrace;
use jit_core::interp::{Outcome, RunOptions};
use jit_core::ir::{Scalar, Type};
use jit_core::memory::Memory;
use jit_core::runtime::{fill_frame, read_exit, RunError, Runner};
use unicorn_engine::unicorn_const::{uc_ctl, Arch, ControlType, HookType, MemType, Mode, Prot};
use unicorn_engine::{ArmCpuModel, RegisterARM, Unicorn};

/// Where code is loaded.
pub const CODE_BASE: u64 = 0x0001_0000;
/// The most code a machine holds.
pub const CODE_LIMIT: u64 = 16 << 20;
/// Where the frame is.
pub const FRAME_BASE: u64 = 0x0400_0000;
/// The most frame bytes.
pub const FRAME_LIMIT: u64 = 32 << 20;
/// The lowest stack address.
pub const STACK_BASE: u64 = 0x0800_0000;
/// Stack bytes.
pub const STACK_SIZE: u64 = 1 << 20;
/// The address code returns to; reaching it ends a run.
pub const RETURN_ADDR: u64 = 0x0f00_0000;
/// Host-call trap slots: slot `k` at `TRAP_BASE + 4 * k` holds `svc #k`.
pub const TRAP_BASE: u64 = 0x0e00_0000;
/// How many trap slots there are.
pub const TRAP_SLOTS: u32 = 1024;
/// Where an emulated machine's GC heap starts (`Machine::map_heap`): above every buffer
/// (`jit_core::memory::MEMORY_BASE` plus its limit), clear of the code, frame, stack and
/// trap regions.
pub const HEAP_BASE: u64 = 0x3000_0000;
/// The most bytes a GC heap may take.
pub const HEAP_LIMIT: u64 = 64 << 20;
const PAGE: u64 = 4096;

/// An emulated CPU model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cpu {
    /// ARMv7-A with VFPv3-D16 (the seed's BeagleBoard-xM CPU).
    CortexA8,
    /// ARMv5TE without an FPU; VFP instructions trap.
    Arm926,
}

impl Cpu {
    fn model(self) -> ArmCpuModel {
        match self {
            Cpu::CortexA8 => ArmCpuModel::CORTEX_A8,
            Cpu::Arm926 => ArmCpuModel::Model_926,
        }
    }

    /// Whether VFP is enabled on this model.
    pub fn has_vfp(self) -> bool {
        self == Cpu::CortexA8
    }
}

/// Why emulated code did not return normally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmuError {
    /// The emulator could not be set up (a mapping or register write failed).
    Setup(String),
    /// A read, write or instruction fetch outside mapped (or allowed) memory.
    BadAccess {
        /// `read`, `write` or `fetch`.
        kind: &'static str,
        /// The address accessed.
        addr: u64,
        /// The instruction that accessed it.
        pc: u64,
    },
    /// A host call through a trap slot failed (unknown function, wrong signature).
    HostCall(String),
    /// An undefined instruction (or a VFP instruction where VFP is disabled).
    BadInstruction {
        /// Its address.
        pc: u64,
    },
    /// The code returned without preserving a register the AAPCS calls callee-saved.
    CalleeSavedClobbered {
        /// The register's name.
        reg: &'static str,
    },
    /// The budget of basic blocks ran out.
    Budget {
        /// The budget, in basic blocks executed.
        blocks: u64,
        /// Where the code was.
        pc: u64,
    },
    /// The code is larger than the code region.
    CodeTooLarge(usize),
}

impl fmt::Display for EmuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmuError::Setup(e) => write!(f, "emulator setup failed: {e}"),
            EmuError::BadAccess { kind, addr, pc } => {
                write!(
                    f,
                    "{kind} of unmapped address {addr:#x} by the instruction at {pc:#x}"
                )
            }
            EmuError::BadInstruction { pc } => write!(f, "undefined instruction at {pc:#x}"),
            EmuError::HostCall(e) => write!(f, "host call failed: {e}"),
            EmuError::CalleeSavedClobbered { reg } => {
                write!(f, "the code returned with callee-saved {reg} changed")
            }
            EmuError::Budget { blocks, pc } => write!(
                f,
                "budget of {blocks} basic blocks exhausted at {pc:#x} (a runaway loop?)"
            ),
            EmuError::CodeTooLarge(n) => write!(
                f,
                "{n} bytes of code exceed the {CODE_LIMIT}-byte code region"
            ),
        }
    }
}

impl std::error::Error for EmuError {}

/// What a trap handler does with a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapAction {
    /// Return to the caller with r0–r3 and d0–d7 as the callee leaves them.
    Return(CallRegs),
    /// Continue at this address with everything untouched: a tail jump into emulated code
    /// (a GCC-built function), which returns to the caller itself.
    Jump(u64),
    /// A slow path of the collector (`jit_core::gcrun`), run on the machine's heap; the
    /// result in r0.
    Gc(GcCall),
}

/// What compiled code asks the collector for through its trap slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcCall {
    /// `tracejit_gc_alloc(frame, size, length, map)`.
    Alloc {
        /// The frame's address.
        frame: u32,
        /// Bytes.
        size: u32,
        /// An array's length.
        len: u32,
        /// The GC map's address.
        map: u32,
    },
    /// `tracejit_gc_wb(frame, object)`.
    Barrier {
        /// The object stored into.
        obj: u32,
    },
}

/// A run's heap on an emulated machine: in its memory at [`HEAP_BASE`].
pub struct EmuGc {
    pub(crate) heap: jit_core::gc::Heap,
    pub(crate) decls: Vec<jit_core::objects::ObjectDecl>,
    pub(crate) layout: jit_core::frame::FrameLayout,
    pub(crate) error: Option<jit_core::gc::GcError>,
}

/// The hook data every machine keeps for its fault and budget hooks.
pub(crate) trait HookData {
    /// The bad access that stopped the run, if one did.
    fn fault(&mut self) -> &mut Option<(&'static str, u64)>;
    /// Basic blocks the run may still enter.
    fn blocks_left(&mut self) -> &mut u64;
}

/// Installs on `uc` the hooks that turn a bad access into a recorded fault and stop a
/// run past its basic-block budget (the backstop for runaway code).
pub(crate) fn fault_and_budget_hooks<D: HookData + 'static>(
    uc: &mut Unicorn<'static, D>,
) -> Result<(), EmuError> {
    let fault = |uc: &mut Unicorn<'_, D>, t: MemType, addr: u64, _size: usize, _v: i64| {
        *uc.get_data_mut().fault() = Some((access_kind(t), addr));
        false
    };
    setup(uc.add_mem_hook(HookType::MEM_INVALID, 0, u64::MAX, fault))?;
    let blocks = |uc: &mut Unicorn<'_, D>, _addr: u64, _size: u32| {
        let left = uc.get_data_mut().blocks_left();
        if *left == 0 {
            let _ = uc.emu_stop();
        } else {
            *left -= 1;
        }
    };
    setup(uc.add_block_hook(0, u64::MAX, blocks))?;
    Ok(())
}

/// The hook data of a machine whose runs may have a heap.
pub(crate) trait GcData {
    /// The heap of the run going on.
    fn gc(&mut self) -> &mut Option<EmuGc>;
}

impl GcData for MachineData {
    fn gc(&mut self) -> &mut Option<EmuGc> {
        &mut self.gc
    }
}

/// The emulated CPU's memory as the collector sees it, inside a trap.
pub(crate) struct UcMemory<'a, 'b, D>(pub(crate) &'a mut Unicorn<'b, D>);

impl<D> jit_core::gc::HeapMemory for UcMemory<'_, '_, D> {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), jit_core::gc::GcError> {
        uc_read(self.0, addr, buf)
    }

    fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), jit_core::gc::GcError> {
        uc_write(self.0, addr, bytes)
    }
}

/// Reads emulated memory for the collector.
pub(crate) fn uc_read<D>(
    uc: &Unicorn<'_, D>,
    addr: u64,
    buf: &mut [u8],
) -> Result<(), jit_core::gc::GcError> {
    uc.mem_read(addr, buf)
        .map_err(|e| jit_core::gc::GcError::Memory(format!("{addr:#x}: {e:?}")))
}

/// Writes emulated memory for the collector.
pub(crate) fn uc_write<D>(
    uc: &mut Unicorn<'_, D>,
    addr: u64,
    bytes: &[u8],
) -> Result<(), jit_core::gc::GcError> {
    uc.mem_write(addr, bytes)
        .map_err(|e| jit_core::gc::GcError::Memory(format!("{addr:#x}: {e:?}")))
}

/// Runs a collector call from a trap on the machine's heap; the result register's value
/// for the caller.
pub(crate) fn gc_trap<D: GcData>(uc: &mut Unicorn<'_, D>, call: GcCall) -> Result<u64, String> {
    let mut gc = uc
        .get_data_mut()
        .gc()
        .take()
        .ok_or("a collector call on a machine without a heap")?;
    let r = match call {
        GcCall::Alloc {
            frame,
            size,
            len,
            map,
        } => {
            let mut m = UcMemory(uc);
            let read = |a: u64| {
                let mut b = [0u8; 4];
                jit_core::gc::HeapMemory::read(&m, a, &mut b).ok()?;
                Some(u32::from_le_bytes(b))
            };
            match jit_core::gcrun::parse_gc_map(read, map as u64) {
                None => Err(jit_core::gc::GcError::Corrupt(
                    "a GC map could not be read".into(),
                )),
                Some((tid, words)) => jit_core::gcrun::alloc_slow(
                    &mut gc.heap,
                    &mut m,
                    &gc.decls,
                    &gc.layout,
                    frame as u64,
                    size as u64,
                    len as u64,
                    tid,
                    &words,
                ),
            }
        }
        GcCall::Barrier { obj } => {
            let mut m = UcMemory(uc);
            gc.heap.write_barrier_slow(&mut m, obj as u64).map(|()| 1)
        }
    };
    let out = match r {
        Ok(p) => p,
        Err(e) => {
            gc.error.get_or_insert(e);
            0
        }
    };
    *uc.get_data_mut().gc() = Some(gc);
    Ok(out)
}

/// Makes the heap of a run (`jit_core::gcrun::gc_config`'s size, at [`HEAP_BASE`] in `mem`,
/// laid out by `target`) for code with frame layout `layout` allocating objects of
/// `decls`, with the interpreter's objects in `memory` copied in; returns it and their
/// addresses.
pub(crate) fn new_emu_gc(
    mem: &mut dyn jit_core::gc::HeapMemory,
    target: jit_core::objects::TargetLayout,
    decls: &[jit_core::objects::ObjectDecl],
    layout: jit_core::frame::FrameLayout,
    memory: &Memory,
) -> Result<(EmuGc, Vec<u64>), RunError> {
    let gc_err = |e: jit_core::gc::GcError| RunError::Gc(e.to_string());
    let config = jit_core::gcrun::gc_config();
    let mut heap =
        jit_core::gc::Heap::new(decls, target, config, HEAP_BASE, mem).map_err(gc_err)?;
    let addrs = jit_core::gc::materialize(&mut heap, mem, decls, memory).map_err(gc_err)?;
    let gc = EmuGc {
        heap,
        decls: decls.to_vec(),
        layout,
        error: None,
    };
    Ok((gc, addrs))
}

/// The collector's failure in the run that returned `index`, as an error.
pub(crate) fn emu_gc_failure(gc: Option<&mut EmuGc>, index: u64) -> Result<(), RunError> {
    let Some(gc) = gc else {
        return Ok(());
    };
    if let Some(e) = gc.error.take() {
        return Err(RunError::Gc(e.to_string()));
    }
    if index & 0xffff_ffff == jit_core::emit::GC_FAILED_EXIT as u64 {
        return Err(RunError::Gc("the allocation slow path failed".into()));
    }
    Ok(())
}

/// After a run with heap `gc`: the objects `values` reach read from `mem` into `memory`
/// (`jit_core::gc::reify`), the heap verified first in stress mode.
pub(crate) fn emu_gc_reify(
    mut gc: EmuGc,
    mem: &dyn jit_core::gc::HeapMemory,
    frame: &[u64],
    values: &mut [Scalar],
    memory: &mut Memory,
) -> Result<(), RunError> {
    jit_core::gcrun::read_back(
        &mut gc.heap,
        mem,
        &gc.decls,
        &gc.layout,
        frame,
        values,
        memory,
        &|a| a,
    )
    .map_err(RunError::Gc)
}

/// Handles a call that reached trap slot `index`: gets r0–r3, d0–d7 and the bytes at the
/// stack pointer; returns what to do, or an error that ends the run.
pub type TrapHandler = Box<dyn FnMut(u32, &CallRegs, &[u8]) -> Result<TrapAction, String>>;

/// Bytes of QEMU's translation buffer per machine.
const TCG_BUFFER_BYTES: u32 = 16 << 20;

/// Gives a fresh engine a small translation buffer ([`TCG_BUFFER_BYTES`]): when it fills,
/// QEMU starts over in pages it already has, where the default (about 1 GiB, touched
/// lazily) keeps faulting in fresh, zeroed pages for every new trace's code.
pub(crate) fn small_tcg_buffer<D>(uc: &mut Unicorn<'static, D>) -> Result<(), EmuError> {
    let size = ControlType(ControlType::TCG_BUFFER_SIZE.0 | ControlType::IO_WRITE.0);
    // SAFETY: `uc_ctl` with TCG_BUFFER_SIZE|WRITE reads exactly one u32 vararg, and the
    // handle is the live engine `uc` owns; it runs before the engine initializes.
    setup(unsafe { uc_ctl(uc.get_handle(), size, TCG_BUFFER_BYTES) }.into())
}

/// Bytes of stacked arguments a trap handler sees.
pub const TRAP_STACK_BYTES: usize = 512;

/// What hooks share with the machine.
#[derive(Default)]
pub struct MachineData {
    /// The last bad access the memory hook saw: its kind and address.
    fault: Option<(&'static str, u64)>,
    /// Handles host calls.
    trap: Option<TrapHandler>,
    /// Why a host call failed.
    trap_error: Option<String>,
    /// Basic blocks the running call may still enter.
    blocks_left: u64,
    /// Set when the block budget stopped the run.
    out_of_budget: bool,
    /// Instructions executed by the current call, when counting is on.
    executed: Executed,
    /// What a host call through one trap slot patches into the code (a tree's
    /// `@tracejit_invalidate`).
    patches: Option<TrapPatches>,
    /// The heap of the run going on, when its code allocates.
    gc: Option<EmuGc>,
}

/// Instructions an emulated call executed (with [`Machine::count_instructions`] on).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Executed {
    /// In the code region: the JIT's code.
    pub jit: u64,
    /// Anywhere else: GCC-built code (helpers, soft-float routines, callees) and traps.
    pub other: u64,
}

impl Executed {
    /// Both together.
    pub fn total(self) -> u64 {
        self.jit + self.other
    }
}

type FaultInfo = MachineData;

fn setup<T, E: fmt::Debug>(r: Result<T, E>) -> Result<T, EmuError> {
    r.map_err(|e| EmuError::Setup(format!("{e:?}")))
}

/// What a bad access was, for errors.
fn access_kind(t: MemType) -> &'static str {
    match t {
        MemType::WRITE_UNMAPPED | MemType::WRITE_PROT => "write",
        MemType::FETCH_UNMAPPED | MemType::FETCH_PROT => "fetch",
        _ => "read",
    }
}

/// The regions of tracejit's memory map that both emulated machines (ARM and x86-64) keep
/// the same way: code in host memory the CPU sees read-only (copied in from the host side,
/// which spares Unicorn the protection flip and full TLB flush a `mem_write` would cost),
/// the stack, the frame (mapped as it grows) and the buffers' pages.
struct Regions {
    code_mem: Box<[u8]>,
    /// The code handed out (bump allocation over the code region).
    code: jit_core::codespace::Bump,
    frame_mapped: u64,
    /// The buffers' pages, as mapped runs (start, bytes): one region per run of
    /// contiguous pages, since QEMU allows only a few thousand regions.
    data_runs: Vec<(u64, u64)>,
    /// Bytes mapped for a GC heap at [`HEAP_BASE`].
    heap_mapped: u64,
}

impl Regions {
    /// Maps the code region and the stack into `uc`. The returned value must outlive
    /// `uc`'s use of the code region (the owner drops it after `uc`).
    fn map<D>(uc: &mut Unicorn<'static, D>) -> Result<Regions, EmuError> {
        let mut code_mem = vec![0u8; CODE_LIMIT as usize].into_boxed_slice();
        // SAFETY: `code_mem` is a heap block of CODE_LIMIT bytes that moves with its owner
        // but never reallocates; every owner declares its engine before its `Regions`, so
        // the block is freed only after the engine that maps it.
        setup(unsafe {
            uc.mem_map_ptr(
                CODE_BASE,
                CODE_LIMIT,
                Prot::READ | Prot::EXEC,
                code_mem.as_mut_ptr().cast(),
            )
        })?;
        setup(uc.mem_map(STACK_BASE, STACK_SIZE, Prot::READ | Prot::WRITE))?;
        Ok(Regions {
            code_mem,
            code: jit_core::codespace::Bump {
                base: CODE_BASE,
                capacity: CODE_LIMIT as usize,
                top: 0,
            },
            frame_mapped: 0,
            data_runs: Vec::new(),
            heap_mapped: 0,
        })
    }

    /// Maps at least `bytes` (at most [`HEAP_LIMIT`]) of memory for a GC heap at
    /// [`HEAP_BASE`]: once, a larger heap mapping the rest.
    fn map_heap<D>(&mut self, uc: &mut Unicorn<'static, D>, bytes: u64) -> Result<(), EmuError> {
        if bytes > HEAP_LIMIT {
            return Err(EmuError::Setup(format!(
                "a GC heap of {bytes} bytes is larger than {HEAP_LIMIT}"
            )));
        }
        let len = bytes.next_multiple_of(PAGE);
        if len > self.heap_mapped {
            let more = len - self.heap_mapped;
            setup(uc.mem_map(HEAP_BASE + self.heap_mapped, more, Prot::READ | Prot::WRITE))?;
            self.heap_mapped = len;
        }
        Ok(())
    }

    fn load_code<D>(&mut self, uc: &mut Unicorn<'static, D>, code: &[u8]) -> Result<(), EmuError> {
        if code.len() as u64 > CODE_LIMIT {
            return Err(EmuError::CodeTooLarge(code.len()));
        }
        // A reused machine must not run what an earlier, longer trace left behind.
        let old = self.code.top;
        self.code_mem[..old].fill(0);
        self.code.top = 0;
        let space = |e: jit_core::codespace::CodeSpaceError| EmuError::Setup(e.to_string());
        let addr = self.allocate(code.len().max(4)).map_err(space)?;
        self.write(addr, code).map_err(space)?;
        self.flush(uc, CODE_BASE, old.max(code.len()).max(4))
            .map_err(space)
    }

    fn allocate(&mut self, len: usize) -> Result<u64, jit_core::codespace::CodeSpaceError> {
        Ok(CODE_BASE + self.code.allocate(len)? as u64)
    }

    /// Copies into the code region from the host side; the CPU's translations of these
    /// bytes stay until [`Regions::flush`].
    fn write(
        &mut self,
        addr: u64,
        bytes: &[u8],
    ) -> Result<(), jit_core::codespace::CodeSpaceError> {
        let off = self.code.offset(addr, bytes.len())?;
        self.code_mem[off..off + bytes.len()].copy_from_slice(bytes);
        Ok(())
    }

    /// Drops the translated blocks of `addr..addr + len` (the emulator's instruction cache);
    /// `addr` need not be handed out yet (a reload flushes what the previous code covered).
    fn flush<D>(
        &mut self,
        uc: &mut Unicorn<'static, D>,
        addr: u64,
        len: usize,
    ) -> Result<(), jit_core::codespace::CodeSpaceError> {
        let end = addr.saturating_add(len as u64);
        if addr < CODE_BASE || end > CODE_BASE + CODE_LIMIT {
            return Err(jit_core::codespace::CodeSpaceError::OutOfBounds { addr, len });
        }
        uc.ctl_remove_cache(addr, end.max(addr + 1))
            .map_err(|e| jit_core::codespace::CodeSpaceError::Map(format!("{e:?}")))
    }

    fn read(&self, addr: u64, len: usize) -> Result<Vec<u8>, jit_core::codespace::CodeSpaceError> {
        let off = self.code.offset(addr, len)?;
        Ok(self.code_mem[off..off + len].to_vec())
    }

    fn write_frame<D>(
        &mut self,
        uc: &mut Unicorn<'static, D>,
        words: &[u64],
    ) -> Result<(), EmuError> {
        let bytes = (words.len() as u64 * 8).max(8).next_multiple_of(PAGE);
        if bytes > FRAME_LIMIT {
            return Err(EmuError::Setup(format!(
                "a frame of {} words is too large",
                words.len()
            )));
        }
        if bytes > self.frame_mapped {
            setup(uc.mem_map(
                FRAME_BASE + self.frame_mapped,
                bytes - self.frame_mapped,
                Prot::READ | Prot::WRITE,
            ))?;
            self.frame_mapped = bytes;
        }
        let raw: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        setup(uc.mem_write(FRAME_BASE, &raw))
    }

    fn write_memory<D>(
        &mut self,
        uc: &mut Unicorn<'static, D>,
        memory: &Memory,
    ) -> Result<(), EmuError> {
        // The pages the buffers touch, merged into runs (buffers lie in address order).
        let mut want: Vec<(u64, u64)> = Vec::new();
        for b in memory.buffers() {
            let start = b.addr / PAGE * PAGE;
            let end = (b.addr + b.bytes.len() as u64)
                .next_multiple_of(PAGE)
                .max(start + PAGE);
            match want.last_mut() {
                Some((s, len)) if *s + *len >= start => *len = (*len).max(end - *s),
                _ => want.push((start, end - start)),
            }
        }
        if want != self.data_runs {
            for &(p, len) in &self.data_runs {
                setup(uc.mem_unmap(p, len))?;
            }
            self.data_runs.clear();
            for &(p, len) in &want {
                setup(uc.mem_map(p, len, Prot::READ | Prot::WRITE))?;
                self.data_runs.push((p, len));
            }
        } else {
            // The same runs as the last trace's: clear what it left behind.
            let zeros = [0u8; 64 * PAGE as usize];
            for &(p, len) in &want {
                let mut at = 0;
                while at < len {
                    let n = (len - at).min(zeros.len() as u64);
                    setup(uc.mem_write(p + at, &zeros[..n as usize]))?;
                    at += n;
                }
            }
        }
        for b in memory.buffers() {
            setup(uc.mem_write(b.addr, &b.bytes))?;
        }
        Ok(())
    }
}

fn read_frame<D>(uc: &Unicorn<'static, D>, n: usize) -> Result<Vec<u64>, EmuError> {
    let raw = setup(uc.mem_read_as_vec(FRAME_BASE, n * 8))?;
    Ok(raw
        .chunks(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

fn read_memory<D>(uc: &Unicorn<'static, D>, memory: &mut Memory) -> Result<(), EmuError> {
    let spans: Vec<(u64, usize)> = memory
        .buffers()
        .iter()
        .map(|b| (b.addr, b.bytes.len()))
        .collect();
    for (addr, len) in spans {
        if let Some(dst) = memory.contents_mut(addr) {
            // Straight into the buffer: no copy of its size on the side.
            setup(uc.mem_read(addr, &mut dst[..len]))?;
        }
    }
    Ok(())
}

/// One emulated CPU with tracejit's memory map.
pub struct Machine {
    uc: Unicorn<'static, FaultInfo>,
    /// Code, frame and buffers (dropped after `uc`, which maps the code's host memory).
    regions: Regions,
    cpu: Cpu,
    /// Whether the instruction-counting hook is installed.
    counting: bool,
    /// ELF images loaded so far, by a hash of their bytes, with their symbols.
    elves: Vec<(u64, std::collections::HashMap<String, u64>)>,
}

impl Machine {
    /// A fresh machine of model `cpu`.
    pub fn new(cpu: Cpu) -> Result<Machine, EmuError> {
        let mut uc = setup(Unicorn::new_with_data(
            Arch::ARM,
            Mode::ARM,
            MachineData::default(),
        ))?;
        setup(uc.ctl_set_cpu_model(cpu.model() as i32))?;
        small_tcg_buffer(&mut uc)?;
        let regions = Regions::map(&mut uc)?;
        if cpu.has_vfp() {
            setup(uc.reg_write(RegisterARM::FPEXC, 1 << 30))?;
        }
        let hook =
            |uc: &mut Unicorn<'_, FaultInfo>, t: MemType, addr: u64, _size: usize, _v: i64| {
                uc.get_data_mut().fault = Some((access_kind(t), addr));
                false
            };
        setup(uc.add_mem_hook(HookType::MEM_INVALID, 0, u64::MAX, hook))?;
        // The budget counts basic blocks: a hook per block costs far less than Unicorn's
        // own instruction count, which instruments every instruction.
        let count = |uc: &mut Unicorn<'_, FaultInfo>, _addr: u64, _size: u32| {
            let data = uc.get_data_mut();
            if data.blocks_left == 0 {
                data.out_of_budget = true;
                let _ = uc.emu_stop();
            } else {
                data.blocks_left -= 1;
            }
        };
        setup(uc.add_block_hook(0, u64::MAX, count))?;
        // The trap page: slot k is `svc #k`.
        let trap_bytes = (TRAP_SLOTS as u64 * 4).next_multiple_of(PAGE);
        setup(uc.mem_map(TRAP_BASE, trap_bytes, Prot::READ | Prot::EXEC))?;
        let slots: Vec<u8> = (0..TRAP_SLOTS)
            .flat_map(|k| (0xef00_0000u32 | k).to_le_bytes())
            .collect();
        setup(uc.mem_write(TRAP_BASE, &slots))?;
        setup(uc.add_intr_hook(trap_hook))?;
        Ok(Machine {
            uc,
            regions,
            cpu,
            counting: false,
            elves: Vec::new(),
        })
    }

    /// Maps at least `bytes` (at most [`HEAP_LIMIT`]) of memory for a GC heap at
    /// [`HEAP_BASE`]; the collector (`jit_core::gc::Heap`) works on it through this
    /// machine's `HeapMemory`.
    pub fn map_heap(&mut self, bytes: u64) -> Result<(), EmuError> {
        self.regions.map_heap(&mut self.uc, bytes)
    }

    /// The CPU model.
    pub fn cpu(&self) -> Cpu {
        self.cpu
    }

    /// The address of trap slot `k`: calling it runs the trap handler with index `k`.
    pub fn trap_address(k: u32) -> u64 {
        TRAP_BASE + 4 * k as u64
    }

    /// Sets what handles calls into the trap slots.
    pub fn set_trap_handler(&mut self, handler: TrapHandler) {
        self.uc.get_data_mut().trap = Some(handler);
    }

    /// For the next call: a host call through trap slot `slot` (if any) writes `patches`
    /// (addresses in the code region and their bytes) into the code, once, and drops their
    /// translations.
    pub fn patch_on_trap(&mut self, slot: Option<u32>, patches: Vec<(u64, Vec<u8>)>) {
        self.uc.get_data_mut().patches = slot.map(|slot| TrapPatches {
            slot,
            patches,
            fired: false,
        });
    }

    /// Whether the last call wrote the patches [`Machine::patch_on_trap`] set.
    pub fn patched_on_trap(&mut self) -> bool {
        self.uc
            .get_data_mut()
            .patches
            .take()
            .is_some_and(|p| p.fired)
    }

    /// Puts `code` at [`CODE_BASE`], dropping any translation of what was there before
    /// (and everything else the code space held).
    pub fn load_code(&mut self, code: &[u8]) -> Result<(), EmuError> {
        self.regions.load_code(&mut self.uc, code)
    }

    /// Writes the frame (64-bit words, little-endian) at [`FRAME_BASE`].
    pub fn write_frame(&mut self, words: &[u64]) -> Result<(), EmuError> {
        self.regions.write_frame(&mut self.uc, words)
    }

    /// Reads `n` frame words back.
    pub fn read_frame(&self, n: usize) -> Result<Vec<u64>, EmuError> {
        read_frame(&self.uc, n)
    }

    /// Maps and fills the pages of every buffer of `memory` at its own address; pages of
    /// earlier runs that no buffer uses now are unmapped.
    pub fn write_memory(&mut self, memory: &Memory) -> Result<(), EmuError> {
        self.regions.write_memory(&mut self.uc, memory)
    }

    /// Copies every buffer of `memory` back from the machine.
    pub fn read_memory(&self, memory: &mut Memory) -> Result<(), EmuError> {
        read_memory(&self.uc, memory)
    }

    /// Clears what the hooks report and arms the block budget for one call.
    fn start_budget(&mut self, budget: u64) {
        let data = self.uc.get_data_mut();
        data.fault = None;
        data.trap_error = None;
        data.blocks_left = budget;
        data.out_of_budget = false;
        data.executed = Executed::default();
    }

    /// Counts every instruction from now on (a hook per instruction: for measuring, not
    /// for speed); [`Machine::executed`] reads the count of the last call.
    pub fn count_instructions(&mut self) -> Result<(), EmuError> {
        if self.counting {
            return Ok(());
        }
        count_hook(&mut self.uc, |d| &mut d.executed)?;
        self.counting = true;
        Ok(())
    }

    /// Instructions the last call executed (zero unless counting is on).
    pub fn executed(&self) -> Executed {
        self.uc.get_data().executed
    }

    /// Runs the code at `CODE_BASE + entry` with `r0` set, the stack pointer at the top of
    /// the stack and the link register at [`RETURN_ADDR`], for at most `budget`
    /// basic blocks. Returns `r0` when the code returns.
    pub fn call(&mut self, entry: u64, r0: u32, budget: u64) -> Result<u32, EmuError> {
        setup(self.uc.reg_write(RegisterARM::R0, r0 as u64))?;
        setup(self.uc.reg_write(RegisterARM::SP, STACK_BASE + STACK_SIZE))?;
        setup(self.uc.reg_write(RegisterARM::LR, RETURN_ADDR))?;
        // Callee-saved registers get distinct values the code must hand back.
        let vfp = self.cpu.has_vfp();
        for (k, &(reg, _)) in CALLEE_SAVED.iter().enumerate() {
            if vfp || !is_vfp(reg) {
                setup(self.uc.reg_write(reg, callee_saved_pattern(k)))?;
            }
        }
        self.start_budget(budget);
        let r = self.uc.emu_start(CODE_BASE + entry, RETURN_ADDR, 0, 0);
        if let Some(e) = self.uc.get_data_mut().trap_error.take() {
            return Err(EmuError::HostCall(e));
        }
        let pc = self.uc.pc_read().unwrap_or(0);
        match r {
            Ok(()) if pc == RETURN_ADDR => {
                for (k, &(reg, name)) in CALLEE_SAVED.iter().enumerate() {
                    if (vfp || !is_vfp(reg))
                        && setup(self.uc.reg_read(reg))? != callee_saved_pattern(k)
                    {
                        return Err(EmuError::CalleeSavedClobbered { reg: name });
                    }
                }
                Ok(setup(self.uc.reg_read(RegisterARM::R0))? as u32)
            }
            Ok(()) => Err(EmuError::Budget { blocks: budget, pc }),
            Err(e) => Err(match self.uc.get_data().fault {
                Some((kind, addr)) => EmuError::BadAccess { kind, addr, pc },
                None if format!("{e:?}").contains("INSN_INVALID") => {
                    EmuError::BadInstruction { pc }
                }
                None => EmuError::Setup(format!("{e:?} at {pc:#x}")),
            }),
        }
    }
}

regions_code_space!(Machine);

/// What [`EmuTrace`] and [`EmuTree`] need of an emulated machine: a code space, trap slots
/// (one of which may patch the code in the middle of a run), tracejit's memory map, a GC
/// heap, and a call of compiled code with the frame.
pub trait EmuMachine: jit_core::codespace::CodeSpace + jit_core::gc::HeapMemory {
    /// Puts `code` at [`CODE_BASE`], dropping whatever the code space held.
    fn load_code(&mut self, code: &[u8]) -> Result<(), EmuError>;
    /// The address of trap slot `k`: calling it runs the host call for `k`.
    fn trap_slot(&self, k: u32) -> u64;
    /// For the next call: a host call through trap slot `slot` (if any) writes `patches`
    /// into the code, once, and drops their translations.
    fn patch_on_trap(&mut self, slot: Option<u32>, patches: Vec<(u64, Vec<u8>)>);
    /// Whether the last call wrote the patches [`EmuMachine::patch_on_trap`] set.
    fn patched_on_trap(&mut self) -> bool;
    /// Maps and fills the pages of every buffer of `memory` at its own address.
    fn write_memory(&mut self, memory: &Memory) -> Result<(), EmuError>;
    /// Copies every buffer of `memory` back from the machine.
    fn read_memory(&self, memory: &mut Memory) -> Result<(), EmuError>;
    /// Writes the frame (64-bit words) at [`FRAME_BASE`].
    fn write_frame(&mut self, words: &[u64]) -> Result<(), EmuError>;
    /// Reads `n` frame words back.
    fn read_frame(&self, n: usize) -> Result<Vec<u64>, EmuError>;
    /// Maps at least `bytes` of zeroed memory for a GC heap at [`HEAP_BASE`].
    fn map_heap(&mut self, bytes: u64) -> Result<(), EmuError>;
    /// How objects are laid out on this machine.
    fn object_layout(&self) -> jit_core::objects::TargetLayout;
    /// The heap of the run going on (the trap hook's).
    fn gc(&mut self) -> &mut Option<EmuGc>;
    /// Calls the code at `CODE_BASE + entry` with the frame's address as its argument, for
    /// at most `budget` basic blocks; returns what it returns (the exit index).
    fn call_code(&mut self, entry: u64, budget: u64) -> Result<u64, EmuError>;
    /// Instructions the last call executed (zero unless counting is on).
    fn executed(&self) -> Executed;

    /// Makes the heap of a run of code laid out by `layout` allocating objects of `decls`
    /// (`jit_core::gcrun::gc_config`'s size), with the interpreter's objects in `memory`
    /// copied in; returns their addresses. No heap when `decls` is empty.
    fn start_gc(
        &mut self,
        decls: &[jit_core::objects::ObjectDecl],
        layout: jit_core::frame::FrameLayout,
        memory: &Memory,
    ) -> Result<Vec<u64>, RunError>
    where
        Self: Sized,
    {
        *self.gc() = None;
        if decls.is_empty() {
            return Ok(Vec::new());
        }
        let config = jit_core::gcrun::gc_config();
        self.map_heap(config.total_bytes())
            .map_err(|e| RunError::Gc(e.to_string()))?;
        let target = self.object_layout();
        let (gc, addrs) = new_emu_gc(self, target, decls, layout, memory)?;
        *self.gc() = Some(gc);
        Ok(addrs)
    }

    /// The collector's failure in the run that returned `index`, as an error.
    fn gc_failure(&mut self, index: u64) -> Result<(), RunError> {
        emu_gc_failure(self.gc().as_mut(), index)
    }

    /// After a run: the objects `values` reach read from the heap into `memory`.
    fn gc_reify(
        &mut self,
        frame: &[u64],
        values: &mut [Scalar],
        memory: &mut Memory,
    ) -> Result<(), RunError>
    where
        Self: Sized,
    {
        match self.gc().take() {
            Some(gc) => emu_gc_reify(gc, self, frame, values, memory),
            None => Ok(()),
        }
    }
}

impl EmuMachine for Machine {
    fn load_code(&mut self, code: &[u8]) -> Result<(), EmuError> {
        Machine::load_code(self, code)
    }
    fn trap_slot(&self, k: u32) -> u64 {
        Machine::trap_address(k)
    }
    fn patch_on_trap(&mut self, slot: Option<u32>, patches: Vec<(u64, Vec<u8>)>) {
        Machine::patch_on_trap(self, slot, patches)
    }
    fn patched_on_trap(&mut self) -> bool {
        Machine::patched_on_trap(self)
    }
    fn write_memory(&mut self, memory: &Memory) -> Result<(), EmuError> {
        Machine::write_memory(self, memory)
    }
    fn read_memory(&self, memory: &mut Memory) -> Result<(), EmuError> {
        Machine::read_memory(self, memory)
    }
    fn write_frame(&mut self, words: &[u64]) -> Result<(), EmuError> {
        Machine::write_frame(self, words)
    }
    fn read_frame(&self, n: usize) -> Result<Vec<u64>, EmuError> {
        Machine::read_frame(self, n)
    }
    fn map_heap(&mut self, bytes: u64) -> Result<(), EmuError> {
        Machine::map_heap(self, bytes)
    }
    fn object_layout(&self) -> jit_core::objects::TargetLayout {
        jit_core::objects::TargetLayout::AAPCS32
    }
    fn gc(&mut self) -> &mut Option<EmuGc> {
        &mut self.uc.get_data_mut().gc
    }
    fn call_code(&mut self, entry: u64, budget: u64) -> Result<u64, EmuError> {
        self.call(entry, FRAME_BASE as u32, budget).map(u64::from)
    }
    fn executed(&self) -> Executed {
        Machine::executed(self)
    }
}

/// The registers the AAPCS says a function preserves (sp aside), checked after every
/// [`Machine::call`].
const CALLEE_SAVED: [(RegisterARM, &str); 16] = {
    use RegisterARM::*;
    [
        (R4, "r4"),
        (R5, "r5"),
        (R6, "r6"),
        (R7, "r7"),
        (R8, "r8"),
        (R9, "r9"),
        (R10, "r10"),
        (R11, "r11"),
        (D8, "d8"),
        (D9, "d9"),
        (D10, "d10"),
        (D11, "d11"),
        (D12, "d12"),
        (D13, "d13"),
        (D14, "d14"),
        (D15, "d15"),
    ]
};

fn is_vfp(reg: RegisterARM) -> bool {
    (RegisterARM::D0 as i32..=RegisterARM::D31 as i32).contains(&(reg as i32))
}

/// A value unlikely to be produced by chance for callee-saved register `k`.
fn callee_saved_pattern(k: usize) -> u64 {
    let w = 0x5a5a_0000 | k as u64;
    if k >= 8 {
        w << 32 | w
    } else {
        w
    }
}

/// Writes the patches a host call through trap slot `index` is due to write (once), and
/// drops their translations; `patches` finds them in the hook data.
pub(crate) fn fire_patches<D>(
    uc: &mut Unicorn<'_, D>,
    patches: fn(&mut D) -> &mut Option<TrapPatches>,
    index: u32,
) -> Result<(), String> {
    let due = match patches(uc.get_data_mut()) {
        Some(p) if p.slot == index && !p.fired => {
            p.fired = true;
            std::mem::take(&mut p.patches)
        }
        _ => Vec::new(),
    };
    for (addr, bytes) in due {
        // The code region is mapped read-execute for the CPU; the host writes it, and the
        // translations of the patched words are dropped before the code goes on.
        let end = addr + bytes.len() as u64;
        uc.mem_write(addr, &bytes)
            .and_then(|()| uc.ctl_remove_cache(addr, end))
            .map_err(|e| format!("patching {addr:#x} in a host call: {e:?}"))?;
    }
    Ok(())
}

/// Maps the PT_LOAD segments of a static little-endian ELF64 image (x86-64 or AArch64) into
/// `uc` at their addresses and returns its symbols.
pub(crate) fn map_elf64<D>(
    uc: &mut Unicorn<'static, D>,
    elf: &[u8],
) -> Result<std::collections::HashMap<String, u64>, EmuError> {
    let bad = |what: &str| EmuError::Setup(format!("not a usable ELF64: {what}"));
    let le = |at: usize, n: usize| -> Result<u64, EmuError> {
        let b = elf.get(at..at + n).ok_or_else(|| bad("truncated"))?;
        let mut w = [0u8; 8];
        w[..n].copy_from_slice(b);
        Ok(u64::from_le_bytes(w))
    };
    if elf.get(0..6) != Some(b"\x7fELF\x02\x01") {
        return Err(bad("not ELF64 little-endian"));
    }
    let (phoff, shoff) = (le(0x20, 8)? as usize, le(0x28, 8)? as usize);
    let (phnum, shnum) = (le(0x38, 2)? as usize, le(0x3c, 2)? as usize);
    for k in 0..phnum {
        let ph = phoff + 56 * k;
        if le(ph, 4)? != 1 {
            continue;
        }
        let (off, vaddr) = (le(ph + 8, 8)?, le(ph + 16, 8)?);
        let (filesz, memsz) = (le(ph + 32, 8)?, le(ph + 40, 8)?);
        let start = vaddr / PAGE * PAGE;
        let end = (vaddr + memsz).next_multiple_of(PAGE);
        setup(uc.mem_map(start, end - start, Prot::ALL))?;
        if filesz == 0 {
            // Only zeroes (.bss): its file offset may lie past the file's end.
            continue;
        }
        let bytes = elf
            .get(off as usize..(off + filesz) as usize)
            .ok_or_else(|| bad("segment"))?;
        setup(uc.mem_write(vaddr, bytes))?;
    }
    let mut symbols = std::collections::HashMap::new();
    for k in 0..shnum {
        let sh = shoff + 64 * k;
        if le(sh + 4, 4)? != 2 {
            continue; // SHT_SYMTAB only.
        }
        let (off, size, link) = (
            le(sh + 24, 8)? as usize,
            le(sh + 32, 8)? as usize,
            le(sh + 40, 4)? as usize,
        );
        let strtab = le(shoff + 64 * link + 24, 8)? as usize;
        for s in (off..off + size).step_by(24) {
            let at = strtab + le(s, 4)? as usize;
            let len = elf
                .get(at..)
                .and_then(|t| t.iter().position(|&c| c == 0))
                .unwrap_or(0);
            let name = String::from_utf8_lossy(&elf[at..at + len]).into_owned();
            if !name.is_empty() {
                symbols.insert(name, le(s + 8, 8)?);
            }
        }
    }
    Ok(symbols)
}

/// Installs a hook counting every instruction into the `Executed` that `executed` finds in
/// the hook data (the JIT's code region apart from the rest), and drops the translations
/// made before it, which would not call it.
pub(crate) fn count_hook<D: 'static>(
    uc: &mut Unicorn<'static, D>,
    executed: fn(&mut D) -> &mut Executed,
) -> Result<(), EmuError> {
    let hook = move |uc: &mut Unicorn<'_, D>, addr: u64, _size: u32| {
        let e = executed(uc.get_data_mut());
        if (CODE_BASE..CODE_BASE + CODE_LIMIT).contains(&addr) {
            e.jit += 1;
        } else {
            e.other += 1;
        }
    };
    setup(uc.add_code_hook(0, u64::MAX, hook))?;
    setup(uc.ctl_flush_tb())
}

/// Code patched when a host call goes through trap slot `slot`: how `@tracejit_invalidate`
/// patches the running tree's invalidation sites in the middle of a run.
#[derive(Clone, Debug, Default)]
pub(crate) struct TrapPatches {
    /// The trap slot.
    slot: u32,
    /// Addresses and bytes.
    patches: Vec<(u64, Vec<u8>)>,
    /// Whether they were written.
    fired: bool,
}

/// Registers passed to and read back from a call into emulated code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallRegs {
    /// r0–r3.
    pub r: [u32; 4],
    /// d0–d7 (as bits).
    pub d: [u64; 8],
}

/// A value left in a register a callee may clobber: an allocation bug that relies on one
/// surviving a call shows up at once.
const CLOBBER: u64 = 0xdead_beef_dead_beef;

/// The interrupt hook: an `svc #k` in the trap page calls the handler, writes its results,
/// clobbers every other caller-saved register and the flags, and returns to the caller.
fn trap_hook(uc: &mut Unicorn<'_, MachineData>, intno: u32) {
    use RegisterARM::*;
    let fail = |uc: &mut Unicorn<'_, MachineData>, e: String| {
        uc.get_data_mut().trap_error = Some(e);
        let _ = uc.emu_stop();
    };
    let pc = uc.pc_read().unwrap_or(0);
    // The hook runs after the svc: its address is 4 back (or the pc itself, by model).
    let at = [pc.wrapping_sub(4), pc]
        .into_iter()
        .find(|a| (TRAP_BASE..TRAP_BASE + TRAP_SLOTS as u64 * 4).contains(a));
    let (Some(at), 2) = (at, intno) else {
        return fail(uc, format!("unexpected interrupt {intno} at {pc:#x}"));
    };
    let index = ((at - TRAP_BASE) / 4) as u32;
    let mut regs = CallRegs::default();
    for (k, reg) in [R0, R1, R2, R3].into_iter().enumerate() {
        regs.r[k] = uc.reg_read(reg).unwrap_or(0) as u32;
    }
    for (k, reg) in [D0, D1, D2, D3, D4, D5, D6, D7].into_iter().enumerate() {
        regs.d[k] = uc.reg_read(reg).unwrap_or(0);
    }
    let sp = uc.reg_read(SP).unwrap_or(0);
    // AAPCS: sp is 8-byte aligned at every public interface.
    if !sp.is_multiple_of(8) {
        return fail(
            uc,
            format!("a call through trap slot {index} with sp = {sp:#x}: not 8-byte aligned"),
        );
    }
    let avail = (STACK_BASE + STACK_SIZE)
        .saturating_sub(sp)
        .min(TRAP_STACK_BYTES as u64) as usize;
    let stack = uc.mem_read_as_vec(sp, avail).unwrap_or_default();
    let Some(mut handler) = uc.get_data_mut().trap.take() else {
        return fail(
            uc,
            format!("a call reached trap slot {index}, but no handler is set"),
        );
    };
    let out = handler(index, &regs, &stack);
    uc.get_data_mut().trap = Some(handler);
    if let Err(e) = fire_patches(uc, |d| &mut d.patches, index) {
        return fail(uc, e);
    }
    let out = match out {
        Ok(TrapAction::Gc(call)) => gc_trap(uc, call).map(|r0| {
            TrapAction::Return(CallRegs {
                r: [r0 as u32, 0xdead_0001, 0xdead_0002, 0xdead_0003],
                d: [0x7ff4_dead_beef_0000; 8],
            })
        }),
        other => other,
    };
    match out {
        Ok(TrapAction::Gc(_)) => fail(uc, "a collector call returned a collector call".into()),
        Ok(TrapAction::Jump(addr)) => {
            let _ = uc.set_pc(addr);
        }
        Ok(TrapAction::Return(out)) => {
            for (k, reg) in [R0, R1, R2, R3].into_iter().enumerate() {
                let _ = uc.reg_write(reg, out.r[k] as u64);
            }
            for (k, reg) in [D0, D1, D2, D3, D4, D5, D6, D7].into_iter().enumerate() {
                let _ = uc.reg_write(reg, out.d[k]);
            }
            let lr = uc.reg_read(LR).unwrap_or(0);
            let _ = uc.reg_write(R12, CLOBBER);
            let cpsr = uc.reg_read(CPSR).unwrap_or(0);
            let _ = uc.reg_write(CPSR, cpsr ^ 0xf000_0000);
            let _ = uc.reg_write(LR, CLOBBER);
            let _ = uc.set_pc(lr);
        }
        Err(e) => fail(uc, e),
    }
}

/// Reads a little-endian integer of `N` bytes at `at`, if the bytes are there.
fn le<const N: usize>(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at + N)?;
    let mut w = [0u8; 8];
    w[..N].copy_from_slice(s);
    Some(u64::from_le_bytes(w))
}

impl Machine {
    /// Loads a static 32-bit little-endian ARM ELF (such as a GCC-built fixture linked
    /// away from the code region) and returns its symbols by name.
    pub fn load_elf(
        &mut self,
        elf: &[u8],
    ) -> Result<std::collections::HashMap<String, u64>, EmuError> {
        // A machine reused for another trace keeps the images it already has. The key is
        // a fast multiply-xor hash of the bytes and their length (SipHash over the image on
        // every load cost more than running a short trace).
        let key = elf.chunks(8).fold(elf.len() as u64, |h, c| {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            (h ^ u64::from_le_bytes(w))
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(29)
        });
        if let Some((_, symbols)) = self.elves.iter().find(|(k, _)| *k == key) {
            return Ok(symbols.clone());
        }
        let symbols = self.map_elf(elf)?;
        self.elves.push((key, symbols.clone()));
        Ok(symbols)
    }

    fn map_elf(&mut self, elf: &[u8]) -> Result<std::collections::HashMap<String, u64>, EmuError> {
        let bad = |what: &str| EmuError::Setup(format!("not a usable ELF: {what}"));
        if elf.get(0..4) != Some(b"\x7fELF") || elf.get(4) != Some(&1) || elf.get(5) != Some(&1) {
            return Err(bad("not ELF32 little-endian"));
        }
        let phoff = le::<4>(elf, 0x1c).ok_or_else(|| bad("header"))? as usize;
        let shoff = le::<4>(elf, 0x20).ok_or_else(|| bad("header"))? as usize;
        let phnum = le::<2>(elf, 0x2c).ok_or_else(|| bad("header"))? as usize;
        let shnum = le::<2>(elf, 0x30).ok_or_else(|| bad("header"))? as usize;
        for k in 0..phnum {
            let ph = phoff + 32 * k;
            if le::<4>(elf, ph) != Some(1) {
                continue; // Only PT_LOAD segments take memory.
            }
            let field = |o: usize| le::<4>(elf, ph + o).ok_or_else(|| bad("program header"));
            let (off, vaddr, filesz, memsz) = (field(4)?, field(8)?, field(16)?, field(20)?);
            let start = vaddr / PAGE * PAGE;
            let end = (vaddr + memsz).next_multiple_of(PAGE);
            setup(self.uc.mem_map(start, end - start, Prot::ALL))?;
            let bytes = elf
                .get(off as usize..(off + filesz) as usize)
                .ok_or_else(|| bad("segment"))?;
            setup(self.uc.mem_write(vaddr, bytes))?;
            setup(self.uc.ctl_remove_cache(start, end))?;
        }
        let mut symbols = std::collections::HashMap::new();
        for k in 0..shnum {
            let sh = shoff + 40 * k;
            if le::<4>(elf, sh + 4) != Some(2) {
                continue; // SHT_SYMTAB only.
            }
            let field =
                |base: usize, o: usize| le::<4>(elf, base + o).ok_or_else(|| bad("section header"));
            let (off, size, link) = (
                field(sh, 16)? as usize,
                field(sh, 20)? as usize,
                field(sh, 24)? as usize,
            );
            let strtab = field(shoff + 40 * link, 16)? as usize;
            for s in (off..off + size).step_by(16) {
                let name_at = strtab + field(s, 0)? as usize;
                let end = elf
                    .get(name_at..)
                    .and_then(|t| t.iter().position(|&c| c == 0))
                    .unwrap_or(0);
                let name = String::from_utf8_lossy(&elf[name_at..name_at + end]).into_owned();
                if !name.is_empty() {
                    symbols.insert(name, field(s, 4)?);
                }
            }
        }
        Ok(symbols)
    }

    /// Calls ARM code at `addr` (anywhere mapped) with r0–r3 and d0–d7 from `regs` and
    /// `stack` as the bytes at the stack pointer (the stacked arguments), for at most
    /// `budget` basic blocks; returns r0–r3 and d0–d7 afterwards.
    pub fn call_at(
        &mut self,
        addr: u64,
        regs: &CallRegs,
        stack: &[u8],
        budget: u64,
    ) -> Result<CallRegs, EmuError> {
        use RegisterARM::*;
        let sp = (STACK_BASE + STACK_SIZE - stack.len() as u64 - 64) / 8 * 8;
        setup(self.uc.mem_write(sp, stack))?;
        for (reg, v) in [R0, R1, R2, R3].into_iter().zip(regs.r) {
            setup(self.uc.reg_write(reg, v as u64))?;
        }
        for (reg, v) in [D0, D1, D2, D3, D4, D5, D6, D7].into_iter().zip(regs.d) {
            setup(self.uc.reg_write(reg, v))?;
        }
        setup(self.uc.reg_write(SP, sp))?;
        setup(self.uc.reg_write(LR, RETURN_ADDR))?;
        self.start_budget(budget);
        let r = self.uc.emu_start(addr, RETURN_ADDR, 0, 0);
        if let Some(e) = self.uc.get_data_mut().trap_error.take() {
            return Err(EmuError::HostCall(e));
        }
        let pc = self.uc.pc_read().unwrap_or(0);
        match r {
            Ok(()) if pc == RETURN_ADDR => {}
            Ok(()) => return Err(EmuError::Budget { blocks: budget, pc }),
            Err(e) => {
                return Err(match self.uc.get_data().fault {
                    Some((kind, addr)) => EmuError::BadAccess { kind, addr, pc },
                    None => EmuError::Setup(format!("{e:?} at {pc:#x}")),
                })
            }
        }
        let mut out = CallRegs::default();
        for (k, reg) in [R0, R1, R2, R3].into_iter().enumerate() {
            out.r[k] = setup(self.uc.reg_read(reg))? as u32;
        }
        for (k, reg) in [D0, D1, D2, D3, D4, D5, D6, D7].into_iter().enumerate() {
            out.d[k] = setup(self.uc.reg_read(reg))?;
        }
        Ok(out)
    }
}

/// Emulated basic blocks allowed per interpreter step: a run's block budget is the step
/// budget times this. Compiled loops count their own iterations against the step budget;
/// this is the backstop for code that runs away some other way.
pub const BLOCKS_PER_STEP: u64 = 1024;

/// A compiled trace loaded into an emulated machine: a [`Runner`] like native code.
pub struct EmuTrace<M: EmuMachine = Machine> {
    machine: M,
    code: CompiledTrace,
    input_types: Vec<Type>,
    /// Whether the invalidation sites are patched now.
    invalidated: bool,
}

impl<M: EmuMachine> EmuTrace<M> {
    /// Loads code into an existing machine (reusing it for another trace).
    pub fn load_into(
        mut machine: M,
        code: CompiledTrace,
        input_types: Vec<Type>,
    ) -> Result<EmuTrace<M>, RunError> {
        machine
            .load_code(&code.code)
            .map_err(|e| RunError::Fault(e.to_string()))?;
        Ok(EmuTrace {
            machine,
            code,
            input_types,
            invalidated: false,
        })
    }

    /// The machine back, for the next trace.
    pub fn into_machine(self) -> M {
        self.machine
    }

    /// The machine, for tests that look inside.
    pub fn machine(&mut self) -> &mut M {
        &mut self.machine
    }
}

impl EmuTrace<Machine> {
    /// Loads ARM code compiled for `cpu`; `input_types` are the trace's input types.
    pub fn load(
        cpu: Cpu,
        code: CompiledTrace,
        input_types: Vec<Type>,
    ) -> Result<EmuTrace, RunError> {
        let fault = |e: EmuError| RunError::Fault(e.to_string());
        let mut machine = Machine::new(cpu).map_err(fault)?;
        machine.load_code(&code.code).map_err(fault)?;
        Ok(EmuTrace {
            machine,
            code,
            input_types,
            invalidated: false,
        })
    }
}

impl<M: EmuMachine> Runner for EmuTrace<M> {
    fn run(
        &mut self,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
    ) -> Result<Outcome, RunError> {
        jit_core::tree::sync_invalidated(
            &mut self.machine,
            &self.code,
            CODE_BASE,
            &mut self.invalidated,
            options,
        )?;
        let slot = invalidate_slot(&self.code.calls);
        let patches = if self.invalidated {
            Vec::new()
        } else {
            jit_core::tree::site_patches(&self.code, CODE_BASE).collect()
        };
        self.machine.patch_on_trap(slot, patches);
        let code = &self.code;
        let ran = run_code(
            &mut self.machine,
            code,
            code.frame_words,
            0,
            &self.input_types,
            inputs,
            memory,
            options,
            None,
            &code.objects,
        );
        self.invalidated |= self.machine.patched_on_trap();
        let (index, frame) = ran?;
        self.machine.gc_failure(index)?;
        let mut out = read_exit(code, index, &frame, options, |a| a)?;
        self.machine.gc_reify(&frame, &mut out.values, memory)?;
        Ok(out)
    }
}

/// The trap slot of `@tracejit_invalidate` among `calls`, if the code calls it.
fn invalidate_slot(calls: &[String]) -> Option<u32> {
    calls
        .iter()
        .position(|c| c == jit_core::interp::INVALIDATE)
        .map(|k| k as u32)
}

/// Runs code loaded at `CODE_BASE + entry` whose root is `root` in `machine`: writes the
/// memory and a frame of `frame_words` filled for `root`, calls it under a block budget
/// from `options` (with a heap for objects of `decls`, if any), reads frame and memory
/// back. Returns the exit index and the frame.
#[allow(clippy::too_many_arguments)]
fn run_code<M: EmuMachine>(
    machine: &mut M,
    root: &CompiledTrace,
    frame_words: u32,
    entry: u64,
    input_types: &[Type],
    inputs: &[Scalar],
    memory: &mut Memory,
    options: RunOptions,
    jumps: Option<u64>,
    decls: &[jit_core::objects::ObjectDecl],
) -> Result<(u64, Vec<u64>), RunError> {
    let fault = |e: EmuError| match e {
        EmuError::Budget { .. } => RunError::StepBudget {
            steps: options.step_budget,
        },
        other => RunError::Fault(other.to_string()),
    };
    machine.write_memory(memory).map_err(fault)?;
    let objects = machine.start_gc(decls, root.layout, memory)?;
    let mut frame = fill_frame(root, inputs, input_types, options, |a| {
        jit_core::memory::object_index(a)
            .and_then(|k| objects.get(k).copied())
            .unwrap_or(a)
    })?;
    frame.resize(frame.len().max(frame_words as usize), 0);
    if let Some(gc) = machine.gc() {
        jit_core::gcrun::fill_nursery_words(&gc.heap, &root.layout, &mut frame);
    }
    if let Some(j) = jumps {
        frame[root.layout.budget as usize] = j;
    }
    machine.write_frame(&frame).map_err(fault)?;
    let budget = options
        .step_budget
        .saturating_mul(BLOCKS_PER_STEP)
        .max(10_000);
    let index = machine.call_code(entry, budget).map_err(fault)?;
    let frame = machine.read_frame(frame.len()).map_err(fault)?;
    machine.read_memory(memory).map_err(fault)?;
    Ok((index, frame))
}

impl jit_core::gc::HeapMemory for Machine {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), jit_core::gc::GcError> {
        uc_read(&self.uc, addr, buf)
    }

    fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), jit_core::gc::GcError> {
        uc_write(&mut self.uc, addr, bytes)
    }
}

/// A tree on an emulated ARM machine: the root at [`CODE_BASE`], bridges after it in the
/// machine's code space, exits numbered tree-wide, and calls numbered tree-wide too — a
/// bridge's call relocations are pointed at the tree's trap slots as it is attached, so
/// [`EmuTree::calls`] names the function of every trap slot any part calls.
pub struct EmuTree<M: EmuMachine = Machine> {
    machine: M,
    exits: jit_core::tree::Exits,
    addrs: Vec<u64>,
    calls: std::rc::Rc<std::cell::RefCell<Vec<String>>>,
    input_types: Vec<Type>,
}

impl<M: EmuMachine> EmuTree<M> {
    /// Loads `root` into `machine` (dropping whatever code it held); `calls` becomes the
    /// tree's trap-slot names, starting as the root's.
    pub fn load(
        mut machine: M,
        root: CompiledTrace,
        input_types: Vec<Type>,
        calls: std::rc::Rc<std::cell::RefCell<Vec<String>>>,
    ) -> Result<EmuTree<M>, RunError> {
        // The root's call k already goes to trap slot k (each backend's default).
        *calls.borrow_mut() = root.calls.clone();
        machine
            .load_code(&root.code)
            .map_err(|e| RunError::Fault(e.to_string()))?;
        Ok(EmuTree {
            machine,
            exits: jit_core::tree::Exits::new(root),
            addrs: vec![CODE_BASE],
            calls,
            input_types,
        })
    }

    /// The machine, to set handlers or take it back.
    pub fn machine(&mut self) -> &mut M {
        &mut self.machine
    }

    /// The machine back, for the next tree or trace.
    pub fn into_machine(self) -> M {
        self.machine
    }

    /// The tree's parts and exits.
    pub fn exits(&self) -> &jit_core::tree::Exits {
        &self.exits
    }

    /// Invalidates the tree for good (`Exits::invalidate`).
    pub fn invalidate(&mut self) {
        self.exits.invalidate();
    }

    /// Where part `part` (0: the root) is loaded.
    pub fn address(&self, part: usize) -> u64 {
        self.addrs[part]
    }

    /// The function each trap slot runs, across the tree.
    pub fn calls(&self) -> std::rc::Rc<std::cell::RefCell<Vec<String>>> {
        self.calls.clone()
    }

    /// Attaches `bridge` (compiled by `backend` for tree-wide exit `at`): renumbers its
    /// calls into the tree's trap slots, loads it, links it to the root's epilogue, and
    /// patches the guard's stub into a branch to it (flushing the patched word).
    pub fn attach(
        &mut self,
        backend: &dyn jit_core::backend::Backend,
        at: u32,
        mut bridge: CompiledTrace,
    ) -> Result<(), RunError> {
        link_calls(&self.machine, &self.calls, backend, &mut bridge)?;
        jit_core::tree::attach(
            &mut self.machine,
            backend,
            &mut self.exits,
            &mut self.addrs,
            at,
            bridge,
        )
    }

    /// Adds a further loop (compiled by `backend` with `compile_loop` from
    /// `Exits::loop_in`): renumbers its calls into the tree's trap slots and loads it;
    /// returns its part number.
    pub fn add_loop(
        &mut self,
        backend: &dyn jit_core::backend::Backend,
        mut code: CompiledTrace,
    ) -> Result<usize, RunError> {
        link_calls(&self.machine, &self.calls, backend, &mut code)?;
        jit_core::tree::add_root(
            &mut self.machine,
            backend,
            &mut self.exits,
            &mut self.addrs,
            code,
            false,
        )
    }

    /// Runs the tree from its root: the part it left from, and the outcome there.
    pub fn run(
        &mut self,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
    ) -> Result<(usize, Outcome), RunError> {
        self.run_from(0, inputs, memory, options, None)?
            .into_exit(options)
    }

    /// Adds an entry (compiled by `backend` with `compile_entry` from `Exits::entry_in`):
    /// renumbers its calls into the tree's trap slots, loads it and links its jump;
    /// returns its part number.
    pub fn add_entry(
        &mut self,
        backend: &dyn jit_core::backend::Backend,
        mut code: CompiledTrace,
    ) -> Result<usize, RunError> {
        link_calls(&self.machine, &self.calls, backend, &mut code)?;
        jit_core::tree::add_root(
            &mut self.machine,
            backend,
            &mut self.exits,
            &mut self.addrs,
            code,
            true,
        )
    }

    /// Runs the tree from part `part` (the root or an entry) with `jumps` jumps allowed
    /// (else the root's rule under `options`); where it stopped.
    pub fn run_from(
        &mut self,
        part: usize,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
        jumps: Option<u64>,
    ) -> Result<jit_core::tree::Stop, RunError> {
        let types = self.exits.input_types(part, &self.input_types)?;
        self.exits
            .sync_invalidation(&mut self.machine, &self.addrs, options)?;
        let slot = invalidate_slot(&self.calls.borrow());
        let patches = self.exits.pending_patches(&self.addrs);
        self.machine.patch_on_trap(slot, patches);
        let ran = run_code(
            &mut self.machine,
            &self.exits.parts[part],
            self.exits.frame_words(),
            self.addrs[part] - CODE_BASE,
            &types,
            inputs,
            memory,
            options,
            Some(jit_core::tree::start_jumps(&self.exits, options, jumps)),
            // One heap for the run, with the root's object types (bridges share them).
            &self.exits.parts[0].objects,
        );
        if self.machine.patched_on_trap() {
            self.exits.set_patched();
        }
        let (index, frame) = ran?;
        self.machine.gc_failure(index)?;
        let mut stop = self.exits.stop(index, &frame, options, jumps, |a| a)?;
        let values = match &mut stop {
            jit_core::tree::Stop::Exit(_, out) => &mut out.values,
            jit_core::tree::Stop::OutOfJumps { values, .. } => values,
        };
        self.machine.gc_reify(&frame, values, memory)?;
        Ok(stop)
    }
}

/// Points the call relocations of `code` (a tree's part) at the trap slots of `machine`
/// named in `calls`, adding a slot for each function the tree did not call yet.
fn link_calls<M: EmuMachine>(
    machine: &M,
    calls: &std::cell::RefCell<Vec<String>>,
    backend: &dyn jit_core::backend::Backend,
    code: &mut CompiledTrace,
) -> Result<(), RunError> {
    let link = |e: jit_core::codebuf::FixupError| RunError::Map(format!("linking the code: {e}"));
    for r in code.relocs.clone() {
        if let jit_core::emit::RelocTarget::Extern(k) = r.target {
            let name = &code.calls[k as usize];
            let mut calls = calls.borrow_mut();
            let slot = match calls.iter().position(|c| c == name) {
                Some(g) => g,
                None => {
                    calls.push(name.clone());
                    calls.len() - 1
                }
            };
            backend
                .relocate(&r, &mut code.code, 0, machine.trap_slot(slot as u32))
                .map_err(link)?;
        }
    }
    Ok(())
}
