//! The reference interpreter: guards, loops, memory, calls, and the errors that stop a run.

use jit_core::interp::{run, ExitKind, InterpError, Outcome, RunOptions};
use jit_core::ir::{ExitId, Scalar};
use jit_core::memory::{MemoryError, MEMORY_BASE, MEMORY_LIMIT};
use jit_core::text::parse_verified;
use jit_core::{Externs, Memory, Type};

fn go(src: &str, inputs: &[Scalar], mem: &mut Memory) -> Result<Outcome, InterpError> {
    let t = parse_verified(src).unwrap_or_else(|e| panic!("{e}"));
    run(&t, inputs, mem, &Externs::standard(), RunOptions::default())
}

fn ok(src: &str, inputs: &[Scalar]) -> Outcome {
    go(src, inputs, &mut Memory::new()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn runaway_loop_ends_by_the_step_budget() {
    let t = parse_verified("[i0]\nlabel(i0)\ni1 = int_add(i0, 1)\njump(i1)").unwrap();
    let opts = RunOptions {
        step_budget: 10_000,
        ..RunOptions::default()
    };
    let e = run(
        &t,
        &[Scalar::I32(0)],
        &mut Memory::new(),
        &Externs::new(),
        opts,
    )
    .unwrap_err();
    assert_eq!(e, InterpError::StepBudget { steps: 10_000 });
    assert_eq!(
        e.to_string(),
        "step budget of 10000 operations exhausted (a runaway loop?)"
    );
}

#[test]
fn the_budget_is_checked_at_the_jump_for_the_whole_next_iteration() {
    // 1 + 9 * 4 + 3 = 40 steps, but the ninth jump needs 37 + 4 = 41.
    let go = |src: &str, budget| {
        let opts = RunOptions {
            step_budget: budget,
            ..RunOptions::default()
        };
        let t = parse_verified(src).unwrap();
        run(
            &t,
            &[Scalar::I32(0)],
            &mut Memory::new(),
            &Externs::new(),
            opts,
        )
    };
    let counted =
        "[i0]\nlabel(i0)\ni1 = int_add(i0, 1)\ni2 = int_lt(i1, 10)\nguard_true(i2) [i1]\njump(i1)";
    let out = go(counted, 41).unwrap();
    assert_eq!((out.steps, out.iterations), (40, 9));
    assert_eq!(
        go(counted, 40).unwrap_err(),
        InterpError::StepBudget { steps: 40 }
    );
    assert_eq!(
        go(counted, 0).unwrap_err(),
        InterpError::StepBudget { steps: 0 }
    );
    // A trace without a loop never runs out.
    go("[i0]\ni1 = int_add(i0, 1)\nfinish(i1)", 0).unwrap();
}

#[test]
fn jump_rebinds_label_values_in_parallel() {
    // Swapping through the jump must not see a half-updated state.
    let src = "[i0, i1, i2]\nlabel(i0, i1, i2)\ni3 = int_sub(i2, 1)\ni4 = int_gt(i3, 0)\nguard_true(i4) [i0, i1]\njump(i1, i0, i3)";
    let out = ok(src, &[Scalar::I32(1), Scalar::I32(2), Scalar::I32(4)]);
    assert_eq!(out.values, [Scalar::I32(2), Scalar::I32(1)]);
    assert_eq!(out.iterations, 3);
    let out = ok(src, &[Scalar::I32(1), Scalar::I32(2), Scalar::I32(5)]);
    assert_eq!(out.values, [Scalar::I32(1), Scalar::I32(2)]);
}

#[test]
fn guards_hand_back_their_fail_args_and_exit_id() {
    let src = "[i0, l1, f2, p3]\ni4 = int_add(i0, 1)\nguard_value(l1, 7L, descr=<Guard5>) [p3, f2, i4, l1]\nfinish(i4)";
    let out = ok(
        src,
        &[
            Scalar::I32(1),
            Scalar::I64(8),
            Scalar::f64(-0.0),
            Scalar::NULL,
        ],
    );
    assert_eq!(out.kind, ExitKind::Guard);
    assert_eq!(out.exit, ExitId(5));
    assert_eq!(out.op, 1);
    assert_eq!(
        out.values,
        [
            Scalar::NULL,
            Scalar::f64(-0.0),
            Scalar::I32(2),
            Scalar::I64(8)
        ]
    );
    let out = ok(
        src,
        &[
            Scalar::I32(1),
            Scalar::I64(7),
            Scalar::f64(0.0),
            Scalar::NULL,
        ],
    );
    assert_eq!(
        (out.kind, out.exit, out.values.clone()),
        (ExitKind::Finish, ExitId(1), vec![Scalar::I32(2)])
    );
}

#[test]
fn overflow_guards_read_the_flag_of_the_operation_before() {
    let src = "[i0]\ni1 = int_mul_ovf(i0, i0)\nguard_overflow() [i1]\nfinish(i1)";
    assert_eq!(ok(src, &[Scalar::I32(3)]).kind, ExitKind::Guard);
    let out = ok(src, &[Scalar::I32(65536)]);
    assert_eq!(
        (out.kind, out.values.clone()),
        (ExitKind::Finish, vec![Scalar::I32(0)])
    );
}

#[test]
fn guard_not_invalidated_fails_only_when_invalidated() {
    let t = parse_verified("[i0]\nguard_not_invalidated() [i0]\nfinish(i0)").unwrap();
    let run_with = |invalidated| {
        let opts = RunOptions {
            invalidated,
            ..RunOptions::default()
        };
        run(
            &t,
            &[Scalar::I32(4)],
            &mut Memory::new(),
            &Externs::new(),
            opts,
        )
        .unwrap()
        .kind
    };
    assert_eq!(run_with(false), ExitKind::Finish);
    assert_eq!(run_with(true), ExitKind::Guard);
}

#[test]
fn ref_guards() {
    let src = "[p0]\nguard_nonnull(p0) []\nguard_isnull(p0) []\nfinish()";
    assert_eq!(ok(src, &[Scalar::NULL]).exit, ExitId(0));
    assert_eq!(ok(src, &[Scalar::Ref(MEMORY_BASE)]).exit, ExitId(1));
}

#[test]
fn loads_extend_and_stores_truncate() {
    let mut mem = Memory::new();
    let p = mem
        .alloc_bytes(vec![
            0x80, 0xff, 0x01, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ])
        .unwrap();
    let src = "[p0]\ni1 = load_i8(p0, 0, 1, 0)\ni2 = load_u8(p0, 0, 1, 0)\ni3 = load_i16(p0, 1, 2, 0)\n\
               i4 = load_u16(p0, 1, 2, 0)\ni5 = load_i32(p0, 0, 4, 0)\nstore_i8(p0, 0, 1, 8, 0x1ff)\n\
               store_i16(p0, 5, 2, 0, -2)\nstore_i32(p0, 3, 4, 0, 0x12345678)\nl6 = load_i64(p0, 1, 8, 0)\nfinish(i1, i2, i3, i4, i5, l6)";
    let out = go(src, &[Scalar::Ref(p)], &mut mem).unwrap();
    assert_eq!(
        out.values,
        [
            Scalar::I32(-128),
            Scalar::I32(128),
            Scalar::I32(-32767),
            Scalar::I32(0x8001),
            Scalar::I32(0x8001ff80u32 as i32),
            Scalar::I64(0x1234_5678_fffe_00ff),
        ]
    );
    assert_eq!(
        &mem.buffers()[0].bytes[8..],
        &[0xff, 0, 0xfe, 0xff, 0x78, 0x56, 0x34, 0x12]
    );
}

#[test]
fn f64_round_trips_through_memory_bit_for_bit() {
    let mut mem = Memory::new();
    let p = mem.alloc(16).unwrap();
    let src = "[p0, f1]\nstore_f64(p0, 1, 8, 0, f1)\nf2 = load_f64(p0, 0, 1, 8)\nl3 = load_i64(p0, 0, 1, 8)\nfinish(f2, l3)";
    let nan = 0x7ff0_0000_0000_0001u64;
    let out = go(src, &[Scalar::Ref(p), Scalar::F64(nan)], &mut mem).unwrap();
    assert_eq!(out.values, [Scalar::F64(nan), Scalar::I64(nan as i64)]);
}

#[test]
fn out_of_bounds_and_misaligned_accesses_are_errors() {
    let mut mem = Memory::new();
    let p = mem.alloc(16).unwrap();
    let q = mem.alloc(16).unwrap();
    assert!(q >= p + 16 + 64, "buffers are kept apart");
    let cases: &[(&str, MemoryError)] = &[
        (
            "i1 = load_i32(p0, 4, 4, 0)",
            MemoryError::OutOfBounds {
                addr: p as i128 + 16,
                size: 4,
            },
        ),
        (
            "i1 = load_i32(p0, -1, 4, 0)",
            MemoryError::OutOfBounds {
                addr: p as i128 - 4,
                size: 4,
            },
        ),
        (
            "i1 = load_i32(p0, 1, 1, 0)",
            MemoryError::Misaligned {
                addr: p + 1,
                size: 4,
            },
        ),
        (
            "l1 = load_i64(p0, 1, 4, 0)",
            MemoryError::Misaligned {
                addr: p + 4,
                size: 8,
            },
        ),
        (
            "store_i16(p0, 0, 1, 15, 1)",
            MemoryError::Misaligned {
                addr: p + 15,
                size: 2,
            },
        ),
        (
            "store_i8(p0, 0, 1, 16, 1)",
            MemoryError::OutOfBounds {
                addr: p as i128 + 16,
                size: 1,
            },
        ),
        (
            "i1 = load_i32(null, 0, 1, 0)",
            MemoryError::OutOfBounds { addr: 0, size: 4 },
        ),
        (
            "i1 = load_i32(p0, -2147483648, 8, -2147483648)",
            MemoryError::OutOfBounds {
                addr: p as i128 - 8 * (1i128 << 31) - (1i128 << 31),
                size: 4,
            },
        ),
    ];
    for (op, want) in cases {
        let src = format!("[p0]\n{op}\nfinish()");
        let e = go(&src, &[Scalar::Ref(p)], &mut mem).unwrap_err();
        assert_eq!(
            e,
            InterpError::Memory {
                op: 0,
                error: *want
            },
            "{op}"
        );
    }
    let e = go(
        "[p0]\ni1 = load_i32(p0, 4, 4, 0)\nfinish()",
        &[Scalar::Ref(p)],
        &mut mem,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "op 0: 4-byte access at {:#x} is outside every buffer",
            p + 16
        )
    );
}

#[test]
fn memory_is_limited() {
    let mut mem = Memory::new();
    assert!(mem.alloc(MEMORY_LIMIT as usize).is_ok());
    assert_eq!(mem.alloc(1), Err(MemoryError::TooLarge { size: 1 }));
    let mut mem = Memory::new();
    assert!(
        mem.alloc(1 << 20).unwrap() < 1 << 32,
        "addresses fit 32-bit targets"
    );
}

#[test]
fn calls_are_logged() {
    let src = "extern @gcd(i32, i32) -> i32\nextern @record(i32)\n[i0]\ni1 = call(@gcd, i0, 36)\ncall(@record, i1)\nfinish(i1)";
    let out = ok(src, &[Scalar::I32(-84)]);
    assert_eq!(out.values, [Scalar::I32(12)]);
    assert_eq!(out.call_count, 2);
    assert_eq!(out.calls[0].name, "gcd");
    assert_eq!(out.calls[0].args, [Scalar::I32(-84), Scalar::I32(36)]);
    assert_eq!(out.calls[1].result, None);
}

#[test]
fn call_errors() {
    let e = go(
        "extern @nope()\n[]\ncall(@nope)\nfinish()",
        &[],
        &mut Memory::new(),
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "no external function @nope");
    let e = go(
        "extern @gcd(i32, i64) -> i32\n[]\ni0 = call(@gcd, 1, 2L)\nfinish()",
        &[],
        &mut Memory::new(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "@gcd is declared (i32, i64) -> i32 but is (i32, i32) -> i32"
    );
    // Declarations are checked before anything runs, called or not.
    let e = go(
        "extern @gcd(i64, i64) -> i64\n[]\nfinish()",
        &[],
        &mut Memory::new(),
    )
    .unwrap_err();
    assert!(matches!(e, InterpError::Extern { decl: 0, .. }), "{e}");
    let mut ext = Externs::new();
    ext.insert("liar", &[], Some(jit_core::CType::I32), |_| {
        Some(Scalar::f64(1.0))
    });
    let t = parse_verified("extern @liar() -> i32\n[]\ni0 = call(@liar)\nfinish(i0)").unwrap();
    let e = run(&t, &[], &mut Memory::new(), &ext, RunOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "op 0: @liar returned a value of the wrong type"
    );
}

#[test]
fn bad_inputs_and_invalid_traces_are_errors() {
    let src = "[i0, f1]\nfinish(i0)";
    assert_eq!(
        go(src, &[Scalar::I32(1)], &mut Memory::new()).unwrap_err(),
        InterpError::InputCount {
            expected: 2,
            found: 1
        }
    );
    assert_eq!(
        go(src, &[Scalar::I32(1), Scalar::I32(2)], &mut Memory::new())
            .unwrap_err()
            .to_string(),
        "input 1 must be f64, i32 given"
    );
    let mut b = jit_core::TraceBuilder::new();
    let x = b.input(Type::I32);
    b.label(&[x]);
    b.jump(&[]);
    let e = run(
        &b.build_unverified(),
        &[Scalar::I32(0)],
        &mut Memory::new(),
        &Externs::new(),
        RunOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("the trace is not valid:"), "{e}");
}

/// A jump in a trace without a label leaves it (a bridge going on at its tree's loop); with
/// a count of jumps, it takes one, and with none left the run stops.
#[test]
fn a_jump_without_a_label_leaves_the_trace() {
    let t = parse_verified("[i0]\ni1 = int_add(i0, 1)\njump(i1, 5)\n").unwrap();
    let out = run(
        &t,
        &[Scalar::I32(1)],
        &mut Memory::new(),
        &Externs::new(),
        RunOptions::default(),
    )
    .unwrap();
    assert_eq!(
        (out.kind, out.op, out.values.clone()),
        (ExitKind::Jump, 1, vec![Scalar::I32(2), Scalar::I32(5)])
    );
    assert_eq!(
        out.to_string(),
        "jump (op 1) to the tree's loop with [2, 5] after 2 steps, 0 iterations"
    );
    let mut left = jit_core::interp::TreeState {
        jumps_left: 1,
        invalidated: false,
        invalidate_at: None,
    };
    let go = |left: &mut jit_core::interp::TreeState| {
        jit_core::interp::run_part(
            jit_core::interp::Checked::new(&t, &Externs::new()).unwrap(),
            jit_core::interp::Start::Inputs,
            &[Scalar::I32(1)],
            &mut Memory::new(),
            &Externs::new(),
            RunOptions::default(),
            left,
        )
    };
    assert_eq!(go(&mut left).unwrap().kind, ExitKind::Jump);
    assert_eq!(left.jumps_left, 0);
    assert!(matches!(go(&mut left), Err(InterpError::StepBudget { .. })));
}

/// A run can start at a loop's label with the label's values, and counts its jumps.
#[test]
fn a_part_starts_at_its_label() {
    let t = parse_verified(
        "[i0, i1]\ni2 = int_mul(i0, 100)\nlabel(i2, i1)\ni3 = int_sub(i1, 1)\n\
         i4 = int_gt(i3, 0)\nguard_true(i4) [i2, i3]\ni5 = int_add(i2, 1)\njump(i5, i3)\n",
    )
    .unwrap();
    let mut left = jit_core::interp::TreeState {
        jumps_left: 100,
        invalidated: false,
        invalidate_at: None,
    };
    let out = jit_core::interp::run_part(
        jit_core::interp::Checked::new(&t, &Externs::new()).unwrap(),
        jit_core::interp::Start::Label,
        &[Scalar::I32(7), Scalar::I32(3)],
        &mut Memory::new(),
        &Externs::new(),
        RunOptions::default(),
        &mut left,
    )
    .unwrap();
    assert_eq!(out.values, vec![Scalar::I32(9), Scalar::I32(0)]);
    assert_eq!(left.jumps_left, 98);
    assert_eq!(jit_core::interp::jumps_allowed(&t, 3 + 8 + 8), 2);
    let no_label = parse_verified("[i0]\nfinish(i0)\n").unwrap();
    assert_eq!(
        jit_core::interp::run_part(
            jit_core::interp::Checked::new(&no_label, &Externs::new()).unwrap(),
            jit_core::interp::Start::Label,
            &[],
            &mut Memory::new(),
            &Externs::new(),
            RunOptions::default(),
            &mut left,
        ),
        Err(InterpError::NoLabel)
    );
}

const OBJECTS: &str = "struct Box(i64 v)\nstruct Node(i8 small, u16 wide, ref value, ref next)\n\
                       array Items(f64)\n";

/// A loop builds a list of boxed counters across 100 iterations; the objects are abstract
/// (their identity, type and fields) and the list reads back in order.
#[test]
fn objects_build_a_list_in_a_loop() {
    let src = format!(
        "{OBJECTS}[i0, p1]\nlabel(i0, p1)\np2 = new_with_vtable(descr=<Node>)\n\
         p3 = new_with_vtable(descr=<Box>)\nl4 = cast_i32_to_i64(i0)\n\
         setfield_gc(p3, l4, descr=<Box.v>)\nsetfield_gc(p2, p3, descr=<Node.value>)\n\
         setfield_gc(p2, p1, descr=<Node.next>)\ni5 = int_sub(i0, 1)\ni6 = int_gt(i5, 0)\n\
         guard_true(i6) [p2]\njump(i5, p2)\n"
    );
    let mut mem = Memory::new();
    let out = go(&src, &[Scalar::I32(100), Scalar::NULL], &mut mem).unwrap();
    assert_eq!(mem.objects().len(), 200);
    let Scalar::Ref(mut head) = out.values[0] else {
        panic!("{out}")
    };
    let mut seen = Vec::new();
    while head != 0 {
        let node = mem.object(head).unwrap();
        assert_eq!(node.tid, 2);
        let Scalar::Ref(b) = node.slots[2] else {
            panic!()
        };
        seen.push(mem.object(b).unwrap().slots[0]);
        let Scalar::Ref(next) = node.slots[3] else {
            panic!()
        };
        head = next;
    }
    let want: Vec<Scalar> = (1..=100).map(Scalar::I64).collect();
    assert_eq!(seen, want);
}

/// Narrow fields keep their bits and read back extended; arrays are zeroed, have their
/// length, and take floats; class guards pass and fail on the type id.
#[test]
fn fields_items_and_class_guards() {
    let src = format!(
        "{OBJECTS}[i0]\np1 = new_with_vtable(descr=<Node>)\n\
         setfield_gc(p1, -1, descr=<Node.small>)\nsetfield_gc(p1, -1, descr=<Node.wide>)\n\
         i2 = getfield_gc_i(p1, descr=<Node.small>)\ni3 = getfield_gc_i(p1, descr=<Node.wide>)\n\
         p4 = new_array_clear(i0, descr=<Items>)\ni5 = arraylen_gc(p4, descr=<Items>)\n\
         f6 = getarrayitem_gc_f(p4, 2, descr=<Items>)\nsetarrayitem_gc(p4, 1, 2.5, descr=<Items>)\n\
         f7 = getarrayitem_gc_f(p4, 1, descr=<Items>)\nguard_class(p1, ConstClass(Node)) [i0]\n\
         p8 = getfield_gc_r(p1, descr=<Node.next>)\n\
         guard_nonnull_class(p1, ConstClass(Node)) [i0]\n\
         guard_nonnull_class(p8, ConstClass(Node)) [i2, i3, i5, f6, f7]\nfinish()\n"
    );
    let out = ok(&src, &[Scalar::I32(3)]);
    assert_eq!(out.kind, ExitKind::Guard);
    assert_eq!(out.exit, ExitId(2), "{out}");
    assert_eq!(
        out.values,
        vec![
            Scalar::I32(-1),
            Scalar::I32(0xffff),
            Scalar::I32(3),
            Scalar::F64(0),
            Scalar::F64(2.5f64.to_bits())
        ]
    );
    // guard_class fails on another type.
    let src = format!(
        "{OBJECTS}[]\np0 = new_with_vtable(descr=<Box>)\nguard_class(p0, ConstClass(Node)) []\n\
         finish()\n"
    );
    assert_eq!(ok(&src, &[]).exit, ExitId(0));
}

/// What compiled code could not do safely is an interpreter error naming the operation.
#[test]
fn object_errors_stop_the_run() {
    let run = |body: &str, inputs: &[Scalar]| {
        let src = format!("{OBJECTS}{body}");
        go(&src, inputs, &mut Memory::new())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        run(
            "[p0]\nl1 = getfield_gc_i(p0, descr=<Box.v>)\nfinish()\n",
            &[Scalar::NULL]
        )
        .to_string(),
        "op 0: the object is null"
    );
    assert_eq!(
        run(
            "[]\np0 = new_with_vtable(descr=<Box>)\np1 = getfield_gc_r(p0, descr=<Node.next>)\nfinish()\n",
            &[]
        ),
        "op 1: the object is a Box, not a Node"
    );
    assert_eq!(
        run(
            "[i0]\np1 = new_array_clear(2, descr=<Items>)\nf2 = getarrayitem_gc_f(p1, i0, descr=<Items>)\nfinish()\n",
            &[Scalar::I32(2)]
        ),
        "op 1: index 2 is outside the array's 2 items"
    );
    assert_eq!(
        run(
            "[i0]\np1 = new_array_clear(i0, descr=<Items>)\nfinish()\n",
            &[Scalar::I32(-1)]
        ),
        "op 0: an array cannot have -1 items"
    );
    assert_eq!(
        run(
            "[p0]\nguard_class(p0, ConstClass(Box)) []\nfinish()\n",
            &[Scalar::NULL]
        ),
        "op 0: the object is null"
    );
    let mut mem = Memory::new();
    let buf = mem.alloc(16).unwrap();
    let src = format!("{OBJECTS}[p0]\ni1 = arraylen_gc(p0, descr=<Items>)\nfinish()\n");
    let e = go(&src, &[Scalar::Ref(buf)], &mut mem).unwrap_err();
    assert_eq!(e.to_string(), format!("op 0: {buf:#x} is not an object"));
}

/// Object operations are typed by their declarations: descrs of the wrong kind, unknown
/// fields and classes are refused with their positions.
#[test]
fn object_operations_are_typed_by_their_declarations() {
    for (body, want) in [
        ("p1 = new_with_vtable(descr=<Items>)\n", "5:29: bad descr: Items is an array, new_with_vtable needs a struct"),
        ("i1 = getfield_gc_i(p0, descr=<Box>)\n", "5:31: bad descr: getfield_gc_i names a field: descr=<Box.field>"),
        ("i1 = getfield_gc_i(p0, descr=<Box.w>)\n", "5:31: struct Box has no field w"),
        ("i1 = getfield_gc_i(p0, descr=<Crate.w>)\n", "5:31: object type Crate is not declared (add 'struct Crate(...)' or 'array Crate(type)')"),
        ("guard_class(p0, ConstClass(Crate)) []\n", "5:28: object type Crate is not declared (add 'struct Crate(...)' or 'array Crate(type)')"),
        ("p1 = new_with_vtable()\n", "5:6: expected new_with_vtable's descr=<Type> or descr=<Type.field>, found none"),
    ] {
        let src = format!("{OBJECTS}[p0]\n{body}finish()\n");
        let e = jit_core::text::parse(&src).unwrap_err();
        assert_eq!(e.to_string(), want, "{body}");
    }
    for (body, want) in [
        ("p1 = getfield_gc_r(p0, descr=<Box.v>)\n", "5:1: getfield_gc_r's descr names no declaration it can take (a struct for new_with_vtable, an array for the array operations, a field of its kind for getfield_gc_i/_r/_f)"),
        ("guard_class(p0, 7) []\n", "5:1: the class of a class guard must be a declared object type: ConstClass(Name)"),
        ("setfield_gc(p0, 1.5, descr=<Box.v>)\n", "5:17: expected a constant of type i64, found 1.5"),
    ] {
        let src = format!("{OBJECTS}[p0]\n{body}finish()\n");
        let e = jit_core::text::parse_verified(&src).unwrap_err();
        assert_eq!(e.to_string(), want, "{body}");
    }
}
