//! Trees for tests: a bridge for any guard, and the interpreter's run of a tree (the root,
//! then the bridge of each failing guard that has one, on the same memory) to compare
//! targets with.

use std::collections::HashMap;

use jit_core::backend::{Backend, CompileError, CompiledTrace};
use jit_core::compile::{compile, compile_bridge, compile_entry, compile_loop, CompileOptions};
use jit_core::interp::{
    run, run_part, Checked, ExitKind, InterpError, Outcome, RunOptions, Start, TreeState,
};
use jit_core::ir::{ExitId, Scalar, Type};
use jit_core::runtime::RunError;
use jit_core::text::{default_args, parse_args, parse_verified, resolve_args};
use jit_core::tree::{Exits, NativeTree, Stop};
use jit_core::{Externs, Memory, Trace};

/// A bridge taking values of `types` (a guard's fail args): it changes each integer and
/// float a little (by amounts `salt` picks), leaves through a guard on a bit of the first
/// i32 if there is one (failing about half the time, so bridges chain), and finishes with
/// every value.
pub fn bridge(types: &[Type], salt: u32) -> Trace {
    bridge_ending(types, None, salt)
}

/// As [`bridge`], but it ends by jumping to its root's loop, whose label takes `loop_types`:
/// each label value gets a value of the bridge of its type (the one in its position if it
/// fits, else the next of that type), or a constant where the bridge has none.
pub fn bridge_to_loop(types: &[Type], loop_types: &[Type], salt: u32) -> Trace {
    bridge_ending(types, Some(loop_types), salt)
}

fn bridge_ending(types: &[Type], loop_types: Option<&[Type]>, salt: u32) -> Trace {
    let mut src = String::new();
    let inputs: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(k, t)| format!("{}{k}", t.prefix()))
        .collect();
    src.push_str(&format!("[{}]\n", inputs.join(", ")));
    let mut next = types.len();
    let mut outs = Vec::new();
    let mut first_i32 = None;
    for (k, t) in types.iter().enumerate() {
        let name = format!("{}{next}", t.prefix());
        let line = match t {
            Type::I32 => format!("{name} = int_add(i{k}, {})", 1 + salt % 97),
            Type::I64 => format!("{name} = int_mul(l{k}, {})", 3 + salt % 5),
            Type::F64 => format!("{name} = float_add(f{k}, {}.5)", salt % 7),
            Type::Ref => {
                outs.push(format!("p{k}"));
                continue;
            }
        };
        if *t == Type::I32 && first_i32.is_none() {
            first_i32 = Some(name.clone());
        }
        src.push_str(&line);
        src.push('\n');
        outs.push(name);
        next += 1;
    }
    if let Some(v) = first_i32 {
        let c = format!("i{next}");
        // Fails for about half of all values: bridges chain.
        src.push_str(&format!(
            "{c} = int_and({v}, {})\nguard_false({c}) [{}]\n",
            1 << (salt % 3),
            outs.join(", ")
        ));
    }
    match loop_types {
        None => src.push_str(&format!("finish({})\n", outs.join(", "))),
        Some(loop_types) => {
            let args: Vec<String> = loop_types
                .iter()
                .enumerate()
                .map(|(k, &t)| {
                    let fits = |j: &usize| types[*j] == t;
                    let own = (k < types.len() && fits(&k)).then_some(k);
                    let pick =
                        own.or_else(|| (0..types.len()).map(|j| (j + k) % types.len()).find(fits));
                    match pick {
                        Some(j) => outs[j].clone(),
                        None => match t {
                            Type::I32 => format!("{}", salt % 13),
                            Type::I64 => format!("{}L", salt % 11),
                            Type::F64 => format!("{}.25", salt % 5),
                            Type::Ref => "null".into(),
                        },
                    }
                })
                .collect();
            src.push_str(&format!("jump({})\n", args.join(", ")));
        }
    }
    parse_verified(&src).unwrap_or_else(|e| panic!("a made bridge verifies: {e:?}\n{src}"))
}

