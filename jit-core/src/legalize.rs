//! Target-independent legalization: rewriting a trace into one a target can compile, chosen
//! by its [`Capabilities`].
//!
//! - **Soft-float** (no FPU): f64 arithmetic, comparisons and conversions become calls to
//!   the AEABI soft-float routines (`__aeabi_dadd`, `__aeabi_dcmplt`, `__aeabi_i2d`, …) where
//!   their results are exactly docs/ir.md's, and to `tracejit_*` helpers where the IR asks
//!   for more (saturating f64→int conversions, correctly rounded sqrt). `float_neg`,
//!   `float_abs`, moves, loads and stores stay: they are bit operations.
//! - **Division** (no hardware divide): `int_div`, `int_rem`, `uint_div`, `uint_rem` become
//!   calls to `tracejit_*div*`/`*rem*` helpers with the IR's semantics (`x / 0 = 0`, …),
//!   which a target implements on top of `__aeabi_idiv` and friends.
//!
//! Helper calls are part of the implementation, not of a run's observable call log: the
//! interpreter and the runtimes leave them out of it ([`is_helper`]). [`helpers`] is their
//! table — an interpreter body and a native function each — so a legalized trace runs in the
//! interpreter and natively, and `tests` prove each pass by comparing legalized and original
//! traces on random inputs. (The split of i64 into i32 pairs on 32-bit targets arrives with
//! the 32-bit backends.)

use std::borrow::Cow;
use std::collections::HashMap;

use crate::backend::Capabilities;
use crate::builder::TraceBuilder;
use crate::externs::Externs;
use crate::ir::{EntityRef, Extra, FuncRef, Opcode, Operand, Sig, Trace, Type, Value, ValueDef};

/// Which passes a target needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Passes {
    /// f64 operations into soft-float calls.
    pub soft_float: bool,
    /// Integer division into helper calls.
    pub divide: bool,
}

impl Passes {
    /// The passes a target with these capabilities needs.
    pub fn for_target(caps: Capabilities) -> Passes {
        Passes {
            soft_float: !caps.fpu,
            divide: !caps.hw_divide,
        }
    }

    /// Whether any pass runs.
    pub fn any(self) -> bool {
        self.soft_float || self.divide
    }
}

/// Whether `name` is a legalization helper (left out of call logs).
pub fn is_helper(name: &str) -> bool {
    name.starts_with("__aeabi_") || name.starts_with("tracejit_")
}

/// What an op becomes: a helper call, and whether its `i32` result is then negated
/// (`float_ne` is `!dcmpeq`).
fn helper_for(op: Opcode, ty: Type, passes: Passes) -> Option<(&'static str, bool)> {
    use Opcode::*;
    let wide = ty == Type::I64;
    Some(match op {
        FloatAdd if passes.soft_float => ("__aeabi_dadd", false),
        FloatSub if passes.soft_float => ("__aeabi_dsub", false),
        FloatMul if passes.soft_float => ("__aeabi_dmul", false),
        FloatTruediv if passes.soft_float => ("__aeabi_ddiv", false),
        FloatSqrt if passes.soft_float => ("tracejit_dsqrt", false),
        FloatEq if passes.soft_float => ("__aeabi_dcmpeq", false),
        FloatNe if passes.soft_float => ("__aeabi_dcmpeq", true),
        FloatLt if passes.soft_float => ("__aeabi_dcmplt", false),
        FloatLe if passes.soft_float => ("__aeabi_dcmple", false),
        FloatGt if passes.soft_float => ("__aeabi_dcmpgt", false),
        FloatGe if passes.soft_float => ("__aeabi_dcmpge", false),
        CastI32ToF64 if passes.soft_float => ("__aeabi_i2d", false),
        CastI64ToF64 if passes.soft_float => ("__aeabi_l2d", false),
        CastF64ToI32 if passes.soft_float => ("tracejit_d2i", false),
        CastF64ToI64 if passes.soft_float => ("tracejit_d2l", false),
        IntDiv if passes.divide => (
            if wide {
                "tracejit_sdiv64"
            } else {
                "tracejit_sdiv32"
            },
            false,
        ),
        IntRem if passes.divide => (
            if wide {
                "tracejit_srem64"
            } else {
                "tracejit_srem32"
            },
            false,
        ),
        UintDiv if passes.divide => (
            if wide {
                "tracejit_udiv64"
            } else {
                "tracejit_udiv32"
            },
            false,
        ),
        UintRem if passes.divide => (
            if wide {
                "tracejit_urem64"
            } else {
                "tracejit_urem32"
            },
            false,
        ),
        _ => return None,
    })
}

