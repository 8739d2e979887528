//! A heap to run an imported tree on, and steering it through the tree's guards.
//!
//! [`build`] makes a tree's inputs: its integers and floats small numbers from a seed, its
//! refs objects of the classes their uses name ([`crate::import::Hints`]), with fields
//! filled the same way and ref fields holding objects of the classes the trace reads from
//! them (a few levels deep), the extra inputs' constant objects likewise, and the scratch
//! buffer. Objects are the interpreter's abstract ones (`jit_core::memory::Object`), which
//! every target materializes in its own heap.
//!
//! [`steer`] changes a heap so that one guard of the tree passes (or fails) on it, the way
//! the fuzzer steers its generated guards: it follows the guard's value back through the
//! trace — casts, `same_as`, field and item reads, a bridge's inputs to its guard's fail
//! args — to an input or to a field or item of the heap, and writes there what the guard
//! wants: the constant `guard_value` compares with, an object of the class `guard_class`
//! names, null or an object, or a number on the right side of a comparison with a
//! constant or with another value of the heap. Values the trace computes otherwise (sums,
//! call results, objects it allocates) are not steered.

use jit_core::ir::{Extra, Opcode, Operand, Scalar, Type, Value, ValueDef};
use jit_core::objects::{type_id, FieldType, ObjectKind};
use jit_core::Memory;

use crate::import::{ExtraInput, ImportedLog, ImportedTree};

/// Inputs and memory for one run of a tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Heap {
    /// The root's inputs: the loop's own, then the extra inputs.
    pub inputs: Vec<Scalar>,
    /// The objects (and the scratch buffer) they reach.
    pub memory: Memory,
}

/// How deep [`build`] nests objects in ref fields.
const DEPTH: usize = 8;
/// The most objects one heap's making nests (the rest of its ref fields stay null).
const OBJECTS: usize = 1500;
/// How many items an array [`build`] makes holds.
const ARRAY_LENGTH: usize = 16;

struct Maker<'a> {
    log: &'a ImportedLog,
    tree: &'a ImportedTree,
    memory: Memory,
    state: u64,
}

impl Maker<'_> {
    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    /// A small value of field type `t` (refs: null).
    fn scalar(&mut self, t: FieldType) -> Scalar {
        let n = self.next() % 8;
        match t {
            FieldType::Ref => Scalar::NULL,
            FieldType::Mem(m) => match m.value_type() {
                Type::F64 => Scalar::F64((n as f64 / 4.0).to_bits()),
                Type::I32 => Scalar::I32(n as i32),
                _ => Scalar::I64(n as i64),
            },
        }
    }

    /// An object of type `k`, its ref fields filled `depth` levels deep.
    fn object(&mut self, k: usize, depth: usize) -> Scalar {
        self.object_in(k, depth, None)
    }

    /// [`Maker::object`] for an object stored in field `via` ((struct, field)), whose
    /// items (if it is an array) are what the trace reads from arrays in that field.
    fn object_in(&mut self, k: usize, depth: usize, via: Option<(u32, u32)>) -> Scalar {
        let depth = if self.memory.objects().len() >= OBJECTS {
            0
        } else {
            depth
        };
        let decl = &self.log.decls.objects[k];
        let (th, lh) = (&self.tree.hints, &self.log.hints);
        let (slots, array) = match &decl.kind {
            ObjectKind::Struct(fields) => {
                let fields = fields.clone();
                let mut slots = Vec::with_capacity(fields.len());
                for (j, f) in fields.iter().enumerate() {
                    let key = (k as u32, j as u32);
                    let hint = th.fields.get(&key).or_else(|| lh.fields.get(&key)).copied();
                    slots.push(match (f.ty, hint) {
                        (FieldType::Ref, Some(c)) if depth > 0 => {
                            self.object_in(c as usize, depth - 1, Some(key))
                        }
                        (t, _) => self.scalar(t),
                    });
                }
                (slots, false)
            }
            ObjectKind::Array(t) => {
                let t = *t;
                let mut slots = Vec::with_capacity(ARRAY_LENGTH);
                let by_field = |h: &'_ crate::import::Hints, i: Option<i64>| {
                    via.and_then(|f| h.field_items.get(&f))
                        .and_then(|m| m.get(&i))
                        .copied()
                };
                for i in 0..ARRAY_LENGTH {
                    let hint = by_field(th, Some(i as i64))
                        .or_else(|| by_field(th, None))
                        .or_else(|| by_field(lh, Some(i as i64)))
                        .or_else(|| by_field(lh, None))
                        .or_else(|| th.items.get(&(k as u32)).copied())
                        .or_else(|| lh.items.get(&(k as u32)).copied());
                    slots.push(match (t, hint) {
                        (FieldType::Ref, Some(c)) if depth > 0 => {
                            self.object(c as usize, depth - 1)
                        }
                        _ => self.scalar(t),
                    });
                }
                (slots, true)
            }
        };
        match self.memory.new_object(type_id(k), slots, array) {
            Some(r) => Scalar::Ref(r),
            None => Scalar::NULL,
        }
    }
}

