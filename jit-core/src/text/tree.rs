//! Trees as text: the root trace, then each bridge after a line naming the guard it grows
//! out of, as PyPy's logs head a bridge (`# bridge out of Guard 0x7f… with 126 ops`):
//!
//! ```text
//! # args: 10, 0
//! [i0, i1]
//! label(i0, i1)
//! i2 = int_and(i0, 1)
//! guard_false(i2) [i0, i1]          # exit 0: Guard0
//! i3 = int_add(i1, i0)
//! i4 = int_sub(i0, 1)
//! i5 = int_gt(i4, 0)
//! guard_true(i5) [i4, i3]           # Guard1
//! jump(i4, i3)
//! # bridge out of Guard0
//! [i0, i1]
//! i2 = int_mul(i0, 3)
//! i3 = int_add(i1, i2)
//! i4 = int_sub(i0, 1)
//! jump(i4, i3)                      # back to the root's loop
//! ```
//!
//! A line `# Loop` (as PyPy's logs head a loop, `# Loop 1 (…) : loop with 53 ops`; anything
//! after `Loop` ignored) starts a further loop of the tree: a trace with a label, whose
//! labels' tokens are new to the tree (write them as `descr=<TargetN>`), entered by the
//! bridges that jump to them.
//!
//! Exit ids are unique across the file: a part's exits without a `descr` are numbered on
//! from the largest id of the parts before it, so `Guard<N>` names one guard of the tree.
//! A bridge takes its guard's fail args as inputs (the same number and types), has no label
//! of its own, and ends in `finish` or in a `jump` to a loop's label (its label's types):
//! the label its token names in any loop before it, else its own loop's header (the loop
//! whose guard it grows out of, or the loop that bridge grew from). At most one bridge
//! grows out of a guard. A file without a bridge or loop line is a tree of one trace.

use std::collections::HashMap;
use std::fmt;

use super::{parse_checked_from, Pos, Positions, TextError};
use crate::ir::{ExitId, Opcode, Trace, Type};

/// A tree read from text.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeSource {
    /// The root, then the bridges in file order.
    pub parts: Vec<Trace>,
    /// Where each part's operations, arguments and declarations stand in the file.
    pub positions: Vec<Positions>,
    /// For each part, the part holding the guard it grows out of and that guard's exit id
    /// (`None` for the root and every further loop).
    pub grows_from: Vec<Option<(usize, ExitId)>>,
}

impl TreeSource {
    /// For each part, the loop it belongs to: itself for a loop, for a bridge the loop of
    /// the part whose guard it grows out of.
    pub fn loop_of(&self) -> Vec<usize> {
        loop_of(&self.grows_from)
    }

    /// Which part continues where a guard fails: (part, guard's exit id) → bridge part.
    pub fn bridges(&self) -> HashMap<(usize, ExitId), usize> {
        self.grows_from
            .iter()
            .enumerate()
            .filter_map(|(k, g)| g.map(|at| (at, k)))
            .collect()
    }
}