/// Rewrites `trace` with `passes`; borrows it unchanged when no pass applies. The trace
/// must verify; the result verifies too.
pub fn legalize(trace: &Trace, passes: Passes) -> Cow<'_, Trace> {
    let needs = passes.any()
        && trace.ops.iter().any(|op| {
            let ty = op
                .args
                .first()
                .map_or(Type::I32, |&a| trace.operand_type(a));
            helper_for(op.opcode, ty, passes).is_some()
        });
    if !needs {
        return Cow::Borrowed(trace);
    }
    let table = helpers();
    let mut b = TraceBuilder::new();
    for decl in trace.funcs.values() {
        b.declare(&decl.name, &decl.params, decl.ret);
    }
    let mut declared: HashMap<&'static str, FuncRef> = HashMap::new();
    let mut map: Vec<Option<Value>> = vec![None; trace.values.len()];
    for &v in &trace.inputs {
        map[v.index()] = Some(b.input(trace.ty(v)));
    }
    let remap = |map: &[Option<Value>], a: Operand| match a {
        Operand::Value(v) => Operand::Value(map[v.index()].expect("verified: defined before use")),
        c => c,
    };
    for op in &trace.ops {
        let args: Vec<Operand> = op.args.iter().map(|&a| remap(&map, a)).collect();
        let ty = op
            .args
            .first()
            .map_or(Type::I32, |&a| trace.operand_type(a));
        let new = match helper_for(op.opcode, ty, passes) {
            Some((name, negate)) => {
                let f = *declared.entry(name).or_insert_with(|| {
                    let h = table.get(name).expect("every helper is in the table");
                    b.declare(name, &h.params, h.ret)
                });
                let r = b.call(f, &args).expect("helpers used here return a value");
                Some(if negate {
                    b.unary(Opcode::IntIsZero, r)
                } else {
                    r
                })
            }
            None => {
                let extra = match &op.extra {
                    Extra::Exit { id, fail_args } => Extra::Exit {
                        id: *id,
                        fail_args: fail_args
                            .iter()
                            .map(|v| map[v.index()].expect("verified: fail args defined"))
                            .collect(),
                    },
                    other => other.clone(),
                };
                let rty = op.result.map(|r| trace.ty(r));
                b.raw(op.opcode, &args, rty, extra)
            }
        };
        if let (Some(old), Some(new)) = (op.result, new) {
            map[old.index()] = Some(new);
        }
    }
    let out = b.build_unverified();
    debug_assert!(
        out.values
            .values()
            .all(|d| !matches!(d.def, ValueDef::Op(i) if i as usize >= out.ops.len())),
        "results point at ops"
    );
    debug_assert!(
        !out.ops
            .iter()
            .any(|o| passes.soft_float
                && matches!(o.opcode.sig(), Sig::FloatBinary | Sig::FloatCompare)),
        "no f64 arithmetic left"
    );
    Cow::Owned(out)
}

/// The helper functions, for the interpreter and for native code: every legalized trace's
/// calls resolve here.
pub fn helpers() -> Externs {
    let mut t = Externs::new();
    helper_fns::register(&mut t);
    t
}

