//! The shared compilation driver: verify, legalize, constrain, allocate, check, emit.

use crate::backend::Loc;
use crate::backend::{Backend, CompileError, CompiledTrace, OpConstraints};
use crate::emit::EmitKind;
use crate::externs::Externs;
use crate::ir::{Opcode, Trace};
use crate::legalize::SplitMode;
use crate::liveness::Liveness;
use crate::regalloc::{allocate, Allocation, Entry, Move};
use crate::verify::verify;

/// How to compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompileOptions {
    /// Run the allocation checker on the result (tests do; it costs about as much as the
    /// allocation itself).
    pub check_allocation: bool,
}

impl Default for CompileOptions {
    fn default() -> CompileOptions {
        CompileOptions {
            check_allocation: cfg!(debug_assertions),
        }
    }
}

/// Everything the pipeline decided for one trace, kept for inspection and tests.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The code and runtime metadata.
    pub code: CompiledTrace,
    /// The constraints the backend gave, per op.
    pub constraints: Vec<OpConstraints>,
    /// The register allocation.
    pub allocation: Allocation,
    /// The trace as legalized for the target, when legalization changed it (the code's
    /// op offsets refer to its ops).
    pub legalized: Option<Trace>,
}

impl Compiled {
    /// The trace the code was made from: the legalized one, or `original`.
    pub fn trace<'a>(&'a self, original: &'a Trace) -> &'a Trace {
        self.legalized.as_ref().unwrap_or(original)
    }
}

/// Compiles `trace` for `backend` as a root: entered through its prologue with its inputs
/// in frame slots `0..n`. Calls resolve against `externs`.
pub fn compile(
    backend: &dyn Backend,
    trace: &Trace,
    externs: &Externs,
    options: CompileOptions,
) -> Result<Compiled, CompileError> {
    compile_kind(backend, trace, externs, options, Part::Root)
}

/// Where a bridge grows from: exit `exit` (a guard) of `parent`, a compiled root or bridge of
/// the same tree; the bridge's exits are numbered from `first_exit` (tree-wide).
#[derive(Clone, Copy, Debug)]
pub struct BridgeFrom<'a> {
    /// The compiled trace the guard is in.
    pub parent: &'a CompiledTrace,
    /// The guard's exit index in `parent.exits`.
    pub exit: usize,
    /// The tree-wide index the bridge's first exit gets.
    pub first_exit: u32,
    /// The loop the bridge grows from (the root of its chain of guards), whose loop
    /// header a `jump` without a token goes to.
    pub root: &'a CompiledTrace,
    /// Every part of the tree: a `jump` with a token goes to the label of any loop among
    /// them that has it (tokens are unique in a tree).
    pub tree: &'a [CompiledTrace],
}

/// Where a further loop of a tree goes: its exits are numbered from `first_exit`
/// (tree-wide) and it runs in the tree's native frame, so bridges of any loop of the tree
/// can jump to its labels.
#[derive(Clone, Copy, Debug)]
pub struct LoopIn<'a> {
    /// The tree-wide index the loop's first exit gets.
    pub first_exit: u32,
    /// The tree's native frame (its first loop's).
    pub frame: &'a crate::frame::NativeFrame,
}

/// Compiles `bridge` to continue where guard `from.exit` of `from.parent` fails: its inputs
/// are the guard's fail args (same number and types), taken where the guard's allocation
/// left them (registers and spill slots inherited, nothing stored and reloaded); it runs in
/// the root's frame and leaves through the root's epilogue. Attach it by loading it and
/// patching the guard's stub with [`Backend::jump_patch`] (see `runtime::NativeTree`).
pub fn compile_bridge(
    backend: &dyn Backend,
    bridge: &Trace,
    externs: &Externs,
    options: CompileOptions,
    from: BridgeFrom<'_>,
) -> Result<Compiled, CompileError> {
    compile_kind(backend, bridge, externs, options, Part::Bridge(from))
}

