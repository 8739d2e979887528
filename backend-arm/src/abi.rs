//! The ARM procedure call standard (AAPCS) for the values tracejit passes: where each
//! argument of a call goes and where its result comes back, under the hard-float and
//! softfp variants.
//!
//! - `i32` and refs: the next core register of r0–r3, else a 4-byte stack slot.
//! - `i64` (and `f64` under softfp): an even-odd core register pair (r0:r1 or r2:r3,
//!   skipping r1 or r3 if needed), else an 8-byte aligned stack slot; once an argument has
//!   gone to the stack, no later one takes a core register.
//! - `f64` under hard-float: the first free even-odd pair of s0–s15 (a d register of
//!   d0–d7), else an 8-byte aligned stack slot; `f32` under hard-float: the first free of
//!   s0–s15, so a float can back-fill the odd half a double skipped (`f(float, double,
//!   float)` takes s0, d1, s1). Once a float or double has gone to the stack, no later one
//!   takes a VFP register. Under softfp a `float` is a core word like an `i32`.
//! - Narrow integers (`i8`, `u8`, `i16`, `u16`) take a word like `i32`, extended to 32
//!   bits by the caller (AAPCS: the callee may count on it); a narrow result comes back
//!   extended by the callee, so the caller uses r0 as it is.
//! - Results: `i32` in r0, `i64` in r0:r1, `f64` in d0 (hard-float) or r0:r1 (softfp),
//!   `f32` in s0 (hard-float) or r0 (softfp).

use jit_core::ir::{split_call_layout, CType, Opcode, Trace, Type};

/// How f64 values cross calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatAbi {
    /// f64 in d0–d7 (`arm-linux-gnueabihf`).
    Hard,
    /// f64 in core register pairs, as i64 (`arm-linux-gnueabi` with VFP inside).
    Softfp,
}

/// Where one argument or result goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgLoc {
    /// A core register.
    Core(u8),
    /// Two core registers: low word, high word.
    CorePair(u8, u8),
    /// A VFP double register.
    Vfp(u8),
    /// A VFP single register (`s0`–`s15`): a hard-float `float`.
    VfpSingle(u8),
    /// A stack slot at this byte offset from the stack pointer at the call (4 or 8 bytes).
    Stack(u32),
}

/// The locations of a call's arguments, and the stack bytes they take (a multiple of 8).
pub fn assign(params: &[CType], abi: FloatAbi) -> (Vec<ArgLoc>, u32) {
    let (mut ncrn, mut nsaa) = (0u8, 0u32);
    // The free single registers s0–s15, one bit each.
    let mut vfp_free: u16 = 0xffff;
    let mut out = Vec::with_capacity(params.len());
    for &t in params {
        let loc = match (t, abi) {
            (CType::F64, FloatAbi::Hard) => match (0..8).find(|k| vfp_free >> (2 * k) & 3 == 3) {
                Some(k) => {
                    vfp_free &= !(3 << (2 * k));
                    ArgLoc::Vfp(k as u8)
                }
                None => {
                    vfp_free = 0;
                    nsaa = nsaa.next_multiple_of(8);
                    nsaa += 8;
                    ArgLoc::Stack(nsaa - 8)
                }
            },
            (CType::F32, FloatAbi::Hard) => match (0..16).find(|k| vfp_free >> k & 1 == 1) {
                Some(k) => {
                    vfp_free &= !(1 << k);
                    ArgLoc::VfpSingle(k as u8)
                }
                None => {
                    vfp_free = 0;
                    nsaa += 4;
                    ArgLoc::Stack(nsaa - 4)
                }
            },
            (CType::I64 | CType::F64, _) => {
                ncrn = ncrn.next_multiple_of(2);
                if ncrn <= 2 {
                    ncrn += 2;
                    ArgLoc::CorePair(ncrn - 2, ncrn - 1)
                } else {
                    ncrn = 4;
                    nsaa = nsaa.next_multiple_of(8);
                    nsaa += 8;
                    ArgLoc::Stack(nsaa - 8)
                }
            }
            _ => {
                if ncrn < 4 {
                    ncrn += 1;
                    ArgLoc::Core(ncrn - 1)
                } else {
                    nsaa += 4;
                    ArgLoc::Stack(nsaa - 4)
                }
            }
        };
        out.push(loc);
    }
    (out, nsaa.next_multiple_of(8))
}

