//! The verifier: every rule a trace must satisfy before anything runs or compiles it.
//!
//! [`verify`] returns every error it finds, not just the first. It never panics, whatever
//! the trace holds (dangling values and function references included).

use std::fmt;

use smallvec::{smallvec, SmallVec};

use crate::ir::{EntityRef, Extra, Op, Opcode, Operand, Scalar, Sig, Trace, Type, Value, ValueDef};

/// One broken rule. `op` is the index of the operation in [`Trace::ops`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// An input's recorded definition is not that input.
    BadInput {
        /// Position in the input list.
        index: usize,
        /// The value's name.
        name: String,
    },
    /// An operation has the wrong number of arguments.
    ArgCount {
        /// The operation.
        op: usize,
        /// Its opcode.
        opcode: Opcode,
        /// How many it takes.
        expected: usize,
        /// How many it has.
        found: usize,
    },
    /// An argument has the wrong type.
    ArgType {
        /// The operation.
        op: usize,
        /// Its opcode.
        opcode: Opcode,
        /// Which argument, from 0.
        index: usize,
        /// What it should be, in words.
        expected: String,
        /// What it is.
        found: Type,
    },
    /// A value is used where it is not defined: later in the trace, or not at all.
    UseBeforeDef {
        /// The operation.
        op: usize,
        /// The value's name.
        name: String,
    },
    /// A guard's fail arg is not defined at the guard.
    FailArgUndefined {
        /// The guard.
        op: usize,
        /// The value's name.
        name: String,
    },
    /// After the label, a value defined before it is used without being a label argument.
    NotLoopCarried {
        /// The operation.
        op: usize,
        /// The value's name.
        name: String,
    },
    /// An operation that produces a value has no result.
    MissingResult {
        /// The operation.
        op: usize,
        /// Its opcode.
        opcode: Opcode,
    },
    /// An operation that produces nothing has a result.
    UnexpectedResult {
        /// The operation.
        op: usize,
        /// Its opcode.
        opcode: Opcode,
    },
    /// The result's type differs from what the operation produces.
    ResultType {
        /// The operation.
        op: usize,
        /// The result's name.
        name: String,
        /// The type the operation produces.
        expected: Type,
    },
    /// A result's recorded definition is not this operation (defined twice, or dangling).
    BadResult {
        /// The operation.
        op: usize,
    },
    /// A load or store lacks its addressing, a call its callee, a guard or finish its exit;
    /// or an operation carries one it should not.
    BadExtra {
        /// The operation.
        op: usize,
        /// Its opcode.
        opcode: Opcode,
    },
    /// A load or store scale other than 1, 2, 4 or 8.
    BadScale {
        /// The operation.
        op: usize,
        /// The scale.
        scale: u8,
    },
    /// A `ref` constant other than null.
    RefConstant {
        /// The operation.
        op: usize,
        /// Which argument.
        index: usize,
    },
    /// A call names a function the trace does not declare.
    UnknownFunc {
        /// The operation.
        op: usize,
    },
    /// A call passes the wrong number of arguments.
    CallArity {
        /// The operation.
        op: usize,
        /// The function.
        name: String,
        /// Parameters declared.
        expected: usize,
        /// Arguments passed.
        found: usize,
    },
    /// Two exits share an id.
    DuplicateExit {
        /// The later exit.
        op: usize,
        /// The id.
        id: u32,
        /// The earlier exit.
        first: usize,
    },
    /// A label argument is a constant or repeats another.
    BadLabelArg {
        /// The label.
        op: usize,
        /// Which argument.
        index: usize,
    },
    /// Two labels with one token.
    DuplicateToken {
        /// The second label.
        op: usize,
        /// The token.
        token: u32,
    },
    /// A jump naming a token no label of its trace has (in a trace with labels).
    UnknownToken {
        /// The jump.
        op: usize,
        /// The token.
        token: u32,
    },
    /// A jump whose argument count differs from the label's.
    JumpArity {
        /// The jump.
        op: usize,
        /// Label arguments.
        expected: usize,
        /// Jump arguments.
        found: usize,
    },
    /// A trace that does not end with `jump` or `finish`.
    MissingTerminator,
    /// An operation after `jump` or `finish`.
    AfterTerminator {
        /// The operation.
        op: usize,
    },
    /// An overflow-checked operation not followed at once by `guard_(no_)overflow`.
    UncheckedOverflow {
        /// The operation.
        op: usize,
    },
    /// A `guard_(no_)overflow` not right after an overflow-checked operation.
    StrayOverflowGuard {
        /// The guard.
        op: usize,
    },
    /// A value that may be a function's address (from `func_addr`) is used where it would
    /// leave the trace or be read as data: only calling it, comparing it, checking it for
    /// null, renaming it and carrying it around its own loop are allowed (docs/ir.md §8).
    FunctionRefEscapes {
        /// The operation.
        op: usize,
        /// The value.
        name: String,
    },
    /// The operands of a `call_split` do not fit the callee's parameters.
    SplitCallOperands {
        /// The operation.
        op: usize,
        /// The function.
        name: String,
    },
    /// A `call_split` with a split result not followed at once by `call_hi`, or a `call_hi`
    /// not right after one.
    UnpairedCallHi {
        /// The operation.
        op: usize,
    },
    /// An `int_add_co`/`int_sub_bo` not followed at once by its `int_add_ci`/`int_sub_bi`,
    /// or one of those not right after its partner.
    UnpairedCarry {
        /// The operation.
        op: usize,
    },
    /// An object operation whose descr names no declaration it can take.
    BadObjectDescr {
        /// The operation.
        op: usize,
        /// Its opcode.
        opcode: Opcode,
    },
    /// A `guard_class` or `guard_nonnull_class` whose class is not a constant type id of a
    /// declared object type.
    BadClass {
        /// The operation.
        op: usize,
    },
    /// An object type declaration that is not valid (a name used twice).
    ObjectDecl {
        /// The declaration's index in `Trace::objects`.
        decl: usize,
        /// What is wrong.
        error: crate::objects::DeclError,
    },
}

