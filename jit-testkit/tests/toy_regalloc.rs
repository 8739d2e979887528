//! The shared allocator and its checker on a synthetic three-register file
//! (`jit_core::toy`), without any backend: random traces allocate and check under heavy
//! pressure, and an allocation corrupted in each way the checker knows is rejected.

use jit_core::backend::{Loc, Reg};
use jit_core::liveness::Liveness;
use jit_core::regalloc::{allocate, Allocation, Entry};
use jit_core::regcheck::check;
use jit_core::text::parse_verified;
use jit_core::{toy, Trace};
use proptest::prelude::*;

fn alloc(trace: &Trace) -> (Vec<jit_core::backend::OpConstraints>, Allocation) {
    let constraints = toy::all_constraints(trace);
    let live = Liveness::compute(trace);
    let a = allocate(
        trace,
        &live,
        &constraints,
        &toy::registers(),
        Entry::slots(trace.inputs.len()),
    )
    .unwrap_or_else(|e| panic!("{e}\n{}", jit_core::text::print(trace)));
    (constraints, a)
}

/// An entry as a bridge would have it: inputs in free registers of their class (chosen by
/// `pick`) or in slots: some below `reserved` (the input's own), the rest above it, scattered.
fn seeded_entry(trace: &Trace, pick: &[u8], reserved: u32) -> Entry {
    let regs = toy::registers();
    let mut locs: Vec<Loc> = Vec::new();
    for (k, &v) in trace.inputs.iter().enumerate() {
        let choice = pick.get(k).copied().unwrap_or(0);
        let class = jit_core::backend::class_of(trace.ty(v));
        let reg = Loc::Reg(regs.allocatable(class)[choice as usize % 3]);
        let l = if choice % 2 == 0 && !locs.contains(&reg) {
            reg
        } else if choice % 5 == 1 && (k as u32) < reserved {
            Loc::Slot(k as u32)
        } else {
            Loc::Slot(reserved + 3 * k as u32 + (choice % 3) as u32)
        };
        locs.push(l);
    }
    Entry {
        locs,
        reserved_slots: reserved,
        loop_locs: Vec::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_traces_allocate_and_check_from_a_seeded_entry(
        bytes in prop::collection::vec(any::<u8>(), 0..1500),
        pick in prop::collection::vec(any::<u8>(), 0..40),
        reserved in 0u32..20,
    ) {
        let (trace, _) = jit_testkit::gen::trace(&bytes);
        let constraints = toy::all_constraints(&trace);
        let live = Liveness::compute(&trace);
        let entry = seeded_entry(&trace, &pick, reserved);
        let a = allocate(&trace, &live, &constraints, &toy::registers(), entry.clone())
            .unwrap_or_else(|e| panic!("{e}\n{}", jit_core::text::print(&trace)));
        prop_assert_eq!(&a.entry, &entry.locs);
        prop_assert!(check(&trace, &constraints, &a).is_ok(), "{:?}\n{}", check(&trace, &constraints, &a), jit_core::text::print(&trace));
        // Reserved slots hold only the inputs that entered in them, and every guard's
        // fail args lie below its high-water mark.
        let mut seen = Vec::new();
        for i in 0..trace.ops.len() {
            seen.extend(a.edits(i).iter().flat_map(|m| [m.from, m.to]));
            seen.extend_from_slice(a.args(i));
            for &l in a.fail_locs(i) {
                if let Loc::Slot(s) = l {
                    prop_assert!(s < a.guard_slots(i), "op {i}: slot {s} above the mark {}", a.guard_slots(i));
                }
            }
        }
        for l in seen {
            if let Loc::Slot(s) = l {
                prop_assert!(s >= reserved || entry.locs.contains(&l), "reserved slot {s} handed out");
            }
        }
    }

    #[test]
    fn random_traces_allocate_and_check_on_three_registers(bytes in prop::collection::vec(any::<u8>(), 0..1500)) {
        let (trace, _) = jit_testkit::gen::trace(&bytes);
        let (constraints, a) = alloc(&trace);
        prop_assert_eq!(&a.entry, &Entry::slots(trace.inputs.len()).locs);
        prop_assert!(check(&trace, &constraints, &a).is_ok(), "{:?}\n{}", check(&trace, &constraints, &a), jit_core::text::print(&trace));
    }
}

/// Pressure (seven values live across a call on three registers), guards with fail args,
/// and a loop whose jump rotates its values (a parallel-move cycle).
const TRACE: &str = "extern @gcd(i32, i32) -> i32\n[i0, i1, i2, i3, f4]\n\
    i5 = int_add(i0, i1)\ni6 = int_mul(i2, i3)\ni7 = int_sub(i5, i6)\n\
    i8 = call(@gcd, i7, i0)\nf9 = float_add(f4, 1.5)\nguard_true(i8) [i0, i1, i2, i3, i5, i6, i7, f9]\n\
    label(i0, i1, i2, i3, i8, f9)\ni10 = int_add(i8, i0)\nf11 = float_mul(f9, f9)\n\
    i12 = int_lt(i10, 100)\nguard_true(i12) [i10, i1, i2, i3, f11]\njump(i1, i2, i3, i0, i10, f11)\n";

#[test]
fn a_hand_written_trace_allocates_and_checks() {
    let trace = parse_verified(TRACE).unwrap();
    let (constraints, a) = alloc(&trace);
    check(&trace, &constraints, &a).unwrap();
    assert!(a.slots > 0, "seven live values on three registers spill");
    assert!(
        (0..trace.ops.len()).any(|i| !a.edits(i).is_empty()),
        "moves are needed"
    );
}

/// A loop value that lives across a call in the loop enters the loop in a register the
/// call keeps, so the body moves nothing around the call (a caller-saved label register
/// had it copied out before the call and back at the jump, every iteration).
#[test]
fn loop_values_living_across_a_call_start_in_callee_saved_registers() {
    let src = "extern @f(i32) -> i32\n[i0, i1]\nlabel(i0, i1)\ni2 = call(@f, i1)\n\
               i3 = int_sub(i0, 1)\ni4 = int_add(i3, i2)\njump(i4, i1)\n";
    let trace = parse_verified(src).unwrap();
    let (constraints, a) = alloc(&trace);
    check(&trace, &constraints, &a).unwrap();
    let caller_saved = toy::registers().caller_saved;
    let label = a.args(0);
    for l in label {
        let Loc::Reg(r) = *l else {
            panic!("a loop value in {l:?}: two callee-saved registers are free")
        };
        assert!(!caller_saved.contains(r), "{label:?}");
    }
    // The toy's calls take their arguments anywhere: the body moves nothing at all.
    let body_moves: usize = (1..trace.ops.len()).map(|i| a.edits(i).len()).sum();
    assert_eq!(body_moves, 0, "{a:?}");
}

#[test]
fn the_checker_rejects_every_kind_of_wrong_allocation() {
    let trace = parse_verified(TRACE).unwrap();
    let (constraints, good) = alloc(&trace);
    check(&trace, &constraints, &good).unwrap();
    type Corruption = (&'static str, fn(&mut Allocation) -> bool);
    let corruptions: &[Corruption] = &[
        ("an argument read from another register", |a| {
            let p = a.parts_mut();
            let Some(k) = p.args.iter().position(|l| matches!(l, Loc::Reg(_))) else {
                return false;
            };
            let Loc::Reg(r) = p.args[k] else {
                unreachable!()
            };
            p.args[k] = Loc::Reg(Reg {
                hw: (r.hw + 1) % 2,
                ..r
            });
            true
        }),
        ("an argument read from a slot nothing was stored in", |a| {
            let p = a.parts_mut();
            let Some(k) = p.args.iter().position(|l| matches!(l, Loc::Reg(_))) else {
                return false;
            };
            p.args[k] = Loc::Slot(9999);
            true
        }),
        ("a move left out", |a| {
            let p = a.parts_mut();
            if p.edits.is_empty() {
                return false;
            }
            p.edits.remove(0);
            true
        }),
        ("moves in the wrong order", |a| {
            let p = a.parts_mut();
            let Some(k) = (1..p.edits.len()).find(|&k| {
                let (x, y) = (p.edits[k - 1], p.edits[k]);
                x.to == y.from || y.to == x.from
            }) else {
                return false;
            };
            p.edits.swap(k - 1, k);
            true
        }),
        ("a move to the wrong place", |a| {
            let p = a.parts_mut();
            let Some(m) = p.edits.iter_mut().find(|m| matches!(m.to, Loc::Reg(_))) else {
                return false;
            };
            let Loc::Reg(r) = m.to else { unreachable!() };
            m.to = Loc::Reg(Reg {
                hw: (r.hw + 1) % 2,
                ..r
            });
            true
        }),
        ("a result put where another live value is", |a| {
            let p = a.parts_mut();
            let Some(k) = p
                .results
                .iter()
                .position(|l| matches!(l, Some(Loc::Reg(_))))
            else {
                return false;
            };
            let Some(Loc::Reg(r)) = p.results[k] else {
                unreachable!()
            };
            p.results[k] = Some(Loc::Reg(Reg {
                hw: (r.hw + 1) % 3,
                ..r
            }));
            true
        }),
        ("a fail arg said to be elsewhere", |a| {
            let p = a.parts_mut();
            if p.fails.is_empty() {
                return false;
            }
            let last = p.fails.len() - 1;
            p.fails.swap(0, last);
            true
        }),
        ("the loop header's layout changed", |a| {
            let p = a.parts_mut();
            if p.label_locs.len() < 2 {
                return false;
            }
            p.label_locs.swap(0, 1);
            true
        }),
    ];
    let mut accepted = Vec::new();
    for (what, corrupt) in corruptions {
        let mut bad = good.clone();
        assert!(
            corrupt(&mut bad),
            "{what}: the allocation has nothing to corrupt"
        );
        assert_ne!(bad, good, "{what}: the corruption changed nothing");
        if check(&trace, &constraints, &bad).is_ok() {
            accepted.push(*what);
        }
    }
    assert!(accepted.is_empty(), "the checker accepted: {accepted:?}");
}

/// Objects on three registers: refs live across allocations, in registers and spill
/// slots, so GC maps name both.
const OBJECTS: &str = "struct Node(i64 v, ref next)\n[l0, p1]\n\
    p2 = new_with_vtable(descr=<Node>)\nsetfield_gc(p2, l0, descr=<Node.v>)\n\
    setfield_gc(p2, p1, descr=<Node.next>)\n\
    p3 = new_with_vtable(descr=<Node>)\nsetfield_gc(p3, l0, descr=<Node.v>)\n\
    p4 = new_with_vtable(descr=<Node>)\nsetfield_gc(p4, l0, descr=<Node.v>)\n\
    p5 = new_with_vtable(descr=<Node>)\nsetfield_gc(p5, l0, descr=<Node.v>)\n\
    setfield_gc(p5, p2, descr=<Node.next>)\n\
    setfield_gc(p4, p3, descr=<Node.next>)\nsetfield_gc(p3, p5, descr=<Node.next>)\n\
    p6 = new_with_vtable(descr=<Node>)\nsetfield_gc(p6, p4, descr=<Node.next>)\n\
    setfield_gc(p6, l0, descr=<Node.v>)\nfinish(p6, p2)\n";

#[test]
fn the_checker_rejects_a_gc_map_that_leaves_out_a_live_ref_or_names_a_non_ref() {
    let trace = parse_verified(OBJECTS).unwrap();
    let (rewritten, _) =
        jit_core::gcrewrite::rewrite(&trace, jit_core::objects::TargetLayout::LP64);
    let trace = rewritten.into_owned();
    let (constraints, good) = alloc(&trace);
    check(&trace, &constraints, &good).unwrap();
    let maps = || {
        (0..trace.ops.len())
            .filter(|&i| trace.ops[i].opcode == jit_core::ir::Opcode::GcAlloc)
            .map(|i| good.live_across(i).len())
            .sum::<usize>()
    };
    assert!(maps() > 0, "refs live across allocations");
    let slot_refs = (0..trace.ops.len())
        .flat_map(|i| good.live_across(i))
        .any(|&(l, t)| matches!(l, Loc::Slot(_)) && t == jit_core::Type::Ref);
    assert!(
        slot_refs,
        "three registers spill refs: the maps name slots too"
    );
    // A ref left off a map (its entry replaced by another entry of the same map): the
    // stale copy is read later.
    let mut caught = 0;
    let mut start = 0;
    for i in 0..trace.ops.len() {
        let map = good.live_across(i);
        let refs: Vec<usize> = (0..map.len())
            .filter(|&k| map[k].1 == jit_core::Type::Ref)
            .collect();
        for w in refs.windows(2) {
            let mut bad = good.clone();
            let p = bad.parts_mut();
            p.live[start + w[0]] = p.live[start + w[1]];
            caught += check(&trace, &constraints, &bad).is_err() as usize;
        }
        start += map.len();
    }
    assert!(caught > 0, "leaving a live ref off a map is caught");
    // A map naming an int as a ref (the i64 input lives across every allocation).
    let mut bad = good.clone();
    let p = bad.parts_mut();
    let e = p
        .live
        .iter_mut()
        .find(|e| e.1 != jit_core::Type::Ref)
        .expect("an int lives across an allocation in a register");
    e.1 = jit_core::Type::Ref;
    assert!(check(&trace, &constraints, &bad).is_err());
}
