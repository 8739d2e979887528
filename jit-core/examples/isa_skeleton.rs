//! The skeleton a new ISA starts from (docs/adding-an-isa.md): every piece a backend
//! gives jit-core, in one file, for a made-up machine with fixed 32-bit words, so that it
//! compiles and runs through the real pipeline (`cargo run -p jit-core --example
//! isa_skeleton`). Copy it into `backend-<isa>/src/` as `regs.rs`, `enc.rs`, `abi.rs` and
//! `lower.rs` (the modules below), then replace the made-up encodings with the ISA's and
//! bring the operation families up one by one: everything not lowered yet is refused as
//! `CompileError::Unsupported`, which `tracejit conformance --target T` lists per family.
//!
//! The made-up machine: 16 registers, `r15` the frame, `r14` the loop budget, `r13`
//! scratch; a word is `op:8 a:4 b:4 imm:16`; branches count words.

use jit_core::backend::{
    Backend, Capabilities, CompileError, CompiledTrace, Def, Loc, OpConstraints, RegisterInfo, Use,
};
use jit_core::codebuf::{FixupError, Label};
use jit_core::compile::{compile, CompileOptions};
use jit_core::emit::{Emission, EmitKind, Isa, Reloc, RelocTarget};
use jit_core::ir::{Opcode, Sig, Trace};
use jit_core::liveness::Liveness;
use jit_core::regalloc::{Allocation, Move};
use target_lexicon::Triple;

/// Step 1: the register file, the scratch and reserved registers, the frame.
mod regs {
    use jit_core::backend::{Reg, RegSet, RegisterInfo};

    /// The register that points at the frame.
    pub const FRAME: u8 = 15;
    /// The register that holds the loop budget while compiled code runs.
    pub const BUDGET: u8 = 14;
    /// The scratch register, never allocated.
    pub const SCRATCH: u8 = 13;

    fn name(r: Reg) -> &'static str {
        const N: [&str; 16] = [
            "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "r13",
            "r14", "r15",
        ];
        N[r.hw as usize & 15]
    }

    /// `r0`–`r12`, caller-saved ones first; `r0`–`r6` are what a call destroys.
    pub fn register_info() -> RegisterInfo {
        let caller: Vec<Reg> = (0..7).map(Reg::int).collect();
        RegisterInfo {
            int: (0..13).map(Reg::int).collect(),
            float: Vec::new(),
            caller_saved: RegSet::of(&caller),
            names: name,
        }
    }
}

/// Step 2: the pure encoder, one function per form (check each against the real
/// assembler in a table: `tests/emit_tests.rs` in every backend).
mod enc {
    /// The made-up machine's operations.
    #[derive(Clone, Copy)]
    pub enum Op {
        Enter = 1,
        Ret,
        Mov,
        Load,
        Store,
        MovImm,
        Add,
        Sub,
        AddImm,
        SubImm,
        SetGt,
        Branch,
        BranchZero,
        BranchNonZero,
        CountDown,
        Nop,
    }

    /// One instruction word.
    pub fn word(op: Op, a: u8, b: u8, imm: u16) -> u32 {
        (op as u32) << 24 | (a as u32 & 15) << 20 | (b as u32 & 15) << 16 | imm as u32
    }

    /// A branch word with its word offset set, if it reaches.
    pub fn rebranch(old: u32, words: i64) -> Option<u32> {
        let w = i16::try_from(words).ok()?;
        Some(old & 0xffff_0000 | w as u16 as u32)
    }
}

/// Step 3: the calling convention. The skeleton has no calls yet: the call family is
/// refused. A real `abi::assign` places each argument (registers, stack, alignment) and is
/// checked against GCC's own code (`jit-emu/tests/abi_aarch64.rs`).
mod abi {}

/// Step 4: constraints and lowering.
mod lower {
    use super::enc::{self, word, Op};
    use super::regs::{BUDGET, FRAME, SCRATCH};
    use super::*;

    /// Fixup and relocation kind: a 16-bit word offset.
    pub const BR16: u8 = 0;

    fn unsupported(op: usize, opcode: Opcode) -> CompileError {
        CompileError::Unsupported {
            op,
            opcode,
            reason: "not lowered yet (docs/adding-an-isa.md: brought up family by family)".into(),
        }
    }

