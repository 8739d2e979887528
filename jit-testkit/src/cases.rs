//! The conformance cases, as traces in the text format with their inputs.

use std::fmt::Write;

use jit_core::interp::DEFAULT_STEP_BUDGET;
use jit_core::ir::{Operand, Scalar, Type};
use jit_core::text::parse;

/// One conformance case.
#[derive(Clone, Debug)]
pub struct Case {
    /// A name that says what it covers.
    pub name: String,
    /// The trace, with its inputs on a `# args:` line.
    pub src: String,
    /// Step budget (docs/ir.md §1: every target counts it the interpreter's way).
    pub budget: u64,
    /// Whether the run is meant to run out of its budget (then the target must too, at the
    /// same jump, with the same memory).
    pub runs_out: bool,
    /// Whether the trace runs invalidated (`guard_not_invalidated` fails).
    pub invalidated: bool,
}

impl Case {
    fn new(name: impl Into<String>, src: impl Into<String>) -> Case {
        Case {
            name: name.into(),
            src: src.into(),
            budget: DEFAULT_STEP_BUDGET,
            runs_out: false,
            invalidated: false,
        }
    }
}

const SEMANTICS: &str = include_str!("../../jit-core/tests/data/semantics.txt");

/// Every case.
pub fn all_cases() -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(examples());
    v.extend(regressions());
    v.extend(semantics());
    v.extend(guards());
    v.extend(pressure());
    v.extend(calls());
    v.extend(call_shapes());
    v.extend(loops());
    v.extend(budget());
    v.extend(wide());
    v.extend(cycles());
    v.extend(memory());
    v.extend(big());
    v.extend(constants());
    v.extend(shifted_operands());
    v.extend(multiply_pairs());
    v
}

/// The traces in `examples/`.
pub fn examples() -> Vec<Case> {
    trace_files(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../examples"),
        "example",
    )
}

/// Every bug found so far, as the trace that showed it (`jit-testkit/regressions/`).
pub fn regressions() -> Vec<Case> {
    trace_files(
        concat!(env!("CARGO_MANIFEST_DIR"), "/regressions"),
        "regression",
    )
}

fn trace_files(dir: &str, kind: &str) -> Vec<Case> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|e| e == "trace"));
    paths.sort();
    paths
        .iter()
        .filter_map(|p| {
            let src = std::fs::read_to_string(p).ok()?;
            // Trees run as trees (`tracejit run`, tracejit/tests/trees.rs), not as cases.
            if jit_core::text::is_tree(&src) {
                return None;
            }
            Some(Case::new(
                format!("{kind} {}", p.file_name()?.to_string_lossy()),
                src,
            ))
        })
        .collect()
}

/// Text of a scalar as an input (`# args:`) value.
fn arg_text(s: Scalar) -> String {
    match s {
        Scalar::F64(b) => format!("{}", Scalar::F64(b))
            .replace("f64bits(", "")
            .replace(')', ""),
        other => other.to_string(),
    }
}

/// Each row of the semantics table twice: with constant operands (immediate forms) and
/// with its operands as inputs (register forms).
pub fn semantics() -> Vec<Case> {
    let mut out = Vec::new();
    for (n, line) in SEMANTICS.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((expr, rhs)) = line.split_once("->") else {
            continue;
        };
        let expr = expr.trim();
        let rhs = rhs.trim().split(' ').next().unwrap_or("");
        let Ok(want) = parse(&format!("[]\nfinish({rhs})")) else {
            continue;
        };
        let Operand::Const(want) = want.ops[0].args[0] else {
            continue;
        };
        let p = want.ty().prefix();
        let ovf = expr.contains("_ovf(");
        let check = if ovf {
            format!("guard_no_overflow() [{p}0]\n")
        } else {
            String::new()
        };
        // Carry chains: both ops with constants only (their inputs form is not made).
        let chain = match expr.split_once(';') {
            Some((a, b)) => Some(format!("i1 = {a}\n{p}0 = {}", b.trim())),
            None if expr.starts_with("int_add_co(") => {
                Some(format!("{p}0 = {expr}\ni1 = int_add_ci(0, 0)"))
            }
            None if expr.starts_with("int_sub_bo(") => {
                Some(format!("{p}0 = {expr}\ni1 = int_sub_bi(0, 0)"))
            }
            None => None,
        };
        if let Some(body) = chain {
            out.push(Case::new(
                format!("semantics line {} constants: {expr}", n + 1),
                format!("# args:\n[]\n{body}\nfinish({p}0, i1)\n"),
            ));
            continue;
        }
        out.push(Case::new(
            format!("semantics line {} constants: {expr}", n + 1),
            format!("# args:\n[]\n{p}0 = {expr}\n{check}finish({p}0)\n"),
        ));
        // The same with every operand an input.
        let Ok(t) = parse(&format!("[]\n{p}0 = {expr}\n{check}finish({p}0)")) else {
            continue;
        };
        let op = &t.ops[0];
        let consts: Vec<Scalar> = op
            .args
            .iter()
            .filter_map(|a| match a {
                Operand::Const(c) => Some(*c),
                Operand::Value(_) => None,
            })
            .collect();
        if consts.iter().any(|c| c.ty() == Type::Ref || matches!(c, Scalar::F64(b) if f64::from_bits(*b).is_nan() && *b != jit_core::ir::CANONICAL_NAN_BITS)) {
            continue;
        }
        let names: Vec<String> = consts
            .iter()
            .enumerate()
            .map(|(k, c)| format!("{}{}", c.ty().prefix(), k + 1))
            .collect();
        let r = format!("{p}{}", consts.len() + 1);
        let check = if ovf {
            format!("guard_no_overflow() [{r}]\n")
        } else {
            String::new()
        };
        let args: Vec<String> = consts.iter().map(|&c| arg_text(c)).collect();
        out.push(Case::new(
            format!("semantics line {} inputs: {expr}", n + 1),
            format!(
                "# args: {}\n[{}]\n{r} = {}({})\n{check}finish({r})\n",
                args.join(", "),
                names.join(", "),
                op.opcode,
                names.join(", ")
            ),
        ));
    }
    out
}