impl VerifyError {
    /// Which argument of its operation the error is about, if one is (an index into the
    /// op's arguments).
    pub fn arg(&self) -> Option<usize> {
        match *self {
            VerifyError::ArgType { index, .. } | VerifyError::RefConstant { index, .. } => {
                Some(index)
            }
            _ => None,
        }
    }

    /// The operation the error is about, if it is about one.
    pub fn op(&self) -> Option<usize> {
        use VerifyError::*;
        match *self {
            BadInput { .. } | MissingTerminator | ObjectDecl { .. } => None,
            ArgCount { op, .. }
            | ArgType { op, .. }
            | UseBeforeDef { op, .. }
            | FailArgUndefined { op, .. }
            | NotLoopCarried { op, .. }
            | MissingResult { op, .. }
            | UnexpectedResult { op, .. }
            | ResultType { op, .. }
            | BadResult { op }
            | BadExtra { op, .. }
            | BadScale { op, .. }
            | RefConstant { op, .. }
            | UnknownFunc { op }
            | CallArity { op, .. }
            | DuplicateExit { op, .. }
            | BadLabelArg { op, .. }
            | JumpArity { op, .. }
            | DuplicateToken { op, .. }
            | UnknownToken { op, .. }
            | AfterTerminator { op }
            | UncheckedOverflow { op }
            | StrayOverflowGuard { op }
            | UnpairedCarry { op }
            | UnpairedCallHi { op }
            | BadClass { op }
            | BadObjectDescr { op, .. }
            | SplitCallOperands { op, .. }
            | FunctionRefEscapes { op, .. } => Some(op),
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use VerifyError::*;
        match self {
            BadInput { index, name } => write!(f, "input {index} ({name}) is not defined as that input"),
            ArgCount { opcode, expected, found, .. } => {
                write!(f, "{opcode} takes {expected} argument(s), found {found}")
            }
            ArgType { opcode, index, expected, found, .. } => {
                write!(f, "argument {index} of {opcode} must be {expected}, found {found}")
            }
            UseBeforeDef { name, .. } => write!(f, "{name} is used before it is defined"),
            FailArgUndefined { name, .. } => write!(f, "fail arg {name} is not defined at this guard"),
            NotLoopCarried { name, .. } => write!(
                f,
                "{name} is defined before the label and used after it, but is not a label argument"
            ),
            MissingResult { opcode, .. } => write!(f, "{opcode} produces a value but has no result"),
            UnexpectedResult { opcode, .. } => write!(f, "{opcode} produces no value but has a result"),
            ResultType { name, expected, .. } => write!(
                f,
                "result {name} has the wrong type: the operation produces {expected}"
            ),
            BadResult { .. } => write!(f, "the result's definition does not point at this operation"),
            BadExtra { opcode, .. } => write!(
                f,
                "{opcode} is missing its addressing, callee or exit, or has one it cannot take"
            ),
            BadScale { scale, .. } => write!(f, "scale {scale} is not 1, 2, 4 or 8"),
            RefConstant { index, .. } => {
                write!(f, "argument {index} is a ref constant other than null")
            }
            UnknownFunc { .. } => write!(f, "the call names an undeclared function"),
            CallArity { name, expected, found, .. } => write!(
                f,
                "@{name} takes {expected} argument(s), the call passes {found}"
            ),
            DuplicateExit { id, first, .. } => {
                write!(f, "exit id {id} is already used by op {first}")
            }
            BadLabelArg { index, .. } => write!(
                f,
                "label argument {index} must be a variable that appears only once in the label"
            ),
            DuplicateToken { token, .. } => {
                write!(f, "another label already has the token Target{token}")
            }
            UnknownToken { token, .. } => {
                write!(f, "no label of this trace has the token Target{token}")
            }
            JumpArity { expected, found, .. } => write!(
                f,
                "jump passes {found} value(s), the label takes {expected}"
            ),
            MissingTerminator => write!(f, "the trace must end with jump or finish"),
            AfterTerminator { .. } => write!(f, "nothing may follow jump or finish"),
            UncheckedOverflow { .. } => write!(
                f,
                "an overflow-checked operation must be followed at once by guard_no_overflow or guard_overflow"
            ),
            StrayOverflowGuard { .. } => write!(
                f,
                "guard_no_overflow and guard_overflow must directly follow an *_ovf operation"
            ),
            FunctionRefEscapes { name, .. } => write!(
                f,
                "{name} may be a function address (func_addr): it may only be called (call_indirect's last operand), compared, checked for null, renamed with same_as, or carried by its own loop's label and jump"
            ),
            SplitCallOperands { name, .. } => write!(
                f,
                "the operands of call_split do not fit @{name}'s parameters (an i64, or a split f64, takes two i32 operands, low half first)"
            ),
            UnpairedCallHi { .. } => write!(
                f,
                "a call_split whose result is split must be followed at once by call_hi, which stands nowhere else"
            ),
            UnpairedCarry { .. } => write!(
                f,
                "int_add_co and int_sub_bo must be followed at once by int_add_ci and int_sub_bi, and those must directly follow them"
            ),
            ObjectDecl { error, .. } => write!(f, "{error}"),
            BadObjectDescr { opcode, .. } => write!(
                f,
                "{opcode}'s descr names no declaration it can take (a struct for new_with_vtable, \
                 an array for the array operations, a field of its kind for getfield_gc_i/_r/_f)"
            ),
            BadClass { .. } => write!(
                f,
                "the class of a class guard must be a declared object type: ConstClass(Name)"
            ),
        }
    }
}

impl std::error::Error for VerifyError {}

/// All the errors of one trace; displayed one per line, with the operation index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyErrors(pub Vec<VerifyError>);

impl fmt::Display for VerifyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match e.op() {
                Some(op) => write!(f, "op {op}: {e}")?,
                None => write!(f, "{e}")?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for VerifyErrors {}

/// The text-format name of a value, or `v<N>?` for one the trace does not define.
pub fn value_name(trace: &Trace, v: Value) -> String {
    match trace.values.get(v) {
        Some(d) => format!("{}{}", d.ty.prefix(), v.as_u32()),
        None => format!("v{}?", v.as_u32()),
    }
}

/// What an argument must be, as a type or a rule.
#[derive(Clone, Copy)]
enum Want {
    Ty(Type),
    /// `i32` or `i64`, the same as argument 0 if that is one.
    Int,
    Any,
}

/// Checks every rule docs/ir.md states for a well-formed trace.
pub fn verify(trace: &Trace) -> Result<(), VerifyErrors> {
    let mut v = Verifier {
        trace,
        errors: Vec::new(),
        defined: vec![false; trace.values.len()],
        pre_label: vec![false; trace.values.len()],
        carried: vec![false; trace.values.len()],
        after_label: false,
    };
    v.run();
    if v.errors.is_empty() {
        Ok(())
    } else {
        Err(VerifyErrors(v.errors))
    }
}

struct Verifier<'a> {
    trace: &'a Trace,
    errors: Vec<VerifyError>,
    /// Defined so far.
    defined: Vec<bool>,
    /// Defined before the label.
    pre_label: Vec<bool>,
    /// A label argument.
    carried: Vec<bool>,
    after_label: bool,
}

impl Verifier<'_> {
    fn err(&mut self, e: VerifyError) {
        self.errors.push(e);
    }

