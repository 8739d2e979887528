//! Tree shapes on every target (x86-64 natively, ARMv7 hard-float and softfp and ARMv5TE
//! emulated), each run checked against the interpreter running root and bridges in turn: a
//! chain of 100 bridges, 1,000 bridges on the guards of one loop, and a bridge attached to a
//! loop's exit guard after 100,000 iterations.

use std::collections::HashMap;

use jit_core::compile::{compile, compile_bridge, CompileOptions};
use jit_core::interp::{ExitKind, RunOptions};
use jit_core::text::parse_verified;
use jit_core::{ExitId, Memory, Scalar, Trace};
use jit_testkit::tree::{InterpTree, TreeRunner};
use jit_testkit::Target;
use tracejit::targets::{target, SUPPORTED};

/// Attaches `bridge` to the guard with exit id `guard` of part `part` on `tree`.
fn attach(t: &dyn Target, tree: &mut dyn TreeRunner, part: usize, guard: ExitId, bridge: &Trace) {
    let (at, from) = tree
        .exits()
        .bridge_from(part, guard)
        .expect("the guard is an exit of the tree");
    let externs = jit_testkit::externs();
    let code = compile_bridge(
        t.backend(),
        bridge,
        &externs,
        CompileOptions::default(),
        from,
    )
    .unwrap_or_else(|e| panic!("{}: {e}", t.name()))
    .code;
    tree.attach(at, code)
        .unwrap_or_else(|e| panic!("{}: {e}", t.name()));
}

/// Runs the tree on the target and in the interpreter; they must agree. Returns the part
/// and outcome.
fn check(
    t: &dyn Target,
    tree: &mut dyn TreeRunner,
    parts: &[Trace],
    map: &HashMap<(usize, ExitId), usize>,
    inputs: &[Scalar],
    options: RunOptions,
) -> (usize, jit_core::Outcome) {
    let externs = jit_testkit::externs();
    let oracle = InterpTree {
        parts,
        bridges: map,
    };
    let (want_part, want) = oracle
        .run(inputs, &mut Memory::new(), &externs, options)
        .expect("the interpreter runs the tree");
    let (got_part, got) = tree
        .run(inputs, &mut Memory::new(), options)
        .unwrap_or_else(|e| panic!("{}: {e}", t.name()));
    assert!(
        want_part == got_part
            && want.same_exit_and_values(&got)
            && want.iterations == got.iterations,
        "{}: interpreter part {want_part} {want}, target part {got_part} {got}",
        t.name()
    );
    (got_part, got)
}

#[test]
fn a_chain_of_100_bridges() {
    let root =
        parse_verified("[i0]\ni1 = int_lt(i0, 0)\nguard_true(i1) [i0]\nfinish(i0)\n").unwrap();
    // Each bridge adds one and fails its own guard: the next bridge goes on.
    let link = parse_verified(
        "[i0]\ni1 = int_add(i0, 1)\ni2 = int_lt(i1, 0)\nguard_true(i2) [i1]\nfinish(i1)\n",
    )
    .unwrap();
    for triple in SUPPORTED {
        let t = target(triple).unwrap();
        let externs = jit_testkit::externs();
        let code = compile(t.backend(), &root, &externs, CompileOptions::default()).unwrap();
        let mut tree = t.load_tree(code.code, &root).unwrap();
        let mut parts = vec![root.clone()];
        let mut map = HashMap::new();
        for k in 0..100 {
            let guard = parts[k]
                .ops
                .iter()
                .find_map(|o| o.opcode.is_guard().then(|| o.exit_id()))
                .flatten()
                .unwrap();
            attach(&*t, &mut *tree, k, guard, &link);
            parts.push(link.clone());
            map.insert((k, guard), k + 1);
        }
        let (part, out) = check(
            &*t,
            &mut *tree,
            &parts,
            &map,
            &[Scalar::I32(5)],
            RunOptions::default(),
        );
        assert_eq!(
            (part, out.kind, out.values),
            (100, ExitKind::Guard, vec![Scalar::I32(105)])
        );
    }
}

#[test]
fn a_thousand_bridges_on_the_guards_of_one_loop() {
    // Iteration n fails guard k when n == k; each guard's bridge returns 3k plus the sum so far.
    let mut src = String::from("[i0, i1]\nlabel(i0, i1)\n");
    let mut v = 2;
    for k in 0..1000 {
        src.push_str(&format!(
            "i{v} = int_eq(i0, {k})\nguard_false(i{v}) [i0, i1]\n"
        ));
        v += 1;
    }
    src.push_str(&format!(
        "i{v} = int_add(i0, 1)\ni{} = int_add(i1, i0)\njump(i{v}, i{})\n",
        v + 1,
        v + 1
    ));
    let root = parse_verified(&src).unwrap();
    let bridge =
        parse_verified("[i0, i1]\ni2 = int_mul(i0, 3)\ni3 = int_add(i2, i1)\nfinish(i3)\n")
            .unwrap();
    let guards: Vec<ExitId> = root
        .ops
        .iter()
        .filter(|o| o.opcode.is_guard())
        .filter_map(|o| o.exit_id())
        .collect();
    for triple in SUPPORTED {
        let t = target(triple).unwrap();
        let externs = jit_testkit::externs();
        let code = compile(t.backend(), &root, &externs, CompileOptions::default()).unwrap();
        let mut tree = t.load_tree(code.code, &root).unwrap();
        let mut parts = vec![root.clone()];
        let mut map = HashMap::new();
        for &g in &guards {
            attach(&*t, &mut *tree, 0, g, &bridge);
            parts.push(bridge.clone());
            map.insert((0, g), parts.len() - 1);
        }
        let options = RunOptions {
            step_budget: 10_000_000,
            ..RunOptions::default()
        };
        for start in [0, 1, 499, 998, 999] {
            let (part, out) = check(
                &*t,
                &mut *tree,
                &parts,
                &map,
                &[Scalar::I32(start), Scalar::I32(0)],
                options,
            );
            // From `start` the loop fails at once, in guard `start`.
            assert_eq!(
                (part, out.values),
                (start as usize + 1, vec![Scalar::I32(3 * start)]),
                "{}",
                t.name()
            );
        }
    }
}

