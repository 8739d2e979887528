//! Each legalization pass is proven with the interpreter: a legalized random trace gives the
//! same results as the original. Legalized traces also run natively on x86-64 (whose
//! backend then calls the helpers), against the interpreter of the original trace.

use jit_core::interp::{run, RunOptions};
use jit_core::ir::{Opcode, Sig};
use jit_core::legalize::{legalize, Passes};
use jit_core::text::{parse_verified, print};
use jit_core::verify;
use jit_testkit::gen;
use proptest::prelude::*;

const ALL: [Passes; 4] = [
    Passes {
        soft_float: true,
        divide: false,
        canonicalize_nans: false,
    },
    Passes {
        soft_float: false,
        divide: true,
        canonicalize_nans: false,
    },
    Passes {
        soft_float: true,
        divide: true,
        canonicalize_nans: false,
    },
    Passes {
        soft_float: false,
        divide: true,
        canonicalize_nans: true,
    },
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn legalized_traces_agree_with_the_original(bytes in prop::collection::vec(any::<u8>(), 0..800)) {
        let (trace, inputs, memory) = gen::case(&bytes);
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
        let (trace, inputs, memory) = gen::case(&bytes);
        let options = RunOptions { step_budget: 5_000, ..RunOptions::default() };
        let target = jit_testkit::NativeTarget::new(Box::new(backend_x86::X86Backend::new()));
        let legal = legalize(&trace, ALL[2]);
        // The interpreter runs the original; x86 runs the legalized trace.
        let mut m0 = memory.clone();
        let Ok(want) = run(&trace, &inputs, &mut m0, &jit_testkit::externs(), options) else { return Ok(()) };
        match jit_testkit::compare(&target, &legal, &inputs, &memory, options) {
            // Objects compare as the graphs the values reach (docs/ir.md §10).
            Ok(jit_testkit::Verdict::Same(got)) => {
                let (_, want) = jit_testkit::canonical(&m0, &want);
                prop_assert!(want.same_result(&got), "original {want}, x86 legalized {got}")
            }
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
        "extern @tracejit_dadd(f64, f64) -> f64\nextern @__aeabi_dcmpeq(f64, f64) -> i32\n\
         extern @tracejit_sdiv32(i32, i32) -> i32\nextern @tracejit_urem64(i64, i64) -> i64\n\
         extern @tracejit_d2i(f64) -> i32\n[f0, f1, i2, l3]\nf4 = call(@tracejit_dadd, f0, f1)\n\
         i5 = call(@__aeabi_dcmpeq, f4, f1)\ni6 = int_is_zero(i5)\ni7 = call(@tracejit_sdiv32, i2, i6)\n\
         l8 = call(@tracejit_urem64, l3, 10L)\ni9 = call(@tracejit_d2i, f4)\nf10 = float_neg(f4)\n\
         guard_true(i6) [f10, i7]\nfinish(i9, l8)\n"
    );
}

mod split {
    use super::*;
    use jit_core::interp::ExitKind;
    use jit_core::ir::Type;
    use jit_core::legalize::{join_scalars, split, split_scalars, SplitMode};

    const MODES: [SplitMode; 2] = [
        SplitMode {
            i64: true,
            f64: false,
        },
        SplitMode {
            i64: true,
            f64: true,
        },
    ];

    /// The types of the values an exit of `trace` hands back.
    fn exit_types(trace: &jit_core::Trace, id: jit_core::ExitId) -> Vec<Type> {
        let op = trace
            .ops
            .iter()
            .find(|o| o.exit_id() == Some(id))
            .expect("the exit exists");
        if op.opcode == jit_core::Opcode::Finish {
            op.args.iter().map(|&a| trace.operand_type(a)).collect()
        } else {
            op.fail_args().iter().map(|&v| trace.ty(v)).collect()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        #[test]
        fn split_traces_agree_with_the_original(bytes in prop::collection::vec(any::<u8>(), 0..800)) {
            let (trace, inputs, memory) = gen::case(&bytes);
            let ext = jit_testkit::externs();
            let options = RunOptions { step_budget: 5_000, ..RunOptions::default() };
            let mut m0 = memory.clone();
            let Ok(want) = run(&trace, &inputs, &mut m0, &ext, options) else { return Ok(()) };
            // The split runs after the GC rewrite: object operations never reach it.
            if trace.ops.iter().any(|o| o.opcode.is_object_op()) {
                return Ok(());
            }
            for mode in MODES {
                let s = split(&trace, mode);
                prop_assert!(verify(&s).is_ok(), "{mode:?}: split trace does not verify: {}\n{}", verify(&s).unwrap_err(), print(&s));
                for v in s.values.values() {
                    prop_assert!(!mode.splits(v.ty), "{mode:?}: a {} value is left:\n{}", v.ty, print(&s));
                }
                let mut m1 = memory.clone();
                let got = match run(&s, &split_scalars(&inputs, mode), &mut m1, &ext, options) {
                    Ok(g) => g,
                    // The budget counts ops, which the split multiplies.
                    Err(jit_core::InterpError::StepBudget { .. }) => continue,
                    Err(e) => return Err(TestCaseError::fail(format!("{mode:?}: {e}\n{}", print(&s)))),
                };
                prop_assert_eq!(want.kind, got.kind);
                prop_assert_eq!(want.exit, got.exit);
                let joined = join_scalars(&exit_types(&trace, want.exit), &got.values, mode);
                let same = joined.as_ref().is_some_and(|j| j.len() == want.values.len() && j.iter().zip(&want.values).all(|(a, b)| a.same_result(*b)));
                prop_assert!(same, "{mode:?}\noriginal: {want}\nsplit:    {got} -> {joined:?}\n{}", print(&s));
                prop_assert!(want.calls.len() == got.calls.len() && want.calls.iter().zip(&got.calls).all(|(a, b)| a.name == b.name && a.args.iter().zip(&b.args).all(|(x, y)| x.same_result(*y))), "calls differ");
                prop_assert!(m0.same_contents(&m1), "{mode:?}: memory differs\n{}", print(&s));
                let _ = ExitKind::Finish;
            }
        }
    }

    #[test]
    fn sixty_four_bit_arithmetic_reads_as_pairs() {
        let t = parse_verified(
            "extern @mix64(i64, i64) -> i64\n[l0, l1, i2]\nl3 = int_add(l0, l1)\nl4 = call(@mix64, l3, 5L)\n\
             i5 = int_lt(l4, l0)\nguard_true(i5) [l3, i2]\nl6 = cast_u32_to_i64(i2)\nfinish(l6)",
        )
        .unwrap();
        let s = split(&t, MODES[0]);
        assert_eq!(
            print(&s),
            "extern @mix64(i64, i64) -> i64\n[i0, i1, i2, i3, i4]\ni5 = int_add_co(i0, i2)\ni6 = int_add_ci(i1, i3)\n\
             i7 = call_split(@mix64, i5, i6, 5, 0)\ni8 = call_hi()\ni9 = int_lt(i8, i1)\ni10 = int_eq(i8, i1)\n\
             i11 = uint_lt(i7, i0)\ni12 = int_and(i10, i11)\ni13 = int_or(i9, i12)\nguard_true(i13) [i5, i6, i4]\n\
             i14 = same_as(0)\nfinish(i4, i14)\n"
        );
    }
}

mod canon {
    use jit_core::legalize::{legalize, Passes};
    use jit_core::text::{parse_verified, print};

    const FPU: Passes = Passes {
        soft_float: false,
        divide: false,
        canonicalize_nans: true,
    };

    fn canons(src: &str) -> Vec<String> {
        let t = parse_verified(src).unwrap();
        print(&legalize(&t, FPU))
            .lines()
            .filter(|l| l.contains("float_canon"))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn only_where_arithmetic_bits_escape() {
        // Stored, negated, passed to a call: canonicalized; an input stored: not.
        assert_eq!(
            canons(
                "extern @dot2(f64, f64, f64, f64) -> f64\n[f0, p1]\nf2 = float_mul(f0, f0)\n\
                 store_f64(p1, 0, 8, 0, f2)\nstore_f64(p1, 0, 8, 8, f0)\nf3 = float_neg(f2)\n\
                 f4 = call(@dot2, f2, f0, f3, f0)\nfinish(f4)"
            ),
            [
                "f3 = float_canon(f2)",
                "f4 = float_canon(f2)",
                "f6 = float_canon(f2)"
            ]
        );
        // Arithmetic that never reaches memory or a callee costs nothing.
        assert!(canons("[f0]\nf1 = float_add(f0, f0)\nf2 = float_sqrt(f1)\nfinish(f2)").is_empty());
    }

    #[test]
    fn loop_slots_get_canonical_values_from_both_sides() {
        // An accumulator starting from an input and stored in the body: the jump's argument
        // is canonicalized, the store of the slot is not.
        assert_eq!(
            canons(
                "[f0, p1, i2]\nlabel(f0, p1, i2)\nstore_f64(p1, 0, 8, 0, f0)\nf3 = float_add(f0, 1.0)\n\
                 i4 = int_sub(i2, 1)\nguard_true(i4) []\njump(f3, p1, i4)"
            ),
            ["f5 = float_canon(f3)"]
        );
        // Entering with an arithmetic value: canonicalized before the label.
        assert_eq!(
            canons(
                "[f0, p1, i2]\nf3 = float_sub(f0, f0)\nlabel(f3, p1, i2)\nf4 = float_neg(f3)\n\
                 i5 = int_sub(i2, 1)\nguard_true(i5) []\njump(f4, p1, i5)"
            ),
            ["f4 = float_canon(f3)"]
        );
        // A slot that never escapes: nothing, however arithmetic.
        assert!(canons(
            "[f0, i1]\nlabel(f0, i1)\nf2 = float_mul(f0, f0)\ni3 = int_sub(i1, 1)\n\
             guard_true(i3) [f2]\njump(f2, i3)"
        )
        .is_empty());
    }
}