/// A heap for `tree` of `log`, from `seed`.
pub fn build(log: &ImportedLog, tree: &ImportedTree, seed: u64) -> Heap {
    let mut m = Maker {
        log,
        tree,
        memory: Memory::new(),
        state: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
    };
    let root = &tree.source.parts[0];
    let own = root.inputs.len() - tree.extras.len();
    let classes = log.hints.inputs.get(&tree.title);
    let mut inputs = Vec::with_capacity(root.inputs.len());
    for (k, &v) in root.inputs.iter().enumerate() {
        let input = if k < own {
            match root.ty(v) {
                Type::Ref => match classes.and_then(|c| c.get(k).copied().flatten()) {
                    Some(c) => m.object(c as usize, DEPTH),
                    None => Scalar::NULL,
                },
                Type::F64 => m.scalar(FieldType::Mem(jit_core::ir::MemType::F64)),
                _ => m.scalar(FieldType::Mem(jit_core::ir::MemType::I64)),
            }
        } else {
            let e = &tree.extras[k - own];
            match e {
                ExtraInput::Raw(_) => match m.memory.alloc(crate::import::RAW_BYTES as usize) {
                    Ok(a) => Scalar::Ref(a),
                    Err(_) => Scalar::NULL,
                },
                ExtraInput::Scratch => match m.memory.alloc(8) {
                    Ok(a) => Scalar::Ref(a),
                    Err(_) => Scalar::NULL,
                },
                _ => match tree.hints.extras.get(e).or_else(|| log.hints.extras.get(e)) {
                    Some(&c) => m.object(c as usize, DEPTH),
                    None => m.object(log.decls.index(crate::decls::OPAQUE).unwrap_or(0), DEPTH),
                },
            }
        };
        inputs.push(input);
    }
    Heap {
        inputs,
        memory: m.memory,
    }
}

/// One step from an object to a value it holds.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Step {
    /// A struct's field, by index.
    Field(usize),
    /// An array's item at a constant index.
    Item(usize),
    /// Every item of an array (the index is computed).
    Items,
    /// An array's length: written, the array is replaced by one as long, its items kept
    /// (and the last repeated, or zeros).
    Len,
}

impl Step {
    /// The slots of an object with `len` slots this step reaches.
    fn slots(self, len: usize) -> std::ops::Range<usize> {
        match self {
            Step::Field(k) | Step::Item(k) if k < len => k..k + 1,
            Step::Field(_) | Step::Item(_) => 0..0,
            Step::Items => 0..len,
            Step::Len => 0..0,
        }
    }
}

/// Where a value of the tree comes from in the heap.
#[derive(Clone, Debug, PartialEq)]
struct Location {
    /// The root input it starts from.
    input: usize,
    /// Then fields, and arrays' items: at a constant index, or every item.
    steps: Vec<Step>,
}

