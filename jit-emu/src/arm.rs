//! ARMv7 as a test-kit target: backend-arm's code in the emulator, with host calls through
//! the trap slots placed by the AAPCS of the backend's float ABI.

use std::cell::RefCell;
use std::rc::Rc;

use backend_arm::abi::{assign, result, ArgLoc};
use backend_arm::{ArmBackend, FloatAbi};
use jit_core::backend::{Backend, CompiledTrace};
use jit_core::externs::Externs;
use jit_core::interp::{CallRecord, Outcome, RunOptions};
use jit_core::ir::{Scalar, Type};
use jit_core::runtime::{RunError, Runner};
use jit_core::{Memory, Trace};
use jit_testkit::Target;

use crate::{CallRegs, Cpu, EmuTrace, TrapAction, TrapHandler};

/// ARMv7-A code of backend-arm running on the emulated Cortex-A8.
pub struct ArmTarget {
    backend: ArmBackend,
    externs: Externs,
    /// A GCC-built ELF whose functions calls go to instead of the host, and its symbols.
    fixture: Option<(Vec<u8>, std::collections::HashMap<String, u64>)>,
}

impl ArmTarget {
    /// The target for one float ABI; calls resolve in the test kit's externs.
    pub fn new(float: FloatAbi) -> ArmTarget {
        ArmTarget {
            backend: ArmBackend::new(float),
            externs: jit_testkit::externs(),
            fixture: None,
        }
    }

    /// The same, but calls to functions the ELF `fixture` defines (a static ARM-state
    /// image away from the code region, built for this float ABI) run its code instead of
    /// the host's: JIT code and GCC code then meet at the calling convention. Such calls
    /// leave no call log.
    pub fn with_fixture(float: FloatAbi, fixture: Vec<u8>) -> Result<ArmTarget, crate::EmuError> {
        let symbols = crate::Machine::new(Cpu::CortexA8)?.load_elf(&fixture)?;
        Ok(ArmTarget {
            fixture: Some((fixture, symbols)),
            ..ArmTarget::new(float)
        })
    }
}

/// A scalar of type `ty` from its bits.
fn scalar(ty: Type, bits: u64) -> Scalar {
    match ty {
        Type::I32 => Scalar::I32(bits as u32 as i32),
        Type::I64 => Scalar::I64(bits as i64),
        Type::F64 => Scalar::F64(bits),
        Type::Ref => Scalar::Ref(bits as u32 as u64),
    }
}

/// A trap handler calling `calls[k]` in `externs` with AAPCS placement under `float`,
/// logging non-helper calls to `log`.
pub fn host_calls(
    calls: Vec<String>,
    externs: Externs,
    float: FloatAbi,
    log: Rc<RefCell<Vec<CallRecord>>>,
) -> TrapHandler {
    Box::new(move |index, regs, stack| {
        let name = calls
            .get(index as usize)
            .ok_or_else(|| format!("no function for trap slot {index}"))?;
        let f = externs
            .get(name)
            .ok_or_else(|| format!("no external function @{name}"))?;
        let (locs, _) = assign(&f.params, float);
        let mut args = Vec::with_capacity(f.params.len());
        for (&ty, loc) in f.params.iter().zip(&locs) {
            let bits = match *loc {
                ArgLoc::Core(r) => regs.r[r as usize] as u64,
                ArgLoc::CorePair(lo, hi) => {
                    regs.r[lo as usize] as u64 | (regs.r[hi as usize] as u64) << 32
                }
                ArgLoc::Vfp(d) => regs.d[d as usize],
                ArgLoc::Stack(off) => {
                    let n = if matches!(ty, Type::I64 | Type::F64) {
                        8
                    } else {
                        4
                    };
                    let b = stack
                        .get(off as usize..off as usize + n)
                        .ok_or("stacked arguments past the trap's view")?;
                    let mut w = [0u8; 8];
                    w[..n].copy_from_slice(b);
                    u64::from_le_bytes(w)
                }
            };
            args.push(scalar(ty, bits));
        }
        let r = (f.body)(&args);
        if r.map(|x| x.ty()) != f.ret {
            return Err(format!("@{name} returned the wrong type"));
        }
        if !jit_core::legalize::is_helper(name) {
            log.borrow_mut().push(CallRecord {
                name: name.clone(),
                args: args.clone(),
                result: r,
            });
        }
        // Everything a callee may leave behind is garbage, but the result.
        let mut out = CallRegs {
            r: [0xdead_0000, 0xdead_0001, 0xdead_0002, 0xdead_0003],
            d: [0x7ff4_dead_beef_0000; 8],
        };
        if let (Some(x), Some(ty)) = (r, f.ret) {
            let bits = x.bits() as u64;
            match result(ty, float) {
                ArgLoc::Core(r) => out.r[r as usize] = bits as u32,
                ArgLoc::CorePair(lo, hi) => {
                    out.r[lo as usize] = bits as u32;
                    out.r[hi as usize] = (bits >> 32) as u32;
                }
                ArgLoc::Vfp(d) => out.d[d as usize] = bits,
                ArgLoc::Stack(_) => return Err("results come back in registers".into()),
            }
        }
        Ok(TrapAction::Return(out))
    })
}

