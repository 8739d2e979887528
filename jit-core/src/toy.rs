//! A synthetic target for testing the shared allocator and its checker directly: three
//! integer registers (`r0`–`r2`) and three float registers (`f0`–`f2`), `r0` and `f0`
//! caller-saved, and simple constraints for every op (two-address arithmetic, fixed call
//! results, call clobbers). With so few registers, pressure, spills, reloads, clobbered
//! values and parallel-move cycles all come at once. Nothing is ever emitted for it.

use crate::backend::{Def, OpConstraints, Reg, RegClass, RegSet, RegisterInfo, Use};
use crate::ir::{Opcode, Operand, Sig, Trace, Type};
use crate::liveness::Liveness;

fn name(r: Reg) -> &'static str {
    match (r.class, r.hw) {
        (RegClass::Int, 0) => "r0",
        (RegClass::Int, 1) => "r1",
        (RegClass::Int, 2) => "r2",
        (RegClass::Float, 0) => "f0",
        (RegClass::Float, 1) => "f1",
        (RegClass::Float, 2) => "f2",
        _ => "?",
    }
}

/// The register file: `r0`–`r2`, `f0`–`f2`; `r0` and `f0` are what a call destroys. (Three
/// of a class is the fewest the allocator serves: a two-address op whose first input lives
/// on pins both inputs and needs a third register for its result.)
pub fn registers() -> RegisterInfo {
    RegisterInfo {
        int: (0..3).map(Reg::int).collect(),
        float: (0..3).map(Reg::float).collect(),
        caller_saved: RegSet::of(&[Reg::int(0), Reg::float(0)]),
        names: name,
    }
}

/// The constraints of op `i`: integer and float arithmetic two-address (the result reuses
/// the first input, which may be anywhere), call arguments anywhere and results in `r0`/`f0`
/// with both clobbered, loads and stores with the base in a register, everything else in
/// registers.
pub fn constraints(trace: &Trace, _live: &Liveness, i: usize) -> OpConstraints {
    let op = &trace.ops[i];
    let n = op.args.len();
    let mut c = OpConstraints::default();
    let reg_for = |ty: Type| match ty {
        Type::F64 => Reg::float(0),
        _ => Reg::int(0),
    };
    let result_ty = op.result.map(|r| trace.ty(r));
    match op.opcode.sig() {
        Sig::Label | Sig::Jump => return c,
        Sig::Call => {
            c.uses = (0..n).map(|_| Use::Any).collect();
            c.clobbers = registers().caller_saved;
            c.def = Some(result_ty.map_or(Def::None, |t| Def::Fixed(reg_for(t))));
        }
        Sig::IntBinary | Sig::FloatBinary | Sig::IntOverflow => {
            c.uses = (0..n).map(|_| Use::Any).collect();
            c.def = Some(Def::ReuseInput(0));
        }
        Sig::Load(_) => {
            c.uses = [Use::Reg, Use::Any].into_iter().collect();
            c.def = Some(Def::Reg);
        }
        Sig::Store(_) => {
            c.uses = [Use::Reg, Use::Any, Use::Reg].into_iter().collect();
            c.def = Some(Def::None);
        }
        _ => {
            c.uses = op
                .args
                .iter()
                .map(|a| match a {
                    Operand::Const(_) => Use::Any,
                    Operand::Value(_) => Use::Reg,
                })
                .collect();
            c.def = Some(if op.result.is_some() {
                Def::Reg
            } else {
                Def::None
            });
        }
    }
    if op.opcode == Opcode::SameAs {
        c.uses = [Use::Any].into_iter().collect();
        c.def = Some(Def::ReuseInput(0));
    }
    // The GC primitives' slow paths save what lives across them; an allocation is a
    // safepoint with a GC map.
    c.live_across = matches!(op.opcode, Opcode::GcAlloc | Opcode::GcWb);
    c
}

/// The constraints of every op of `trace`.
pub fn all_constraints(trace: &Trace) -> Vec<OpConstraints> {
    let live = Liveness::compute(trace);
    (0..trace.ops.len())
        .map(|i| constraints(trace, &live, i))
        .collect()
}
