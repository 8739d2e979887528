//! Constraints for the register allocator, and the ISA hooks of jit-core's emission driver
//! (`jit_core::emit`): the lowering of each op to A32 (+ VFP), moves, prologue, epilogue.
//!
//! The frame pointer is r11; ip (r12) and lr (r14) are scratch registers inside one op
//! (lr is saved by the prologue); d15 (with s30, s31) is the float scratch. The frame is
//! jit-core's [`jit_core::frame::FrameLayout`] for the profile's register file: r0–r10 saved
//! on exit at words 0–10, d0–d13 at 11–24 (ARMv7), then the budget and GC
//! words, then the slots.

use jit_core::backend::{
    CompileError, CompiledTrace, Def, Loc, OpConstraints, Reg as PReg, RegClass, RegSet, Use,
};
use jit_core::codebuf::{FixupError, Label};
use jit_core::emit::{Deferred, Emission, EmitKind, Isa, RelocTarget};
use jit_core::frame::{FrameContract, NativeFrame};
use jit_core::ir::{GcOp, MemType, ObjOp, Opcode, Scalar, Sig, Trace, Type};
use jit_core::liveness::{Liveness, ShiftFold as Fold};
use jit_core::regalloc::{Allocation, Move};
use target_lexicon::Triple;

use crate::abi::{self, call_operand_locs, stack_bytes, ArgLoc, FloatAbi, TRAP_BASE};
use crate::enc::{self, ArmImm, Cond, Dp, Extra, MemOffset, Shift, Vop, Vun, LR, PC, SP};
use crate::regs::{Profile, CALLER_SAVED, DS, FP, IP, S30};

/// The allocator constraints of op `i`.
pub fn constraints(
    trace: &Trace,
    live: &Liveness,
    float: FloatAbi,
    i: usize,
    out: &mut OpConstraints,
) -> Result<(), CompileError> {
    use Use::*;
    let op = &trace.ops[i];
    out.uses.clear();
    out.clobbers = RegSet::EMPTY;
    out.live_across = false;
    let cmp_def = if live.fuses_with_next_guard(trace, i) {
        Def::Flags
    } else {
        Def::Reg
    };
    let unsupported = |reason: &str| {
        Err(CompileError::Unsupported {
            op: i,
            opcode: op.opcode,
            reason: reason.into(),
        })
    };
    let has_i64 = op.args.iter().any(|&a| trace.operand_type(a) == Type::I64)
        || op.result.is_some_and(|r| trace.ty(r) == Type::I64);
    if has_i64 && !op.opcode.is_call() {
        return unsupported("i64 values are split into pairs before lowering");
    }
    // A shift folded into the next op: no instruction of its own.
    if let Some(fold) = shift_fuses_into_next(trace, live, i) {
        out.uses.extend([Reg, Any]);
        out.def = Some(match fold {
            Fold::Dies => Def::ReuseInput(0),
            Fold::OtherOperand => Def::Reg,
        });
        return Ok(());
    }
    let (uses, def): (&[Use], Def) = match op.opcode.sig() {
        Sig::IntBinary => match op.opcode {
            Opcode::IntDiv | Opcode::IntRem | Opcode::UintDiv | Opcode::UintRem => {
                return unsupported(
                    "division is legalized into helper calls (no divide instruction)",
                )
            }
            Opcode::IntMul | Opcode::UintMulHigh => (&[Reg, Reg], Def::Reg),
            _ => (&[Reg, Any], Def::Reg),
        },
        Sig::IntOverflow => match op.opcode {
            Opcode::IntMulOvf => (&[Reg, Reg], Def::Reg),
            _ => (&[Reg, Any], Def::Reg),
        },
        Sig::CarryOut | Sig::CarryIn => (&[Reg, Any], Def::Reg),
        Sig::IntUnary => (&[Reg], Def::Reg),
        Sig::IntCompare | Sig::RefCompare => (&[Reg, Any], cmp_def),
        Sig::IntTest => (&[Reg], cmp_def),
        // The add of a multiply-accumulate pair writes its accumulator's register, which
        // `vmla`/`vmls` need ([`float_accumulate`]).
        Sig::FloatBinary => match float_accumulate(trace, live, i) {
            Some((k, _)) => (&[Reg, Reg], Def::ReuseInput(k as u8)),
            None => (&[Reg, Reg], Def::Reg),
        },
        Sig::FloatUnary => (&[Reg], Def::Reg),
        Sig::FloatCompare => (&[Reg, Reg], cmp_def),
        Sig::Convert(..) => (&[Reg], Def::Reg),
        Sig::Load(_) => (&[Reg, Any], Def::Reg),
        Sig::Store(_) => (&[Reg, Any, Any], Def::None),
        Sig::SameAs => (&[Any], Def::ReuseInput(0)),
        Sig::GuardCond => (&[Any], Def::None),
        Sig::GuardValue => (&[Reg, Any], Def::None),
        Sig::GuardRef => (&[Reg], Def::None),
        Sig::GuardFlag => (&[], Def::None),
        Sig::CallHi => {
            out.def = Some(Def::Fixed(PReg::int(1)));
            return Ok(());
        }
        Sig::Finish => {
            out.uses.extend(op.args.iter().map(|_| Any));
            out.def = Some(Def::None);
            return Ok(());
        }
        Sig::FuncAddr => (&[], Def::Reg),
        Sig::Call | Sig::CallSplit => {
            let locs = call_operand_locs(trace, op, float);
            let mut clobbers = CALLER_SAVED;
            for (&a, loc) in op.args.iter().zip(&locs) {
                let u = match (*loc, trace.operand_type(a)) {
                    (ArgLoc::Core(r), _) => Fixed(PReg::int(r)),
                    (ArgLoc::Vfp(d), _) => Fixed(PReg::float(d)),
                    (ArgLoc::CorePair(lo, hi), _) => {
                        // An f64 under softfp: moved into the pair just before the call.
                        clobbers = clobbers.with(PReg::int(lo)).with(PReg::int(hi));
                        Reg
                    }
                    // A hard-float float's bits: moved into its s register before the call.
                    (ArgLoc::VfpSingle(_), _) | (ArgLoc::Stack(_), _) => Any,
                };
                out.uses.push(u);
            }
            // An indirect call's callee (last) is in a register of its own.
            if op.opcode.is_indirect_call() {
                out.uses.push(Reg);
            }
            out.clobbers = clobbers;
            let decl = &trace.funcs[op.func().expect("verified")];
            let callee_float = abi::for_callee(&decl.name, float);
            out.def = Some(match (op.result.map(|r| trace.ty(r)), decl.ret) {
                (None, _) => Def::None,
                (Some(Type::F64), _) if callee_float == FloatAbi::Hard => {
                    Def::Fixed(PReg::float(0))
                }
                (Some(Type::F64), _) => Def::Reg,
                (Some(_), _) => Def::Fixed(PReg::int(0)),
            });
            return Ok(());
        }
        Sig::Label | Sig::Jump => {
            return unsupported("label and jump are handled by the allocator")
        }
        Sig::Object(ObjOp::GuardClass | ObjOp::GuardNonnullClass) => (&[Reg, Any], Def::None),
        Sig::Object(_) => {
            return unsupported("object operations reach backends lowered by the GC rewrite")
        }
        Sig::Gc(GcOp::Alloc) => {
            // The fast path uses ip and lr itself: a constant operand must be an immediate.
            let imm = |k: usize| match op.args[k] {
                jit_core::ir::Operand::Const(c) if ArmImm::encode(int_bits(c)).is_some() => Any,
                _ => Reg,
            };
            out.live_across = true;
            out.uses.push(imm(0));
            if op.args.len() == 2 {
                out.uses.push(imm(1));
            }
            out.def = Some(Def::Reg);
            return Ok(());
        }
        Sig::Gc(GcOp::WriteBarrier) => {
            out.live_across = true;
            (&[Reg], Def::None)
        }
        Sig::Gc(GcOp::LoadRef) => (&[Reg, Any], Def::Reg),
        Sig::Gc(GcOp::StoreRef) => (&[Reg, Any, Any], Def::None),
    };
    out.uses.extend_from_slice(uses);
    out.def = Some(def);
    Ok(())
}

/// A condition left in the flags by a fused comparison: true when `Cond` holds.
type Flags = Cond;

/// The A32 half of the emission: [`Emission`] holds what every ISA shares (the constant-pool
/// islands go to its `data_ranges`).
struct Emitter<'a> {
    c: Emission<'a>,
    profile: Profile,
    float: FloatAbi,
    flags: Option<Flags>,
    /// Per op, whether it is a shift folded into the next op's shifted operand
    /// ([`shift_fuses_into_next`]), and how: it emits nothing.
    fused_shifts: Vec<Option<Fold>>,
    /// The veneer of each external function called so far (its call slot and label),
    /// placed at the end.
    veneers: Vec<(u32, Label)>,
    /// Per op, whether it is an `int_mul` whose product's only use is the next op.
    product_feeds_next: Vec<bool>,
    /// The op [`Emitter::multiply_pair`] made with the one before it: it emits nothing.
    fused_next: Option<usize>,
    /// Per op, for a `float_mul` that pairs with the next op ([`float_accumulate`]): the
    /// accumulator's argument index there, and whether it subtracts.
    accumulates: Vec<Option<(usize, bool)>>,
}

/// Whether f64 op `i` and the `float_mul` before it can be one `vmla` (`acc + a * b`, in
/// either order) or `vmls` (`acc - a * b`): the product's only use is op `i`, and the
/// accumulator is another value, which dies at op `i`. VFP's multiply-accumulate rounds
/// the product before the sum (it is not fused), so its value is `vmul`'s then
/// `vadd`'s/`vsub`'s; a NaN it makes is made canonical where one is observed, as theirs
/// are. Returns the accumulator's argument index and whether it subtracts.
fn float_accumulate(trace: &Trace, live: &Liveness, i: usize) -> Option<(usize, bool)> {
    use jit_core::ir::Operand;
    let op = trace.ops.get(i)?;
    let prev = trace.ops.get(i.checked_sub(1)?)?;
    let product = prev.result?;
    if prev.opcode != Opcode::FloatMul || live.uses(product) != [i as u32] {
        return None;
    }
    let k = match (op.opcode, op.args.as_slice()) {
        (Opcode::FloatAdd, [Operand::Value(a), Operand::Value(b)]) if *a == product => {
            (*b != product).then_some(1)?
        }
        (Opcode::FloatAdd | Opcode::FloatSub, [Operand::Value(a), Operand::Value(b)])
            if *b == product && *a != product =>
        {
            0
        }
        _ => return None,
    };
    let Operand::Value(acc) = op.args[k] else {
        return None;
    };
    (live.uses(acc).last() == Some(&(i as u32))).then_some((k, op.opcode == Opcode::FloatSub))
}

