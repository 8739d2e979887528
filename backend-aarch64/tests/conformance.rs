//! AArch64 against the reference interpreter, on unicorn's AArch64 model: the shared
//! conformance suite, random traces, trees of bridges, further loops and entries grown
//! from every case that leaves through a guard, and JIT code calling GCC's code for every
//! call case and generated call shape.

use jit_core::interp::RunOptions;
use jit_emu::aarch64::{abi_fixture, A64Target};
use jit_testkit::callees::{check_gcc_calls, garbage_for};
use jit_testkit::{compare, gen, Verdict};
use proptest::prelude::*;

#[test]
fn conformance_suite_passes() {
    let n = jit_testkit::assert_conformance(&A64Target::new());
    assert!(n >= 1600, "{n}");
}

#[test]
fn bridges_loops_and_entries_grow_on_every_case_that_leaves_by_a_guard() {
    jit_testkit::tree::assert_trees_grow(&A64Target::new());
}

/// Every call case and call shape with the fixture's functions computed by GCC's code
/// only (`jit_testkit::callees::check_gcc_calls`).
#[test]
fn jit_code_calls_gcc_code() {
    let (elf, symbols) = abi_fixture().unwrap();
    let target = A64Target::new()
        .calling_image(elf.clone())
        .unwrap()
        .with_externs(garbage_for(|name| symbols.contains_key(name)));
    assert!(check_gcc_calls(&target, "aarch64") >= 250);
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
