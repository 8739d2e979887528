//! Random valid traces for property tests: every opcode, all four types, constants that
//! matter, loops, guards that pass and fail, calls and in-bounds memory accesses.

use jit_core::builder::TraceBuilder;
use jit_core::ir::{CType, Extra, FuncRef, MemType, Opcode, Operand, Scalar, Sig, Type, Value};
use jit_core::objects::{type_id, Field, FieldType, ObjectDecl, ObjectKind};
use jit_core::Trace;

/// Draws numbers from a byte string; past its end, zeros.
pub struct Choices<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Choices<'a> {
    /// Choices read from `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Choices { bytes, at: 0 }
    }
    /// The next 32-bit number.
    pub fn u32(&mut self) -> u32 {
        let mut x = 0u32;
        for _ in 0..4 {
            x = (x << 8) | *self.bytes.get(self.at).unwrap_or(&0) as u32;
            self.at += 1;
        }
        x
    }
    /// A number in `0..n` (0 if `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.u32() as usize % n
        }
    }
    /// True with about this chance.
    pub fn chance(&mut self, percent: u32) -> bool {
        self.u32() % 100 < percent
    }
    /// Whether the bytes are used up.
    pub fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }
}

const I32S: &[i32] = &[
    0,
    1,
    -1,
    2,
    31,
    32,
    33,
    255,
    256,
    0x7fff_ffff,
    i32::MIN,
    0x1234_5678,
    -4096,
    0xff00_0000u32 as i32,
];
const I64S: &[i64] = &[
    0,
    1,
    -1,
    63,
    64,
    i64::MAX,
    i64::MIN,
    0xffff_ffff,
    0x1_0000_0000,
    -0x1234_5678_9abc,
];
const F64S: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.5,
    0.1,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    5e-324,
    2.2250738585072014e-308,
    1e300,
    2147483648.0,
];

/// A constant of `ty`, usually one of the values that matter at the edges.
pub fn constant(c: &mut Choices, ty: Type) -> Scalar {
    match ty {
        Type::I32 => Scalar::I32(if c.chance(70) {
            I32S[c.below(I32S.len())]
        } else {
            c.u32() as i32
        }),
        Type::I64 => Scalar::I64(if c.chance(70) {
            I64S[c.below(I64S.len())]
        } else {
            ((c.u32() as i64) << 32) | c.u32() as i64
        }),
        Type::F64 => {
            if c.chance(75) {
                Scalar::f64(F64S[c.below(F64S.len())])
            } else {
                // Any bits: many distinct constants fill literal pools.
                Scalar::F64(((c.u32() as u64) << 32) | c.u32() as u64)
            }
        }
        Type::Ref => Scalar::NULL,
    }
}

/// A function a generated trace may call: name, parameters, result.
type Callable = (String, Vec<CType>, Option<CType>);

/// Functions a generated trace may call.
/// Built once: the extern table is large.
fn callable() -> &'static [Callable] {
    static CALLABLE: std::sync::OnceLock<Vec<Callable>> = std::sync::OnceLock::new();
    CALLABLE.get_or_init(|| {
        let mut all = crate::externs()
            .iter()
            // Helpers are legalization's, but `@tracejit_invalidate` is a trace's own: calls
            // to it invalidate the running code mid-run.
            .filter(|(name, _)| {
                !jit_core::legalize::is_helper(name) || *name == jit_core::interp::INVALIDATE
            })
            // `@shape_sink` returns what the last `void` callee computed: state that
            // outlives a run, which only the suite's cases (reading it right after such a
            // call) may use.
            .filter(|(name, _)| *name != crate::shapes::SINK)
            .map(|(name, f)| (name.to_string(), f.params.clone(), f.ret))
            .collect::<Vec<_>>();
        // The generated callees (hundreds, some of 40 arguments) last: `pick_callable`
        // draws them one call in four, so they leave room for the rest of a trace.
        all.sort_by_key(|(name, _, _)| crate::shapes::is_shape(name));
        all
    })
}

/// How many of [`callable`]'s functions come before the generated callees.
fn plain_callables() -> usize {
    static N: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *N.get_or_init(|| {
        let shapes = crate::shapes::all().len();
        callable().len() - shapes
    })
}