/// Whether shift op `i` folds into its user ([`Liveness::shift_fold`]): an i32 shift whose
/// user is an `add`, `sub` (either operand: a shifted first one is `rsb`), `and`, `orr` or
/// `eor`.
fn shift_fuses_into_next(trace: &Trace, live: &Liveness, i: usize) -> Option<Fold> {
    live.shift_fold(trace, i, &|user, ty, _| {
        ty == Type::I32
            && matches!(
                user.opcode,
                Opcode::IntAdd | Opcode::IntSub | Opcode::IntAnd | Opcode::IntOr | Opcode::IntXor
            )
    })
}

/// Fixup kind: a B/BL word offset.
const BRANCH: u8 = 0;
/// Relocation kind: an address in a MOVW/MOVT pair.
pub const MOVW_MOVT: u8 = 0;
/// Relocation kind: an address as MOV then three ORRs, one byte each (ARMv5).
pub const MOV_ORR: u8 = 1;
/// Relocation kind: a `b` to an address outside the code.
pub const B_FAR: u8 = 2;
/// Relocation kind: an address as a data word in the code (ARMv5's calls).
pub const ADDR32: u8 = 3;
/// Fixup kind: an `ldr rd, [pc, #±imm12]` literal load.
const LDR_LIT: u8 = 1;
/// Fixup kind: a `vldr dd, [pc, #±imm8*4]` literal load.
const VLDR_LIT: u8 = 2;
/// Bytes of code after the first use of a pending constant before an island is placed
/// (an `ldr` literal reaches 4095 bytes past pc + 8; an op emits far less than the rest).
const ISLAND_DISTANCE: u32 = 3000;
/// The same for `vldr` literals, which reach 1020 bytes: what follows the last check (one
/// op, or one exit stub and the common exit with the epilogue) stays under the rest. (A
/// call checks again after each stacked argument: forty of them are a kilobyte.)
const VLDR_ISLAND_DISTANCE: u32 = 640;

/// `x` as rotated bytes (even-aligned 8-bit fields) whose OR is `x`, lowest first.
fn chunks(x: u32) -> impl Iterator<Item = u32> + Clone {
    let mut rest = x;
    std::iter::from_fn(move || {
        (rest != 0).then(|| {
            let p = rest.trailing_zeros() & !1;
            let c = rest & (0xffu32.checked_shl(p).unwrap_or(0));
            rest &= !c;
            c
        })
    })
}

fn gpr(l: Loc) -> u8 {
    match l {
        Loc::Reg(r) => r.hw,
        other => panic!("expected a register, found {other:?}"),
    }
}

fn int_bits(c: Scalar) -> u32 {
    c.bits() as u32
}

