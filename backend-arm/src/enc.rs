//! The A32 (ARM state) encoder with VFPv3: pure functions from operands to 32-bit words.
//!
//! Each function returns one instruction word (little-endian in memory); nothing here knows
//! about traces or labels. Functions are named after the instruction and take registers by
//! number (r0–r15, d0–d15). Field ranges are checked with `assert!`: callers pass values
//! that fit (the types [`ArmImm`] and [`MemOffset`] say what fits). `tests/emit_tests.rs`
//! checks every form against GNU as and capstone. backend-armv5 uses the ARMv5TE subset.

/// A core register number, 0–15 (13 = sp, 14 = lr, 15 = pc).
pub type R = u8;
/// A VFP double register number, 0–15.
pub type D = u8;

/// Stack pointer.
pub const SP: R = 13;
/// Link register.
pub const LR: R = 14;
/// Program counter.
pub const PC: R = 15;

/// Condition codes.
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
    /// The opposite condition (`Al` has none and stays `Al`).
    pub fn invert(self) -> Cond {
        if self == Cond::Al {
            return Cond::Al;
        }
        use Cond::*;
        [Eq, Ne, Hs, Lo, Mi, Pl, Vs, Vc, Hi, Ls, Ge, Lt, Gt, Le][(self as usize) ^ 1]
    }

    fn bits(self) -> u32 {
        (self as u32) << 28
    }
}

/// Data-processing operations, by their opcode field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Dp {
    And = 0,
    Eor = 1,
    Sub = 2,
    Rsb = 3,
    Add = 4,
    Adc = 5,
    Sbc = 6,
    Rsc = 7,
    Tst = 8,
    Teq = 9,
    Cmp = 10,
    Cmn = 11,
    Orr = 12,
    Mov = 13,
    Bic = 14,
    Mvn = 15,
}

impl Dp {
    /// Compare-style operations set flags always and write no register.
    fn is_test(self) -> bool {
        matches!(self, Dp::Tst | Dp::Teq | Dp::Cmp | Dp::Cmn)
    }

    /// The `rd` and `rn` fields: a field the operation does not read is zero (SBZ; any
    /// other value is not a valid encoding of it).
    fn fields(self, rd: R, rn: R) -> u32 {
        let rn = if matches!(self, Dp::Mov | Dp::Mvn) {
            0
        } else {
            r(rn)
        };
        let rd = if self.is_test() { 0 } else { r(rd) };
        rn << 16 | rd << 12
    }
}

/// Shift types for a shifted register operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Shift {
    Lsl = 0,
    Lsr = 1,
    Asr = 2,
    Ror = 3,
}

/// A data-processing immediate: an 8-bit value rotated right by an even amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArmImm(u16);

impl ArmImm {
    /// The encoding of `value`, if an 8-bit value rotated right by an even amount makes it.
    pub fn encode(value: u32) -> Option<ArmImm> {
        (0..16u32).find_map(|rot| {
            let v = value.rotate_left(2 * rot);
            (v <= 0xff).then_some(ArmImm((rot << 8 | v) as u16))
        })
    }

    /// The 12-bit field.
    pub fn field(self) -> u32 {
        self.0 as u32
    }
}

/// The offset of a load or store: added or subtracted, within the form's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemOffset {
    /// Add (true) or subtract.
    pub up: bool,
    /// Magnitude.
    pub magnitude: u32,
}

impl MemOffset {
    /// `offset` if its magnitude is at most `max`.
    pub fn new(offset: i32, max: u32) -> Option<MemOffset> {
        let magnitude = offset.unsigned_abs();
        (magnitude <= max).then_some(MemOffset {
            up: offset >= 0,
            magnitude,
        })
    }
}

fn r(x: R) -> u32 {
    assert!(x < 16, "core register {x}");
    x as u32
}

fn d(x: D) -> u32 {
    assert!(x < 16, "double register {x}");
    x as u32
}

/// `<op>{s} rd, rn, #imm`.
pub fn dp_imm(c: Cond, op: Dp, s: bool, rd: R, rn: R, imm: ArmImm) -> u32 {
    let s = s || op.is_test();
    c.bits() | 1 << 25 | (op as u32) << 21 | (s as u32) << 20 | op.fields(rd, rn) | imm.field()
}

