//! One part of a log (a loop, or a bridge on its own) as a tracejit trace.
//!
//! What is imported so far (docs/pypy-import.md has the whole plan):
//! - integer, float, comparison, overflow and pointer operations, at PyPy's types: `i` is
//!   i64, `p` ref, `f` f64. A comparison's result is an i32 in tracejit; the part gets it
//!   widened to i64, and guards test the i32 itself;
//! - guards: `guard_true`/`false`, `guard_value` on integers, `guard_isnull`/`nonnull`,
//!   `guard_class`/`nonnull_class` on a declared class, overflow guards and
//!   `guard_not_invalidated`, with their fail args (holes dropped);
//! - the object operations on fields and items of the types `decls` declares (narrow fields
//!   widened to i64 and narrowed back, indexes and lengths between i64 and i32), and
//!   `new_with_vtable`/`new` of the class whose field the part writes first into the new
//!   object;
//! - `ConstPtr(ptrN)`: a constant object, which becomes an input of the trace after the
//!   part's own (`Imported::const_ptrs` names them; the run's heap provides the objects)
//!   and rides every label and jump, and `guard_value` on a ref as `ptr_eq` and
//!   `guard_true`;
//! - two stand-ins: the signal word (`getfield_raw_i` of `pypysig_long_struct.c_value`)
//!   reads 0, no signal pending; `force_token`, the JIT frame's address that only forcing
//!   reads, is null;
//! - `label`s with their tokens, a `jump` to a label of the part, `finish`;
//! - operations with nothing to do in tracejit: `debug_merge_point`, `enter_portal_frame`,
//!   `leave_portal_frame`, `keepalive`, and the checks `guard_no_exception`,
//!   `guard_not_forced` and `guard_not_forced_2` (nothing here raises or forces).
//!
//! Anything else makes the part not imported, reported with every operation it could not
//! import, by name and count.

use std::collections::BTreeMap;
use std::fmt;

use jit_core::builder::TraceBuilder;
use jit_core::ir::{Extra, Opcode, Operand, Scalar, Type, Value};
use jit_core::objects::{type_id, FieldType, ObjectKind};
use jit_core::Trace;

use crate::decls::Declarations;
use crate::log::{Descr, LogArg, LogOp, Part};

/// A part as a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    /// The trace: the part's inputs, then one ref input per constant object.
    pub trace: Trace,
    /// The constant objects (`ptr26`) the inputs after the part's own stand for, in order.
    pub const_ptrs: Vec<String>,
}

/// Why a part was not imported.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportError {
    /// Operations it has that the import does not express yet, by name, with counts.
    Unsupported(BTreeMap<String, usize>),
    /// A variable used before the part defines it.
    Undefined {
        /// The variable.
        name: String,
        /// Where.
        pos: crate::log::Pos,
    },
    /// The trace made does not verify (an import bug).
    Invalid(String),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Unsupported(ops) => {
                let list: Vec<String> = ops.iter().map(|(n, c)| format!("{n} ({c})")).collect();
                write!(f, "not imported: {}", list.join(", "))
            }
            ImportError::Undefined { name, pos } => write!(f, "{pos}: {name} is not defined"),
            ImportError::Invalid(e) => write!(f, "the imported trace does not verify: {e}"),
        }
    }
}

impl std::error::Error for ImportError {}

/// The IR type of a PyPy variable, by its letter.
fn var_type(name: &str) -> Type {
    match name.as_bytes().first() {
        Some(b'p') => Type::Ref,
        Some(b'f') => Type::F64,
        _ => Type::I64,
    }
}

struct Importer<'a> {
    decls: &'a Declarations,
    b: TraceBuilder,
    vars: BTreeMap<String, Value>,
    /// Each variable a comparison defined, as the comparison's own i32.
    conds: BTreeMap<String, Value>,
    tokens: BTreeMap<u64, u32>,
    unsupported: BTreeMap<String, usize>,
    /// Constant objects, as inputs after the part's own.
    const_ptrs: BTreeMap<String, Value>,
}

