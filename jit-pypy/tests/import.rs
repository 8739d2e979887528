//! The corpus's logs as tracejit trees: every part either imports into a trace that
//! verifies, in a tree with the guard each bridge grows out of, or is reported with why —
//! never a wrong trace or a variable lost.

use std::collections::BTreeMap;

use jit_pypy::import::{import_log, ImportError};
use jit_pypy::log::{read, PartKind};

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
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_part_imports_into_its_tree() {
    let (mut imported, mut parts, mut trees) = (0, 0, 0);
    let mut missing: BTreeMap<String, usize> = BTreeMap::new();
    let mut other = Vec::new();
    for (path, text) in corpus() {
        let log = read(&text).unwrap();
        parts += log.parts.len();
        let im = import_log(&log);
        for tree in &im.trees {
            trees += 1;
            imported += tree.source.parts.len();
            assert_eq!(tree.source.parts.len(), tree.log_parts.len());
            for (k, trace) in tree.source.parts.iter().enumerate() {
                assert!(jit_core::verify(trace).is_ok(), "{path}: {}", tree.title);
                let part = &log.parts[tree.log_parts[k]];
                // The part's inputs, then the tree's extra inputs.
                assert_eq!(trace.inputs.len(), part.inputs.len() + tree.extras.len());
                // A bridge grows out of a guard of an earlier part of its tree.
                match (part.kind.clone(), tree.source.grows_from[k]) {
                    (PartKind::Loop { .. }, None) => assert_eq!(k, 0),
                    (PartKind::Bridge { .. }, Some((from, id))) => {
                        assert!(from < k);
                        assert!(tree.source.parts[from]
                            .ops
                            .iter()
                            .any(|o| o.opcode.is_guard() && o.exit_id() == Some(id)));
                    }
                    (kind, g) => panic!("{path}: part {k} is {kind:?}, grows from {g:?}"),
                }
            }
        }
        for f in &im.failures {
            match &f.error {
                ImportError::Unsupported(ops) => {
                    for (name, n) in ops {
                        *missing.entry(name.clone()).or_default() += n;
                    }
                }
                e => other.push(format!("{path}: part {}: {e}", f.part)),
            }
        }
    }
    println!("{imported} of {parts} parts imported in {trees} trees; not imported: {missing:?} {other:?}");
    assert!(parts >= 40);
    assert_eq!(other, Vec::<String>::new());
    assert_eq!(missing, BTreeMap::new());
    assert_eq!(imported, parts);
}

/// Every imported tree written as a tree file reads back as the same tree (given its
/// stand-ins), with its source positions as comments.
#[test]
fn every_tree_written_reads_back() {
    let mut notes = 0;
    for (path, text) in corpus() {
        let log = read(&text).unwrap();
        let im = import_log(&log);
        for tree in &im.trees {
            let written = tree.text();
            let externs = jit_pypy::standin::externs(&tree.standins);
            let back = jit_core::text::parse_tree(&written, &externs)
                .unwrap_or_else(|e| panic!("{path}: {}: {e:?}\n{written}", tree.title));
            assert_eq!(back.parts, tree.source.parts, "{path}: {}", tree.title);
            assert_eq!(
                back.grows_from, tree.source.grows_from,
                "{path}: {}",
                tree.title
            );
            notes += written
                .lines()
                .filter(|l| l.starts_with("# ") && l.contains("~#"))
                .count();
        }
    }
    // The source positions are there (`branchy;bridges.py:3-5~#20 FOR_ITER`).
    assert!(notes > 100, "{notes} source positions");
}

/// Operations the corpus does not have but PyPy's logs may: unicode strings, the debug
/// counter and the optimizer's hints import too.
#[test]
fn unicode_counters_and_hints_import() {
    let log = read(
        "[1] {jit-log-opt-loop\n# Loop 7 (f;u.py:1-2~#0 LOAD_FAST) : loop with 9 ops\n[p0, i1]\n\
         +10: label(p0, i1, descr=TargetToken(1))\n\
         +11: increment_debug_counter(140000000000000)\n\
         +12: record_exact_class(p0, ConstClass(W_UnicodeObject))\n\
         +13: p2 = newunicode(i1)\n\
         +14: unicodesetitem(p2, 0, 955)\n\
         +15: i3 = unicodegetitem(p2, 0)\n\
         +16: i4 = unicodelen(p2)\n\
         +17: i5 = unicodehash(p2)\n\
         +18: i6 = int_add(i3, i4)\n\
         +19: jump(p0, i6, descr=TargetToken(1))\n\
         [2] jit-log-opt-loop}\n",
    )
    .unwrap();
    let im = import_log(&log);
    assert!(im.failures.is_empty(), "{:?}", im.failures);
    assert_eq!(im.trees.len(), 1);
    let text = im.trees[0].text();
    assert!(text.contains("array Unicode(i32)"), "{text}");
    assert!(text.contains("raw memory at 0x7f544a44c000"), "{text}");
}
