//! `tracejit bench`: the ARM-vs-x86 report. Thirteen kernels shaped like a tracing JIT's
//! loops (`bench/kernels/*.trace`, each with a C twin in `bench/kernels.c`) run on every
//! target after their results are checked against the interpreter. Per kernel and target
//! it measures compile time per IR op, code bytes, and the instructions our code executes
//! per loop iteration next to gcc -O2's code for the same loop (counted in the emulator on
//! every target — ARM, AArch64 and x86-64 — helper and soft-float code included); on
//! x86-64 it also times our code, gcc's and the interpreter natively.

use std::time::Instant;

use backend_arm::abi::{assign, result, ArgLoc};
use backend_arm::FloatAbi;
use jit_core::compile::{compile, CompileOptions};
use jit_core::interp::{run, Outcome, RunOptions};
use jit_core::ir::{CType, Opcode, Scalar, Type};
use jit_core::runtime::Runner;
use jit_core::text::{default_args, parse_args, parse_verified, resolve_args};
use jit_core::{Externs, Memory, Trace};
use jit_emu::aarch64::A64Target;
use jit_emu::arm::ArmTarget;
use jit_emu::{CallRegs, Cpu, Machine};
use jit_testkit::{NativeTarget, Target};

/// A benchmark kernel: its name and trace text.
#[derive(Clone, Copy, Debug)]
pub struct Kernel {
    /// The name (also the C function `k_<name>`).
    pub name: &'static str,
    /// The trace, with its inputs on the `# args:` line.
    pub src: &'static str,
}

macro_rules! kernels {
    ($($name:literal),* $(,)?) => {
        &[$(Kernel { name: $name, src: include_str!(concat!("../../bench/kernels/", $name, ".trace")) }),*]
    };
}

/// The kernels, in report order.
pub const KERNELS: &[Kernel] = kernels![
    "sum",
    "sieve",
    "crc32",
    "fannkuch",
    "array_sum",
    "nbody",
    "spectral_norm",
    "mandelbrot",
    "calls",
    "xorshift64",
    "constants",
    "box_floats",
    "build_list",
];

/// The tree kernels (`bench/trees/*.trace`: a root and its bridges, each with a C twin in
/// `bench/kernels.c`), measured in [`run_tree_bench`].
pub const TREE_KERNELS: &[Kernel] = &[Kernel {
    name: "hot_branch",
    src: include_str!("../../bench/trees/hot_branch.trace"),
}];

extern "C" {
    fn bench_mix(a: i32, b: i32) -> i32;
    fn k_sum(n: i32, acc: i32) -> i32;
    fn k_sieve(b: *mut u8, len: i32, j: i32, step: i32, count: i32) -> i32;
    fn k_crc32(b: *const u8, len: i32, i: i32, crc: i32) -> i32;
    fn k_fannkuch(a: *mut u8, len: i32, i: i32, j: i32, swaps: i32) -> i32;
    fn k_array_sum(a: *const u8, len: i32, i: i32, sum: i32) -> i32;
    fn k_nbody(n: i32, x: f64, y: f64, vx: f64, vy: f64) -> f64;
    fn k_spectral_norm(u: *const u8, n: i32, i: i32, j: i32, sum: f64) -> f64;
    fn k_mandelbrot(n: i32, cr: f64, ci: f64, zr: f64, zi: f64) -> i32;
    fn k_calls(n: i32, acc: i32) -> i32;
    fn k_xorshift64(n: i32, seed: i64) -> i64;
    fn k_constants(n: i32, x: i32) -> i32;
    fn k_hot_branch(n: i32, acc: i32, b: *mut u8) -> i32;
    fn k_box_floats(n: i32, x: f64) -> f64;
    fn k_build_list(n: i32) -> i64;
}

/// One input of a host C call.
#[derive(Clone, Copy)]
enum HostArg {
    I32(i32),
    I64(i64),
    F64(f64),
    Ptr(*mut u8),
}

/// Calls the host build of `k_<name>`.
fn call_host(name: &str, a: &[HostArg]) -> Option<Scalar> {
    use HostArg::*;
    let i = |k: usize| match a.get(k) {
        Some(I32(x)) => *x,
        _ => 0,
    };
    let f = |k: usize| match a.get(k) {
        Some(F64(x)) => *x,
        _ => 0.0,
    };
    let p = |k: usize| match a.get(k) {
        Some(Ptr(x)) => *x,
        _ => std::ptr::null_mut(),
    };
    let l = |k: usize| match a.get(k) {
        Some(I64(x)) => *x,
        _ => 0,
    };
    // SAFETY: each kernel is a C function of exactly these argument types (bench/kernels.c,
    // compiled in by build.rs); pointers are to buffers the caller keeps alive and that
    // are as large as the trace's own buffers, which the kernel indexes the same way.
    unsafe {
        Some(match name {
            "sum" => Scalar::I32(k_sum(i(0), i(1))),
            "sieve" => Scalar::I32(k_sieve(p(0), i(1), i(2), i(3), i(4))),
            "crc32" => Scalar::I32(k_crc32(p(0), i(1), i(2), i(3))),
            "fannkuch" => Scalar::I32(k_fannkuch(p(0), i(1), i(2), i(3), i(4))),
            "array_sum" => Scalar::I32(k_array_sum(p(0), i(1), i(2), i(3))),
            "nbody" => Scalar::f64(k_nbody(i(0), f(1), f(2), f(3), f(4))),
            "spectral_norm" => Scalar::f64(k_spectral_norm(p(0), i(1), i(2), i(3), f(4))),
            "mandelbrot" => Scalar::I32(k_mandelbrot(i(0), f(1), f(2), f(3), f(4))),
            "calls" => Scalar::I32(k_calls(i(0), i(1))),
            "xorshift64" => Scalar::I64(k_xorshift64(i(0), l(1))),
            "constants" => Scalar::I32(k_constants(i(0), i(1))),
            "hot_branch" => Scalar::I32(k_hot_branch(i(0), i(1), p(2))),
            "box_floats" => Scalar::f64(k_box_floats(i(0), f(1))),
            "build_list" => Scalar::I64(k_build_list(i(0))),
            _ => return None,
        })
    }
}

/// The externs the kernels call: the test kit's plus `bench_mix` (host C, with its Rust
/// twin for the interpreter).
pub fn externs() -> Externs {
    let mut e = jit_testkit::externs();
    e.insert_native(
        "bench_mix",
        &[CType::I32, CType::I32],
        Some(CType::I32),
        |a| {
            let (x, y) = (a[0].bits() as u32, a[1].bits() as u32);
            let v = x ^ y.wrapping_mul(0x9e37_79b9);
            Some(Scalar::I32(v.wrapping_add(v >> 7) as i32))
        },
        bench_mix as *const () as usize,
    );
    e
}

