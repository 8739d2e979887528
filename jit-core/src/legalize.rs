//! Target-independent legalization: rewriting a trace into one a target can compile, chosen
//! by its [`Capabilities`].
//!
//! - **Soft-float** (no FPU): f64 arithmetic, comparisons and conversions become calls to
//!   the AEABI soft-float routines (`__aeabi_dcmplt`, `__aeabi_i2d`, …) where their results
//!   are exactly docs/ir.md's, and to `tracejit_*` helpers where the IR asks for more
//!   (saturating f64→int conversions, correctly rounded sqrt, the canonical NaN from
//!   `tracejit_dmul`/`tracejit_ddiv`, which wrap libgcc's) or where libgcc's routine is not
//!   exact (`tracejit_dadd`/`tracejit_dsub`: libgcc's ARM `__aeabi_dadd` misrounds some
//!   subtractions, see `jit-fixtures/c/runtime.c`). `float_neg`, `float_abs`, moves, loads
//!   and stores stay: they are bit operations.
//! - **NaN canonicalization** (an FPU): where memory or a callee would see the bits of a
//!   NaN that arithmetic may have made ([`nan_canon_plan`]), a `float_canon` makes it the
//!   canonical NaN the interpreter makes, so SSE's and VFP's own NaNs never show.
//! - **Division** (no hardware divide): `int_div`, `int_rem`, `uint_div`, `uint_rem` become
//!   calls to `tracejit_*div*`/`*rem*` helpers with the IR's semantics (`x / 0 = 0`, …),
//!   which a target implements on top of `__aeabi_idiv` and friends.
//!
//! Helper calls are part of the implementation, not of a run's observable call log: the
//! interpreter and the runtimes leave them out of it ([`is_helper`]). [`helpers`] is their
//! table — an interpreter body and a native function each — so a legalized trace runs in the
//! interpreter and natively, and `tests` prove each pass by comparing legalized and original
//! traces on random inputs. [`split`] turns i64 (and, without float registers, f64) values
//! into i32 pairs for 32-bit targets.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::backend::Capabilities;
use crate::builder::TraceBuilder;
use crate::externs::Externs;
use crate::ir::{
    CType, EntityRef, Extra, FuncRef, Opcode, Operand, Sig, Trace, Type, Value, ValueDef,
};

/// Which passes a target needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Passes {
    /// f64 operations into soft-float calls.
    pub soft_float: bool,
    /// Integer division into helper calls.
    pub divide: bool,
    /// `float_canon` before every use that lets memory see the bits of a NaN that
    /// arithmetic may have made (`store_f64`, `float_neg`, `float_abs`, f64 call arguments),
    /// for FPUs whose arithmetic NaNs are not the canonical one (SSE, VFP without
    /// default-NaN mode). Soft-float helpers return the canonical NaN themselves.
    pub canonicalize_nans: bool,
}

impl Passes {
    /// The passes a target with these capabilities needs.
    pub fn for_target(caps: Capabilities) -> Passes {
        Passes {
            soft_float: !caps.fpu,
            divide: !caps.hw_divide,
            canonicalize_nans: caps.fpu,
        }
    }

