//! AArch64 against the reference interpreter, on unicorn's AArch64 model: the shared
//! conformance suite, random traces, trees of bridges, further loops and entries grown
//! from every case that leaves through a guard, and JIT code calling GCC's code for every
//! call case and generated call shape.

use jit_core::backend::Backend;
use jit_core::compile::{compile, CompileOptions};
use jit_core::interp::{run, RunOptions};
use jit_core::text::{default_args, parse_args, parse_verified, resolve_args};
use jit_core::Memory;
use jit_emu::aarch64::{abi_fixture, A64Target};
use jit_testkit::tree::grow_trees;
use jit_testkit::{compare, gen, Target, Verdict};
use proptest::prelude::*;

#[test]
fn conformance_suite_passes() {
    let n = jit_testkit::assert_conformance(&A64Target::new());
    assert!(n >= 1600, "{n}");
}

#[test]
fn bridges_loops_and_entries_grow_on_every_case_that_leaves_by_a_guard() {
    let target = A64Target::new();
    let backend: &dyn Backend = target.backend();
    let grown = grow_trees(backend, 6, |root, trace| {
        target.load_tree(root, trace).expect("the root loads")
    });
    eprintln!("{}: {grown:?}", target.name());
    assert!(
        grown.trees > 150 && grown.bridges > 190 && grown.loops > 80 && grown.rejoined > 80,
        "{grown:?}"
    );
}

/// Every call case and call shape with the fixture's functions computed by GCC's code
/// only: the target's own table has each of them return garbage, so a right result came
/// from GCC. The call log must hold the interpreter's arguments as AAPCS64 placed them.
#[test]
fn jit_code_calls_gcc_code() {
    let (elf, symbols) = abi_fixture().unwrap();
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
    let target = A64Target::new()
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
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert!(
            want.same_exit_and_values(&got),
            "{}: interpreter {want}, JIT calling GCC {got}",
            case.name
        );
        let names = |calls: &[jit_core::interp::CallRecord]| -> Vec<(String, usize)> {
            calls
                .iter()
                .map(|c| (c.name.clone(), c.args.len()))
                .collect()
        };
        assert_eq!(names(&got.calls), names(&want.calls), "{}", case.name);
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
    assert!(checked >= 250, "{checked}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_traces_agree_with_the_interpreter(bytes in prop::collection::vec(any::<u8>(), 0..800)) {
        let (trace, inputs, memory) = gen::case(&bytes);
        let options = RunOptions { step_budget: 5_000, ..RunOptions::default() };
        match compare(&A64Target::new(), &trace, &inputs, &memory, options) {
            Ok(Verdict::Same(_)) | Ok(Verdict::InterpreterError(_)) => {}
            Err(e) => {
                return Err(TestCaseError::fail(format!("{e}\ninputs: {inputs:?}\n{}", jit_core::text::print(&trace))));
            }
        }
    }
}
