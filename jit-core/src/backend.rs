//! What an instruction set provides to the shared pipeline: the [`Backend`] trait, its
//! register file, its per-operation constraints for the register allocator, and what a
//! compiled trace looks like.
//!
//! Adding an ISA means one `Backend` impl, an encoder, and the ISA hooks of the shared
//! emission driver ([`crate::emit::Isa`]). The compile driver ([`crate::compile::compile`])
//! verifies, asks the backend for constraints, allocates registers (and, in tests, checks
//! the allocation), then hands the trace and allocation to [`Backend::emit`], which runs
//! [`crate::emit::emit`] over the backend's hooks.

use std::fmt;

use target_lexicon::Triple;

use crate::ir::{ExitId, Opcode, Scalar, Trace, Type};
use crate::liveness::Liveness;
use crate::regalloc::Allocation;

/// A register class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegClass {
    /// General-purpose integer registers (also refs; i64 on 64-bit targets).
    Int,
    /// Floating-point registers holding an f64.
    Float,
}

/// A physical register: its class and its number in the ISA's encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reg {
    /// Int or float.
    pub class: RegClass,
    /// The encoding number (x86: 0 = rax …; ARM: 0 = r0 / d0 …).
    pub hw: u8,
}

impl Reg {
    /// An integer register.
    pub const fn int(hw: u8) -> Reg {
        Reg {
            class: RegClass::Int,
            hw,
        }
    }
    /// A float register.
    pub const fn float(hw: u8) -> Reg {
        Reg {
            class: RegClass::Float,
            hw,
        }
    }
    /// A dense index over both classes (ints 0..32, floats 32..64), for bit sets.
    pub fn index(self) -> usize {
        self.hw as usize + if self.class == RegClass::Float { 32 } else { 0 }
    }
    /// The register with this dense index.
    pub fn from_index(i: usize) -> Reg {
        if i >= 32 {
            Reg::float((i - 32) as u8)
        } else {
            Reg::int(i as u8)
        }
    }
}

/// A set of registers as a bit mask over [`Reg::index`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RegSet(pub u64);

impl RegSet {
    /// No registers.
    pub const EMPTY: RegSet = RegSet(0);
    /// Whether `r` is in the set.
    pub fn contains(self, r: Reg) -> bool {
        self.0 & (1 << r.index()) != 0
    }
    /// The set with `r` added.
    pub fn with(self, r: Reg) -> RegSet {
        RegSet(self.0 | 1 << r.index())
    }
    /// The set made of these registers.
    pub fn of(regs: &[Reg]) -> RegSet {
        regs.iter().fold(RegSet::EMPTY, |s, &r| s.with(r))
    }
    /// The registers in the set, in index order.
    pub fn iter(self) -> impl Iterator<Item = Reg> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            (bits != 0).then(|| {
                let i = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                Reg::from_index(i)
            })
        })
    }
}

/// The register file as the allocator sees it.
#[derive(Clone, Debug)]
pub struct RegisterInfo {
    /// Allocatable integer registers, in order of preference.
    pub int: Vec<Reg>,
    /// Allocatable float registers, in order of preference (empty without an FPU).
    pub float: Vec<Reg>,
    /// Registers a call may destroy.
    pub caller_saved: RegSet,
    /// Register names, indexed by [`Reg::index`], for printing.
    pub names: fn(Reg) -> &'static str,
}

impl RegisterInfo {
    /// The allocatable registers of a class.
    pub fn allocatable(&self, class: RegClass) -> &[Reg] {
        match class {
            RegClass::Int => &self.int,
            RegClass::Float => &self.float,
        }
    }
}

/// What a target can do, which decides the legalization passes it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Pointer and general register width in bits (32 or 64).
    pub word_bits: u32,
    /// Whether f64 arithmetic has hardware (otherwise soft-float calls).
    pub fpu: bool,
    /// Whether integer division has hardware (otherwise helper calls).
    pub hw_divide: bool,
}

/// Where an operand must be for an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// In a register of its class, not one the operation clobbers.
    Reg,
    /// In a register (not clobbered) or a frame slot.
    RegOrSlot,
    /// Anywhere: register, slot or constant; read before anything is clobbered.
    Any,
    /// In this register.
    Fixed(Reg),
}