/// Why the parts of a tree file do not fit together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeError {
    /// A `# bridge out of` line that does not name a guard as `Guard<N>`.
    BadHeader(String),
    /// A bridge names a guard no part before it has.
    UnknownGuard(u32),
    /// A bridge names a `finish`, which no bridge can grow out of.
    NotAGuard(u32),
    /// A second bridge for one guard.
    SecondBridge(u32),
    /// Two parts use the same exit id.
    DuplicateExit(u32),
    /// A bridge's inputs differ from its guard's fail args.
    InputMismatch {
        /// The guard's exit id.
        guard: u32,
        /// The types of its fail args.
        fail_args: Vec<Type>,
        /// The types of the bridge's inputs.
        inputs: Vec<Type>,
    },
    /// A bridge jumps to the root's loop, but the root has no label.
    NoLoop,
    /// A bridge's jump names a token no label of the root has.
    UnknownTarget(u32),
    /// A further loop without a label.
    LoopWithoutLabel,
    /// A label's token is a label's of an earlier loop (tokens are unique in a tree).
    DuplicateToken(u32),
    /// A bridge with a label: a bridge jumps to a loop's label, it has none of its own.
    BridgeLabel,
    /// A bridge's jump passes other types than the label takes.
    JumpMismatch {
        /// The label's types.
        label: Vec<Type>,
        /// The jump's types.
        jump: Vec<Type>,
    },
}

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |t: &[Type]| {
            t.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            TreeError::BadHeader(s) => write!(
                f,
                "'{s}': a bridge line is '# bridge out of Guard<N>', N the guard's exit id"
            ),
            TreeError::UnknownGuard(id) => {
                write!(f, "no part before this bridge has a guard Guard{id}")
            }
            TreeError::NotAGuard(id) => {
                write!(f, "exit {id} is a finish: bridges grow out of guards")
            }
            TreeError::SecondBridge(id) => write!(f, "Guard{id} already has a bridge"),
            TreeError::DuplicateExit(id) => write!(
                f,
                "exit id {id} is used by an earlier part (ids are unique in a tree)"
            ),
            TreeError::InputMismatch {
                guard,
                fail_args,
                inputs,
            } => write!(
                f,
                "the bridge takes [{}], but Guard{guard} leaves [{}]",
                list(inputs),
                list(fail_args)
            ),
            TreeError::NoLoop => write!(
                f,
                "the bridge jumps to its loop, but that loop has no label"
            ),
            TreeError::UnknownTarget(t) => {
                write!(
                    f,
                    "the bridge jumps to Target{t}, but no label of a loop before it has it"
                )
            }
            TreeError::LoopWithoutLabel => {
                write!(f, "a further loop of a tree needs a label")
            }
            TreeError::DuplicateToken(t) => write!(
                f,
                "Target{t} is a label of an earlier loop: tokens are unique in a tree \
                 (give this loop's labels descr=<TargetN> of their own)"
            ),
            TreeError::BridgeLabel => write!(
                f,
                "a bridge has no label of its own: it jumps to a loop's label"
            ),
            TreeError::JumpMismatch { label, jump } => write!(
                f,
                "the jump passes [{}], the label takes [{}]",
                list(jump),
                list(label)
            ),
        }
    }
}

impl std::error::Error for TreeError {}

/// What a section of a tree file is, from the line that heads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Head {
    /// `# bridge out of Guard<N>`.
    Bridge(u32),
    /// `# Loop`.
    Loop,
}

/// A section's first line: `# bridge out of Guard<N>` (or `<Guard<N>>`, anything after
/// ignored) or `# Loop` (then a space, a digit or nothing). `Ok(None)` for any other line.
fn header(line: &str) -> Result<Option<Head>, String> {
    let Some(rest) = line.trim_start().strip_prefix('#') else {
        return Ok(None);
    };
    if let Some(after) = rest.trim_start().strip_prefix("Loop") {
        if after.is_empty() || after.starts_with(|c: char| c.is_whitespace() || c.is_ascii_digit())
        {
            return Ok(Some(Head::Loop));
        }
    }
    let Some(rest) = rest.trim_start().strip_prefix("bridge out of") else {
        return Ok(None);
    };
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('<').unwrap_or(rest);
    let digits: String = rest
        .strip_prefix("Guard")
        .map(|r| {
            r.trim_start()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect()
        })
        .unwrap_or_default();
    digits
        .parse::<u32>()
        .map(|id| Some(Head::Bridge(id)))
        .map_err(|_| line.trim().to_string())
}

/// Each part's loop (see [`TreeSource::loop_of`]).
fn loop_of(grows_from: &[Option<(usize, ExitId)>]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::with_capacity(grows_from.len());
    for (k, g) in grows_from.iter().enumerate() {
        let l = match g {
            Some((p, _)) if *p < k => out[*p],
            _ => k,
        };
        out.push(l);
    }
    out
}

