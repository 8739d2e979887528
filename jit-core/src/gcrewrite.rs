//! The GC rewrite: object operations lowered to one target's layout, as PyPy's
//! `llsupport/rewrite.py` does it, so that backends only lower four primitives
//! ([`GcOp`]) and the loads and stores they already have.
//!
//! ```text
//! p = new_with_vtable(descr=<T>)      p = gc_alloc(size, descr=<T>)          nursery bump
//!                                     store_i32(p, 0, 1, 0, tid)             header
//! p = new_array_clear(n, descr=<A>)   s = (n * item + items + 7) & -8
//!                                     p = gc_alloc(s, n, descr=<A>)
//!                                     store_i32(p, 0, 1, 0, tid); length store
//! x = getfield_gc_i(p, descr=<T.f>)   x = load_<f's type>(p, 0, 1, offset)
//! r = getfield_gc_r(p, descr=<T.f>)   r = gc_load_r(p, 0, 1, offset)
//! setfield_gc(p, r, descr=<T.f>)      gc_wb(p); gc_store_r(p, 0, 1, offset, r)
//! getarrayitem_gc_*(p, i)             load_*(p, i, item, items) / gc_load_r
//! arraylen_gc(p)                      load_i32(p, 0, 1, length)  (the low half of a word)
//! guard_class, guard_nonnull_class    unchanged: each backend reads the type id itself
//! ```
//!
//! **Write barriers are left out** where they cannot be needed: the store's value is a
//! constant (null or a buffer, never a young object); the object was the last one
//! allocated (nothing can have collected since, so it is young, or was allocated old by
//! the slow path, which records it at once: `gc::Heap::allocate_young`); or a barrier on
//! the same object already ran since the last allocation (a collection in between would
//! set its flag again). Every `gc_alloc` is a safepoint and ends what the pass knows, and
//! so does every `label` (its values are the jump's from the second turn on); calls to
//! external functions do not collect (docs/ir.md §6).
//!
//! The nursery's memory is zero when `gc_alloc` hands it out (the collector zeroes the
//! nursery it empties), so only the header's type id and an array's length are written.

use std::borrow::Cow;

use crate::builder::TraceBuilder;
use crate::ir::{EntityRef, Extra, MemArg, ObjOp, Op, Opcode, Operand, Scalar, Sig, Type, Value};
use crate::objects::{type_id, FieldType, ObjectKind, TargetLayout, OBJECT_ALIGN, TYPE_ID_OFFSET};
use crate::Trace;

/// What the rewrite did, for the report and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RewriteStats {
    /// Allocations (each a `gc_alloc`).
    pub allocations: u32,
    /// Ref stores into objects.
    pub ref_stores: u32,
    /// Write barriers emitted (the rest were left out).
    pub barriers: u32,
}