    /// Values that may be function addresses (a `func_addr`'s result, its `same_as`, a
    /// label value some entry or the jump gives one) are only called, compared, checked
    /// for null, renamed, and carried by a loop of this trace: they never reach an exit,
    /// memory, a callee as data or another trace (whose code could not tell them apart).
    fn check_function_refs(&mut self) {
        let trace = self.trace;
        if !trace.ops.iter().any(|o| o.opcode == Opcode::FuncAddr) {
            return;
        }
        let n = trace.values.len();
        let mut is_fn = vec![false; n];
        let val = |a: &Operand| match a {
            Operand::Value(v) if v.index() < n => Some(*v),
            _ => None,
        };
        loop {
            let mut changed = false;
            for (i, op) in trace.ops.iter().enumerate() {
                let mut set = |v: Value, is_fn: &mut Vec<bool>| {
                    if !is_fn[v.index()] {
                        is_fn[v.index()] = true;
                        changed = true;
                    }
                };
                match op.opcode {
                    Opcode::FuncAddr => {
                        if let Some(r) = op.result.filter(|r| r.index() < n) {
                            set(r, &mut is_fn);
                        }
                    }
                    Opcode::SameAs => {
                        if let (Some(r), Some(a)) = (op.result, op.args.first().and_then(val)) {
                            if is_fn[a.index()] && r.index() < n {
                                set(r, &mut is_fn);
                            }
                        }
                    }
                    Opcode::Jump => {
                        let target = match op.extra {
                            Extra::Target(t) => trace.label_with_token(t),
                            _ => trace.label_index(),
                        }
                        .filter(|&l| l < i);
                        if let Some(l) = target {
                            for (a, t) in op.args.iter().zip(&trace.ops[l].args) {
                                if let (Some(a), Some(t)) = (val(a), val(t)) {
                                    if is_fn[a.index()] {
                                        set(t, &mut is_fn);
                                    }
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            if !changed {
                break;
            }
        }
        let has_label = trace.label_index().is_some();
        for (i, op) in trace.ops.iter().enumerate() {
            let last = op.args.len().saturating_sub(1);
            for (k, a) in op.args.iter().enumerate() {
                let Some(v) = val(a).filter(|v| is_fn[v.index()]) else {
                    continue;
                };
                let allowed = match op.opcode.sig() {
                    Sig::SameAs | Sig::Label | Sig::RefCompare | Sig::GuardRef => true,
                    Sig::Jump => has_label,
                    Sig::Call | Sig::CallSplit => op.opcode.is_indirect_call() && k == last,
                    _ => false,
                };
                if !allowed {
                    let name = self.name(v);
                    self.err(VerifyError::FunctionRefEscapes { op: i, name });
                }
            }
            for &v in op.fail_args() {
                if v.index() < n && is_fn[v.index()] {
                    let name = self.name(v);
                    self.err(VerifyError::FunctionRefEscapes { op: i, name });
                }
            }
        }
    }

    fn name(&self, v: Value) -> String {
        value_name(self.trace, v)
    }

    fn define(&mut self, v: Value) {
        if let Some(d) = self.defined.get_mut(v.index()) {
            *d = true;
            if !self.after_label {
                self.pre_label[v.index()] = true;
            }
        }
    }

    /// Checks that `v` can be used here; returns its type if it exists at all.
    fn use_value(&mut self, op: usize, v: Value, fail_arg: bool) -> Option<Type> {
        let i = v.index();
        if !self.defined.get(i).copied().unwrap_or(false) {
            let name = self.name(v);
            self.err(if fail_arg {
                VerifyError::FailArgUndefined { op, name }
            } else {
                VerifyError::UseBeforeDef { op, name }
            });
            return self.trace.values.get(v).map(|d| d.ty);
        }
        if self.after_label && self.pre_label[i] && !self.carried[i] {
            let name = self.name(v);
            self.err(VerifyError::NotLoopCarried { op, name });
        }
        Some(self.trace.values[v].ty)
    }

    fn operand_type(&mut self, op: usize, index: usize, a: Operand) -> Option<Type> {
        match a {
            Operand::Value(v) => self.use_value(op, v, false),
            Operand::Const(c) => {
                if matches!(c, Scalar::Ref(x) if x != 0) {
                    self.err(VerifyError::RefConstant { op, index });
                }
                Some(c.ty())
            }
        }
    }

    fn run(&mut self) {
        let trace = self.trace;
        for (decl, error) in crate::objects::check_decls(&trace.objects) {
            self.err(VerifyError::ObjectDecl { decl, error });
        }
        for (index, &v) in trace.inputs.iter().enumerate() {
            match trace.values.get(v) {
                Some(d) if d.def == ValueDef::Input(index as u32) => self.define(v),
                _ => {
                    let name = self.name(v);
                    self.err(VerifyError::BadInput { index, name });
                }
            }
        }
        let mut exits: Vec<(u32, usize)> = Vec::new();
        let mut label: Option<usize> = None;
        let mut tokens: Vec<u32> = Vec::new();
        let mut terminated = false;
        for (i, op) in trace.ops.iter().enumerate() {
            if terminated {
                self.err(VerifyError::AfterTerminator { op: i });
            }
            terminated |= op.opcode.is_terminator();
            self.check_extra(i, op);
            if let Extra::Exit { id, .. } = op.extra {
                exits.push((id.0, i));
            }
            let prev_ovf = i > 0 && trace.ops[i - 1].opcode.is_overflow_op();
            if op.opcode.reads_overflow() && !prev_ovf {
                self.err(VerifyError::StrayOverflowGuard { op: i });
            }
            let splits_result = |o: &crate::ir::Op| {
                o.opcode.sig() == Sig::CallSplit
                    && o.result
                        .is_some_and(|r| trace.values.get(r).is_some_and(|d| d.ty == Type::I32))
                    && o.func()
                        .and_then(|f| trace.funcs.get(f))
                        .is_some_and(|d| matches!(d.value_ret(), Some(Type::I64 | Type::F64)))
            };
            if (op.opcode == Opcode::CallHi && !(i > 0 && splits_result(&trace.ops[i - 1])))
                || (splits_result(op)
                    && trace
                        .ops
                        .get(i + 1)
                        .is_none_or(|n| n.opcode != Opcode::CallHi))
            {
                self.err(VerifyError::UnpairedCallHi { op: i });
            }
            let partner_before =
                i > 0 && trace.ops[i - 1].opcode.carry_partner() == Some(op.opcode);
            let is_carry_in = op.opcode.sig() == Sig::CarryIn;
            let partner_after = op
                .opcode
                .carry_partner()
                .is_none_or(|p| trace.ops.get(i + 1).is_some_and(|n| n.opcode == p));
            if (is_carry_in && !partner_before) || !partner_after {
                self.err(VerifyError::UnpairedCarry { op: i });
            }
            if op.opcode.is_overflow_op()
                && !trace
                    .ops
                    .get(i + 1)
                    .is_some_and(|n| n.opcode.reads_overflow())
            {
                self.err(VerifyError::UncheckedOverflow { op: i });
            }
            match op.opcode {
                Opcode::Label => {
                    let token = trace.label_token(i);
                    if tokens.contains(&token) {
                        self.err(VerifyError::DuplicateToken { op: i, token });
                    }
                    tokens.push(token);
                    label = Some(i);
                    self.check_label(i, op);
                }
                Opcode::Jump => {
                    // The label it goes to: the one its token names, else the last.
                    let target = match op.extra {
                        Extra::Target(t) if label.is_some() => {
                            let l = trace.label_with_token(t).filter(|&l| l < i);
                            if l.is_none() {
                                self.err(VerifyError::UnknownToken { op: i, token: t });
                            }
                            l
                        }
                        _ => label,
                    };
                    if label.is_some() && target.is_none() {
                        for (index, &a) in op.args.iter().enumerate() {
                            self.operand_type(i, index, a);
                        }
                    } else {
                        self.check_jump(i, op, target);
                    }
                }
                _ => self.check_op(i, op),
            }
            for &fa in op.fail_args() {
                self.use_value(i, fa, true);
            }
            if let Some(r) = op.result {
                match trace.values.get(r) {
                    Some(d) if d.def == ValueDef::Op(i as u32) && !self.defined[r.index()] => {
                        self.define(r)
                    }
                    _ => self.err(VerifyError::BadResult { op: i }),
                }
            }
        }
        self.check_function_refs();
        // Duplicate exit ids, each reported at its later use. Ids are usually small
        // (0, 1, 2, … by default): a table finds duplicates without sorting.
        let max = exits.iter().map(|e| e.0).max().unwrap_or(0) as usize;
        if max <= 4 * exits.len() + 64 {
            let mut first = vec![u32::MAX; max + 1];
            for &(id, op) in &exits {
                let f = &mut first[id as usize];
                if *f == u32::MAX {
                    *f = op as u32;
                } else {
                    self.errors.push(VerifyError::DuplicateExit {
                        op,
                        id,
                        first: *f as usize,
                    });
                }
            }
        } else {
            let mut seen: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
            for &(id, op) in &exits {
                if let Some(&first) = seen.get(&id) {
                    self.errors
                        .push(VerifyError::DuplicateExit { op, id, first });
                } else {
                    seen.insert(id, op);
                }
            }
        }
        if !self.errors.is_empty() {
            self.errors.sort_by_key(|e| e.op().map_or(0, |o| o + 1));
        }
        if !terminated {
            self.err(VerifyError::MissingTerminator);
        }
    }

    fn check_extra(&mut self, i: usize, op: &Op) {
        let ok = match (&op.extra, op.opcode.sig()) {
            (
                Extra::Mem(m),
                Sig::Load(_)
                | Sig::Store(_)
                | Sig::Gc(crate::ir::GcOp::LoadRef | crate::ir::GcOp::StoreRef),
            ) => {
                if !matches!(m.scale, 1 | 2 | 4 | 8) {
                    self.err(VerifyError::BadScale {
                        op: i,
                        scale: m.scale,
                    });
                }
                true
            }
            (Extra::Call(_), Sig::Call | Sig::CallSplit | Sig::FuncAddr) => true,
            (Extra::Exit { .. }, _) => op.opcode.is_exit(),
            (Extra::Target(_), Sig::Label | Sig::Jump) => true,
            (Extra::Object(_) | Extra::Field { .. }, Sig::Object(_)) => !op.opcode.is_guard(),
            (Extra::Object(_), Sig::Gc(crate::ir::GcOp::Alloc)) => true,
            (Extra::None, sig) => {
                !matches!(
                    sig,
                    Sig::Load(_)
                        | Sig::Store(_)
                        | Sig::Call
                        | Sig::CallSplit
                        | Sig::FuncAddr
                        | Sig::Object(_)
                        | Sig::Gc(
                            crate::ir::GcOp::Alloc
                                | crate::ir::GcOp::LoadRef
                                | crate::ir::GcOp::StoreRef
                        )
                ) && !op.opcode.is_exit()
            }
            _ => false,
        };
        if !ok {
            self.err(VerifyError::BadExtra {
                op: i,
                opcode: op.opcode,
            });
        }
    }

    fn check_label(&mut self, i: usize, op: &Op) {
        let mut seen = vec![false; self.trace.values.len()];
        for (index, &a) in op.args.iter().enumerate() {
            if let Operand::Value(v) = a {
                self.use_value(i, v, false);
                if let Some(s) = seen.get_mut(v.index()) {
                    if !*s {
                        *s = true;
                        continue;
                    }
                }
            }
            self.err(VerifyError::BadLabelArg { op: i, index });
        }
        // Each label closes the body after it: only its own values come from before it.
        self.after_label = true;
        for (k, d) in self.defined.iter().enumerate() {
            if *d {
                self.pre_label[k] = true;
            }
        }
        self.carried.iter_mut().for_each(|c| *c = false);
        for &a in &op.args {
            if let Some(c) = a.value().and_then(|v| self.carried.get_mut(v.index())) {
                *c = true;
            }
        }
        self.no_result(i, op);
    }

    fn check_jump(&mut self, i: usize, op: &Op, label: Option<usize>) {
        let Some(l) = label else {
            // A jump out of the trace: a bridge going on at its tree's loop label, whose
            // layout the tree checks (compile::compile_bridge, the tree's interpreter run).
            for (index, &a) in op.args.iter().enumerate() {
                self.operand_type(i, index, a);
            }
            return;
        };
        let targets = &self.trace.ops[l].args;
        if targets.len() != op.args.len() {
            self.err(VerifyError::JumpArity {
                op: i,
                expected: targets.len(),
                found: op.args.len(),
            });
        }
        for (index, &a) in op.args.iter().enumerate() {
            let found = self.operand_type(i, index, a);
            let want = targets
                .get(index)
                .map(|&t| self.trace.operand_type_checked(t));
            if let (Some(found), Some(Some(want))) = (found, want) {
                if found != want {
                    self.err(VerifyError::ArgType {
                        op: i,
                        opcode: op.opcode,
                        index,
                        expected: format!("{want} like label argument {index}"),
                        found,
                    });
                }
            }
        }
        self.no_result(i, op);
    }

    fn no_result(&mut self, i: usize, op: &Op) {
        if op.result.is_some() {
            self.err(VerifyError::UnexpectedResult {
                op: i,
                opcode: op.opcode,
            });
        }
    }

    fn check_op(&mut self, i: usize, op: &Op) {
        let trace = self.trace;
        let sig = op.opcode.sig();
        // What each argument must be, and the result type (None: no result).
        let (wants, result): (SmallVec<[Want; 4]>, Option<Option<Type>>) = match sig {
            Sig::IntBinary | Sig::IntOverflow => (smallvec![Want::Int, Want::Int], Some(None)),
            Sig::CarryOut | Sig::CarryIn => (
                smallvec![Want::Ty(Type::I32), Want::Ty(Type::I32)],
                Some(Some(Type::I32)),
            ),
            Sig::IntUnary => (smallvec![Want::Int], Some(None)),
            Sig::IntCompare => (smallvec![Want::Int, Want::Int], Some(Some(Type::I32))),
            Sig::IntTest => (smallvec![Want::Int], Some(Some(Type::I32))),
            Sig::FloatBinary => (smallvec![Want::Ty(Type::F64); 2], Some(Some(Type::F64))),
            Sig::FloatUnary => (smallvec![Want::Ty(Type::F64)], Some(Some(Type::F64))),
            Sig::FloatCompare => (smallvec![Want::Ty(Type::F64); 2], Some(Some(Type::I32))),
            Sig::RefCompare => (smallvec![Want::Ty(Type::Ref); 2], Some(Some(Type::I32))),
            Sig::Convert(from, to) => (smallvec![Want::Ty(from)], Some(Some(to))),
            Sig::Load(m) => (
                smallvec![Want::Ty(Type::Ref), Want::Ty(Type::I32)],
                Some(Some(m.value_type())),
            ),
            Sig::Store(m) => (
                smallvec![
                    Want::Ty(Type::Ref),
                    Want::Ty(Type::I32),
                    Want::Ty(m.value_type()),
                ],
                None,
            ),
            Sig::SameAs => (smallvec![Want::Any], Some(None)),
            Sig::GuardCond => (smallvec![Want::Ty(Type::I32)], None),
            Sig::GuardValue => (smallvec![Want::Int, Want::Int], None),
            Sig::GuardRef => (smallvec![Want::Ty(Type::Ref)], None),
            Sig::GuardFlag => (smallvec![], None),
            Sig::Finish => (op.args.iter().map(|_| Want::Any).collect(), None),
            Sig::FuncAddr => {
                if op.func().and_then(|f| trace.funcs.get(f)).is_none() {
                    self.err(VerifyError::UnknownFunc { op: i });
                }
                (smallvec![], Some(Some(Type::Ref)))
            }
            Sig::Call => match op.func().and_then(|f| trace.funcs.get(f)) {
                Some(decl) => {
                    // An indirect call's callee is its last operand, a ref.
                    let indirect = op.opcode.is_indirect_call() as usize;
                    if decl.params.len() + indirect != op.args.len() {
                        // Counted without an indirect call's callee.
                        self.err(VerifyError::CallArity {
                            op: i,
                            name: decl.name.clone(),
                            expected: decl.params.len(),
                            found: op.args.len().saturating_sub(indirect),
                        });
                    }
                    let wants = op
                        .args
                        .iter()
                        .enumerate()
                        .map(|(k, _)| match decl.params.get(k) {
                            Some(&t) => Want::Ty(t.value()),
                            None if indirect == 1 && k + 1 == op.args.len() => Want::Ty(Type::Ref),
                            None => Want::Any,
                        })
                        .collect();
                    (wants, decl.value_ret().map(Some))
                }
                None => {
                    if matches!(op.extra, Extra::Call(_)) {
                        self.err(VerifyError::UnknownFunc { op: i });
                    }
                    let own = op.result.map(|r| trace.values.get(r).map(|d| d.ty));
                    (op.args.iter().map(|_| Want::Any).collect(), own)
                }
            },
            Sig::CallHi => (smallvec![], Some(Some(Type::I32))),
            Sig::CallSplit => match op.func().and_then(|f| trace.funcs.get(f)) {
                Some(decl) => {
                    let types: SmallVec<[Type; 8]> = op
                        .call_args()
                        .iter()
                        .map(|&a| trace.operand_type_checked(a).unwrap_or(Type::Ref))
                        .collect();
                    if crate::ir::split_call_layout(&decl.value_params(), &types).is_none() {
                        self.err(VerifyError::SplitCallOperands {
                            op: i,
                            name: decl.name.clone(),
                        });
                    }
                    let own = op.result.and_then(|r| trace.values.get(r)).map(|d| d.ty);
                    let ret = match (decl.value_ret(), own) {
                        (Some(Type::I64 | Type::F64), Some(Type::I32)) => Some(Some(Type::I32)),
                        (r, _) => r.map(Some),
                    };
                    let mut wants: SmallVec<[Want; 4]> =
                        op.args.iter().map(|_| Want::Any).collect();
                    if let (true, Some(last)) = (op.opcode.is_indirect_call(), wants.last_mut()) {
                        *last = Want::Ty(Type::Ref);
                    }
                    (wants, ret)
                }
                None => {
                    if matches!(op.extra, Extra::Call(_)) {
                        self.err(VerifyError::UnknownFunc { op: i });
                    }
                    let own = op.result.map(|r| trace.values.get(r).map(|d| d.ty));
                    (op.args.iter().map(|_| Want::Any).collect(), own)
                }
            },
            Sig::Object(o) => match trace.object_op_types(o, &op.extra) {
                Some((args, result)) => {
                    if let crate::ir::ObjOp::GuardClass | crate::ir::ObjOp::GuardNonnullClass = o {
                        let named = match op.args.get(1) {
                            Some(Operand::Const(Scalar::I32(t))) => {
                                (1..=trace.objects.len() as i64).contains(&(*t as i64))
                            }
                            _ => false,
                        };
                        if !named {
                            self.err(VerifyError::BadClass { op: i });
                        }
                    }
                    (args.into_iter().map(Want::Ty).collect(), result.map(Some))
                }
                None => {
                    self.err(VerifyError::BadObjectDescr {
                        op: i,
                        opcode: op.opcode,
                    });
                    let own = op.result.map(|r| trace.values.get(r).map(|d| d.ty));
                    (op.args.iter().map(|_| Want::Any).collect(), own)
                }
            },
            Sig::Gc(g) => match g {
                crate::ir::GcOp::Alloc => {
                    let array = match op.extra {
                        Extra::Object(d) => trace.objects.get(d as usize).map(|d| d.is_array()),
                        _ => None,
                    };
                    if array.is_none() {
                        self.err(VerifyError::BadObjectDescr {
                            op: i,
                            opcode: op.opcode,
                        });
                    }
                    let n = if array == Some(true) { 2 } else { 1 };
                    (smallvec![Want::Ty(Type::I32); n], Some(Some(Type::Ref)))
                }
                crate::ir::GcOp::WriteBarrier => (smallvec![Want::Ty(Type::Ref)], None),
                crate::ir::GcOp::LoadRef => (
                    smallvec![Want::Ty(Type::Ref), Want::Ty(Type::I32)],
                    Some(Some(Type::Ref)),
                ),
                crate::ir::GcOp::StoreRef => (
                    smallvec![
                        Want::Ty(Type::Ref),
                        Want::Ty(Type::I32),
                        Want::Ty(Type::Ref)
                    ],
                    None,
                ),
            },
            Sig::Label | Sig::Jump => unreachable!("checked separately"),
        };
        if !matches!(sig, Sig::Call | Sig::CallSplit) && wants.len() != op.args.len() {
            self.err(VerifyError::ArgCount {
                op: i,
                opcode: op.opcode,
                expected: wants.len(),
                found: op.args.len(),
            });
        }
        let mut first: Option<Type> = None;
        for (index, &a) in op.args.iter().enumerate() {
            let Some(found) = self.operand_type(i, index, a) else {
                continue;
            };
            let expected = match wants.get(index) {
                Some(Want::Ty(t)) => (found != *t).then(|| t.to_string()),
                Some(Want::Int) => match first {
                    Some(t) if t.is_int() && t != found => Some(format!("{t} like argument 0")),
                    _ if !found.is_int() => Some("i32 or i64".to_string()),
                    _ => None,
                },
                Some(Want::Any) | None => None,
            };
            if index == 0 {
                first = Some(found);
            }
            if let Some(expected) = expected {
                self.err(VerifyError::ArgType {
                    op: i,
                    opcode: op.opcode,
                    index,
                    expected,
                    found,
                });
            }
        }
        match (result, op.result) {
            (None, Some(_)) => self.err(VerifyError::UnexpectedResult {
                op: i,
                opcode: op.opcode,
            }),
            (Some(_), None) => self.err(VerifyError::MissingResult {
                op: i,
                opcode: op.opcode,
            }),
            (Some(want), Some(r)) => {
                // A result typed by its arguments takes argument 0's type.
                // (Unknown when argument 0 is already reported as not an integer.)
                let want = want.or(first.filter(|t| sig == Sig::SameAs || t.is_int()));
                if let (Some(want), Some(d)) = (want, trace.values.get(r)) {
                    if d.ty != want {
                        let name = self.name(r);
                        self.err(VerifyError::ResultType {
                            op: i,
                            name,
                            expected: want,
                        });
                    }
                }
            }
            (None, None) => {}
        }
    }
}

impl Trace {
    /// The type of an operand, or `None` for a value the trace does not define.
    pub fn operand_type_checked(&self, a: Operand) -> Option<Type> {
        match a {
            Operand::Value(v) => self.values.get(v).map(|d| d.ty),
            Operand::Const(c) => Some(c.ty()),
        }
    }
}
