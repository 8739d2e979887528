//! Uses and lifetimes of values, computed once per trace for the allocator and backends.
//!
//! A trace is linear and its loop body is closed over the label (docs/ir.md §1), so a
//! value's lifetime is the interval from its definition to its last use, fail args and jump
//! arguments included.

use crate::ir::{EntityRef, Opcode, Operand, Sig, Trace, Value, ValueDef};

/// Use positions and lifetimes of every value of a trace.
#[derive(Clone, Debug, Default)]
pub struct Liveness {
    /// Per value: the op index of its last use, or its definition if it has none
    /// (`u32::MAX` marks an unused input: it dies at once).
    pub last_use: Vec<u32>,
    /// Per value: the op indices of its uses, in order (an op using it twice counts once).
    use_start: Vec<u32>,
    uses: Vec<u32>,
    /// Per op index: the index of the first call at or after it (`u32::MAX` if none).
    next_call: Vec<u32>,
}

impl Liveness {
    /// Computes uses and lifetimes.
    pub fn compute(trace: &Trace) -> Liveness {
        let n = trace.values.len();
        let mut count = vec![0u32; n + 1];
        let mut last_seen = vec![u32::MAX; n];
        let each_use = |f: &mut dyn FnMut(usize, Value)| {
            for (i, op) in trace.ops.iter().enumerate() {
                for a in &op.args {
                    if let Operand::Value(v) = *a {
                        f(i, v);
                    }
                }
                for &v in op.fail_args() {
                    f(i, v);
                }
            }
        };
        each_use(&mut |i, v| {
            if last_seen[v.index()] != i as u32 {
                last_seen[v.index()] = i as u32;
                count[v.index() + 1] += 1;
            }
        });
        for k in 0..n {
            count[k + 1] += count[k];
        }
        let use_start = count.clone();
        let mut fill = count;
        let mut uses = vec![0u32; *use_start.last().unwrap_or(&0) as usize];
        last_seen.iter_mut().for_each(|x| *x = u32::MAX);
        each_use(&mut |i, v| {
            if last_seen[v.index()] != i as u32 {
                last_seen[v.index()] = i as u32;
                uses[fill[v.index()] as usize] = i as u32;
                fill[v.index()] += 1;
            }
        });
        let last_use = (0..n)
            .map(|k| {
                if use_start[k + 1] > use_start[k] {
                    uses[use_start[k + 1] as usize - 1]
                } else {
                    match trace.values[Value::new(k)].def {
                        ValueDef::Op(i) => i,
                        ValueDef::Input(_) => u32::MAX,
                    }
                }
            })
            .collect();
        let mut next_call = vec![u32::MAX; trace.ops.len() + 1];
        for i in (0..trace.ops.len()).rev() {
            next_call[i] = if trace.ops[i].opcode.is_call() {
                i as u32
            } else {
                next_call[i + 1]
            };
        }
        Liveness {
            last_use,
            use_start,
            uses,
            next_call,
        }
    }

    /// The op indices that use `v`, in order.
    #[inline]
    pub fn uses(&self, v: Value) -> &[u32] {
        let k = v.index();
        &self.uses[self.use_start[k] as usize..self.use_start[k + 1] as usize]
    }

    /// The first use of `v` after op `i`, if any.
    #[inline]
    pub fn next_use_after(&self, v: Value, i: usize) -> Option<u32> {
        let u = self.uses(v);
        let p = u.partition_point(|&x| x <= i as u32);
        u.get(p).copied()
    }

    /// Whether `v` is still needed after op `i`.
    #[inline]
    pub fn live_after(&self, v: Value, i: usize) -> bool {
        let l = self.last_use[v.index()];
        l != u32::MAX && l > i as u32
    }

    /// Whether a value live after op `i` crosses a call before its last use.
    #[inline]
    pub fn crosses_call(&self, v: Value, i: usize) -> bool {
        let c = self.next_call.get(i + 1).copied().unwrap_or(u32::MAX);
        c != u32::MAX && c < self.last_use[v.index()]
    }

    /// Whether op `i`'s result has exactly one use, by the op right after it (so a
    /// backend may make the two as one instruction: ARM's `mla`, AArch64's `madd`).
    pub fn feeds_only_next(&self, trace: &Trace, i: usize) -> bool {
        trace.ops[i]
            .result
            .is_some_and(|r| self.uses(r) == [i as u32 + 1])
    }

