//! Constraints and lowering (step 4 of docs/adding-an-isa.md), brought up family by
//! family: control, integer arithmetic (division and the high multiply included),
//! comparisons, guards, overflow checks and carries, memory, f64 arithmetic and
//! comparisons, conversions, calls, invalidation sites, and the GC rewrite's primitives
//! (the nursery bump inline, the collector's slow paths out of line). What a backend is
//! never handed (object operations before the GC rewrite) is refused as
//! `CompileError::Unsupported`, which `tracejit conformance` lists per family.

use jit_core::backend::{
    CompileError, CompiledTrace, Def, Loc, OpConstraints, Reg as PReg, RegClass, Use,
};
use jit_core::codebuf::{FixupError, Label};
use jit_core::emit::{Deferred, Emission, EmitKind, Isa, RelocTarget};
use jit_core::frame::{FrameContract, NativeFrame};
use jit_core::ir::{GcOp, ObjOp, Opcode, Scalar, Sig, Trace, Type};
use jit_core::liveness::{Liveness, ShiftFold as Fold};
use jit_core::regalloc::{Allocation, Move};
use target_lexicon::Triple;

use crate::abi::ArgLoc;
use crate::enc::{self, AddSub, Cond, Logic, Mem, MoveWide, Shift, TwoSource, Width, ZR};
use crate::regs::{BUDGET, FRAME, FRAME_REG};

/// Fixup kind: a `b`/`bl` word offset (26 bits).
const B26: u8 = 0;
/// Fixup kind: a `b.cond`/`cbz` word offset (19 bits at bit 5).
const B19: u8 = 1;
/// Relocation kind: a `b` to an address outside the code.
pub const B_FAR: u8 = 0;
/// Relocation kind: a 64-bit address as a data word (a callee's, loaded by `ldr`).
pub const ADDR64: u8 = 1;

/// Where the emulator's trap slot `k` (a callee) is until a relocation says otherwise.
pub const TRAP_BASE: u64 = 0x0e00_0000;
/// Bytes per trap slot (`svc #k; ret`).
pub const TRAP_SLOT_BYTES: u64 = 8;

/// The data scratch register (moves between slots, materialized constants, exit index).
const X16: u8 = 16;
/// The address scratch register (frame offsets past an immediate's reach).
const X17: u8 = 17;
/// The link register: a third scratch inside an op that makes no call (the prologue saved
/// it, and only calls write it).
const LR: u8 = 30;

// The nursery's free and top words load as one `ldp`, whose offset reaches 504 bytes.
const _: () = assert!(FRAME.gc * 8 + 8 <= 504);

fn width(t: Type) -> Width {
    match t {
        Type::I32 => Width::W,
        _ => Width::X,
    }
}

fn gpr(l: Loc) -> u8 {
    match l {
        Loc::Reg(r) => r.hw,
        other => panic!("a register operand in {other:?}"),
    }
}

/// Where a memory access's address is, besides its base register.
#[derive(Clone, Copy, Debug)]
enum Address {
    /// A byte displacement.
    Disp(i64),
    /// A 32-bit index register, sign-extended, times a scale.
    Index(u8, u8),
    /// The byte offset in x17.
    X17,
}

/// The load form of a memory type (narrow ones into a `w` register).
fn mem_of(m: jit_core::ir::MemType) -> Mem {
    use jit_core::ir::MemType;
    match m {
        MemType::I8 => Mem::I8,
        MemType::U8 => Mem::U8,
        MemType::I16 => Mem::I16,
        MemType::U16 => Mem::U16,
        MemType::I32 => Mem::W32,
        MemType::I64 => Mem::X64,
        MemType::F64 => Mem::D64,
    }
}

/// The store form of a load form (a store does not extend).
fn store_mem(m: Mem) -> Mem {
    match m {
        Mem::I8 => Mem::U8,
        Mem::I16 => Mem::U16,
        Mem::I32 => Mem::W32,
        other => other,
    }
}

/// The constraints of op `i` for the allocator, or why AArch64 does not compile it.
pub fn constraints(
    trace: &Trace,
    live: &Liveness,
    i: usize,
    out: &mut OpConstraints,
) -> Result<(), CompileError> {
    use Use::*;
    let op = &trace.ops[i];
    out.uses.clear();
    out.clobbers = jit_core::backend::RegSet::EMPTY;
    out.live_across = false;
    if let Some(fold) = shift_folds(trace, live, i) {
        // The shift emits nothing: its user shifts the operand.
        out.uses.extend([Reg, Any]);
        out.def = Some(match fold {
            Fold::Dies => Def::ReuseInput(0),
            Fold::OtherOperand => Def::Reg,
        });
        return Ok(());
    }
    let cmp_def = if live.fuses_with_next_guard(trace, i) {
        Def::Flags
    } else {
        Def::Reg
    };
    let (uses, def): (&[Use], Def) = match op.opcode.sig() {
        Sig::IntBinary => match op.opcode {
            Opcode::IntMul
            | Opcode::IntDiv
            | Opcode::IntRem
            | Opcode::UintDiv
            | Opcode::UintRem
            | Opcode::UintMulHigh => (&[Reg, Reg], Def::Reg),
            _ => (&[Reg, Any], Def::Reg),
        },
        Sig::IntOverflow => match op.opcode {
            Opcode::IntMulOvf => (&[Reg, Reg], Def::Reg),
            _ => (&[Reg, Any], Def::Reg),
        },
        Sig::CarryOut | Sig::CarryIn => (&[Reg, Reg], Def::Reg),
        Sig::IntUnary => (&[Reg], Def::Reg),
        Sig::FloatBinary => (&[Reg, Reg], Def::Reg),
        Sig::FloatUnary => (&[Reg], Def::Reg),
        Sig::FloatCompare => (&[Reg, Reg], cmp_def),
        Sig::Convert(..) => (&[Reg], Def::Reg),
        Sig::Load(_) => (&[Reg, Any], Def::Reg),
        Sig::Store(_) => (&[Reg, Any, Any], Def::None),
        // (guard_not_invalidated is the driver's: an invalidation site.)
        Sig::GuardFlag => (&[], Def::None),
        Sig::FuncAddr => (&[], Def::Reg),
        Sig::Call => {
            let decl = &trace.funcs[op.func().expect("verified")];
            let (locs, _) = crate::abi::assign(&decl.params);
            for loc in locs {
                out.uses.push(match loc {
                    ArgLoc::Int(r) => Fixed(PReg::int(r)),
                    ArgLoc::Double(d) => Fixed(PReg::float(d)),
                    // An f32's bits go to its s register, a stacked value to its slot,
                    // just before the call.
                    ArgLoc::Single(_) | ArgLoc::Stack(_) => Any,
                });
            }
            // An indirect call's callee (last) is in a register the call keeps.
            if op.opcode.is_indirect_call() {
                out.uses.push(Reg);
            }
            out.clobbers = crate::regs::CALLER_SAVED;
            out.def = Some(match (op.result, decl.ret) {
                (None, _) => Def::None,
                (Some(_), Some(jit_core::ir::CType::F64)) => Def::Fixed(PReg::float(0)),
                (Some(_), Some(jit_core::ir::CType::F32)) => Def::Reg,
                (Some(_), _) => Def::Fixed(PReg::int(0)),
            });
            return Ok(());
        }
        Sig::IntCompare | Sig::RefCompare => (&[Reg, Any], cmp_def),
        Sig::IntTest => (&[Reg], cmp_def),
        Sig::SameAs => (&[Any], Def::ReuseInput(0)),
        Sig::GuardCond => (&[Any], Def::None),
        Sig::GuardValue => (&[Reg, Any], Def::None),
        Sig::GuardRef => (&[Reg], Def::None),
        Sig::Finish => {
            out.uses.extend(op.args.iter().map(|_| Any));
            out.def = Some(Def::None);
            return Ok(());
        }
        Sig::Object(ObjOp::GuardClass | ObjOp::GuardNonnullClass) => (&[Reg, Any], Def::None),
        Sig::Gc(GcOp::Alloc) => {
            // A safepoint: what lives across it is in the GC map or saved around the call.
            out.live_across = true;
            if op.args.len() == 2 {
                (&[Any, Any], Def::Reg)
            } else {
                (&[Any], Def::Reg)
            }
        }
        Sig::Gc(GcOp::WriteBarrier) => {
            out.live_across = true;
            (&[Reg], Def::None)
        }
        Sig::Gc(GcOp::LoadRef) => (&[Reg, Any], Def::Reg),
        Sig::Gc(GcOp::StoreRef) => (&[Reg, Any, Any], Def::None),
        _ => {
            return Err(CompileError::Unsupported {
                op: i,
                opcode: op.opcode,
                reason: "never handed to a 64-bit target with an FPU: object operations are \
                         the GC rewrite's, split calls a 32-bit target's, label and jump the \
                         allocator's"
                    .into(),
            })
        }
    };
    out.uses.extend_from_slice(uses);
    out.def = Some(def);
    Ok(())
}

