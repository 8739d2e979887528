//! AArch64 on unicorn's AArch64 model: the executor of backend-aarch64 (issue 19). A
//! machine has tracejit's memory map (code, frame, stack, the interpreter's buffers at
//! their own addresses, a GC heap), loads GCC-built static images and calls their functions
//! with AAPCS64 arguments (`tests/abi_aarch64.rs` checks `backend_aarch64::abi` against
//! GCC's own code with it), and runs compiled traces and trees: [`A64Target`] is the
//! backend as a test-kit target. Calls out of JIT code go to trap slots (`svc #k; ret`)
//! that run the host's function, jump into a GCC-built one, or run the collector's slow
//! paths on the machine's heap.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use backend_aarch64::A64Backend;
use jit_core::backend::{Backend, CompiledTrace};
use jit_core::interp::CallRecord;
use jit_core::ir::{Scalar, Type};
use jit_core::runtime::{RunError, Runner};
use jit_core::{Memory, Trace};
use unicorn_engine::unicorn_const::{Arch, Mode, Prot};
use unicorn_engine::{RegisterARM64, Unicorn};

use crate::pooled::{CallLog, Pool, PooledTrace, PooledTree};
use crate::{
    read_frame, read_memory, setup, EmuError, EmuGc, EmuTrace, EmuTree, Executed, GcCall, Regions,
    TrapPatches, CODE_BASE, FRAME_BASE, RETURN_ADDR, STACK_BASE, STACK_SIZE,
};

const PAGE: u64 = 4096;

/// Where [`build_fixture`] links images.
pub const FIXTURE_BASE: u64 = 0x0200_0000;

/// What a call through a trap slot does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum A64Action {
    /// Return to the caller with these `x0` and `d0`.
    Return {
        /// The integer result.
        x0: u64,
        /// The floating-point result's bits.
        d0: u64,
    },
    /// Continue at this address with every register untouched: a tail jump into a
    /// GCC-built function, which returns to the caller itself.
    Jump(u64),
    /// A slow path of the collector, run on the machine's heap; its result in `x0`.
    Gc(GcCall),
}

/// What a call out of JIT code runs: the slot, x0–x7, d0–d7 and the stack above `sp`.
pub type A64HostCall =
    Box<dyn FnMut(u32, &[u64; 8], &[u64; 8], &[u8]) -> Result<A64Action, String>>;

/// Trap slots mapped (`svc #k; ret` each).
const TRAP_SLOTS: u64 = 4096;

#[derive(Default)]
struct Data {
    blocks_left: u64,
    fault: Option<(&'static str, u64)>,
    trap: Option<A64HostCall>,
    trap_error: Option<String>,
    /// The heap of the run going on, when its code allocates.
    gc: Option<EmuGc>,
    /// What a host call through one trap slot patches (`@tracejit_invalidate`).
    patches: Option<TrapPatches>,
    /// Instructions executed by the current call, when counting is on.
    executed: Executed,
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
    fn gc(&mut self) -> &mut Option<EmuGc> {
        &mut self.gc
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

/// The registers AAPCS64 has a function preserve (sp aside), checked after every call of
/// compiled code.
const CALLEE_SAVED: [(RegisterARM64, &str); 18] = {
    use RegisterARM64::*;
    [
        (X19, "x19"),
        (X20, "x20"),
        (X21, "x21"),
        (X22, "x22"),
        (X23, "x23"),
        (X24, "x24"),
        (X25, "x25"),
        (X26, "x26"),
        (X27, "x27"),
        (X28, "x28"),
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

/// One emulated AArch64 CPU with tracejit's memory map and a return page.
pub struct A64Machine {
    uc: Unicorn<'static, Data>,
    /// Code, frame and buffers (dropped after `uc`, which maps the code's host memory).
    regions: Regions,
    /// Whether the instruction-counting hook is installed.
    counting: bool,
}

impl A64Machine {
    /// A fresh machine.
    pub fn new() -> Result<A64Machine, EmuError> {
        let mut uc = setup(Unicorn::new_with_data(
            Arch::ARM64,
            Mode::ARM,
            Data::default(),
        ))?;
        crate::small_tcg_buffer(&mut uc)?;
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
        Ok(A64Machine {
            uc,
            regions,
            counting: false,
        })
    }

    /// Sets what calls to the trap slots run.
    pub fn set_host_calls(&mut self, host: A64HostCall) {
        self.uc.get_data_mut().trap = Some(host);
    }

    /// Loads a static AArch64 ELF64 image and returns its symbols.
    pub fn load_elf(&mut self, elf: &[u8]) -> Result<HashMap<String, u64>, EmuError> {
        crate::map_elf64(&mut self.uc, elf)
    }

    /// Counts every instruction from now on (a hook per instruction: for measuring);
    /// [`A64Machine::executed`] reads the count of the last call.
    pub fn count_instructions(&mut self) -> Result<(), EmuError> {
        if self.counting {
            return Ok(());
        }
        crate::count_hook(&mut self.uc, |d| &mut d.executed)?;
        self.counting = true;
        Ok(())
    }

    /// Instructions the last call executed (zero unless counting is on).
    pub fn executed(&self) -> Executed {
        self.uc.get_data().executed
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
            d.executed = Executed::default();
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
                None if format!("{e:?}").contains("INSN_INVALID") => {
                    EmuError::BadInstruction { pc }
                }
                None => EmuError::Setup(format!("{e:?} at {pc:#x}")),
            }),
        }
    }
}

impl jit_core::gc::HeapMemory for A64Machine {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), jit_core::gc::GcError> {
        crate::uc_read(&self.uc, addr, buf)
    }

    fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), jit_core::gc::GcError> {
        crate::uc_write(&mut self.uc, addr, bytes)
    }
}