/// Where an operation's result goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Def {
    /// No result.
    None,
    /// Any register of its class; it may be the register of an input that dies here, so
    /// the lowering reads all inputs before it writes the result.
    Reg,
    /// The register of input `n`, which the operation overwrites (two-address forms).
    ReuseInput(u8),
    /// This register.
    Fixed(Reg),
    /// The condition flags: the result is consumed by the next operation (a guard) only.
    Flags,
}

/// The constraints of one operation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpConstraints {
    /// One per argument of the op (for jumps: ignored, jumps move to the label's places).
    pub uses: smallvec::SmallVec<[Use; 4]>,
    /// The result.
    pub def: Option<Def>,
    /// Registers the operation destroys.
    pub clobbers: RegSet,
    /// The lowering calls out of line and needs where the values live across the op are
    /// ([`crate::regalloc::Allocation::live_across`]): the GC primitives' slow paths,
    /// which save them, and at a safepoint hand the collector the refs among them.
    pub live_across: bool,
}

/// Where a value is at an operation, as the allocator decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loc {
    /// A register.
    Reg(Reg),
    /// A frame slot (8 bytes each).
    Slot(u32),
    /// A constant operand.
    Const(Scalar),
    /// The condition flags, set by the previous operation.
    Flags,
}

/// Where the runtime finds an exit value after the trace returned (or puts an input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitLoc {
    /// In this 64-bit word of the frame (registers are saved there on exit); an `i32`, or a
    /// `ref` of a 32-bit target, is its low half and the high half is undefined.
    Frame(u32),
    /// A 64-bit value split in two on a 32-bit target: low half in the first word, high
    /// half in the second (each in the word's low 32 bits).
    Pair(u32, u32),
    /// A constant.
    Const(Scalar),
}

/// One way out of a compiled trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitInfo {
    /// The IR exit id.
    pub id: ExitId,
    /// The guard or finish that leaves here.
    pub op: usize,
    /// Whether this is `finish` (else a guard).
    pub finish: bool,
    /// Where each fail arg (or finish value) is, with its type.
    pub values: Vec<(Type, ExitLoc)>,
}

/// The frame words below `first_slot` (the register save area) that some exit reads, in
/// order, each once: what a common exit must store, and all it must store.
pub fn save_words_read(exits: &[ExitInfo], first_slot: u32) -> Vec<u32> {
    save_words_read_with(exits, &[], first_slot)
}

/// [`save_words_read`] of `exits` and of `more` values read at an exit (the budget exit's).
pub fn save_words_read_with(
    exits: &[ExitInfo],
    more: &[(Type, ExitLoc)],
    first_slot: u32,
) -> Vec<u32> {
    // A mark per save word (the area is small): linear in the exit values, no sorting.
    let mut read = vec![false; first_slot as usize];
    for &(_, l) in exits.iter().flat_map(|x| x.values.iter()).chain(more) {
        if let ExitLoc::Frame(w) = l {
            if let Some(m) = read.get_mut(w as usize) {
                *m = true;
            }
        }
    }
    (0..first_slot).filter(|&w| read[w as usize]).collect()
}

