//! Each legalization pass is proven with the interpreter: a legalized random trace gives the
//! same results as the original. Legalized traces also run natively on x86-64 (whose
//! backend then calls the helpers), against the interpreter of the original trace.

use jit_core::interp::{run, RunOptions};
use jit_core::ir::{Opcode, Scalar, Sig};
use jit_core::legalize::{legalize, Passes};
use jit_core::text::{parse_verified, print};
use jit_core::{verify, Memory};
use jit_testkit::gen;
use proptest::prelude::*;

const ALL: [Passes; 3] = [
    Passes {
        soft_float: true,
        divide: false,
    },
    Passes {
        soft_float: false,
        divide: true,
    },
    Passes {
        soft_float: true,
        divide: true,
    },
];

fn inputs_with_buffer(bytes: &[u8]) -> (jit_core::Trace, Vec<Scalar>, Memory) {
    let (trace, mut inputs) = gen::trace(bytes);
    let mut memory = Memory::new();
    let buf = memory.alloc(gen::BUFFER_BYTES).unwrap();
    if let Some(x) = inputs.iter_mut().find(|x| **x == Scalar::Ref(0)) {
        *x = Scalar::Ref(buf);
    }
    (trace, inputs, memory)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn legalized_traces_agree_with_the_original(bytes in prop::collection::vec(any::<u8>(), 0..800)) {
        let (trace, inputs, memory) = inputs_with_buffer(&bytes);
        let ext = jit_testkit::externs();
        let options = RunOptions { step_budget: 5_000, ..RunOptions::default() };
        let mut m0 = memory.clone();
        let want = run(&trace, &inputs, &mut m0, &ext, options);
        for passes in ALL {
            let legal = legalize(&trace, passes);
            prop_assert!(verify(&legal).is_ok(), "legalized trace does not verify:\n{}", print(&legal));
            for op in &legal.ops {
                let ty = op.args.first().map(|&a| legal.operand_type(a));
                if passes.soft_float {
                    prop_assert!(!matches!(op.opcode.sig(), Sig::FloatBinary | Sig::FloatCompare) && op.opcode != Opcode::FloatSqrt,
                        "{} left by soft-float", op.opcode);
                }
                if passes.divide {
                    prop_assert!(!matches!(op.opcode, Opcode::IntDiv | Opcode::IntRem | Opcode::UintDiv | Opcode::UintRem), "{} left ({ty:?})", op.opcode);
                }
            }
            let mut m1 = memory.clone();
            let got = run(&legal, &inputs, &mut m1, &ext, options);
            match (&want, &got) {
                (Ok(w), Ok(g)) => {
                    prop_assert!(w.same_result(g), "{passes:?}\noriginal: {w}\nlegalized: {g}\n{}", print(&legal));
                    prop_assert!(m0.same_contents(&m1));
                }
                // A step budget is counted in ops, which legalization changes.
                (Err(_), _) | (_, Err(_)) => {}
            }
        }
    }

    #[test]
    fn legalized_traces_run_natively_on_x86(bytes in prop::collection::vec(any::<u8>(), 0..800)) {
        let (trace, inputs, memory) = inputs_with_buffer(&bytes);
        let options = RunOptions { step_budget: 5_000, ..RunOptions::default() };
        let target = jit_testkit::NativeTarget::new(Box::new(backend_x86::X86Backend::new()));
        let legal = legalize(&trace, ALL[2]);
        // The interpreter runs the original; x86 runs the legalized trace.
        let mut m0 = memory.clone();
        let Ok(want) = run(&trace, &inputs, &mut m0, &jit_testkit::externs(), options) else { return Ok(()) };
        match jit_testkit::compare(&target, &legal, &inputs, &memory, options) {
            Ok(jit_testkit::Verdict::Same(got)) => prop_assert!(want.same_result(&got), "original {want}, x86 legalized {got}"),
            Ok(jit_testkit::Verdict::InterpreterError(_)) => {}
            Err(e) => prop_assert!(false, "{e}\n{}", print(&legal)),
        }
    }
}

#[test]
fn a_trace_without_anything_to_legalize_is_borrowed() {
    let t = parse_verified("[i0]\ni1 = int_add(i0, 1)\nfinish(i1)").unwrap();
    assert!(matches!(
        legalize(&t, ALL[2]),
        std::borrow::Cow::Borrowed(_)
    ));
}

#[test]
fn soft_float_and_division_read_as_helper_calls() {
    let t = parse_verified(
        "[f0, f1, i2, l3]\nf4 = float_add(f0, f1)\ni5 = float_ne(f4, f1)\ni6 = int_div(i2, i5)\nl7 = uint_rem(l3, 10L)\n\
         i8 = cast_f64_to_i32(f4)\nf9 = float_neg(f4)\nguard_true(i5) [f9, i6]\nfinish(i8, l7)",
    )
    .unwrap();
    let text = print(&legalize(&t, ALL[2]));
    assert_eq!(
        text,
        "extern @__aeabi_dadd(f64, f64) -> f64\nextern @__aeabi_dcmpeq(f64, f64) -> i32\n\
         extern @tracejit_sdiv32(i32, i32) -> i32\nextern @tracejit_urem64(i64, i64) -> i64\n\
         extern @tracejit_d2i(f64) -> i32\n[f0, f1, i2, l3]\nf4 = call(@__aeabi_dadd, f0, f1)\n\
         i5 = call(@__aeabi_dcmpeq, f4, f1)\ni6 = int_is_zero(i5)\ni7 = call(@tracejit_sdiv32, i2, i6)\n\
         l8 = call(@tracejit_urem64, l3, 10L)\ni9 = call(@tracejit_d2i, f4)\nf10 = float_neg(f4)\n\
         guard_true(i6) [f10, i7]\nfinish(i9, l8)\n"
    );
}
