//! The A64 encoder: one pure function per instruction form, operands in, the 32-bit word
//! out. Register numbers are 0–31; 31 is the zero register (`xzr`/`wzr`) or the stack
//! pointer, as each form's architecture text says. `tests/emit_tests.rs` checks every form
//! against GNU as and reads it back with capstone.

/// A general register number (0–31) or a SIMD&FP register number (0–31).
pub type R = u8;

/// The zero register (or, where the form says so, the stack pointer).
pub const ZR: R = 31;
/// The stack pointer, where a form reads register 31 as it.
pub const SP: R = 31;

fn r(x: R) -> u32 {
    assert!(x < 32, "register {x}");
    x as u32
}

/// Operand width: 32-bit (`w`) or 64-bit (`x`) registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// 32 bits: `w` registers.
    W,
    /// 64 bits: `x` registers.
    X,
}

impl Width {
    fn sf(self) -> u32 {
        match self {
            Width::W => 0,
            Width::X => 1 << 31,
        }
    }

    fn bits(self) -> u32 {
        match self {
            Width::W => 32,
            Width::X => 64,
        }
    }
}

/// A condition code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Cond {
    Eq = 0,
    Ne = 1,
    Hs = 2,
    Lo = 3,
    Mi = 4,
    Pl = 5,
    Vs = 6,
    Vc = 7,
    Hi = 8,
    Ls = 9,
    Ge = 10,
    Lt = 11,
    Gt = 12,
    Le = 13,
    Al = 14,
}

impl Cond {
    /// The opposite condition (not defined for `Al`, which it returns unchanged).
    pub fn invert(self) -> Cond {
        use Cond::*;
        match self {
            Eq => Ne,
            Ne => Eq,
            Hs => Lo,
            Lo => Hs,
            Mi => Pl,
            Pl => Mi,
            Vs => Vc,
            Vc => Vs,
            Hi => Ls,
            Ls => Hi,
            Ge => Lt,
            Lt => Ge,
            Gt => Le,
            Le => Gt,
            Al => Al,
        }
    }
}

/// A shift applied to a register operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Shift {
    Lsl = 0,
    Lsr = 1,
    Asr = 2,
    Ror = 3,
}

/// Add and subtract, with or without setting the flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum AddSub {
    Add,
    Adds,
    Sub,
    Subs,
}

impl AddSub {
    fn bits(self) -> u32 {
        match self {
            AddSub::Add => 0,
            AddSub::Adds => 1 << 29,
            AddSub::Sub => 1 << 30,
            AddSub::Subs => 3 << 29,
        }
    }
}

/// `add`/`adds`/`sub`/`subs rd, rn, rm, <shift> #amount` (register 31 is the zero
/// register). `amount` is below the width; `Ror` is not a form of these.
pub fn add_sub_reg(w: Width, op: AddSub, rd: R, rn: R, rm: R, shift: Shift, amount: u32) -> u32 {
    assert!(
        shift != Shift::Ror && amount < w.bits(),
        "shift {shift:?} #{amount}"
    );
    w.sf()
        | op.bits()
        | 0x0b00_0000
        | (shift as u32) << 22
        | r(rm) << 16
        | amount << 10
        | r(rn) << 5
        | r(rd)
}

/// `add`/`adds`/`sub`/`subs rd, rn, #imm12 (, lsl #12)` (register 31 is `sp` for `rn`, and
/// `cmp rn, rm` (`subs zr, rn, rm`).
pub fn cmp(w: Width, rn: R, rm: R) -> u32 {
    add_sub_reg(w, AddSub::Subs, ZR, rn, rm, Shift::Lsl, 0)
}

/// for `rd` of `add`/`sub`).
pub fn add_sub_imm(w: Width, op: AddSub, rd: R, rn: R, imm12: u32, lsl12: bool) -> u32 {
    assert!(imm12 < 4096, "imm12 {imm12}");
    w.sf() | op.bits() | 0x1100_0000 | (lsl12 as u32) << 22 | imm12 << 10 | r(rn) << 5 | r(rd)
}

