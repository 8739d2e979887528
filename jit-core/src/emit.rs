//! The shared emission driver: the skeleton every backend's code has, written once.
//!
//! A backend implements [`Isa`] — its prologue and epilogue, moves, the lowering of each
//! op, a branch, the loop's back edge, and how an exit index reaches the common exit — and
//! [`emit`] drives it: the prologue, each op after its moves, `label`, `jump` and `finish`,
//! one stub per exit, the budget exit, the common exit that saves exactly the registers
//! some exit reads, the epilogue, fixups, and the [`CompiledTrace`] with what later code
//! attached to this one needs (per-exit fail-arg locations, slot high-water marks and stub
//! offsets, the loop header's layout and offset, relocations, the frame).
//!
//! ```text
//!   prologue                      Isa::prologue (saves NativeFrame::saved, reserves outgoing)
//!   for each op: moves, op        Isa::emit_move, Isa::op / label / Isa::loop_back / finish
//!   stub k: index k → exit reg    Isa::set_exit_index, Isa::jump(common)   (patch site)
//!   budget: index → exit reg      Isa::set_exit_index
//!   common: save words read       Isa::save_register
//!   epilogue                      Isa::epilogue, Isa::end
//! ```

use target_lexicon::Triple;

use crate::backend::{save_words_read_with, CompileError, CompiledTrace, ExitInfo, Loc, Reg};
use crate::codebuf::{CodeBuffer, FixupError, Label};
use crate::frame::{FrameContract, FrameLayout, NativeFrame};
use crate::ir::{Opcode, Trace};
use crate::regalloc::{Allocation, Move};

/// What code attached at an exit needs to know: where the exit left each value.
///
/// In the terms of the trace as compiled (after legalization: a split 64-bit value is two
/// locations), so a bridge allocated from it keeps pairs whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitState {
    /// The guard or finish in the compiled trace.
    pub op: usize,
    /// Where each fail arg (or finish value) is when the exit is taken: this range of
    /// [`CompiledTrace::exit_locs`] (one flat list, so compiling allocates once, not per
    /// exit).
    pub locs: std::ops::Range<u32>,
    /// Slots at or above this number hold nothing live at the exit.
    pub slot_high_water: u32,
    /// Code offset of the exit's stub, the patch site where a bridge is attached.
    pub stub: u32,
}

/// A branch in the code to an exit's stub: the guard's own branch, which attaching a bridge
/// patches to go straight to the bridge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExitBranch {
    /// The exit (index in `exits`).
    pub exit: u32,
    /// Offset of the branch's fixup (an instruction or its offset field, as `kind` says).
    pub at: u32,
    /// The backend's fixup kind of the branch.
    pub kind: u8,
}

/// A `guard_not_invalidated`: it emits no code, and invalidating the trace writes `patch`
/// (a jump to the exit's stub, position independent) over the code at `at`, which the
/// emitter kept clear of every branch target for that many bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InvalidationSite {
    /// The exit (index in `exits`).
    pub exit: u32,
    /// Code offset of the site.
    pub at: u32,
    /// Bytes at `at` the emitter kept clear of branch targets (the ISA's patched jump).
    pub room: u32,
    /// The bytes of the jump to the exit's stub written there (set by the compile driver
    /// from `Backend::jump_patch`).
    pub patch: Vec<u8>,
}

/// The loop header of a compiled trace: where a jump from other code lands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelState {
    /// The label op in the compiled trace.
    pub op: usize,
    /// Where each label argument is at the header.
    pub locs: Vec<Loc>,
    /// Code offset of the header.
    pub offset: u32,
    /// The label's token (`descr=<TargetN>`, else its ordinal among the labels).
    pub token: u32,
    /// Whether it is the loop header, where the trace's own jump goes.
    pub header: bool,
    /// The label's argument types in the original trace (what a bridge's jump passes).
    pub types: Vec<crate::ir::Type>,
    /// Constants hoisted out of the loop, carried as label arguments after the original
    /// ones (before splitting): a bridge's jump passes them too.
    pub hoisted: Vec<crate::ir::Scalar>,
}

