//! Constants hoisted out of loops: a constant that is expensive for the target to make
//! where it is used (the backend says which, [`crate::backend::Backend::hoist_constant`]:
//! by value and by use) and is used inside
//! the loop is made once before the label with `same_as` and carried around the loop as an
//! extra label argument, so the body uses a register instead of rebuilding it (MOVW/MOVT or a
//! literal load on ARM) every iteration. Exits and results are unchanged; the driver maps
//! exit op indices back to the original trace as for the other rewrites.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::builder::TraceBuilder;
use crate::ir::{EntityRef, Extra, Opcode, Operand, Scalar, Type, Value};
use crate::Trace;

/// At most this many integer constants are hoisted (each holds a register in the loop).
pub const MAX_INT: usize = 6;
/// At most this many f64 constants are hoisted.
pub const MAX_FLOAT: usize = 6;

/// `trace` with the constants `wants` picks hoisted out of its loop (the most used first,
/// up to [`MAX_INT`] and [`MAX_FLOAT`]); borrowed unchanged when there is nothing to do.
pub fn hoist_constants(
    trace: &Trace,
    wants: impl Fn(Scalar, &crate::ir::Op, usize) -> bool,
) -> Cow<'_, Trace> {
    let Some(label) = trace.label_index() else {
        return Cow::Borrowed(trace);
    };
    // A label inside the loop would have to carry the hoisted values too: leave it.
    if trace.ops[label + 1..]
        .iter()
        .any(|o| o.opcode == Opcode::Label)
    {
        return Cow::Borrowed(trace);
    }
    // Uses inside the loop, by constant (a jump's own arguments are the next iteration's
    // values, not uses).
    let mut uses: HashMap<Scalar, usize> = HashMap::new();
    for op in &trace.ops[label + 1..] {
        if op.opcode == Opcode::Jump {
            continue;
        }
        for (k, &a) in op.args.iter().enumerate() {
            if let Operand::Const(c) = a {
                if wants(c, op, k) {
                    *uses.entry(c).or_default() += 1;
                }
            }
        }
    }
    let mut ranked: Vec<(Scalar, usize)> = uses.into_iter().collect();
    ranked.sort_by_key(|&(c, n)| (std::cmp::Reverse(n), c.ty() as u8, c.bits()));
    let (mut ints, mut floats) = (0, 0);
    let chosen: Vec<Scalar> = ranked
        .into_iter()
        .map(|(c, _)| c)
        .filter(|c| {
            let (n, max) = match c.ty() {
                Type::F64 => (&mut floats, MAX_FLOAT),
                _ => (&mut ints, MAX_INT),
            };
            *n += 1;
            *n <= max
        })
        .collect();
    if chosen.is_empty() {
        return Cow::Borrowed(trace);
    }
    let (mut b, mut map) = TraceBuilder::rewriting(trace);
    let mut hoisted: HashMap<Scalar, Value> = HashMap::new();
    for (i, op) in trace.ops.iter().enumerate() {
        let inside = i > label && op.opcode != Opcode::Jump;
        let mut args: Vec<Operand> = op
            .args
            .iter()
            .map(|&a| match a {
                Operand::Value(v) => Operand::Value(map[v.index()].expect("verified")),
                Operand::Const(c) if inside => hoisted.get(&c).map_or(a, |&v| Operand::Value(v)),
                c => c,
            })
            .collect();
        if i == label {
            for &c in &chosen {
                let v = b.unary(Opcode::SameAs, c);
                hoisted.insert(c, v);
                args.push(Operand::Value(v));
            }
        }
        if op.opcode == Opcode::Jump {
            // The hoisted values go around the loop unchanged.
            args.extend(chosen.iter().map(|c| Operand::Value(hoisted[c])));
        }
        let extra = match &op.extra {
            Extra::Exit { id, fail_args } => Extra::Exit {
                id: *id,
                fail_args: fail_args
                    .iter()
                    .map(|v| map[v.index()].expect("verified"))
                    .collect(),
            },
            other => other.clone(),
        };
        let new = b.raw(op.opcode, &args, op.result.map(|r| trace.ty(r)), extra);
        if let (Some(old), Some(new)) = (op.result, new) {
            map[old.index()] = Some(new);
        }
    }
    Cow::Owned(b.build_unverified())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::{run, RunOptions};
    use crate::text::{parse_verified, print};
    use crate::{verify, Externs, Memory};

    #[test]
    fn expensive_constants_become_label_arguments_and_results_stay() {
        let src =
            "[i0, i1]\nlabel(i0, i1)\ni2 = int_mul(i1, 1664525)\ni3 = int_add(i2, 1013904223)\n\
                   i4 = int_add(i3, 1)\ni5 = int_sub(i0, 1)\ni6 = int_gt(i5, 0)\n\
                   guard_true(i6) [i4]\njump(i5, i4)";
        let t = parse_verified(src).unwrap();
        let h = hoist_constants(&t, |c, _, _| c.bits().unsigned_abs() > 255);
        let text = print(&h);
        verify(&h).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        assert!(
            text.contains("same_as(1664525)") && text.contains("same_as(1013904223)"),
            "{text}"
        );
        assert!(
            text.contains("int_add(i3, 1)") || text.contains(", 1)"),
            "{text}"
        );
        let ext = Externs::new();
        let opts = RunOptions::default();
        let a = run(
            &t,
            &[Scalar::I32(12), Scalar::I32(5)],
            &mut Memory::new(),
            &ext,
            opts,
        )
        .unwrap();
        let b = run(
            &h,
            &[Scalar::I32(12), Scalar::I32(5)],
            &mut Memory::new(),
            &ext,
            opts,
        )
        .unwrap();
        assert_eq!((a.exit, a.values), (b.exit, b.values));
        // Nothing to hoist: the trace comes back as it was.
        assert!(matches!(
            hoist_constants(&t, |_, _, _| false),
            Cow::Borrowed(_)
        ));
    }
}
