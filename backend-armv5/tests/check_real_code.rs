//! The ARMv5TE checker on real compiled code: ARMv7 code (which does float arithmetic in
//! VFP registers and loads constants with MOVW/MOVT) is caught; the checker's own rules are tested in
//! `src/check.rs`.

use backend_arm::{ArmBackend, FloatAbi};
use backend_armv5::check::{check, Violation};
use jit_core::compile::{compile, CompileOptions};
use jit_core::text::parse_verified;

#[test]
fn armv7_code_is_not_armv5te() {
    let t = parse_verified(
        "[i0, f0]\ni1 = int_add(i0, 305419896)\nf1 = float_add(f0, f0)\nfinish(i1, f1)",
    )
    .unwrap();
    let c = compile(
        &ArmBackend::new(FloatAbi::Softfp),
        &t,
        &jit_core::Externs::new(),
        CompileOptions::default(),
    )
    .unwrap();
    let found = check(&c.code.code[..c.code.text_len as usize]);
    let what: Vec<&str> = found
        .iter()
        .filter_map(|v| match v {
            Violation::NotV5 { what, .. } => Some(*what),
            _ => None,
        })
        .collect();
    assert!(what.contains(&"a VFP instruction"), "{found:?}");
    assert!(
        what.contains(&"MOVW") && what.contains(&"MOVT"),
        "{found:?}"
    );
    // Nothing UNPREDICTABLE, though: only newer instructions.
    assert!(
        found.iter().all(|v| matches!(v, Violation::NotV5 { .. })),
        "{found:?}"
    );
}