/// `<op>{s} rd, rn, rm, <shift> #amount` (amount 0–31; `lsr`/`asr` #32 encode as 0).
#[allow(clippy::too_many_arguments)]
pub fn dp_reg(c: Cond, op: Dp, s: bool, rd: R, rn: R, rm: R, shift: Shift, amount: u32) -> u32 {
    assert!(amount < 32, "shift amount {amount}");
    let s = s || op.is_test();
    c.bits()
        | (op as u32) << 21
        | (s as u32) << 20
        | op.fields(rd, rn)
        | amount << 7
        | (shift as u32) << 5
        | r(rm)
}

/// `<op>{s} rd, rn, rm, <shift> rs` (the shift amount from the low byte of `rs`).
#[allow(clippy::too_many_arguments)]
pub fn dp_reg_shift(c: Cond, op: Dp, s: bool, rd: R, rn: R, rm: R, shift: Shift, rs: R) -> u32 {
    let s = s || op.is_test();
    c.bits()
        | (op as u32) << 21
        | (s as u32) << 20
        | op.fields(rd, rn)
        | r(rs) << 8
        | (shift as u32) << 5
        | 1 << 4
        | r(rm)
}

/// `movw rd, #imm16` (ARMv6T2+).
pub fn movw(c: Cond, rd: R, imm: u16) -> u32 {
    c.bits() | 0x0300_0000 | ((imm as u32) >> 12) << 16 | r(rd) << 12 | (imm as u32 & 0xfff)
}

/// `movt rd, #imm16` (ARMv6T2+).
pub fn movt(c: Cond, rd: R, imm: u16) -> u32 {
    c.bits() | 0x0340_0000 | ((imm as u32) >> 12) << 16 | r(rd) << 12 | (imm as u32 & 0xfff)
}

/// `ldr`/`str`/`ldrb`/`strb rt, [rn, #±imm12]`.
pub fn mem_imm(c: Cond, load: bool, byte: bool, rt: R, rn: R, off: MemOffset) -> u32 {
    assert!(off.magnitude < 4096, "offset {}", off.magnitude);
    c.bits()
        | 1 << 26
        | 1 << 24
        | (off.up as u32) << 23
        | (byte as u32) << 22
        | (load as u32) << 20
        | r(rn) << 16
        | r(rt) << 12
        | off.magnitude
}

/// `ldr`/`str`/`ldrb`/`strb rt, [rn, ±rm, lsl #amount]`.
#[allow(clippy::too_many_arguments)]
pub fn mem_reg(c: Cond, load: bool, byte: bool, rt: R, rn: R, up: bool, rm: R, lsl: u32) -> u32 {
    assert!(lsl < 32, "shift {lsl}");
    c.bits()
        | 3 << 25
        | 1 << 24
        | (up as u32) << 23
        | (byte as u32) << 22
        | (load as u32) << 20
        | r(rn) << 16
        | r(rt) << 12
        | lsl << 7
        | r(rm)
}

/// The halfword and doubleword loads and stores of the "extra load/store" group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Extra {
    Strh,
    Ldrh,
    Ldrsb,
    Ldrsh,
    Ldrd,
    Strd,
}

impl Extra {
    /// (L bit, SH bits).
    fn bits(self) -> (u32, u32) {
        match self {
            Extra::Strh => (0, 0b01),
            Extra::Ldrh => (1, 0b01),
            Extra::Ldrsb => (1, 0b10),
            Extra::Ldrsh => (1, 0b11),
            Extra::Ldrd => (0, 0b10),
            Extra::Strd => (0, 0b11),
        }
    }
}

/// `ldrh`/`strh`/`ldrsb`/`ldrsh`/`ldrd`/`strd rt, [rn, #±imm8]`.
pub fn mem_extra_imm(c: Cond, op: Extra, rt: R, rn: R, off: MemOffset) -> u32 {
    assert!(off.magnitude < 256, "offset {}", off.magnitude);
    let (l, sh) = op.bits();
    c.bits()
        | 1 << 24
        | (off.up as u32) << 23
        | 1 << 22
        | l << 20
        | r(rn) << 16
        | r(rt) << 12
        | (off.magnitude >> 4) << 8
        | 1 << 7
        | sh << 5
        | 1 << 4
        | (off.magnitude & 15)
}

/// `ldrh`/`strh`/`ldrsb`/`ldrsh`/`ldrd`/`strd rt, [rn, ±rm]`.
pub fn mem_extra_reg(c: Cond, op: Extra, rt: R, rn: R, up: bool, rm: R) -> u32 {
    let (l, sh) = op.bits();
    c.bits()
        | 1 << 24
        | (up as u32) << 23
        | l << 20
        | r(rn) << 16
        | r(rt) << 12
        | 1 << 7
        | sh << 5
        | 1 << 4
        | r(rm)
}

