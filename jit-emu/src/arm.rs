//! ARMv7 as a test-kit target: backend-arm's code in the emulator, with host calls through
//! the trap slots placed by the AAPCS of the backend's float ABI.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;

use backend_arm::abi::{assign, result, ArgLoc};
use backend_arm::{ArmBackend, FloatAbi, Profile};
use jit_core::backend::{Backend, CompiledTrace};
use jit_core::externs::Externs;
use jit_core::interp::CallRecord;
use jit_core::ir::{CType, Scalar, Type};
use jit_core::runtime::{RunError, Runner};
use jit_core::Trace;
use jit_testkit::Target;

use crate::pooled::{CallLog, Pool, PooledTrace, PooledTree};
use crate::{CallRegs, Cpu, EmuTrace, TrapAction, TrapHandler};

/// ARMv7-A code of backend-arm running on the emulated Cortex-A8.
pub struct ArmTarget {
    backend: ArmBackend,
    externs: Externs,
    /// Machines of finished runs, reused by the next ones (creating one costs far more
    /// than running a short trace).
    machines: Rc<RefCell<Vec<crate::Machine>>>,
    /// A GCC-built ELF whose functions calls go to instead of the host, and its symbols.
    fixture: Option<(Vec<u8>, std::collections::HashMap<String, u64>)>,
    /// Whether runs count the instructions they execute.
    counting: bool,
    /// What the last run executed, when counting.
    executed: Rc<std::cell::Cell<crate::Executed>>,
}

impl ArmTarget {
    /// The target for one float ABI; calls resolve in the test kit's externs.
    pub fn new(float: FloatAbi) -> ArmTarget {
        ArmTarget {
            backend: ArmBackend::new(float),
            externs: jit_testkit::externs(),
            machines: Default::default(),
            fixture: None,
            counting: false,
            executed: Default::default(),
        }
    }

    /// This target calling the functions of `externs`, sharing this one's machines: a
    /// target per trace, each with functions of its own, without a machine of its own to
    /// create and load (a run sets its machine's trap handler for its target's functions).
    pub fn sharing_machines(&self, externs: Externs) -> ArmTarget {
        ArmTarget {
            backend: self.backend.clone(),
            externs,
            machines: self.machines.clone(),
            fixture: self.fixture.clone(),
            counting: self.counting,
            executed: Default::default(),
        }
    }