/// The heap location `v` of part `part` is read from, if it is one.
fn locate(tree: &ImportedTree, part: usize, v: Value, depth: usize) -> Option<Location> {
    if depth > 64 {
        return None;
    }
    let trace = &tree.source.parts[part];
    match trace.values.get(v)?.def {
        ValueDef::Input(j) if part == 0 => Some(Location {
            input: j as usize,
            steps: Vec::new(),
        }),
        ValueDef::Input(j) => {
            // A bridge's input is its guard's fail arg.
            let (from, id) = tree.source.grows_from.get(part).copied().flatten()?;
            let parent = &tree.source.parts[from];
            let guard = parent.ops.iter().find(|o| o.exit_id() == Some(id))?;
            let fa = *guard.fail_args().get(j as usize)?;
            locate(tree, from, fa, depth + 1)
        }
        ValueDef::Op(i) => {
            let op = &trace.ops[i as usize];
            let arg = |k: usize| match op.args.get(k) {
                Some(Operand::Value(a)) => Some(*a),
                _ => None,
            };
            match (op.opcode, &op.extra) {
                (
                    Opcode::SameAs
                    | Opcode::CastI32ToI64
                    | Opcode::CastU32ToI64
                    | Opcode::CastI64ToI32,
                    _,
                ) => locate(tree, part, arg(0)?, depth + 1),
                (
                    Opcode::GetfieldGcI | Opcode::GetfieldGcR | Opcode::GetfieldGcF,
                    Extra::Field { field, .. },
                ) => {
                    let mut l = locate(tree, part, arg(0)?, depth + 1)?;
                    l.steps.push(Step::Field(*field as usize));
                    Some(l)
                }
                (
                    Opcode::GetarrayitemGcI | Opcode::GetarrayitemGcR | Opcode::GetarrayitemGcF,
                    _,
                ) => {
                    let mut l = locate(tree, part, arg(0)?, depth + 1)?;
                    let index = op.args.get(1).and_then(|&i| constant(trace, i));
                    l.steps.push(match index {
                        Some(k) if k >= 0 => Step::Item(k as usize),
                        _ => Step::Items,
                    });
                    Some(l)
                }
                _ => None,
            }
        }
    }
}

/// `a` as a constant, through casts and `same_as`.
fn constant(trace: &jit_core::Trace, a: Operand) -> Option<i64> {
    match a {
        Operand::Const(c) => Some(c.bits()),
        Operand::Value(v) => match trace.values.get(v)?.def {
            ValueDef::Op(i) => {
                let op = &trace.ops[i as usize];
                match op.opcode {
                    Opcode::SameAs | Opcode::CastI32ToI64 | Opcode::CastI64ToI32 => {
                        constant(trace, *op.args.first()?)
                    }
                    _ => None,
                }
            }
            ValueDef::Input(_) => None,
        },
    }
}

/// The values at `l` in `heap` (several for every item of an array).
fn read(heap: &Heap, l: &Location) -> Vec<Scalar> {
    follow(heap, l.input, &l.steps)
}

/// The values `steps` reach from root input `input` (several through every item of an
/// array).
fn follow(heap: &Heap, input: usize, steps: &[Step]) -> Vec<Scalar> {
    let mut at = vec![*heap.inputs.get(input).unwrap_or(&Scalar::NULL)];
    for step in steps {
        let mut next = Vec::new();
        for s in at {
            let Scalar::Ref(r) = s else { continue };
            let Some(o) = heap.memory.object(r) else {
                continue;
            };
            next.extend(o.slots[step.slots(o.slots.len())].iter().copied());
        }
        at = next;
    }
    at
}

/// Writes `value` (converted to each slot's own type) at `l` in `heap`; whether anything
/// changed.
fn write(
    heap: &mut Heap,
    decls: &[jit_core::objects::ObjectDecl],
    l: &Location,
    value: Scalar,
) -> bool {
    // The value as the slot's own type holds it; a slot of another kind (a ref where a
    // number is wanted, or the reverse) stays as it is: a heap's slots keep their types.
    let fit = |old: Scalar| match (old, value) {
        (Scalar::I32(_), v) if v.ty() != Type::Ref && v.ty() != Type::F64 => {
            Scalar::I32(v.bits() as i32)
        }
        (Scalar::I64(_), v) if v.ty() != Type::Ref && v.ty() != Type::F64 => Scalar::I64(v.bits()),
        (o, v) if o.ty() == v.ty() => v,
        (o, _) => o,
    };
    let Some((last, path)) = l.steps.split_last() else {
        let Some(slot) = heap.inputs.get_mut(l.input) else {
            return false;
        };
        let new = fit(*slot);
        let changed = *slot != new;
        *slot = new;
        return changed;
    };
    let at = follow(heap, l.input, path);
    let mut changed = false;
    if *last == Step::Len {
        // Replace each array at `path` with one of the length wanted.
        let Some((arr_step, parents)) = path.split_last() else {
            return resize_input(heap, decls, l.input, value);
        };
        for h in follow(heap, l.input, parents) {
            let Scalar::Ref(r) = h else { continue };
            let Some(len) = heap.memory.object(r).map(|o| o.slots.len()) else {
                continue;
            };
            for k in arr_step.slots(len) {
                let old = heap.memory.object(r).map(|o| o.slots[k]);
                if let Some(new) = old.and_then(|a| resized(&mut heap.memory, decls, a, value)) {
                    if let Some(o) = heap.memory.object_mut(r) {
                        o.slots[k] = new;
                        changed = true;
                    }
                }
            }
        }
        return changed;
    }
    for s in at {
        let Scalar::Ref(r) = s else { continue };
        let Some(o) = heap.memory.object_mut(r) else {
            continue;
        };
        let decl = decls.get((o.tid as usize).wrapping_sub(1)).map(|d| &d.kind);
        for k in last.slots(o.slots.len()) {
            // A narrow field holds only its bits, extended as it reads back.
            let ty = match decl {
                Some(ObjectKind::Struct(fields)) => fields.get(k).map(|f| f.ty),
                Some(ObjectKind::Array(t)) => Some(*t),
                None => None,
            };
            let new = match (ty, fit(o.slots[k])) {
                (Some(FieldType::Mem(m)), v @ Scalar::I32(_)) => m.extend(v.bits() as u64),
                (_, v) => v,
            };
            changed |= o.slots[k] != new;
            o.slots[k] = new;
        }
    }
    changed
}

