//! Registers and the frame: what the allocator may use, the scratch registers, the frame
//! pointer, and the frame layout.
//!
//! r0–r9 are allocatable; r10 holds the low word of the loop budget (the count of jumps
//! left) while compiled code runs, so a back edge is one `subs`; fp (r11) points at the
//! frame; ip (r12) and lr (r14) are scratch inside one op (lr is saved by the prologue);
//! d0–d13 are allocatable on ARMv7 and d15 (with s30, s31) is the float scratch. The frame is
//! jit-core's [`jit_core::frame::FrameLayout`] for the profile's register file: r0–r9 saved
//! on exit at words 0–9, d0–d13 at 10–23 (ARMv7 only), then the budget and GC words, then
//! the slots.

use jit_core::backend::{Reg as PReg, RegClass, RegSet, RegisterInfo};

use crate::enc::LR;

/// The low word of the loop budget while compiled code runs: the prologue loads it from the
/// frame's budget word and the epilogue stores it back, so every part of a tree (bridges
/// too, which have no prologue) counts jumps in it. Callee-saved under the AAPCS, so calls
/// keep it.
pub const BUDGET: u8 = 10;
/// Frame pointer.
pub const FP: u8 = 11;
/// The core scratch register (lr is the other).
pub const IP: u8 = 12;
/// The float scratch register.
pub const DS: u8 = 15;
/// s30, the low half of d15, for conversions.
pub const S30: u8 = 30;
/// The most bytes a frame takes (offsets past an instruction's reach move fp).
pub const MAX_FRAME_BYTES: u64 = 1 << 20;

/// Which A32 architecture the code is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// ARMv7-A with VFPv3-D16: MOVW/MOVT, d0–d15.
    V7Vfp,
    /// ARMv5TE without an FPU: no MOVW/MOVT, no VFP, and the ARMv5 register rules for
    /// multiplies.
    V5te,
}

impl Profile {
    /// Whether the profile has VFP (and float registers).
    pub fn vfp(self) -> bool {
        self == Profile::V7Vfp
    }
}

fn name(r: PReg) -> &'static str {
    const C: [&str; 16] = [
        "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "fp", "ip", "sp", "lr",
        "pc",
    ];
    const D: [&str; 16] = [
        "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11", "d12", "d13",
        "d14", "d15",
    ];
    match r.class {
        RegClass::Int => C[r.hw as usize & 15],
        RegClass::Float => D[r.hw as usize & 15],
    }
}

/// The registers a call destroys under the AAPCS: r0–r3, ip, lr and d0–d7.
pub const CALLER_SAVED: RegSet = RegSet(0b1111 | 1 << IP | 1 << LR | 0xff << 32);

/// The allocator's view of the register file.
pub fn register_info(profile: Profile) -> RegisterInfo {
    let int = (0..BUDGET).map(PReg::int).collect();
    let float = if profile.vfp() {
        (0..14).map(PReg::float).collect()
    } else {
        Vec::new()
    };
    RegisterInfo {
        int,
        float,
        caller_saved: CALLER_SAVED,
        names: name,
    }
}

/// The most frame slots for the profile: a frame of at most [`MAX_FRAME_BYTES`].
pub fn max_slots(profile: Profile) -> u32 {
    jit_core::frame::FrameLayout::new(&register_info(profile)).slots_within(MAX_FRAME_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_saved_constant_names_the_aapcs_registers() {
        let mut want = RegSet::of(&[0, 1, 2, 3, IP, LR].map(PReg::int));
        for d in 0..8 {
            want = want.with(PReg::float(d));
        }
        assert_eq!(CALLER_SAVED, want);
    }
}