    fn gpr(l: Loc) -> u8 {
        match l {
            Loc::Reg(r) => r.hw,
            other => panic!("a register operand in {other:?}"),
        }
    }

    /// Where each operand of op `i` must be and where its result goes.
    pub fn constraints(
        trace: &Trace,
        i: usize,
        out: &mut OpConstraints,
    ) -> Result<(), CompileError> {
        use Use::*;
        let op = &trace.ops[i];
        out.uses.clear();
        out.clobbers = jit_core::backend::RegSet::EMPTY;
        out.live_across = false;
        let (uses, def): (&[Use], Def) = match op.opcode {
            Opcode::IntAdd | Opcode::IntSub => (&[Reg, Any], Def::Reg),
            Opcode::IntGt => (&[Reg, Reg], Def::Reg),
            Opcode::GuardTrue | Opcode::GuardFalse => (&[Reg], Def::None),
            Opcode::Finish => {
                out.uses.extend(op.args.iter().map(|_| Any));
                out.def = Some(Def::None);
                return Ok(());
            }
            other => return Err(unsupported(i, other)),
        };
        out.uses.extend_from_slice(uses);
        out.def = Some(def);
        Ok(())
    }

    /// The lowering's state over one trace.
    pub struct Emitter<'a> {
        pub c: Emission<'a>,
    }

    impl Emitter<'_> {
        fn put(&mut self, w: u32) {
            self.c.buf.put_u32(w);
        }

        fn branch_to(&mut self, op: Op, r: u8, l: Label) {
            let at = self.c.buf.offset();
            self.put(word(op, r, 0, 0));
            self.c.buf.fixup(at, l, BR16);
        }

        fn frame_mem(&mut self, load: bool, r: u8, frame_word: u32) {
            let op = if load { Op::Load } else { Op::Store };
            self.put(word(op, r, FRAME, frame_word as u16));
        }

        /// `rd = v`: the immediate form, then the value's 64 bits as two data words.
        fn mov_imm(&mut self, rd: u8, v: u64) {
            self.put(word(Op::MovImm, rd, 0, 0));
            self.put(v as u32);
            self.put((v >> 32) as u32);
        }
    }

    impl<'a> Isa<'a> for Emitter<'a> {
        fn emission(&mut self) -> &mut Emission<'a> {
            &mut self.c
        }

        fn prologue(&mut self) -> Result<(), CompileError> {
            // Save what the ABI has the callee save (here: all of it, in one made-up
            // instruction), point the frame register at the frame (the first argument),
            // and load the budget.
            self.put(word(Op::Enter, 0, 0, 0));
            self.put(word(Op::Mov, FRAME, 0, 0));
            self.frame_mem(true, BUDGET, self.c.layout.budget);
            Ok(())
        }

        fn emit_move(&mut self, m: &Move) {
            let slot = |e: &Self, s: u32| e.c.layout.slot_word(s);
            match (m.from, m.to) {
                (Loc::Reg(a), Loc::Reg(b)) => self.put(word(Op::Mov, b.hw, a.hw, 0)),
                (Loc::Reg(a), Loc::Slot(s)) => self.frame_mem(false, a.hw, slot(self, s)),
                (Loc::Slot(s), Loc::Reg(b)) => self.frame_mem(true, b.hw, slot(self, s)),
                (Loc::Slot(s), Loc::Slot(t)) => {
                    self.frame_mem(true, SCRATCH, slot(self, s));
                    self.frame_mem(false, SCRATCH, slot(self, t));
                }
                (Loc::Const(c), Loc::Reg(b)) => self.mov_imm(b.hw, c.bits() as u64),
                (Loc::Const(c), Loc::Slot(t)) => {
                    self.mov_imm(SCRATCH, c.bits() as u64);
                    self.frame_mem(false, SCRATCH, slot(self, t));
                }
                (from, to) => panic!("an impossible move {from:?} -> {to:?}"),
            }
        }

        fn op(&mut self, i: usize) -> Result<(), CompileError> {
            let op = &self.c.trace.ops[i];
            let args = self.c.alloc.args(i);
            let res = self.c.alloc.result(i);
            match op.opcode.sig() {
                Sig::IntBinary => {
                    let (rd, rn) = (gpr(res.expect("verified")), gpr(args[0]));
                    let sub = op.opcode == Opcode::IntSub;
                    match args[1] {
                        Loc::Const(c) if (c.bits() as u64) < 1 << 16 => {
                            let imm_op = if sub { Op::SubImm } else { Op::AddImm };
                            self.put(word(imm_op, rd, rn, c.bits() as u16));
                        }
                        other => {
                            let rm = match other {
                                Loc::Reg(r) => r.hw,
                                Loc::Slot(s) => {
                                    self.frame_mem(true, SCRATCH, self.c.layout.slot_word(s));
                                    SCRATCH
                                }
                                Loc::Const(c) => {
                                    self.mov_imm(SCRATCH, c.bits() as u64);
                                    SCRATCH
                                }
                                Loc::Flags => panic!("an operand in the flags"),
                            };
                            let reg_op = if sub { Op::Sub } else { Op::Add };
                            self.put(word(reg_op, rd, rn, rm as u16));
                        }
                    }
                }
                Sig::IntCompare => {
                    let rd = gpr(res.expect("verified"));
                    self.put(word(Op::SetGt, rd, gpr(args[0]), gpr(args[1]) as u16));
                }
                Sig::GuardCond => {
                    // The exit's stub (and everything behind it) is the driver's.
                    let exit = self.c.exit(i);
                    let fail_if = if op.opcode == Opcode::GuardTrue {
                        Op::BranchZero
                    } else {
                        Op::BranchNonZero
                    };
                    self.branch_to(fail_if, gpr(args[0]), exit);
                }
                _ => return Err(unsupported(i, op.opcode)),
            }
            Ok(())
        }

        const JUMP_PATCH_BYTES: u32 = 4;

        fn nop(&mut self) {
            self.put(word(Op::Nop, 0, 0, 0));
        }

        fn jump(&mut self, l: Label) {
            self.branch_to(Op::Branch, 0, l);
        }

        fn jump_far(&mut self, target: RelocTarget) {
            let at = self.c.buf.offset();
            self.put(word(Op::Branch, 0, 0, 0));
            self.c.reloc(at, BR16, target);
        }

        fn loop_back(&mut self, header: Label, out_of_budget: Label) {
            // While jumps are left: one fewer, and to the header.
            self.branch_to(Op::CountDown, BUDGET, header);
            self.jump(out_of_budget);
        }

        fn loop_back_far(&mut self, target: RelocTarget, out_of_budget: Label) {
            let at = self.c.buf.offset();
            self.put(word(Op::CountDown, BUDGET, 0, 0));
            self.c.reloc(at, BR16, target);
            self.jump(out_of_budget);
        }

        fn set_exit_index(&mut self, k: u32) {
            self.mov_imm(0, k as u64);
        }

        fn save_register(&mut self, r: jit_core::backend::Reg, frame_word: u32) {
            self.frame_mem(false, r.hw, frame_word);
        }

        fn epilogue(&mut self) {
            // The budget goes back to its frame word; r0 (the exit index) is returned.
            self.frame_mem(false, BUDGET, self.c.layout.budget);
            self.put(word(Op::Ret, 0, 0, 0));
        }

        fn patch(_kind: u8, code: &mut [u8], at: u32, target: u32) -> Result<(), FixupError> {
            let o = at as usize;
            let old = u32::from_le_bytes(code[o..o + 4].try_into().expect("4 bytes"));
            let new = enc::rebranch(old, (target as i64 - at as i64) / 4)
                .ok_or(FixupError::OutOfRange { at, target })?;
            code[o..o + 4].copy_from_slice(&new.to_le_bytes());
            Ok(())
        }
    }

    /// A branch word at `at` (from `old`) retargeted to `target`, as bytes.
    pub fn branch_bytes(old: u32, at: u64, target: u64) -> Result<Vec<u8>, FixupError> {
        let words = (target as i64).wrapping_sub(at as i64) / 4;
        enc::rebranch(old, words)
            .map(|w| w.to_le_bytes().to_vec())
            .ok_or(FixupError::AddressTooWide {
                at: at as u32,
                address: target,
            })
    }
}