/// A copy of array `a` with `len` items (its own, then its last repeated, or zeros);
/// `None` if `a` is no array or the length is not one an array can have.
fn resized(
    memory: &mut Memory,
    decls: &[jit_core::objects::ObjectDecl],
    a: Scalar,
    len: Scalar,
) -> Option<Scalar> {
    let Scalar::Ref(r) = a else { return None };
    let o = memory.object(r)?;
    let n = usize::try_from(len.bits())
        .ok()
        .filter(|&n| n <= 4 * ARRAY_LENGTH)?;
    if !o.array || o.slots.len() == n {
        return None;
    }
    let (tid, mut slots) = (o.tid, o.slots.clone());
    // An empty array's new items are zeros of its item type.
    let zero = match decls.get((tid as usize).wrapping_sub(1)).map(|d| &d.kind) {
        Some(ObjectKind::Array(FieldType::Ref)) => Scalar::NULL,
        Some(ObjectKind::Array(FieldType::Mem(m))) => match m.value_type() {
            Type::I32 => Scalar::I32(0),
            Type::F64 => Scalar::F64(0),
            _ => Scalar::I64(0),
        },
        _ => return None,
    };
    let fill = slots.last().copied().unwrap_or(zero);
    slots.resize(n, fill);
    memory.new_object(tid, slots, true).map(Scalar::Ref)
}

/// [`resized`] for an array that is a root input.
fn resize_input(
    heap: &mut Heap,
    decls: &[jit_core::objects::ObjectDecl],
    input: usize,
    len: Scalar,
) -> bool {
    let Some(&a) = heap.inputs.get(input) else {
        return false;
    };
    match resized(&mut heap.memory, decls, a, len) {
        Some(new) => {
            heap.inputs[input] = new;
            true
        }
        None => false,
    }
}

/// What `a` is on `heap` the first time the trace computes it: a constant, a value read
/// from the heap, or an operation computing from such values alone (`jit_core::sem`).
fn operand_value(tree: &ImportedTree, heap: &Heap, part: usize, a: Operand) -> Option<Scalar> {
    evaluate(tree, heap, part, a, 0)
}

fn evaluate(
    tree: &ImportedTree,
    heap: &Heap,
    part: usize,
    a: Operand,
    depth: usize,
) -> Option<Scalar> {
    evaluate_with(tree, heap, part, a, depth, None)
}

/// [`evaluate`], the value at `assume`'s location read as `assume`'s value.
fn evaluate_with(
    tree: &ImportedTree,
    heap: &Heap,
    part: usize,
    a: Operand,
    depth: usize,
    assume: Option<(&Location, Scalar)>,
) -> Option<Scalar> {
    if depth > 32 {
        return None;
    }
    let v = match a {
        Operand::Const(c) => return Some(c),
        Operand::Value(v) => v,
    };
    if let Some(l) = locate(tree, part, v, 0) {
        if let Some((at, x)) = assume {
            if *at == l {
                return Some(x);
            }
        }
        return read(heap, &l).first().copied();
    }
    let trace = &tree.source.parts[part];
    let ValueDef::Op(i) = trace.values.get(v)?.def else {
        return None;
    };
    let op = &trace.ops[i as usize];
    let args = op
        .args
        .iter()
        .map(|&x| evaluate_with(tree, heap, part, x, depth + 1, assume))
        .collect::<Option<Vec<_>>>()?;
    jit_core::sem::eval(op.opcode, &args)
}