/// The float ABI a call to `callee` uses: the AEABI runtime routines (`__aeabi_*`) always
/// use the base standard, f64 in core registers, even in a hard-float program.
pub fn for_callee(callee: &str, float: FloatAbi) -> FloatAbi {
    if callee.starts_with("__aeabi_") {
        FloatAbi::Softfp
    } else {
        float
    }
}

/// Where a result of type `ret` comes back.
pub fn result(ret: CType, abi: FloatAbi) -> ArgLoc {
    match (ret, abi) {
        (CType::F64, FloatAbi::Hard) => ArgLoc::Vfp(0),
        (CType::F32, FloatAbi::Hard) => ArgLoc::VfpSingle(0),
        (CType::I64 | CType::F64, _) => ArgLoc::CorePair(0, 1),
        _ => ArgLoc::Core(0),
    }
}

/// Where host-call trap slot `k` is: the emulator's trap page, which calls out of the JIT's
/// code go to (one slot per function of `CompiledTrace::calls`).
pub const TRAP_BASE: u32 = 0x0e00_0000;

/// For a split call (`call_split`, `call_indirect_split`), how many operands pass each
/// parameter (`ir::split_call_layout`); `None` for an unsplit one (one each).
fn split_layout(trace: &Trace, op: &jit_core::ir::Op) -> Option<Vec<usize>> {
    if matches!(op.opcode, Opcode::Call | Opcode::CallIndirect) {
        return None;
    }
    let decl = &trace.funcs[op.func().expect("verified")];
    let types: Vec<Type> = op
        .call_args()
        .iter()
        .map(|&a| trace.operand_type(a))
        .collect();
    Some(split_call_layout(&decl.value_params(), &types).expect("verified"))
}

/// Where each operand of a call goes, by the callee's declaration and the ABI.
pub fn call_operand_locs(trace: &Trace, op: &jit_core::ir::Op, float: FloatAbi) -> Vec<ArgLoc> {
    let decl = &trace.funcs[op.func().expect("verified")];
    let (locs, _) = assign(&decl.params, for_callee(&decl.name, float));
    let Some(layout) = split_layout(trace, op) else {
        return locs;
    };
    let mut out = Vec::with_capacity(op.args.len());
    for (&n, &loc) in layout.iter().zip(&locs) {
        match (n, loc) {
            (2, ArgLoc::CorePair(lo, hi)) => out.extend([ArgLoc::Core(lo), ArgLoc::Core(hi)]),
            (2, ArgLoc::Stack(off)) => out.extend([ArgLoc::Stack(off), ArgLoc::Stack(off + 4)]),
            (_, l) => out.push(l),
        }
    }
    out
}

/// The C type of each operand of a call: the declaration's parameters, with a split
/// parameter's two halves each an `i32`.
pub fn call_operand_ctypes(trace: &Trace, op: &jit_core::ir::Op) -> Vec<CType> {
    let decl = &trace.funcs[op.func().expect("verified")];
    let Some(layout) = split_layout(trace, op) else {
        return decl.params.clone();
    };
    let mut out = Vec::with_capacity(op.args.len());
    for (&n, &c) in layout.iter().zip(&decl.params) {
        if n == 2 {
            out.extend([CType::I32, CType::I32]);
        } else {
            out.push(c);
        }
    }
    out
}

