//! x86-64 code on unicorn's x86-64 model, so that its instructions can be counted the same
//! way as ARM's (`tracejit bench`). The native x86-64 target stays the one the tests and
//! the fuzzer use; this one exists to measure.
//!
//! The memory map is the ARM machine's: code at [`CODE_BASE`] (copied in from the host
//! side), the frame at [`FRAME_BASE`], a stack, buffers at the interpreter's addresses.
//! Calls go to trap slots at [`X86_TRAP_BASE`] (`int 0x80; ret`): compile with
//! [`trap_externs`] so that the k-th function's "native address" is slot k, and the handler
//! runs the host body with the System V arguments.

use std::collections::HashMap;

use jit_core::backend::CompiledTrace;
use jit_core::externs::Externs;
use jit_core::interp::{Outcome, RunOptions};
use jit_core::ir::{CType, Scalar, Type};
use jit_core::runtime::{fill_frame, read_exit, RunError, Runner};
use jit_core::Memory;
use unicorn_engine::unicorn_const::{Arch, Mode, Prot};
use unicorn_engine::{RegisterX86, Unicorn};

use crate::{
    read_frame, read_memory, setup, EmuError, Executed, Regions, CODE_BASE, CODE_LIMIT, FRAME_BASE,
    RETURN_ADDR, STACK_BASE, STACK_SIZE,
};

/// Where the trap slots of calls out of x86-64 code start (16 bytes each).
pub const X86_TRAP_BASE: u64 = 0x0e00_0000;
const TRAP_SLOTS: u64 = 4096;
const PAGE: u64 = 4096;

/// What the trap handler gets: the slot, rdi..r9, xmm0..xmm7 (low halves), and the stacked
/// arguments; it returns rax and xmm0.
pub type X86HostCall =
    Box<dyn FnMut(u32, &[u64; 6], &[u64; 8], &[u64]) -> Result<(u64, u64), String>>;

#[derive(Default)]
struct Data {
    executed: Executed,
    counting: bool,
    blocks_left: u64,
    fault: Option<(&'static str, u64)>,
    trap: Option<X86HostCall>,
    trap_error: Option<String>,
    /// The heap of the run going on, when its code allocates.
    gc: Option<crate::EmuGc>,
}

impl crate::HookData for Data {
    fn fault(&mut self) -> &mut Option<(&'static str, u64)> {
        &mut self.fault
    }