/// Imports `part` with the object types `decls` declares (from the whole log).
pub fn import_part(part: &Part, decls: &Declarations) -> Result<Imported, ImportError> {
    let mut im = Importer {
        decls,
        b: TraceBuilder::new(),
        vars: BTreeMap::new(),
        conds: BTreeMap::new(),
        tokens: BTreeMap::new(),
        unsupported: BTreeMap::new(),
        const_ptrs: BTreeMap::new(),
    };
    im.b.objects(&decls.objects);
    for name in &part.inputs {
        let v = im.b.input(var_type(name));
        im.vars.insert(name.clone(), v);
    }
    // Constant objects, in order of first use, as inputs after the part's own.
    let mut const_ptrs = Vec::new();
    for a in part.ops.iter().flat_map(|o| &o.args) {
        if let LogArg::ConstPtr(p) = a {
            if p != "null" && !im.const_ptrs.contains_key(p) {
                let v = im.b.input(Type::Ref);
                im.const_ptrs.insert(p.clone(), v);
                const_ptrs.push(p.clone());
            }
        }
    }
    for op in &part.ops {
        im.op(op, part)?;
    }
    if !im.unsupported.is_empty() {
        return Err(ImportError::Unsupported(im.unsupported));
    }
    let trace =
        im.b.build()
            .map_err(|e| ImportError::Invalid(e.to_string()))?;
    Ok(Imported { trace, const_ptrs })
}