/// What a compilation makes of a trace.
#[derive(Clone, Copy, Debug)]
enum Part<'a> {
    /// A root (`compile`).
    Root,
    /// A further loop of a tree (`compile_loop`).
    Loop(LoopIn<'a>),
    /// A bridge (`compile_bridge`).
    Bridge(BridgeFrom<'a>),
    /// An entry (`compile_entry`): a root that jumps out as a bridge does.
    Entry(EntryIn<'a>),
}

/// Compiles `trace`, a loop (a root with a label), as a further loop of a tree: entered
/// through its prologue like a root, or by a bridge's jump to one of its labels; see
/// [`LoopIn`].
pub fn compile_loop(
    backend: &dyn Backend,
    trace: &Trace,
    externs: &Externs,
    options: CompileOptions,
    into: LoopIn<'_>,
) -> Result<Compiled, CompileError> {
    if trace.label_index().is_none() {
        return Err(CompileError::BridgeMismatch(
            "a further loop of a tree needs a label".into(),
        ));
    }
    compile_kind(backend, trace, externs, options, Part::Loop(into))
}

/// Where an entry into a loop of a tree goes: its exits are numbered from `first_exit`
/// (tree-wide), it runs in the tree's native frame, and its `jump` goes to the label its
/// token names among the loops of `tree`.
#[derive(Clone, Copy, Debug)]
pub struct EntryIn<'a> {
    /// The tree-wide index the entry's first exit gets.
    pub first_exit: u32,
    /// Every part of the tree (the root first, whose native frame the entry runs in).
    pub tree: &'a [CompiledTrace],
}

/// Compiles `trace`, which has no label and ends in a `jump` naming a token, as an entry
/// into the loop of a tree with that label (PyPy's entry bridge): entered through its
/// prologue with its inputs in the frame like a root, it jumps to the label as a bridge
/// does (its values moved into the label's layout, one jump counted). A run stopped by its
/// budget at a jump goes on through such an entry.
pub fn compile_entry(
    backend: &dyn Backend,
    trace: &Trace,
    externs: &Externs,
    options: CompileOptions,
    into: EntryIn<'_>,
) -> Result<Compiled, CompileError> {
    if into.tree.is_empty() {
        return Err(CompileError::BridgeMismatch("the tree has no root".into()));
    }
    if trace.label_index().is_some() || trace.jump_token().is_none() {
        return Err(CompileError::BridgeMismatch(
            "an entry has no label and ends in a jump naming a label's token".into(),
        ));
    }
    compile_kind(backend, trace, externs, options, Part::Entry(into))
}

fn compile_kind(
    backend: &dyn Backend,
    trace: &Trace,
    externs: &Externs,
    options: CompileOptions,
    part: Part<'_>,
) -> Result<Compiled, CompileError> {
    let from = match part {
        Part::Bridge(f) => Some(f),
        _ => None,
    };
    // Where a jump out of the trace (a bridge's or an entry's) finds its label: the loop
    // it belongs to (for a jump without a token) and the whole tree.
    let jump_scope: Option<(&CompiledTrace, &[CompiledTrace])> = match part {
        Part::Bridge(f) => Some((f.root, f.tree)),
        Part::Entry(e) => e.tree.first().map(|r| (r, e.tree)),
        Part::Root | Part::Loop(_) => None,
    };
    verify(trace).map_err(CompileError::Invalid)?;
    if let Err(mut errors) = externs.check_decls(trace) {
        return Err(CompileError::Extern(errors.swap_remove(0).1));
    }
    if let Some(from) = from {
        check_bridge_inputs(trace, &from)?;
    }
    let jumps_out =
        trace.label_index().is_none() && trace.ops.last().is_some_and(|o| o.opcode == Opcode::Jump);
    // A bridge's jump goes to its root's loop, with the constants hoisted out of that loop
    // passed as the label's extra values.
    let target = match (jumps_out, jump_scope) {
        (false, _) => None,
        (true, None) => {
            return Err(CompileError::Unsupported {
                op: trace.ops.len() - 1,
                opcode: Opcode::Jump,
                reason: "a root's jump needs a label of its own (a jump out of a trace is a \
                         bridge's, to its root's loop)"
                    .into(),
            })
        }
        (true, Some((root, tree))) => Some(loop_target(trace, root, tree)?),
    };
    let extended: std::borrow::Cow<'_, Trace> = match target {
        Some(t) if !t.hoisted.is_empty() => {
            let mut ext = trace.clone();
            if let Some(jump) = ext.ops.last_mut() {
                jump.args
                    .extend(t.hoisted.iter().map(|&c| crate::ir::Operand::Const(c)));
            }
            std::borrow::Cow::Owned(ext)
        }
        _ => std::borrow::Cow::Borrowed(trace),
    };
    let original = trace;
    let caps = backend.capabilities();
    // Object operations become nursery bumps, barriers, loads and stores at the target's
    // layout, before legalization splits and soft-floats what they load and store.
    // Refs are the ISA's pointers, whatever width its values are split to.
    let pointer_bits = match backend.triple().pointer_width() {
        Ok(w) => w.bits() as u32,
        Err(()) => caps.word_bits,
    };
    let extended = match crate::gcrewrite::rewrite(
        &extended,
        crate::objects::TargetLayout::for_word_bits(pointer_bits),
    )
    .0
    {
        std::borrow::Cow::Owned(t) => std::borrow::Cow::Owned(t),
        std::borrow::Cow::Borrowed(_) => extended,
    };
    let trace: &Trace = &extended;
    let float_regs = !backend.registers().float.is_empty();
    let passes = crate::legalize::Passes::for_target(caps);
    // A bridge's inputs may hold NaNs its parent's arithmetic made (the parent says which).
    let arith_inputs: crate::legalize::NanFlags = from
        .and_then(|f| f.parent.exit_nan_arith.get(f.exit).cloned())
        .unwrap_or_default();
    let (legal, nan_arith) = crate::legalize::legalize_with(trace, passes, &arith_inputs);
    let legal =
        match crate::hoist::hoist_constants(&legal, |c, op, k| backend.hoist_constant(c, op, k)) {
            std::borrow::Cow::Owned(t) => std::borrow::Cow::Owned(t),
            std::borrow::Cow::Borrowed(_) => legal,
        };
    // Its label's extra values are the hoisted constants (read after emission).
    let hoisted_trace = match legal.label_index() {
        Some(l)
            if original
                .label_index()
                .is_some_and(|o| original.ops[o].args.len() < legal.ops[l].args.len()) =>
        {
            Some(legal.clone().into_owned())
        }
        _ => None,
    };
    let mode = SplitMode {
        i64: caps.word_bits < 64,
        f64: !float_regs,
    };
    let legal = match crate::legalize::split(&legal, mode) {
        std::borrow::Cow::Owned(t) => std::borrow::Cow::Owned(t),
        std::borrow::Cow::Borrowed(_) => legal,
    };
    let trace: &Trace = &legal;
    check_supported(trace, caps, float_regs)?;
    if let Some(t) = target {
        let passed = trace.ops.last().map_or(0, |o| o.args.len());
        if passed != t.locs.len() {
            return Err(CompileError::BridgeMismatch(format!(
                "its jump passes {passed} values as compiled, the root's loop takes {}",
                t.locs.len()
            )));
        }
    }
    let live = Liveness::compute(trace);
    let mut constraints: Vec<OpConstraints> = (0..trace.ops.len())
        .map(|_| OpConstraints::default())
        .collect();
    for (i, c) in constraints.iter_mut().enumerate() {
        if !matches!(trace.ops[i].opcode, Opcode::Label | Opcode::Jump) {
            backend.constraints(trace, &live, i, c)?;
        }
    }
    let (entry, kind) = match part {
        Part::Entry(into) => {
            let (Some(t), Some((root, _))) = (target, jump_scope) else {
                return Err(CompileError::BridgeMismatch("an entry must jump".into()));
            };
            let mut e = Entry::slots(trace.inputs.len());
            e.loop_locs = t.locs.clone();
            let kind = EmitKind::Entry {
                first_exit: into.first_exit,
                frame: root.frame.clone(),
                jump_to: t.token,
            };
            (e, kind)
        }
        Part::Root => (Entry::slots(trace.inputs.len()), EmitKind::Root),
        Part::Loop(into) => (
            Entry::slots(trace.inputs.len()),
            EmitKind::Loop {
                first_exit: into.first_exit,
                frame: into.frame.clone(),
            },
        ),
        Part::Bridge(from) => {
            let state = &from.parent.exit_states[from.exit];
            let locs = from.parent.exit_state_locs(from.exit).to_vec();
            if locs.len() != trace.inputs.len() {
                return Err(CompileError::BridgeMismatch(format!(
                    "the guard leaves {} values, the bridge takes {} (as compiled)",
                    locs.len(),
                    trace.inputs.len()
                )));
            }
            // A value the guard passes twice is one location: the later input enters in a
            // fresh slot the bridge's first moves copy it to.
            let mut locs = locs;
            let mut entry_moves = Vec::new();
            let mut fresh = locs
                .iter()
                .filter_map(|l| match l {
                    Loc::Slot(s) => Some(s + 1),
                    _ => None,
                })
                .max()
                .unwrap_or(0)
                .max(state.slot_high_water);
            for k in 1..locs.len() {
                if locs[..k].contains(&locs[k]) {
                    let class = crate::backend::class_of(trace.ty(trace.inputs[k]));
                    entry_moves.push(Move {
                        from: locs[k],
                        to: Loc::Slot(fresh),
                        class,
                    });
                    locs[k] = Loc::Slot(fresh);
                    fresh += 1;
                }
            }
            let entry = Entry {
                locs,
                reserved_slots: state.slot_high_water,
                loop_locs: target.map_or(Vec::new(), |t| t.locs.clone()),
            };
            let kind = EmitKind::Bridge {
                first_exit: from.first_exit,
                frame: from.parent.frame.clone(),
                entry_moves,
                jump_to: target.map(|t| t.token),
            };
            (entry, kind)
        }
    };
    let allocation = allocate(trace, &live, &constraints, backend.registers(), entry)
        .map_err(|e| CompileError::Allocation(e.to_string()))?;
    if options.check_allocation {
        crate::regcheck::check(trace, &constraints, &allocation)
            .map_err(CompileError::Allocation)?;
    }
    if allocation.slots > backend.max_frame_slots() {
        return Err(CompileError::FrameTooLarge {
            slots: allocation.slots,
            limit: backend.max_frame_slots(),
        });
    }
    let mut code = backend.emit(trace, &live, &allocation, externs, kind)?;
    // Each invalidation site's patch: a jump to its exit's stub (position independent).
    for site in &mut code.invalidation {
        let stub = code.exit_states[site.exit as usize].stub;
        site.patch = backend
            .jump_patch(site.at as u64, stub as u64)
            .map_err(|e| CompileError::Allocation(e.to_string()))?;
        if site.patch.len() > site.room as usize {
            return Err(CompileError::CodeTooLarge {
                bytes: code.code.len(),
            });
        }
    }
    if let Some(l) = original.label_index() {
        code.iteration_steps = (original.ops.len() - l - 1) as u64;
        code.first_jump_steps = original.ops.len() as u64;
        // What a bridge's jump to this loop passes: the original label's values, then the
        // constants hoisted out of the loop (extra label values made by `same_as`).
        let arity = original.ops[l].args.len();
        // Passes add and remove no label: the k-th compiled label is the k-th original one.
        let originals = original
            .ops
            .iter()
            .enumerate()
            .filter(|(_, o)| o.opcode == Opcode::Label)
            .map(|(i, _)| i);
        for (state, i) in code.labels.iter_mut().zip(originals) {
            state.types = original.ops[i]
                .args
                .iter()
                .map(|&a| original.operand_type(a))
                .collect();
            if state.header {
                state.hoisted = hoisted_constants(&hoisted_trace, arity);
            }
        }
    }
    if matches!(legal, std::borrow::Cow::Owned(_)) || original.ops.len() != extended.ops.len() {
        rejoin(&mut code, original, mode);
    }
    // The budget exit's values as the original jump has them (hoisted constants dropped).
    if let Some(jump) = original.ops.last().filter(|o| o.opcode == Opcode::Jump) {
        let types: Vec<crate::ir::Type> = jump
            .args
            .iter()
            .map(|&a| original.operand_type(a))
            .collect();
        let locs: Vec<_> = code.budget_values.iter().map(|&(_, l)| l).collect();
        code.budget_values = types
            .iter()
            .copied()
            .zip(group(&types, &locs, mode))
            .collect();
    }
    // Exits and the plan's guards are both in op order: one pass matches them.
    let mut guards = nan_arith.into_iter().peekable();
    code.exit_nan_arith = code
        .exits
        .iter()
        .map(|x| match guards.peek() {
            Some((id, _)) if *id == x.id => guards.next().map(|(_, f)| f).unwrap_or_default(),
            _ => Default::default(),
        })
        .collect();
    let legalized = match legal {
        std::borrow::Cow::Owned(t) => Some(t),
        std::borrow::Cow::Borrowed(_) => match extended {
            std::borrow::Cow::Owned(t) => Some(t),
            std::borrow::Cow::Borrowed(_) => None,
        },
    };
    Ok(Compiled {
        code,
        constraints,
        allocation,
        legalized,
    })
}