/// Whether shift op `i` folds into its user ([`Liveness::shift_fold`]) as the shifted
/// register operand of an `add`, `and`, `orr` or `eor`, or the second operand of a `sub`
/// (A64 has no reverse subtract), of either width.
fn shift_folds(trace: &Trace, live: &Liveness, i: usize) -> Option<Fold> {
    live.shift_fold(trace, i, &|user, ty, first| {
        ty != Type::Ref
            && match user.opcode {
                Opcode::IntAdd | Opcode::IntAnd | Opcode::IntOr | Opcode::IntXor => true,
                Opcode::IntSub => !first,
                _ => false,
            }
    })
}

/// Whether an add or subtract (flag-setting with `flags`) of `v` takes it as an immediate
/// (`add_sub`: 12 bits, optionally shifted by 12, or the inverse operation's).
fn add_sub_immediate(v: i64, flags: bool) -> bool {
    let v = if v < 0 && !flags && v != i64::MIN {
        -v
    } else {
        v
    };
    (0..4096).contains(&v) || (v > 0 && v % 4096 == 0 && v / 4096 < 4096)
}

/// The move-wide instructions that make `v` in `rd`, fewest first (from zero or from all
/// ones), and how many there are (1 to 4).
fn move_wides(w: Width, rd: u8, v: u64) -> ([u32; 4], usize) {
    let halves = if w == Width::X { 4 } else { 2 };
    let part = |k: u32| (v >> (16 * k)) as u16;
    let ones = (0..halves).filter(|&k| part(k) == 0xffff).count();
    let zeros = (0..halves).filter(|&k| part(k) == 0).count();
    let (fill, first) = if ones > zeros {
        (0xffff, MoveWide::Movn)
    } else {
        (0, MoveWide::Movz)
    };
    let (mut words, mut n) = ([0u32; 4], 0);
    for k in (0..halves).filter(|&k| part(k) != fill) {
        words[n] = match (n, first) {
            (0, MoveWide::Movn) => enc::move_wide(w, first, rd, !part(k), k),
            (0, _) => enc::move_wide(w, first, rd, part(k), k),
            _ => enc::move_wide(w, MoveWide::Movk, rd, part(k), k),
        };
        n += 1;
    }
    if n == 0 {
        // Every half is the filler: movz #0 or movn #0 (all ones).
        words[0] = enc::move_wide(w, first, rd, 0, 0);
        n = 1;
    }
    (words, n)
}

/// Whether argument `arg` of `op`, the constant `c`, costs nothing to make each time the op
/// runs: the lowering takes it as an immediate, folds it into an address, or (a call's
/// argument) makes it in one instruction as a register move would. `Backend::hoist_constant`
/// hoists the rest out of loops.
pub fn immediate_operand(op: &jit_core::ir::Op, arg: usize, c: Scalar) -> bool {
    use Opcode::*;
    let (w, v) = match c {
        Scalar::I32(x) => (Width::W, x as i64),
        Scalar::I64(x) => (Width::X, x),
        Scalar::Ref(_) | Scalar::F64(_) => return false,
    };
    let compare = (-4095..4096).contains(&v);
    match op.opcode.sig() {
        Sig::IntBinary => {
            arg == 1
                && match op.opcode {
                    IntAdd | IntSub => add_sub_immediate(v, false),
                    IntAnd | IntOr | IntXor => enc::BitMask::encode(v as u64, w).is_some(),
                    IntLshift | IntRshift | UintRshift => true,
                    _ => false,
                }
        }
        Sig::IntOverflow => {
            arg == 1 && matches!(op.opcode, IntAddOvf | IntSubOvf) && add_sub_immediate(v, true)
        }
        Sig::IntCompare | Sig::RefCompare | Sig::IntTest | Sig::GuardValue => arg == 1 && compare,
        Sig::Object(ObjOp::GuardClass | ObjOp::GuardNonnullClass) => arg == 1 && compare,
        Sig::Load(_) | Sig::Store(_) | Sig::Gc(GcOp::LoadRef | GcOp::StoreRef) => arg == 1,
        Sig::GuardCond | Sig::Gc(GcOp::Alloc) | Sig::Jump | Sig::Finish => true,
        Sig::Call => move_wides(w, 0, v as u64).1 == 1,
        _ => false,
    }
}

/// The lowering's state over one trace.
struct Emitter<'a> {
    c: Emission<'a>,
    /// The condition the previous op left in the flags for its guard.
    flags: Option<Cond>,
    /// The condition meaning "overflowed" that the previous overflow-checked op left.
    overflow: Option<Cond>,
    /// The address word of each function called or taken so far (its call slot and the
    /// label of its word in the pool at the end).
    literals: Vec<(u32, Label)>,
    /// Per op, whether it is a shift folded into its user ([`shift_folds`]): it emits
    /// nothing.
    folded_shifts: Vec<Option<Fold>>,
    /// Per op, whether it is an `int_mul` whose product's only use is the next op.
    product_feeds_next: Vec<bool>,
    /// The op [`Emitter::multiply_add`] made with the one before it: it emits nothing.
    fused_next: Option<usize>,
}

