//! How many distinct C call signatures the conformance suite calls (the issue held the
//! suite against the 621 of PyPy's backend tests, when it had 56), and that every
//! generated callee is among them.

use std::collections::BTreeSet;

use jit_core::text::parse;

#[test]
fn the_suite_calls_every_generated_shape_and_hundreds_of_signatures() {
    let mut sigs = BTreeSet::new();
    let mut names = BTreeSet::new();
    let cases = jit_testkit::cases::all_cases();
    println!("{} conformance cases", cases.len());
    for case in cases {
        let Ok(trace) = parse(&case.src) else {
            continue;
        };
        for op in &trace.ops {
            if let Some(f) = op.func().filter(|_| op.opcode.is_call()) {
                let d = &trace.funcs[f];
                sigs.insert(jit_core::externs::signature(&d.params, d.ret));
                names.insert(d.name.clone());
            }
        }
    }
    for sh in jit_testkit::shapes::all() {
        assert!(names.contains(&sh.name), "{} is never called", sh.name);
    }
    println!("{} distinct signatures called", sigs.len());
    assert!(sigs.len() >= 600, "{} distinct signatures", sigs.len());
}
