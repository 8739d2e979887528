//! The meaning of every value-computing operation, as pure functions on [`Scalar`]s.
//!
//! This is the executable form of docs/ir.md: the interpreter evaluates through it, and
//! legalization and constant folding are checked against it. Every function is total:
//! given arguments of the types the opcode takes it returns a result; given anything else
//! it returns `None` (the verifier rules that out before a trace runs).

use crate::ir::{Opcode, Scalar, Sig, CANONICAL_NAN_BITS};

macro_rules! int_ops {
    ($name:ident, $t:ty, $u:ty, $bits:expr) => {
        /// Integer binary operation at one width.
        fn $name(op: Opcode, a: $t, b: $t) -> Option<$t> {
            let sh = (b as u32) & ($bits - 1);
            Some(match op {
                Opcode::IntAdd => a.wrapping_add(b),
                Opcode::IntSub => a.wrapping_sub(b),
                Opcode::IntMul => a.wrapping_mul(b),
                Opcode::UintMulHigh => (((a as $u as u128) * (b as $u as u128)) >> $bits) as $t,
                Opcode::IntAnd => a & b,
                Opcode::IntOr => a | b,
                Opcode::IntXor => a ^ b,
                Opcode::IntLshift => a.wrapping_shl(sh),
                Opcode::IntRshift => a.wrapping_shr(sh),
                Opcode::UintRshift => ((a as $u) >> sh) as $t,
                Opcode::IntDiv => {
                    if b == 0 {
                        0
                    } else {
                        a.wrapping_div(b)
                    }
                }
                Opcode::IntRem => {
                    if b == 0 {
                        a
                    } else {
                        a.wrapping_rem(b)
                    }
                }
                Opcode::UintDiv => {
                    if b == 0 {
                        0
                    } else {
                        ((a as $u) / (b as $u)) as $t
                    }
                }
                Opcode::UintRem => {
                    if b == 0 {
                        a
                    } else {
                        ((a as $u) % (b as $u)) as $t
                    }
                }
                Opcode::IntEq => (a == b) as $t,
                Opcode::IntNe => (a != b) as $t,
                Opcode::IntLt => (a < b) as $t,
                Opcode::IntLe => (a <= b) as $t,
                Opcode::IntGt => (a > b) as $t,
                Opcode::IntGe => (a >= b) as $t,
                Opcode::UintLt => ((a as $u) < (b as $u)) as $t,
                Opcode::UintLe => ((a as $u) <= (b as $u)) as $t,
                Opcode::UintGt => ((a as $u) > (b as $u)) as $t,
                Opcode::UintGe => ((a as $u) >= (b as $u)) as $t,
                _ => return None,
            })
        }
    };
}

int_ops!(int32, i32, u32, 32);
int_ops!(int64, i64, u64, 64);

/// The result of an integer binary operation or comparison.
pub fn int_binary(op: Opcode, a: Scalar, b: Scalar) -> Option<Scalar> {
    let compare = op.sig() == Sig::IntCompare;
    match (a, b) {
        (Scalar::I32(a), Scalar::I32(b)) => int32(op, a, b).map(Scalar::I32),
        (Scalar::I64(a), Scalar::I64(b)) => int64(op, a, b).map(|r| {
            if compare {
                Scalar::I32(r as i32)
            } else {
                Scalar::I64(r)
            }
        }),
        _ => None,
    }
}

/// The wrapped result of an overflow-checked operation and whether it overflowed.
pub fn int_overflow(op: Opcode, a: Scalar, b: Scalar) -> Option<(Scalar, bool)> {
    macro_rules! ovf {
        ($a:expr, $b:expr, $wrap:expr) => {
            match op {
                Opcode::IntAddOvf => $a.overflowing_add($b),
                Opcode::IntSubOvf => $a.overflowing_sub($b),
                Opcode::IntMulOvf => $a.overflowing_mul($b),
                _ => return None,
            }
        };
    }
    match (a, b) {
        (Scalar::I32(a), Scalar::I32(b)) => {
            let (r, o) = ovf!(a, b, Scalar::I32);
            Some((Scalar::I32(r), o))
        }
        (Scalar::I64(a), Scalar::I64(b)) => {
            let (r, o) = ovf!(a, b, Scalar::I64);
            Some((Scalar::I64(r), o))
        }
        _ => None,
    }
}

/// The result of `int_add_co` / `int_sub_bo` and the carry (borrow) it leaves.
pub fn carry_out(op: Opcode, a: Scalar, b: Scalar) -> Option<(Scalar, bool)> {
    let (Scalar::I32(a), Scalar::I32(b)) = (a, b) else {
        return None;
    };
    let (r, c) = match op {
        Opcode::IntAddCo => (a as u32).overflowing_add(b as u32),
        Opcode::IntSubBo => (a as u32).overflowing_sub(b as u32),
        _ => return None,
    };
    Some((Scalar::I32(r as i32), c))
}

/// The result of `int_add_ci` / `int_sub_bi` given the carry (borrow) before it.
pub fn carry_in(op: Opcode, a: Scalar, b: Scalar, carry: bool) -> Option<Scalar> {
    let (Scalar::I32(a), Scalar::I32(b)) = (a, b) else {
        return None;
    };
    Some(Scalar::I32(match op {
        Opcode::IntAddCi => a.wrapping_add(b).wrapping_add(carry as i32),
        Opcode::IntSubBi => a.wrapping_sub(b).wrapping_sub(carry as i32),
        _ => return None,
    }))
}