/// The logical operations; the `N` forms (`Bic`, `Orn`, `Eon`, `Bics`) invert the second
/// operand and exist only with a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Logic {
    And,
    Orr,
    Eor,
    Ands,
    Bic,
    Orn,
    Eon,
    Bics,
}

impl Logic {
    fn opc(self) -> u32 {
        use Logic::*;
        let opc = match self {
            And | Bic => 0,
            Orr | Orn => 1,
            Eor | Eon => 2,
            Ands | Bics => 3,
        };
        opc << 29
    }

    fn negated(self) -> bool {
        matches!(self, Logic::Bic | Logic::Orn | Logic::Eon | Logic::Bics)
    }
}

/// `and`/`orr`/`eor`/`ands`/`bic`/`orn`/`eon`/`bics rd, rn, rm, <shift> #amount`.
pub fn logic_reg(w: Width, op: Logic, rd: R, rn: R, rm: R, shift: Shift, amount: u32) -> u32 {
    assert!(amount < w.bits(), "shift amount {amount}");
    w.sf()
        | op.opc()
        | 0x0a00_0000
        | (shift as u32) << 22
        | (op.negated() as u32) << 21
        | r(rm) << 16
        | amount << 10
        | r(rn) << 5
        | r(rd)
}

/// A logical immediate: a repeated element holding one run of ones, rotated; the `N`,
/// `immr` and `imms` fields of the forms that take one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitMask {
    n: u32,
    immr: u32,
    imms: u32,
}

impl BitMask {
    /// `value` as a logical immediate of width `w` (for `W`, its low 32 bits), if it is one:
    /// neither all zeros nor all ones, and a power-of-two element (2 to the width's bits)
    /// repeated, each a rotated run of ones.
    pub fn encode(value: u64, w: Width) -> Option<BitMask> {
        let value = match w {
            Width::X => value,
            Width::W => (value & 0xffff_ffff) | (value << 32),
        };
        if value == 0 || value == u64::MAX {
            return None;
        }
        let mask = |bits: u32| {
            if bits == 64 {
                u64::MAX
            } else {
                (1u64 << bits) - 1
            }
        };
        let mut size = 64;
        while size > 2 {
            let half = size / 2;
            if value & mask(half) != (value >> half) & mask(half) {
                break;
            }
            size = half;
        }
        let elem = value & mask(size);
        let ones = elem.count_ones();
        let run = mask(ones);
        let ror = |x: u64, k: u32| {
            if k == 0 {
                x
            } else {
                ((x >> k) | (x << (size - k))) & mask(size)
            }
        };
        let immr = (0..size).find(|&k| ror(run, k) == elem)?;
        Some(BitMask {
            n: (size == 64) as u32,
            immr,
            imms: ((!(size - 1) << 1) & 0x3f) | (ones - 1),
        })
    }
}

/// `mov rd, rm` (`orr rd, zr, rm`; a `w` move clears the upper half).
pub fn mov(w: Width, rd: R, rm: R) -> u32 {
    logic_reg(w, Logic::Orr, rd, ZR, rm, Shift::Lsl, 0)
}

/// `and`/`orr`/`eor`/`ands rd, rn, #mask` (register 31 is `sp` for `rd`, but for `ands`).
pub fn logic_imm(w: Width, op: Logic, rd: R, rn: R, mask: BitMask) -> u32 {
    assert!(!op.negated(), "{op:?} has no immediate form");
    assert!(
        w == Width::X || mask.n == 0,
        "a 64-bit mask for a 32-bit op"
    );
    w.sf()
        | op.opc()
        | 0x1200_0000
        | mask.n << 22
        | mask.immr << 16
        | mask.imms << 10
        | r(rn) << 5
        | r(rd)
}

/// The move-wide forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum MoveWide {
    Movn,
    Movz,
    Movk,
}

