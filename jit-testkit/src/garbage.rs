//! Callees that leave garbage wherever System V leaves a result undefined: the bits of
//! `rax` above a narrow or 32-bit result, the lanes of `xmm0` above a `float`. Natively on
//! x86-64 each is an assembly entry around a Rust function (which logs the call with the
//! arguments exactly as their registers held them, so a caller that did not extend a
//! narrow argument shows in the call log); the emulated x86-64 target's trap slots leave
//! the same garbage for every callee, and the AAPCS (the ARM targets) has callees extend
//! their results, so there the host body's result is used as it is.
//!
//! `@garbage_i8(i8, i8) -> i8`, and likewise `u8`, `i16`, `u16`, `i32`, `u32`, compute
//! `a * 31 + (b ^ 0x5a)` at their width; `@garbage_f32(f32, f32) -> f32` returns the float
//! whose bits are `a ^ b`'s (an `i32` of bits in the IR).

use jit_core::ir::{CType, Scalar};
use jit_core::Externs;

/// What the integer functions compute, before the result is cut to its type.
fn int_value(a: i32, b: i32) -> i32 {
    a.wrapping_mul(31).wrapping_add(b ^ 0x5a)
}

/// Logs a native call with the arguments as received and returns the result's bits.
fn logged(name: &str, ty: CType, a: i32, b: i32) -> i32 {
    let r = if ty == CType::F32 {
        a ^ b
    } else {
        ty.fit(Scalar::I32(int_value(a, b))).bits() as i32
    };
    jit_core::externs::log_native_call(
        name,
        vec![Scalar::I32(a), Scalar::I32(b)],
        Some(Scalar::I32(r)),
    );
    r
}

macro_rules! twins {
    ($($name:ident: $ty:ident),*) => {
        $(
            pub(super) extern "C" fn $name(a: i32, b: i32) -> i32 {
                logged(stringify!($name), CType::$ty, a, b)
            }
        )*
    };
}

mod rust {
    use super::*;
    twins!(garbage_i8: I8, garbage_u8: U8, garbage_i16: I16, garbage_u16: U16,
           garbage_i32: I32, garbage_u32: U32);

    /// The float twin: arguments and result in xmm registers.
    pub(super) extern "C" fn garbage_f32(a: f32, b: f32) -> f32 {
        let r = logged(
            "garbage_f32",
            CType::F32,
            a.to_bits() as i32,
            b.to_bits() as i32,
        );
        f32::from_bits(r as u32)
    }
}

/// The functions: name, C type of both parameters and the result, and the Rust twin.
const FUNCTIONS: [(&str, CType); 7] = [
    ("garbage_i8", CType::I8),
    ("garbage_u8", CType::U8),
    ("garbage_i16", CType::I16),
    ("garbage_u16", CType::U16),
    ("garbage_i32", CType::I32),
    ("garbage_u32", CType::U32),
    ("garbage_f32", CType::F32),
];

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod imp {
    // Each entry aligns the stack, calls its Rust twin, and fills what the type leaves
    // undefined with garbage: the mask keeps the result's own bits.
    macro_rules! int_entry {
        ($entry:literal, $twin:path, $keep:literal) => {
            std::arch::global_asm!(
                concat!(".pushsection .text.", $entry, ",\"ax\",@progbits"),
                ".p2align 4",
                concat!(".globl ", $entry),
                concat!(".hidden ", $entry),
                concat!(".type ", $entry, ",@function"),
                concat!($entry, ":"),
                "push rbx",
                "call {twin}",
                concat!("mov r10, ", $keep),
                "and rax, r10",
                "not r10",
                "mov r11, 0xdeadbeefdeadbeef",
                "and r11, r10",
                "or rax, r11",
                "pop rbx",
                "ret",
                concat!(".size ", $entry, ", . - ", $entry),
                ".popsection",
                twin = sym $twin,
            );
        };
    }
    int_entry!("tracejit_garbage_i8", super::rust::garbage_i8, "0xff");
    int_entry!("tracejit_garbage_u8", super::rust::garbage_u8, "0xff");
    int_entry!("tracejit_garbage_i16", super::rust::garbage_i16, "0xffff");
    int_entry!("tracejit_garbage_u16", super::rust::garbage_u16, "0xffff");
    int_entry!(
        "tracejit_garbage_i32",
        super::rust::garbage_i32,
        "0xffffffff"
    );
    int_entry!(
        "tracejit_garbage_u32",
        super::rust::garbage_u32,
        "0xffffffff"
    );

    std::arch::global_asm!(
        ".pushsection .text.tracejit_garbage_f32,\"ax\",@progbits",
        ".p2align 4",
        ".globl tracejit_garbage_f32",
        ".hidden tracejit_garbage_f32",
        ".type tracejit_garbage_f32,@function",
        "tracejit_garbage_f32:",
        "push rbx",
        "call {twin}",
        // The float's bits below garbage in the rest of the low quadword.
        "movd eax, xmm0",
        "mov r11, 0xdeadbeef00000000",
        "or rax, r11",
        "movq xmm0, rax",
        "pop rbx",
        "ret",
        ".size tracejit_garbage_f32, . - tracejit_garbage_f32",
        ".popsection",
        twin = sym super::rust::garbage_f32,
    );

    extern "C" {
        fn tracejit_garbage_i8();
        fn tracejit_garbage_u8();
        fn tracejit_garbage_i16();
        fn tracejit_garbage_u16();
        fn tracejit_garbage_i32();
        fn tracejit_garbage_u32();
        fn tracejit_garbage_f32();
    }

    /// The entries, in `FUNCTIONS` order.
    pub fn addresses() -> [usize; 7] {
        [
            tracejit_garbage_i8 as *const () as usize,
            tracejit_garbage_u8 as *const () as usize,
            tracejit_garbage_i16 as *const () as usize,
            tracejit_garbage_u16 as *const () as usize,
            tracejit_garbage_i32 as *const () as usize,
            tracejit_garbage_u32 as *const () as usize,
            tracejit_garbage_f32 as *const () as usize,
        ]
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod imp {
    /// Elsewhere the Rust twins themselves (no garbage to leave).
    pub fn addresses() -> [usize; 7] {
        use super::rust::*;
        [
            garbage_i8 as *const () as usize,
            garbage_u8 as *const () as usize,
            garbage_i16 as *const () as usize,
            garbage_u16 as *const () as usize,
            garbage_i32 as *const () as usize,
            garbage_u32 as *const () as usize,
            garbage_f32 as *const () as usize,
        ]
    }
}

/// Adds the functions to `t`.
pub fn register(t: &mut Externs) {
    for ((name, ty), addr) in FUNCTIONS.into_iter().zip(imp::addresses()) {
        t.insert_native(
            name,
            &[ty, ty],
            Some(ty),
            move |a| {
                let (x, y) = (a.first()?.bits() as i32, a.get(1)?.bits() as i32);
                let r = if ty == CType::F32 {
                    x ^ y
                } else {
                    int_value(x, y)
                };
                Some(Scalar::I32(r))
            },
            addr,
        );
    }
}