/// Guards that pass and fail, with fail args of every type.
pub fn guards() -> Vec<Case> {
    let mut out = Vec::new();
    let head = "[i0, l1, f2, p3, i4]";
    let fail = "[i0, l1, f2, p3, i4, f2, i0]";
    let guards: &[(&str, &str, &str)] = &[
        ("guard_true", "guard_true(i0)", "0"),
        ("guard_false", "guard_false(i0)", "1"),
        ("guard_value i32", "guard_value(i0, 7)", "8"),
        ("guard_value i64", "guard_value(l1, 0x123456789L)", "8"),
        ("guard_nonnull", "guard_nonnull(p3)", "null"),
        ("guard_isnull", "guard_isnull(p3)", "buffer"),
    ];
    for (name, g, failing) in guards {
        for fails in [false, true] {
            let i0 = if fails && !failing.contains("null") && *failing != "buffer" {
                failing
            } else {
                "7"
            };
            let i0 = if *name == "guard_false" && !fails {
                "0"
            } else {
                i0
            };
            let i0 = if *name == "guard_true" && fails {
                "0"
            } else {
                i0
            };
            let p3 = match (*name, fails) {
                ("guard_nonnull", true) | ("guard_isnull", false) => "null",
                _ => "i64[5, 6]",
            };
            let l1 = if *name == "guard_value i64" && !fails {
                "0x123456789"
            } else {
                "-3"
            };
            out.push(Case::new(
                format!("{name} {}", if fails { "fails" } else { "passes" }),
                format!("# args: {i0}, {l1}, -0.0, {p3}, 99\n{head}\n{g} {fail}\nl5 = int_add(l1, 1)\nfinish(l5, f2, p3)\n"),
            ));
        }
    }
    for (name, cond) in [
        ("lt", "int_lt"),
        ("ule", "uint_le"),
        ("ptr", "ptr_eq"),
        ("flt", "float_lt"),
        ("feq", "float_eq"),
        ("fne", "float_ne"),
    ] {
        for (a, b) in [("3", "5"), ("5", "3"), ("-1", "1"), ("4", "4")] {
            for g in ["guard_true", "guard_false"] {
                let (ty, x, y) = match name {
                    "ptr" => ("p", if a == b { "null" } else { "i32[1]" }, "null"),
                    "flt" | "feq" | "fne" => ("f", a, b),
                    _ => ("i", a, b),
                };
                let (xa, ya) = if ty == "f" {
                    (format!("{x}.0"), format!("{y}.0"))
                } else {
                    (x.to_string(), y.to_string())
                };
                out.push(Case::new(
                    format!("fused {cond}({a}, {b}) {g}"),
                    format!("# args: {xa}, {ya}\n[{ty}0, {ty}1]\ni2 = {cond}({ty}0, {ty}1)\n{g}(i2) [{ty}0, {ty}1]\nfinish({ty}0)\n"),
                ));
            }
        }
    }
    for nan in ["nan", "1.0"] {
        for cond in [
            "float_eq", "float_ne", "float_lt", "float_le", "float_gt", "float_ge",
        ] {
            for g in ["guard_true", "guard_false"] {
                out.push(Case::new(
                    format!("fused {cond} with {nan} {g}"),
                    format!("# args: {nan}, 1.0\n[f0, f1]\ni2 = {cond}(f0, f1)\n{g}(i2) [f1]\ni3 = {cond}(f1, f0)\nfinish(i3)\n"),
                ));
            }
        }
    }
    for (flag, args) in [
        ("guard_no_overflow", "2147483647, 1"),
        ("guard_overflow", "2147483647, 1"),
        ("guard_no_overflow", "5, 6"),
        ("guard_overflow", "5, 6"),
    ] {
        out.push(Case::new(
            format!("{flag} after int_add_ovf({args})"),
            format!("# args: {args}\n[i0, i1]\ni2 = int_add_ovf(i0, i1)\n{flag}() [i0, i1]\ni3 = int_mul_ovf(i2, i1)\n{flag}() [i2]\nfinish(i3)\n"),
        ));
    }
    out.push(Case::new(
        "guard_not_invalidated passes",
        "# args: 5\n[i0]\nguard_not_invalidated() [i0]\nfinish(i0)\n",
    ));
    // The failing side: the trace runs invalidated, before a loop, inside one (after some
    // stores), and with values of every type in the fail args.
    for (what, src) in [
        (
            "fails",
            "# args: 5\n[i0]\ni1 = int_add(i0, 1)\nguard_not_invalidated() [i1, i0]\nfinish(i0)\n",
        ),
        (
            "fails inside a loop, after a store",
            "# args: i32[0, 0], 3, 2.5, 7L\n[p0, i1, f2, l3]\nlabel(p0, i1, f2, l3)\n\
             store_i32(p0, 1, 4, 0, i1)\ni4 = int_sub(i1, 1)\nguard_not_invalidated() [p0, i4, f2, l3]\n\
             i5 = int_gt(i4, 0)\nguard_true(i5) [i4]\njump(p0, i4, f2, l3)\n",
        ),
    ] {
        out.push(Case {
            invalidated: true,
            ..Case::new(format!("guard_not_invalidated {what} when invalidated"), src)
        });
    }
    out.push(Case::new(
        "guard on a constant that fails",
        "# args: 5\n[i0]\ni1 = int_add(i0, 1)\nguard_true(0) [i1, i0]\nfinish(i1)\n",
    ));
    out.push(Case::new(
        "fail args include a fused comparison's value",
        "# args: 5, 6\n[i0, i1]\ni2 = int_lt(i0, i1)\nguard_false(i2) [i2, i0]\nfinish(i2)\n",
    ));
    out
}

/// More live values than registers: ints, floats, and both across a call.
pub fn pressure() -> Vec<Case> {
    let mut out = Vec::new();
    for (n, ty) in [(30usize, 'i'), (40, 'l'), (24, 'f')] {
        let mut s = String::new();
        let args: Vec<String> = (0..n)
            .map(|k| {
                if ty == 'f' {
                    format!("{}.5", k)
                } else {
                    format!("{}", k * 7 + 1)
                }
            })
            .collect();
        let _ = writeln!(s, "# args: {}", args.join(", "));
        let names: Vec<String> = (0..n).map(|k| format!("{ty}{k}")).collect();
        let _ = writeln!(s, "[{}]", names.join(", "));
        let add = if ty == 'f' { "float_mul" } else { "int_mul" };
        let sum = if ty == 'f' { "float_add" } else { "int_add" };
        // Make n new values, all live at once, then sum them in reverse order.
        for k in 0..n {
            let _ = writeln!(s, "{ty}{} = {add}({ty}{k}, {ty}{})", n + k, (k + 1) % n);
        }
        let mut acc = format!("{ty}{}", 2 * n - 1);
        for k in (0..2 * n - 1).rev() {
            let _ = writeln!(s, "{ty}{} = {sum}({acc}, {ty}{k})", 2 * n + (2 * n - 2 - k));
            acc = format!("{ty}{}", 2 * n + (2 * n - 2 - k));
        }
        let _ = writeln!(s, "guard_true(0) [{}]", names.join(", "));
        let _ = writeln!(s, "finish({acc})");
        out.push(Case::new(format!("{n} live {ty} values"), s));
    }
    // Values live across calls, and a loop keeping 20 values in its header.
    let mut s = String::from("extern @gcd(i32, i32) -> i32\nextern @dot2(f64, f64, f64, f64) -> f64\n# args: 1, 2, 3, 4, 5, 6, 7, 8, 1.5, 2.5, 3.5, 4.5\n[i0, i1, i2, i3, i4, i5, i6, i7, f8, f9, f10, f11]\n");
    s.push_str("i12 = call(@gcd, i0, i1)\nf13 = call(@dot2, f8, f9, f10, f11)\ni14 = int_add(i2, i3)\ni15 = call(@gcd, i14, i4)\nf16 = call(@dot2, f13, f8, f9, f10)\n");
    s.push_str("i17 = int_add(i5, i6)\ni18 = int_add(i17, i7)\ni19 = int_add(i18, i12)\ni20 = int_add(i19, i15)\nf21 = float_add(f16, f11)\nfinish(i20, f21, i0, i7, f8, f11)\n");
    out.push(Case::new("values live across calls", s));
    let n = 20;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# args: 1000, {}",
        (1..=n)
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let names: Vec<String> = (1..=n).map(|k| format!("i{k}")).collect();
    let _ = writeln!(s, "[i0, {}]", names.join(", "));
    let _ = writeln!(s, "label(i0, {})", names.join(", "));
    for k in 1..=n {
        let _ = writeln!(
            s,
            "i{} = int_add(i{k}, i{})",
            n + k,
            if k == n { 1 } else { k + 1 }
        );
    }
    let _ = writeln!(s, "i{} = int_sub(i0, 1)", 2 * n + 1);
    let _ = writeln!(s, "i{} = int_gt(i{}, 0)", 2 * n + 2, 2 * n + 1);
    let rotated: Vec<String> = (1..=n).map(|k| format!("i{}", n + k)).collect();
    let _ = writeln!(s, "guard_true(i{}) [{}]", 2 * n + 2, rotated.join(", "));
    let _ = writeln!(s, "jump(i{}, {})", 2 * n + 1, rotated.join(", "));
    out.push(Case::new("a loop carrying 21 values", s));
    out
}

