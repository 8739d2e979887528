//! PyPy's logs on every target: each log's trees imported (`jit_pypy::import`), heaps
//! built and steered for them (`jit_pypy::heap`), every tree built on every target and run
//! on every heap against the interpreter, and the figures `tracejit bench` and the README
//! report.

use std::collections::HashMap;
use std::time::Instant;

use backend_arm::FloatAbi;
use backend_x86::X86Backend;
use jit_core::compile::{compile, CompileOptions};
use jit_core::interp::{ExitKind, InterpError, Outcome, RunOptions};
use jit_core::ir::{ExitId, Opcode, Scalar};
use jit_core::Externs;
use jit_emu::arm::ArmTarget;
use jit_pypy::heap::{build, steer, Heap};
use jit_pypy::import::{import_log, ImportedLog, ImportedTree};
use jit_testkit::tree::{build_tree, InterpTree};
use jit_testkit::{NativeTarget, Target};

/// The step budget of a run of an imported tree.
pub const STEP_BUDGET: u64 = 200_000;
/// The step budget of the fuzzer's corpus cases: their heaps are thousands of objects, and
/// in the GC's stress mode every allocation copies them all (on ARM through the
/// emulator), so a long run would take minutes.
pub const FUZZ_STEP_BUDGET: u64 = 5_000;
/// Rounds of steering per heap: each makes one more guard pass.
const ROUNDS: usize = 24;
/// Heaps built from a fresh seed per tree (then one per bridge, steered into it).
const SEEDS: u64 = 3;

thread_local! {
    /// The step budget runs of imported trees get on this thread.
    static BUDGET: std::cell::Cell<u64> = const { std::cell::Cell::new(STEP_BUDGET) };
}

/// The options imported trees run with ([`STEP_BUDGET`], or [`FUZZ_STEP_BUDGET`] in the
/// fuzzer's corpus cases).
pub fn run_options() -> RunOptions {
    RunOptions {
        step_budget: BUDGET.with(|b| b.get()),
        invalidated: false,
    }
}

/// The five targets by triple (`targets::SUPPORTED`'s order), calls resolved in `externs`:
/// x86-64 natively, the three 32-bit ARM ones and AArch64 emulated.
pub fn targets(externs: &Externs) -> Vec<(&'static str, Box<dyn Target>)> {
    let s = crate::targets::SUPPORTED;
    // The emulated targets of a thread share their machines across trees (a fresh machine
    // costs far more than a corpus tree's run).
    let a64 = A64_TARGET.with(|t| t.sharing_machines(externs.clone()));
    ARM_TARGETS.with(|[hard, softfp, v5]| {
        vec![
            (
                s[0],
                Box::new(NativeTarget::new(Box::new(X86Backend::new()))) as Box<dyn Target>,
            ),
            (s[1], Box::new(hard.sharing_machines(externs.clone()))),
            (s[2], Box::new(softfp.sharing_machines(externs.clone()))),
            (s[3], Box::new(v5.sharing_machines(externs.clone()))),
            (s[4], Box::new(a64)),
        ]
    })
}

thread_local! {
    /// The emulated targets whose machines [`targets`] shares, per thread.
    static ARM_TARGETS: [ArmTarget; 3] = [
        ArmTarget::new(FloatAbi::Hard),
        ArmTarget::new(FloatAbi::Softfp),
        ArmTarget::armv5te(),
    ];
    /// The AArch64 target whose machines [`targets`] shares, per thread.
    static A64_TARGET: jit_emu::aarch64::A64Target = jit_emu::aarch64::A64Target::new();
}

/// Every function an imported tree may call: the test kit's (the legalization helpers
/// among them) and the tree's stand-ins.
pub fn externs_for(tree: &ImportedTree) -> Externs {
    let mut t = jit_testkit::with_externs(|e| e.clone());
    t.extend(&jit_pypy::standin::externs(&tree.standins));
    t
}

/// `tree`'s bridges as the test kit's tree runners take them.
pub fn bridges(tree: &ImportedTree) -> HashMap<(usize, ExitId), usize> {
    tree.source
        .grows_from
        .iter()
        .enumerate()
        .filter_map(|(k, g)| g.map(|at| (at, k)))
        .collect()
}