struct Gen<'a, 'b> {
    c: &'a mut Choices<'b>,
    b: TraceBuilder,
    /// Values usable now, with their types.
    pool: Vec<(Value, Type)>,
    /// A buffer input and its size in bytes (memory ops index within it).
    buffer: Option<Value>,
    /// Functions declared so far.
    declared: Vec<(usize, FuncRef)>,
    /// The GC object types the trace declares.
    decls: Vec<ObjectDecl>,
    /// Values known to be objects here: the value, its type's index and, for an array of
    /// a constant length, that length.
    objects: Vec<Tracked>,
}

/// An object the generator knows: its value, its type's index in the declarations and
/// an array's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tracked {
    v: Value,
    decl: u32,
    len: Option<u32>,
}

/// A field type for a generated object: refs twice as often as each other type (they
/// make the collector's work).
fn field_type(c: &mut Choices) -> FieldType {
    let k = c.below(FieldType::ALL.len() + 1);
    FieldType::ALL.get(k).copied().unwrap_or(FieldType::Ref)
}
/// Object type declarations for a generated trace: one to three structs of one to six
/// fields, and up to two arrays.
fn declarations(c: &mut Choices) -> Vec<ObjectDecl> {
    let mut decls = Vec::new();
    for k in 0..1 + c.below(3) {
        let fields = (0..1 + c.below(6))
            .map(|f| Field {
                name: format!("f{f}"),
                ty: field_type(c),
            })
            .collect();
        decls.push(ObjectDecl {
            name: format!("S{k}"),
            kind: ObjectKind::Struct(fields),
        });
    }
    for k in 0..c.below(3) {
        decls.push(ObjectDecl {
            name: format!("A{k}"),
            kind: ObjectKind::Array(field_type(c)),
        });
    }
    decls
}

/// Size of the buffer that a generated trace's first ref input points at: past 4 KiB, so
/// accesses need offsets beyond every ARM immediate (`ldr` 4095, `vldr` 1020, `ldrh` 255).
pub const BUFFER_BYTES: usize = 4352;

/// The part of the buffer most accesses use, so that loads often read what stores wrote.
pub const HOT_BYTES: usize = 64;

impl Gen<'_, '_> {
    fn operand(&mut self, ty: Type) -> Operand {
        let have: Vec<Value> = self
            .pool
            .iter()
            .filter(|(_, t)| *t == ty)
            .map(|(v, _)| *v)
            .collect();
        if !have.is_empty() && self.c.chance(80) {
            Operand::Value(have[self.c.below(have.len())])
        } else {
            Operand::Const(constant(self.c, ty))
        }
    }

    fn add(&mut self, v: Value) {
        let ty = self.b.operand_type(v.into());
        self.pool.push((v, ty));
    }

    fn fail_args(&mut self) -> Vec<Value> {
        if self.pool.is_empty() {
            return Vec::new();
        }
        let n = self.c.below(5);
        (0..n)
            .map(|_| self.pool[self.c.below(self.pool.len())].0)
            .collect()
    }

    /// A new object of type `decl` (an array of `len` items), known from here on.
    fn allocate(&mut self, op: Opcode, decl: u32, len: Option<u32>) {
        let args: Vec<Operand> = len
            .map(|n| Operand::Const(Scalar::I32(n as i32)))
            .into_iter()
            .collect();
        let v = self
            .b
            .raw(op, &args, Some(Type::Ref), Extra::Object(decl))
            .expect("a result");
        self.add(v);
        self.objects.push(Tracked { v, decl, len });
    }