/// Out-of-line code of op `op` (a GC primitive's slow path), emitted after the trace's
/// ops by [`Isa::slow_path`]: entered by a branch to `entry`, it ends with a jump back to
/// `resume`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deferred {
    /// The op.
    pub op: usize,
    /// Where the slow path starts.
    pub entry: Label,
    /// Where the op's fast path goes on.
    pub resume: Label,
}

/// What a compiled trace returns when the collector could not allocate (out of memory, or
/// a length out of range): the runtime reports the collector's error.
pub const GC_FAILED_EXIT: u32 = 0xffff_fff0;

/// What a compiled trace returns when an indirect call's callee is not a function the
/// trace declares with the call's signature: the runtime reports [`crate::runtime::RunError::BadCallee`].
pub const BAD_CALLEE_EXIT: u32 = 0xffff_fff1;

/// What a relocation refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RelocTarget {
    /// The address of external function `calls[k]`.
    Extern(u32),
    /// The epilogue of the root a bridge belongs to (`CompiledTrace::epilogue` of the root,
    /// where it is loaded): a bridge's exits leave through it.
    RootEpilogue,
    /// The label with this token in the root a bridge belongs to: a bridge's jump goes
    /// there.
    RootLabel(u32),
}

/// What is emitted: a root, entered through its prologue, or a bridge, entered by a jump
/// patched into a guard's stub, sharing its root's frame and leaving through its epilogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmitKind {
    /// A root trace.
    Root,
    /// A further loop of a tree: a root whose exits are numbered tree-wide and whose native
    /// frame is the tree's, so that bridges of other loops can jump to its labels and it
    /// leaves through its own epilogue (the same code as every loop's of the tree).
    Loop {
        /// The tree-wide index of the loop's first exit.
        first_exit: u32,
        /// The tree's native frame.
        frame: NativeFrame,
    },
    /// A bridge.
    Bridge {
        /// The tree-wide index of the bridge's first exit (exits are numbered per tree).
        first_exit: u32,
        /// The root's native frame, which the bridge runs in.
        frame: NativeFrame,
        /// Moves made before anything else: a value the guard passes twice enters once,
        /// and is copied to the slot the allocation gave the second input.
        entry_moves: Vec<Move>,
        /// The token of the label the bridge's jump goes to, if it jumps.
        jump_to: Option<u32>,
    },
    /// An entry into a loop of a tree (PyPy's entry bridge): entered through its prologue
    /// like a root, with its inputs in the frame, in the tree's native frame, its exits
    /// numbered tree-wide; it ends in a `jump` to a label of a loop of the tree.
    Entry {
        /// The tree-wide index of its first exit.
        first_exit: u32,
        /// The tree's native frame.
        frame: NativeFrame,
        /// The token of the label its jump goes to.
        jump_to: u32,
    },
}

/// A reference from the code to an address outside it, kept so the code can be relinked
/// (calls resolved again, code moved to another arena).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reloc {
    /// Offset of the instruction or field that holds the address.
    pub at: u32,
    /// How the address is encoded there, as the backend defines it.
    pub kind: u8,
    /// What the address is.
    pub target: RelocTarget,
}