/// A value unlikely to come about by chance for callee-saved register `k`.
fn callee_saved_pattern(k: usize) -> u64 {
    0x5a5a_0000_0000_5a00 | (k as u64) << 16 | k as u64
}

impl crate::EmuMachine for A64Machine {
    fn load_code(&mut self, code: &[u8]) -> Result<(), EmuError> {
        self.regions.load_code(&mut self.uc, code)
    }

    fn trap_slot(&self, k: u32) -> u64 {
        backend_aarch64::lower::TRAP_BASE + backend_aarch64::lower::TRAP_SLOT_BYTES * k as u64
    }

    fn patch_on_trap(&mut self, slot: Option<u32>, patches: Vec<(u64, Vec<u8>)>) {
        self.uc.get_data_mut().patches = slot.map(|slot| TrapPatches {
            slot,
            patches,
            fired: false,
        });
    }

    fn patched_on_trap(&mut self) -> bool {
        self.uc
            .get_data_mut()
            .patches
            .take()
            .is_some_and(|p| p.fired)
    }

    fn write_memory(&mut self, memory: &Memory) -> Result<(), EmuError> {
        self.regions.write_memory(&mut self.uc, memory)
    }

    fn read_memory(&self, memory: &mut Memory) -> Result<(), EmuError> {
        read_memory(&self.uc, memory)
    }

    fn write_frame(&mut self, words: &[u64]) -> Result<(), EmuError> {
        self.regions.write_frame(&mut self.uc, words)
    }

    fn read_frame(&self, n: usize) -> Result<Vec<u64>, EmuError> {
        read_frame(&self.uc, n)
    }

    fn map_heap(&mut self, bytes: u64) -> Result<(), EmuError> {
        self.regions.map_heap(&mut self.uc, bytes)
    }

    fn object_layout(&self) -> jit_core::objects::TargetLayout {
        jit_core::objects::TargetLayout::LP64
    }

    fn gc(&mut self) -> &mut Option<EmuGc> {
        &mut self.uc.get_data_mut().gc
    }

    fn call_code(&mut self, entry: u64, budget: u64) -> Result<u64, EmuError> {
        for (k, &(reg, _)) in CALLEE_SAVED.iter().enumerate() {
            setup(self.uc.reg_write(reg, callee_saved_pattern(k)))?;
        }
        let regs = A64Regs {
            x: [FRAME_BASE, 0, 0, 0, 0, 0, 0, 0],
            d: [0; 8],
        };
        let out = self.call_at(CODE_BASE + entry, &regs, &[], budget)?;
        for (k, &(reg, name)) in CALLEE_SAVED.iter().enumerate() {
            if setup(self.uc.reg_read(reg))? != callee_saved_pattern(k) {
                return Err(EmuError::CalleeSavedClobbered { reg: name });
            }
        }
        Ok(out.x[0])
    }

    fn executed(&self) -> Executed {
        A64Machine::executed(self)
    }
}

/// A value left in a register a call may destroy: code relying on one surviving a call
/// shows up at once.
const CLOBBER: u64 = 0xdead_beef_dead_beef;