/// `movn`/`movz`/`movk rd, #imm16, lsl #(16 * hw)`.
pub fn move_wide(w: Width, op: MoveWide, rd: R, imm16: u16, hw: u32) -> u32 {
    assert!(hw < w.bits() / 16, "hw {hw}");
    let opc = match op {
        MoveWide::Movn => 0,
        MoveWide::Movz => 2,
        MoveWide::Movk => 3,
    };
    w.sf() | opc << 29 | 0x1280_0000 | hw << 21 | (imm16 as u32) << 5 | r(rd)
}

/// `madd rd, rn, rm, ra` (rd = ra + rn * rm; `mul` when ra is the zero register) or, with
/// `sub`, `msub` (rd = ra - rn * rm).
pub fn madd(w: Width, sub: bool, rd: R, rn: R, rm: R, ra: R) -> u32 {
    w.sf() | 0x1b00_0000 | r(rm) << 16 | (sub as u32) << 15 | r(ra) << 10 | r(rn) << 5 | r(rd)
}

/// `smaddl`/`umaddl xd, wn, wm, xa`: the 64-bit product of two 32-bit values plus xa
/// (`smull`/`umull` when xa is the zero register).
pub fn maddl(signed: bool, rd: R, rn: R, rm: R, ra: R) -> u32 {
    let u = (!signed as u32) << 23;
    0x9b20_0000 | u | r(rm) << 16 | r(ra) << 10 | r(rn) << 5 | r(rd)
}

/// `smulh`/`umulh xd, xn, xm`: the high 64 bits of the 128-bit product.
pub fn mulh(signed: bool, rd: R, rn: R, rm: R) -> u32 {
    let u = (!signed as u32) << 23;
    0x9b40_7c00 | u | r(rm) << 16 | r(rn) << 5 | r(rd)
}

/// The two-source data-processing forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum TwoSource {
    Udiv,
    Sdiv,
    Lslv,
    Lsrv,
    Asrv,
    Rorv,
}

/// `udiv`/`sdiv`/`lsl`/`lsr`/`asr`/`ror rd, rn, rm` (shifts by a register take its low
/// 5 or 6 bits).
pub fn two_source(w: Width, op: TwoSource, rd: R, rn: R, rm: R) -> u32 {
    let opcode = match op {
        TwoSource::Udiv => 0b000010,
        TwoSource::Sdiv => 0b000011,
        TwoSource::Lslv => 0b001000,
        TwoSource::Lsrv => 0b001001,
        TwoSource::Asrv => 0b001010,
        TwoSource::Rorv => 0b001011,
    };
    w.sf() | 0x1ac0_0000 | r(rm) << 16 | opcode << 10 | r(rn) << 5 | r(rd)
}

/// `sbfm`/`ubfm rd, rn, #immr, #imms`: the bitfield moves behind `lsl`, `lsr`, `asr` by a
/// constant, `sxtb`/`sxth`/`sxtw` and `uxtb`/`uxth`.
pub fn bitfield(w: Width, signed: bool, rd: R, rn: R, immr: u32, imms: u32) -> u32 {
    assert!(
        immr < w.bits() && imms < w.bits(),
        "immr {immr} imms {imms}"
    );
    let opc = if signed { 0 } else { 2 << 29 };
    let n = (w == Width::X) as u32;
    w.sf() | opc | 0x1300_0000 | n << 22 | immr << 16 | imms << 10 | r(rn) << 5 | r(rd)
}

/// `lsl rd, rn, #k` (`ubfm` with `-k mod width`, `width - 1 - k`).
pub fn lsl_imm(w: Width, rd: R, rn: R, k: u32) -> u32 {
    let bits = w.bits();
    assert!(k < bits, "lsl #{k}");
    bitfield(w, false, rd, rn, (bits - k) % bits, bits - 1 - k)
}

/// `lsr rd, rn, #k` (signed: `asr`).
pub fn shr_imm(w: Width, signed: bool, rd: R, rn: R, k: u32) -> u32 {
    assert!(k < w.bits(), "shift #{k}");
    bitfield(w, signed, rd, rn, k, w.bits() - 1)
}

