//! The reference interpreter: the oracle every backend is compared with.
//!
//! It runs a verified trace on inputs, a [`Memory`] and a table of [`Externs`], and returns
//! how the trace left (a `finish` or a failing guard, with its values), the number of
//! steps, and the log of calls. A step budget turns a runaway loop into an error.

use std::fmt;

use smallvec::SmallVec;

use crate::externs::Externs;
use crate::ir::{EntityRef, ExitId, Opcode, Operand, Scalar, Sig, Trace, Type, Value};
use crate::memory::{effective_address, Memory, MemoryError};
use crate::sem;
use crate::verify::{verify, VerifyErrors};

/// The default step budget: operations a run may execute (see [`RunOptions::step_budget`]).
pub const DEFAULT_STEP_BUDGET: u64 = 50_000_000;
/// Calls recorded in [`Outcome::calls`] at most; later ones are only counted.
pub const CALL_LOG_LIMIT: usize = 100_000;

/// How to run a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunOptions {
    /// Operations the run may execute, checked at the back edge: `jump` goes back to the
    /// label only if the whole next iteration fits in the budget, else the run stops with a
    /// step-budget error (after `jump` has been counted). A trace without a loop never
    /// stops this way. Every target counts the same way (docs/ir.md §1).
    pub step_budget: u64,
    /// Whether the trace counts as invalidated (`guard_not_invalidated` then fails).
    pub invalidated: bool,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            step_budget: DEFAULT_STEP_BUDGET,
            invalidated: false,
        }
    }
}

/// How a run left the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitKind {
    /// Through `finish`.
    Finish,
    /// Through a failing guard.
    Guard,
    /// Through a `jump` in a trace without a label: a bridge going on at the label of its
    /// tree's loop (docs/ir.md §7). Alone, the run ends there with the jump's values.
    Jump,
}

/// One call to an external function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecord {
    /// The function's name.
    pub name: String,
    /// The arguments.
    pub args: Vec<Scalar>,
    /// The result.
    pub result: Option<Scalar>,
}

/// The result of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Finish or guard.
    pub kind: ExitKind,
    /// The exit id of the `finish` or failing guard.
    pub exit: ExitId,
    /// The index of that operation.
    pub op: usize,
    /// The finish values, or the guard's fail-arg values.
    pub values: Vec<Scalar>,
    /// Operations executed.
    pub steps: u64,
    /// Times the `jump` was taken.
    pub iterations: u64,
    /// The first [`CALL_LOG_LIMIT`] calls, in order.
    pub calls: Vec<CallRecord>,
    /// All calls made.
    pub call_count: u64,
}

impl Outcome {
    /// Whether another outcome agrees with this one as docs/ir.md says results compare:
    /// same exit, same values (NaNs alike), same calls. Steps are not compared.
    pub fn same_result(&self, other: &Outcome) -> bool {
        let same = |a: &[Scalar], b: &[Scalar]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_result(*y))
        };
        self.same_exit_and_values(other)
            && self.call_count == other.call_count
            && self.calls.len() == other.calls.len()
            && self.calls.iter().zip(&other.calls).all(|(a, b)| {
                a.name == b.name
                    && same(&a.args, &b.args)
                    && same(a.result.as_slice(), b.result.as_slice())
            })
    }
}

impl Outcome {
    /// The same without the call log: same exit, same values (NaNs alike). For runs whose
    /// callees keep no log (GCC-built or emulated code reached by address).
    pub fn same_exit_and_values(&self, other: &Outcome) -> bool {
        self.kind == other.kind
            && self.exit == other.exit
            && self.values.len() == other.values.len()
            && self
                .values
                .iter()
                .zip(&other.values)
                .all(|(x, y)| x.same_result(*y))
    }
}