/// Calls with 0 to 16 arguments of every mix of types.
pub fn calls() -> Vec<Case> {
    let pat = [
        "i32", "f64", "i64", "f64", "i32", "i64", "f64", "f64", "i32", "i64", "f64", "i32", "i64",
        "f64", "i32", "f64",
    ];
    let value = |t: &str, k: usize| match t {
        "i32" => format!("{}", -(k as i64) * 1_000_003 + 17),
        "i64" => format!(
            "{}",
            (k as i64 + 1) * 0x1_0000_0001 * if k % 2 == 1 { -1 } else { 1 }
        ),
        _ => format!("{}.25", k as i64 - 5),
    };
    let prefix = |t: &str| match t {
        "i32" => 'i',
        "i64" => 'l',
        _ => 'f',
    };
    let mut out = vec![Case::new(
        "call with no arguments",
        "extern @c0() -> i64\n# args:\n[]\nl0 = call(@c0)\nfinish(l0)\n",
    )];
    for n in 1..=16 {
        for (fam, types, ret) in [
            ("ci", vec!["i32"; n], "i64"),
            ("cl", vec!["i64"; n], "i32"),
            ("cf", vec!["f64"; n], "f64"),
            ("cm", pat[..n].to_vec(), "i64"),
        ] {
            let mut s = String::new();
            let _ = writeln!(s, "extern @{fam}{n}({}) -> {ret}", types.join(", "));
            let args: Vec<String> = types.iter().enumerate().map(|(k, t)| value(t, k)).collect();
            let _ = writeln!(s, "# args: {}", args.join(", "));
            let names: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(k, t)| format!("{}{k}", prefix(t)))
                .collect();
            let _ = writeln!(s, "[{}]", names.join(", "));
            let r = format!("{}{n}", prefix(ret));
            let _ = writeln!(s, "{r} = call(@{fam}{n}, {})", names.join(", "));
            // The inputs must survive the call too.
            let _ = writeln!(s, "finish({r}, {})", names.join(", "));
            out.push(Case::new(format!("call {fam}{n}"), s));
        }
    }
    // Constants as arguments, in registers and on the stack.
    let consts: Vec<String> = pat
        .iter()
        .enumerate()
        .map(|(k, t)| match *t {
            "i64" => format!("{}L", value(t, k)),
            _ => value(t, k),
        })
        .collect();
    out.push(Case::new(
        "call with 16 constant arguments",
        format!(
            "extern @cm16({}) -> i64\n# args:\n[]\nl0 = call(@cm16, {})\nfinish(l0)\n",
            pat.join(", "),
            consts.join(", ")
        ),
    ));
    out.push(Case::new(
        "calls without results",
        format!("extern @cv16({})\nextern @cv5({})\n# args:\n[]\ncall(@cv16, {})\ncall(@cv5, {})\nfinish()\n", pat.join(", "), pat[..5].join(", "), consts.join(", "), consts[..5].join(", ")),
    ));
    // Callees that leave garbage where System V leaves results undefined (natively: above
    // the result in rax or xmm0), with arguments whose upper bits the caller must clear; the
    // results then go through operations that read all 32 (or 64) bits.
    let mut s = String::new();
    let mut body = String::new();
    let mut fin = Vec::new();
    for (k, t) in ["i8", "u8", "i16", "u16", "i32", "u32", "f32"]
        .iter()
        .enumerate()
    {
        let _ = writeln!(s, "extern @garbage_{t}({t}, {t}) -> {t}");
        let r = 10 + 4 * k;
        let _ = writeln!(body, "i{r} = call(@garbage_{t}, i0, i1)");
        let _ = writeln!(body, "i{} = call(@garbage_{t}, 0x1234ff80, -129)", r + 1);
        let _ = writeln!(body, "l{} = cast_i32_to_i64(i{r})", r + 2);
        let _ = writeln!(body, "l{} = cast_u32_to_i64(i{})", r + 3, r + 1);
        fin.extend([
            format!("i{r}"),
            format!("i{}", r + 1),
            format!("l{}", r + 2),
            format!("l{}", r + 3),
        ]);
    }
    let _ = write!(
        s,
        "# args: 0x7f3a9cf1, -0x12345\n[i0, i1]\n{body}finish({}, i0, i1)\n",
        fin.join(", ")
    );
    out.push(Case::new(
        "callees leaving garbage above narrow and float results",
        s,
    ));
    out.push(Case::new(
        "a call whose argument is also its neighbour",
        "extern @ci2(i32, i32) -> i64\nextern @ci3(i32, i32, i32) -> i64\n# args: 5, 9\n[i0, i1]\nl2 = call(@ci2, i1, i0)\nl3 = call(@ci3, i0, i0, i1)\nl4 = int_add(l2, l3)\nfinish(l4, i0, i1)\n",
    ));
    out
}

/// An argument value of C type `t` for the generated callees (argument `k` of call `n`):
/// narrow integers with garbage above their width (the callee must see them cut and
/// extended), floats' bits including subnormals, infinities and NaNs with payloads.
fn shape_value(t: crate::shapes::catalogue::Ty, n: usize, k: usize) -> (String, String) {
    use crate::shapes::catalogue::Ty;
    let x = (n as u64 * 31 + k as u64 * 7 + 3).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    match t {
        Ty::I64 => {
            let v = x as i64;
            (format!("{v}"), format!("{v}L"))
        }
        Ty::F64 => {
            let v = format!("{}.{}", (x >> 40) as i64 - 8_000_000, x % 1000);
            let c = match k % 5 {
                0 => "f64bits(0x7ff4000000000001)".to_string(),
                1 => "-0.0".to_string(),
                2 => "1e-310".to_string(),
                _ => v.clone(),
            };
            (v, c)
        }
        Ty::F32 => {
            const SPECIAL: [u32; 8] = [
                0x3fc0_0000,
                0x8000_0001,
                0x7fc0_0123,
                0xff80_0000,
                0x0080_0000,
                0x7f7f_ffff,
                0xbf80_0000,
                0x0000_0000,
            ];
            let v = if (n + k).is_multiple_of(3) {
                x as u32
            } else {
                SPECIAL[(n + k) % SPECIAL.len()]
            };
            let w = SPECIAL[(n + 2 * k + 1) % SPECIAL.len()];
            ((v as i32).to_string(), (w as i32).to_string())
        }
        _ => {
            let v = (x >> 16) as u32 as i32;
            let w = (x >> 29) as u32 as i32 ^ 0x8080;
            (v.to_string(), w.to_string())
        }
    }
}

