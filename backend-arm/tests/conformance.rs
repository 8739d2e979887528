//! The shared conformance suite and random traces on ARMv7 under both float ABIs, in the
//! emulated Cortex-A8, each compared with the reference interpreter.

use backend_arm::FloatAbi;
use jit_core::interp::RunOptions;
use jit_emu::arm::ArmTarget;
use jit_testkit::{compare, gen, Verdict};
use proptest::prelude::*;

#[test]
fn conformance_suite_passes_hard_float() {
    let n = jit_testkit::assert_conformance(&ArmTarget::new(FloatAbi::Hard));
    assert!(n >= 150);
}

#[test]
fn conformance_suite_passes_softfp() {
    let n = jit_testkit::assert_conformance(&ArmTarget::new(FloatAbi::Softfp));
    assert!(n >= 150);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_traces_agree_with_the_interpreter(bytes in prop::collection::vec(any::<u8>(), 0..800), hard in any::<bool>()) {
        let (trace, inputs, memory) = gen::case(&bytes);
        let options = RunOptions { step_budget: 5_000, ..RunOptions::default() };
        let target = ArmTarget::new(if hard { FloatAbi::Hard } else { FloatAbi::Softfp });
        match compare(&target, &trace, &inputs, &memory, options) {
            Ok(Verdict::Same(_)) | Ok(Verdict::InterpreterError(_)) => {}
            Err(e) => {
                return Err(TestCaseError::fail(format!("{e}\ninputs: {inputs:?}\n{}", jit_core::text::print(&trace))));
            }
        }
    }
}