/// Steers `heap` until the interpreter's run of `tree` leaves by `finish`, by a loop's own
/// end (a comparison guard failing after at least one jump), by a guard the heap cannot
/// change, or out of budget; returns that run (`None` out of budget), or the error of an
/// interpreter that cannot run it.
fn steer_run(
    log: &ImportedLog,
    tree: &ImportedTree,
    heap: &mut Heap,
    externs: &Externs,
    seed: u64,
) -> Result<Option<(usize, Outcome)>, InterpError> {
    let bridges = bridges(tree);
    let oracle = InterpTree {
        parts: &tree.source.parts,
        bridges: &bridges,
    };
    let mut path = Vec::new();
    let mut last = None;
    for round in 0..ROUNDS {
        let mut memory = heap.memory.clone();
        let run = oracle.run_counted(&heap.inputs, &mut memory, externs, run_options(), &mut path);
        let (part, out, jumps) = match run {
            Ok(r) => r,
            Err(InterpError::StepBudget { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        last = Some((part, out.clone()));
        if out.kind != ExitKind::Guard {
            break;
        }
        let guard = tree.source.parts[part].ops[out.op].opcode;
        if jumps > 0 && matches!(guard, Opcode::GuardTrue | Opcode::GuardFalse) {
            break;
        }
        let before = heap.clone();
        if !steer(
            log,
            tree,
            heap,
            part,
            out.op,
            true,
            seed.wrapping_add(round as u64),
        ) {
            break;
        }
        let mut memory = heap.memory.clone();
        match oracle.run(&heap.inputs, &mut memory, externs, run_options()) {
            Ok(_) | Err(InterpError::StepBudget { .. }) => {}
            Err(_) => {
                *heap = before;
                break;
            }
        }
    }
    Ok(last)
}

/// The heaps `tree` runs on: [`SEEDS`] steered from fresh seeds, and for each bridge one
/// steered so that its guard fails, into the bridge. Only heaps the interpreter runs.
pub fn heaps(log: &ImportedLog, tree: &ImportedTree, externs: &Externs) -> Vec<Heap> {
    heaps_from(log, tree, externs, 1, SEEDS)
}

/// [`heaps`] with `count` seeds from `first` on.
pub fn heaps_from(
    log: &ImportedLog,
    tree: &ImportedTree,
    externs: &Externs,
    first: u64,
    count: u64,
) -> Vec<Heap> {
    let mut out: Vec<Heap> = Vec::new();
    for seed in first..first.saturating_add(count) {
        let mut h = build(log, tree, seed);
        if steer_run(log, tree, &mut h, externs, seed).is_ok() && !out.contains(&h) {
            out.push(h);
        }
    }
    let Some(first) = out.first().cloned() else {
        return out;
    };
    for (k, g) in tree.source.grows_from.iter().enumerate() {
        let Some((from, id)) = *g else { continue };
        let Some(op) = tree.source.parts[from]
            .ops
            .iter()
            .position(|o| o.exit_id() == Some(id))
        else {
            continue;
        };
        let mut h = first.clone();
        let seed = 100 + k as u64;
        if steer(log, tree, &mut h, from, op, false, seed)
            && steer_run(log, tree, &mut h, externs, seed).is_ok()
            && !out.contains(&h)
        {
            out.push(h);
        }
    }
    out
}

/// What one target did with the corpus.
#[derive(Clone, Debug, Default)]
pub struct TargetFigures {
    /// The target's name.
    pub target: String,
    /// Its triple.
    pub triple: String,
    /// Parts (loops and bridges) built into trees on it.
    pub parts_built: usize,
    /// Runs compared with the interpreter.
    pub runs: usize,
    /// Of those, runs that agreed.
    pub agreeing: usize,
    /// How the others differed (or failed to build), one line each.
    pub problems: Vec<String>,
    /// Operations of the roots compiled for the compile-time figure.
    pub root_ops: usize,
    /// Nanoseconds compiling those roots took (the whole pipeline, once each).
    pub compile_ns: u128,
    /// Bytes of code (constant pools included) of every part built.
    pub code_bytes: usize,
    /// Operations of every part built.
    pub ops: usize,
    /// Instructions of every part's operations (not its exits).
    pub instructions: usize,
    /// Of those, instructions that make constants (`movw`/`movt`, `mov`/`mvn` of an
    /// immediate, literal loads; x86-64 `mov` of an immediate, loads from the constant
    /// pool).
    pub constant_instructions: usize,
}

/// What the corpus is and what every target did with it.
#[derive(Clone, Debug, Default)]
pub struct CorpusFigures {
    /// Logs read.
    pub logs: usize,
    /// Parts (loops and bridges) in them.
    pub parts: usize,
    /// Parts imported into trees.
    pub parts_imported: usize,
    /// Operations in the logs (`debug_merge_point` not counted).
    pub ops: usize,
    /// Operations in the parts imported.
    pub ops_imported: usize,
    /// Trees.
    pub trees: usize,
    /// Heaps (runs per target).
    pub heaps: usize,
    /// Operations the interpreter executed over all runs.
    pub steps: u64,
    /// Runs that left by `finish` or a guard (the rest ran out of budget).
    pub exits: usize,
    /// Runs that entered at least one bridge.
    pub through_bridges: usize,
    /// Per target.
    pub targets: Vec<TargetFigures>,
}

fn count_ops(part: &jit_pypy::log::Part) -> usize {
    part.ops
        .iter()
        .filter(|o| o.name != "debug_merge_point")
        .count()
}

/// Imports every log (name, text) and runs every tree on every target against the
/// interpreter.
pub fn check_logs(logs: &[(String, String)]) -> Result<CorpusFigures, String> {
    let mut f = CorpusFigures::default();
    let mut per_target: Vec<TargetFigures> = Vec::new();
    for (name, text) in logs {
        let log = jit_pypy::log::read(text).map_err(|e| format!("{name}: {e}"))?;
        f.logs += 1;
        f.parts += log.parts.len();
        f.ops += log.parts.iter().map(count_ops).sum::<usize>();
        let im = import_log(&log);
        for tree in &im.trees {
            f.trees += 1;
            f.parts_imported += tree.source.parts.len();
            f.ops_imported += tree
                .log_parts
                .iter()
                .map(|&k| count_ops(&log.parts[k]))
                .sum::<usize>();
            let externs = externs_for(tree);
            let heaps = heaps(&im, tree, &externs);
            let bridges = bridges(tree);
            let oracle = InterpTree {
                parts: &tree.source.parts,
                bridges: &bridges,
            };
            // The interpreter's runs, once for every target.
            let mut wants = Vec::new();
            for h in &heaps {
                let mut mem = h.memory.clone();
                let mut path = Vec::new();
                let want = match oracle.run_counted(
                    &h.inputs,
                    &mut mem,
                    &externs,
                    run_options(),
                    &mut path,
                ) {
                    Ok((p, o, _)) => {
                        f.steps += o.steps;
                        f.exits += 1;
                        Some((p, o))
                    }
                    Err(InterpError::StepBudget { .. }) => None,
                    Err(e) => return Err(format!("{name}: {}: the interpreter: {e}", tree.title)),
                };
                if path.iter().any(|&p| tree.source.grows_from[p].is_some()) {
                    f.through_bridges += 1;
                }
                wants.push((want, mem));
            }
            f.heaps += heaps.len();
            let targets = targets(&externs);
            if per_target.is_empty() {
                per_target = targets
                    .iter()
                    .map(|(triple, t)| TargetFigures {
                        target: t.name(),
                        triple: triple.to_string(),
                        ..Default::default()
                    })
                    .collect();
            }
            for ((_, t), tf) in targets.iter().zip(per_target.iter_mut()) {
                run_on(
                    &**t, tree, &bridges, &externs, &heaps, &wants, tf, name, true,
                );
            }
        }
    }
    f.targets = per_target;
    Ok(f)
}

/// Builds `tree` on `target` and runs it on every heap, adding to `tf`.
#[allow(clippy::too_many_arguments)]
fn run_on(
    target: &dyn Target,
    tree: &ImportedTree,
    bridges: &HashMap<(usize, ExitId), usize>,
    externs: &Externs,
    heaps: &[Heap],
    wants: &[(Option<(usize, Outcome)>, jit_core::Memory)],
    tf: &mut TargetFigures,
    log: &str,
    time_compile: bool,
) {
    let parts = &tree.source.parts;
    // The compile-time figure: the root once more, timed alone.
    let start = Instant::now();
    if time_compile
        && compile(
            target.backend(),
            &parts[0],
            externs,
            CompileOptions::default(),
        )
        .is_ok()
    {
        tf.compile_ns += start.elapsed().as_nanos();
        tf.root_ops += parts[0].ops.len();
    }
    let mut sizes = (0usize, 0usize, 0usize, 0usize);
    let built = build_tree(target, parts, bridges, externs, |k, c| {
        let (consts, insns) = crate::disasm::constant_instructions(&c.code);
        sizes.0 += c.code.code.len();
        sizes.1 += parts[k].ops.len();
        sizes.2 += insns;
        sizes.3 += consts;
    });
    let mut runner = match built {
        Ok(r) => r,
        Err(e) => {
            tf.problems.push(format!("{log}: {}: {e}", tree.title));
            tf.runs += heaps.len();
            return;
        }
    };
    tf.parts_built += parts.len();
    tf.code_bytes += sizes.0;
    tf.ops += sizes.1;
    tf.instructions += sizes.2;
    tf.constant_instructions += sizes.3;
    for (h, (want, want_mem)) in heaps.iter().zip(wants) {
        tf.runs += 1;
        let mut got_mem = h.memory.clone();
        let got = runner.run(&h.inputs, &mut got_mem, run_options());
        let same = match (want, &got) {
            (Some((wp, w)), Ok((p, o))) => {
                jit_testkit::same_tree_run(want_mem, Some((*wp, w)), &got_mem, Some((*p, o)))
            }
            (None, Err(jit_core::runtime::RunError::StepBudget { .. })) => {
                jit_testkit::same_tree_run(want_mem, None, &got_mem, None)
            }
            _ => false,
        };
        let want_opt = want;
        let got_values = got.as_ref().ok().map(|(_, o)| o.values.clone());
        if same {
            tf.agreeing += 1;
        } else {
            let want = match want {
                Some((p, w)) => format!("part {p} {w}"),
                None => "out of budget".into(),
            };
            let got = match &got {
                Ok((p, o)) => format!("part {p} {o}"),
                Err(e) => e.to_string(),
            };
            tf.problems.push(format!(
                "{log}: {}: interpreter {want}, target {got}{}",
                tree.title,
                memory_difference(want_mem, wants_values(want_opt), &got_mem, got_values)
            ));
        }
    }
}

/// The corpus's logs, by file name: `corpus/logs/*.log` of the repository this was built
/// from.
pub fn corpus() -> Result<Vec<(String, String)>, String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/logs");
    read_logs(&[dir])
}

/// The logs at `paths` (files, or folders whose `*.log` files are read in name order).
pub fn read_logs(paths: &[std::path::PathBuf]) -> Result<Vec<(String, String)>, String> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut in_dir: Vec<_> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "log"))
                .collect();
            in_dir.sort();
            files.extend(in_dir);
        } else {
            files.push(p.clone());
        }
    }
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok((name, text))
        })
        .collect()
}