/// The generated callees (`shapes`), four to a trace: each called with its arguments from
/// the inputs, then with constants (the first of the four a third time, indirectly through
/// its `func_addr`), its results finished (a `void` one's through
/// `@shape_sink`), the inputs after it too: narrow integers, floats, up to 40 arguments, all
/// 256 interleavings of eight, no result, i64 in every position, and a seeded set.
pub fn call_shapes() -> Vec<Case> {
    use crate::shapes::catalogue::Ty;
    let shapes = crate::shapes::all();
    let mut out = Vec::new();
    for (g, group) in shapes.chunks(4).enumerate() {
        let mut decls = format!("extern @{}() -> i64\n", crate::shapes::SINK);
        let (mut inputs, mut args, mut body, mut results) =
            (Vec::new(), Vec::new(), String::new(), Vec::new());
        let mut n = 0usize;
        let letter = |t: Ty| match t {
            Ty::I64 => 'l',
            Ty::F64 => 'f',
            _ => 'i',
        };
        for (j, sh) in group.iter().enumerate() {
            let params: Vec<&str> = sh.params.iter().map(|t| t.name()).collect();
            let _ = write!(decls, "extern @{}({})", sh.name, params.join(", "));
            if let Some(r) = sh.ret {
                let _ = write!(decls, " -> {}", r.name());
            }
            decls.push('\n');
            let mut from_inputs = Vec::new();
            let mut consts = Vec::new();
            for (k, &t) in sh.params.iter().enumerate() {
                let (v, c) = shape_value(t, g * 4 + j, k);
                let name = format!("{}{}", letter(t), inputs.len());
                inputs.push(name.clone());
                args.push(v);
                from_inputs.push(name);
                consts.push(c);
            }
            // The first of each group a third time, through its address.
            let indirect = (j == 0).then(|| from_inputs.clone());
            if indirect.is_some() {
                let _ = writeln!(body, "p{} = func_addr(@{})", 2000 + g, sh.name);
            }
            let calls = [(from_inputs, false), (consts, false)]
                .into_iter()
                .chain(indirect.map(|a| (a, true)));
            for (operands, through) in calls {
                let call = match (through, operands.is_empty()) {
                    (false, true) => format!("call(@{})", sh.name),
                    (false, false) => format!("call(@{}, {})", sh.name, operands.join(", ")),
                    (true, true) => format!("call_indirect(@{}, p{})", sh.name, 2000 + g),
                    (true, false) => format!(
                        "call_indirect(@{}, {}, p{})",
                        sh.name,
                        operands.join(", "),
                        2000 + g
                    ),
                };
                match sh.ret {
                    Some(t) => {
                        let r = format!("{}{}", letter(t), 1000 + n);
                        let _ = writeln!(body, "{r} = {call}");
                        results.push(r);
                    }
                    None => {
                        let r = format!("l{}", 1000 + n);
                        let _ = writeln!(body, "{call}\n{r} = call(@{})", crate::shapes::SINK);
                        results.push(r);
                    }
                }
                n += 1;
            }
        }
        results.extend(inputs.iter().take(8).cloned());
        let src = format!(
            "{decls}# args: {}\n[{}]\n{body}finish({})\n",
            args.join(", "),
            inputs.join(", "),
            results.join(", ")
        );
        let names: Vec<&str> = group.iter().map(|s| s.name.as_str()).collect();
        out.push(Case::new(format!("call shapes {}", names.join(" ")), src));
    }
    out
}

/// Loops: many iterations, swaps through the back edge, floats, constants in jumps.
pub fn loops() -> Vec<Case> {
    vec![
        // PyPy's peeled shape: a label before the preamble, the loop's label after it, and
        // the jump to the second; each label closes the body after it.
        Case::new(
            "a peeled loop: a preamble label, then the loop's",
            "# args: 100, 0\n[i0, i1]\nlabel(i0, i1)\ni2 = int_add(i1, 1000)\ni3 = int_sub(i0, 1)\n\
             label(i3, i2)\ni4 = int_add(i2, i3)\ni5 = int_sub(i3, 1)\ni6 = int_gt(i5, 0)\n\
             guard_true(i6) [i5, i4]\njump(i5, i4)\n",
        ),
        Case::new(
            "a peeled loop of every type, a preamble guard and a value the preamble made",
            "# args: 50, 2.5, 7L, zeros(16)\n[i0, f1, l2, p3]\nlabel(i0, f1, l2, p3)\n\
             f4 = float_mul(f1, 2.0)\nl5 = int_mul(l2, 3)\nguard_not_invalidated() [i0, f4]\n\
             i9 = int_lt(l5, 1000000L)\nguard_true(i9) [l5]\nlabel(i0, f4, l5, f1, p3)\n\
             f6 = float_add(f4, f1)\nstore_f64(p3, 0, 8, 0, f6)\nl7 = int_add(l5, 1L)\n\
             i8 = int_sub(i0, 1)\ni10 = int_gt(i8, 0)\nguard_true(i10) [f6, l7, i8]\n\
             jump(i8, f6, l7, f1, p3)\n",
        ),
        Case::new(
            "a jump to the first of two labels, by token (the second inside the loop)",
            "# args: 20, 0\n[i0, i1]\nlabel(i0, i1, descr=<Target0>)\ni2 = int_add(i1, i0)\n\
             label(i0, i2, descr=<Target1>)\ni3 = int_sub(i0, 1)\ni4 = int_gt(i3, 0)\n\
             guard_true(i4) [i3, i2]\njump(i3, i2, descr=<Target0>)\n",
        ),
        Case::new(
            "labels with tokens of their own, the jump naming the second",
            "# args: 9, 1.5\n[i0, f1]\nlabel(i0, f1, descr=<Target7>)\nf2 = float_mul(f1, 2.0)\n\
             label(i0, f2, descr=<Target3>)\nf3 = float_add(f2, 0.25)\ni4 = int_sub(i0, 1)\n\
             i5 = int_gt(i4, 0)\nguard_true(i5) [f3]\njump(i4, f3, descr=<Target3>)\n",
        ),
        Case::new(
            "three labels, the loop at the last",
            "# args: 30, 1\n[i0, i1]\nlabel(i0, i1)\ni2 = int_mul(i1, 3)\nlabel(i0, i2)\n\
             i3 = int_add(i2, 5)\nlabel(i0, i3)\ni4 = int_add(i3, i0)\ni5 = int_sub(i0, 1)\n\
             i6 = int_gt(i5, 0)\nguard_true(i6) [i4, i5]\njump(i5, i4)\n",
        ),
        Case::new(
            "a loop of 100000 iterations",
            "# args: 100000, 0\n[i0, l1]\nlabel(i0, l1)\nl2 = cast_i32_to_i64(i0)\nl3 = int_add(l1, l2)\ni4 = int_sub(i0, 1)\ni5 = int_gt(i4, 0)\nguard_true(i5) [l3]\njump(i4, l3)\n",
        ),
        Case::new(
            "a loop swapping its values",
            "# args: 1, 2, 3, 7\n[i0, i1, i2, i3]\nlabel(i0, i1, i2, i3)\ni4 = int_sub(i3, 1)\ni5 = int_gt(i4, 0)\nguard_true(i5) [i0, i1, i2]\njump(i2, i0, i1, i4)\n",
        ),
        Case::new(
            "a loop with constants in its jump",
            "# args: 5, 9\n[i0, i1]\nlabel(i0, i1)\ni2 = int_add(i0, i1)\ni3 = int_lt(i2, 100)\nguard_true(i3) [i2, i0, i1]\njump(i2, 3)\n",
        ),
        Case::new(
            "a float loop (Newton's square root)",
            "# args: 2.0, 1.0, 20\n[f0, f1, i2]\nlabel(f0, f1, i2)\nf3 = float_truediv(f0, f1)\nf4 = float_add(f1, f3)\nf5 = float_mul(f4, 0.5)\ni6 = int_sub(i2, 1)\ni7 = int_gt(i6, 0)\nguard_true(i7) [f5]\njump(f0, f5, i6)\n",
        ),
        Case::new(
            "a loop with a preamble",
            "# args: 10\n[i0]\ni1 = int_mul(i0, 3)\nl2 = cast_i32_to_i64(i1)\nlabel(i0, l2)\nl3 = int_add(l2, 1000000007L)\ni4 = int_sub(i0, 1)\ni5 = int_ge(i4, 0)\nguard_true(i5) [l3, i0]\njump(i4, l3)\n",
        ),
        Case {
            name: "a loop of 1,000 iterations under a budget of 1,000,000 steps".into(),
            src: "# args: 0\n[i0]\nlabel(i0)\ni1 = int_add(i0, 1)\ni2 = int_lt(i1, 1000)\nguard_true(i2) [i1]\njump(i1)\n".into(),
            budget: 1_000_000,
            runs_out: false,
            invalidated: false,
        },
    ]
}