    /// An operation on objects: allocate, get or set a field or item, an array's length,
    /// a class guard (passing or failing).
    fn object_op(&mut self) {
        let structs: Vec<u32> = (0..self.decls.len() as u32)
            .filter(|&d| !self.decls[d as usize].is_array())
            .collect();
        let arrays: Vec<u32> = (0..self.decls.len() as u32)
            .filter(|&d| self.decls[d as usize].is_array())
            .collect();
        let pick = |c: &mut Choices, objs: &[Tracked], array: bool| -> Option<Tracked> {
            let of: Vec<Tracked> = objs
                .iter()
                .copied()
                .filter(|o| o.len.is_some() == array)
                .collect();
            (!of.is_empty()).then(|| of[c.below(of.len())])
        };
        match self.c.below(9) {
            0 | 1 => {
                let d = structs[self.c.below(structs.len())];
                self.allocate(Opcode::NewWithVtable, d, None);
            }
            2 if !arrays.is_empty() => {
                let d = arrays[self.c.below(arrays.len())];
                let len = if self.c.chance(3) {
                    9000 + self.c.below(3000) as u32
                } else {
                    [0, 1, 2, 3, 5, 8, 16, 40][self.c.below(8)]
                };
                self.allocate(Opcode::NewArrayClear, d, Some(len));
            }
            3 | 4 => {
                let Some(o) = pick(self.c, &self.objects, false) else {
                    return;
                };
                let ObjectKind::Struct(fields) = &self.decls[o.decl as usize].kind else {
                    return;
                };
                let f = self.c.below(fields.len());
                let ty = fields[f].ty;
                let extra = Extra::Field {
                    decl: o.decl,
                    field: f as u32,
                };
                if self.c.chance(55) {
                    let x = self.operand(ty.value_type());
                    self.b
                        .raw(Opcode::SetfieldGc, &[o.v.into(), x], None, extra);
                } else {
                    let op = match ty {
                        FieldType::Ref => Opcode::GetfieldGcR,
                        FieldType::Mem(MemType::F64) => Opcode::GetfieldGcF,
                        FieldType::Mem(_) => Opcode::GetfieldGcI,
                    };
                    let v = self
                        .b
                        .raw(op, &[o.v.into()], Some(ty.value_type()), extra)
                        .expect("a result");
                    self.add(v);
                }
            }
            5 | 6 => {
                let Some(o) = pick(self.c, &self.objects, true) else {
                    return;
                };
                let len = o.len.expect("an array");
                if len == 0 {
                    let v = self
                        .b
                        .raw(
                            Opcode::ArraylenGc,
                            &[o.v.into()],
                            Some(Type::I32),
                            Extra::Object(o.decl),
                        )
                        .expect("a result");
                    self.add(v);
                    return;
                }
                let ObjectKind::Array(item) = self.decls[o.decl as usize].kind else {
                    return;
                };
                // A constant index, or a value masked into the array.
                let index = if self.c.chance(50) {
                    Operand::Const(Scalar::I32(self.c.below(len as usize) as i32))
                } else {
                    let mask = (1u32 << (31 - len.leading_zeros())) - 1;
                    let x = self.operand(Type::I32);
                    Operand::Value(self.b.binary(Opcode::IntAnd, x, Scalar::I32(mask as i32)))
                };
                let extra = Extra::Object(o.decl);
                if self.c.chance(55) {
                    let x = self.operand(item.value_type());
                    self.b
                        .raw(Opcode::SetarrayitemGc, &[o.v.into(), index, x], None, extra);
                } else {
                    let op = match item {
                        FieldType::Ref => Opcode::GetarrayitemGcR,
                        FieldType::Mem(MemType::F64) => Opcode::GetarrayitemGcF,
                        FieldType::Mem(_) => Opcode::GetarrayitemGcI,
                    };
                    let v = self
                        .b
                        .raw(op, &[o.v.into(), index], Some(item.value_type()), extra)
                        .expect("a result");
                    self.add(v);
                }
            }
            _ => {
                // A class guard on a known object (or null, for the nonnull one): it fails
                // when the class drawn is not the object's.
                let nonnull = self.c.chance(50);
                let o = if self.objects.is_empty() {
                    None
                } else {
                    Some(self.objects[self.c.below(self.objects.len())])
                };
                let p = match o {
                    Some(o) if !(nonnull && self.c.chance(10)) => Operand::Value(o.v),
                    _ if nonnull => Operand::Const(Scalar::NULL),
                    _ => return,
                };
                let class = match o {
                    Some(o) if self.c.chance(80) => o.decl,
                    _ => self.c.below(self.decls.len()) as u32,
                };
                let tid = Operand::Const(Scalar::I32(type_id(class as usize) as i32));
                let op = if nonnull {
                    Opcode::GuardNonnullClass
                } else {
                    Opcode::GuardClass
                };
                let fa = self.fail_args();
                self.b.guard(op, &[p, tid], &fa);
            }
        }
    }

    /// The trace's declaration of callable `k`, made on first use.
    fn declared_func(&mut self, funcs: &[Callable], k: usize) -> FuncRef {
        match self.declared.iter().find(|(d, _)| *d == k) {
            Some(&(_, f)) => f,
            None => {
                let (name, params, ret) = &funcs[k];
                let f = self.b.declare(name, params, *ret);
                self.declared.push((k, f));
                f
            }
        }
    }