/// What was measured for one kernel on one target.
#[derive(Clone, Debug, Default)]
pub struct Row {
    /// The kernel.
    pub kernel: String,
    /// The target triple.
    pub target: String,
    /// IR ops in the trace.
    pub ops: usize,
    /// Loop iterations of the measured run.
    pub iterations: u64,
    /// Median compile time per IR op, in nanoseconds.
    pub compile_ns_per_op: f64,
    /// Bytes of machine code (constant pools included).
    pub code_bytes: usize,
    /// Instructions our code executes per iteration (emulated targets).
    pub insns_per_iter: Option<f64>,
    /// Of those, instructions outside the JIT's code: helpers, soft-float routines, callees.
    pub helper_insns_per_iter: Option<f64>,
    /// Instructions gcc -O2's code for the same loop executes per iteration.
    pub gcc_insns_per_iter: Option<f64>,
    /// Native nanoseconds per iteration of our code (the host's target).
    pub ns_per_iter: Option<f64>,
    /// Native nanoseconds per iteration of gcc -O2's code.
    pub gcc_ns_per_iter: Option<f64>,
    /// Nanoseconds per iteration of the reference interpreter.
    pub interp_ns_per_iter: Option<f64>,
    /// Cranelift's compile time per IR op at opt_level=none (the host's target).
    pub cl_none_compile_ns_per_op: Option<f64>,
    /// Cranelift's compile time per IR op at opt_level=speed.
    pub cl_speed_compile_ns_per_op: Option<f64>,
    /// Native nanoseconds per iteration of Cranelift's opt_level=speed code.
    pub cl_ns_per_iter: Option<f64>,
}

/// Options of a benchmark run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Kernels by name (all if empty).
    pub kernels: Vec<String>,
    /// Target triples.
    pub targets: Vec<String>,
    /// Show progress on stderr.
    pub progress: bool,
}

/// The last value a run left with: the kernel's result.
fn result_of(o: &Outcome) -> Option<Scalar> {
    o.values.last().copied()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Times `f` (several runs, at least ~20 ms in all) and returns the median seconds.
fn time(mut f: impl FnMut()) -> f64 {
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 5 || (start.elapsed().as_secs_f64() < 0.02 && samples.len() < 200) {
        let t = Instant::now();
        f();
        samples.push(t.elapsed().as_secs_f64());
    }
    median(samples)
}

/// A kernel ready to run: trace, inputs, memory and the interpreter's outcome.
struct Prepared {
    kernel: Kernel,
    trace: Trace,
    inputs: Vec<Scalar>,
    memory: Memory,
    want: Outcome,
    options: RunOptions,
}

fn prepare(kernel: Kernel, externs: &Externs) -> Result<Prepared, String> {
    let fail = |e: String| format!("{}: {e}", kernel.name);
    let trace = parse_verified(kernel.src).map_err(|e| fail(e.to_string()))?;
    let specs =
        parse_args(default_args(kernel.src).unwrap_or("")).map_err(|e| fail(e.to_string()))?;
    let mut memory = Memory::new();
    let inputs = resolve_args(&specs, &trace, &mut memory)
        .map_err(|e| fail(e.to_string()))?
        .values;
    let options = RunOptions {
        step_budget: 10_000_000_000,
        ..RunOptions::default()
    };
    let want = run(&trace, &inputs, &mut memory.clone(), externs, options)
        .map_err(|e| fail(e.to_string()))?;
    Ok(Prepared {
        kernel,
        trace,
        inputs,
        memory,
        want,
        options,
    })
}

/// Host arguments for a kernel's C twin: buffers copied (8-byte aligned) into `keep`.
fn host_args(p: &Prepared, keep: &mut Vec<Vec<u64>>) -> Vec<HostArg> {
    p.inputs
        .iter()
        .map(|&x| match x {
            Scalar::I32(v) => HostArg::I32(v),
            Scalar::I64(v) => HostArg::I64(v),
            Scalar::F64(b) => HostArg::F64(f64::from_bits(b)),
            Scalar::Ref(addr) => {
                let bytes = p
                    .memory
                    .buffers()
                    .iter()
                    .find(|b| b.addr == addr)
                    .map_or(&[][..], |b| &b.bytes[..]);
                let mut words = vec![0u64; bytes.len().div_ceil(8)];
                for (k, &byte) in bytes.iter().enumerate() {
                    words[k / 8] |= (byte as u64) << (8 * (k % 8));
                }
                keep.push(words);
                HostArg::Ptr(keep.last_mut().expect("pushed").as_mut_ptr().cast())
            }
        })
        .collect()
}

/// A target the bench emulates, counting the instructions of its code and of gcc's.
enum Emulated {
    /// One of the 32-bit ARM targets.
    Arm(ArmTarget),
    /// AArch64.
    A64(A64Target),
}

impl Emulated {
    /// The emulated target for a triple (not yet counting), or `None` for the host's.
    fn for_triple(triple: &str) -> Option<Emulated> {
        Some(match triple {
            "armv7-unknown-linux-gnueabihf" => Emulated::Arm(ArmTarget::new(FloatAbi::Hard)),
            "armv7-unknown-linux-gnueabi" => Emulated::Arm(ArmTarget::new(FloatAbi::Softfp)),
            "armv5te-unknown-linux-gnueabi" => Emulated::Arm(ArmTarget::armv5te()),
            "aarch64-unknown-linux-gnu" => Emulated::A64(A64Target::new()),
            _ => return None,
        })
    }

    /// bench/kernels.c (with runtime.c on ARM) built by the target's gcc -O2 at 0xa000000,
    /// clear of the emulator's code, frame, stack and fixture regions.
    fn kernel_image(&self) -> Result<Vec<u8>, String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let t = match self {
            Emulated::Arm(t) => t,
            Emulated::A64(_) => {
                return jit_emu::aarch64::build_image(&[root.join("bench/kernels.c")], 0x0a00_0000)
            }
        };
        let b = t.arm_backend();
        let keep: Vec<String> = KERNELS
            .iter()
            .chain(TREE_KERNELS)
            .map(|k| format!("k_{}", k.name))
            .collect();
        let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
        jit_emu::arm::build_c_for(
            &[
                root.join("bench/kernels.c"),
                root.join("jit-fixtures/c/runtime.c"),
            ],
            b.profile(),
            b.float_abi(),
            0x0a00_0000,
            &keep,
        )
    }

    /// The target calling `externs`, counting, and (when `calling`) running the functions
    /// the kernel image `elf` defines as gcc's code.
    fn prepared(self, externs: &Externs, elf: &[u8], calling: bool) -> Result<Emulated, String> {
        Ok(match self {
            Emulated::Arm(t) => {
                let t = t.with_externs(externs.clone());
                let t = if calling {
                    t.calling_image(elf.to_vec())?
                } else {
                    t
                };
                Emulated::Arm(t.counting())
            }
            Emulated::A64(t) => {
                let t = t.with_externs(externs.clone());
                let t = if calling {
                    t.calling_image(elf.to_vec())?
                } else {
                    t
                };
                Emulated::A64(t.counting())
            }
        })
    }

    /// The emulated target for `triple` and its kernel image (built once per triple into
    /// `images`), ready to count; `None` for the host's.
    fn with_image(
        triple: &str,
        externs: &Externs,
        images: &mut std::collections::HashMap<String, Vec<u8>>,
        calling: bool,
    ) -> Result<Option<(Emulated, Vec<u8>)>, String> {
        let Some(t) = Emulated::for_triple(triple) else {
            return Ok(None);
        };
        let elf = match images.get(triple) {
            Some(elf) => elf.clone(),
            None => {
                let elf = t.kernel_image()?;
                images.insert(triple.to_string(), elf.clone());
                elf
            }
        };
        Ok(Some((t.prepared(externs, &elf, calling)?, elf)))
    }

    fn target(&self) -> &dyn Target {
        match self {
            Emulated::Arm(t) => t,
            Emulated::A64(t) => t,
        }
    }

    fn last_executed(&self) -> jit_emu::Executed {
        match self {
            Emulated::Arm(t) => t.last_executed(),
            Emulated::A64(t) => t.last_executed(),
        }
    }

    /// Runs gcc's `k_<name>` from `elf` in a counting machine: (result, instructions).
    fn run_gcc(&self, p: &Prepared, elf: &[u8]) -> Result<(Option<Scalar>, u64), String> {
        match self {
            Emulated::Arm(t) => run_gcc_arm(p, t, elf),
            Emulated::A64(_) => run_gcc_a64(p, elf),
        }
    }
}

