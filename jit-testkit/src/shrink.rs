//! Shrinking a failing trace: ops are deleted, or replaced by a constant of their type,
//! for as long as the trace still verifies and still fails. Works on the text format, so
//! what comes out is what a regression file holds.

use jit_core::interp::RunOptions;
use jit_core::text::{parse_verified, print};
use jit_core::{Memory, Scalar, Trace};

use crate::{compare_to, expect, Target};

/// Shrinks a `trace` that diverges on `target` (inputs `inputs`, buffers in `memory`) and
/// reports the smaller one: a regression file's text, with the mismatch and the inputs as
/// comments.
pub fn divergence(
    target: &dyn Target,
    trace: &Trace,
    inputs: &[Scalar],
    memory: &Memory,
    options: RunOptions,
) -> String {
    let diverges = |t: &Trace| match expect(t, inputs, memory, options) {
        Ok(w) => compare_to(target, t, inputs, memory, options, &w).err(),
        Err(_) => None,
    };
    // The smaller trace must fail the same way: a shrinker that keeps any failure trades a
    // bug for whatever its deletions break first (a jump left without its label).
    let kind = diverges(trace).map(|w| failure_kind(&w));
    let small = shrink(trace, 2_000, |t| {
        kind.is_some() && diverges(t).map(|w| failure_kind(&w)) == kind
    });
    let why = diverges(&small).unwrap_or_default();
    let args: Vec<String> = inputs.iter().map(|x| x.to_string()).collect();
    format!(
        "# Divergence on {}:{}\n# args: {}\n{}",
        target.name(),
        why.replace('\n', "\n# "),
        args.join(", "),
        print(&small)
    )
}

/// What kind of failure a divergence message reports, for shrinking to keep: its first
/// line without digits (which op, which value), or just that results differed. A compile
/// error stays the same compile error, a run error the same run error.
pub fn failure_kind(why: &str) -> String {
    let first = why.trim_start_matches('\n').lines().next().unwrap_or("");
    if first.trim_start().starts_with("interpreter:") {
        return "results differ".into();
    }
    let head = match first.strip_prefix("run error: ") {
        // A run error's kind is its name, not the addresses and values after it.
        Some(rest) => format!("run error: {}", rest.split(':').next().unwrap_or(rest)),
        None => first.to_string(),
    };
    head.chars().filter(|c| !c.is_ascii_digit()).collect()
}

/// The zero constant of a value named like `i3`, `l4`, `f5` or `p6`, in the text format.
fn zero_of(name: &str) -> Option<&'static str> {
    match name.as_bytes().first()? {
        b'i' => Some("0"),
        b'l' => Some("0L"),
        b'f' => Some("0.0"),
        b'p' => Some("null"),
        _ => None,
    }
}

/// Shrinks `trace` while `fails` holds for the smaller trace, trying at most `budget`
/// candidates (each a call of `fails`). Inputs and the final op stay; `fails(trace)` is
/// assumed. Returns the smallest failing trace found.
pub fn shrink(trace: &Trace, budget: usize, mut fails: impl FnMut(&Trace) -> bool) -> Trace {
    let mut best = trace.clone();
    let mut lines: Vec<String> = print(trace).lines().map(str::to_string).collect();
    // The op lines are those after the inputs line (`[...]`), but not the last op.
    let Some(first) = lines.iter().position(|l| l.starts_with('[')).map(|i| i + 1) else {
        return best;
    };
    let mut tried = 0;
    let mut progress = true;
    while progress && tried < budget {
        progress = false;
        // Last op first, so users go before the values they use.
        let mut i = lines.len() - 1;
        while i > first && tried < budget {
            i -= 1;
            // Delete the op, else replace it by a constant of its type.
            let mut candidates = vec![None];
            if let Some((name, rhs)) = lines[i].split_once(" = ") {
                if let Some(zero) = zero_of(name.trim()) {
                    if !rhs.starts_with("same_as(") {
                        candidates.push(Some(format!("{} = same_as({zero})", name.trim())));
                    }
                }
            }
            for c in candidates {
                let mut next = lines.clone();
                match &c {
                    None => {
                        next.remove(i);
                    }
                    Some(line) => next[i] = line.clone(),
                }
                tried += 1;
                let Ok(t) = parse_verified(&next.join("\n")) else {
                    continue;
                };
                if fails(&t) {
                    lines = next;
                    best = t;
                    progress = true;
                    break;
                }
            }
        }
    }
    best
}