impl Outcome {
    /// The outcome of a tree's run as text: the exit and values, then the jumps the whole
    /// run made (`iterations`, counted tree-wide) and its calls; no step count, which only
    /// the interpreter knows across parts.
    pub fn tree_text(&self) -> String {
        let mut s = self.exit_text();
        s.push_str(&format!(" after {} jumps", self.iterations));
        if self.call_count > 0 {
            s.push_str(&format!(", {} calls", self.call_count));
        }
        s
    }

    /// How the run left, with its values.
    fn exit_text(&self) -> String {
        let values: Vec<String> = self.values.iter().map(|v| v.to_string()).collect();
        match self.kind {
            ExitKind::Finish => format!("finish [{}]", values.join(", ")),
            ExitKind::Guard => format!(
                "guard exit {} (op {}) failed with [{}]",
                self.exit,
                self.op,
                values.join(", ")
            ),
            ExitKind::Jump => format!(
                "jump (op {}) to the tree's loop with [{}]",
                self.op,
                values.join(", ")
            ),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.exit_text())?;
        write!(
            f,
            " after {} steps, {} iterations",
            self.steps, self.iterations
        )?;
        if self.call_count > 0 {
            write!(f, ", {} calls", self.call_count)?;
        }
        Ok(())
    }
}

/// Why a run could not finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InterpError {
    /// The trace does not verify.
    Invalid(VerifyErrors),
    /// The number of inputs differs from the trace's.
    InputCount {
        /// Inputs the trace takes.
        expected: usize,
        /// Inputs given.
        found: usize,
    },
    /// An input has the wrong type.
    InputType {
        /// Which input.
        index: usize,
        /// The trace's type.
        expected: Type,
        /// The given type.
        found: Type,
    },
    /// A load or store went outside memory or was misaligned.
    Memory {
        /// The operation.
        op: usize,
        /// What went wrong.
        error: MemoryError,
    },
    /// The step budget ran out: the trace loops too long or forever.
    StepBudget {
        /// The budget.
        steps: u64,
    },
    /// A declared external function does not fit the table (missing, another signature,
    /// a reserved name).
    Extern {
        /// The declaration's index in the trace's functions.
        decl: usize,
        /// What is wrong.
        error: crate::externs::ExternError,
    },
    /// A run was to start at a label the trace does not have.
    NoLabel,
    /// A GC primitive (`gc_alloc`, …), which only compiled code for one target runs.
    Lowered {
        /// The operation.
        op: usize,
        /// Its opcode.
        opcode: Opcode,
    },
    /// An object operation on something that is not an object of its type, an array index
    /// out of bounds, or a bad length.
    Object {
        /// The operation.
        op: usize,
        /// What went wrong.
        error: ObjectError,
    },
    /// An external function returned something other than its declared result.
    ExternResult {
        /// The operation.
        op: usize,
        /// The name.
        name: String,
    },
    /// An indirect call's callee is not the address of a function the trace declares with
    /// the call's signature.
    BadCallee {
        /// The operation.
        op: usize,
        /// The function whose signature the call uses.
        signature: String,
    },
}

impl fmt::Display for InterpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InterpError::Invalid(e) => write!(f, "the trace is not valid:\n{e}"),
            InterpError::InputCount { expected, found } => {
                write!(f, "the trace takes {expected} input(s), {found} given")
            }
            InterpError::InputType {
                index,
                expected,
                found,
            } => {
                write!(f, "input {index} must be {expected}, {found} given")
            }
            InterpError::Memory { op, error } => write!(f, "op {op}: {error}"),
            InterpError::Object { op, error } => write!(f, "op {op}: {error}"),
            InterpError::StepBudget { steps } => write!(
                f,
                "step budget of {steps} operations exhausted (a runaway loop?)"
            ),
            InterpError::Extern { error, .. } => write!(f, "{error}"),
            InterpError::NoLabel => write!(f, "the trace has no such label to start at"),
            InterpError::Lowered { op, opcode } => write!(
                f,
                "op {op}: {opcode} is a GC primitive of one target's layout, which the \
                 interpreter does not run"
            ),
            InterpError::ExternResult { op, name } => {
                write!(f, "op {op}: @{name} returned a value of the wrong type")
            }
            InterpError::BadCallee { op, signature } => write!(
                f,
                "op {op}: the callee is not a function the trace declares with {signature}'s signature"
            ),
        }
    }
}