/// Runs gcc's `k_<name>` for AArch64 in a counting machine: (result, instructions).
fn run_gcc_a64(p: &Prepared, elf: &[u8]) -> Result<(Option<Scalar>, u64), String> {
    use backend_aarch64::abi::{assign, result, ArgLoc};
    use jit_emu::aarch64::{A64Machine, A64Regs};
    use jit_emu::EmuMachine;
    let s = |e: jit_emu::EmuError| e.to_string();
    let mut m = A64Machine::new().map_err(s)?;
    let symbols = m.load_elf(elf).map_err(s)?;
    let addr = *symbols
        .get(&format!("k_{}", p.kernel.name))
        .ok_or("kernel symbol missing")?;
    m.write_memory(&p.memory).map_err(s)?;
    let params: Vec<CType> = p.inputs.iter().map(|x| CType::of(x.ty())).collect();
    let (locs, _) = assign(&params);
    let mut regs = A64Regs::default();
    let mut stack = vec![0u8; 64];
    for (x, loc) in p.inputs.iter().zip(&locs) {
        let bits = x.bits() as u64;
        match *loc {
            ArgLoc::Int(r) => regs.x[r as usize] = bits,
            ArgLoc::Double(d) => regs.d[d as usize] = bits,
            ArgLoc::Single(_) => return Err("kernels take no f32".into()),
            ArgLoc::Stack(off) => {
                stack[off as usize..off as usize + 8].copy_from_slice(&bits.to_le_bytes())
            }
        }
    }
    m.count_instructions().map_err(s)?;
    let out = m.call_at(addr, &regs, &stack, 1 << 40).map_err(s)?;
    let value = result_of(&p.want).map(|r| {
        let bits = match result(CType::of(r.ty())) {
            ArgLoc::Double(d) => out.d[d as usize],
            ArgLoc::Int(x) => out.x[x as usize],
            _ => 0,
        };
        Scalar::from_bits(r.ty(), bits)
    });
    Ok((value, m.executed().total()))
}

/// Cranelift's compile times and run time for a kernel, its result checked first.
fn cranelift_row(p: &Prepared, externs: &Externs, row: &mut Row) -> Result<(), String> {
    use crate::cranelift::{compile as clif, isa, translate, ClifCode, OptLevel};
    let ops = p.trace.ops.len() as f64;
    let none = isa(OptLevel::None)?;
    let speed = isa(OptLevel::Speed)?;
    let once = |level: &_| translate(&p.trace, externs, level).and_then(|f| clif(f, level));
    let code = once(&speed).map_err(|e| format!("Cranelift: {e}"))?;
    let code = ClifCode::new(&code)?;
    row.cl_none_compile_ns_per_op = Some(time(|| drop(once(&none))) * 1e9 / ops);
    row.cl_speed_compile_ns_per_op = Some(time(|| drop(once(&speed))) * 1e9 / ops);
    let words = |keep: &mut Vec<Vec<u64>>| -> Vec<u64> {
        host_args(p, keep)
            .into_iter()
            .map(|a| match a {
                HostArg::I32(x) => x as i64 as u64,
                HostArg::I64(x) => x as u64,
                HostArg::F64(x) => x.to_bits(),
                HostArg::Ptr(x) => x as u64,
            })
            .collect()
    };
    let mut keep = Vec::new();
    let inputs = words(&mut keep);
    let mut outputs = vec![0u64; 64];
    code.call(&inputs, &mut outputs);
    let n = p.want.values.len();
    let value = result_of(&p.want).map(|w| Scalar::from_bits(w.ty(), outputs[n - 1]));
    check_c(p, value).map_err(|e| format!("Cranelift's code: {e}"))?;
    row.cl_ns_per_iter = Some(
        time(|| {
            let mut keep = Vec::new();
            let inputs = words(&mut keep);
            let mut outputs = [0u64; 64];
            code.call(&inputs, &mut outputs);
        }) * 1e9
            / row.iterations as f64,
    );
    Ok(())
}