    fn blocks_left(&mut self) -> &mut u64 {
        &mut self.blocks_left
    }
}

impl crate::GcData for Data {
    fn gc(&mut self) -> &mut Option<crate::EmuGc> {
        &mut self.gc
    }
}

/// The trap slots of the collector's slow paths (`jit_core::gcrun`), the last two.
const ALLOC_SLOT: u64 = TRAP_SLOTS - 2;
const BARRIER_SLOT: u64 = TRAP_SLOTS - 1;

/// `externs` with each function's native address replaced by its trap slot, and the names
/// in slot order; the collector's slow paths get the last two slots.
pub fn trap_externs(externs: &Externs) -> (Externs, Vec<String>) {
    let mut out = Externs::new();
    let mut names = Vec::new();
    let helpers = jit_core::legalize::helpers();
    for (name, slot) in [
        (jit_core::gcrun::ALLOC_HELPER, ALLOC_SLOT),
        (jit_core::gcrun::BARRIER_HELPER, BARRIER_SLOT),
    ] {
        let f = helpers
            .get(name)
            .expect("the collector's helpers are helpers");
        insert_at_slot(&mut out, name, f, slot);
    }
    for (k, (name, f)) in externs.iter().enumerate().take(ALLOC_SLOT as usize) {
        names.push(name.to_string());
        // The collector's helpers keep their own slots (above).
        if out.get(name).is_some() {
            continue;
        }
        insert_at_slot(&mut out, name, f, k as u64);
    }
    (out, names)
}

/// Adds `f` to `out` as `name`, its native address trap slot `slot`.
fn insert_at_slot(out: &mut Externs, name: &str, f: &jit_core::externs::ExternFn, slot: u64) {
    let body = f.body.clone();
    out.insert_native(
        name,
        &f.params,
        f.ret,
        move |a| body(a),
        (X86_TRAP_BASE + 16 * slot) as usize,
    );
}

crate::regions_code_space!(X86Machine);

/// A handler running `names[slot]` from `externs` with System V argument placement.
pub fn host_calls(names: Vec<String>, externs: Externs) -> X86HostCall {
    Box::new(move |slot, ints, floats, stack| {
        let name = names
            .get(slot as usize)
            .ok_or("no function for the trap slot")?;
        let f = externs
            .get(name)
            .ok_or_else(|| format!("no function @{name}"))?;
        use backend_x86::abi::{assign, ArgLoc, INT_ARGS};
        let mut args = Vec::with_capacity(f.params.len());
        for (place, &t) in assign(&f.params).0.into_iter().zip(&f.params) {
            let bits = match place {
                ArgLoc::Int(r) => {
                    ints[INT_ARGS
                        .iter()
                        .position(|&a| a == r)
                        .expect("an argument register")]
                }
                ArgLoc::Float(x) => floats[x as usize],
                ArgLoc::Stack(at) => *stack
                    .get(at as usize / 8)
                    .ok_or("stacked arguments past the trap's view")?,
            };
            let x = Scalar::from_bits(t.value(), bits);
            // System V leaves a narrow argument's upper bits undefined, but callers extend
            // it to 32 bits by convention (clang's callees count on it) and tracejit
            // promises to: a caller that does not is caught here.
            if t.fit(x) != x {
                return Err(format!(
                    "@{name}: argument {} ({t}) is {:#x}, not extended to 32 bits",
                    args.len(),
                    bits as u32
                ));
            }
            args.push(x);
        }
        let r = (f.body)(&args);
        // What System V leaves undefined is garbage here: the upper 32 bits of a 32-bit or
        // narrower result in rax (and the bits above a narrow one's width), the upper lanes
        // of a float's xmm0. Code that relies on any of it shows up at once.
        const GARBAGE: u64 = 0xdead_beef_5a5a_5a5a;
        Ok(match (r, f.ret) {
            (Some(Scalar::F64(b)), _) => (GARBAGE, b),
            (Some(x), Some(CType::F32)) => (GARBAGE, GARBAGE << 32 | x.bits() as u32 as u64),
            (Some(x), Some(t)) if t.value() == Type::I32 => {
                let keep = t.narrow().map_or(32, |(bits, _)| bits);
                let mask = (1u64 << keep) - 1;
                (GARBAGE & !mask | x.bits() as u64 & mask, GARBAGE)
            }
            (Some(x), _) => (x.bits() as u64, GARBAGE),
            (None, _) => (GARBAGE, GARBAGE),
        })
    })
}

/// One emulated x86-64 CPU with tracejit's memory map.
pub struct X86Machine {
    uc: Unicorn<'static, Data>,
    /// Code, frame and buffers (dropped after `uc`, which maps the code's host memory).
    regions: Regions,
}

impl jit_core::gc::HeapMemory for X86Machine {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), jit_core::gc::GcError> {
        crate::uc_read(&self.uc, addr, buf)
    }

    fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), jit_core::gc::GcError> {
        crate::uc_write(&mut self.uc, addr, bytes)
    }
}

