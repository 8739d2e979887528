//! Native code that goes wrong stays inside the process's sandbox: a trace run with the
//! interpreter's bounds check bypassed faults in the guard region around its buffers, and
//! the fault comes back as an error naming the address, never as a crash.

use backend_x86::X86Backend;
use jit_core::compile::{compile, CompileOptions};
use jit_core::interp::{run, RunOptions};
use jit_core::runtime::{NativeTrace, RunError, Runner};
use jit_core::text::{parse_args, parse_verified, resolve_args};
use jit_core::Memory;

const STORE: &str = "[p0, i1]\nstore_i32(p0, i1, 4, 0, -1)\nfinish(i1)\n";
const LOAD: &str = "[p0, i1]\nl2 = load_i64(p0, i1, 8, 16)\nfinish(l2)\n";

/// Compiles `src` for x86-64 and runs it natively on `args`, with no interpreter check.
fn run_natively(src: &str, args: &str) -> (Result<jit_core::Outcome, RunError>, Memory) {
    let trace = parse_verified(src).unwrap();
    let mut memory = Memory::new();
    let inputs = resolve_args(&parse_args(args).unwrap(), &trace, &mut memory).unwrap();
    let externs = jit_testkit::externs();
    let compiled = compile(
        &X86Backend::new(),
        &trace,
        &externs,
        CompileOptions::default(),
    )
    .unwrap();
    let types = trace.inputs.iter().map(|&v| trace.ty(v)).collect();
    let mut native = NativeTrace::load(compiled.code, types).unwrap();
    let r = native.run(&inputs.values, &mut memory, RunOptions::default());
    (r, memory)
}

fn interpreter_rejects(src: &str, args: &str) {
    let trace = parse_verified(src).unwrap();
    let mut memory = Memory::new();
    let inputs = resolve_args(&parse_args(args).unwrap(), &trace, &mut memory).unwrap();
    let r = run(
        &trace,
        &inputs.values,
        &mut memory,
        &jit_testkit::externs(),
        RunOptions::default(),
    );
    assert!(r.is_err(), "the interpreter accepts {src} on {args}: {r:?}");
}

#[test]
fn out_of_bounds_writes_fault_into_an_error() {
    for (index, want) in [
        ("4", "write of unmapped address"),
        ("6", "past the end of the buffer at 0x10000000"),
        ("100000000", "past the end of the buffer"),
        ("2147483647", "past the end of the buffer"),
        ("-1024", "before the buffer at 0x10000000"),
        ("-2147483648", "before the buffer"),
    ] {
        let args = format!("i32[1, 2, 3, 4], {index}");
        interpreter_rejects(STORE, &args);
        let (r, _) = run_natively(STORE, &args);
        match r {
            Err(RunError::Fault(msg)) => assert!(msg.contains(want), "index {index}: {msg}"),
            other => panic!("index {index}: expected a fault, got {other:?}"),
        }
    }
}

#[test]
fn out_of_bounds_reads_fault_into_an_error_and_the_next_run_is_fine() {
    let (r, _) = run_natively(LOAD, "zeros(64), 100");
    match r {
        Err(RunError::Fault(msg)) => assert!(msg.starts_with("read of unmapped address"), "{msg}"),
        other => panic!("expected a fault, got {other:?}"),
    }
    // The handler left this thread ready for the next run.
    let (r, _) = run_natively(LOAD, "i64[5, 6, 7, 8], 1");
    assert_eq!(r.unwrap().values, vec![jit_core::Scalar::I64(8)]);
}

#[test]
fn in_bounds_stores_reach_the_buffer() {
    let (r, memory) = run_natively(STORE, "i32[1, 2, 3, 4], 3");
    r.unwrap();
    assert_eq!(memory.buffers()[0].bytes[12..16], [0xff; 4]);
}

#[test]
fn faults_on_many_threads_at_once_are_each_their_own() {
    let threads: Vec<_> = (0..4)
        .map(|k| {
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let (r, _) = run_natively(STORE, "i32[1, 2, 3, 4], 4");
                    assert!(matches!(r, Err(RunError::Fault(_))), "{r:?}");
                    let (r, _) = run_natively(STORE, &format!("i32[1, 2, 3, 4], {}", k % 4));
                    r.unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// Regression (found with the tree fuzzer's invalidation bug): code that branches out of
/// itself into unmapped memory faults fetching the instruction there; that comes back as
/// an error naming the address, not a crash of the process.
#[test]
fn a_jump_into_unmapped_memory_is_an_error() {
    // mov eax, 0x1008; jmp rax
    let code = [0xb8, 0x08, 0x10, 0x00, 0x00, 0xff, 0xe0];
    let exec = jit_core::runtime::ExecutableCode::new(&code).unwrap();
    let mut frame = [0u64; 4];
    // SAFETY: the bytes are complete x86-64 instructions that touch no memory; the jump
    // faults in the null page, which the fault handler turns into an error.
    let r = unsafe { jit_core::fault::enter(exec.addr(), code.len(), frame.as_mut_ptr()) };
    let f = r.unwrap_err();
    assert!(f.wild_jump && f.addr == 0x1008, "{f:?}");
    assert_eq!(f.to_string(), "jump to unmapped address 0x1008 (SIGSEGV)");
}