/// bench/kernels.c built by the host's gcc -O2 as a static freestanding x86-64 image at
/// 0xa000000, for the emulator (cached in `images`).
fn x86_image(images: &mut std::collections::HashMap<String, Vec<u8>>) -> Result<Vec<u8>, String> {
    if let Some(elf) = images.get("x86_64") {
        return Ok(elf.clone());
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = std::env::temp_dir().join(format!("tracejit-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let out = dir.join("kernels-x86_64.elf");
    let status = std::process::Command::new("gcc")
        .args([
            "-O2",
            "-ffp-contract=off",
            "-fno-math-errno",
            "-ffreestanding",
        ])
        .args([
            "-fno-stack-protector",
            "-fno-pie",
            "-no-pie",
            "-nostdlib",
            "-static",
        ])
        .args(["-Wl,-Ttext-segment=0xa000000", "-Wl,-e,0", "-o"])
        .arg(&out)
        .arg(root.join("bench/kernels.c"))
        .status()
        .map_err(|e| format!("gcc is needed (scripts/setup.sh installs it): {e}"))?;
    if !status.success() {
        return Err("gcc failed on bench/kernels.c".into());
    }
    let elf = std::fs::read(&out).map_err(|e| e.to_string())?;
    images.insert("x86_64".into(), elf.clone());
    Ok(elf)
}

/// Counts the instructions of our x86-64 code and of gcc's `k_<name>` on unicorn's
/// x86-64, each result checked against the interpreter's.
fn count_x86(
    p: &Prepared,
    externs: &Externs,
    elf: &[u8],
) -> Result<(jit_emu::Executed, u64), String> {
    use jit_emu::x86::{host_calls, trap_externs, X86EmuTrace, X86Machine};
    let s = |e: jit_emu::EmuError| e.to_string();
    let (traps, names) = trap_externs(externs);
    let code = compile(
        &backend_x86::X86Backend::new(),
        &p.trace,
        &traps,
        CompileOptions::default(),
    )
    .map_err(|e| e.to_string())?
    .code;
    let mut m = X86Machine::new().map_err(s)?;
    m.set_host_calls(host_calls(names, externs.clone()));
    m.count_instructions();
    let symbols = m.load_elf64(elf).map_err(s)?;
    let types = p.trace.inputs.iter().map(|&v| p.trace.ty(v)).collect();
    let mut t = X86EmuTrace::load(m, code, types).map_err(|e| e.to_string())?;
    let got = t
        .run(&p.inputs, &mut p.memory.clone(), p.options)
        .map_err(|e| e.to_string())?;
    if !p.want.same_exit_and_values(&got) {
        return Err(format!(
            "emulated x86-64 disagrees: {got} instead of {}",
            p.want
        ));
    }
    let mine = t.machine().executed();
    let mut m = t.into_machine();
    let addr = *symbols
        .get(&format!("k_{}", p.kernel.name))
        .ok_or("kernel symbol missing")?;
    m.write_memory(&p.memory).map_err(s)?;
    let ints: Vec<u64> = p
        .inputs
        .iter()
        .filter(|x| x.ty() != Type::F64)
        .map(|x| x.bits() as u64)
        .collect();
    let floats: Vec<u64> = p
        .inputs
        .iter()
        .filter(|x| x.ty() == Type::F64)
        .map(|x| x.bits() as u64)
        .collect();
    let (rax, xmm0) = m.call(addr, &ints, &floats, 1 << 40).map_err(s)?;
    let value = result_of(&p.want).map(|r| match r.ty() {
        Type::I32 => Scalar::I32(rax as u32 as i32),
        Type::I64 => Scalar::I64(rax as i64),
        Type::F64 => Scalar::F64(xmm0),
        Type::Ref => Scalar::Ref(rax),
    });
    check_c(p, value)?;
    Ok((mine, m.executed().total()))
}

/// Runs gcc's `k_<name>` for ARM in a counting machine: (result, instructions).
fn run_gcc_arm(p: &Prepared, t: &ArmTarget, elf: &[u8]) -> Result<(Option<Scalar>, u64), String> {
    let s = |e: jit_emu::EmuError| e.to_string();
    let b = t.arm_backend();
    let (cpu, float) = match b.profile() {
        backend_arm::Profile::V5te => (Cpu::Arm926, b.float_abi()),
        backend_arm::Profile::V7Vfp => (Cpu::CortexA8, b.float_abi()),
    };
    let mut m = Machine::new(cpu).map_err(s)?;
    let symbols = m.load_elf(elf).map_err(s)?;
    let addr = *symbols
        .get(&format!("k_{}", p.kernel.name))
        .ok_or("kernel symbol missing")?;
    m.write_memory(&p.memory).map_err(s)?;
    let params: Vec<Type> = p
        .inputs
        .iter()
        .map(|x| match x.ty() {
            Type::Ref => Type::I32,
            t => t,
        })
        .collect();
    let params: Vec<CType> = params.into_iter().map(CType::of).collect();
    let (locs, _) = assign(&params, float);
    let mut regs = CallRegs::default();
    let mut stack = vec![0u8; 64];
    for (x, loc) in p.inputs.iter().zip(&locs) {
        let bits = x.bits() as u64;
        match *loc {
            ArgLoc::Core(r) => regs.r[r as usize] = bits as u32,
            ArgLoc::CorePair(lo, hi) => {
                regs.r[lo as usize] = bits as u32;
                regs.r[hi as usize] = (bits >> 32) as u32;
            }
            ArgLoc::Vfp(d) => regs.d[d as usize] = bits,
            ArgLoc::VfpSingle(_) => return Err("kernels take no floats".into()),
            ArgLoc::Stack(off) => {
                let n = if matches!(x.ty(), Type::I64 | Type::F64) {
                    8
                } else {
                    4
                };
                stack[off as usize..off as usize + n].copy_from_slice(&bits.to_le_bytes()[..n]);
            }
        }
    }
    m.count_instructions().map_err(s)?;
    let out = m.call_at(addr, &regs, &stack, 1 << 40).map_err(s)?;
    let ty = result_of(&p.want).map(|r| r.ty());
    let value = ty.map(|ty| {
        let bits = match result(CType::of(ty), float) {
            ArgLoc::Core(r) => out.r[r as usize] as u64,
            ArgLoc::CorePair(lo, hi) => {
                out.r[lo as usize] as u64 | (out.r[hi as usize] as u64) << 32
            }
            ArgLoc::Vfp(d) => out.d[d as usize],
            ArgLoc::VfpSingle(s) => out.d[s as usize / 2] >> (32 * (s % 2)) & 0xffff_ffff,
            ArgLoc::Stack(_) => 0,
        };
        match ty {
            // A 32-bit machine's pointer.
            Type::Ref => Scalar::Ref(bits as u32 as u64),
            t => Scalar::from_bits(t, bits),
        }
    });
    Ok((value, m.executed().total()))
}

/// Runs the benchmark: one row per kernel and target, every result checked first.
pub fn run_bench(opts: &Options) -> Result<Vec<Row>, String> {
    let externs = externs();
    let kernels: Vec<Kernel> = KERNELS
        .iter()
        .copied()
        .filter(|k| opts.kernels.is_empty() || opts.kernels.iter().any(|n| n == k.name))
        .collect();
    let trees_named = opts
        .kernels
        .iter()
        .any(|n| TREE_KERNELS.iter().any(|k| k.name == n));
    if kernels.is_empty() && !trees_named {
        return Err(format!(
            "no such kernel; there are {}",
            KERNELS
                .iter()
                .chain(TREE_KERNELS)
                .map(|k| k.name)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for t in &opts.targets {
        crate::targets::target(t).map_err(|e| e.to_string())?;
    }
    let total = kernels.len() * opts.targets.len();
    let mut rows = Vec::new();
    let mut images: std::collections::HashMap<String, Vec<u8>> = Default::default();
    for (ki, &kernel) in kernels.iter().enumerate() {
        let p = prepare(kernel, &externs)?;
        let iterations = p.want.iterations.max(1);
        for (ti, triple) in opts.targets.iter().enumerate() {
            if opts.progress {
                let done = ki * opts.targets.len() + ti;
                let bar: String = (0..20)
                    .map(|k| if k * total < done * 20 { '#' } else { '.' })
                    .collect();
                eprint!("\r[{bar}] {done}/{total} {:<14} {triple:<32}", kernel.name);
            }
            let mut row = Row {
                kernel: kernel.name.to_string(),
                target: triple.clone(),
                ops: p.trace.ops.len(),
                iterations,
                ..Row::default()
            };
            let fail = |e: String| format!("{} on {triple}: {e}", kernel.name);
            let arm = Emulated::with_image(triple, &externs, &mut images, true).map_err(fail)?;
            let native;
            let target: &dyn Target = match &arm {
                Some((t, _)) => t.target(),
                None => {
                    native = NativeTarget::new(Box::new(backend_x86::X86Backend::new()));
                    &native
                }
            };
            let compile_once = || {
                compile(
                    target.backend(),
                    &p.trace,
                    &externs,
                    CompileOptions {
                        check_allocation: false,
                    },
                )
            };
            let compiled = compile_once().map_err(|e| fail(e.to_string()))?;
            row.code_bytes = compiled.code.code.len();
            row.compile_ns_per_op = time(|| {
                let _ = compile_once();
            }) * 1e9
                / p.trace.ops.len() as f64;
            // Checked against the interpreter before anything is measured.
            let mut runner = target
                .load(compiled.code, &p.trace)
                .map_err(|e| fail(e.to_string()))?;
            let got = runner
                .run(&p.inputs, &mut p.memory.clone(), p.options)
                .map_err(|e| fail(e.to_string()))?;
            if !p.want.same_exit_and_values(&got) {
                return Err(fail(format!(
                    "disagrees with the interpreter: {got} instead of {}",
                    p.want
                )));
            }
            match &arm {
                Some((t, elf)) => {
                    let e = t.last_executed();
                    row.insns_per_iter = Some(e.total() as f64 / iterations as f64);
                    row.helper_insns_per_iter = Some(e.other as f64 / iterations as f64);
                    let (value, n) = t.run_gcc(&p, elf).map_err(fail)?;
                    check_c(&p, value).map_err(fail)?;
                    row.gcc_insns_per_iter = Some(n as f64 / iterations as f64);
                }
                None => {
                    // Instructions counted as on ARM: the same code in unicorn's x86-64.
                    let x86 = x86_image(&mut images).map_err(fail)?;
                    let (mine, gcc) = count_x86(&p, &externs, &x86).map_err(fail)?;
                    row.insns_per_iter = Some(mine.total() as f64 / iterations as f64);
                    row.helper_insns_per_iter = Some(mine.other as f64 / iterations as f64);
                    row.gcc_insns_per_iter = Some(gcc as f64 / iterations as f64);
                    row.ns_per_iter = Some(
                        time(|| {
                            let mut m = p.memory.clone();
                            let _ = runner.run(&p.inputs, &mut m, p.options);
                        }) * 1e9
                            / iterations as f64,
                    );
                    let mut keep = Vec::new();
                    let args = host_args(&p, &mut keep);
                    check_c(&p, call_host(kernel.name, &args)).map_err(fail)?;
                    row.gcc_ns_per_iter = Some(
                        time(|| {
                            let mut keep = Vec::new();
                            let args = host_args(&p, &mut keep);
                            std::hint::black_box(call_host(kernel.name, &args));
                        }) * 1e9
                            / iterations as f64,
                    );
                    // Cranelift has no GC: its columns stay empty for the allocation kernels.
                    if p.trace.objects.is_empty() {
                        cranelift_row(&p, &externs, &mut row).map_err(fail)?;
                    }
                    row.interp_ns_per_iter = Some(
                        time(|| {
                            let _ = run(
                                &p.trace,
                                &p.inputs,
                                &mut p.memory.clone(),
                                &externs,
                                p.options,
                            );
                        }) * 1e9
                            / iterations as f64,
                    );
                }
            }
            rows.push(row);
        }
    }
    if opts.progress {
        eprintln!("\r[####################] {total}/{total}{:60}", "");
    }
    Ok(rows)
}

/// gcc's result must be the interpreter's (the C twin computes the same loop).
fn check_c(p: &Prepared, got: Option<Scalar>) -> Result<(), String> {
    let want = result_of(&p.want);
    let same = match (want, got) {
        (Some(a), Some(b)) => a.same_result(b),
        (None, _) => true,
        _ => false,
    };
    if same {
        Ok(())
    } else {
        Err(format!("the C twin returns {got:?}, the trace {want:?}"))
    }
}

fn geomean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0);
    for x in v.filter(|x| *x > 0.0 && x.is_finite()) {
        sum += x.ln();
        n += 1;
    }
    (n > 0).then(|| (sum / n as f64).exp())
}

fn opt(x: Option<f64>, prec: usize) -> String {
    x.map_or("-".into(), |x| format!("{x:.prec$}"))
}

/// Our instructions per iteration relative to gcc -O2's (counted in the emulator).
pub fn ratio_to_gcc(r: &Row) -> Option<f64> {
    Some(r.insns_per_iter? / r.gcc_insns_per_iter?)
}

/// Our native time per iteration relative to Cranelift opt_level=speed's.
pub fn time_ratio_to_cranelift(r: &Row) -> Option<f64> {
    Some(r.ns_per_iter? / r.cl_ns_per_iter?)
}

/// Our native time per iteration relative to gcc -O2's.
pub fn time_ratio_to_gcc(r: &Row) -> Option<f64> {
    Some(r.ns_per_iter? / r.gcc_ns_per_iter?)
}

/// The report as text tables, one per target, with geometric means.
pub fn table(rows: &[Row], targets: &[String]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for t in targets {
        let mine: Vec<&Row> = rows.iter().filter(|r| &r.target == t).collect();
        if mine.is_empty() {
            continue;
        }
        let native = mine.iter().any(|r| r.ns_per_iter.is_some());
        let how = if native {
            " (instructions counted on unicorn's x86-64; times native)"
        } else {
            " (emulated)"
        };
        let _ = writeln!(out, "{t}{how}");
        let _ = write!(
            out,
            "  {:<14} {:>4} {:>6} {:>5} {:>10} {:>9} {:>8} {:>9} {:>6}",
            "kernel",
            "ops",
            "bytes",
            "B/op",
            "ns/op cmp",
            "insn/iter",
            "helpers",
            "gcc insn",
            "x gcc"
        );
        if native {
            let _ = write!(
                out,
                " {:>8} {:>8} {:>6} {:>10} {:>8} {:>9} {:>9} {:>8} {:>5}",
                "ns/iter",
                "gcc ns",
                "x gcc",
                "interp ns",
                "speedup",
                "cl0 ns/op",
                "cl2 ns/op",
                "cl ns",
                "x cl"
            );
        }
        let _ = writeln!(out);
        for r in &mine {
            let _ = write!(
                out,
                "  {:<14} {:>4} {:>6} {:>5.1} {:>10.0} {:>9} {:>8} {:>9} {:>6}",
                r.kernel,
                r.ops,
                r.code_bytes,
                r.code_bytes as f64 / r.ops as f64,
                r.compile_ns_per_op,
                opt(r.insns_per_iter, 1),
                opt(r.helper_insns_per_iter, 1),
                opt(r.gcc_insns_per_iter, 1),
                opt(ratio_to_gcc(r), 2)
            );
            if native {
                let speedup = r.interp_ns_per_iter.zip(r.ns_per_iter).map(|(a, b)| a / b);
                let _ = write!(
                    out,
                    " {:>8} {:>8} {:>6} {:>10} {:>8} {:>9} {:>9} {:>8} {:>5}",
                    opt(r.ns_per_iter, 2),
                    opt(r.gcc_ns_per_iter, 2),
                    opt(time_ratio_to_gcc(r), 2),
                    opt(r.interp_ns_per_iter, 1),
                    opt(speedup, 1),
                    opt(r.cl_none_compile_ns_per_op, 0),
                    opt(r.cl_speed_compile_ns_per_op, 0),
                    opt(r.cl_ns_per_iter, 2),
                    opt(time_ratio_to_cranelift(r), 2)
                );
            }
            let _ = writeln!(out);
        }
        let g = geomean(mine.iter().filter_map(|r| ratio_to_gcc(r)));
        let time = geomean(mine.iter().filter_map(|r| time_ratio_to_gcc(r)));
        let c = geomean(mine.iter().map(|r| r.compile_ns_per_op));
        let b = geomean(mine.iter().map(|r| r.code_bytes as f64 / r.ops as f64));
        let speed = geomean(
            mine.iter()
                .filter_map(|r| Some(r.interp_ns_per_iter? / r.ns_per_iter?)),
        );
        let _ =
            writeln!(
            out,
            "  geometric mean: {} of gcc -O2's instructions{}, {} B/op, {} ns per op to compile{}",
            opt(g, 2),
            time.map_or(String::new(), |t| format!(" ({t:.2} of its time)")),
            opt(b, 1),
            opt(c, 0),
            speed.map_or(String::new(), |s| format!(", {s:.1}x the interpreter's speed"))
        );
        let vs_cl = geomean(mine.iter().filter_map(|r| time_ratio_to_cranelift(r)));
        let faster = geomean(
            mine.iter()
                .filter_map(|r| Some(r.cl_none_compile_ns_per_op? / r.compile_ns_per_op)),
        );
        if let (Some(v), Some(f)) = (vs_cl, faster) {
            let _ = writeln!(
                out,
                "  against Cranelift 0.135: {v:.2} of opt_level=speed's run time (goal <= 1.25), compiling {f:.1}x faster than opt_level=none (goal >= 10)"
            );
        }
        if let Some(g) = g {
            // Issue 18's goals: 1.1x on x86-64, 1.3x on ARM, and no kernel above 1.6x
            // (AArch64 held to ARM's).
            let goal = if t.starts_with("x86_64") { 1.1 } else { 1.3 };
            let above: Vec<String> = mine
                .iter()
                .filter_map(|r| Some((r, ratio_to_gcc(r)?)))
                .filter(|&(_, x)| (x * 100.0).round() / 100.0 > KERNEL_GOAL)
                .map(|(r, x)| format!("{} {x:.2}", r.kernel))
                .collect();
            // Every back edge counts the runaway budget (docs/ir.md §1): a decrement and a
            // conditional branch where a plain loop has one jump, so one instruction per
            // iteration more than a loop without it.
            let unbudgeted = geomean(
                mine.iter()
                    .filter_map(|r| Some((r.insns_per_iter? - 1.0) / r.gcc_insns_per_iter?)),
            );
            let _ = writeln!(
                out,
                "  goal: instructions within {goal}x of gcc -O2's: {} ({}; {} without the budget's instruction per iteration); no kernel above {KERNEL_GOAL}x: {}",
                if g <= goal { "met" } else { "not met" },
                opt(Some(g), 2),
                opt(unbudgeted, 2),
                if above.is_empty() {
                    "met".to_string()
                } else {
                    format!("not met ({})", above.join(", "))
                }
            );
        }
        let _ = writeln!(out);
    }
    out
}

/// No kernel may take more than this many times gcc -O2's instructions per iteration
/// (issue 18).
const KERNEL_GOAL: f64 = 1.6;

/// The rows as CSV.
pub fn csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "kernel,target,ops,iterations,compile_ns_per_op,code_bytes,insns_per_iter,helper_insns_per_iter,gcc_insns_per_iter,ns_per_iter,gcc_ns_per_iter,interp_ns_per_iter,cranelift_none_compile_ns_per_op,cranelift_speed_compile_ns_per_op,cranelift_ns_per_iter\n",
    );
    let o = |x: Option<f64>| x.map_or(String::new(), |x| format!("{x:.3}"));
    for r in rows {
        out += &format!(
            "{},{},{},{},{:.1},{},{},{},{},{},{},{},{},{},{}\n",
            r.kernel,
            r.target,
            r.ops,
            r.iterations,
            r.compile_ns_per_op,
            r.code_bytes,
            o(r.insns_per_iter),
            o(r.helper_insns_per_iter),
            o(r.gcc_insns_per_iter),
            o(r.ns_per_iter),
            o(r.gcc_ns_per_iter),
            o(r.interp_ns_per_iter),
            o(r.cl_none_compile_ns_per_op),
            o(r.cl_speed_compile_ns_per_op),
            o(r.cl_ns_per_iter)
        );
    }
    out
}

/// A bar chart (SVG) of our code relative to gcc -O2 per kernel and target: instructions
/// per iteration on emulated targets, time per iteration natively; 1.0 is gcc.
pub fn svg(rows: &[Row], targets: &[String]) -> String {
    const COLORS: [&str; 4] = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2"];
    let kernels: Vec<&str> = {
        let mut k: Vec<&str> = Vec::new();
        for r in rows {
            if !k.contains(&r.kernel.as_str()) {
                k.push(&r.kernel);
            }
        }
        k
    };
    let max = rows
        .iter()
        .filter_map(ratio_to_gcc)
        .fold(1.0f64, f64::max)
        .ceil()
        .max(2.0);
    let (w, h, left, top, bottom) = (60.0 + 70.0 * kernels.len() as f64, 420.0, 50.0, 50.0, 90.0);
    let plot_h = h - top - bottom;
    let y = |v: f64| top + plot_h * (1.0 - v / max);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{left}\" y=\"20\" font-size=\"14\">tracejit's code relative to gcc -O2 (lower is better)</text>\n\
         <text x=\"{left}\" y=\"36\" fill=\"#555\">instructions per loop iteration, counted in the emulator on every target</text>\n"
    );
    let mut v = 0.0;
    while v <= max + 1e-9 {
        s += &format!(
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y0:.1}\" y2=\"{y0:.1}\" stroke=\"{}\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v:.1}</text>\n",
            w - 10.0,
            if (v - 1.0).abs() < 1e-9 { "#000" } else { "#ddd" },
            left - 4.0,
            y(v) + 4.0,
            y0 = y(v)
        );
        v += if max > 6.0 { 1.0 } else { 0.5 };
    }
    let bar = 56.0 / targets.len().max(1) as f64;
    for (ki, k) in kernels.iter().enumerate() {
        let x0 = left + 10.0 + 70.0 * ki as f64;
        for (ti, t) in targets.iter().enumerate() {
            if let Some(r) = rows.iter().find(|r| r.kernel == *k && &r.target == t) {
                if let Some(q) = ratio_to_gcc(r) {
                    let yt = y(q.min(max));
                    s += &format!(
                        "<rect x=\"{:.1}\" y=\"{yt:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{k} on {t}: {q:.2}</title></rect>\n",
                        x0 + bar * ti as f64,
                        bar - 1.0,
                        y(0.0) - yt,
                        COLORS[ti % 4]
                    );
                }
            }
        }
        s += &format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" transform=\"rotate(-40 {:.1} {:.1})\">{k}</text>\n",
            x0 + 28.0,
            y(0.0) + 14.0,
            x0 + 28.0,
            y(0.0) + 14.0
        );
    }
    for (ti, t) in targets.iter().enumerate() {
        let lx = left + 230.0 * (ti % 2) as f64;
        let ly = h - 28.0 + 14.0 * (ti / 2) as f64;
        s += &format!(
            "<rect x=\"{lx}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{ly}\">{t}</text>\n",
            ly - 9.0,
            COLORS[ti % 4],
            lx + 14.0
        );
    }
    s += "</svg>\n";
    s
}