/// A tree as the interpreter runs it: `parts[0]` is the root, and `bridges` maps (part,
/// guard exit id) to the part that runs when that guard fails; a part after the root that
/// is no bridge is a further loop, entered by bridges that jump to its labels.
pub struct InterpTree<'a> {
    /// The root, then further loops and bridges.
    pub parts: &'a [Trace],
    /// Which part continues where a guard of a part fails.
    pub bridges: &'a HashMap<(usize, ExitId), usize>,
}

/// For each of `count` parts, the loop it belongs to (`bridges` as [`InterpTree`] has it):
/// itself for a loop, for a bridge the loop of the part whose guard it grows out of.
pub fn loop_of(count: usize, bridges: &HashMap<(usize, ExitId), usize>) -> Vec<usize> {
    let mut grows_from = vec![None; count];
    for (&(p, id), &k) in bridges {
        if let Some(g) = grows_from.get_mut(k) {
            *g = Some((p, id));
        }
    }
    let mut out: Vec<usize> = Vec::with_capacity(count);
    for (k, g) in grows_from.iter().enumerate() {
        out.push(match g {
            Some((p, _)) if *p < k => out[*p],
            _ => k,
        });
    }
    out
}

impl InterpTree<'_> {
    /// Runs the tree: the part it left from, and the outcome there (its steps and
    /// iterations those of the whole run). A bridge's `jump` goes
    /// on at the label its token names in any loop, else at its own loop's header; every
    /// jump, from any part, takes one from the tree's count (`interp::jumps_allowed` of the
    /// root), as on every target.
    pub fn run(
        &self,
        inputs: &[Scalar],
        memory: &mut Memory,
        externs: &Externs,
        options: RunOptions,
    ) -> Result<(usize, Outcome), InterpError> {
        self.run_path(inputs, memory, externs, options, &mut Vec::new())
    }

    /// [`InterpTree::run`], recording in `path` each part entered, in order (a bridge that
    /// goes back to the loop enters part 0 again).
    pub fn run_path(
        &self,
        inputs: &[Scalar],
        memory: &mut Memory,
        externs: &Externs,
        options: RunOptions,
        path: &mut Vec<usize>,
    ) -> Result<(usize, Outcome), InterpError> {
        self.run_counted(inputs, memory, externs, options, path)
            .map(|(p, o, _)| (p, o))
    }

    /// [`InterpTree::run_path`], also returning the jumps the run took (the loop's
    /// iterations, whichever part jumped).
    pub fn run_counted(
        &self,
        inputs: &[Scalar],
        memory: &mut Memory,
        externs: &Externs,
        options: RunOptions,
        path: &mut Vec<usize>,
    ) -> Result<(usize, Outcome, u64), InterpError> {
        let state = TreeState::start(&self.parts[0], options);
        self.run_state(0, inputs, memory, externs, options, path, state)
    }

    /// [`InterpTree::run`] from part `part` (the root, or an entry: a part that is no
    /// bridge and jumps to a loop's label without one of its own), the jumps counted by the
    /// root's rule.
    pub fn run_from_part(
        &self,
        part: usize,
        inputs: &[Scalar],
        memory: &mut Memory,
        externs: &Externs,
        options: RunOptions,
    ) -> Result<(usize, Outcome), InterpError> {
        let state = TreeState::start(&self.parts[0], options);
        self.run_state(
            part,
            inputs,
            memory,
            externs,
            options,
            &mut Vec::new(),
            state,
        )
        .map(|(p, o, _)| (p, o))
    }

    /// [`InterpTree::run`] with the tree invalidated at its `n`-th jump (from the start
    /// if `n` is 0): what `tracejit run --invalidate-after N` compares with.
    pub fn run_invalidated_after(
        &self,
        inputs: &[Scalar],
        memory: &mut Memory,
        externs: &Externs,
        options: RunOptions,
        n: u64,
    ) -> Result<(usize, Outcome), InterpError> {
        let state = TreeState::invalidated_after(&self.parts[0], options, n);
        self.run_state(0, inputs, memory, externs, options, &mut Vec::new(), state)
            .map(|(p, o, _)| (p, o))
    }

    #[allow(clippy::too_many_arguments)]
    fn run_state(
        &self,
        first: usize,
        inputs: &[Scalar],
        memory: &mut Memory,
        externs: &Externs,
        options: RunOptions,
        path: &mut Vec<usize>,
        mut state: TreeState,
    ) -> Result<(usize, Outcome, u64), InterpError> {
        let checked = self
            .parts
            .iter()
            .map(|p| Checked::new(p, externs))
            .collect::<Result<Vec<_>, _>>()?;
        let loops = loop_of(self.parts.len(), self.bridges);
        // Each label token's loop, looked up once rather than at every jump.
        let owners: HashMap<u32, usize> = (0..self.parts.len())
            .filter(|&p| loops[p] == p)
            .flat_map(|p| {
                let t = &self.parts[p];
                (0..t.ops.len())
                    .filter(|&i| t.ops[i].opcode == jit_core::ir::Opcode::Label)
                    .map(move |i| (t.label_token(i), p))
            })
            .collect();
        let mut part = first;
        path.clear();
        let mut start = Start::Inputs;
        let mut values = inputs.to_vec();
        let allowed = state.jumps_left;
        let mut steps = 0u64;
        loop {
            if path.len() < PATH_LIMIT {
                path.push(part);
            }
            let out = run_part(
                checked[part],
                start,
                &values,
                memory,
                externs,
                options,
                &mut state,
            )?;
            steps += out.steps;
            match (out.kind, self.bridges.get(&(part, out.exit))) {
                (ExitKind::Guard, Some(&next)) => {
                    part = next;
                    start = Start::Inputs;
                    values = out.values;
                }
                (ExitKind::Jump, _) => {
                    // To the label the jump names in any loop, else its loop's header.
                    (part, start) = match self.parts[part].jump_token() {
                        Some(t) => (
                            *owners.get(&t).ok_or(InterpError::NoLabel)?,
                            Start::Target(t),
                        ),
                        None => (loops[part], Start::Label),
                    };
                    values = out.values;
                }
                _ => {
                    // A tree's outcome counts the whole run's jumps, as the targets do.
                    let jumps = allowed - state.jumps_left;
                    let mut out = out;
                    out.iterations = jumps;
                    out.steps = steps;
                    return Ok((part, out, jumps));
                }
            }
        }
    }
}