/// Jumps whose parallel move has cycles, of every shape a backend must break: swaps, long
/// rotations, reversals, two cycles at once, a cycle next to a move that fills the
/// register a naive cycle break would borrow (the x86 regression), a cycle next to a
/// constant; with i32, i64 (pairs on 32-bit targets), f64 and mixed values, and with more
/// values than registers so some live in slots.
pub fn cycles() -> Vec<Case> {
    let letter = |t: usize| ["i", "l", "f"][t];
    let value = |t: usize, k: usize| match t {
        0 => format!("{}", 3 * k as i64 + 1),
        1 => format!("{}L", ((k as i64 + 1) << 40) | 7),
        _ => format!("{}.25", k),
    };
    let mut out = Vec::new();
    for (types, tname) in [
        (&[0usize][..], "i32"),
        (&[1], "i64"),
        (&[2], "f64"),
        (&[0, 1, 2], "mixed"),
    ] {
        for n in [2usize, 3, 4, 8, 16, 24] {
            // Values of one type per slot; mixed traces cycle within each type.
            let ty = |k: usize| types[k % types.len()];
            let names: Vec<String> = (0..n).map(|k| format!("{}{k}", letter(ty(k)))).collect();
            let same = |k: usize, j: usize| ty(k) == ty(j);
            // Each shape maps slot k to the value it gets from slot from(k).
            let step = types.len();
            let shapes: Vec<(&str, Vec<usize>)> = vec![
                ("rotation", (0..n).map(|k| (k + step) % n).collect()),
                ("reversal", (0..n).map(|k| n - 1 - k).collect()),
                (
                    "swaps",
                    (0..n)
                        .map(|k| {
                            if (k / step) % 2 == 0 && k + step < n {
                                k + step
                            } else if k >= step && ((k - step) / step) % 2 == 0 {
                                k - step
                            } else {
                                k
                            }
                        })
                        .collect(),
                ),
            ];
            for (shape, from) in shapes {
                if (0..n).any(|k| !same(k, from[k])) {
                    continue;
                }
                let c = n;
                let mut jump: Vec<String> = (0..n).map(|k| names[from[k]].clone()).collect();
                // Slot 0 gets a value computed in the body (the register a cycle break might
                // borrow is busy), slot n-1 a constant, when the shape leaves room.
                let extra = if n >= 4 {
                    let t = ty(0);
                    let fresh = format!("{}{}", letter(t), n + 3);
                    let op = match t {
                        0 => format!("{fresh} = int_add({}, 5)\n", names[0]),
                        1 => format!("{fresh} = int_add({}, 5L)\n", names[0]),
                        _ => format!("{fresh} = float_add({}, 0.5)\n", names[0]),
                    };
                    jump[0] = fresh;
                    let t = ty(n - 1);
                    jump[n - 1] = value(t, 99);
                    op
                } else {
                    String::new()
                };
                let args: Vec<String> = (0..n).map(|k| value(ty(k), k)).collect();
                let src = format!(
                    "# args: {}, 5\n[{}, i{c}]\nlabel({}, i{c})\n{extra}i{} = int_sub(i{c}, 1)\ni{} = int_gt(i{}, 0)\n\
                     guard_true(i{}) [{}]\njump({}, i{})\n",
                    args.join(", "),
                    names.join(", "),
                    names.join(", "),
                    n + 1,
                    n + 2,
                    n + 1,
                    n + 2,
                    names.join(", "),
                    jump.join(", "),
                    n + 1
                );
                out.push(Case::new(
                    format!("cycles: {shape} of {n} {tname} values"),
                    src,
                ));
            }
        }
    }
    out
}

/// Wide traces: hundreds to 10,000 live values (frame slots far past ARM's immediate
/// offsets: `ldr` 4095 bytes, `vldr` 1020), and loops whose jump rotates hundreds of values
/// while a literal (an f64 constant for `vldr`, an i32 one for ARMv5's `ldr`) is pending.
pub fn wide() -> Vec<Case> {
    let letter = |t: usize| ["i", "l", "f"][t % 3];
    let value = |t: usize, k: usize| match t % 3 {
        0 => format!("{}", k as i64 - 50),
        1 => format!("{}L", (k as i64) << 33 | 5),
        _ => format!("{}.5", k),
    };
    let mut out = Vec::new();
    // A loop rotating n i32 values, with an f64 and an i32 constant used in its body.
    for n in [68, 300] {
        let ins: Vec<String> = (0..n).map(|k| format!("i{k}")).collect();
        let args: Vec<String> = (0..n).map(|k| k.to_string()).collect();
        let (f, c) = (n, n + 1);
        let mut rot: Vec<String> = (1..n).map(|k| format!("i{k}")).collect();
        rot.push(format!("i{}", n + 3));
        let src = format!(
            "# args: {}, 1.5, 4\n[{}, f{f}, i{c}]\nlabel({}, f{f}, i{c})\nf{} = float_mul(f{f}, 1.1)\n\
             i{} = int_xor(i0, 0x12345678)\ni{} = int_sub(i{c}, 1)\ni{} = int_gt(i{}, 0)\n\
             guard_true(i{}) [{}, f{f}]\njump({}, f{}, i{})\n",
            args.join(", "),
            ins.join(", "),
            ins.join(", "),
            n + 2,
            n + 3,
            n + 4,
            n + 5,
            n + 4,
            n + 5,
            ins.join(", "),
            rot.join(", "),
            n + 2,
            n + 4,
        );
        out.push(Case::new(
            format!("wide: a loop rotating {n} values past pending literals"),
            src,
        ));
    }
    // n live values of the given types, each changed once, all finished with.
    for (n, types) in [(500, 1), (1000, 3), (250, 3), (10_000, 3)] {
        let ty = |k: usize| if types == 1 { 0 } else { k % 3 };
        let ins: Vec<String> = (0..n).map(|k| format!("{}{k}", letter(ty(k)))).collect();
        let args: Vec<String> = (0..n).map(|k| value(ty(k), k)).collect();
        let mut body = String::new();
        let mut outs = Vec::new();
        for (k, x) in ins.iter().enumerate() {
            let r = format!("{}{}", letter(ty(k)), n + k);
            let op = match ty(k) {
                0 => format!("{r} = int_add({x}, 1)"),
                1 => format!("{r} = int_add({x}, 1L)"),
                _ => format!("{r} = float_add({x}, 0.25)"),
            };
            body.push_str(&op);
            body.push('\n');
            outs.push(r);
        }
        let src = format!(
            "# args: {}\n[{}]\n{body}finish({})\n",
            args.join(", "),
            ins.join(", "),
            outs.join(", ")
        );
        let what = if types == 1 { "i32" } else { "mixed" };
        out.push(Case::new(format!("wide: {n} live {what} values"), src));
    }
    // A loop carrying 2,001 mixed values, rotated by type, three times.
    let n = 2001;
    let ins: Vec<String> = (0..n).map(|k| format!("{}{k}", letter(k))).collect();
    let args: Vec<String> = (0..n).map(|k| value(k, k)).collect();
    let rot: Vec<String> = (0..n).map(|k| ins[(k + 3) % n].clone()).collect();
    out.push(Case::new(
        "wide: a loop carrying 2,001 mixed values",
        format!(
            "# args: {}, 3\n[{}, i{n}]\nlabel({}, i{n})\ni{} = int_sub(i{n}, 1)\ni{} = int_gt(i{}, 0)\n\
             guard_true(i{}) [{}]\njump({}, i{})\n",
            args.join(", "),
            ins.join(", "),
            ins.join(", "),
            n + 1,
            n + 2,
            n + 1,
            n + 2,
            ins.join(", "),
            rot.join(", "),
            n + 1
        ),
    ));
    out
}

