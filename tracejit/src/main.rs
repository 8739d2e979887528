//! `tracejit`: run, check and format traces from the command line.
//!
//! ```text
//! tracejit run examples/*.trace            # each with the inputs of its `# args:` line
//! tracejit run examples/sum.trace --args 10,0
//! tracejit run examples/sum.trace --target x86_64-unknown-linux-gnu --disasm
//! tracejit check FILE...                   # parse and verify, report every error
//! tracejit fmt FILE                        # print the canonical text form
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use jit_core::compile::{compile, CompileOptions};
use jit_core::interp::{run, RunOptions, DEFAULT_STEP_BUDGET};
use jit_core::text::{self, buffer_elements, default_args, parse_args, resolve_args};
use jit_core::{Memory, Trace};
use jit_testkit::Target;

/// `println!` that ends the program quietly when stdout is closed (`tracejit … | head`).
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// `print!` likewise.
macro_rules! put {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if write!(std::io::stdout().lock(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

#[derive(Parser)]
#[command(
    name = "tracejit",
    version,
    about = "A retargetable tracing-JIT backend: run and inspect traces"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run traces through the reference interpreter and show how each left.
    Run {
        /// Trace files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Inputs, e.g. "3, 4L, 1.5, null, i32[1, 2, 3], zeros(64)"; defaults to the
        /// file's `# args:` line.
        #[arg(long, allow_hyphen_values = true)]
        args: Option<String>,
        /// Operations executed before a run is stopped as a runaway loop.
        #[arg(long, default_value_t = DEFAULT_STEP_BUDGET)]
        budget: u64,
        /// Run as if the trace had been invalidated (guard_not_invalidated fails).
        #[arg(long)]
        invalidated: bool,
        /// Invalidate the tree at its N-th jump (N loop iterations, counting bridges' jumps
        /// to a loop): from the label that jump goes to on, every guard_not_invalidated
        /// fails. Compiled code stops at that jump, is patched, and goes on from there.
        #[arg(long, value_name = "N", conflicts_with = "invalidated")]
        invalidate_after: Option<u64>,
        /// Compile for this target triple and run the machine code (else interpret).
        #[arg(long)]
        target: Option<String>,
        /// With --target: print the machine code next to the IR ops it came from.
        #[arg(long, requires = "target")]
        disasm: bool,
    },
    /// Parse and verify traces, reporting every error with its line and column.
    Check {
        /// Trace files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Differential fuzzing: random traces in the interpreter and on every target.
    Fuzz {
        /// How long to run, in seconds (at most a year).
        #[arg(long, default_value = "10", value_parser = parse_seconds)]
        seconds: std::time::Duration,
        /// Targets (default: all).
        #[arg(long = "target")]
        targets: Vec<String>,
        /// Seed of the trace generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Threads (default: one per core).
        #[arg(long)]
        jobs: Option<usize>,
        /// Run every trace with GC objects in the collector's stress mode (every allocation
        /// collects and moves every object), not a third of them.
        #[arg(long)]
        gc_stress: bool,
    },
    /// The ARM-vs-x86 report: every benchmark kernel on every target, checked against the
    /// interpreter, then measured (compile time, code size, instructions per iteration
    /// next to gcc -O2, native time on the host); writes a table, CSV and an SVG chart.
    Bench {
        /// Kernels by name (default: all).
        #[arg(long = "kernel")]
        kernels: Vec<String>,
        /// Targets (default: all).
        #[arg(long = "target")]
        targets: Vec<String>,
        /// Where the CSV and the chart go.
        #[arg(long, default_value = "bench-results")]
        out: PathBuf,
    },
    /// Import PyPy's jit-log-opt logs (files, or folders of *.log) as tracejit trees: one
    /// per loop with its bridges, printed (or written to --out), every part not imported
    /// named with the operations it lacks.
    ImportPypy {
        /// Logs, or folders of them.
        #[arg(required = true)]
        logs: Vec<PathBuf>,
        /// Write each tree to DIR/<log>-loop<N>.trace instead of printing it.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Also run every tree on every target, on heaps steered through its guards, against
        /// the interpreter, and print the figures.
        #[arg(long)]
        check: bool,
    },
    /// Run the conformance suite on a target and report by operation family: how many of
    /// the cases using each family pass, which of its operations the target refuses, and
    /// where other failures are (for bringing up a new ISA op by op: a triple `target()`
    /// knows before it joins the supported ones)
    Conformance {
        /// The target triple
        #[arg(long = "target")]
        target: String,
    },
    /// Print a trace in the canonical text form.
    Fmt {
        /// The trace file.
        file: PathBuf,
    },
}

/// `tracejit import-pypy`: each log's trees printed or written, failures named; with
/// `check`, every tree run on every target against the interpreter.
fn import_pypy(paths: &[PathBuf], out: Option<&Path>, check: bool) -> bool {
    let logs = match tracejit::pypy::read_logs(paths) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("tracejit: {e}");
            return false;
        }
    };
    let mut ok = true;
    for (name, text) in &logs {
        let log = match jit_pypy::log::read(text) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("tracejit: {name}:{e}");
                ok = false;
                continue;
            }
        };
        let im = jit_pypy::import::import_log(&log);
        for f in &im.failures {
            eprintln!(
                "tracejit: {name}: part {} not imported: {}",
                f.part, f.error
            );
            ok = false;
        }
        for tree in &im.trees {
            let text = tree.text();
            match out {
                Some(dir) => {
                    let stem = name.trim_end_matches(".log");
                    let number = match &log.parts[tree.log_parts[0]].kind {
                        jit_pypy::log::PartKind::Loop { number, .. } => *number,
                        jit_pypy::log::PartKind::Bridge { .. } => 0,
                    };
                    let file = dir.join(format!("{stem}-loop{number}.trace"));
                    match std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&file, &text)) {
                        Ok(()) => say!("{}: {}", file.display(), tree.title),
                        Err(e) => {
                            eprintln!("tracejit: {}: {e}", file.display());
                            ok = false;
                        }
                    }
                }
                None => put!("{text}"),
            }
        }
    }
    if check {
        match tracejit::pypy::check_logs(&logs) {
            Ok(f) => {
                let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                say!("{}", tracejit::pypy::table(&f, &[], &names.join(" ")));
                ok &= f.parts_imported == f.parts
                    && f.targets
                        .iter()
                        .all(|t| t.agreeing == t.runs && t.parts_built == f.parts_imported);
            }
            Err(e) => {
                eprintln!("tracejit: {e}");
                ok = false;
            }
        }
    }
    ok
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ok = match cli.command {
        Command::Run {
            files,
            args,
            budget,
            invalidated,
            invalidate_after,
            target,
            disasm,
        } => {
            let options = RunOptions {
                step_budget: budget,
                invalidated,
            };
            let target = match target.as_deref().map(tracejit::targets::target).transpose() {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("tracejit: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let mut ok = true;
            for f in &files {
                ok &= run_file(
                    f,
                    args.as_deref(),
                    options,
                    invalidate_after,
                    target.as_deref(),
                    disasm,
                );
            }
            ok
        }
        Command::Check { files } => {
            let mut ok = true;
            for f in &files {
                if load(f).is_some() {
                    say!("{}: ok", f.display());
                } else {
                    ok = false;
                }
            }
            ok
        }
        Command::Bench {
            kernels,
            targets,
            out,
        } => {
            let targets = if targets.is_empty() {
                tracejit::targets::SUPPORTED
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            } else {
                targets
            };
            let opts = tracejit::bench::Options {
                kernels,
                targets: targets.clone(),
                progress: true,
            };
            let trees = tracejit::bench::run_tree_bench(&opts);
            match tracejit::bench::run_bench(&opts).and_then(|rows| Ok((rows, trees?))) {
                Ok((rows, trees)) => {
                    if !rows.is_empty() {
                        say!("{}", tracejit::bench::table(&rows, &targets));
                    }
                    if !trees.is_empty() {
                        say!("{}", tracejit::bench::tree_table(&trees));
                    }
                    match tracejit::bench::long_traces(&targets) {
                        Ok(long) => say!("{}", tracejit::bench::long_table(&long)),
                        Err(e) => eprintln!("tracejit: long traces: {e}"),
                    }
                    match tracejit::bench::gc_fast_paths(&targets) {
                        Ok(gc) => say!("{}", tracejit::bench::gc_table(&gc)),
                        Err(e) => eprintln!("tracejit: GC fast paths: {e}"),
                    }
                    match tracejit::pypy::corpus()
                        .and_then(|logs| tracejit::pypy::check_logs(&logs))
                    {
                        Ok(f) => say!("{}", tracejit::pypy::table(&f, &rows, "corpus/logs")),
                        Err(e) => eprintln!("tracejit: real traces: {e}"),
                    }
                    let written = std::fs::create_dir_all(&out)
                        .and_then(|_| {
                            std::fs::write(out.join("bench.csv"), tracejit::bench::csv(&rows))
                        })
                        .and_then(|_| {
                            std::fs::write(
                                out.join("bench.svg"),
                                tracejit::bench::svg(&rows, &targets),
                            )
                        });
                    match written {
                        Ok(()) => {
                            say!(
                                "wrote {} and {}",
                                out.join("bench.csv").display(),
                                out.join("bench.svg").display()
                            );
                            true
                        }
                        Err(e) => {
                            eprintln!("tracejit: cannot write to {}: {e}", out.display());
                            false
                        }
                    }
                }
                Err(e) => {
                    eprintln!("tracejit: {e}");
                    false
                }
            }
        }
        Command::Fuzz {
            seconds,
            targets,
            seed,
            jobs,
            gc_stress,
        } => {
            let targets = if targets.is_empty() {
                tracejit::targets::SUPPORTED
                    .iter()
                    .map(|t| t.to_string())
                    .collect()
            } else {
                targets
            };
            let jobs =
                jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            match tracejit::fuzz::run(seconds, &targets, seed, jobs, gc_stress, true) {
                Ok(r) => {
                    let secs = r.elapsed.as_secs_f64().max(1e-9);
                    say!(
                        "{} traces in {:.1} s on {jobs} thread(s): {:.0} traces/s ({:.0} per thread); {} stopped by the step budget",
                        r.traces,
                        secs,
                        r.traces as f64 / secs,
                        r.traces as f64 / secs / jobs as f64,
                        r.skipped
                    );
                    let compared = (r.traces - r.skipped).max(1);
                    say!(
                        "  {:.0}% of compared runs reached finish, the rest left through a guard; {:.1} ops executed per run",
                        100.0 * r.finished as f64 / compared as f64,
                        r.steps as f64 / compared as f64
                    );
                    say!(
                        "  {} trees grown from runs that left through a guard: {} bridges attached and run, agreeing on every target ({:.0} trees/s)",
                        r.trees,
                        r.bridges,
                        r.trees as f64 / secs
                    );
                    say!(
                        "  {} trees with a further loop, {} of them entered by a bridge's jump; {} trees also run invalidated after N jumps",
                        r.further_loops.0,
                        r.further_loops.1,
                        r.invalidated_after
                    );
                    say!(
                        "  {} traces with GC objects, {} of them in stress mode (every allocation collects and moves every object){}",
                        r.objects.0,
                        r.objects.1,
                        if gc_stress {
                            ""
                        } else {
                            ", about as many with a 1 KiB nursery"
                        }
                    );
                    say!(
                        "  {} calls in compared traces: {} to generated C callees, {} with narrow integers or floats, {} indirect",
                        r.calls.all,
                        r.calls.generated,
                        r.calls.narrow_or_single,
                        r.calls.indirect
                    );
                    say!(
                        "  {} cases from the corpus of PyPy logs (an imported tree mutated, on a steered heap): {} runs compared",
                        r.corpus.0,
                        r.corpus.1
                    );
                    for (t, runs, ops) in &r.per_target {
                        say!("  {t}: {runs} runs agreed, {} opcodes covered", ops.len());
                    }
                    for d in &r.divergences {
                        say!("{d}");
                    }
                    say!("{} divergence(s)", r.divergences.len());
                    r.divergences.is_empty()
                }
                Err(e) => {
                    eprintln!("tracejit: {e}");
                    false
                }
            }
        }
        Command::ImportPypy { logs, out, check } => import_pypy(&logs, out.as_deref(), check),
        Command::Conformance { target } => match tracejit::targets::target(&target) {
            Ok(t) => {
                let r = jit_testkit::families::report(&*t, &jit_testkit::cases::all_cases());
                println!("{r}");
                r.all_pass()
            }
            Err(e) => {
                eprintln!("tracejit: {e}");
                false
            }
        },
        Command::Fmt { file } => match load(&file) {
            Some(l) => {
                // The inputs line is part of the file's meaning: keep it.
                if let Some(args) = default_args(&l.src) {
                    put!("# args: {args}\n");
                }
                put!("{}", text::print_tree(&l.tree));
                true
            }
            None => false,
        },
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A duration in seconds for `--seconds`: a finite, non-negative number up to a year.
fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    let x: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(0.0..=366.0 * 86400.0).contains(&x) {
        return Err(format!(
            "{s} seconds is out of range (0 to 31622400, a year)"
        ));
    }
    std::time::Duration::try_from_secs_f64(x).map_err(|e| e.to_string())
}

/// A trace file as loaded: the trace (the root, if the file is a tree), its text, where
/// its parts stand, and the whole tree.
struct Loaded {
    trace: Trace,
    src: String,
    positions: text::Positions,
    tree: text::TreeSource,
}

/// Reads, parses and verifies a file, and checks its external functions against the
/// table `run` uses; reports errors on stderr.
fn load(path: &Path) -> Option<Loaded> {
    let src = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: cannot read: {e}", path.display());
            return None;
        }
    };
    match text::parse_tree(&src, &jit_testkit::externs()) {
        Ok(tree) => Some(Loaded {
            trace: tree.parts[0].clone(),
            positions: tree.positions[0].clone(),
            src,
            tree,
        }),
        Err(e) => {
            for (pos, msg) in e.errors() {
                match pos {
                    Some(p) => eprintln!("{}:{p}: {msg}", path.display()),
                    None => eprintln!("{}: {msg}", path.display()),
                }
            }
            None
        }
    }
}

