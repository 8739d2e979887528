//! Every verifier rule, each with the message it gives. Rules that text cannot break (the
//! parser already refuses such text) are shown on traces made by hand.

use cranelift_entity::EntityRef;
use jit_core::builder::TraceBuilder;
use jit_core::ir::{ExitId, Extra, FuncRef, MemArg, Opcode, Operand, Scalar, Type, ValueDef};
use jit_core::text::parse_verified;
use jit_core::verify::verify;

/// Each case: a trace in text, and exactly what the verifier says about it.
const TEXT_CASES: &[(&str, &str)] = &[
    (
        "[i0]\ni1 = int_add(i0)\nfinish(i1)",
        "2:1: int_add takes 2 argument(s), found 1",
    ),
    (
        "[i0, f1]\ni2 = int_add(i0, f1)\nfinish(i2)",
        "2:18: argument 1 of int_add must be i32 like argument 0, found f64",
    ),
    (
        "[f0]\ni1 = int_neg(f0)\nfinish(i1)",
        "2:14: argument 0 of int_neg must be i32 or i64, found f64",
    ),
    (
        "[i0, l1]\ni2 = int_lt(i0, l1)\nfinish(i2)",
        "2:17: argument 1 of int_lt must be i32 like argument 0, found i64",
    ),
    (
        "[p0, f1]\nstore_i32(p0, 0, 4, 0, f1)\nfinish()",
        "2:24: argument 2 of store_i32 must be i32, found f64",
    ),
    (
        "[i0, i1]\nlabel(i0)\ni2 = int_add(i1, 1)\njump(i2)",
        "3:1: i1 is defined before the label and used after it, but is not a label argument",
    ),
    (
        "[i0, i1]\nlabel(i0)\nguard_true(i0) [i1]\njump(i0)",
        "3:1: i1 is defined before the label and used after it, but is not a label argument",
    ),
    (
        "[i0, i1]\nint_add(i0, i1)\nfinish()",
        "2:1: int_add produces a value but has no result",
    ),
    (
        "[i0]\ni1 = guard_true(i0) []\nfinish()",
        "2:1: guard_true produces no value but has a result",
    ),
    (
        "[i0, i1]\nf2 = int_add(i0, i1)\nfinish(f2)",
        "2:1: result f2 has the wrong type: the operation produces i32",
    ),
    (
        "[f0]\ni1 = float_sqrt(f0)\nfinish(i1)",
        "2:1: result i1 has the wrong type: the operation produces f64",
    ),
    (
        "extern @f(i32) -> i32\n[i0]\nl1 = call(@f, i0)\nfinish(l1)",
        "3:1: result l1 has the wrong type: the operation produces i32",
    ),
    (
        "[p0]\ni1 = load_i32(p0, 0, 3, 0)\nfinish(i1)",
        "2:1: scale 3 is not 1, 2, 4 or 8",
    ),
    (
        "extern @f(i32) -> i32\n[i0]\ni1 = call(@f, i0, i0)\nfinish(i1)",
        "3:1: @f takes 1 argument(s), the call passes 2",
    ),
    (
        "extern @f(i32, f64)\n[i0]\ncall(@f, i0, i0)\nfinish()",
        "3:14: argument 1 of call must be f64, found i32",
    ),
    (
        "[i0]\nguard_true(i0) []\nguard_false(i0, descr=<Guard0>) []\nfinish()",
        "3:1: exit id 0 is already used by op 0",
    ),
    (
        "[i0]\nguard_true(i0, descr=<Guard1>) []\nfinish()",
        "3:1: exit id 1 is already used by op 0",
    ),
    (
        "[i0]\nlabel(i0, descr=<Target1>)\ni1 = int_add(i0, 1)\nlabel(i1, descr=<Target1>)\njump(i1)",
        "4:1: another label already has the token Target1",
    ),
    (
        "[i0]\nlabel(i0)\njump(i0, descr=<Target5>)",
        "3:1: no label of this trace has the token Target5",
    ),
    (
        // Each label closes the body after it: i1 is carried by the first, not the second.
        "[i0, i1]\nlabel(i0, i1)\ni2 = int_add(i0, 1)\nlabel(i2)\ni3 = int_add(i1, i2)\njump(i3)",
        "5:1: i1 is defined before the label and used after it, but is not a label argument",
    ),
    (
        "[i0]\nlabel(i0, i0)\njump(i0, i0)",
        "2:1: label argument 1 must be a variable that appears only once in the label",
    ),
    (
        "[i0]\nlabel(i0, 5)\njump(i0, 5)",
        "2:1: label argument 1 must be a variable that appears only once in the label",
    ),
    (
        "[i0, i1]\nlabel(i0, i1)\njump(i0)",
        "3:1: jump passes 1 value(s), the label takes 2",
    ),
    (
        "[i0, f1]\nlabel(i0, f1)\njump(f1, i0)",
        "3:6: argument 0 of jump must be i32 like label argument 0, found f64\n\
         3:10: argument 1 of jump must be f64 like label argument 1, found i32",
    ),
    ("[i0]\ni1 = int_add(i0, 1)", "the trace must end with jump or finish"),
    ("[]", "the trace must end with jump or finish"),
    (
        "[i0]\nfinish(i0)\ni1 = int_add(i0, 1)\nfinish(i1)",
        "3:1: nothing may follow jump or finish\n4:1: nothing may follow jump or finish",
    ),
    (
        "[i0]\ni1 = int_add_ovf(i0, 1)\nfinish(i1)",
        "2:1: an overflow-checked operation must be followed at once by guard_no_overflow or guard_overflow",
    ),
    (
        "[i0]\ni1 = int_add_ovf(i0, 1)\ni2 = int_add(i1, 1)\nguard_no_overflow() []\nfinish(i2)",
        "2:1: an overflow-checked operation must be followed at once by guard_no_overflow or guard_overflow\n\
         4:1: guard_no_overflow and guard_overflow must directly follow an *_ovf operation",
    ),
    (
        "[i0]\nguard_overflow() []\nfinish()",
        "2:1: guard_no_overflow and guard_overflow must directly follow an *_ovf operation",
    ),
    (
        "[i0]\ni1 = int_add_co(i0, 1)\ni2 = int_add(i0, 1)\nfinish(i1, i2)",
        "2:1: int_add_co and int_sub_bo must be followed at once by int_add_ci and int_sub_bi, and those must directly follow them",
    ),
    (
        "[i0]\ni1 = int_add_co(i0, 1)\ni2 = int_sub_bi(i0, 1)\nfinish(i1, i2)",
        "2:1: int_add_co and int_sub_bo must be followed at once by int_add_ci and int_sub_bi, and those must directly follow them\n\
         3:1: int_add_co and int_sub_bo must be followed at once by int_add_ci and int_sub_bi, and those must directly follow them",
    ),
    (
        "[l0]\nl1 = int_add_co(l0, 1)\ni2 = int_add_ci(0, 0)\nfinish(l1, i2)",
        "2:17: argument 0 of int_add_co must be i32, found i64\n2:1: result l1 has the wrong type: the operation produces i32",
    ),
    (
        "extern @f(i64) -> i64\n[i0, i1]\ni2 = call_split(@f, i0, i1)\nfinish(i2)",
        "3:1: a call_split whose result is split must be followed at once by call_hi, which stands nowhere else",
    ),
    (
        "[i0]\ni1 = call_hi()\nfinish(i1)",
        "2:1: a call_split whose result is split must be followed at once by call_hi, which stands nowhere else",
    ),
    (
        "extern @f(i64, i32)\n[i0, i1]\ncall_split(@f, i0, i1)\nfinish()",
        "3:1: the operands of call_split do not fit @f's parameters (an i64, or a split f64, takes two i32 operands, low half first)",
    ),
    (
        "extern @f(i32) -> i32\n[i0]\np1 = func_addr(@f)\nfinish(p1)",
        "4:1: p1 may be a function address (func_addr): it may only be called (call_indirect's last operand), compared, checked for null, renamed with same_as, or carried by its own loop's label and jump",
    ),
    (
        "extern @f(i32) -> i32\n[i0, p1]\ni2 = call_indirect(@f, p1, i0)\nfinish(i2)",
        "3:24: argument 0 of call_indirect must be i32, found ref\n3:28: argument 1 of call_indirect must be ref, found i32",
    ),
    (
        "extern @f(i32) -> i32\n[i0]\ni1 = call_indirect(@f, i0)\nfinish(i1)",
        "3:1: @f takes 1 argument(s), the call passes 0",
    ),
    (
        // Every error is reported, not just the first.
        "[i0, f1]\ni2 = int_add(i0, f1)\nf3 = float_neg(i0)\nguard_true(f3) []\njump(i2)",
        "2:18: argument 1 of int_add must be i32 like argument 0, found f64\n\
         3:16: argument 0 of float_neg must be f64, found i32\n\
         4:12: argument 0 of guard_true must be i32, found f64",
    ),
];

