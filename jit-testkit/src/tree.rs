//! Trees for tests: a bridge for any guard, and the interpreter's run of a tree (the root,
//! then the bridge of each failing guard that has one, on the same memory) to compare
//! targets with.

use std::collections::HashMap;

use jit_core::backend::{Backend, CompileError, CompiledTrace};
use jit_core::compile::{compile, compile_bridge, CompileOptions};
use jit_core::interp::{run, ExitKind, InterpError, Outcome, RunOptions};
use jit_core::ir::{ExitId, Scalar, Type};
use jit_core::runtime::RunError;
use jit_core::text::{default_args, parse_args, parse_verified, resolve_args};
use jit_core::tree::{Exits, NativeTree};
use jit_core::{Externs, Memory, Trace};

/// A bridge taking values of `types` (a guard's fail args): it changes each integer and
/// float a little (by amounts `salt` picks), leaves through a guard on a bit of the first
/// i32 if there is one (failing about half the time, so bridges chain), and finishes with
/// every value.
pub fn bridge(types: &[Type], salt: u32) -> Trace {
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
    src.push_str(&format!("finish({})\n", outs.join(", ")));
    parse_verified(&src).unwrap_or_else(|e| panic!("a made bridge verifies: {e:?}\n{src}"))
}

/// A tree as the interpreter runs it: `parts[0]` is the root, and `bridges` maps (part,
/// guard exit id) to the part that runs when that guard fails.
pub struct InterpTree<'a> {
    /// The root, then the bridges.
    pub parts: &'a [Trace],
    /// Which part continues where a guard of a part fails.
    pub bridges: &'a HashMap<(usize, ExitId), usize>,
}

impl InterpTree<'_> {
    /// Runs the tree: the part it left from, and the outcome there.
    pub fn run(
        &self,
        inputs: &[Scalar],
        memory: &mut Memory,
        externs: &Externs,
        options: RunOptions,
    ) -> Result<(usize, Outcome), InterpError> {
        let mut part = 0;
        let mut values = inputs.to_vec();
        loop {
            let out = run(&self.parts[part], &values, memory, externs, options)?;
            match (out.kind, self.bridges.get(&(part, out.exit))) {
                (ExitKind::Guard, Some(&next)) => {
                    part = next;
                    values = out.values;
                }
                _ => return Ok((part, out)),
            }
        }
    }
}

/// A tree loaded on a target: what [`grow_trees`] needs of native and emulated trees alike.
pub trait TreeRunner {
    /// The tree's parts and exits.
    fn exits(&self) -> &Exits;
    /// Attaches a bridge compiled for tree-wide exit `at`.
    fn attach(&mut self, at: u32, bridge: CompiledTrace) -> Result<(), RunError>;
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
    fn run(
        &mut self,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
    ) -> Result<(usize, Outcome), RunError> {
        self.tree.run(inputs, memory, options)
    }
}

/// How many trees [`grow_trees`] grew and how many bridges it attached and ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grown {
    /// Trees (conformance cases leaving through a guard).
    pub trees: usize,
    /// Bridges attached, each followed by a run compared with the interpreter.
    pub bridges: usize,
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
            let b = bridge(&types, level * 31 + at);
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
            let Ok((want_part, want)) = oracle.run(&inputs, &mut want_mem, &externs, opts) else {
                break;
            };
            let mut got_mem = memory.clone();
            let (got_part, got) = tree
                .run(&inputs, &mut got_mem, opts)
                .unwrap_or_else(|e| panic!("{}: bridge {level}: {e}", case.name));
            assert!(
                want_part == got_part && want.same_exit_and_values(&got),
                "{}: bridge {level}: interpreter part {want_part} {want}, target part {got_part} {got}",
                case.name
            );
            assert!(
                got_mem.same_contents(&want_mem),
                "{}: bridge {level}: memory differs",
                case.name
            );
            grown.bridges += 1;
        }
    }
    grown
}