struct ArmRunner {
    inner: EmuTrace,
    log: Rc<RefCell<Vec<CallRecord>>>,
}

impl Runner for ArmRunner {
    fn run(
        &mut self,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
    ) -> Result<Outcome, RunError> {
        self.log.borrow_mut().clear();
        let mut out = self.inner.run(inputs, memory, options)?;
        out.calls = std::mem::take(&mut *self.log.borrow_mut());
        out.call_count = out.calls.len() as u64;
        Ok(out)
    }
}

impl Target for ArmTarget {
    fn name(&self) -> String {
        format!("{} (emulated Cortex-A8)", self.backend.name())
    }

    fn backend(&self) -> &dyn Backend {
        &self.backend
    }

    fn load(&self, code: CompiledTrace, trace: &Trace) -> Result<Box<dyn Runner>, RunError> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let calls = code.calls.clone();
        let mut host = host_calls(
            calls.clone(),
            self.externs.clone(),
            self.backend.float_abi(),
            log.clone(),
        );
        let types = trace.inputs.iter().map(|&v| trace.ty(v)).collect();
        let mut inner = EmuTrace::load(Cpu::CortexA8, code, types)?;
        let handler: TrapHandler = match &self.fixture {
            None => host,
            Some((elf, symbols)) => {
                inner
                    .machine()
                    .load_elf(elf)
                    .map_err(|e| RunError::Fault(e.to_string()))?;
                let symbols = symbols.clone();
                Box::new(move |index, regs, stack| {
                    match calls.get(index as usize).and_then(|n| symbols.get(n)) {
                        Some(&addr) => Ok(TrapAction::Jump(addr)),
                        None => host(index, regs, stack),
                    }
                })
            }
        };
        inner.machine().set_trap_handler(handler);
        Ok(Box::new(ArmRunner { inner, log }))
    }
}

/// Builds `jit-fixtures/c/abi.c` for ARMv7 and `float` with the Debian cross compiler
/// (`arm-linux-gnueabihf-gcc` or `arm-linux-gnueabi-gcc`): a static ARM-state image at
/// 0x2000000 that [`crate::Machine::load_elf`] and [`ArmTarget::with_fixture`] take.
pub fn build_abi_fixture(float: FloatAbi) -> Result<Vec<u8>, String> {
    let (gcc, flag) = match float {
        FloatAbi::Hard => ("arm-linux-gnueabihf-gcc", "-mfloat-abi=hard"),
        FloatAbi::Softfp => ("arm-linux-gnueabi-gcc", "-mfloat-abi=softfp"),
    };
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../jit-fixtures/c/abi.c");
    let dir = std::env::temp_dir().join(format!("tracejit-fixture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let out = dir.join(format!(
        "abi-{float:?}-{}.elf",
        std::thread::current()
            .name()
            .unwrap_or("t")
            .replace("::", "-")
    ));
    let status = std::process::Command::new(gcc)
        .args(["-O2", "-marm", "-march=armv7-a", "-mfpu=vfpv3-d16", flag])
        .args([
            "-ffreestanding",
            "-nostdlib",
            "-static",
            "-Wl,-Ttext-segment=0x2000000",
            "-Wl,-e,c0",
        ])
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .arg("-lgcc")
        .status()
        .map_err(|e| format!("{gcc} is needed (scripts/setup.sh installs it): {e}"))?;
    if !status.success() {
        return Err(format!("{gcc} failed on {}", src.display()));
    }
    std::fs::read(&out).map_err(|e| e.to_string())
}