/// Parts a recorded path keeps at most.
pub const PATH_LIMIT: usize = 4096;

/// A tree loaded on a target: what [`grow_trees`] needs of native and emulated trees alike.
pub trait TreeRunner {
    /// The tree's parts and exits.
    fn exits(&self) -> &Exits;
    /// Attaches a bridge compiled for tree-wide exit `at`.
    fn attach(&mut self, at: u32, bridge: CompiledTrace) -> Result<(), RunError>;
    /// Adds a further loop compiled with `compile_loop` from `Exits::loop_in`; returns its
    /// part number.
    fn add_loop(&mut self, code: CompiledTrace) -> Result<usize, RunError>;
    /// Adds an entry compiled with `compile_entry` from `Exits::entry_in`; returns its part
    /// number.
    fn add_entry(&mut self, code: CompiledTrace) -> Result<usize, RunError>;
    /// Runs the tree from part `part` (the root or an entry) with `jumps` jumps allowed
    /// (else the root's rule under `options`): where it stopped.
    fn run_from(
        &mut self,
        part: usize,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
        jumps: Option<u64>,
    ) -> Result<Stop, RunError>;
    /// Invalidates the tree for good: later runs leave through every `guard_not_invalidated`
    /// of every part, patched into jumps to their exits.
    fn invalidate(&mut self);
    /// Runs the tree: the part it left from, and the outcome there.
    fn run(
        &mut self,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
    ) -> Result<(usize, Outcome), RunError>;
}