impl std::error::Error for InterpError {}

/// Runs `trace` on `inputs`, reading and writing `memory`.
pub fn run(
    trace: &Trace,
    inputs: &[Scalar],
    memory: &mut Memory,
    externs: &Externs,
    options: RunOptions,
) -> Result<Outcome, InterpError> {
    let checked = Checked::new(trace, externs)?;
    let mut state = TreeState {
        jumps_left: u64::MAX,
        invalidated: options.invalidated,
        invalidate_at: None,
    };
    exec(
        checked.trace,
        Start::Inputs,
        inputs,
        memory,
        externs,
        options,
        Budget::Steps(&mut state),
    )
}

/// What went wrong with an object operation (docs/ir.md §6): compiled code would read or
/// write memory it must not, so the interpreter stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectError {
    /// The ref is null.
    Null,
    /// The ref is not an object (a buffer's address, or nothing).
    NotAnObject(u64),
    /// The object is of another type than the operation names.
    WrongType {
        /// The type the operation names.
        expected: String,
        /// The object's type.
        found: String,
    },
    /// An array index outside `0..length`.
    Index {
        /// The index.
        index: i32,
        /// The array's length.
        length: usize,
    },
    /// A negative array length, or one past what a memory may hold.
    Length(i32),
    /// The run allocated more than a memory may hold.
    HeapFull,
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectError::Null => write!(f, "the object is null"),
            ObjectError::NotAnObject(r) => write!(f, "{r:#x} is not an object"),
            ObjectError::WrongType { expected, found } => {
                write!(f, "the object is a {found}, not a {expected}")
            }
            ObjectError::Index { index, length } => {
                write!(f, "index {index} is outside the array's {length} items")
            }
            ObjectError::Length(n) => write!(f, "an array cannot have {n} items"),
            ObjectError::HeapFull => write!(
                f,
                "the run allocated more than {} fields and items",
                crate::memory::OBJECT_SLOT_LIMIT
            ),
        }
    }
}

impl std::error::Error for ObjectError {}

