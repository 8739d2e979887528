//! The shared conformance suite and random traces, natively on x86-64, each compared with
//! the reference interpreter, with the register-allocation checker on.

use backend_x86::X86Backend;
use jit_core::interp::RunOptions;
use jit_core::ir::Scalar;
use jit_core::Memory;
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
        let (trace, mut inputs) = gen::trace(&bytes);
        let mut memory = Memory::new();
        let buf = memory.alloc(gen::BUFFER_BYTES).unwrap();
        if let Some(x) = inputs.iter_mut().find(|x| **x == Scalar::Ref(0)) {
            *x = Scalar::Ref(buf);
        }
        let options = RunOptions { step_budget: 5_000, ..RunOptions::default() };
        match compare(&target(), &trace, &inputs, &memory, options) {
            Ok(Verdict::Same(_)) | Ok(Verdict::InterpreterError(_)) => {}
            Err(e) => {
                return Err(TestCaseError::fail(format!("{e}\ninputs: {inputs:?}\n{}", jit_core::text::print(&trace))));
            }
        }
    }
}

/// x86-64 claiming neither an FPU nor a divide instruction: the driver then legalizes f64
/// arithmetic and division into helper calls, and the whole suite must still pass.
struct Legalized(X86Backend);

impl jit_core::backend::Backend for Legalized {
    fn name(&self) -> &'static str {
        "x86-64 with soft-float and division helpers"
    }
    fn triple(&self) -> target_lexicon::Triple {
        self.0.triple()
    }
    fn capabilities(&self) -> jit_core::backend::Capabilities {
        jit_core::backend::Capabilities {
            fpu: false,
            hw_divide: false,
            ..self.0.capabilities()
        }
    }
    fn registers(&self) -> &jit_core::backend::RegisterInfo {
        self.0.registers()
    }
    fn max_frame_slots(&self) -> u32 {
        self.0.max_frame_slots()
    }
    fn constraints(
        &self,
        t: &jit_core::Trace,
        l: &jit_core::liveness::Liveness,
        i: usize,
        o: &mut jit_core::backend::OpConstraints,
    ) -> Result<(), jit_core::backend::CompileError> {
        self.0.constraints(t, l, i, o)
    }
    fn emit(
        &self,
        t: &jit_core::Trace,
        l: &jit_core::liveness::Liveness,
        a: &jit_core::regalloc::Allocation,
        e: &jit_core::Externs,
    ) -> Result<jit_core::backend::CompiledTrace, jit_core::backend::CompileError> {
        self.0.emit(t, l, a, e)
    }
}

#[test]
fn conformance_suite_passes_with_soft_float_and_division_helpers() {
    let n =
        jit_testkit::assert_conformance(&NativeTarget::new(Box::new(Legalized(X86Backend::new()))));
    assert!(n >= 150);
}
