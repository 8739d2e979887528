//! Functions with 0 to 16 arguments of mixed types, for the call conformance cases.
//! Each result mixes every argument with its position, so an argument in the wrong
//! place changes it (NaN arguments all count as the same NaN; NaN results are the canonical
//! NaN, as the IR's arithmetic makes, so every target's twin agrees). Generated once by a script;
//! edit here by hand.

use jit_core::externs::ExternType;

/// Whether `name` is one of these functions (`c`, `ci`, `cl`, `cf`, `cm` and a count):
/// the ones `jit-fixtures/c/abi.c` also defines, which calling-convention tests call.
pub fn is_mixed_callee(name: &str) -> bool {
    let family = name.trim_end_matches(|c: char| c.is_ascii_digit());
    family != name && matches!(family, "c" | "ci" | "cl" | "cf" | "cm")
}

/// The test kit's functions, except that each one `gcc_defines` names returns garbage: a
/// target whose calls to those run GCC-built code gets a right result only from GCC's code.
pub fn garbage_for(gcc_defines: impl Fn(&str) -> bool) -> jit_core::Externs {
    use jit_core::ir::Type;
    use jit_core::Scalar;
    let externs = crate::externs();
    let mut garbage = externs.clone();
    for (name, f) in externs.iter() {
        if gcc_defines(name) {
            let ret = f.ret;
            garbage.insert(name, &f.params, f.ret, move |_| {
                ret.map(|t| match t.value() {
                    Type::I32 => Scalar::I32(0x5a5a_5a5a),
                    Type::I64 => Scalar::I64(0x5a5a_5a5a_5a5a),
                    Type::F64 => Scalar::f64(-1234.5),
                    Type::Ref => Scalar::NULL,
                })
            });
        }
    }
    garbage
}

/// Runs every call case and generated call shape (`cases::calls`, `cases::call_shapes`) on
/// `target`, whose calls go to GCC's code (with [`garbage_for`] as its own table): each
/// result must be the interpreter's with the true functions, and the call log (the
/// arguments as they arrived at GCC's entry) the interpreter's arguments. Returns how many
/// cases ran; `what` names the target in failures.
pub fn check_gcc_calls(target: &dyn crate::Target, what: &str) -> usize {
    use jit_core::compile::{compile, CompileOptions};
    use jit_core::interp::{run, CallRecord, RunOptions};
    use jit_core::text::{default_args, parse_args, parse_verified, resolve_args};
    let externs = crate::externs();
    let cases = crate::cases::calls()
        .into_iter()
        .chain(crate::cases::call_shapes());
    let mut checked = 0;
    for case in cases {
        let name = format!("{} on {what}", case.name);
        let trace = parse_verified(&case.src).unwrap();
        let specs = parse_args(default_args(&case.src).unwrap_or("")).unwrap();
        let mut memory = jit_core::Memory::new();
        let inputs = resolve_args(&specs, &trace, &mut memory).unwrap();
        let options = RunOptions::default();
        let want = run(
            &trace,
            &inputs.values,
            &mut memory.clone(),
            &externs,
            options,
        )
        .unwrap();
        let checked_alloc = CompileOptions {
            check_allocation: true,
        };
        let compiled = compile(target.backend(), &trace, &externs, checked_alloc)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut runner = target.load(compiled.code, &trace).unwrap();
        let got = runner
            .run(&inputs.values, &mut memory, options)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            want.same_exit_and_values(&got),
            "{name}: interpreter {want}, JIT calling GCC {got}"
        );
        // The same calls with the same arguments (the results logged are the garbage).
        let calls = |c: &[CallRecord]| -> Vec<(String, usize)> {
            c.iter().map(|c| (c.name.clone(), c.args.len())).collect()
        };
        assert_eq!(calls(&got.calls), calls(&want.calls), "{name}");
        for (g, w) in got.calls.iter().zip(&want.calls) {
            assert!(
                g.args.iter().zip(&w.args).all(|(a, b)| a.same_result(*b)),
                "{name}: @{} got {:?}, interpreter passed {:?}",
                g.name,
                g.args,
                w.args
            );
        }
        checked += 1;
    }
    checked
}

