//! The text format: errors with line and column for malformed text, and print/parse
//! round trips of the examples.

use jit_core::ir::ExitId;
use jit_core::text::{parse, parse_verified, print, Pos};

/// Malformed text and exactly what the parser says about it.
const ERRORS: &[(&str, &str)] = &[
    ("[i0]\ni1 = int_add(i0, $)", "2:18: unexpected character '$'"),
    ("[i0]\ni1 = int_add(i0, 12abc)", "2:18: '12abc' is not a number"),
    ("[i0]\ni1 = int_add(i0, 1.2.3)", "2:18: '1.2.3' is not a number"),
    ("[i0]\ni1 = int_frob(i0, 1)", "2:6: unknown operation 'int_frob'"),
    ("[i0]\ni1 = int_add(i0 1)", "2:17: expected ',' or ')', found '1'"),
    ("[i0]\ni1 = int_add(i0,", "2:17: expected an operand, found end of input"),
    ("[i0]\ni1 = int_add(i0, x7)", "2:18: 'x7' is not a variable: a variable is i, l, f or p (i32, i64, f64, ref) followed by digits"),
    ("[i0]\nfoo = int_add(i0, 1)", "2:1: 'foo' is not a variable: a variable is i, l, f or p (i32, i64, f64, ref) followed by digits"),
    ("[i0, i0]", "1:6: i0 is already defined at 1:2"),
    ("[i0]\ni0 = int_add(i0, 1)", "2:1: i0 is already defined at 1:2"),
    ("[i0]\ni1 = int_add(i0, i5)", "2:18: i5 is not defined before this use"),
    ("[i0]\nguard_true(i0) [i9]", "2:17: i9 is not defined before this use"),
    ("[i0]\ni1 = call(@nope, i0)", "2:11: @nope is not declared (add 'extern @nope(...) -> type')"),
    ("extern @f()\nextern @f()", "2:8: @f is declared twice"),
    ("extern @f(i33)", "1:11: unknown type 'i33' (expected i32, i64, f64 or ref)"),
    ("[i0]\ni1 = int_add(i0, 4294967296)", "2:18: 4294967296 does not fit in i32"),
    ("[i0]\ni1 = int_add(i0, -2147483649)", "2:18: -2147483649 does not fit in i32"),
    ("[l0]\nl1 = int_add(l0, 18446744073709551616)", "2:18: 18446744073709551616 does not fit in 64 bits"),
    ("[i0]\ni1 = int_add(i0, 1.5)", "2:18: expected a constant of type i32, found 1.5"),
    ("[i0]\ni1 = int_add(i0, 1L)", "2:18: expected a constant of type i32, found 1L"),
    ("[f0]\nf1 = float_add(f0, 1)", "2:20: expected a constant of type f64, found 1"),
    ("[p0]\ni1 = ptr_eq(p0, 0)", "2:17: expected a constant of type ref, found 0"),
    ("[i0]\ni1 = int_add(i0, 1)\n[i2]", "3:1: the input list [..] must come once, before the operations"),
    ("[i0]\ni1 = int_add(i0, 1, descr=<Guard0>)", "2:21: bad descr: int_add has no exit"),
    ("[i0]\nguard_true(i0, descr=<Exit0>) []", "2:23: bad descr: expected Guard<N>, found 'Exit0'"),
    ("[i0]\nfinish(i0, descr=<Guard0>)", "2:19: bad descr: expected Finish<N>, found 'Guard0'"),
    ("[i0]\ni1 = int_add(i0, 1) [i0]", "2:21: int_add is not a guard and takes no fail args"),
    ("[i0]\nguard_true(i0)\n[i0]", "3:1: the input list [..] must come once, before the operations"),
    ("[p0]\ni1 = load_i32(p0, 0, 4)", "2:6: expected load_i32(base, index, scale, offset), found 3 argument(s)"),
    ("[p0]\ni1 = load_i32(p0, 0, i9, 0)", "2:22: i9 is not defined before this use"),
    ("[p0, i1]\ni2 = load_i32(p0, 0, i1, 0)", "2:22: expected a constant scale and offset, found a variable"),
    ("[p0]\ni1 = load_i32(p0, 0, 4, 2147483648)", "2:25: 2147483648 does not fit in i32"),
    ("[i0]\ni1 = call(i0)", "2:6: expected the function '@name' as call's first argument, found none"),
    ("[i0]\ni1 = int_add(@f, i0)", "2:14: expected an operand, found '@f'"),
    ("[i0]\n@", "2:1: expected a function name after '@', found end of input"),
    ("[i0]\n)", "2:1: expected an operation, 'extern', 'struct', 'array' or the input list '[', found ')'"),
    ("[i0]\nf1 = same_as(f64bits(1.5))", "2:22: expected a 64-bit pattern like 0x7ff8000000000001, found '1.5'"),
    ("# just a comment\n[i0]\ni1 = int_add(i0, 1) # trailing\ni2 = int_mul(i1, 1e)", "4:18: '1e' is not a number"),
];