    /// Whether any pass runs.
    pub fn any(self) -> bool {
        self.soft_float || self.divide || self.canonicalize_nans
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
        FloatAdd if passes.soft_float => ("tracejit_dadd", false),
        FloatSub if passes.soft_float => ("tracejit_dsub", false),
        FloatMul if passes.soft_float => ("tracejit_dmul", false),
        FloatTruediv if passes.soft_float => ("tracejit_ddiv", false),
        FloatSqrt if passes.soft_float => ("tracejit_dsqrt", false),
        FloatCanon if passes.soft_float => ("tracejit_dcanon", false),
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
        CastF64ToF32 if passes.soft_float => ("tracejit_d2f", false),
        CastF32ToF64 if passes.soft_float => ("tracejit_f2d", false),
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
    legalize_with(trace, passes, &[]).0
}

/// Which fail args of which guards (by exit id) may hold a NaN the target's arithmetic
/// made; guards with none are left out.
pub type GuardNanArith = Vec<(crate::ir::ExitId, NanFlags)>;

/// One flag per fail arg, inline for up to 16 (a compile makes one per guard).
pub type NanFlags = smallvec::SmallVec<[bool; 16]>;

/// [`legalize`] for a trace whose inputs `k` with `arith_inputs[k]` may hold a NaN made
/// by the target's arithmetic (a bridge's inputs, as its guard left them); such inputs are
/// canonicalized where their bits escape, like the results of arithmetic. Also returns,
/// from the same NaN plan, which fail args of the trace's own guards may hold such NaNs:
/// what a bridge from each guard passes here in turn.
pub fn legalize_with<'t>(
    trace: &'t Trace,
    passes: Passes,
    arith_inputs: &[bool],
) -> (Cow<'t, Trace>, GuardNanArith) {
    let needs = passes.any()
        && trace.ops.iter().any(|op| {
            let ty = op
                .args
                .first()
                .map_or(Type::I32, |&a| trace.operand_type(a));
            helper_for(op.opcode, ty, passes).is_some()
        });
    let (canon, guards) = if passes.canonicalize_nans {
        nan_canon_plan_with(trace, arith_inputs)
    } else {
        (Vec::new(), Vec::new())
    };
    let needs = needs || canon.iter().any(|c| !c.is_empty());
    if !needs {
        return (Cow::Borrowed(trace), guards);
    }
    let table = helpers();
    let mut b = TraceBuilder::new();
    b.objects(&trace.objects);
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
    for (i, op) in trace.ops.iter().enumerate() {
        let mut args: Vec<Operand> = op.args.iter().map(|&a| remap(&map, a)).collect();
        for &k in canon.get(i).map_or(&[][..], |c| &c[..]) {
            let c = b.unary(Opcode::FloatCanon, args[k]);
            args[k] = c.into();
            // A loop value canonicalized on entry: the loop uses the canonical one.
            if let (Opcode::Label, Operand::Value(t)) = (op.opcode, op.args[k]) {
                map[t.index()] = Some(c);
            }
        }
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
    (Cow::Owned(out), guards)
}

/// Where `float_canon` goes on a target whose arithmetic NaNs are not the canonical one:
/// for each op, the arguments to canonicalize just before it.
///
/// A value is *arithmetic* when it comes from `float_add`, `float_sub`, `float_mul`,
/// `float_truediv` or `float_sqrt` (or `same_as` of one): if it is a NaN, the interpreter's
/// is canonical and the target's may not be. It is canonicalized where its bits escape
/// (`store_f64`, `float_neg`, `float_abs`, f64 call arguments). Loop values are the
/// subtle part: one label slot may hold an arithmetic value on one pass and a value with
/// exact NaN bits (an input, `float_neg` of a canonical NaN) on another, so no single
/// canonicalization after the label is right. Instead, a slot whose value escapes (directly,
/// through `same_as`, by the jump into another such slot, or as a fail arg of a guard after
/// the label, which a bridge may store) gets canonical values from both sides: its entry
/// value before the label, and the jump's argument, where these are arithmetic. Slots
/// whose values never escape cost nothing.
pub fn nan_canon_plan(trace: &Trace) -> Vec<Vec<usize>> {
    nan_canon_plan_with(trace, &[]).0
}

/// [`nan_canon_plan`] with inputs that may be arithmetic NaNs, and the guards' arithmetic
/// fail args.
fn nan_canon_plan_with(trace: &Trace, arith_inputs: &[bool]) -> (Vec<Vec<usize>>, GuardNanArith) {
    use Opcode::*;
    let n = trace.values.len();
    let label = trace.label_index();
    let jump = trace
        .ops
        .last()
        .filter(|o| o.opcode == Jump && label.is_some());
    let slots: Vec<Option<Value>> = label.map_or(Vec::new(), |l| {
        trace.ops[l]
            .args
            .iter()
            .map(|a| match a {
                Operand::Value(v) => Some(*v),
                Operand::Const(_) => None,
            })
            .collect()
    });
    let mut is_slot = vec![false; n];
    for v in slots.iter().flatten() {
        is_slot[v.index()] = true;
    }
    // Which values' bits escape, directly or through same_as and loop slots.
    let mut observed = vec![false; n];
    for (i, op) in trace.ops.iter().enumerate() {
        // A guard's fail args after the label reach a bridge, which may store them: a loop
        // slot among them (or copied into them) must hold canonical values, since its
        // entries mix the label's value with the jump's and the bridge cannot tell which.
        if op.opcode.is_guard() && label.is_some_and(|l| i > l) {
            for v in op.fail_args() {
                observed[v.index()] = true;
            }
        }
        for (k, a) in op.args.iter().enumerate() {
            if let Operand::Value(v) = a {
                if observes_nan_bits(trace, op, k) {
                    observed[v.index()] = true;
                }
            }
        }
    }
    loop {
        let mut changed = false;
        for op in trace.ops.iter().rev() {
            if let (SameAs, Some(r), Some(Operand::Value(u))) =
                (op.opcode, op.result, op.args.first())
            {
                if observed[r.index()] && !observed[u.index()] {
                    observed[u.index()] = true;
                    changed = true;
                }
            }
        }
        if let Some(j) = jump {
            for (t, a) in slots.iter().zip(&j.args) {
                if let (Some(t), Operand::Value(a)) = (t, a) {
                    if observed[t.index()] && !observed[a.index()] {
                        observed[a.index()] = true;
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
    // Forward: which values are arithmetic where they are used, and where to canonicalize.
    let mut arith = vec![false; n];
    for (k, &v) in trace.inputs.iter().enumerate() {
        arith[v.index()] = arith_inputs.get(k).copied().unwrap_or(false);
    }
    let mut plan = vec![Vec::new(); trace.ops.len()];
    let mut guards = Vec::new();
    for (i, op) in trace.ops.iter().enumerate() {
        // After the label, a slot holds canonical values if it escapes, and is never seen
        // if it does not.
        let after_label = label.is_some_and(|l| i > l);
        let state = |v: Value| !(after_label && is_slot[v.index()]) && arith[v.index()];
        for (k, a) in op.args.iter().enumerate() {
            let Operand::Value(v) = *a else { continue };
            let canon = match op.opcode {
                Label => observed[v.index()] && arith[v.index()],
                // A jump out of the trace (a bridge's, to its root's loop): the root's
                // plan takes canonical values into its slots, or exact ones.
                Jump if label.is_none() => state(v),
                Jump => {
                    slots
                        .get(k)
                        .copied()
                        .flatten()
                        .is_some_and(|t| observed[t.index()])
                        && state(v)
                }
                _ => observes_nan_bits(trace, op, k) && state(v),
            };
            if canon {
                plan[i].push(k);
            }
        }
        if op.opcode.is_guard() {
            if let Some(id) = op.exit_id() {
                let after_label = label.is_some_and(|l| i > l);
                let arith_at = |v: Value| {
                    !(after_label && is_slot[v.index()] && observed[v.index()]) && arith[v.index()]
                };
                // Most guards pass no arithmetic value: nothing is allocated for them.
                if op.fail_args().iter().any(|&v| arith_at(v)) {
                    guards.push((id, op.fail_args().iter().map(|&v| arith_at(v)).collect()));
                }
            }
        }
        if let Some(r) = op.result {
            arith[r.index()] = match op.opcode {
                FloatAdd | FloatSub | FloatMul | FloatTruediv | FloatSqrt => true,
                SameAs => matches!(op.args[0], Operand::Value(u) if state(u)),
                _ => false,
            };
        }
    }
    (plan, guards)
}

/// Whether argument `k` of `op` lets memory (or a callee) see the bits of a NaN: the value
/// of `store_f64`, the operand of `float_neg`/`float_abs` (whose results are stored or
/// passed on with the NaN's other bits), and f64 arguments of calls.
fn observes_nan_bits(trace: &Trace, op: &crate::ir::Op, k: usize) -> bool {
    match op.opcode {
        Opcode::StoreF64 => k == 2,
        // A NaN's sign and payload survive the conversion to f32.
        Opcode::FloatNeg | Opcode::FloatAbs | Opcode::CastF64ToF32 => k == 0,
        Opcode::Call | Opcode::CallIndirect => trace.operand_type(op.args[k]) == Type::F64,
        _ => false,
    }
}

/// The helper functions, for the interpreter and for native code: every legalized trace's
/// calls resolve here.
pub fn helpers() -> Externs {
    static HELPERS: std::sync::OnceLock<Externs> = std::sync::OnceLock::new();
    HELPERS
        .get_or_init(|| {
            let mut t = Externs::new();
            helper_fns::register(&mut t);
            // The GC's slow paths: only compiled code calls them (the interpreter's objects
            // are abstract), so their interpreter bodies are never run.
            t.insert_native(
                crate::gcrun::ALLOC_HELPER,
                &[CType::Ref, CType::I32, CType::I32, CType::Ref],
                Some(CType::Ref),
                |_| Some(crate::ir::Scalar::Ref(0)),
                crate::gcrun::tracejit_gc_alloc as *const () as usize,
            );
            t.insert_native(
                crate::gcrun::BARRIER_HELPER,
                &[CType::Ref, CType::Ref],
                None,
                |_| None,
                crate::gcrun::tracejit_gc_wb as *const () as usize,
            );
            t
        })
        .clone()
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
        fn tracejit_dadd(a: f64, b: f64) -> f64 { f(Opcode::FloatAdd, a, b) }
        fn tracejit_dsub(a: f64, b: f64) -> f64 { f(Opcode::FloatSub, a, b) }
        fn tracejit_dmul(a: f64, b: f64) -> f64 { f(Opcode::FloatMul, a, b) }
        fn tracejit_ddiv(a: f64, b: f64) -> f64 { f(Opcode::FloatTruediv, a, b) }
        fn tracejit_dcanon(a: f64) -> f64 { eval(Opcode::FloatCanon, &[Scalar::f64(a)]).and_then(|s| s.as_f64()).unwrap_or(f64::NAN) }
        fn __aeabi_dcmpeq(a: f64, b: f64) -> i32 { cmp(Opcode::FloatEq, a, b) }
        fn __aeabi_dcmplt(a: f64, b: f64) -> i32 { cmp(Opcode::FloatLt, a, b) }
        fn __aeabi_dcmple(a: f64, b: f64) -> i32 { cmp(Opcode::FloatLe, a, b) }
        fn __aeabi_dcmpgt(a: f64, b: f64) -> i32 { cmp(Opcode::FloatGt, a, b) }
        fn __aeabi_dcmpge(a: f64, b: f64) -> i32 { cmp(Opcode::FloatGe, a, b) }
        fn tracejit_d2f(a: f64) -> i32 { crate::ir::f64_to_f32_bits(a.to_bits()) as i32 }
        fn tracejit_f2d(a: i32) -> f64 { f64::from_bits(crate::ir::f32_bits_to_f64(a as u32)) }
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
        fn tracejit_umulh64(a: i64, b: i64) -> i64 { i64op(Opcode::UintMulHigh, a, b) }
        fn tracejit_mul64(a: i64, b: i64) -> i64 { a.wrapping_mul(b) }
        fn tracejit_mul64_overflows(a: i64, b: i64) -> i32 { a.overflowing_mul(b).1 as i32 }
        // The interpreter invalidates the tree itself (`interp::INVALIDATE`); native code
        // that calls this patches the tree running on this thread.
        fn tracejit_invalidate() { crate::tree::invalidate_running() }
    }
}

/// Which 64-bit types the split pass turns into `(lo, hi)` pairs of `i32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SplitMode {
    /// `i64` (every 32-bit target).
    pub i64: bool,
    /// `f64` (targets without float registers, after the soft-float pass).
    pub f64: bool,
}

impl SplitMode {
    /// Whether values of `ty` become pairs.
    pub fn splits(self, ty: Type) -> bool {
        (ty == Type::I64 && self.i64) || (ty == Type::F64 && self.f64)
    }
}

/// The scalars a split trace takes for `values` of these types: each split value as its low
/// then its high half.
pub fn split_scalars(values: &[crate::ir::Scalar], mode: SplitMode) -> Vec<crate::ir::Scalar> {
    use crate::ir::Scalar;
    let mut out = Vec::with_capacity(values.len() * 2);
    for &v in values {
        if mode.splits(v.ty()) {
            let bits = v.bits() as u64;
            out.push(Scalar::I32(bits as u32 as i32));
            out.push(Scalar::I32((bits >> 32) as u32 as i32));
        } else {
            out.push(v);
        }
    }
    out
}

/// The values of types `types` from a split trace's scalars (the inverse of
/// [`split_scalars`]); `None` if the counts do not fit.
pub fn join_scalars(
    types: &[Type],
    halves: &[crate::ir::Scalar],
    mode: SplitMode,
) -> Option<Vec<crate::ir::Scalar>> {
    use crate::ir::Scalar;
    let mut out = Vec::with_capacity(types.len());
    let mut at = 0;
    for &t in types {
        if mode.splits(t) {
            let (lo, hi) = (
                halves.get(at)?.bits() as u32 as u64,
                halves.get(at + 1)?.bits() as u32 as u64,
            );
            let bits = lo | hi << 32;
            out.push(if t == Type::F64 {
                Scalar::F64(bits)
            } else {
                Scalar::I64(bits as i64)
            });
            at += 2;
        } else {
            out.push(*halves.get(at)?);
            at += 1;
        }
    }
    (at == halves.len()).then_some(out)
}

/// A value of the original trace in the split one: whole, or as (lo, hi).
#[derive(Clone, Copy, Debug)]
enum Parts {
    One(Operand),
    Two(Operand, Operand),
}

impl Parts {
    fn halves(self) -> (Operand, Operand) {
        match self {
            Parts::Two(lo, hi) => (lo, hi),
            Parts::One(a) => (a, a),
        }
    }
    fn push_to(self, out: &mut Vec<Operand>) {
        match self {
            Parts::One(a) => out.push(a),
            Parts::Two(lo, hi) => {
                out.push(lo);
                out.push(hi);
            }
        }
    }
}

struct Splitter<'a> {
    trace: &'a Trace,
    mode: SplitMode,
    b: TraceBuilder,
    map: Vec<Option<Parts>>,
    helpers: HashMap<&'static str, FuncRef>,
    funcs: Vec<FuncRef>,
    /// The overflow condition (1 = overflowed) of an i64 `*_ovf` op waiting for its guard.
    overflow: Option<Value>,
}

impl Splitter<'_> {
    fn parts(&self, a: Operand) -> Parts {
        match a {
            Operand::Value(v) => self.map[v.index()].expect("verified: defined before use"),
            Operand::Const(c) if self.mode.splits(c.ty()) => {
                let bits = c.bits() as u64;
                Parts::Two(
                    Operand::from(bits as u32 as i32),
                    Operand::from((bits >> 32) as u32 as i32),
                )
            }
            c => Parts::One(c),
        }
    }

    fn bin(&mut self, op: Opcode, a: impl Into<Operand>, b: impl Into<Operand>) -> Value {
        self.b.binary(op, a, b)
    }

    fn helper(&mut self, name: &'static str) -> FuncRef {
        if let Some(&f) = self.helpers.get(name) {
            return f;
        }
        let h = helpers();
        let d = h.get(name).expect("every helper is in the table");
        let f = self.b.declare(name, &d.params, d.ret);
        self.helpers.insert(name, f);
        f
    }

    /// A call with split arguments; its result as parts.
    fn call(&mut self, f: FuncRef, args: &[Parts], ret: Option<Type>) -> Option<Parts> {
        self.call_maybe_indirect(f, args, ret, None)
    }

    /// [`Splitter::call`], or with `callee` an indirect call (`call_indirect_split`).
    fn call_maybe_indirect(
        &mut self,
        f: FuncRef,
        args: &[Parts],
        ret: Option<Type>,
        callee: Option<Operand>,
    ) -> Option<Parts> {
        let mut ops = Vec::new();
        for &p in args {
            p.push_to(&mut ops);
        }
        let opcode = match callee {
            Some(c) => {
                ops.push(c);
                Opcode::CallIndirectSplit
            }
            None => Opcode::CallSplit,
        };
        let split_ret = ret.is_some_and(|t| self.mode.splits(t));
        let rty = ret.map(|t| if split_ret { Type::I32 } else { t });
        let lo = self.b.raw(opcode, &ops, rty, Extra::Call(f))?;
        if split_ret {
            let hi = self
                .b
                .raw(Opcode::CallHi, &[], Some(Type::I32), Extra::None)?;
            Some(Parts::Two(lo.into(), hi.into()))
        } else {
            Some(Parts::One(lo.into()))
        }
    }

    /// Signed (or unsigned) `a < b` style comparison of pairs: `hi_cmp(ahi, bhi) |
    /// (ahi == bhi & lo_cmp(alo, blo))`.
    fn compare(&mut self, hi_cmp: Opcode, lo_cmp: Opcode, a: Parts, b: Parts) -> Value {
        let ((alo, ahi), (blo, bhi)) = (a.halves(), b.halves());
        let h = self.bin(hi_cmp, ahi, bhi);
        let e = self.bin(Opcode::IntEq, ahi, bhi);
        let l = self.bin(lo_cmp, alo, blo);
        let el = self.bin(Opcode::IntAnd, e, l);
        self.bin(Opcode::IntOr, h, el)
    }

    /// `(alo ^ blo) | (ahi ^ bhi)`: zero exactly when the pairs are equal.
    fn differ(&mut self, a: Parts, b: Parts) -> Value {
        let ((alo, ahi), (blo, bhi)) = (a.halves(), b.halves());
        let x = self.bin(Opcode::IntXor, alo, blo);
        let y = self.bin(Opcode::IntXor, ahi, bhi);
        self.bin(Opcode::IntOr, x, y)
    }

    fn shift(&mut self, op: Opcode, a: Parts, n: Parts) -> Parts {
        use Opcode::*;
        let (lo, hi) = a.halves();
        let (n, _) = n.halves();
        if let Operand::Const(c) = n {
            let k = (c.bits() & 63) as i32;
            let two = |lo: Value, hi: Value| Parts::Two(lo.into(), hi.into());
            return match (op, k) {
                (_, 0) => a,
                (IntLshift, k) if k < 32 => {
                    let l = self.bin(IntLshift, lo, k);
                    let h = self.bin(IntLshift, hi, k);
                    let c = self.bin(UintRshift, lo, 32 - k);
                    let h = self.bin(IntOr, h, c);
                    two(l, h)
                }
                (IntLshift, k) => {
                    let h = self.bin(IntLshift, lo, k - 32);
                    Parts::Two(Operand::from(0), h.into())
                }
                (_, k) if k < 32 => {
                    let l = self.bin(UintRshift, lo, k);
                    let c = self.bin(IntLshift, hi, 32 - k);
                    let l = self.bin(IntOr, l, c);
                    let h = self.bin(op, hi, k);
                    two(l, h)
                }
                (UintRshift, k) => {
                    let l = self.bin(UintRshift, hi, k - 32);
                    Parts::Two(l.into(), Operand::from(0))
                }
                (_, k) => {
                    let l = self.bin(IntRshift, hi, k - 32);
                    let h = self.bin(IntRshift, hi, 31);
                    two(l, h)
                }
            };
        }
        // A variable count: both cases computed, the right one picked by a mask.
        let s = self.bin(IntAnd, n, 31);
        let big = self.bin(IntAnd, n, 32);
        let t = self.b.unary(IntIsTrue, big);
        let m = self.b.unary(IntNeg, t);
        let nm = self.b.unary(IntInvert, m);
        let k = self.bin(IntXor, s, 31);
        let pick = |sp: &mut Self, small: Value, large: Operand| {
            let x = sp.bin(IntAnd, small, nm);
            let y = sp.bin(IntAnd, large, m);
            sp.bin(IntOr, x, y)
        };
        if op == IntLshift {
            let lo_s = self.bin(IntLshift, lo, s);
            let t1 = self.bin(UintRshift, lo, 1);
            let t2 = self.bin(UintRshift, t1, k);
            let h0 = self.bin(IntLshift, hi, s);
            let hi_s = self.bin(IntOr, h0, t2);
            let h = pick(self, hi_s, lo_s.into());
            let l = self.bin(IntAnd, lo_s, nm);
            Parts::Two(l.into(), h.into())
        } else {
            let hi_s = self.bin(op, hi, s);
            let t1 = self.bin(IntLshift, hi, 1);
            let t2 = self.bin(IntLshift, t1, k);
            let l0 = self.bin(UintRshift, lo, s);
            let lo_s = self.bin(IntOr, l0, t2);
            let l = pick(self, lo_s, hi_s.into());
            let h = if op == UintRshift {
                self.bin(IntAnd, hi_s, nm)
            } else {
                let sign = self.bin(IntRshift, hi, 31);
                pick(self, hi_s, sign.into())
            };
            Parts::Two(l.into(), h.into())
        }
    }

    /// The parts of op `op`'s result, or `None` to copy the op unchanged.
    fn op(&mut self, op: &crate::ir::Op) -> Option<Option<Parts>> {
        use Opcode::*;
        let trace = self.trace;
        let a: Vec<Parts> = op.args.iter().map(|&x| self.parts(x)).collect();
        let arg_split = op
            .args
            .iter()
            .any(|&x| self.mode.splits(trace.operand_type(x)));
        let res_split = op.result.is_some_and(|r| self.mode.splits(trace.ty(r)));
        let is_call = matches!(op.opcode, Call | CallIndirect)
            && op.func().is_some_and(|f| {
                let d = &trace.funcs[f];
                d.params
                    .iter()
                    .chain(d.ret.iter())
                    .any(|&t| self.mode.splits(t.value()))
            });
        let always = matches!(op.opcode, GuardNoOverflow | GuardOverflow | Label);
        if !arg_split && !res_split && !is_call && !always {
            return None;
        }
        let two = |l: Value, h: Value| Some(Parts::Two(l.into(), h.into()));
        let one = |v: Value| Some(Parts::One(v.into()));
        Some(match op.opcode {
            IntAdd | IntSub | IntAddOvf | IntSubOvf => {
                let ((alo, ahi), (blo, bhi)) = (a[0].halves(), a[1].halves());
                let add = matches!(op.opcode, IntAdd | IntAddOvf);
                let (co, ci) = if add {
                    (IntAddCo, IntAddCi)
                } else {
                    (IntSubBo, IntSubBi)
                };
                let l = self.bin(co, alo, blo);
                let h = self.bin(ci, ahi, bhi);
                if matches!(op.opcode, IntAddOvf | IntSubOvf) {
                    // Overflow: the result's sign differs from what both (add) or the first
                    // (sub, when the signs differ) operands say.
                    let x = self.bin(IntXor, ahi, h);
                    let y = if add {
                        self.bin(IntXor, bhi, h)
                    } else {
                        self.bin(IntXor, ahi, bhi)
                    };
                    let z = self.bin(IntAnd, x, y);
                    self.overflow = Some(self.bin(IntLt, z, 0));
                }
                two(l, h)
            }
            IntAnd | IntOr | IntXor => {
                let ((alo, ahi), (blo, bhi)) = (a[0].halves(), a[1].halves());
                let l = self.bin(op.opcode, alo, blo);
                let h = self.bin(op.opcode, ahi, bhi);
                two(l, h)
            }
            IntMul => {
                let ((alo, ahi), (blo, bhi)) = (a[0].halves(), a[1].halves());
                // Each product next to the op that takes it, where a backend can make the
                // two one instruction: the low word with its carry (`umull`), and each
                // cross product with its sum (`mla`).
                let l = self.bin(IntMul, alo, blo);
                let t = self.bin(UintMulHigh, alo, blo);
                let c1 = self.bin(IntMul, alo, bhi);
                let h = self.bin(IntAdd, t, c1);
                let c2 = self.bin(IntMul, ahi, blo);
                let h = self.bin(IntAdd, h, c2);
                two(l, h)
            }
            IntMulOvf => {
                let f = self.helper("tracejit_mul64");
                let r = self.call(f, &a, Some(Type::I64));
                let g = self.helper("tracejit_mul64_overflows");
                let o = self.call(g, &a, Some(Type::I32)).map(|p| p.halves().0);
                self.overflow = o.and_then(|o| o.value());
                r
            }
            IntLshift | IntRshift | UintRshift => Some(self.shift(op.opcode, a[0], a[1])),
            IntDiv | IntRem | UintDiv | UintRem | UintMulHigh => {
                let name = match op.opcode {
                    IntDiv => "tracejit_sdiv64",
                    IntRem => "tracejit_srem64",
                    UintDiv => "tracejit_udiv64",
                    UintRem => "tracejit_urem64",
                    _ => "tracejit_umulh64",
                };
                let f = self.helper(name);
                self.call(f, &a, Some(Type::I64))
            }
            IntNeg => {
                let (lo, hi) = a[0].halves();
                let l = self.bin(IntSubBo, 0, lo);
                let h = self.bin(IntSubBi, 0, hi);
                two(l, h)
            }
            IntInvert => {
                let (lo, hi) = a[0].halves();
                let l = self.b.unary(IntInvert, lo);
                let h = self.b.unary(IntInvert, hi);
                two(l, h)
            }
            IntEq | IntNe => {
                let d = self.differ(a[0], a[1]);
                one(self.b.unary(
                    if op.opcode == IntEq {
                        IntIsZero
                    } else {
                        IntIsTrue
                    },
                    d,
                ))
            }
            IntLt => one(self.compare(IntLt, UintLt, a[0], a[1])),
            IntLe => one(self.compare(IntLt, UintLe, a[0], a[1])),
            IntGt => one(self.compare(IntGt, UintGt, a[0], a[1])),
            IntGe => one(self.compare(IntGt, UintGe, a[0], a[1])),
            UintLt => one(self.compare(UintLt, UintLt, a[0], a[1])),
            UintLe => one(self.compare(UintLt, UintLe, a[0], a[1])),
            UintGt => one(self.compare(UintGt, UintGt, a[0], a[1])),
            UintGe => one(self.compare(UintGt, UintGe, a[0], a[1])),
            IntIsZero | IntIsTrue => {
                let (lo, hi) = a[0].halves();
                let o = self.bin(IntOr, lo, hi);
                one(self.b.unary(op.opcode, o))
            }
            CastI32ToI64 => {
                let (x, _) = a[0].halves();
                let h = self.bin(IntRshift, x, 31);
                Some(Parts::Two(x, h.into()))
            }
            CastU32ToI64 => Some(Parts::Two(a[0].halves().0, Operand::from(0))),
            CastI64ToI32 => {
                let (lo, _) = a[0].halves();
                one(self.b.unary(SameAs, lo))
            }
            CastI64ToF64 | CastF64ToI64 | CastI32ToF64 | CastF64ToI32 | CastF64ToF32
            | CastF32ToF64 => {
                let (name, ret) = match op.opcode {
                    CastI64ToF64 => ("__aeabi_l2d", Type::F64),
                    CastF64ToI64 => ("tracejit_d2l", Type::I64),
                    CastI32ToF64 => ("__aeabi_i2d", Type::F64),
                    CastF64ToF32 => ("tracejit_d2f", Type::I32),
                    CastF32ToF64 => ("tracejit_f2d", Type::F64),
                    _ => ("tracejit_d2i", Type::I32),
                };
                let f = self.helper(name);
                self.call(f, &a, Some(ret))
            }
            FloatNeg | FloatAbs => {
                let (lo, hi) = a[0].halves();
                let h = if op.opcode == FloatNeg {
                    self.bin(IntXor, hi, i32::MIN)
                } else {
                    self.bin(IntAnd, hi, i32::MAX)
                };
                Some(Parts::Two(lo, h.into()))
            }
            SameAs => {
                let (lo, hi) = a[0].halves();
                let l = self.b.unary(SameAs, lo);
                let h = self.b.unary(SameAs, hi);
                two(l, h)
            }
            LoadI64 | LoadF64 => {
                let m = op.mem().expect("verified");
                let (base, _) = a[0].halves();
                let (index, _) = a[1].halves();
                let l = self.b.load(LoadI32, base, index, m.scale, m.offset);
                let h = self
                    .b
                    .load(LoadI32, base, index, m.scale, m.offset.wrapping_add(4));
                two(l, h)
            }
            StoreI64 | StoreF64 => {
                let m = op.mem().expect("verified");
                let (base, _) = a[0].halves();
                let (index, _) = a[1].halves();
                let (lo, hi) = a[2].halves();
                self.b.store(StoreI32, base, index, m.scale, m.offset, lo);
                self.b
                    .store(StoreI32, base, index, m.scale, m.offset.wrapping_add(4), hi);
                None
            }
            Call => {
                let f = self.funcs[op.func().expect("verified").index()];
                let ret = trace.funcs[op.func().expect("verified")].value_ret();
                self.call(f, &a, ret)
            }
            CallIndirect => {
                let f = self.funcs[op.func().expect("verified").index()];
                let ret = trace.funcs[op.func().expect("verified")].value_ret();
                let (callee, args) = a.split_last().expect("verified: the callee is last");
                let callee = callee.halves().0;
                self.call_maybe_indirect(f, args, ret, Some(callee))
            }
            GuardValue => {
                let d = self.differ(a[0], a[1]);
                self.guard(op, GuardValue, &[d.into(), Operand::from(0)]);
                None
            }
            GuardNoOverflow | GuardOverflow => match self.overflow.take() {
                Some(o) => {
                    self.guard(
                        op,
                        if op.opcode == GuardNoOverflow {
                            GuardFalse
                        } else {
                            GuardTrue
                        },
                        &[o.into()],
                    );
                    None
                }
                None => return None,
            },
            Label | Jump | Finish | GuardTrue | GuardFalse | GuardNonnull | GuardIsnull
            | GuardNotInvalidated => {
                let mut args = Vec::new();
                for p in &a {
                    p.push_to(&mut args);
                }
                if op.opcode == Label {
                    // Label values must be distinct variables, but a half may be another
                    // value (the low half of a sign extension is its input): copy those.
                    let mut vals: Vec<Value> = Vec::new();
                    for (k, &orig) in op.args.iter().enumerate() {
                        let fresh = |sp: &mut Self, x: Operand, vals: &[Value]| -> Operand {
                            match x {
                                Operand::Value(v) if !vals.contains(&v) => x,
                                other => Operand::Value(sp.b.unary(SameAs, other)),
                            }
                        };
                        let p = match a[k] {
                            Parts::One(x) => {
                                let x = fresh(self, x, &vals);
                                vals.extend(x.value());
                                Parts::One(x)
                            }
                            Parts::Two(l, h) => {
                                let l = fresh(self, l, &vals);
                                vals.extend(l.value());
                                let h = fresh(self, h, &vals);
                                vals.extend(h.value());
                                Parts::Two(l, h)
                            }
                        };
                        if let Operand::Value(v) = orig {
                            self.map[v.index()] = Some(p);
                        }
                    }
                    let vals: Vec<Operand> = vals.iter().map(|&v| Operand::Value(v)).collect();
                    self.b.raw(Label, &vals, None, op.extra.clone());
                } else if op.opcode == Jump {
                    self.b.raw(Jump, &args, None, op.extra.clone());
                } else {
                    self.guard(op, op.opcode, &args);
                }
                None
            }
            // Nothing else has 64-bit operands once f64 arithmetic is calls; copy it.
            _ => return None,
        })
    }

    /// Appends an exit op (guard or finish) with `op`'s exit id and its fail args split.
    fn guard(&mut self, op: &crate::ir::Op, opcode: Opcode, args: &[Operand]) {
        let mut fail = Vec::new();
        for &v in op.fail_args() {
            match self.map[v.index()].expect("verified: fail args defined") {
                Parts::One(Operand::Value(x)) => fail.push(x),
                Parts::Two(Operand::Value(l), Operand::Value(h)) => {
                    fail.push(l);
                    fail.push(h);
                }
                // A value that became a constant half (e.g. the high word of a zero
                // extension) is kept as a value so it can be a fail arg.
                p => {
                    let (l, h) = p.halves();
                    let l = self.b.unary(Opcode::SameAs, l);
                    fail.push(l);
                    if let Parts::Two(..) = p {
                        let h = self.b.unary(Opcode::SameAs, h);
                        fail.push(h);
                    }
                }
            }
        }
        let id = op.exit_id().expect("verified: exits have ids");
        self.b.raw(
            opcode,
            args,
            None,
            Extra::Exit {
                id,
                fail_args: fail,
            },
        );
    }
}

/// Splits every `i64` (and, as `mode` says, `f64`) value of `trace` into a pair of `i32`
/// values, low half first: inputs, fail args, label values, jump and finish values, and
/// call arguments and results (through `call_split`/`call_hi`). Arithmetic becomes `i32`
/// arithmetic (carry pairs for add and subtract, `uint_mul_high` for multiply, masks for
/// variable shifts) or helper calls (division, 64-bit overflow-checked multiply). With
/// `mode.f64` the soft-float pass runs first, so no f64 arithmetic is left to split.
pub fn split(trace: &Trace, mode: SplitMode) -> Cow<'_, Trace> {
    if mode.f64 {
        let soft = legalize(
            trace,
            Passes {
                soft_float: true,
                divide: false,
                canonicalize_nans: false,
            },
        );
        if let Cow::Owned(t) = soft {
            return Cow::Owned(split(&t, mode).into_owned());
        }
    }
    let touches = |t: Type| mode.splits(t);
    let needed = trace.values.values().any(|d| touches(d.ty))
        || trace
            .ops
            .iter()
            .any(|o| o.args.iter().any(|&a| touches(trace.operand_type(a))))
        || trace.funcs.values().any(|d| {
            d.params
                .iter()
                .chain(d.ret.iter())
                .any(|&t| touches(t.value()))
        });
    if !needed {
        return Cow::Borrowed(trace);
    }
    let mut sp = Splitter {
        trace,
        mode,
        b: TraceBuilder::new(),
        map: vec![None; trace.values.len()],
        helpers: HashMap::new(),
        funcs: Vec::new(),
        overflow: None,
    };
    sp.b.objects(&trace.objects);
    for d in trace.funcs.values() {
        let f = sp.b.declare(&d.name, &d.params, d.ret);
        sp.funcs.push(f);
    }
    for &v in &trace.inputs {
        let ty = trace.ty(v);
        sp.map[v.index()] = Some(if mode.splits(ty) {
            let l = sp.b.input(Type::I32);
            let h = sp.b.input(Type::I32);
            Parts::Two(l.into(), h.into())
        } else {
            Parts::One(sp.b.input(ty).into())
        });
    }
    for op in &trace.ops {
        let parts = match sp.op(op) {
            Some(p) => p,
            None => {
                // Unchanged: copy with operands renamed.
                let args: Vec<Operand> = op.args.iter().map(|&a| sp.parts(a).halves().0).collect();
                if op.opcode.is_exit() {
                    sp.guard(op, op.opcode, &args);
                    None
                } else {
                    let f = op.func().map(|f| sp.funcs[f.index()]);
                    let extra = match (&op.extra, f) {
                        (Extra::Call(_), Some(f)) => Extra::Call(f),
                        (e, _) => e.clone(),
                    };
                    let rty = op.result.map(|r| trace.ty(r));
                    sp.b.raw(op.opcode, &args, rty, extra)
                        .map(|v| Parts::One(v.into()))
                }
            }
        };
        if let (Some(r), Some(p)) = (op.result, parts) {
            // Both halves of a value are values, so they can be fail args and label values.
            let p = match p {
                Parts::Two(l, h) => {
                    let mut val = |x: Operand| match x {
                        Operand::Const(_) => Operand::Value(sp.b.unary(Opcode::SameAs, x)),
                        v => v,
                    };
                    Parts::Two(val(l), val(h))
                }
                one => one,
            };
            sp.map[r.index()] = Some(p);
        }
    }
    Cow::Owned(sp.b.build_unverified())
}
