//! The x86-64 encoder: pure functions from instruction operands to bytes.
//!
//! Each method appends one instruction to a byte vector and nothing else; nothing here
//! knows about traces, registers in use or labels (branches take a displacement and return
//! the offset of the field to patch). `tests/emit_tests.rs` checks every form against
//! iced-x86's decoder and Intel-syntax formatter.

/// A general-purpose register number (0 = rax … 15 = r15).
pub type Gpr = u8;
/// An SSE register number (0 = xmm0 … 15 = xmm15).
pub type Xmm = u8;

/// Register numbers.
pub mod reg {
    #![allow(missing_docs)]
    pub const RAX: u8 = 0;
    pub const RCX: u8 = 1;
    pub const RDX: u8 = 2;
    pub const RBX: u8 = 3;
    pub const RSP: u8 = 4;
    pub const RBP: u8 = 5;
    pub const RSI: u8 = 6;
    pub const RDI: u8 = 7;
    pub const R8: u8 = 8;
    pub const R9: u8 = 9;
    pub const R10: u8 = 10;
    pub const R11: u8 = 11;
    pub const R12: u8 = 12;
    pub const R13: u8 = 13;
    pub const R14: u8 = 14;
    pub const R15: u8 = 15;
}

/// A memory operand `[base + index * scale + disp]`, or `[rip + disp]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mem {
    /// Base register, optional (index, scale 1/2/4/8), displacement.
    Base {
        /// Base register.
        base: Gpr,
        /// Index register and scale.
        index: Option<(Gpr, u8)>,
        /// Displacement.
        disp: i32,
    },
    /// RIP-relative; the displacement is patched later.
    Rip,
}

impl Mem {
    /// `[base + disp]`.
    pub fn base(base: Gpr, disp: i32) -> Mem {
        Mem::Base {
            base,
            index: None,
            disp,
        }
    }
}

/// A register-or-memory operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rm {
    /// A register (GPR or XMM by context).
    Reg(u8),
    /// Memory.
    Mem(Mem),
}

/// Condition codes, by their encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Cond {
    O = 0,
    No = 1,
    B = 2,
    Ae = 3,
    E = 4,
    Ne = 5,
    Be = 6,
    A = 7,
    S = 8,
    Ns = 9,
    P = 10,
    Np = 11,
    L = 12,
    Ge = 13,
    Le = 14,
    G = 15,
}

impl Cond {
    /// The opposite condition.
    pub fn invert(self) -> Cond {
        Cond::from_bits(self as u8 ^ 1)
    }

    /// The condition encoded as `bits` (low 4 bits).
    pub fn from_bits(bits: u8) -> Cond {
        use Cond::*;
        [O, No, B, Ae, E, Ne, Be, A, S, Ns, P, Np, L, Ge, Le, G][(bits & 15) as usize]
    }
}

/// Integer ALU operations of the `0x01`/`0x81` family, by their `/digit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Alu {
    Add = 0,
    Or = 1,
    Adc = 2,
    Sbb = 3,
    And = 4,
    Sub = 5,
    Xor = 6,
    Cmp = 7,
}

/// Shift operations, by their `/digit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Shift {
    Shl = 4,
    Shr = 5,
    Sar = 7,
}

/// Scalar-double SSE operations, by their opcode byte after `F2 0F`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Sse {
    Addsd = 0x58,
    Mulsd = 0x59,
    Subsd = 0x5c,
    Divsd = 0x5e,
    Sqrtsd = 0x51,
}

/// The second opcode byte of `movzx`/`movsx` (after `0F`) from 8 or 16 bits.
fn ext_op(bits: u8, signed: bool) -> u8 {
    match (bits, signed) {
        (8, false) => 0xb6,
        (8, true) => 0xbe,
        (16, false) => 0xb7,
        _ => 0xbf,
    }
}

/// Appends instructions to a byte vector.
pub struct Enc<'a>(pub &'a mut Vec<u8>);