/// The loop a bridge's jump goes to: the label its token names in any loop of the tree, else
/// its own loop's (`root`'s) header; the label must take the jump's types.
fn loop_target<'a>(
    bridge: &Trace,
    root: &'a CompiledTrace,
    tree: &'a [CompiledTrace],
) -> Result<&'a crate::emit::LabelState, CompileError> {
    let label = match bridge.jump_token() {
        Some(t) => std::iter::once(root)
            .chain(tree)
            .find_map(|p| p.label_with_token(t))
            .ok_or_else(|| {
                CompileError::BridgeMismatch(format!(
                    "it jumps to Target{t}, but no loop of the tree has a label with that token"
                ))
            })?,
        None => root.loop_header().ok_or_else(|| {
            CompileError::BridgeMismatch(
                "it jumps to its root's loop, but the root has no label".into(),
            )
        })?,
    };
    let got: Vec<_> = bridge.ops.last().map_or(Vec::new(), |j| {
        j.args.iter().map(|&a| bridge.operand_type(a)).collect()
    });
    if got != label.types {
        return Err(CompileError::BridgeMismatch(format!(
            "its jump passes {got:?}, the root's loop takes {:?}",
            label.types
        )));
    }
    Ok(label)
}

/// The constants a root's hoisting carries as extra label values (after the first `arity`),
/// each made by `same_as` of a constant before the label.
fn hoisted_constants(hoisted: &Option<Trace>, arity: usize) -> Vec<crate::ir::Scalar> {
    use crate::ir::{Operand, ValueDef};
    let Some(t) = hoisted else {
        return Vec::new();
    };
    let Some(l) = t.label_index() else {
        return Vec::new();
    };
    t.ops[l].args[arity.min(t.ops[l].args.len())..]
        .iter()
        .filter_map(|a| {
            let v = a.value()?;
            match t.values[v].def {
                ValueDef::Op(i) => match t.ops[i as usize].args.first() {
                    Some(&Operand::Const(c)) if t.ops[i as usize].opcode == Opcode::SameAs => {
                        Some(c)
                    }
                    _ => None,
                },
                ValueDef::Input(_) => None,
            }
        })
        .collect()
}

