//! Guards decided with the interpreter (`gen::steer_guards`).

use jit_core::interp::{run, ExitKind, RunOptions};
use jit_core::text::{parse_verified, print};
use jit_core::Memory;
use jit_testkit::gen::{steer_guards, Choices};

#[test]
fn failing_guards_are_inverted_so_the_run_goes_on() {
    let mut t = parse_verified(
        "[i0, p1]\ni2 = int_lt(i0, 5)\nguard_false(i2) [i0]\ni3 = int_add_ovf(i0, 1)\n\
         guard_overflow() []\nguard_nonnull(p1) []\nfinish(i3)",
    )
    .unwrap();
    let inputs = [jit_core::ir::Scalar::I32(3), jit_core::ir::Scalar::NULL];
    let externs = jit_testkit::externs();
    // Choices of 99 never keep a failing guard.
    let bytes = [0, 0, 0, 99].repeat(16);
    let opts = RunOptions::default();
    steer_guards(
        &mut t,
        &inputs,
        &Memory::new(),
        &externs,
        opts,
        &mut Choices::new(&bytes),
        4,
    );
    let out = run(&t, &inputs, &mut Memory::new(), &externs, opts).unwrap();
    assert_eq!(out.kind, ExitKind::Finish, "{}", print(&t));
    let text = print(&t);
    assert!(
        text.contains("guard_true(i2)")
            && text.contains("guard_no_overflow()")
            && text.contains("guard_isnull(p1)"),
        "{text}"
    );
}

#[test]
fn a_loop_exit_guard_is_not_inverted_into_a_runaway_loop() {
    let src =
        "[i0]\nlabel(i0)\ni1 = int_sub(i0, 1)\ni2 = int_gt(i1, 0)\nguard_true(i2) []\njump(i1)";
    let mut t = parse_verified(src).unwrap();
    let inputs = [jit_core::ir::Scalar::I32(1)];
    let externs = jit_testkit::externs();
    let bytes = [0, 0, 0, 99].repeat(16);
    let opts = RunOptions {
        step_budget: 1000,
        ..RunOptions::default()
    };
    steer_guards(
        &mut t,
        &inputs,
        &Memory::new(),
        &externs,
        opts,
        &mut Choices::new(&bytes),
        4,
    );
    assert_eq!(print(&t), print(&parse_verified(src).unwrap()));
}
