//! Encoder round trips, for fuzzing: bytes pick an instruction form and its operands, our
//! encoder (backend-arm's A32/VFP, backend-aarch64's A64 or backend-x86's) encodes it, and
//! an independent decoder (capstone for ARM and AArch64, iced-x86 for x86-64) must read
//! back exactly that instruction — the
//! same operation, condition, flag setting, registers, immediates and addressing — from
//! exactly the bytes produced. The emit tables pin one row per form; these functions range
//! over every operand the encoders' APIs accept.
//!
//! Both sides are reduced to a mnemonic and operand strings in one spelling of our own, so
//! a disagreement reads like `expected add r0, r1, #0x10, decoded add r0, r1, #0x1`.

use backend_aarch64::enc as a64;
use backend_arm::enc as a32;
use backend_x86::enc as x64;
use capstone::arch::arm::{ArchMode, ArmOperandType, ArmShift};
use capstone::arch::ArchDetail;
use capstone::prelude::*;
use jit_testkit::gen::Choices;

/// An instruction as a mnemonic and its operands, in one spelling for both sides.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Insn {
    mnemonic: String,
    operands: Vec<String>,
}

impl std::fmt::Display for Insn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.mnemonic, self.operands.join(", "))
    }
}

fn insn(mnemonic: impl Into<String>, operands: &[String]) -> Insn {
    Insn {
        mnemonic: mnemonic.into(),
        operands: operands.to_vec(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------- ARM (A32 and VFP)

const CORE: [&str; 16] = [
    "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "sb", "sl", "fp", "ip", "sp", "lr", "pc",
];

fn core(r: u8) -> String {
    CORE[r as usize].to_string()
}

fn dreg(d: u8) -> String {
    format!("d{d}")
}

fn sreg(s: u8) -> String {
    format!("s{s}")
}

fn arm_imm(v: u32) -> String {
    format!("#{v:#x}")
}

const CONDS: [(a32::Cond, &str); 15] = {
    use a32::Cond::*;
    [
        (Eq, "eq"),
        (Ne, "ne"),
        (Hs, "hs"),
        (Lo, "lo"),
        (Mi, "mi"),
        (Pl, "pl"),
        (Vs, "vs"),
        (Vc, "vc"),
        (Hi, "hi"),
        (Ls, "ls"),
        (Ge, "ge"),
        (Lt, "lt"),
        (Gt, "gt"),
        (Le, "le"),
        (Al, ""),
    ]
};

const DPS: [(a32::Dp, &str); 16] = {
    use a32::Dp::*;
    [
        (And, "and"),
        (Eor, "eor"),
        (Sub, "sub"),
        (Rsb, "rsb"),
        (Add, "add"),
        (Adc, "adc"),
        (Sbc, "sbc"),
        (Rsc, "rsc"),
        (Tst, "tst"),
        (Teq, "teq"),
        (Cmp, "cmp"),
        (Cmn, "cmn"),
        (Orr, "orr"),
        (Mov, "mov"),
        (Bic, "bic"),
        (Mvn, "mvn"),
    ]
};

const SHIFTS: [(a32::Shift, &str); 4] = [
    (a32::Shift::Lsl, "lsl"),
    (a32::Shift::Lsr, "lsr"),
    (a32::Shift::Asr, "asr"),
    (a32::Shift::Ror, "ror"),
];

/// A register shifted by an immediate, as the hardware reads the encoding: `lsr`/`asr` #0
/// mean #32 and `ror` #0 means `rrx` (the encoder's documented contract).
fn shifted(rm: u8, shift: usize, amount: u32) -> String {
    let name = SHIFTS[shift].1;
    match (name, amount) {
        ("lsl", 0) => core(rm),
        ("ror", 0) => format!("{} rrx", core(rm)),
        ("lsr" | "asr", 0) => format!("{} {name} #32", core(rm)),
        _ => format!("{} {name} #{amount}", core(rm)),
    }
}

/// Where the condition goes: capstone spells `adds` + `eq` as `addseq`.
fn mnemonic(base: &str, s: bool, c: usize) -> String {
    format!("{base}{}{}", if s { "s" } else { "" }, CONDS[c].1)
}

fn mem_disp(rn: u8, off: i32) -> String {
    format!("[{}, #{off}]", core(rn))
}

/// A random A32 or VFP instruction from `c`: its encoding and what it must decode to.
fn arm_case(c: &mut Choices) -> (u32, Insn) {
    let cond = c.below(15);
    let cc = CONDS[cond].0;
    // r0–r14: pc as an operand turns most forms into other instructions (adr, branches).
    let reg = |c: &mut Choices| c.below(15) as u8;
    match c.below(25) {
        24 => {
            let (bits, signed) = ([8u32, 16][c.below(2)], c.chance(50));
            let (rd, rm) = (reg(c), reg(c));
            let base = match (bits, signed) {
                (8, true) => "sxtb",
                (8, false) => "uxtb",
                (16, true) => "sxth",
                _ => "uxth",
            };
            (
                a32::extend(cc, bits, signed, rd, rm),
                insn(mnemonic(base, false, cond), &[core(rd), core(rm)]),
            )
        }
        0 => {
            let (op, name) = DPS[c.below(16)];
            let s = c.chance(50);
            let (rd, rn) = (reg(c), reg(c));
            let v = (c.u32() & 0xff).rotate_right(2 * c.below(16) as u32);
            let word = a32::dp_imm(
                cc,
                op,
                s,
                rd,
                rn,
                a32::ArmImm::encode(v).expect("encodable"),
            );
            let e = match name {
                "mov" | "mvn" => insn(mnemonic(name, s, cond), &[core(rd), arm_imm(v)]),
                "tst" | "teq" | "cmp" | "cmn" => {
                    insn(mnemonic(name, false, cond), &[core(rn), arm_imm(v)])
                }
                _ => insn(mnemonic(name, s, cond), &[core(rd), core(rn), arm_imm(v)]),
            };
            (word, e)
        }
        1 => {
            let (op, name) = DPS[c.below(16)];
            let s = c.chance(50);
            let (rd, rn, rm) = (reg(c), reg(c), reg(c));
            let shift = c.below(4);
            let amount = c.below(32) as u32;
            let word = a32::dp_reg(cc, op, s, rd, rn, rm, SHIFTS[shift].0, amount);
            let e = match name {
                "mov" => {
                    let sname = SHIFTS[shift].1;
                    match (sname, amount) {
                        ("lsl", 0) => insn(mnemonic("mov", s, cond), &[core(rd), core(rm)]),
                        ("ror", 0) => insn(mnemonic("rrx", s, cond), &[core(rd), core(rm)]),
                        _ => insn(
                            mnemonic(sname, s, cond),
                            &[core(rd), shifted(rm, shift, amount)],
                        ),
                    }
                }
                "mvn" => insn(
                    mnemonic(name, s, cond),
                    &[core(rd), shifted(rm, shift, amount)],
                ),
                "tst" | "teq" | "cmp" | "cmn" => insn(
                    mnemonic(name, false, cond),
                    &[core(rn), shifted(rm, shift, amount)],
                ),
                _ => insn(
                    mnemonic(name, s, cond),
                    &[core(rd), core(rn), shifted(rm, shift, amount)],
                ),
            };
            (word, e)
        }
        2 => {
            let (op, name) = DPS[c.below(16)];
            let s = c.chance(50);
            let (rd, rn, rm, rs) = (reg(c), reg(c), reg(c), reg(c));
            let shift = c.below(4);
            let sname = SHIFTS[shift].1;
            let word = a32::dp_reg_shift(cc, op, s, rd, rn, rm, SHIFTS[shift].0, rs);
            let by = format!("{} {sname} {}", core(rm), core(rs));
            let e = match name {
                "mov" => insn(mnemonic(sname, s, cond), &[core(rd), core(rm), core(rs)]),
                "mvn" => insn(mnemonic(name, s, cond), &[core(rd), by]),
                "tst" | "teq" | "cmp" | "cmn" => insn(mnemonic(name, false, cond), &[core(rn), by]),
                _ => insn(mnemonic(name, s, cond), &[core(rd), core(rn), by]),
            };
            (word, e)
        }
        3 | 4 => {
            let rd = reg(c);
            let v = c.u32() as u16;
            let (word, name) = if c.chance(50) {
                (a32::movw(cc, rd, v), "movw")
            } else {
                (a32::movt(cc, rd, v), "movt")
            };
            (
                word,
                insn(mnemonic(name, false, cond), &[core(rd), arm_imm(v as u32)]),
            )
        }
        5 => {
            let (load, byte) = (c.chance(50), c.chance(50));
            let rt = reg(c);
            // Loads may be pc-relative (literal pools).
            let rn = if load && c.chance(20) { 15 } else { reg(c) };
            let off = c.below(8191) as i32 - 4095;
            let word = a32::mem_imm(
                cc,
                load,
                byte,
                rt,
                rn,
                a32::MemOffset::new(off, 4095).expect("in range"),
            );
            let name = format!(
                "{}{}",
                if load { "ldr" } else { "str" },
                if byte { "b" } else { "" }
            );
            (
                word,
                insn(mnemonic(&name, false, cond), &[core(rt), mem_disp(rn, off)]),
            )
        }
        6 => {
            let (load, byte, up) = (c.chance(50), c.chance(50), c.chance(50));
            let (rt, rn, rm) = (reg(c), reg(c), reg(c));
            let lsl = c.below(32) as u32;
            let word = a32::mem_reg(cc, load, byte, rt, rn, up, rm, lsl);
            let name = format!(
                "{}{}",
                if load { "ldr" } else { "str" },
                if byte { "b" } else { "" }
            );
            let index = format!(
                "{}{}{}",
                if up { "" } else { "-" },
                core(rm),
                if lsl == 0 {
                    String::new()
                } else {
                    format!(" lsl #{lsl}")
                }
            );
            let mem = format!("[{}, {index}]", core(rn));
            (word, insn(mnemonic(&name, false, cond), &[core(rt), mem]))
        }
        7 | 8 => {
            use a32::Extra::*;
            let (op, name) = [
                (Strh, "strh"),
                (Ldrh, "ldrh"),
                (Ldrsb, "ldrsb"),
                (Ldrsh, "ldrsh"),
                (Ldrd, "ldrd"),
                (Strd, "strd"),
            ][c.below(6)];
            let pair = matches!(op, Ldrd | Strd);
            // A doubleword pair starts at an even register below lr.
            let rt = if pair { 2 * c.below(7) as u8 } else { reg(c) };
            let rn = reg(c);
            let mut ops = vec![core(rt)];
            if pair {
                ops.push(core(rt + 1));
            }
            let word = if c.chance(50) {
                let off = c.below(511) as i32 - 255;
                ops.push(mem_disp(rn, off));
                let off = a32::MemOffset::new(off, 255).expect("in range");
                a32::mem_extra_imm(cc, op, rt, rn, off)
            } else {
                let (up, rm) = (c.chance(50), reg(c));
                ops.push(format!(
                    "[{}, {}{}]",
                    core(rn),
                    if up { "" } else { "-" },
                    core(rm)
                ));
                a32::mem_extra_reg(cc, op, rt, rn, up, rm)
            };
            (word, insn(mnemonic(name, false, cond), &ops))
        }
        9 => {
            let s = c.chance(50);
            let (rd, rn, rm) = (reg(c), reg(c), reg(c));
            let word = a32::mul(cc, s, rd, rn, rm);
            (
                word,
                insn(mnemonic("mul", s, cond), &[core(rd), core(rn), core(rm)]),
            )
        }
        10 => {
            let (rd, rn, rm, ra) = (reg(c), reg(c), reg(c), reg(c));
            let word = a32::mla(cc, rd, rn, rm, ra);
            let ops = [core(rd), core(rn), core(rm), core(ra)];
            (word, insn(mnemonic("mla", false, cond), &ops))
        }
        11 => {
            let signed = c.chance(50);
            let (lo, hi, rn, rm) = (reg(c), reg(c), reg(c), reg(c));
            let word = a32::mull(cc, signed, lo, hi, rn, rm);
            let name = if signed { "smull" } else { "umull" };
            (
                word,
                insn(
                    mnemonic(name, false, cond),
                    &[core(lo), core(hi), core(rn), core(rm)],
                ),
            )
        }
        12 => {
            let link = c.chance(50);
            let words = (c.u32() as i32) >> 8;
            let word = a32::branch(cc, link, words);
            let target = (8 + 4 * words as i64) as u32;
            let name = if link { "bl" } else { "b" };
            (word, insn(mnemonic(name, false, cond), &[arm_imm(target)]))
        }
        13 => {
            let rm = reg(c);
            let (word, name) = if c.chance(50) {
                (a32::bx(cc, rm), "bx")
            } else {
                (a32::blx(cc, rm), "blx")
            };
            (word, insn(mnemonic(name, false, cond), &[core(rm)]))
        }
        14 => {
            // At least two registers (one is another encoding), never sp; pop may end in
            // pc instead of lr, push never stores pc.
            let push = c.chance(50);
            let mut mask = c.u32() as u16 & !(1 << 13) & !(1 << 15);
            if !push && mask & 1 << 14 != 0 && c.chance(50) {
                mask = mask & !(1 << 14) | 1 << 15;
            }
            // Past the end of the bytes every choice is 0: step on so this ends.
            let mut k = 0;
            while mask.count_ones() < 2 {
                mask |= 1 << ((c.below(13) + k) % 13);
                k += 1;
            }
            let regs: Vec<String> = (0..16u8).filter(|r| mask & 1 << r != 0).map(core).collect();
            let (word, name) = if push {
                (a32::push(cc, mask), "push")
            } else {
                (a32::pop(cc, mask), "pop")
            };
            (word, insn(mnemonic(name, false, cond), &regs))
        }
        15 => {
            let load = c.chance(50);
            let (dd, rn) = (c.below(16) as u8, reg(c));
            let off = 4 * (c.below(511) as i32 - 255);
            let word = a32::vmem(
                cc,
                load,
                dd,
                rn,
                a32::MemOffset::new(off, 1020).expect("in range"),
            );
            let name = if load { "vldr" } else { "vstr" };
            (
                word,
                insn(mnemonic(name, false, cond), &[dreg(dd), mem_disp(rn, off)]),
            )
        }
        16 => {
            use a32::Vop::*;
            let (op, name) =
                [(Add, "vadd"), (Sub, "vsub"), (Mul, "vmul"), (Div, "vdiv")][c.below(4)];
            let (dd, dn, dm) = (c.below(16) as u8, c.below(16) as u8, c.below(16) as u8);
            let word = a32::vop(cc, op, dd, dn, dm);
            let name = format!("{}.f64", mnemonic(name, false, cond));
            (word, insn(name, &[dreg(dd), dreg(dn), dreg(dm)]))
        }
        17 => {
            use a32::Vun::*;
            let (op, name) =
                [(Mov, "vmov"), (Abs, "vabs"), (Neg, "vneg"), (Sqrt, "vsqrt")][c.below(4)];
            let (dd, dm) = (c.below(16) as u8, c.below(16) as u8);
            let word = a32::vun(cc, op, dd, dm);
            let name = format!("{}.f64", mnemonic(name, false, cond));
            (word, insn(name, &[dreg(dd), dreg(dm)]))
        }
        18 => {
            let (dd, dm) = (c.below(16) as u8, c.below(16) as u8);
            let word = a32::vcmp(cc, dd, dm);
            let name = format!("{}.f64", mnemonic("vcmp", false, cond));
            (word, insn(name, &[dreg(dd), dreg(dm)]))
        }
        19 => {
            let word = a32::vmrs_flags(cc);
            let ops = ["apsr_nzcv".to_string(), "fpscr".to_string()];
            (word, insn(mnemonic("vmrs", false, cond), &ops))
        }
        20 => {
            let dm = c.below(16) as u8;
            let rt = reg(c);
            // Reading a pair into one register twice is UNPREDICTABLE.
            let rt2 = (rt + 1 + c.below(13) as u8) % 15;
            let name = mnemonic("vmov", false, cond);
            if c.chance(50) {
                (
                    a32::vmov_to_d(cc, dm, rt, rt2),
                    insn(name, &[dreg(dm), core(rt), core(rt2)]),
                )
            } else {
                (
                    a32::vmov_from_d(cc, rt, rt2, dm),
                    insn(name, &[core(rt), core(rt2), dreg(dm)]),
                )
            }
        }
        21 => {
            let (sn, rt) = (c.below(32) as u8, reg(c));
            let name = mnemonic("vmov", false, cond);
            if c.chance(50) {
                (
                    a32::vmov_to_s(cc, sn, rt),
                    insn(name, &[sreg(sn), core(rt)]),
                )
            } else {
                (
                    a32::vmov_from_s(cc, rt, sn),
                    insn(name, &[core(rt), sreg(sn)]),
                )
            }
        }
        _ => {
            let (dd, sm) = (c.below(16) as u8, c.below(32) as u8);
            if c.chance(34) {
                let single = c.chance(50);
                if single {
                    let name = format!("{}.f32.f64", mnemonic("vcvt", false, cond));
                    (
                        a32::vcvt_f32_f64(cc, sm, dd),
                        insn(name, &[sreg(sm), dreg(dd)]),
                    )
                } else {
                    let name = format!("{}.f64.f32", mnemonic("vcvt", false, cond));
                    (
                        a32::vcvt_f64_f32(cc, dd, sm),
                        insn(name, &[dreg(dd), sreg(sm)]),
                    )
                }
            } else if c.chance(50) {
                let name = format!("{}.f64.s32", mnemonic("vcvt", false, cond));
                (
                    a32::vcvt_f64_s32(cc, dd, sm),
                    insn(name, &[dreg(dd), sreg(sm)]),
                )
            } else {
                let name = format!("{}.s32.f64", mnemonic("vcvt", false, cond));
                (
                    a32::vcvt_s32_f64(cc, sm, dd),
                    insn(name, &[sreg(sm), dreg(dd)]),
                )
            }
        }
    }
}

/// What capstone reads from `word`, in our spelling.
fn arm_decode(cs: &Capstone, word: u32) -> Result<Insn, String> {
    let bytes = word.to_le_bytes();
    let insns = cs
        .disasm_all(&bytes, 0)
        .map_err(|e| format!("capstone: {e}"))?;
    let i = insns
        .iter()
        .next()
        .ok_or_else(|| format!("capstone decodes nothing from {word:08x}"))?;
    let detail = cs.insn_detail(i).map_err(|e| format!("capstone: {e}"))?;
    // Other architectures' details exist when another crate of the build enables them
    // (backend-aarch64's tests enable arm64), so this is refutable in some builds only.
    #[allow(irrefutable_let_patterns)]
    let ArchDetail::ArmDetail(arm) = detail.arch_detail() else {
        return Err(format!("capstone gives no A32 detail for {word:08x}"));
    };
    let name = |r: RegId| cs.reg_name(r).unwrap_or_else(|| format!("reg{}", r.0));
    let shift = |s: ArmShift| match s {
        ArmShift::Invalid => String::new(),
        ArmShift::Lsl(n) => format!(" lsl #{n}"),
        ArmShift::Lsr(n) => format!(" lsr #{n}"),
        ArmShift::Asr(n) => format!(" asr #{n}"),
        ArmShift::Ror(n) => format!(" ror #{n}"),
        ArmShift::Rrx(_) => " rrx".to_string(),
        ArmShift::LslReg(r) => format!(" lsl {}", name(r)),
        ArmShift::LsrReg(r) => format!(" lsr {}", name(r)),
        ArmShift::AsrReg(r) => format!(" asr {}", name(r)),
        ArmShift::RorReg(r) => format!(" ror {}", name(r)),
        ArmShift::RrxReg(r) => format!(" rrx {}", name(r)),
    };
    let operands = arm
        .operands()
        .map(|o| match o.op_type {
            ArmOperandType::Reg(r) => format!("{}{}", name(r), shift(o.shift)),
            ArmOperandType::Imm(v) => arm_imm(v as u32),
            ArmOperandType::Mem(m) if m.index().0 != 0 => format!(
                "[{}, {}{}{}]",
                name(m.base()),
                if o.subtracted { "-" } else { "" },
                name(m.index()),
                shift(o.shift)
            ),
            // Without an index register the displacement carries its sign.
            ArmOperandType::Mem(m) => format!("[{}, #{}]", name(m.base()), m.disp()),
            other => format!("{other:?}"),
        })
        .collect();
    Ok(Insn {
        mnemonic: i.mnemonic().unwrap_or("?").to_string(),
        operands,
    })
}

thread_local! {
    static CAPSTONE: Capstone = Capstone::new()
        .arm()
        .mode(ArchMode::Arm)
        .detail(true)
        .build()
        .expect("capstone builds for ARM");
}

/// One ARM round trip drawn from `data`: `Err` describes a disagreement.
pub fn arm(data: &[u8]) -> Result<(), String> {
    let mut c = Choices::new(data);
    let (word, want) = arm_case(&mut c);
    let got = CAPSTONE.with(|cs| arm_decode(cs, word))?;
    if got != want {
        return Err(format!(
            "A32 encoder: {word:08x} should be `{want}`, capstone reads `{got}`"
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- x86-64

fn gpr(r: u8, bits: u8) -> String {
    const Q: [&str; 16] = [
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15",
    ];
    const D: [&str; 8] = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
    const W: [&str; 8] = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"];
    const B: [&str; 8] = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"];
    let r = r as usize;
    match (bits, r) {
        (64, _) => Q[r].to_string(),
        (32, 0..=7) => D[r].to_string(),
        (32, _) => format!("r{r}d"),
        (16, 0..=7) => W[r].to_string(),
        (16, _) => format!("r{r}w"),
        (_, 0..=7) => B[r].to_string(),
        _ => format!("r{r}l"),
    }
}

fn xmm(r: u8) -> String {
    format!("xmm{r}")
}

fn x_imm(v: i64, bits: u8) -> String {
    let mask = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    format!("{:#x}", v as u64 & mask)
}

fn x_mem(m: &x64::Mem, bytes: u8) -> String {
    match *m {
        x64::Mem::Base { base, index, disp } => {
            let index = index.map_or(String::new(), |(i, s)| format!("+{}*{s}", gpr(i, 64)));
            format!("{bytes}[{}{index}{:+}]", gpr(base, 64), disp)
        }
        x64::Mem::Rip => unreachable!("rip operands are spelled by the caller"),
    }
}

fn random_mem(c: &mut Choices) -> x64::Mem {
    let base = c.below(16) as u8;
    let disp = match c.below(4) {
        0 => 0,
        1 => c.u32() as i8 as i32,
        _ => c.u32() as i32,
    };
    let index = c.chance(40).then(|| {
        // rsp cannot be an index.
        let i = [0u8, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15][c.below(15)];
        (i, [1u8, 2, 4, 8][c.below(4)])
    });
    x64::Mem::Base { base, index, disp }
}

const ALUS: [(x64::Alu, &str); 8] = {
    use x64::Alu::*;
    [
        (Add, "add"),
        (Or, "or"),
        (Adc, "adc"),
        (Sbb, "sbb"),
        (And, "and"),
        (Sub, "sub"),
        (Xor, "xor"),
        (Cmp, "cmp"),
    ]
};

const X_CONDS: [&str; 16] = [
    "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g",
];

/// A random x86-64 instruction from `c`: its bytes and what it must decode to (any of a
/// few spellings where the encoder may choose the form).
fn x86_case(c: &mut Choices) -> (Vec<u8>, Vec<Insn>) {
    let mut out = Vec::new();
    let mut e = x64::Enc(&mut out);
    let w = c.chance(50);
    let bits = if w { 64 } else { 32 };
    let r = |c: &mut Choices| c.below(16) as u8;
    let rm_of = |c: &mut Choices, size: u8, as_xmm: bool| -> (x64::Rm, String) {
        if c.chance(50) {
            let m = random_mem(c);
            (x64::Rm::Mem(m), x_mem(&m, size / 8))
        } else {
            let x = c.below(16) as u8;
            (x64::Rm::Reg(x), if as_xmm { xmm(x) } else { gpr(x, size) })
        }
    };
    let want: Vec<Insn> = match c.below(36) {
        0 => {
            let (op, name) = ALUS[c.below(8)];
            let (d, s) = (r(c), r(c));
            e.alu_rr(op, w, d, s);
            vec![insn(name, &[gpr(d, bits), gpr(s, bits)])]
        }
        1 => {
            let (op, name) = ALUS[c.below(8)];
            let (d, m) = (r(c), random_mem(c));
            e.alu_rm(op, w, d, m);
            vec![insn(name, &[gpr(d, bits), x_mem(&m, bits / 8)])]
        }
        2 => {
            let (op, name) = ALUS[c.below(8)];
            let imm = if c.chance(50) {
                c.u32() as i8 as i32
            } else {
                c.u32() as i32
            };
            let (dst, text) = rm_of(c, bits, false);
            e.alu_ri(op, w, dst, imm);
            vec![insn(name, &[text, x_imm(imm as i64, bits)])]
        }
        3 => {
            let (d, s) = (r(c), r(c));
            e.mov_rr(w, d, s);
            vec![insn("mov", &[gpr(d, bits), gpr(s, bits)])]
        }
        4 => {
            let (d, m) = (r(c), random_mem(c));
            e.load(w, d, m);
            vec![insn("mov", &[gpr(d, bits), x_mem(&m, bits / 8)])]
        }
        5 => {
            let size = [8u8, 16, 32, 64][c.below(4)];
            let (s, m) = (r(c), random_mem(c));
            e.store(size, m, s);
            vec![insn("mov", &[x_mem(&m, size / 8), gpr(s, size)])]
        }
        6 => {
            let size = [8u8, 16, 32, 64][c.below(4)];
            let (m, imm) = (random_mem(c), c.u32() as i32);
            e.store_imm(size, m, imm);
            vec![insn("mov", &[x_mem(&m, size / 8), x_imm(imm as i64, size)])]
        }
        7 => {
            let d = r(c);
            let imm = match c.below(3) {
                0 => c.u32() as i64,
                1 => c.u32() as i32 as i64,
                _ => (c.u32() as i64) << 32 | c.u32() as i64,
            };
            e.mov_ri(d, imm);
            // Any form that leaves the full register equal to `imm`.
            let mut forms = vec![insn("mov", &[gpr(d, 64), x_imm(imm, 64)])];
            if u32::try_from(imm).is_ok() {
                forms.push(insn("mov", &[gpr(d, 32), x_imm(imm, 32)]));
            }
            forms
        }
        8 => {
            let (size, signed) = ([8u8, 16][c.below(2)], c.chance(50));
            let (d, m) = (r(c), random_mem(c));
            e.load_ext(size, signed, d, m);
            let name = if signed { "movsx" } else { "movzx" };
            vec![insn(name, &[gpr(d, 32), x_mem(&m, size / 8)])]
        }
        9 => {
            let (d, s) = (r(c), r(c));
            e.movzx_rr8(d, s);
            vec![insn("movzx", &[gpr(d, 32), gpr(s, 8)])]
        }
        10 => {
            let d = r(c);
            let (src, text) = rm_of(c, 32, false);
            e.movsxd(d, src);
            vec![insn("movsxd", &[gpr(d, 64), text])]
        }
        11 => {
            let d = r(c);
            let (src, text) = rm_of(c, 32, false);
            e.mov32(d, src);
            vec![insn("mov", &[gpr(d, 32), text])]
        }
        12 => {
            let d = r(c);
            let (src, text) = rm_of(c, bits, false);
            if c.chance(50) {
                e.imul_rr(w, d, src);
                vec![insn("imul", &[gpr(d, bits), text])]
            } else {
                let imm = c.u32() as i32;
                e.imul_rri(w, d, src, imm);
                vec![insn("imul", &[gpr(d, bits), text, x_imm(imm as i64, bits)])]
            }
        }
        13 => {
            use x64::Shift::*;
            let (op, name) = [(Shl, "shl"), (Shr, "shr"), (Sar, "sar")][c.below(3)];
            let d = r(c);
            if c.chance(50) {
                e.shift_cl(op, w, d);
                vec![insn(name, &[gpr(d, bits), "cl".into()])]
            } else {
                let n = c.u32() as u8;
                e.shift_ri(op, w, d, n);
                vec![insn(name, &[gpr(d, bits), x_imm(n as i64, 8)])]
            }
        }
        14 => {
            let d = r(c);
            let name = match c.below(5) {
                0 => {
                    e.neg(w, d);
                    "neg"
                }
                1 => {
                    e.not(w, d);
                    "not"
                }
                2 => {
                    e.mul(w, d);
                    "mul"
                }
                3 => {
                    e.div(w, true, d);
                    "idiv"
                }
                _ => {
                    e.div(w, false, d);
                    "div"
                }
            };
            vec![insn(name, &[gpr(d, bits)])]
        }
        15 => {
            let (a, b) = (r(c), r(c));
            e.test_rr(w, a, b);
            vec![insn("test", &[gpr(a, bits), gpr(b, bits)])]
        }
        16 => {
            e.sign_extend_ax(w);
            vec![insn(if w { "cqo" } else { "cdq" }, &[])]
        }
        17 => {
            let (k, d) = (c.below(16), r(c));
            e.setcc(x64::Cond::from_bits(k as u8), d);
            vec![insn(format!("set{}", X_CONDS[k]), &[gpr(d, 8)])]
        }
        18 => {
            let (op, name) = [(x64::Alu::And, "and"), (x64::Alu::Or, "or")][c.below(2)];
            let (d, s) = (r(c), r(c));
            e.alu_rr8(op, d, s);
            vec![insn(name, &[gpr(d, 8), gpr(s, 8)])]
        }
        19 => {
            let k = c.below(16);
            let cond = x64::Cond::from_bits(k as u8);
            let name = format!("j{}", X_CONDS[k]);
            let target = if c.chance(50) {
                let at = e.jcc(cond) as usize;
                let rel = c.u32() as i32;
                out[at..at + 4].copy_from_slice(&rel.to_le_bytes());
                out.len() as i64 + rel as i64
            } else {
                let rel = c.u32() as i8;
                e.jcc8(cond, rel);
                2 + rel as i64
            };
            vec![insn(name, &[x_imm(target, 64)])]
        }
        20 => {
            let target = if c.chance(50) {
                let at = e.jmp() as usize;
                let rel = c.u32() as i32;
                out[at..at + 4].copy_from_slice(&rel.to_le_bytes());
                out.len() as i64 + rel as i64
            } else {
                let rel = c.u32() as i8;
                e.jmp8(rel);
                2 + rel as i64
            };
            vec![insn("jmp", &[x_imm(target, 64)])]
        }
        21 => {
            let d = r(c);
            let name = match c.below(3) {
                0 => {
                    e.call_r(d);
                    "call"
                }
                1 => {
                    e.push(d);
                    "push"
                }
                _ => {
                    e.pop(d);
                    "pop"
                }
            };
            vec![insn(name, &[gpr(d, 64)])]
        }
        22 => {
            e.ret();
            vec![insn("ret", &[])]
        }
        23 => {
            let d = c.below(16) as u8;
            if c.chance(25) {
                let at = e.movsd_load(d, x64::Rm::Mem(x64::Mem::Rip)).expect("rip") as usize;
                let rel = c.u32() as i32;
                out[at..at + 4].copy_from_slice(&rel.to_le_bytes());
                let target = out.len() as i64 + rel as i64;
                vec![insn("movsd", &[xmm(d), format!("8[rip{target:+}]")])]
            } else {
                let (src, text) = rm_of(c, 64, true);
                e.movsd_load(d, src);
                // A register source is `movsd xmm, xmm` (merging the low half).
                vec![insn("movsd", &[xmm(d), text])]
            }
        }
        24 => {
            let (s, m) = (c.below(16) as u8, random_mem(c));
            e.movsd_store(m, s);
            vec![insn("movsd", &[x_mem(&m, 8), xmm(s)])]
        }
        25 => {
            let (d, s) = (c.below(16) as u8, c.below(16) as u8);
            let name = match c.below(3) {
                0 => {
                    e.movapd(d, s);
                    "movapd"
                }
                1 => {
                    e.xorpd(d, s);
                    "xorpd"
                }
                _ => {
                    e.andpd(d, s);
                    "andpd"
                }
            };
            vec![insn(name, &[xmm(d), xmm(s)])]
        }
        26 => {
            use x64::Sse::*;
            let (op, name) = [
                (Addsd, "addsd"),
                (Subsd, "subsd"),
                (Mulsd, "mulsd"),
                (Divsd, "divsd"),
                (Sqrtsd, "sqrtsd"),
            ][c.below(5)];
            let d = c.below(16) as u8;
            let (src, text) = rm_of(c, 64, true);
            e.sse(op, d, src);
            vec![insn(name, &[xmm(d), text])]
        }
        27 => {
            let a = c.below(16) as u8;
            let (src, text) = rm_of(c, 64, true);
            e.ucomisd(a, src);
            vec![insn("ucomisd", &[xmm(a), text])]
        }
        28 => {
            let (d, s) = (c.below(16) as u8, r(c));
            e.movq_to_xmm(d, s);
            vec![insn("movq", &[xmm(d), gpr(s, 64)])]
        }
        29 => {
            let (d, m) = (r(c), random_mem(c));
            e.lea(d, m);
            vec![insn("lea", &[gpr(d, 64), x_mem(&m, 0)])]
        }
        30 => {
            let (m, imm) = (random_mem(c), c.u32() as u8);
            e.test_mi8(m, imm);
            vec![insn("test", &[x_mem(&m, 1), x_imm(imm as i8 as i64, 8)])]
        }
        31 => {
            let (size, signed) = ([8u8, 16][c.below(2)], c.chance(50));
            let (d, s) = (r(c), r(c));
            e.extend_rr(size, signed, d, s);
            let name = if signed { "movsx" } else { "movzx" };
            vec![insn(name, &[gpr(d, 32), gpr(s, size)])]
        }
        32 => {
            let x = c.below(16) as u8;
            let (src, text) = rm_of(c, 32, false);
            e.movd_to_xmm(x, src);
            vec![insn("movd", &[xmm(x), text])]
        }
        33 => {
            let (g, x) = (r(c), c.below(16) as u8);
            e.movd_from_xmm(g, x);
            vec![insn("movd", &[gpr(g, 32), xmm(x)])]
        }
        34 => {
            let x = c.below(16) as u8;
            if c.chance(50) {
                let (src, text) = rm_of(c, 64, true);
                e.cvtsd2ss(x, src);
                vec![insn("cvtsd2ss", &[xmm(x), text])]
            } else {
                let (src, text) = rm_of(c, 32, true);
                e.cvtss2sd(x, src);
                vec![insn("cvtss2sd", &[xmm(x), text])]
            }
        }
        _ => {
            let x = c.below(16) as u8;
            let g = r(c);
            if c.chance(50) {
                let (src, text) = rm_of(c, bits, false);
                e.cvtsi2sd(w, x, src);
                vec![insn("cvtsi2sd", &[xmm(x), text])]
            } else {
                let (src, text) = rm_of(c, 64, true);
                e.cvttsd2si(w, g, src);
                vec![insn("cvttsd2si", &[gpr(g, bits), text])]
            }
        }
    };
    (out, want)
}

/// What iced-x86 reads from `bytes`, in our spelling, if it is one instruction using all
/// of them.
fn x86_decode(bytes: &[u8]) -> Result<Insn, String> {
    use iced_x86::{Decoder, DecoderOptions, OpKind, Register};
    let mut d = Decoder::with_ip(64, bytes, 0, DecoderOptions::NONE);
    let i = d.decode();
    if i.is_invalid() {
        return Err(format!("iced-x86 finds no instruction in {}", hex(bytes)));
    }
    if i.len() != bytes.len() {
        return Err(format!(
            "iced-x86 reads {} of the {} bytes {} as one instruction",
            i.len(),
            bytes.len(),
            hex(bytes)
        ));
    }
    let reg = |r: Register| format!("{r:?}").to_lowercase();
    let operands = (0..i.op_count())
        .map(|k| match i.op_kind(k) {
            OpKind::Register => reg(i.op_register(k)),
            OpKind::NearBranch64 => x_imm(i.near_branch64() as i64, 64),
            OpKind::Memory => {
                let index = if i.memory_index() == Register::None {
                    String::new()
                } else {
                    format!("+{}*{}", reg(i.memory_index()), i.memory_index_scale())
                };
                let disp = if i.memory_base() == Register::RIP {
                    i.memory_displacement64() as i64
                } else {
                    i.memory_displacement64() as i64 as i32 as i64
                };
                format!(
                    "{}[{}{index}{disp:+}]",
                    i.memory_size().size(),
                    reg(i.memory_base())
                )
            }
            OpKind::Immediate8 => x_imm(i.immediate(k) as i64, 8),
            OpKind::Immediate16 => x_imm(i.immediate(k) as i64, 16),
            OpKind::Immediate32 | OpKind::Immediate8to32 => x_imm(i.immediate(k) as i64, 32),
            _ => x_imm(i.immediate(k) as i64, 64),
        })
        .collect();
    Ok(Insn {
        mnemonic: format!("{:?}", i.mnemonic()).to_lowercase(),
        operands,
    })
}

/// One x86-64 round trip drawn from `data`: `Err` describes a disagreement.
pub fn x86(data: &[u8]) -> Result<(), String> {
    let mut c = Choices::new(data);
    let (bytes, want) = x86_case(&mut c);
    let got = x86_decode(&bytes)?;
    if !want.contains(&got) {
        let want: Vec<String> = want.iter().map(|w| format!("`{w}`")).collect();
        return Err(format!(
            "x86-64 encoder: {} should be {}, iced-x86 reads `{got}`",
            hex(&bytes),
            want.join(" or ")
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- AArch64 (A64)

/// A general register of width `w` (0–30; 31 is `sp` or the zero register by form, and
/// the forms here stay clear of the aliases capstone prints for it).
fn a64_reg(w: a64::Width, r: u8) -> String {
    match w {
        a64::Width::X => format!("x{r}"),
        a64::Width::W => format!("w{r}"),
    }
}

/// An immediate as capstone prints it: decimal up to 9, hex above.
fn a64_imm(v: i64) -> String {
    match v.unsigned_abs() {
        m if m > 9 => format!("#{}0x{m:x}", if v < 0 { "-" } else { "" }),
        _ => format!("#{v}"),
    }
}

/// A logical immediate of width `w`: a rotated run of ones in a power-of-two element,
/// repeated (every such value encodes).
fn a64_bitmask(c: &mut Choices, w: a64::Width) -> u64 {
    let width = if w == a64::Width::X { 64 } else { 32 };
    let size = [2u32, 4, 8, 16, 32, 64][c.below(if width == 64 { 6 } else { 5 })];
    let ones = 1 + c.below(size as usize - 1) as u32;
    let rot = c.below(size as usize) as u32;
    let run = (1u64 << ones) - 1;
    let elem_mask = if size == 64 {
        u64::MAX
    } else {
        (1u64 << size) - 1
    };
    let elem = (run >> rot | run << ((size - rot) % size)) & elem_mask;
    let mut v = 0u64;
    for k in 0..width / size {
        v |= elem << (k * size);
    }
    v
}

/// A shift of a register operand drawn from `shifts` by an amount below `bits`, and the
/// text capstone appends for it (nothing for `lsl #0` alone).
fn a64_shift(
    c: &mut Choices,
    shifts: &[(a64::Shift, &str)],
    bits: usize,
) -> (a64::Shift, u32, String) {
    let (sh, name) = shifts[c.below(shifts.len())];
    let k = c.below(bits) as u32;
    let tail = if k == 0 && sh == a64::Shift::Lsl {
        String::new()
    } else {
        format!(", {name} #{k}")
    };
    (sh, k, tail)
}

/// A random A64 instruction of most forms backend-aarch64 emits: its word and the text
/// capstone must print for it.
fn a64_case(c: &mut Choices) -> (u32, String) {
    use a64::{AddSub, Logic, Mem, Shift, Width};
    let w = if c.chance(50) { Width::X } else { Width::W };
    let bits = if w == Width::X { 64 } else { 32 };
    let reg = |c: &mut Choices| c.below(31) as u8;
    let (rd, rn, rm) = (reg(c), reg(c), reg(c));
    let (d, n, m) = (a64_reg(w, rd), a64_reg(w, rn), a64_reg(w, rm));
    let shifts = [
        (Shift::Lsl, "lsl"),
        (Shift::Lsr, "lsr"),
        (Shift::Asr, "asr"),
    ];
    match c.below(11) {
        0 => {
            let ops = [
                (AddSub::Add, "add"),
                (AddSub::Adds, "adds"),
                (AddSub::Sub, "sub"),
                (AddSub::Subs, "subs"),
            ];
            let (op, name) = ops[c.below(4)];
            let (sh, k, tail) = a64_shift(c, &shifts[..3], bits);
            (
                a64::add_sub_reg(w, op, rd, rn, rm, sh, k),
                format!("{name} {d}, {n}, {m}{tail}"),
            )
        }
        1 => {
            let ops = [(AddSub::Add, "add"), (AddSub::Sub, "sub")];
            let (op, name) = ops[c.below(2)];
            // Not 0: `add xd, xn, #0` may print as `mov` for sp.
            let imm = 1 + c.below(4095) as u32;
            let lsl12 = c.chance(30);
            let tail = if lsl12 { ", lsl #12" } else { "" };
            let text = format!("{name} {d}, {n}, {}{tail}", a64_imm(imm as i64));
            (a64::add_sub_imm(w, op, rd, rn, imm, lsl12), text)
        }
        2 => {
            let ops = [
                (Logic::And, "and"),
                (Logic::Eor, "eor"),
                (Logic::Bic, "bic"),
                (Logic::Eon, "eon"),
                (Logic::Bics, "bics"),
            ];
            let (op, name) = ops[c.below(ops.len())];
            let (sh, k, tail) = a64_shift(c, &shifts, bits);
            (
                a64::logic_reg(w, op, rd, rn, rm, sh, k),
                format!("{name} {d}, {n}, {m}{tail}"),
            )
        }
        3 => {
            let ops = [
                (Logic::And, "and"),
                (Logic::Eor, "eor"),
                (Logic::Ands, "ands"),
            ];
            let (op, name) = ops[c.below(3)];
            let v = a64_bitmask(c, w);
            let mask = a64::BitMask::encode(v, w).expect("a rotated run of ones");
            let shown = if w == Width::W { v & 0xffff_ffff } else { v };
            // Capstone prints a 64-bit `ands` immediate signed, every other one unsigned.
            let imm = match (op, w) {
                (Logic::Ands, Width::X) => a64_imm(shown as i64),
                _ if shown <= 9 => format!("#{shown}"),
                _ => format!("#0x{shown:x}"),
            };
            let text = format!("{name} {d}, {n}, {imm}");
            (a64::logic_imm(w, op, rd, rn, mask), text)
        }
        4 => {
            let ra = reg(c);
            let sub = c.chance(50);
            let name = if sub { "msub" } else { "madd" };
            let a = a64_reg(w, ra);
            (
                a64::madd(w, sub, rd, rn, rm, ra),
                format!("{name} {d}, {n}, {m}, {a}"),
            )
        }
        5 => {
            let ops = [
                (a64::TwoSource::Udiv, "udiv"),
                (a64::TwoSource::Sdiv, "sdiv"),
                (a64::TwoSource::Lslv, "lsl"),
                (a64::TwoSource::Lsrv, "lsr"),
                (a64::TwoSource::Asrv, "asr"),
                (a64::TwoSource::Rorv, "ror"),
            ];
            let (op, name) = ops[c.below(ops.len())];
            (
                a64::two_source(w, op, rd, rn, rm),
                format!("{name} {d}, {n}, {m}"),
            )
        }
        6 => {
            let forms = [
                (Mem::U8, true, "ldrb", Width::W),
                (Mem::U8, false, "strb", Width::W),
                (Mem::I8, true, "ldrsb", Width::W),
                (Mem::U16, true, "ldrh", Width::W),
                (Mem::U16, false, "strh", Width::W),
                (Mem::I16, true, "ldrsh", Width::W),
                (Mem::W32, true, "ldr", Width::W),
                (Mem::W32, false, "str", Width::W),
                (Mem::I32, true, "ldrsw", Width::X),
                (Mem::X64, true, "ldr", Width::X),
                (Mem::X64, false, "str", Width::X),
            ];
            let (mem, load, name, rw) = forms[c.below(forms.len())];
            let off = c.below(4096) as u32 * mem.bytes();
            let addr = if off == 0 {
                format!("[x{rn}]")
            } else {
                format!("[x{rn}, {}]", a64_imm(off as i64))
            };
            let t = a64_reg(rw, rd);
            (
                a64::mem_imm(load, mem, rd, rn, off),
                format!("{name} {t}, {addr}"),
            )
        }
        7 => {
            // ldp/stp at an offset; a load's two registers differ (else UNPREDICTABLE).
            let load = c.chance(50);
            let fp = c.chance(30);
            let rt2 = if load && rn == rm { (rm + 1) % 31 } else { rm };
            let off = (c.below(128) as i32 - 64) * 8;
            let name = if load { "ldp" } else { "stp" };
            let r = |x: u8| if fp { format!("d{x}") } else { format!("x{x}") };
            let addr = if off == 0 {
                format!("[x{rd}]")
            } else {
                format!("[x{rd}, {}]", a64_imm(off as i64))
            };
            let word = a64::pair(load, fp, a64::PairIndex::Offset, rn, rt2, rd, off);
            (word, format!("{name} {}, {}, {addr}", r(rn), r(rt2)))
        }
        8 => {
            let ops = [
                (a64::Fop::Add, "fadd"),
                (a64::Fop::Sub, "fsub"),
                (a64::Fop::Mul, "fmul"),
                (a64::Fop::Div, "fdiv"),
            ];
            let (op, name) = ops[c.below(4)];
            (
                a64::fop(op, rd, rn, rm),
                format!("{name} d{rd}, d{rn}, d{rm}"),
            )
        }
        9 => {
            let ops = [
                (a64::Funary::Mov, "fmov"),
                (a64::Funary::Abs, "fabs"),
                (a64::Funary::Neg, "fneg"),
                (a64::Funary::Sqrt, "fsqrt"),
            ];
            let (op, name) = ops[c.below(4)];
            (a64::funary(op, rd, rn), format!("{name} d{rd}, d{rn}"))
        }
        _ => match c.below(3) {
            0 => (a64::fcmp(rn, rm), format!("fcmp d{rn}, d{rm}")),
            1 => (a64::fcvtzs(w, rd, rn), format!("fcvtzs {d}, d{rn}")),
            _ => (a64::scvtf(w, rd, rn), format!("scvtf d{rd}, {n}")),
        },
    }
}

thread_local! {
    static CAPSTONE_A64: Capstone = Capstone::new()
        .arm64()
        .mode(capstone::arch::arm64::ArchMode::Arm)
        .build()
        .expect("capstone builds for AArch64");
}

/// One AArch64 round trip drawn from `data`: `Err` describes a disagreement.
pub fn a64(data: &[u8]) -> Result<(), String> {
    let mut c = Choices::new(data);
    let (word, want) = a64_case(&mut c);
    let got = CAPSTONE_A64.with(|cs| {
        let insns = cs
            .disasm_count(&word.to_le_bytes(), 0, 1)
            .map_err(|e| format!("capstone: {e}"))?;
        let i = insns
            .iter()
            .next()
            .ok_or_else(|| format!("capstone decodes nothing from {word:08x}"))?;
        Ok::<_, String>(format!(
            "{} {}",
            i.mnemonic().unwrap_or("?"),
            i.op_str().unwrap_or("")
        ))
    })?;
    if got.trim() != want {
        return Err(format!(
            "A64 encoder: {word:08x} should be `{want}`, capstone reads `{got}`"
        ));
    }
    Ok(())
}