/// A bridge takes its guard's fail args: the same number, of the same types.
fn check_bridge_inputs(bridge: &Trace, from: &BridgeFrom<'_>) -> Result<(), CompileError> {
    let Some(exit) = from.parent.exits.get(from.exit) else {
        return Err(CompileError::BridgeMismatch(format!(
            "the parent has no exit {}",
            from.exit
        )));
    };
    if exit.finish {
        return Err(CompileError::BridgeMismatch(format!(
            "exit {} is a finish, not a guard",
            from.exit
        )));
    }
    let want: Vec<_> = exit.values.iter().map(|&(t, _)| t).collect();
    let got: Vec<_> = bridge.inputs.iter().map(|&v| bridge.ty(v)).collect();
    if want != got {
        return Err(CompileError::BridgeMismatch(format!(
            "the guard's fail args are {want:?}, the bridge's inputs {got:?}"
        )));
    }
    Ok(())
}

/// Refuses values a target cannot hold, should legalization have left any: i64 on a 32-bit
/// target, f64 on one without float registers. (The split pass removes both; this keeps a
/// legalization bug from reaching a backend as a panic.)
fn check_supported(
    trace: &Trace,
    caps: crate::backend::Capabilities,
    float_regs: bool,
) -> Result<(), CompileError> {
    use crate::ir::{Operand, Type};
    for (i, op) in trace.ops.iter().enumerate() {
        let types = op
            .args
            .iter()
            .map(|&a| trace.operand_type(a))
            .chain(op.result.map(|r| trace.ty(r)))
            .chain(op.args.iter().filter_map(|a| match a {
                Operand::Const(c) => Some(c.ty()),
                Operand::Value(_) => None,
            }));
        for ty in types {
            let reason = match ty {
                Type::I64 if caps.word_bits < 64 => {
                    "an i64 value is left on a 32-bit target after legalization"
                }
                Type::F64 if !float_regs => {
                    "an f64 value is left on a target without float registers after legalization"
                }
                _ => continue,
            };
            return Err(CompileError::Unsupported {
                op: i,
                opcode: op.opcode,
                reason: reason.into(),
            });
        }
    }
    Ok(())
}

