//! `tracejit fuzz`: the differential fuzzer without cargo-fuzz. Random traces from the test
//! kit's generator run in the interpreter and on every chosen target, on all cores; any
//! disagreement is printed as a trace in the text format with its inputs, ready to drop
//! into `jit-testkit/regressions/`.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jit_core::interp::RunOptions;
use jit_core::ir::{Opcode, Scalar};
use jit_core::Memory;
use jit_testkit::{compare_to, expect, gen, shrink, Target};

/// What a fuzzing run found.
#[derive(Debug, Default)]
pub struct Report {
    /// Traces generated.
    pub traces: u64,
    /// Traces the interpreter stopped on (budget), not compared.
    pub skipped: u64,
    /// Compared traces whose run reached `finish` (the rest left through a guard).
    pub finished: u64,
    /// Trees grown from traces that left through a guard (one bridge or more attached).
    pub trees: u64,
    /// Bridges attached and compared on every target.
    pub bridges: u64,
    /// Trees that got a further loop, and of those, trees whose runs entered it through a
    /// bridge.
    pub further_loops: (u64, u64),
    /// Trees also run invalidated at one of their run's jumps (`--invalidate-after`).
    pub invalidated_after: u64,
    /// Operations the interpreter executed over all compared runs.
    pub steps: u64,
    /// Compared traces with GC objects, and of those, traces run in stress mode (every
    /// allocation collects and moves every object; another third runs with a 1 KiB
    /// nursery).
    pub objects: (u64, u64),
    /// Call operations in compared traces: all, to the generated C callees
    /// (`jit_testkit::shapes`), with a narrow integer or `f32` in their signature, and
    /// indirect.
    pub calls: CallCounts,
    /// Cases seeded from the corpus of PyPy logs (an imported tree mutated, a heap steered
    /// for it), and the runs of them compared (heaps × targets).
    pub corpus: (u64, u64),
    /// Per target: runs compared and opcodes covered.
    pub per_target: Vec<(String, u64, BTreeSet<Opcode>)>,
    /// Disagreements, each a ready-to-use regression trace.
    pub divergences: Vec<String>,
    /// Wall time.
    pub elapsed: Duration,
}

/// Call operations counted in compared traces (see [`Report::calls`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct CallCounts {
    /// Every call.
    pub all: u64,
    /// Calls to the generated C callees.
    pub generated: u64,
    /// Calls whose signature has a narrow integer or a float.
    pub narrow_or_single: u64,
    /// Indirect calls.
    pub indirect: u64,
}

impl CallCounts {
    fn count(&mut self, trace: &jit_core::Trace) {
        for op in trace.ops.iter().filter(|o| o.opcode.is_call()) {
            let Some(d) = op.func().map(|f| &trace.funcs[f]) else {
                continue;
            };
            self.all += 1;
            self.indirect += op.opcode.is_indirect_call() as u64;
            self.generated += jit_testkit::shapes::is_shape(&d.name) as u64;
            self.narrow_or_single += d
                .params
                .iter()
                .chain(d.ret.iter())
                .any(|c| c.narrow().is_some() || *c == jit_core::CType::F32)
                as u64;
        }
    }

    fn add(&mut self, o: CallCounts) {
        self.all += o.all;
        self.generated += o.generated;
        self.narrow_or_single += o.narrow_or_single;
        self.indirect += o.indirect;
    }
}

/// xorshift64*: the fuzzer's deterministic byte source.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// The trace `bytes` pick, its inputs, the memory holding its buffer and the run options
/// (a step budget that ends generated loops that never stop).
fn case(bytes: &[u8]) -> (jit_core::Trace, Vec<Scalar>, Memory, RunOptions) {
    let (mut trace, inputs, memory) = gen::case(bytes);
    // Guards mostly made to pass, so runs get deep into the trace; one run in eight has
    // the trace invalidated, so guard_not_invalidated fails.
    let mut c = gen::Choices::new(&bytes[bytes.len() / 2..]);
    let options = RunOptions {
        step_budget: 5_000,
        invalidated: c.chance(12),
    };
    jit_testkit::with_externs(|externs| {
        gen::steer_guards(&mut trace, &inputs, &memory, externs, options, &mut c, 4)
    });
    (trace, inputs, memory, options)
}