#[test]
fn a_bridge_attached_after_100000_iterations() {
    let root = parse_verified(
        "[i0, i1]\nlabel(i0, i1)\ni2 = int_add(i1, i0)\ni3 = int_sub(i0, 1)\n\
         i4 = int_gt(i3, 0)\nguard_true(i4) [i3, i2]\njump(i3, i2)\n",
    )
    .unwrap();
    let bridge = parse_verified("[i0, i1]\ni2 = int_xor(i1, 0x5a5a)\nfinish(i0, i2)\n").unwrap();
    let options = RunOptions {
        step_budget: 1_000_000,
        ..RunOptions::default()
    };
    let inputs = [Scalar::I32(100_000), Scalar::I32(0)];
    for triple in SUPPORTED {
        let t = target(triple).unwrap();
        let externs = jit_testkit::externs();
        let code = compile(t.backend(), &root, &externs, CompileOptions::default()).unwrap();
        let mut tree = t.load_tree(code.code, &root).unwrap();
        let mut parts = vec![root.clone()];
        let mut map = HashMap::new();
        // 100,000 iterations leave through the guard...
        let (part, out) = check(&*t, &mut *tree, &parts, &map, &inputs, options);
        assert_eq!((part, out.kind), (0, ExitKind::Guard));
        // ... which then gets its bridge, and the next run ends in it.
        attach(&*t, &mut *tree, 0, out.exit, &bridge);
        parts.push(bridge.clone());
        map.insert((0, out.exit), 1);
        let (part, out) = check(&*t, &mut *tree, &parts, &map, &inputs, options);
        let sum = (1..=100_000i64).sum::<i64>() as i32;
        assert_eq!(
            (part, out.values),
            (1, vec![Scalar::I32(0), Scalar::I32(sum ^ 0x5a5a)])
        );
    }
}

/// Found by the tree fuzzer on x86-64: an arithmetic NaN passed to a bridge as a fail arg
/// and stored there kept SSE's bits (0xfff8…) where the interpreter stores the canonical
/// NaN. The parent now tells the bridge which fail args may be arithmetic NaNs; a NaN input
/// passed through keeps its exact bits.
#[test]
fn a_bridge_stores_arithmetic_nans_canonical_and_input_nans_exact() {
    let payload = f64::from_bits(0xfff4_0000_dead_beef);
    let memories = check_bridge_memory(
        "[f0, f1, p2]\nf3 = float_truediv(f0, f0)\ni4 = float_gt(f0, 1.0)\n\
         guard_true(i4) [f3, f1, p2]\nfinish()\n",
        "[f0, f1, p2]\nstore_f64(p2, 0, 8, 0, f0)\nstore_f64(p2, 1, 8, 0, f1)\nfinish()\n",
        |memory| {
            let buf = memory.alloc(16).unwrap();
            vec![
                Scalar::F64(0.0f64.to_bits()),
                Scalar::F64(payload.to_bits()),
                Scalar::Ref(buf),
            ]
        },
    );
    for got in memories {
        let bytes = &got.buffers()[0].bytes;
        assert_eq!(
            u64::from_le_bytes(bytes[..8].try_into().unwrap()),
            jit_core::ir::CANONICAL_NAN_BITS
        );
        assert_eq!(
            u64::from_le_bytes(bytes[8..].try_into().unwrap()),
            payload.to_bits()
        );
    }
}

/// Runs `root` with `bridge` attached to its first guard on every target, and checks that
/// the memory both leave agrees with the interpreter's; returns each target's memory.
fn check_bridge_memory(
    root: &str,
    bridge: &str,
    inputs: impl Fn(&mut Memory) -> Vec<Scalar>,
) -> Vec<Memory> {
    let mut memories = Vec::new();
    let root = parse_verified(root).unwrap();
    let bridge = parse_verified(bridge).unwrap();
    for triple in SUPPORTED {
        let t = target(triple).unwrap();
        let externs = jit_testkit::externs();
        let code = compile(t.backend(), &root, &externs, CompileOptions::default()).unwrap();
        let mut tree = t.load_tree(code.code, &root).unwrap();
        let guard = root
            .ops
            .iter()
            .find_map(|o| o.opcode.is_guard().then(|| o.exit_id()))
            .flatten()
            .unwrap();
        attach(&*t, &mut *tree, 0, guard, &bridge);
        let mut memory = Memory::new();
        let inputs = inputs(&mut memory);
        let map = HashMap::from([((0, guard), 1)]);
        let parts = [root.clone(), bridge.clone()];
        let oracle = InterpTree {
            parts: &parts,
            bridges: &map,
        };
        let mut want = memory.clone();
        oracle
            .run(&inputs, &mut want, &externs, RunOptions::default())
            .unwrap();
        let mut got = memory.clone();
        tree.run(&inputs, &mut got, RunOptions::default()).unwrap();
        assert!(
            got.same_contents(&want),
            "{}: {:x?} vs {:x?}",
            t.name(),
            got.buffers(),
            want.buffers()
        );
        memories.push(got);
    }
    memories
}

/// Found by the tree fuzzer on x86-64: an f64 loop slot nothing in the root observes took an
/// arithmetic NaN at the jump, left as a guard's fail arg, and a bridge stored it with SSE's
/// bits. A loop slot that a guard after the label passes on now counts as observed, so the
/// jump canonicalizes the arithmetic values it carries into it.
#[test]
fn a_loop_slot_passed_to_a_bridge_holds_canonical_nans() {
    check_bridge_memory(
        "[f0, i1, p2]\nlabel(f0, i1, p2)\ni3 = int_sub(i1, 1)\ni4 = int_gt(i3, 0)\n\
         guard_true(i4) [f0, p2]\nf5 = float_sqrt(-1.0)\njump(f5, i3, p2)\n",
        "[f0, p1]\nstore_f64(p1, 0, 8, 0, f0)\nfinish()\n",
        |memory| {
            let buf = memory.alloc(8).unwrap();
            vec![
                Scalar::F64(1.0f64.to_bits()),
                Scalar::I32(3),
                Scalar::Ref(buf),
            ]
        },
    );
    // The same through a copy of the slot.
    check_bridge_memory(
        "[f0, i1, p2]\nlabel(f0, i1, p2)\ni3 = int_sub(i1, 1)\ni4 = int_gt(i3, 0)\n\
         f6 = same_as(f0)\nguard_true(i4) [f6, p2]\nf5 = float_sqrt(-1.0)\njump(f5, i3, p2)\n",
        "[f0, p1]\nstore_f64(p1, 0, 8, 0, f0)\nfinish()\n",
        |memory| {
            let buf = memory.alloc(8).unwrap();
            vec![
                Scalar::F64(1.0f64.to_bits()),
                Scalar::I32(3),
                Scalar::Ref(buf),
            ]
        },
    );
}

/// A loop over values of every type (i32, i64 split into pairs on ARM, f64 in core
/// registers on ARMv5TE, a ref) with a constant the ARM targets hoist out of it.
const EVERY_TYPE_LOOP: &str = "[i0, i1, l2, f3, p4]\nlabel(i0, i1, l2, f3, p4)\n\
     i5 = int_and(i0, 1)\nguard_false(i5) [i0, i1, l2, f3, p4]\n\
     i6 = int_add(i1, 0x12345678)\nl7 = int_mul(l2, 3)\nf8 = float_add(f3, 1.5)\n\
     store_f64(p4, 0, 8, 0, f8)\ni9 = int_sub(i0, 1)\ni10 = int_gt(i9, 0)\n\
     guard_true(i10) [i9, i6, l7, f8]\njump(i9, i6, l7, f8, p4)\n";

/// Per target: the interpreter's part and outcome (none if it ran out of budget), and the
/// buffer's bytes after the run.
type TreeResult = (Option<(usize, jit_core::Outcome)>, Vec<u8>);