/// Lowers the object operations of `trace` for a target laid out by `layout`; borrows the
/// trace unchanged when it has none. The trace must verify; the result verifies too (its
/// GC primitives included).
pub fn rewrite(trace: &Trace, layout: TargetLayout) -> (Cow<'_, Trace>, RewriteStats) {
    let mut stats = RewriteStats::default();
    if !trace.ops.iter().any(|o| o.opcode.is_object_op()) {
        return (Cow::Borrowed(trace), stats);
    }
    let (mut b, mut map) = TraceBuilder::rewriting(trace);
    // What is known since the last safepoint: the object it allocated, and the objects a
    // barrier already ran on.
    let mut fresh: Option<Value> = None;
    let mut barriered: Vec<Value> = Vec::new();
    let zero = Operand::Const(Scalar::I32(0));
    let mem = |scale: u32, offset: u32| {
        Extra::Mem(MemArg {
            scale: scale as u8,
            offset: offset as i32,
        })
    };
    for op in &trace.ops {
        let arg = |k: usize| match op.args[k] {
            Operand::Value(v) => Operand::Value(map[v.index()].expect("verified: defined")),
            c => c,
        };
        let result = match op.opcode.sig() {
            Sig::Object(o) => {
                let decl_index = match op.extra {
                    Extra::Object(d) | Extra::Field { decl: d, .. } => d,
                    _ => u32::MAX,
                };
                let decl = trace.objects.get(decl_index as usize);
                match (o, decl.map(|d| &d.kind)) {
                    (ObjOp::New, Some(ObjectKind::Struct(fields))) => {
                        let size = layout.struct_layout(fields).size;
                        let p = b
                            .raw(
                                Opcode::GcAlloc,
                                &[Operand::Const(Scalar::I32(size as i32))],
                                Some(Type::Ref),
                                Extra::Object(decl_index),
                            )
                            .expect("a result");
                        header(&mut b, p, decl_index);
                        stats.allocations += 1;
                        fresh = Some(p);
                        barriered.clear();
                        Some(p)
                    }
                    (ObjOp::NewArray, Some(ObjectKind::Array(item))) => {
                        let al = layout.array_layout(*item);
                        let n = arg(0);
                        let size = match n {
                            Operand::Const(c) => Operand::Const(Scalar::I32(
                                u32::try_from(c.bits())
                                    .ok()
                                    .and_then(|n| al.size(n))
                                    .map_or(i32::MAX, |s| s.min(i32::MAX as u32) as i32),
                            )),
                            Operand::Value(_) => {
                                let scaled = if al.item_size == 1 {
                                    n
                                } else {
                                    Operand::Value(b.binary(
                                        Opcode::IntMul,
                                        n,
                                        Scalar::I32(al.item_size as i32),
                                    ))
                                };
                                let padded = b.binary(
                                    Opcode::IntAdd,
                                    scaled,
                                    Scalar::I32((al.items + OBJECT_ALIGN - 1) as i32),
                                );
                                Operand::Value(b.binary(
                                    Opcode::IntAnd,
                                    padded,
                                    Scalar::I32(-(OBJECT_ALIGN as i32)),
                                ))
                            }
                        };
                        let p = b
                            .raw(
                                Opcode::GcAlloc,
                                &[size, n],
                                Some(Type::Ref),
                                Extra::Object(decl_index),
                            )
                            .expect("a result");
                        header(&mut b, p, decl_index);
                        if layout.pointer_bytes == 8 {
                            let wide = match n {
                                Operand::Const(c) => {
                                    Operand::Const(Scalar::I64(c.bits() as i32 as i64))
                                }
                                Operand::Value(_) => {
                                    Operand::Value(b.unary(Opcode::CastI32ToI64, n))
                                }
                            };
                            b.store(Opcode::StoreI64, p, zero, 1, al.length as i32, wide);
                        } else {
                            b.store(Opcode::StoreI32, p, zero, 1, al.length as i32, n);
                        }
                        stats.allocations += 1;
                        fresh = Some(p);
                        barriered.clear();
                        Some(p)
                    }
                    (ObjOp::GetField(_) | ObjOp::SetField, Some(ObjectKind::Struct(fields))) => {
                        let Extra::Field { field, .. } = op.extra else {
                            unreachable!("verified: a field descr")
                        };
                        let offset = layout.struct_layout(fields).offsets[field as usize];
                        let ty = fields[field as usize].ty;
                        let at = mem(1, offset);
                        if o == ObjOp::SetField {
                            store(
                                &mut b,
                                ty,
                                [arg(0), zero, arg(1)],
                                at,
                                (&mut fresh, &mut barriered),
                                &mut stats,
                            );
                            None
                        } else {
                            Some(load(&mut b, ty, [arg(0), zero], at))
                        }
                    }
                    (ObjOp::GetItem(_) | ObjOp::SetItem, Some(ObjectKind::Array(item))) => {
                        let al = layout.array_layout(*item);
                        let at = mem(al.item_size, al.items);
                        if o == ObjOp::SetItem {
                            store(
                                &mut b,
                                *item,
                                [arg(0), arg(1), arg(2)],
                                at,
                                (&mut fresh, &mut barriered),
                                &mut stats,
                            );
                            None
                        } else {
                            Some(load(&mut b, *item, [arg(0), arg(1)], at))
                        }
                    }
                    (ObjOp::ArrayLen, Some(ObjectKind::Array(item))) => {
                        let al = layout.array_layout(*item);
                        Some(b.load(Opcode::LoadI32, arg(0), zero, 1, al.length as i32))
                    }
                    (ObjOp::GuardClass | ObjOp::GuardNonnullClass, _) => {
                        copy(&mut b, trace, op, &map)
                    }
                    _ => unreachable!("verified: {} names a declaration of its kind", op.opcode),
                }
            }
            _ => {
                // A label starts a loop body: from the second turn on its values are what
                // the jump passed, which may be old objects (a collection may have run
                // since they were allocated), so nothing is fresh or barriered there.
                if op.opcode == Opcode::Label {
                    fresh = None;
                    barriered.clear();
                }
                copy(&mut b, trace, op, &map)
            }
        };
        if let (Some(old), Some(new)) = (op.result, result) {
            map[old.index()] = Some(new);
        }
    }
    (Cow::Owned(b.build_unverified()), stats)
}

/// The header's type id (the flags are zero in fresh memory).
fn header(b: &mut TraceBuilder, p: Value, decl: u32) {
    b.store(
        Opcode::StoreI32,
        p,
        Scalar::I32(0),
        1,
        TYPE_ID_OFFSET as i32,
        Scalar::I32(type_id(decl as usize) as i32),
    );
}

