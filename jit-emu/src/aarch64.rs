//! AArch64 on unicorn's AArch64 model: the executor of backend-aarch64 (issue 19). A
//! machine has tracejit's memory map (code, frame, stack, the interpreter's buffers at
//! their own addresses), loads GCC-built static images and calls their functions with
//! AAPCS64 arguments (`tests/abi_aarch64.rs` checks `backend_aarch64::abi` against GCC's
//! own code with it), and runs compiled traces: [`A64Target`] is the backend as a test-kit
//! target, for the families the lowering has brought up (no calls, objects or trees yet).

use std::cell::RefCell;
use std::collections::HashMap;

use backend_aarch64::A64Backend;
use jit_core::backend::{Backend, CompiledTrace};
use jit_core::interp::{Outcome, RunOptions};
use jit_core::ir::{Scalar, Type};
use jit_core::runtime::{fill_frame, read_exit, RunError, Runner};
use jit_core::{Memory, Trace};
use unicorn_engine::unicorn_const::{Arch, Mode, Prot};
use unicorn_engine::{RegisterARM64, Unicorn};

use crate::{
    read_frame, read_memory, setup, EmuError, Regions, CODE_BASE, FRAME_BASE, RETURN_ADDR,
    STACK_BASE, STACK_SIZE,
};

const PAGE: u64 = 4096;

/// Where [`build_fixture`] links images.
pub const FIXTURE_BASE: u64 = 0x0200_0000;

/// What a call out of JIT code runs: the slot, x0–x7, d0–d7 and the stack above `sp`;
/// it returns x0 and d0.
pub type A64HostCall =
    Box<dyn FnMut(u32, &[u64; 8], &[u64; 8], &[u8]) -> Result<(u64, u64), String>>;

/// Trap slots mapped (`svc #k; ret` each).
const TRAP_SLOTS: u64 = 4096;

#[derive(Default)]
struct Data {
    blocks_left: u64,
    fault: Option<(&'static str, u64)>,
    trap: Option<A64HostCall>,
    trap_error: Option<String>,
}

impl crate::HookData for Data {
    fn fault(&mut self) -> &mut Option<(&'static str, u64)> {
        &mut self.fault
    }

    fn blocks_left(&mut self) -> &mut u64 {
        &mut self.blocks_left
    }
}

/// The argument and result registers of a call: `x0`–`x7` and the low 64 bits of
/// `v0`–`v7`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct A64Regs {
    /// `x0`–`x7`.
    pub x: [u64; 8],
    /// `d0`–`d7` (an `s` register is the low 32 bits of its `d`).
    pub d: [u64; 8],
}

/// One emulated AArch64 CPU with tracejit's memory map and a return page.
pub struct A64Machine {
    uc: Unicorn<'static, Data>,
    /// Code, frame and buffers (dropped after `uc`, which maps the code's host memory).
    regions: Regions,
}

impl A64Machine {
    /// A fresh machine.
    pub fn new() -> Result<A64Machine, EmuError> {
        let mut uc = setup(Unicorn::new_with_data(
            Arch::ARM64,
            Mode::ARM,
            Data::default(),
        ))?;
        // SIMD and floating point trap until CPACR_EL1.FPEN lets EL1 and EL0 use them.
        setup(uc.reg_write(RegisterARM64::CPACR_EL1, 3 << 20))?;
        let regions = Regions::map(&mut uc)?;
        setup(uc.mem_map(RETURN_ADDR, PAGE, Prot::READ | Prot::EXEC))?;
        crate::fault_and_budget_hooks(&mut uc)?;
        let trap_base = backend_aarch64::lower::TRAP_BASE;
        let slot_bytes = backend_aarch64::lower::TRAP_SLOT_BYTES;
        setup(uc.mem_map(trap_base, TRAP_SLOTS * slot_bytes, Prot::READ | Prot::EXEC))?;
        let slots: Vec<u8> = (0..TRAP_SLOTS as u16)
            .flat_map(|k| {
                let mut w = backend_aarch64::enc::svc(k).to_le_bytes().to_vec();
                w.extend(backend_aarch64::enc::ret().to_le_bytes());
                w
            })
            .collect();
        setup(uc.mem_write(trap_base, &slots))?;
        setup(uc.add_intr_hook(trap))?;
        Ok(A64Machine { uc, regions })
    }

    /// Sets what calls to the trap slots run.
    pub fn set_host_calls(&mut self, host: A64HostCall) {
        self.uc.get_data_mut().trap = Some(host);
    }