/// The bytes of stacked arguments the trace's calls need, a multiple of 8.
pub fn stack_bytes(trace: &Trace, float: FloatAbi) -> u32 {
    trace
        .ops
        .iter()
        .filter_map(|o| o.func())
        .map(|f| {
            let d = &trace.funcs[f];
            assign(&d.params, for_callee(&d.name, float)).1
        })
        .max()
        .unwrap_or(0)
        .next_multiple_of(8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArgLoc::*;
    use CType::*;

    #[test]
    fn pairs_skip_to_an_even_register_and_then_the_stack() {
        let (locs, stack) = assign(&[I32, I64, I32, I64], FloatAbi::Softfp);
        assert_eq!(locs, [Core(0), CorePair(2, 3), Stack(0), Stack(8)]);
        assert_eq!(stack, 16);
        let (locs, _) = assign(&[I32, I32, I64], FloatAbi::Hard);
        assert_eq!(locs, [Core(0), Core(1), CorePair(2, 3)]);
        // After an argument has gone to the stack, a later i32 does not take r3.
        let (locs, stack) = assign(&[I32, I32, I32, I64, I32], FloatAbi::Hard);
        assert_eq!(locs, [Core(0), Core(1), Core(2), Stack(0), Stack(8)]);
        assert_eq!(stack, 16);
    }

    #[test]
    fn doubles_go_to_vfp_registers_or_pairs_by_abi() {
        let sig = [F64, I32, F64, I64];
        assert_eq!(
            assign(&sig, FloatAbi::Hard).0,
            [Vfp(0), Core(0), Vfp(1), CorePair(2, 3)]
        );
        assert_eq!(
            assign(&sig, FloatAbi::Softfp).0,
            [CorePair(0, 1), Core(2), Stack(0), Stack(8)]
        );
        let nine = [F64; 9];
        let (locs, stack) = assign(&nine, FloatAbi::Hard);
        assert_eq!(locs[7], Vfp(7));
        assert_eq!(locs[8], Stack(0));
        assert_eq!(stack, 8);
        assert_eq!(result(F64, FloatAbi::Hard), Vfp(0));
        assert_eq!(result(F64, FloatAbi::Softfp), CorePair(0, 1));
        assert_eq!(result(I64, FloatAbi::Hard), CorePair(0, 1));
    }

    #[test]
    fn aeabi_routines_use_the_base_standard_even_under_hard_float() {
        // Regression: __aeabi_l2d returns its f64 in r0:r1 in a hard-float program too
        // (found when the helpers became libgcc's own code).
        assert_eq!(for_callee("__aeabi_l2d", FloatAbi::Hard), FloatAbi::Softfp);
        assert_eq!(for_callee("tracejit_d2l", FloatAbi::Hard), FloatAbi::Hard);
        assert_eq!(
            result(F64, for_callee("__aeabi_l2d", FloatAbi::Hard)),
            CorePair(0, 1)
        );
    }

    #[test]
    fn singles_back_fill_and_stop_after_the_stack() {
        // AAPCS §6.1.2's example: a float back-fills the half a double skipped.
        let (locs, _) = assign(&[F32, F64, F32], FloatAbi::Hard);
        assert_eq!(locs, [VfpSingle(0), Vfp(1), VfpSingle(1)]);
        // Fifteen singles leave s15, but a double needs a pair: it goes to the stack, and
        // after it no VFP register is used (s15 stays empty).
        let mut sig = vec![F32; 15];
        sig.extend([F64, F32]);
        let (locs, stack) = assign(&sig, FloatAbi::Hard);
        assert_eq!(locs[14], VfpSingle(14));
        assert_eq!(locs[15], Stack(0));
        assert_eq!(locs[16], Stack(8));
        assert_eq!(stack, 16);
        // Under softfp a float is a core word; narrow integers are words too.
        let (locs, _) = assign(&[F32, I8, U16, F32, I64], FloatAbi::Softfp);
        assert_eq!(locs, [Core(0), Core(1), Core(2), Core(3), Stack(0)]);
        assert_eq!(result(F32, FloatAbi::Hard), VfpSingle(0));
        assert_eq!(result(F32, FloatAbi::Softfp), Core(0));
    }
}