impl X86Machine {
    /// A fresh machine.
    pub fn new() -> Result<X86Machine, EmuError> {
        let mut uc = setup(Unicorn::new_with_data(
            Arch::X86,
            Mode::MODE_64,
            Data::default(),
        ))?;
        let regions = Regions::map(&mut uc)?;
        setup(uc.mem_map(RETURN_ADDR, PAGE, Prot::READ | Prot::EXEC))?;
        setup(uc.mem_map(X86_TRAP_BASE, TRAP_SLOTS * 16, Prot::READ | Prot::EXEC))?;
        let slots: Vec<u8> = (0..TRAP_SLOTS)
            .flat_map(|_| {
                let mut s = [0xccu8; 16];
                s[..3].copy_from_slice(&[0xcd, 0x80, 0xc3]); // int 0x80; ret
                s
            })
            .collect();
        setup(uc.mem_write(X86_TRAP_BASE, &slots))?;
        crate::fault_and_budget_hooks(&mut uc)?;
        let count = |uc: &mut Unicorn<'_, Data>, addr: u64, _: u32| {
            let d = uc.get_data_mut();
            if d.counting {
                if (CODE_BASE..CODE_BASE + CODE_LIMIT).contains(&addr) {
                    d.executed.jit += 1;
                } else {
                    d.executed.other += 1;
                }
            }
        };
        setup(uc.add_code_hook(0, u64::MAX, count))?;
        setup(uc.add_intr_hook(trap))?;
        Ok(X86Machine { uc, regions })
    }

    /// Maps at least `bytes` of memory for a GC heap at [`crate::HEAP_BASE`] (once: a
    /// larger heap maps the rest).
    fn map_heap(&mut self, bytes: u64) -> Result<(), EmuError> {
        self.regions.map_heap(&mut self.uc, bytes)
    }

    /// Counts the instructions of each call from now on ([`X86Machine::executed`]).
    pub fn count_instructions(&mut self) {
        self.uc.get_data_mut().counting = true;
    }

    /// Instructions the last call executed (zero unless counting).
    pub fn executed(&self) -> Executed {
        self.uc.get_data().executed
    }

    /// Sets what calls to the trap slots run.
    pub fn set_host_calls(&mut self, host: X86HostCall) {
        self.uc.get_data_mut().trap = Some(host);
    }

    /// Puts `code` at [`CODE_BASE`], dropping any translation of what was there before.
    pub fn load_code(&mut self, code: &[u8]) -> Result<(), EmuError> {
        self.regions.load_code(&mut self.uc, code)
    }

    /// Maps and fills the pages of every buffer of `memory` at its own address.
    pub fn write_memory(&mut self, memory: &Memory) -> Result<(), EmuError> {
        self.regions.write_memory(&mut self.uc, memory)
    }

    /// Copies every buffer of `memory` back from the machine.
    pub fn read_memory(&self, memory: &mut Memory) -> Result<(), EmuError> {
        read_memory(&self.uc, memory)
    }

    /// Loads a static little-endian ELF64 image (its PT_LOAD segments at their addresses,
    /// away from the regions above) and returns its symbols.
    pub fn load_elf64(&mut self, elf: &[u8]) -> Result<HashMap<String, u64>, EmuError> {
        crate::map_elf64(&mut self.uc, elf)
    }

    /// Calls code at `addr` with System V arguments (`ints` in rdi.., `floats` as bits in
    /// xmm0..) for at most `budget` basic blocks; returns rax and the low half of xmm0.
    pub fn call(
        &mut self,
        addr: u64,
        ints: &[u64],
        floats: &[u64],
        budget: u64,
    ) -> Result<(u64, u64), EmuError> {
        use RegisterX86::*;
        for (r, &v) in [RDI, RSI, RDX, RCX, R8, R9].into_iter().zip(ints) {
            setup(self.uc.reg_write(r, v))?;
        }
        for (r, &v) in [XMM0, XMM1, XMM2, XMM3, XMM4, XMM5, XMM6, XMM7]
            .into_iter()
            .zip(floats)
        {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&v.to_le_bytes());
            setup(self.uc.reg_write_long(r, &b))?;
        }
        // The return address on the stack, rsp 16-byte aligned before the call (so 8 past
        // a multiple of 16 at the entry, as System V has it).
        let sp = STACK_BASE + STACK_SIZE - 72;
        setup(self.uc.mem_write(sp, &RETURN_ADDR.to_le_bytes()))?;
        setup(self.uc.reg_write(RSP, sp))?;
        {
            let d = self.uc.get_data_mut();
            d.executed = Executed::default();
            d.blocks_left = budget;
            d.fault = None;
            d.trap_error = None;
        }
        let r = self.uc.emu_start(addr, RETURN_ADDR, 0, 0);
        if let Some(e) = self.uc.get_data_mut().trap_error.take() {
            return Err(EmuError::HostCall(e));
        }
        let pc = self.uc.pc_read().unwrap_or(0);
        match r {
            Ok(()) if pc == RETURN_ADDR => {
                let rax = setup(self.uc.reg_read(RAX))?;
                let x = setup(self.uc.reg_read_long(XMM0))?;
                let mut w = [0u8; 8];
                w.copy_from_slice(&x[..8]);
                Ok((rax, u64::from_le_bytes(w)))
            }
            Ok(()) => Err(EmuError::Budget { blocks: budget, pc }),
            Err(e) => Err(match self.uc.get_data().fault {
                Some((kind, addr)) => EmuError::BadAccess { kind, addr, pc },
                None => EmuError::Setup(format!("{e:?} at {pc:#x}")),
            }),
        }
    }
}