/// Describes `code`, compiled from a legalized trace, in terms of the `original` trace: split
/// inputs and exit values become pairs of frame words again, and exits name the original
/// ops. (Soft-float and division legalization keep inputs and exits as they are.)
fn rejoin(code: &mut CompiledTrace, original: &Trace, mode: SplitMode) {
    use crate::backend::ExitLoc;
    use crate::ir::{Opcode, Type};
    let input_types: Vec<Type> = original.inputs.iter().map(|&v| original.ty(v)).collect();
    code.inputs = group(&input_types, &code.inputs, mode);
    // Each exit's op, looked up once (a scan per exit made long traces quadratic).
    let by_exit: std::collections::HashMap<crate::ir::ExitId, usize> = original
        .ops
        .iter()
        .enumerate()
        .filter_map(|(i, o)| o.exit_id().map(|id| (id, i)))
        .collect();
    for exit in &mut code.exits {
        let Some(&index) = by_exit.get(&exit.id) else {
            continue;
        };
        let op = &original.ops[index];
        let types: Vec<Type> = if op.opcode == Opcode::Finish {
            op.args.iter().map(|&a| original.operand_type(a)).collect()
        } else {
            op.fail_args().iter().map(|&v| original.ty(v)).collect()
        };
        let locs: Vec<ExitLoc> = exit.values.iter().map(|&(_, l)| l).collect();
        exit.values = types
            .iter()
            .copied()
            .zip(group(&types, &locs, mode))
            .collect();
        exit.op = index;
    }
}