/// The ISA-independent state of one trace's emission, which [`Isa`] implementations hold
/// and reach through [`Isa::emission`].
pub struct Emission<'a> {
    /// The code.
    pub buf: CodeBuffer,
    /// The trace as allocated.
    pub trace: &'a Trace,
    /// Its allocation.
    pub alloc: &'a Allocation,
    /// The frame layout.
    pub layout: FrameLayout,
    /// The native stack frame the prologue builds.
    pub frame: NativeFrame,
    /// External functions called, each once; [`RelocTarget::Extern`] indexes it.
    pub calls: Vec<String>,
    /// Byte ranges of data inside the instructions (constant-pool islands).
    pub data_ranges: Vec<(u32, u32)>,
    /// Where a constant pool placed after all instructions begins (set by [`Isa::end`] if
    /// it places one there rather than as an island).
    pub pool_start: Option<u32>,
    /// Root or bridge.
    pub kind: EmitKind,
    /// Bytes of stacked call arguments this trace's calls need.
    outgoing_needed: u32,
    relocs: Vec<Reloc>,
    exits: Vec<ExitInfo>,
    states: Vec<ExitState>,
    exit_locs: Vec<Loc>,
    exit_labels: Vec<Label>,
    labels: Vec<LabelState>,
    loop_label: Option<Label>,
    sites: Vec<InvalidationSite>,
    /// No branch target may lie below this offset: the last invalidation site's patch
    /// would overwrite it.
    clear_until: u32,
    budget: Label,
    deferred: Vec<Deferred>,
    gc_failed: Option<Label>,
    bad_callee: Option<Label>,
}