/// The interrupt hook: `svc #k` in trap slot k runs the host call for k with the AAPCS64
/// registers and stack, writes the patches due on slot k, and then returns (through the
/// slot's `ret`) with every other register a call may destroy clobbered, jumps into GCC's
/// code, or runs the collector.
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
    let index = ((at - base) / bytes) as u32;
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
    let out = host(index, &x, &d, &stack);
    uc.get_data_mut().trap = Some(host);
    if let Err(e) = crate::fire_patches(uc, |d| &mut d.patches, index) {
        return fail(uc, e);
    }
    let (x0, d0) = match out {
        Ok(A64Action::Return { x0, d0 }) => (x0, d0),
        Ok(A64Action::Gc(call)) => match crate::gc_trap(uc, call) {
            Ok(x0) => (x0, CLOBBER),
            Err(e) => return fail(uc, e),
        },
        Ok(A64Action::Jump(addr)) => {
            let _ = uc.set_pc(addr);
            return;
        }
        Err(e) => return fail(uc, e),
    };
    let _ = uc.reg_write(X0, x0);
    let _ = uc.reg_write(D0, d0);
    const INTS: [RegisterARM64; 17] = {
        use RegisterARM64::*;
        [
            X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15, X16, X17,
        ]
    };
    const FLOATS: [RegisterARM64; 23] = {
        use RegisterARM64::*;
        [
            D1, D2, D3, D4, D5, D6, D7, D16, D17, D18, D19, D20, D21, D22, D23, D24, D25, D26, D27,
            D28, D29, D30, D31,
        ]
    };
    for r in INTS.into_iter().chain(FLOATS) {
        let _ = uc.reg_write(r, CLOBBER);
    }
    let nzcv = uc.reg_read(NZCV).unwrap_or(0);
    let _ = uc.reg_write(NZCV, nzcv ^ 0xf000_0000);
}

/// The arguments of a call to `f` as AAPCS64 placed them in `x`, `d` and `stack`.
fn call_args(
    f: &jit_core::externs::ExternFn,
    x: &[u64; 8],
    d: &[u64; 8],
    stack: &[u8],
) -> Result<Vec<Scalar>, String> {
    use backend_aarch64::abi::{assign, ArgLoc};
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
        let v = Scalar::from_bits(t.value(), bits);
        // AAPCS64 has the callee extend a narrow argument: it sees its low bits.
        args.push(t.fit(v));
    }
    Ok(args)
}

/// A handler for the functions of `names` (trap slot k calls `names[k]`): the collector's
/// slow paths on the machine's heap; a function the GCC-built image of `gcc` (its symbols)
/// defines, by jumping to it; any other of `externs` (or a legalization helper) on the
/// host, with AAPCS64 argument placement. Every call but a helper's is logged in `log`
/// as the interpreter logs it.
pub fn host_calls(
    names: Rc<RefCell<Vec<String>>>,
    externs: jit_core::Externs,
    gcc: Option<HashMap<String, u64>>,
    log: Rc<RefCell<CallLog>>,
) -> A64HostCall {
    Box::new(move |slot, x, d, stack| {
        let name = names
            .borrow()
            .get(slot as usize)
            .cloned()
            .ok_or_else(|| format!("no function for trap slot {slot}"))?;
        if name == jit_core::gcrun::ALLOC_HELPER {
            return Ok(A64Action::Gc(GcCall::Alloc {
                frame: x[0] as u32,
                size: x[1] as u32,
                len: x[2] as u32,
                map: x[3] as u32,
            }));
        }
        if name == jit_core::gcrun::BARRIER_HELPER {
            return Ok(A64Action::Gc(GcCall::Barrier { obj: x[1] as u32 }));
        }
        let helper = jit_core::legalize::is_helper(&name)
            .then(|| jit_core::legalize::helpers().get(&name).cloned())
            .flatten();
        let f = externs
            .get(&name)
            .or(helper.as_ref())
            .ok_or_else(|| format!("no function @{name}"))?;
        let args = call_args(f, x, d, stack)?;
        let gcc_addr = gcc.as_ref().and_then(|g| g.get(&name)).copied();
        // GCC's code computes the result of a function it defines; the log gets what the
        // function is defined to return for the arguments as they were passed.
        let r = (f.body)(&args);
        if r.map(|v| v.ty()) != f.ret.map(jit_core::ir::CType::value) {
            return Err(format!("@{name} returned the wrong type"));
        }
        let r = r.zip(f.ret).map(|(v, t)| t.fit(v));
        if helper.is_none() {
            log.borrow_mut().push(CallRecord {
                name: name.clone(),
                args,
                result: r,
            });
        }
        if let Some(addr) = gcc_addr {
            return Ok(A64Action::Jump(addr));
        }
        // What AAPCS64 leaves undefined is garbage: the bits above a narrow result.
        const GARBAGE: u64 = 0xdead_beef_5a5a_5a5a;
        Ok(match (r, f.ret) {
            (Some(Scalar::F64(b)), _) => A64Action::Return { x0: GARBAGE, d0: b },
            (Some(v), Some(jit_core::ir::CType::F32)) => A64Action::Return {
                x0: GARBAGE,
                d0: GARBAGE << 32 | v.bits() as u32 as u64,
            },
            (Some(v), Some(t)) if t.value() == Type::I32 => {
                let keep = t.narrow().map_or(32, |(bits, _)| bits);
                let mask = (1u64 << keep) - 1;
                A64Action::Return {
                    x0: GARBAGE & !mask | v.bits() as u64 & mask,
                    d0: GARBAGE,
                }
            }
            (Some(v), _) => A64Action::Return {
                x0: v.bits() as u64,
                d0: GARBAGE,
            },
            (None, _) => A64Action::Return {
                x0: GARBAGE,
                d0: GARBAGE,
            },
        })
    })
}