/// What was measured for one tree kernel on one target.
#[derive(Clone, Debug, Default)]
pub struct TreeRow {
    /// The kernel.
    pub kernel: String,
    /// The target triple.
    pub target: String,
    /// IR ops in all parts.
    pub ops: usize,
    /// Jumps to the loop header in the measured run (the root's and the bridges').
    pub iterations: u64,
    /// Bytes of machine code, all parts.
    pub code_bytes: usize,
    /// Instructions from a failing guard to its bridge's first op, per bridge: the guard's
    /// own branch (patched to the bridge) and the bridge's entry moves.
    pub guard_to_bridge: Vec<usize>,
    /// Instructions our tree executes per iteration (emulated targets).
    pub insns_per_iter: Option<f64>,
    /// Instructions gcc -O2's code for the same loop executes per iteration.
    pub gcc_insns_per_iter: Option<f64>,
    /// Native nanoseconds per iteration of our tree (the host's target).
    pub ns_per_iter: Option<f64>,
    /// Native nanoseconds per iteration of gcc -O2's code.
    pub gcc_ns_per_iter: Option<f64>,
}

/// The trace whose code the GC fast-path table measures: a struct allocated, its header
/// written, then a ref stored into an object allocated before (the barrier kept).
const GC_PATHS: &str = "struct Box(ref next)\n[p0]\n\
    p1 = new_with_vtable(descr=<Box>)\n\
    p2 = new_with_vtable(descr=<Box>)\n\
    setfield_gc(p1, p2, descr=<Box.next>)\n\
    finish(p1, p0)\n";