    /// Whether op `i` is a comparison whose result only feeds the condition of the guard
    /// right after it, so a backend may leave it in the condition flags.
    pub fn fuses_with_next_guard(&self, trace: &Trace, i: usize) -> bool {
        let op = &trace.ops[i];
        let Some(r) = op.result else { return false };
        let compare = matches!(
            op.opcode.sig(),
            Sig::IntCompare | Sig::FloatCompare | Sig::RefCompare | Sig::IntTest
        );
        let Some(next) = trace.ops.get(i + 1) else {
            return false;
        };
        compare
            && matches!(next.opcode, Opcode::GuardTrue | Opcode::GuardFalse)
            && next.args.first() == Some(&Operand::Value(r))
            && self.uses(r) == [i as u32 + 1]
            && !next.fail_args().contains(&r)
    }
    /// Whether shift op `i` folds into its only user as that op's shifted register operand
    /// (`eor rd, rn, rm, lsr #k` on ARM and AArch64): a shift of a value by a constant that
    /// is not a multiple of its width, whose only use is an operand of a two-value op
    /// `forms(user, type, shifted_first)` says the target has, and whose input dies at the
    /// shift or is the user's other operand. When both of the user's operands could fold,
    /// the later shift does.
    pub fn shift_fold(
        &self,
        trace: &Trace,
        i: usize,
        forms: &dyn Fn(&crate::ir::Op, crate::ir::Type, bool) -> bool,
    ) -> Option<ShiftFold> {
        let (fold, user) = self.shift_candidate(trace, i, forms)?;
        let other = trace.ops[user].args.iter().find_map(|a| match a {
            Operand::Value(v) if Some(*v) != trace.ops[i].result => Some(*v),
            _ => None,
        })?;
        let other_wins = match trace.values[other].def {
            crate::ir::ValueDef::Op(k) => {
                k as usize > i
                    && self.shift_candidate(trace, k as usize, forms).map(|c| c.1) == Some(user)
            }
            crate::ir::ValueDef::Input(_) => false,
        };
        (!other_wins).then_some(fold)
    }

    /// [`Liveness::shift_fold`] without the choice between two shifts: how the shift would
    /// fold, and the op that uses it.
    fn shift_candidate(
        &self,
        trace: &Trace,
        i: usize,
        forms: &dyn Fn(&crate::ir::Op, crate::ir::Type, bool) -> bool,
    ) -> Option<(ShiftFold, usize)> {
        let op = &trace.ops[i];
        if !matches!(
            op.opcode,
            Opcode::IntLshift | Opcode::IntRshift | Opcode::UintRshift
        ) {
            return None;
        }
        let (Some(&Operand::Value(a)), Some(Operand::Const(c)), Some(r)) =
            (op.args.first(), op.args.get(1), op.result)
        else {
            return None;
        };
        let ty = trace.ty(r);
        let bits = if ty == crate::ir::Type::I64 { 64 } else { 32 };
        if (c.bits() as u64).is_multiple_of(bits) {
            return None;
        }
        let &[user] = self.uses(r) else {
            return None;
        };
        let user = user as usize;
        let next = &trace.ops[user];
        let both_values = next.args.len() == 2
            && next.args.iter().all(|a| matches!(a, Operand::Value(_)))
            && next.args[0] != next.args[1];
        let first = next.args.first() == Some(&Operand::Value(r));
        if !(both_values && next.args.contains(&Operand::Value(r)) && forms(next, ty, first)) {
            return None;
        }
        if next.args.contains(&Operand::Value(a)) {
            Some((ShiftFold::OtherOperand, user))
        } else if self.uses(a).last() == Some(&(i as u32)) {
            Some((ShiftFold::Dies, user))
        } else {
            None
        }
    }
}

/// The shift folded into op `i` (its op and how it folded), given `folded`, the
/// [`Liveness::shift_fold`] of every op: what the user emits in the shift's place.
pub fn folded_shift(
    trace: &Trace,
    folded: &[Option<ShiftFold>],
    i: usize,
) -> Option<(usize, ShiftFold)> {
    trace.ops[i].args.iter().find_map(|a| match a {
        Operand::Value(v) => match trace.values[*v].def {
            crate::ir::ValueDef::Op(k) => folded[k as usize].map(|f| (k as usize, f)),
            crate::ir::ValueDef::Input(_) => None,
        },
        Operand::Const(_) => None,
    })
}

/// How a shift by a constant folds into its user ([`Liveness::shift_fold`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShiftFold {
    /// The shift's input dies at the shift: the result takes its register
    /// (`Def::ReuseInput`), still unshifted, and the user shifts it.
    Dies,
    /// The shift's input is the user's other operand (`x ^ (x << k)`): the user reads it for
    /// both; the result's register is never written.
    OtherOperand,
}