/// Replaces any NaN by the canonical one: how the interpreter writes arithmetic NaNs.
/// Other targets may produce other NaNs; [`Scalar::same_result`] treats all NaNs alike.
fn arith(x: f64) -> Scalar {
    if x.is_nan() {
        Scalar::F64(CANONICAL_NAN_BITS)
    } else {
        Scalar::f64(x)
    }
}

/// The result of any operation that computes a value from its arguments alone: integer,
/// float, comparison, conversion and `same_as`. `None` for other opcodes or ill-typed
/// arguments. Overflow-checked operations give their wrapped result.
pub fn eval(op: Opcode, args: &[Scalar]) -> Option<Scalar> {
    let a = *args.first()?;
    let b = args.get(1).copied();
    match op.sig() {
        Sig::IntBinary | Sig::IntCompare => int_binary(op, a, b?),
        Sig::IntOverflow => int_overflow(op, a, b?).map(|(r, _)| r),
        Sig::CarryOut => carry_out(op, a, b?).map(|(r, _)| r),
        Sig::CarryIn => carry_in(op, a, b?, false),
        Sig::IntUnary => match (op, a) {
            (Opcode::IntNeg, Scalar::I32(x)) => Some(Scalar::I32(x.wrapping_neg())),
            (Opcode::IntNeg, Scalar::I64(x)) => Some(Scalar::I64(x.wrapping_neg())),
            (Opcode::IntInvert, Scalar::I32(x)) => Some(Scalar::I32(!x)),
            (Opcode::IntInvert, Scalar::I64(x)) => Some(Scalar::I64(!x)),
            _ => None,
        },
        Sig::IntTest => {
            let zero = match a {
                Scalar::I32(x) => x == 0,
                Scalar::I64(x) => x == 0,
                _ => return None,
            };
            Some(Scalar::I32(match op {
                Opcode::IntIsZero => zero as i32,
                _ => !zero as i32,
            }))
        }
        Sig::FloatBinary => {
            let (x, y) = (a.as_f64()?, b?.as_f64()?);
            Some(arith(match op {
                Opcode::FloatAdd => x + y,
                Opcode::FloatSub => x - y,
                Opcode::FloatMul => x * y,
                _ => x / y,
            }))
        }
        Sig::FloatUnary => {
            let Scalar::F64(bits) = a else { return None };
            Some(match op {
                Opcode::FloatNeg => Scalar::F64(bits ^ (1 << 63)),
                Opcode::FloatAbs => Scalar::F64(bits & !(1 << 63)),
                Opcode::FloatCanon => arith(f64::from_bits(bits)),
                _ => arith(f64::from_bits(bits).sqrt()),
            })
        }
        Sig::FloatCompare => {
            let (x, y) = (a.as_f64()?, b?.as_f64()?);
            Some(Scalar::I32(match op {
                Opcode::FloatEq => x == y,
                Opcode::FloatNe => x != y,
                Opcode::FloatLt => x < y,
                Opcode::FloatLe => x <= y,
                Opcode::FloatGt => x > y,
                _ => x >= y,
            } as i32))
        }
        Sig::RefCompare => match (a, b?) {
            (Scalar::Ref(x), Scalar::Ref(y)) => Some(Scalar::I32(match op {
                Opcode::PtrEq => x == y,
                _ => x != y,
            } as i32)),
            _ => None,
        },
        Sig::Convert(from, _) if from != a.ty() => None,
        Sig::Convert(..) => Some(match (op, a) {
            (Opcode::CastI32ToI64, Scalar::I32(x)) => Scalar::I64(x as i64),
            (Opcode::CastU32ToI64, Scalar::I32(x)) => Scalar::I64(x as u32 as i64),
            (Opcode::CastI64ToI32, Scalar::I64(x)) => Scalar::I32(x as i32),
            (Opcode::CastI32ToF64, Scalar::I32(x)) => Scalar::f64(x as f64),
            (Opcode::CastI64ToF64, Scalar::I64(x)) => Scalar::f64(x as f64),
            // Rust's `as` saturates and maps NaN to 0: exactly docs/ir.md's rule.
            (Opcode::CastF64ToI32, Scalar::F64(b)) => Scalar::I32(f64::from_bits(b) as i32),
            (Opcode::CastF64ToI64, Scalar::F64(b)) => Scalar::I64(f64::from_bits(b) as i64),
            (Opcode::CastF64ToF32, Scalar::F64(b)) => {
                Scalar::I32(crate::ir::f64_to_f32_bits(b) as i32)
            }
            (Opcode::CastF32ToF64, Scalar::I32(x)) => {
                Scalar::F64(crate::ir::f32_bits_to_f64(x as u32))
            }
            _ => return None,
        }),
        Sig::SameAs => Some(a),
        _ => None,
    }
}

/// Whether a guard with these arguments passes, given the overflow condition left by the
/// preceding operation and whether the trace has been invalidated.
pub fn guard_passes(
    op: Opcode,
    args: &[Scalar],
    overflow: bool,
    invalidated: bool,
) -> Option<bool> {
    Some(match op {
        Opcode::GuardTrue => args.first()?.bits() != 0,
        Opcode::GuardFalse => args.first()?.bits() == 0,
        Opcode::GuardValue => {
            let (a, b) = (*args.first()?, *args.get(1)?);
            a.ty() == b.ty() && a == b
        }
        Opcode::GuardNonnull => *args.first()? != Scalar::NULL,
        Opcode::GuardIsnull => *args.first()? == Scalar::NULL,
        Opcode::GuardNoOverflow => !overflow,
        Opcode::GuardOverflow => overflow,
        Opcode::GuardNotInvalidated => !invalidated,
        _ => return None,
    })
}