    /// Loads a static AArch64 ELF64 image and returns its symbols.
    pub fn load_elf(&mut self, elf: &[u8]) -> Result<HashMap<String, u64>, EmuError> {
        crate::x86::map_elf64(&mut self.uc, elf)
    }

    /// Calls code at `addr` with `regs` and `stack` (the bytes above `sp` at the call, `sp`
    /// 16-byte aligned), returning to a stop address through `x30`, for at most `budget`
    /// basic blocks; returns the registers after.
    pub fn call_at(
        &mut self,
        addr: u64,
        regs: &A64Regs,
        stack: &[u8],
        budget: u64,
    ) -> Result<A64Regs, EmuError> {
        use RegisterARM64::*;
        const X: [RegisterARM64; 8] = [X0, X1, X2, X3, X4, X5, X6, X7];
        const D: [RegisterARM64; 8] = [D0, D1, D2, D3, D4, D5, D6, D7];
        for k in 0..8 {
            setup(self.uc.reg_write(X[k], regs.x[k]))?;
            setup(self.uc.reg_write(D[k], regs.d[k]))?;
        }
        let sp = (STACK_BASE + STACK_SIZE - 64 - stack.len() as u64) & !15;
        setup(self.uc.mem_write(sp, stack))?;
        setup(self.uc.reg_write(SP, sp))?;
        setup(self.uc.reg_write(X30, RETURN_ADDR))?;
        {
            let d = self.uc.get_data_mut();
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
                let mut out = A64Regs::default();
                for k in 0..8 {
                    out.x[k] = setup(self.uc.reg_read(X[k]))?;
                    out.d[k] = setup(self.uc.reg_read(D[k]))?;
                }
                Ok(out)
            }
            Ok(()) => Err(EmuError::Budget { blocks: budget, pc }),
            Err(e) => Err(match self.uc.get_data().fault {
                Some((kind, addr)) => EmuError::BadAccess { kind, addr, pc },
                None => EmuError::Setup(format!("{e:?} at {pc:#x}")),
            }),
        }
    }
}

/// The interrupt hook: `svc #k` in trap slot k runs the host call for k with the
/// AAPCS64 registers and stack; the slot's `ret` then returns to the caller.
fn trap(uc: &mut Unicorn<'_, Data>, _intno: u32) {
    use RegisterARM64::*;
    let fail = |uc: &mut Unicorn<'_, Data>, e: String| {
        uc.get_data_mut().trap_error = Some(e);
        let _ = uc.emu_stop();
    };
    let base = backend_aarch64::lower::TRAP_BASE;
    let bytes = backend_aarch64::lower::TRAP_SLOT_BYTES;
    let pc = uc.pc_read().unwrap_or(0);
    let at = [pc.wrapping_sub(4), pc].into_iter().find(|a| {
        (base..base + TRAP_SLOTS * bytes).contains(a) && (a - base).is_multiple_of(bytes)
    });
    let Some(at) = at else {
        return fail(uc, format!("an unexpected exception at {pc:#x}"));
    };
    let (mut x, mut d) = ([0u64; 8], [0u64; 8]);
    for (k, r) in [X0, X1, X2, X3, X4, X5, X6, X7].into_iter().enumerate() {
        x[k] = uc.reg_read(r).unwrap_or(0);
    }
    for (k, r) in [D0, D1, D2, D3, D4, D5, D6, D7].into_iter().enumerate() {
        d[k] = uc.reg_read(r).unwrap_or(0);
    }
    let sp = uc.reg_read(SP).unwrap_or(0);
    if !sp.is_multiple_of(16) {
        return fail(uc, format!("a call with sp = {sp:#x}: not 16-byte aligned"));
    }
    let avail = (STACK_BASE + STACK_SIZE)
        .saturating_sub(sp)
        .min(crate::TRAP_STACK_BYTES as u64) as usize;
    let stack = uc.mem_read_as_vec(sp, avail).unwrap_or_default();
    let Some(mut host) = uc.get_data_mut().trap.take() else {
        return fail(
            uc,
            "a call reached a trap slot, but no handler is set".into(),
        );
    };
    let out = host(((at - base) / bytes) as u32, &x, &d, &stack);
    uc.get_data_mut().trap = Some(host);
    match out {
        Ok((x0, d0)) => {
            let _ = uc.reg_write(X0, x0);
            let _ = uc.reg_write(D0, d0);
        }
        Err(e) => fail(uc, e),
    }
}

