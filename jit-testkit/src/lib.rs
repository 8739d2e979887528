//! tracejit's shared conformance suite: cases every backend runs with one call, each
//! compared with the reference interpreter, with the register-allocation checker on.
//!
//! ```ignore
//! // In a backend's tests:
//! jit_testkit::assert_conformance(&jit_testkit::NativeTarget::new(Box::new(MyBackend::new())));
//! ```
//!
//! A case is a trace in the text format with its inputs (`# args:` line). The families:
//! the examples; every row of the semantics table with constant operands and with input
//! operands; guards passing and failing with fail args of every type; more live values
//! than registers; calls with 0 to 16 arguments of mixed types; loops; memory accesses of
//! every width; and a 10,000-op trace. [`gen`] makes random traces for property tests.

#![warn(missing_docs)]

pub mod callees;
pub mod cases;
pub mod families;
pub mod garbage;
pub mod gen;
pub mod shapes;
pub mod shrink;
pub mod stack;
pub mod tree;

use std::fmt::Write;

use jit_core::backend::{Backend, CompiledTrace};
use jit_core::compile::{compile, CompileOptions};
use jit_core::interp::{run, InterpError, Outcome, RunOptions};
use jit_core::runtime::{NativeTrace, RunError, Runner};
use jit_core::text::{default_args, parse_args, parse_verified, resolve_args};
use jit_core::{Externs, Memory, Trace};

pub use cases::{all_cases, Case};

/// Where compiled code runs: a backend plus a way to load its code.
pub trait Target {
    /// A short name for reports.
    fn name(&self) -> String;
    /// The backend compiling for this target.
    fn backend(&self) -> &dyn Backend;
    /// Loads compiled code, ready to run.
    fn load(&self, code: CompiledTrace, trace: &Trace) -> Result<Box<dyn Runner>, RunError>;
    /// Loads a compiled root (from `trace`) as a tree that bridges can be attached to.
    fn load_tree(
        &self,
        root: CompiledTrace,
        trace: &Trace,
    ) -> Result<Box<dyn tree::TreeRunner + '_>, RunError>;
}

/// A backend for this machine, whose code runs natively.
pub struct NativeTarget {
    backend: Box<dyn Backend>,
}

impl NativeTarget {
    /// Wraps a backend for the host.
    pub fn new(backend: Box<dyn Backend>) -> NativeTarget {
        NativeTarget { backend }
    }
}

impl Target for NativeTarget {
    fn name(&self) -> String {
        format!("{} (native)", self.backend.name())
    }
    fn backend(&self) -> &dyn Backend {
        &*self.backend
    }
    fn load(&self, code: CompiledTrace, trace: &Trace) -> Result<Box<dyn Runner>, RunError> {
        let types = trace.inputs.iter().map(|&v| trace.ty(v)).collect();
        Ok(Box::new(NativeTrace::load(code, types)?))
    }
    fn load_tree(
        &self,
        root: CompiledTrace,
        trace: &Trace,
    ) -> Result<Box<dyn tree::TreeRunner + '_>, RunError> {
        let types = trace.inputs.iter().map(|&v| trace.ty(v)).collect();
        Ok(Box::new(tree::Native {
            backend: &*self.backend,
            tree: jit_core::tree::NativeTree::new(&*self.backend, root, types)?,
        }))
    }
}

/// Every external function a case may call: the standard ones, [`callees`], and the
/// legalization helpers (so legalized traces run too).
pub fn externs() -> Externs {
    let mut t = Externs::standard();
    callees::register(&mut t);
    shapes::register(&mut t);
    garbage::register(&mut t);
    stack::register(&mut t);
    t.extend(&jit_core::legalize::helpers());
    t
}

/// What happened when a trace ran on a target and in the interpreter.
#[derive(Debug)]
pub enum Verdict {
    /// Both agree.
    Same(Outcome),
    /// The interpreter stopped with an error (memory, budget): nothing to compare.
    InterpreterError(InterpError),
}

thread_local! {
    /// [`externs`], built once per thread: the table is large and comparisons are many.
    static EXTERNS: Externs = externs();
}

/// Calls `f` with this thread's copy of [`externs`] (built once per thread).
pub fn with_externs<R>(f: impl FnOnce(&Externs) -> R) -> R {
    EXTERNS.with(f)
}

