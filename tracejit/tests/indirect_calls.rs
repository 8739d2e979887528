//! Indirect calls (docs/ir.md §8) on every target: a callee that is not a function the trace
//! declares with the call's signature — another signature's function, a buffer, null — ends
//! the run with `RunError::BadCallee` where the interpreter reports `BadCallee`, never a
//! jump into memory; and the verifier keeps function addresses from leaving the trace.

use jit_core::compile::{compile, CompileOptions};
use jit_core::interp::{run, InterpError, RunOptions};
use jit_core::runtime::RunError;
use jit_core::text::{default_args, parse, parse_args, parse_verified, resolve_args};
use jit_core::{Memory, VerifyError};
use tracejit::targets::{target, SUPPORTED};

/// Runs `src` in the interpreter and on every target; returns the interpreter's error and
/// each target's.
fn errors(src: &str) -> (InterpError, Vec<(String, RunError)>) {
    let externs = jit_testkit::externs();
    let trace = parse_verified(src).unwrap();
    let specs = parse_args(default_args(src).unwrap_or("")).unwrap();
    let mut memory = Memory::new();
    let inputs = resolve_args(&specs, &trace, &mut memory).unwrap().values;
    let want = run(
        &trace,
        &inputs,
        &mut memory.clone(),
        &externs,
        RunOptions::default(),
    )
    .expect_err("the interpreter refuses the callee");
    let mut got = Vec::new();
    for triple in SUPPORTED {
        let t = target(triple).unwrap();
        let code = compile(t.backend(), &trace, &externs, CompileOptions::default())
            .unwrap()
            .code;
        let mut runner = t.load(code, &trace).unwrap();
        let e = runner
            .run(&inputs, &mut memory.clone(), RunOptions::default())
            .expect_err("the target refuses the callee");
        got.push((triple.to_string(), e));
    }
    (want, got)
}

#[test]
fn a_callee_of_another_signature_or_no_function_leaves_by_the_bad_callee_exit() {
    let cases = [
        // @gcd's address, called with @ci1's signature.
        "# args: 5\nextern @ci1(i32) -> i64\nextern @gcd(i32, i32) -> i32\n[i0]\np1 = func_addr(@gcd)\nl2 = call_indirect(@ci1, i0, p1)\nfinish(l2)\n",
        // A buffer's address.
        "# args: 5, i32[1, 2]\nextern @ci1(i32) -> i64\n[i0, p1]\nl2 = call_indirect(@ci1, i0, p1)\nfinish(l2)\n",
        // Null, after a good call in the first iteration: the loop's slot holds a function
        // first and then the null the jump passes.
        "# args: 3, null\nextern @ci1(i32) -> i64\n[i0, p1]\np2 = func_addr(@ci1)\nlabel(i0, p1, p2)\nl3 = call_indirect(@ci1, i0, p2)\ni4 = int_sub(i0, 1)\ni5 = int_gt(i4, 0)\nguard_true(i5) [i4]\njump(i4, p1, p1)\n",
    ];
    for src in cases {
        let (want, got) = errors(src);
        assert!(matches!(want, InterpError::BadCallee { .. }), "{want}");
        for (triple, e) in got {
            assert_eq!(e, RunError::BadCallee, "{triple}: {e}\n{src}");
        }
    }
}

#[test]
fn function_addresses_never_leave_the_trace() {
    let head = "extern @ci1(i32) -> i64\nextern @mix(ref) -> i32\n";
    let escapes = [
        // An exit's values.
        "[i0]\np1 = func_addr(@ci1)\nfinish(p1)\n",
        "[i0]\np1 = func_addr(@ci1)\ni2 = int_gt(i0, 0)\nguard_true(i2) [p1]\nfinish()\n",
        // Read as memory, passed as data.
        "[i0]\np1 = func_addr(@ci1)\ni2 = load_i32(p1, 0, 4, 0)\nfinish(i2)\n",
        "[i0]\np1 = func_addr(@ci1)\ni2 = call(@mix, p1)\nfinish(i2)\n",
        // Through same_as, then out.
        "[i0]\np1 = func_addr(@ci1)\np2 = same_as(p1)\nfinish(p2)\n",
        // Carried by a loop (the jump makes the label's slot one), then out through a guard.
        "[i0, p1]\np2 = func_addr(@ci1)\nlabel(i0, p1)\ni3 = int_gt(i0, 0)\nguard_true(i3) [p1]\njump(i0, p2)\n",
        // A bridge (no label of its own) carrying one into its root's loop.
        "[i0]\np1 = func_addr(@ci1)\njump(i0, p1)\n",
    ];
    for body in escapes {
        let src = format!("{head}{body}");
        let trace = parse(&src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let errs = jit_core::verify(&trace).expect_err(&src);
        assert!(
            errs.0
                .iter()
                .any(|e| matches!(e, VerifyError::FunctionRefEscapes { .. })),
            "{src}: {errs}"
        );
    }
    // Called, compared, null-checked, renamed and carried around its own loop: fine.
    let fine = "[i0]\np1 = func_addr(@ci1)\np2 = same_as(p1)\nguard_nonnull(p2) [i0]\nlabel(i0, p2, p1)\nl3 = call_indirect(@ci1, i0, p2)\ni4 = ptr_eq(p2, p1)\ni5 = int_sub(i0, i4)\nguard_true(i5) [i5]\njump(i5, p1, p2)\n";
    let src = format!("{head}{fine}");
    let trace = parse(&src).unwrap();
    assert!(jit_core::verify(&trace).is_ok(), "{src}");
}
