//! The ARM procedure call standard (AAPCS) for the values tracejit passes: where each
//! argument of a call goes and where its result comes back, under the hard-float and
//! softfp variants.
//!
//! - `i32` and refs: the next core register of r0–r3, else a 4-byte stack slot.
//! - `i64` (and `f64` under softfp): an even-odd core register pair (r0:r1 or r2:r3,
//!   skipping r1 or r3 if needed), else an 8-byte aligned stack slot; once an argument has
//!   gone to the stack, no later one takes a core register.
//! - `f64` under hard-float: the next of d0–d7, else an 8-byte aligned stack slot.
//! - Results: `i32` in r0, `i64` in r0:r1, `f64` in d0 (hard-float) or r0:r1 (softfp).

use jit_core::ir::{split_call_layout, Opcode, Trace, Type};

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
    /// A stack slot at this byte offset from the stack pointer at the call (4 or 8 bytes).
    Stack(u32),
}

/// The locations of a call's arguments, and the stack bytes they take (a multiple of 8).
pub fn assign(params: &[Type], abi: FloatAbi) -> (Vec<ArgLoc>, u32) {
    let (mut ncrn, mut nsaa, mut nvfp) = (0u8, 0u32, 0u8);
    let mut out = Vec::with_capacity(params.len());
    for &t in params {
        let loc = match (t, abi) {
            (Type::F64, FloatAbi::Hard) => {
                if nvfp < 8 {
                    nvfp += 1;
                    ArgLoc::Vfp(nvfp - 1)
                } else {
                    nsaa = nsaa.next_multiple_of(8);
                    nsaa += 8;
                    ArgLoc::Stack(nsaa - 8)
                }
            }
            (Type::I64 | Type::F64, _) => {
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
pub fn result(ret: Type, abi: FloatAbi) -> ArgLoc {
    match (ret, abi) {
        (Type::F64, FloatAbi::Hard) => ArgLoc::Vfp(0),
        (Type::I64 | Type::F64, _) => ArgLoc::CorePair(0, 1),
        _ => ArgLoc::Core(0),
    }
}

/// Where host-call trap slot `k` is: the emulator's trap page, which calls out of the JIT's
/// code go to (one slot per function of `CompiledTrace::calls`).
pub const TRAP_BASE: u32 = 0x0e00_0000;

/// Where each operand of a call goes, by the callee's declaration and the ABI.
pub fn call_operand_locs(trace: &Trace, op: &jit_core::ir::Op, float: FloatAbi) -> Vec<ArgLoc> {
    let decl = &trace.funcs[op.func().expect("verified")];
    let float = for_callee(&decl.name, float);
    let (locs, _) = assign(&decl.params, float);
    if op.opcode == Opcode::Call {
        return locs;
    }
    let types: Vec<Type> = op.args.iter().map(|&a| trace.operand_type(a)).collect();
    let layout = split_call_layout(&decl.params, &types).expect("verified");
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
    use Type::*;

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
}