fn run_file(
    path: &Path,
    args: Option<&str>,
    options: RunOptions,
    invalidate_after: Option<u64>,
    target: Option<&dyn Target>,
    disasm: bool,
) -> bool {
    let Some(Loaded {
        trace,
        src,
        positions,
        tree,
    }) = load(path)
    else {
        return false;
    };
    let args = args.or(default_args(&src)).unwrap_or("");
    if tree.parts.len() > 1 {
        let ops: usize = tree.parts.iter().map(|p| p.ops.len()).sum();
        let n = tree.grows_from.iter().filter(|g| g.is_some()).count();
        let loops = tree.parts.len() - 1 - n;
        let count = |k: usize, what: &str| format!("{k} {what}{}", if k == 1 { "" } else { "s" });
        let further = if loops > 0 {
            format!(", {}", count(loops, "further loop"))
        } else {
            String::new()
        };
        say!(
            "{} (a tree: the root{further} and {}, {ops} ops) args: {args}",
            path.display(),
            count(n, "bridge")
        );
    } else {
        say!("{} ({} ops) args: {args}", path.display(), trace.ops.len());
    }
    let fail = |msg: String| {
        eprintln!("{}: {msg}", path.display());
        false
    };
    let specs = match parse_args(args) {
        Ok(s) => s,
        Err(e) => return fail(format!("in the inputs, {e}")),
    };
    let mut memory = Memory::new();
    let inputs = match resolve_args(&specs, &trace, &mut memory) {
        Ok(i) => i,
        Err(e) => return fail(e.to_string()),
    };
    // A run invalidated after N jumps runs as a tree, even of one trace.
    let result = match (target, tree.parts.len() > 1 || invalidate_after.is_some()) {
        (None, false) => run(
            &trace,
            &inputs.values,
            &mut memory,
            &jit_testkit::externs(),
            options,
        )
        .map(|o| (None, o))
        .map_err(|e| e.to_string()),
        (Some(t), false) => {
            run_on(t, &trace, &inputs.values, &mut memory, options, disasm).map(|o| (None, o))
        }
        (None, true) => {
            let bridges = tree.bridges();
            let oracle = jit_testkit::tree::InterpTree {
                parts: &tree.parts,
                bridges: &bridges,
            };
            let externs = jit_testkit::externs();
            match invalidate_after {
                Some(n) => {
                    oracle.run_invalidated_after(&inputs.values, &mut memory, &externs, options, n)
                }
                None => oracle.run(&inputs.values, &mut memory, &externs, options),
            }
            .map(|(p, o)| (Some(p), o))
            .map_err(|e| e.to_string())
        }
        (Some(t), true) => run_tree_on(
            t,
            &tree,
            &inputs.values,
            &mut memory,
            options,
            invalidate_after,
            disasm,
        )
        .map(|(p, o)| (Some(p), o)),
    };
    match result {
        Ok((part, out)) => {
            match part {
                Some(0) => say!("  in the root: {}", out.tree_text()),
                Some(p) if tree.grows_from[p].is_none() => {
                    say!("  in loop {p}: {}", out.tree_text())
                }
                Some(p) => say!("  in bridge {p}: {}", out.tree_text()),
                None => say!("  {out}"),
            }
            for b in &inputs.buffers {
                let (first, count) = buffer_elements(&memory, b, 16);
                let elems: Vec<String> = first
                    .iter()
                    .map(|x| match x {
                        jit_core::Scalar::I32(v) => v.to_string(),
                        jit_core::Scalar::I64(v) => v.to_string(),
                        other => other.to_string(),
                    })
                    .collect();
                let shown = if count > 16 {
                    format!("{}, ... ({count} elements)", elems.join(", "))
                } else {
                    elems.join(", ")
                };
                let name =
                    positions.inputs.get(b.input).cloned().unwrap_or_else(|| {
                        jit_core::verify::value_name(&trace, trace.inputs[b.input])
                    });
                say!("  {name} -> [{shown}]");
            }
            true
        }
        Err(e) => fail(e),
    }
}