/// Runs the fuzzer for `seconds` on `jobs` threads over `triples`, from `seed`; with
/// `gc_stress`, every trace with objects runs in the collector's stress mode.
pub fn run(
    seconds: Duration,
    triples: &[String],
    seed: u64,
    jobs: usize,
    gc_stress: bool,
    progress: bool,
) -> Result<Report, String> {
    // Fail early on a bad triple.
    for t in triples {
        crate::targets::target(t).map_err(|e| e.to_string())?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let traces = Arc::new(AtomicU64::new(0));
    let report = Arc::new(Mutex::new(Report {
        per_target: triples
            .iter()
            .map(|t| (t.clone(), 0, BTreeSet::new()))
            .collect(),
        ..Report::default()
    }));
    let start = Instant::now();
    let workers: Vec<_> = (0..jobs.max(1))
        .map(|job| {
            let (stop, traces, report, triples) = (
                stop.clone(),
                traces.clone(),
                report.clone(),
                triples.to_vec(),
            );
            std::thread::spawn(move || {
                let targets: Vec<_> = triples
                    .iter()
                    .map(|t| crate::targets::target(t).expect("checked"))
                    .collect();
                let mut rng = Rng(seed ^ (job as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
                let mut local = Report {
                    per_target: triples
                        .iter()
                        .map(|t| (t.clone(), 0, BTreeSet::new()))
                        .collect(),
                    ..Report::default()
                };
                let corpus = crate::pypy::imported_corpus();
                while !stop.load(Ordering::Relaxed) {
                    // One case in eight starts from a real trace: a tree of the corpus of
                    // PyPy logs, mutated, on a heap steered for it, in one of the three GC
                    // configurations.
                    if !corpus.is_empty() && rng.next().is_multiple_of(8) {
                        let case_seed = rng.next();
                        jit_core::gcrun::set_gc_config(match (gc_stress, rng.next() % 3) {
                            (true, _) | (false, 2) => jit_core::gcrun::STRESS_GC,
                            (false, 1) => jit_core::gcrun::SMALL_GC,
                            _ => jit_core::gcrun::DEFAULT_GC,
                        });
                        local.traces += 1;
                        traces.fetch_add(1, Ordering::Relaxed);
                        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            crate::pypy::fuzz_case(&corpus, case_seed, &triples)
                        }));
                        match ran {
                            Ok(Ok(m)) => {
                                local.corpus.0 += 1;
                                local.corpus.1 += m.compared;
                            }
                            Ok(Err(d)) => local.divergences.push(d),
                            Err(_) => local.divergences.push(format!(
                                "# a panic on a corpus case (fuzz seed {case_seed})"
                            )),
                        }
                        continue;
                    }
                    // Mostly short byte strings; one in eight long enough for a wide trace
                    // (hundreds of inputs) to have random types, constants and a body, and
                    // one in 64 for a long one (thousands of ops).
                    let most = match rng.next() % 64 {
                        0 => 40_000,
                        1..=7 => 8000,
                        _ => 800,
                    };
                    let len = (rng.next() % most) as usize;
                    let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                    let (trace, inputs, memory, options) = case(&bytes);
                    local.traces += 1;
                    traces.fetch_add(1, Ordering::Relaxed);
                    // Traces with objects run in one of three heaps: the default one, one
                    // whose 1 KiB nursery makes minor collections constant, or stress mode.
                    let has_objects = !trace.objects.is_empty();
                    let heap = match (has_objects, gc_stress) {
                        (false, _) => 0,
                        (true, true) => 2,
                        (true, false) => rng.next() % 3,
                    };
                    let stress = heap == 2;
                    jit_core::gcrun::set_gc_config(match heap {
                        1 => jit_core::gcrun::SMALL_GC,
                        2 => jit_core::gcrun::STRESS_GC,
                        _ => jit_core::gcrun::DEFAULT_GC,
                    });
                    // A panic anywhere below is a bug too: reported with its trace, and the
                    // thread goes on.
                    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let want = match expect(&trace, &inputs, &memory, options) {
                            Ok(w) => w,
                            Err(_) => {
                                local.skipped += 1;
                                return;
                            }
                        };
                        if want.outcome.kind == jit_core::interp::ExitKind::Finish {
                            local.finished += 1;
                        }
                        local.steps += want.outcome.steps;
                        local.objects.0 += has_objects as u64;
                        local.objects.1 += stress as u64;
                        local.calls.count(&trace);
                        let mut agreed = true;
                        for (k, target) in targets.iter().enumerate() {
                            match compare_to(&**target, &trace, &inputs, &memory, options, &want) {
                                Ok(_) => {
                                    local.per_target[k].1 += 1;
                                    local.per_target[k]
                                        .2
                                        .extend(trace.ops.iter().map(|o| o.opcode));
                                }
                                Err(_) => {
                                    agreed = false;
                                    // Shrunk on this target, ready to save as a regression.
                                    local.divergences.push(shrink::divergence(
                                        &**target, &trace, &inputs, &memory, options,
                                    ));
                                }
                            }
                        }
                        // A run that left through a guard grows a tree: bridges on the guards
                        // that fail, compared on every target (one heap for the whole run).
                        if agreed && want.outcome.kind == jit_core::interp::ExitKind::Guard {
                            match grow(&targets, &trace, &inputs, &memory, options, rng.next(), 3) {
                                Ok(g) if g.bridges == 0 => {}
                                Ok(g) => {
                                    local.trees += 1;
                                    local.bridges += g.bridges;
                                    local.further_loops.0 += g.further_loop as u64;
                                    local.further_loops.1 += g.entered_loop as u64;
                                    local.invalidated_after += g.invalidated_after as u64;
                                }
                                Err(d) => local.divergences.push(d),
                            }
                        }
                    }));
                    if let Err(p) = ran {
                        let what = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        local.divergences.push(format!(
                            "# a panic: {what}\n# args: {}\n{}",
                            args_text(&inputs),
                            jit_core::text::print(&trace)
                        ));
                    }
                }
                let mut r = report.lock().expect("not poisoned");
                r.traces += local.traces;
                r.skipped += local.skipped;
                r.finished += local.finished;
                r.trees += local.trees;
                r.bridges += local.bridges;
                r.further_loops.0 += local.further_loops.0;
                r.further_loops.1 += local.further_loops.1;
                r.invalidated_after += local.invalidated_after;
                r.steps += local.steps;
                r.objects.0 += local.objects.0;
                r.objects.1 += local.objects.1;
                r.calls.add(local.calls);
                r.corpus.0 += local.corpus.0;
                r.corpus.1 += local.corpus.1;
                r.divergences.extend(local.divergences);
                for (all, mine) in r.per_target.iter_mut().zip(local.per_target) {
                    all.1 += mine.1;
                    all.2.extend(mine.2);
                }
            })
        })
        .collect();
    let deadline = start + seconds;
    let mut last = 0;
    while Instant::now() < deadline {
        std::thread::sleep(
            Duration::from_millis(250).min(deadline.saturating_duration_since(Instant::now())),
        );
        let n = traces.load(Ordering::Relaxed);
        if progress && n != last {
            let secs = start.elapsed().as_secs_f64();
            eprint!("\rfuzz: {n} traces, {:.0}/s ", n as f64 / secs.max(1e-9));
            last = n;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join()
            .map_err(|_| "a fuzzing thread panicked".to_string())?;
    }
    if progress {
        eprintln!();
    }
    let mut r = std::mem::take(&mut *report.lock().expect("not poisoned"));
    r.elapsed = start.elapsed();
    Ok(r)
}