impl Emitter<'_> {
    fn put(&mut self, w: u32) {
        self.c.buf.put_u32(w);
    }

    fn branch_to(&mut self, c: Cond, link: bool, l: Label) {
        let at = self.c.buf.offset();
        self.put(enc::branch(c, link, 0));
        self.c.buf.fixup(at, l, BRANCH);
    }

    /// Loads a 32-bit constant into `rd` without touching the flags.
    fn mov_imm(&mut self, rd: u8, v: u32) {
        if let Some(i) = ArmImm::encode(v) {
            self.put(enc::dp_imm(Cond::Al, Dp::Mov, false, rd, 0, i));
        } else if let Some(i) = ArmImm::encode(!v) {
            self.put(enc::dp_imm(Cond::Al, Dp::Mvn, false, rd, 0, i));
        } else if self.profile == Profile::V5te && chunks(v).count().min(chunks(!v).count()) > 2 {
            // A literal from the constant pool, shared by every load of the same value.
            let l = self.c.buf.constant(v as u64, 4);
            let at = self.c.buf.offset();
            self.put(enc::mem_imm(
                Cond::Al,
                true,
                false,
                rd,
                PC,
                MemOffset {
                    up: true,
                    magnitude: 0,
                },
            ));
            self.c.buf.fixup(at, l, LDR_LIT);
        } else if self.profile == Profile::V5te {
            // MOV then ORR of rotated bytes (MVN then BIC when the complement is shorter).
            let (first, rest, x) = if chunks(!v).count() < chunks(v).count() {
                (Dp::Mvn, Dp::Bic, !v)
            } else {
                (Dp::Mov, Dp::Orr, v)
            };
            for (k, c) in chunks(x).enumerate() {
                let i = ArmImm::encode(c).expect("a rotated byte");
                self.put(if k == 0 {
                    enc::dp_imm(Cond::Al, first, false, rd, 0, i)
                } else {
                    enc::dp_imm(Cond::Al, rest, false, rd, rd, i)
                });
            }
        } else {
            self.put(enc::movw(Cond::Al, rd, v as u16));
            if v >> 16 != 0 {
                self.put(enc::movt(Cond::Al, rd, (v >> 16) as u16));
            }
        }
    }

    /// Loads `address` into `rd` in a fixed shape a relocation can rewrite: MOVW/MOVT on
    /// ARMv7, MOV and three ORRs of its bytes on ARMv5.
    fn mov_address(&mut self, rd: u8, address: u32, target: RelocTarget) {
        let at = self.c.buf.offset();
        if self.profile.vfp() {
            self.put(enc::movw(Cond::Al, rd, address as u16));
            self.put(enc::movt(Cond::Al, rd, (address >> 16) as u16));
            self.c.reloc(at, MOVW_MOVT, target);
        } else {
            let zero = ArmImm::encode(0).expect("0");
            self.put(enc::dp_imm(Cond::Al, Dp::Mov, false, rd, 0, zero));
            for _ in 0..3 {
                self.put(enc::dp_imm(Cond::Al, Dp::Orr, false, rd, rd, zero));
            }
            self.c.reloc(at, MOV_ORR, target);
            relocate(MOV_ORR, &mut self.c.buf.bytes, at, 0, address as u64)
                .expect("a 32-bit address fits");
        }
    }

    /// Places the pending constants here, jumping over them, once the first reference is
    /// getting out of an `ldr`'s reach (or always, with `force`).
    fn island(&mut self, force: bool) {
        let Some(first) = self.c.buf.pool_first_use() else {
            return;
        };
        let reach = if self.profile.vfp() {
            VLDR_ISLAND_DISTANCE
        } else {
            ISLAND_DISTANCE
        };
        if !force && self.c.buf.offset() - first < reach {
            return;
        }
        let over = self.c.buf.label();
        self.branch_to(Cond::Al, false, over);
        let start = self.c.buf.offset();
        self.c.buf.place_pool(0);
        self.c.data_ranges.push((start, self.c.buf.offset()));
        self.c.buf.bind(over);
    }

    /// Loads f64 bits into `dd` with one `vldr` from the constant pool (shared by every
    /// load of the same value; flags untouched).
    fn mov_f64(&mut self, dd: u8, bits: u64) {
        self.mov_f64_if(Cond::Al, dd, bits);
    }

    /// [`Self::mov_f64`] under a condition.
    fn mov_f64_if(&mut self, c: Cond, dd: u8, bits: u64) {
        let l = self.c.buf.constant(bits, 8);
        let at = self.c.buf.offset();
        self.put(enc::vmem(
            c,
            true,
            dd,
            PC,
            MemOffset {
                up: true,
                magnitude: 0,
            },
        ));
        self.c.buf.fixup(at, l, VLDR_LIT);
    }

    /// Runs `access` with an offset from fp within `reach` for the frame byte `off`: a slot
    /// beyond the instruction's reach is reached by moving fp up by the rest (rotated
    /// immediates, one or two adds) around the access and back, so no scratch register is
    /// needed and the flags are kept.
    fn frame_access(&mut self, off: u32, reach: u32, access: impl FnOnce(&mut Self, u32)) {
        if off <= reach {
            return access(self, off);
        }
        let lo = off & if reach >= 4095 { 0xfff } else { 0x3ff };
        let parts = chunks(off - lo);
        for p in parts.clone() {
            let i = ArmImm::encode(p).expect("a chunk is a rotated immediate");
            self.put(enc::dp_imm(Cond::Al, Dp::Add, false, FP, FP, i));
        }
        access(self, lo);
        for p in parts {
            let i = ArmImm::encode(p).expect("a chunk is a rotated immediate");
            self.put(enc::dp_imm(Cond::Al, Dp::Sub, false, FP, FP, i));
        }
    }

    /// `ldr`/`str` of `rt` at frame word `word` (+ `extra` bytes).
    fn mem_frame(&mut self, load: bool, rt: u8, word: u32, extra: u32) {
        self.frame_access(word * 8 + extra, 4095, |e, off| {
            e.put(enc::mem_imm(
                Cond::Al,
                load,
                false,
                rt,
                FP,
                MemOffset::new(off as i32, 4095).expect("within reach"),
            ))
        });
    }

    fn ldr_frame(&mut self, rt: u8, word: u32, extra: u32) {
        self.mem_frame(true, rt, word, extra);
    }

    fn str_frame(&mut self, rt: u8, word: u32, extra: u32) {
        self.mem_frame(false, rt, word, extra);
    }

    /// `subs` 1 from the budget's low word in its register (the carry is clear when it was
    /// zero).
    fn decrement_budget_low(&mut self) {
        let one = ArmImm::encode(1).expect("1");
        let b = crate::regs::BUDGET;
        self.put(enc::dp_imm(Cond::Al, Dp::Sub, true, b, b, one));
    }

    /// `subs` 1 from the 32-bit half at byte `half` of the budget word, in place (the carry
    /// is clear when it was zero).
    fn decrement_budget_word(&mut self, half: u32) {
        self.ldr_frame(IP, self.c.layout.budget, half);
        let one = ArmImm::encode(1).expect("1");
        self.put(enc::dp_imm(Cond::Al, Dp::Sub, true, IP, IP, one));
        self.str_frame(IP, self.c.layout.budget, half);
    }

    /// vldr/vstr `dd` at frame word `word`.
    fn vmem_frame(&mut self, load: bool, dd: u8, word: u32) {
        self.frame_access(word * 8, 1020, |e, off| {
            e.put(enc::vmem(
                Cond::Al,
                load,
                dd,
                FP,
                MemOffset::new(off as i32, 1020).expect("within reach"),
            ))
        });
    }

    fn emit_move(&mut self, m: &Move) {
        match (m.from, m.to, m.class) {
            (Loc::Reg(a), Loc::Reg(b), RegClass::Int) => self.put(enc::dp_reg(
                Cond::Al,
                Dp::Mov,
                false,
                b.hw,
                0,
                a.hw,
                Shift::Lsl,
                0,
            )),
            (Loc::Reg(a), Loc::Reg(b), RegClass::Float) => {
                self.put(enc::vun(Cond::Al, Vun::Mov, b.hw, a.hw))
            }
            (Loc::Reg(a), Loc::Slot(s), RegClass::Int) => {
                self.str_frame(a.hw, self.c.layout.slot_word(s), 0)
            }
            (Loc::Reg(a), Loc::Slot(s), RegClass::Float) => {
                self.vmem_frame(false, a.hw, self.c.layout.slot_word(s))
            }
            (Loc::Slot(s), Loc::Reg(b), RegClass::Int) => {
                self.ldr_frame(b.hw, self.c.layout.slot_word(s), 0)
            }
            (Loc::Slot(s), Loc::Reg(b), RegClass::Float) => {
                self.vmem_frame(true, b.hw, self.c.layout.slot_word(s))
            }
            (Loc::Slot(s), Loc::Slot(t), _) => {
                for half in [0, 4] {
                    self.ldr_frame(LR, self.c.layout.slot_word(s), half);
                    self.str_frame(LR, self.c.layout.slot_word(t), half);
                }
            }
            (Loc::Const(c), Loc::Reg(b), RegClass::Int) => self.mov_imm(b.hw, int_bits(c)),
            (Loc::Const(c), Loc::Reg(b), RegClass::Float) => self.mov_f64(b.hw, c.bits() as u64),
            (Loc::Const(c), Loc::Slot(t), _) => {
                let bits = c.bits() as u64;
                self.mov_imm(LR, bits as u32);
                self.str_frame(LR, self.c.layout.slot_word(t), 0);
                self.mov_imm(LR, (bits >> 32) as u32);
                self.str_frame(LR, self.c.layout.slot_word(t), 4);
            }
            (from, to, class) => {
                panic!("the allocator asked for an impossible move {from:?} -> {to:?} ({class:?})")
            }
        }
    }

    /// An integer second operand as an immediate (if it fits) or a register (loading
    /// constants and slots into lr).
    fn op2(&mut self, l: Loc) -> Result<ArmImm, u8> {
        match l {
            Loc::Const(c) => match ArmImm::encode(int_bits(c)) {
                Some(i) => Ok(i),
                None => {
                    self.mov_imm(LR, int_bits(c));
                    Err(LR)
                }
            },
            Loc::Slot(s) => {
                self.ldr_frame(LR, self.c.layout.slot_word(s), 0);
                Err(LR)
            }
            Loc::Reg(r) => Err(r.hw),
            Loc::Flags => panic!("an operand in the flags"),
        }
    }

    /// Op `i`, an `int_mul`, made together with the op after it as one instruction when
    /// they pair: `umull` with the `uint_mul_high` of the same operands (an i64 multiply's
    /// low word and its carry), or `mla` with the `int_add` that is the product's only
    /// use. The second op's result register is written here, one op early. It holds
    /// nothing the pair still needs: no move comes between the two, a value live past the
    /// second op is not in it, and a value dying at either op is one this instruction reads
    /// before it writes. Returns whether it emitted the pair.
    fn multiply_pair(&mut self, i: usize) -> bool {
        use jit_core::ir::Operand;
        let trace = self.c.trace;
        let alloc = self.c.alloc;
        let op = &trace.ops[i];
        let Some(next) = trace.ops.get(i + 1) else {
            return false;
        };
        if !alloc.edits(i + 1).is_empty() || self.folded_operand(i + 1).is_some() {
            return false;
        }
        let (Some(Loc::Reg(rd)), &[Loc::Reg(ra), Loc::Reg(rb)]) =
            (alloc.result(i + 1), alloc.args(i))
        else {
            return false;
        };
        let (rd, ra, rb) = (rd.hw, ra.hw, rb.hw);
        let v5 = self.profile == Profile::V5te;
        // The multiplicand in bits 3:0, which ARMv5 wants apart from the destinations.
        let first = |dests: &[u8]| {
            if !dests.contains(&ra) {
                Some((ra, rb))
            } else if !dests.contains(&rb) || !v5 {
                Some((rb, ra))
            } else {
                None
            }
        };
        match next.opcode {
            Opcode::UintMulHigh => {
                let swapped = [op.args[1], op.args[0]];
                if next.args[..] != op.args[..] && next.args[..] != swapped[..] {
                    return false;
                }
                let Some(Loc::Reg(rl)) = alloc.result(i) else {
                    return false;
                };
                if rl.hw == rd {
                    return false;
                }
                let Some((x, y)) = first(&[rl.hw, rd]) else {
                    return false;
                };
                self.put(enc::mull(Cond::Al, false, rl.hw, rd, x, y));
                true
            }
            Opcode::IntAdd if self.product_feeds_next[i] => {
                let product = op.result.map(Operand::Value);
                let k = match (Some(next.args[0]) == product, Some(next.args[1]) == product) {
                    (true, false) => 1,
                    (false, true) => 0,
                    _ => return false,
                };
                let (Operand::Value(_), Loc::Reg(acc)) = (next.args[k], alloc.args(i + 1)[k])
                else {
                    return false;
                };
                let Some((x, y)) = first(&[rd]) else {
                    return false;
                };
                self.put(enc::mla(Cond::Al, rd, x, y, acc.hw));
                true
            }
            _ => false,
        }
    }

    /// Op `i`, a `float_mul`, made with the add or subtract after it as one `vmla`/`vmls`
    /// when they pair ([`float_accumulate`]) and the add's result is in its accumulator's
    /// register, as its constraint asks. That register is written here, one op early: the
    /// accumulator dies at the add, and every other value live there is elsewhere.
    fn multiply_accumulate(&mut self, i: usize) -> bool {
        let alloc = self.c.alloc;
        let Some(k) = self.accumulates[i] else {
            return false;
        };
        if !alloc.edits(i + 1).is_empty() {
            return false;
        }
        let (Some(Loc::Reg(rd)), Loc::Reg(acc), &[Loc::Reg(x), Loc::Reg(y)]) =
            (alloc.result(i + 1), alloc.args(i + 1)[k.0], alloc.args(i))
        else {
            return false;
        };
        if rd != acc {
            return false;
        }
        let v = if k.1 { Vop::Mls } else { Vop::Mla };
        self.put(enc::vop(Cond::Al, v, rd.hw, x.hw, y.hw));
        true
    }

    /// The folded shift among op `i`'s operands, if any: its op and how it folded.
    fn folded_operand(&self, i: usize) -> Option<(usize, Fold)> {
        jit_core::liveness::folded_shift(self.c.trace, &self.fused_shifts, i)
    }

    /// Op `i`, an `add`, `sub`, `and`, `or` or `xor` one of whose operands is op
    /// `shift_op`'s folded shift: one data-processing instruction with that operand shifted.
    fn with_shifted_operand(&mut self, i: usize, shift_op: usize, fold: Fold) {
        use jit_core::ir::Operand;
        let trace = self.c.trace;
        let shifted = trace.ops[shift_op].result.expect("a shift has a result");
        let c = trace.ops[shift_op].args[1];
        let sh = match trace.ops[shift_op].opcode {
            Opcode::IntLshift => Shift::Lsl,
            Opcode::IntRshift => Shift::Asr,
            _ => Shift::Lsr,
        };
        let n = match c {
            Operand::Const(c) => (c.bits() & 31) as u32,
            Operand::Value(_) => unreachable!("a folded shift is by a constant"),
        };
        let op = &trace.ops[i];
        let args = self.c.alloc.args(i);
        let rd = gpr(self.c.alloc.result(i).expect("verified"));
        let first = op.args[0] == Operand::Value(shifted);
        let (shifted_loc, other_loc) = if first {
            (args[0], args[1])
        } else {
            (args[1], args[0])
        };
        let rn = match other_loc {
            Loc::Reg(r) => r.hw,
            Loc::Slot(s) => {
                self.ldr_frame(LR, self.c.layout.slot_word(s), 0);
                LR
            }
            other => panic!("an operand beside a folded shift in {other:?}"),
        };
        // The shift's input: the unshifted value in the result's register, or the other
        // operand itself.
        let rm = match (fold, shifted_loc) {
            (Fold::OtherOperand, _) => rn,
            (Fold::Dies, Loc::Reg(r)) => r.hw,
            (Fold::Dies, Loc::Slot(s)) => {
                self.ldr_frame(IP, self.c.layout.slot_word(s), 0);
                IP
            }
            (Fold::Dies, other) => panic!("a folded shift's value in {other:?}"),
        };
        // `x - (y << k)` is `sub`; `(y << k) - x` is `rsb`.
        let dp = match op.opcode {
            Opcode::IntAdd => Dp::Add,
            Opcode::IntSub if first => Dp::Rsb,
            Opcode::IntSub => Dp::Sub,
            Opcode::IntAnd => Dp::And,
            Opcode::IntOr => Dp::Orr,
            _ => Dp::Eor,
        };
        self.put(enc::dp_reg(Cond::Al, dp, false, rd, rn, rm, sh, n));
    }

    fn dp(&mut self, op: Dp, s: bool, rd: u8, rn: u8, b: Loc) {
        // Negative constants may fit the inverse operation.
        if let Loc::Const(c) = b {
            let v = int_bits(c);
            // (Not for flag-setting add and subtract: their carry and overflow would differ.)
            let alt = match (op, s) {
                (Dp::Add, false) => Some((Dp::Sub, v.wrapping_neg())),
                (Dp::Sub, false) => Some((Dp::Add, v.wrapping_neg())),
                (Dp::Cmp, _) => Some((Dp::Cmn, v.wrapping_neg())),
                (Dp::And, _) => Some((Dp::Bic, !v)),
                _ => None,
            };
            if ArmImm::encode(v).is_none() {
                if let Some((alt_op, alt_v)) = alt {
                    if let Some(i) = ArmImm::encode(alt_v) {
                        self.put(enc::dp_imm(Cond::Al, alt_op, s, rd, rn, i));
                        return;
                    }
                }
            }
        }
        match self.op2(b) {
            Ok(i) => self.put(enc::dp_imm(Cond::Al, op, s, rd, rn, i)),
            Err(rm) => self.put(enc::dp_reg(Cond::Al, op, s, rd, rn, rm, Shift::Lsl, 0)),
        }
    }

    fn int_cond(op: Opcode) -> Cond {
        use Opcode::*;
        match op {
            IntEq | PtrEq | IntIsZero => Cond::Eq,
            IntNe | PtrNe | IntIsTrue => Cond::Ne,
            IntLt => Cond::Lt,
            IntLe => Cond::Le,
            IntGt => Cond::Gt,
            IntGe => Cond::Ge,
            UintLt => Cond::Lo,
            UintLe => Cond::Ls,
            UintGt => Cond::Hi,
            _ => Cond::Hs,
        }
    }

    fn float_cond(op: Opcode) -> Cond {
        match op {
            Opcode::FloatEq => Cond::Eq,
            Opcode::FloatNe => Cond::Ne,
            Opcode::FloatLt => Cond::Mi,
            Opcode::FloatLe => Cond::Ls,
            Opcode::FloatGt => Cond::Gt,
            _ => Cond::Ge,
        }
    }

    fn set_result(&mut self, c: Cond, res: Option<Loc>) {
        match res {
            Some(Loc::Flags) => self.flags = Some(c),
            Some(Loc::Reg(r)) => {
                self.put(enc::dp_imm(
                    Cond::Al,
                    Dp::Mov,
                    false,
                    r.hw,
                    0,
                    ArmImm::encode(0).expect("0"),
                ));
                self.put(enc::dp_imm(
                    c,
                    Dp::Mov,
                    false,
                    r.hw,
                    0,
                    ArmImm::encode(1).expect("1"),
                ));
            }
            other => panic!("a comparison result in {other:?}"),
        }
    }

    /// The address of a load or store as (base register, offset within `max`); uses ip.
    fn address(
        &mut self,
        base: Loc,
        index: Loc,
        scale: u8,
        offset: i32,
        max: u32,
    ) -> (u8, MemOffset) {
        let base = gpr(base);
        let fits = |o: i64| {
            i32::try_from(o)
                .ok()
                .and_then(|o| MemOffset::new(o, max))
                .filter(|m| max != 1020 || m.magnitude % 4 == 0)
        };
        match index {
            Loc::Const(c) => {
                let disp = c.bits() as i32 as i64 * scale as i64 + offset as i64;
                if let Some(m) = fits(disp) {
                    return (base, m);
                }
                self.mov_imm(IP, disp as u32);
                self.put(enc::dp_reg(
                    Cond::Al,
                    Dp::Add,
                    false,
                    IP,
                    base,
                    IP,
                    Shift::Lsl,
                    0,
                ));
            }
            other => {
                let rm = match other {
                    Loc::Slot(s) => {
                        self.ldr_frame(IP, self.c.layout.slot_word(s), 0);
                        IP
                    }
                    l => gpr(l),
                };
                self.put(enc::dp_reg(
                    Cond::Al,
                    Dp::Add,
                    false,
                    IP,
                    base,
                    rm,
                    Shift::Lsl,
                    scale.trailing_zeros(),
                ));
                if let Some(m) = fits(offset as i64) {
                    return (IP, m);
                }
                self.mov_imm(LR, offset as u32);
                self.put(enc::dp_reg(
                    Cond::Al,
                    Dp::Add,
                    false,
                    IP,
                    IP,
                    LR,
                    Shift::Lsl,
                    0,
                ));
            }
        }
        (
            IP,
            MemOffset {
                up: true,
                magnitude: 0,
            },
        )
    }

    fn guard(&mut self, i: usize) {
        let op = &self.c.trace.ops[i];
        let alloc = self.c.alloc;
        let args = alloc.args(i);
        let exit = self.c.exit(i);
        match op.opcode {
            Opcode::GuardTrue | Opcode::GuardFalse => {
                let fail_if_true = op.opcode == Opcode::GuardFalse;
                let true_cond = match args[0] {
                    Loc::Flags => self.flags.take().expect("flags set by the previous op"),
                    Loc::Const(c) => {
                        if (c.bits() != 0) == fail_if_true {
                            self.branch_to(Cond::Al, false, exit);
                        }
                        return;
                    }
                    Loc::Reg(r) => {
                        self.put(enc::dp_imm(
                            Cond::Al,
                            Dp::Cmp,
                            true,
                            0,
                            r.hw,
                            ArmImm::encode(0).expect("0"),
                        ));
                        Cond::Ne
                    }
                    Loc::Slot(s) => {
                        self.ldr_frame(LR, self.c.layout.slot_word(s), 0);
                        self.put(enc::dp_imm(
                            Cond::Al,
                            Dp::Cmp,
                            true,
                            0,
                            LR,
                            ArmImm::encode(0).expect("0"),
                        ));
                        Cond::Ne
                    }
                };
                self.branch_to(
                    if fail_if_true {
                        true_cond
                    } else {
                        true_cond.invert()
                    },
                    false,
                    exit,
                );
            }
            Opcode::GuardValue => {
                self.dp(Dp::Cmp, true, 0, gpr(args[0]), args[1]);
                self.branch_to(Cond::Ne, false, exit);
            }
            Opcode::GuardNonnull | Opcode::GuardIsnull => {
                self.put(enc::dp_imm(
                    Cond::Al,
                    Dp::Cmp,
                    true,
                    0,
                    gpr(args[0]),
                    ArmImm::encode(0).expect("0"),
                ));
                self.branch_to(
                    if op.opcode == Opcode::GuardNonnull {
                        Cond::Eq
                    } else {
                        Cond::Ne
                    },
                    false,
                    exit,
                );
            }
            Opcode::GuardClass | Opcode::GuardNonnullClass => {
                let p = gpr(args[0]);
                let zero = ArmImm::encode(0).expect("0");
                if op.opcode == Opcode::GuardNonnullClass {
                    self.put(enc::dp_imm(Cond::Al, Dp::Cmp, true, 0, p, zero));
                    self.branch_to(Cond::Eq, false, exit);
                }
                let header =
                    MemOffset::new(jit_core::objects::TYPE_ID_OFFSET as i32, 4095).expect("small");
                self.put(enc::mem_imm(Cond::Al, true, false, IP, p, header));
                self.dp(Dp::Cmp, true, 0, IP, args[1]);
                self.branch_to(Cond::Ne, false, exit);
            }
            Opcode::GuardNoOverflow | Opcode::GuardOverflow => {
                // After SMULL + CMP hi, lo, asr #31, overflow is NE; after ADDS/SUBS, VS.
                let mul = i > 0 && self.c.trace.ops[i - 1].opcode == Opcode::IntMulOvf;
                let ovf = if mul { Cond::Ne } else { Cond::Vs };
                self.branch_to(
                    if op.opcode == Opcode::GuardNoOverflow {
                        ovf
                    } else {
                        ovf.invert()
                    },
                    false,
                    exit,
                );
            }
            other => unreachable!("{other} is not a guard"),
        }
    }

    /// Calls external function `name`: `bl` to the trace's veneer for it, which loads pc
    /// from a word after it (`ldr pc, [pc, #-4]; .word callee`, placed at the end by
    /// [`Emitter::veneers`]; a relocation keeps the word). Two instructions run per call,
    /// one word per call site, wherever the callee is and in either instruction set (a
    /// load into pc interworks), where building the address took MOVW/MOVT and `blx` (3)
    /// or, on ARMv5TE, MOV and three ORRs.
    fn call_extern(&mut self, name: &str) {
        let slot = self.c.call_target(name);
        let veneer = match self.veneers.iter().find(|v| v.0 == slot) {
            Some(&(_, l)) => l,
            None => {
                let l = self.c.buf.label();
                self.veneers.push((slot, l));
                l
            }
        };
        self.branch_to(Cond::Al, true, veneer);
    }

    /// The veneers of the trace's calls ([`Emitter::call_extern`]), one per callee.
    fn place_veneers(&mut self) {
        for (slot, l) in std::mem::take(&mut self.veneers) {
            self.c.buf.bind(l);
            let back = MemOffset::new(-4, 4095).expect("small");
            self.put(enc::mem_imm(Cond::Al, true, false, PC, PC, back));
            let at = self.c.buf.offset();
            self.c.buf.put_u32(TRAP_BASE + 4 * slot);
            self.c.reloc(at, ADDR32, RelocTarget::Extern(slot));
            self.c.data_ranges.push((at, at + 4));
        }
    }

    fn call(&mut self, i: usize) -> Result<(), CompileError> {
        let op = &self.c.trace.ops[i];
        let decl = &self.c.trace.funcs[op.func().expect("verified")];
        let alloc = self.c.alloc;
        let args = alloc.args(i);
        // An indirect call goes to its callee after checking it is one of the functions
        // the trace declares with this signature (anything else leaves by the bad-callee
        // exit: never a branch into arbitrary memory).
        let callee = match op.callee() {
            Some(_) => {
                let reg = gpr(args[op.args.len() - 1]);
                let ok = self.c.buf.label();
                for name in self.c.callees_like(op.func().expect("verified")) {
                    let slot = self.c.call_target(&name);
                    self.mov_address(IP, TRAP_BASE + 4 * slot, RelocTarget::Extern(slot));
                    self.put(enc::dp_reg(
                        Cond::Al,
                        Dp::Cmp,
                        true,
                        0,
                        reg,
                        IP,
                        Shift::Lsl,
                        0,
                    ));
                    self.branch_to(Cond::Eq, false, ok);
                    // A long chain may need a constant-pool island (a branch over it
                    // leaves the flags alone).
                    self.island(false);
                }
                let bad = self.c.bad_callee();
                self.branch_to(Cond::Al, false, bad);
                self.c.buf.bind(ok);
                Some(reg)
            }
            None => None,
        };
        let locs = call_operand_locs(self.c.trace, op, self.float);
        let ctypes = abi::call_operand_ctypes(self.c.trace, op);
        // Stacked arguments first (their values may sit in registers the pairs use). A
        // narrow integer is extended to its word (AAPCS: by the caller).
        for (k, loc) in locs.iter().enumerate() {
            let ArgLoc::Stack(off) = *loc else { continue };
            let dst = MemOffset::new(off as i32, 4095).expect("small");
            let narrow = ctypes[k].narrow();
            match (args[k], self.c.trace.operand_type(op.args[k])) {
                (Loc::Reg(r), Type::F64) => self.put(enc::vmem(
                    Cond::Al,
                    false,
                    r.hw,
                    SP,
                    MemOffset::new(off as i32, 1020).expect("aligned"),
                )),
                (Loc::Reg(r), _) if narrow.is_some() => {
                    self.extend_to(LR, r.hw, narrow.expect("narrow"));
                    self.put(enc::mem_imm(Cond::Al, false, false, LR, SP, dst));
                }
                (Loc::Reg(r), _) => self.put(enc::mem_imm(Cond::Al, false, false, r.hw, SP, dst)),
                (Loc::Slot(s), ty) => {
                    let words = if ty == Type::F64 { 2 } else { 1 };
                    for w in 0..words {
                        self.ldr_frame(LR, self.c.layout.slot_word(s), 4 * w);
                        if let Some(n) = narrow {
                            self.extend_to(LR, LR, n);
                        }
                        self.put(enc::mem_imm(
                            Cond::Al,
                            false,
                            false,
                            LR,
                            SP,
                            MemOffset::new((off + 4 * w) as i32, 4095).expect("small"),
                        ));
                    }
                }
                (Loc::Const(c), ty) => {
                    let bits = ctypes[k].fit(c).bits() as u64;
                    let words = if ty == Type::F64 { 2 } else { 1 };
                    for w in 0..words {
                        self.mov_imm(LR, (bits >> (32 * w)) as u32);
                        self.put(enc::mem_imm(
                            Cond::Al,
                            false,
                            false,
                            LR,
                            SP,
                            MemOffset::new((off + 4 * w) as i32, 4095).expect("small"),
                        ));
                    }
                }
                (Loc::Flags, _) => panic!("a call argument in the flags"),
            }
            // Forty stacked arguments take a kilobyte of code, more than a `vldr` reaches:
            // an island may have to go between them (nothing is pending in registers here
            // that a branch over it would disturb).
            self.island(false);
        }
        for (k, loc) in locs.iter().enumerate() {
            match *loc {
                ArgLoc::CorePair(lo, hi) => {
                    self.put(enc::vmov_from_d(Cond::Al, lo, hi, gpr(args[k])))
                }
                ArgLoc::VfpSingle(s) => {
                    let r = match args[k] {
                        Loc::Reg(r) => r.hw,
                        other => {
                            self.mov_from(LR, other);
                            LR
                        }
                    };
                    self.put(enc::vmov_to_s(Cond::Al, s, r));
                }
                _ => {}
            }
        }
        // Last, narrow integers widened in their own argument registers (a float's value
        // may have been read from one above).
        for (k, loc) in locs.iter().enumerate() {
            if let (ArgLoc::Core(r), Some(n)) = (*loc, ctypes[k].narrow()) {
                self.extend_to(r, r, n);
            }
        }
        match callee {
            Some(reg) => self.put(enc::blx(Cond::Al, reg)),
            None => self.call_extern(&decl.name),
        }
        // A hard-float float result comes back in s0; its bits go to r0.
        if decl.ret == Some(jit_core::ir::CType::F32)
            && abi::for_callee(&decl.name, self.float) == FloatAbi::Hard
        {
            self.put(enc::vmov_from_s(Cond::Al, 0, 0));
        }
        // An f64 result under softfp comes back in r0:r1.
        if let (Some(Loc::Reg(r)), Some(Type::F64)) =
            (alloc.result(i), op.result.map(|v| self.c.trace.ty(v)))
        {
            if abi::for_callee(&decl.name, self.float) == FloatAbi::Softfp {
                self.put(enc::vmov_to_d(Cond::Al, r.hw, 0, 1));
            }
        }
        Ok(())
    }

    /// `rd` = the low `bits` of `rm`, sign- or zero-extended: one instruction on ARMv7
    /// (`sxtb`, `uxth`, ...); on ARMv5TE an `and` for bytes, else two shifts.
    fn extend_to(&mut self, rd: u8, rm: u8, (bits, signed): (u32, bool)) {
        let al = Cond::Al;
        if self.profile == Profile::V7Vfp {
            self.put(enc::extend(al, bits, signed, rd, rm));
        } else if bits == 8 && !signed {
            let mask = ArmImm::encode(0xff).expect("encodable");
            self.put(enc::dp_imm(al, Dp::And, false, rd, rm, mask));
        } else {
            let back = if signed { Shift::Asr } else { Shift::Lsr };
            self.put(enc::dp_reg(
                al,
                Dp::Mov,
                false,
                rd,
                0,
                rm,
                Shift::Lsl,
                32 - bits,
            ));
            self.put(enc::dp_reg(al, Dp::Mov, false, rd, 0, rd, back, 32 - bits));
        }
    }

    /// `mov rd, l` for an integer operand in a register or an immediate.
    fn mov_from(&mut self, rd: u8, l: Loc) {
        match l {
            Loc::Reg(r) => self.put(enc::dp_reg(
                Cond::Al,
                Dp::Mov,
                false,
                rd,
                0,
                r.hw,
                Shift::Lsl,
                0,
            )),
            Loc::Const(c) => self.mov_imm(rd, int_bits(c)),
            Loc::Slot(s) => self.ldr_frame(rd, self.c.layout.slot_word(s), 0),
            Loc::Flags => panic!("an operand in the flags"),
        }
    }

    /// `gc_alloc`: the nursery bump inline, the collector out of line.
    fn gc_alloc(&mut self, i: usize) {
        let al = Cond::Al;
        let args = self.c.alloc.args(i);
        let rd = gpr(self.c.alloc.result(i).expect("verified"));
        let gc = self.c.layout.gc;
        let resume = self.c.buf.label();
        let slow = self.c.defer(i, resume);
        // An array longer than the collector allows goes to the slow path, which refuses it.
        if let Some(&len) = args.get(1) {
            let max = jit_core::gc::MAX_ARRAY_LENGTH;
            match len {
                Loc::Const(c) if int_bits(c) <= max => {}
                Loc::Const(_) => self.branch_to(al, false, slow),
                other => {
                    let m = ArmImm::encode(max).expect("a power of two");
                    self.put(enc::dp_imm(al, Dp::Cmp, true, 0, gpr(other), m));
                    self.branch_to(Cond::Hi, false, slow);
                }
            }
        }
        // A struct (a constant size, no register input): the result register takes the
        // free pointer at once, ip the top, lr the new free pointer.
        if let [Loc::Const(_)] = args {
            self.ldr_frame(rd, gc, 0);
            self.ldr_frame(IP, gc + 1, 0);
            self.dp(Dp::Add, false, LR, rd, args[0]);
            self.put(enc::dp_reg(al, Dp::Cmp, true, 0, LR, IP, Shift::Lsl, 0));
            self.branch_to(Cond::Hi, false, slow);
            self.str_frame(LR, gc, 0);
            self.c.buf.bind(resume);
            return;
        }
        // ip = free; lr = top - free; to the slow path when that is below the size.
        self.ldr_frame(IP, gc, 0);
        self.ldr_frame(LR, gc + 1, 0);
        self.put(enc::dp_reg(al, Dp::Sub, false, LR, LR, IP, Shift::Lsl, 0));
        self.dp(Dp::Cmp, true, 0, LR, args[0]);
        self.branch_to(Cond::Lo, false, slow);
        self.dp(Dp::Add, false, LR, IP, args[0]);
        self.str_frame(LR, gc, 0);
        self.put(enc::dp_reg(al, Dp::Mov, false, rd, 0, IP, Shift::Lsl, 0));
        self.c.buf.bind(resume);
    }

    /// The slow path of a GC primitive (as on x86-64): live registers a call may destroy
    /// and those holding refs saved in their frame words, the collector called through
    /// its trap slot, the registers reloaded. An allocation's GC map sits at the start,
    /// jumped over.
    fn gc_slow_path(&mut self, d: Deferred) -> Result<(), CompileError> {
        let al = Cond::Al;
        let i = d.op;
        let op = &self.c.trace.ops[i];
        let alloc = self.c.alloc;
        let args = alloc.args(i);
        let layout = self.c.layout;
        let alloc_op = op.opcode == Opcode::GcAlloc;
        let map_at = if alloc_op {
            let blob = self.c.gc_map(i);
            let over = self.c.buf.label();
            self.branch_to(al, false, over);
            let start = self.c.buf.offset();
            self.c.buf.bytes.extend_from_slice(&blob);
            self.c.data_range(start, blob.len() as u32);
            self.c.buf.bind(over);
            Some(start)
        } else {
            None
        };
        let saved = self.c.slow_path_saves(i, CALLER_SAVED);
        for &r in &saved {
            self.save_register(r, layout.save_word(r));
        }
        let mov = |e: &mut Self, rd: u8, rm: u8| {
            e.put(enc::dp_reg(al, Dp::Mov, false, rd, 0, rm, Shift::Lsl, 0))
        };
        if let Some(map) = map_at {
            self.mov_from(IP, args[0]);
            match args.get(1) {
                Some(&len) => self.mov_from(LR, len),
                None => self.mov_imm(LR, 0),
            }
            mov(self, 1, IP);
            mov(self, 2, LR);
            // r3 = the map: pc reads 8 ahead of the first sub.
            let back = self.c.buf.offset() + 8 - map;
            for (k, c) in chunks(back).enumerate() {
                let imm = ArmImm::encode(c).expect("a rotated byte");
                self.put(enc::dp_imm(
                    al,
                    Dp::Sub,
                    false,
                    3,
                    if k == 0 { PC } else { 3 },
                    imm,
                ));
            }
        } else {
            mov(self, IP, gpr(args[0]));
            mov(self, 1, IP);
        }
        mov(self, 0, FP);
        let helper = if alloc_op {
            jit_core::gcrun::ALLOC_HELPER
        } else {
            jit_core::gcrun::BARRIER_HELPER
        };
        self.call_extern(helper);
        if alloc_op {
            let rd = gpr(alloc.result(i).expect("verified"));
            let failed = self.c.gc_failed();
            self.put(enc::dp_imm(
                al,
                Dp::Cmp,
                true,
                0,
                0,
                ArmImm::encode(0).expect("0"),
            ));
            self.branch_to(Cond::Eq, false, failed);
            mov(self, rd, 0);
        }
        for &r in &saved {
            match r.class {
                RegClass::Int => self.ldr_frame(r.hw, layout.save_word(r), 0),
                RegClass::Float => self.vmem_frame(true, r.hw, layout.save_word(r)),
            }
        }
        self.branch_to(al, false, d.resume);
        Ok(())
    }

    fn op(&mut self, i: usize) -> Result<(), CompileError> {
        use Opcode::*;
        let trace = self.c.trace;
        let op = &trace.ops[i];
        let alloc = self.c.alloc;
        let args = alloc.args(i);
        let res = alloc.result(i);
        let al = Cond::Al;
        // A shift folded into this op: its register holds the unshifted value.
        if self.fused_shifts[i].is_some() {
            return Ok(());
        }
        if let Some((shift_op, fold)) = self.folded_operand(i) {
            self.with_shifted_operand(i, shift_op, fold);
            return Ok(());
        }
        // The second op of a multiply pair: made with the first.
        if self.fused_next == Some(i) {
            self.fused_next = None;
            return Ok(());
        }
        if op.opcode == IntMul && self.multiply_pair(i) {
            self.fused_next = Some(i + 1);
            return Ok(());
        }
        if op.opcode == FloatMul && self.multiply_accumulate(i) {
            self.fused_next = Some(i + 1);
            return Ok(());
        }
        match op.opcode.sig() {
            Sig::IntBinary | Sig::IntOverflow | Sig::CarryOut | Sig::CarryIn => {
                let rd = gpr(res.expect("verified"));
                let rn = gpr(args[0]);
                match op.opcode {
                    IntAdd => self.dp(Dp::Add, false, rd, rn, args[1]),
                    IntAddOvf | IntAddCo => self.dp(Dp::Add, true, rd, rn, args[1]),
                    IntAddCi => self.dp(Dp::Adc, false, rd, rn, args[1]),
                    IntSub => self.dp(Dp::Sub, false, rd, rn, args[1]),
                    IntSubOvf | IntSubBo => self.dp(Dp::Sub, true, rd, rn, args[1]),
                    IntSubBi => self.dp(Dp::Sbc, false, rd, rn, args[1]),
                    IntAnd => self.dp(Dp::And, false, rd, rn, args[1]),
                    IntOr => self.dp(Dp::Orr, false, rd, rn, args[1]),
                    IntXor => self.dp(Dp::Eor, false, rd, rn, args[1]),
                    // ARMv5: MUL's Rd must differ from its first operand (bits 3:0), and a
                    // long multiply's RdHi, RdLo and first operand must all differ. Operands
                    // commute; when both are the destination, multiply into lr first.
                    IntMul => {
                        let (a, b) = (rn, gpr(args[1]));
                        let (a, b) = if a == rd { (b, a) } else { (a, b) };
                        if a == rd {
                            self.put(enc::mul(al, false, LR, a, b));
                            self.put(enc::dp_reg(al, Dp::Mov, false, rd, 0, LR, Shift::Lsl, 0));
                        } else {
                            self.put(enc::mul(al, false, rd, a, b));
                        }
                    }
                    UintMulHigh | IntMulOvf => {
                        let signed = op.opcode == IntMulOvf;
                        let (a, b) = (rn, gpr(args[1]));
                        let (a, b) = if a == rd { (b, a) } else { (a, b) };
                        // Low and high halves: uint_mul_high keeps the high one, the
                        // overflow check needs both.
                        let (lo, hi) = if signed { (rd, LR) } else { (LR, rd) };
                        if a == rd {
                            self.put(enc::dp_reg(al, Dp::Mov, false, IP, 0, a, Shift::Lsl, 0));
                            self.put(enc::mull(al, signed, lo, hi, IP, b));
                        } else {
                            self.put(enc::mull(al, signed, lo, hi, a, b));
                        }
                        if signed {
                            self.put(enc::dp_reg(al, Dp::Cmp, true, 0, LR, rd, Shift::Asr, 31));
                        }
                    }
                    IntLshift | IntRshift | UintRshift => {
                        let sh = match op.opcode {
                            IntLshift => Shift::Lsl,
                            IntRshift => Shift::Asr,
                            _ => Shift::Lsr,
                        };
                        match args[1] {
                            Loc::Const(c) => {
                                let n = (c.bits() & 31) as u32;
                                let sh = if n == 0 { Shift::Lsl } else { sh };
                                self.put(enc::dp_reg(al, Dp::Mov, false, rd, 0, rn, sh, n));
                            }
                            other => {
                                let rs = match self.op2(other) {
                                    Err(r) => r,
                                    Ok(_) => unreachable!("constants handled above"),
                                };
                                self.put(enc::dp_imm(
                                    al,
                                    Dp::And,
                                    false,
                                    LR,
                                    rs,
                                    ArmImm::encode(31).expect("31"),
                                ));
                                self.put(enc::dp_reg_shift(al, Dp::Mov, false, rd, 0, rn, sh, LR));
                            }
                        }
                    }
                    other => unreachable!("{other} is legalized away"),
                }
            }
            Sig::IntUnary => {
                let (rd, rn) = (gpr(res.expect("verified")), gpr(args[0]));
                if op.opcode == IntNeg {
                    self.put(enc::dp_imm(
                        al,
                        Dp::Rsb,
                        false,
                        rd,
                        rn,
                        ArmImm::encode(0).expect("0"),
                    ));
                } else {
                    self.put(enc::dp_reg(al, Dp::Mvn, false, rd, 0, rn, Shift::Lsl, 0));
                }
            }
            Sig::IntCompare | Sig::RefCompare => {
                self.dp(Dp::Cmp, true, 0, gpr(args[0]), args[1]);
                self.set_result(Self::int_cond(op.opcode), res);
            }
            Sig::IntTest => {
                self.put(enc::dp_imm(
                    al,
                    Dp::Cmp,
                    true,
                    0,
                    gpr(args[0]),
                    ArmImm::encode(0).expect("0"),
                ));
                self.set_result(Self::int_cond(op.opcode), res);
            }
            Sig::FloatBinary => {
                let v = match op.opcode {
                    FloatAdd => Vop::Add,
                    FloatSub => Vop::Sub,
                    FloatMul => Vop::Mul,
                    _ => Vop::Div,
                };
                self.put(enc::vop(
                    al,
                    v,
                    gpr(res.expect("verified")),
                    gpr(args[0]),
                    gpr(args[1]),
                ));
            }
            Sig::FloatUnary => {
                let (rd, rm) = (gpr(res.expect("verified")), gpr(args[0]));
                let v = match op.opcode {
                    FloatNeg => Vun::Neg,
                    FloatAbs => Vun::Abs,
                    FloatCanon => {
                        // VFP (default-NaN mode off) keeps NaN payloads: make any NaN the
                        // canonical one.
                        if rd != rm {
                            self.put(enc::vun(al, Vun::Mov, rd, rm));
                        }
                        self.put(enc::vcmp(al, rd, rd));
                        self.put(enc::vmrs_flags(al));
                        self.mov_f64_if(Cond::Vs, rd, jit_core::ir::CANONICAL_NAN_BITS);
                        return Ok(());
                    }
                    _ => Vun::Sqrt,
                };
                self.put(enc::vun(al, v, rd, rm));
            }
            Sig::FloatCompare => {
                self.put(enc::vcmp(al, gpr(args[0]), gpr(args[1])));
                self.put(enc::vmrs_flags(al));
                self.set_result(Self::float_cond(op.opcode), res);
            }
            Sig::Convert(..) => {
                let (rd, rn) = (gpr(res.expect("verified")), gpr(args[0]));
                match op.opcode {
                    CastI32ToF64 => {
                        self.put(enc::vmov_to_s(al, S30, rn));
                        self.put(enc::vcvt_f64_s32(al, rd, S30));
                    }
                    CastF64ToI32 => {
                        self.put(enc::vcvt_s32_f64(al, S30, rn));
                        self.put(enc::vmov_from_s(al, rd, S30));
                    }
                    CastF64ToF32 => {
                        self.put(enc::vcvt_f32_f64(al, S30, rn));
                        self.put(enc::vmov_from_s(al, rd, S30));
                    }
                    CastF32ToF64 => {
                        self.put(enc::vmov_to_s(al, S30, rn));
                        self.put(enc::vcvt_f64_f32(al, rd, S30));
                    }
                    other => {
                        return Err(CompileError::Unsupported {
                            op: i,
                            opcode: other,
                            reason: "64-bit conversions are legalized into helper calls".into(),
                        })
                    }
                }
            }
            Sig::Load(m) => {
                let mem = op.mem().expect("verified");
                let rd = gpr(res.expect("verified"));
                let max = match m {
                    MemType::I8 | MemType::I16 | MemType::U16 => 255,
                    MemType::F64 => 1020,
                    _ => 4095,
                };
                // `[base, index, lsl #s]` when the form exists for the access.
                if let Some((rm, lsl)) = reg_offset(args[1], mem.scale, mem.offset, m) {
                    let base = gpr(args[0]);
                    self.put(match m {
                        MemType::I8 => enc::mem_extra_reg(al, Extra::Ldrsb, rd, base, true, rm),
                        MemType::I16 => enc::mem_extra_reg(al, Extra::Ldrsh, rd, base, true, rm),
                        MemType::U16 => enc::mem_extra_reg(al, Extra::Ldrh, rd, base, true, rm),
                        _ => enc::mem_reg(al, true, m == MemType::U8, rd, base, true, rm, lsl),
                    });
                    return Ok(());
                }
                let (base, off) = self.address(args[0], args[1], mem.scale, mem.offset, max);
                self.put(match m {
                    MemType::I8 => enc::mem_extra_imm(al, Extra::Ldrsb, rd, base, off),
                    MemType::U8 => enc::mem_imm(al, true, true, rd, base, off),
                    MemType::I16 => enc::mem_extra_imm(al, Extra::Ldrsh, rd, base, off),
                    MemType::U16 => enc::mem_extra_imm(al, Extra::Ldrh, rd, base, off),
                    MemType::I32 => enc::mem_imm(al, true, false, rd, base, off),
                    MemType::F64 => enc::vmem(al, true, rd, base, off),
                    MemType::I64 => unreachable!("split"),
                });
            }
            Sig::Store(m) => {
                let mem = op.mem().expect("verified");
                let max = match m {
                    MemType::I16 => 255,
                    MemType::F64 => 1020,
                    _ => 4095,
                };
                // A float value is loaded first (that may use ip and lr), an integer one
                // after the address (which may use them), into lr.
                let fv = match (args[2], m) {
                    (Loc::Slot(s), MemType::F64) => {
                        self.vmem_frame(true, DS, self.c.layout.slot_word(s));
                        Some(DS)
                    }
                    (Loc::Const(c), MemType::F64) => {
                        self.mov_f64(DS, c.bits() as u64);
                        Some(DS)
                    }
                    _ => None,
                };
                let reg_form = reg_offset(args[1], mem.scale, mem.offset, m);
                let (base, off) = match reg_form {
                    Some(_) => (
                        gpr(args[0]),
                        MemOffset {
                            up: true,
                            magnitude: 0,
                        },
                    ),
                    None => self.address(args[0], args[1], mem.scale, mem.offset, max),
                };
                let v = match (fv, args[2]) {
                    (Some(d), _) => d,
                    (None, Loc::Reg(r)) => r.hw,
                    (None, Loc::Slot(s)) => {
                        self.ldr_frame(LR, self.c.layout.slot_word(s), 0);
                        LR
                    }
                    (None, Loc::Const(c)) => {
                        self.mov_imm(LR, int_bits(c));
                        LR
                    }
                    (None, Loc::Flags) => panic!("a stored value in the flags"),
                };
                if let Some((rm, lsl)) = reg_form {
                    self.put(match m {
                        MemType::I16 | MemType::U16 => {
                            enc::mem_extra_reg(al, Extra::Strh, v, base, true, rm)
                        }
                        _ => enc::mem_reg(
                            al,
                            false,
                            matches!(m, MemType::I8 | MemType::U8),
                            v,
                            base,
                            true,
                            rm,
                            lsl,
                        ),
                    });
                    return Ok(());
                }
                self.put(match m {
                    MemType::I8 | MemType::U8 => enc::mem_imm(al, false, true, v, base, off),
                    MemType::I16 | MemType::U16 => {
                        enc::mem_extra_imm(al, Extra::Strh, v, base, off)
                    }
                    MemType::I32 => enc::mem_imm(al, false, false, v, base, off),
                    MemType::F64 => enc::vmem(al, false, v, base, off),
                    MemType::I64 => unreachable!("split"),
                });
            }
            Sig::Call | Sig::CallSplit => self.call(i)?,
            Sig::FuncAddr => {
                let rd = gpr(res.expect("verified"));
                let decl = &self.c.trace.funcs[op.func().expect("verified")];
                let slot = self.c.call_target(&decl.name);
                self.mov_address(rd, TRAP_BASE + 4 * slot, RelocTarget::Extern(slot));
            }
            Sig::CallHi | Sig::SameAs => {}
            Sig::GuardCond | Sig::GuardValue | Sig::GuardRef | Sig::GuardFlag => self.guard(i),
            Sig::Finish | Sig::Label | Sig::Jump => unreachable!("the driver's"),
            Sig::Object(ObjOp::GuardClass | ObjOp::GuardNonnullClass) => self.guard(i),
            Sig::Object(_) => unreachable!("refused by constraints"),
            Sig::Gc(GcOp::LoadRef) => {
                let mem = op.mem().expect("verified");
                let rd = gpr(res.expect("verified"));
                let (base, off) = self.address(args[0], args[1], mem.scale, mem.offset, 4095);
                self.put(enc::mem_imm(al, true, false, rd, base, off));
            }
            Sig::Gc(GcOp::StoreRef) => {
                let mem = op.mem().expect("verified");
                let (base, off) = self.address(args[0], args[1], mem.scale, mem.offset, 4095);
                let v = match args[2] {
                    Loc::Reg(r) => r.hw,
                    Loc::Slot(s) => {
                        self.ldr_frame(LR, self.c.layout.slot_word(s), 0);
                        LR
                    }
                    Loc::Const(c) => {
                        self.mov_imm(LR, int_bits(c));
                        LR
                    }
                    Loc::Flags => panic!("a stored ref in the flags"),
                };
                self.put(enc::mem_imm(al, false, false, v, base, off));
            }
            Sig::Gc(GcOp::Alloc) => self.gc_alloc(i),
            Sig::Gc(GcOp::WriteBarrier) => {
                // Fast path: the object's flags byte has no FLAG_TRACK_YOUNG_PTRS.
                let p = gpr(args[0]);
                let resume = self.c.buf.label();
                let slow = self.c.defer(i, resume);
                let flags =
                    MemOffset::new(jit_core::objects::GC_FLAGS_OFFSET as i32, 4095).expect("small");
                self.put(enc::mem_imm(al, true, true, IP, p, flags));
                let bit = ArmImm::encode(jit_core::gc::FLAG_TRACK_YOUNG_PTRS).expect("a bit");
                self.put(enc::dp_imm(al, Dp::Tst, true, 0, IP, bit));
                self.branch_to(Cond::Ne, false, slow);
                self.c.buf.bind(resume);
            }
        }
        Ok(())
    }
}