impl Emitter<'_> {
    fn put(&mut self, w: u32) {
        self.c.buf.put_u32(w);
    }

    /// `add`/`adds`/`sub`/`subs rd, rn, #imm` (12 bits).
    fn add_imm(&mut self, w: Width, op: AddSub, rd: u8, rn: u8, imm: u32) {
        self.put(enc::add_sub_imm(w, op, rd, rn, imm, false));
    }

    /// A branch (`b`, or `b.cond` when `cond` is not `Al`) to `l`.
    fn branch_to(&mut self, cond: Cond, l: Label) {
        let at = self.c.buf.offset();
        if cond == Cond::Al {
            self.put(enc::branch(false, 0));
            self.c.buf.fixup(at, l, B26);
        } else {
            self.put(enc::branch_cond(cond, 0));
            self.c.buf.fixup(at, l, B19);
        }
    }

    /// `cbz`/`cbnz` of `r` to `l`.
    fn cbz_to(&mut self, w: Width, nonzero: bool, r: u8, l: Label) {
        let at = self.c.buf.offset();
        self.put(enc::cbz(w, nonzero, r, 0));
        self.c.buf.fixup(at, l, B19);
    }

    /// `rd = v` in the fewest move-wide instructions ([`move_wides`]).
    fn mov_imm(&mut self, w: Width, rd: u8, v: u64) {
        let (words, n) = move_wides(w, rd, v);
        for &x in &words[..n] {
            self.put(x);
        }
    }

    /// A load or store of frame word `word` (any distance from the frame register).
    fn frame_mem(&mut self, load: bool, m: Mem, rt: u8, word: u32) {
        let off = word * 8;
        if off < 4096 * 8 {
            self.put(enc::mem_imm(load, m, rt, FRAME_REG, off));
        } else {
            self.mov_imm(Width::X, X17, off as u64);
            self.put(enc::mem_reg(load, m, rt, FRAME_REG, X17, false, false));
        }
    }

    fn slot_mem(&mut self, load: bool, m: Mem, rt: u8, s: u32) {
        let word = self.c.layout.slot_word(s);
        self.frame_mem(load, m, rt, word);
    }

    /// An integer operand in a register: its own, or `scratch` loaded from its slot or
    /// made from its constant.
    fn int_src(&mut self, l: Loc, w: Width, scratch: u8) -> u8 {
        match l {
            Loc::Reg(r) => r.hw,
            Loc::Slot(s) => {
                self.slot_mem(true, Mem::X64, scratch, s);
                scratch
            }
            Loc::Const(c) => {
                self.mov_imm(w, scratch, c.bits() as u64);
                scratch
            }
            Loc::Flags => panic!("an operand in the flags"),
        }
    }

    fn emit_move(&mut self, m: &Move) {
        match (m.from, m.to, m.class) {
            (Loc::Reg(a), Loc::Reg(b), RegClass::Int) => self.put(enc::mov(Width::X, b.hw, a.hw)),
            (Loc::Reg(a), Loc::Reg(b), RegClass::Float) => {
                self.put(enc::funary(enc::Funary::Mov, b.hw, a.hw))
            }
            (Loc::Reg(a), Loc::Slot(s), class) => {
                let m = if class == RegClass::Float {
                    Mem::D64
                } else {
                    Mem::X64
                };
                self.slot_mem(false, m, a.hw, s);
            }
            (Loc::Slot(s), Loc::Reg(b), class) => {
                let m = if class == RegClass::Float {
                    Mem::D64
                } else {
                    Mem::X64
                };
                self.slot_mem(true, m, b.hw, s);
            }
            (Loc::Slot(s), Loc::Slot(t), _) => {
                self.slot_mem(true, Mem::X64, X16, s);
                self.slot_mem(false, Mem::X64, X16, t);
            }
            (Loc::Const(c), Loc::Reg(b), RegClass::Int) => {
                self.mov_imm(Width::X, b.hw, c.bits() as u64)
            }
            (Loc::Const(c), Loc::Reg(b), RegClass::Float) => {
                self.mov_imm(Width::X, X16, c.bits() as u64);
                self.put(enc::fmov_bits(true, b.hw, X16));
            }
            (Loc::Const(c), Loc::Slot(t), _) => {
                self.mov_imm(Width::X, X16, c.bits() as u64);
                self.slot_mem(false, Mem::X64, X16, t);
            }
            (from, to, class) => {
                panic!("the allocator asked for an impossible move {from:?} -> {to:?} ({class:?})")
            }
        }
    }

    /// `rd = rn op b` for add and subtract, with an immediate where one fits.
    fn add_sub(&mut self, w: Width, sub: bool, flags: bool, rd: u8, rn: u8, b: Loc) {
        let op = |sub: bool| match (sub, flags) {
            (false, false) => AddSub::Add,
            (false, true) => AddSub::Adds,
            (true, false) => AddSub::Sub,
            (true, true) => AddSub::Subs,
        };
        if let Loc::Const(c) = b {
            let v = match w {
                Width::W => c.bits() as i32 as i64,
                Width::X => c.bits(),
            };
            // The inverse operation takes a negative constant (not for flag-setting ones:
            // their carry would differ).
            let (sub, v) = if v < 0 && !flags && v != i64::MIN {
                (!sub, -v)
            } else {
                (sub, v)
            };
            if (0..4096).contains(&v) {
                self.put(enc::add_sub_imm(w, op(sub), rd, rn, v as u32, false));
                return;
            }
            if v > 0 && v % 4096 == 0 && v / 4096 < 4096 {
                self.put(enc::add_sub_imm(
                    w,
                    op(sub),
                    rd,
                    rn,
                    (v / 4096) as u32,
                    true,
                ));
                return;
            }
        }
        let rm = self.int_src(b, w, X16);
        self.put(enc::add_sub_reg(w, op(sub), rd, rn, rm, Shift::Lsl, 0));
    }

    /// `cmp rn, b`.
    fn cmp(&mut self, w: Width, rn: u8, b: Loc) {
        if let Loc::Const(c) = b {
            let v = match w {
                Width::W => c.bits() as i32 as i64,
                Width::X => c.bits(),
            };
            if (0..4096).contains(&v) {
                self.add_imm(w, AddSub::Subs, ZR, rn, v as u32);
                return;
            }
            // `cmn rn, #-v` sets the flags `cmp rn, #v` would for any v but 0 and MIN:
            // rn + (2^n - v) carries exactly when rn >= v, and overflows when rn - v does.
            if (-4095..0).contains(&v) {
                self.add_imm(w, AddSub::Adds, ZR, rn, (-v) as u32);
                return;
            }
        }
        let rm = self.int_src(b, w, X16);
        self.put(enc::cmp(w, rn, rm));
    }

    /// Where `base + index * scale + offset` is: the base register and the rest as an
    /// [`Address`] (computing it into x17 when no addressing mode holds it).
    fn address(&mut self, base: Loc, index: Loc, scale: u8, offset: i32) -> (u8, Address) {
        let base = gpr(base);
        match index {
            Loc::Const(c) => {
                let disp = c.bits() as i32 as i64 * scale as i64 + offset as i64;
                (base, Address::Disp(disp))
            }
            Loc::Reg(r) if offset == 0 => (base, Address::Index(r.hw, scale)),
            other => {
                // x17 = sxtw(index) * scale + offset.
                let idx = self.int_src(other, Width::W, X17);
                self.put(enc::bitfield(Width::X, true, X17, idx, 0, 31));
                if scale > 1 {
                    self.put(enc::lsl_imm(Width::X, X17, X17, scale.trailing_zeros()));
                }
                if offset != 0 {
                    self.add_sub(
                        Width::X,
                        false,
                        false,
                        X17,
                        X17,
                        Loc::Const(Scalar::I64(offset as i64)),
                    );
                }
                (base, Address::X17)
            }
        }
    }

    /// A load or store of `m` between `rt` and an [`Emitter::address`].
    fn at_address(&mut self, load: bool, m: Mem, rt: u8, base: u8, a: Address) {
        let size = m.bytes() as i64;
        let word = match a {
            Address::Disp(d) if d >= 0 && d % size == 0 && d / size < 4096 => {
                enc::mem_imm(load, m, rt, base, d as u32)
            }
            Address::Disp(d) if (-256..256).contains(&d) => {
                enc::mem_unscaled(load, m, rt, base, d as i32)
            }
            Address::Disp(d) => {
                self.mov_imm(Width::X, X17, d as u64);
                enc::mem_reg(load, m, rt, base, X17, false, false)
            }
            Address::Index(r, scale) if scale as i64 == size => {
                enc::mem_reg(load, m, rt, base, r, true, true)
            }
            Address::Index(r, 1) => enc::mem_reg(load, m, rt, base, r, true, false),
            Address::Index(r, scale) => {
                self.put(enc::bitfield(Width::X, true, X17, r, 0, 31));
                self.put(enc::lsl_imm(Width::X, X17, X17, scale.trailing_zeros()));
                enc::mem_reg(load, m, rt, base, X17, false, false)
            }
            Address::X17 => enc::mem_reg(load, m, rt, base, X17, false, false),
        };
        self.put(word);
    }

    /// A load of `m` into `rt` (or store from it) at `base + index * scale + offset`.
    #[allow(clippy::too_many_arguments)]
    fn access(
        &mut self,
        load: bool,
        m: Mem,
        rt: u8,
        base: Loc,
        index: Loc,
        scale: u8,
        offset: i32,
    ) {
        let (b, a) = self.address(base, index, scale, offset);
        self.at_address(load, m, rt, b, a);
    }

    /// `rd` = the address of function `name`: an `ldr` of its word in the literal pool
    /// (one per function, placed at the end), which a relocation keeps.
    fn load_function_address(&mut self, rd: u8, name: &str) {
        let slot = self.c.call_target(name);
        let l = match self.literals.iter().find(|x| x.0 == slot) {
            Some(&(_, l)) => l,
            None => {
                let l = self.c.buf.label();
                self.literals.push((slot, l));
                l
            }
        };
        let at = self.c.buf.offset();
        self.put(enc::ldr_literal(Mem::X64, rd, 0));
        self.c.buf.fixup(at, l, B19);
    }

    /// The literal pool: each function's address as a data word, 8-byte aligned.
    fn place_literals(&mut self) {
        if self.literals.is_empty() {
            return;
        }
        if !self.c.buf.offset().is_multiple_of(8) {
            self.put(enc::nop());
        }
        for (slot, l) in std::mem::take(&mut self.literals) {
            self.c.buf.bind(l);
            let at = self.c.buf.offset();
            let address = TRAP_BASE + TRAP_SLOT_BYTES * slot as u64;
            self.put(address as u32);
            self.put((address >> 32) as u32);
            self.c.reloc(at, ADDR64, RelocTarget::Extern(slot));
            self.c.data_ranges.push((at, at + 8));
        }
    }

    /// A call (AAPCS64, `abi::assign`): register arguments are where the constraints put
    /// them; f32 bits go to their s registers and stacked values to the outgoing area
    /// here. An indirect call first checks its callee is one of the functions the trace
    /// declares with its signature (anything else leaves by the bad-callee exit). A
    /// narrow integer result is extended (AAPCS64 leaves its upper bits to the callee);
    /// an f32 result's bits come back from s0.
    fn call(&mut self, i: usize) {
        use jit_core::ir::CType;
        let trace = self.c.trace;
        let op = &trace.ops[i];
        let func = op.func().expect("verified");
        let decl = &trace.funcs[func];
        let args = self.c.alloc.args(i);
        let callee = match op.callee() {
            Some(_) => {
                let reg = gpr(args[op.args.len() - 1]);
                let ok = self.c.buf.label();
                for name in self.c.callees_like(func) {
                    self.load_function_address(X16, &name);
                    self.put(enc::cmp(Width::X, reg, X16));
                    self.branch_to(Cond::Eq, ok);
                }
                let bad = self.c.bad_callee();
                self.branch_to(Cond::Al, bad);
                self.c.buf.bind(ok);
                Some(reg)
            }
            None => None,
        };
        let (locs, _) = crate::abi::assign(&decl.params);
        for (k, loc) in locs.iter().enumerate() {
            match *loc {
                ArgLoc::Stack(off) => {
                    let ty = trace.operand_type(op.args[k]);
                    match (args[k], ty) {
                        (Loc::Reg(r), Type::F64) => {
                            self.put(enc::mem_imm(false, Mem::D64, r.hw, enc::SP, off))
                        }
                        (other, _) => {
                            let r = self.int_src(other, Width::X, X16);
                            self.put(enc::mem_imm(false, Mem::X64, r, enc::SP, off));
                        }
                    }
                }
                ArgLoc::Single(sreg) => {
                    let r = self.int_src(args[k], Width::W, X16);
                    self.put(enc::fmov_bits32(true, sreg, r));
                }
                ArgLoc::Int(_) | ArgLoc::Double(_) => {}
            }
        }
        match callee {
            Some(reg) => self.put(enc::branch_reg(true, reg)),
            None => {
                self.load_function_address(X16, &decl.name);
                self.put(enc::branch_reg(true, X16));
            }
        }
        let Some(res) = self.c.alloc.result(i) else {
            return;
        };
        match decl.ret {
            Some(CType::F32) => self.put(enc::fmov_bits32(false, gpr(res), 0)),
            Some(t) => {
                if let Some((bits, signed)) = t.narrow() {
                    self.put(enc::bitfield(Width::W, signed, 0, 0, 0, bits - 1));
                }
            }
            None => {}
        }
    }

    /// A comparison's result: the flags the next guard branches on, or 0/1 by `cset`.
    fn set_result(&mut self, cond: Cond, res: Option<Loc>) {
        match res {
            Some(Loc::Flags) => self.flags = Some(cond),
            Some(Loc::Reg(r)) => self.put(enc::select(
                Width::W,
                enc::Select::Csinc,
                r.hw,
                ZR,
                ZR,
                cond.invert(),
            )),
            other => panic!("a comparison result in {other:?}"),
        }
    }

    fn compare_cond(op: Opcode) -> Cond {
        match op {
            Opcode::IntEq | Opcode::PtrEq | Opcode::IntIsZero => Cond::Eq,
            Opcode::IntNe | Opcode::PtrNe | Opcode::IntIsTrue => Cond::Ne,
            Opcode::IntLt => Cond::Lt,
            Opcode::IntLe => Cond::Le,
            Opcode::IntGt => Cond::Gt,
            Opcode::IntGe => Cond::Ge,
            Opcode::UintLt => Cond::Lo,
            Opcode::UintLe => Cond::Ls,
            Opcode::UintGt => Cond::Hi,
            _ => Cond::Hs,
        }
    }

    /// The folded shift among op `i`'s operands, if any: its op and how it folded.
    fn folded_operand(&self, i: usize) -> Option<(usize, Fold)> {
        jit_core::liveness::folded_shift(self.c.trace, &self.folded_shifts, i)
    }

    /// Op `i`, an `int_mul` whose product's only use is the next op, made with that op as
    /// one `madd` (`acc + product`, either order) or `msub` (`acc - product`) when the
    /// accumulator is in a register. The next op's result register is written here, one op
    /// early. It holds nothing the pair still needs: no move comes between the two, a value
    /// live past the next op is not in it, and a value dying at either op is one this
    /// instruction reads before it writes. Returns whether it emitted the pair.
    fn multiply_add(&mut self, i: usize) -> bool {
        use jit_core::ir::Operand;
        let (trace, alloc) = (self.c.trace, self.c.alloc);
        let (op, next) = (&trace.ops[i], &trace.ops[i + 1]);
        let k = match (next.opcode, op.result.map(Operand::Value)) {
            (Opcode::IntAdd, Some(p)) if next.args[0] == p => 1,
            (Opcode::IntAdd | Opcode::IntSub, Some(p)) if next.args[1] == p => 0,
            _ => return false,
        };
        let alone = next.args[0] != next.args[1] && alloc.edits(i + 1).is_empty();
        if !alone || self.folded_operand(i + 1).is_some() {
            return false;
        }
        let (Some(Loc::Reg(rd)), Loc::Reg(acc), &[Loc::Reg(x), Loc::Reg(y)]) =
            (alloc.result(i + 1), alloc.args(i + 1)[k], alloc.args(i))
        else {
            return false;
        };
        let w = width(trace.operand_type(op.args[0]));
        let sub = next.opcode == Opcode::IntSub;
        self.put(enc::madd(w, sub, rd.hw, x.hw, y.hw, acc.hw));
        true
    }

    /// Op `i` (an add, subtract or logical op) with the shift `shift_op` folded into its
    /// second register operand.
    fn with_shifted_operand(&mut self, i: usize, shift_op: usize, fold: Fold) {
        use jit_core::ir::Operand;
        let trace = self.c.trace;
        let shifted = trace.ops[shift_op].result.expect("a shift has a result");
        let op = &trace.ops[i];
        let w = width(trace.ty(shifted));
        let bits = if w == Width::X { 64 } else { 32 };
        let sh = match trace.ops[shift_op].opcode {
            Opcode::IntLshift => Shift::Lsl,
            Opcode::IntRshift => Shift::Asr,
            _ => Shift::Lsr,
        };
        let n = match trace.ops[shift_op].args[1] {
            Operand::Const(c) => (c.bits() as u64 % bits) as u32,
            Operand::Value(_) => unreachable!("a folded shift is by a constant"),
        };
        let args = self.c.alloc.args(i);
        let rd = gpr(self.c.alloc.result(i).expect("verified"));
        let (shifted_loc, other_loc) = if op.args[0] == Operand::Value(shifted) {
            (args[0], args[1])
        } else {
            (args[1], args[0])
        };
        let rn = self.int_src(other_loc, w, X16);
        // The shift's input: the unshifted value where the shift's result is, or the other
        // operand itself.
        let rm = match fold {
            Fold::OtherOperand => rn,
            Fold::Dies => self.int_src(shifted_loc, w, X17),
        };
        let word = match op.opcode {
            Opcode::IntAdd => enc::add_sub_reg(w, AddSub::Add, rd, rn, rm, sh, n),
            Opcode::IntSub => enc::add_sub_reg(w, AddSub::Sub, rd, rn, rm, sh, n),
            Opcode::IntAnd => enc::logic_reg(w, Logic::And, rd, rn, rm, sh, n),
            Opcode::IntOr => enc::logic_reg(w, Logic::Orr, rd, rn, rm, sh, n),
            _ => enc::logic_reg(w, Logic::Eor, rd, rn, rm, sh, n),
        };
        self.put(word);
    }

    fn op(&mut self, i: usize) -> Result<(), CompileError> {
        use Opcode::*;
        let trace = self.c.trace;
        let op = &trace.ops[i];
        let alloc = self.c.alloc;
        let args = alloc.args(i);
        let res = alloc.result(i);
        if self.folded_shifts[i].is_some() || self.fused_next.take() == Some(i) {
            return Ok(());
        }
        if self.product_feeds_next[i] && self.multiply_add(i) {
            self.fused_next = Some(i + 1);
            return Ok(());
        }
        if let Some((shift_op, fold)) = self.folded_operand(i) {
            self.with_shifted_operand(i, shift_op, fold);
            return Ok(());
        }
        match op.opcode.sig() {
            Sig::IntBinary => {
                let w = width(trace.operand_type(op.args[0]));
                let rd = gpr(res.expect("verified"));
                let rn = gpr(args[0]);
                match op.opcode {
                    IntAdd => self.add_sub(w, false, false, rd, rn, args[1]),
                    IntSub => self.add_sub(w, true, false, rd, rn, args[1]),
                    IntAnd | IntOr | IntXor => {
                        let l = match op.opcode {
                            IntAnd => Logic::And,
                            IntOr => Logic::Orr,
                            _ => Logic::Eor,
                        };
                        let mask = match args[1] {
                            Loc::Const(c) => enc::BitMask::encode(c.bits() as u64, w),
                            _ => None,
                        };
                        match mask {
                            Some(m) => self.put(enc::logic_imm(w, l, rd, rn, m)),
                            None => {
                                let rm = self.int_src(args[1], w, X16);
                                self.put(enc::logic_reg(w, l, rd, rn, rm, Shift::Lsl, 0));
                            }
                        }
                    }
                    IntLshift | IntRshift | UintRshift => match args[1] {
                        Loc::Const(c) => {
                            let bits = if w == Width::X { 64 } else { 32 };
                            let k = (c.bits() as u64 % bits) as u32;
                            let word = match (op.opcode, k) {
                                (_, 0) => enc::mov(w, rd, rn),
                                (IntLshift, k) => enc::lsl_imm(w, rd, rn, k),
                                (IntRshift, k) => enc::shr_imm(w, true, rd, rn, k),
                                (_, k) => enc::shr_imm(w, false, rd, rn, k),
                            };
                            self.put(word);
                        }
                        other => {
                            let rm = self.int_src(other, w, X16);
                            let t = match op.opcode {
                                IntLshift => TwoSource::Lslv,
                                IntRshift => TwoSource::Asrv,
                                _ => TwoSource::Lsrv,
                            };
                            self.put(enc::two_source(w, t, rd, rn, rm));
                        }
                    },
                    IntMul => self.put(enc::madd(w, false, rd, rn, gpr(args[1]), ZR)),
                    // The hardware's division is the IR's: x / 0 = 0, MIN / -1 = MIN, and
                    // the remainder x - (x / y) * y gives x % 0 = x and MIN % -1 = 0.
                    IntDiv | UintDiv => {
                        let t = if op.opcode == IntDiv {
                            TwoSource::Sdiv
                        } else {
                            TwoSource::Udiv
                        };
                        self.put(enc::two_source(w, t, rd, rn, gpr(args[1])));
                    }
                    IntRem | UintRem => {
                        let t = if op.opcode == IntRem {
                            TwoSource::Sdiv
                        } else {
                            TwoSource::Udiv
                        };
                        let rm = gpr(args[1]);
                        self.put(enc::two_source(w, t, X16, rn, rm));
                        self.put(enc::madd(w, true, rd, X16, rm, rn));
                    }
                    UintMulHigh => match w {
                        Width::X => self.put(enc::mulh(false, rd, rn, gpr(args[1]))),
                        Width::W => {
                            self.put(enc::maddl(false, X16, rn, gpr(args[1]), ZR));
                            self.put(enc::shr_imm(Width::X, false, rd, X16, 32));
                        }
                    },
                    other => unreachable!("{other} is not an integer binary op"),
                }
            }
            Sig::IntUnary => {
                let w = width(trace.operand_type(op.args[0]));
                let (rd, rn) = (gpr(res.expect("verified")), gpr(args[0]));
                let word = match op.opcode {
                    IntNeg => enc::add_sub_reg(w, AddSub::Sub, rd, ZR, rn, Shift::Lsl, 0),
                    _ => enc::logic_reg(w, Logic::Orn, rd, ZR, rn, Shift::Lsl, 0),
                };
                self.put(word);
            }
            Sig::IntCompare | Sig::RefCompare | Sig::IntTest => {
                let w = width(trace.operand_type(op.args[0]));
                let b = args.get(1).copied().unwrap_or(Loc::Const(Scalar::I32(0)));
                self.cmp(w, gpr(args[0]), b);
                let cond = Self::compare_cond(op.opcode);
                self.set_result(cond, res);
            }
            Sig::IntOverflow => {
                let w = width(trace.operand_type(op.args[0]));
                let rd = gpr(res.expect("verified"));
                let rn = gpr(args[0]);
                match op.opcode {
                    IntAddOvf | IntSubOvf => {
                        self.add_sub(w, op.opcode == IntSubOvf, true, rd, rn, args[1]);
                        self.overflow = Some(Cond::Vs);
                    }
                    _ => {
                        // The product is exact when its double-width form is the
                        // sign-extension of its low half.
                        let rm = gpr(args[1]);
                        match w {
                            Width::W => {
                                self.put(enc::maddl(true, X16, rn, rm, ZR));
                                self.put(enc::bitfield(Width::X, true, X17, X16, 0, 31));
                                self.put(enc::mov(Width::W, rd, X16));
                                self.put(enc::cmp(Width::X, X16, X17));
                            }
                            Width::X => {
                                self.put(enc::mulh(true, X16, rn, rm));
                                self.put(enc::madd(Width::X, false, rd, rn, rm, ZR));
                                self.put(enc::add_sub_reg(
                                    Width::X,
                                    AddSub::Subs,
                                    ZR,
                                    X16,
                                    rd,
                                    Shift::Asr,
                                    63,
                                ));
                            }
                        }
                        self.overflow = Some(Cond::Ne);
                    }
                }
            }
            Sig::CarryOut => {
                let rd = gpr(res.expect("verified"));
                let sub = op.opcode == IntSubBo;
                self.add_sub(Width::W, sub, true, rd, gpr(args[0]), args[1]);
            }
            Sig::CarryIn => {
                let rd = gpr(res.expect("verified"));
                let sub = op.opcode == IntSubBi;
                self.put(enc::carry(Width::W, sub, rd, gpr(args[0]), gpr(args[1])));
            }
            Sig::FloatBinary => {
                let f = match op.opcode {
                    FloatAdd => enc::Fop::Add,
                    FloatSub => enc::Fop::Sub,
                    FloatMul => enc::Fop::Mul,
                    _ => enc::Fop::Div,
                };
                let rd = gpr(res.expect("verified"));
                self.put(enc::fop(f, rd, gpr(args[0]), gpr(args[1])));
            }
            Sig::FloatUnary => {
                let (rd, rn) = (gpr(res.expect("verified")), gpr(args[0]));
                match op.opcode {
                    FloatCanon => {
                        // The value, unless it is a NaN (unordered with itself): then the
                        // canonical NaN, made out of line.
                        if rd != rn {
                            self.put(enc::funary(enc::Funary::Mov, rd, rn));
                        }
                        self.put(enc::fcmp(rd, rd));
                        let resume = self.c.buf.label();
                        let nan = self.c.defer(i, resume);
                        self.branch_to(Cond::Vs, nan);
                        self.c.buf.bind(resume);
                    }
                    _ => {
                        let u = match op.opcode {
                            FloatNeg => enc::Funary::Neg,
                            FloatAbs => enc::Funary::Abs,
                            _ => enc::Funary::Sqrt,
                        };
                        self.put(enc::funary(u, rd, rn));
                    }
                }
            }
            Sig::FloatCompare => {
                self.put(enc::fcmp(gpr(args[0]), gpr(args[1])));
                // Unordered sets C and V: these conditions are false for it, but `ne`.
                let cond = match op.opcode {
                    FloatEq => Cond::Eq,
                    FloatNe => Cond::Ne,
                    FloatLt => Cond::Mi,
                    FloatLe => Cond::Ls,
                    FloatGt => Cond::Gt,
                    _ => Cond::Ge,
                };
                self.set_result(cond, res);
            }
            Sig::Convert(..) => {
                let (rd, rn) = (gpr(res.expect("verified")), gpr(args[0]));
                let orr_w = enc::mov(Width::W, rd, rn);
                let s31 = crate::regs::FSCRATCH[0];
                match op.opcode {
                    CastI32ToI64 => self.put(enc::bitfield(Width::X, true, rd, rn, 0, 31)),
                    CastU32ToI64 | CastI64ToI32 => self.put(orr_w),
                    CastI32ToF64 => self.put(enc::scvtf(Width::W, rd, rn)),
                    CastI64ToF64 => self.put(enc::scvtf(Width::X, rd, rn)),
                    CastF64ToI32 => self.put(enc::fcvtzs(Width::W, rd, rn)),
                    CastF64ToI64 => self.put(enc::fcvtzs(Width::X, rd, rn)),
                    CastF64ToF32 => {
                        self.put(enc::fcvt(false, s31, rn));
                        self.put(enc::fmov_bits32(false, rd, s31));
                    }
                    CastF32ToF64 => {
                        self.put(enc::fmov_bits32(true, s31, rn));
                        self.put(enc::fcvt(true, rd, s31));
                    }
                    other => unreachable!("{other} is not a conversion"),
                }
            }
            Sig::Load(m) => {
                let mem = op.mem().expect("verified");
                let rt = gpr(res.expect("verified"));
                self.access(true, mem_of(m), rt, args[0], args[1], mem.scale, mem.offset);
            }
            Sig::Store(m) => {
                let mem = op.mem().expect("verified");
                let mm = mem_of(m);
                // The address first: it may use x16 and x17 before the value takes x16.
                let (base, index) = self.address(args[0], args[1], mem.scale, mem.offset);
                let rt = match (args[2], mm) {
                    (Loc::Reg(r), _) => r.hw,
                    (other, Mem::D64) => {
                        self.int_src(other, Width::X, X16);
                        self.put(enc::fmov_bits(true, crate::regs::FSCRATCH[0], X16));
                        crate::regs::FSCRATCH[0]
                    }
                    (other, _) => self.int_src(other, Width::X, X16),
                };
                self.at_address(false, store_mem(mm), rt, base, index);
            }
            Sig::GuardFlag => {
                let c = self.overflow.take().expect("an overflow-checked op before");
                let exit = self.c.exit(i);
                let fail_if = if op.opcode == GuardNoOverflow {
                    c
                } else {
                    c.invert()
                };
                self.branch_to(fail_if, exit);
            }
            Sig::FuncAddr => {
                let rd = gpr(res.expect("verified"));
                let name = &trace.funcs[op.func().expect("verified")].name;
                self.load_function_address(rd, name);
            }
            Sig::Call => self.call(i),
            Sig::SameAs => {}
            Sig::GuardCond | Sig::GuardValue | Sig::GuardRef => self.guard(i),
            Sig::Object(ObjOp::GuardClass | ObjOp::GuardNonnullClass) => self.guard(i),
            Sig::Gc(GcOp::LoadRef) => {
                let mem = op.mem().expect("verified");
                let rd = gpr(res.expect("verified"));
                self.access(true, Mem::X64, rd, args[0], args[1], mem.scale, mem.offset);
            }
            Sig::Gc(GcOp::StoreRef) => {
                let mem = op.mem().expect("verified");
                // The address first: it may use x16 and x17 before the value takes x16.
                let (base, index) = self.address(args[0], args[1], mem.scale, mem.offset);
                let rt = self.int_src(args[2], Width::X, X16);
                self.at_address(false, Mem::X64, rt, base, index);
            }
            Sig::Gc(GcOp::Alloc) => self.gc_alloc(i),
            Sig::Gc(GcOp::WriteBarrier) => {
                // Fast path: the object's flags have no FLAG_TRACK_YOUNG_PTRS.
                let p = gpr(args[0]);
                let resume = self.c.buf.label();
                let slow = self.c.defer(i, resume);
                let flags = jit_core::objects::GC_FLAGS_OFFSET;
                self.put(enc::mem_imm(true, Mem::W32, X16, p, flags));
                let bit =
                    enc::BitMask::encode(jit_core::gc::FLAG_TRACK_YOUNG_PTRS as u64, Width::W)
                        .expect("one bit");
                self.put(enc::logic_imm(Width::W, Logic::Ands, ZR, X16, bit));
                self.branch_to(Cond::Ne, slow);
                self.c.buf.bind(resume);
            }
            Sig::Finish | Sig::Label | Sig::Jump => unreachable!("the driver's"),
            Sig::Object(_) | Sig::CallSplit | Sig::CallHi => unreachable!("refused by constraints"),
        }
        Ok(())
    }

    fn guard(&mut self, i: usize) {
        let trace = self.c.trace;
        let op = &trace.ops[i];
        let args = self.c.alloc.args(i);
        let exit = self.c.exit(i);
        match op.opcode {
            Opcode::GuardTrue | Opcode::GuardFalse => {
                let fail_if_true = op.opcode == Opcode::GuardFalse;
                match args[0] {
                    Loc::Flags => {
                        let c = self.flags.take().expect("flags set by the previous op");
                        self.branch_to(if fail_if_true { c } else { c.invert() }, exit);
                    }
                    Loc::Const(c) => {
                        if (c.bits() != 0) == fail_if_true {
                            self.branch_to(Cond::Al, exit);
                        }
                    }
                    other => {
                        let r = self.int_src(other, Width::W, X16);
                        self.cbz_to(Width::W, fail_if_true, r, exit);
                    }
                }
            }
            Opcode::GuardValue => {
                let w = width(trace.operand_type(op.args[0]));
                self.cmp(w, gpr(args[0]), args[1]);
                self.branch_to(Cond::Ne, exit);
            }
            Opcode::GuardNonnull | Opcode::GuardIsnull => {
                let nonzero = op.opcode == Opcode::GuardIsnull;
                self.cbz_to(Width::X, nonzero, gpr(args[0]), exit);
            }
            Opcode::GuardClass | Opcode::GuardNonnullClass => {
                let p = gpr(args[0]);
                if op.opcode == Opcode::GuardNonnullClass {
                    self.cbz_to(Width::X, false, p, exit);
                }
                let tid = jit_core::objects::TYPE_ID_OFFSET;
                // (x17: a type id past an immediate's reach goes to x16.)
                self.put(enc::mem_imm(true, Mem::W32, X17, p, tid));
                self.cmp(Width::W, X17, args[1]);
                self.branch_to(Cond::Ne, exit);
            }
            other => unreachable!("{other} is not a guard lowered here"),
        }
    }

    /// `gc_alloc`: the nursery bump inline (the free and top words of the frame loaded as
    /// a pair), the collector out of line. With an operand in a register, the result
    /// register is written only once the bump succeeded, so the slow path still finds the
    /// operands (one may share it); x30, which only calls write, is the third scratch.
    fn gc_alloc(&mut self, i: usize) {
        let args = self.c.alloc.args(i);
        let rd = gpr(self.c.alloc.result(i).expect("verified"));
        let free = FRAME.gc * 8;
        let resume = self.c.buf.label();
        let slow = self.c.defer(i, resume);
        // An array longer than the collector allows goes to the slow path, which refuses it.
        if let Some(&len) = args.get(1) {
            let max = jit_core::gc::MAX_ARRAY_LENGTH;
            debug_assert!(max.is_multiple_of(1 << 12) && max >> 12 < 4096);
            match len {
                Loc::Const(c) if c.bits() as u32 <= max => {}
                Loc::Const(_) => self.branch_to(Cond::Al, slow),
                other => {
                    let r = self.int_src(other, Width::W, X16);
                    self.put(enc::add_sub_imm(
                        Width::W,
                        AddSub::Subs,
                        ZR,
                        r,
                        max >> 12,
                        true,
                    ));
                    self.branch_to(Cond::Hi, slow);
                }
            }
        }
        // x16 = free (or, with only constant operands, which the slow path makes again,
        // the result register at once), x17 = top.
        let consts = args.iter().all(|a| matches!(a, Loc::Const(_)));
        let free_reg = if consts { rd } else { X16 };
        let ldp = enc::pair(
            true,
            false,
            enc::PairIndex::Offset,
            free_reg,
            X17,
            FRAME_REG,
            free as i32,
        );
        self.put(ldp);
        // x30 = free + size (the size zero-extended).
        match args[0] {
            Loc::Const(c) if (c.bits() as u32) < 4096 => {
                let size = c.bits() as u32;
                self.add_imm(Width::X, AddSub::Add, LR, free_reg, size);
            }
            other => {
                match other {
                    Loc::Reg(r) => self.put(enc::mov(Width::W, LR, r.hw)),
                    Loc::Slot(s) => self.slot_mem(true, Mem::W32, LR, s),
                    Loc::Const(c) => self.mov_imm(Width::W, LR, c.bits() as u64),
                    Loc::Flags => panic!("an allocation size in the flags"),
                }
                self.put(enc::add_sub_reg(
                    Width::X,
                    AddSub::Add,
                    LR,
                    free_reg,
                    LR,
                    Shift::Lsl,
                    0,
                ));
            }
        }
        self.put(enc::cmp(Width::X, LR, X17));
        self.branch_to(Cond::Hi, slow);
        self.put(enc::mem_imm(false, Mem::X64, LR, FRAME_REG, free));
        if free_reg != rd {
            self.put(enc::mov(Width::X, rd, X16));
        }
        self.c.buf.bind(resume);
    }

    /// The slow path of a GC primitive: the operands into scratch registers (they may live
    /// in argument registers), the registers live across it that a call may destroy and
    /// those holding refs saved in their frame words (the collector updates the refs there
    /// and in the slots the GC map names), the collector called through its literal, the
    /// registers reloaded. An allocation's GC map sits at the start, jumped over.
    fn gc_slow_path(&mut self, d: Deferred) -> Result<(), CompileError> {
        let i = d.op;
        let op = &self.c.trace.ops[i];
        let alloc = self.c.alloc;
        let args = alloc.args(i);
        let layout = self.c.layout;
        let alloc_op = op.opcode == Opcode::GcAlloc;
        let map_at = if alloc_op {
            let blob = self.c.gc_map(i);
            let over = self.c.buf.label();
            self.branch_to(Cond::Al, over);
            let start = self.c.buf.offset();
            self.c.buf.bytes.extend_from_slice(&blob);
            while !self.c.buf.offset().is_multiple_of(4) {
                self.c.buf.bytes.push(0);
            }
            self.c.data_range(start, self.c.buf.offset() - start);
            self.c.buf.bind(over);
            Some(start)
        } else {
            None
        };
        let mov = |e: &mut Self, w: Width, rd: u8, rm: u8| e.put(enc::mov(w, rd, rm));
        if alloc_op {
            // w16 = size, w17 = length (zero-extended to x).
            let size = self.int_src(args[0], Width::W, X16);
            mov(self, Width::W, X16, size);
            match args.get(1) {
                Some(&len) => {
                    let len = self.int_src(len, Width::W, X17);
                    mov(self, Width::W, X17, len);
                }
                None => mov(self, Width::X, X17, ZR),
            }
        } else {
            mov(self, Width::X, X16, gpr(args[0]));
        }
        let saved = self.c.slow_path_saves(i, crate::regs::CALLER_SAVED);
        for &r in &saved {
            self.save_register(r, layout.save_word(r));
        }
        mov(self, Width::X, 0, FRAME_REG);
        mov(self, Width::X, 1, X16);
        let helper = match map_at {
            Some(map) => {
                mov(self, Width::X, 2, X17);
                let back = map as i32 - self.c.buf.offset() as i32;
                self.put(enc::adr(3, back));
                jit_core::gcrun::ALLOC_HELPER
            }
            None => jit_core::gcrun::BARRIER_HELPER,
        };
        self.load_function_address(X16, helper);
        self.put(enc::branch_reg(true, X16));
        if alloc_op {
            let rd = gpr(alloc.result(i).expect("verified"));
            let failed = self.c.gc_failed();
            self.cbz_to(Width::X, false, 0, failed);
            mov(self, Width::X, rd, 0);
        }
        for &r in &saved {
            let m = match r.class {
                RegClass::Int => Mem::X64,
                RegClass::Float => Mem::D64,
            };
            self.frame_mem(true, m, r.hw, layout.save_word(r));
        }
        self.branch_to(Cond::Al, d.resume);
        Ok(())
    }

    /// The callee-saved registers the prologue saves, as pairs: integers, a lone one
    /// with the zero register (stored as zero, loaded nowhere), then floats, a lone one
    /// with the float scratch d31.
    fn saved_pairs(frame: &NativeFrame) -> (Vec<[u8; 2]>, Vec<[u8; 2]>) {
        let pairs = |class: RegClass, filler: u8| {
            let regs: Vec<u8> = frame
                .saved
                .iter()
                .filter(|r| r.class == class)
                .map(|r| r.hw)
                .collect();
            regs.chunks(2)
                .map(|c| [c[0], c.get(1).copied().unwrap_or(filler)])
                .collect::<Vec<_>>()
        };
        (
            pairs(RegClass::Int, ZR),
            pairs(RegClass::Float, crate::regs::FSCRATCH[0]),
        )
    }
}