/// What the interpreter did with a trace: the reference a target is compared to.
#[derive(Debug)]
pub struct Expected {
    /// How the trace left.
    pub outcome: Outcome,
    /// The buffers afterwards.
    pub memory: Memory,
}

/// Runs `trace` on `inputs` (buffers already in `memory`) in the interpreter, once for
/// any number of [`compare_to`] calls.
pub fn expect(
    trace: &Trace,
    inputs: &[jit_core::Scalar],
    memory: &Memory,
    options: RunOptions,
) -> Result<Expected, InterpError> {
    let mut after = memory.clone();
    let outcome = EXTERNS.with(|ext| run(trace, inputs, &mut after, ext, options))?;
    Ok(Expected {
        outcome,
        memory: after,
    })
}

/// Runs `trace` on `inputs` (buffers already in `memory`) in the interpreter and on
/// `target`, and compares outcome, call log and memory. The error explains a mismatch.
pub fn compare(
    target: &dyn Target,
    trace: &Trace,
    inputs: &[jit_core::Scalar],
    memory: &Memory,
    options: RunOptions,
) -> Result<Verdict, String> {
    match expect(trace, inputs, memory, options) {
        Ok(want) => compare_to(target, trace, inputs, memory, options, &want).map(Verdict::Same),
        Err(e @ InterpError::StepBudget { .. }) => {
            compare_budget(target, trace, inputs, memory, options)?;
            Ok(Verdict::InterpreterError(e))
        }
        Err(e) => Ok(Verdict::InterpreterError(e)),
    }
}

/// The interpreter ran out of step budget on this run: the target must too, at the same
/// jump, with the same memory (every target counts the budget the interpreter's way).
fn compare_budget(
    target: &dyn Target,
    trace: &Trace,
    inputs: &[jit_core::Scalar],
    memory: &Memory,
    options: RunOptions,
) -> Result<(), String> {
    let mut m_interp = memory.clone();
    let _ = EXTERNS.with(|ext| run(trace, inputs, &mut m_interp, ext, options));
    let compiled = EXTERNS
        .with(|ext| compile(target.backend(), trace, ext, CompileOptions::default()))
        .map_err(|e| format!("compile error: {e}"))?;
    let mut runner = target
        .load(compiled.code, trace)
        .map_err(|e| format!("load error: {e}"))?;
    let mut m_target = memory.clone();
    match runner.run(inputs, &mut m_target, options) {
        // No values: no object is reachable from any (docs/ir.md §10).
        Err(RunError::StepBudget { .. })
            if {
                m_interp.canonicalize_objects(&mut []);
                m_target.canonicalize_objects(&mut []);
                m_interp.same_contents(&m_target)
            } =>
        {
            Ok(())
        }
        Err(RunError::StepBudget { .. }) => {
            Err("the step budget ran out in both, but memory differs".to_string())
        }
        Err(e) => Err(format!(
            "the interpreter ran out of step budget; the target: {e}"
        )),
        Ok(got) => Err(format!(
            "the interpreter ran out of step budget; the target left: {got}"
        )),
    }
}

/// Compiles `trace` for `target`, runs it on `inputs` (buffers already in `memory`) and
/// compares outcome, call log and memory with the interpreter's `want`. The error explains
/// a mismatch.
pub fn compare_to(
    target: &dyn Target,
    trace: &Trace,
    inputs: &[jit_core::Scalar],
    memory: &Memory,
    options: RunOptions,
    want: &Expected,
) -> Result<Outcome, String> {
    let compiled = EXTERNS
        .with(|ext| {
            compile(
                target.backend(),
                trace,
                ext,
                CompileOptions {
                    check_allocation: true,
                },
            )
        })
        .map_err(|e| format!("compile error: {e}"))?;
    let (m_interp, want) = (&want.memory, &want.outcome);
    let mut runner = target
        .load(compiled.code, trace)
        .map_err(|e| format!("load error: {e}"))?;
    let mut m_target = memory.clone();
    let mut got = runner
        .run(inputs, &mut m_target, options)
        .map_err(|e| format!("run error: {e}\n  interpreter: {want}"))?;
    // Objects compare as graphs reachable from the values (docs/ir.md §10).
    let (m_interp, want) = &canonical(m_interp, want);
    m_target.canonicalize_objects(&mut got.values);
    let mut why = String::new();
    if !want.same_result(&got) {
        let _ = write!(why, "\n  interpreter: {want}\n  target:      {got}");
        if want.calls != got.calls {
            let _ = write!(
                why,
                "\n  calls: interpreter {:?}\n         target      {:?}",
                want.calls, got.calls
            );
        }
    }
    if !m_interp.same_contents(&m_target) {
        for (a, b) in m_interp.buffers().iter().zip(m_target.buffers()) {
            if a.bytes != b.bytes {
                let _ = write!(
                    why,
                    "\n  memory at {:#x}: interpreter {:?}\n                   target      {:?}",
                    a.addr, a.bytes, b.bytes
                );
            }
        }
        if m_interp.objects() != m_target.objects() {
            let _ = write!(
                why,
                "\n  objects reached: interpreter {:?}\n                   target      {:?}",
                m_interp.objects(),
                m_target.objects()
            );
        }
    }
    if why.is_empty() {
        Ok(got)
    } else {
        Err(why)
    }
}