/// Machine code for a trace and what the runtime needs to run it.
#[derive(Clone, Debug)]
pub struct CompiledTrace {
    /// The triple it was compiled for.
    pub triple: Triple,
    /// The code; the entry point is at offset 0. Not yet executable.
    pub code: Vec<u8>,
    /// For each IR op, the code offset where its instructions start, and one more entry
    /// where the code after the last op (exit stubs) starts. For disassembly.
    pub op_offsets: Vec<u32>,
    /// Exits, indexed by what the code returns.
    pub exits: Vec<ExitInfo>,
    /// Frame size in 64-bit words.
    pub frame_words: u32,
    /// Where each input goes: a frame word, or a pair of words for a split 64-bit value.
    pub inputs: Vec<ExitLoc>,
    /// The frame word holding the loop budget, if the trace loops: how many more times
    /// `jump` may go back to the label (a 64-bit count; the code takes the jump while the
    /// count, before it is decremented, is not zero).
    pub budget_word: Option<u32>,
    /// Operations of the original trace executed up to and including the first `jump`
    /// (set by the driver; with `iteration_steps`, turns a step budget into a jump count).
    pub first_jump_steps: u64,
    /// Operations of the original trace in one loop iteration, `jump` included.
    pub iteration_steps: u64,
    /// The value the code returns when the loop budget runs out (at its `jump`).
    pub budget_exit: u32,
    /// Where the values of the trace's `jump` are, with their types, when the budget exit
    /// leaves: the layout of the label the jump goes to (its original values, a split
    /// 64-bit value as a pair). A run stopped there can go on at that label with them.
    /// Empty if the trace does not jump.
    pub budget_values: Vec<(Type, ExitLoc)>,
    /// The token of the label the trace's `jump` goes to, if it jumps.
    pub jump_token: Option<u32>,
    /// The `guard_not_invalidated` sites: no code runs there until the trace is
    /// invalidated, when each is patched into a jump to its exit.
    pub invalidation: Vec<crate::emit::InvalidationSite>,
    /// The external functions the code calls, each once, in order of first call.
    pub calls: Vec<String>,
    /// Where instructions end and the constant pool (if placed at the end) begins.
    pub text_len: u32,
    /// Byte ranges inside the instructions that hold data (constant-pool islands), for
    /// disassemblers and checkers to skip.
    pub data_ranges: Vec<(u32, u32)>,
    /// The frame layout the code uses.
    pub layout: crate::frame::FrameLayout,
    /// The native stack frame its prologue builds (what code sharing its epilogue may use).
    pub frame: crate::frame::NativeFrame,
    /// Per exit (indexed like `exits`), where the values are, in the compiled trace's
    /// terms, with the slot high-water mark and the stub's offset.
    pub exit_states: Vec<crate::emit::ExitState>,
    /// The locations [`crate::emit::ExitState::locs`] ranges over.
    pub exit_locs: Vec<Loc>,
    /// The loop header, if the trace loops: its layout and offset.
    pub labels: Vec<crate::emit::LabelState>,
    /// References to addresses outside the code (calls), kept for relinking.
    pub relocs: Vec<crate::emit::Reloc>,
    /// Code offset of the common exit: entered with an exit index in the ISA's exit
    /// register, it saves registers and returns through the epilogue.
    pub common_exit: u32,
    /// Code offset of the epilogue (after the common exit's register saves): entered with
    /// an exit index in the ISA's exit register, it returns it. A bridge's exits save their
    /// registers and jump to their root's.
    pub epilogue: u32,
    /// The tree-wide index of the first exit (0 for a root; a bridge's exit `k` returns
    /// `first_exit + k`).
    pub first_exit: u32,
    /// The branches to exit stubs (a guard's own branch; two for some float guards).
    pub exit_branches: Vec<crate::emit::ExitBranch>,
    /// The GC object types the trace declares (set by the compile driver): the runtime
    /// builds the heap its allocations come from with them. Empty without objects.
    pub objects: Vec<crate::objects::ObjectDecl>,
    /// Per exit (indexed like `exits`; empty when none may, or not a guard): which fail args may
    /// hold a NaN made by the target's arithmetic, so a bridge canonicalizes them where
    /// their bits escape (set by the compile driver).
    pub exit_nan_arith: Vec<crate::legalize::NanFlags>,
}

impl CompiledTrace {
    /// The loop header: the label the trace's own `jump` goes to (and its bridges' jumps
    /// that name no token), if the trace has one.
    pub fn loop_header(&self) -> Option<&crate::emit::LabelState> {
        self.labels.iter().find(|l| l.header)
    }

    /// The label with token `token`, if the trace has one.
    pub fn label_with_token(&self, token: u32) -> Option<&crate::emit::LabelState> {
        self.labels.iter().find(|l| l.token == token)
    }

    /// Where exit `k`'s values are, in the compiled trace's terms.
    pub fn exit_state_locs(&self, k: usize) -> &[Loc] {
        let r = &self.exit_states[k].locs;
        &self.exit_locs[r.start as usize..r.end as usize]
    }
}

