//! Registers and the frame: what the allocator may use, the scratch registers, and the
//! frame layout.
//!
//! The frame is jit-core's [`FrameLayout`] for this register file, which `rbp` points at
//! while the trace runs:
//!
//! ```text
//! word 0..16    general registers, saved here by the common exit (index = register number)
//! word 16..30   xmm0–xmm13, saved likewise
//! word 30       loop budget (jumps left, a 64-bit count: docs/ir.md §1)
//! word 31, 32   GC words
//! word 33..     frame slots: the inputs first, then spills
//! ```
//!
//! `r10`, `r11` and `xmm14`, `xmm15` are scratch registers the lowering uses inside one op;
//! `rsp` and `rbp` are reserved; everything else is allocatable.

use jit_core::backend::{Reg, RegSet, RegisterInfo};
use jit_core::frame::FrameLayout;

use crate::enc::reg::*;

/// The frame layout: [`FrameLayout::new`] of [`register_info`], as a constant (a test
/// checks that they agree).
pub const FRAME: FrameLayout = FrameLayout::with_save_area(16, 14);
/// The most frame slots: their displacements from `rbp` must fit a signed 32-bit field.
pub const MAX_SLOTS: u32 = (i32::MAX as u32 / 8) - FRAME.slot_base - 1;

/// Integer scratch registers (not allocatable).
pub const SCRATCH: u8 = R11;
/// The second integer scratch register.
pub const SCRATCH2: u8 = R10;
/// Float scratch register.
pub const FSCRATCH: u8 = 15;
/// The second float scratch register.
pub const FSCRATCH2: u8 = 14;

/// The byte displacement of frame word `w` from `rbp`.
pub const fn word_disp(w: u32) -> i32 {
    (w * 8) as i32
}

/// The byte displacement of frame slot `s` from `rbp`.
pub const fn slot_disp(s: u32) -> i32 {
    word_disp(FRAME.slot_word(s))
}

fn name(r: Reg) -> &'static str {
    const G: [&str; 16] = [
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15",
    ];
    const X: [&str; 16] = [
        "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
    ];
    match r.class {
        jit_core::backend::RegClass::Int => G[r.hw as usize & 15],
        jit_core::backend::RegClass::Float => X[r.hw as usize & 15],
    }
}

/// The registers a call destroys: rax, rcx, rdx, rsi, rdi, r8–r11 and every xmm register.
pub const CALLER_SAVED: RegSet = RegSet(
    1 << RAX
        | 1 << RCX
        | 1 << RDX
        | 1 << RSI
        | 1 << RDI
        | 1 << R8
        | 1 << R9
        | 1 << R10
        | 1 << R11
        | 0xffff << 32,
);

/// The allocator's view of the register file.
pub fn register_info() -> RegisterInfo {
    let int: Vec<Reg> = [RAX, RCX, RDX, RSI, RDI, R8, R9, RBX, R12, R13, R14, R15]
        .iter()
        .map(|&r| Reg::int(r))
        .collect();
    let float: Vec<Reg> = (0..14).map(Reg::float).collect();
    RegisterInfo {
        int,
        float,
        caller_saved: CALLER_SAVED,
        names: name,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_caller_saved_constant_names_the_system_v_registers() {
        use super::*;
        let mut want = RegSet::of(&[RAX, RCX, RDX, RSI, RDI, R8, R9, R10, R11].map(Reg::int));
        for x in 0..16 {
            want = want.with(Reg::float(x));
        }
        assert_eq!(CALLER_SAVED, want);
    }

    #[test]
    fn the_frame_constant_is_the_derived_layout() {
        assert_eq!(
            jit_core::frame::FrameLayout::new(&super::register_info()),
            super::FRAME
        );
    }
}
