//! The collector (`jit_core::gc`) on both layouts (8-byte refs as on x86-64, 4-byte as on
//! ARM), normal and in stress mode: lists built across collections, old objects pointing
//! at young ones through the write barrier, cycles, arrays larger than the nursery, a loop
//! that makes garbage; the whole heap verified after every collection.

use jit_core::gc::{BlockMemory, GcConfig, GcError, Heap, HeapMemory, POISON};
use jit_core::objects::{ObjectLayout, TargetLayout};
use jit_core::text::parse;

const DECLS: &str = "struct Node(i32 value, ref next)\narray Refs(ref)\nstruct Box(f64 v)\n\
                     array Bytes(u8)\n[]\nfinish()\n";
const NODE: u32 = 1;
const REFS: u32 = 2;
const BOX: u32 = 3;
const BYTES: u32 = 4;
const BASE: u64 = 0x4000_0000;

struct World {
    heap: Heap,
    mem: BlockMemory,
    /// Node.value, Node.next, Box.v offsets; Refs items offset.
    value: u64,
    next: u64,
    items: u64,
}

fn world(layout: TargetLayout, config: GcConfig) -> World {
    let decls = parse(DECLS).unwrap().objects;
    let mut mem = BlockMemory::new(BASE, config.total_bytes() as usize);
    let heap = Heap::new(&decls, layout, config, BASE, &mut mem).unwrap();
    let ObjectLayout::Struct(node) = layout.layout(&decls[0]) else {
        unreachable!()
    };
    let ObjectLayout::Array(refs) = layout.layout(&decls[1]) else {
        unreachable!()
    };
    World {
        heap,
        mem,
        value: node.offsets[0] as u64,
        next: node.offsets[1] as u64,
        items: refs.items as u64,
    }
}

impl World {
    fn alloc(&mut self, tid: u32, len: Option<u64>, roots: &mut [u64]) -> u64 {
        let before = self.heap.stats().collections;
        let a = self.heap.allocate(&mut self.mem, tid, len, roots).unwrap();
        if self.heap.stats().collections != before {
            // Verify with the new object's neighbours as roots too.
            self.heap.verify(&self.mem, roots).unwrap();
        }
        a
    }
    fn node(&mut self, value: i32, next: u64, roots: &mut Vec<u64>) -> u64 {
        roots.push(next);
        let n = self.alloc(NODE, None, roots);
        let next = roots.pop().unwrap();
        self.mem
            .write(n + self.value, &value.to_le_bytes())
            .unwrap();
        self.store_ref(n, self.next, next);
        n
    }
    /// A ref store through the write barrier, as compiled code does it.
    fn store_ref(&mut self, obj: u64, offset: u64, value: u64) {
        let mut flags = [0u8; 4];
        self.mem.read(obj + 4, &mut flags).unwrap();
        if u32::from_le_bytes(flags) & jit_core::gc::FLAG_TRACK_YOUNG_PTRS != 0 {
            self.heap.write_barrier_slow(&mut self.mem, obj).unwrap();
        }
        self.heap
            .write_word(&mut self.mem, obj + offset, value)
            .unwrap();
    }
    fn load_ref(&self, obj: u64, offset: u64) -> u64 {
        self.heap.read_word(&self.mem, obj + offset).unwrap()
    }
    fn value(&self, n: u64) -> i32 {
        let mut b = [0u8; 4];
        self.mem.read(n + self.value, &mut b).unwrap();
        i32::from_le_bytes(b)
    }
    /// The values along a list from `head`.
    fn list(&self, mut head: u64) -> Vec<i32> {
        let mut out = Vec::new();
        while head != 0 {
            assert_eq!(self.heap.type_of(&self.mem, head).unwrap(), NODE);
            out.push(self.value(head));
            head = self.load_ref(head, self.next);
        }
        out
    }
}

fn configs() -> Vec<(TargetLayout, GcConfig)> {
    let mut v = Vec::new();
    for layout in [TargetLayout::LP64, TargetLayout::AAPCS32] {
        v.push((
            layout,
            GcConfig {
                nursery_bytes: 4096,
                old_bytes: 1 << 20,
                stress: false,
            },
        ));
        v.push((layout, GcConfig::stress(512, 1 << 20)));
    }
    v
}