impl<'a> Emission<'a> {
    /// The state for emitting `trace` under `alloc` on a target with this frame contract;
    /// the root's calls stack `outgoing` bytes, and the stack keeps `align`-byte alignment.
    pub fn new(
        trace: &'a Trace,
        alloc: &'a Allocation,
        contract: &FrameContract,
        outgoing: u32,
        align: u32,
        kind: EmitKind,
    ) -> Emission<'a> {
        let mut buf = CodeBuffer::new();
        buf.bytes.reserve(trace.ops.len() * 12 + 256);
        let budget = buf.label();
        // Room for every exit and its values at once (small traces pay for growth too).
        let (mut exits, mut values, mut calls) = (0, 0, 0);
        for op in &trace.ops {
            if op.exit_id().is_some() {
                exits += 1;
                values += op.args.len() + op.fail_args().len();
            } else if op.func().is_some() {
                calls += 1;
            }
        }
        Emission {
            buf,
            trace,
            alloc,
            layout: contract.layout,
            frame: match &kind {
                EmitKind::Root => NativeFrame::for_root(contract, outgoing, align),
                EmitKind::Bridge { frame, .. }
                | EmitKind::Loop { frame, .. }
                | EmitKind::Entry { frame, .. } => frame.clone(),
            },
            kind,
            outgoing_needed: outgoing,
            calls: Vec::new(),
            data_ranges: Vec::new(),
            pool_start: None,
            relocs: Vec::with_capacity(calls),
            exits: Vec::with_capacity(exits),
            states: Vec::with_capacity(exits),
            exit_locs: Vec::with_capacity(values),
            exit_labels: Vec::with_capacity(exits),
            labels: Vec::new(),
            loop_label: None,
            sites: Vec::new(),
            clear_until: 0,
            budget,
            deferred: Vec::new(),
            gc_failed: None,
            bad_callee: None,
        }
    }

    /// Asks for out-of-line code for op `op` that goes back to `resume` (bound by the
    /// caller after its fast path); returns the label the fast path branches to.
    pub fn defer(&mut self, op: usize, resume: Label) -> Label {
        let entry = self.buf.label();
        self.deferred.push(Deferred { op, entry, resume });
        entry
    }

    /// Where an indirect call goes when its callee is no declared function of its
    /// signature: it returns [`BAD_CALLEE_EXIT`].
    pub fn bad_callee(&mut self) -> Label {
        match self.bad_callee {
            Some(l) => l,
            None => {
                let l = self.buf.label();
                self.bad_callee = Some(l);
                l
            }
        }
    }

    /// The functions a trace declares with the signature of function `sig` (the
    /// candidates an indirect call with that signature may call), by name.
    pub fn callees_like(&self, sig: crate::ir::FuncRef) -> Vec<String> {
        let want = &self.trace.funcs[sig];
        let mut out: Vec<String> = self
            .trace
            .funcs
            .values()
            .filter(|d| d.params == want.params && d.ret == want.ret)
            .map(|d| d.name.clone())
            .collect();
        out.dedup();
        out
    }

    /// Where a slow path goes when the collector failed: it returns [`GC_FAILED_EXIT`].
    pub fn gc_failed(&mut self) -> Label {
        match self.gc_failed {
            Some(l) => l,
            None => {
                let l = self.buf.label();
                self.gc_failed = Some(l);
                l
            }
        }
    }

    /// The registers the slow path of GC primitive op `i` saves into their frame words
    /// around its call and reloads after it: those live across it that a call may destroy
    /// (`caller_saved`), and those holding refs (the collector may move their objects and
    /// update the words).
    pub fn slow_path_saves(&self, i: usize, caller_saved: crate::backend::RegSet) -> Vec<Reg> {
        self.alloc
            .live_across(i)
            .iter()
            .filter_map(|&(l, ty)| match l {
                Loc::Reg(r) if caller_saved.contains(r) || ty == crate::ir::Type::Ref => Some(r),
                _ => None,
            })
            .collect()
    }

    /// The GC map of allocation op `i` (`crate::gcrun`'s format): its type id and the
    /// frame words holding the refs live across it.
    pub fn gc_map(&self, i: usize) -> Vec<u8> {
        let crate::ir::Extra::Object(decl) = self.trace.ops[i].extra else {
            unreachable!("verified: gc_alloc names its type")
        };
        let words = crate::gcrun::gc_map_words(self.alloc.live_across(i), &self.layout);
        crate::gcrun::gc_map_blob(crate::objects::type_id(decl as usize), &words)
    }

    /// Records that `len` bytes of data (not instructions) start at `at`.
    pub fn data_range(&mut self, at: u32, len: u32) {
        self.data_ranges.push((at, at + len));
    }

    /// Registers the exit of guard or `finish` op `i` and returns the label of its stub.
    pub fn exit(&mut self, i: usize) -> Label {
        let trace = self.trace;
        let op = &trace.ops[i];
        let finish = op.opcode == Opcode::Finish;
        let locs = if finish {
            self.alloc.args(i)
        } else {
            self.alloc.fail_locs(i)
        };
        let values = locs
            .iter()
            .enumerate()
            .map(|(k, &l)| {
                let ty = if finish {
                    trace.operand_type(op.args[k])
                } else {
                    trace.ty(op.fail_args()[k])
                };
                (ty, self.layout.exit_loc(l))
            })
            .collect();
        self.exits.push(ExitInfo {
            id: op.exit_id().expect("verified: an exit op"),
            op: i,
            finish,
            values,
        });
        let start = self.exit_locs.len() as u32;
        self.exit_locs.extend_from_slice(locs);
        self.states.push(ExitState {
            op: i,
            locs: start..self.exit_locs.len() as u32,
            slot_high_water: if finish {
                self.alloc.slots
            } else {
                self.alloc.guard_slots(i)
            },
            stub: 0,
        });
        let l = self.buf.label();
        self.exit_labels.push(l);
        l
    }

    /// The index of external function `name` in [`Emission::calls`], added if new.
    pub fn call_target(&mut self, name: &str) -> u32 {
        match self.calls.iter().position(|c| c == name) {
            Some(k) => k as u32,
            None => {
                self.calls.push(name.to_string());
                self.calls.len() as u32 - 1
            }
        }
    }

    /// Records that the field at `at` holds the address of `target`, encoded as `kind`.
    pub fn reloc(&mut self, at: u32, kind: u8, target: RelocTarget) {
        self.relocs.push(Reloc { at, kind, target });
    }

    /// The frame word of slot `s`.
    pub fn slot_word(&self, s: u32) -> u32 {
        self.layout.slot_word(s)
    }
}

