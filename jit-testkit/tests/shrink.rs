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