#[test]
fn a_list_built_across_collections_survives_them() {
    for (layout, config) in configs() {
        let mut w = world(layout, config);
        let mut roots = vec![0u64];
        for k in 0..3000 {
            let head = roots[0];
            roots[0] = 0;
            let mut live = vec![head];
            let n = w.node(k, head, &mut live);
            roots[0] = n;
        }
        let want: Vec<i32> = (0..3000).rev().collect();
        assert_eq!(w.list(roots[0]), want, "{layout:?} {config:?}");
        assert!(w.heap.stats().collections > 5);
        w.heap.collect(&mut w.mem, &mut roots).unwrap();
        w.heap.verify(&w.mem, &roots).unwrap();
        assert_eq!(w.list(roots[0]), want);
    }
}

#[test]
fn an_old_object_keeps_a_young_one_through_the_write_barrier() {
    for (layout, config) in configs() {
        let mut w = world(layout, config);
        let mut roots = vec![w.alloc(NODE, None, &mut [])];
        w.heap.collect(&mut w.mem, &mut roots).unwrap();
        let old = roots[0];
        assert!(w.heap.old_space().contains(&old));
        let young = w.alloc(NODE, None, &mut roots);
        w.mem.write(young + w.value, &77i32.to_le_bytes()).unwrap();
        let old = roots[0];
        w.store_ref(old, w.next, young);
        w.heap.verify(&w.mem, &roots).unwrap();
        w.heap.collect(&mut w.mem, &mut roots).unwrap();
        w.heap.verify(&w.mem, &roots).unwrap();
        assert_eq!(w.list(roots[0]), vec![0, 77], "{layout:?} {config:?}");
        // Again, now that the barrier's flag is back on the old object.
        let other = w.alloc(NODE, None, &mut roots);
        w.store_ref(roots[0], w.next, other);
        w.heap.collect(&mut w.mem, &mut roots).unwrap();
        assert_eq!(w.list(roots[0]), vec![0, 0]);
    }
}

/// Without the write barrier, the heap check names the old object that points into the
/// nursery: what a backend that forgot the barrier is caught by.
#[test]
fn a_missing_write_barrier_is_found() {
    let mut w = world(
        TargetLayout::AAPCS32,
        GcConfig {
            nursery_bytes: 4096,
            old_bytes: 1 << 16,
            stress: false,
        },
    );
    let mut roots = vec![w.alloc(NODE, None, &mut [])];
    w.heap.collect(&mut w.mem, &mut roots).unwrap();
    let young = w.alloc(NODE, None, &mut roots);
    w.heap
        .write_word(&mut w.mem, roots[0] + w.next, young)
        .unwrap();
    let e = w.heap.verify(&w.mem, &roots).unwrap_err();
    assert!(
        matches!(e, GcError::Corrupt(ref s) if s.contains("write barrier")),
        "{e}"
    );
}

#[test]
fn cycles_survive_and_stay_cycles() {
    for (layout, config) in configs() {
        let mut w = world(layout, config);
        let mut roots = vec![w.alloc(NODE, None, &mut [])];
        let b = w.alloc(NODE, None, &mut roots);
        let a = roots[0];
        w.mem.write(a + w.value, &1i32.to_le_bytes()).unwrap();
        w.mem.write(b + w.value, &2i32.to_le_bytes()).unwrap();
        w.store_ref(a, w.next, b);
        w.store_ref(b, w.next, a);
        for _ in 0..5 {
            w.heap.collect(&mut w.mem, &mut roots).unwrap();
            w.heap.verify(&w.mem, &roots).unwrap();
            let a = roots[0];
            let b = w.load_ref(a, w.next);
            assert_eq!((w.value(a), w.value(b)), (1, 2));
            assert_eq!(w.load_ref(b, w.next), a, "{layout:?} {config:?}");
        }
    }
}

