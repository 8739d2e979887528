//! Trees for tests: a bridge for any guard, and the interpreter's run of a tree (the root,
//! then the bridge of each failing guard that has one, on the same memory) to compare
//! targets with.

use std::collections::HashMap;

use jit_core::interp::{run, ExitKind, InterpError, Outcome, RunOptions};
use jit_core::ir::{ExitId, Scalar, Type};
use jit_core::text::parse_verified;
use jit_core::{Externs, Memory, Trace};

/// A bridge taking values of `types` (a guard's fail args): it changes each integer and
/// float a little (by amounts `salt` picks), leaves through a guard on a bit of the first
/// i32 if there is one (failing about half the time, so bridges chain), and finishes with
/// every value.
pub fn bridge(types: &[Type], salt: u32) -> Trace {
    let mut src = String::new();
    let inputs: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(k, t)| format!("{}{k}", t.prefix()))
        .collect();
    src.push_str(&format!("[{}]\n", inputs.join(", ")));
    let mut next = types.len();
    let mut outs = Vec::new();
    let mut first_i32 = None;
    for (k, t) in types.iter().enumerate() {
        let name = format!("{}{next}", t.prefix());
        let line = match t {
            Type::I32 => format!("{name} = int_add(i{k}, {})", 1 + salt % 97),
            Type::I64 => format!("{name} = int_mul(l{k}, {})", 3 + salt % 5),
            Type::F64 => format!("{name} = float_add(f{k}, {}.5)", salt % 7),
            Type::Ref => {
                outs.push(format!("p{k}"));
                continue;
            }
        };
        if *t == Type::I32 && first_i32.is_none() {
            first_i32 = Some(name.clone());
        }
        src.push_str(&line);
        src.push('\n');
        outs.push(name);
        next += 1;
    }
    if let Some(v) = first_i32 {
        let c = format!("i{next}");
        // Fails for about half of all values: bridges chain.
        src.push_str(&format!(
            "{c} = int_and({v}, {})\nguard_false({c}) [{}]\n",
            1 << (salt % 3),
            outs.join(", ")
        ));
    }
    src.push_str(&format!("finish({})\n", outs.join(", ")));
    parse_verified(&src).unwrap_or_else(|e| panic!("a made bridge verifies: {e:?}\n{src}"))
}

/// A tree as the interpreter runs it: `parts[0]` is the root, and `bridges` maps (part,
/// guard exit id) to the part that runs when that guard fails.
pub struct InterpTree<'a> {
    /// The root, then the bridges.
    pub parts: &'a [Trace],
    /// Which part continues where a guard of a part fails.
    pub bridges: &'a HashMap<(usize, ExitId), usize>,
}

impl InterpTree<'_> {
    /// Runs the tree: the part it left from, and the outcome there.
    pub fn run(
        &self,
        inputs: &[Scalar],
        memory: &mut Memory,
        externs: &Externs,
        options: RunOptions,
    ) -> Result<(usize, Outcome), InterpError> {
        let mut part = 0;
        let mut values = inputs.to_vec();
        loop {
            let out = run(&self.parts[part], &values, memory, externs, options)?;
            match (out.kind, self.bridges.get(&(part, out.exit))) {
                (ExitKind::Guard, Some(&next)) => {
                    part = next;
                    values = out.values;
                }
                _ => return Ok((part, out)),
            }
        }
    }
}