/// Arguments for a call with parameters `params`: for argument `k` a value of its type that
/// is negative, large or fractional, and differs from its neighbours'.
pub fn sample_args(params: &[jit_core::ir::CType]) -> Vec<jit_core::Scalar> {
    use jit_core::ir::Type;
    use jit_core::Scalar;
    params
        .iter()
        .enumerate()
        .map(|(k, &t)| match t.value() {
            Type::I32 => Scalar::I32(-(k as i32) * 1_000_003 + 17),
            Type::I64 => {
                Scalar::I64((k as i64 + 1) * 0x1_0000_0001 * if k % 2 == 1 { -1 } else { 1 })
            }
            _ => Scalar::f64(k as f64 - 5.25),
        })
        .collect()
}

/// The i64 "fingerprint" of argument `k`: its bits times its position.
fn mix(k: u64, bits: i64) -> i64 {
    (bits as u64)
        .wrapping_mul(2 * k + 1)
        .rotate_left(k as u32 * 7) as i64
}

/// The bits of an argument, i32 sign-extended; every NaN reads as the canonical one,
/// since which NaN arithmetic makes differs between targets (docs/ir.md §5).
fn bits<T: ExternType>(x: T) -> i64 {
    match x.to_scalar().as_f64() {
        Some(f) if f.is_nan() => jit_core::ir::CANONICAL_NAN_BITS as i64,
        _ => x.to_scalar().bits(),
    }
}