/// The interrupt hook: `int 0x80` in trap slot k runs the host call for k; the slot's
/// `ret` then returns to the caller.
fn trap(uc: &mut Unicorn<'_, Data>, intno: u32) {
    use RegisterX86::*;
    let pc = uc.pc_read().unwrap_or(0);
    let fail = |uc: &mut Unicorn<'_, Data>, e: String| {
        uc.get_data_mut().trap_error = Some(e);
        let _ = uc.emu_stop();
    };
    let at = pc.wrapping_sub(2);
    if intno != 0x80 || !(X86_TRAP_BASE..X86_TRAP_BASE + 16 * TRAP_SLOTS).contains(&at) {
        return fail(uc, format!("unexpected interrupt {intno} at {pc:#x}"));
    }
    let mut ints = [0u64; 6];
    for (k, r) in [RDI, RSI, RDX, RCX, R8, R9].into_iter().enumerate() {
        ints[k] = uc.reg_read(r).unwrap_or(0);
    }
    let mut floats = [0u64; 8];
    for (k, r) in [XMM0, XMM1, XMM2, XMM3, XMM4, XMM5, XMM6, XMM7]
        .into_iter()
        .enumerate()
    {
        if let Ok(x) = uc.reg_read_long(r) {
            let mut w = [0u8; 8];
            w.copy_from_slice(&x[..8]);
            floats[k] = u64::from_le_bytes(w);
        }
    }
    // Stacked arguments start above the return address.
    let sp = uc.reg_read(RSP).unwrap_or(0);
    // System V: the stack is 16-byte aligned at the call, so the callee sees rsp + 8 so.
    if !(sp + 8).is_multiple_of(16) {
        return fail(
            uc,
            format!(
                "a call with rsp = {:#x}: not 16-byte aligned at the call",
                sp + 8
            ),
        );
    }
    let avail = (STACK_BASE + STACK_SIZE)
        .saturating_sub(sp + 8)
        .min(crate::TRAP_STACK_BYTES as u64) as usize;
    let raw = uc.mem_read_as_vec(sp + 8, avail).unwrap_or_default();
    let stack: Vec<u64> = raw
        .chunks(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    // The collector's slow paths work on the machine's heap, in the trap itself.
    let slot = (at - X86_TRAP_BASE) / 16;
    if slot == ALLOC_SLOT || slot == BARRIER_SLOT {
        let call = if slot == ALLOC_SLOT {
            crate::GcCall::Alloc {
                frame: ints[0] as u32,
                size: ints[1] as u32,
                len: ints[2] as u32,
                map: ints[3] as u32,
            }
        } else {
            crate::GcCall::Barrier {
                obj: ints[1] as u32,
            }
        };
        match crate::gc_trap(uc, call) {
            Ok(rax) => {
                let _ = uc.reg_write(RAX, rax);
            }
            Err(e) => fail(uc, e),
        }
        return;
    }
    let Some(mut host) = uc.get_data_mut().trap.take() else {
        return fail(
            uc,
            "a call reached a trap slot, but no handler is set".into(),
        );
    };
    let out = host(((at - X86_TRAP_BASE) / 16) as u32, &ints, &floats, &stack);
    uc.get_data_mut().trap = Some(host);
    match out {
        Ok((rax, xmm0)) => {
            let _ = uc.reg_write(RAX, rax);
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&xmm0.to_le_bytes());
            let _ = uc.reg_write_long(XMM0, &b);
        }
        Err(e) => fail(uc, e),
    }
}