/// Runs `root` with `bridge` on its first guard on every target and in the interpreter,
/// from `count` with a 16-byte buffer; both must agree on the outcome (or both run out of
/// budget) and on memory. Returns the interpreter's result and the buffer.
fn run_every_type_tree(bridge: &str, count: i32, options: RunOptions) -> Vec<TreeResult> {
    let root = parse_verified(EVERY_TYPE_LOOP).unwrap();
    let bridge = parse_verified(bridge).unwrap();
    let mut results = Vec::new();
    for triple in SUPPORTED {
        let t = target(triple).unwrap();
        let externs = jit_testkit::externs();
        let code = compile(t.backend(), &root, &externs, CompileOptions::default()).unwrap();
        let mut tree = t.load_tree(code.code, &root).unwrap();
        // ARM and AArch64 build 0x12345678 in two to four instructions: it is hoisted,
        // and the bridge's jump passes it too. x86-64 takes it as an immediate.
        let hoisted = &tree.exits().parts[0].loop_header().unwrap().hoisted;
        assert_eq!(
            hoisted.is_empty(),
            t.name().starts_with("x86"),
            "{}: {hoisted:?}",
            t.name()
        );
        let guard = root.ops[2].exit_id().unwrap();
        attach(&*t, &mut *tree, 0, guard, &bridge);
        let mut memory = Memory::new();
        let buf = memory.alloc(16).unwrap();
        let inputs = [
            Scalar::I32(count),
            Scalar::I32(7),
            Scalar::I64(-5),
            Scalar::F64(0.25f64.to_bits()),
            Scalar::Ref(buf),
        ];
        let map = HashMap::from([((0, guard), 1)]);
        let parts = [root.clone(), bridge.clone()];
        let oracle = InterpTree {
            parts: &parts,
            bridges: &map,
        };
        let mut want_mem = memory.clone();
        let mut path = Vec::new();
        let want = oracle.run_path(&inputs, &mut want_mem, &externs, options, &mut path);
        let mut got_mem = memory.clone();
        let got = tree.run(&inputs, &mut got_mem, options);
        match (&want, &got) {
            (Ok((wp, w)), Ok((gp, g))) => assert!(
                wp == gp && w.same_exit_and_values(g),
                "{}: interpreter part {wp} {w}, target part {gp} {g}",
                t.name()
            ),
            (Err(jit_core::interp::InterpError::StepBudget { .. }), Err(e)) => assert!(
                matches!(e, jit_core::runtime::RunError::StepBudget { .. }),
                "{}: {e}",
                t.name()
            ),
            _ => panic!("{}: interpreter {want:?}, target {got:?}", t.name()),
        }
        assert!(
            got_mem.same_contents(&want_mem),
            "{}: {:x?} vs {:x?}",
            t.name(),
            got_mem.buffers(),
            want_mem.buffers()
        );
        results.push((want.ok(), got_mem.buffers()[0].bytes.clone()));
    }
    results
}

/// A hot bridge: every other iteration fails the root's parity guard, and the bridge does
/// that iteration's work its own way and jumps back into the loop, with every type of value
/// (and the constant the root hoisted) moved into the loop's layout. 10,001 iterations.
#[test]
fn a_hot_bridge_jumps_back_into_the_loop_with_every_type() {
    let bridge = "[i0, i1, l2, f3, p4]\ni5 = int_xor(i1, 0x0badf00d)\n\
                  l6 = int_add(l2, 1000000007L)\nf7 = float_mul(f3, 0.5)\n\
                  store_f64(p4, 1, 8, 0, f7)\ni8 = int_sub(i0, 1)\ni9 = int_gt(i8, 0)\n\
                  guard_true(i9) [i8, i5, l6, f7]\njump(i8, i5, l6, f7, p4)\n";
    let options = RunOptions {
        step_budget: 1_000_000,
        ..RunOptions::default()
    };
    let results = run_every_type_tree(bridge, 10_001, options);
    let (first, bytes) = &results[0];
    let (part, out) = first.as_ref().expect("the tree finishes");
    // Odd counts are the bridge's: it takes the first iteration and the last (from 1).
    assert_eq!((*part, out.kind), (1, ExitKind::Guard));
    assert_eq!(out.values[0], Scalar::I32(0));
    assert!(results.iter().all(|r| &r.1 == bytes));
}

/// A bridge that jumps back without progress makes the loop endless: every target stops
/// at the same jump as the interpreter, jumps through the bridge counted with the root's,
/// with the same memory.
#[test]
fn an_endless_loop_through_a_bridge_runs_out_of_budget_on_every_target() {
    let bridge = "[i0, i1, l2, f3, p4]\nf5 = float_add(f3, 1.0)\n\
                  store_f64(p4, 1, 8, 0, f5)\njump(i0, i1, l2, f5, p4)\n";
    for budget in [0, 1, 25, 1_000, 100_000] {
        let options = RunOptions {
            step_budget: budget,
            ..RunOptions::default()
        };
        let results = run_every_type_tree(bridge, 5, options);
        assert!(results.iter().all(|r| r.0.is_none() && r.1 == results[0].1));
    }
}

/// What a bridge's jump must match: the root's loop, in number and types of values; a
/// root cannot jump out of itself.
#[test]
fn jumps_out_of_a_trace_are_checked() {
    let root = parse_verified(EVERY_TYPE_LOOP).unwrap();
    let no_loop =
        parse_verified("[i0]\ni1 = int_gt(i0, 0)\nguard_true(i1) [i0]\nfinish()\n").unwrap();
    let externs = jit_testkit::externs();
    for triple in SUPPORTED {
        let t = target(triple).unwrap();
        let b = t.backend();
        let code = compile(b, &root, &externs, CompileOptions::default()).unwrap();
        let tree = t.load_tree(code.code, &root).unwrap();
        let (_, from) = tree
            .exits()
            .bridge_from(0, root.ops[2].exit_id().unwrap())
            .unwrap();
        let wrong = parse_verified("[i0, i1, l2, f3, p4]\njump(i0, i1, l2, f3)\n").unwrap();
        let e = compile_bridge(b, &wrong, &externs, CompileOptions::default(), from).unwrap_err();
        assert!(
            e.to_string().contains("the root's loop takes"),
            "{}: {e}",
            t.name()
        );
        let wrong = parse_verified("[i0, i1, l2, f3, p4]\njump(i0, i1, i0, f3, p4)\n").unwrap();
        let e = compile_bridge(b, &wrong, &externs, CompileOptions::default(), from).unwrap_err();
        assert!(
            e.to_string().contains("the root's loop takes"),
            "{}: {e}",
            t.name()
        );
        let code = compile(b, &no_loop, &externs, CompileOptions::default()).unwrap();
        let tree = t.load_tree(code.code, &no_loop).unwrap();
        let (_, from) = tree
            .exits()
            .bridge_from(0, no_loop.ops[1].exit_id().unwrap())
            .unwrap();
        let jumps = parse_verified("[i0]\njump(i0)\n").unwrap();
        let e = compile_bridge(b, &jumps, &externs, CompileOptions::default(), from).unwrap_err();
        assert!(e.to_string().contains("has no label"), "{}: {e}", t.name());
        let e = compile(b, &jumps, &externs, CompileOptions::default()).unwrap_err();
        assert!(
            e.to_string().contains("label of its own"),
            "{}: {e}",
            t.name()
        );
    }
}

