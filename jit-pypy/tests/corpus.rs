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

/// Operation names of the corpus, for mutations that swap one for another.
const NAMES: &[&str] = &[
    "int_add",
    "int_lt",
    "guard_true",
    "guard_value",
    "getfield_gc_r",
    "setfield_gc",
    "getarrayitem_gc_r",
    "setarrayitem_gc",
    "arraylen_gc",
    "strgetitem",
    "strsetitem",
    "strlen",
    "newstr",
    "new_array_clear",
    "call_i",
    "call_r",
    "cond_call",
    "cond_call_value_i",
    "call_assembler_r",
    "guard_class",
    "guard_gc_type",
    "getinteriorfield_gc_r",
    "convert_float_bytes_to_longlong",
    "getfield_raw_i",
    "jump",
    "label",
    "finish",
    "guard_nonnull_class",
    "same_as_i",
    "float_add",
    "int_mul_ovf",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// A log with lines deleted, repeated or swapped, an argument dropped or an operation
    /// renamed still reads; its import reports what it cannot import, and heaps build and
    /// steer on what it imports — never a panic.
    #[test]
    fn mutated_logs_import_without_panics(which in 0usize..64, edits in prop::collection::vec((any::<u32>(), any::<u32>(), 0u8..5), 1..8)) {
        let logs = logs();
        let (_, text) = &logs[which % logs.len()];
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (at, other, kind) in edits {
            let n = lines.len().max(1);
            let (i, j) = (at as usize % n, other as usize % n);
            if lines.is_empty() {
                break;
            }
            match kind {
                0 => { lines.remove(i); }
                1 => { let l = lines[i].clone(); lines.insert(i, l); }
                2 => {
                    // Drop the last argument before the descr or the closing parenthesis.
                    let l = &lines[i];
                    let end = l.find(", descr=").or_else(|| l.rfind(')'));
                    if let Some(end) = end {
                        if let Some(comma) = l[..end].rfind(", ") {
                            lines[i] = format!("{}{}", &l[..comma], &l[end..]);
                        }
                    }
                }
                3 => {
                    // Another operation's name.
                    let l = &lines[i];
                    if let (Some(open), Some(start)) = (l.find('('), l.find(": ").map(|k| k + 2)) {
                        if start < open {
                            let start = l[start..open].find("= ").map(|k| start + k + 2).unwrap_or(start);
                            lines[i] = format!("{}{}{}", &l[..start], NAMES[j % NAMES.len()], &l[open..]);
                        }
                    }
                }
                _ => lines.swap(i, j),
            }
        }
        let text = lines.join("\n");
        if let Ok(log) = read(&text) {
            let im = jit_pypy::import::import_log(&log);
            for tree in &im.trees {
                prop_assert!(tree.source.parts.iter().all(|p| jit_core::verify(p).is_ok()));
                let mut heap = jit_pypy::heap::build(&im, tree, 1);
                for (part, trace) in tree.source.parts.iter().enumerate() {
                    for (op, _) in trace.ops.iter().enumerate().filter(|(_, o)| o.opcode.is_guard()).take(8) {
                        jit_pypy::heap::steer(&im, tree, &mut heap, part, op, op % 2 == 0, 1);
                    }
                }
            }
        }
    }
}