    fn op(&mut self, funcs: &[Callable]) {
        if !self.decls.is_empty() && self.c.chance(40) {
            return self.object_op();
        }
        let ops: Vec<Opcode> = Opcode::ALL
            .iter()
            .copied()
            .filter(|o| {
                !matches!(
                    o.sig(),
                    Sig::Label
                        | Sig::Jump
                        | Sig::Finish
                        | Sig::CarryIn
                        | Sig::CallSplit
                        | Sig::CallHi
                        // Function addresses are made for the indirect calls using them.
                        | Sig::FuncAddr
                        // Object operations are `object_op`'s.
                        | Sig::Object(_)
                        | Sig::Gc(_)
                ) && !o.reads_overflow()
            })
            .collect();
        let op = ops[self.c.below(ops.len())];
        let int = if self.c.chance(50) {
            Type::I32
        } else {
            Type::I64
        };
        match op.sig() {
            Sig::IntBinary | Sig::IntCompare | Sig::IntOverflow => {
                let (a, b) = (self.operand(int), self.operand(int));
                let v = self.b.binary(op, a, b);
                self.add(v);
                if op.is_overflow_op() {
                    let g = if self.c.chance(80) {
                        Opcode::GuardNoOverflow
                    } else {
                        Opcode::GuardOverflow
                    };
                    let fa = self.fail_args();
                    self.b.guard(g, &[], &fa);
                }
            }
            Sig::CarryOut => {
                // A 64-bit add or subtract on i32 halves: the pair stays together.
                let (a, b) = (self.operand(Type::I32), self.operand(Type::I32));
                let lo = self.b.binary(op, a, b);
                let (c, d) = (self.operand(Type::I32), self.operand(Type::I32));
                let hi = self.b.binary(
                    op.carry_partner().expect("a carry-out op has a partner"),
                    c,
                    d,
                );
                self.add(lo);
                self.add(hi);
            }
            Sig::CarryIn | Sig::CallSplit | Sig::CallHi | Sig::FuncAddr => {
                unreachable!("filtered out")
            }
            Sig::IntUnary | Sig::IntTest => {
                let a = self.operand(int);
                let v = self.b.unary(op, a);
                self.add(v);
            }
            Sig::FloatBinary | Sig::FloatCompare => {
                let (a, b) = (self.operand(Type::F64), self.operand(Type::F64));
                let v = self.b.binary(op, a, b);
                self.add(v);
            }
            Sig::FloatUnary => {
                let a = self.operand(Type::F64);
                let v = self.b.unary(op, a);
                self.add(v);
            }
            Sig::RefCompare => {
                let (a, b) = (self.operand(Type::Ref), self.operand(Type::Ref));
                let v = self.b.binary(op, a, b);
                self.add(v);
            }
            Sig::Convert(from, _) => {
                let a = self.operand(from);
                let v = self.b.unary(op, a);
                self.add(v);
            }
            Sig::SameAs => {
                let ty = Type::ALL[self.c.below(4)];
                let a = self.operand(ty);
                let v = self.b.unary(op, a);
                self.add(v);
            }
            Sig::Load(m) | Sig::Store(m) => {
                let Some(buf) = self
                    .buffer
                    .filter(|b| self.pool.iter().any(|(v, _)| v == b))
                else {
                    return;
                };
                let size = m.size() as usize;
                let load = matches!(op.sig(), Sig::Load(_));
                // Any access anywhere: memory sees the canonical NaN from arithmetic on
                // every target (docs/ir.md §5), so f64 stores and integer loads may overlap.
                let (lo, hi) = if self.c.chance(60) {
                    (0, HOT_BYTES)
                } else {
                    (0, BUFFER_BYTES)
                };
                let slots = (hi - lo) / size;
                let scale = [1u8, 2, 4, 8][self.c.below(4)].max(size as u8);
                // index * scale + offset stays inside the region and aligned.
                let index = self.c.below(BUFFER_BYTES / scale as usize) as i32;
                let offset = -(index * scale as i32) + (lo + self.c.below(slots) * size) as i32;
                if load {
                    let v = self.b.load(op, buf, index, scale, offset);
                    self.add(v);
                } else {
                    let val = self.operand(m.value_type());
                    self.b.store(op, buf, index, scale, offset, val);
                }
            }
            Sig::Call => {
                let plain = plain_callables().min(funcs.len());
                let k = if plain > 0 && (plain == funcs.len() || self.c.chance(75)) {
                    self.c.below(plain)
                } else {
                    plain + self.c.below(funcs.len() - plain)
                };
                let (_, params, ret) = &funcs[k];
                let f = self.declared_func(funcs, k);
                let args: Vec<Operand> = params.iter().map(|&t| self.operand(t.value())).collect();
                let v = if op.is_indirect_call() {
                    // Through the address of a function of the same signature (often
                    // another one), made just before: a function address is never an
                    // ordinary operand (the verifier keeps it from escaping).
                    let like: Vec<usize> = (0..funcs.len())
                        .filter(|&j| funcs[j].1 == *params && funcs[j].2 == *ret)
                        .collect();
                    let j = like[self.c.below(like.len())];
                    let target = self.declared_func(funcs, j);
                    let p = self.b.func_addr(target);
                    self.b.call_indirect(f, &args, p)
                } else {
                    self.b.call(f, &args)
                };
                if let Some(v) = v {
                    self.add(v);
                }
            }
            Sig::GuardCond => {
                let a = self.operand(Type::I32);
                let fa = self.fail_args();
                self.b.guard(op, &[a], &fa);
            }
            Sig::GuardValue => {
                let (a, b) = (self.operand(int), self.operand(int));
                let fa = self.fail_args();
                self.b.guard(op, &[a, b], &fa);
            }
            Sig::GuardRef => {
                let a = self.operand(Type::Ref);
                let fa = self.fail_args();
                self.b.guard(op, &[a], &fa);
            }
            Sig::GuardFlag => {
                let fa = self.fail_args();
                self.b.guard(op, &[], &fa);
            }
            Sig::Label | Sig::Jump | Sig::Finish | Sig::Object(_) | Sig::Gc(_) => {
                unreachable!("filtered out")
            }
        }
    }
}