/// `mul rd, rn, rm`.
pub fn mul(c: Cond, s: bool, rd: R, rn: R, rm: R) -> u32 {
    c.bits() | (s as u32) << 20 | r(rd) << 16 | r(rm) << 8 | 0x90 | r(rn)
}

/// `mla rd, rn, rm, ra` (rd = ra + rn * rm).
pub fn mla(c: Cond, rd: R, rn: R, rm: R, ra: R) -> u32 {
    c.bits() | 1 << 21 | r(rd) << 16 | r(ra) << 12 | r(rm) << 8 | 0x90 | r(rn)
}

/// `umull`/`smull rdlo, rdhi, rn, rm`.
pub fn mull(c: Cond, signed: bool, rdlo: R, rdhi: R, rn: R, rm: R) -> u32 {
    c.bits()
        | 1 << 23
        | (signed as u32) << 22
        | r(rdhi) << 16
        | r(rdlo) << 12
        | r(rm) << 8
        | 0x90
        | r(rn)
}

/// `b`/`bl` with a word offset from the instruction's address + 8 (signed 24 bits).
pub fn branch(c: Cond, link: bool, words: i32) -> u32 {
    assert!(
        (-(1 << 23)..(1 << 23)).contains(&words),
        "branch offset {words}"
    );
    c.bits() | 0x0a00_0000 | (link as u32) << 24 | (words as u32 & 0x00ff_ffff)
}

/// `bx rm`.
pub fn bx(c: Cond, rm: R) -> u32 {
    c.bits() | 0x012f_ff10 | r(rm)
}

/// `blx rm`.
pub fn blx(c: Cond, rm: R) -> u32 {
    c.bits() | 0x012f_ff30 | r(rm)
}

/// `push {regs}` (`stmdb sp!`), registers as a bit mask.
pub fn push(c: Cond, regs: u16) -> u32 {
    c.bits() | 0x092d_0000 | regs as u32
}

/// `pop {regs}` (`ldmia sp!`), registers as a bit mask.
pub fn pop(c: Cond, regs: u16) -> u32 {
    c.bits() | 0x08bd_0000 | regs as u32
}

/// `vpush {d<first>-d<first + count - 1>}` (`vstmdb sp!`), `count` in 1..=16.
pub fn vpush(c: Cond, first: D, count: u8) -> u32 {
    vstack(c, 0x0d2d_0b00, first, count)
}

/// `vpop {d<first>-d<first + count - 1>}` (`vldmia sp!`), `count` in 1..=16.
pub fn vpop(c: Cond, first: D, count: u8) -> u32 {
    vstack(c, 0x0cbd_0b00, first, count)
}

/// `vpush`/`vpop` (`op`): the register range in D:Vd and imm8 = 2 × count.
fn vstack(c: Cond, op: u32, first: D, count: u8) -> u32 {
    assert!((1..=16).contains(&count) && first as u32 + count as u32 <= 32);
    c.bits() | op | ((first as u32) >> 4) << 22 | (first as u32 & 15) << 12 | (2 * count as u32)
}

/// `vldr`/`vstr dd, [rn, #±imm]` (a multiple of 4, at most 1020).
pub fn vmem(c: Cond, load: bool, dd: D, rn: R, off: MemOffset) -> u32 {
    assert!(
        off.magnitude.is_multiple_of(4) && off.magnitude <= 1020,
        "offset {}",
        off.magnitude
    );
    c.bits()
        | 0x0d00_0b00
        | (off.up as u32) << 23
        | (load as u32) << 20
        | r(rn) << 16
        | d(dd) << 12
        | (off.magnitude / 4)
}

/// VFP double-precision arithmetic with two sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Vop {
    Add,
    Sub,
    Mul,
    Div,
    /// `dd = dd + dn * dm`, the product rounded first (not fused).
    Mla,
    /// `dd = dd - dn * dm`, the product rounded first (not fused).
    Mls,
}

/// `vadd`/`vsub`/`vmul`/`vdiv`/`vmla`/`vmls.f64 dd, dn, dm`.
pub fn vop(c: Cond, op: Vop, dd: D, dn: D, dm: D) -> u32 {
    let base = match op {
        Vop::Add => 0x0e30_0b00,
        Vop::Sub => 0x0e30_0b40,
        Vop::Mul => 0x0e20_0b00,
        Vop::Div => 0x0e80_0b00,
        Vop::Mla => 0x0e00_0b00,
        Vop::Mls => 0x0e00_0b40,
    };
    c.bits() | base | d(dn) << 16 | d(dd) << 12 | d(dm)
}