/// Why a trace could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompileError {
    /// The trace does not verify.
    Invalid(crate::verify::VerifyErrors),
    /// The target cannot compile this operation (as it stands after legalization).
    Unsupported {
        /// The operation.
        op: usize,
        /// Its opcode.
        opcode: Opcode,
        /// Why.
        reason: String,
    },
    /// The frame would be larger than the target can address.
    FrameTooLarge {
        /// Slots needed.
        slots: u32,
        /// Slots the target allows.
        limit: u32,
    },
    /// The code would be larger than the target's branches reach.
    CodeTooLarge {
        /// Bytes.
        bytes: usize,
    },
    /// A literal load would not reach its constant (a constant-pool placement bug).
    LiteralOutOfReach {
        /// Offset of the load.
        at: u32,
        /// Offset of the constant.
        target: u32,
    },
    /// An external function the trace calls has no address in the given table.
    UnknownExtern(String),
    /// A declared external function does not fit the table (missing, another signature,
    /// a reserved name).
    Extern(crate::externs::ExternError),
    /// The allocation checker found an error (a register allocator bug).
    Allocation(String),
    /// A bridge does not fit the guard it is for (its inputs, or the guard's values).
    BridgeMismatch(String),
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileError::Invalid(e) => write!(f, "the trace is not valid:\n{e}"),
            CompileError::Unsupported { op, opcode, reason } => {
                write!(
                    f,
                    "op {op}: {opcode} is not supported by this target: {reason}"
                )
            }
            CompileError::FrameTooLarge { slots, limit } => write!(
                f,
                "the trace needs {slots} frame slots, more than the {limit} this target allows"
            ),
            CompileError::CodeTooLarge { bytes } => {
                write!(
                    f,
                    "the code would be {bytes} bytes, more than branches reach"
                )
            }
            CompileError::LiteralOutOfReach { at, target } => write!(
                f,
                "the literal load at code offset {at:#x} would not reach its constant at {target:#x} (a constant-pool placement bug)"
            ),
            CompileError::UnknownExtern(name) => {
                write!(f, "no native address for external function @{name}")
            }
            CompileError::Extern(e) => write!(f, "{e}"),
            CompileError::Allocation(e) => write!(f, "register allocation is wrong: {e}"),
            CompileError::BridgeMismatch(e) => write!(f, "the bridge does not fit its guard: {e}"),
        }
    }
}

impl std::error::Error for CompileError {}

/// An instruction set the pipeline can compile for.
pub trait Backend {
    /// A short name: `x86-64`, `armv7-hf`, ….
    fn name(&self) -> &'static str;

    /// The target triple.
    fn triple(&self) -> Triple;

    /// What the target can do (chooses legalization passes).
    fn capabilities(&self) -> Capabilities;

    /// The register file.
    fn registers(&self) -> &RegisterInfo;

    /// The most frame slots the target's addressing reaches.
    fn max_frame_slots(&self) -> u32;

    /// Whether constant `c`, argument `arg` of `op` inside a loop, should be made once
    /// before the loop and carried in a register ([`crate::hoist`]): true where making it
    /// there costs an instruction or more every iteration (ARM's MOVW/MOVT and literal
    /// loads; a value to store, which ARM's stores take only in a register). A constant
    /// hoisted for one use serves all its uses in the loop. By default nothing is hoisted.
    fn hoist_constant(&self, _c: crate::ir::Scalar, _op: &crate::ir::Op, _arg: usize) -> bool {
        false
    }

    /// The constraints of op `index` for the register allocator, or why the target cannot
    /// compile it.
    fn constraints(
        &self,
        trace: &Trace,
        live: &Liveness,
        index: usize,
        out: &mut OpConstraints,
    ) -> Result<(), CompileError>;

    /// Writes `address` into the field of relocation `reloc` in `code` (compiled by this
    /// backend, to be loaded at `code_address`): how a loader links calls and bridges.
    fn relocate(
        &self,
        reloc: &crate::emit::Reloc,
        code: &mut [u8],
        code_address: u64,
        address: u64,
    ) -> Result<(), crate::codebuf::FixupError>;

    /// The bytes of an unconditional jump placed at `at` (an exit stub) to `target`: what
    /// attaching a bridge patches into its guard's stub.
    fn jump_patch(&self, at: u64, target: u64) -> Result<Vec<u8>, crate::codebuf::FixupError>;

    /// The bytes that retarget branch fixup `kind` at address `at` (whose current bytes
    /// start with `old`) to `target`: how a guard's branch is patched to go straight to its
    /// bridge. One aligned word on ARM, the 4-byte offset field on x86-64.
    fn branch_patch(
        &self,
        kind: u8,
        old: &[u8],
        at: u64,
        target: u64,
    ) -> Result<Vec<u8>, crate::codebuf::FixupError>;

    /// Lowers and encodes the allocated trace, as a root or a bridge.
    fn emit(
        &self,
        trace: &Trace,
        live: &Liveness,
        alloc: &Allocation,
        externs: &crate::externs::Externs,
        kind: crate::emit::EmitKind,
    ) -> Result<CompiledTrace, CompileError>;
}

/// The register class that holds values of `ty` on a target with these capabilities.
pub fn class_of(ty: Type) -> RegClass {
    match ty {
        Type::F64 => RegClass::Float,
        _ => RegClass::Int,
    }
}