/// Compiles a tree's root for `target`, then its further loops and bridges in file order
/// (each bridge from its guard's compiled state), optionally prints each part's code, runs it, and checks
/// part, outcome and memory against the interpreter running the tree.
fn run_tree_on(
    target: &dyn Target,
    tree: &text::TreeSource,
    inputs: &[jit_core::Scalar],
    memory: &mut Memory,
    options: RunOptions,
    invalidate_after: Option<u64>,
    disasm: bool,
) -> Result<(usize, jit_core::Outcome), String> {
    let externs = jit_testkit::externs();
    let name = target.name();
    let bridges = tree.bridges();
    let mut runner =
        jit_testkit::tree::build_tree(target, &tree.parts, &bridges, &externs, |k, c| {
            if disasm {
                match tree.grows_from[k] {
                    Some((_, guard)) => put!("# bridge {k}, out of Guard{}\n", guard.0),
                    None if k > 0 => put!("# loop {k}\n"),
                    None => {}
                }
                put!(
                    "{}",
                    tracejit::disasm::disassemble(c.trace(&tree.parts[k]), &c.code)
                );
            }
        })?;
    let oracle = jit_testkit::tree::InterpTree {
        parts: &tree.parts,
        bridges: &bridges,
    };
    let mut interp_memory = memory.clone();
    let (want_part, want) = match invalidate_after {
        Some(n) => oracle.run_invalidated_after(inputs, &mut interp_memory, &externs, options, n),
        None => oracle.run(inputs, &mut interp_memory, &externs, options),
    }
    .map_err(|e| format!("{e} (so the compiled code was not run)"))?;
    let mut want = want;
    let (got_part, got) = match invalidate_after {
        Some(n) => jit_testkit::tree::run_invalidated_after(
            target.backend(),
            &mut *runner,
            inputs,
            memory,
            options,
            n,
        ),
        None => runner.run(inputs, memory, options),
    }
    .map_err(|e| e.to_string())?;
    let mut got = got;
    interp_memory.canonicalize_objects(&mut want.values);
    memory.canonicalize_objects(&mut got.values);
    if want_part == got_part
        && want.same_exit_and_values(&got)
        && want.iterations == got.iterations
        && interp_memory.same_contents(memory)
    {
        say!("  on {name}: agrees with the interpreter");
        Ok((got_part, got))
    } else {
        Err(format!(
            "{name} disagrees with the interpreter:\n  target:      part {got_part} {}\n  interpreter: part {want_part} {}",
            got.tree_text(),
            want.tree_text()
        ))
    }
}