/// `guard_not_invalidated` costs no code: invalidating a tree patches each site into a jump
/// to its exit, in the root and in every bridge (attached before or after), on every
/// target; a run as if invalidated patches them for that run only.
#[test]
fn invalidating_a_tree_patches_its_guards_on_every_target() {
    let root = parse_verified(
        "[i0, i1]\nlabel(i0, i1)\nguard_not_invalidated() [i0, i1]\ni2 = int_add(i1, i0)\n\
         i3 = int_sub(i0, 1)\ni4 = int_gt(i3, 0)\nguard_true(i4) [i3, i2]\njump(i3, i2)\n",
    )
    .unwrap();
    let finish = parse_verified(
        "[i0, i1]\ni2 = int_add(i1, 1000)\nguard_not_invalidated() [i2]\nfinish(i2)\n",
    )
    .unwrap();
    let late = parse_verified(
        "[i0, i1]\ni2 = int_mul(i1, 3)\nguard_not_invalidated() [i2, i0]\nfinish(i2)\n",
    )
    .unwrap();
    let site = root.ops[1].exit_id().unwrap();
    let exit = root.ops[5].exit_id().unwrap();
    let inputs = [Scalar::I32(10), Scalar::I32(0)];
    let plain = RunOptions::default();
    let as_invalidated = RunOptions {
        invalidated: true,
        ..RunOptions::default()
    };
    for triple in SUPPORTED {
        let t = target(triple).unwrap();
        let externs = jit_testkit::externs();
        let code = compile(t.backend(), &root, &externs, CompileOptions::default()).unwrap();
        // The guard has no code of its own.
        assert_eq!(
            code.code.op_offsets[1],
            code.code.op_offsets[2],
            "{}",
            t.name()
        );
        let mut tree = t.load_tree(code.code, &root).unwrap();
        attach(&*t, &mut *tree, 0, exit, &finish);
        let mut parts = vec![root.clone(), finish.clone()];
        let mut map = HashMap::from([((0, exit), 1)]);
        let name = t.name();
        let got = |tree: &mut dyn TreeRunner,
                   parts: &[Trace],
                   map: &HashMap<(usize, ExitId), usize>,
                   options| {
            let (part, out) = check(&*t, tree, parts, map, &inputs, options);
            (part, out.kind, out.values)
        };
        let sum = Scalar::I32(55 + 1000);
        assert_eq!(
            got(&mut *tree, &parts, &map, plain),
            (1, ExitKind::Finish, vec![sum])
        );
        // As if invalidated: the first pass leaves through the root's site...
        assert_eq!(
            got(&mut *tree, &parts, &map, as_invalidated),
            (0, ExitKind::Guard, inputs.to_vec()),
            "{name}"
        );
        // ... and the next plain run has the code as compiled again.
        assert_eq!(got(&mut *tree, &parts, &map, plain).0, 1, "{name}");
        // Invalidated for good: every run leaves through the sites.
        tree.invalidate();
        let bytes_before = tree.exits().parts[0].code.clone();
        assert_eq!(got(&mut *tree, &parts, &map, as_invalidated).0, 0, "{name}");
        assert_eq!(
            tree.run(&inputs, &mut Memory::new(), plain)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .0,
            0,
            "{name}: a plain run of an invalidated tree"
        );
        assert_eq!(tree.exits().parts[0].code, bytes_before);
        // A bridge attached to the site after invalidation runs, and its own site is
        // patched as it is attached.
        attach(&*t, &mut *tree, 0, site, &late);
        parts.push(late.clone());
        map.insert((0, site), 2);
        assert_eq!(
            got(&mut *tree, &parts, &map, as_invalidated),
            (2, ExitKind::Guard, vec![Scalar::I32(0), Scalar::I32(10)]),
            "{name}"
        );
    }
}

/// Invalidation in the middle of a run: a call to `@tracejit_invalidate` patches every
/// site of the running tree, and the rest of the run leaves through them — in the same
/// loop on the next pass, on every target; the next plain run has the code as compiled.
#[test]
fn a_call_invalidates_the_running_trace() {
    let root = parse_verified(
        "extern @tracejit_invalidate()\n[i0]\nlabel(i0)\nguard_not_invalidated() [i0]\n\
         call(@tracejit_invalidate)\ni1 = int_sub(i0, 1)\ni2 = int_gt(i1, 0)\n\
         guard_true(i2) [i1]\njump(i1)\n",
    )
    .unwrap();
    for triple in SUPPORTED {
        let t = target(triple).unwrap();
        let mut tree = {
            let externs = jit_testkit::externs();
            let code = compile(t.backend(), &root, &externs, CompileOptions::default()).unwrap();
            t.load_tree(code.code, &root).unwrap()
        };
        let parts = [root.clone()];
        let map = HashMap::new();
        for _ in 0..2 {
            let (part, out) = check(
                &*t,
                &mut *tree,
                &parts,
                &map,
                &[Scalar::I32(10)],
                RunOptions::default(),
            );
            // The first pass passes the guard and invalidates; the second leaves there.
            assert_eq!(
                (part, out.exit, out.values),
                (0, root.ops[1].exit_id().unwrap(), vec![Scalar::I32(9)]),
                "{}",
                t.name()
            );
        }
        // The single-trace runners do the same.
        let code = compile(
            t.backend(),
            &root,
            &jit_testkit::externs(),
            CompileOptions::default(),
        )
        .unwrap();
        let mut runner = t.load(code.code, &root).unwrap();
        for _ in 0..2 {
            let out = runner
                .run(
                    &[Scalar::I32(10)],
                    &mut Memory::new(),
                    RunOptions::default(),
                )
                .unwrap_or_else(|e| panic!("{}: {e}", t.name()));
            assert_eq!(out.values, vec![Scalar::I32(9)], "{}", t.name());
        }
    }
}