/// The step budget at its edges: a budget that just fits a run and one step less, a zero
/// budget, runaway loops with stores in them, and budgets past 2^32 jumps (32-bit targets
/// keep a 64-bit count).
pub fn budget() -> Vec<Case> {
    // label, add, lt, guard, jump: 5 steps to the first jump, 4 per iteration; the guard
    // fails in the tenth pass, after 9 jumps: 1 + 9 * 4 + 3 = 40 steps, but the ninth jump
    // is taken only if its whole next iteration fits: 37 + 4 = 41.
    let counted = "# args: 0\n[i0]\nlabel(i0)\ni1 = int_add(i0, 1)\ni2 = int_lt(i1, 10)\nguard_true(i2) [i1]\njump(i1)\n";
    let runaway = "# args: i32[0, 0], 0\n[p0, i1]\ni2 = int_add(i1, 1)\nlabel(p0, i2)\ni3 = int_add(i2, 1)\nstore_i32(p0, 0, 4, 0, i3)\ni4 = int_and(i3, 1)\nstore_i32(p0, i4, 4, 0, i2)\njump(p0, i3)\n";
    let case = |name: &str, src: &str, budget: u64, runs_out: bool| Case {
        name: format!("budget: {name}"),
        src: src.into(),
        budget,
        runs_out,
        invalidated: false,
    };
    vec![
        case("a run that just fits", counted, 41, false),
        case("one step less", counted, 40, true),
        case("no step at all", counted, 0, true),
        case("fewer steps than the first pass", counted, 3, true),
        case("a runaway loop storing", runaway, 1000, true),
        case("a runaway loop, one iteration", runaway, 12, true),
        case("a runaway loop, no iteration", runaway, 7, true),
        case(
            "2^32 jumps and one more (the count's high word)",
            counted,
            5 + (1u64 << 32) * 4,
            false,
        ),
        case("2^32 + 1 steps", counted, (1 << 32) + 1, false),
        case("the largest budget", counted, u64::MAX, false),
    ]
}

/// Loads and stores of every width, with constant, register and negative indices.
pub fn memory() -> Vec<Case> {
    let mut out = Vec::new();
    for (load, store, scale) in [
        ("load_i8", "store_i8", 1),
        ("load_u8", "store_i8", 1),
        ("load_i16", "store_i16", 2),
        ("load_u16", "store_i16", 2),
        ("load_i32", "store_i32", 4),
        ("load_i64", "store_i64", 8),
        ("load_f64", "store_f64", 8),
    ] {
        let p = match load {
            "load_i64" => 'l',
            "load_f64" => 'f',
            _ => 'i',
        };
        let v = match p {
            'l' => "-81985529216486896",
            'f' => "-2.5",
            _ => "-12345",
        };
        out.push(Case::new(
            format!("{load} and {store}"),
            format!(
                "# args: zeros(64), 3, {v}\n[p0, i1, {p}2]\n{store}(p0, i1, {scale}, 8, {p}2)\n{p}3 = {load}(p0, i1, {scale}, 8)\n\
                 {p}4 = {load}(p0, 0, {scale}, {off})\n{store}(p0, 5, {scale}, 0, {p}3)\ni5 = int_add(i1, 2)\n\
                 {p}6 = {load}(p0, i5, {scale}, -{s2})\nfinish({p}3, {p}4, {p}6)\n",
                off = 8 + 3 * scale,
                s2 = 2 * scale
            ),
        ));
        // Offsets past every ARM immediate (ldr 4095, vldr 1020, ldrh/ldrsb 255): a constant
        // index with a far offset, a register index with a far positive and a far negative
        // offset, and values whose bytes have the sign bit set.
        let v2 = match p {
            'l' => "-1L",
            'f' => "-0.0",
            _ => "-128",
        };
        out.push(Case::new(
            format!("{load} and {store} at offsets beyond the ARM immediates"),
            format!(
                "# args: zeros(8192), 700, 1000, {v}, {v2}
[p0, i1, i2, {p}3, {p}4]
                 {store}(p0, 0, {scale}, 4104, {p}3)
{p}5 = {load}(p0, 0, {scale}, 4104)
                 {store}(p0, i1, {scale}, 1032, {p}4)
{p}6 = {load}(p0, i1, {scale}, 1032)
                 {store}(p0, i2, 8, -2048, {p}3)
{p}7 = {load}(p0, i2, 8, -2048)
                 {p}8 = {load}(p0, 0, {scale}, 7000)
finish({p}5, {p}6, {p}7, {p}8)
"
            ),
        ));
    }
    out.push(Case::new(
        "stores of constants of every width",
        "# args: zeros(64)\n[p0]\nstore_i8(p0, 0, 1, 0, -1)\nstore_i16(p0, 1, 2, 0, 0x12345)\nstore_i32(p0, 1, 4, 0, -7)\n\
         store_i64(p0, 1, 8, 0, 0x123456789abcdefL)\nstore_i64(p0, 2, 8, 0, -2L)\nstore_f64(p0, 3, 8, 0, 1.5)\n\
         store_f64(p0, 4, 8, 0, -0.0)\nl1 = load_i64(p0, 0, 8, 0)\nfinish(l1)\n",
    ));
    out.push(Case::new(
        "a store through an index loaded from memory",
        "# args: i32[3, 2, 1, 0], zeros(32)\n[p0, p1]\ni2 = load_i32(p0, 1, 4, 0)\nstore_i64(p1, i2, 8, 0, 77L)\ni3 = load_i32(p0, i2, 4, 4)\nfinish(i3)\n",
    ));
    out
}

/// [`big`]'s long trace (mixed int/float arithmetic with a guard every five ops) cut to
/// about `ops` operations (at least 2), ending in a `finish` of its last integer: the
/// trace compile times are measured on (`tracejit bench`, the `compile` benchmark).
pub fn long_trace(ops: usize) -> jit_core::Trace {
    let src = &big()[0].src;
    let body: Vec<&str> = src.lines().skip(2).take(ops.max(2) - 1).collect();
    let last_int = body
        .iter()
        .rev()
        .find_map(|l| l.split(" = ").next().filter(|n| n.starts_with('i')))
        .unwrap_or("i0");
    let mut head = src.lines();
    let text = format!(
        "{}\n{}\n{}\nfinish({last_int})\n",
        head.next().unwrap_or_default(),
        head.next().unwrap_or_default(),
        body.join("\n")
    );
    jit_core::text::parse_verified(&text).expect("the cut trace verifies")
}

/// A 10,000-op trace: a long chain of mixed arithmetic with guards.
pub fn big() -> Vec<Case> {
    let mut s = String::from("# args: 12345, 678, 0.5\n[i0, i1, f2]\n");
    let mut n = 3;
    let (mut x, mut y, mut f) = (0, 1, 2);
    let mut ops = 0;
    while ops < 10_000 {
        let _ = writeln!(s, "i{n} = int_add(i{x}, i{y})");
        let _ = writeln!(
            s,
            "i{} = int_xor(i{n}, {})",
            n + 1,
            n * 2654435761u32 as usize % 1000
        );
        let _ = writeln!(s, "f{} = float_add(f{f}, 0.25)", n + 2);
        let _ = writeln!(s, "i{} = int_ne(i{}, 12345678)", n + 3, n + 1);
        let _ = writeln!(s, "guard_true(i{}) [i{}, f{}]", n + 3, n + 1, n + 2);
        x = y;
        y = n + 1;
        f = n + 2;
        n += 4;
        ops += 5;
    }
    let _ = writeln!(s, "finish(i{y}, f{f})");
    // Regression of sorts: ARMv7 loads f64 constants from pools with `vldr`, which reaches
    // only 1020 bytes, so a long run of distinct constants needs many islands.
    let mut c = String::from("# args: 0.5\n[f0]\n");
    for k in 1..=1500 {
        let _ = writeln!(c, "f{k} = float_add(f{}, {}.0625)", k - 1, k);
        if k % 7 == 0 {
            let _ = writeln!(c, "i{k}x = float_lt(f{k}, 1e300)");
        }
    }
    let c = c.replace("x = float_lt", " = float_lt");
    let mut guarded = String::new();
    for line in c.lines() {
        guarded.push_str(line);
        guarded.push('\n');
        if let Some(rest) = line.strip_prefix('i') {
            if let Some(k) = rest.split(' ').next() {
                let _ = writeln!(guarded, "guard_true(i{k}) [f0]");
            }
        }
    }
    let _ = writeln!(guarded, "finish(f1500)");
    vec![
        Case::new("a 10000-op trace", s),
        Case::new("1500 distinct f64 constants", guarded),
    ]
}

