//! An independent checker of register allocations.
//!
//! It replays an [`Allocation`] symbolically — which value (or constant) every register and
//! slot holds after each move and op — and checks, from the same trace and constraints the
//! allocator had, that every operand, fail arg and jump value is where the allocation says
//! and holds what the trace says, that every constraint is met, and that the back edge
//! rebuilds the loop-header layout. It shares no code with the allocator, so an allocator
//! bug cannot hide behind it; the tests run it on every compiled trace.

use crate::backend::{class_of, Def, Loc, OpConstraints, Use};
use crate::ir::{Opcode, Operand, Scalar, Trace, Value};
use crate::regalloc::Allocation;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Content {
    Value(Value),
    Const(Scalar),
}

struct State {
    regs: [Option<Content>; 64],
    slots: Vec<Option<Content>>,
    flags: Option<Content>,
}

impl State {
    fn get(&self, l: Loc) -> Option<Content> {
        match l {
            Loc::Reg(r) => self.regs[r.index()],
            Loc::Slot(s) => self.slots.get(s as usize).copied().flatten(),
            Loc::Const(c) => Some(Content::Const(c)),
            Loc::Flags => self.flags,
        }
    }

    fn set(&mut self, l: Loc, c: Option<Content>) -> Result<(), String> {
        match l {
            Loc::Reg(r) => self.regs[r.index()] = c,
            Loc::Slot(s) => match self.slots.get_mut(s as usize) {
                Some(x) => *x = c,
                None => return Err(format!("slot {s} is outside the frame")),
            },
            Loc::Const(_) => return Err("a move writes to a constant".into()),
            Loc::Flags => self.flags = c,
        }
        Ok(())
    }
}

/// A safepoint: every place its GC map names must hold a ref, and the collector may move
/// every object, so a ref left anywhere the map does not name is stale afterwards — the
/// checker forgets it, and a later read of it fails like a read of nothing.
fn check_gc_map(
    trace: &Trace,
    st: &mut State,
    map: &[(Loc, crate::ir::Type)],
) -> Result<(), String> {
    for &(l, ty) in map {
        match st.get(l) {
            Some(Content::Value(v)) if trace.ty(v) == ty => {}
            got => {
                return Err(format!(
                    "the GC map says {l:?} holds a {ty:?}, but it holds {}",
                    show(trace, got)
                ))
            }
        }
        if !matches!(l, Loc::Reg(_) | Loc::Slot(_)) {
            return Err(format!("the GC map names {l:?}"));
        }
    }
    let is_stale = |l: Loc, c: Option<Content>| match c {
        Some(Content::Value(v)) => {
            trace.ty(v) == crate::ir::Type::Ref
                && !map
                    .iter()
                    .any(|&(m, t)| m == l && t == crate::ir::Type::Ref)
        }
        _ => false,
    };
    for k in 0..st.regs.len() {
        let l = Loc::Reg(crate::backend::Reg::from_index(k));
        if is_stale(l, st.regs[k]) {
            st.regs[k] = None;
        }
    }
    for s in 0..st.slots.len() {
        if is_stale(Loc::Slot(s as u32), st.slots[s]) {
            st.slots[s] = None;
        }
    }
    Ok(())
}

fn expect(arg: Operand) -> Content {
    match arg {
        Operand::Value(v) => Content::Value(v),
        Operand::Const(c) => Content::Const(c),
    }
}

fn show(trace: &Trace, c: Option<Content>) -> String {
    match c {
        Some(Content::Value(v)) => crate::verify::value_name(trace, v),
        Some(Content::Const(k)) => format!("constant {k}"),
        None => "nothing".into(),
    }
}