impl<'a> Isa<'a> for Emitter<'a> {
    fn emission(&mut self) -> &mut Emission<'a> {
        &mut self.c
    }

    fn prologue(&mut self) -> Result<(), CompileError> {
        use enc::PairIndex::Pre;
        self.put(enc::pair(false, false, Pre, 29, 30, enc::SP, -16));
        self.add_imm(Width::X, AddSub::Add, 29, enc::SP, 0);
        let (ints, floats) = Self::saved_pairs(&self.c.frame);
        for [a, b] in std::iter::once([BUDGET, FRAME_REG]).chain(ints) {
            self.put(enc::pair(false, false, Pre, a, b, enc::SP, -16));
        }
        for [a, b] in floats {
            self.put(enc::pair(false, true, Pre, a, b, enc::SP, -16));
        }
        let out = self.c.frame.outgoing_bytes;
        if out > 0 {
            if out >= 4096 {
                return Err(CompileError::Unsupported {
                    op: 0,
                    opcode: Opcode::Label,
                    reason: format!("{out} bytes of outgoing arguments"),
                });
            }
            self.add_imm(Width::X, AddSub::Sub, enc::SP, enc::SP, out);
        }
        self.put(enc::mov(Width::X, FRAME_REG, 0));
        self.frame_mem(true, Mem::X64, BUDGET, FRAME.budget);
        Ok(())
    }

    fn emit_move(&mut self, m: &Move) {
        Emitter::emit_move(self, m)
    }

    fn op(&mut self, i: usize) -> Result<(), CompileError> {
        Emitter::op(self, i)
    }

    fn slow_path(&mut self, d: Deferred) -> Result<(), CompileError> {
        if self.c.trace.ops[d.op].opcode == Opcode::FloatCanon {
            // A NaN: the canonical one's bits into the result.
            let rd = gpr(self.c.alloc.result(d.op).expect("verified"));
            self.mov_imm(Width::X, X16, jit_core::ir::CANONICAL_NAN_BITS);
            self.put(enc::fmov_bits(true, rd, X16));
            self.branch_to(Cond::Al, d.resume);
            return Ok(());
        }
        self.gc_slow_path(d)
    }

    const JUMP_PATCH_BYTES: u32 = 4;

    fn nop(&mut self) {
        self.put(enc::nop());
    }

    fn jump(&mut self, l: Label) {
        self.branch_to(Cond::Al, l);
    }

    fn jump_far(&mut self, target: RelocTarget) {
        let at = self.c.buf.offset();
        self.put(enc::branch(false, 0));
        self.c.reloc(at, B_FAR, target);
    }

    fn loop_back(&mut self, header: Label, out_of_budget: Label) {
        // The count of jumps left: taken while it was not zero (no borrow).
        self.add_imm(Width::X, AddSub::Subs, BUDGET, BUDGET, 1);
        self.branch_to(Cond::Hs, header);
        self.branch_to(Cond::Al, out_of_budget);
    }

    fn loop_back_far(&mut self, target: RelocTarget, out_of_budget: Label) {
        self.add_imm(Width::X, AddSub::Subs, BUDGET, BUDGET, 1);
        self.branch_to(Cond::Lo, out_of_budget);
        self.jump_far(target);
    }

    fn set_exit_index(&mut self, k: u32) {
        self.mov_imm(Width::X, X16, k as u64);
    }

    fn save_register(&mut self, r: PReg, word: u32) {
        let m = match r.class {
            RegClass::Int => Mem::X64,
            RegClass::Float => Mem::D64,
        };
        self.frame_mem(false, m, r.hw, word);
    }

    fn epilogue(&mut self) {
        use enc::PairIndex::Post;
        // Every part leaves here: the budget goes back to its frame word.
        self.frame_mem(false, Mem::X64, BUDGET, FRAME.budget);
        self.put(enc::mov(Width::X, 0, X16));
        let out = self.c.frame.outgoing_bytes;
        if out > 0 {
            self.add_imm(Width::X, AddSub::Add, enc::SP, enc::SP, out);
        }
        let (ints, floats) = Self::saved_pairs(&self.c.frame);
        for [a, b] in floats.into_iter().rev() {
            self.put(enc::pair(true, true, Post, a, b, enc::SP, 16));
        }
        for [a, b] in ints.into_iter().rev() {
            self.put(enc::pair(true, false, Post, a, b, enc::SP, 16));
        }
        self.put(enc::pair(true, false, Post, BUDGET, FRAME_REG, enc::SP, 16));
        self.put(enc::pair(true, false, Post, 29, 30, enc::SP, 16));
        self.put(enc::ret());
    }

    fn end(&mut self) {
        self.place_literals();
    }

    fn patch(kind: u8, code: &mut [u8], at: u32, target: u32) -> Result<(), FixupError> {
        let o = at as usize;
        let old = u32::from_le_bytes(code[o..o + 4].try_into().expect("4 bytes"));
        let new = rebranch(kind, old, (target as i64 - at as i64) / 4)
            .ok_or(FixupError::OutOfRange { at, target })?;
        code[o..o + 4].copy_from_slice(&new.to_le_bytes());
        Ok(())
    }
}

