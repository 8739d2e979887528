//! The frame contract every backend shares: where the runtime and the code find registers
//! saved on exit, the loop budget, the GC words and the slots.
//!
//! The frame is an array of 64-bit words that a register of the ISA's choosing (rbp on
//! x86-64, fp on ARM) points at while a trace runs, allocated by the caller (PyPy's
//! jitframe). Its layout is derived from the register file alone, so every trace of a tree
//! — and every backend — agrees on it:
//!
//! ```text
//! word 0 ..                 integer registers, saved here by the common exit (index = hw)
//! word int_words ..         float registers, saved likewise
//! budget                    loop budget: jumps left, a 64-bit count (docs/ir.md §1)
//! gc, gc + 1                the nursery's free pointer and the top compiled code compares
//!                           its bump with (`jit_core::gcrun`); zero without objects
//! slot_base ..              frame slots: the inputs first, then spills
//! ```
//!
//! The native stack frame under it is [`NativeFrame`]: one root prologue saves every
//! callee-saved register any trace of the tree may allocate and reserves a tree-wide
//! outgoing-argument area, so code attached later (bridges, slow paths) can leave through
//! the root's epilogue.

use crate::backend::{ExitLoc, Loc, Reg, RegClass, RegSet, RegisterInfo};

/// Where each part of the frame is, in 64-bit words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameLayout {
    /// Words for integer registers: one more than the highest allocatable number.
    pub int_words: u32,
    /// Words for float registers: one more than the highest allocatable number.
    pub float_words: u32,
    /// The loop budget word.
    pub budget: u32,
    /// The first of the two GC words.
    pub gc: u32,
    /// Frame word of slot 0.
    pub slot_base: u32,
}

impl FrameLayout {
    /// The layout for a register file: a save word for every allocatable register, then the
    /// budget and GC words, then the slots.
    pub fn new(regs: &RegisterInfo) -> FrameLayout {
        let words = |rs: &[Reg]| rs.iter().map(|r| r.hw as u32 + 1).max().unwrap_or(0);
        FrameLayout::with_save_area(words(&regs.int), words(&regs.float))
    }

    /// The layout with a save area of `int_words` integer and `float_words` float words: a
    /// backend's constant form of [`FrameLayout::new`] (its tests check that they agree).
    pub const fn with_save_area(int_words: u32, float_words: u32) -> FrameLayout {
        let budget = int_words + float_words;
        FrameLayout {
            int_words,
            float_words,
            budget,
            gc: budget + 1,
            slot_base: budget + 3,
        }
    }

    /// The frame word where register `r` is saved on exit.
    pub fn save_word(&self, r: Reg) -> u32 {
        match r.class {
            RegClass::Int => r.hw as u32,
            RegClass::Float => self.int_words + r.hw as u32,
        }
    }

    /// The register saved at frame word `w`, if `w` is in the save area.
    pub fn saved_register(&self, w: u32) -> Option<Reg> {
        if w < self.int_words {
            Some(Reg::int(w as u8))
        } else if w < self.int_words + self.float_words {
            Some(Reg::float((w - self.int_words) as u8))
        } else {
            None
        }
    }

    /// The frame word of slot `s`.
    pub const fn slot_word(&self, s: u32) -> u32 {
        self.slot_base + s
    }

    /// Where the runtime finds a value the allocator left at `l` after an exit.
    ///
    /// # Panics
    /// If `l` is the flags: no value leaves a trace in the flags.
    pub fn exit_loc(&self, l: Loc) -> ExitLoc {
        match l {
            Loc::Reg(r) => ExitLoc::Frame(self.save_word(r)),
            Loc::Slot(s) => ExitLoc::Frame(self.slot_word(s)),
            Loc::Const(c) => ExitLoc::Const(c),
            Loc::Flags => panic!("an exit value in the flags"),
        }
    }

    /// The most slots a frame of at most `bytes` bytes holds.
    pub fn slots_within(&self, bytes: u64) -> u32 {
        u32::try_from((bytes / 8).saturating_sub(self.slot_base as u64)).unwrap_or(u32::MAX)
    }
}

/// The bytes of stacked arguments a tree's calls may use without the root's outgoing area
/// growing: a root reserves at least this much, so a bridge calling a function with up to
/// 64 stacked 8-byte words (40 `i64` arguments on 32-bit ARM, 64 on x86-64) shares its
/// frame; a bridge needing more is refused.
pub const MIN_OUTGOING_BYTES: u32 = 512;

/// The native stack frame a root prologue builds and every exit of the tree unwinds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NativeFrame {
    /// The callee-saved registers the prologue saves: every allocatable one, since any
    /// trace of the tree may use it (the ISA adds its frame register and its own scratch).
    pub saved: RegSet,
    /// Bytes reserved below the saved registers for stacked call arguments, at least
    /// [`MIN_OUTGOING_BYTES`] and what the root's own calls need.
    pub outgoing_bytes: u32,
}

impl NativeFrame {
    /// The frame for a root under `contract` whose calls stack `needed` bytes of
    /// arguments, rounded up to `align`.
    pub fn for_root(contract: &FrameContract, needed: u32, align: u32) -> NativeFrame {
        NativeFrame {
            saved: contract.callee_saved,
            outgoing_bytes: needed.max(MIN_OUTGOING_BYTES).next_multiple_of(align),
        }
    }
}

/// What a register file fixes for every trace compiled against it, computed once per
/// backend: the frame layout, and the callee-saved registers a root's prologue saves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameContract {
    /// The frame layout.
    pub layout: FrameLayout,
    /// The allocatable callee-saved registers ([`callee_saved`]).
    pub callee_saved: RegSet,
}

impl FrameContract {
    /// The contract of `regs`.
    pub fn new(regs: &RegisterInfo) -> FrameContract {
        FrameContract {
            layout: FrameLayout::new(regs),
            callee_saved: callee_saved(regs),
        }
    }
}

/// The allocatable registers a call preserves.
pub fn callee_saved(regs: &RegisterInfo) -> RegSet {
    let mut set = RegSet::EMPTY;
    for &r in regs.int.iter().chain(&regs.float) {
        if !regs.caller_saved.contains(r) {
            set = set.with(r);
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_follows_the_register_file() {
        let regs = crate::toy::registers();
        let f = FrameLayout::new(&regs);
        assert_eq!((f.int_words, f.float_words), (3, 3));
        assert_eq!((f.budget, f.gc, f.slot_base), (6, 7, 9));
        for r in regs.int.iter().chain(&regs.float) {
            assert_eq!(f.saved_register(f.save_word(*r)), Some(*r));
        }
        assert_eq!(f.saved_register(f.budget), None);
        assert_eq!(f.exit_loc(Loc::Slot(2)), ExitLoc::Frame(11));
        assert_eq!(f.slots_within(8 * 11), 2);
        assert_eq!(f.slots_within(8), 0);
    }

    #[test]
    fn a_root_saves_every_callee_saved_register_and_a_tree_wide_outgoing_area() {
        let regs = crate::toy::registers();
        let contract = FrameContract::new(&regs);
        let frame = NativeFrame::for_root(&contract, 8, 16);
        assert_eq!(frame.outgoing_bytes, 512);
        assert_eq!(
            NativeFrame::for_root(&contract, 600, 16).outgoing_bytes,
            608
        );
        for r in frame.saved.iter() {
            assert!(!regs.caller_saved.contains(r));
        }
        assert_eq!(frame.saved, callee_saved(&regs));
    }
}
