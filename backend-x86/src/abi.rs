//! The System V calling convention: where a call's arguments go.

use jit_core::ir::CType;

use crate::enc::reg::*;

/// Integer argument registers, in order.
pub const INT_ARGS: [u8; 6] = [RDI, RSI, RDX, RCX, R8, R9];
/// Float argument registers: xmm0..xmm7.
pub const FLOAT_ARGS: usize = 8;
/// Where one argument of a call goes under System V.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgLoc {
    /// An integer argument register (its hardware number).
    Int(u8),
    /// `xmm0`–`xmm7`.
    Float(u8),
    /// The stack, this many bytes above `rsp` at the call (each argument takes 8 bytes).
    Stack(u32),
}

/// Whether a C type travels in the float (SSE) class.
pub fn is_float(t: CType) -> bool {
    matches!(t, CType::F64 | CType::F32)
}

/// Places the arguments of a call with parameters `params`: integers (of every width) and
/// pointers in `rdi, rsi, rdx, rcx, r8, r9`, doubles and floats in `xmm0`–`xmm7`, each
/// class counted on its own, the rest on the stack in order, 8 bytes each. Returns the
/// places and the bytes stacked. The one source of truth for constraints, lowering, the
/// outgoing area and the emulator's calls.
pub fn assign(params: &[CType]) -> (Vec<ArgLoc>, u32) {
    let (mut ni, mut nf, mut stack) = (0usize, 0u8, 0u32);
    let places = params
        .iter()
        .map(|&t| {
            if is_float(t) && (nf as usize) < FLOAT_ARGS {
                nf += 1;
                ArgLoc::Float(nf - 1)
            } else if !is_float(t) && ni < INT_ARGS.len() {
                ni += 1;
                ArgLoc::Int(INT_ARGS[ni - 1])
            } else {
                stack += 8;
                ArgLoc::Stack(stack - 8)
            }
        })
        .collect();
    (places, stack)
}