/// Whether a target's run of a tree agrees with the interpreter's as docs/ir.md §10 says:
/// the same part and exit, the same values and iterations, and the same memory, objects
/// compared as the graphs the values reach; `None` on a side that ran out of budget (both
/// must, and then only memory counts, with no object reachable).
pub fn same_tree_run(
    want_mem: &Memory,
    want: Option<(usize, &Outcome)>,
    got_mem: &Memory,
    got: Option<(usize, &Outcome)>,
) -> bool {
    let (mut wm, mut gm) = (want_mem.clone(), got_mem.clone());
    match (want, got) {
        (Some((wp, w)), Some((p, o))) => {
            let (mut w, mut o) = (w.clone(), o.clone());
            wm.canonicalize_objects(&mut w.values);
            gm.canonicalize_objects(&mut o.values);
            wp == p
                && w.same_exit_and_values(&o)
                && w.iterations == o.iterations
                && wm.same_contents(&gm)
        }
        (None, None) => {
            wm.canonicalize_objects(&mut []);
            gm.canonicalize_objects(&mut []);
            wm.same_contents(&gm)
        }
        _ => false,
    }
}

/// `memory` and `outcome` with the objects renumbered as the outcome's values reach them
/// (`Memory::canonicalize_objects`), so two runs' compare by equality.
pub fn canonical(memory: &Memory, outcome: &Outcome) -> (Memory, Outcome) {
    let (mut m, mut o) = (memory.clone(), outcome.clone());
    m.canonicalize_objects(&mut o.values);
    (m, o)
}

/// Runs one case on `target`; the error is a report ready to print.
pub fn check_case(target: &dyn Target, case: &Case) -> Result<(), String> {
    let report = |e: String| format!("case {} on {}: {e}\n{}", case.name, target.name(), case.src);
    let trace = parse_verified(&case.src).map_err(|e| report(format!("bad case: {e}")))?;
    let specs =
        parse_args(default_args(&case.src).unwrap_or("")).map_err(|e| report(e.to_string()))?;
    let mut memory = Memory::new();
    let inputs = resolve_args(&specs, &trace, &mut memory).map_err(|e| report(e.to_string()))?;
    let options = RunOptions {
        step_budget: case.budget,
        invalidated: case.invalidated,
    };
    // A trace with objects runs again in stress mode: every allocation collects and moves
    // every object.
    if !trace.objects.is_empty() {
        let stressed = jit_core::gcrun::with_gc_config(jit_core::gcrun::STRESS_GC, || {
            compare(target, &trace, &inputs.values, &memory, options)
        })
        .map_err(|e| report(format!("in stress mode: {e}")))?;
        if let Verdict::InterpreterError(e) = stressed {
            if !case.runs_out {
                return Err(report(format!("the interpreter fails the case: {e}")));
            }
        }
    }
    match compare(target, &trace, &inputs.values, &memory, options).map_err(report)? {
        Verdict::Same(out) if case.runs_out => Err(report(format!(
            "the case should run out of its budget, but left: {out}"
        ))),
        Verdict::Same(_) => Ok(()),
        // Compared: the target ran out of budget at the same jump.
        Verdict::InterpreterError(InterpError::StepBudget { .. }) if case.runs_out => Ok(()),
        Verdict::InterpreterError(e) => Err(report(format!("the interpreter fails the case: {e}"))),
    }
}

