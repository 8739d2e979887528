//! Constants no rotated immediate holds are made once before the loop on ARM, not in every
//! iteration (`jit_core::hoist` through `Backend::hoist_constant`).

use backend_arm::{ArmBackend, FloatAbi};
use jit_core::compile::{compile, CompileOptions};
use jit_core::text::parse_verified;

/// Whether an A32 word is MOVW or MOVT.
fn is_movw_movt(w: u32) -> bool {
    w & 0x0fb0_0000 == 0x0300_0000
}

#[test]
fn loop_bodies_use_no_movw_for_hoisted_constants() {
    let t = parse_verified(
        "[i0, i1]\nlabel(i0, i1)\ni2 = int_mul(i1, 1664525)\ni3 = int_xor(i2, 305419896)\n\
         i4 = int_sub(i0, 1)\ni5 = int_gt(i4, 0)\nguard_true(i5) [i3]\njump(i4, i3)",
    )
    .unwrap();
    let c = compile(
        &ArmBackend::new(FloatAbi::Hard),
        &t,
        &jit_core::Externs::new(),
        CompileOptions::default(),
    )
    .unwrap();
    let legal = c.trace(&t);
    let label = legal.label_index().expect("the loop is kept");
    let jump = legal.ops.len() - 1;
    let words = |from: usize, to: usize| -> Vec<u32> {
        let (a, b) = (
            c.code.op_offsets[from] as usize,
            c.code.op_offsets[to] as usize,
        );
        c.code.code[a..b]
            .chunks(4)
            .map(|w| u32::from_le_bytes(w.try_into().unwrap()))
            .collect()
    };
    assert!(
        words(0, label).iter().any(|&w| is_movw_movt(w)),
        "the constants are made before the loop"
    );
    assert!(
        !words(label, jump).iter().any(|&w| is_movw_movt(w)),
        "no MOVW/MOVT in the loop body"
    );
}