    /// ARMv5TE soft-float code (backend-armv5) on the emulated ARM926 with VFP off; every
    /// compiled trace is also run through backend-armv5's ARMv5TE checker.
    pub fn armv5te() -> ArmTarget {
        ArmTarget {
            backend: backend_armv5::backend(),
            externs: jit_testkit::externs(),
            machines: Default::default(),
            fixture: None,
            counting: false,
            executed: Default::default(),
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

impl ArmTarget {
    /// The same target, counting the instructions every run executes (slower: for
    /// measuring); [`ArmTarget::last_executed`] reads the last run's count.
    pub fn counting(self) -> ArmTarget {
        ArmTarget {
            counting: true,
            ..self
        }
    }

    /// The same target with the branches patched between a tree's parts reaching only
    /// `bytes` (`ArmBackend::with_branch_reach`): tests of far jumps.
    pub fn with_branch_reach(self, bytes: u64) -> ArmTarget {
        ArmTarget {
            backend: self.backend.clone().with_branch_reach(bytes),
            ..self
        }
    }

    /// What the last run executed (zero unless counting).
    pub fn last_executed(&self) -> crate::Executed {
        self.executed.get()
    }

    /// The same target with calls resolved in `externs` instead of the test kit's table.
    pub fn with_externs(self, externs: Externs) -> ArmTarget {
        ArmTarget { externs, ..self }
    }

    /// The same target, but calls to the test kit's functions that `abi.c` also defines
    /// (`ci1`, `cm6`, …: 0 to 16 mixed arguments) run that file's GCC-built code for this
    /// profile and float ABI instead of the host's. Their call log records the arguments
    /// as the AAPCS placed them and the host body's result for them.
    pub fn calling_gcc(self) -> Result<ArmTarget, String> {
        let (elf, symbols) = abi_fixture(self.backend.profile(), self.backend.float_abi())?;
        Ok(ArmTarget {
            fixture: Some((elf.clone(), symbols.clone())),
            ..self
        })
    }

    /// The same target, but calls to functions the static ARM image `elf` defines (built
    /// for this profile and float ABI, away from the code region) run its code, logged as
    /// [`ArmTarget::calling_gcc`] does.
    pub fn calling_image(self, elf: Vec<u8>) -> Result<ArmTarget, String> {
        let symbols = crate::Machine::new(Cpu::CortexA8)
            .and_then(|mut m| m.load_elf(&elf))
            .map_err(|e| e.to_string())?;
        Ok(ArmTarget {
            fixture: Some((elf, symbols)),
            ..self
        })
    }

    /// The backend.
    pub fn arm_backend(&self) -> &ArmBackend {
        &self.backend
    }
}

/// A scalar of C type `ty` from its bits.
fn scalar(ty: CType, bits: u64) -> Scalar {
    match ty.value() {
        // A 32-bit machine's pointer.
        Type::Ref => Scalar::Ref(bits as u32 as u64),
        t => Scalar::from_bits(t, bits),
    }
}

/// The arguments of a call to `f` as the AAPCS under `float` placed them in `regs` and
/// on the stack.
fn call_args(
    f: &jit_core::externs::ExternFn,
    float: FloatAbi,
    regs: &CallRegs,
    stack: &[u8],
) -> Result<Vec<Scalar>, String> {
    let (locs, _) = assign(&f.params, float);
    let mut args = Vec::with_capacity(f.params.len());
    for (k, (&ty, loc)) in f.params.iter().zip(&locs).enumerate() {
        let bits = match *loc {
            ArgLoc::Core(r) => regs.r[r as usize] as u64,
            ArgLoc::CorePair(lo, hi) => {
                regs.r[lo as usize] as u64 | (regs.r[hi as usize] as u64) << 32
            }
            ArgLoc::Vfp(d) => regs.d[d as usize],
            ArgLoc::VfpSingle(s) => regs.d[s as usize / 2] >> (32 * (s % 2)) & 0xffff_ffff,
            ArgLoc::Stack(off) => {
                let n = if matches!(ty, CType::I64 | CType::F64) {
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
        // The AAPCS has the caller extend a narrow integer to a word: the callee may count
        // on it, so a caller that does not is caught here.
        let x = scalar(ty, bits);
        if ty.fit(x) != x {
            return Err(format!(
                "argument {k} ({ty}) is {:#x}, not extended to a word as the AAPCS requires",
                bits as u32
            ));
        }
        args.push(x);
    }
    Ok(args)
}

/// A trap handler calling `calls[k]` in `externs` with AAPCS placement under `float`,
/// logging non-helper calls to `log`.
pub fn host_calls(
    calls: Rc<RefCell<Vec<String>>>,
    externs: Externs,
    float: FloatAbi,
    log: Rc<RefCell<CallLog>>,
) -> TrapHandler {
    Box::new(move |index, regs, stack| {
        let name = calls
            .borrow()
            .get(index as usize)
            .cloned()
            .ok_or_else(|| format!("no function for trap slot {index}"))?;
        let name = &name;
        // The collector's slow paths work on the machine's heap, in the trap itself.
        if name == jit_core::gcrun::ALLOC_HELPER {
            return Ok(TrapAction::Gc(crate::GcCall::Alloc {
                frame: regs.r[0],
                size: regs.r[1],
                len: regs.r[2],
                map: regs.r[3],
            }));
        }
        if name == jit_core::gcrun::BARRIER_HELPER {
            return Ok(TrapAction::Gc(crate::GcCall::Barrier { obj: regs.r[1] }));
        }
        // A helper the runtime has no GCC-built code for runs on the host too.
        let helper = jit_core::legalize::is_helper(name)
            .then(|| jit_core::legalize::helpers().get(name).cloned())
            .flatten();
        let f = externs
            .get(name)
            .or(helper.as_ref())
            .ok_or_else(|| format!("no external function @{name}"))?;
        let float = backend_arm::abi::for_callee(name, float);
        let args = call_args(f, float, regs, stack)?;
        let r = (f.body)(&args);
        if r.map(|x| x.ty()) != f.ret.map(CType::value) {
            return Err(format!("@{name} returned the wrong type"));
        }
        // A narrow result as the callee extends it (the AAPCS has it do so).
        let r = r.zip(f.ret).map(|(x, t)| t.fit(x));
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
                // s0: the low half of d0; the high half keeps its garbage.
                ArgLoc::VfpSingle(s) => {
                    let d = &mut out.d[s as usize / 2];
                    let shift = 32 * (s % 2);
                    *d = *d & !(0xffff_ffff << shift) | (bits & 0xffff_ffff) << shift;
                }
                ArgLoc::Stack(_) => return Err("results come back in registers".into()),
            }
        }
        Ok(TrapAction::Return(out))
    })
}

impl Target for ArmTarget {
    fn name(&self) -> String {
        let cpu = match self.backend.profile() {
            Profile::V5te => "ARM926",
            Profile::V7Vfp => "Cortex-A8",
        };
        format!("{} (emulated {cpu})", self.backend.name())
    }

    fn backend(&self) -> &dyn Backend {
        &self.backend
    }

    fn load_tree(
        &self,
        root: CompiledTrace,
        trace: &Trace,
    ) -> Result<Box<dyn jit_testkit::tree::TreeRunner + '_>, RunError> {
        Ok(Box::new(self.load_arm_tree(root, trace)?))
    }

    fn load(&self, code: CompiledTrace, trace: &Trace) -> Result<Box<dyn Runner>, RunError> {
        let log = Rc::new(RefCell::new(CallLog::default()));
        let calls = Rc::new(RefCell::new(code.calls.clone()));
        self.check_code(&code)?;
        let machine = self.machine(calls, log.clone())?;
        let types = trace.inputs.iter().map(|&v| trace.ty(v)).collect();
        let inner = EmuTrace::load_into(machine, code, types)?;
        Ok(Box::new(PooledTrace::new(inner, log, self.pool())))
    }
}

impl ArmTarget {
    /// Refuses code an ARMv5TE target must not run (anything newer than ARMv5TE, or
    /// UNPREDICTABLE); every compiled trace and bridge goes through it.
    fn check_code(&self, code: &CompiledTrace) -> Result<(), RunError> {
        if self.backend.profile() == Profile::V5te {
            let found = backend_armv5::check::check_code(
                &code.code[..code.text_len as usize],
                &code.data_ranges,
            );
            if let Some(v) = found.first() {
                return Err(RunError::Fault(format!("not ARMv5TE-safe code: {v}")));
            }
        }
        Ok(())
    }

    /// A machine of this target's CPU (from the pool, or new with the runtime and fixture
    /// images loaded), whose trap slot `k` runs function `calls[k]` and logs calls in `log`.
    fn machine(
        &self,
        calls: Rc<RefCell<Vec<String>>>,
        log: Rc<RefCell<CallLog>>,
    ) -> Result<crate::Machine, RunError> {
        let mut host = host_calls(
            calls.clone(),
            self.externs.clone(),
            self.backend.float_abi(),
            log.clone(),
        );
        let cpu = match self.backend.profile() {
            Profile::V5te => Cpu::Arm926,
            Profile::V7Vfp => Cpu::CortexA8,
        };
        let fault = |e: String| RunError::Fault(e);
        let spare = {
            let mut pool = self.machines.borrow_mut();
            pool.iter()
                .position(|m| m.cpu() == cpu)
                .map(|i| pool.swap_remove(i))
        };
        // A machine from this target's pool already holds the images loaded below.
        let fresh = spare.is_none();
        let mut machine = match spare {
            Some(machine) => machine,
            None => crate::Machine::new(cpu).map_err(|e| fault(e.to_string()))?,
        };
        // Legalization helpers run as GCC-built code on top of libgcc, as they would in a
        // process on the target; test functions run on the host unless a fixture has them.
        let (runtime, runtime_symbols) =
            runtime_fixture(self.backend.profile(), self.backend.float_abi()).map_err(fault)?;
        if fresh {
            machine
                .load_elf(runtime)
                .map_err(|e| fault(e.to_string()))?;
        }
        let mut fixture_symbols = None;
        if let Some((elf, more)) = &self.fixture {
            if fresh {
                machine.load_elf(elf).map_err(|e| fault(e.to_string()))?;
            }
            fixture_symbols = Some(more.clone());
        }
        let (externs, float, gcc_log) =
            (self.externs.clone(), self.backend.float_abi(), log.clone());
        let handler: TrapHandler = Box::new(move |index, regs, stack| {
            let name = calls.borrow().get(index as usize).cloned();
            if let Some(&addr) = name.as_ref().and_then(|n| runtime_symbols.get(n)) {
                return Ok(TrapAction::Jump(addr));
            }
            let gcc = name
                .as_ref()
                .and_then(|n| Some((n, fixture_symbols.as_ref()?.get(n)?)));
            let Some((name, &addr)) = gcc else {
                return host(index, regs, stack);
            };
            // GCC's code computes the result; the log gets the arguments as they were
            // passed and what the function is defined to return for them.
            if let Some(f) = externs.get(name) {
                let args = call_args(f, backend_arm::abi::for_callee(name, float), regs, stack)?;
                let result = (f.body)(&args).zip(f.ret).map(|(x, t)| t.fit(x));
                gcc_log.borrow_mut().push(CallRecord {
                    name: name.clone(),
                    args,
                    result,
                });
            }
            Ok(TrapAction::Jump(addr))
        });
        machine.set_trap_handler(handler);
        if self.counting {
            machine
                .count_instructions()
                .map_err(|e| fault(e.to_string()))?;
        }
        Ok(machine)
    }

    /// Loads `root` (compiled from `trace` by this target's backend) as the root of a tree
    /// that bridges can be attached to.
    pub fn load_arm_tree(
        &self,
        root: CompiledTrace,
        trace: &Trace,
    ) -> Result<ArmTree<'_>, RunError> {
        self.check_code(&root)?;
        let log = Rc::new(RefCell::new(CallLog::default()));
        let calls = Rc::new(RefCell::new(Vec::new()));
        let machine = self.machine(calls.clone(), log.clone())?;
        let types = trace.inputs.iter().map(|&v| trace.ty(v)).collect();
        let tree = crate::EmuTree::load(machine, root, types, calls)?;
        let check = Box::new(move |code: &CompiledTrace| self.check_code(code));
        Ok(PooledTree::new(
            &self.backend,
            check,
            tree,
            log,
            self.pool(),
        ))
    }

    /// Where this target's runners take their machines from and put what they executed.
    fn pool(&self) -> Pool<crate::Machine> {
        Pool {
            machines: self.machines.clone(),
            executed: self.counting.then(|| self.executed.clone()),
        }
    }
}

/// A tree on this target's emulated CPU (see [`crate::EmuTree`]); its machine goes back to
/// the target's pool when dropped.
pub type ArmTree<'a> = PooledTree<'a, crate::Machine>;

/// Builds a C file of `jit-fixtures/c/` for ARMv7 and `float` with the Debian cross
/// compiler (`arm-linux-gnueabihf-gcc` or `arm-linux-gnueabi-gcc`) into a static
/// ARM-state image at `base`, with libgcc, that [`crate::Machine::load_elf`] takes.
pub fn build_fixture(
    file: &str,
    float: FloatAbi,
    base: u32,
    keep: &[&str],
) -> Result<Vec<u8>, String> {
    build_fixture_for(file, Profile::V7Vfp, float, base, keep)
}

/// [`build_fixture`] for a profile: ARMv5TE builds use `-march=armv5te -mfloat-abi=soft`.
pub fn build_fixture_for(
    file: &str,
    profile: Profile,
    float: FloatAbi,
    base: u32,
    keep: &[&str],
) -> Result<Vec<u8>, String> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../jit-fixtures/c")
        .join(file);
    build_c_for(&[src], profile, float, base, keep)
}

/// C `sources` built by the Debian cross compiler for `profile` and `float` (-O2,
/// freestanding, static, libgcc linked, floating-point contraction off) into one ELF image
/// at `base`, keeping the symbols `keep` even if unreferenced.
pub fn build_c_for(
    sources: &[std::path::PathBuf],
    profile: Profile,
    float: FloatAbi,
    base: u32,
    keep: &[&str],
) -> Result<Vec<u8>, String> {
    let file = sources
        .first()
        .and_then(|s| s.file_name())
        .map_or("c".into(), |f| f.to_string_lossy().into_owned());
    let (gcc, arch, fpu, flag) = match (profile, float) {
        (Profile::V5te, _) => (
            "arm-linux-gnueabi-gcc",
            "-march=armv5te",
            "-mfpu=auto",
            "-mfloat-abi=soft",
        ),
        (_, FloatAbi::Hard) => (
            "arm-linux-gnueabihf-gcc",
            "-march=armv7-a",
            "-mfpu=vfpv3-d16",
            "-mfloat-abi=hard",
        ),
        (_, FloatAbi::Softfp) => (
            "arm-linux-gnueabi-gcc",
            "-march=armv7-a",
            "-mfpu=vfpv3-d16",
            "-mfloat-abi=softfp",
        ),
    };
    let mut args: Vec<String> = [
        "-O2",
        "-marm",
        arch,
        fpu,
        flag,
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
    args.extend(keep.iter().map(|k| format!("-Wl,--undefined={k}")));
    build_cached(
        gcc,
        &args,
        sources,
        &format!("{file}-{profile:?}-{float:?}"),
    )
}

/// Runs cross compiler `gcc` with `args` on `sources` (then `-lgcc`), the image cached on
/// disk under a key of the compiler's version, the flags and the sources; `what` names
/// the build in temporary files.
pub(crate) fn build_cached(
    gcc: &str,
    args: &[String],
    sources: &[std::path::PathBuf],
    what: &str,
) -> Result<Vec<u8>, String> {
    let file = sources
        .first()
        .and_then(|s| s.file_name())
        .map_or("c".into(), |f| f.to_string_lossy().into_owned());
    // The image is cached on disk, keyed by the compiler's version, the flags and the
    // sources: a build costs about half a second, a cached one the compiler's --version.
    let version = std::process::Command::new(gcc)
        .arg("--version")
        .output()
        .map_err(|e| format!("{gcc} is needed (scripts/setup.sh installs it): {e}"))?;
    let mut key = Fnv::default();
    key.add(&version.stdout);
    for a in args {
        key.add(a.as_bytes());
    }
    for src in sources {
        key.add(&std::fs::read(src).map_err(|e| format!("{}: {e}", src.display()))?);
    }
    let cached = cache_dir().map(|d| d.join(format!("{file}-{:016x}.elf", key.0)));
    if let Some(bytes) = cached.as_ref().and_then(|c| std::fs::read(c).ok()) {
        return Ok(bytes);
    }
    let dir = std::env::temp_dir().join(format!("tracejit-fixture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let tag = format!("{:?}", std::thread::current().id())
        .replace(|c: char| !c.is_ascii_alphanumeric(), "");
    let out = dir.join(format!("{what}-{tag}.elf"));
    let status = std::process::Command::new(gcc)
        .args(args)
        .arg("-o")
        .arg(&out)
        .args(sources)
        .arg("-lgcc")
        .status()
        .map_err(|e| format!("{gcc} is needed (scripts/setup.sh installs it): {e}"))?;
    if !status.success() {
        return Err(format!("{gcc} failed on {file}"));
    }
    let bytes = std::fs::read(&out).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&out);
    if let Some(c) = cached {
        // Written under a private name, then renamed: readers never see half a file.
        let tmp = c.with_extension(format!("{}-{tag}.tmp", std::process::id()));
        if std::fs::write(&tmp, &bytes).is_ok() && std::fs::rename(&tmp, &c).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
    Ok(bytes)
}

/// Where built fixture images are kept between processes: `$TRACEJIT_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/tracejit`, else `~/.cache/tracejit`; `None` if none can be made.
fn cache_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("TRACEJIT_CACHE_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|d| std::path::PathBuf::from(d).join("tracejit"))
        })
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache/tracejit"))
        })?;
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

/// FNV-1a, 64 bits: a stable hash for cache keys (each part length-prefixed).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn add(&mut self, bytes: &[u8]) {
        for &b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// `abi.c` (functions of 0 to 16 mixed arguments) and the test kit's generated callees
/// (`jit_testkit::shapes`: narrow integers, floats, up to 40 arguments, ...) for ARMv7 and
/// `float`, at 0x2000000.
pub fn build_abi_fixture(float: FloatAbi) -> Result<Vec<u8>, String> {
    build_abi_fixture_for(Profile::V7Vfp, float)
}

fn build_abi_fixture_for(profile: Profile, float: FloatAbi) -> Result<Vec<u8>, String> {
    let abi = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../jit-fixtures/c/abi.c");
    let shapes = generated_source("shapes.c", jit_testkit::shapes::C_SOURCE)?;
    build_c_for(&[abi, shapes], profile, float, 0x0200_0000, &[])
}

/// `text` written to a file named `name` where the compiler can read it (the cache
/// directory, else the temporary one), rewritten only if it differs.
pub(crate) fn generated_source(name: &str, text: &str) -> Result<std::path::PathBuf, String> {
    let dir = cache_dir().unwrap_or_else(std::env::temp_dir);
    let mut key = Fnv::default();
    key.add(text.as_bytes());
    let path = dir.join(format!("{:016x}-{name}", key.0));
    if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
        let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
        std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(path)
}

/// [`build_abi_fixture`] for `profile` and `float` at 0x2000000, with its symbols; built
/// once per process and profile.
pub fn abi_fixture(profile: Profile, float: FloatAbi) -> Result<&'static Image, String> {
    static CELLS: ImageCells = [const { OnceLock::new() }; 3];
    cached_image(&CELLS, profile, float, || {
        build_abi_fixture_for(profile, float)
    })
}