/// Compiles for `target`, optionally prints the code, runs it, and checks the result
/// against the interpreter.
fn run_on(
    target: &dyn Target,
    trace: &Trace,
    inputs: &[jit_core::Scalar],
    memory: &mut Memory,
    options: RunOptions,
    disasm: bool,
) -> Result<jit_core::Outcome, String> {
    let externs = jit_testkit::externs();
    let compiled = compile(target.backend(), trace, &externs, CompileOptions::default())
        .map_err(|e| format!("cannot compile for {}: {e}", target.name()))?;
    if disasm {
        put!(
            "{}",
            tracejit::disasm::disassemble(compiled.trace(trace), &compiled.code)
        );
    }
    // Compiled code runs only on inputs the interpreter ran cleanly: a trace whose run ends
    // in a memory error has no compiled behaviour (docs/ir.md §6), and one that exhausts
    // the budget would only do the same again.
    let mut interp_memory = memory.clone();
    let mut want = run(trace, inputs, &mut interp_memory, &externs, options)
        .map_err(|e| format!("{e} (so the compiled code was not run)"))?;
    let mut runner = target
        .load(compiled.code, trace)
        .map_err(|e| e.to_string())?;
    let mut got = runner
        .run(inputs, memory, options)
        .map_err(|e| e.to_string())?;
    // Objects compare as the graphs the values reach (docs/ir.md §10).
    interp_memory.canonicalize_objects(&mut want.values);
    memory.canonicalize_objects(&mut got.values);
    if want.same_result(&got) && interp_memory.same_contents(memory) {
        say!("  on {}: agrees with the interpreter", target.name());
        Ok(got)
    } else {
        Err(format!(
            "{} disagrees with the interpreter:\n  target:      {got}\n  interpreter: {want}",
            target.name()
        ))
    }
}