/// A handler running `names[slot]` of `externs` with AAPCS64 argument placement
/// (`backend_aarch64::abi`), each call logged in `log` as the interpreter logs it.
pub fn host_calls(
    names: Vec<String>,
    externs: jit_core::Externs,
    log: std::rc::Rc<RefCell<CallLog>>,
) -> A64HostCall {
    use backend_aarch64::abi::{assign, ArgLoc};
    Box::new(move |slot, x, d, stack| {
        let name = names
            .get(slot as usize)
            .ok_or("no function for the trap slot")?;
        let f = externs
            .get(name)
            .ok_or_else(|| format!("no function @{name}"))?;
        let mut args = Vec::with_capacity(f.params.len());
        for (place, &t) in assign(&f.params).0.into_iter().zip(&f.params) {
            let bits = match place {
                ArgLoc::Int(r) => x[r as usize],
                ArgLoc::Double(k) => d[k as usize],
                ArgLoc::Single(k) => d[k as usize] & 0xffff_ffff,
                ArgLoc::Stack(off) => {
                    let o = off as usize;
                    let w = stack
                        .get(o..o + 8)
                        .ok_or("stacked arguments past the trap's view")?;
                    u64::from_le_bytes(w.try_into().expect("8 bytes"))
                }
            };
            let v = match t.value() {
                Type::I32 => Scalar::I32(bits as u32 as i32),
                Type::I64 => Scalar::I64(bits as i64),
                Type::F64 => Scalar::F64(bits),
                Type::Ref => Scalar::Ref(bits),
            };
            // AAPCS64 has the callee extend a narrow argument: it sees its low bits.
            args.push(t.fit(v));
        }
        let r = (f.body)(&args);
        if !jit_core::legalize::is_helper(name) {
            let mut log = log.borrow_mut();
            log.count += 1;
            if log.records.len() < jit_core::interp::CALL_LOG_LIMIT {
                log.records.push(jit_core::interp::CallRecord {
                    name: name.clone(),
                    args,
                    result: r.zip(f.ret).map(|(v, t)| t.fit(v)),
                });
            }
        }
        Ok(match (r, f.ret) {
            (Some(Scalar::F64(b)), _) => (0, b),
            (Some(v), Some(jit_core::ir::CType::F32)) => (0, v.bits() as u32 as u64),
            (Some(v), _) => (v.bits() as u64, 0),
            (None, _) => (0, 0),
        })
    })
}

/// A compiled trace loaded into an emulated AArch64 machine: a [`Runner`].
pub struct A64EmuTrace {
    machine: A64Machine,
    code: CompiledTrace,
    input_types: Vec<Type>,
    /// The calls of the run going on.
    log: std::rc::Rc<RefCell<CallLog>>,
    /// Whether the invalidation sites are patched now.
    invalidated: bool,
}

crate::regions_code_space!(A64Machine);

/// The calls a run made, as the interpreter logs them: the first
/// [`jit_core::interp::CALL_LOG_LIMIT`], and how many in all.
#[derive(Default)]
pub struct CallLog {
    records: Vec<jit_core::interp::CallRecord>,
    count: u64,
}

impl A64EmuTrace {
    /// Loads `code` into `machine`, its calls linked to the trap slots and run from
    /// `externs`. Code that allocates objects is not run here yet (the lowering refuses
    /// what makes it).
    pub fn load(
        mut machine: A64Machine,
        mut code: CompiledTrace,
        input_types: Vec<Type>,
        externs: jit_core::Externs,
    ) -> Result<A64EmuTrace, RunError> {
        if !code.objects.is_empty() {
            return Err(RunError::Inputs(
                "objects are not brought up on AArch64 yet".into(),
            ));
        }
        if code.calls.iter().any(|c| c == jit_core::interp::INVALIDATE) {
            return Err(RunError::Inputs(format!(
                "the AArch64 emulator does not patch code in the middle of a run yet (@{})",
                jit_core::interp::INVALIDATE
            )));
        }
        let backend = A64Backend::new();
        for r in code.relocs.clone() {
            let jit_core::emit::RelocTarget::Extern(k) = r.target else {
                return Err(RunError::Inputs(
                    "trees are not brought up on AArch64 yet".into(),
                ));
            };
            let slot = backend_aarch64::lower::TRAP_BASE
                + backend_aarch64::lower::TRAP_SLOT_BYTES * k as u64;
            backend
                .relocate(&r, &mut code.code, CODE_BASE, slot)
                .map_err(|e| RunError::Map(format!("linking the code: {e}")))?;
        }
        machine
            .regions
            .load_code(&mut machine.uc, &code.code)
            .map_err(|e| RunError::Fault(e.to_string()))?;
        let log = std::rc::Rc::new(RefCell::new(CallLog::default()));
        machine.set_host_calls(host_calls(code.calls.clone(), externs, log.clone()));
        Ok(A64EmuTrace {
            machine,
            code,
            input_types,
            log,
            invalidated: false,
        })
    }
}

