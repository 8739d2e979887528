//! The corpus's logs (`corpus/logs`, written by PyPy 7.3.11 for `corpus/programs`) read
//! whole: every loop and bridge, every operation, every descr understood; and mutated
//! logs give errors with a place, never a panic.

use jit_pypy::log::{read, Descr, LogArg, PartKind};
use proptest::prelude::*;

fn logs() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/logs");
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_log_of_the_corpus_reads_whole() {
    let logs = logs();
    assert!(logs.len() >= 10, "{} logs", logs.len());
    let (mut loops, mut bridges, mut ops, mut names) = (0, 0, 0, std::collections::BTreeSet::new());
    for (name, text) in &logs {
        let log = read(text).unwrap_or_else(|e| panic!("{name}:{e}"));
        // Every section became a part, with the op count its title announces.
        let sections = text
            .lines()
            .filter(|l| l.ends_with("{jit-log-opt-loop") || l.ends_with("{jit-log-opt-bridge"))
            .count();
        assert_eq!(log.parts.len(), sections, "{name}");
        for part in &log.parts {
            match part.kind {
                PartKind::Loop { .. } => loops += 1,
                PartKind::Bridge { .. } => bridges += 1,
            }
            for op in &part.ops {
                ops += 1;
                names.insert(op.name.clone());
                // Guards name themselves; descrs are understood except the finish kinds.
                if op.name.starts_with("guard_") {
                    assert!(
                        matches!(op.descr, Some(Descr::Guard(_))),
                        "{name}:{}: {op:?}",
                        op.pos
                    );
                    assert!(op.fail_args.is_some(), "{name}:{}", op.pos);
                }
                if let Some(Descr::Other(d)) = &op.descr {
                    assert!(
                        op.name == "finish" || d.contains("Descr"),
                        "{name}:{}: {d}",
                        op.pos
                    );
                }
                if op.name == "debug_merge_point" {
                    assert!(
                        matches!(op.args.last(), Some(LogArg::Str(_))),
                        "{name}:{}",
                        op.pos
                    );
                }
            }
        }
        // Every bridge grows out of a guard some earlier part has.
        for (k, part) in log.parts.iter().enumerate() {
            if let PartKind::Bridge { guard } = part.kind {
                let found = log.parts[..k]
                    .iter()
                    .flat_map(|p| &p.ops)
                    .any(|o| o.descr == Some(Descr::Guard(guard)));
                assert!(
                    found,
                    "{name}: bridge out of {guard:#x} has no guard before it"
                );
            }
        }
    }
    assert!(
        loops >= 20 && bridges >= 10,
        "{loops} loops, {bridges} bridges"
    );
    assert!(names.len() >= 60, "{} distinct operations", names.len());
    println!(
        "{} logs: {loops} loops, {bridges} bridges, {ops} operations, {} distinct",
        logs.len(),
        names.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// A log with bytes changed, deleted or inserted reads or fails with a place inside it.
    #[test]
    fn mutated_logs_never_panic(which in 0usize..64, edits in prop::collection::vec((any::<u32>(), any::<u8>(), 0u8..3), 1..12)) {
        let logs = logs();
        let (_, text) = &logs[which % logs.len()];
        let mut bytes = text.as_bytes().to_vec();
        for (at, b, kind) in edits {
            let i = at as usize % bytes.len().max(1);
            match kind {
                0 => bytes[i] = b,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, b),
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = read(&text) {
            prop_assert!(e.pos.line >= 1 && e.pos.line as usize <= text.lines().count().max(1), "{e}");
        }
    }
}