/// [`NativeTree`] with its backend, as a [`TreeRunner`].
pub struct Native<'a> {
    /// The backend that compiled the tree.
    pub backend: &'a dyn Backend,
    /// The tree.
    pub tree: NativeTree,
}

impl TreeRunner for Native<'_> {
    fn exits(&self) -> &Exits {
        self.tree.exits()
    }
    fn attach(&mut self, at: u32, bridge: CompiledTrace) -> Result<(), RunError> {
        self.tree.attach(self.backend, at, bridge)
    }
    fn add_loop(&mut self, code: CompiledTrace) -> Result<usize, RunError> {
        self.tree.add_loop(self.backend, code)
    }
    fn add_entry(&mut self, code: CompiledTrace) -> Result<usize, RunError> {
        self.tree.add_entry(self.backend, code)
    }
    fn run_from(
        &mut self,
        part: usize,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
        jumps: Option<u64>,
    ) -> Result<Stop, RunError> {
        self.tree.run_from(part, inputs, memory, options, jumps)
    }
    fn invalidate(&mut self) {
        self.tree.invalidate();
    }
    fn run(
        &mut self,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
    ) -> Result<(usize, Outcome), RunError> {
        self.tree.run(inputs, memory, options)
    }
}

/// Runs `tree` (compiled by `backend`) with the tree invalidated at its `n`-th jump, as
/// `tracejit run --invalidate-after N` does: the run stops with its jumps used up at the
/// `n`-th jump (the budget exit, the jump's values in its label's layout), the tree is
/// invalidated (every `guard_not_invalidated` patched into a jump to its exit), and the
/// run goes on from an entry to that label (compiled and added the first time) with the
/// rest of the jumps. With `n` 0 the tree is invalidated before the run.
pub fn run_invalidated_after(
    backend: &dyn Backend,
    tree: &mut dyn TreeRunner,
    inputs: &[Scalar],
    memory: &mut Memory,
    options: RunOptions,
    n: u64,
) -> Result<(usize, Outcome), RunError> {
    let allowed = jit_core::runtime::jumps_allowed(&tree.exits().parts[0], options);
    let done = |stop: Stop| stop.into_exit(options);
    if n == 0 {
        tree.invalidate();
    }
    if n == 0 || n > allowed {
        return done(tree.run_from(0, inputs, memory, options, None)?);
    }
    let (token, values) = match tree.run_from(0, inputs, memory, options, Some(n - 1))? {
        Stop::OutOfJumps { token, values, .. } => (token, values),
        exit => return done(exit),
    };
    tree.invalidate();
    let entry = entry_part(backend, tree, token)?;
    let (part, mut out) =
        done(tree.run_from(entry, &values, memory, options, Some(allowed - (n - 1)))?)?;
    // The jumps of both runs.
    out.iterations += n - 1;
    Ok((part, out))
}

/// The part of `tree` that enters the label with token `token`: an entry added before,
/// else one compiled (a trace passing its inputs to the label) and added now.
pub fn entry_part(
    backend: &dyn Backend,
    tree: &mut dyn TreeRunner,
    token: u32,
) -> Result<usize, RunError> {
    let x = tree.exits();
    if let Some(p) = (0..x.parts.len()).find(|&p| {
        x.loop_of[p] != p
            && x.parts[p].labels.is_empty()
            && x.parts[p].jump_token == Some(token)
            && x.bridges.iter().all(|b| *b != Some(p))
    }) {
        return Ok(p);
    }
    let owner = x
        .label_owner(token)
        .ok_or_else(|| RunError::Inputs(format!("the tree has no label Target{token}")))?;
    let types = x.parts[owner]
        .label_with_token(token)
        .map(|l| l.types.clone())
        .unwrap_or_default();
    let names: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(k, t)| format!("{}{k}", t.prefix()))
        .collect();
    let src = format!(
        "[{}]\njump({}, descr=<Target{token}>)\n",
        names.join(", "),
        names.join(", ")
    );
    let src = src.replace("jump(, ", "jump(");
    let trace = parse_verified(&src)
        .map_err(|e| RunError::Inputs(format!("the entry to Target{token}: {e:?}")))?;
    let code = jit_core::compile::compile_entry(
        backend,
        &trace,
        &crate::externs(),
        CompileOptions::default(),
        tree.exits().entry_in(),
    )
    .map_err(|e| RunError::Inputs(format!("compiling the entry to Target{token}: {e}")))?;
    tree.add_entry(code.code)
}