/// Runs object operation `o` of op `pc` on `args`: its result, or whether a class guard
/// passes (`Some(I32(1 or 0))`).
fn object_op(
    trace: &Trace,
    op: &crate::ir::Op,
    o: crate::ir::ObjOp,
    args: &[Scalar],
    memory: &mut Memory,
) -> Result<Option<Scalar>, ObjectError> {
    use crate::ir::{Extra, ObjOp};
    use crate::objects::{FieldType, ObjectKind};
    let name = |tid: u32| {
        (tid as usize)
            .checked_sub(1)
            .and_then(|k| trace.objects.get(k))
            .map_or(format!("type {tid}"), |d| d.name.clone())
    };
    let decl_of = |e: &Extra| match *e {
        Extra::Object(k) | Extra::Field { decl: k, .. } => k,
        _ => 0,
    };
    let k = decl_of(&op.extra);
    let tid = crate::objects::type_id(k as usize);
    let kind = trace.objects.get(k as usize).map(|d| &d.kind);
    // The object a ref names, checked to be of the descr's type.
    let get = |memory: &Memory, r: Scalar, want: u32| -> Result<usize, ObjectError> {
        let Scalar::Ref(a) = r else {
            return Err(ObjectError::NotAnObject(r.bits() as u64));
        };
        if a == 0 {
            return Err(ObjectError::Null);
        }
        let obj = memory.object(a).ok_or(ObjectError::NotAnObject(a))?;
        if obj.tid != want {
            return Err(ObjectError::WrongType {
                expected: name(want),
                found: name(obj.tid),
            });
        }
        Ok(obj.slots.len())
    };
    // A narrow field keeps only its bits, extended as it is read.
    let narrow = |t: FieldType, v: Scalar| match (t, v) {
        (FieldType::Mem(m), Scalar::I32(_)) => m.extend(v.bits() as u64),
        (_, v) => v,
    };
    let index = |i: Scalar, length: usize| match i {
        Scalar::I32(x) if x >= 0 && (x as usize) < length => Ok(x as usize),
        Scalar::I32(x) => Err(ObjectError::Index { index: x, length }),
        _ => Err(ObjectError::Index { index: -1, length }),
    };
    let r = |args: &[Scalar]| match args[0] {
        Scalar::Ref(a) => a,
        _ => 0,
    };
    Ok(match (o, kind) {
        (ObjOp::New, Some(ObjectKind::Struct(fields))) => {
            let slots = fields
                .iter()
                .map(|f| Scalar::zero(f.ty.value_type()))
                .collect();
            Some(Scalar::Ref(
                memory
                    .new_object(tid, slots, false)
                    .ok_or(ObjectError::HeapFull)?,
            ))
        }
        (ObjOp::NewArray, Some(ObjectKind::Array(item))) => {
            let n = match args[0] {
                Scalar::I32(n) if n >= 0 && n as u32 <= crate::gc::MAX_ARRAY_LENGTH => n,
                other => return Err(ObjectError::Length(other.bits() as i32)),
            };
            let slots = vec![Scalar::zero(item.value_type()); n as usize];
            Some(Scalar::Ref(
                memory
                    .new_object(tid, slots, true)
                    .ok_or(ObjectError::HeapFull)?,
            ))
        }
        (ObjOp::GetField(_), Some(ObjectKind::Struct(_))) => {
            get(memory, args[0], tid)?;
            let Extra::Field { field, .. } = op.extra else {
                unreachable!("verified: a field descr")
            };
            let obj = memory.object(r(args)).expect("checked above");
            Some(obj.slots[field as usize])
        }
        (ObjOp::SetField, Some(ObjectKind::Struct(fields))) => {
            get(memory, args[0], tid)?;
            let Extra::Field { field, .. } = op.extra else {
                unreachable!("verified: a field descr")
            };
            let v = narrow(fields[field as usize].ty, args[1]);
            memory.object_mut(r(args)).expect("checked above").slots[field as usize] = v;
            None
        }
        (ObjOp::GetItem(_), Some(ObjectKind::Array(_))) => {
            let n = get(memory, args[0], tid)?;
            let i = index(args[1], n)?;
            Some(memory.object(r(args)).expect("checked above").slots[i])
        }
        (ObjOp::SetItem, Some(ObjectKind::Array(item))) => {
            let n = get(memory, args[0], tid)?;
            let i = index(args[1], n)?;
            let v = narrow(*item, args[2]);
            memory.object_mut(r(args)).expect("checked above").slots[i] = v;
            None
        }
        (ObjOp::ArrayLen, Some(ObjectKind::Array(_))) => {
            let n = get(memory, args[0], tid)?;
            Some(Scalar::I32(n as i32))
        }
        (ObjOp::GuardClass | ObjOp::GuardNonnullClass, _) => {
            let Scalar::I32(class) = args[1] else {
                unreachable!("verified: a type id")
            };
            let a = r(args);
            if a == 0 {
                if o == ObjOp::GuardClass {
                    return Err(ObjectError::Null);
                }
                return Ok(Some(Scalar::I32(0)));
            }
            let obj = memory.object(a).ok_or(ObjectError::NotAnObject(a))?;
            Some(Scalar::I32((obj.tid == class as u32) as i32))
        }
        _ => unreachable!("verified: the descr names a declaration of the right kind"),
    })
}