/// A bridge invalidates the tree and jumps back into the loop, whose label comes right
/// after a preamble `guard_not_invalidated`: the emitter padded the label past that site's
/// patch, so the loop goes on (x86-64's 5-byte jump would otherwise overwrite the header).
#[test]
fn a_bridge_invalidates_the_tree_and_the_loop_goes_on() {
    let root = parse_verified(
        "[i6, i7]\ni0 = int_add(i6, 0)\ni1 = int_add(i7, 0)\nguard_not_invalidated() [i0, i1]\n\
         label(i0, i1)\ni2 = int_eq(i0, 5)\nguard_false(i2) [i0, i1]\ni3 = int_add(i1, i0)\n\
         i4 = int_sub(i0, 1)\ni5 = int_gt(i4, 0)\nguard_true(i5) [i4, i3]\njump(i4, i3)\n",
    )
    .unwrap();
    let bridge = parse_verified(
        "extern @tracejit_invalidate()\n[i0, i1]\ncall(@tracejit_invalidate)\n\
         i2 = int_sub(i0, 1)\ni3 = int_add(i1, 100)\njump(i2, i3)\n",
    )
    .unwrap();
    let guard = root.ops[5].exit_id().unwrap();
    for triple in SUPPORTED {
        let t = target(triple).unwrap();
        let externs = jit_testkit::externs();
        let code = compile(t.backend(), &root, &externs, CompileOptions::default()).unwrap();
        // Nothing to move at the label: without padding it would sit under the patch.
        let header = code.code.labels[0].offset;
        let site = code.code.invalidation[0].clone();
        assert!(
            header >= site.at + site.patch.len() as u32 && header < site.at + 16,
            "{}: site at {}, header at {header}",
            t.name(),
            site.at
        );
        let mut tree = t.load_tree(code.code, &root).unwrap();
        attach(&*t, &mut *tree, 0, guard, &bridge);
        let parts = [root.clone(), bridge.clone()];
        let map = HashMap::from([((0, guard), 1)]);
        for _ in 0..2 {
            let (part, out) = check(
                &*t,
                &mut *tree,
                &parts,
                &map,
                &[Scalar::I32(8), Scalar::I32(0)],
                RunOptions::default(),
            );
            // 8 + 7 + 6 + (the bridge at 5: +100) + 4 + 3 + 2 + 1.
            assert_eq!(
                (part, out.values),
                (0, vec![Scalar::I32(0), Scalar::I32(131)]),
                "{}",
                t.name()
            );
        }
    }
}

/// PyPy's peeled shape: a label over the inputs, a preamble with its own guard, the
/// loop's label and body. A bridge out of the preamble's guard and one out of the body's
/// both jump to the loop header (the last label), on every target.
#[test]
fn bridges_of_a_peeled_loop_jump_to_its_header() {
    let root = parse_verified(
        "[i0, i1, p2]\nlabel(i0, i1, p2)\ni3 = int_mul(i1, 2)\ni4 = int_lt(i0, 1000)\n\
         guard_true(i4) [i0, i3, p2]\nlabel(i0, i3, p2)\ni5 = int_and(i0, 3)\n\
         guard_true(i5) [i0, i3, p2]\ni6 = int_add(i3, i0)\nstore_i32(p2, 0, 4, 0, i6)\n\
         i7 = int_sub(i0, 1)\ni8 = int_gt(i7, 0)\nguard_true(i8) [i7, i6]\njump(i7, i6, p2)\n",
    )
    .unwrap();
    // Out of the preamble (counts of 1000 and more): start the loop at 999.
    let preamble = parse_verified("[i0, i1, p2]\njump(999, i1, p2)\n").unwrap();
    // Out of the body on multiples of 4: that iteration adds 7 and goes on.
    let body = parse_verified(
        "[i0, i1, p2]\ni3 = int_add(i1, 7)\nstore_i32(p2, 1, 4, 0, i3)\ni4 = int_sub(i0, 1)\n\
         jump(i4, i3, p2)\n",
    )
    .unwrap();
    let (g_pre, g_body) = (
        root.ops[3].exit_id().unwrap(),
        root.ops[6].exit_id().unwrap(),
    );
    for triple in SUPPORTED {
        let t = target(triple).unwrap();
        let externs = jit_testkit::externs();
        let code = compile(t.backend(), &root, &externs, CompileOptions::default()).unwrap();
        assert_eq!(code.code.labels.len(), 2, "{}", t.name());
        let mut tree = t.load_tree(code.code, &root).unwrap();
        attach(&*t, &mut *tree, 0, g_pre, &preamble);
        attach(&*t, &mut *tree, 0, g_body, &body);
        let parts = [root.clone(), preamble.clone(), body.clone()];
        let map = HashMap::from([((0, g_pre), 1), ((0, g_body), 2)]);
        for count in [5, 998, 1000, 5000] {
            let mut memory = Memory::new();
            let buf = memory.alloc(8).unwrap();
            let inputs = [Scalar::I32(count), Scalar::I32(1), Scalar::Ref(buf)];
            let oracle = InterpTree {
                parts: &parts,
                bridges: &map,
            };
            let mut want_mem = memory.clone();
            let (wp, want) = oracle
                .run(&inputs, &mut want_mem, &externs, RunOptions::default())
                .unwrap();
            let mut got_mem = memory.clone();
            let (gp, got) = tree
                .run(&inputs, &mut got_mem, RunOptions::default())
                .unwrap_or_else(|e| panic!("{}: {e}", t.name()));
            assert!(
                wp == gp && want.same_exit_and_values(&got) && got_mem.same_contents(&want_mem),
                "{} from {count}: interpreter part {wp} {want}, target part {gp} {got}",
                t.name()
            );
            assert_eq!(wp, 0, "the run ends at the loop's exit guard");
        }
    }
}

/// Every tree file (the examples, the regressions) runs on every target as the interpreter
/// runs it: bridges attached from their guards' compiled states, part, exit, values and
/// memory compared.
#[test]
fn every_tree_file_agrees_on_every_target() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["examples", "jit-testkit/regressions"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "trace") {
                let src = std::fs::read_to_string(&p).unwrap();
                if jit_core::text::is_tree(&src) {
                    files.push((p, src));
                }
            }
        }
    }
    assert!(!files.is_empty());
    let externs = jit_testkit::externs();
    for (path, src) in files {
        let tree = jit_core::text::parse_tree(&src, &externs)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let specs =
            jit_core::text::parse_args(jit_core::text::default_args(&src).unwrap_or("")).unwrap();
        let mut memory = Memory::new();
        let inputs = jit_core::text::resolve_args(&specs, &tree.parts[0], &mut memory)
            .unwrap()
            .values;
        for triple in SUPPORTED {
            let t = target(triple).unwrap();
            let d = jit_testkit::tree::compare_tree(
                &*t,
                &tree.parts,
                &tree.bridges(),
                &inputs,
                &memory,
                RunOptions::default(),
            );
            assert_eq!(d, Ok(None), "{}", path.display());
        }
    }
}

/// A target whose trees answer one too many in the first value of any run that ends in a
/// bridge: a divergence for the shrinker to keep while it shrinks.
struct OffByOne(Box<dyn jit_testkit::Target>);

struct OffByOneTree<'a>(Box<dyn TreeRunner + 'a>);

impl TreeRunner for OffByOneTree<'_> {
    fn exits(&self) -> &jit_core::tree::Exits {
        self.0.exits()
    }
    fn attach(
        &mut self,
        at: u32,
        bridge: jit_core::backend::CompiledTrace,
    ) -> Result<(), jit_core::runtime::RunError> {
        self.0.attach(at, bridge)
    }
    fn add_loop(
        &mut self,
        code: jit_core::backend::CompiledTrace,
    ) -> Result<usize, jit_core::runtime::RunError> {
        self.0.add_loop(code)
    }
    fn add_entry(
        &mut self,
        code: jit_core::backend::CompiledTrace,
    ) -> Result<usize, jit_core::runtime::RunError> {
        self.0.add_entry(code)
    }
    fn run_from(
        &mut self,
        part: usize,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
        jumps: Option<u64>,
    ) -> Result<jit_core::tree::Stop, jit_core::runtime::RunError> {
        self.0.run_from(part, inputs, memory, options, jumps)
    }
    fn invalidate(&mut self) {
        self.0.invalidate()
    }
    fn run(
        &mut self,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
    ) -> Result<(usize, jit_core::Outcome), jit_core::runtime::RunError> {
        let (part, mut out) = self.0.run(inputs, memory, options)?;
        if let (true, Some(Scalar::I32(x))) = (part > 0, out.values.first_mut()) {
            *x = x.wrapping_add(1);
        }
        Ok((part, out))
    }
}