/// What an instruction set provides to [`emit`].
pub trait Isa<'a> {
    /// The shared state.
    fn emission(&mut self) -> &mut Emission<'a>;

    /// Saves [`NativeFrame::saved`] (and what the ISA itself needs kept: its frame register,
    /// its return address), reserves the outgoing area, and points the frame register at
    /// the frame, whose address the entry's first argument holds.
    fn prologue(&mut self) -> Result<(), CompileError>;

    /// One move the allocator asked for (it leaves the flags alone).
    fn emit_move(&mut self, m: &Move);

    /// The lowering of op `i`; `label`, `jump`, `finish` and `guard_not_invalidated` are
    /// the driver's.
    fn op(&mut self, i: usize) -> Result<(), CompileError>;

    /// Bytes a patched jump ([`crate::backend::Backend::jump_patch`]) overwrites.
    const JUMP_PATCH_BYTES: u32;

    /// The shortest no-op instruction (padding that keeps branch targets clear of a
    /// `guard_not_invalidated` site's patch).
    fn nop(&mut self);

    /// Called after every move, op and stub: a place where the ISA may put data the code
    /// jumps over (ARM's constant-pool islands).
    fn checkpoint(&mut self) {}

    /// An unconditional branch to `l`.
    fn jump(&mut self, l: Label);

    /// An unconditional branch to an address outside the code, written by a relocation
    /// ([`Emission::reloc`]) when the code is loaded.
    fn jump_far(&mut self, target: RelocTarget);

    /// The back edge: one jump fewer left in the budget word; to `header` while jumps were
    /// left, else to `out_of_budget`.
    fn loop_back(&mut self, header: Label, out_of_budget: Label);

    /// A bridge's jump to its root's loop: as [`Isa::loop_back`], but to an address outside
    /// the code (a [`RelocTarget::RootLabel`] relocation).
    fn loop_back_far(&mut self, target: RelocTarget, out_of_budget: Label);

    /// Puts exit index `k` in the register the common exit returns.
    fn set_exit_index(&mut self, k: u32);

    /// Stores register `r` at frame word `word` (in the common exit; the flags are dead).
    fn save_register(&mut self, r: Reg, word: u32);

    /// Returns the exit index to the caller, undoing the prologue.
    fn epilogue(&mut self);

    /// The out-of-line code [`Emission::defer`] asked for.
    fn slow_path(&mut self, d: Deferred) -> Result<(), CompileError> {
        let op = isa_op(self.emission(), d.op);
        Err(CompileError::Unsupported {
            op: d.op,
            opcode: op,
            reason: "this ISA has no slow paths".into(),
        })
    }

    /// After the epilogue: the last constants.
    fn end(&mut self) {}

    /// Writes fixup `kind` at `at` to refer to code offset `target`.
    fn patch(kind: u8, code: &mut [u8], at: u32, target: u32) -> Result<(), FixupError>
    where
        Self: Sized;
}

fn isa_op(e: &Emission<'_>, i: usize) -> Opcode {
    e.trace.ops[i].opcode
}

/// Pads with no-ops up to the end of the last invalidation site's patch, so the code
/// placed next (a branch target) survives the patch.
fn pad_past_site<'a, I: Isa<'a>>(isa: &mut I) {
    while isa.emission().buf.offset() < isa.emission().clear_until {
        isa.nop();
    }
}