/// The step budget of [`grow_trees`]'s runs of trees, lower than a case's own: a bridge
/// back to a loop can make it endless, and the interpreter must run as far.
pub const TREE_STEP_BUDGET: u64 = 200_000;

/// How many trees [`grow_trees`] grew and how many bridges it attached and ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grown {
    /// Trees (conformance cases leaving through a guard).
    pub trees: usize,
    /// Bridges attached, each followed by a run compared with the interpreter.
    pub bridges: usize,
    /// Of those, bridges that jump back to their root's loop.
    pub loops: usize,
    /// Runs that went back into the root's loop from a bridge at least once.
    pub rejoined: usize,
    /// Runs that ran out of budget (in the interpreter and on the target alike).
    pub budget: usize,
}

/// [`grow_trees`] six bridges deep on `target` (its trees loaded by `Target::load_tree`),
/// held to what every target reaches: more than 150 trees, 190 bridges, 80 bridges looping
/// back and 80 runs rejoining the root's loop. Returns the counts.
pub fn assert_trees_grow(target: &dyn crate::Target) -> Grown {
    let grown = grow_trees(target.backend(), 6, |root, trace| {
        target.load_tree(root, trace).expect("the root loads")
    });
    eprintln!("{}: {grown:?}", target.name());
    assert!(
        grown.trees > 150 && grown.bridges > 190 && grown.loops > 80 && grown.rejoined > 80,
        "{}: {grown:?}",
        target.name()
    );
    grown
}