impl Enc<'_> {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    fn i32(&mut self, x: i32) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }

    /// Prefixes, REX, opcode, ModRM, SIB and displacement for `reg` and `rm`. Returns the
    /// offset of a RIP displacement, if any. `byte_regs`: `rm`/`reg` name 8-bit registers,
    /// so sil/dil/spl/bpl need a REX prefix.
    #[allow(clippy::too_many_arguments)]
    fn modrm(
        &mut self,
        prefix: Option<u8>,
        w: bool,
        op: &[u8],
        reg: u8,
        rm: Rm,
        byte_regs: bool,
    ) -> Option<u32> {
        if let Some(p) = prefix {
            self.byte(p);
        }
        let (b, x) = match rm {
            Rm::Reg(r) => (r >> 3, 0),
            Rm::Mem(Mem::Base { base, index, .. }) => (base >> 3, index.map_or(0, |(i, _)| i >> 3)),
            Rm::Mem(Mem::Rip) => (0, 0),
        };
        let rex = 0x40 | (w as u8) << 3 | (reg >> 3) << 2 | x << 1 | b;
        let needs_byte_rex = byte_regs && (matches!(rm, Rm::Reg(4..=7)) || (4..=7).contains(&reg));
        if rex != 0x40 || needs_byte_rex {
            self.byte(rex);
        }
        self.0.extend_from_slice(op);
        let reg = (reg & 7) << 3;
        match rm {
            Rm::Reg(r) => {
                self.byte(0xc0 | reg | (r & 7));
                None
            }
            Rm::Mem(Mem::Rip) => {
                self.byte(reg | 5);
                let at = self.0.len() as u32;
                self.i32(0);
                Some(at)
            }
            Rm::Mem(Mem::Base { base, index, disp }) => {
                let (md, dsize) = if disp == 0 && base & 7 != 5 {
                    (0, 0)
                } else if i8::try_from(disp).is_ok() {
                    (0x40, 1)
                } else {
                    (0x80, 4)
                };
                match index {
                    Some((i, scale)) => {
                        assert!(i != reg::RSP, "rsp cannot be an index");
                        let ss = match scale {
                            1 => 0,
                            2 => 1,
                            4 => 2,
                            8 => 3,
                            _ => panic!("scale {scale}"),
                        };
                        self.byte(md | reg | 4);
                        self.byte(ss << 6 | (i & 7) << 3 | (base & 7));
                    }
                    None if base & 7 == 4 => {
                        self.byte(md | reg | 4);
                        self.byte(0x24);
                    }
                    None => self.byte(md | reg | (base & 7)),
                }
                match dsize {
                    1 => self.byte(disp as i8 as u8),
                    4 => self.i32(disp),
                    _ => {}
                }
                None
            }
        }
    }

    /// `op dst, src` for an ALU operation on registers (`w`: 64-bit).
    pub fn alu_rr(&mut self, op: Alu, w: bool, dst: Gpr, src: Gpr) {
        self.modrm(None, w, &[(op as u8) << 3 | 1], src, Rm::Reg(dst), false);
    }

    /// `op reg, [mem]`.
    pub fn alu_rm(&mut self, op: Alu, w: bool, dst: Gpr, src: Mem) -> Option<u32> {
        self.modrm(None, w, &[(op as u8) << 3 | 3], dst, Rm::Mem(src), false)
    }

    /// `op r/m, imm` (imm8 form when it fits).
    pub fn alu_ri(&mut self, op: Alu, w: bool, dst: Rm, imm: i32) {
        if let Ok(b) = i8::try_from(imm) {
            self.modrm(None, w, &[0x83], op as u8, dst, false);
            self.byte(b as u8);
        } else {
            self.modrm(None, w, &[0x81], op as u8, dst, false);
            self.i32(imm);
        }
    }

    /// `mov dst, src` between registers.
    pub fn mov_rr(&mut self, w: bool, dst: Gpr, src: Gpr) {
        self.modrm(None, w, &[0x89], src, Rm::Reg(dst), false);
    }

    /// `mov reg, [mem]` (32 or 64 bits).
    pub fn load(&mut self, w: bool, dst: Gpr, src: Mem) -> Option<u32> {
        self.modrm(None, w, &[0x8b], dst, Rm::Mem(src), false)
    }

    /// `lea reg, [mem]` (64 bits); returns the offset of a RIP displacement.
    pub fn lea(&mut self, dst: Gpr, src: Mem) -> Option<u32> {
        self.modrm(None, true, &[0x8d], dst, Rm::Mem(src), false)
    }

    /// `test byte [mem], imm8`.
    pub fn test_mi8(&mut self, dst: Mem, imm: u8) {
        self.modrm(None, false, &[0xf6], 0, Rm::Mem(dst), false);
        self.byte(imm);
    }

    /// `mov [mem], reg` of 8, 16, 32 or 64 bits.
    pub fn store(&mut self, bits: u8, dst: Mem, src: Gpr) {
        match bits {
            8 => self.modrm(None, false, &[0x88], src, Rm::Mem(dst), true),
            16 => self.modrm(Some(0x66), false, &[0x89], src, Rm::Mem(dst), false),
            32 => self.modrm(None, false, &[0x89], src, Rm::Mem(dst), false),
            _ => self.modrm(None, true, &[0x89], src, Rm::Mem(dst), false),
        };
    }

    /// `mov [mem], imm` of 8, 16, 32 or 64 bits (64: sign-extended imm32).
    pub fn store_imm(&mut self, bits: u8, dst: Mem, imm: i32) {
        match bits {
            8 => {
                self.modrm(None, false, &[0xc6], 0, Rm::Mem(dst), false);
                self.byte(imm as u8);
            }
            16 => {
                self.modrm(Some(0x66), false, &[0xc7], 0, Rm::Mem(dst), false);
                self.0.extend_from_slice(&(imm as u16).to_le_bytes());
            }
            _ => {
                self.modrm(None, bits == 64, &[0xc7], 0, Rm::Mem(dst), false);
                self.i32(imm);
            }
        }
    }

    /// Loads an integer constant into a register without touching the flags: `mov r32,
    /// imm32` (zero-extends), `mov r64, simm32`, or `movabs`.
    pub fn mov_ri(&mut self, dst: Gpr, imm: i64) {
        if let Ok(u) = u32::try_from(imm) {
            if dst >= 8 {
                self.byte(0x41);
            }
            self.byte(0xb8 | (dst & 7));
            self.i32(u as i32);
        } else if let Ok(s) = i32::try_from(imm) {
            self.modrm(None, true, &[0xc7], 0, Rm::Reg(dst), false);
            self.i32(s);
        } else {
            self.byte(0x48 | (dst >> 3));
            self.byte(0xb8 | (dst & 7));
            self.0.extend_from_slice(&imm.to_le_bytes());
        }
    }

    /// `mov r64, imm64` always in its ten-byte form (`movabs`), so a relocation can rewrite
    /// the immediate; returns the immediate's offset.
    pub fn movabs(&mut self, dst: Gpr, imm: i64) -> u32 {
        self.byte(0x48 | (dst >> 3));
        self.byte(0xb8 | (dst & 7));
        let at = self.0.len() as u32;
        self.0.extend_from_slice(&imm.to_le_bytes());
        at
    }

    /// `movzx`/`movsx` of an 8- or 16-bit memory operand into a 32-bit register.
    pub fn load_ext(&mut self, bits: u8, signed: bool, dst: Gpr, src: Mem) {
        self.modrm(
            None,
            false,
            &[0x0f, ext_op(bits, signed)],
            dst,
            Rm::Mem(src),
            false,
        );
    }

    /// `movzx r32, r8`.
    pub fn movzx_rr8(&mut self, dst: Gpr, src: Gpr) {
        self.modrm(None, false, &[0x0f, 0xb6], dst, Rm::Reg(src), true);
    }

    /// `movzx`/`movsx r32, r8` or `r16`: the low `bits` of `src` extended into `dst`.
    pub fn extend_rr(&mut self, bits: u8, signed: bool, dst: Gpr, src: Gpr) {
        let op = ext_op(bits, signed);
        self.modrm(None, false, &[0x0f, op], dst, Rm::Reg(src), bits == 8);
    }

    /// `movsxd r64, r/m32`.
    pub fn movsxd(&mut self, dst: Gpr, src: Rm) {
        self.modrm(None, true, &[0x63], dst, src, false);
    }

    /// `mov r32, r/m32` (zero-extends into the upper half).
    pub fn mov32(&mut self, dst: Gpr, src: Rm) {
        self.modrm(None, false, &[0x8b], dst, src, false);
    }

    /// `imul dst, r/m`.
    pub fn imul_rr(&mut self, w: bool, dst: Gpr, src: Rm) {
        self.modrm(None, w, &[0x0f, 0xaf], dst, src, false);
    }

    /// `imul dst, r/m, imm32`.
    pub fn imul_rri(&mut self, w: bool, dst: Gpr, src: Rm, imm: i32) {
        self.modrm(None, w, &[0x69], dst, src, false);
        self.i32(imm);
    }

    /// `shl/shr/sar r, cl`.
    pub fn shift_cl(&mut self, op: Shift, w: bool, dst: Gpr) {
        self.modrm(None, w, &[0xd3], op as u8, Rm::Reg(dst), false);
    }

    /// `shl/shr/sar r, imm8`.
    pub fn shift_ri(&mut self, op: Shift, w: bool, dst: Gpr, imm: u8) {
        self.modrm(None, w, &[0xc1], op as u8, Rm::Reg(dst), false);
        self.byte(imm);
    }

    /// `neg r`.
    pub fn neg(&mut self, w: bool, dst: Gpr) {
        self.modrm(None, w, &[0xf7], 3, Rm::Reg(dst), false);
    }

    /// `not r`.
    pub fn not(&mut self, w: bool, dst: Gpr) {
        self.modrm(None, w, &[0xf7], 2, Rm::Reg(dst), false);
    }

    /// `test a, b`.
    pub fn test_rr(&mut self, w: bool, a: Gpr, b: Gpr) {
        self.modrm(None, w, &[0x85], b, Rm::Reg(a), false);
    }

    /// `cdq` (32-bit) or `cqo` (64-bit).
    pub fn sign_extend_ax(&mut self, w: bool) {
        if w {
            self.byte(0x48);
        }
        self.byte(0x99);
    }

    /// `idiv r` (signed) or `div r`.
    pub fn div(&mut self, w: bool, signed: bool, src: Gpr) {
        self.modrm(
            None,
            w,
            &[0xf7],
            if signed { 7 } else { 6 },
            Rm::Reg(src),
            false,
        );
    }

    /// `mul r` (unsigned: rdx:rax = rax * r).
    pub fn mul(&mut self, w: bool, src: Gpr) {
        self.modrm(None, w, &[0xf7], 4, Rm::Reg(src), false);
    }

    /// `setcc r8`.
    pub fn setcc(&mut self, c: Cond, dst: Gpr) {
        self.modrm(None, false, &[0x0f, 0x90 | c as u8], 0, Rm::Reg(dst), true);
    }

    /// `and`/`or` of two 8-bit registers.
    pub fn alu_rr8(&mut self, op: Alu, dst: Gpr, src: Gpr) {
        self.modrm(None, false, &[(op as u8) << 3], src, Rm::Reg(dst), true);
    }

    /// `jcc rel32`; returns the offset of the displacement to patch.
    pub fn jcc(&mut self, c: Cond) -> u32 {
        self.byte(0x0f);
        self.byte(0x80 | c as u8);
        let at = self.0.len() as u32;
        self.i32(0);
        at
    }

    /// `jcc rel8` with a known displacement from the end of the instruction.
    pub fn jcc8(&mut self, c: Cond, rel: i8) {
        self.byte(0x70 | c as u8);
        self.byte(rel as u8);
    }

    /// `jmp rel32`; returns the offset of the displacement to patch.
    pub fn jmp(&mut self) -> u32 {
        self.byte(0xe9);
        let at = self.0.len() as u32;
        self.i32(0);
        at
    }

    /// `jmp rel8` with a known displacement.
    pub fn jmp8(&mut self, rel: i8) {
        self.byte(0xeb);
        self.byte(rel as u8);
    }

    /// `call r64`.
    pub fn call_r(&mut self, r: Gpr) {
        self.modrm(None, false, &[0xff], 2, Rm::Reg(r), false);
    }

    /// `push r64`.
    pub fn push(&mut self, r: Gpr) {
        if r >= 8 {
            self.byte(0x41);
        }
        self.byte(0x50 | (r & 7));
    }

    /// `pop r64`.
    pub fn pop(&mut self, r: Gpr) {
        if r >= 8 {
            self.byte(0x41);
        }
        self.byte(0x58 | (r & 7));
    }

    /// `ret`.
    pub fn ret(&mut self) {
        self.byte(0xc3);
    }

    /// `nop` (one byte).
    pub fn nop(&mut self) {
        self.byte(0x90);
    }

    /// `sub/add rsp, imm`.
    pub fn rsp_adjust(&mut self, op: Alu, imm: i32) {
        self.alu_ri(op, true, Rm::Reg(reg::RSP), imm);
    }

    /// `movsd xmm, xmm/m64` (a register move uses `movapd`, see [`Enc::movapd`]).
    pub fn movsd_load(&mut self, dst: Xmm, src: Rm) -> Option<u32> {
        self.modrm(Some(0xf2), false, &[0x0f, 0x10], dst, src, false)
    }

    /// `movsd m64, xmm`.
    pub fn movsd_store(&mut self, dst: Mem, src: Xmm) {
        self.modrm(Some(0xf2), false, &[0x0f, 0x11], src, Rm::Mem(dst), false);
    }

    /// `movapd xmm, xmm`.
    pub fn movapd(&mut self, dst: Xmm, src: Xmm) {
        self.modrm(Some(0x66), false, &[0x0f, 0x28], dst, Rm::Reg(src), false);
    }

    /// `addsd`/`subsd`/`mulsd`/`divsd`/`sqrtsd xmm, xmm/m64`.
    pub fn sse(&mut self, op: Sse, dst: Xmm, src: Rm) -> Option<u32> {
        self.modrm(Some(0xf2), false, &[0x0f, op as u8], dst, src, false)
    }

    /// `ucomisd a, xmm/m64`.
    pub fn ucomisd(&mut self, a: Xmm, b: Rm) -> Option<u32> {
        self.modrm(Some(0x66), false, &[0x0f, 0x2e], a, b, false)
    }

    /// `xorpd a, b` (flags untouched).
    pub fn xorpd(&mut self, a: Xmm, b: Xmm) {
        self.modrm(Some(0x66), false, &[0x0f, 0x57], a, Rm::Reg(b), false);
    }

    /// `andpd a, b`.
    pub fn andpd(&mut self, a: Xmm, b: Xmm) {
        self.modrm(Some(0x66), false, &[0x0f, 0x54], a, Rm::Reg(b), false);
    }

    /// `movq xmm, r64`.
    pub fn movq_to_xmm(&mut self, dst: Xmm, src: Gpr) {
        self.modrm(Some(0x66), true, &[0x0f, 0x6e], dst, Rm::Reg(src), false);
    }

    /// `movd xmm, r/m32` (the upper lanes cleared).
    pub fn movd_to_xmm(&mut self, dst: Xmm, src: Rm) {
        self.modrm(Some(0x66), false, &[0x0f, 0x6e], dst, src, false);
    }

    /// `movd r32, xmm` (the low 32 bits).
    pub fn movd_from_xmm(&mut self, dst: Gpr, src: Xmm) {
        self.modrm(Some(0x66), false, &[0x0f, 0x7e], src, Rm::Reg(dst), false);
    }

    /// `cvtsd2ss xmm, xmm/m64`: the double rounded to a single in the low lane.
    pub fn cvtsd2ss(&mut self, dst: Xmm, src: Rm) {
        self.modrm(Some(0xf2), false, &[0x0f, 0x5a], dst, src, false);
    }

    /// `cvtss2sd xmm, xmm/m32`: the single in the low lane, exactly, as a double.
    pub fn cvtss2sd(&mut self, dst: Xmm, src: Rm) {
        self.modrm(Some(0xf3), false, &[0x0f, 0x5a], dst, src, false);
    }

    /// `cvtsi2sd xmm, r/m32` or `r/m64`.
    pub fn cvtsi2sd(&mut self, w: bool, dst: Xmm, src: Rm) {
        self.modrm(Some(0xf2), w, &[0x0f, 0x2a], dst, src, false);
    }

    /// `cvttsd2si r32/r64, xmm/m64`.
    pub fn cvttsd2si(&mut self, w: bool, dst: Gpr, src: Rm) -> Option<u32> {
        self.modrm(Some(0xf2), w, &[0x0f, 0x2c], dst, src, false)
    }
}
