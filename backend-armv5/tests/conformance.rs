//! The shared conformance suite and random traces on ARMv5TE without an FPU, on the
//! emulated ARM926 with VFP disabled, each compared with the reference interpreter; every
//! compiled trace also passes the ARMv5TE checker (the target refuses code that does not).

use jit_core::interp::RunOptions;
use jit_emu::arm::ArmTarget;
use jit_testkit::{compare, gen, Verdict};
use proptest::prelude::*;

#[test]
fn conformance_suite_passes_on_the_arm926() {
    let n = jit_testkit::assert_conformance(&ArmTarget::armv5te());
    assert!(n >= 150);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_traces_agree_with_the_interpreter(bytes in prop::collection::vec(any::<u8>(), 0..800)) {
        let (trace, inputs, memory) = gen::case(&bytes);
        let options = RunOptions { step_budget: 5_000, ..RunOptions::default() };
        match compare(&ArmTarget::armv5te(), &trace, &inputs, &memory, options) {
            Ok(Verdict::Same(_)) | Ok(Verdict::InterpreterError(_)) => {}
            Err(e) => {
                return Err(TestCaseError::fail(format!("{e}\ninputs: {inputs:?}\n{}", jit_core::text::print(&trace))));
            }
        }
    }
}