/// For every conformance case whose run leaves through a guard: compiles it for `backend`,
/// loads it with `load`, and up to `depth` times attaches a bridge ([`bridge`]) to the guard
/// the last run failed at, runs the tree again and checks it against the interpreter
/// running root and bridges in turn (part, exit, values and memory). Panics on a
/// difference, naming the case.
pub fn grow_trees<'t>(
    backend: &dyn Backend,
    depth: u32,
    load: impl Fn(CompiledTrace, &Trace) -> Box<dyn TreeRunner + 't>,
) -> Grown {
    let externs = crate::externs();
    let mut grown = Grown::default();
    for case in crate::cases::all_cases() {
        if case.runs_out || case.invalidated {
            continue;
        }
        let trace = parse_verified(&case.src).expect("a case verifies");
        let specs = parse_args(default_args(&case.src).unwrap_or("")).expect("its args parse");
        let mut memory = Memory::new();
        let inputs = resolve_args(&specs, &trace, &mut memory)
            .expect("its args fit")
            .values;
        let opts = RunOptions {
            step_budget: case.budget,
            ..RunOptions::default()
        };
        match run(&trace, &inputs, &mut memory.clone(), &externs, opts) {
            Ok(first) if first.kind == ExitKind::Guard => {}
            _ => continue,
        }
        let root = compile(backend, &trace, &externs, CompileOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let mut tree = load(root.code, &trace);
        // A bridge back to the loop may make it run forever: stop those runs early.
        let opts = RunOptions {
            step_budget: opts.step_budget.min(TREE_STEP_BUDGET),
            ..opts
        };
        let mut parts = vec![trace];
        let mut map = HashMap::new();
        grown.trees += 1;
        for level in 0..depth {
            let oracle = InterpTree {
                parts: &parts,
                bridges: &map,
            };
            let Ok((part, out)) = oracle.run(&inputs, &mut memory.clone(), &externs, opts) else {
                break;
            };
            if out.kind != ExitKind::Guard {
                break;
            }
            let Some((at, from)) = tree.exits().bridge_from(part, out.exit) else {
                panic!(
                    "{}: the failing guard is not an exit of the tree",
                    case.name
                )
            };
            let types: Vec<Type> = out.values.iter().map(|v| v.ty()).collect();
            let salt = level * 31 + at;
            // Every other bridge of a loop goes back to it.
            let (b, loops) = match tree.exits().parts[0].loop_header() {
                Some(l) if salt % 2 == 0 => (bridge_to_loop(&types, &l.types, salt), true),
                _ => (bridge(&types, salt), false),
            };
            let code = match compile_bridge(backend, &b, &externs, CompileOptions::default(), from)
            {
                Ok(c) => c.code,
                // A bridge whose calls need more stack than the root reserved.
                Err(CompileError::BridgeMismatch(_)) => break,
                Err(e) => panic!("{}: bridge {level}: {e}", case.name),
            };
            tree.attach(at, code)
                .unwrap_or_else(|e| panic!("{}: attaching bridge {level}: {e}", case.name));
            parts.push(b);
            map.insert((part, out.exit), parts.len() - 1);
            let oracle = InterpTree {
                parts: &parts,
                bridges: &map,
            };
            let mut want_mem = memory.clone();
            let mut got_mem = memory.clone();
            grown.loops += loops as usize;
            let mut path = Vec::new();
            let ran = oracle.run_path(&inputs, &mut want_mem, &externs, opts, &mut path);
            grown.rejoined += path.iter().skip(1).any(|&p| p == 0) as usize;
            let (want_part, want) = match ran {
                Ok(w) => w,
                // A bridge back to the loop can make it run forever: every target stops at
                // the same jump, with the same memory.
                Err(InterpError::StepBudget { .. }) => {
                    let got = tree.run(&inputs, &mut got_mem, opts);
                    assert!(
                        matches!(got, Err(RunError::StepBudget { .. })),
                        "{}: bridge {level}: the interpreter runs out of budget, the target gives {got:?}",
                        case.name
                    );
                    assert!(
                        crate::same_tree_run(&want_mem, None, &got_mem, None),
                        "{}: bridge {level}: memory differs at the budget's end",
                        case.name
                    );
                    grown.bridges += 1;
                    grown.budget += 1;
                    break;
                }
                Err(_) => break,
            };
            let (got_part, got) = tree
                .run(&inputs, &mut got_mem, opts)
                .unwrap_or_else(|e| panic!("{}: bridge {level}: {e}", case.name));
            assert!(
                crate::same_tree_run(
                    &want_mem,
                    Some((want_part, &want)),
                    &got_mem,
                    Some((got_part, &got))
                ),
                "{}: bridge {level}: interpreter part {want_part} {want}, target part {got_part} {got} (or memory differs)",
                case.name
            );
            grown.bridges += 1;
        }
    }
    grown
}

/// Renumbers `bridge`'s exits from `first` on, in op order, so exit ids are unique across
/// its tree as tree files have them.
pub fn renumber_exits(bridge: &mut Trace, first: u32) {
    let mut next = first;
    for op in &mut bridge.ops {
        if let jit_core::ir::Extra::Exit { id, .. } = &mut op.extra {
            *id = ExitId(next);
            next = next.saturating_add(1);
        }
    }
}

/// The smallest exit id above every exit of `parts`.
pub fn next_exit_id(parts: &[Trace]) -> u32 {
    parts
        .iter()
        .flat_map(|p| p.ops.iter().filter_map(|o| o.exit_id()))
        .map(|id| id.0.saturating_add(1))
        .max()
        .unwrap_or(0)
}

/// `parts` as a tree file (`jit_core::text::print_tree`), `bridges` saying which guard each
/// bridge grows out of; exit ids must be unique across the parts.
pub fn tree_text(parts: &[Trace], bridges: &HashMap<(usize, ExitId), usize>) -> String {
    let mut grows_from = vec![None; parts.len()];
    for (&at, &k) in bridges {
        if let Some(g) = grows_from.get_mut(k) {
            *g = Some(at);
        }
    }
    jit_core::text::print_tree(&jit_core::text::TreeSource {
        parts: parts.to_vec(),
        positions: vec![Default::default(); parts.len()],
        grows_from,
    })
}

/// Builds `parts` as a tree on `target`: the root compiled and loaded, then each further
/// part in order — a bridge compiled from the state of the guard `bridges` says it grows
/// out of and attached, a further loop (a part no bridge, with a label) compiled into the
/// tree's frame and added, an entry (no bridge, no label) compiled and added; `each` sees
/// every part's compilation (the root's first).
pub fn build_tree<'t>(
    target: &'t dyn crate::Target,
    parts: &[Trace],
    bridges: &HashMap<(usize, ExitId), usize>,
    externs: &Externs,
    mut each: impl FnMut(usize, &jit_core::compile::Compiled),
) -> Result<Box<dyn TreeRunner + 't>, String> {
    let name = target.name();
    let root = compile(
        target.backend(),
        &parts[0],
        externs,
        CompileOptions::default(),
    )
    .map_err(|e| format!("{name}: the root: {e}"))?;
    each(0, &root);
    let mut tree = target
        .load_tree(root.code, &parts[0])
        .map_err(|e| format!("{name}: loading the root: {e}"))?;
    let mut grows_from: Vec<Option<(usize, ExitId)>> = vec![None; parts.len()];
    for (&at, &k) in bridges {
        if let Some(g) = grows_from.get_mut(k) {
            *g = Some(at);
        }
    }
    // A tree's part numbers are the order parts are added: the same as here.
    for (k, g) in grows_from.iter().enumerate().skip(1) {
        match *g {
            Some((part, guard)) => {
                let (at, from) = tree.exits().bridge_from(part, guard).ok_or_else(|| {
                    format!("{name}: bridge {k}: no guard {guard} in part {part}")
                })?;
                let code = compile_bridge(
                    target.backend(),
                    &parts[k],
                    externs,
                    CompileOptions::default(),
                    from,
                )
                .map_err(|e| format!("{name}: bridge {k}: {e}"))?;
                each(k, &code);
                tree.attach(at, code.code)
                    .map_err(|e| format!("{name}: attaching bridge {k}: {e}"))?;
            }
            None => {
                // A further loop, or an entry (no label of its own).
                let entry = parts[k].label_index().is_none();
                let (what, compiled) = if entry {
                    let into = tree.exits().entry_in();
                    let c = compile_entry(
                        target.backend(),
                        &parts[k],
                        externs,
                        CompileOptions::default(),
                        into,
                    );
                    ("entry", c)
                } else {
                    let into = tree.exits().loop_in();
                    let c = compile_loop(
                        target.backend(),
                        &parts[k],
                        externs,
                        CompileOptions::default(),
                        into,
                    );
                    ("loop", c)
                };
                let code = compiled.map_err(|e| format!("{name}: {what} {k}: {e}"))?;
                each(k, &code);
                let added = if entry {
                    tree.add_entry(code.code)
                } else {
                    tree.add_loop(code.code)
                };
                added.map_err(|e| format!("{name}: adding {what} {k}: {e}"))?;
            }
        }
    }
    Ok(tree)
}