crate::regions_code_space!(A64Machine);

/// backend-aarch64 as a test-kit target, its code run on the emulated CPU.
pub struct A64Target {
    backend: A64Backend,
    externs: jit_core::Externs,
    /// Machines of finished runs, reused by the next ones (creating one costs far more
    /// than running a short trace).
    machines: Rc<RefCell<Vec<A64Machine>>>,
    /// A GCC-built image whose functions calls go to instead of the host's, and its
    /// symbols.
    fixture: Option<Rc<crate::arm::Image>>,
    /// Whether runs count the instructions they execute.
    counting: bool,
    /// What the last run executed, when counting.
    executed: Rc<std::cell::Cell<Executed>>,
}

impl A64Target {
    /// The target; calls run the test kit's functions on the host.
    pub fn new() -> A64Target {
        A64Target {
            backend: A64Backend::new(),
            externs: jit_testkit::externs(),
            machines: Default::default(),
            fixture: None,
            counting: false,
            executed: Default::default(),
        }
    }

    /// The same target, but calls to the test kit's functions that [`abi_fixture`] defines
    /// (`abi.c`'s 0 to 16 mixed arguments, the generated call shapes) run GCC-built code:
    /// JIT code and GCC code meet at the calling convention.
    pub fn calling_gcc(self) -> Result<A64Target, String> {
        self.calling_image_with(abi_fixture()?.clone())
    }

    /// The same target, but calls to functions the static AArch64 image `elf` defines
    /// (linked away from the code region, as [`build_fixture`] does) run its code.
    pub fn calling_image(self, elf: Vec<u8>) -> Result<A64Target, String> {
        let symbols = A64Machine::new()
            .and_then(|mut m| m.load_elf(&elf))
            .map_err(|e| e.to_string())?;
        self.calling_image_with((elf, symbols))
    }

    fn calling_image_with(
        self,
        image: (Vec<u8>, HashMap<String, u64>),
    ) -> Result<A64Target, String> {
        Ok(A64Target {
            fixture: Some(Rc::new(image)),
            machines: Default::default(),
            ..self
        })
    }

    /// The same target with calls resolved in `externs` instead of the test kit's table.
    pub fn with_externs(self, externs: jit_core::Externs) -> A64Target {
        A64Target { externs, ..self }
    }

    /// This target calling the functions of `externs`, sharing this one's machines.
    pub fn sharing_machines(&self, externs: jit_core::Externs) -> A64Target {
        A64Target {
            backend: A64Backend::new(),
            externs,
            machines: self.machines.clone(),
            fixture: self.fixture.clone(),
            counting: self.counting,
            executed: Default::default(),
        }
    }

    /// The same target, counting the instructions every run executes (slower: for
    /// measuring); [`A64Target::last_executed`] reads the last run's count.
    pub fn counting(self) -> A64Target {
        A64Target {
            counting: true,
            ..self
        }
    }

    /// What the last run executed (zero unless counting).
    pub fn last_executed(&self) -> Executed {
        self.executed.get()
    }

    /// Where this target's runners take their machines from and put what they executed.
    fn pool(&self) -> Pool<A64Machine> {
        Pool {
            machines: self.machines.clone(),
            executed: self.counting.then(|| self.executed.clone()),
        }
    }