/// The heap locations `a` is computed from (at most a few levels of operations deep).
fn leaves(
    tree: &ImportedTree,
    part: usize,
    a: Operand,
    depth: usize,
    out: &mut Vec<(Location, Type)>,
) {
    let Operand::Value(v) = a else { return };
    let trace = &tree.source.parts[part];
    if let Some(l) = locate(tree, part, v, 0) {
        if !out.iter().any(|(m, _)| *m == l) {
            out.push((l, trace.ty(v)));
        }
        return;
    }
    if depth > 8 {
        return;
    }
    if let Some(ValueDef::Op(i)) = trace.values.get(v).map(|d| d.def) {
        for &x in &trace.ops[i as usize].args {
            leaves(tree, part, x, depth + 1, out);
        }
    }
}

/// A value for one heap location `a` is computed from that makes `holds` true of `a`'s
/// value, tried among small numbers and the location's own value nudged.
fn search(
    tree: &ImportedTree,
    heap: &Heap,
    part: usize,
    a: Operand,
    holds: impl Fn(Scalar) -> bool,
) -> Option<(Location, Scalar)> {
    let mut found = Vec::new();
    leaves(tree, part, a, 0, &mut found);
    for (l, ty) in found {
        let now = read(heap, &l).first().copied();
        let base = now.map(|x| x.bits()).unwrap_or(0);
        let numbers = (0..17i64)
            .chain([-1, -2, 100])
            .chain((1..5).flat_map(|d| [base + d, base - d]));
        for n in numbers {
            let x = match (ty, now) {
                (Type::I32, _) => Scalar::I32(n as i32),
                (Type::I64, _) => Scalar::I64(n),
                (Type::F64, _) => Scalar::F64((n as f64).to_bits()),
                (Type::Ref, _) => break,
            };
            if let Some(r) = evaluate_with(tree, heap, part, a, 0, Some((&l, x))) {
                if holds(r) {
                    return Some((l, x));
                }
            }
        }
    }
    None
}

/// Where to write what so that `v` of part `part` is `want`: at its heap location, or,
/// through `int_add`/`int_sub` of a constant, at its operand's with the constant undone.
fn solve(tree: &ImportedTree, part: usize, v: Value, want: Scalar) -> Option<(Location, Scalar)> {
    if let Some(l) = locate(tree, part, v, 0) {
        return Some((l, want));
    }
    let trace = &tree.source.parts[part];
    let ValueDef::Op(i) = trace.values.get(v)?.def else {
        return None;
    };
    let op = &trace.ops[i as usize];
    match (op.opcode, op.args.first()) {
        (Opcode::ArraylenGc, Some(Operand::Value(a))) => {
            let mut l = locate(tree, part, *a, 0)?;
            l.steps.push(Step::Len);
            return Some((l, Scalar::I64(want.bits() as i32 as i64)));
        }
        (
            Opcode::SameAs | Opcode::CastI32ToI64 | Opcode::CastU32ToI64 | Opcode::CastI64ToI32,
            Some(Operand::Value(x)),
        ) => {
            let narrow = trace.ty(*x) == Type::I32;
            let want = if narrow {
                Scalar::I32(want.bits() as i32)
            } else {
                Scalar::I64(want.bits())
            };
            return solve(tree, part, *x, want);
        }
        _ => {}
    }
    let (Some(Operand::Value(x)), Some(Operand::Const(c))) = (op.args.first(), op.args.get(1))
    else {
        return None;
    };
    let undone = match op.opcode {
        Opcode::IntAdd | Opcode::IntAddOvf => want.bits().wrapping_sub(c.bits()),
        Opcode::IntSub | Opcode::IntSubOvf => want.bits().wrapping_add(c.bits()),
        _ => return None,
    };
    let undone = match want {
        Scalar::I32(_) => Scalar::I32(undone as i32),
        _ => Scalar::I64(undone),
    };
    solve(tree, part, *x, undone)
}