fn percent(a: usize, b: usize) -> String {
    if b == 0 {
        "-".into()
    } else {
        format!("{:.0}%", 100.0 * a as f64 / b as f64)
    }
}

/// The real-trace report: what imported, built and agreed per target, and compile time,
/// code size and the instructions spent making constants on real traces, next to the
/// kernels' (`kernels`: `bench::run_bench`'s rows, may be empty); `source` says where the
/// logs came from.
pub fn table(f: &CorpusFigures, kernels: &[crate::bench::Row], source: &str) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Real traces: PyPy's jit-log-opt logs of {} programs ({source}): {} of {} parts imported ({}), {} of {} operations ({}); {} trees run on {} steered heaps, {} of them through bridges; {:.0} operations executed per run",
        f.logs,
        f.parts_imported,
        f.parts,
        percent(f.parts_imported, f.parts),
        f.ops_imported,
        f.ops,
        percent(f.ops_imported, f.ops),
        f.trees,
        f.heaps,
        f.through_bridges,
        f.steps as f64 / f.heaps.max(1) as f64
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "| target | parts compiled | runs agreeing | compile ns/op (real) | (kernels) | code bytes/op (real) | (kernels) | instructions/op | making constants |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for t in &f.targets {
        let mine: Vec<&crate::bench::Row> =
            kernels.iter().filter(|r| r.target == t.triple).collect();
        // The kernels' median compile time per op and bytes per op, if they ran.
        let (k_compile, k_bytes) = if mine.is_empty() {
            ("-".to_string(), "-".to_string())
        } else {
            let mut v: Vec<f64> = mine.iter().map(|r| r.compile_ns_per_op).collect();
            v.sort_by(f64::total_cmp);
            let bytes: usize = mine.iter().map(|r| r.code_bytes).sum();
            let ops: usize = mine.iter().map(|r| r.ops).sum();
            (
                format!("{:.0}", v[v.len() / 2]),
                format!("{:.1}", bytes as f64 / ops.max(1) as f64),
            )
        };
        let _ = writeln!(
            s,
            "| {} | {} of {} ({}) | {} of {} ({}) | {:.0} | {} | {:.1} | {} | {:.2} | {} ({}) |",
            t.target,
            t.parts_built,
            f.parts_imported,
            percent(t.parts_built, f.parts_imported),
            t.agreeing,
            t.runs,
            percent(t.agreeing, t.runs),
            t.compile_ns as f64 / t.root_ops.max(1) as f64,
            k_compile,
            t.code_bytes as f64 / t.ops.max(1) as f64,
            k_bytes,
            t.instructions as f64 / t.ops.max(1) as f64,
            t.constant_instructions,
            percent(t.constant_instructions, t.instructions),
        );
    }
    for t in &f.targets {
        for p in t.problems.iter().take(5) {
            let _ = writeln!(s, "  {}: {p}", t.target);
        }
    }
    s
}

