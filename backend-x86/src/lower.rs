//! Constraints for the register allocator, and the lowering of each op to x86-64.

use jit_core::backend::{
    CompileError, CompiledTrace, Def, Loc, OpConstraints, Reg as PReg, RegClass, RegSet, Use,
};
use jit_core::codebuf::{FixupError, Label};
use jit_core::emit::{Deferred, Emission, EmitKind, Isa, RelocTarget};
use jit_core::externs::Externs;
use jit_core::frame::{FrameContract, NativeFrame};
use jit_core::ir::{CType, GcOp, MemType, ObjOp, Opcode, Operand, Scalar, Sig, Trace, Type};
use jit_core::liveness::Liveness;
use jit_core::regalloc::{Allocation, Move};
use target_lexicon::Triple;

use crate::abi;
use crate::enc::{reg::*, Alu, Cond, Enc, Mem, Rm, Shift, Sse};
use crate::regs::{self, FSCRATCH, SCRATCH, SCRATCH2};

/// Fixup kinds: a rel32 field whose value is `target - (field + 4)`.
const REL32: u8 = 0;
/// Relocation kind: a 64-bit absolute address (the immediate of a `movabs`).
pub const ABS64: u8 = 0;
/// Relocation kind: the rel32 field of a `jmp` to an address outside the code.
pub const JMP_REL32: u8 = 1;

fn is_wide(ty: Type) -> bool {
    !matches!(ty, Type::I32)
}

/// The allocator constraints of op `i`.
pub fn constraints(
    trace: &Trace,
    live: &Liveness,
    i: usize,
    out: &mut OpConstraints,
) -> Result<(), CompileError> {
    use Use::*;
    let op = &trace.ops[i];
    out.uses.clear();
    out.clobbers = RegSet::EMPTY;
    out.live_across = false;
    let fused = live.fuses_with_next_guard(trace, i);
    let cmp_def = if fused { Def::Flags } else { Def::Reg };
    let (uses, def): (&[Use], Def) = match op.opcode.sig() {
        Sig::IntBinary => match op.opcode {
            Opcode::IntLshift | Opcode::IntRshift | Opcode::UintRshift => {
                if matches!(op.args[1], Operand::Const(_)) {
                    (&[Any, Any], Def::ReuseInput(0))
                } else {
                    (&[Any, Fixed(PReg::int(RCX))], Def::ReuseInput(0))
                }
            }
            Opcode::UintMulHigh => {
                out.clobbers = RegSet::of(&[PReg::int(RAX), PReg::int(RDX)]);
                (&[Fixed(PReg::int(RAX)), Reg], Def::Fixed(PReg::int(RDX)))
            }
            Opcode::IntDiv | Opcode::IntRem | Opcode::UintDiv | Opcode::UintRem => {
                out.clobbers = RegSet::of(&[PReg::int(RAX), PReg::int(RDX)]);
                let res = if matches!(op.opcode, Opcode::IntDiv | Opcode::UintDiv) {
                    RAX
                } else {
                    RDX
                };
                (&[Fixed(PReg::int(RAX)), Reg], Def::Fixed(PReg::int(res)))
            }
            _ => (&[Any, Any], Def::ReuseInput(0)),
        },
        Sig::IntOverflow | Sig::CarryOut | Sig::CarryIn => (&[Any, Any], Def::ReuseInput(0)),
        Sig::IntUnary => (&[Any], Def::ReuseInput(0)),
        Sig::IntCompare | Sig::RefCompare => (&[Reg, Any], cmp_def),
        Sig::IntTest => (&[Reg], cmp_def),
        Sig::FloatBinary => (&[Any, Any], Def::ReuseInput(0)),
        Sig::FloatUnary => match op.opcode {
            Opcode::FloatSqrt => (&[Any], Def::Reg),
            _ => (&[Any], Def::ReuseInput(0)),
        },
        Sig::FloatCompare => match op.opcode {
            Opcode::FloatLt | Opcode::FloatLe => (&[Any, Reg], cmp_def),
            _ => (&[Reg, Any], cmp_def),
        },
        Sig::Convert(Type::F64, _) => (&[Reg], Def::Reg),
        Sig::Convert(..) => (&[RegOrSlot], Def::Reg),
        Sig::Load(_) => (&[Reg, Any], Def::Reg),
        Sig::Store(_) => (&[Reg, Any, Any], Def::None),
        Sig::SameAs => (&[Any], Def::ReuseInput(0)),
        Sig::GuardCond => (&[Any], Def::None),
        Sig::GuardValue => (&[Reg, Any], Def::None),
        Sig::GuardRef => (&[RegOrSlot], Def::None),
        Sig::GuardFlag => (&[], Def::None),
        Sig::Finish => {
            out.uses.extend(op.args.iter().map(|_| Any));
            out.def = Some(Def::None);
            return Ok(());
        }
        Sig::FuncAddr => (&[], Def::Reg),
        Sig::Call => {
            let decl = &trace.funcs[op.func().expect("verified")];
            // A float's bits come in an integer-class value and go to their xmm register
            // in the lowering; its result comes back to rax there too. An indirect call's
            // callee (last) is in a register of its own.
            out.uses.extend(
                abi::assign(&decl.params)
                    .0
                    .into_iter()
                    .zip(&decl.params)
                    .map(|(p, &t)| match p {
                        abi::ArgLoc::Int(r) => Fixed(PReg::int(r)),
                        abi::ArgLoc::Float(x) if t == CType::F64 => Fixed(PReg::float(x)),
                        abi::ArgLoc::Float(_) | abi::ArgLoc::Stack(_) => Any,
                    }),
            );
            if op.opcode.is_indirect_call() {
                out.uses.push(Reg);
            }
            out.clobbers = regs::CALLER_SAVED;
            out.def = Some(match decl.ret {
                None => Def::None,
                Some(CType::F64) => Def::Fixed(PReg::float(0)),
                Some(_) => Def::Fixed(PReg::int(RAX)),
            });
            return Ok(());
        }
        Sig::CallSplit | Sig::CallHi => {
            return Err(CompileError::Unsupported {
                op: i,
                opcode: op.opcode,
                reason: "x86-64 passes 64-bit values whole; split calls are for 32-bit targets"
                    .into(),
            })
        }
        Sig::Label | Sig::Jump => {
            return Err(CompileError::Unsupported {
                op: i,
                opcode: op.opcode,
                reason: "label and jump are handled by the allocator".into(),
            })
        }
        Sig::Object(ObjOp::GuardClass | ObjOp::GuardNonnullClass) => (&[Reg, Any], Def::None),
        Sig::Object(_) => {
            return Err(CompileError::Unsupported {
                op: i,
                opcode: op.opcode,
                reason: "object operations reach backends lowered by the GC rewrite".into(),
            })
        }
        Sig::Gc(GcOp::Alloc) => {
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
    };
    out.uses.extend_from_slice(uses);
    out.def = Some(def);
    Ok(())
}

/// A condition left in the flags by a fused comparison.
#[derive(Clone, Copy, Debug)]
enum Flags {
    /// True when this condition code holds.
    Cond(Cond),
    /// `ucomisd` equal: ZF = 1 and PF = 0.
    FloatEq,
    /// `ucomisd` not equal: ZF = 0 or PF = 1.
    FloatNe,
}

/// The bits of a `gc_alloc`'s constant size (its first operand), or `u64::MAX`.
fn c_bits(args: &[Loc]) -> u64 {
    match args.first() {
        Some(Loc::Const(c)) => c.bits() as u64,
        _ => u64::MAX,
    }
}

/// The x86-64 half of the emission: [`Emission`] holds what every ISA shares.
struct Emitter<'a> {
    c: Emission<'a>,
    externs: &'a Externs,
    flags: Option<Flags>,
}