#[test]
fn each_rule_reports_its_message() {
    let mut wrong = Vec::new();
    for (src, want) in TEXT_CASES {
        match parse_verified(src) {
            Ok(_) => wrong.push(format!("{src:?} verified, expected:\n{want}")),
            Err(e) => {
                let got = e.to_string();
                if got != *want {
                    wrong.push(format!("{src:?}\n  got:  {got:?}\n  want: {want:?}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

fn messages(trace: &jit_core::Trace) -> Vec<String> {
    match verify(trace) {
        Ok(()) => vec![],
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn use_before_definition() {
    let mut b = TraceBuilder::new();
    let x = b.input(Type::I32);
    let y = b.binary(Opcode::IntAdd, x, 1);
    let z = b.binary(Opcode::IntAdd, y, 1);
    b.finish(&[z.into()]);
    let mut t = b.build_unverified();
    t.ops.swap(0, 1);
    // The swap also leaves each result's definition pointing at the other op.
    t.values[y].def = ValueDef::Op(1);
    t.values[z].def = ValueDef::Op(0);
    assert_eq!(messages(&t), ["i1 is used before it is defined"]);
}

#[test]
fn fail_arg_not_yet_defined() {
    let mut b = TraceBuilder::new();
    let x = b.input(Type::I32);
    b.guard(Opcode::GuardTrue, &[x.into()], &[]);
    let y = b.binary(Opcode::IntAdd, x, 1);
    b.finish(&[y.into()]);
    let mut t = b.build_unverified();
    t.ops[0].extra = Extra::Exit {
        id: ExitId(0),
        fail_args: vec![y],
    };
    assert_eq!(messages(&t), ["fail arg i1 is not defined at this guard"]);
}

#[test]
fn dangling_value_does_not_panic() {
    let mut b = TraceBuilder::new();
    let x = b.input(Type::I32);
    b.finish(&[x.into()]);
    let mut t = b.build_unverified();
    t.ops[0].args[0] = Operand::Value(jit_core::Value::new(99));
    assert_eq!(messages(&t), ["v99? is used before it is defined"]);
}

#[test]
fn input_defined_elsewhere() {
    let mut b = TraceBuilder::new();
    let x = b.input(Type::I32);
    b.finish(&[x.into()]);
    let mut t = b.build_unverified();
    t.values[x].def = ValueDef::Op(0);
    let m = messages(&t);
    assert_eq!(m[0], "input 0 (i0) is not defined as that input");
}

#[test]
fn result_defined_twice() {
    let mut b = TraceBuilder::new();
    let x = b.input(Type::I32);
    let y = b.binary(Opcode::IntAdd, x, 1);
    b.binary(Opcode::IntAdd, x, 2);
    b.finish(&[y.into()]);
    let mut t = b.build_unverified();
    t.ops[1].result = Some(y);
    assert_eq!(
        messages(&t),
        ["the result's definition does not point at this operation"]
    );
}

#[test]
fn missing_or_misplaced_extras() {
    let mut b = TraceBuilder::new();
    let p = b.input(Type::Ref);
    b.raw(
        Opcode::LoadI32,
        &[p.into(), 0.into()],
        Some(Type::I32),
        Extra::None,
    );
    b.raw(Opcode::GuardTrue, &[1.into()], None, Extra::None);
    b.raw(
        Opcode::IntAdd,
        &[1.into(), 2.into()],
        Some(Type::I32),
        Extra::Mem(MemArg {
            scale: 1,
            offset: 0,
        }),
    );
    b.finish(&[]);
    let t = b.build_unverified();
    let want = "is missing its addressing, callee or exit, or has one it cannot take";
    assert_eq!(
        messages(&t),
        [
            format!("load_i32 {want}"),
            format!("guard_true {want}"),
            format!("int_add {want}")
        ]
    );
}

#[test]
fn call_to_undeclared_function() {
    let mut b = TraceBuilder::new();
    b.raw(Opcode::Call, &[], None, Extra::Call(FuncRef::new(3)));
    b.finish(&[]);
    assert_eq!(
        messages(&b.build_unverified()),
        ["the call names an undeclared function"]
    );
}

#[test]
fn non_null_ref_constant() {
    let mut b = TraceBuilder::new();
    let p = b.input(Type::Ref);
    b.binary(Opcode::PtrEq, p, Scalar::Ref(0x1000));
    b.finish(&[]);
    assert_eq!(
        messages(&b.build_unverified()),
        ["argument 1 is a ref constant other than null"]
    );
}

#[test]
fn verify_errors_display_names_the_op() {
    let mut b = TraceBuilder::new();
    let x = b.input(Type::F64);
    b.unary(Opcode::IntNeg, x);
    let e = b.build().unwrap_err();
    assert_eq!(
        e.to_string(),
        "op 0: argument 0 of int_neg must be i32 or i64, found f64\nthe trace must end with jump or finish"
    );
}

/// Object type declarations made without the parser are checked too.
#[test]
fn object_declarations_are_verified() {
    use jit_core::objects::{FieldType, ObjectDecl, ObjectKind};
    let mut t = jit_core::text::parse("struct A(i32 x)\n[]\nfinish()\n").unwrap();
    assert!(jit_core::verify(&t).is_ok());
    t.objects.push(ObjectDecl {
        name: "A".into(),
        kind: ObjectKind::Array(FieldType::Ref),
    });
    let e = jit_core::verify(&t).unwrap_err();
    assert_eq!(e.to_string(), "object type A is declared twice");
}