#[test]
fn malformed_text_gives_line_column_and_what_was_expected() {
    let mut wrong = Vec::new();
    for (src, want) in ERRORS {
        match parse(src) {
            Ok(t) => wrong.push(format!("{src:?} parsed:\n{}", print(&t))),
            Err(e) if e.to_string() != *want => {
                wrong.push(format!("{src:?}\n  got:  {e}\n  want: {want}"))
            }
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

fn examples() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("examples/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "trace"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(out.len() >= 10, "at least 10 examples");
    out
}

#[test]
fn examples_verify_and_round_trip() {
    for (name, src) in examples() {
        if jit_core::text::is_tree(&src) {
            let externs = jit_core::Externs::standard();
            let t = jit_core::text::parse_tree(&src, &externs)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let printed = jit_core::text::print_tree(&t);
            let t2 = jit_core::text::parse_tree(&printed, &externs)
                .unwrap_or_else(|e| panic!("{name}: reparse: {e}\n{printed}"));
            assert_eq!(t.parts, t2.parts, "{name}: parse(print(t)) != t");
            assert_eq!(jit_core::text::print_tree(&t2), printed, "{name}");
            continue;
        }
        let t = parse_verified(&src).unwrap_or_else(|e| panic!("{name}: {e}"));
        let printed = print(&t);
        let t2 = parse(&printed).unwrap_or_else(|e| panic!("{name}: reparse: {e}\n{printed}"));
        assert_eq!(t, t2, "{name}: parse(print(t)) != t");
        assert_eq!(print(&t2), printed, "{name}: print is not stable");
    }
}

#[test]
fn printer_writes_the_canonical_form() {
    let src = "extern @f(i32, f64) -> f64\n[i0, l1, f2, p3]\nlabel(i0, l1, f2, p3)\n\
               i4 = load_u8(p3, i0, 1, -4)\nstore_f64(p3, 2, 8, 16, f2)\nl5 = int_add(l1, 7)\n\
               f6 = call(@f, i4, -0.0)\ni7 = int_add_ovf(i0, i4)\nguard_no_overflow() [i0, l5]\n\
               guard_true(i7, descr=<Guard9>) []\nf8 = same_as(f64bits(0xfff8000000000001))\n\
               f9 = float_add(f6, nan)\njump(i7, l5, f9, p3)\n";
    let want = "extern @f(i32, f64) -> f64\n[i0, l1, f2, p3]\nlabel(i0, l1, f2, p3)\n\
                i4 = load_u8(p3, i0, 1, -4)\nstore_f64(p3, 2, 8, 16, f2)\nl5 = int_add(l1, 7L)\n\
                f6 = call(@f, i4, -0.0)\ni7 = int_add_ovf(i0, i4)\nguard_no_overflow() [i0, l5]\n\
                guard_true(i7, descr=<Guard9>) []\nf8 = same_as(f64bits(0xfff8000000000001))\n\
                f9 = float_add(f6, nan)\njump(i7, l5, f9, p3)\n";
    let t = parse_verified(src).unwrap();
    assert_eq!(print(&t), want);
}

#[test]
fn names_are_renumbered_canonically() {
    let t =
        parse_verified("[i7, f3]\ni100 = cast_f64_to_i32(f3)\ni5 = int_add(i100, i7)\nfinish(i5)")
            .unwrap();
    assert_eq!(
        print(&t),
        "[i0, f1]\ni2 = cast_f64_to_i32(f1)\ni3 = int_add(i2, i0)\nfinish(i3)\n"
    );
}

#[test]
fn pypy_log_lines_read_as_is() {
    // Lines in the shape of PyPy's jit-log-opt, with our types.
    let src = "# Loop 0 : loop with 6 ops\n[i0, i1]\nlabel(i0, i1, descr=<Guard0>)\n";
    assert!(parse(src).is_err(), "label takes no descr");
    let src = "[p0, i1]\n+42: label(p0, i1)";
    assert_eq!(
        parse(src).unwrap_err().to_string(),
        "2:4: unexpected character ':'"
    );
    let t = parse_verified("[i0, i1]\nlabel(i0, i1)\ni2 = int_lt(i0, i1)\nguard_true(i2) [i0, i1]\ni3 = int_add(i0, 1)\njump(i3, i1)").unwrap();
    assert_eq!(t.ops.len(), 5);
}

const TREE: &str = "# args: 10, 0
[i0, i1]
label(i0, i1)
i2 = int_and(i0, 1)
guard_false(i2) [i0, i1]
i3 = int_add(i1, i0)
i4 = int_sub(i0, 1)
i5 = int_gt(i4, 0)
guard_true(i5) [i4, i3]
jump(i4, i3)
# bridge out of Guard0
[i0, i1]
i2 = int_mul(i0, 3)
i3 = int_add(i1, i2)
i4 = int_sub(i0, 1)
i5 = int_gt(i4, 0)
guard_true(i5) [i3]
jump(i4, i3)
# bridge out of <Guard2> (the bridge's own guard)
[i0]
finish(i0)
";

/// A tree file: the root, then bridges after the line naming their guard; exit ids run on
/// across the parts; printing and parsing again is a fixed point.
#[test]
fn tree_files_parse_and_print() {
    use jit_core::text::{parse_tree, print_tree};
    let externs = jit_core::Externs::new();
    let tree = parse_tree(TREE, &externs).unwrap();
    assert_eq!(tree.parts.len(), 3);
    assert_eq!(
        tree.grows_from,
        vec![None, Some((0, ExitId(0))), Some((1, ExitId(2)))]
    );
    assert_eq!(tree.parts[1].ops[4].exit_id(), Some(ExitId(2)));
    assert_eq!(tree.bridges().get(&(1, ExitId(2))), Some(&2));
    // Positions are the file's.
    assert_eq!(tree.positions[1].ops[0], Pos { line: 13, col: 1 });
    let printed = print_tree(&tree);
    let again = parse_tree(&printed, &externs).unwrap();
    assert_eq!(
        (&again.parts, &again.grows_from),
        (&tree.parts, &tree.grows_from)
    );
    assert_eq!(print_tree(&again), printed);
    // A file without a bridge line is a tree of one part.
    let one = parse_tree("[i0]\nfinish(i0)\n", &externs).unwrap();
    assert_eq!((one.parts.len(), one.grows_from.clone()), (1, vec![None]));
}

/// Every way the parts of a tree can fail to fit, each at its line and column.
#[test]
fn tree_file_errors_name_the_line() {
    use jit_core::text::parse_tree;
    let externs = jit_core::Externs::new();
    let root = "[i0, i1]\nlabel(i0, i1)\ni2 = int_gt(i0, 0)\nguard_true(i2) [i0, i1]\n\
                i3 = int_sub(i0, 1)\njump(i3, i1)\n";
    let no_loop = "[i0]\ni1 = int_gt(i0, 0)\nguard_true(i1) [i0]\nfinish(i0)\n";
    let cases: Vec<(String, &str)> = vec![
        (
            format!("{root}# bridge out of the guard\n[i0]\nfinish()\n"),
            "7:1: '# bridge out of the guard': a bridge line is '# bridge out of Guard<N>', N the guard's exit id",
        ),
        (
            format!("{root}# bridge out of Guard9\n[i0, i1]\nfinish()\n"),
            "7:1: no part before this bridge has a guard Guard9",
        ),
        (
            format!("{no_loop}# bridge out of Guard1\n[i0]\nfinish()\n"),
            "5:1: exit 1 is a finish: bridges grow out of guards",
        ),
        (
            format!("{root}# bridge out of Guard0\n[i0, i1]\nfinish()\n# bridge out of Guard0\n[i0, i1]\nfinish()\n"),
            "10:1: Guard0 already has a bridge",
        ),
        (
            format!("{root}# bridge out of Guard0\n[i0]\nfinish()\n"),
            "7:1: the bridge takes [i32], but Guard0 leaves [i32, i32]",
        ),
        (
            format!("{root}# bridge out of Guard0\n[i0, i1]\njump(i0, 1.5)\n"),
            "9:1: the jump passes [i32, f64], the label takes [i32, i32]",
        ),
        (
            format!("{no_loop}# bridge out of Guard0\n[i0]\njump(i0)\n"),
            "7:1: the bridge jumps to its loop, but that loop has no label",
        ),
        (
            format!("{root}# bridge out of Guard0\n[i0, i1]\nfinish(descr=<Finish0>)\n"),
            "9:1: exit id 0 is used by an earlier part (ids are unique in a tree)",
        ),
        (
            format!("{root}# bridge out of Guard0\n[i0, i1]\ni2 = int_add(i0, i9)\nfinish()\n"),
            "9:18: i9 is not defined before this use",
        ),
        (
            format!("{root}# Loop 1 (a further loop)\n[i0]\nfinish(i0)\n"),
            "7:1: a further loop of a tree needs a label",
        ),
        (
            format!("{root}# Loop\n[i0]\nlabel(i0)\njump(i0)\n"),
            "9:1: Target0 is a label of an earlier loop: tokens are unique in a tree (give this loop's labels descr=<TargetN> of their own)",
        ),
        (
            format!("{root}# bridge out of Guard0\n[i0, i1]\nlabel(i0, i1)\njump(i0, i1)\n"),
            "9:1: a bridge has no label of its own: it jumps to a loop's label",
        ),
        (
            format!("{root}# bridge out of Guard0\n[i0, i1]\njump(i0, i1, descr=<Target3>)\n# Loop\n[i0, i1]\nlabel(i0, i1, descr=<Target3>)\njump(i0, i1)\n"),
            "9:1: the bridge jumps to Target3, but no label of a loop before it has it",
        ),
        (
            format!("{root}# Loop\n[l0]\nlabel(l0, descr=<Target3>)\njump(l0)\n# bridge out of Guard0\n[i0, i1]\njump(i0, descr=<Target3>)\n"),
            "13:1: the jump passes [i32], the label takes [i64]",
        ),
    ];
    for (src, want) in cases {
        let e = parse_tree(&src, &externs).unwrap_err();
        assert_eq!(e.to_string(), want, "{src}");
    }
}

/// Object type declarations read, print back the same, and are checked with positions.
#[test]
fn object_type_declarations_parse_and_print() {
    use jit_core::objects::{FieldType, ObjectKind, TargetLayout};
    let src = "struct W_IntObject(i64 intval)\nstruct Node(u8 tag, ref next, f64 value)\n\
               array Items(ref)\nstruct Empty()\n[p0]\nfinish(p0)\n";
    let t = jit_core::text::parse(src).unwrap();
    assert_eq!(t.objects.len(), 4);
    assert_eq!(t.objects[1].field("value"), Some(2));
    assert_eq!(t.objects[2].kind, ObjectKind::Array(FieldType::Ref));
    assert_eq!(jit_core::text::print(&t), src);
    let node = TargetLayout::AAPCS32.layout(&t.objects[1]);
    assert_eq!(
        node,
        jit_core::objects::ObjectLayout::Struct(jit_core::objects::StructLayout {
            offsets: vec![8, 12, 16],
            size: 24
        })
    );
    for (bad, want) in [
        (
            "struct A(i32 x)\nstruct A()\n[]\nfinish()\n",
            "2:8: object type A is declared twice",
        ),
        (
            "struct A(i32 x, ref x)\n[]\nfinish()\n",
            "1:21: struct A has two fields named x",
        ),
        (
            "array B(i17)\n[]\nfinish()\n",
            "1:9: unknown field type 'i17' (expected i8, u8, i16, u16, i32, i64, f64 or ref)",
        ),
        (
            "struct C(i32)\n[]\nfinish()\n",
            "1:13: expected a field name, found ')'",
        ),
        (
            "array D(i32, i64)\n[]\nfinish()\n",
            "1:12: expected ')', found ','",
        ),
    ] {
        let e = jit_core::text::parse(bad).unwrap_err();
        assert_eq!(e.to_string(), want, "{bad}");
    }
}