/// A 20,000-op trace using thousands of distinct 32-bit and f64 constants that no ARM
/// immediate can hold: literal pools, islands placed through long code, and branch reach.
pub fn constants() -> Vec<Case> {
    let mut s = String::from("# args: 7, 0.5\n[i0, f1]\n");
    let (mut i, mut f, mut n) = (0usize, 1usize, 2usize);
    let mut ops = 0;
    let mut k: u32 = 0;
    while ops < 20_000 {
        // 0x12345678-like values: four significant bytes, so neither they nor their
        // complements are rotated bytes.
        let c = 0x1234_5679u32.wrapping_add(k.wrapping_mul(0x0101_0f0f)) | 0x0100_0001;
        let d = 1.0 + k as f64 / 1048576.0 + 1.0 / 3.0;
        let _ = writeln!(s, "i{n} = int_xor(i{i}, {})", c as i32);
        let _ = writeln!(s, "f{} = float_add(f{f}, {d:?})", n + 1);
        let _ = writeln!(s, "i{} = int_ne(i{n}, {})", n + 2, (c ^ 0x5a5a_5a5a) as i32);
        let _ = writeln!(s, "guard_true(i{}) [i{n}, f{}]", n + 2, n + 1);
        i = n;
        f = n + 1;
        n += 3;
        ops += 4;
        k += 1;
    }
    let _ = writeln!(s, "finish(i{i}, f{f})");
    vec![Case::new(
        "a 20000-op trace with thousands of distinct constants",
        s,
    )]
}

/// A shift by a constant feeding an `add`, `sub`, `and`, `or` or `xor`, which ARM and
/// AArch64 fold into a shifted register operand (`orr rd, rn, rm, lsl #k`): every shift,
/// each operand order (a shifted first operand of `sub` is ARM's `rsb`, and AArch64 does
/// not fold it), shift counts 1, 13 and 31 on i32 and 1, 33 and 63 on i64, with the shift's
/// input dying at the shift, being the other operand (`x ^ (x << k)`), or both operands
/// shifts; and xorshift32 and xorshift64 loops.
pub fn shifted_operands() -> Vec<Case> {
    let mut v = Vec::new();
    let shifts = ["int_lshift", "uint_rshift", "int_rshift"];
    let ops = ["int_add", "int_sub", "int_and", "int_or", "int_xor"];
    // (value prefix, literal suffix, the inputs, the shift counts, a name's tag)
    let widths = [
        ("i", "", ["-123456789", "987654321", "5"], [1, 13, 31], ""),
        (
            "l",
            "L",
            ["-1234567890123456789L", "987654321987654321L", "5L"],
            [1, 33, 63],
            " (i64)",
        ),
    ];
    for (p, sfx, [a, b, small], counts, tag) in widths {
        for sh in shifts {
            for op in ops {
                for k in counts {
                    for first in [false, true] {
                        let pair = |x: &str, y: &str| {
                            if first {
                                format!("{x}, {y}")
                            } else {
                                format!("{y}, {x}")
                            }
                        };
                        let dies = format!(
                            "# args: {a}, {b}\n[{p}0, {p}1]\n{p}2 = {sh}({p}0, {k}{sfx})\n{p}3 = {op}({})\nfinish({p}3)\n",
                            pair(&format!("{p}2"), &format!("{p}1"))
                        );
                        let other = format!(
                            "# args: {a}, {small}\n[{p}0, {p}1]\n{p}2 = {sh}({p}0, {k}{sfx})\n{p}3 = {op}({})\nfinish({p}3, {p}1)\n",
                            pair(&format!("{p}2"), &format!("{p}0"))
                        );
                        let both = format!(
                            "# args: {a}, {b}\n[{p}0, {p}1]\n{p}2 = {sh}({p}0, {k}{sfx})\n{p}3 = int_lshift({p}1, 7{sfx})\n{p}4 = {op}({})\nfinish({p}4)\n",
                            pair(&format!("{p}2"), &format!("{p}3"))
                        );
                        let at = if first { "first" } else { "second" };
                        v.push(Case::new(
                            format!("{op} of {sh} by {k} ({at}), input dies{tag}"),
                            dies,
                        ));
                        v.push(Case::new(
                            format!("{op} of {sh} by {k} ({at}), of itself{tag}"),
                            other,
                        ));
                        v.push(Case::new(
                            format!("{op} of two shifts, {sh} by {k} ({at}){tag}"),
                            both,
                        ));
                    }
                }
            }
        }
    }
    v.push(Case::new(
        "an xorshift64 loop of shifted operands",
        "# args: 1000, 88172645463325252L\n[i0, l1]\nlabel(i0, l1)\nl2 = uint_rshift(l1, 12L)\nl3 = int_xor(l1, l2)\nl4 = int_lshift(l3, 25L)\nl5 = int_xor(l4, l3)\nl6 = int_rshift(l5, 27L)\nl7 = int_sub(l5, l6)\ni8 = int_sub(i0, 1)\ni9 = int_gt(i8, 0)\nguard_true(i9) [i8, l7]\njump(i8, l7)\n",
    ));
    v.push(Case::new(
        "an xorshift32 loop of shifted operands",
        "# args: 1000, 2463534242\n[i0, i1]\nlabel(i0, i1)\ni2 = int_lshift(i1, 13)\ni3 = int_xor(i1, i2)\ni4 = uint_rshift(i3, 17)\ni5 = int_xor(i3, i4)\ni6 = int_lshift(i5, 5)\ni7 = int_xor(i6, i5)\ni8 = int_sub(i0, 1)\ni9 = int_gt(i8, 0)\nguard_true(i9) [i8, i7]\njump(i8, i7)\n",
    ));
    v
}