/// Emits the allocated trace through `isa` and assembles the compiled trace for `triple`.
pub fn emit<'a, I: Isa<'a>>(isa: &mut I, triple: Triple) -> Result<CompiledTrace, CompileError> {
    let (trace, alloc, first_exit) = {
        let e = isa.emission();
        let first_exit = match e.kind {
            EmitKind::Root => 0,
            EmitKind::Bridge { first_exit, .. }
            | EmitKind::Loop { first_exit, .. }
            | EmitKind::Entry { first_exit, .. } => first_exit,
        };
        (e.trace, e.alloc, first_exit)
    };
    let bridge = matches!(isa.emission().kind, EmitKind::Bridge { .. });
    {
        let e = isa.emission();
        if e.outgoing_needed > e.frame.outgoing_bytes {
            return Err(CompileError::BridgeMismatch(format!(
                "its calls stack {} bytes of arguments, the tree's frame reserves {}",
                e.outgoing_needed, e.frame.outgoing_bytes
            )));
        }
    }
    if bridge {
        if let Some(l) = trace.label_index() {
            return Err(CompileError::Unsupported {
                op: l,
                opcode: Opcode::Label,
                reason: "a bridge has no label of its own: it jumps to its root's loop".into(),
            });
        }
        let moves = match &mut isa.emission().kind {
            EmitKind::Bridge { entry_moves, .. } => std::mem::take(entry_moves),
            _ => Vec::new(),
        };
        for m in &moves {
            isa.emit_move(m);
        }
    } else {
        isa.prologue()?;
    }
    let mut op_offsets = Vec::with_capacity(trace.ops.len() + 1);
    for (i, op) in trace.ops.iter().enumerate() {
        op_offsets.push(isa.emission().buf.offset());
        for m in alloc.edits(i) {
            isa.emit_move(m);
            // A jump's parallel move can be long: pending literals must not fall behind.
            isa.checkpoint();
        }
        match op.opcode {
            Opcode::Label => {
                pad_past_site(isa);
                let e = isa.emission();
                let l = e.buf.label();
                e.buf.bind(l);
                let header = trace.label_index() == Some(i);
                if header {
                    e.loop_label = Some(l);
                }
                let offset = e.buf.offset();
                e.labels.push(LabelState {
                    op: i,
                    locs: alloc.args(i).to_vec(),
                    offset,
                    token: trace.label_token(i),
                    header,
                    types: Vec::new(),
                    hoisted: Vec::new(),
                });
            }
            Opcode::Jump => {
                let e = isa.emission();
                let budget = e.budget;
                let to = match e.kind {
                    EmitKind::Bridge { jump_to, .. } => jump_to,
                    EmitKind::Entry { jump_to, .. } => Some(jump_to),
                    EmitKind::Root | EmitKind::Loop { .. } => None,
                };
                match (e.loop_label, to) {
                    (Some(header), _) => isa.loop_back(header, budget),
                    // A bridge's jump to its root's label (the driver resolved its token).
                    (None, Some(token)) => isa.loop_back_far(RelocTarget::RootLabel(token), budget),
                    (None, None) => {
                        return Err(CompileError::Unsupported {
                            op: i,
                            opcode: Opcode::Jump,
                            reason: "a jump with no label to go to".into(),
                        })
                    }
                }
            }
            Opcode::Finish => {
                let l = isa.emission().exit(i);
                isa.jump(l);
            }
            Opcode::GuardNotInvalidated => {
                // No code: invalidation patches a jump to the stub over what follows.
                pad_past_site(isa);
                let e = isa.emission();
                let at = e.buf.offset();
                e.exit(i);
                e.sites.push(InvalidationSite {
                    exit: e.exit_labels.len() as u32 - 1,
                    at,
                    room: I::JUMP_PATCH_BYTES,
                    patch: Vec::new(),
                });
                e.clear_until = at + I::JUMP_PATCH_BYTES;
            }
            _ => isa.op(i)?,
        }
        isa.checkpoint();
    }
    // The stubs are branch targets too.
    pad_past_site(isa);
    op_offsets.push(isa.emission().buf.offset());
    // Slow paths, out of line.
    for d in std::mem::take(&mut isa.emission().deferred) {
        isa.emission().buf.bind(d.entry);
        isa.slow_path(d)?;
        isa.checkpoint();
    }
    // Exit stubs: the exit index, then the common exit.
    let common = isa.emission().buf.label();
    let labels = std::mem::take(&mut isa.emission().exit_labels);
    // The branches to each stub: the guards' own, which a bridge patches.
    let exit_branches = {
        let e = isa.emission();
        let mut exit_of =
            vec![u32::MAX; labels.iter().map(|l| l.0 as usize + 1).max().unwrap_or(0)];
        for (k, l) in labels.iter().enumerate() {
            exit_of[l.0 as usize] = k as u32;
        }
        e.buf
            .fixups()
            .iter()
            .filter_map(|f| {
                let exit = *exit_of.get(f.label.0 as usize)?;
                (exit != u32::MAX).then_some(ExitBranch {
                    exit,
                    at: f.at,
                    kind: f.kind,
                })
            })
            .collect::<Vec<_>>()
    };
    for (k, l) in labels.into_iter().enumerate() {
        let e = isa.emission();
        e.buf.bind(l);
        e.states[k].stub = e.buf.offset();
        isa.set_exit_index(first_exit + k as u32);
        isa.jump(common);
        isa.checkpoint();
    }
    let e = isa.emission();
    let budget_exit = first_exit + e.exits.len() as u32;
    let budget = e.budget;
    let jump = trace.ops.last().filter(|o| o.opcode == Opcode::Jump);
    // Out of budget, the jump's values are in its label's layout: the exit reads them there.
    let budget_values: Vec<_> = jump.map_or(Vec::new(), |j| {
        j.args
            .iter()
            .zip(&alloc.label_locs)
            .map(|(&a, &l)| (trace.operand_type(a), e.layout.exit_loc(l)))
            .collect()
    });
    let jump_token = match (&e.kind, jump) {
        (_, None) => None,
        (EmitKind::Bridge { jump_to, .. }, _) => *jump_to,
        (EmitKind::Entry { jump_to, .. }, _) => Some(*jump_to),
        _ => trace.label_index().map(|l| trace.label_token(l)),
    };
    if let Some(l) = e.gc_failed {
        e.buf.bind(l);
        isa.set_exit_index(GC_FAILED_EXIT);
        isa.jump(common);
    }
    let e = isa.emission();
    if let Some(l) = e.bad_callee {
        e.buf.bind(l);
        isa.set_exit_index(BAD_CALLEE_EXIT);
        isa.jump(common);
    }
    let e = isa.emission();
    if jump.is_some() {
        e.buf.bind(budget);
        isa.set_exit_index(budget_exit);
    }
    let e = isa.emission();
    e.buf.bind(common);
    let common_exit = e.buf.offset();
    // Only registers some exit reads are saved: the runtime reads nothing else.
    let layout = e.layout;
    for w in save_words_read_with(
        &e.exits,
        &budget_values,
        layout.int_words + layout.float_words,
    ) {
        let r = layout.saved_register(w).expect("a save word");
        isa.save_register(r, w);
    }
    let epilogue = isa.emission().buf.offset();
    if bridge {
        isa.jump_far(RelocTarget::RootEpilogue);
    } else {
        isa.epilogue();
    }
    isa.end();
    let e = isa.emission();
    let text_len = e.pool_start.unwrap_or(e.buf.offset());
    let buf = std::mem::take(&mut e.buf);
    let code = buf.finish(I::patch).map_err(|err| match err {
        FixupError::OutOfRange { .. } => CompileError::CodeTooLarge {
            bytes: text_len as usize,
        },
        FixupError::LiteralOutOfRange { at, target } => {
            CompileError::LiteralOutOfReach { at, target }
        }
        FixupError::Unbound(_) | FixupError::AddressTooWide { .. } => {
            CompileError::Allocation(err.to_string())
        }
    })?;
    Ok(CompiledTrace {
        triple,
        code,
        op_offsets,
        exits: std::mem::take(&mut e.exits),
        frame_words: layout.slot_base + alloc.slots,
        inputs: alloc.entry.iter().map(|&l| layout.exit_loc(l)).collect(),
        budget_word: trace.label_index().map(|_| layout.budget),
        budget_exit,
        budget_values,
        jump_token,
        first_jump_steps: 0,
        iteration_steps: 0,
        invalidation: std::mem::take(&mut e.sites),
        calls: std::mem::take(&mut e.calls),
        text_len,
        data_ranges: std::mem::take(&mut e.data_ranges),
        layout,
        frame: e.frame.clone(),
        exit_states: std::mem::take(&mut e.states),
        exit_locs: std::mem::take(&mut e.exit_locs),
        labels: std::mem::take(&mut e.labels),
        relocs: std::mem::take(&mut e.relocs),
        common_exit,
        epilogue,
        first_exit,
        exit_branches,
        objects: trace.objects.clone(),
        exit_nan_arith: Vec::new(),
    })
}
