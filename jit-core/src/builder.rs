//! Building traces in Rust.
//!
//! ```
//! use jit_core::{builder::TraceBuilder, ir::{Opcode, Type}};
//! let mut b = TraceBuilder::new();
//! let n = b.input(Type::I32);
//! let acc = b.input(Type::I32);
//! b.label(&[n, acc]);
//! let acc2 = b.binary(Opcode::IntAdd, acc, n);
//! let n2 = b.binary(Opcode::IntSub, n, 1);
//! let more = b.binary(Opcode::IntGt, n2, 0);
//! b.guard(Opcode::GuardTrue, &[more.into()], &[acc2]);
//! b.jump(&[n2.into(), acc2.into()]);
//! let trace = b.build().expect("valid trace");
//! assert_eq!(trace.ops.len(), 6);
//! ```

use smallvec::SmallVec;

use crate::ir::{
    CType, ExitId, Extra, FuncDecl, FuncRef, MemArg, Op, Opcode, Operand, Trace, Type, Value,
    ValueData, ValueDef,
};
use crate::verify::{verify, VerifyErrors};

/// Appends operations to a trace, assigning value numbers and exit ids in order.
#[derive(Debug, Default)]
pub struct TraceBuilder {
    trace: Trace,
    exits: u32,
}

impl TraceBuilder {
    /// An empty trace.
    pub fn new() -> TraceBuilder {
        TraceBuilder::default()
    }

    /// Declares an external function the trace may call.
    pub fn declare(&mut self, name: &str, params: &[CType], ret: Option<CType>) -> FuncRef {
        self.trace.funcs.push(FuncDecl {
            name: name.to_string(),
            params: params.to_vec(),
            ret,
        })
    }

    /// The start of a pass that rewrites `trace`: a builder with its object types,
    /// functions and inputs, and the map from its values to the new ones (its inputs
    /// filled in).
    pub fn rewriting(trace: &Trace) -> (TraceBuilder, Vec<Option<Value>>) {
        use crate::ir::EntityRef;
        let mut b = TraceBuilder::new();
        b.objects(&trace.objects);
        for decl in trace.funcs.values() {
            b.declare(&decl.name, &decl.params, decl.ret);
        }
        let mut map: Vec<Option<Value>> = vec![None; trace.values.len()];
        for &v in &trace.inputs {
            map[v.index()] = Some(b.input(trace.ty(v)));
        }
        (b, map)
    }

    /// Sets the GC object types the trace declares (type id `k + 1` for the `k`-th).
    pub fn objects(&mut self, decls: &[crate::objects::ObjectDecl]) {
        self.trace.objects = decls.to_vec();
    }

    /// Adds an input argument.
    pub fn input(&mut self, ty: Type) -> Value {
        let v = self.trace.values.push(ValueData {
            ty,
            def: ValueDef::Input(self.trace.inputs.len() as u32),
        });
        self.trace.inputs.push(v);
        v
    }

    /// The type of an operand, for choosing result types.
    pub fn operand_type(&self, a: Operand) -> Type {
        self.trace.operand_type(a)
    }

    fn push(
        &mut self,
        opcode: Opcode,
        args: &[Operand],
        result: Option<Type>,
        extra: Extra,
    ) -> Option<Value> {
        let index = self.trace.ops.len() as u32;
        let result = result.map(|ty| {
            self.trace.values.push(ValueData {
                ty,
                def: ValueDef::Op(index),
            })
        });
        self.trace.ops.push(Op {
            opcode,
            args: SmallVec::from_slice(args),
            result,
            extra,
        });
        result
    }

    fn next_exit(&mut self) -> ExitId {
        let id = ExitId(self.exits);
        self.exits += 1;
        id
    }

    /// Appends an operation whose result type follows from its arguments (arithmetic,
    /// comparisons, conversions, `same_as`). Ill-typed arguments still give a value, which
    /// the verifier then reports.
    pub fn value_op(&mut self, opcode: Opcode, args: &[Operand]) -> Value {
        let types: SmallVec<[Type; 3]> = args.iter().map(|&a| self.operand_type(a)).collect();
        let ty = opcode
            .result_type(&types)
            .or(types.first().copied())
            .unwrap_or(Type::I32);
        self.push(opcode, args, Some(ty), Extra::None)
            .expect("a result type was given")
    }

