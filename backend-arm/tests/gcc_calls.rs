//! JIT code calling GCC's code: every call case of the suite (0 to 16 arguments of mixed
//! types, constants, stacked arguments) runs in the emulator with its callees being
//! `jit-fixtures/c/abi.c` compiled by the Debian cross compiler for the same float ABI, so
//! our argument placement meets GCC's. Results must equal the interpreter's (GCC's code
//! keeps no call log, so logs are not compared).

use backend_arm::FloatAbi;
use jit_core::compile::{compile, CompileOptions};
use jit_core::interp::{run, RunOptions};
use jit_core::text::{default_args, parse_args, parse_verified, resolve_args};
use jit_core::Memory;
use jit_emu::arm::{build_abi_fixture, ArmTarget};
use jit_testkit::Target;

fn check(float: FloatAbi) -> usize {
    let elf = build_abi_fixture(float).unwrap();
    let symbols = jit_emu::Machine::new(jit_emu::Cpu::CortexA8)
        .unwrap()
        .load_elf(&elf)
        .unwrap();
    let target = ArmTarget::with_fixture(float, elf).unwrap();
    let externs = jit_testkit::externs();
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
            target.backend(),
            &trace,
            &externs,
            CompileOptions {
                check_allocation: true,
            },
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let mut runner = target.load(compiled.code, &trace).unwrap();
        let got = runner
            .run(&inputs.values, &mut memory, RunOptions::default())
            .unwrap_or_else(|e| panic!("{} under {float:?}: {e}", case.name));
        let same = want.kind == got.kind
            && want.exit == got.exit
            && want.values.len() == got.values.len()
            && want
                .values
                .iter()
                .zip(&got.values)
                .all(|(a, b)| a.same_result(*b));
        assert!(
            same,
            "{} under {float:?}: interpreter {want}, JIT calling GCC {got}",
            case.name
        );
        // Calls to functions the fixture has went to GCC's code, not to the host.
        for c in &got.calls {
            assert!(
                !symbols.contains_key(&c.name),
                "{}: @{} reached the host",
                case.name,
                c.name
            );
        }
        checked += 1;
    }
    checked
}

#[test]
fn jit_code_calls_gcc_code_hard_float() {
    assert!(check(FloatAbi::Hard) >= 60);
}

#[test]
fn jit_code_calls_gcc_code_softfp() {
    assert!(check(FloatAbi::Softfp) >= 60);
}