/// Checks `alloc` for `trace` under `constraints`; the error names the op and what is wrong.
pub fn check(
    trace: &Trace,
    constraints: &[OpConstraints],
    alloc: &Allocation,
) -> Result<(), String> {
    let mut st = State {
        regs: [None; 64],
        slots: vec![None; alloc.slots as usize],
        flags: None,
    };
    if alloc.entry.len() != trace.inputs.len() {
        return Err("entry locations do not match the inputs".into());
    }
    for (&v, &l) in trace.inputs.iter().zip(&alloc.entry) {
        if !matches!(l, Loc::Reg(_) | Loc::Slot(_)) {
            return Err(format!("input {v} enters in {l:?}"));
        }
        if st.get(l).is_some() {
            return Err(format!("input {v} enters where another input is ({l:?})"));
        }
        st.set(l, Some(Content::Value(v)))?;
    }
    for (i, op) in trace.ops.iter().enumerate() {
        let at = |e: String| format!("op {i} ({}): {e}", op.opcode);
        for m in alloc.edits(i) {
            let c = st.get(m.from);
            if c.is_none() {
                return Err(at(format!(
                    "a move reads {:?}, which holds nothing",
                    m.from
                )));
            }
            if let (Loc::Reg(r), _) | (_, Loc::Reg(r)) = (m.to, m.from) {
                if r.class != m.class {
                    return Err(at(format!("a {:?} move uses {:?}", m.class, r)));
                }
            }
            if matches!(m.to, Loc::Const(_) | Loc::Flags) {
                return Err(at("a move writes to a constant or the flags".into()));
            }
            st.set(m.to, c).map_err(at)?;
        }
        let args = alloc.args(i);
        if args.len() != op.args.len() {
            return Err(at("wrong number of argument locations".into()));
        }
        let check_holds = |st: &State, l: Loc, want: Content, what: &str| -> Result<(), String> {
            let got = st.get(l);
            if got == Some(want) {
                Ok(())
            } else {
                Err(at(format!(
                    "{what} should be {} in {l:?}, which holds {}",
                    show(trace, Some(want)),
                    show(trace, got)
                )))
            }
        };
        match op.opcode {
            Opcode::Label => {
                // This label's own layout (the last label's is also the jump's target).
                let locs = args;
                if locs.len() != op.args.len() {
                    return Err(at("label layout has the wrong length".into()));
                }
                if trace.label_index() == Some(i) && locs != &alloc.label_locs[..] {
                    return Err(at(
                        "the loop header's layout is not the one jumps go to".into()
                    ));
                }
                for (k, (&a, &l)) in op.args.iter().zip(locs).enumerate() {
                    check_holds(&st, l, expect(a), &format!("label argument {k}"))?;
                    if !matches!(l, Loc::Reg(_) | Loc::Slot(_)) {
                        return Err(at(format!(
                            "label argument {k} is not in a register or slot"
                        )));
                    }
                }
                // Nothing from before the label may be relied on inside the loop: the back
                // edge brings only the label's places.
                let keep: Vec<(Loc, Option<Content>)> =
                    locs.iter().map(|&l| (l, st.get(l))).collect();
                st.regs = [None; 64];
                st.slots.iter_mut().for_each(|s| *s = None);
                st.flags = None;
                for (l, c) in keep {
                    st.set(l, c).map_err(at)?;
                }
                continue;
            }
            Opcode::Jump => {
                for (k, (&a, &l)) in op.args.iter().zip(&alloc.label_locs).enumerate() {
                    check_holds(
                        &st,
                        l,
                        expect(a),
                        &format!("after the jump's moves, label place {k}"),
                    )?;
                }
                // The loop header must also see the label's own values where it expects
                // them: the jump's values take their places.
                continue;
            }
            _ => {}
        }
        let cons = &constraints[i];
        for (k, ((&a, &l), &u)) in op.args.iter().zip(args).zip(&cons.uses).enumerate() {
            check_holds(&st, l, expect(a), &format!("argument {k}"))?;
            let class = class_of(trace.operand_type(a));
            let ok = match (u, l) {
                (Use::Reg, Loc::Reg(r)) | (Use::RegOrSlot, Loc::Reg(r)) => {
                    r.class == class && !cons.clobbers.contains(r)
                }
                (Use::RegOrSlot, Loc::Slot(_)) => true,
                (Use::Fixed(f), Loc::Reg(r)) => f == r,
                (Use::Any, _) => true,
                _ => false,
            };
            if !ok {
                return Err(at(format!(
                    "argument {k} in {l:?} breaks its constraint {u:?}"
                )));
            }
            if l == Loc::Flags && (i == 0 || trace.ops[i - 1].result != a.value()) {
                return Err(at(format!(
                    "argument {k} is read from flags the previous op did not set"
                )));
            }
        }
        let fails = alloc.fail_locs(i);
        if fails.len() != op.fail_args().len() {
            return Err(at("wrong number of fail-arg locations".into()));
        }
        for (k, (&v, &l)) in op.fail_args().iter().zip(fails).enumerate() {
            check_holds(&st, l, Content::Value(v), &format!("fail arg {k}"))?;
            if !matches!(l, Loc::Reg(_) | Loc::Slot(_)) {
                return Err(at(format!("fail arg {k} is not in a register or slot")));
            }
        }
        for r in cons.clobbers.iter() {
            st.regs[r.index()] = None;
        }
        st.flags = None;
        if op.opcode == Opcode::GcAlloc {
            check_gc_map(trace, &mut st, alloc.live_across(i)).map_err(at)?;
        }
        match (op.result, alloc.result(i)) {
            (None, None) => {}
            (Some(v), Some(l)) => {
                let class = class_of(trace.ty(v));
                let ok = match (cons.def, l) {
                    (Some(Def::Reg), Loc::Reg(r)) => r.class == class,
                    (Some(Def::Fixed(f)), Loc::Reg(r)) => f == r,
                    (Some(Def::ReuseInput(k)), Loc::Reg(r)) => {
                        args.get(k as usize) == Some(&Loc::Reg(r))
                    }
                    (Some(Def::Flags), Loc::Flags) => true,
                    _ => false,
                };
                if !ok {
                    return Err(at(format!(
                        "result in {l:?} breaks its constraint {:?}",
                        cons.def
                    )));
                }
                if let Loc::Reg(r) = l {
                    if r.class != class {
                        return Err(at(format!("result of class {class:?} in {r:?}")));
                    }
                }
                st.set(l, Some(Content::Value(v))).map_err(at)?;
            }
            (Some(_), None) => return Err(at("the result has no location".into())),
            (None, Some(_)) => return Err(at("a location for a result the op lacks".into())),
        }
    }
    Ok(())
}