/// The conditional selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Select {
    Csel,
    Csinc,
    Csinv,
    Csneg,
}

/// `csel`/`csinc`/`csinv`/`csneg rd, rn, rm, cond`: rn if cond holds, else rm (plus one,
/// inverted, negated). `cset rd, cond` is `csinc rd, zr, zr, invert(cond)`.
pub fn select(w: Width, op: Select, rd: R, rn: R, rm: R, c: Cond) -> u32 {
    let (top, o2) = match op {
        Select::Csel => (0, 0),
        Select::Csinc => (0, 1),
        Select::Csinv => (1, 0),
        Select::Csneg => (1, 1),
    };
    w.sf()
        | top << 30
        | 0x1a80_0000
        | r(rm) << 16
        | (c as u32) << 12
        | o2 << 10
        | r(rn) << 5
        | r(rd)
}

/// `b` (or, with `link`, `bl`) to `words` instructions from this one (signed 26 bits).
pub fn branch(link: bool, words: i32) -> u32 {
    assert!(
        (-(1 << 25)..1 << 25).contains(&words),
        "branch offset {words}"
    );
    (link as u32) << 31 | 0x1400_0000 | (words as u32 & 0x03ff_ffff)
}

/// `b.cond` to `words` instructions from this one (signed 19 bits).
pub fn branch_cond(c: Cond, words: i32) -> u32 {
    assert!(
        (-(1 << 18)..1 << 18).contains(&words),
        "branch offset {words}"
    );
    0x5400_0000 | (words as u32 & 0x7ffff) << 5 | c as u32
}

/// `cbz` (or, with `nonzero`, `cbnz`) `rt` to `words` instructions from this one.
pub fn cbz(w: Width, nonzero: bool, rt: R, words: i32) -> u32 {
    assert!(
        (-(1 << 18)..1 << 18).contains(&words),
        "branch offset {words}"
    );
    w.sf() | 0x3400_0000 | (nonzero as u32) << 24 | (words as u32 & 0x7ffff) << 5 | r(rt)
}

/// `tbz` (or, with `nonzero`, `tbnz`) on bit `bit` of `rt`, to `words` instructions from
/// this one (signed 14 bits).
pub fn tbz(nonzero: bool, rt: R, bit: u32, words: i32) -> u32 {
    assert!(bit < 64, "bit {bit}");
    assert!(
        (-(1 << 13)..1 << 13).contains(&words),
        "branch offset {words}"
    );
    (bit >> 5) << 31
        | 0x3600_0000
        | (nonzero as u32) << 24
        | (bit & 31) << 19
        | (words as u32 & 0x3fff) << 5
        | r(rt)
}

/// `br rn`, or with `link` `blr rn`.
pub fn branch_reg(link: bool, rn: R) -> u32 {
    0xd61f_0000 | (link as u32) << 21 | r(rn) << 5
}

/// `ret` (to x30).
pub fn ret() -> u32 {
    0xd65f_03c0
}

/// `nop`.
pub fn nop() -> u32 {
    0xd503_201f
}

/// `svc #imm16`.
pub fn svc(imm16: u16) -> u32 {
    0xd400_0001 | (imm16 as u32) << 5
}

/// `brk #imm16`.
pub fn brk(imm16: u16) -> u32 {
    0xd420_0000 | (imm16 as u32) << 5
}

/// `adr rd, <pc + bytes>` (signed 21 bits).
pub fn adr(rd: R, bytes: i32) -> u32 {
    assert!((-(1 << 20)..1 << 20).contains(&bytes), "adr offset {bytes}");
    let b = bytes as u32;
    0x1000_0000 | (b & 3) << 29 | (b >> 2 & 0x7ffff) << 5 | r(rd)
}