fn slot_mem(s: u32) -> Mem {
    Mem::base(RBP, regs::slot_disp(s))
}

fn gpr(l: Loc) -> u8 {
    match l {
        Loc::Reg(r) => r.hw,
        other => panic!("expected a register, found {other:?}"),
    }
}

/// The bits an integer-class constant loads as (i32 zero-extended).
fn int_bits(c: Scalar) -> i64 {
    match c {
        Scalar::I32(x) => x as u32 as i64,
        other => other.bits(),
    }
}

/// A constant as an x86 immediate for an operation of type `ty`, if it fits.
fn imm(c: Scalar) -> Option<i32> {
    match c {
        Scalar::I32(x) => Some(x),
        other => i32::try_from(other.bits()).ok(),
    }
}

impl Emitter<'_> {
    fn enc(&mut self) -> Enc<'_> {
        Enc(&mut self.c.buf.bytes)
    }

    fn rel32(&mut self, at: u32, l: Label) {
        self.c.buf.fixup(at, l, REL32);
    }

    fn jcc_to(&mut self, c: Cond, l: Label) {
        let at = self.enc().jcc(c);
        self.rel32(at, l);
    }

    fn jmp_to(&mut self, l: Label) {
        let at = self.enc().jmp();
        self.rel32(at, l);
    }

    /// A RIP-relative reference to a pooled 8-byte constant, given the field offset.
    fn pool_ref(&mut self, at: Option<u32>, bits: u64) {
        let l = self.c.buf.constant(bits, 8);
        self.rel32(at.expect("a RIP operand has a displacement"), l);
    }

    fn rm(&self, l: Loc) -> Rm {
        match l {
            Loc::Reg(r) => Rm::Reg(r.hw),
            Loc::Slot(s) => Rm::Mem(slot_mem(s)),
            other => panic!("expected a register or slot, found {other:?}"),
        }
    }

    fn emit_move(&mut self, m: &Move) {
        match (m.from, m.to, m.class) {
            (Loc::Reg(a), Loc::Reg(b), RegClass::Int) => self.enc().mov_rr(true, b.hw, a.hw),
            (Loc::Reg(a), Loc::Reg(b), RegClass::Float) => self.enc().movapd(b.hw, a.hw),
            (Loc::Reg(a), Loc::Slot(s), RegClass::Int) => self.enc().store(64, slot_mem(s), a.hw),
            (Loc::Reg(a), Loc::Slot(s), RegClass::Float) => {
                self.enc().movsd_store(slot_mem(s), a.hw)
            }
            (Loc::Slot(s), Loc::Reg(b), RegClass::Int) => {
                self.enc().load(true, b.hw, slot_mem(s));
            }
            (Loc::Slot(s), Loc::Reg(b), RegClass::Float) => {
                self.enc().movsd_load(b.hw, Rm::Mem(slot_mem(s)));
            }
            (Loc::Slot(s), Loc::Slot(t), _) => {
                self.enc().load(true, SCRATCH, slot_mem(s));
                self.enc().store(64, slot_mem(t), SCRATCH);
            }
            (Loc::Const(c), Loc::Reg(b), RegClass::Int) => self.enc().mov_ri(b.hw, int_bits(c)),
            (Loc::Const(c), Loc::Reg(b), RegClass::Float) => {
                self.load_f64_const(b.hw, c.bits() as u64)
            }
            (Loc::Const(c), Loc::Slot(t), _) => {
                let bits = int_bits(c);
                match i32::try_from(bits) {
                    Ok(x) => self.enc().store_imm(64, slot_mem(t), x),
                    Err(_) => {
                        self.enc().mov_ri(SCRATCH, bits);
                        self.enc().store(64, slot_mem(t), SCRATCH);
                    }
                }
            }
            (from, to, class) => {
                panic!("the allocator asked for an impossible move {from:?} -> {to:?} ({class:?})")
            }
        }
    }

    /// Loads an f64 constant into an xmm register without touching the flags.
    fn load_f64_const(&mut self, x: u8, bits: u64) {
        if bits == 0 {
            self.enc().xorpd(x, x);
        } else {
            let at = self.enc().movsd_load(x, Rm::Mem(Mem::Rip));
            self.pool_ref(at, bits);
        }
    }

    /// An integer second operand: a register, memory, or an immediate; constants that do
    /// not fit go through the scratch register.
    fn int_src(&mut self, l: Loc) -> Result<Rm, i32> {
        match l {
            Loc::Const(c) => match imm(c) {
                Some(x) => Err(x),
                None => {
                    self.enc().mov_ri(SCRATCH, int_bits(c));
                    Ok(Rm::Reg(SCRATCH))
                }
            },
            other => Ok(self.rm(other)),
        }
    }

    /// A float second operand: a register, a slot, or a pooled constant.
    fn float_src(&mut self, l: Loc, f: impl FnOnce(&mut Enc<'_>, Rm) -> Option<u32>) {
        match l {
            Loc::Const(c) => {
                let at = f(&mut self.enc(), Rm::Mem(Mem::Rip));
                self.pool_ref(at, c.bits() as u64);
            }
            other => {
                let rm = self.rm(other);
                f(&mut self.enc(), rm);
            }
        }
    }

    fn alu(&mut self, op: Alu, w: bool, dst: u8, src: Loc) {
        match self.int_src(src) {
            Ok(Rm::Reg(r)) => self.enc().alu_rr(op, w, dst, r),
            Ok(Rm::Mem(m)) => {
                self.enc().alu_rm(op, w, dst, m);
            }
            Err(x) => self.enc().alu_ri(op, w, Rm::Reg(dst), x),
        }
    }

    /// `cmp a, b` for integers and refs (`test a, a` against zero: same flags, shorter).
    fn cmp(&mut self, w: bool, a: u8, b: Loc) {
        match b {
            Loc::Const(c) if c.bits() == 0 => self.enc().test_rr(w, a, a),
            _ => self.alu(Alu::Cmp, w, a, b),
        }
    }

    /// The address `base + index * scale + offset` of a load or store (uses `r11`).
    fn address(&mut self, base: Loc, index: Loc, scale: u8, offset: i32) -> Mem {
        let base = gpr(base);
        match index {
            Loc::Const(c) => {
                let disp = c.bits() as i32 as i64 * scale as i64 + offset as i64;
                match i32::try_from(disp) {
                    Ok(d) => Mem::base(base, d),
                    Err(_) => {
                        self.enc().mov_ri(SCRATCH, disp);
                        Mem::Base {
                            base,
                            index: Some((SCRATCH, 1)),
                            disp: 0,
                        }
                    }
                }
            }
            other => {
                let rm = self.rm(other);
                self.enc().movsxd(SCRATCH, rm);
                Mem::Base {
                    base,
                    index: Some((SCRATCH, scale)),
                    disp: offset,
                }
            }
        }
    }

    fn guard(&mut self, i: usize) {
        let op = &self.c.trace.ops[i];
        let alloc = self.c.alloc;
        let args = alloc.args(i);
        let exit = self.c.exit(i);
        match op.opcode {
            Opcode::GuardTrue | Opcode::GuardFalse => {
                let fail_if_true = op.opcode == Opcode::GuardFalse;
                match args[0] {
                    Loc::Flags => match self.flags.take().expect("flags set by the previous op") {
                        Flags::Cond(c) => {
                            self.jcc_to(if fail_if_true { c } else { c.invert() }, exit)
                        }
                        Flags::FloatEq if !fail_if_true => {
                            self.jcc_to(Cond::Ne, exit);
                            self.jcc_to(Cond::P, exit);
                        }
                        Flags::FloatNe if fail_if_true => {
                            self.jcc_to(Cond::Ne, exit);
                            self.jcc_to(Cond::P, exit);
                        }
                        Flags::FloatEq | Flags::FloatNe => {
                            // Leave when ZF = 1 and PF = 0.
                            self.enc().jcc8(Cond::P, 6);
                            self.jcc_to(Cond::E, exit);
                        }
                    },
                    Loc::Const(c) => {
                        if (c.bits() != 0) == fail_if_true {
                            self.jmp_to(exit);
                        }
                    }
                    Loc::Reg(r) => {
                        self.enc().test_rr(false, r.hw, r.hw);
                        self.jcc_to(if fail_if_true { Cond::Ne } else { Cond::E }, exit);
                    }
                    Loc::Slot(s) => {
                        self.enc().alu_ri(Alu::Cmp, false, Rm::Mem(slot_mem(s)), 0);
                        self.jcc_to(if fail_if_true { Cond::Ne } else { Cond::E }, exit);
                    }
                }
            }
            Opcode::GuardValue => {
                let w = is_wide(self.c.trace.operand_type(op.args[0]));
                self.cmp(w, gpr(args[0]), args[1]);
                self.jcc_to(Cond::Ne, exit);
            }
            Opcode::GuardNonnull | Opcode::GuardIsnull => {
                match args[0] {
                    Loc::Reg(r) => self.enc().test_rr(true, r.hw, r.hw),
                    other => {
                        let rm = self.rm(other);
                        self.enc().alu_ri(Alu::Cmp, true, rm, 0);
                    }
                }
                self.jcc_to(
                    if op.opcode == Opcode::GuardNonnull {
                        Cond::E
                    } else {
                        Cond::Ne
                    },
                    exit,
                );
            }
            Opcode::GuardNoOverflow => self.jcc_to(Cond::O, exit),
            Opcode::GuardOverflow => self.jcc_to(Cond::No, exit),
            Opcode::GuardClass | Opcode::GuardNonnullClass => {
                let p = gpr(args[0]);
                if op.opcode == Opcode::GuardNonnullClass {
                    self.enc().test_rr(true, p, p);
                    self.jcc_to(Cond::E, exit);
                }
                let tid = match args[1] {
                    Loc::Const(c) => c.bits() as i32,
                    other => panic!("a class guard's type id in {other:?}"),
                };
                let header = Mem::base(p, jit_core::objects::TYPE_ID_OFFSET as i32);
                self.enc().alu_ri(Alu::Cmp, false, Rm::Mem(header), tid);
                self.jcc_to(Cond::Ne, exit);
            }
            other => unreachable!("{other} is not a guard"),
        }
    }

    fn int_compare_cond(op: Opcode) -> Cond {
        match op {
            Opcode::IntEq | Opcode::PtrEq | Opcode::IntIsZero => Cond::E,
            Opcode::IntNe | Opcode::PtrNe | Opcode::IntIsTrue => Cond::Ne,
            Opcode::IntLt => Cond::L,
            Opcode::IntLe => Cond::Le,
            Opcode::IntGt => Cond::G,
            Opcode::IntGe => Cond::Ge,
            Opcode::UintLt => Cond::B,
            Opcode::UintLe => Cond::Be,
            Opcode::UintGt => Cond::A,
            _ => Cond::Ae,
        }
    }

    /// Leaves `flags` in the result register as 0 or 1, or keeps them for the next guard.
    fn set_result(&mut self, flags: Flags, res: Option<Loc>) {
        match res {
            Some(Loc::Flags) => self.flags = Some(flags),
            Some(Loc::Reg(r)) => {
                let r = r.hw;
                match flags {
                    Flags::Cond(c) => self.enc().setcc(c, r),
                    Flags::FloatEq => {
                        self.enc().setcc(Cond::Np, SCRATCH);
                        self.enc().setcc(Cond::E, r);
                        self.enc().alu_rr8(Alu::And, r, SCRATCH);
                    }
                    Flags::FloatNe => {
                        self.enc().setcc(Cond::P, SCRATCH);
                        self.enc().setcc(Cond::Ne, r);
                        self.enc().alu_rr8(Alu::Or, r, SCRATCH);
                    }
                }
                self.enc().movzx_rr8(r, r);
            }
            other => panic!("a comparison result in {other:?}"),
        }
    }

    fn div(&mut self, i: usize) {
        let op = &self.c.trace.ops[i];
        let w = is_wide(self.c.trace.ty(op.result.expect("verified")));
        let b = gpr(self.c.alloc.args(i)[1]);
        let signed = matches!(op.opcode, Opcode::IntDiv | Opcode::IntRem);
        let rem = matches!(op.opcode, Opcode::IntRem | Opcode::UintRem);
        let (zero, done) = (self.c.buf.label(), self.c.buf.label());
        self.enc().test_rr(w, b, b);
        self.jcc_to(Cond::E, zero);
        if signed {
            let normal = self.c.buf.label();
            self.enc().alu_ri(Alu::Cmp, w, Rm::Reg(b), -1);
            self.jcc_to(Cond::Ne, normal);
            if rem {
                self.enc().mov_ri(RDX, 0);
            } else {
                self.enc().neg(w, RAX);
            }
            self.jmp_to(done);
            self.c.buf.bind(normal);
            self.enc().sign_extend_ax(w);
        } else {
            self.enc().mov_ri(RDX, 0);
        }
        self.enc().div(w, signed, b);
        self.jmp_to(done);
        self.c.buf.bind(zero);
        if rem {
            self.enc().mov_rr(true, RDX, RAX);
        } else {
            self.enc().mov_ri(RAX, 0);
        }
        self.c.buf.bind(done);
    }

    /// `cvttsd2si` with the fix-ups docs/ir.md §4 asks for: NaN → 0, too large → MAX.
    fn f64_to_int(&mut self, w: bool, res: u8, src: u8) {
        let (done, nan) = (self.c.buf.label(), self.c.buf.label());
        self.enc().cvttsd2si(w, res, Rm::Reg(src));
        if w {
            self.enc().mov_ri(SCRATCH, i64::MIN);
            self.enc().alu_rr(Alu::Cmp, true, res, SCRATCH);
        } else {
            self.enc().alu_ri(Alu::Cmp, false, Rm::Reg(res), i32::MIN);
        }
        self.jcc_to(Cond::Ne, done);
        self.enc().ucomisd(src, Rm::Reg(src));
        self.jcc_to(Cond::P, nan);
        self.enc().xorpd(FSCRATCH, FSCRATCH);
        self.enc().ucomisd(src, Rm::Reg(FSCRATCH));
        self.jcc_to(Cond::Be, done);
        self.enc()
            .mov_ri(res, if w { i64::MAX } else { i32::MAX as i64 });
        self.jmp_to(done);
        self.c.buf.bind(nan);
        self.enc().mov_ri(res, 0);
        self.c.buf.bind(done);
    }

    /// The native address of external function `name`.
    fn extern_address(&self, name: &str) -> Result<usize, CompileError> {
        self.externs
            .get(name)
            .and_then(|f| f.native)
            .ok_or_else(|| CompileError::UnknownExtern(name.to_string()))
    }

    /// `movabs dst, <address of name>`, relocated.
    fn load_extern_address(&mut self, dst: u8, name: &str) -> Result<(), CompileError> {
        let addr = self.extern_address(name)?;
        let target = self.c.call_target(name);
        let at = self.enc().movabs(dst, addr as i64);
        self.c.reloc(at, ABS64, RelocTarget::Extern(target));
        Ok(())
    }

    fn call(&mut self, i: usize) -> Result<(), CompileError> {
        let op = &self.c.trace.ops[i];
        let decl = &self.c.trace.funcs[op.func().expect("verified")];
        // An indirect call goes to its callee after checking it is one of the functions
        // the trace declares with this signature (anything else leaves by the bad-callee
        // exit: never a jump into arbitrary memory).
        let callee = match op.callee() {
            Some(_) => {
                let reg = gpr(self.c.alloc.args(i)[op.args.len() - 1]);
                let ok = self.c.buf.label();
                for name in self.c.callees_like(op.func().expect("verified")) {
                    self.load_extern_address(SCRATCH, &name)?;
                    self.enc().alu_rr(Alu::Cmp, true, reg, SCRATCH);
                    self.jcc_to(Cond::E, ok);
                }
                let bad = self.c.bad_callee();
                self.jmp_to(bad);
                self.c.buf.bind(ok);
                Some(reg)
            }
            None => None,
        };
        let alloc = self.c.alloc;
        let args = alloc.args(i);
        let places = abi::assign(&decl.params).0;
        // Stacked arguments first: their values may sit in registers the steps below
        // change. A narrow integer is widened to 32 bits everywhere it goes: System V leaves
        // the upper bits undefined, but callers extend by convention (clang's callees
        // count on it), so this code does.
        for (k, (&place, &t)) in places.iter().zip(&decl.params).enumerate() {
            let abi::ArgLoc::Stack(at) = place else {
                continue;
            };
            let dst = Mem::base(RSP, at as i32);
            match (args[k], t.narrow()) {
                (Loc::Reg(r), _) if t == CType::F64 => self.enc().movsd_store(dst, r.hw),
                (Loc::Reg(r), None) => self.enc().store(64, dst, r.hw),
                (Loc::Reg(r), Some((bits, signed))) => {
                    self.enc().extend_rr(bits as u8, signed, SCRATCH, r.hw);
                    self.enc().store(64, dst, SCRATCH);
                }
                (Loc::Slot(s), narrow) => {
                    self.enc().load(true, SCRATCH, slot_mem(s));
                    if let Some((bits, signed)) = narrow {
                        self.enc().extend_rr(bits as u8, signed, SCRATCH, SCRATCH);
                    }
                    self.enc().store(64, dst, SCRATCH);
                }
                (Loc::Const(c), _) => {
                    self.enc().mov_ri(SCRATCH, int_bits(t.fit(c)));
                    self.enc().store(64, dst, SCRATCH);
                }
                (Loc::Flags, _) => panic!("a call argument in the flags"),
            }
        }
        // Floats' bits into their xmm registers, before any argument register changes (a
        // float's value may sit in one, passed there too).
        for (k, (&place, &t)) in places.iter().zip(&decl.params).enumerate() {
            if let (abi::ArgLoc::Float(x), CType::F32) = (place, t) {
                match args[k] {
                    Loc::Const(c) => {
                        self.enc().mov_ri(SCRATCH, int_bits(c));
                        self.enc().movd_to_xmm(x, Rm::Reg(SCRATCH));
                    }
                    l => {
                        let rm = self.rm(l);
                        self.enc().movd_to_xmm(x, rm);
                    }
                }
            }
        }
        // Last, narrow integers widened in their own argument registers.
        for (&place, &t) in places.iter().zip(&decl.params) {
            if let (abi::ArgLoc::Int(r), Some((bits, signed))) = (place, t.narrow()) {
                self.enc().extend_rr(bits as u8, signed, r, r);
            }
        }
        match callee {
            Some(reg) => self.enc().call_r(reg),
            None => {
                let addr = self.extern_address(&decl.name)?;
                self.call_extern(&decl.name, addr)
            }
        }
        // System V leaves a narrow result's upper bits undefined: extend it here.
        match decl.ret {
            Some(CType::F32) => self.enc().movd_from_xmm(RAX, 0),
            Some(t) => {
                if let Some((bits, signed)) = t.narrow() {
                    self.enc().extend_rr(bits as u8, signed, RAX, RAX);
                }
            }
            None => {}
        }
        Ok(())
    }

    /// `call` to external function `name` at `addr`, through r11 (a relocation keeps the
    /// address).
    fn call_extern(&mut self, name: &str, addr: usize) {
        let target = self.c.call_target(name);
        let at = self.enc().movabs(SCRATCH, addr as i64);
        self.c.reloc(at, ABS64, RelocTarget::Extern(target));
        self.enc().call_r(SCRATCH);
    }

    fn op(&mut self, i: usize) -> Result<(), CompileError> {
        let trace = self.c.trace;
        let op = &trace.ops[i];
        let alloc = self.c.alloc;
        let args = alloc.args(i);
        let res = self.c.alloc.result(i);
        let ty0 = op.args.first().map(|&a| trace.operand_type(a));
        let w = ty0.is_some_and(is_wide);
        match op.opcode.sig() {
            Sig::IntBinary | Sig::IntOverflow | Sig::CarryOut | Sig::CarryIn => {
                let dst = gpr(res.expect("verified"));
                match op.opcode {
                    Opcode::IntAdd | Opcode::IntAddOvf | Opcode::IntAddCo => {
                        self.alu(Alu::Add, w, dst, args[1])
                    }
                    Opcode::IntSub | Opcode::IntSubOvf | Opcode::IntSubBo => {
                        self.alu(Alu::Sub, w, dst, args[1])
                    }
                    // The carry (borrow) of the op just before is still in CF: edits between
                    // the two are moves, which leave the flags alone.
                    Opcode::IntAddCi => self.alu(Alu::Adc, w, dst, args[1]),
                    Opcode::IntSubBi => self.alu(Alu::Sbb, w, dst, args[1]),
                    Opcode::UintMulHigh => self.enc().mul(w, gpr(args[1])),
                    Opcode::IntAnd => self.alu(Alu::And, w, dst, args[1]),
                    Opcode::IntOr => self.alu(Alu::Or, w, dst, args[1]),
                    Opcode::IntXor => self.alu(Alu::Xor, w, dst, args[1]),
                    Opcode::IntMul | Opcode::IntMulOvf => match self.int_src(args[1]) {
                        Ok(rm) => self.enc().imul_rr(w, dst, rm),
                        Err(x) => self.enc().imul_rri(w, dst, Rm::Reg(dst), x),
                    },
                    Opcode::IntLshift | Opcode::IntRshift | Opcode::UintRshift => {
                        let sh = match op.opcode {
                            Opcode::IntLshift => Shift::Shl,
                            Opcode::IntRshift => Shift::Sar,
                            _ => Shift::Shr,
                        };
                        match args[1] {
                            Loc::Const(c) => {
                                let n = (c.bits() as u8) & if w { 63 } else { 31 };
                                if n != 0 {
                                    self.enc().shift_ri(sh, w, dst, n);
                                }
                            }
                            _ => self.enc().shift_cl(sh, w, dst),
                        }
                    }
                    _ => self.div(i),
                }
            }
            Sig::IntUnary => {
                let dst = gpr(res.expect("verified"));
                if op.opcode == Opcode::IntNeg {
                    self.enc().neg(w, dst);
                } else {
                    self.enc().not(w, dst);
                }
            }
            Sig::IntCompare | Sig::RefCompare => {
                self.cmp(w, gpr(args[0]), args[1]);
                self.set_result(Flags::Cond(Self::int_compare_cond(op.opcode)), res);
            }
            Sig::IntTest => {
                let a = gpr(args[0]);
                self.enc().test_rr(w, a, a);
                self.set_result(Flags::Cond(Self::int_compare_cond(op.opcode)), res);
            }
            Sig::FloatBinary => {
                let dst = gpr(res.expect("verified"));
                let sse = match op.opcode {
                    Opcode::FloatAdd => Sse::Addsd,
                    Opcode::FloatSub => Sse::Subsd,
                    Opcode::FloatMul => Sse::Mulsd,
                    _ => Sse::Divsd,
                };
                self.float_src(args[1], |e, rm| e.sse(sse, dst, rm));
            }
            Sig::FloatUnary => {
                let dst = gpr(res.expect("verified"));
                match op.opcode {
                    Opcode::FloatSqrt => {
                        self.float_src(args[0], |e, rm| e.sse(Sse::Sqrtsd, dst, rm))
                    }
                    Opcode::FloatNeg => {
                        self.load_f64_const(FSCRATCH, 1 << 63);
                        self.enc().xorpd(dst, FSCRATCH);
                    }
                    Opcode::FloatCanon => {
                        // SSE's NaNs keep payloads or set the sign: make any NaN the one.
                        let done = self.c.buf.label();
                        self.enc().ucomisd(dst, Rm::Reg(dst));
                        self.jcc_to(Cond::Np, done);
                        self.load_f64_const(dst, jit_core::ir::CANONICAL_NAN_BITS);
                        self.c.buf.bind(done);
                    }
                    _ => {
                        self.load_f64_const(FSCRATCH, !(1 << 63));
                        self.enc().andpd(dst, FSCRATCH);
                    }
                }
            }
            Sig::FloatCompare => {
                let (a, b, flags) = match op.opcode {
                    Opcode::FloatEq => (args[0], args[1], Flags::FloatEq),
                    Opcode::FloatNe => (args[0], args[1], Flags::FloatNe),
                    Opcode::FloatGt => (args[0], args[1], Flags::Cond(Cond::A)),
                    Opcode::FloatGe => (args[0], args[1], Flags::Cond(Cond::Ae)),
                    Opcode::FloatLt => (args[1], args[0], Flags::Cond(Cond::A)),
                    _ => (args[1], args[0], Flags::Cond(Cond::Ae)),
                };
                let a = gpr(a);
                self.float_src(b, |e, rm| e.ucomisd(a, rm));
                self.set_result(flags, res);
            }
            Sig::Convert(..) => {
                let dst = gpr(res.expect("verified"));
                match op.opcode {
                    Opcode::CastI32ToI64 => {
                        let rm = self.rm(args[0]);
                        self.enc().movsxd(dst, rm);
                    }
                    Opcode::CastU32ToI64 | Opcode::CastI64ToI32 => {
                        let rm = self.rm(args[0]);
                        self.enc().mov32(dst, rm);
                    }
                    Opcode::CastI32ToF64 | Opcode::CastI64ToF64 => {
                        let rm = self.rm(args[0]);
                        self.enc().xorpd(dst, dst);
                        self.enc()
                            .cvtsi2sd(op.opcode == Opcode::CastI64ToF64, dst, rm);
                    }
                    Opcode::CastF64ToI32 => self.f64_to_int(false, dst, gpr(args[0])),
                    Opcode::CastF64ToF32 => {
                        self.enc().cvtsd2ss(FSCRATCH, Rm::Reg(gpr(args[0])));
                        self.enc().movd_from_xmm(dst, FSCRATCH);
                    }
                    Opcode::CastF32ToF64 => {
                        let rm = self.rm(args[0]);
                        self.enc().movd_to_xmm(dst, rm);
                        self.enc().cvtss2sd(dst, Rm::Reg(dst));
                    }
                    _ => self.f64_to_int(true, dst, gpr(args[0])),
                }
            }
            Sig::Load(m) => {
                let mem = op.mem().expect("verified");
                let addr = self.address(args[0], args[1], mem.scale, mem.offset);
                let dst = gpr(res.expect("verified"));
                match m {
                    MemType::I8 => self.enc().load_ext(8, true, dst, addr),
                    MemType::U8 => self.enc().load_ext(8, false, dst, addr),
                    MemType::I16 => self.enc().load_ext(16, true, dst, addr),
                    MemType::U16 => self.enc().load_ext(16, false, dst, addr),
                    MemType::I32 => {
                        self.enc().load(false, dst, addr);
                    }
                    MemType::I64 => {
                        self.enc().load(true, dst, addr);
                    }
                    MemType::F64 => {
                        self.enc().movsd_load(dst, Rm::Mem(addr));
                    }
                }
            }
            Sig::Store(m) => {
                let mem = op.mem().expect("verified");
                let addr = self.address(args[0], args[1], mem.scale, mem.offset);
                let bits = (m.size() * 8) as u8;
                match (args[2], m) {
                    (Loc::Reg(r), MemType::F64) => self.enc().movsd_store(addr, r.hw),
                    (Loc::Reg(r), _) => self.enc().store(bits, addr, r.hw),
                    (Loc::Slot(s), _) => {
                        self.enc().load(true, SCRATCH2, slot_mem(s));
                        self.enc().store(bits, addr, SCRATCH2);
                    }
                    (Loc::Const(c), _) => {
                        let v = int_bits(c);
                        if bits <= 32 {
                            self.enc().store_imm(bits, addr, v as i32);
                        } else if let Ok(x) = i32::try_from(v) {
                            self.enc().store_imm(64, addr, x);
                        } else {
                            self.enc().mov_ri(SCRATCH2, v);
                            self.enc().store(64, addr, SCRATCH2);
                        }
                    }
                    (Loc::Flags, _) => panic!("a stored value in the flags"),
                }
            }
            Sig::Call => self.call(i)?,
            Sig::FuncAddr => {
                let dst = gpr(res.expect("verified"));
                let decl = &self.c.trace.funcs[op.func().expect("verified")];
                self.load_extern_address(dst, &decl.name)?;
            }
            Sig::CallSplit | Sig::CallHi => unreachable!("refused by constraints"),
            Sig::SameAs => {}
            Sig::GuardCond | Sig::GuardValue | Sig::GuardRef | Sig::GuardFlag => self.guard(i),
            Sig::Finish | Sig::Label | Sig::Jump => unreachable!("the driver's"),
            Sig::Object(ObjOp::GuardClass | ObjOp::GuardNonnullClass) => self.guard(i),
            Sig::Object(_) => unreachable!("refused by constraints"),
            Sig::Gc(GcOp::LoadRef) => {
                let mem = op.mem().expect("verified");
                let addr = self.address(args[0], args[1], mem.scale, mem.offset);
                self.enc().load(true, gpr(res.expect("verified")), addr);
            }
            Sig::Gc(GcOp::StoreRef) => {
                let mem = op.mem().expect("verified");
                let addr = self.address(args[0], args[1], mem.scale, mem.offset);
                match args[2] {
                    Loc::Reg(r) => self.enc().store(64, addr, r.hw),
                    Loc::Slot(s) => {
                        self.enc().load(true, SCRATCH2, slot_mem(s));
                        self.enc().store(64, addr, SCRATCH2);
                    }
                    Loc::Const(c) => match i32::try_from(int_bits(c)) {
                        Ok(x) => self.enc().store_imm(64, addr, x),
                        Err(_) => {
                            self.enc().mov_ri(SCRATCH2, int_bits(c));
                            self.enc().store(64, addr, SCRATCH2);
                        }
                    },
                    Loc::Flags => panic!("a stored ref in the flags"),
                }
            }
            Sig::Gc(GcOp::Alloc) => self.gc_alloc(i),
            Sig::Gc(GcOp::WriteBarrier) => {
                // Fast path: the object's flags byte has no FLAG_TRACK_YOUNG_PTRS.
                let p = gpr(args[0]);
                let resume = self.c.buf.label();
                let slow = self.c.defer(i, resume);
                let flags = Mem::base(p, jit_core::objects::GC_FLAGS_OFFSET as i32);
                self.enc()
                    .test_mi8(flags, jit_core::gc::FLAG_TRACK_YOUNG_PTRS as u8);
                self.jcc_to(Cond::Ne, slow);
                self.c.buf.bind(resume);
            }
        }
        Ok(())
    }

    /// An integer operand into `dst` as 32 bits, zero-extended (register, slot or
    /// constant).
    fn mov32_from(&mut self, dst: u8, l: Loc) {
        match l {
            Loc::Reg(r) => self.enc().mov_rr(false, dst, r.hw),
            Loc::Slot(s) => {
                self.enc().load(false, dst, slot_mem(s));
            }
            Loc::Const(c) => self.enc().mov_ri(dst, c.bits() as u32 as i64),
            Loc::Flags => panic!("an allocation size in the flags"),
        }
    }

    /// `gc_alloc`: the nursery bump inline, the collector out of line.
    fn gc_alloc(&mut self, i: usize) {
        let args = self.c.alloc.args(i);
        let dst = gpr(self.c.alloc.result(i).expect("verified"));
        let free = Mem::base(RBP, regs::word_disp(regs::FRAME.gc));
        let top = Mem::base(RBP, regs::word_disp(regs::FRAME.gc + 1));
        let resume = self.c.buf.label();
        let slow = self.c.defer(i, resume);
        // An array longer than the collector allows goes to the slow path, which refuses it.
        if let Some(&len) = args.get(1) {
            let max = jit_core::gc::MAX_ARRAY_LENGTH as i32;
            match len {
                Loc::Const(c) if (c.bits() as u32) <= max as u32 => {}
                Loc::Const(_) => self.jmp_to(slow),
                Loc::Reg(r) => {
                    self.enc().alu_ri(Alu::Cmp, false, Rm::Reg(r.hw), max);
                    self.jcc_to(Cond::A, slow);
                }
                other => {
                    let rm = self.rm(other);
                    self.enc().alu_ri(Alu::Cmp, false, rm, max);
                    self.jcc_to(Cond::A, slow);
                }
            }
        }
        // A struct (a constant size, no register input): the result register takes the
        // free pointer at once.
        if let ([Loc::Const(c)], true) = (args, (c_bits(args) as u32) < i32::MAX as u32) {
            self.enc().load(true, dst, free);
            self.enc().lea(SCRATCH2, Mem::base(dst, c.bits() as i32));
            self.enc().alu_rm(Alu::Cmp, true, SCRATCH2, top);
            self.jcc_to(Cond::A, slow);
            self.enc().store(64, free, SCRATCH2);
            self.c.buf.bind(resume);
            return;
        }
        // r11 = free; r10 = free + size (size zero-extended: below 2^32, no wrap).
        self.enc().load(true, SCRATCH, free);
        match args[0] {
            Loc::Const(c) if (c.bits() as u32) < i32::MAX as u32 => {
                self.enc()
                    .lea(SCRATCH2, Mem::base(SCRATCH, c.bits() as i32));
            }
            other => {
                self.mov32_from(SCRATCH2, other);
                self.enc().alu_rr(Alu::Add, true, SCRATCH2, SCRATCH);
            }
        }
        self.enc().alu_rm(Alu::Cmp, true, SCRATCH2, top);
        self.jcc_to(Cond::A, slow);
        self.enc().store(64, free, SCRATCH2);
        self.enc().mov_rr(true, dst, SCRATCH);
        self.c.buf.bind(resume);
    }

    /// The slow path of a GC primitive: the registers live across it that a call may
    /// destroy, and those holding refs, saved in their frame words (the collector updates
    /// the refs there, and in the slots the GC map names); the collector's entry called;
    /// the registers reloaded.
    fn gc_slow_path(&mut self, d: Deferred) -> Result<(), CompileError> {
        let i = d.op;
        let op = &self.c.trace.ops[i];
        let alloc = self.c.alloc;
        let args = alloc.args(i);
        let layout = self.c.layout;
        let saved = self.c.slow_path_saves(i, regs::CALLER_SAVED);
        // The arguments first, into the scratch registers (they may live in argument
        // registers), then the saves.
        let alloc_op = op.opcode == Opcode::GcAlloc;
        if alloc_op {
            self.mov32_from(SCRATCH2, args[0]);
            match args.get(1) {
                Some(&len) => self.mov32_from(SCRATCH, len),
                None => self.enc().mov_ri(SCRATCH, 0),
            }
        } else {
            self.enc().mov_rr(true, SCRATCH, gpr(args[0]));
        }
        for &r in &saved {
            self.save_register(r, layout.save_word(r));
        }
        self.enc().mov_rr(true, RDI, RBP);
        let map = self.c.buf.label();
        let helper = if alloc_op {
            self.enc().mov_rr(false, RSI, SCRATCH2);
            self.enc().mov_rr(false, RDX, SCRATCH);
            let at = self.enc().lea(RCX, Mem::Rip).expect("a RIP displacement");
            self.rel32(at, map);
            jit_core::gcrun::ALLOC_HELPER
        } else {
            self.enc().mov_rr(true, RSI, SCRATCH);
            jit_core::gcrun::BARRIER_HELPER
        };
        // The table's address if it has the helper (an emulator's trap slot), else the
        // collector's own.
        let addr = self
            .externs
            .get(helper)
            .and_then(|f| f.native)
            .or_else(|| {
                jit_core::legalize::helpers()
                    .get(helper)
                    .and_then(|f| f.native)
            })
            .ok_or_else(|| CompileError::UnknownExtern(helper.to_string()))?;
        self.call_extern(helper, addr);
        if alloc_op {
            let dst = gpr(alloc.result(i).expect("verified"));
            let failed = self.c.gc_failed();
            self.enc().test_rr(true, RAX, RAX);
            self.jcc_to(Cond::E, failed);
            self.enc().mov_rr(true, dst, RAX);
        }
        for &r in &saved {
            let at = Mem::base(RBP, regs::word_disp(layout.save_word(r)));
            match r.class {
                RegClass::Int => {
                    self.enc().load(true, r.hw, at);
                }
                RegClass::Float => {
                    self.enc().movsd_load(r.hw, Rm::Mem(at));
                }
            }
        }
        self.jmp_to(d.resume);
        if alloc_op {
            // The GC map: the type id, then the frame words holding refs.
            let blob = self.c.gc_map(i);
            while !self.c.buf.offset().is_multiple_of(4) {
                self.c.buf.bytes.push(0xcc);
            }
            self.c.buf.bind(map);
            let start = self.c.buf.offset();
            self.c.buf.bytes.extend_from_slice(&blob);
            self.c.data_range(start, blob.len() as u32);
        }
        Ok(())
    }
}

