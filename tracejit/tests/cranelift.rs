//! The Cranelift side of `tracejit bench`: a trace as one Cranelift function, run natively,
//! leaves with the interpreter's values; ops it does not translate are reported.

use jit_core::text::parse_verified;
use tracejit::cranelift::{compile, isa, translate, ClifCode, OptLevel};

#[test]
fn a_loop_with_guards_runs_as_the_interpreter_says() {
    let t = parse_verified(
        "[i0, i1]\nlabel(i0, i1)\ni2 = int_add_ovf(i1, i0)\nguard_no_overflow() [i0, i1]\n\
         i3 = int_sub(i0, 1)\ni4 = int_gt(i3, 0)\nguard_true(i4) [i3, i2]\njump(i3, i2)",
    )
    .unwrap();
    let externs = tracejit::bench::externs();
    for level in [OptLevel::None, OptLevel::Speed] {
        let isa = isa(level).unwrap();
        let code =
            ClifCode::new(&compile(translate(&t, &externs, &isa).unwrap(), &isa).unwrap()).unwrap();
        let mut out = [0u64; 4];
        // sum 100..1 = 5050, leaving through the second guard (exit 1) with [0, 5050].
        assert_eq!(code.call(&[100, 0], &mut out), 1, "{level:?}");
        assert_eq!((out[0] as u32, out[1] as u32), (0, 5050), "{level:?}");
        // Overflow leaves through the first guard with the values before the add.
        assert_eq!(code.call(&[10, i32::MAX as u64], &mut out), 0, "{level:?}");
        assert_eq!(
            (out[0] as u32, out[1] as u32),
            (10, i32::MAX as u32),
            "{level:?}"
        );
    }
}

#[test]
fn ops_it_does_not_translate_are_reported() {
    let t = parse_verified("[i0, i1]\ni2 = int_div(i0, i1)\nfinish(i2)").unwrap();
    let isa = isa(OptLevel::Speed).unwrap();
    let e = translate(&t, &tracejit::bench::externs(), &isa).unwrap_err();
    assert!(e.contains("int_div is not translated"), "{e}");
}
