//! The register file the allocator sees, the scratch and reserved registers, and the
//! frame layout.
//!
//! - **Reserved:** `x28` points at the frame while a trace runs, `x27` holds the loop
//!   budget (a 64-bit count of jumps left, docs/ir.md §1: one `subs` per back edge),
//!   `x29`/`x30` are the frame pointer and link register of the native frame, `x18` is
//!   the platform register AAPCS64 leaves to the OS, and `sp` is the stack pointer.
//! - **Scratch** inside one op: `x16`, `x17` (AAPCS64's intra-call registers) and `d30`,
//!   `d31`.
//! - **Allocatable:** `x0`–`x15` and `x19`–`x26` (24), `d0`–`d29` (30). Caller-saved ones
//!   come first, so a short trace saves nothing.
//!
//! The frame is jit-core's [`FrameLayout`] for this register file:
//!
//! ```text
//! word 0..27    general registers, saved here by the common exit (index = register number)
//! word 27..57   d0–d29, saved likewise
//! word 57       loop budget
//! word 58, 59   GC words
//! word 60..     frame slots: the inputs first, then spills
//! ```

use jit_core::backend::{Reg, RegClass, RegSet, RegisterInfo};
use jit_core::frame::FrameLayout;

/// The frame layout: [`FrameLayout::new`] of [`register_info`], as a constant (a test
/// checks that they agree).
pub const FRAME: FrameLayout = FrameLayout::with_save_area(27, 30);

/// The register that points at the frame.
pub const FRAME_REG: u8 = 28;
/// The register that holds the loop budget while compiled code runs.
pub const BUDGET: u8 = 27;
/// The integer scratch registers (AAPCS64's IP0 and IP1).
pub const SCRATCH: [u8; 2] = [16, 17];
/// The float scratch registers.
pub const FSCRATCH: [u8; 2] = [31, 30];

/// The registers a call destroys: `x0`–`x18`, `x30`, and every SIMD&FP register but
/// `d8`–`d15` (AAPCS64 keeps their low 64 bits).
pub const CALLER_SAVED: RegSet = RegSet(0x4007_ffff | 0xffff_00ff << 32);

fn name(r: Reg) -> &'static str {
    const X: [&str; 32] = [
        "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
        "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26",
        "x27", "x28", "x29", "x30", "sp",
    ];
    const D: [&str; 32] = [
        "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11", "d12", "d13",
        "d14", "d15", "d16", "d17", "d18", "d19", "d20", "d21", "d22", "d23", "d24", "d25", "d26",
        "d27", "d28", "d29", "d30", "d31",
    ];
    match r.class {
        RegClass::Int => X[r.hw as usize & 31],
        RegClass::Float => D[r.hw as usize & 31],
    }
}

/// The allocator's view of the register file: caller-saved registers first (the
/// temporaries, then the argument registers), callee-saved last.
pub fn register_info() -> RegisterInfo {
    let int = (9..16).chain(0..9).chain(19..27).map(Reg::int).collect();
    let float = (16..30).chain(0..8).chain(8..16).map(Reg::float).collect();
    RegisterInfo {
        int,
        float,
        caller_saved: CALLER_SAVED,
        names: name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_saved_constant_names_the_aapcs64_registers() {
        let mut want = RegSet::EMPTY;
        for x in (0..=18).chain([30]) {
            want = want.with(Reg::int(x));
        }
        for d in (0..8).chain(16..32) {
            want = want.with(Reg::float(d));
        }
        assert_eq!(CALLER_SAVED, want);
    }

    #[test]
    fn the_frame_constant_is_the_derived_layout() {
        assert_eq!(FrameLayout::new(&register_info()), FRAME);
    }

    #[test]
    fn reserved_and_scratch_registers_are_not_allocatable() {
        let info = register_info();
        let reserved = [FRAME_REG, BUDGET, 18, 29, 30, 31]
            .into_iter()
            .chain(SCRATCH)
            .map(Reg::int);
        for r in reserved.chain(FSCRATCH.map(Reg::float)) {
            assert!(
                !info.int.contains(&r) && !info.float.contains(&r),
                "{}",
                name(r)
            );
        }
        assert_eq!((info.int.len(), info.float.len()), (24, 30));
        let distinct: std::collections::BTreeSet<usize> = info
            .int
            .iter()
            .chain(&info.float)
            .map(|r| r.index())
            .collect();
        assert_eq!(distinct.len(), 54);
    }
}