/// The helpers: AEABI names where the routine's results are exactly the IR's, `tracejit_`
/// where the IR asks for more. Bodies follow docs/ir.md through `crate::sem`.
#[allow(non_snake_case)]
mod helper_fns {
    use crate::ir::{Opcode, Scalar};
    use crate::sem::eval;

    fn f(op: Opcode, a: f64, b: f64) -> f64 {
        eval(op, &[Scalar::f64(a), Scalar::f64(b)])
            .and_then(|s| s.as_f64())
            .unwrap_or(f64::NAN)
    }
    fn cmp(op: Opcode, a: f64, b: f64) -> i32 {
        eval(op, &[Scalar::f64(a), Scalar::f64(b)]).map_or(0, |s| s.bits() as i32)
    }
    fn i32op(op: Opcode, a: i32, b: i32) -> i32 {
        eval(op, &[Scalar::I32(a), Scalar::I32(b)]).map_or(0, |s| s.bits() as i32)
    }
    fn i64op(op: Opcode, a: i64, b: i64) -> i64 {
        eval(op, &[Scalar::I64(a), Scalar::I64(b)]).map_or(0, |s| s.bits())
    }

    crate::define_externs! {
        fn __aeabi_dadd(a: f64, b: f64) -> f64 { f(Opcode::FloatAdd, a, b) }
        fn __aeabi_dsub(a: f64, b: f64) -> f64 { f(Opcode::FloatSub, a, b) }
        fn __aeabi_dmul(a: f64, b: f64) -> f64 { f(Opcode::FloatMul, a, b) }
        fn __aeabi_ddiv(a: f64, b: f64) -> f64 { f(Opcode::FloatTruediv, a, b) }
        fn __aeabi_dcmpeq(a: f64, b: f64) -> i32 { cmp(Opcode::FloatEq, a, b) }
        fn __aeabi_dcmplt(a: f64, b: f64) -> i32 { cmp(Opcode::FloatLt, a, b) }
        fn __aeabi_dcmple(a: f64, b: f64) -> i32 { cmp(Opcode::FloatLe, a, b) }
        fn __aeabi_dcmpgt(a: f64, b: f64) -> i32 { cmp(Opcode::FloatGt, a, b) }
        fn __aeabi_dcmpge(a: f64, b: f64) -> i32 { cmp(Opcode::FloatGe, a, b) }
        fn __aeabi_i2d(a: i32) -> f64 { a as f64 }
        fn __aeabi_l2d(a: i64) -> f64 { a as f64 }
        fn tracejit_d2i(a: f64) -> i32 { a as i32 }
        fn tracejit_d2l(a: f64) -> i64 { a as i64 }
        fn tracejit_dsqrt(a: f64) -> f64 { eval(Opcode::FloatSqrt, &[Scalar::f64(a)]).and_then(|s| s.as_f64()).unwrap_or(f64::NAN) }
        fn tracejit_sdiv32(a: i32, b: i32) -> i32 { i32op(Opcode::IntDiv, a, b) }
        fn tracejit_srem32(a: i32, b: i32) -> i32 { i32op(Opcode::IntRem, a, b) }
        fn tracejit_udiv32(a: i32, b: i32) -> i32 { i32op(Opcode::UintDiv, a, b) }
        fn tracejit_urem32(a: i32, b: i32) -> i32 { i32op(Opcode::UintRem, a, b) }
        fn tracejit_sdiv64(a: i64, b: i64) -> i64 { i64op(Opcode::IntDiv, a, b) }
        fn tracejit_srem64(a: i64, b: i64) -> i64 { i64op(Opcode::IntRem, a, b) }
        fn tracejit_udiv64(a: i64, b: i64) -> i64 { i64op(Opcode::UintDiv, a, b) }
        fn tracejit_urem64(a: i64, b: i64) -> i64 { i64op(Opcode::UintRem, a, b) }
    }
}