/// How far a `b` reaches: ±32 MiB.
pub const BRANCH_REACH: u64 = 1 << 25;

/// The word offset of a `b` at `at` to `target`, if within `reach` bytes (at most ±32 MiB).
fn branch_words(at: u64, target: u64, reach: u64) -> Option<i32> {
    let delta = target.wrapping_sub(at + 8) as i64;
    let reach = reach.min(BRANCH_REACH) as i64;
    (delta % 4 == 0 && (-reach..reach).contains(&delta)).then_some((delta / 4) as i32)
}

/// `ldr pc, [pc, #-4]`: a jump to the address in the next word, however far.
const LDR_PC_NEXT: u32 = 0xe51f_f004;

/// A jump from `at` to `target` past a `b`'s reach: `ldr pc, [pc, #-4]` and the address.
fn far_jump(target: u64) -> Result<Vec<u8>, FixupError> {
    let word = u32::try_from(target).map_err(|_| FixupError::AddressTooWide {
        at: 0,
        address: target,
    })?;
    let mut v = LDR_PC_NEXT.to_le_bytes().to_vec();
    v.extend_from_slice(&word.to_le_bytes());
    Ok(v)
}

/// The `b<cond>` at address `at` (whose word starts `old`) retargeted to `target`, its
/// condition kept, if `target` is within `reach` bytes; past it the branch is left as it
/// is (to the guard's stub, whose patch reaches anywhere).
pub fn branch_patch_within(
    old: &[u8],
    at: u64,
    target: u64,
    reach: u64,
) -> Result<Vec<u8>, FixupError> {
    let Some(words) = branch_words(at, target, reach) else {
        return Ok(old[..4].to_vec());
    };
    let old = u32::from_le_bytes(old[..4].try_into().expect("a word"));
    let new = (old & 0xff00_0000) | (words as u32 & 0x00ff_ffff);
    Ok(new.to_le_bytes().to_vec())
}