/// What a load or store moves: its size and, for loads, how it extends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mem {
    /// `ldrb`/`strb`: a byte, zero-extended.
    U8,
    /// `ldrsb` into a `w` register.
    I8,
    /// `ldrh`/`strh`.
    U16,
    /// `ldrsh` into a `w` register.
    I16,
    /// `ldr`/`str` of a `w` register.
    W32,
    /// `ldrsw` into an `x` register.
    I32,
    /// `ldr`/`str` of an `x` register.
    X64,
    /// `ldr`/`str` of a `d` register.
    D64,
}

impl Mem {
    /// The access's size in bytes (the scale of its scaled offsets).
    pub fn bytes(self) -> u32 {
        match self {
            Mem::U8 | Mem::I8 => 1,
            Mem::U16 | Mem::I16 => 2,
            Mem::W32 | Mem::I32 => 4,
            Mem::X64 | Mem::D64 => 8,
        }
    }

    /// The size, V and opc fields of the form (with a load's opc; a store's is 0).
    fn fields(self, load: bool) -> u32 {
        let (size, v, opc) = match (self, load) {
            (Mem::U8, _) => (0, 0, 1),
            (Mem::I8, true) => (0, 0, 3),
            (Mem::U16, _) => (1, 0, 1),
            (Mem::I16, true) => (1, 0, 3),
            (Mem::W32, _) => (2, 0, 1),
            (Mem::I32, true) => (2, 0, 2),
            (Mem::X64, _) => (3, 0, 1),
            (Mem::D64, _) => (3, 1, 1),
            (m, false) => panic!("{m:?} is only loaded"),
        };
        let opc = if load { opc } else { 0 };
        size << 30 | 0x3800_0000 | v << 26 | opc << 22
    }
}

/// `ldr`/`str` (of `m`) `rt, [rn, #offset]`: `offset` a multiple of the size below 4096
/// sizes (register 31 is `sp` for `rn`).
pub fn mem_imm(load: bool, m: Mem, rt: R, rn: R, offset: u32) -> u32 {
    let scale = m.bytes();
    assert!(
        offset.is_multiple_of(scale) && offset / scale < 4096,
        "offset {offset} for {m:?}"
    );
    m.fields(load) | 1 << 24 | (offset / scale) << 10 | r(rn) << 5 | r(rt)
}

/// `ldur`/`stur` (of `m`) `rt, [rn, #offset]`: any offset from -256 to 255.
pub fn mem_unscaled(load: bool, m: Mem, rt: R, rn: R, offset: i32) -> u32 {
    assert!((-256..256).contains(&offset), "offset {offset}");
    m.fields(load) | (offset as u32 & 0x1ff) << 12 | r(rn) << 5 | r(rt)
}

/// `ldr`/`str` (of `m`) `rt, [rn, wm, sxtw #scale]` (or `[rn, xm, lsl #scale]` with
/// `sxtw` false): the index sign-extended from 32 bits or taken whole, shifted by the
/// access's size when `scaled`.
pub fn mem_reg(load: bool, m: Mem, rt: R, rn: R, rm: R, sxtw: bool, scaled: bool) -> u32 {
    let option = if sxtw { 0b110 } else { 0b011 };
    m.fields(load)
        | 1 << 21
        | r(rm) << 16
        | option << 13
        | (scaled as u32) << 12
        | 0b10 << 10
        | r(rn) << 5
        | r(rt)
}

/// `ldr xt` (or `dt` with `Mem::D64`) from `words` instructions from this one: a literal.
pub fn ldr_literal(m: Mem, rt: R, words: i32) -> u32 {
    assert!(
        (-(1 << 18)..1 << 18).contains(&words),
        "literal offset {words}"
    );
    let base = match m {
        Mem::W32 => 0x1800_0000,
        Mem::X64 => 0x5800_0000,
        Mem::D64 => 0x5c00_0000,
        other => panic!("no literal load of {other:?}"),
    };
    base | (words as u32 & 0x7ffff) << 5 | r(rt)
}

/// How `stp`/`ldp` address: at `rn + offset`, or with `rn` updated before or after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum PairIndex {
    Offset,
    Pre,
    Post,
}