/// A random valid trace, its inputs and the memory they point at, drawn from `bytes`: the
/// first ref input points at a buffer of [`BUFFER_BYTES`] bytes filled with random bytes
/// (so loads see negative bytes, odd halves and NaN patterns from the start).
pub fn case(bytes: &[u8]) -> (Trace, Vec<Scalar>, jit_core::Memory) {
    let (trace, mut inputs) = trace(bytes);
    let mut memory = jit_core::Memory::new();
    let buf = memory.alloc(BUFFER_BYTES).expect("a small buffer");
    // The contents follow from the bytes (FNV-1a seeds an xorshift), so a case repeats.
    let mut x = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    }) | 1;
    if let Some(dst) = memory.contents_mut(buf) {
        for b in dst.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
    }
    if let Some(v) = inputs.iter_mut().find(|v| **v == Scalar::Ref(0)) {
        *v = Scalar::Ref(buf);
    }
    (trace, inputs, memory)
}

/// A random valid trace and inputs for it, drawn from `bytes`. The first ref input, if
/// any, stands for a buffer of [`BUFFER_BYTES`] bytes: its input is `Ref(0)` until the
/// caller allocates the buffer and puts its address there ([`case`] does).
pub fn trace(bytes: &[u8]) -> (Trace, Vec<Scalar>) {
    let mut c = Choices::new(bytes);
    let b = TraceBuilder::new();
    let funcs = callable();
    let mut gen = Gen {
        c: &mut c,
        b,
        pool: Vec::new(),
        buffer: None,
        declared: Vec::new(),
        decls: Vec::new(),
        objects: Vec::new(),
    };
    // One trace in four works on GC objects.
    if gen.c.chance(25) {
        gen.decls = declarations(gen.c);
        gen.b.objects(&gen.decls);
    }
    let mut inputs = Vec::new();
    // Now and then a wide trace: dozens to hundreds of inputs, most of them carried by the
    // loop, so the jump is a long parallel move and the frame grows past ARM's immediate
    // offsets (and pending literals must be placed inside the move).
    let wide = gen.c.chance(6);
    let count = if wide {
        20 + gen.c.below(280)
    } else {
        1 + gen.c.below(5)
    };
    for _ in 0..count {
        let ty = Type::ALL[gen.c.below(4)];
        let v = gen.b.input(ty);
        gen.pool.push((v, ty));
        if ty == Type::Ref && gen.buffer.is_none() {
            gen.buffer = Some(v);
            inputs.push(Scalar::Ref(0)); // Patched by the caller to the buffer's address.
        } else {
            inputs.push(constant(gen.c, ty));
        }
    }
    let looping = gen.c.chance(50);
    let pre = if looping { gen.c.below(4) } else { 0 };
    // Now and then PyPy's peeled shape: a label before the preamble too (over the inputs);
    // the loop's own label comes after the preamble, and the jump goes there.
    let peeled = looping && pre > 0 && gen.c.chance(30);
    if peeled {
        let all: Vec<Value> = gen.pool.iter().map(|(v, _)| *v).collect();
        gen.b.label(&all);
    }
    for _ in 0..pre {
        gen.op(funcs);
    }
    // Most loops count down from a small trip count and leave through a guard; the others
    // run until a random guard fails or the step budget ends them (then the target must
    // run out at the same jump, with the same memory).
    let counter = if looping && gen.c.chance(85) {
        let trips = 1 + gen.c.below(12) as i32;
        Some(gen.b.unary(Opcode::SameAs, Scalar::I32(trips)))
    } else {
        None
    };
    let mut next_count = None;
    if looping {
        // The label carries the counter, the buffer and a random subset of the rest.
        let mut carried: Vec<(Value, Type)> = Vec::new();
        for &(v, t) in &gen.pool.clone() {
            if Some(v) == gen.buffer || gen.c.chance(if wide { 90 } else { 60 }) {
                carried.push((v, t));
            }
        }
        let mut label: Vec<Value> = carried.iter().map(|(v, _)| *v).collect();
        label.extend(counter);
        gen.b.label(&label);
        gen.objects.retain(|o| label.contains(&o.v));
        gen.pool = carried;
        if let Some(n) = counter {
            let left = gen.b.binary(Opcode::IntSub, n, Scalar::I32(1));
            let more = gen.b.binary(Opcode::IntGt, left, Scalar::I32(0));
            let fa = gen.fail_args();
            gen.b.guard(Opcode::GuardTrue, &[more.into()], &fa);
            next_count = Some(left);
        }
    }
    // Now and then a long body: thousands of ops with many distinct constants, so literal
    // pools fill and ARM places islands inside the loop.
    let body = if gen.c.chance(2) {
        500 + gen.c.below(2500)
    } else {
        1 + gen.c.below(30)
    };
    for _ in 0..body {
        if gen.c.done() {
            break;
        }
        gen.op(funcs);
    }
    if looping {
        // Now and then a peeled loop's jump names its first label (token 0): the preamble
        // runs again on every pass.
        let to_first = peeled && gen.c.chance(25);
        let label: Vec<Operand> = {
            let t = gen.b.trace();
            let at = if to_first {
                t.ops.iter().position(|o| o.opcode == Opcode::Label)
            } else {
                t.label_index()
            };
            t.ops[at.expect("label was added")].args.to_vec()
        };
        let args: Vec<Operand> = label
            .iter()
            .map(|&a| match a {
                Operand::Value(v) if Some(v) == gen.buffer => a,
                Operand::Value(v) if Some(v) == counter => {
                    Operand::Value(next_count.expect("a counted loop"))
                }
                // An object the loop knows goes around as an object of the same kind.
                Operand::Value(v) if gen.objects.iter().any(|o| o.v == v) => {
                    let o = *gen.objects.iter().find(|o| o.v == v).expect("found");
                    let same: Vec<Value> = gen
                        .objects
                        .iter()
                        .filter(|p| p.decl == o.decl && p.len == o.len)
                        .map(|p| p.v)
                        .collect();
                    Operand::Value(same[gen.c.below(same.len())])
                }
                _ => {
                    let ty = gen.b.operand_type(a);
                    gen.operand(ty)
                }
            })
            .collect();
        let extra = if to_first {
            jit_core::ir::Extra::Target(0)
        } else {
            jit_core::ir::Extra::None
        };
        gen.b.raw(Opcode::Jump, &args, None, extra);
    } else {
        let n = gen.c.below(4);
        let args: Vec<Operand> = (0..n)
            .map(|_| {
                let ty = Type::ALL[gen.c.below(4)];
                gen.operand(ty)
            })
            .collect();
        gen.b.finish(&args);
    }
    let trace = gen
        .b
        .build()
        .unwrap_or_else(|e| panic!("generator made an invalid trace: {e}"));
    (trace, inputs)
}

