//! JIT code calling GCC's code: every call case of the suite (0 to 16 arguments of mixed
//! types, constants, stacked arguments) and every generated call shape (narrow integers,
//! floats, up to 40 arguments, every interleaving of eight, no result, i64 in every
//! position, a seeded set) runs in the emulator with its callees being
//! `jit-fixtures/c/abi.c` and `jit_testkit::shapes::C_SOURCE` compiled by the Debian cross
//! compiler for the same profile and float ABI, so our argument placement meets GCC's, on
//! ARMv7 hard-float and softfp and on ARMv5TE. Results must equal the interpreter's, and
//! the call log (arguments as the AAPCS placed them at GCC's entry) the interpreter's
//! arguments. The target's own table has every fixture function return garbage, so a
//! result that comes out right was computed by GCC's code (a `void` callee's through
//! GCC's `shape_sink`).

use backend_arm::FloatAbi;
use jit_core::compile::{compile, CompileOptions};
use jit_core::interp::{run, RunOptions};
use jit_core::text::{default_args, parse_args, parse_verified, resolve_args};
use jit_core::Memory;
use jit_emu::arm::{abi_fixture, ArmTarget};
use jit_testkit::Target;

fn check(base: ArmTarget) -> usize {
    let (profile, float) = (base.arm_backend().profile(), base.arm_backend().float_abi());
    let (elf, symbols) = abi_fixture(profile, float).unwrap();
    let externs = jit_testkit::externs();
    let mut garbage = externs.clone();
    for (name, f) in externs.iter() {
        if symbols.contains_key(name) {
            let ret = f.ret;
            garbage.insert(name, &f.params, f.ret, move |_| {
                use jit_core::ir::{Scalar, Type};
                ret.map(|t| match t.value() {
                    Type::I32 => Scalar::I32(0x5a5a_5a5a),
                    Type::I64 => Scalar::I64(0x5a5a_5a5a_5a5a),
                    Type::F64 => Scalar::f64(-1234.5),
                    Type::Ref => Scalar::NULL,
                })
            });
        }
    }
    let target = base
        .calling_image(elf.clone())
        .unwrap()
        .with_externs(garbage);
    let mut checked = 0;
    let cases = jit_testkit::cases::calls()
        .into_iter()
        .chain(jit_testkit::cases::call_shapes());
    for case in cases {
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
        let same = want.same_exit_and_values(&got);
        assert!(
            same,
            "{} under {float:?}: interpreter {want}, JIT calling GCC {got}",
            case.name
        );
        // The same calls with the same arguments (the results logged are the garbage).
        let args = |calls: &[jit_core::interp::CallRecord]| -> Vec<(String, usize)> {
            calls
                .iter()
                .map(|c| (c.name.clone(), c.args.len()))
                .collect()
        };
        assert_eq!(args(&got.calls), args(&want.calls), "{}", case.name);
        for (g, w) in got.calls.iter().zip(&want.calls) {
            assert!(
                g.args.iter().zip(&w.args).all(|(a, b)| a.same_result(*b)),
                "{}: @{} got {:?}, interpreter passed {:?}",
                case.name,
                g.name,
                g.args,
                w.args
            );
        }
        checked += 1;
    }
    checked
}

#[test]
fn jit_code_calls_gcc_code_hard_float() {
    assert!(check(ArmTarget::new(FloatAbi::Hard)) >= 250);
}

#[test]
fn jit_code_calls_gcc_code_softfp() {
    assert!(check(ArmTarget::new(FloatAbi::Softfp)) >= 250);
}

#[test]
fn jit_code_calls_gcc_code_armv5te_soft_float() {
    assert!(check(ArmTarget::armv5te()) >= 250);
}