/// What growing one tree did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Growth {
    /// Bridges attached and compared on every target.
    pub bridges: u64,
    /// Whether the tree got a further loop.
    pub further_loop: bool,
    /// Whether a run entered the further loop (through a bridge's jump).
    pub entered_loop: bool,
    /// Whether the tree was also run invalidated at one of its run's jumps, and agreed.
    pub invalidated_after: bool,
}

/// The step budget of tree runs in the fuzzer (single traces get 5,000).
pub const TREE_STEP_BUDGET: u64 = 1_500;

/// Grows a tree from `trace` on every target: up to `depth` times, a bridge
/// ([`jit_testkit::tree::bridge`], shaped by `salt`) for the guard the last run failed at is
/// compiled for each target from that target's guard state and attached, and the tree runs
/// again on each and in the interpreter (root, then bridges). One tree in three first gets
/// a further loop (a generated trace with a label) that bridges may jump into. Returns what
/// grew, or a divergence: the tree and the inputs as a tree file.
fn grow(
    targets: &[Box<dyn Target>],
    trace: &jit_core::Trace,
    inputs: &[Scalar],
    memory: &Memory,
    options: RunOptions,
    salt: u64,
    depth: u32,
) -> Result<Growth, String> {
    use jit_core::backend::CompileError;
    use jit_core::compile::{compile, compile_bridge, compile_loop, CompileOptions};
    use jit_core::interp::ExitKind;
    use jit_testkit::tree::{bridge, bridge_to_loop, InterpTree, TreeRunner};
    // A bridge back into the loop often makes it endless: a lower budget keeps those runs
    // (compared all the same: every target must stop at the same jump) from dominating.
    let options = RunOptions {
        step_budget: options.step_budget.min(TREE_STEP_BUDGET),
        ..options
    };
    jit_testkit::with_externs(|externs| {
        let mut trees: Vec<Box<dyn TreeRunner + '_>> = Vec::new();
        for target in targets {
            let Ok(root) = compile(target.backend(), trace, externs, CompileOptions::default())
            else {
                return Ok(Growth::default());
            };
            match target.load_tree(root.code, trace) {
                Ok(t) => trees.push(t),
                Err(_) => return Ok(Growth::default()),
            }
        }
        let mut parts = vec![trace.clone()];
        let mut map = std::collections::HashMap::new();
        let mut grown = Growth::default();
        // A tree file: `tracejit run` takes it as it is.
        let report = |parts: &[jit_core::Trace],
                      map: &std::collections::HashMap<(usize, jit_core::ExitId), usize>,
                      why: String| {
            format!(
                "# a tree diverged: {}\n# args: {}\n{}",
                why.replace('\n', "\n# "),
                args_text(inputs),
                jit_testkit::tree::tree_text(parts, map)
            )
        };
        // One tree in three gets a further loop, which bridges may jump into.
        if salt % 3 == 1 {
            if let Some(l) = further_loop(&trees[0].exits().parts[0], salt) {
                let mut codes = Vec::new();
                for (target, tree) in targets.iter().zip(&trees) {
                    let into = tree.exits().loop_in();
                    match compile_loop(
                        target.backend(),
                        &l,
                        externs,
                        CompileOptions::default(),
                        into,
                    ) {
                        Ok(c) => codes.push(c.code),
                        // Calls needing more stack than the root reserved, on some target.
                        Err(CompileError::BridgeMismatch(_)) => break,
                        Err(e) => {
                            return Err(report(
                                &[trace.clone(), l],
                                &map,
                                format!("{}: {e}", target.name()),
                            ))
                        }
                    }
                }
                if codes.len() == trees.len() {
                    for ((target, tree), code) in targets.iter().zip(trees.iter_mut()).zip(codes) {
                        tree.add_loop(code).map_err(|e| {
                            report(
                                &[trace.clone(), l.clone()],
                                &map,
                                format!("{}: adding the loop: {e}", target.name()),
                            )
                        })?;
                    }
                    parts.push(l);
                    grown.further_loop = true;
                }
            }
        }
        for level in 0..depth {
            let oracle = InterpTree {
                parts: &parts,
                bridges: &map,
            };
            let Ok((part, out)) = oracle.run(inputs, &mut memory.clone(), externs, options) else {
                break;
            };
            if out.kind != ExitKind::Guard {
                break;
            }
            let types: Vec<_> = out.values.iter().map(|v| v.ty()).collect();
            // The label a jumping bridge goes to: mostly its own loop's header, sometimes
            // (by token) another label, such as a peeled loop's first or a label of another
            // loop of the tree.
            let target_label = trees.first().and_then(|t| {
                let x = t.exits();
                let loops: Vec<usize> = (0..x.parts.len()).filter(|&p| x.loop_of[p] == p).collect();
                let own = x.parts[x.loop_of.get(part).copied().unwrap_or(0)].loop_header();
                let r = (salt >> (8 * level + 4)) as usize;
                // Half the time into another loop of the tree, if it has one.
                let other: Vec<_> = loops
                    .iter()
                    .filter(|&&p| Some(p) != x.loop_of.get(part).copied())
                    .flat_map(|&p| &x.parts[p].labels)
                    .collect();
                let labels: Vec<_> = if r & 1 == 1 && !other.is_empty() {
                    other
                } else {
                    loops.iter().flat_map(|&p| &x.parts[p].labels).collect()
                };
                let k = (r >> 1) % (labels.len() + 2);
                labels
                    .get(k)
                    .copied()
                    .or(own)
                    .map(|l| (l.token, l.header && own == Some(l), l.types.clone()))
            });
            let loop_types = target_label.as_ref().map(|(_, _, t)| t.clone());
            // Mostly a generated bridge (any operation, memory through the buffer if the
            // guard passes it; finishing, or jumping back to the root's loop); now and then
            // the fixed shapes of `tree::bridge` and `tree::bridge_to_loop`.
            let pick = salt >> (8 * level);
            let b = if pick.is_multiple_of(8) {
                match &loop_types {
                    Some(l) if pick & 0x100 != 0 => bridge_to_loop(&types, l, pick as u32),
                    _ => bridge(&types, pick as u32),
                }
            } else {
                let buffer = memory.buffers().first().map(|b| b.addr);
                let at = out
                    .values
                    .iter()
                    .position(|v| matches!(v, Scalar::Ref(a) if Some(*a) == buffer && *a != 0));
                let mut rng =
                    Rng(salt ^ (level as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
                let bytes: Vec<u8> = (0..(rng.next() % 600) as usize)
                    .map(|_| rng.next() as u8)
                    .collect();
                jit_testkit::gen::bridge(&bytes, &types, at, loop_types.as_deref(), &trace.objects)
            };
            // Exit ids unique across the tree, as a tree file has them.
            let mut b = b;
            if let (Some((token, false, _)), Some(jump)) = (
                &target_label,
                b.ops
                    .last_mut()
                    .filter(|o| o.opcode == jit_core::ir::Opcode::Jump),
            ) {
                jump.extra = jit_core::ir::Extra::Target(*token);
            }
            jit_testkit::tree::renumber_exits(&mut b, jit_testkit::tree::next_exit_id(&parts));
            for (target, tree) in targets.iter().zip(trees.iter_mut()) {
                let Some((at, from)) = tree.exits().bridge_from(part, out.exit) else {
                    return Err(report(
                        &parts,
                        &map,
                        format!("{}: no exit for the guard", target.name()),
                    ));
                };
                let code = match compile_bridge(
                    target.backend(),
                    &b,
                    externs,
                    CompileOptions::default(),
                    from,
                ) {
                    Ok(c) => c.code,
                    // A bridge whose calls need more stack than the root reserved.
                    Err(CompileError::BridgeMismatch(_)) => return Ok(grown),
                    // The tree file holds the bridge that failed, on its guard.
                    Err(e) => {
                        let (mut parts, mut map) = (parts.clone(), map.clone());
                        parts.push(b.clone());
                        map.insert((part, out.exit), parts.len() - 1);
                        return Err(report(
                            &parts,
                            &map,
                            format!("{}: bridge {}: {e}", target.name(), parts.len() - 1),
                        ));
                    }
                };
                tree.attach(at, code).map_err(|e| {
                    report(&parts, &map, format!("{}: attaching: {e}", target.name()))
                })?;
            }
            parts.push(b);
            map.insert((part, out.exit), parts.len() - 1);
            let oracle = InterpTree {
                parts: &parts,
                bridges: &map,
            };
            let mut want_mem = memory.clone();
            let mut path = Vec::new();
            let ran = oracle.run_path(inputs, &mut want_mem, externs, options, &mut path);
            grown.entered_loop |= grown.further_loop && path.contains(&1);
            let want = match ran {
                Ok(w) => Some(w),
                // A bridge back to the loop can make it endless: every target must stop at
                // the same jump, with the same memory.
                Err(jit_core::interp::InterpError::StepBudget { .. }) => None,
                Err(_) => break,
            };
            for (target, tree) in targets.iter().zip(trees.iter_mut()) {
                let mut got_mem = memory.clone();
                let got = tree.run(inputs, &mut got_mem, options);
                let same = match (&want, &got) {
                    (Some((wp, w)), Ok((p, o))) => jit_testkit::same_tree_run(
                        &want_mem,
                        Some((*wp, w)),
                        &got_mem,
                        Some((*p, o)),
                    ),
                    (None, Err(jit_core::runtime::RunError::StepBudget { .. })) => {
                        jit_testkit::same_tree_run(&want_mem, None, &got_mem, None)
                    }
                    _ => false,
                };
                if !same {
                    let got = match got {
                        Ok((p, o)) => format!("part {p} {o}"),
                        Err(e) => e.to_string(),
                    };
                    // Shrink the tree on the target that diverged, part by part.
                    let small = jit_testkit::tree::shrink_tree(
                        &**target, &parts, &map, inputs, memory, options, 300,
                    );
                    let why = jit_testkit::tree::tree_divergence(
                        &**target, &small, &map, inputs, memory, options,
                    )
                    .unwrap_or_else(|| format!("bridge {level} on {}: {got:?}", target.name()));
                    return Err(report(&small, &map, why));
                }
            }
            grown.bridges += 1;
        }
        // Half the grown trees that loop are invalidated at one of the jumps a run makes
        // (`tracejit run --invalidate-after N`): every target stops there, is patched and
        // goes on from an entry to that jump's label.
        if grown.bridges > 0 && (salt >> 40) & 1 == 1 {
            let oracle = InterpTree {
                parts: &parts,
                bridges: &map,
            };
            let Ok((_, _, jumps)) = oracle.run_counted(
                inputs,
                &mut memory.clone(),
                externs,
                options,
                &mut Vec::new(),
            ) else {
                return Ok(grown);
            };
            if jumps == 0 {
                return Ok(grown);
            }
            let n = 1 + (salt >> 41) % jumps;
            let mut want_mem = memory.clone();
            let want = oracle.run_invalidated_after(inputs, &mut want_mem, externs, options, n);
            for (target, tree) in targets.iter().zip(trees.iter_mut()) {
                let mut got_mem = memory.clone();
                let got = jit_testkit::tree::run_invalidated_after(
                    target.backend(),
                    &mut **tree,
                    inputs,
                    &mut got_mem,
                    options,
                    n,
                );
                let same = match (&want, &got) {
                    (Ok((wp, w)), Ok((p, o))) => jit_testkit::same_tree_run(
                        &want_mem,
                        Some((*wp, w)),
                        &got_mem,
                        Some((*p, o)),
                    ),
                    (
                        Err(jit_core::interp::InterpError::StepBudget { .. }),
                        Err(jit_core::runtime::RunError::StepBudget { .. }),
                    ) => jit_testkit::same_tree_run(&want_mem, None, &got_mem, None),
                    (Err(_), _) => return Ok(grown),
                    _ => false,
                };
                if !same {
                    return Err(report(
                        &parts,
                        &map,
                        format!(
                            "invalidated after {n} jumps (--invalidate-after {n}) on {}: \
                             interpreter {want:?}, target {got:?}",
                            target.name()
                        ),
                    ));
                }
            }
            grown.invalidated_after = true;
        }
        Ok(grown)
    })
}

/// A further loop for the tree of `root`, drawn from `salt`: a generated trace with a
/// label, its labels given tokens the root's labels do not have. `None` if the draw has no
/// label.
fn further_loop(root: &jit_core::backend::CompiledTrace, salt: u64) -> Option<jit_core::Trace> {
    use jit_core::ir::{Extra, Opcode};
    let mut rng = Rng(salt.rotate_left(17) ^ 0x5851_f42d_4c95_7f2d | 1);
    // A few draws: about half of all generated traces loop.
    let mut t = (0..4).find_map(|_| {
        let bytes: Vec<u8> = (0..200 + (rng.next() % 600) as usize)
            .map(|_| rng.next() as u8)
            .collect();
        let (t, _) = gen::trace(&bytes);
        // (A further loop has no object types of its own: the tree's are the root's.)
        t.label_index().filter(|_| t.objects.is_empty()).map(|_| t)
    })?;
    let base = root.labels.iter().map(|l| l.token + 1).max().unwrap_or(0) + 100;
    let tokens: Vec<(u32, u32)> = (0..t.ops.len())
        .filter(|&i| t.ops[i].opcode == Opcode::Label)
        .enumerate()
        .map(|(k, i)| (t.label_token(i), base + k as u32))
        .collect();
    let new = |old: u32| tokens.iter().find(|&&(o, _)| o == old).map(|&(_, n)| n);
    let labels: Vec<usize> = (0..t.ops.len())
        .filter(|&i| t.ops[i].opcode == Opcode::Label)
        .collect();
    for (k, i) in labels.into_iter().enumerate() {
        t.ops[i].extra = Extra::Target(tokens[k].1);
    }
    if let Some(j) = t.ops.last_mut().filter(|o| o.opcode == Opcode::Jump) {
        if let Extra::Target(old) = j.extra {
            j.extra = Extra::Target(new(old)?);
        }
    }
    jit_core::verify(&t).ok()?;
    Some(t)
}

/// Inputs as an `# args:` line.
fn args_text(inputs: &[Scalar]) -> String {
    inputs
        .iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

thread_local! {
    static TARGETS: Vec<Box<dyn Target>> = crate::targets::SUPPORTED
        .iter()
        .map(|t| crate::targets::target(t).expect("a supported triple"))
        .collect();
}

/// The body of the `differential` fuzz target: `data` picks a trace (the test kit's
/// generator), which runs in the interpreter and on every supported target; a run that
/// leaves through a guard grows a tree of bridges compared the same way. `Err` is a
/// divergence, shrunk and printed as a regression trace (a tree's is printed whole).
pub fn differential(data: &[u8]) -> Result<(), String> {
    let (trace, inputs, memory, options) = case(data);
    // A trace the interpreter stops on (a loop out of budget) has nothing to compare.
    let Ok(want) = expect(&trace, &inputs, &memory, options) else {
        return Ok(());
    };
    TARGETS.with(|targets| {
        for target in targets {
            if compare_to(&**target, &trace, &inputs, &memory, options, &want).is_err() {
                return Err(shrink::divergence(
                    &**target, &trace, &inputs, &memory, options,
                ));
            }
        }
        if want.outcome.kind == jit_core::interp::ExitKind::Guard {
            let salt = data.iter().fold(0u64, |h, &b| h.rotate_left(5) ^ b as u64);
            grow(targets, &trace, &inputs, &memory, options, salt, 3)?;
        }
        Ok(())
    })
}

/// The body of the `trees` fuzz target: `data` picks a trace; if the interpreter's run
/// leaves it through a guard, a tree of up to six bridges grows from it on every target
/// (each bridge out of the guard the last run failed at: finishing, or jumping back into
/// the loop), every run compared with the interpreter's. `Err` is a divergence, printed as
/// a shrunk tree file.
pub fn trees(data: &[u8]) -> Result<(), String> {
    trees_grown(data).map(|_| ())
}

/// [`trees`], returning what grew.
pub fn trees_grown(data: &[u8]) -> Result<Growth, String> {
    let (trace, inputs, memory, options) = case(data);
    let Ok(want) = expect(&trace, &inputs, &memory, options) else {
        return Ok(Growth::default());
    };
    if want.outcome.kind != jit_core::interp::ExitKind::Guard {
        return Ok(Growth::default());
    }
    let salt = data
        .iter()
        .fold(0x7ee5_u64, |h, &b| h.rotate_left(7) ^ b as u64);
    TARGETS.with(|targets| grow(targets, &trace, &inputs, &memory, options, salt, 6))
}

/// The body of the `parse` fuzz target: any text parses or fails with an error, never a
/// panic, and every trace it reads that verifies prints and reads back to itself.
pub fn parse(data: &[u8]) -> Result<(), String> {
    use jit_core::text::{parse, parse_args, print};
    let text = String::from_utf8_lossy(data);
    let _ = parse_args(&text);
    // Tree files too: never a panic, and a tree read back from its printed form is itself.
    if let Ok(tree) = jit_core::text::parse_tree(&text, &jit_core::Externs::standard()) {
        let printed = jit_core::text::print_tree(&tree);
        let back = jit_core::text::parse_tree(&printed, &jit_core::Externs::standard())
            .map_err(|e| format!("a printed tree does not parse: {e}\n{printed}"))?;
        if back.parts != tree.parts || back.grows_from != tree.grows_from {
            return Err(format!("a tree's round trip changed it:\n{printed}"));
        }
    }
    if let Ok(trace) = parse(&text) {
        let printed = print(&trace);
        if jit_core::verify(&trace).is_ok() {
            let back = parse(&printed)
                .map_err(|e| format!("printed text does not parse: {e}\n{printed}"))?;
            if back != trace || print(&back) != printed {
                return Err(format!("round trip changed the trace:\n{printed}"));
            }
        }
    }
    Ok(())
}

/// The `pypy_log` fuzz target's body: `data` as a PyPy log is read, imported and its trees
/// given heaps steered through their guards, never a panic; every imported part verifies,
/// and every tree's text reads back as the same tree.
pub fn pypy_log(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    let Ok(log) = jit_pypy::log::read(&text) else {
        return Ok(());
    };
    let im = jit_pypy::import::import_log(&log);
    for tree in &im.trees {
        for part in &tree.source.parts {
            jit_core::verify(part).map_err(|e| format!("{}: an imported part: {e}", tree.title))?;
        }
        let written = tree.text();
        let externs = jit_pypy::standin::externs(&tree.standins);
        let back = jit_core::text::parse_tree(&written, &externs)
            .map_err(|e| format!("{}: the written tree does not read: {e:?}", tree.title))?;
        if back.parts != tree.source.parts || back.grows_from != tree.source.grows_from {
            return Err(format!(
                "{}: the written tree reads back changed",
                tree.title
            ));
        }
        let mut heap = jit_pypy::heap::build(&im, tree, 1);
        for (part, trace) in tree.source.parts.iter().enumerate() {
            for op in (0..trace.ops.len())
                .filter(|&i| trace.ops[i].opcode.is_guard())
                .take(8)
            {
                jit_pypy::heap::steer(&im, tree, &mut heap, part, op, op % 2 == 0, 1);
            }
        }
    }
    Ok(())
}
