//! Literal pools on ARMv5TE: the 20,000-op trace with thousands of distinct constants puts
//! its constants in islands through the code (each within an `ldr`'s reach, or it would not
//! link), shares repeated ones, and holds only ARMv5TE instructions outside the islands.
//! (That it runs right is the conformance suite's business: the case is part of it.)

use backend_armv5::check::check_code;
use jit_core::compile::{compile, CompileOptions};
use jit_core::text::parse_verified;

#[test]
fn long_traces_place_constant_islands_within_reach() {
    let case = &jit_testkit::cases::constants()[0];
    let trace = parse_verified(&case.src).unwrap();
    assert!(trace.ops.len() >= 20_000);
    let c = compile(
        &backend_armv5::backend(),
        &trace,
        &jit_testkit::externs(),
        CompileOptions::default(),
    )
    .unwrap();
    let code = &c.code;
    assert!(
        code.data_ranges.len() > 10,
        "{} islands",
        code.data_ranges.len()
    );
    let pooled: usize = code
        .data_ranges
        .iter()
        .map(|(s, e)| (e - s) as usize / 4)
        .sum();
    assert!(pooled >= 2_000, "{pooled} pooled constants");
    assert_eq!(
        check_code(&code.code[..code.text_len as usize], &code.data_ranges),
        []
    );
    // Every island but the last is jumped over: the word before it is a branch, or the
    // `ldr pc, [pc, #-4]` of a call whose callee's address is the word after it.
    for &(start, _) in &code.data_ranges[..code.data_ranges.len() - 1] {
        let w = u32::from_le_bytes(
            code.code[start as usize - 4..start as usize]
                .try_into()
                .unwrap(),
        );
        assert!(
            w & 0x0f00_0000 == 0x0a00_0000 || w == 0xe51f_f004,
            "a branch over the island at {start:#x}: {w:#x}"
        );
    }
}