    /// A machine (from the pool, or new with the fixture loaded) whose trap slot `k` runs
    /// function `calls[k]` and logs calls in `log`.
    fn machine(
        &self,
        calls: Rc<RefCell<Vec<String>>>,
        log: Rc<RefCell<CallLog>>,
    ) -> Result<A64Machine, RunError> {
        let fault = |e: EmuError| RunError::Fault(e.to_string());
        let spare = self.machines.borrow_mut().pop();
        let fresh = spare.is_none();
        let mut machine = match spare {
            Some(m) => m,
            None => A64Machine::new().map_err(fault)?,
        };
        if let (true, Some(image)) = (fresh, &self.fixture) {
            machine.load_elf(&image.0).map_err(fault)?;
        }
        let gcc = self.fixture.as_ref().map(|f| f.1.clone());
        machine.set_host_calls(host_calls(calls, self.externs.clone(), gcc, log));
        if self.counting {
            machine.count_instructions().map_err(fault)?;
        }
        Ok(machine)
    }

    /// Loads `root` (compiled from `trace` by this target's backend) as the root of a tree
    /// that bridges, further loops and entries can be added to.
    pub fn load_a64_tree(
        &self,
        root: CompiledTrace,
        trace: &Trace,
    ) -> Result<A64Tree<'_>, RunError> {
        let log = Rc::new(RefCell::new(CallLog::default()));
        let calls = Rc::new(RefCell::new(Vec::new()));
        let machine = self.machine(calls.clone(), log.clone())?;
        let types = trace.inputs.iter().map(|&v| trace.ty(v)).collect();
        let tree = EmuTree::load(machine, root, types, calls)?;
        let check = Box::new(|_: &CompiledTrace| Ok(()));
        Ok(PooledTree::new(
            &self.backend,
            check,
            tree,
            log,
            self.pool(),
        ))
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
        let log = Rc::new(RefCell::new(CallLog::default()));
        // The code's call k goes to trap slot k (the backend's default).
        let calls = Rc::new(RefCell::new(code.calls.clone()));
        let machine = self.machine(calls, log.clone())?;
        let types = trace.inputs.iter().map(|&v| trace.ty(v)).collect();
        let inner = EmuTrace::load_into(machine, code, types)?;
        Ok(Box::new(PooledTrace::new(inner, log, self.pool())))
    }

    fn load_tree(
        &self,
        root: CompiledTrace,
        trace: &Trace,
    ) -> Result<Box<dyn jit_testkit::tree::TreeRunner + '_>, RunError> {
        Ok(Box::new(self.load_a64_tree(root, trace)?))
    }
}

/// A tree on an [`A64Target`]'s emulated CPU (see [`EmuTree`]); its machine goes back to
/// the target's pool when dropped.
pub type A64Tree<'a> = PooledTree<'a, A64Machine>;

/// `sources` built by the Debian cross compiler `aarch64-linux-gnu-gcc` (-O2, freestanding,
/// static, libgcc linked, floating-point contraction off) into one image at
/// [`FIXTURE_BASE`] that [`A64Machine::load_elf`] takes.
pub fn build_fixture(sources: &[std::path::PathBuf]) -> Result<Vec<u8>, String> {
    build_image(sources, FIXTURE_BASE)
}

/// [`build_fixture`] linked at `base` (clear of the machine's other regions).
pub fn build_image(sources: &[std::path::PathBuf], base: u64) -> Result<Vec<u8>, String> {
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
    args.push(format!("-Wl,-Ttext-segment={base:#x}"));
    args.push("-Wl,-e,0".into());
    crate::arm::build_cached(
        "aarch64-linux-gnu-gcc",
        &args,
        sources,
        &format!("aarch64-{base:#x}"),
    )
}

/// `jit-fixtures/c/abi.c` (functions of 0 to 16 mixed arguments) and the test kit's
/// generated callees (`jit_testkit::shapes`: narrow integers, floats, up to 40 arguments,
/// ...) for AArch64, at [`FIXTURE_BASE`].
pub fn build_abi_fixture() -> Result<Vec<u8>, String> {
    let abi = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../jit-fixtures/c/abi.c");
    let shapes = crate::arm::generated_source("shapes.c", jit_testkit::shapes::C_SOURCE)?;
    build_fixture(&[abi, shapes])
}

/// [`build_abi_fixture`] with its symbols, built once per process.
pub fn abi_fixture() -> Result<&'static crate::arm::Image, String> {
    static IMAGE: std::sync::OnceLock<Result<crate::arm::Image, String>> =
        std::sync::OnceLock::new();
    IMAGE
        .get_or_init(|| {
            let elf = build_abi_fixture()?;
            let symbols = A64Machine::new()
                .and_then(|mut m| m.load_elf(&elf))
                .map_err(|e| e.to_string())?;
            Ok((elf, symbols))
        })
        .as_ref()
        .map_err(Clone::clone)
}