/// Branch word `old` of fixup `kind` with its offset set to `words` instructions, if it
/// reaches.
fn rebranch(kind: u8, old: u32, words: i64) -> Option<u32> {
    match kind {
        B26 if (-(1 << 25)..1 << 25).contains(&words) => {
            Some((old & 0xfc00_0000) | (words as u32 & 0x03ff_ffff))
        }
        B19 if (-(1 << 18)..1 << 18).contains(&words) => {
            Some((old & 0xff00_001f) | (words as u32 & 0x7ffff) << 5)
        }
        _ => None,
    }
}

/// A `b` at `at` to `target`, if `b` reaches it.
fn branch_word(at: u64, target: u64) -> Option<u32> {
    let words = (target as i64).wrapping_sub(at as i64) / 4;
    (-(1 << 25)..1 << 25)
        .contains(&words)
        .then(|| enc::branch(false, words as i32))
}

/// Writes `address` into relocation `kind` at `at` of code loaded at `code_address`.
pub fn relocate(
    kind: u8,
    code: &mut [u8],
    at: u32,
    code_address: u64,
    address: u64,
) -> Result<(), FixupError> {
    let o = at as usize;
    if kind == ADDR64 {
        code[o..o + 8].copy_from_slice(&address.to_le_bytes());
        return Ok(());
    }
    debug_assert_eq!(kind, B_FAR);
    let word = branch_word(code_address + at as u64, address)
        .ok_or(FixupError::AddressTooWide { at, address })?;
    code[o..o + 4].copy_from_slice(&word.to_le_bytes());
    Ok(())
}