/// One-source VFP double operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Vun {
    Mov,
    Abs,
    Neg,
    Sqrt,
}

/// `vmov`/`vabs`/`vneg`/`vsqrt.f64 dd, dm`.
pub fn vun(c: Cond, op: Vun, dd: D, dm: D) -> u32 {
    let base = match op {
        Vun::Mov => 0x0eb0_0b40,
        Vun::Abs => 0x0eb0_0bc0,
        Vun::Neg => 0x0eb1_0b40,
        Vun::Sqrt => 0x0eb1_0bc0,
    };
    c.bits() | base | d(dd) << 12 | d(dm)
}

/// `vcmp.f64 dd, dm` (quiet: no exception on quiet NaNs).
pub fn vcmp(c: Cond, dd: D, dm: D) -> u32 {
    c.bits() | 0x0eb4_0b40 | d(dd) << 12 | d(dm)
}

/// `vmrs APSR_nzcv, fpscr`: the comparison's flags to the core.
pub fn vmrs_flags(c: Cond) -> u32 {
    c.bits() | 0x0ef1_fa10
}

/// `vmov dm, rt, rt2` (core pair to double).
pub fn vmov_to_d(c: Cond, dm: D, rt: R, rt2: R) -> u32 {
    c.bits() | 0x0c40_0b10 | r(rt2) << 16 | r(rt) << 12 | d(dm)
}

/// `vmov rt, rt2, dm` (double to core pair).
pub fn vmov_from_d(c: Cond, rt: R, rt2: R, dm: D) -> u32 {
    c.bits() | 0x0c50_0b10 | r(rt2) << 16 | r(rt) << 12 | d(dm)
}

/// `vmov sn, rt` (core to single, for conversions); `sn` is 0–31.
pub fn vmov_to_s(c: Cond, sn: u8, rt: R) -> u32 {
    assert!(sn < 32, "single register {sn}");
    let sn = sn as u32;
    c.bits() | 0x0e00_0a10 | (sn >> 1) << 16 | r(rt) << 12 | (sn & 1) << 7
}

/// `vmov rt, sn` (single to core).
pub fn vmov_from_s(c: Cond, rt: R, sn: u8) -> u32 {
    assert!(sn < 32, "single register {sn}");
    let sn = sn as u32;
    c.bits() | 0x0e10_0a10 | (sn >> 1) << 16 | r(rt) << 12 | (sn & 1) << 7
}

/// `vcvt.f64.s32 dd, sm` (exact).
pub fn vcvt_f64_s32(c: Cond, dd: D, sm: u8) -> u32 {
    assert!(sm < 32, "single register {sm}");
    let sm = sm as u32;
    c.bits() | 0x0eb8_0bc0 | d(dd) << 12 | (sm & 1) << 5 | sm >> 1
}

/// `sxtb`/`uxtb`/`sxth`/`uxth rd, rm` (ARMv6 and later): the low `bits` of `rm` sign- or
/// zero-extended.
pub fn extend(c: Cond, bits: u32, signed: bool, rd: R, rm: R) -> u32 {
    let op = match (bits, signed) {
        (8, true) => 0x06af_0070,
        (8, false) => 0x06ef_0070,
        (16, true) => 0x06bf_0070,
        _ => 0x06ff_0070,
    };
    c.bits() | op | r(rd) << 12 | r(rm)
}

/// `vcvt.f32.f64 sd, dm` (round to nearest under the FPSCR's default mode).
pub fn vcvt_f32_f64(c: Cond, sd: u8, dm: D) -> u32 {
    assert!(sd < 32, "single register {sd}");
    let sd = sd as u32;
    c.bits() | 0x0eb7_0bc0 | (sd & 1) << 22 | (sd >> 1) << 12 | d(dm)
}

/// `vcvt.f64.f32 dd, sm` (exact).
pub fn vcvt_f64_f32(c: Cond, dd: D, sm: u8) -> u32 {
    assert!(sm < 32, "single register {sm}");
    let sm = sm as u32;
    c.bits() | 0x0eb7_0ac0 | d(dd) << 12 | (sm & 1) << 5 | sm >> 1
}

/// `vcvt.s32.f64 sd, dm` (round toward zero, saturating; NaN gives 0).
pub fn vcvt_s32_f64(c: Cond, sd: u8, dm: D) -> u32 {
    assert!(sd < 32, "single register {sd}");
    let sd = sd as u32;
    c.bits() | 0x0ebd_0bc0 | (sd & 1) << 22 | (sd >> 1) << 12 | d(dm)
}