fn wants_values(w: &Option<(usize, Outcome)>) -> Option<Vec<Scalar>> {
    w.as_ref().map(|(_, o)| o.values.clone())
}

/// Where two runs' memories differ, their objects compared as the graphs the values reach:
/// the first object that differs, or the first buffer.
fn memory_difference(
    want: &jit_core::Memory,
    want_values: Option<Vec<Scalar>>,
    got: &jit_core::Memory,
    got_values: Option<Vec<Scalar>>,
) -> String {
    let (mut wm, mut gm) = (want.clone(), got.clone());
    let (mut wv, mut gv) = (
        want_values.unwrap_or_default(),
        got_values.unwrap_or_default(),
    );
    wm.canonicalize_objects(&mut wv);
    gm.canonicalize_objects(&mut gv);
    if wv != gv {
        return format!("; values (canonical) {wv:?} and {gv:?}");
    }
    let (wo, go) = (wm.objects(), gm.objects());
    if wo.len() != go.len() {
        return format!("; {} objects reached, and {}", wo.len(), go.len());
    }
    for (k, (a, b)) in wo.iter().zip(go).enumerate() {
        if a != b {
            return format!("; object {k}: {a:?}, on the target {b:?}");
        }
    }
    for (a, b) in wm.buffers().iter().zip(gm.buffers()) {
        if a.bytes != b.bytes {
            return format!(
                "; buffer at {:#x}: {:?}, on the target {:?}",
                a.addr, a.bytes, b.bytes
            );
        }
    }
    String::new()
}