/// `stp`/`ldp` of two `x` registers (or, with `fp`, `d` registers) at `rn` with `offset`
/// bytes (a multiple of 8 from -512 to 504).
pub fn pair(load: bool, fp: bool, index: PairIndex, rt: R, rt2: R, rn: R, offset: i32) -> u32 {
    assert!(
        offset % 8 == 0 && (-512..512).contains(&offset),
        "pair offset {offset}"
    );
    let base = if fp { 0x6c00_0000 } else { 0xa800_0000 };
    let mode = match index {
        PairIndex::Post => 1,
        PairIndex::Offset => 2,
        PairIndex::Pre => 3,
    };
    base | mode << 23
        | (load as u32) << 22
        | ((offset / 8) as u32 & 0x7f) << 15
        | r(rt2) << 10
        | r(rn) << 5
        | r(rt)
}

/// The two-source f64 operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Fop {
    Mul,
    Div,
    Add,
    Sub,
}

/// `fmul`/`fdiv`/`fadd`/`fsub dd, dn, dm`.
pub fn fop(op: Fop, rd: R, rn: R, rm: R) -> u32 {
    let opcode = match op {
        Fop::Mul => 0,
        Fop::Div => 1,
        Fop::Add => 2,
        Fop::Sub => 3,
    };
    0x1e60_0800 | r(rm) << 16 | opcode << 12 | r(rn) << 5 | r(rd)
}

/// The one-source f64 operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Funary {
    Mov,
    Abs,
    Neg,
    Sqrt,
}

/// `fmov`/`fabs`/`fneg`/`fsqrt dd, dn`.
pub fn funary(op: Funary, rd: R, rn: R) -> u32 {
    let opcode = match op {
        Funary::Mov => 0,
        Funary::Abs => 1,
        Funary::Neg => 2,
        Funary::Sqrt => 3,
    };
    0x1e60_4000 | opcode << 15 | r(rn) << 5 | r(rd)
}

/// `fcmp dn, dm`.
pub fn fcmp(rn: R, rm: R) -> u32 {
    0x1e60_2000 | r(rm) << 16 | r(rn) << 5
}

/// `fcvtzs` (f64 to a `w` or `x` register, toward zero, saturating; NaN gives 0).
pub fn fcvtzs(w: Width, rd: R, rn: R) -> u32 {
    w.sf() | 0x1e78_0000 | r(rn) << 5 | r(rd)
}

/// `scvtf dd, wn` or `dd, xn` (signed integer to f64).
pub fn scvtf(w: Width, rd: R, rn: R) -> u32 {
    w.sf() | 0x1e62_0000 | r(rn) << 5 | r(rd)
}

/// `fmov xd, dn` (the bits of an f64 to a general register) or, with `to_fp`, `fmov dd,
/// xn`.
pub fn fmov_bits(to_fp: bool, rd: R, rn: R) -> u32 {
    0x9e66_0000 | (to_fp as u32) << 16 | r(rn) << 5 | r(rd)
}

/// `adc`/`sbc rd, rn, rm`: with the carry (`sbc` subtracts the borrow, NOT carry).
pub fn carry(w: Width, sub: bool, rd: R, rn: R, rm: R) -> u32 {
    w.sf() | (sub as u32) << 30 | 0x1a00_0000 | r(rm) << 16 | r(rn) << 5 | r(rd)
}

/// `fcvt sd, dn` (f64 to f32, rounded as FPCR says: to nearest) or, with `widen`,
/// `fcvt dd, sn` (exact).
pub fn fcvt(widen: bool, rd: R, rn: R) -> u32 {
    let base = if widen { 0x1e22_c000 } else { 0x1e62_4000 };
    base | r(rn) << 5 | r(rd)
}

/// `fmov wd, sn` (the bits of an f32 to a general register) or, with `to_fp`, `fmov sd,
/// wn`.
pub fn fmov_bits32(to_fp: bool, rd: R, rn: R) -> u32 {
    0x1e26_0000 | (to_fp as u32) << 16 | r(rn) << 5 | r(rd)
}