/// Changes `heap` so that the guard at op `op` of part `part` passes (`pass`) or fails on
/// it; whether the heap changed. `log` gives the classes objects are made of.
pub fn steer(
    log: &ImportedLog,
    tree: &ImportedTree,
    heap: &mut Heap,
    part: usize,
    op: usize,
    pass: bool,
    seed: u64,
) -> bool {
    let Some(trace) = tree.source.parts.get(part) else {
        return false;
    };
    let Some(g) = trace.ops.get(op) else {
        return false;
    };
    let value = |k: usize| match g.args.get(k) {
        Some(Operand::Value(v)) => Some(*v),
        _ => None,
    };
    let mut maker = Maker {
        log,
        tree,
        memory: std::mem::take(&mut heap.memory),
        state: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
    };
    // What to write where, objects made in `maker`'s memory.
    let plan: Option<(Location, Scalar)> = (|| match g.opcode {
        Opcode::GuardValue => {
            let Operand::Const(c) = *g.args.get(1)? else {
                return None;
            };
            let want = if pass {
                c
            } else {
                Scalar::I64(c.bits().wrapping_add(1))
            };
            let v = value(0)?;
            solve(tree, part, v, want).or_else(|| {
                let heap_now = Heap {
                    inputs: heap.inputs.clone(),
                    memory: maker.memory.clone(),
                };
                search(tree, &heap_now, part, Operand::Value(v), |x| {
                    (x.bits() == c.bits()) == pass
                })
            })
        }
        Opcode::GuardClass | Opcode::GuardNonnullClass => {
            let l = locate(tree, part, value(0)?, 0)?;
            let Operand::Const(c) = *g.args.get(1)? else {
                return None;
            };
            let class = (c.bits() as usize).checked_sub(1)?;
            let want = if pass {
                maker.object(class, DEPTH)
            } else {
                let other = (0..log.decls.objects.len())
                    .find(|&k| k != class && !log.decls.objects[k].is_array())?;
                maker.object(other, 0)
            };
            Some((l, want))
        }
        Opcode::GuardNonnull | Opcode::GuardIsnull => {
            let l = locate(tree, part, value(0)?, 0)?;
            let want_null = (g.opcode == Opcode::GuardIsnull) == pass;
            if want_null {
                return Some((l, Scalar::NULL));
            }
            let class = log.decls.index(crate::decls::OPAQUE)?;
            Some((l, maker.object(class, DEPTH)))
        }
        Opcode::GuardTrue | Opcode::GuardFalse => {
            let want_true = (g.opcode == Opcode::GuardTrue) == pass;
            let c = value(0)?;
            let heap_now = Heap {
                inputs: heap.inputs.clone(),
                memory: maker.memory.clone(),
            };
            let direct = (|| {
                let ValueDef::Op(i) = trace.values.get(c)?.def else {
                    return None;
                };
                let cmp = &trace.ops[i as usize];
                let (a, b) = (*cmp.args.first()?, cmp.args.get(1).copied());
                match (cmp.opcode, b) {
                    (Opcode::IntIsTrue | Opcode::IntIsZero, None) => {
                        let Operand::Value(v) = a else { return None };
                        let nonzero = want_true == (cmp.opcode == Opcode::IntIsTrue);
                        solve(tree, part, v, Scalar::I64(nonzero as i64))
                    }
                    (Opcode::PtrEq | Opcode::PtrNe, Some(b)) => {
                        // Make one side the other's object, or a fresh one.
                        let same = want_true == (cmp.opcode == Opcode::PtrEq);
                        let heap_now = Heap {
                            inputs: heap.inputs.clone(),
                            memory: maker.memory.clone(),
                        };
                        for (steered, other) in [(a, b), (b, a)] {
                            let Operand::Value(v) = steered else { continue };
                            let Some(l) = locate(tree, part, v, 0) else {
                                continue;
                            };
                            if same {
                                if let Some(o) = operand_value(tree, &heap_now, part, other) {
                                    return Some((l, o));
                                }
                            } else {
                                let class = log.decls.index(crate::decls::OPAQUE)?;
                                return Some((l, maker.object(class, 0)));
                            }
                        }
                        None
                    }
                    (_, Some(b)) => {
                        // Steer one side, the other as the heap has it now.
                        let heap_now = Heap {
                            inputs: heap.inputs.clone(),
                            memory: maker.memory.clone(),
                        };
                        for (steered, other, swapped) in [(a, b, false), (b, a, true)] {
                            let Operand::Value(v) = steered else { continue };
                            let Some(other) = operand_value(tree, &heap_now, part, other) else {
                                continue;
                            };
                            let ty = trace.operand_type(Operand::Value(v));
                            let base = other.bits();
                            for d in [0i64, 1, -1, 2, -2, 3, 5] {
                                let x = match ty {
                                    Type::I32 => Scalar::I32(base.wrapping_add(d) as i32),
                                    Type::I64 => Scalar::I64(base.wrapping_add(d)),
                                    Type::F64 => Scalar::F64(
                                        (f64::from_bits(base as u64) + d as f64).to_bits(),
                                    ),
                                    Type::Ref => break,
                                };
                                let args = if swapped { [other, x] } else { [x, other] };
                                if let Some(r) = jit_core::sem::eval(cmp.opcode, &args) {
                                    if (r.bits() != 0) == want_true {
                                        match solve(tree, part, v, x) {
                                            Some(plan) => return Some(plan),
                                            None => break,
                                        }
                                    }
                                }
                            }
                        }
                        None
                    }
                    _ => None,
                }
            })();
            direct.or_else(|| {
                search(tree, &heap_now, part, Operand::Value(c), |x| {
                    (x.bits() != 0) == want_true
                })
            })
        }
        _ => None,
    })();
    heap.memory = maker.memory;
    match plan {
        Some((l, want)) => write(heap, &log.decls.objects, &l, want),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jit_core::ir::MemType;
    use jit_core::objects::{Field, ObjectDecl};

    fn one_object(slots: Vec<Scalar>) -> (Heap, Vec<ObjectDecl>) {
        let decls = vec![ObjectDecl {
            name: "A".into(),
            kind: ObjectKind::Struct(vec![
                Field {
                    name: "flag".into(),
                    ty: FieldType::Mem(MemType::U8),
                },
                Field {
                    name: "next".into(),
                    ty: FieldType::Ref,
                },
            ]),
        }];
        let mut memory = Memory::new();
        let r = memory.new_object(type_id(0), slots, false).unwrap();
        (
            Heap {
                inputs: vec![Scalar::Ref(r)],
                memory,
            },
            decls,
        )
    }

    /// Found by the fuzzer's corpus cases: steering wrote -1 into a u8 field, which the
    /// interpreter then read as -1 and compiled code as 255.
    #[test]
    fn a_narrow_field_keeps_only_its_bits() {
        let (mut heap, decls) = one_object(vec![Scalar::I32(0), Scalar::NULL]);
        let at = Location {
            input: 0,
            steps: vec![Step::Field(0)],
        };
        assert!(write(&mut heap, &decls, &at, Scalar::I64(-1)));
        assert_eq!(read(&heap, &at), vec![Scalar::I32(255)]);
    }

    /// Found by the fuzzer's corpus cases: an empty array of bytes grown by steering got
    /// i64 items.
    #[test]
    fn a_grown_empty_array_gets_zeros_of_its_item_type() {
        let decls = vec![ObjectDecl {
            name: "Bytes".into(),
            kind: ObjectKind::Array(FieldType::Mem(MemType::U8)),
        }];
        let mut memory = Memory::new();
        let r = memory.new_object(type_id(0), Vec::new(), true).unwrap();
        let mut heap = Heap {
            inputs: vec![Scalar::Ref(r)],
            memory,
        };
        let at = Location {
            input: 0,
            steps: vec![Step::Len],
        };
        assert!(write(&mut heap, &decls, &at, Scalar::I64(3)));
        let Scalar::Ref(grown) = heap.inputs[0] else {
            panic!("a ref")
        };
        assert_eq!(
            heap.memory.object(grown).unwrap().slots,
            vec![Scalar::I32(0); 3]
        );
    }

    /// Found by the fuzzer's corpus cases: steering wrote an integer into a ref field.
    #[test]
    fn a_slot_keeps_its_kind() {
        let (mut heap, decls) = one_object(vec![Scalar::I32(0), Scalar::NULL]);
        let at = Location {
            input: 0,
            steps: vec![Step::Field(1)],
        };
        assert!(!write(&mut heap, &decls, &at, Scalar::I64(1)));
        assert_eq!(read(&heap, &at), vec![Scalar::NULL]);
    }
}