/// A GCC-built ELF image and its symbols.
pub type Image = (Vec<u8>, std::collections::HashMap<String, u64>);

type ImageCells = [OnceLock<Result<Image, String>>; 3];

/// The image `build` makes for `profile` and `float`, built once per process (one cell per
/// ARMv7 float ABI and one for ARMv5TE).
fn cached_image(
    cells: &'static ImageCells,
    profile: Profile,
    float: FloatAbi,
    build: impl FnOnce() -> Result<Vec<u8>, String>,
) -> Result<&'static Image, String> {
    let cell = match (profile, float) {
        (Profile::V5te, _) => &cells[0],
        (_, FloatAbi::Hard) => &cells[1],
        (_, FloatAbi::Softfp) => &cells[2],
    };
    cell.get_or_init(|| {
        let elf = build()?;
        let symbols = crate::Machine::new(Cpu::CortexA8)
            .and_then(|mut m| m.load_elf(&elf))
            .map_err(|e| e.to_string())?;
        Ok((elf, symbols))
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// The AEABI routines legalized code calls directly (kept from libgcc).
const AEABI: &[&str] = &[
    "__aeabi_l2d",
    "__aeabi_i2d",
    "__aeabi_dcmpeq",
    "__aeabi_dcmplt",
    "__aeabi_dcmple",
    "__aeabi_dcmpgt",
    "__aeabi_dcmpge",
];

/// `runtime.c` (the legalization helpers, with libgcc's AEABI routines) for ARMv7 and
/// `float`, at 0x3000000; built once per process and float ABI.
pub fn runtime_fixture(profile: Profile, float: FloatAbi) -> Result<&'static Image, String> {
    static CELLS: ImageCells = [const { OnceLock::new() }; 3];
    cached_image(&CELLS, profile, float, || {
        build_fixture_for("runtime.c", profile, float, 0x0300_0000, AEABI)
    })
}