/// Per target: the instructions of the inline allocation's fast path (the nursery bump),
/// of the header it writes, and of the write barrier's fast path, counted in the code of
/// [`GC_PATHS`] (the slow paths are out of line and not counted).
pub fn gc_fast_paths(targets: &[String]) -> Result<Vec<(String, usize, usize, usize)>, String> {
    let externs = externs();
    let trace = parse_verified(GC_PATHS).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for triple in targets {
        let t = crate::targets::target(triple).map_err(|e| e.to_string())?;
        let c = compile(
            t.backend(),
            &trace,
            &externs,
            CompileOptions {
                check_allocation: false,
            },
        )
        .map_err(|e| format!("{triple}: {e}"))?;
        let lowered = c.trace(&trace);
        let code = &c.code;
        let count = |op: usize| {
            let (a, b) = (code.op_offsets[op], code.op_offsets[op + 1]);
            count_insns(triple, &code.code[a as usize..], b - a)
        };
        let find = |o: Opcode, nth: usize| {
            lowered
                .ops
                .iter()
                .enumerate()
                .filter(|(_, x)| x.opcode == o)
                .nth(nth)
                .map(|(i, _)| i)
                .ok_or_else(|| format!("{triple}: no {o} in the lowered trace"))
        };
        let alloc = count(find(Opcode::GcAlloc, 1)?);
        let header = count(find(Opcode::GcAlloc, 1)? + 1);
        let barrier = count(find(Opcode::GcWb, 0)?);
        rows.push((triple.clone(), alloc, header, barrier));
    }
    Ok(rows)
}