/// What the parts of one run of a tree share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeState {
    /// Jumps left: each jump takes one, and a jump with none left stops the run with a
    /// step-budget error.
    pub jumps_left: u64,
    /// Whether the tree counts as invalidated now (`guard_not_invalidated` fails): from
    /// `RunOptions::invalidated`, or since a call to `@tracejit_invalidate` in this run.
    pub invalidated: bool,
    /// The tree becomes invalidated at the jump that leaves this many jumps (from the
    /// label that jump goes to on): `tracejit run --invalidate-after N`.
    pub invalidate_at: Option<u64>,
}

impl TreeState {
    /// The state a run of the tree whose root is `root` starts in under `options`.
    pub fn start(root: &Trace, options: RunOptions) -> TreeState {
        TreeState {
            jumps_left: jumps_allowed(root, options.step_budget),
            invalidated: options.invalidated,
            invalidate_at: None,
        }
    }

    /// [`TreeState::start`], the tree invalidated at its `n`-th jump (from the start if
    /// `n` is 0; never if the run may not make `n` jumps).
    pub fn invalidated_after(root: &Trace, options: RunOptions, n: u64) -> TreeState {
        let mut state = TreeState::start(root, options);
        state.invalidated |= n == 0;
        state.invalidate_at = state.jumps_left.checked_sub(n).filter(|_| n > 0);
        state
    }
}

/// The helper whose call invalidates the running tree for the rest of the run
/// (docs/ir.md §7): what breaks a compiled assumption in the middle of a run.
pub const INVALIDATE: &str = "tracejit_invalidate";

/// A trace the interpreter has checked against an `Externs` table (verified, its
/// declarations fitting the table): the parts of a tree are checked once and entered many
/// times.
#[derive(Clone, Copy, Debug)]
pub struct Checked<'a> {
    trace: &'a Trace,
}

impl<'a> Checked<'a> {
    /// Checks `trace` for runs with `externs`.
    pub fn new(trace: &'a Trace, externs: &Externs) -> Result<Checked<'a>, InterpError> {
        verify(trace).map_err(InterpError::Invalid)?;
        if let Err(mut errors) = externs.check_decls(trace) {
            let (decl, error) = errors.swap_remove(0);
            return Err(InterpError::Extern { decl, error });
        }
        Ok(Checked { trace })
    }

    /// The trace.
    pub fn trace(&self) -> &'a Trace {
        self.trace
    }
}

/// Where a part of a tree starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// At its first op, with its inputs.
    Inputs,
    /// Just after its loop header, with the label's values (a bridge's jump to the loop).
    Label,
    /// Just after the label with this token, with its values (a bridge's jump naming it).
    Target(u32),
}

/// How many jumps a tree whose root is `root` may take under `step_budget`: the rule of
/// docs/ir.md §1 for the root alone (the next iteration must fit), counted in jumps. In a
/// tree every jump to a label, from the root or a bridge, takes one.
pub fn jumps_allowed(root: &Trace, step_budget: u64) -> u64 {
    let Some(l) = root.label_index() else {
        return 0;
    };
    let iteration = (root.ops.len() - l - 1) as u64;
    match step_budget.checked_sub(root.ops.len() as u64) {
        Some(left) if iteration > 0 => left / iteration,
        _ => 0,
    }
}

/// Runs one part of a tree (checked with `externs`) from `start` on `values` (its inputs,
/// or its label's values), in the run's shared `state` (jumps left, invalidation).
pub fn run_part(
    trace: Checked<'_>,
    start: Start,
    values: &[Scalar],
    memory: &mut Memory,
    externs: &Externs,
    options: RunOptions,
    state: &mut TreeState,
) -> Result<Outcome, InterpError> {
    exec(
        trace.trace,
        start,
        values,
        memory,
        externs,
        options,
        Budget::Jumps(state),
    )
}

