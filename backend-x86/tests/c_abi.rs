//! The calling convention against a C compiler: every call case of the suite, with its
//! callees being `jit-fixtures/c/abi.c` compiled for this machine (the same source the ARM
//! ABI test compiles with GCC for ARM), runs natively and must give the interpreter's
//! results. (C code keeps no call log, so results, not logs, are compared.)

use backend_x86::X86Backend;
use jit_core::compile::{compile, CompileOptions};
use jit_core::interp::{run, RunOptions};
use jit_core::runtime::{NativeTrace, Runner};
use jit_core::text::{default_args, parse_args, parse_verified, resolve_args};
use jit_core::Memory;

#[test]
fn calls_into_c_code_agree_with_the_interpreter() {
    let externs = jit_fixtures::externs();
    // The calls go to the C code, not to the test kit's Rust twins.
    let rust = jit_testkit::externs();
    for name in jit_fixtures::ABI_FUNCTIONS {
        assert_ne!(
            externs.get(name).unwrap().native,
            rust.get(name).unwrap().native,
            "{name}"
        );
    }
    let mut checked = 0;
    for case in jit_testkit::cases::calls() {
        let trace = parse_verified(&case.src).unwrap();
        let specs = parse_args(default_args(&case.src).unwrap_or("")).unwrap();
        let mut memory = Memory::new();
        let inputs = resolve_args(&specs, &trace, &mut memory).unwrap();
        let want = run(
            &trace,
            &inputs.values,
            &mut memory.clone(),
            &externs,
            RunOptions::default(),
        )
        .unwrap();
        let compiled = compile(
            &X86Backend::new(),
            &trace,
            &externs,
            CompileOptions {
                check_allocation: true,
            },
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let types = trace.inputs.iter().map(|&v| trace.ty(v)).collect();
        let mut native = NativeTrace::load(compiled.code, types).unwrap();
        let got = native
            .run(&inputs.values, &mut memory, RunOptions::default())
            .unwrap();
        let same = want.same_exit_and_values(&got);
        assert!(
            same,
            "{}: interpreter {want}, native with C callees {got}",
            case.name
        );
        checked += 1;
    }
    assert!(checked >= 60, "{checked} call cases");
}
