//! AArch64 brought up family by family (docs/adding-an-isa.md, step 6): the conformance
//! suite by operation family on backend-aarch64's code in the emulator. The families the
//! lowering covers pass whole; the rest are refused, never wrong.

use jit_emu::aarch64::A64Target;
use jit_testkit::families::report;

#[test]
fn the_families_brought_up_pass_and_the_rest_are_refused() {
    let r = report(&A64Target::new(), &jit_testkit::cases::all_cases());
    let text = r.to_string();
    eprintln!("{text}");
    for (name, row) in &r.rows {
        assert_eq!(
            row.other.0, 0,
            "{name} has failures that are not refusals:\n{text}"
        );
    }
    // What is up so far: every operation of these families, and as many cases as when
    // they came up (a case fails only where an operation is still refused: GC objects
    // wait).
    for name in [
        "integer arithmetic",
        "comparisons",
        "overflow checks",
        "guards",
        "memory",
        "f64 arithmetic",
        "f64 comparisons",
        "conversions",
        "calls",
    ] {
        let row = &r.rows.iter().find(|(n, _)| *n == name).expect("a family").1;
        assert!(row.unsupported.is_empty(), "{name}:\n{text}");
    }
    assert!(r.total.1 >= 1635, "{text}");
}