/// Builds the tree on `target` ([`build_tree`]), runs it and the interpreter's tree on
/// `inputs` and `memory`, and says how they differ (part, exit, values, memory, or one
/// running out of budget and the other not): `Ok(None)` if they agree, `Err` if the tree
/// cannot be built or the interpreter cannot run it (nothing to compare).
pub fn compare_tree(
    target: &dyn crate::Target,
    parts: &[Trace],
    bridges: &HashMap<(usize, ExitId), usize>,
    inputs: &[Scalar],
    memory: &Memory,
    options: RunOptions,
) -> Result<Option<String>, String> {
    compare_tree_with(
        target,
        parts,
        bridges,
        inputs,
        memory,
        options,
        &crate::externs(),
    )
}

/// [`compare_tree`] with calls resolved in `externs` (which the target must resolve them
/// in too).
pub fn compare_tree_with(
    target: &dyn crate::Target,
    parts: &[Trace],
    bridges: &HashMap<(usize, ExitId), usize>,
    inputs: &[Scalar],
    memory: &Memory,
    options: RunOptions,
    externs: &Externs,
) -> Result<Option<String>, String> {
    let name = target.name();
    let mut tree = build_tree(target, parts, bridges, externs, |_, _| {})?;
    let oracle = InterpTree { parts, bridges };
    let mut want_mem = memory.clone();
    let want = match oracle.run(inputs, &mut want_mem, externs, options) {
        Ok(w) => Some(w),
        Err(InterpError::StepBudget { .. }) => None,
        Err(e) => return Err(format!("the interpreter: {e}")),
    };
    let mut got_mem = memory.clone();
    let got = tree.run(inputs, &mut got_mem, options);
    let same = match (&want, &got) {
        (Some((wp, w)), Ok((p, o))) => {
            crate::same_tree_run(&want_mem, Some((*wp, w)), &got_mem, Some((*p, o)))
        }
        (None, Err(RunError::StepBudget { .. })) => {
            crate::same_tree_run(&want_mem, None, &got_mem, None)
        }
        _ => false,
    };
    if same {
        return Ok(None);
    }
    let want = match &want {
        Some((p, w)) => format!("part {p} {w}"),
        None => "out of budget".into(),
    };
    let got = match &got {
        Ok((p, o)) => format!("part {p} {o}"),
        Err(e) => e.to_string(),
    };
    Ok(Some(format!(
        "on {name}: interpreter {want}, target {got}; memory {:x?}, interpreter's {:x?}",
        got_mem.buffers(),
        want_mem.buffers()
    )))
}