/// The `b` that attaching a bridge patches into an exit stub at `at`.
pub fn jump_patch(at: u64, target: u64) -> Result<Vec<u8>, FixupError> {
    branch_word(at, target)
        .map(|w| w.to_le_bytes().to_vec())
        .ok_or(FixupError::AddressTooWide {
            at: at as u32,
            address: target,
        })
}

/// Retargets the branch fixup `kind` at `at` (its word `old`) to `target`.
pub fn branch_patch(kind: u8, old: &[u8], at: u64, target: u64) -> Result<Vec<u8>, FixupError> {
    let out_of_range = FixupError::OutOfRange {
        at: at as u32,
        target: target as u32,
    };
    let old: [u8; 4] = old
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or(out_of_range.clone())?;
    let words = (target as i64).wrapping_sub(at as i64) / 4;
    rebranch(kind, u32::from_le_bytes(old), words)
        .map(|w| w.to_le_bytes().to_vec())
        .ok_or(out_of_range)
}

/// The bytes the trace's calls stack, at most.
fn outgoing_bytes(trace: &Trace) -> u32 {
    trace
        .ops
        .iter()
        .filter_map(|o| o.func().filter(|_| o.opcode.is_call()))
        .map(|f| crate::abi::assign(&trace.funcs[f].params).1)
        .max()
        .unwrap_or(0)
}

/// Lowers and encodes the allocated trace.
pub fn emit(
    trace: &Trace,
    live: &Liveness,
    alloc: &Allocation,
    contract: &FrameContract,
    kind: EmitKind,
    triple: Triple,
) -> Result<CompiledTrace, CompileError> {
    let mut e = Emitter {
        c: Emission::new(trace, alloc, contract, outgoing_bytes(trace), 16, kind),
        flags: None,
        overflow: None,
        literals: Vec::new(),
        folded_shifts: (0..trace.ops.len())
            .map(|i| shift_folds(trace, live, i))
            .collect(),
        product_feeds_next: (0..trace.ops.len())
            .map(|i| trace.ops[i].opcode == Opcode::IntMul && live.feeds_only_next(trace, i))
            .collect(),
        fused_next: None,
    };
    jit_core::emit::emit(&mut e, triple)
}