/// A multiply and the op after it, which ARM makes one instruction: `int_mul` with the
/// `uint_mul_high` of the same operands (`umull`, an i64 multiply's low word and carry) and
/// with the `int_add` that is the product's only use (`mla`). Operands that die or live
/// on, squares, the accumulator being a multiplicand, a product used twice (no pair), the
/// pairs under register pressure, i64 multiplies of edge values, an xorshift64* loop; and
/// f64 products with their add or subtract (`vmla`/`vmls` on VFP) on infinities, NaNs,
/// signed zeros and rounding.
pub fn multiply_pairs() -> Vec<Case> {
    let mut v = Vec::new();
    let args = "# args: -123456789, 987654321, 2147483647, -2147483648\n[i0, i1, i2, i3]\n";
    let mla = [
        ("mla, operands die", "i4 = int_mul(i0, i1)\ni5 = int_add(i4, i2)\nfinish(i5)"),
        ("mla, accumulator first", "i4 = int_mul(i0, i1)\ni5 = int_add(i2, i4)\nfinish(i5)"),
        ("mla, operands live on", "i4 = int_mul(i0, i1)\ni5 = int_add(i4, i2)\nfinish(i5, i0, i1, i2)"),
        ("mla of a square", "i4 = int_mul(i3, i3)\ni5 = int_add(i4, i1)\nfinish(i5)"),
        ("mla, accumulator a multiplicand", "i4 = int_mul(i0, i1)\ni5 = int_add(i4, i0)\nfinish(i5)"),
        ("mla, accumulator both", "i4 = int_mul(i0, i0)\ni5 = int_add(i0, i4)\nfinish(i5, i0)"),
        ("mla, product used twice", "i4 = int_mul(i0, i1)\ni5 = int_add(i4, i2)\nfinish(i5, i4)"),
        ("mla, product added to itself", "i4 = int_mul(i0, i1)\ni5 = int_add(i4, i4)\nfinish(i5)"),
        ("two mlas in a row", "i4 = int_mul(i0, i1)\ni5 = int_add(i4, i2)\ni6 = int_mul(i2, i3)\ni7 = int_add(i5, i6)\nfinish(i7)"),
        ("mla with a constant accumulator", "i4 = int_mul(i0, i1)\ni5 = int_add(i4, 77)\nfinish(i5)"),
        ("umull", "i4 = int_mul(i0, i1)\ni5 = uint_mul_high(i0, i1)\nfinish(i4, i5)"),
        ("umull, operands swapped", "i4 = int_mul(i2, i3)\ni5 = uint_mul_high(i3, i2)\nfinish(i5, i4, i2)"),
        ("umull, low word unused", "i4 = int_mul(i0, i3)\ni5 = uint_mul_high(i0, i3)\nfinish(i5)"),
        ("umull of a square", "i4 = int_mul(i3, i3)\ni5 = uint_mul_high(i3, i3)\nfinish(i4, i5, i3)"),
        ("umull then mla", "i4 = int_mul(i0, i1)\ni5 = uint_mul_high(i0, i1)\ni6 = int_mul(i2, i1)\ni7 = int_add(i5, i6)\nfinish(i4, i7)"),
    ];
    for (name, body) in mla {
        v.push(Case::new(name, format!("{args}{body}\n")));
    }
    // The same under pressure: every input and many products live to the end.
    let mut wide = String::from("# args: ");
    wide.push_str(
        &(0..12)
            .map(|k| {
                format!(
                    "{}",
                    1_000_003i64 * (k + 1) * if k % 2 == 0 { 1 } else { -1 }
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
    );
    wide.push_str("\n[");
    wide.push_str(
        &(0..12)
            .map(|k| format!("i{k}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    wide.push_str("]\n");
    let mut results = Vec::new();
    for k in 0..6 {
        let (a, b, c) = (k, k + 6, (k + 3) % 12);
        let (p, q) = (12 + 2 * k, 13 + 2 * k);
        wide.push_str(&format!(
            "i{p} = int_mul(i{a}, i{b})\ni{q} = int_add(i{p}, i{c})\n"
        ));
        results.push(format!("i{q}"));
    }
    let finish: Vec<String> = (0..12).map(|k| format!("i{k}")).chain(results).collect();
    wide.push_str(&format!("finish({})\n", finish.join(", ")));
    v.push(Case::new("mlas under register pressure", wide));
    // i64 multiplies, split into umull and mlas on 32-bit ARM.
    let values = [
        "0L",
        "1L",
        "-1L",
        "4294967295L",
        "4294967296L",
        "-9223372036854775808L",
        "9223372036854775807L",
        "2685821657736338717L",
        "-20015998343868L",
    ];
    for (k, a) in values.iter().enumerate() {
        let b = values[(k * 4 + 3) % values.len()];
        v.push(Case::new(
            format!("i64 multiply {a} * {b}"),
            format!("# args: {a}, {b}\n[l0, l1]\nl2 = int_mul(l0, l1)\nfinish(l2)\n"),
        ));
        v.push(Case::new(
            format!("i64 multiply {a} * {b}, operands live on"),
            format!("# args: {a}, {b}\n[l0, l1]\nl2 = int_mul(l0, l1)\nl3 = int_mul(l2, l0)\nfinish(l2, l3, l1)\n"),
        ));
        v.push(Case::new(
            format!("i64 square of {a}"),
            format!("# args: {a}\n[l0]\nl1 = int_mul(l0, l0)\nfinish(l1)\n"),
        ));
    }
    // f64: `vmla`/`vmls` on VFP, which round the product before the sum as IR does.
    let fargs = [
        ("1.5, -2.25, 1e308", "finite"),
        ("inf, 0.0, 1.0", "inf times zero"),
        ("-0.0, 1.0, 0.0", "signed zeros"),
        ("1e308, 10.0, -inf", "overflow against -inf"),
        ("nan, 2.0, 3.0", "a NaN operand"),
        ("0.1, 0.2, 0.3", "rounding of the product"),
    ];
    let fbodies = [
        ("vmla", "f3 = float_mul(f0, f1)\nf4 = float_add(f3, f2)\nfinish(f4)"),
        ("vmla, accumulator first", "f3 = float_mul(f0, f1)\nf4 = float_add(f2, f3)\nfinish(f4)"),
        ("vmls", "f3 = float_mul(f0, f1)\nf4 = float_sub(f2, f3)\nfinish(f4)"),
        ("product minus accumulator", "f3 = float_mul(f0, f1)\nf4 = float_sub(f3, f2)\nfinish(f4)"),
        ("accumulator lives on", "f3 = float_mul(f0, f1)\nf4 = float_add(f3, f2)\nfinish(f4, f2)"),
        ("accumulator a multiplicand", "f3 = float_mul(f0, f1)\nf4 = float_add(f3, f0)\nfinish(f4, f1)"),
        ("f64 product used twice", "f3 = float_mul(f0, f1)\nf4 = float_add(f3, f2)\nfinish(f4, f3)"),
        ("f64 product stored", "f3 = float_mul(f0, f1)\nf4 = float_sub(f2, f3)\nf5 = float_mul(f4, f4)\nf6 = float_add(f5, f4)\nfinish(f6)"),
    ];
    for (args, what) in fargs {
        for (name, body) in fbodies {
            v.push(Case::new(
                format!("{name}, {what}"),
                format!("# args: {args}\n[f0, f1, f2]\n{body}\n"),
            ));
        }
    }
    v.push(Case::new(
        "an f64 dot-product loop of vmla",
        "# args: 300, 0.5, 1.25, 0.0, 0.0\n[i0, f1, f2, f3, f4]\nlabel(i0, f1, f2, f3, f4)\nf5 = float_mul(f1, f2)\nf6 = float_add(f3, f5)\nf7 = float_mul(f2, f2)\nf8 = float_sub(f6, f7)\nf9 = float_add(f1, 0.125)\ni10 = int_sub(i0, 1)\ni11 = int_gt(i10, 0)\nguard_true(i11) [f8]\njump(i10, f9, f2, f8, f4)\n",
    ));
    v.push(Case::new(
        "an xorshift64* loop",
        "# args: 300, 88172645463325252L\n[i0, l1]\nlabel(i0, l1)\nl2 = uint_rshift(l1, 12L)\nl3 = int_xor(l1, l2)\nl4 = int_lshift(l3, 25L)\nl5 = int_xor(l3, l4)\nl6 = uint_rshift(l5, 27L)\nl7 = int_xor(l5, l6)\nl8 = int_mul(l7, 2685821657736338717L)\ni9 = int_sub(i0, 1)\ni10 = int_gt(i9, 0)\nguard_true(i10) [l7, l8]\njump(i9, l7)\n",
    ));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use jit_core::text::parse_verified;

    #[test]
    fn every_case_verifies_and_there_are_enough() {
        let cases = all_cases();
        assert!(cases.len() >= 150, "only {} cases", cases.len());
        for c in &cases {
            if let Err(e) = parse_verified(&c.src) {
                panic!("{}: {e}\n{}", c.name, c.src);
            }
        }
        let big = parse_verified(&big()[0].src).unwrap();
        assert!(big.ops.len() >= 10_000);
    }
}