/// [`compare_tree`]'s divergence, if the tree could be built and run and differs.
pub fn tree_divergence(
    target: &dyn crate::Target,
    parts: &[Trace],
    bridges: &HashMap<(usize, ExitId), usize>,
    inputs: &[Scalar],
    memory: &Memory,
    options: RunOptions,
) -> Option<String> {
    compare_tree(target, parts, bridges, inputs, memory, options)
        .ok()
        .flatten()
}

/// Shrinks a tree that diverges on `target`: each part in turn, the last first, while the
/// tree still diverges the same way (at most `budget` candidates per part). Returns the
/// parts (unchanged if the tree does not diverge).
pub fn shrink_tree(
    target: &dyn crate::Target,
    parts: &[Trace],
    bridges: &HashMap<(usize, ExitId), usize>,
    inputs: &[Scalar],
    memory: &Memory,
    options: RunOptions,
    budget: usize,
) -> Vec<Trace> {
    use crate::shrink::failure_kind;
    let mut parts = parts.to_vec();
    // Every smaller tree must fail as this one does (see `shrink::divergence`).
    let Some(kind) =
        tree_divergence(target, &parts, bridges, inputs, memory, options).map(|w| failure_kind(&w))
    else {
        return parts;
    };
    for k in (0..parts.len()).rev() {
        let small = crate::shrink::shrink(&parts[k], budget, |t| {
            let mut p = parts.clone();
            p[k] = t.clone();
            tree_divergence(target, &p, bridges, inputs, memory, options)
                .is_some_and(|w| failure_kind(&w) == kind)
        });
        parts[k] = small;
    }
    parts
}