/// The GC fast-path table.
pub fn gc_table(rows: &[(String, usize, usize, usize)]) -> String {
    let mut out = String::from(
        "GC fast paths (instructions inline; the slow paths are out of line):\n\
         target                           nursery bump  header  write barrier\n",
    );
    for (t, a, h, b) in rows {
        out.push_str(&format!("{t:<32} {a:>12}  {h:>6}  {b:>13}\n"));
    }
    out
}

/// Instructions in `code[..end]`, decoded for `triple`'s architecture.
fn count_insns(triple: &str, code: &[u8], end: u32) -> usize {
    let bytes = &code[..end as usize];
    if triple.starts_with("x86_64") {
        let mut d = iced_x86::Decoder::with_ip(64, bytes, 0, iced_x86::DecoderOptions::NONE);
        let mut n = 0;
        while d.can_decode() {
            let _ = d.decode();
            n += 1;
        }
        n
    } else {
        bytes.len() / 4
    }
}

/// Runs every tree kernel on every target: the root compiled, each bridge compiled from
/// its guard's state and attached, the run checked against the interpreter's tree run
/// and the C twin; then code size, the guard-to-bridge path, and instructions per
/// iteration (emulated) or time (native) next to gcc -O2's.
pub fn run_tree_bench(opts: &Options) -> Result<Vec<TreeRow>, String> {
    let externs = externs();
    let mut rows = Vec::new();
    let mut images: std::collections::HashMap<String, Vec<u8>> = Default::default();
    for &kernel in TREE_KERNELS {
        if !opts.kernels.is_empty() && !opts.kernels.iter().any(|n| n == kernel.name) {
            continue;
        }
        let fail = |e: String| format!("{}: {e}", kernel.name);
        let tree =
            jit_core::text::parse_tree(kernel.src, &externs).map_err(|e| fail(e.to_string()))?;
        let specs =
            parse_args(default_args(kernel.src).unwrap_or("")).map_err(|e| fail(e.to_string()))?;
        let mut memory = Memory::new();
        let inputs = resolve_args(&specs, &tree.parts[0], &mut memory)
            .map_err(|e| fail(e.to_string()))?
            .values;
        let options = RunOptions {
            step_budget: 10_000_000_000,
            ..RunOptions::default()
        };
        let bridges = tree.bridges();
        let oracle = jit_testkit::tree::InterpTree {
            parts: &tree.parts,
            bridges: &bridges,
        };
        let (want_part, want, jumps) = oracle
            .run_counted(
                &inputs,
                &mut memory.clone(),
                &externs,
                options,
                &mut Vec::new(),
            )
            .map_err(|e| fail(e.to_string()))?;
        let iterations = jumps.max(1);
        // The C twin's arguments and result, as for the trace kernels.
        let p = Prepared {
            kernel,
            trace: tree.parts[0].clone(),
            inputs: inputs.clone(),
            memory: memory.clone(),
            want: want.clone(),
            options,
        };
        for triple in &opts.targets {
            let fail = |e: String| format!("{} on {triple}: {e}", kernel.name);
            let arm = Emulated::with_image(triple, &externs, &mut images, false).map_err(fail)?;
            let native;
            let target: &dyn Target = match &arm {
                Some((t, _)) => t.target(),
                None => {
                    native = NativeTarget::new(Box::new(backend_x86::X86Backend::new()));
                    &native
                }
            };
            let mut row = TreeRow {
                kernel: kernel.name.to_string(),
                target: triple.clone(),
                ops: tree.parts.iter().map(|p| p.ops.len()).sum(),
                iterations,
                ..TreeRow::default()
            };
            let bridges = tree.bridges();
            let mut runner =
                jit_testkit::tree::build_tree(target, &tree.parts, &bridges, &externs, |k, c| {
                    row.code_bytes += c.code.code.len();
                    if k > 0 {
                        // The guard's branch goes straight to the bridge; then its entry
                        // moves.
                        let entry = c.code.op_offsets.first().copied().unwrap_or(0);
                        row.guard_to_bridge
                            .push(1 + count_insns(triple, &c.code.code, entry));
                    }
                })
                .map_err(fail)?;
            let (got_part, got) = runner
                .run(&inputs, &mut memory.clone(), options)
                .map_err(|e| fail(e.to_string()))?;
            if got_part != want_part || !want.same_exit_and_values(&got) {
                return Err(fail(format!(
                    "disagrees with the interpreter: part {got_part} {got} instead of part {want_part} {want}"
                )));
            }
            match &arm {
                Some((t, elf)) => {
                    row.insns_per_iter = Some(t.last_executed().total() as f64 / iterations as f64);
                    let (value, n) = t.run_gcc(&p, elf).map_err(fail)?;
                    check_c(&p, value).map_err(fail)?;
                    row.gcc_insns_per_iter = Some(n as f64 / iterations as f64);
                }
                None => {
                    row.ns_per_iter = Some(
                        time(|| {
                            let mut m = memory.clone();
                            let _ = runner.run(&inputs, &mut m, options);
                        }) * 1e9
                            / iterations as f64,
                    );
                    let mut keep = Vec::new();
                    let args = host_args(&p, &mut keep);
                    check_c(&p, call_host(kernel.name, &args)).map_err(fail)?;
                    row.gcc_ns_per_iter = Some(
                        time(|| {
                            let mut keep = Vec::new();
                            let args = host_args(&p, &mut keep);
                            std::hint::black_box(call_host(kernel.name, &args));
                        }) * 1e9
                            / iterations as f64,
                    );
                }
            }
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The tree kernels' table: per kernel and target, code size, the instructions from a
/// failing guard to each bridge's first op, and per-iteration cost next to gcc -O2's.
pub fn tree_table(rows: &[TreeRow]) -> String {
    let mut s = String::from(
        "\nTrees (a loop and its bridges; per iteration, whichever part ran it)\n\
         kernel        target                          bytes  guard->bridge  insns/iter  gcc  ratio  ns/iter  gcc ns\n",
    );
    for r in rows {
        let path: Vec<String> = r.guard_to_bridge.iter().map(|n| n.to_string()).collect();
        let ratio = match (r.insns_per_iter, r.gcc_insns_per_iter) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        s.push_str(&format!(
            "{:<13} {:<31} {:>6}  {:>13}  {:>10}  {:>4}  {:>5}  {:>7}  {:>6}\n",
            r.kernel,
            r.target,
            r.code_bytes,
            path.join(", "),
            opt(r.insns_per_iter, 1),
            opt(r.gcc_insns_per_iter, 1),
            opt(ratio, 2),
            opt(r.ns_per_iter, 2),
            opt(r.gcc_ns_per_iter, 2),
        ));
    }
    s
}

/// Compile time on long traces for one compiler: per op, medians.
#[derive(Clone, Debug)]
pub struct LongRow {
    /// A target triple, or the Cranelift configuration.
    pub compiler: String,
    /// Microseconds to compile the 10-op trace: the fixed cost of a trace.
    pub short_us: f64,
    /// Nanoseconds per op, by trace length ([`LONG_SIZES`]); `None` where not measured.
    pub ns_per_op: Vec<Option<f64>>,
}

/// The lengths of the long traces compile time is measured on.
pub const LONG_SIZES: [usize; 2] = [1_000, 10_000];

/// Compile time per op on the conformance suite's long trace cut to 10, 1,000 and 10,000
/// ops ([`jit_testkit::cases::long_trace`]), the whole pipeline without the allocation
/// checker, on every target and in Cranelift 0.135 at `opt_level=none` and `speed`
/// (`speed` only at 1,000 ops: it takes seconds on the longer one).
pub fn long_traces(targets: &[String]) -> Result<Vec<LongRow>, String> {
    use crate::cranelift::{compile as clif, isa, translate, OptLevel};
    let externs = jit_testkit::externs();
    let options = CompileOptions {
        check_allocation: false,
    };
    let short = jit_testkit::cases::long_trace(10);
    let long: Vec<Trace> = LONG_SIZES
        .iter()
        .map(|&n| jit_testkit::cases::long_trace(n))
        .collect();
    let per_op = |t: &Trace, secs: f64| secs * 1e9 / t.ops.len() as f64;
    let mut rows = Vec::new();
    for triple in targets {
        let target = crate::targets::target(triple).map_err(|e| e.to_string())?;
        let b = target.backend();
        let once = |t: &Trace| -> Result<f64, String> {
            compile(b, t, &externs, options).map_err(|e| format!("{triple}: {e}"))?;
            Ok(time(|| drop(compile(b, t, &externs, options))))
        };
        let short_us = once(&short)? * 1e6;
        let ns_per_op = long
            .iter()
            .map(|t| once(t).map(|s| Some(per_op(t, s))))
            .collect::<Result<_, _>>()?;
        rows.push(LongRow {
            compiler: triple.clone(),
            short_us,
            ns_per_op,
        });
    }
    for (level, name, upto) in [
        (OptLevel::None, "none", 10_000),
        (OptLevel::Speed, "speed", 1_000),
    ] {
        let isa = isa(level)?;
        let once = |t: &Trace| -> Result<f64, String> {
            let go = || translate(t, &externs, &isa).and_then(|f| clif(f, &isa));
            go().map_err(|e| format!("Cranelift: {e}"))?;
            Ok(time(|| drop(go())))
        };
        let short_us = once(&short)? * 1e6;
        let ns_per_op = LONG_SIZES
            .iter()
            .zip(&long)
            .map(|(&n, t)| match n <= upto {
                true => once(t).map(|s| Some(per_op(t, s))),
                false => Ok(None),
            })
            .collect::<Result<_, _>>()?;
        rows.push(LongRow {
            compiler: format!("Cranelift 0.135 opt_level={name}"),
            short_us,
            ns_per_op,
        });
    }
    Ok(rows)
}

/// [`long_traces`] as a table, with issue 18's compile-time goals: at most 100 ns per op
/// at 10,000 ops, linear (10,000 within 1.2x of 1,000 per op) and at most 5 µs per trace.
pub fn long_table(rows: &[LongRow]) -> String {
    use std::fmt::Write;
    let mut out = String::from(
        "Compile time on long traces (the conformance suite's long trace cut to N ops: int and f64 arithmetic, a guard every 5 ops; whole pipeline, medians)\n",
    );
    let _ = writeln!(
        out,
        "{:<36} {:>12} {:>14} {:>15} {:>8}",
        "compiler", "10 ops (us)", "1,000 (ns/op)", "10,000 (ns/op)", "10k/1k"
    );
    let ours: Vec<&LongRow> = rows
        .iter()
        .filter(|r| !r.compiler.starts_with("Cranelift"))
        .collect();
    for r in rows {
        let (a, b) = (r.ns_per_op[0], r.ns_per_op[1]);
        let _ = writeln!(
            out,
            "{:<36} {:>12.1} {:>14} {:>15} {:>8}",
            r.compiler,
            r.short_us,
            opt(a, 0),
            b.map_or("(not run)".to_string(), |x| format!("{x:.0}")),
            opt(a.zip(b).map(|(a, b)| b / a), 2)
        );
    }
    let slow: Vec<String> = ours
        .iter()
        .filter_map(|r| Some((r, r.ns_per_op[1]?)))
        .filter(|&(_, x)| x > 100.0)
        .map(|(r, x)| format!("{} {x:.0}", r.compiler))
        .collect();
    let nonlinear = ours
        .iter()
        .filter(|r| matches!((r.ns_per_op[0], r.ns_per_op[1]), (Some(a), Some(b)) if b > 1.2 * a))
        .count();
    // The fixed cost of a trace: the 10-op trace's time less ten ops at the 1,000-op rate.
    let fixed: Vec<String> = ours
        .iter()
        .filter_map(|r| Some((r, r.short_us - 10.0 * r.ns_per_op[0]? / 1000.0)))
        .map(|(r, f)| format!("{} {f:.1}", r.compiler))
        .collect();
    let fixed_met = ours
        .iter()
        .all(|r| r.ns_per_op[0].is_some_and(|a| r.short_us - 10.0 * a / 1000.0 <= 5.0));
    let _ = writeln!(
        out,
        "  goal: at most 100 ns per op at 10,000 ops: {}; linear (10k within 1.2x of 1k): {}; at most 5 us fixed per trace (the 10-op trace less 10 ops at the 1,000-op rate: {}): {}",
        if slow.is_empty() {
            "met".to_string()
        } else {
            format!("not met ({})", slow.join(", "))
        },
        if nonlinear == 0 { "met" } else { "not met" },
        fixed.join(", "),
        if fixed_met { "met" } else { "not met" }
    );
    out
}