/// How a run's loop is bounded.
enum Budget<'a> {
    /// By [`RunOptions::step_budget`], the next iteration fitting (a trace alone).
    Steps(&'a mut TreeState),
    /// By a count of jumps shared by the parts of a tree.
    Jumps(&'a mut TreeState),
}

impl Budget<'_> {
    fn state(&mut self) -> &mut TreeState {
        match self {
            Budget::Steps(s) | Budget::Jumps(s) => s,
        }
    }
}

fn exec(
    trace: &Trace,
    start: Start,
    inputs: &[Scalar],
    memory: &mut Memory,
    externs: &Externs,
    options: RunOptions,
    mut budget: Budget<'_>,
) -> Result<Outcome, InterpError> {
    let label = trace.label_index();
    let start_at = match start {
        Start::Inputs => None,
        Start::Label => Some(label.ok_or(InterpError::NoLabel)?),
        Start::Target(t) => Some(trace.label_with_token(t).ok_or(InterpError::NoLabel)?),
    };
    let entry: Vec<Value> = match start_at {
        None => trace.inputs.clone(),
        Some(l) => trace.ops[l].args.iter().filter_map(|a| a.value()).collect(),
    };
    if inputs.len() != entry.len() {
        return Err(InterpError::InputCount {
            expected: entry.len(),
            found: inputs.len(),
        });
    }
    let mut env: Vec<Scalar> = trace.values.values().map(|d| Scalar::zero(d.ty)).collect();
    for (index, (&v, &x)) in entry.iter().zip(inputs).enumerate() {
        let expected = trace.ty(v);
        if x.ty() != expected {
            return Err(InterpError::InputType {
                index,
                expected,
                found: x.ty(),
            });
        }
        env[v.index()] = x;
    }
    let mut out = Outcome {
        kind: ExitKind::Finish,
        exit: ExitId(0),
        op: 0,
        values: Vec::new(),
        steps: 0,
        iterations: 0,
        calls: Vec::new(),
        call_count: 0,
    };
    let get = |env: &[Scalar], a: Operand| match a {
        Operand::Value(v) => env[v.index()],
        Operand::Const(c) => c,
    };
    let mut overflow = false;
    let mut carry = false;
    let mut call_hi = Scalar::I32(0);
    let body = label.map_or(0, |l| (trace.ops.len() - l - 1) as u64);
    let mut pc = start_at.map_or(0, |l| l + 1);
    loop {
        out.steps += 1;
        let op = &trace.ops[pc];
        let args: SmallVec<[Scalar; 4]> = op.args.iter().map(|&a| get(&env, a)).collect();
        let mut result = None;
        match op.opcode.sig() {
            Sig::IntOverflow => {
                let (r, o) = sem::int_overflow(op.opcode, args[0], args[1])
                    .expect("verified: integer operands of one type");
                overflow = o;
                result = Some(r);
            }
            Sig::CarryOut => {
                let (r, c) =
                    sem::carry_out(op.opcode, args[0], args[1]).expect("verified: i32 operands");
                carry = c;
                result = Some(r);
            }
            Sig::CarryIn => {
                result = Some(
                    sem::carry_in(op.opcode, args[0], args[1], carry)
                        .expect("verified: i32 operands"),
                );
            }
            Sig::Load(m) => {
                let addr = address(&args, op.mem().expect("verified: load has MemArg"));
                let x = memory
                    .load(addr, m)
                    .map_err(|error| InterpError::Memory { op: pc, error })?;
                result = Some(x);
            }
            Sig::Store(m) => {
                let addr = address(&args, op.mem().expect("verified: store has MemArg"));
                memory
                    .store(addr, m, args[2])
                    .map_err(|error| InterpError::Memory { op: pc, error })?;
            }
            Sig::FuncAddr => {
                let decl = &trace.funcs[op.func().expect("verified: func_addr names one")];
                result = Some(Scalar::Ref(crate::externs::function_address(&decl.name)));
            }
            Sig::Call => {
                let (callee, args) = callee(trace, pc, &args)?;
                result = call(trace, pc, callee, args, externs, &mut out)?;
                if trace.funcs[callee].name == INVALIDATE {
                    budget.state().invalidated = true;
                }
            }
            Sig::CallSplit => {
                let (callee, args) = callee(trace, pc, &args)?;
                let decl = &trace.funcs[callee];
                let types: SmallVec<[Type; 8]> = args.iter().map(|a| a.ty()).collect();
                let layout = crate::ir::split_call_layout(&decl.value_params(), &types)
                    .expect("verified: operands fit");
                let mut joined: SmallVec<[Scalar; 8]> = SmallVec::new();
                let mut at = 0;
                for (&n, ty) in layout.iter().zip(decl.value_params()) {
                    joined.push(if n == 2 {
                        join(ty, args[at], args[at + 1])
                    } else {
                        args[at]
                    });
                    at += n;
                }
                let r = call(trace, pc, callee, &joined, externs, &mut out)?;
                result = match (r, op.result.map(|v| trace.ty(v))) {
                    (Some(x), Some(Type::I32)) if matches!(x.ty(), Type::I64 | Type::F64) => {
                        let bits = x.bits() as u64;
                        call_hi = Scalar::I32((bits >> 32) as u32 as i32);
                        Some(Scalar::I32(bits as u32 as i32))
                    }
                    (r, _) => r,
                };
            }
            Sig::CallHi => result = Some(call_hi),
            Sig::GuardCond | Sig::GuardValue | Sig::GuardRef | Sig::GuardFlag => {
                let invalidated = budget.state().invalidated;
                let passes = sem::guard_passes(op.opcode, &args, overflow, invalidated)
                    .expect("verified: guard operands");
                if !passes {
                    out.kind = ExitKind::Guard;
                    out.exit = op.exit_id().expect("verified: guard has exit");
                    out.op = pc;
                    out.values = op.fail_args().iter().map(|v| env[v.index()]).collect();
                    return Ok(out);
                }
            }
            Sig::Object(o) => {
                let r = object_op(trace, op, o, &args, memory)
                    .map_err(|error| InterpError::Object { op: pc, error })?;
                if op.opcode.is_guard() {
                    if r != Some(Scalar::I32(1)) {
                        out.kind = ExitKind::Guard;
                        out.exit = op.exit_id().expect("verified: guard has exit");
                        out.op = pc;
                        out.values = op.fail_args().iter().map(|v| env[v.index()]).collect();
                        return Ok(out);
                    }
                } else {
                    result = r;
                }
            }
            Sig::Gc(_) => {
                return Err(InterpError::Lowered {
                    op: pc,
                    opcode: op.opcode,
                })
            }
            Sig::Label => {}
            Sig::Jump => {
                let exhausted = match &mut budget {
                    Budget::Steps(_) => {
                        label.is_some() && out.steps.saturating_add(body) > options.step_budget
                    }
                    Budget::Jumps(state) => match state.jumps_left.checked_sub(1) {
                        Some(l) => {
                            state.jumps_left = l;
                            state.invalidated |= state.invalidate_at == Some(l);
                            false
                        }
                        None => true,
                    },
                };
                if exhausted {
                    return Err(InterpError::StepBudget {
                        steps: options.step_budget,
                    });
                }
                let Some(l) = label else {
                    out.kind = ExitKind::Jump;
                    out.op = pc;
                    out.values = args.to_vec();
                    return Ok(out);
                };
                for (t, x) in trace.ops[l].args.iter().zip(args) {
                    if let Operand::Value(v) = *t {
                        env[v.index()] = x;
                    }
                }
                out.iterations += 1;
                pc = l + 1;
                continue;
            }
            Sig::Finish => {
                out.kind = ExitKind::Finish;
                out.exit = op.exit_id().expect("verified: finish has exit");
                out.op = pc;
                out.values = args.to_vec();
                return Ok(out);
            }
            _ => {
                result = Some(sem::eval(op.opcode, &args).expect("verified: operand types"));
            }
        }
        if let (Some(r), Some(x)) = (op.result, result) {
            env[r.index()] = x;
        }
        pc += 1;
    }
}