/// An array of refs larger than the nursery is allocated old; its items point at young
/// nodes through the barrier, and survive.
#[test]
fn arrays_larger_than_the_nursery_are_old_from_the_start() {
    for (layout, config) in configs() {
        let mut w = world(layout, config);
        let n = config.nursery_bytes; // items: pointer-sized, so larger than the nursery
        let mut roots = vec![w.alloc(REFS, Some(n), &mut [])];
        assert!(w.heap.old_space().contains(&roots[0]));
        for k in 0..200u64 {
            let node = w.node(k as i32, 0, &mut roots);
            let arr = roots[0];
            w.store_ref(arr, w.items + (k % n) * layout.pointer_bytes as u64, node);
        }
        w.heap.collect(&mut w.mem, &mut roots).unwrap();
        w.heap.verify(&w.mem, &roots).unwrap();
        for k in 0..200u64 {
            let node = w.load_ref(roots[0], w.items + k * layout.pointer_bytes as u64);
            assert_eq!(w.value(node), k as i32, "{layout:?} {config:?}");
        }
        // Arrays of numbers have no refs to scan; their length is kept.
        let bytes = w.alloc(BYTES, Some(13), &mut roots);
        roots.push(bytes);
        w.heap.collect(&mut w.mem, &mut roots).unwrap();
        assert_eq!(
            w.heap.object_size(&w.mem, roots[1]).unwrap(),
            (8 + layout.pointer_bytes as u64 + 13).next_multiple_of(8)
        );
    }
}

/// A loop that makes garbage: 200,000 boxes through a 64 KiB nursery, one live at a time;
/// the old space keeps only what survived (one box per collection at most).
#[test]
fn a_loop_making_garbage_collects_and_keeps_only_the_live() {
    for layout in [TargetLayout::LP64, TargetLayout::AAPCS32] {
        let config = GcConfig {
            nursery_bytes: 64 << 10,
            old_bytes: 1 << 20,
            stress: false,
        };
        let mut w = world(layout, config);
        let mut roots = vec![0u64];
        for k in 0..200_000u64 {
            let b = w.heap.allocate(&mut w.mem, BOX, None, &mut roots).unwrap();
            w.mem
                .write(b + 8, &(k as f64).to_bits().to_le_bytes())
                .unwrap();
            roots[0] = b;
        }
        let s = w.heap.stats();
        assert!(s.collections >= 200_000 * 16 / (64 << 10), "{s:?}");
        assert!(s.objects_moved <= s.collections, "{s:?}");
        assert!(w.heap.old_space().end - w.heap.old_space().start <= s.collections * 16);
        let mut b = [0u8; 8];
        w.mem.read(roots[0] + 8, &mut b).unwrap();
        assert_eq!(f64::from_bits(u64::from_le_bytes(b)), 199_999.0);
    }
}

/// In stress mode every collection moves every object and poisons what it left: a stale
/// pointer reads poison.
#[test]
fn stress_mode_moves_everything_and_poisons_the_rest() {
    let mut w = world(TargetLayout::AAPCS32, GcConfig::stress(256, 1 << 16));
    let mut roots = vec![w.alloc(NODE, None, &mut [])];
    w.mem
        .write(roots[0] + w.value, &5i32.to_le_bytes())
        .unwrap();
    for _ in 0..4 {
        let stale = roots[0];
        w.heap.collect(&mut w.mem, &mut roots).unwrap();
        assert_ne!(roots[0], stale);
        assert_eq!(w.value(roots[0]), 5);
        let mut b = [0u8; 4];
        w.mem.read(stale + w.value, &mut b).unwrap();
        assert_eq!(b, [POISON; 4]);
    }
}