impl jit_testkit::Target for OffByOne {
    fn name(&self) -> String {
        format!("off-by-one {}", self.0.name())
    }
    fn backend(&self) -> &dyn jit_core::backend::Backend {
        self.0.backend()
    }
    fn load(
        &self,
        code: jit_core::backend::CompiledTrace,
        trace: &Trace,
    ) -> Result<Box<dyn jit_core::runtime::Runner>, jit_core::runtime::RunError> {
        self.0.load(code, trace)
    }
    fn load_tree(
        &self,
        root: jit_core::backend::CompiledTrace,
        trace: &Trace,
    ) -> Result<Box<dyn TreeRunner + '_>, jit_core::runtime::RunError> {
        Ok(Box::new(OffByOneTree(self.0.load_tree(root, trace)?)))
    }
}

/// The tree shrinker keeps a divergence while it shrinks every part, and what it returns
/// prints as a tree file that parses back.
#[test]
fn a_diverging_tree_shrinks_to_a_tree_file() {
    let root = parse_verified(
        "[i0, i1]\ni2 = int_add(i0, 1)\ni3 = int_mul(i2, 3)\ni4 = int_xor(i3, i1)\n\
         i5 = int_gt(i4, 1000)\nguard_true(i5) [i4, i1]\nfinish(i4)\n",
    )
    .unwrap();
    let mut bridge = parse_verified(
        "[i0, i1]\ni2 = int_add(i0, i1)\ni3 = int_mul(i2, 7)\ni4 = int_sub(i3, 5)\n\
         i5 = int_and(i4, 255)\ni6 = int_or(i5, 16)\ni7 = int_xor(i6, i1)\nfinish(i7, i2)\n",
    )
    .unwrap();
    jit_testkit::tree::renumber_exits(
        &mut bridge,
        jit_testkit::tree::next_exit_id(std::slice::from_ref(&root)),
    );
    let guard = root.ops[4].exit_id().unwrap();
    let parts = vec![root, bridge];
    let map = HashMap::from([((0, guard), 1)]);
    let inputs = [Scalar::I32(2), Scalar::I32(5)];
    let memory = Memory::new();
    let t = OffByOne(target(SUPPORTED[0]).unwrap());
    let options = RunOptions::default();
    let first = jit_testkit::tree::compare_tree(&t, &parts, &map, &inputs, &memory, options);
    assert!(matches!(first, Ok(Some(_))), "{first:?}");
    let small = jit_testkit::tree::shrink_tree(&t, &parts, &map, &inputs, &memory, options, 500);
    assert!(
        jit_testkit::tree::tree_divergence(&t, &small, &map, &inputs, &memory, options).is_some()
    );
    assert!(
        small[1].ops.len() < parts[1].ops.len() && small[0].ops.len() < parts[0].ops.len(),
        "{}",
        jit_testkit::tree::tree_text(&small, &map)
    );
    let text = jit_testkit::tree::tree_text(&small, &map);
    let back = jit_core::text::parse_tree(&text, &jit_testkit::externs()).unwrap();
    assert_eq!(back.parts, small);
}

/// A tree of two loops: the root (Target0) and a further peeled loop (Target5 over its
/// preamble, Target6 over its body, a constant the body hoists, a `guard_not_invalidated`).
/// A bridge out of the root's body jumps to the further loop's preamble label, one out of
/// the further loop's body jumps to its own header by token, and one out of that bridge
/// jumps back to the root — values of every type crossing each time (split i64 on ARM, f64
/// in core registers on ARMv5TE).
const TWO_LOOPS: &str = "\
[i0, l1, f2, p3]
label(i0, l1, f2, p3, descr=<Target0>)
i4 = int_and(i0, 7)
guard_true(i4) [i0, l1, f2, p3]
l5 = cast_i32_to_i64(i0)
l6 = int_add(l1, l5)
store_i32(p3, 0, 4, 0, i0)
i7 = int_sub(i0, 1)
i8 = int_gt(i7, 0)
guard_true(i8) [i7, l6, f2]
jump(i7, l6, f2, p3, descr=<Target0>)
# Loop
[i0, l1, f2, p3]
label(i0, l1, f2, p3, descr=<Target5>)
i4 = int_lt(i0, 100000)
guard_true(i4) [i0, l1]
label(i0, l1, f2, p3, descr=<Target6>)
guard_not_invalidated() [i0, l1, f2]
i5 = int_and(i0, 3)
guard_true(i5) [i0, l1, f2, p3]
f6 = float_mul(f2, 0.5)
f7 = float_add(f6, 1.0)
l8 = cast_f64_to_i64(f7)
l9 = int_xor(l1, 81985529216486895L)
l10 = int_add(l9, l8)
store_i32(p3, 1, 4, 0, i0)
i11 = int_sub(i0, 1)
i12 = int_gt(i11, 0)
guard_true(i12) [i11, l10, f7]
jump(i11, l10, f7, p3, descr=<Target6>)
# bridge out of Guard0
[i0, l1, f2, p3]
i4 = int_sub(i0, 1)
l5 = int_mul(l1, 3L)
jump(i4, l5, f2, p3, descr=<Target5>)
# bridge out of Guard4
[i0, l1, f2, p3]
f4 = float_sub(f2, 0.25)
i5 = int_and(i0, 12)
guard_true(i5) [i0, l1, f4, p3]
i6 = int_sub(i0, 1)
jump(i6, l1, f4, p3, descr=<Target6>)
# bridge out of Guard6
[i0, l1, f2, p3]
i4 = int_sub(i0, 1)
f5 = float_add(f2, 0.125)
jump(i4, l1, f5, p3, descr=<Target0>)
";