jit_core::define_externs! {
    fn c0() -> i64 { 0x1234_5678_9abc_def0 }
    fn ci1(a0: i32) -> i64 { mix(0, bits(a0)) }
    fn cl1(a0: i64) -> i32 { (mix(0, bits(a0))) as i32 }
    fn cf1(a0: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0) }
    fn cm1(a0: i32) -> i64 { mix(0, bits(a0)) }
    fn ci2(a0: i32, a1: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) }
    fn cl2(a0: i64, a1: i64) -> i32 { (mix(0, bits(a0)) ^ mix(1, bits(a1))) as i32 }
    fn cf2(a0: f64, a1: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0 + a1 * 2.0) }
    fn cm2(a0: i32, a1: f64) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) }
    fn ci3(a0: i32, a1: i32, a2: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) }
    fn cl3(a0: i64, a1: i64, a2: i64) -> i32 { (mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2))) as i32 }
    fn cf3(a0: f64, a1: f64, a2: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0 + a1 * 2.0 + a2 * 3.0) }
    fn cm3(a0: i32, a1: f64, a2: i64) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) }
    fn ci4(a0: i32, a1: i32, a2: i32, a3: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) }
    fn cl4(a0: i64, a1: i64, a2: i64, a3: i64) -> i32 { (mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3))) as i32 }
    fn cf4(a0: f64, a1: f64, a2: f64, a3: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0 + a1 * 2.0 + a2 * 3.0 + a3 * 4.0) }
    fn cm4(a0: i32, a1: f64, a2: i64, a3: f64) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) }
    fn ci5(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) }
    fn cl5(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64) -> i32 { (mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4))) as i32 }
    fn cf5(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0 + a1 * 2.0 + a2 * 3.0 + a3 * 4.0 + a4 * 5.0) }
    fn cm5(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) }
    fn ci6(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) }
    fn cl6(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64) -> i32 { (mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5))) as i32 }
    fn cf6(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0 + a1 * 2.0 + a2 * 3.0 + a3 * 4.0 + a4 * 5.0 + a5 * 6.0) }
    fn cm6(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) }
    fn ci7(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) }
    fn cl7(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64, a6: i64) -> i32 { (mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6))) as i32 }
    fn cf7(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64, a6: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0 + a1 * 2.0 + a2 * 3.0 + a3 * 4.0 + a4 * 5.0 + a5 * 6.0 + a6 * 7.0) }
    fn cm7(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64, a6: f64) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) }
    fn ci8(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) }
    fn cl8(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64, a6: i64, a7: i64) -> i32 { (mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7))) as i32 }
    fn cf8(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64, a6: f64, a7: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0 + a1 * 2.0 + a2 * 3.0 + a3 * 4.0 + a4 * 5.0 + a5 * 6.0 + a6 * 7.0 + a7 * 8.0) }
    fn cm8(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64, a6: f64, a7: f64) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) }
    fn ci9(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32, a8: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) }
    fn cl9(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64, a6: i64, a7: i64, a8: i64) -> i32 { (mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8))) as i32 }
    fn cf9(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64, a6: f64, a7: f64, a8: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0 + a1 * 2.0 + a2 * 3.0 + a3 * 4.0 + a4 * 5.0 + a5 * 6.0 + a6 * 7.0 + a7 * 8.0 + a8 * 9.0) }
    fn cm9(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64, a6: f64, a7: f64, a8: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) }
    fn ci10(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32, a8: i32, a9: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) }
    fn cl10(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64, a6: i64, a7: i64, a8: i64, a9: i64) -> i32 { (mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9))) as i32 }
    fn cf10(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64, a6: f64, a7: f64, a8: f64, a9: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0 + a1 * 2.0 + a2 * 3.0 + a3 * 4.0 + a4 * 5.0 + a5 * 6.0 + a6 * 7.0 + a7 * 8.0 + a8 * 9.0 + a9 * 10.0) }
    fn cm10(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64, a6: f64, a7: f64, a8: i32, a9: i64) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) }
    fn ci11(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32, a8: i32, a9: i32, a10: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) }
    fn cl11(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64, a6: i64, a7: i64, a8: i64, a9: i64, a10: i64) -> i32 { (mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10))) as i32 }
    fn cf11(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64, a6: f64, a7: f64, a8: f64, a9: f64, a10: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0 + a1 * 2.0 + a2 * 3.0 + a3 * 4.0 + a4 * 5.0 + a5 * 6.0 + a6 * 7.0 + a7 * 8.0 + a8 * 9.0 + a9 * 10.0 + a10 * 11.0) }
    fn cm11(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64, a6: f64, a7: f64, a8: i32, a9: i64, a10: f64) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) }
    fn ci12(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32, a8: i32, a9: i32, a10: i32, a11: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) ^ mix(11, bits(a11)) }
    fn cl12(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64, a6: i64, a7: i64, a8: i64, a9: i64, a10: i64, a11: i64) -> i32 { (mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) ^ mix(11, bits(a11))) as i32 }
    fn cf12(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64, a6: f64, a7: f64, a8: f64, a9: f64, a10: f64, a11: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0 + a1 * 2.0 + a2 * 3.0 + a3 * 4.0 + a4 * 5.0 + a5 * 6.0 + a6 * 7.0 + a7 * 8.0 + a8 * 9.0 + a9 * 10.0 + a10 * 11.0 + a11 * 12.0) }
    fn cm12(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64, a6: f64, a7: f64, a8: i32, a9: i64, a10: f64, a11: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) ^ mix(11, bits(a11)) }
    fn ci13(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32, a8: i32, a9: i32, a10: i32, a11: i32, a12: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) ^ mix(11, bits(a11)) ^ mix(12, bits(a12)) }
    fn cl13(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64, a6: i64, a7: i64, a8: i64, a9: i64, a10: i64, a11: i64, a12: i64) -> i32 { (mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) ^ mix(11, bits(a11)) ^ mix(12, bits(a12))) as i32 }
    fn cf13(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64, a6: f64, a7: f64, a8: f64, a9: f64, a10: f64, a11: f64, a12: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0 + a1 * 2.0 + a2 * 3.0 + a3 * 4.0 + a4 * 5.0 + a5 * 6.0 + a6 * 7.0 + a7 * 8.0 + a8 * 9.0 + a9 * 10.0 + a10 * 11.0 + a11 * 12.0 + a12 * 13.0) }
    fn cm13(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64, a6: f64, a7: f64, a8: i32, a9: i64, a10: f64, a11: i32, a12: i64) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) ^ mix(11, bits(a11)) ^ mix(12, bits(a12)) }
    fn ci14(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32, a8: i32, a9: i32, a10: i32, a11: i32, a12: i32, a13: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) ^ mix(11, bits(a11)) ^ mix(12, bits(a12)) ^ mix(13, bits(a13)) }
    fn cl14(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64, a6: i64, a7: i64, a8: i64, a9: i64, a10: i64, a11: i64, a12: i64, a13: i64) -> i32 { (mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) ^ mix(11, bits(a11)) ^ mix(12, bits(a12)) ^ mix(13, bits(a13))) as i32 }
    fn cf14(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64, a6: f64, a7: f64, a8: f64, a9: f64, a10: f64, a11: f64, a12: f64, a13: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0 + a1 * 2.0 + a2 * 3.0 + a3 * 4.0 + a4 * 5.0 + a5 * 6.0 + a6 * 7.0 + a7 * 8.0 + a8 * 9.0 + a9 * 10.0 + a10 * 11.0 + a11 * 12.0 + a12 * 13.0 + a13 * 14.0) }
    fn cm14(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64, a6: f64, a7: f64, a8: i32, a9: i64, a10: f64, a11: i32, a12: i64, a13: f64) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) ^ mix(11, bits(a11)) ^ mix(12, bits(a12)) ^ mix(13, bits(a13)) }
    fn ci15(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32, a8: i32, a9: i32, a10: i32, a11: i32, a12: i32, a13: i32, a14: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) ^ mix(11, bits(a11)) ^ mix(12, bits(a12)) ^ mix(13, bits(a13)) ^ mix(14, bits(a14)) }
    fn cl15(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64, a6: i64, a7: i64, a8: i64, a9: i64, a10: i64, a11: i64, a12: i64, a13: i64, a14: i64) -> i32 { (mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) ^ mix(11, bits(a11)) ^ mix(12, bits(a12)) ^ mix(13, bits(a13)) ^ mix(14, bits(a14))) as i32 }
    fn cf15(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64, a6: f64, a7: f64, a8: f64, a9: f64, a10: f64, a11: f64, a12: f64, a13: f64, a14: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0 + a1 * 2.0 + a2 * 3.0 + a3 * 4.0 + a4 * 5.0 + a5 * 6.0 + a6 * 7.0 + a7 * 8.0 + a8 * 9.0 + a9 * 10.0 + a10 * 11.0 + a11 * 12.0 + a12 * 13.0 + a13 * 14.0 + a14 * 15.0) }
    fn cm15(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64, a6: f64, a7: f64, a8: i32, a9: i64, a10: f64, a11: i32, a12: i64, a13: f64, a14: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) ^ mix(11, bits(a11)) ^ mix(12, bits(a12)) ^ mix(13, bits(a13)) ^ mix(14, bits(a14)) }
    fn ci16(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32, a8: i32, a9: i32, a10: i32, a11: i32, a12: i32, a13: i32, a14: i32, a15: i32) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) ^ mix(11, bits(a11)) ^ mix(12, bits(a12)) ^ mix(13, bits(a13)) ^ mix(14, bits(a14)) ^ mix(15, bits(a15)) }
    fn cl16(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64, a6: i64, a7: i64, a8: i64, a9: i64, a10: i64, a11: i64, a12: i64, a13: i64, a14: i64, a15: i64) -> i32 { (mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) ^ mix(11, bits(a11)) ^ mix(12, bits(a12)) ^ mix(13, bits(a13)) ^ mix(14, bits(a14)) ^ mix(15, bits(a15))) as i32 }
    fn cf16(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64, a6: f64, a7: f64, a8: f64, a9: f64, a10: f64, a11: f64, a12: f64, a13: f64, a14: f64, a15: f64) -> f64 { jit_core::ir::canonical(a0 * 1.0 + a1 * 2.0 + a2 * 3.0 + a3 * 4.0 + a4 * 5.0 + a5 * 6.0 + a6 * 7.0 + a7 * 8.0 + a8 * 9.0 + a9 * 10.0 + a10 * 11.0 + a11 * 12.0 + a12 * 13.0 + a13 * 14.0 + a14 * 15.0 + a15 * 16.0) }
    fn cm16(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64, a6: f64, a7: f64, a8: i32, a9: i64, a10: f64, a11: i32, a12: i64, a13: f64, a14: i32, a15: f64) -> i64 { mix(0, bits(a0)) ^ mix(1, bits(a1)) ^ mix(2, bits(a2)) ^ mix(3, bits(a3)) ^ mix(4, bits(a4)) ^ mix(5, bits(a5)) ^ mix(6, bits(a6)) ^ mix(7, bits(a7)) ^ mix(8, bits(a8)) ^ mix(9, bits(a9)) ^ mix(10, bits(a10)) ^ mix(11, bits(a11)) ^ mix(12, bits(a12)) ^ mix(13, bits(a13)) ^ mix(14, bits(a14)) ^ mix(15, bits(a15)) }
    fn cv5(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32) { let _ = (a0, a1, a2, a3, a4,); }
    fn cv16(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64, a6: f64, a7: f64, a8: i32, a9: i64, a10: f64, a11: i32, a12: i64, a13: f64, a14: i32, a15: f64) { let _ = (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15,); }
}