/// `b` at address `at` to `target`.
pub fn jump_patch(at: u64, target: u64) -> Result<Vec<u8>, FixupError> {
    jump_patch_within(at, target, BRANCH_REACH)
}

/// [`jump_patch`] with branches reaching `reach` bytes: past it, two words (`ldr pc,
/// [pc, #-4]` and the address), which an exit stub has room for.
pub fn jump_patch_within(at: u64, target: u64, reach: u64) -> Result<Vec<u8>, FixupError> {
    match branch_words(at, target, reach) {
        Some(words) => Ok(enc::branch(Cond::Al, false, words).to_le_bytes().to_vec()),
        None => far_jump(target),
    }
}

/// Writes `address` into the instructions of relocation kind `kind` at `at` of code loaded
/// at `code_address`.
pub fn relocate(
    kind: u8,
    code: &mut [u8],
    at: u32,
    code_address: u64,
    address: u64,
) -> Result<(), FixupError> {
    relocate_within(kind, code, at, code_address, address, BRANCH_REACH)
}

/// [`relocate`] with branches reaching `reach` bytes: a `B_FAR` jump (two words, `b` and a
/// spare) out of reach becomes `ldr pc, [pc, #-4]` and the address.
pub fn relocate_within(
    kind: u8,
    code: &mut [u8],
    at: u32,
    code_address: u64,
    address: u64,
    reach: u64,
) -> Result<(), FixupError> {
    if kind == B_FAR {
        let o = at as usize;
        match branch_words(code_address + at as u64, address, reach) {
            Some(words) => {
                let old = u32::from_le_bytes(code[o..o + 4].try_into().expect("4 bytes"));
                let new = (old & 0xff00_0000) | (words as u32 & 0x00ff_ffff);
                code[o..o + 4].copy_from_slice(&new.to_le_bytes());
            }
            None => {
                let far =
                    far_jump(address).map_err(|_| FixupError::AddressTooWide { at, address })?;
                code[o..o + 8].copy_from_slice(&far);
            }
        }
        return Ok(());
    }
    let address = u32::try_from(address).map_err(|_| FixupError::AddressTooWide { at, address })?;
    let word = |code: &[u8], k: usize| {
        let o = at as usize + 4 * k;
        u32::from_le_bytes(code[o..o + 4].try_into().expect("4 bytes"))
    };
    let put = |code: &mut [u8], k: usize, w: u32| {
        let o = at as usize + 4 * k;
        code[o..o + 4].copy_from_slice(&w.to_le_bytes());
    };
    let imm16 = |w: u32, v: u32| (w & !0x000f_0fff) | (v >> 12) << 16 | (v & 0xfff);
    if kind == ADDR32 {
        put(code, 0, address);
    } else if kind == MOVW_MOVT {
        let (lo, hi) = (word(code, 0), word(code, 1));
        put(code, 0, imm16(lo, address & 0xffff));
        put(code, 1, imm16(hi, address >> 16));
    } else {
        debug_assert_eq!(kind, MOV_ORR, "a relocation kind");
        // Byte k (from the top) is `byte ror (8 + 8k)`: the rotation field is half that.
        for k in 0..4 {
            let byte = address >> (24 - 8 * k) & 0xff;
            let rot = ((8 + 8 * k as u32) % 32) / 2;
            let w = word(code, k);
            put(code, k, (w & !0xfff) | rot << 8 | byte);
        }
    }
    Ok(())
}