/// A load of a field or item of type `ty`.
fn load(b: &mut TraceBuilder, ty: FieldType, [base, index]: [Operand; 2], at: Extra) -> Value {
    let opcode = match ty {
        FieldType::Ref => Opcode::GcLoadR,
        FieldType::Mem(m) => match m {
            crate::ir::MemType::I8 => Opcode::LoadI8,
            crate::ir::MemType::U8 => Opcode::LoadU8,
            crate::ir::MemType::I16 => Opcode::LoadI16,
            crate::ir::MemType::U16 => Opcode::LoadU16,
            crate::ir::MemType::I32 => Opcode::LoadI32,
            crate::ir::MemType::I64 => Opcode::LoadI64,
            crate::ir::MemType::F64 => Opcode::LoadF64,
        },
    };
    b.raw(opcode, &[base, index], Some(ty.value_type()), at)
        .expect("a result")
}

/// A store of a field or item of type `ty`, behind a write barrier when it stores a ref
/// the barrier may need to see.
fn store(
    b: &mut TraceBuilder,
    ty: FieldType,
    [base, index, value]: [Operand; 3],
    at: Extra,
    (fresh, barriered): (&mut Option<Value>, &mut Vec<Value>),
    stats: &mut RewriteStats,
) {
    let opcode = match ty {
        FieldType::Ref => {
            stats.ref_stores += 1;
            let obj = base.value();
            let needed = value.value().is_some()
                && obj.is_none_or(|p| Some(p) != *fresh && !barriered.contains(&p));
            if needed {
                b.raw(Opcode::GcWb, &[base], None, Extra::None);
                stats.barriers += 1;
                if let Some(p) = obj {
                    barriered.push(p);
                }
            }
            Opcode::GcStoreR
        }
        FieldType::Mem(m) => match m {
            crate::ir::MemType::I8 | crate::ir::MemType::U8 => Opcode::StoreI8,
            crate::ir::MemType::I16 | crate::ir::MemType::U16 => Opcode::StoreI16,
            crate::ir::MemType::I32 => Opcode::StoreI32,
            crate::ir::MemType::I64 => Opcode::StoreI64,
            crate::ir::MemType::F64 => Opcode::StoreF64,
        },
    };
    b.raw(opcode, &[base, index, value], None, at);
}

/// `op` as it is, its values renamed.
fn copy(b: &mut TraceBuilder, trace: &Trace, op: &Op, map: &[Option<Value>]) -> Option<Value> {
    let rename = |v: Value| map[v.index()].expect("verified: defined");
    let args: Vec<Operand> = op
        .args
        .iter()
        .map(|&a| match a {
            Operand::Value(v) => Operand::Value(rename(v)),
            c => c,
        })
        .collect();
    let extra = match &op.extra {
        Extra::Exit { id, fail_args } => Extra::Exit {
            id: *id,
            fail_args: fail_args.iter().map(|&v| rename(v)).collect(),
        },
        other => other.clone(),
    };
    b.raw(op.opcode, &args, op.result.map(|r| trace.ty(r)), extra)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{parse_verified, print};

    const SRC: &str = "struct Node(i32 v, ref next)\n[p0, i1]\n\
        p2 = new_with_vtable(descr=<Node>)\n\
        setfield_gc(p2, p0, descr=<Node.next>)\n\
        setfield_gc(p2, null, descr=<Node.next>)\n\
        p3 = new_with_vtable(descr=<Node>)\n\
        setfield_gc(p2, p3, descr=<Node.next>)\n\
        setfield_gc(p2, p3, descr=<Node.next>)\n\
        setfield_gc(p0, p3, descr=<Node.next>)\n\
        setfield_gc(p3, i1, descr=<Node.v>)\n\
        p4 = getfield_gc_r(p2, descr=<Node.next>)\n\
        finish(p4)";

    #[test]
    fn barriers_are_left_out_where_no_young_ref_can_hide() {
        let t = parse_verified(SRC).unwrap();
        for layout in [TargetLayout::LP64, TargetLayout::AAPCS32] {
            let (out, stats) = rewrite(&t, layout);
            let text = print(&out);
            crate::verify(&out).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
            // Five ref stores: into the fresh p2 (twice: a value, a constant null), then
            // after p3's allocation into p2 (barrier), again (already barriered), into the
            // input p0 (barrier).
            assert_eq!(
                stats,
                RewriteStats {
                    allocations: 2,
                    ref_stores: 5,
                    barriers: 2
                },
                "{text}"
            );
            assert_eq!(text.matches("gc_wb(").count(), 2, "{text}");
            assert!(
                !text.contains("setfield_gc") && !text.contains("new_with_vtable"),
                "{text}"
            );
            // The field offsets are the target's: `next` after the i32 at 8 (4 bytes) or
            // 16 (8-byte refs).
            let off = if layout.pointer_bytes == 8 { 16 } else { 12 };
            assert!(
                text.contains(&format!("gc_load_r(p2, 0, 1, {off})")),
                "{text}"
            );
        }
    }
}