impl Importer<'_> {
    /// Counts `op` as not imported; its result gets a stand-in (the part is not imported,
    /// but the rest is still read, so every operation it lacks is reported).
    fn unsupported(&mut self, op: &LogOp) {
        *self.unsupported.entry(op.name.clone()).or_default() += 1;
        if let Some(r) = &op.result {
            let zero = match var_type(r) {
                Type::Ref => Scalar::NULL,
                Type::F64 => Scalar::F64(0),
                _ => Scalar::I64(0),
            };
            let v = self.b.unary(Opcode::SameAs, Operand::Const(zero));
            self.vars.insert(r.clone(), v);
        }
    }

    fn var(&self, name: &str, pos: crate::log::Pos) -> Result<Value, ImportError> {
        self.vars.get(name).copied().ok_or(ImportError::Undefined {
            name: name.to_string(),
            pos,
        })
    }

    /// An argument as an operand; `None` if it is a kind not imported yet.
    fn arg(&self, a: &LogArg, pos: crate::log::Pos) -> Result<Option<Operand>, ImportError> {
        Ok(match a {
            LogArg::Var(v) => Some(self.var(v, pos)?.into()),
            LogArg::Int(i) => Some(Operand::Const(Scalar::I64(*i))),
            LogArg::Float(f) => Some(Operand::Const(Scalar::F64(*f))),
            LogArg::ConstPtr(p) if p == "null" => Some(Operand::Const(Scalar::NULL)),
            LogArg::ConstPtr(p) => self.const_ptrs.get(p).map(|&v| v.into()),
            _ => None,
        })
    }

    fn args(&self, op: &LogOp) -> Result<Option<Vec<Operand>>, ImportError> {
        let mut out = Vec::with_capacity(op.args.len());
        for a in &op.args {
            match self.arg(a, op.pos)? {
                Some(x) => out.push(x),
                None => return Ok(None),
            }
        }
        Ok(Some(out))
    }

    fn define(&mut self, op: &LogOp, v: Value) {
        if let Some(r) = &op.result {
            self.vars.insert(r.clone(), v);
        }
    }

    /// The fail args, holes dropped.
    fn fail_args(&self, op: &LogOp) -> Result<Vec<Value>, ImportError> {
        op.fail_args
            .iter()
            .flatten()
            .flatten()
            .map(|n| self.var(n, op.pos))
            .collect()
    }

    /// A guard's i32 condition from a PyPy integer: the comparison's own result if a
    /// comparison defined it, else `int_is_true`.
    fn condition(&mut self, op: &LogOp) -> Result<Option<Operand>, ImportError> {
        match op.args.first() {
            Some(LogArg::Var(n)) => match self.conds.get(n) {
                Some(&c) => Ok(Some(c.into())),
                None => {
                    let v = self.var(n, op.pos)?;
                    Ok(Some(self.b.unary(Opcode::IntIsTrue, v).into()))
                }
            },
            _ => Ok(None),
        }
    }

    /// The struct and field index a field descr names.
    fn field(&self, d: &Option<Descr>) -> Option<(u32, u32, FieldType)> {
        let Some(Descr::Field { name, .. }) = d else {
            return None;
        };
        let (ty, field) = self.decls.fields.get(name)?;
        let k = self.decls.objects.iter().position(|o| &o.name == ty)?;
        let ObjectKind::Struct(fields) = &self.decls.objects[k].kind else {
            return None;
        };
        let f = fields.iter().position(|g| &g.name == field)?;
        Some((k as u32, f as u32, fields[f].ty))
    }

    /// The array type an array descr names.
    fn array(&self, d: &Option<Descr>) -> Option<(u32, FieldType)> {
        let Some(Descr::Array { kind, item }) = d else {
            return None;
        };
        let name = self.decls.arrays.get(&(*kind, *item))?;
        let k = self.decls.objects.iter().position(|o| &o.name == name)?;
        match &self.decls.objects[k].kind {
            ObjectKind::Array(t) => Some((k as u32, *t)),
            ObjectKind::Struct(_) => None,
        }
    }

    /// `v` (a field's or item's value) as the i64 PyPy's `i` variables hold.
    fn widen(&mut self, v: Value, t: FieldType) -> Value {
        match t {
            FieldType::Mem(m) if m.value_type() == Type::I32 => {
                let signed = matches!(
                    m,
                    jit_core::ir::MemType::I8
                        | jit_core::ir::MemType::I16
                        | jit_core::ir::MemType::I32
                );
                let op = if signed {
                    Opcode::CastI32ToI64
                } else {
                    Opcode::CastU32ToI64
                };
                self.b.unary(op, v)
            }
            _ => v,
        }
    }

    /// An i64 operand narrowed to what a field or item of type `t` stores.
    fn narrow(&mut self, x: Operand, t: FieldType) -> Operand {
        match t {
            FieldType::Mem(m) if m.value_type() == Type::I32 => {
                self.b.unary(Opcode::CastI64ToI32, x).into()
            }
            _ => x,
        }
    }

    fn index(&mut self, x: Operand) -> Operand {
        self.b.unary(Opcode::CastI64ToI32, x).into()
    }

    /// The class `new_with_vtable`/`new` result `var` is: the struct the first field the
    /// part writes into it belongs to.
    fn class_of_new(&self, part: &Part, var: &str) -> Option<usize> {
        part.ops.iter().find_map(|o| {
            let target = matches!(o.args.first(), Some(LogArg::Var(v)) if v == var);
            if o.name != "setfield_gc" || !target {
                return None;
            }
            let (decl, _, _) = self.field(&o.descr)?;
            Some(decl as usize)
        })
    }

    fn op(&mut self, op: &LogOp, part: &Part) -> Result<(), ImportError> {
        let name = op.name.as_str();
        match name {
            "debug_merge_point" | "enter_portal_frame" | "leave_portal_frame" | "keepalive"
            | "guard_no_exception" | "guard_not_forced" | "guard_not_forced_2" => return Ok(()),
            // The signal word: no signal is ever pending here.
            "getfield_raw_i" if matches!(&op.descr, Some(Descr::Field { name, .. }) if name == "pypysig_long_struct.c_value") =>
            {
                let v = self.b.unary(Opcode::SameAs, Operand::Const(Scalar::I64(0)));
                self.define(op, v);
                return Ok(());
            }
            // The JIT frame's address, which only forcing reads: there is no frame to force.
            "force_token" => {
                let v = self.b.unary(Opcode::SameAs, Operand::Const(Scalar::NULL));
                self.define(op, v);
                return Ok(());
            }
            "new_with_vtable" | "new" => {
                let class = op.result.as_ref().and_then(|r| self.class_of_new(part, r));
                let Some(k) = class else {
                    self.unsupported(op);
                    return Ok(());
                };
                // PyPy's `new` (no vtable) too: every tracejit object carries its type.
                let v = self
                    .b
                    .raw(
                        Opcode::NewWithVtable,
                        &[],
                        Some(Type::Ref),
                        Extra::Object(k as u32),
                    )
                    .expect("an allocation has a result");
                self.define(op, v);
                return Ok(());
            }
            "guard_class" | "guard_nonnull_class" => {
                let named = match op.args.get(1) {
                    Some(LogArg::ConstClass(c)) => Some(c),
                    Some(LogArg::Int(vt)) => self.decls.vtables.get(vt),
                    _ => None,
                };
                let class = named.and_then(|c| {
                    self.decls
                        .objects
                        .iter()
                        .position(|o| &o.name == c && !o.is_array())
                });
                let obj = match op.args.first() {
                    Some(a) => self.arg(a, op.pos)?,
                    None => None,
                };
                let (Some(k), Some(obj)) = (class, obj) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let fa = self.fail_args(op)?;
                let g = Opcode::from_name(name).expect("the IR has it");
                self.b.guard(
                    g,
                    &[obj, Operand::Const(Scalar::I32(type_id(k) as i32))],
                    &fa,
                );
                return Ok(());
            }
            _ => {}
        }
        let Some(args) = self.args(op)? else {
            self.unsupported(op);
            return Ok(());
        };
        let (base, suffix) = match name.rsplit_once('_') {
            Some((b, s)) if matches!(s, "i" | "r" | "f" | "n") => (b, s),
            _ => (name, ""),
        };
        match name {
            "int_add" | "int_sub" | "int_mul" | "int_and" | "int_or" | "int_xor" | "int_lshift"
            | "int_rshift" | "uint_rshift" | "uint_mul_high" | "float_add" | "float_sub"
            | "float_mul" | "float_truediv" | "int_add_ovf" | "int_sub_ovf" | "int_mul_ovf" => {
                let opcode = Opcode::from_name(name).expect("the IR has it");
                let v = self.b.binary(opcode, args[0], args[1]);
                self.define(op, v);
            }
            "int_lt" | "int_le" | "int_gt" | "int_ge" | "int_eq" | "int_ne" | "uint_lt"
            | "uint_le" | "uint_gt" | "uint_ge" | "float_lt" | "float_le" | "float_gt"
            | "float_ge" | "float_eq" | "float_ne" | "ptr_eq" | "ptr_ne" | "instance_ptr_eq"
            | "instance_ptr_ne" => {
                let opcode = Opcode::from_name(name.strip_prefix("instance_").unwrap_or(name))
                    .expect("the IR has it");
                let c = self.b.binary(opcode, args[0], args[1]);
                let wide = self.b.unary(Opcode::CastU32ToI64, c);
                self.define(op, wide);
                if let Some(r) = &op.result {
                    self.conds.insert(r.clone(), c);
                }
            }
            "int_is_true" | "int_is_zero" => {
                let opcode = Opcode::from_name(name).expect("the IR has it");
                let c = self.b.unary(opcode, args[0]);
                let wide = self.b.unary(Opcode::CastU32ToI64, c);
                self.define(op, wide);
                if let Some(r) = &op.result {
                    self.conds.insert(r.clone(), c);
                }
            }
            "int_neg" | "int_invert" | "float_neg" | "float_abs" => {
                let opcode = Opcode::from_name(name).expect("the IR has it");
                let v = self.b.unary(opcode, args[0]);
                self.define(op, v);
            }
            "cast_int_to_float" => {
                let v = self.b.unary(Opcode::CastI64ToF64, args[0]);
                self.define(op, v);
            }
            "cast_float_to_int" => {
                let v = self.b.unary(Opcode::CastF64ToI64, args[0]);
                self.define(op, v);
            }
            _ if base == "same_as" => {
                let v = self.b.unary(Opcode::SameAs, args[0]);
                self.define(op, v);
            }
            "guard_true" | "guard_false" => {
                let Some(c) = self.condition(op)? else {
                    self.unsupported(op);
                    return Ok(());
                };
                let fa = self.fail_args(op)?;
                let g = Opcode::from_name(name).expect("the IR has it");
                self.b.guard(g, &[c], &fa);
            }
            "guard_value" if args.iter().all(|a| self.b.operand_type(*a) == Type::I64) => {
                let fa = self.fail_args(op)?;
                self.b.guard(Opcode::GuardValue, &args, &fa);
            }
            "guard_value" if args.iter().all(|a| self.b.operand_type(*a) == Type::Ref) => {
                let fa = self.fail_args(op)?;
                let same = self.b.binary(Opcode::PtrEq, args[0], args[1]);
                self.b.guard(Opcode::GuardTrue, &[same.into()], &fa);
            }
            "guard_isnull"
            | "guard_nonnull"
            | "guard_no_overflow"
            | "guard_overflow"
            | "guard_not_invalidated" => {
                let fa = self.fail_args(op)?;
                let g = Opcode::from_name(name).expect("the IR has it");
                self.b.guard(g, &args, &fa);
            }
            _ if base == "getfield_gc" => {
                let Some((decl, field, t)) = self.field(&op.descr) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let opcode = Opcode::from_name(name).expect("the IR has it");
                let v = self
                    .b
                    .raw(
                        opcode,
                        &args,
                        Some(t.value_type()),
                        Extra::Field { decl, field },
                    )
                    .expect("a field read has a result");
                let v = self.widen(v, t);
                self.define(op, v);
            }
            "setfield_gc" => {
                let Some((decl, field, t)) = self.field(&op.descr) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let value = self.narrow(args[1], t);
                self.b.raw(
                    Opcode::SetfieldGc,
                    &[args[0], value],
                    None,
                    Extra::Field { decl, field },
                );
            }
            _ if base == "getarrayitem_gc" || base == "getarrayitem_gc_pure" => {
                let Some((k, t)) = self.array(&op.descr) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let opcode =
                    Opcode::from_name(&format!("getarrayitem_gc_{suffix}")).expect("the IR has it");
                let i = self.index(args[1]);
                let v = self
                    .b
                    .raw(
                        opcode,
                        &[args[0], i],
                        Some(t.value_type()),
                        Extra::Object(k),
                    )
                    .expect("an item read has a result");
                let v = self.widen(v, t);
                self.define(op, v);
            }
            "setarrayitem_gc" => {
                let Some((k, t)) = self.array(&op.descr) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let i = self.index(args[1]);
                let value = self.narrow(args[2], t);
                self.b.raw(
                    Opcode::SetarrayitemGc,
                    &[args[0], i, value],
                    None,
                    Extra::Object(k),
                );
            }
            "arraylen_gc" => {
                let Some((k, _)) = self.array(&op.descr) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let n = self
                    .b
                    .raw(Opcode::ArraylenGc, &args, Some(Type::I32), Extra::Object(k))
                    .expect("arraylen has a result");
                let v = self.b.unary(Opcode::CastI32ToI64, n);
                self.define(op, v);
            }
            "label" => {
                let Some(Descr::Target(t)) = op.descr else {
                    self.unsupported(op);
                    return Ok(());
                };
                let token = self.tokens.len() as u32;
                self.tokens.insert(t, token);
                // Label arguments are distinct variables; a repeated one is renamed.
                let mut values: Vec<Value> = Vec::new();
                for (k, a) in args.iter().enumerate() {
                    let Operand::Value(v) = *a else {
                        self.unsupported(op);
                        return Ok(());
                    };
                    let v = if values.contains(&v) {
                        let c = self.b.unary(Opcode::SameAs, v);
                        if let Some(LogArg::Var(n)) = op.args.get(k) {
                            self.vars.insert(n.clone(), c);
                        }
                        c
                    } else {
                        v
                    };
                    values.push(v);
                }
                // The constant objects ride every loop (the same values each time).
                values.extend(self.const_ptrs.values().copied());
                let ops: Vec<Operand> = values.iter().map(|&v| v.into()).collect();
                self.b.raw(Opcode::Label, &ops, None, Extra::Target(token));
            }
            "jump" => match op.descr {
                Some(Descr::Target(t)) if self.tokens.contains_key(&t) => {
                    let token = self.tokens[&t];
                    let mut args = args;
                    args.extend(self.const_ptrs.values().map(|&v| Operand::from(v)));
                    self.b.raw(Opcode::Jump, &args, None, Extra::Target(token));
                }
                _ => self.unsupported(op),
            },
            "finish" => {
                self.b.finish(&args);
            }
            _ => self.unsupported(op),
        }
        Ok(())
    }
}