impl Runner for A64EmuTrace {
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
        let m = &mut self.machine;
        m.regions.write_memory(&mut m.uc, memory).map_err(fault)?;
        let frame = fill_frame(&self.code, inputs, &self.input_types, options, |a| a)?;
        m.regions.write_frame(&mut m.uc, &frame).map_err(fault)?;
        let budget = options
            .step_budget
            .saturating_mul(crate::BLOCKS_PER_STEP)
            .max(10_000);
        let regs = A64Regs {
            x: [FRAME_BASE, 0, 0, 0, 0, 0, 0, 0],
            d: [0; 8],
        };
        *self.log.borrow_mut() = CallLog::default();
        let out = m.call_at(CODE_BASE, &regs, &[], budget).map_err(fault)?;
        let words = read_frame(&m.uc, frame.len()).map_err(fault)?;
        read_memory(&m.uc, memory).map_err(fault)?;
        let mut outcome = read_exit(&self.code, out.x[0] & 0xffff_ffff, &words, options, |a| a)?;
        let log = std::mem::take(&mut *self.log.borrow_mut());
        outcome.call_count = log.count;
        outcome.calls = log.records;
        Ok(outcome)
    }
}

/// backend-aarch64 as a test-kit target, its code run on the emulated CPU: for the
/// families its lowering has brought up (`tracejit conformance`); trees wait for it.
pub struct A64Target {
    backend: A64Backend,
    externs: jit_core::Externs,
}

impl A64Target {
    /// The target.
    pub fn new() -> A64Target {
        A64Target {
            backend: A64Backend::new(),
            externs: jit_testkit::externs(),
        }
    }
}

impl Default for A64Target {
    fn default() -> A64Target {
        A64Target::new()
    }
}

impl jit_testkit::Target for A64Target {
    fn name(&self) -> String {
        format!("{} (emulated)", self.backend.name())
    }

    fn backend(&self) -> &dyn Backend {
        &self.backend
    }

    fn load(&self, code: CompiledTrace, trace: &Trace) -> Result<Box<dyn Runner>, RunError> {
        // A machine per trace: the bring-up suite runs in seconds without reuse.
        let machine = A64Machine::new().map_err(|e| RunError::Fault(e.to_string()))?;
        let types = trace.inputs.iter().map(|&v| trace.ty(v)).collect();
        Ok(Box::new(A64EmuTrace::load(
            machine,
            code,
            types,
            self.externs.clone(),
        )?))
    }

    fn load_tree(
        &self,
        _root: CompiledTrace,
        _trace: &Trace,
    ) -> Result<Box<dyn jit_testkit::tree::TreeRunner + '_>, RunError> {
        Err(RunError::Inputs(
            "trees are not brought up on AArch64 yet".into(),
        ))
    }
}

/// `sources` built by the Debian cross compiler `aarch64-linux-gnu-gcc` (-O2, freestanding,
/// static, libgcc linked, floating-point contraction off) into one image at
/// [`FIXTURE_BASE`] that [`A64Machine::load_elf`] takes.
pub fn build_fixture(sources: &[std::path::PathBuf]) -> Result<Vec<u8>, String> {
    let mut args: Vec<String> = [
        "-O2",
        "-fno-math-errno",
        "-ffp-contract=off",
        "-ffreestanding",
        "-nostdlib",
        "-static",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("-Wl,-Ttext-segment={FIXTURE_BASE:#x}"));
    args.push("-Wl,-e,0".into());
    crate::arm::build_cached("aarch64-linux-gnu-gcc", &args, sources, "aarch64")
}

/// `jit-fixtures/c/abi.c` for AArch64: the test kit's functions of 0 to 16 arguments of
/// mixed types.
pub fn build_abi_fixture() -> Result<Vec<u8>, String> {
    let abi = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../jit-fixtures/c/abi.c");
    build_fixture(&[abi])
}