/// The backend: what jit-core asks, each answered by a module above.
struct SkeletonBackend {
    regs: RegisterInfo,
}

impl Backend for SkeletonBackend {
    fn name(&self) -> &'static str {
        "skeleton"
    }

    fn triple(&self) -> Triple {
        // Use the ISA's own triple.
        "riscv64gc-unknown-linux-gnu"
            .parse()
            .expect("a known triple")
    }

    fn capabilities(&self) -> Capabilities {
        // No FPU: legalization turns f64 arithmetic into helper calls (refused here, as
        // calls are); a 32-bit word would split every i64 into pairs.
        Capabilities {
            word_bits: 64,
            fpu: false,
            hw_divide: true,
        }
    }

    fn registers(&self) -> &RegisterInfo {
        &self.regs
    }

    fn max_frame_slots(&self) -> u32 {
        // A frame word's offset is a 16-bit immediate.
        60_000
    }

    fn constraints(
        &self,
        trace: &Trace,
        _live: &Liveness,
        index: usize,
        out: &mut OpConstraints,
    ) -> Result<(), CompileError> {
        lower::constraints(trace, index, out)
    }

    fn relocate(
        &self,
        reloc: &Reloc,
        code: &mut [u8],
        code_address: u64,
        address: u64,
    ) -> Result<(), FixupError> {
        let o = reloc.at as usize;
        let old = u32::from_le_bytes(code[o..o + 4].try_into().expect("4 bytes"));
        let at = code_address + reloc.at as u64;
        let bytes = lower::branch_bytes(old, at, address)?;
        code[o..o + 4].copy_from_slice(&bytes);
        Ok(())
    }

    fn jump_patch(&self, at: u64, target: u64) -> Result<Vec<u8>, FixupError> {
        lower::branch_bytes(enc::word(enc::Op::Branch, 0, 0, 0), at, target)
    }

    fn branch_patch(
        &self,
        _kind: u8,
        old: &[u8],
        at: u64,
        target: u64,
    ) -> Result<Vec<u8>, FixupError> {
        let old = old
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
            .ok_or(FixupError::OutOfRange {
                at: at as u32,
                target: target as u32,
            })?;
        lower::branch_bytes(old, at, target)
    }

    fn emit(
        &self,
        trace: &Trace,
        _live: &Liveness,
        alloc: &Allocation,
        _externs: &jit_core::externs::Externs,
        kind: EmitKind,
    ) -> Result<CompiledTrace, CompileError> {
        let contract = jit_core::frame::FrameContract::new(&self.regs);
        let c = Emission::new(trace, alloc, &contract, 0, 16, kind);
        jit_core::emit::emit(&mut lower::Emitter { c }, self.triple())
    }
}