#[test]
fn bad_roots_and_full_heaps_are_errors() {
    let mut w = world(
        TargetLayout::LP64,
        GcConfig {
            nursery_bytes: 1024,
            old_bytes: 1024,
            stress: false,
        },
    );
    // A ref outside the heap (a buffer) is no GC object: the collector leaves it alone.
    let mut roots = vec![0x1234];
    w.heap.collect(&mut w.mem, &mut roots).unwrap();
    assert_eq!(roots, [0x1234]);
    // A ref into the heap that is not an object's start is an error.
    let mut roots = vec![w.heap.nursery().start + 4];
    assert!(matches!(
        w.heap.collect(&mut w.mem, &mut roots),
        Err(GcError::BadRef { .. })
    ));
    // More survivors than the old space holds.
    let mut roots: Vec<u64> = Vec::new();
    let mut err = None;
    for _ in 0..200 {
        match w.heap.allocate(&mut w.mem, NODE, None, &mut roots) {
            Ok(a) => roots.push(a),
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    assert!(matches!(err, Some(GcError::OutOfMemory { .. })), "{err:?}");
    assert!(matches!(
        w.heap.allocate(&mut w.mem, 9, None, &mut []),
        Err(GcError::BadTypeId { .. })
    ));
    assert!(matches!(
        w.heap.allocate(&mut w.mem, NODE, Some(3), &mut []),
        Err(GcError::WrongKind { .. })
    ));
}

/// The interpreter's abstract objects, copied into a heap of either layout, are the same
/// graph (`gc::same_graph`) — and stay it through collections that move every object;
/// a changed field, a changed type or a shared object where the interpreter has two are
/// told apart.
#[test]
fn interpreter_objects_and_a_moving_heap_are_the_same_graph() {
    use jit_core::gc::{materialize, same_graph};
    use jit_core::ir::Scalar;
    let src = "struct Box(i64 v)\nstruct Node(i8 small, u16 wide, ref value, ref next)\n\
               array Items(ref)\n[i0, p1]\nlabel(i0, p1)\np2 = new_with_vtable(descr=<Node>)\n\
               p3 = new_with_vtable(descr=<Box>)\nl4 = cast_i32_to_i64(i0)\n\
               setfield_gc(p3, l4, descr=<Box.v>)\nsetfield_gc(p2, p3, descr=<Node.value>)\n\
               setfield_gc(p2, p1, descr=<Node.next>)\nsetfield_gc(p2, i0, descr=<Node.small>)\n\
               setfield_gc(p2, -7, descr=<Node.wide>)\ni5 = int_sub(i0, 1)\ni6 = int_gt(i5, 0)\n\
               guard_true(i6) [p2, p3]\njump(i5, p2)\n";
    let trace = jit_core::text::parse_verified(src).unwrap();
    let mut memory = jit_core::Memory::new();
    let out = jit_core::run(
        &trace,
        &[Scalar::I32(150), Scalar::NULL],
        &mut memory,
        &jit_core::Externs::standard(),
        jit_core::RunOptions::default(),
    )
    .unwrap();
    for (layout, config) in configs() {
        let config = GcConfig {
            nursery_bytes: 64 << 10,
            ..config
        };
        let mut mem = BlockMemory::new(BASE, config.total_bytes() as usize);
        let heap = Heap::new(&trace.objects, layout, config, BASE, &mut mem).unwrap();
        let ObjectLayout::Struct(node) = layout.layout(&trace.objects[1]) else {
            unreachable!()
        };
        let mut w = World {
            heap,
            mem,
            value: 0,
            next: node.offsets[3] as u64,
            items: 0,
        };
        let addrs = materialize(&mut w.heap, &mut w.mem, &trace.objects, &memory).unwrap();
        let index = |v: Scalar| match v {
            Scalar::Ref(r) => jit_core::memory::object_index(r).unwrap(),
            _ => unreachable!(),
        };
        let mut roots: Vec<u64> = out.values.iter().map(|&v| addrs[index(v)]).collect();
        let target = |roots: &[u64]| roots.iter().map(|&r| Scalar::Ref(r)).collect::<Vec<_>>();
        // As copied in, then after each of three collections.
        for round in 0..4 {
            if round > 0 {
                w.heap.collect(&mut w.mem, &mut roots).unwrap();
                w.heap.verify(&w.mem, &roots).unwrap();
            }
            same_graph(
                &memory,
                &out.values,
                &w.heap,
                &w.mem,
                &target(&roots),
                &trace.objects,
            )
            .unwrap_or_else(|e| panic!("{layout:?} {config:?}: {e}"));
        }
        // A changed field deep in the list.
        let mut bad = w.mem.clone();
        let mut n = roots[0];
        for _ in 0..100 {
            n = w.heap.read_word(&bad, n + w.next).unwrap();
        }
        bad.write(n + 8, &[99]).unwrap();
        let e = same_graph(
            &memory,
            &out.values,
            &w.heap,
            &bad,
            &target(&roots),
            &trace.objects,
        )
        .unwrap_err();
        assert!(e.contains("slot 0"), "{e}");
        // The box and the node swapped: types differ.
        let e = same_graph(
            &memory,
            &out.values,
            &w.heap,
            &w.mem,
            &target(&[roots[1], roots[0]]),
            &trace.objects,
        )
        .unwrap_err();
        assert!(e.contains("type"), "{e}");
    }
}

/// Two interpreter objects alike in type and fields against one target object: the
/// correspondence must be one to one, so the graphs differ.
#[test]
fn one_target_object_cannot_stand_for_two() {
    use jit_core::gc::{materialize, same_graph};
    use jit_core::ir::Scalar;
    let src = "struct Box(i64 v)\n[]\np0 = new_with_vtable(descr=<Box>)\n\
               p1 = new_with_vtable(descr=<Box>)\nfinish(p0, p1)\n";
    let trace = jit_core::text::parse_verified(src).unwrap();
    let mut memory = jit_core::Memory::new();
    let out = jit_core::run(
        &trace,
        &[],
        &mut memory,
        &jit_core::Externs::standard(),
        jit_core::RunOptions::default(),
    )
    .unwrap();
    let config = GcConfig {
        nursery_bytes: 4096,
        old_bytes: 4096,
        stress: false,
    };
    let mut mem = BlockMemory::new(BASE, config.total_bytes() as usize);
    let mut heap = Heap::new(
        &trace.objects,
        TargetLayout::AAPCS32,
        config,
        BASE,
        &mut mem,
    )
    .unwrap();
    let a = materialize(&mut heap, &mut mem, &trace.objects, &memory).unwrap();
    let same = |b: &[u64]| {
        let b: Vec<Scalar> = b.iter().map(|&r| Scalar::Ref(r)).collect();
        same_graph(&memory, &out.values, &heap, &mem, &b, &trace.objects)
    };
    assert_eq!(same(&[a[0], a[1]]), Ok(()));
    let e = same(&[a[0], a[0]]).unwrap_err();
    assert!(e.contains("correspond"), "{e}");
    assert!(
        same(&[a[1], a[0]]).is_ok(),
        "equal boxes in either order are the same graph"
    );
}

/// A heap given other types after a run is the heap a new one of those types would be:
/// its nursery zero where the old run allocated, stress mode's old space poisoned again,
/// objects of the new types sized by them, and their collections sound.
#[test]
fn a_retyped_heap_is_a_new_one_of_its_new_types() {
    for (layout, config) in configs() {
        let mut w = world(layout, config);
        let mut roots = [0u64];
        for k in 0..500 {
            let head = roots[0];
            let mut live = vec![head];
            roots[0] = w.node(k, head, &mut live);
        }
        // New types: one struct of three i64 fields.
        let decls = parse("struct Wide(i64 a, i64 b, i64 c)\n[i0]\nfinish(i0)\n")
            .unwrap()
            .objects;
        w.heap.retype(&decls, layout, &mut w.mem).unwrap();
        let fresh_mem = &mut BlockMemory::new(BASE, config.total_bytes() as usize);
        let fresh = Heap::new(&decls, layout, config, BASE, fresh_mem).unwrap();
        assert_eq!(w.heap.nursery(), fresh.nursery());
        assert_eq!(w.heap.old_space(), fresh.old_space());
        let span = (BASE, config.total_bytes() as usize);
        let (mut a, mut b) = (vec![0u8; span.1], vec![0u8; span.1]);
        w.mem.read(span.0, &mut a).unwrap();
        fresh_mem.read(span.0, &mut b).unwrap();
        let nursery = w.heap.nursery();
        let n = (nursery.end - nursery.start) as usize;
        assert_eq!(a[..n], b[..n], "the nursery is zero again");
        if config.stress {
            assert!(a == b, "both old halves poisoned again, as a new heap's");
        }
        // Objects of the new type, through collections.
        let mut roots = vec![];
        for _ in 0..200 {
            let o = w.heap.allocate(&mut w.mem, 1, None, &mut roots).unwrap();
            roots.push(o);
            if roots.len() > 20 {
                roots.remove(0);
            }
        }
        w.heap.verify(&w.mem, &roots).unwrap();
    }
}