/// Whether `src` has a bridge or loop line: a tree of more than one part, which the
/// single-trace parser does not read.
pub fn is_tree(src: &str) -> bool {
    src.lines().any(|l| !matches!(header(l), Ok(None)))
}

/// Parses a tree file: each part parsed, verified and checked against `externs` as a trace
/// file is (errors at their line and column in the file), then the parts checked against
/// each other.
pub fn parse_tree(src: &str, externs: &crate::Externs) -> Result<TreeSource, TextError> {
    let lines: Vec<&str> = src.split('\n').collect();
    // Sections after the first: (header line index, what it heads).
    let mut heads: Vec<(usize, Head)> = Vec::new();
    let mut errors = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        match header(line) {
            Ok(Some(head)) => heads.push((k, head)),
            Ok(None) => {}
            Err(text) => errors.push((pos(k), TreeError::BadHeader(text))),
        }
    }
    if !errors.is_empty() {
        return Err(TextError::Tree(errors));
    }
    let bounds: Vec<(usize, usize)> = {
        let mut starts = vec![0];
        starts.extend(heads.iter().map(|&(k, _)| k + 1));
        let mut ends: Vec<usize> = heads.iter().map(|&(k, _)| k).collect();
        ends.push(lines.len());
        starts.into_iter().zip(ends).collect()
    };
    let mut out = TreeSource {
        parts: Vec::new(),
        positions: Vec::new(),
        grows_from: Vec::new(),
    };
    let mut next_exit = 0u32;
    let mut owner: HashMap<u32, usize> = HashMap::new();
    for (part, &(start, end)) in bounds.iter().enumerate() {
        // The section alone, at its own lines: positions are the file's.
        let mut text = "\n".repeat(start);
        text.push_str(&lines[start..end].join("\n"));
        let (trace, positions) = parse_checked_from(&text, externs, next_exit)?;
        for op in &trace.ops {
            if let Some(id) = op.exit_id() {
                if owner.insert(id.0, part).is_some() {
                    let at = op_pos(&positions, &trace, id).unwrap_or(pos(start));
                    errors.push((at, TreeError::DuplicateExit(id.0)));
                }
                next_exit = next_exit.max(id.0.saturating_add(1));
            }
        }
        out.parts.push(trace);
        out.positions.push(positions);
        out.grows_from.push(None);
    }
    if !errors.is_empty() {
        return Err(TextError::Tree(errors));
    }
    let mut tokens: HashMap<u32, usize> = HashMap::new();
    let mut add_tokens = |out: &TreeSource, part: usize, errors: &mut Vec<(Pos, TreeError)>| {
        let trace = &out.parts[part];
        for (i, op) in trace.ops.iter().enumerate() {
            if op.opcode == Opcode::Label {
                let t = trace.label_token(i);
                if tokens.insert(t, part).is_some() {
                    let at = out.positions[part].ops.get(i).copied().unwrap_or(pos(0));
                    errors.push((at, TreeError::DuplicateToken(t)));
                }
            }
        }
    };
    add_tokens(&out, 0, &mut errors);
    for (k, &(line, head)) in heads.iter().enumerate() {
        let part = k + 1;
        let at = pos(line);
        match head {
            Head::Loop => {
                if out.parts[part].label_index().is_none() {
                    errors.push((at, TreeError::LoopWithoutLabel));
                }
                add_tokens(&out, part, &mut errors);
            }
            Head::Bridge(id) => match check_bridge(&out, part, id) {
                Ok(from) => out.grows_from[part] = Some(from),
                Err((p, e)) => errors.push((p.unwrap_or(at), e)),
            },
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(TextError::Tree(errors))
    }
}

/// Line `k` (0-based), column 1.
fn pos(k: usize) -> Pos {
    Pos {
        line: k as u32 + 1,
        col: 1,
    }
}

/// Where the exit op with id `id` stands.
fn op_pos(positions: &Positions, trace: &Trace, id: ExitId) -> Option<Pos> {
    let i = trace.ops.iter().position(|o| o.exit_id() == Some(id))?;
    positions.ops.get(i).copied()
}