/// A random bridge for a guard whose fail args have `types`: `bytes` choose 1–30
/// operations of every kind (guards among them, so bridges chain; loads and stores on the
/// input `buffer`, if the guard passes the buffer's ref) and the values it finishes with —
/// or, about half the time when its root has a loop whose label takes `loop_types`, the
/// values it jumps back to that loop with. With its root's object types `decls` (a tree's
/// heap has the root's), it allocates and works on objects of its own too.
pub fn bridge(
    bytes: &[u8],
    types: &[Type],
    buffer: Option<usize>,
    loop_types: Option<&[Type]>,
    decls: &[ObjectDecl],
) -> Trace {
    let mut c = Choices::new(bytes);
    let funcs = callable();
    let mut gen = Gen {
        c: &mut c,
        b: TraceBuilder::new(),
        pool: Vec::new(),
        buffer: None,
        declared: Vec::new(),
        decls: decls.to_vec(),
        objects: Vec::new(),
    };
    gen.b.objects(decls);
    for (k, &ty) in types.iter().enumerate() {
        let v = gen.b.input(ty);
        gen.pool.push((v, ty));
        if Some(k) == buffer {
            gen.buffer = Some(v);
        }
    }
    let body = 1 + gen.c.below(30);
    for _ in 0..body {
        if gen.c.done() {
            break;
        }
        gen.op(funcs);
    }
    match loop_types {
        // Back to the root's loop, the buffer where it takes a ref (mostly).
        Some(types) if gen.c.chance(50) => {
            let args: Vec<Operand> = types
                .iter()
                .map(|&ty| match gen.buffer {
                    Some(b) if ty == Type::Ref && gen.c.chance(90) => Operand::Value(b),
                    _ => gen.operand(ty),
                })
                .collect();
            gen.b.jump(&args);
        }
        _ => {
            let n = gen.c.below(4);
            let args: Vec<Operand> = (0..n)
                .map(|_| {
                    let ty = Type::ALL[gen.c.below(4)];
                    gen.operand(ty)
                })
                .collect();
            gen.b.finish(&args);
        }
    }
    gen.b
        .build()
        .unwrap_or_else(|e| panic!("generator made an invalid bridge: {e}"))
}