/// The corpus imported once, for the fuzzer: every log's import, with its name.
pub fn imported_corpus() -> Vec<(String, ImportedLog)> {
    corpus()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(name, text)| {
            let log = jit_pypy::log::read(&text).ok()?;
            Some((name, import_log(&log)))
        })
        .collect()
}

/// What one fuzzing case on an imported tree did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mutated {
    /// Runs compared (heaps × targets).
    pub compared: u64,
    /// What was changed, for reports.
    pub mutation: String,
}

/// A mutation of `tree` drawn from `r`: an integer constant of an operation changed, or a
/// guard inverted (`guard_true` ↔ `guard_false`, `guard_nonnull` ↔ `guard_isnull`,
/// `guard_no_overflow` ↔ `guard_overflow`); `None` if the mutated part does not verify.
fn mutate(tree: &ImportedTree, r: &mut impl FnMut() -> u64) -> Option<(ImportedTree, String)> {
    let mut t = tree.clone();
    let part = (r() % t.source.parts.len() as u64) as usize;
    let trace = &mut t.source.parts[part];
    let n = trace.ops.len().max(1);
    let i = (r() % n as u64) as usize;
    let op = trace.ops.get_mut(i)?;
    let inverse = match op.opcode {
        Opcode::GuardTrue => Some(Opcode::GuardFalse),
        Opcode::GuardFalse => Some(Opcode::GuardTrue),
        Opcode::GuardNonnull => Some(Opcode::GuardIsnull),
        Opcode::GuardIsnull => Some(Opcode::GuardNonnull),
        Opcode::GuardNoOverflow => Some(Opcode::GuardOverflow),
        Opcode::GuardOverflow => Some(Opcode::GuardNoOverflow),
        _ => None,
    };
    let what = if let (Some(inv), true) = (inverse, r().is_multiple_of(2)) {
        op.opcode = inv;
        format!("part {part} op {i}: guard inverted to {}", inv.name())
    } else {
        let k = op.args.iter().position(|a| {
            matches!(
                a,
                jit_core::ir::Operand::Const(Scalar::I64(_) | Scalar::I32(_))
            )
        })?;
        let pick = match r() % 8 {
            0 => 0,
            1 => 1,
            2 => -1,
            3 => i64::MAX,
            4 => i64::MIN,
            5 => (r() % 64) as i64 - 32,
            6 => 1 << (r() % 63),
            _ => r() as i64,
        };
        let new = match op.args[k] {
            jit_core::ir::Operand::Const(Scalar::I32(_)) => Scalar::I32(pick as i32),
            _ => Scalar::I64(pick),
        };
        op.args[k] = jit_core::ir::Operand::Const(new);
        format!("part {part} op {i}: argument {k} is now {new}")
    };
    jit_core::verify(&t.source.parts[part]).ok()?;
    Some((t, what))
}

