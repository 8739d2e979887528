//! AArch64 brought up family by family (docs/adding-an-isa.md, step 6): the conformance
//! suite by operation family on backend-aarch64's code in the emulator. While it came up,
//! the families the lowering covered passed whole and the rest were refused, never wrong;
//! now every family passes.

use jit_emu::aarch64::A64Target;
use jit_testkit::families::report;

#[test]
fn every_family_is_brought_up_and_passes() {
    let r = report(&A64Target::new(), &jit_testkit::cases::all_cases());
    let text = r.to_string();
    eprintln!("{text}");
    // Every family is up: no operation is refused, no case fails.
    for (name, row) in &r.rows {
        assert_eq!(row.other.0, 0, "{name} has failures:\n{text}");
        assert!(row.unsupported.is_empty(), "{name} refuses:\n{text}");
    }
    assert_eq!(r.total.1, r.total.0, "{text}");
}
