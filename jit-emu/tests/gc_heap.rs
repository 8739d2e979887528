//! The collector on emulated ARM memory: the same `jit_core::gc::Heap` the native targets
//! use, working through the machine's `HeapMemory` on a heap mapped at `HEAP_BASE`, with
//! ARM's 4-byte refs.

use jit_core::gc::{materialize, same_graph, GcConfig, Heap};
use jit_core::ir::Scalar;
use jit_core::objects::TargetLayout;
use jit_emu::{Cpu, Machine, HEAP_BASE};

/// The interpreter's list of 300 boxed counters, copied into the emulated heap, survives
/// collections that move every object (stress mode) as the same graph; the whole heap
/// verifies after each.
#[test]
fn a_heap_in_emulated_memory_collects_and_keeps_the_graph() {
    let src = "struct Box(i64 v)\nstruct Node(ref value, ref next)\n[i0, p1]\nlabel(i0, p1)\n\
               p2 = new_with_vtable(descr=<Node>)\np3 = new_with_vtable(descr=<Box>)\n\
               l4 = cast_i32_to_i64(i0)\nsetfield_gc(p3, l4, descr=<Box.v>)\n\
               setfield_gc(p2, p3, descr=<Node.value>)\nsetfield_gc(p2, p1, descr=<Node.next>)\n\
               i5 = int_sub(i0, 1)\ni6 = int_gt(i5, 0)\nguard_true(i6) [p2]\njump(i5, p2)\n";
    let trace = jit_core::text::parse_verified(src).unwrap();
    let mut memory = jit_core::Memory::new();
    let out = jit_core::run(
        &trace,
        &[Scalar::I32(300), Scalar::NULL],
        &mut memory,
        &jit_core::Externs::standard(),
        jit_core::RunOptions::default(),
    )
    .unwrap();
    for config in [
        GcConfig {
            nursery_bytes: 4096,
            old_bytes: 1 << 16,
            stress: false,
        },
        GcConfig::stress(4096, 1 << 16),
    ] {
        let mut machine = Machine::new(Cpu::CortexA8).unwrap();
        machine.map_heap(config.total_bytes()).unwrap();
        let mut heap = Heap::new(
            &trace.objects,
            TargetLayout::AAPCS32,
            config,
            HEAP_BASE,
            &mut machine,
        )
        .unwrap();
        let addrs = materialize(&mut heap, &mut machine, &trace.objects, &memory).unwrap();
        let Scalar::Ref(head) = out.values[0] else {
            panic!("{out}")
        };
        let mut roots = vec![addrs[jit_core::memory::object_index(head).unwrap()]];
        for _ in 0..3 {
            heap.collect(&mut machine, &mut roots).unwrap();
            heap.verify(&machine, &roots).unwrap();
            same_graph(
                &memory,
                &out.values,
                &heap,
                &machine,
                &[Scalar::Ref(roots[0])],
                &trace.objects,
            )
            .unwrap_or_else(|e| panic!("{config:?}: {e}"));
        }
        // Stress mode moves all 600 objects every time; a minor collection the young.
        let moved = heap.stats().objects_moved;
        assert!(
            moved >= if config.stress { 3 * 600 } else { 1 },
            "{:?}",
            heap.stats()
        );
    }
}