/// The index register and shift of a `[base, index, lsl #s]` access, when one does it: no
/// offset, the index in a register, and a form for the type — `ldr`/`str`/`ldrb`/`strb`
/// shift the index by the scale, the halfword and signed-byte forms take it unshifted (a
/// scale of 1), and VFP has no register offset.
fn reg_offset(index: Loc, scale: u8, offset: i32, m: MemType) -> Option<(u8, u32)> {
    let Loc::Reg(r) = index else { return None };
    if offset != 0 {
        return None;
    }
    let lsl = scale.trailing_zeros();
    match m {
        MemType::U8 | MemType::I32 => Some((r.hw, lsl)),
        MemType::I8 | MemType::I16 | MemType::U16 if scale == 1 => Some((r.hw, 0)),
        _ => None,
    }
}

/// The core registers the prologue pushes: fp (the frame), lr (scratch, and the return
/// address), every allocatable callee-saved one, r3 when needed to keep the stack 8-byte
/// aligned. With VFP it also pushes d8–d15, the AAPCS's callee-saved d registers: the
/// allocatable ones, d14 and d15 (the float scratch) in one instruction.
fn saved_core(frame: &NativeFrame) -> u16 {
    // The budget register is the caller's r10: saved like fp and lr.
    let mut mask: u16 = 1 << FP | 1 << LR | 1 << crate::regs::BUDGET;
    for r in frame.saved.iter() {
        match r.class {
            RegClass::Int => mask |= 1 << r.hw,
            RegClass::Float => debug_assert!((8..16).contains(&r.hw), "d{} is not d8-d15", r.hw),
        }
    }
    if mask.count_ones() % 2 == 1 {
        mask |= 1 << 3;
    }
    mask
}

