//! The corpus of PyPy logs on every target: every part imports, every tree builds on
//! x86-64, ARMv7 hard-float, ARMv7 softfp and ARMv5TE, and every run on every steered heap
//! agrees with the interpreter.

fn corpus() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/logs");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

#[test]
fn the_corpus_agrees_with_the_interpreter_on_every_target() {
    let f = tracejit::pypy::check_logs(&corpus()).unwrap();
    println!("{f:#?}");
    assert_eq!(f.parts_imported, f.parts);
    assert_eq!(f.targets.len(), 4);
    for t in &f.targets {
        assert_eq!(t.problems, Vec::<String>::new(), "{}", t.target);
        assert_eq!(t.parts_built, f.parts, "{}", t.target);
        assert_eq!(t.agreeing, t.runs, "{}", t.target);
    }
}