/// Step 5 is an executor (`jit-emu`: a machine implementing `EmuMachine`) and step 6 the
/// family report; here, the pipeline on three traces: two it compiles, one it refuses.
fn main() {
    let backend = SkeletonBackend {
        regs: regs::register_info(),
    };
    let traces = [
        "[i0, i1]\ni2 = int_add(i0, i1)\nfinish(i2)\n",
        "[i0, i1]\nlabel(i0, i1)\ni2 = int_add(i1, i0)\ni3 = int_sub(i0, 1)\ni4 = int_gt(i3, i1)\n\
         guard_true(i4) [i3, i2]\njump(i3, i2)\n",
        "[f0]\nf1 = float_add(f0, f0)\nfinish(f1)\n",
    ];
    let externs = jit_core::Externs::new();
    for (k, src) in traces.into_iter().enumerate() {
        let trace = jit_core::text::parse_verified(src).expect("a valid trace");
        match compile(&backend, &trace, &externs, CompileOptions::default()) {
            Ok(c) => println!(
                "compiled {} ops: {} bytes, {} exits",
                trace.ops.len(),
                c.code.code.len(),
                c.code.exits.len()
            ),
            Err(e) => {
                // Only the f64 trace is refused, and as an operation not lowered yet.
                assert!(
                    k == 2 && matches!(e, CompileError::Unsupported { .. }),
                    "{e}"
                );
                println!("refused: {e}");
            }
        }
    }
}
