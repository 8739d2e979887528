//! The corpus of PyPy logs on every target: every part imports, every tree builds on
//! x86-64, ARMv7 hard-float, ARMv7 softfp, ARMv5TE and AArch64, and every run on every
//! steered heap agrees with the interpreter.

#[test]
fn the_corpus_agrees_with_the_interpreter_on_every_target() {
    let f = tracejit::pypy::check_logs(&tracejit::pypy::corpus().unwrap()).unwrap();
    println!("{f:#?}");
    assert_eq!(f.parts_imported, f.parts);
    assert_eq!(f.targets.len(), 5);
    for t in &f.targets {
        assert_eq!(t.problems, Vec::<String>::new(), "{}", t.target);
        assert_eq!(t.parts_built, f.parts, "{}", t.target);
        assert_eq!(t.agreeing, t.runs, "{}", t.target);
    }
}