/// A 64-bit value of type `ty` from its `i32` halves.
fn join(ty: Type, lo: Scalar, hi: Scalar) -> Scalar {
    let bits = lo.bits() as u32 as u64 | (hi.bits() as u32 as u64) << 32;
    match ty {
        Type::F64 => Scalar::F64(bits),
        _ => Scalar::I64(bits as i64),
    }
}

fn address(args: &[Scalar], mem: crate::ir::MemArg) -> i128 {
    effective_address(args[0].bits() as u64, args[1].bits() as i32, mem)
}

/// The function call `pc` calls and its arguments: a direct call's own; for an indirect
/// one, the declared function whose address its last operand holds, which must have the
/// signature of the one the call names.
fn callee<'s>(
    trace: &Trace,
    pc: usize,
    args: &'s [Scalar],
) -> Result<(crate::ir::FuncRef, &'s [Scalar]), InterpError> {
    let op = &trace.ops[pc];
    let named = op.func().expect("verified: call has callee");
    if !op.opcode.is_indirect_call() {
        return Ok((named, args));
    }
    let (&target, args) = args.split_last().expect("verified: the callee is last");
    let sig = &trace.funcs[named];
    let found = crate::externs::function_at(target.bits() as u64).and_then(|name| {
        trace
            .funcs
            .iter()
            .find(|(_, d)| d.name == name && d.params == sig.params && d.ret == sig.ret)
            .map(|(f, _)| f)
    });
    match found {
        Some(f) => Ok((f, args)),
        None => Err(InterpError::BadCallee {
            op: pc,
            signature: format!("@{}", sig.name),
        }),
    }
}