impl Emitter<'_> {
    /// `sp = sp ± bytes`, in rotated-immediate chunks.
    fn sp_adjust(&mut self, op: Dp, bytes: u32) {
        for p in chunks(bytes) {
            let i = ArmImm::encode(p).expect("a chunk is a rotated immediate");
            self.put(enc::dp_imm(Cond::Al, op, false, SP, SP, i));
        }
    }
}

impl<'a> Isa<'a> for Emitter<'a> {
    fn emission(&mut self) -> &mut Emission<'a> {
        &mut self.c
    }

    fn prologue(&mut self) -> Result<(), CompileError> {
        let al = Cond::Al;
        self.put(enc::push(al, saved_core(&self.c.frame)));
        if self.profile.vfp() {
            self.put(enc::vpush(al, 8, 8));
        }
        self.sp_adjust(Dp::Sub, self.c.frame.outgoing_bytes);
        self.put(enc::dp_reg(al, Dp::Mov, false, FP, 0, 0, Shift::Lsl, 0));
        // The budget's low word lives in its register while the code runs.
        self.ldr_frame(crate::regs::BUDGET, self.c.layout.budget, 0);
        Ok(())
    }

    fn emit_move(&mut self, m: &Move) {
        Emitter::emit_move(self, m)
    }

    fn op(&mut self, i: usize) -> Result<(), CompileError> {
        Emitter::op(self, i)
    }

    fn checkpoint(&mut self) {
        self.island(false);
    }

    fn slow_path(&mut self, d: Deferred) -> Result<(), CompileError> {
        self.gc_slow_path(d)
    }

    const JUMP_PATCH_BYTES: u32 = 4;

    fn nop(&mut self) {
        // `mov r0, r0`: ARMv5TE has no `nop` hint.
        self.put(enc::dp_reg(
            Cond::Al,
            Dp::Mov,
            false,
            0,
            0,
            0,
            Shift::Lsl,
            0,
        ));
    }

    fn jump(&mut self, l: Label) {
        self.branch_to(Cond::Al, false, l);
    }

    fn jump_far(&mut self, target: RelocTarget) {
        // `b` and a spare word: a target past a branch's reach takes both (`relocate`).
        let at = self.c.buf.offset();
        self.put(enc::branch(Cond::Al, false, 0));
        self.put(enc::dp_reg(
            Cond::Al,
            Dp::Mov,
            false,
            0,
            0,
            0,
            Shift::Lsl,
            0,
        ));
        self.c.reloc(at, B_FAR, target);
    }

    fn loop_back(&mut self, header: Label, out_of_budget: Label) {
        // The count of jumps left is 64 bits: the low word (in its register) is taken while
        // it was not zero (no borrow); a borrow decrements the high word in the frame, and a
        // borrow there (the count was zero) runs out of budget.
        self.decrement_budget_low();
        self.branch_to(Cond::Hs, false, header);
        self.decrement_budget_word(4);
        self.branch_to(Cond::Lo, false, out_of_budget);
        self.branch_to(Cond::Al, false, header);
    }

    fn loop_back_far(&mut self, target: RelocTarget, out_of_budget: Label) {
        // As `loop_back`, the far branch taken while the low word did not borrow.
        let go = self.c.buf.label();
        self.decrement_budget_low();
        self.branch_to(Cond::Hs, false, go);
        self.decrement_budget_word(4);
        self.branch_to(Cond::Lo, false, out_of_budget);
        self.c.buf.bind(go);
        self.jump_far(target);
    }

    fn set_exit_index(&mut self, k: u32) {
        self.mov_imm(IP, k);
    }

    fn save_register(&mut self, r: PReg, word: u32) {
        match r.class {
            RegClass::Int => self.str_frame(r.hw, word, 0),
            RegClass::Float => self.vmem_frame(false, r.hw, word),
        }
    }

    fn epilogue(&mut self) {
        let al = Cond::Al;
        // Every part of the tree leaves here: the budget's low word goes back to the frame,
        // where the runtime reads it.
        self.str_frame(crate::regs::BUDGET, self.c.layout.budget, 0);
        self.put(enc::dp_reg(al, Dp::Mov, false, 0, 0, IP, Shift::Lsl, 0));
        self.sp_adjust(Dp::Add, self.c.frame.outgoing_bytes);
        if self.profile.vfp() {
            self.put(enc::vpop(al, 8, 8));
        }
        self.put(enc::pop(
            al,
            saved_core(&self.c.frame) & !(1 << LR) | 1 << PC,
        ));
    }

    fn end(&mut self) {
        // The last constants go after the epilogue, where nothing runs into them, then the
        // calls' veneers (a `bl` reaches them from anywhere in the code).
        if self.c.buf.pool_first_use().is_some() {
            let start = self.c.buf.offset();
            self.c.buf.place_pool(0);
            self.c.data_ranges.push((start, self.c.buf.offset()));
        }
        self.place_veneers();
    }

    fn patch(kind: u8, code: &mut [u8], at: u32, target: u32) -> Result<(), FixupError> {
        if kind == VLDR_LIT {
            let off = target as i64 - (at as i64 + 8);
            if !(-1020..=1020).contains(&off) || off % 4 != 0 {
                return Err(FixupError::LiteralOutOfRange { at, target });
            }
            let old = u32::from_le_bytes(
                code[at as usize..at as usize + 4]
                    .try_into()
                    .expect("4 bytes"),
            );
            let new =
                (old & !0x0080_00ff) | ((off >= 0) as u32) << 23 | (off.unsigned_abs() / 4) as u32;
            code[at as usize..at as usize + 4].copy_from_slice(&new.to_le_bytes());
            return Ok(());
        }
        if kind == LDR_LIT {
            let off = target as i64 - (at as i64 + 8);
            if !(-4095..=4095).contains(&off) {
                return Err(FixupError::LiteralOutOfRange { at, target });
            }
            let old = u32::from_le_bytes(
                code[at as usize..at as usize + 4]
                    .try_into()
                    .expect("4 bytes"),
            );
            let new = (old & !0x0080_0fff) | ((off >= 0) as u32) << 23 | off.unsigned_abs() as u32;
            code[at as usize..at as usize + 4].copy_from_slice(&new.to_le_bytes());
            return Ok(());
        }
        let words = (target as i64 - (at as i64 + 8)) / 4;
        let words = i32::try_from(words)
            .ok()
            .filter(|w| (-(1 << 23)..(1 << 23)).contains(w))
            .ok_or(FixupError::OutOfRange { at, target })?;
        let old = u32::from_le_bytes(
            code[at as usize..at as usize + 4]
                .try_into()
                .expect("4 bytes"),
        );
        let new = (old & 0xff00_0000) | (words as u32 & 0x00ff_ffff);
        code[at as usize..at as usize + 4].copy_from_slice(&new.to_le_bytes());
        Ok(())
    }
}

