//! GC objects on every target (x86-64 natively, ARMv7 hard-float and softfp and ARMv5TE
//! emulated): each trace runs compiled — the GC rewrite's nursery bumps, write barriers and
//! GC maps — and in the interpreter, with the default heap and in stress mode (every
//! allocation collects and moves every object, freed memory poisoned), and the object
//! graphs the results reach must be the same.

use jit_core::gcrun::{with_gc_config, DEFAULT_GC, STRESS_GC};
use jit_core::interp::RunOptions;
use jit_core::text::parse_verified;
use jit_core::{Memory, Scalar};
use jit_testkit::{compare, Verdict};
use tracejit::targets::{target, SUPPORTED};

/// Runs `src` on `inputs` on every target under both heaps; they must agree with the
/// interpreter.
fn agree(name: &str, src: &str, inputs: &[Scalar]) {
    let trace = parse_verified(src).unwrap_or_else(|e| panic!("{name}: {e}"));
    for &t in SUPPORTED {
        let t = target(t).expect("a supported target");
        for config in [DEFAULT_GC, STRESS_GC] {
            let verdict = with_gc_config(config, || {
                compare(
                    t.as_ref(),
                    &trace,
                    inputs,
                    &Memory::new(),
                    RunOptions::default(),
                )
            });
            match verdict {
                Ok(Verdict::Same(_)) => {}
                Ok(Verdict::InterpreterError(e)) => panic!("{name}: the interpreter: {e}"),
                Err(e) => panic!("{name} on {} (stress {}): {e}", t.name(), config.stress),
            }
        }
    }
}

#[test]
fn the_objects_example_agrees_everywhere() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/objects.trace"
    ))
    .unwrap();
    for n in [1, 5, 40] {
        agree("objects.trace", &src, &[Scalar::I32(n), Scalar::I32(0)]);
    }
}

/// A loop that boxes a float every iteration and keeps only the last box: garbage through
/// the nursery, with f64 fields (8-aligned on every target).
const GARBAGE: &str = "\
struct W_FloatObject(f64 floatval)
[i0, f1]
p2 = new_with_vtable(descr=<W_FloatObject>)
setfield_gc(p2, f1, descr=<W_FloatObject.floatval>)
label(i0, p2)
f3 = getfield_gc_f(p2, descr=<W_FloatObject.floatval>)
f4 = float_add(f3, 1.5)
p5 = new_with_vtable(descr=<W_FloatObject>)
setfield_gc(p5, f4, descr=<W_FloatObject.floatval>)
i6 = int_sub(i0, 1)
i7 = int_gt(i6, 0)
guard_true(i7) [i6, p5]
jump(i6, p5)
";

#[test]
fn boxed_floats_in_a_loop() {
    for n in [1, 2, 100, 5000] {
        agree("garbage", GARBAGE, &[Scalar::I32(n), Scalar::f64(0.25)]);
    }
}

/// A linked list built across collections: every node points at the one before, so the
/// whole list stays live (and moves, in stress mode) while the loop allocates; i64 and u8
/// fields, a ref field written behind a barrier after the node's allocation was not the
/// last one.
const LIST: &str = "\
struct Node(u8 tag, i64 value, ref next)
[i0]
p1 = new_with_vtable(descr=<Node>)
label(i0, p1)
p2 = new_with_vtable(descr=<Node>)
l3 = cast_i32_to_i64(i0)
l4 = int_mul(l3, 4294967311)
setfield_gc(p2, l4, descr=<Node.value>)
setfield_gc(p2, i0, descr=<Node.tag>)
p5 = new_with_vtable(descr=<Node>)
setfield_gc(p2, p1, descr=<Node.next>)
setfield_gc(p5, p2, descr=<Node.next>)
i6 = int_sub(i0, 1)
i7 = int_gt(i6, 0)
guard_true(i7) [i6, p5]
jump(i6, p5)
";

#[test]
fn a_linked_list_survives_collections() {
    for n in [1, 3, 200] {
        agree("list", LIST, &[Scalar::I32(n)]);
    }
}

/// Arrays of refs, one larger than the nursery (allocated old, recorded at once), young
/// boxes stored into it without a barrier right after, then with barriers after more
/// allocations; a cycle; class guards on every type.
const ARRAYS: &str = "\
struct Box(i32 v, ref other)
array Refs(ref)
array Ints(i16)
[i0, i1]
p2 = new_array_clear(i0, descr=<Refs>)
p3 = new_with_vtable(descr=<Box>)
setfield_gc(p3, i1, descr=<Box.v>)
setarrayitem_gc(p2, 0, p3, descr=<Refs>)
p4 = new_with_vtable(descr=<Box>)
setfield_gc(p4, p3, descr=<Box.other>)
setfield_gc(p3, p4, descr=<Box.other>)
i5 = int_sub(i0, 1)
setarrayitem_gc(p2, i5, p4, descr=<Refs>)
p6 = new_array_clear(3, descr=<Ints>)
setarrayitem_gc(p6, 2, -7, descr=<Ints>)
setarrayitem_gc(p2, 1, p6, descr=<Refs>)
p7 = getarrayitem_gc_r(p2, i5, descr=<Refs>)
guard_class(p7, ConstClass(Box)) [i0]
p8 = getfield_gc_r(p7, descr=<Box.other>)
guard_nonnull_class(p8, ConstClass(Box)) [i0]
p9 = getarrayitem_gc_r(p2, 1, descr=<Refs>)
guard_class(p9, ConstClass(Ints)) [i0]
guard_class(p2, ConstClass(Refs)) [i0]
i10 = arraylen_gc(p2, descr=<Refs>)
i11 = getarrayitem_gc_i(p6, 2, descr=<Ints>)
finish(p2, i10, i11, p8)
";

#[test]
fn arrays_of_refs_larger_than_the_nursery() {
    for n in [2, 10, 3000, 20000] {
        agree("arrays", ARRAYS, &[Scalar::I32(n), Scalar::I32(9)]);
    }
}
