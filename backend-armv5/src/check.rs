//! A checker for code that must run on any ARMv5TE core: instructions newer than ARMv5TE,
//! VFP (the target has no FPU), and UNPREDICTABLE register uses that emulators execute but
//! ARMv5 silicon does not promise to.
//!
//! It reads A32 words and knows the encoding groups the backends emit; a word it cannot
//! place in ARMv5TE is reported, never skipped. Each rule has a test in this file.

use std::fmt;

/// One broken rule, with the byte offset of the instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// An instruction ARMv5TE does not have (ARMv6 and later, or VFP/NEON).
    NotV5 {
        /// Offset.
        at: u32,
        /// The word.
        word: u32,
        /// Which instruction or group.
        what: &'static str,
    },
    /// `MUL`/`MLA` whose destination is also its first operand (`Rd == Rm`).
    MulRdIsRm {
        /// Offset.
        at: u32,
    },
    /// `UMULL`/`SMULL`/`UMLAL`/`SMLAL` whose `RdHi`, `RdLo` and `Rm` are not all distinct.
    LongMulRegs {
        /// Offset.
        at: u32,
    },
    /// A load or store with writeback whose base is also its transfer register.
    WritebackBase {
        /// Offset.
        at: u32,
    },
    /// The PC where the architecture forbids it.
    Pc {
        /// Offset.
        at: u32,
        /// Where.
        what: &'static str,
    },
    /// `LDRD`/`STRD` with an odd first register (or `lr`, whose pair would be the PC).
    OddPair {
        /// Offset.
        at: u32,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::NotV5 { at, word, what } => {
                write!(f, "{at:#x}: {word:08x} is {what}, not ARMv5TE")
            }
            Violation::MulRdIsRm { at } => write!(
                f,
                "{at:#x}: MUL/MLA with Rd == Rm is UNPREDICTABLE on ARMv5"
            ),
            Violation::LongMulRegs { at } => {
                write!(
                    f,
                    "{at:#x}: a long multiply needs RdHi, RdLo and Rm all different on ARMv5"
                )
            }
            Violation::WritebackBase { at } => {
                write!(
                    f,
                    "{at:#x}: writeback to the base register it also transfers is UNPREDICTABLE"
                )
            }
            Violation::Pc { at, what } => write!(f, "{at:#x}: the PC as {what} is UNPREDICTABLE"),
            Violation::OddPair { at } => write!(
                f,
                "{at:#x}: LDRD/STRD needs an even first register other than lr"
            ),
        }
    }
}

fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & ((1 << (hi - lo + 1)) - 1)
}

/// Checks every word of `code` (little-endian; a trailing partial word is ignored).
pub fn check(code: &[u8]) -> Vec<Violation> {
    check_code(code, &[])
}

/// Checks every word of `code` outside the `data` byte ranges (constant-pool islands).
pub fn check_code(code: &[u8], data: &[(u32, u32)]) -> Vec<Violation> {
    let mut out = Vec::new();
    for (k, chunk) in code.chunks_exact(4).enumerate() {
        let at = k as u32 * 4;
        if data.iter().any(|&(s, e)| (s..e).contains(&at)) {
            continue;
        }
        let w = u32::from_le_bytes(chunk.try_into().expect("4 bytes"));
        check_word(at, w, &mut out);
    }
    out
}