/// Bridges jump between two loops of a tree ([`TWO_LOOPS`]) on every target as in the
/// interpreter: for many counts, as if invalidated (the further loop's site patched), and
/// for every budget up to 300 jumps (each target stops at the same jump, memory alike).
#[test]
fn bridges_jump_between_the_loops_of_a_tree_on_every_target() {
    let externs = jit_testkit::externs();
    let tree = jit_core::text::parse_tree(TWO_LOOPS, &externs).unwrap();
    assert_eq!(tree.loop_of(), vec![0, 1, 0, 1, 1]);
    let bridges = tree.bridges();
    let run = |count: i32, options: RunOptions| {
        let mut memory = Memory::new();
        let buf = memory.alloc(8).unwrap();
        let inputs = [
            Scalar::I32(count),
            Scalar::I64(5),
            Scalar::F64(1.5f64.to_bits()),
            Scalar::Ref(buf),
        ];
        let oracle = InterpTree {
            parts: &tree.parts,
            bridges: &bridges,
        };
        let mut path = Vec::new();
        let want = oracle.run_path(&inputs, &mut memory.clone(), &externs, options, &mut path);
        (inputs, memory, want.map(|(p, _)| p), path)
    };
    // The interpreter's runs go through every part, and end in either loop.
    let (_, _, end, path) = run(1000, RunOptions::default());
    assert_eq!(end, Ok(1), "the run ends at the further loop's exit guard");
    for part in 0..5 {
        assert!(path.contains(&part), "part {part} never runs: {path:?}");
    }
    let (_, _, end, _) = run(
        1000,
        RunOptions {
            invalidated: true,
            ..RunOptions::default()
        },
    );
    assert_eq!(
        end,
        Ok(1),
        "invalidated, the run leaves through the further loop's site"
    );
    for triple in SUPPORTED {
        let t = target(triple).unwrap();
        let mut cases: Vec<(i32, RunOptions)> = [0, 1, 7, 8, 9, 16, 33, 100, 1000, 99_999]
            .iter()
            .map(|&c| (c, RunOptions::default()))
            .collect();
        cases.extend([8, 1000].map(|c| {
            (
                c,
                RunOptions {
                    invalidated: true,
                    ..RunOptions::default()
                },
            )
        }));
        cases.extend((0..300).step_by(7).map(|b| {
            (
                1000,
                RunOptions {
                    step_budget: 11 + 8 * b,
                    ..RunOptions::default()
                },
            )
        }));
        for (count, options) in cases {
            let (inputs, memory, _, _) = run(count, options);
            let d = jit_testkit::tree::compare_tree(
                &*t,
                &tree.parts,
                &bridges,
                &inputs,
                &memory,
                options,
            );
            assert_eq!(d, Ok(None), "{} from {count}, {options:?}", t.name());
        }
    }
}

/// A loop added to a tree after the root has run: a bridge attached later jumps into it,
/// and the next run takes both; a loop whose token the tree has is refused.
#[test]
fn a_loop_added_later_is_entered_by_the_next_bridge() {
    let externs = jit_testkit::externs();
    let tree_src = jit_core::text::parse_tree(TWO_LOOPS, &externs).unwrap();
    let parts = &tree_src.parts;
    for triple in SUPPORTED {
        let t = target(triple).unwrap();
        let backend = t.backend();
        let root = compile(backend, &parts[0], &externs, CompileOptions::default()).unwrap();
        let mut tree = t.load_tree(root.code, &parts[0]).unwrap();
        let mut map = HashMap::new();
        let check_run = |tree: &mut dyn TreeRunner, upto: usize, map: &HashMap<_, _>| {
            let mut memory = Memory::new();
            let buf = memory.alloc(8).unwrap();
            let inputs = [
                Scalar::I32(40),
                Scalar::I64(5),
                Scalar::F64(1.5f64.to_bits()),
                Scalar::Ref(buf),
            ];
            let oracle = InterpTree {
                parts: &parts[..upto],
                bridges: map,
            };
            let mut want_mem = memory.clone();
            let want = oracle
                .run(&inputs, &mut want_mem, &externs, RunOptions::default())
                .unwrap();
            let got = tree
                .run(&inputs, &mut memory, RunOptions::default())
                .unwrap_or_else(|e| panic!("{}: {e}", t.name()));
            assert!(
                want.0 == got.0
                    && want.1.same_exit_and_values(&got.1)
                    && memory.same_contents(&want_mem),
                "{}: interpreter part {} {}, target part {} {}",
                t.name(),
                want.0,
                want.1,
                got.0,
                got.1
            );
            got.0
        };
        assert_eq!(check_run(&mut *tree, 1, &map), 0);
        let code = jit_core::compile::compile_loop(
            backend,
            &parts[1],
            &externs,
            CompileOptions::default(),
            tree.exits().loop_in(),
        )
        .unwrap();
        assert_eq!(tree.add_loop(code.code).unwrap(), 1);
        // The same loop again: its tokens are the tree's now.
        let again = jit_core::compile::compile_loop(
            backend,
            &parts[1],
            &externs,
            CompileOptions::default(),
            tree.exits().loop_in(),
        )
        .unwrap();
        let err = tree.add_loop(again.code).unwrap_err().to_string();
        assert!(err.contains("Target5"), "{err}");
        assert_eq!(
            check_run(&mut *tree, 2, &map),
            0,
            "nothing enters the loop yet"
        );
        let g0 = parts[0].ops[2].exit_id().unwrap();
        attach(&*t, &mut *tree, 0, g0, &parts[2]);
        map.insert((0, g0), 2);
        assert_eq!(
            check_run(&mut *tree, 3, &map),
            1,
            "the run ends in the further loop"
        );
        let g4 = parts[1].ops[6].exit_id().unwrap();
        attach(&*t, &mut *tree, 1, g4, &parts[3]);
        map.insert((1, g4), 3);
        check_run(&mut *tree, 4, &map);
    }
}

/// `tracejit run --invalidate-after N` on every target: the run stops at the N-th jump
/// (in a loop or a bridge, to either loop of [`TWO_LOOPS`]), the tree is patched, and the
/// run goes on from an entry to that jump's label, as the interpreter invalidating the tree
/// at that jump does — part, exit, values and memory; entries are compiled once per label
/// and reused by later runs.
#[test]
fn a_tree_invalidated_after_n_jumps_goes_on_where_it_stopped() {
    let externs = jit_testkit::externs();
    let src = jit_core::text::parse_tree(TWO_LOOPS, &externs).unwrap();
    let bridges = src.bridges();
    let oracle = InterpTree {
        parts: &src.parts,
        bridges: &bridges,
    };
    let inputs = |memory: &mut Memory| {
        let buf = memory.alloc(8).unwrap();
        [
            Scalar::I32(300),
            Scalar::I64(5),
            Scalar::F64(1.5f64.to_bits()),
            Scalar::Ref(buf),
        ]
    };
    let mut base = Memory::new();
    let args = inputs(&mut base);
    let budgets = [
        RunOptions::default(),
        RunOptions {
            step_budget: 900,
            ..RunOptions::default()
        },
    ];
    let ns: Vec<u64> = (0..12)
        .chain([15, 16, 17, 40, 77, 150, 298, 299, 300, 301, 5000])
        .collect();
    let mut endings = std::collections::BTreeSet::new();
    for triple in SUPPORTED {
        let t = target(triple).unwrap();
        for options in budgets {
            for &n in &ns {
                // A fresh tree per run: invalidation is for good.
                let mut tree =
                    jit_testkit::tree::build_tree(&*t, &src.parts, &bridges, &externs, |_, _| {})
                        .unwrap();
                let mut want_mem = base.clone();
                let want = oracle.run_invalidated_after(&args, &mut want_mem, &externs, options, n);
                let mut got_mem = base.clone();
                let got = jit_testkit::tree::run_invalidated_after(
                    t.backend(),
                    &mut *tree,
                    &args,
                    &mut got_mem,
                    options,
                    n,
                );
                let same = match (&want, &got) {
                    (Ok((wp, w)), Ok((p, o))) => {
                        wp == p && w.same_exit_and_values(o) && w.iterations == o.iterations
                    }
                    (
                        Err(jit_core::interp::InterpError::StepBudget { .. }),
                        Err(jit_core::runtime::RunError::StepBudget { .. }),
                    ) => true,
                    _ => false,
                };
                assert!(
                    same && got_mem.same_contents(&want_mem),
                    "{} after {n} jumps, {options:?}: interpreter {want:?}, target {got:?}",
                    t.name()
                );
                endings.insert(format!("{:?}", want.map(|(p, o)| (p, o.exit))));
                // A second stop at the same label reuses the entry.
                if n > 0 && n < 100 {
                    let before = tree.exits().parts.len();
                    let mut again = base.clone();
                    let _ = jit_testkit::tree::run_invalidated_after(
                        t.backend(),
                        &mut *tree,
                        &args,
                        &mut again,
                        options,
                        n,
                    );
                    assert_eq!(
                        tree.exits().parts.len(),
                        before,
                        "{}: a second entry",
                        t.name()
                    );
                }
            }
        }
    }
    // Runs end at the further loop's invalidation site, its exit guard, or out of budget.
    assert!(endings.len() >= 3, "{endings:?}");
}