/// Checks bridge `part` against guard `id` of an earlier part and the loop it jumps to
/// (the parts before it have their `grows_from` set).
fn check_bridge(
    tree: &TreeSource,
    part: usize,
    id: u32,
) -> Result<(usize, ExitId), (Option<Pos>, TreeError)> {
    let bridge = &tree.parts[part];
    let found = tree.parts[..part].iter().enumerate().find_map(|(p, t)| {
        t.ops
            .iter()
            .find(|o| o.exit_id() == Some(ExitId(id)))
            .map(|o| (p, t, o))
    });
    let Some((holder, trace, op)) = found else {
        return Err((None, TreeError::UnknownGuard(id)));
    };
    if op.opcode == Opcode::Finish {
        return Err((None, TreeError::NotAGuard(id)));
    }
    if tree.grows_from[..part].contains(&Some((holder, ExitId(id)))) {
        return Err((None, TreeError::SecondBridge(id)));
    }
    let fail_args: Vec<Type> = op.fail_args().iter().map(|&v| trace.ty(v)).collect();
    let inputs: Vec<Type> = bridge.inputs.iter().map(|&v| bridge.ty(v)).collect();
    if fail_args != inputs {
        return Err((
            None,
            TreeError::InputMismatch {
                guard: id,
                fail_args,
                inputs,
            },
        ));
    }
    if let Some(l) = bridge.label_index() {
        return Err((
            tree.positions[part].ops.get(l).copied(),
            TreeError::BridgeLabel,
        ));
    }
    if let Some(jump) = bridge.ops.last().filter(|o| o.opcode == Opcode::Jump) {
        let at = tree.positions[part].ops.last().copied();
        let loops = loop_of(&tree.grows_from[..part]);
        let (root, l) = match bridge.jump_token() {
            Some(t) => (0..part)
                .filter(|&p| tree.grows_from[p].is_none())
                .find_map(|p| {
                    let r = &tree.parts[p];
                    r.label_with_token(t).map(|l| (r, l))
                })
                .ok_or((at, TreeError::UnknownTarget(t)))?,
            None => {
                let root = &tree.parts[loops[holder]];
                (root, root.label_index().ok_or((at, TreeError::NoLoop))?)
            }
        };
        let label: Vec<Type> = root.ops[l]
            .args
            .iter()
            .map(|&a| root.operand_type(a))
            .collect();
        let passed: Vec<Type> = jump.args.iter().map(|&a| bridge.operand_type(a)).collect();
        if label != passed {
            return Err((
                at,
                TreeError::JumpMismatch {
                    label,
                    jump: passed,
                },
            ));
        }
    }
    Ok((holder, ExitId(id)))
}

/// Writes a tree in the canonical form [`parse_tree`] reads back: the root, then each
/// bridge after its `# bridge out of Guard<N>` line, exit ids explicit where they are not
/// the part's own numbering from 0.
pub fn print_tree(tree: &TreeSource) -> String {
    print_tree_noted(tree, &[])
}

/// [`print_tree`] with comment lines: `notes[k]` for part `k`, each `(i, text)` written as
/// `# text` before the part's op `i` (a comment the parser skips; none may start with
/// `bridge out of` or `Loop`, which head parts).
pub fn print_tree_noted(tree: &TreeSource, notes: &[Vec<(usize, String)>]) -> String {
    let mut s = String::new();
    let mut next_exit = 0u32;
    for (k, part) in tree.parts.iter().enumerate() {
        match tree.grows_from[k] {
            Some((_, id)) => s.push_str(&format!("# bridge out of Guard{}\n", id.0)),
            None if k > 0 => s.push_str("# Loop\n"),
            None => {}
        }
        let part_notes = notes.get(k).map(|n| n.as_slice()).unwrap_or(&[]);
        s.push_str(&super::printer::print_noted(part, next_exit, part_notes));
        for id in part.ops.iter().filter_map(|o| o.exit_id()) {
            next_exit = next_exit.max(id.0.saturating_add(1));
        }
    }
    s
}
