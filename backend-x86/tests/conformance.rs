//! The shared conformance suite and random traces, natively on x86-64, each compared with
//! the reference interpreter, with the register-allocation checker on.

use backend_x86::X86Backend;
use jit_core::interp::RunOptions;
use jit_testkit::{compare, gen, NativeTarget, Verdict};
use proptest::prelude::*;

fn target() -> NativeTarget {
    NativeTarget::new(Box::new(X86Backend::new()))
}

#[test]
fn conformance_suite_passes_natively() {
    let n = jit_testkit::assert_conformance(&target());
    assert!(n >= 150, "{n} cases");
    eprintln!("{n} conformance cases passed");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_traces_agree_with_the_interpreter(bytes in prop::collection::vec(any::<u8>(), 0..800)) {
        let (trace, inputs, memory) = gen::case(&bytes);
        let options = RunOptions { step_budget: 5_000, ..RunOptions::default() };
        match compare(&target(), &trace, &inputs, &memory, options) {
            Ok(Verdict::Same(_)) | Ok(Verdict::InterpreterError(_)) => {}
            Err(e) => {
                return Err(TestCaseError::fail(format!("{e}\ninputs: {inputs:?}\n{}", jit_core::text::print(&trace))));
            }
        }
    }
}

#[test]
fn conformance_suite_passes_with_soft_float_and_division_helpers() {
    // x86-64 claiming neither an FPU nor a divide instruction: the driver then legalizes
    // f64 arithmetic and division into helper calls, and the whole suite must still pass.
    use jit_core::backend::{Backend, Capabilities};
    let caps = Capabilities {
        fpu: false,
        hw_divide: false,
        ..X86Backend::new().capabilities()
    };
    let backend = jit_testkit::Tweaked {
        inner: X86Backend::new(),
        name: "x86-64 with soft-float and division helpers",
        capabilities: Some(caps),
        max_frame_slots: None,
        refuse: None,
    };
    let n = jit_testkit::assert_conformance(&NativeTarget::new(Box::new(backend)));
    assert!(n >= 150);
}

#[test]
fn conformance_suite_passes_with_i64_split_into_pairs() {
    // x86-64 claiming 32-bit words: the driver splits every i64 into two i32 halves (carry
    // pairs, pair comparisons, two-word loads and stores, masked shifts), and the code still
    // agrees with the interpreter of the original trace. Calls with i64 in their signature
    // (the suite's callees, and the division and i64<->f64 helpers) become call_split,
    // which x86-64 (whose ABI passes them whole) refuses; those cases are left to the
    // 32-bit backends.
    use jit_core::backend::{Backend, Capabilities};
    let caps = Capabilities {
        word_bits: 32,
        ..X86Backend::new().capabilities()
    };
    let backend = jit_testkit::Tweaked {
        inner: X86Backend::new(),
        name: "x86-64 with i64 split into pairs",
        capabilities: Some(caps),
        max_frame_slots: None,
        refuse: None,
    };
    let target = NativeTarget::new(Box::new(backend));
    let (mut passed, mut left, mut failures) = (0, 0, Vec::new());
    for case in jit_testkit::all_cases() {
        match jit_testkit::check_case(&target, &case) {
            Ok(()) => passed += 1,
            // call_split and call_indirect_split
            Err(e) if e.contains("split is not supported by this target") => left += 1,
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) fail:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(
        passed >= 600,
        "{passed} cases passed, {left} left to 32-bit backends"
    );
}

/// The suite by operation family, on a backend brought up without f64 arithmetic: every
/// case runs; the refused operations are charged to their family and nowhere else; every
/// case that uses none of them passes.
#[test]
fn the_family_report_shows_what_a_partial_backend_lacks() {
    use jit_core::ir::{Opcode, Sig};
    use jit_testkit::families::{family, report};
    let backend = jit_testkit::Tweaked {
        inner: X86Backend::new(),
        name: "x86-64 without f64 arithmetic",
        capabilities: None,
        max_frame_slots: None,
        refuse: Some(|op: Opcode| matches!(op.sig(), Sig::FloatBinary | Sig::FloatUnary)),
    };
    let cases = jit_testkit::cases::all_cases();
    let r = report(&NativeTarget::new(Box::new(backend)), &cases);
    let text = r.to_string();
    assert!(!r.all_pass(), "{text}");
    for (name, row) in &r.rows {
        if *name == "f64 arithmetic" {
            assert!(row.unsupported.contains_key(&Opcode::FloatAdd), "{text}");
            assert!(row.passed < row.cases, "{text}");
        } else {
            assert!(row.unsupported.is_empty(), "{name}: {text}");
        }
        assert_eq!(row.other.0, 0, "{name}: {text}");
    }
    assert!(r.rows.iter().all(|(_, row)| row
        .unsupported
        .keys()
        .all(|&op| family(op) == "f64 arithmetic")));
    // The cases without f64 arithmetic all pass: the refusals stop only their own.
    let integer = r
        .rows
        .iter()
        .find(|(n, _)| *n == "integer arithmetic")
        .unwrap();
    assert!(integer.1.passed > integer.1.cases / 2, "{text}");
    assert!(text.contains("float_add ("), "{text}");
}
