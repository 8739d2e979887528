//! The shrinker keeps only what the failure needs.

use jit_core::ir::Opcode;
use jit_core::text::parse_verified;
use jit_testkit::shrink::shrink;

#[test]
fn a_trace_shrinks_to_the_ops_the_failure_needs() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/regressions/narrow-ref-read-high-half-of-a-reused-slot.trace"
    ))
    .unwrap();
    let trace = parse_verified(&src).unwrap();
    assert_eq!(trace.ops.len(), 21);
    // "Fails" while the trace divides floats: the division stays (its operand is an
    // input), p5 stays as the constant the finish needs, everything else goes.
    let has_div = |t: &jit_core::Trace| t.ops.iter().any(|o| o.opcode == Opcode::FloatTruediv);
    let mut calls = 0;
    let small = shrink(&trace, 10_000, |t| {
        calls += 1;
        has_div(t)
    });
    let ops: Vec<Opcode> = small.ops.iter().map(|o| o.opcode).collect();
    assert_eq!(
        ops,
        [Opcode::SameAs, Opcode::FloatTruediv, Opcode::Finish],
        "{}",
        jit_core::text::print(&small)
    );
    assert!(calls > 0);
    // A budget of one candidate leaves the trace almost as it was.
    let barely = shrink(&trace, 1, has_div);
    assert!(barely.ops.len() >= 20);
}

#[test]
fn shrinking_keeps_the_kind_of_failure() {
    use jit_testkit::shrink::failure_kind;
    // The same compile error at another op, or the same run error with other values, is one
    // kind; another error, or results that differ, is not.
    let alloc = "compile error: register allocation is wrong: op 9: no Int register left";
    assert_eq!(
        failure_kind(alloc),
        failure_kind("compile error: register allocation is wrong: op 3: no Int register left")
    );
    assert_ne!(
        failure_kind(alloc),
        failure_kind(
            "compile error: op 12: jump is not supported by this target: a root's jump needs a label of its own"
        )
    );
    assert_eq!(
        failure_kind("run error: the code faulted: read at 0x10\n  interpreter: finish(1)"),
        failure_kind("run error: the code faulted: read at 0x2000\n  interpreter: finish(7)")
    );
    assert_eq!(
        failure_kind("\n  interpreter: finish(1)\n  target:      finish(2)"),
        failure_kind("\n  interpreter: guard 3 [4]\n  target:      finish(2)")
    );
    assert_ne!(
        failure_kind("\n  interpreter: finish(1)\n  target:      finish(2)"),
        failure_kind(alloc)
    );
}
