//! The AAPCS64 calling convention (Linux) for the values tracejit passes: where each
//! argument of a call goes and where its result comes back.
//!
//! - Integers of every width and pointers: the next of `x0`–`x7`, else an 8-byte stack
//!   slot. A narrow integer's upper bits are left as they are: AAPCS64 has the callee
//!   extend it (unlike 32-bit ARM, where the caller does).
//! - `f64`: the next of `d0`–`d7`; `f32`: the next of `s0`–`s7` (the same registers, their
//!   low 32 bits). Else an 8-byte stack slot.
//! - The two classes count on their own: integers past `x7` go to the stack while floats
//!   still take registers, and the other way round. Stack slots are in argument order.
//! - Results: integers and pointers in `x0` (`w0`), `f64` in `d0`, `f32` in `s0`.

use jit_core::ir::CType;

/// Where one argument or result goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgLoc {
    /// A general register, `x0`–`x7`.
    Int(u8),
    /// A SIMD&FP register as a double, `d0`–`d7`.
    Double(u8),
    /// A SIMD&FP register as a single, `s0`–`s7`.
    Single(u8),
    /// The stack, this many bytes above `sp` at the call (8 bytes each).
    Stack(u32),
}

/// The registers of each class that carry arguments.
pub const ARG_REGS: u8 = 8;

/// Places the arguments of a call with parameters `params`. Returns the places and the
/// bytes stacked (a multiple of 16, as `sp` stays 16-byte aligned). The one source of truth
/// for constraints, lowering, the outgoing area and the emulator's calls.
pub fn assign(params: &[CType]) -> (Vec<ArgLoc>, u32) {
    let (mut ngrn, mut nsrn, mut nsaa) = (0u8, 0u8, 0u32);
    let places = params
        .iter()
        .map(|&t| match t {
            CType::F64 | CType::F32 if nsrn < ARG_REGS => {
                nsrn += 1;
                match t {
                    CType::F64 => ArgLoc::Double(nsrn - 1),
                    _ => ArgLoc::Single(nsrn - 1),
                }
            }
            CType::F64 | CType::F32 => {
                nsaa += 8;
                ArgLoc::Stack(nsaa - 8)
            }
            _ if ngrn < ARG_REGS => {
                ngrn += 1;
                ArgLoc::Int(ngrn - 1)
            }
            _ => {
                nsaa += 8;
                ArgLoc::Stack(nsaa - 8)
            }
        })
        .collect();
    (places, nsaa.next_multiple_of(16))
}

/// Where a result of type `ret` comes back.
pub fn result(ret: CType) -> ArgLoc {
    match ret {
        CType::F64 => ArgLoc::Double(0),
        CType::F32 => ArgLoc::Single(0),
        _ => ArgLoc::Int(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArgLoc::*;
    use CType::*;

    #[test]
    fn classes_count_on_their_own() {
        let (places, stack) = assign(&[I32, F64, Ref, F32, I64, U8]);
        assert_eq!(
            places,
            [Int(0), Double(0), Int(1), Single(1), Int(2), Int(3)]
        );
        assert_eq!(stack, 0);
    }

    #[test]
    fn integers_past_x7_stack_while_floats_take_registers() {
        let mut params = vec![I64; 9];
        params.push(F64);
        params.push(I16);
        let (places, stack) = assign(&params);
        assert_eq!(places[7], Int(7));
        assert_eq!(places[8], Stack(0));
        assert_eq!(places[9], Double(0));
        assert_eq!(places[10], Stack(8));
        assert_eq!(stack, 16);
    }

    #[test]
    fn floats_past_d7_stack_in_argument_order() {
        let mut params = vec![F64; 8];
        params.extend([F32, I32, F64]);
        let (places, stack) = assign(&params);
        assert_eq!(places[7], Double(7));
        assert_eq!(places[8], Stack(0));
        assert_eq!(places[9], Int(0));
        assert_eq!(places[10], Stack(8));
        assert_eq!(stack, 16);
        let (_, odd) = assign(&[F64; 9]);
        assert_eq!(odd, 16, "sp stays 16-byte aligned");
    }

    #[test]
    fn results_come_back_in_x0_d0_or_s0() {
        assert_eq!(result(I8), Int(0));
        assert_eq!(result(Ref), Int(0));
        assert_eq!(result(F64), Double(0));
        assert_eq!(result(F32), Single(0));
    }
}
