//! Pins every value-computing operation at its edge values, from the table in
//! `tests/data/semantics.txt`, through the text format and the reference interpreter.

use std::collections::HashSet;

use jit_core::interp::{run, ExitKind, RunOptions};
use jit_core::ir::{Opcode, Operand, Scalar, Sig, Type};
use jit_core::text::{parse, parse_verified};
use jit_core::{Externs, Memory};

const TABLE: &str = include_str!("data/semantics.txt");

/// The constant written as `text`, typed as a `finish` operand would be.
fn constant(text: &str) -> Scalar {
    let t = parse(&format!("[]\nfinish({text})")).unwrap_or_else(|e| panic!("{text}: {e}"));
    match t.ops[0].args[0] {
        Operand::Const(c) => c,
        Operand::Value(_) => panic!("{text} is not a constant"),
    }
}

/// Runs `expr` (one op with constant arguments, or two joined by `;`) and returns the last
/// op's result and, for an overflow-checked operation, whether it overflowed.
fn eval(expr: &str, ty: Type) -> (Scalar, Option<bool>) {
    let p = ty.prefix();
    let ovf = expr.contains("_ovf(");
    let check = if ovf {
        format!("guard_no_overflow() [{p}0]\n")
    } else {
        String::new()
    };
    let src = match expr.split_once(';') {
        Some((first, second)) => {
            format!("[]\ni1 = {first}\n{p}0 = {}\nfinish({p}0)\n", second.trim())
        }
        // A carry-out op needs its partner right after it.
        None if expr.starts_with("int_add_co(") => {
            format!("[]\n{p}0 = {expr}\ni1 = int_add_ci(0, 0)\nfinish({p}0)\n")
        }
        None if expr.starts_with("int_sub_bo(") => {
            format!("[]\n{p}0 = {expr}\ni1 = int_sub_bi(0, 0)\nfinish({p}0)\n")
        }
        None => format!("[]\n{p}0 = {expr}\n{check}finish({p}0)\n"),
    };
    let trace = parse_verified(&src).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let out = run(
        &trace,
        &[],
        &mut Memory::new(),
        &Externs::new(),
        RunOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{expr}: {e}"));
    (out.values[0], ovf.then_some(out.kind == ExitKind::Guard))
}

#[test]
fn every_row_of_the_table_holds() {
    let mut failures = Vec::new();
    let mut covered: HashSet<(Opcode, Type)> = HashSet::new();
    let mut rows = 0;
    for (n, line) in TABLE.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (expr, rhs) = line
            .split_once("->")
            .unwrap_or_else(|| panic!("line {}: no '->'", n + 1));
        let rhs = rhs.trim();
        let (rhs, want_ovf) = match rhs.rsplit_once(' ') {
            Some((v, "overflow")) => (v, Some(true)),
            Some((v, "no_overflow")) => (v, Some(false)),
            _ => (rhs, None),
        };
        let (expr, expected) = (expr.trim(), constant(rhs));
        let (got, ovf) = eval(expr, expected.ty());
        // Bit for bit, NaNs included: arithmetic makes the canonical NaN (docs/ir.md §5).
        let same = got == expected;
        if !same || ovf != want_ovf {
            failures.push(format!(
                "line {}: {expr} gave {got} (overflow: {ovf:?}), expected {expected} (overflow: {want_ovf:?})",
                n + 1
            ));
        }
        for part in expr.split(';') {
            let part = part.trim();
            let trace = parse(&format!("[]\ni0 = {part}\nfinish()")).unwrap();
            let op = &trace.ops[0];
            covered.insert((op.opcode, trace.operand_type(op.args[0])));
        }
        rows += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {rows} rows fail:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Every value-computing opcode has rows, integer ones at both widths.
    let mut missing = Vec::new();
    for &op in Opcode::ALL {
        let widths: &[Type] = match op.sig() {
            Sig::IntBinary | Sig::IntOverflow | Sig::IntUnary | Sig::IntCompare | Sig::IntTest => {
                &[Type::I32, Type::I64]
            }
            Sig::CarryOut | Sig::CarryIn => &[Type::I32],
            Sig::FloatBinary | Sig::FloatUnary | Sig::FloatCompare => &[Type::F64],
            Sig::RefCompare => &[Type::Ref],
            Sig::Convert(Type::I32, _) => &[Type::I32],
            Sig::Convert(Type::I64, _) => &[Type::I64],
            Sig::Convert(..) => &[Type::F64],
            _ => &[],
        };
        for &w in widths {
            if !covered.contains(&(op, w)) {
                missing.push(format!("{op} on {w}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "no table rows for: {}",
        missing.join(", ")
    );
}

#[test]
fn arithmetic_nans_are_canonical_in_the_interpreter() {
    for expr in [
        "float_add(inf, -inf)",
        "float_sqrt(-1.0)",
        "float_mul(0.0, inf)",
        "float_add(f64bits(0xfff8000000000001), 1.0)",
    ] {
        assert_eq!(
            eval(expr, Type::F64).0,
            Scalar::F64(jit_core::ir::CANONICAL_NAN_BITS),
            "{expr}"
        );
    }
}

#[test]
fn same_result_treats_all_nans_alike_and_nothing_else() {
    let nan1 = Scalar::F64(0x7ff8_0000_0000_0000);
    let nan2 = Scalar::F64(0xfff8_0000_0000_0001);
    assert!(nan1.same_result(nan2));
    assert!(!Scalar::f64(0.0).same_result(Scalar::f64(-0.0)));
    assert!(!Scalar::I32(0).same_result(Scalar::I64(0)));
    assert!(!nan1.same_result(Scalar::f64(f64::INFINITY)));
}