/// An entry must have no label and jump to a label of the tree by token; one that does
/// runs from its inputs into that label on every target.
#[test]
fn entries_are_checked_and_run_into_their_label() {
    let externs = jit_testkit::externs();
    let src = jit_core::text::parse_tree(TWO_LOOPS, &externs).unwrap();
    let bridges = src.bridges();
    for triple in SUPPORTED {
        let t = target(triple).unwrap();
        let mut tree =
            jit_testkit::tree::build_tree(&*t, &src.parts, &bridges, &externs, |_, _| {}).unwrap();
        let entry = |text: &str, tree: &dyn TreeRunner| {
            jit_core::compile::compile_entry(
                t.backend(),
                &parse_verified(text).unwrap(),
                &externs,
                CompileOptions::default(),
                tree.exits().entry_in(),
            )
        };
        for bad in [
            "[i0, l1, f2, p3]\njump(i0, l1, f2, p3)\n",
            "[i0, l1, f2, p3]\njump(i0, l1, f2, p3, descr=<Target9>)\n",
            "[i0, l1, f2]\njump(i0, l1, f2, descr=<Target6>)\n",
        ] {
            assert!(entry(bad, &*tree).is_err(), "{}: {bad}", t.name());
        }
        let code = entry(
            "[i0, l1, f2, p3]\njump(i0, l1, f2, p3, descr=<Target6>)\n",
            &*tree,
        )
        .unwrap();
        // A part that is no root or entry cannot start a run.
        let mut memory = Memory::new();
        let buf = memory.alloc(8).unwrap();
        let args = [
            Scalar::I32(9),
            Scalar::I64(5),
            Scalar::F64(1.5f64.to_bits()),
            Scalar::Ref(buf),
        ];
        assert!(tree
            .run_from(2, &args, &mut memory.clone(), RunOptions::default(), None)
            .is_err());
        let p = tree.add_entry(code.code).unwrap();
        let got = tree
            .run_from(p, &args, &mut memory, RunOptions::default(), None)
            .unwrap();
        // The interpreter runs the entry as a part of the tree: it jumps to the further
        // loop's header with the same values and goes on there.
        let mut want_mem = Memory::new();
        want_mem.alloc(8).unwrap();
        let entry_trace =
            parse_verified("[i0, l1, f2, p3]\njump(i0, l1, f2, p3, descr=<Target6>)\n").unwrap();
        let mut parts = src.parts.clone();
        parts.push(entry_trace);
        let with_entry = InterpTree {
            parts: &parts,
            bridges: &bridges,
        };
        let want = with_entry
            .run_from_part(
                parts.len() - 1,
                &args,
                &mut want_mem,
                &externs,
                RunOptions::default(),
            )
            .unwrap();
        match got {
            jit_core::tree::Stop::Exit(gp, g) => assert!(
                gp == want.0 && g.same_exit_and_values(&want.1) && memory.same_contents(&want_mem),
                "{}: target part {gp} {g}, interpreter part {} {}",
                t.name(),
                want.0,
                want.1
            ),
            other => panic!("{}: {other:?}", t.name()),
        }
    }
}

/// Regression (the tree fuzzer, x86-64): a bridge attached to the guard right after a
/// `guard_not_invalidated` while the tree's sites were patched wrote the guard's branch
/// into the site's patched jump, and the next invalidated run jumped into garbage; and
/// restoring a site must keep the guard's branch to its bridge. Attach while patched, run
/// invalidated, run valid, invalidate again — every target, every guard shape after the site.
#[test]
fn a_bridge_attached_while_the_sites_are_patched_keeps_both_patches() {
    let externs = jit_testkit::externs();
    for guard in [
        "guard_true(i1) [i0]",
        "guard_false(i2) [i0]",
        "guard_value(i0, 7) [i0]",
        "guard_nonnull(p3) [i0]",
    ] {
        let src = format!(
            "[i0, p3]\nlabel(i0, p3)\ni1 = int_lt(i0, 100)\ni2 = int_ge(i0, 100)\n\
             guard_not_invalidated() [i0]\n{guard}\ni4 = int_add(i0, 1)\ni5 = int_lt(i4, 50)\n\
             guard_true(i5) [i4]\njump(i4, p3)\n"
        );
        let root = parse_verified(&src).unwrap();
        let bridge = parse_verified("[i0]\ni1 = int_mul(i0, 3)\nfinish(i1)\n").unwrap();
        let g = root.ops[4].exit_id().unwrap();
        for triple in SUPPORTED {
            let t = target(triple).unwrap();
            let code = compile(t.backend(), &root, &externs, CompileOptions::default()).unwrap();
            let mut tree = t.load_tree(code.code, &root).unwrap();
            let parts = [root.clone(), bridge.clone()];
            let map = HashMap::from([((0, g), 1)]);
            let invalidated = RunOptions {
                invalidated: true,
                ..RunOptions::default()
            };
            let args = |x: i32| [Scalar::I32(x), Scalar::NULL];
            // Patched now, then the bridge attached.
            let (p, o) = tree
                .run(&args(200), &mut Memory::new(), invalidated)
                .unwrap_or_else(|e| panic!("{}: {e}", t.name()));
            assert_eq!((p, o.exit.0), (0, 0));
            attach(&*t, &mut *tree, 0, g, &bridge);
            for (x, options) in [
                (200, invalidated),
                (200, RunOptions::default()),
                (7, RunOptions::default()),
                (200, invalidated),
                (7, invalidated),
                (200, RunOptions::default()),
            ] {
                check(&*t, &mut *tree, &parts, &map, &args(x), options);
            }
        }
    }
}