/// One fuzzing case from the corpus: a tree of `corpus` picked and mutated by `seed`, heaps
/// steered for it from that seed, and every run compared on the targets of `triples`
/// against the interpreter. `Err` is a divergence: the log, the tree's text, the mutation and
/// the seed that reproduce it.
pub fn fuzz_case(
    corpus: &[(String, ImportedLog)],
    seed: u64,
    triples: &[String],
) -> Result<Mutated, String> {
    let mut state = seed | 1;
    let mut r = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let all: Vec<(usize, usize)> = corpus
        .iter()
        .enumerate()
        .flat_map(|(l, (_, im))| (0..im.trees.len()).map(move |t| (l, t)))
        .collect();
    if all.is_empty() {
        return Ok(Mutated::default());
    }
    let (l, t) = all[(r() % all.len() as u64) as usize];
    let (name, im) = &corpus[l];
    let original = &im.trees[t];
    let Some((tree, mutation)) = mutate(original, &mut r) else {
        return Ok(Mutated::default());
    };
    let externs = externs_for(&tree);
    let before = BUDGET.with(|b| b.replace(FUZZ_STEP_BUDGET));
    let result = fuzz_tree(name, &tree, im, &externs, &mut r, triples, seed, mutation);
    BUDGET.with(|b| b.set(before));
    result
}

/// The rest of [`fuzz_case`], under its step budget.
#[allow(clippy::too_many_arguments)]
fn fuzz_tree(
    name: &str,
    tree: &ImportedTree,
    im: &ImportedLog,
    externs: &Externs,
    r: &mut impl FnMut() -> u64,
    triples: &[String],
    seed: u64,
    mutation: String,
) -> Result<Mutated, String> {
    let heaps = heaps_from(im, tree, externs, r() % 1000 + 10, 1);
    let bridges = bridges(tree);
    let oracle = InterpTree {
        parts: &tree.source.parts,
        bridges: &bridges,
    };
    let mut wants = Vec::new();
    for h in &heaps {
        let mut mem = h.memory.clone();
        let want = match oracle.run(&h.inputs, &mut mem, externs, run_options()) {
            Ok(w) => Some(w),
            Err(InterpError::StepBudget { .. }) => None,
            // A mutation the interpreter cannot run (an index out of bounds): nothing to
            // compare.
            Err(_) => return Ok(Mutated::default()),
        };
        wants.push((want, mem));
    }
    let mut out = Mutated {
        compared: 0,
        mutation: mutation.clone(),
    };
    for (triple, target) in targets(externs) {
        if !triples.iter().any(|t| t == triple) {
            continue;
        }
        let mut tf = TargetFigures::default();
        run_on(
            &*target, tree, &bridges, externs, &heaps, &wants, &mut tf, name, false,
        );
        out.compared += tf.runs as u64;
        if let Some(p) = tf.problems.first() {
            return Err(format!(
                "# a divergence on {triple} on an imported PyPy tree ({name}, {}), mutated: {mutation}; heap seed from fuzz seed {seed}\n# {p}\n{}",
                tree.title,
                tree.text()
            ));
        }
    }
    Ok(out)
}