/// Lowers and encodes an allocated trace.
#[allow(clippy::too_many_arguments)]
pub fn emit(
    trace: &Trace,
    live: &Liveness,
    alloc: &Allocation,
    contract: &FrameContract,
    kind: EmitKind,
    float: FloatAbi,
    profile: Profile,
    triple: Triple,
) -> Result<CompiledTrace, CompileError> {
    let fused_shifts = (0..trace.ops.len())
        .map(|i| shift_fuses_into_next(trace, live, i))
        .collect();
    let product_feeds_next = (0..trace.ops.len())
        .map(|i| trace.ops[i].opcode == Opcode::IntMul && live.feeds_only_next(trace, i))
        .collect();
    let accumulates = (0..trace.ops.len())
        .map(|i| match profile.vfp() {
            true if trace.ops[i].opcode == Opcode::FloatMul => float_accumulate(trace, live, i + 1),
            _ => None,
        })
        .collect();
    let mut e = Emitter {
        c: Emission::new(trace, alloc, contract, stack_bytes(trace, float), 8, kind),
        profile,
        float,
        flags: None,
        fused_shifts,
        veneers: Vec::new(),
        product_feeds_next,
        fused_next: None,
        accumulates,
    };
    jit_core::emit::emit(&mut e, triple)
}