fn check_word(at: u32, w: u32, out: &mut Vec<Violation>) {
    let not = |what| Violation::NotV5 { at, word: w, what };
    let (rn, rt, rs, rm) = (
        bits(w, 19, 16),
        bits(w, 15, 12),
        bits(w, 11, 8),
        bits(w, 3, 0),
    );
    if bits(w, 31, 28) == 0xf {
        // The unconditional space: BLX (immediate) and PLD are ARMv5TE; the rest is newer.
        let blx_imm = bits(w, 27, 25) == 0b101;
        let pld = w & 0x0d70_f000 == 0x0550_f000;
        if !blx_imm && !pld {
            out.push(not(
                "an unconditional instruction (DMB, CLREX, SRS, RFE, CPS, ...)",
            ));
        }
        return;
    }
    match bits(w, 27, 25) {
        0b000 if bits(w, 7, 4) == 0b1001 => {
            match bits(w, 24, 21) {
                // MUL, MLA
                0b0000 | 0b0001 => {
                    let rd = rn;
                    if rd == rm {
                        out.push(Violation::MulRdIsRm { at });
                    }
                    if rd == 15 || rm == 15 || rs == 15 || (bits(w, 21, 21) == 1 && rt == 15) {
                        out.push(Violation::Pc {
                            at,
                            what: "a multiply operand",
                        });
                    }
                }
                0b0010 => out.push(not("UMAAL")),
                0b0011 => out.push(not("MLS")),
                // UMULL, UMLAL, SMULL, SMLAL
                0b0100..=0b0111 => {
                    let (hi, lo) = (rn, rt);
                    if hi == lo || hi == rm || lo == rm {
                        out.push(Violation::LongMulRegs { at });
                    }
                    if hi == 15 || lo == 15 || rm == 15 || rs == 15 {
                        out.push(Violation::Pc {
                            at,
                            what: "a multiply operand",
                        });
                    }
                }
                // SWP, SWPB (bits 24..20 = 10x00) are ARMv5; LDREX/STREX and the rest are newer.
                op if w & 0x0fb0_0ff0 == 0x0100_0090 => {
                    let _ = op;
                }
                _ => out.push(not("a synchronization primitive (LDREX, STREX, ...)")),
            }
        }
        0b000 if bits(w, 7, 7) == 1 && bits(w, 4, 4) == 1 => {
            // Extra loads and stores: LDRH, STRH, LDRSB, LDRSH, LDRD, STRD.
            let (p, wb, l, sh) = (
                bits(w, 24, 24),
                bits(w, 21, 21),
                bits(w, 20, 20),
                bits(w, 6, 5),
            );
            let writeback = p == 0 || wb == 1;
            let pair = l == 0 && sh >= 0b10;
            if writeback && (rn == rt || (pair && rn == rt + 1)) {
                out.push(Violation::WritebackBase { at });
            }
            if writeback && rn == 15 {
                out.push(Violation::Pc {
                    at,
                    what: "a written-back base",
                });
            }
            if pair && (rt % 2 == 1 || rt == 14) {
                out.push(Violation::OddPair { at });
            }
            if !pair && rt == 15 {
                out.push(Violation::Pc {
                    at,
                    what: "a halfword or byte transfer register",
                });
            }
            if bits(w, 22, 22) == 0 && rm == 15 {
                out.push(Violation::Pc {
                    at,
                    what: "an offset register",
                });
            }
        }
        0b000 | 0b001 => {
            // Data processing and the miscellaneous group.
            if w & 0x0fb0_0000 == 0x0300_0000 {
                out.push(not(if bits(w, 22, 22) == 1 { "MOVT" } else { "MOVW" }));
            } else if bits(w, 27, 25) == 0
                && bits(w, 4, 4) == 1
                && bits(w, 7, 7) == 0
                && !(bits(w, 24, 23) == 0b10 && bits(w, 20, 20) == 0)
            {
                // Register-shifted register operand: no operand may be the PC.
                if rn == 15 || rt == 15 || rs == 15 || rm == 15 {
                    out.push(Violation::Pc {
                        at,
                        what: "a register-shifted operand",
                    });
                }
            }
        }
        0b010 | 0b011 => {
            if bits(w, 27, 25) == 0b011 && bits(w, 4, 4) == 1 {
                out.push(not(
                    "a media instruction (UXTB, SXTB, REV, UBFX, BFI, SDIV, ...)",
                ));
                return;
            }
            // LDR, STR, LDRB, STRB.
            let (p, wb) = (bits(w, 24, 24), bits(w, 21, 21));
            let writeback = p == 0 || wb == 1;
            if writeback && rn == rt {
                out.push(Violation::WritebackBase { at });
            }
            if writeback && rn == 15 {
                out.push(Violation::Pc {
                    at,
                    what: "a written-back base",
                });
            }
            if bits(w, 25, 25) == 1 && rm == 15 {
                out.push(Violation::Pc {
                    at,
                    what: "an offset register",
                });
            }
        }
        0b100 => {
            // LDM, STM: with writeback the base may not be in the list of a load.
            let (wb, l) = (bits(w, 21, 21), bits(w, 20, 20));
            if wb == 1 && l == 1 && w & (1 << rn) != 0 {
                out.push(Violation::WritebackBase { at });
            }
            if rn == 15 {
                out.push(Violation::Pc {
                    at,
                    what: "a block transfer base",
                });
            }
        }
        0b101 => {}
        _ => {
            // Coprocessor and supervisor-call space: SVC is fine; coprocessors 10 and 11
            // are VFP and NEON, which an ARMv5TE without FPU lacks.
            if bits(w, 27, 24) != 0b1111 && matches!(bits(w, 11, 8), 10 | 11) {
                out.push(not("a VFP instruction"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backend_arm::enc::{self, ArmImm, Cond::Al, Dp, Extra, MemOffset, Shift, Vop};

    fn one(w: u32) -> Vec<Violation> {
        check(&w.to_le_bytes())
    }

    #[test]
    fn armv5te_code_passes() {
        let ok = [
            enc::dp_imm(Al, Dp::Add, false, 0, 1, ArmImm::encode(4).unwrap()),
            enc::dp_reg(Al, Dp::Sub, true, 2, 3, 4, Shift::Asr, 3),
            enc::dp_reg_shift(Al, Dp::Mov, false, 0, 0, 1, Shift::Lsl, 2),
            enc::mul(Al, false, 0, 1, 0),
            enc::mla(Al, 3, 4, 5, 6),
            enc::mull(Al, true, 0, 1, 2, 3),
            enc::mem_imm(Al, true, false, 0, 1, MemOffset::new(-8, 4095).unwrap()),
            enc::mem_reg(Al, false, true, 0, 1, true, 2, 2),
            enc::mem_extra_imm(Al, Extra::Ldrsh, 0, 1, MemOffset::new(2, 255).unwrap()),
            enc::mem_extra_imm(Al, Extra::Ldrd, 4, 6, MemOffset::new(8, 255).unwrap()),
            enc::branch(Al, true, 12),
            enc::bx(Al, 14),
            enc::blx(Al, 12),
            enc::push(Al, 0x4ff8),
            enc::pop(Al, 0x8ff8),
            0xef00_0007, // svc #7
            0xe16f_0f11, // clz r0, r1
            0xe101_0092, // swp r0, r2, [r1]
            0xf5d1_f000, // pld [r1]
            0xfa00_0000, // blx #imm
        ];
        for w in ok {
            assert_eq!(one(w), [], "{w:08x}");
        }
    }

    #[test]
    fn newer_instructions_and_vfp_are_reported() {
        let newer = [
            (enc::movw(Al, 0, 1), "MOVW"),
            (enc::movt(Al, 0, 1), "MOVT"),
            (enc::vop(Al, Vop::Add, 0, 1, 2), "a VFP instruction"),
            (
                enc::vmem(Al, true, 0, 1, MemOffset::new(8, 1020).unwrap()),
                "a VFP instruction",
            ),
            (enc::vmov_to_d(Al, 0, 1, 2), "a VFP instruction"),
            (
                0xe6ef_0071,
                "a media instruction (UXTB, SXTB, REV, UBFX, BFI, SDIV, ...)",
            ), // uxtb r0, r1
            (
                0xe6bf_0f31,
                "a media instruction (UXTB, SXTB, REV, UBFX, BFI, SDIV, ...)",
            ), // rev r0, r1
            (
                0xe710_f211,
                "a media instruction (UXTB, SXTB, REV, UBFX, BFI, SDIV, ...)",
            ), // sdiv r0, r1, r2
            (
                0xe7e0_0051,
                "a media instruction (UXTB, SXTB, REV, UBFX, BFI, SDIV, ...)",
            ), // ubfx
            (
                0xe190_1f9f,
                "a synchronization primitive (LDREX, STREX, ...)",
            ), // ldrex r1, [r0]
            (0xe060_3291, "MLS"),
            (
                0xf57f_f05f,
                "an unconditional instruction (DMB, CLREX, SRS, RFE, CPS, ...)",
            ), // dmb sy
        ];
        for (w, what) in newer {
            assert_eq!(
                one(w),
                [Violation::NotV5 {
                    at: 0,
                    word: w,
                    what
                }],
                "{w:08x}"
            );
        }
    }

    #[test]
    fn unpredictable_register_uses_are_reported() {
        assert_eq!(
            one(enc::mul(Al, false, 3, 3, 4)),
            [Violation::MulRdIsRm { at: 0 }]
        );
        assert_eq!(
            one(enc::mla(Al, 5, 5, 4, 6)),
            [Violation::MulRdIsRm { at: 0 }]
        );
        assert_eq!(
            one(enc::mull(Al, false, 1, 1, 2, 3)),
            [Violation::LongMulRegs { at: 0 }]
        );
        assert_eq!(
            one(enc::mull(Al, true, 0, 1, 1, 3)),
            [Violation::LongMulRegs { at: 0 }]
        );
        assert_eq!(
            one(enc::mul(Al, false, 15, 1, 2)),
            [Violation::Pc {
                at: 0,
                what: "a multiply operand"
            }]
        );
        // ldr r1, [r1], #4 (post-indexed) and ldr r2, [r2, #4]! (pre-indexed writeback)
        assert_eq!(one(0xe491_1004), [Violation::WritebackBase { at: 0 }]);
        assert_eq!(one(0xe5b2_2004), [Violation::WritebackBase { at: 0 }]);
        // ldrh r3, [r3], #2
        assert_eq!(one(0xe0d3_30b2), [Violation::WritebackBase { at: 0 }]);
        // ldm r0!, {r0, r1}
        assert_eq!(one(0xe8b0_0003), [Violation::WritebackBase { at: 0 }]);
        assert_eq!(
            one(enc::mem_extra_imm(
                Al,
                Extra::Ldrd,
                3,
                6,
                MemOffset::new(0, 255).unwrap()
            )),
            [Violation::OddPair { at: 0 }]
        );
        assert_eq!(
            one(enc::mem_extra_imm(
                Al,
                Extra::Strd,
                14,
                6,
                MemOffset::new(0, 255).unwrap()
            )),
            [Violation::OddPair { at: 0 }]
        );
        // ldr r0, [r1, pc]
        assert_eq!(
            one(0xe791_000f),
            [Violation::Pc {
                at: 0,
                what: "an offset register"
            }]
        );
        // add r0, r1, r2, lsl pc
        assert_eq!(
            one(enc::dp_reg_shift(
                Al,
                Dp::Add,
                false,
                0,
                1,
                2,
                Shift::Lsl,
                15
            )),
            [Violation::Pc {
                at: 0,
                what: "a register-shifted operand"
            }]
        );
        assert_eq!(
            Violation::MulRdIsRm { at: 8 }.to_string(),
            "0x8: MUL/MLA with Rd == Rm is UNPREDICTABLE on ARMv5"
        );
    }

    #[test]
    fn offsets_count_words() {
        let code: Vec<u8> = [enc::bx(Al, 14), enc::movw(Al, 0, 1)]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        assert!(matches!(check(&code)[..], [Violation::NotV5 { at: 4, .. }]));
    }
}