/// Runs `cases` on `target`; returns the number run, or every failure.
pub fn run_cases(target: &dyn Target, cases: &[Case]) -> Result<usize, Vec<String>> {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| check_case(target, c).err())
        .collect();
    if failures.is_empty() {
        Ok(cases.len())
    } else {
        Err(failures)
    }
}

/// Runs `cases` on `target` and panics with a report of all failures.
pub fn assert_cases(target: &dyn Target, cases: &[Case]) -> usize {
    match run_cases(target, cases) {
        Ok(n) => n,
        Err(f) => panic!(
            "{} conformance case(s) fail on {}:\n\n{}",
            f.len(),
            target.name(),
            f.join("\n\n")
        ),
    }
}

/// Runs every conformance case on `target`; returns the number run, or every failure.
pub fn run_conformance(target: &dyn Target) -> Result<usize, Vec<String>> {
    run_cases(target, &all_cases())
}

/// Runs every conformance case on `target` and panics with a report of all failures.
pub fn assert_conformance(target: &dyn Target) -> usize {
    assert_cases(target, &all_cases())
}

/// A backend with some of its answers changed, for tests: other capabilities (forcing
/// legalization passes on a target that does not need them) or a smaller frame limit.
pub struct Tweaked<B> {
    /// The backend doing the work.
    pub inner: B,
    /// Its name in reports.
    pub name: &'static str,
    /// Capabilities to claim instead of the backend's.
    pub capabilities: Option<jit_core::backend::Capabilities>,
    /// A frame limit to claim instead of the backend's.
    pub max_frame_slots: Option<u32>,
    /// Operations to refuse as unsupported, as a backend being brought up does.
    pub refuse: Option<fn(jit_core::ir::Opcode) -> bool>,
}

impl<B: Backend> Backend for Tweaked<B> {
    fn name(&self) -> &'static str {
        self.name
    }
    fn triple(&self) -> target_lexicon::Triple {
        self.inner.triple()
    }
    fn capabilities(&self) -> jit_core::backend::Capabilities {
        self.capabilities
            .unwrap_or_else(|| self.inner.capabilities())
    }
    fn registers(&self) -> &jit_core::backend::RegisterInfo {
        self.inner.registers()
    }
    fn max_frame_slots(&self) -> u32 {
        self.max_frame_slots
            .unwrap_or_else(|| self.inner.max_frame_slots())
    }
    fn constraints(
        &self,
        trace: &Trace,
        live: &jit_core::liveness::Liveness,
        index: usize,
        out: &mut jit_core::backend::OpConstraints,
    ) -> Result<(), jit_core::backend::CompileError> {
        let opcode = trace.ops[index].opcode;
        if self.refuse.is_some_and(|refuse| refuse(opcode)) {
            return Err(jit_core::backend::CompileError::Unsupported {
                op: index,
                opcode,
                reason: "refused by this test's backend".into(),
            });
        }
        self.inner.constraints(trace, live, index, out)
    }
    fn relocate(
        &self,
        reloc: &jit_core::emit::Reloc,
        code: &mut [u8],
        code_address: u64,
        address: u64,
    ) -> Result<(), jit_core::codebuf::FixupError> {
        self.inner.relocate(reloc, code, code_address, address)
    }
    fn jump_patch(&self, at: u64, target: u64) -> Result<Vec<u8>, jit_core::codebuf::FixupError> {
        self.inner.jump_patch(at, target)
    }
    fn branch_patch(
        &self,
        kind: u8,
        old: &[u8],
        at: u64,
        target: u64,
    ) -> Result<Vec<u8>, jit_core::codebuf::FixupError> {
        self.inner.branch_patch(kind, old, at, target)
    }
    fn emit(
        &self,
        trace: &Trace,
        live: &jit_core::liveness::Liveness,
        alloc: &jit_core::regalloc::Allocation,
        externs: &Externs,
        kind: jit_core::emit::EmitKind,
    ) -> Result<CompiledTrace, jit_core::backend::CompileError> {
        self.inner.emit(trace, live, alloc, externs, kind)
    }
}
