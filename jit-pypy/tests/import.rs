//! Parts of the corpus's logs as tracejit traces: every part either imports into a trace
//! that verifies, or is reported with the operations it could not import — never a wrong
//! trace or a variable lost.

use std::collections::BTreeMap;

use jit_pypy::decls::declarations;
use jit_pypy::import::{import_part, ImportError};
use jit_pypy::log::read;

#[test]
fn every_part_imports_or_names_what_it_could_not() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/logs");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let (mut imported, mut parts) = (0, 0);
    let mut missing: BTreeMap<String, usize> = BTreeMap::new();
    for p in paths {
        let log = read(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let decls = declarations(&log);
        for part in &log.parts {
            parts += 1;
            match import_part(part, &decls) {
                Ok(im) => {
                    imported += 1;
                    assert!(jit_core::verify(&im.trace).is_ok());
                    // The part's inputs, then one per constant object.
                    assert_eq!(
                        im.trace.inputs.len(),
                        part.inputs.len() + im.const_ptrs.len()
                    );
                }
                Err(ImportError::Unsupported(ops)) => {
                    assert!(!ops.is_empty());
                    for (name, n) in ops {
                        *missing.entry(name).or_default() += n;
                    }
                }
                Err(e) => panic!("{}: {e}", p.display()),
            }
        }
    }
    println!("{imported} of {parts} parts imported; not yet: {missing:?}");
    assert!(parts >= 40);
    // What imports today (docs/pypy-import.md); the count only grows.
    assert!(imported >= 10, "{imported} parts imported");
}