/// Decides guards with the interpreter, as PyPy's `test_random` does: while a run of
/// `trace` leaves through a guard that fails on the first pass, the guard is usually
/// inverted (`guard_true` ↔ `guard_false`, `guard_nonnull` ↔ `guard_isnull`,
/// `guard_no_overflow` ↔ `guard_overflow`) so the run goes on past it; about one time in
/// four it stays, so traces also leave through guards. An inversion that makes the run stop
/// on the step budget (a loop's exit guard) is undone. At most `rounds` guards change.
pub fn steer_guards(
    trace: &mut Trace,
    inputs: &[Scalar],
    memory: &jit_core::Memory,
    externs: &jit_core::Externs,
    options: jit_core::interp::RunOptions,
    c: &mut Choices,
    rounds: usize,
) {
    use jit_core::interp::{run, ExitKind};
    for _ in 0..rounds {
        let Ok(out) = run(trace, inputs, &mut memory.clone(), externs, options) else {
            return;
        };
        if out.kind != ExitKind::Guard || out.iterations > 0 || c.chance(25) {
            return;
        }
        let op = &mut trace.ops[out.op];
        let Some(inverse) = inverse_guard(op.opcode) else {
            return;
        };
        let was = std::mem::replace(&mut op.opcode, inverse);
        if run(trace, inputs, &mut memory.clone(), externs, options).is_err() {
            trace.ops[out.op].opcode = was;
            return;
        }
    }
}

fn inverse_guard(op: Opcode) -> Option<Opcode> {
    use Opcode::*;
    Some(match op {
        GuardTrue => GuardFalse,
        GuardFalse => GuardTrue,
        GuardNonnull => GuardIsnull,
        GuardIsnull => GuardNonnull,
        GuardNoOverflow => GuardOverflow,
        GuardOverflow => GuardNoOverflow,
        _ => return None,
    })
}