/// The bytes of stacked arguments the trace's calls need.
fn outgoing_bytes(trace: &Trace) -> u32 {
    let mut most = 0u32;
    for op in &trace.ops {
        if let Some(f) = op.func() {
            most = most.max(abi::assign(&trace.funcs[f].params).1);
        }
    }
    most
}

/// The callee-saved general registers the prologue pushes: rbp (the frame) and every
/// allocatable callee-saved one, then an 8-byte pad if needed to keep rsp 16-byte aligned
/// at calls (the return address already took 8).
fn pushed(frame: &NativeFrame) -> (([u8; 16], usize), i32) {
    let (mut regs, mut n) = ([RBP; 16], 1);
    for r in frame.saved.iter().filter(|r| r.class == RegClass::Int) {
        regs[n] = r.hw;
        n += 1;
    }
    let pad = if n.is_multiple_of(2) { 8 } else { 0 };
    ((regs, n), pad + frame.outgoing_bytes as i32)
}

impl<'a> Isa<'a> for Emitter<'a> {
    fn emission(&mut self) -> &mut Emission<'a> {
        &mut self.c
    }

    fn prologue(&mut self) -> Result<(), CompileError> {
        // No xmm register is callee-saved under System V.
        let ((regs, n), adjust) = pushed(&self.c.frame);
        for &r in &regs[..n] {
            self.enc().push(r);
        }
        self.enc().rsp_adjust(Alu::Sub, adjust);
        self.enc().mov_rr(true, RBP, RDI);
        Ok(())
    }

    fn emit_move(&mut self, m: &Move) {
        Emitter::emit_move(self, m)
    }

    fn op(&mut self, i: usize) -> Result<(), CompileError> {
        Emitter::op(self, i)
    }

    fn slow_path(&mut self, d: Deferred) -> Result<(), CompileError> {
        self.gc_slow_path(d)
    }

    const JUMP_PATCH_BYTES: u32 = 5;

    fn nop(&mut self) {
        self.enc().nop();
    }

    fn jump(&mut self, l: Label) {
        self.jmp_to(l);
    }

    fn jump_far(&mut self, target: RelocTarget) {
        let at = self.enc().jmp();
        self.c.reloc(at, JMP_REL32, target);
    }

    fn loop_back(&mut self, header: Label, out_of_budget: Label) {
        let m = Mem::base(RBP, regs::word_disp(regs::FRAME.budget));
        // The count of jumps left: taken while it was not zero (no borrow).
        self.enc().alu_ri(Alu::Sub, true, Rm::Mem(m), 1);
        self.jcc_to(Cond::Ae, header);
        self.jmp_to(out_of_budget);
    }

    fn loop_back_far(&mut self, target: RelocTarget, out_of_budget: Label) {
        let m = Mem::base(RBP, regs::word_disp(regs::FRAME.budget));
        // Out of budget when the count borrows (it was zero).
        self.enc().alu_ri(Alu::Sub, true, Rm::Mem(m), 1);
        self.jcc_to(Cond::B, out_of_budget);
        self.jump_far(target);
    }

    fn set_exit_index(&mut self, k: u32) {
        self.enc().mov_ri(SCRATCH, k as i64);
    }

    fn save_register(&mut self, r: PReg, word: u32) {
        let at = Mem::base(RBP, regs::word_disp(word));
        match r.class {
            RegClass::Int => self.enc().store(64, at, r.hw),
            RegClass::Float => self.enc().movsd_store(at, r.hw),
        }
    }

    fn epilogue(&mut self) {
        self.enc().mov_rr(false, RAX, SCRATCH);
        let ((regs, n), adjust) = pushed(&self.c.frame);
        self.enc().rsp_adjust(Alu::Add, adjust);
        for &r in regs[..n].iter().rev() {
            self.enc().pop(r);
        }
        self.enc().ret();
    }

    fn end(&mut self) {
        self.c.pool_start = Some(self.c.buf.offset());
        self.c.buf.place_pool(0xcc);
    }

    fn patch(kind: u8, code: &mut [u8], at: u32, target: u32) -> Result<(), FixupError> {
        debug_assert_eq!(kind, REL32);
        let rel = target as i64 - (at as i64 + 4);
        let rel = i32::try_from(rel).map_err(|_| FixupError::OutOfRange { at, target })?;
        code[at as usize..at as usize + 4].copy_from_slice(&rel.to_le_bytes());
        Ok(())
    }
}