fn call(
    trace: &Trace,
    pc: usize,
    callee: crate::ir::FuncRef,
    args: &[Scalar],
    externs: &Externs,
    out: &mut Outcome,
) -> Result<Option<Scalar>, InterpError> {
    let decl = &trace.funcs[callee];
    let name = || decl.name.clone();
    let helper;
    let f = if crate::legalize::is_helper(&decl.name) {
        helper = crate::legalize::helpers();
        helper.get(&decl.name)
    } else {
        externs.get(&decl.name)
    }
    .expect("checked by check_decls");
    // The callee sees each argument as its C type holds it (a narrow integer cut to its
    // width), and its result is read back the same way.
    let args: SmallVec<[Scalar; 8]> = args
        .iter()
        .zip(&decl.params)
        .map(|(&a, c)| c.fit(a))
        .collect();
    let args = &args[..];
    let result = (f.body)(args);
    if result.map(|r| r.ty()) != decl.value_ret() {
        return Err(InterpError::ExternResult {
            op: pc,
            name: name(),
        });
    }
    let result = result.zip(decl.ret).map(|(r, c)| c.fit(r));
    if crate::legalize::is_helper(&decl.name) {
        return Ok(result);
    }
    out.call_count += 1;
    if out.calls.len() < CALL_LOG_LIMIT {
        out.calls.push(CallRecord {
            name: decl.name.clone(),
            args: args.to_vec(),
            result,
        });
    }
    Ok(result)
}

/// Whether an opcode's result in the interpreter depends only on its arguments (no memory,
/// calls, control flow or guard).
pub fn is_pure(op: Opcode) -> bool {
    !matches!(
        op.sig(),
        Sig::Load(_)
            | Sig::Store(_)
            | Sig::Call
            | Sig::CallSplit
            | Sig::CallHi
            | Sig::GuardCond
            | Sig::GuardValue
            | Sig::GuardRef
            | Sig::GuardFlag
            | Sig::Label
            | Sig::Jump
            | Sig::Finish
            | Sig::Object(_)
            | Sig::Gc(_)
    )
}