/// A compiled x86-64 trace loaded into an emulated machine: a [`Runner`].
pub struct X86EmuTrace {
    machine: X86Machine,
    code: CompiledTrace,
    input_types: Vec<Type>,
    /// Whether the invalidation sites are patched now.
    invalidated: bool,
}

impl X86EmuTrace {
    /// Loads `code` (compiled with [`trap_externs`]) into `machine`.
    pub fn load(
        mut machine: X86Machine,
        code: CompiledTrace,
        input_types: Vec<Type>,
    ) -> Result<X86EmuTrace, RunError> {
        if code.calls.iter().any(|c| c == jit_core::interp::INVALIDATE) {
            return Err(RunError::Inputs(format!(
                "the x86-64 emulator cannot patch code in the middle of a run (@{})",
                jit_core::interp::INVALIDATE
            )));
        }
        machine
            .load_code(&code.code)
            .map_err(|e| RunError::Fault(e.to_string()))?;
        Ok(X86EmuTrace {
            machine,
            code,
            input_types,
            invalidated: false,
        })
    }

    /// The machine, e.g. to read what the last run executed.
    pub fn machine(&mut self) -> &mut X86Machine {
        &mut self.machine
    }

    /// The machine back, for the next trace.
    pub fn into_machine(self) -> X86Machine {
        self.machine
    }
}

impl Runner for X86EmuTrace {
    fn run(
        &mut self,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
    ) -> Result<Outcome, RunError> {
        let fault = |e: EmuError| RunError::Fault(e.to_string());
        jit_core::tree::sync_invalidated(
            &mut self.machine,
            &self.code,
            CODE_BASE,
            &mut self.invalidated,
            options,
        )?;
        self.machine.write_memory(memory).map_err(fault)?;
        // A trace with objects gets a heap in the machine's memory (System V layout).
        self.machine.uc.get_data_mut().gc = None;
        let objects = if self.code.objects.is_empty() {
            Vec::new()
        } else {
            let config = jit_core::gcrun::gc_config();
            self.machine
                .map_heap(config.total_bytes())
                .map_err(|e| RunError::Gc(e.to_string()))?;
            let (gc, objects) = crate::new_emu_gc(
                &mut self.machine,
                jit_core::objects::TargetLayout::LP64,
                &self.code.objects,
                self.code.layout,
                memory,
            )?;
            self.machine.uc.get_data_mut().gc = Some(gc);
            objects
        };
        let mut frame = fill_frame(&self.code, inputs, &self.input_types, options, |a| {
            jit_core::memory::object_index(a)
                .and_then(|k| objects.get(k).copied())
                .unwrap_or(a)
        })?;
        if let Some(gc) = &self.machine.uc.get_data().gc {
            jit_core::gcrun::fill_nursery_words(&gc.heap, &self.code.layout, &mut frame);
        }
        self.machine
            .regions
            .write_frame(&mut self.machine.uc, &frame)
            .map_err(fault)?;
        let budget = options
            .step_budget
            .saturating_mul(crate::BLOCKS_PER_STEP)
            .max(10_000);
        let (index, _) = self
            .machine
            .call(CODE_BASE, &[FRAME_BASE], &[], budget)
            .map_err(fault)?;
        let words = read_frame(&self.machine.uc, frame.len()).map_err(fault)?;
        self.machine.read_memory(memory).map_err(fault)?;
        crate::emu_gc_failure(self.machine.uc.get_data_mut().gc.as_mut(), index)?;
        let mut out = read_exit(&self.code, index & 0xffff_ffff, &words, options, |a| a)?;
        if let Some(gc) = self.machine.uc.get_data_mut().gc.take() {
            crate::emu_gc_reify(gc, &self.machine, &words, &mut out.values, memory)?;
        }
        Ok(out)
    }
}
