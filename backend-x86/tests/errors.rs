//! Traces the backend cannot compile get errors, never panics.

use backend_x86::X86Backend;
use jit_core::backend::{Backend, Capabilities, CompileError};
use jit_core::compile::{compile, CompileOptions};
use jit_core::externs::Externs;
use jit_core::text::parse_verified;
use jit_core::{TraceBuilder, Type};
use jit_testkit::Tweaked;

/// x86-64 with a frame of at most 8 slots, to reach the limit with a small trace.
fn small_frame() -> Tweaked<X86Backend> {
    Tweaked {
        inner: X86Backend::new(),
        name: "x86-64 with 8 frame slots",
        capabilities: None,
        max_frame_slots: Some(8),
        refuse: None,
    }
}

/// x86-64 pretending to be a 32-bit target: i64 values are split into pairs.
fn narrow() -> Tweaked<X86Backend> {
    let caps = Capabilities {
        word_bits: 32,
        ..X86Backend::new().capabilities()
    };
    Tweaked {
        inner: X86Backend::new(),
        name: "x86-64 claiming 32-bit words",
        capabilities: Some(caps),
        max_frame_slots: None,
        refuse: None,
    }
}

#[test]
fn a_frame_too_large_is_an_error() {
    let t = parse_verified(&jit_testkit::cases::pressure()[0].src).unwrap();
    let e = compile(
        &small_frame(),
        &t,
        &Externs::new(),
        CompileOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(e, CompileError::FrameTooLarge { limit: 8, .. }),
        "{e}"
    );
    assert!(
        e.to_string().contains("more than the 8 this target allows"),
        "{e}"
    );
}

/// Compiles `src` for x86-64 against `externs`; the error it must give.
fn compile_error(src: &str, externs: &Externs) -> CompileError {
    let t = parse_verified(src).unwrap();
    compile(&X86Backend::new(), &t, externs, CompileOptions::default()).unwrap_err()
}

#[test]
fn a_call_without_a_function_or_a_native_one_is_an_error() {
    let src = "extern @nowhere(i32) -> i32\n[i0]\ni1 = call(@nowhere, i0)\nfinish(i1)";
    let e = compile_error(src, &Externs::standard());
    assert_eq!(e.to_string(), "no external function @nowhere");
    // Interpreter-only functions have no native address either.
    let mut ext = Externs::new();
    ext.insert(
        "nowhere",
        &[jit_core::CType::I32],
        Some(jit_core::CType::I32),
        |a| Some(a[0]),
    );
    let e = compile_error(src, &ext);
    assert_eq!(e, CompileError::UnknownExtern("nowhere".into()));
}

#[test]
fn a_declaration_the_table_does_not_have_is_an_error() {
    let src = "extern @gcd(i64, i64) -> i64\n[l0]\nl1 = call(@gcd, l0, l0)\nfinish(l1)";
    assert_eq!(
        compile_error(src, &Externs::standard()).to_string(),
        "@gcd is declared (i64, i64) -> i64 but is (i32, i32) -> i32"
    );
}

#[test]
fn an_invalid_trace_is_an_error() {
    let mut b = TraceBuilder::new();
    let x = b.input(Type::F64);
    b.unary(jit_core::Opcode::IntNeg, x);
    let e = compile(
        &X86Backend::new(),
        &b.build_unverified(),
        &Externs::new(),
        CompileOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, CompileError::Invalid(_)), "{e}");
}

#[test]
fn an_op_the_target_cannot_compile_is_an_error() {
    // On the pretend 32-bit target, a call with i64 arguments becomes call_split, which
    // x86-64 refuses with its reason.
    let t = parse_verified(
        "extern @mix64(i64, i64) -> i64\n[l0]\nl1 = call(@mix64, l0, l0)\nfinish(l1)",
    )
    .unwrap();
    let e = compile(
        &narrow(),
        &t,
        &Externs::standard(),
        CompileOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "op 0: call_split is not supported by this target: x86-64 passes 64-bit values whole; split calls are for 32-bit targets"
    );
    // i64 arithmetic there is split into pairs and compiles.
    let t =
        parse_verified("[i0]\nl1 = cast_i32_to_i64(i0)\nl2 = int_add(l1, l1)\nfinish(l2)").unwrap();
    assert!(compile(&narrow(), &t, &Externs::new(), CompileOptions::default()).is_ok());
}