/// Writes `address` into the field of relocation kind `kind` at `at` of code loaded at
/// `code_address`.
pub fn relocate(
    kind: u8,
    code: &mut [u8],
    at: u32,
    code_address: u64,
    address: u64,
) -> Result<(), FixupError> {
    if kind == JMP_REL32 {
        let rel = rel32(code_address + at as u64 + 4, address)
            .ok_or(FixupError::AddressTooWide { at, address })?;
        code[at as usize..at as usize + 4].copy_from_slice(&rel.to_le_bytes());
        return Ok(());
    }
    debug_assert_eq!(kind, ABS64);
    code[at as usize..at as usize + 8].copy_from_slice(&address.to_le_bytes());
    Ok(())
}

/// `target - next` as a rel32, if it fits.
fn rel32(next: u64, target: u64) -> Option<i32> {
    i32::try_from(target.wrapping_sub(next) as i64).ok()
}

/// The rel32 field at address `at` (of a `jmp` or `jcc`) retargeted to `target`.
pub fn rel32_patch(at: u64, target: u64) -> Result<Vec<u8>, FixupError> {
    let rel = rel32(at + 4, target).ok_or(FixupError::AddressTooWide {
        at: 0,
        address: target,
    })?;
    Ok(rel.to_le_bytes().to_vec())
}

/// `jmp rel32` at address `at` to `target`.
pub fn jump_patch(at: u64, target: u64) -> Result<Vec<u8>, FixupError> {
    let rel = rel32(at + 5, target).ok_or(FixupError::AddressTooWide {
        at: 0,
        address: target,
    })?;
    let mut bytes = vec![0xe9];
    bytes.extend_from_slice(&rel.to_le_bytes());
    Ok(bytes)
}

/// Lowers and encodes an allocated trace.
pub fn emit(
    trace: &Trace,
    alloc: &Allocation,
    externs: &Externs,
    contract: &FrameContract,
    kind: EmitKind,
    triple: Triple,
) -> Result<CompiledTrace, CompileError> {
    let mut e = Emitter {
        c: Emission::new(trace, alloc, contract, outgoing_bytes(trace), 16, kind),
        externs,
        flags: None,
    };
    jit_core::emit::emit(&mut e, triple)
}