    /// Appends a one-argument operation.
    pub fn unary(&mut self, opcode: Opcode, a: impl Into<Operand>) -> Value {
        self.value_op(opcode, &[a.into()])
    }

    /// Appends a two-argument operation.
    pub fn binary(
        &mut self,
        opcode: Opcode,
        a: impl Into<Operand>,
        b: impl Into<Operand>,
    ) -> Value {
        self.value_op(opcode, &[a.into(), b.into()])
    }

    /// Appends a load `opcode` from `base + index * scale + offset`.
    pub fn load(
        &mut self,
        opcode: Opcode,
        base: impl Into<Operand>,
        index: impl Into<Operand>,
        scale: u8,
        offset: i32,
    ) -> Value {
        let ty = opcode.result_type(&[]).unwrap_or(Type::I32);
        self.push(
            opcode,
            &[base.into(), index.into()],
            Some(ty),
            Extra::Mem(MemArg { scale, offset }),
        )
        .expect("a result type was given")
    }

    /// Appends a store `opcode` of `value` to `base + index * scale + offset`.
    pub fn store(
        &mut self,
        opcode: Opcode,
        base: impl Into<Operand>,
        index: impl Into<Operand>,
        scale: u8,
        offset: i32,
        value: impl Into<Operand>,
    ) {
        self.push(
            opcode,
            &[base.into(), index.into(), value.into()],
            None,
            Extra::Mem(MemArg { scale, offset }),
        );
    }

    /// Appends a call of `func`; returns its result if the declaration has one.
    pub fn call(&mut self, func: FuncRef, args: &[Operand]) -> Option<Value> {
        let ret = self.trace.funcs.get(func).and_then(|d| d.value_ret());
        self.push(Opcode::Call, args, ret, Extra::Call(func))
    }

    /// Appends `func_addr(@func)`: the address of a declared function, as a ref.
    pub fn func_addr(&mut self, func: FuncRef) -> Value {
        self.push(Opcode::FuncAddr, &[], Some(Type::Ref), Extra::Call(func))
            .expect("func_addr has a result")
    }

    /// Appends an indirect call of `callee` (a function's address) with the signature of
    /// declared function `sig`; returns its result if the signature has one.
    pub fn call_indirect(
        &mut self,
        sig: FuncRef,
        args: &[Operand],
        callee: impl Into<Operand>,
    ) -> Option<Value> {
        let ret = self.trace.funcs.get(sig).and_then(|d| d.value_ret());
        let mut all: Vec<Operand> = args.to_vec();
        all.push(callee.into());
        self.push(Opcode::CallIndirect, &all, ret, Extra::Call(sig))
    }

    /// Appends a guard with the values it hands back on failure; returns its exit id.
    pub fn guard(&mut self, opcode: Opcode, args: &[Operand], fail_args: &[Value]) -> ExitId {
        let id = self.next_exit();
        self.push(
            opcode,
            args,
            None,
            Extra::Exit {
                id,
                fail_args: fail_args.to_vec(),
            },
        );
        id
    }

    /// Appends the loop header over these values.
    pub fn label(&mut self, values: &[Value]) {
        let args: SmallVec<[Operand; 3]> = values.iter().map(|&v| Operand::Value(v)).collect();
        self.push(Opcode::Label, &args, None, Extra::None);
    }

    /// Appends the jump back to the label.
    pub fn jump(&mut self, args: &[Operand]) {
        self.push(Opcode::Jump, args, None, Extra::None);
    }

    /// Appends `finish` with these results; returns its exit id.
    pub fn finish(&mut self, args: &[Operand]) -> ExitId {
        let id = self.next_exit();
        self.push(
            Opcode::Finish,
            args,
            None,
            Extra::Exit {
                id,
                fail_args: Vec::new(),
            },
        );
        id
    }

    /// Appends an operation as given, for tests that need traces the typed helpers would
    /// not make.
    pub fn raw(
        &mut self,
        opcode: Opcode,
        args: &[Operand],
        result: Option<Type>,
        extra: Extra,
    ) -> Option<Value> {
        self.push(opcode, args, result, extra)
    }

    /// The trace so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The trace so far, verified.
    pub fn build(self) -> Result<Trace, VerifyErrors> {
        verify(&self.trace)?;
        Ok(self.trace)
    }

    /// The trace so far, as it is.
    pub fn build_unverified(self) -> Trace {
        self.trace
    }
}