/// The locations of values of `types` from `locs` in the compiled trace's terms: a value
/// the split made two is a pair. Locations past `types` are dropped.
fn group(
    types: &[crate::ir::Type],
    locs: &[crate::backend::ExitLoc],
    mode: SplitMode,
) -> Vec<crate::backend::ExitLoc> {
    use crate::backend::ExitLoc;
    let mut out = Vec::with_capacity(types.len());
    let mut at = 0;
    for &t in types {
        if mode.splits(t) {
            out.push(match (locs.get(at), locs.get(at + 1)) {
                (Some(&ExitLoc::Frame(lo)), Some(&ExitLoc::Frame(hi))) => ExitLoc::Pair(lo, hi),
                (Some(&ExitLoc::Const(lo)), Some(&ExitLoc::Const(hi))) => {
                    let joined = crate::legalize::join_scalars(&[t], &[lo, hi], mode);
                    ExitLoc::Const(joined.map_or(lo, |j| j[0]))
                }
                (Some(&l), _) => l,
                (None, _) => ExitLoc::Const(crate::ir::Scalar::zero(t)),
            });
            at += 2;
        } else {
            out.push(
                locs.get(at)
                    .copied()
                    .unwrap_or(ExitLoc::Const(crate::ir::Scalar::zero(t))),
            );
            at += 1;
        }
    }
    out
}
