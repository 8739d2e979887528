//! The C fixtures of `c/`, compiled for this machine, as external functions: each under its
//! own name with the interpreter body of the test kit's function of the same name, so x86-64
//! JIT code calling GCC's (or the host compiler's) code is compared with the interpreter.

#![warn(missing_docs)]

use jit_core::Externs;

extern "C" {
    /// `runtime.c`'s integer-only, correctly rounded square root (what targets without an
    /// FPU use), built for this machine so it can be checked against the host's.
    pub fn tracejit_dsqrt_soft(x: f64) -> f64;
    /// `runtime.c`'s integer-only, correctly rounded addition (what targets without an FPU
    /// use instead of libgcc's `__aeabi_dadd`), built for this machine to check it.
    pub fn tracejit_dadd_soft(x: f64, y: f64) -> f64;
    /// The same for subtraction.
    pub fn tracejit_dsub_soft(x: f64, y: f64) -> f64;
    fn c0() -> i64;
    fn ci1(a0: i32) -> i64;
    fn cl1(a0: i64) -> i32;
    fn cf1(a0: f64) -> f64;
    fn cm1(a0: i32) -> i64;
    fn ci2(a0: i32, a1: i32) -> i64;
    fn cl2(a0: i64, a1: i64) -> i32;
    fn cf2(a0: f64, a1: f64) -> f64;
    fn cm2(a0: i32, a1: f64) -> i64;
    fn ci3(a0: i32, a1: i32, a2: i32) -> i64;
    fn cl3(a0: i64, a1: i64, a2: i64) -> i32;
    fn cf3(a0: f64, a1: f64, a2: f64) -> f64;
    fn cm3(a0: i32, a1: f64, a2: i64) -> i64;
    fn ci4(a0: i32, a1: i32, a2: i32, a3: i32) -> i64;
    fn cl4(a0: i64, a1: i64, a2: i64, a3: i64) -> i32;
    fn cf4(a0: f64, a1: f64, a2: f64, a3: f64) -> f64;
    fn cm4(a0: i32, a1: f64, a2: i64, a3: f64) -> i64;
    fn ci5(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32) -> i64;
    fn cl5(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64) -> i32;
    fn cf5(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64) -> f64;
    fn cm5(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32) -> i64;
    fn ci6(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32) -> i64;
    fn cl6(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64) -> i32;
    fn cf6(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64) -> f64;
    fn cm6(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64) -> i64;
    fn ci7(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32) -> i64;
    fn cl7(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64, a6: i64) -> i32;
    fn cf7(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64, a6: f64) -> f64;
    fn cm7(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64, a6: f64) -> i64;
    fn ci8(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32) -> i64;
    fn cl8(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64, a6: i64, a7: i64) -> i32;
    fn cf8(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64, a6: f64, a7: f64) -> f64;
    fn cm8(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64, a6: f64, a7: f64) -> i64;
    fn ci9(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32, a8: i32) -> i64;
    fn cl9(a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64, a6: i64, a7: i64, a8: i64) -> i32;
    fn cf9(a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64, a6: f64, a7: f64, a8: f64) -> f64;
    fn cm9(a0: i32, a1: f64, a2: i64, a3: f64, a4: i32, a5: i64, a6: f64, a7: f64, a8: i32) -> i64;
    fn ci10(
        a0: i32,
        a1: i32,
        a2: i32,
        a3: i32,
        a4: i32,
        a5: i32,
        a6: i32,
        a7: i32,
        a8: i32,
        a9: i32,
    ) -> i64;
    fn cl10(
        a0: i64,
        a1: i64,
        a2: i64,
        a3: i64,
        a4: i64,
        a5: i64,
        a6: i64,
        a7: i64,
        a8: i64,
        a9: i64,
    ) -> i32;
    fn cf10(
        a0: f64,
        a1: f64,
        a2: f64,
        a3: f64,
        a4: f64,
        a5: f64,
        a6: f64,
        a7: f64,
        a8: f64,
        a9: f64,
    ) -> f64;
    fn cm10(
        a0: i32,
        a1: f64,
        a2: i64,
        a3: f64,
        a4: i32,
        a5: i64,
        a6: f64,
        a7: f64,
        a8: i32,
        a9: i64,
    ) -> i64;
    fn ci11(
        a0: i32,
        a1: i32,
        a2: i32,
        a3: i32,
        a4: i32,
        a5: i32,
        a6: i32,
        a7: i32,
        a8: i32,
        a9: i32,
        a10: i32,
    ) -> i64;
    fn cl11(
        a0: i64,
        a1: i64,
        a2: i64,
        a3: i64,
        a4: i64,
        a5: i64,
        a6: i64,
        a7: i64,
        a8: i64,
        a9: i64,
        a10: i64,
    ) -> i32;
    fn cf11(
        a0: f64,
        a1: f64,
        a2: f64,
        a3: f64,
        a4: f64,
        a5: f64,
        a6: f64,
        a7: f64,
        a8: f64,
        a9: f64,
        a10: f64,
    ) -> f64;
    fn cm11(
        a0: i32,
        a1: f64,
        a2: i64,
        a3: f64,
        a4: i32,
        a5: i64,
        a6: f64,
        a7: f64,
        a8: i32,
        a9: i64,
        a10: f64,
    ) -> i64;
    fn ci12(
        a0: i32,
        a1: i32,
        a2: i32,
        a3: i32,
        a4: i32,
        a5: i32,
        a6: i32,
        a7: i32,
        a8: i32,
        a9: i32,
        a10: i32,
        a11: i32,
    ) -> i64;
    fn cl12(
        a0: i64,
        a1: i64,
        a2: i64,
        a3: i64,
        a4: i64,
        a5: i64,
        a6: i64,
        a7: i64,
        a8: i64,
        a9: i64,
        a10: i64,
        a11: i64,
    ) -> i32;
    fn cf12(
        a0: f64,
        a1: f64,
        a2: f64,
        a3: f64,
        a4: f64,
        a5: f64,
        a6: f64,
        a7: f64,
        a8: f64,
        a9: f64,
        a10: f64,
        a11: f64,
    ) -> f64;
    fn cm12(
        a0: i32,
        a1: f64,
        a2: i64,
        a3: f64,
        a4: i32,
        a5: i64,
        a6: f64,
        a7: f64,
        a8: i32,
        a9: i64,
        a10: f64,
        a11: i32,
    ) -> i64;
    fn ci13(
        a0: i32,
        a1: i32,
        a2: i32,
        a3: i32,
        a4: i32,
        a5: i32,
        a6: i32,
        a7: i32,
        a8: i32,
        a9: i32,
        a10: i32,
        a11: i32,
        a12: i32,
    ) -> i64;
    fn cl13(
        a0: i64,
        a1: i64,
        a2: i64,
        a3: i64,
        a4: i64,
        a5: i64,
        a6: i64,
        a7: i64,
        a8: i64,
        a9: i64,
        a10: i64,
        a11: i64,
        a12: i64,
    ) -> i32;
    fn cf13(
        a0: f64,
        a1: f64,
        a2: f64,
        a3: f64,
        a4: f64,
        a5: f64,
        a6: f64,
        a7: f64,
        a8: f64,
        a9: f64,
        a10: f64,
        a11: f64,
        a12: f64,
    ) -> f64;
    fn cm13(
        a0: i32,
        a1: f64,
        a2: i64,
        a3: f64,
        a4: i32,
        a5: i64,
        a6: f64,
        a7: f64,
        a8: i32,
        a9: i64,
        a10: f64,
        a11: i32,
        a12: i64,
    ) -> i64;
    fn ci14(
        a0: i32,
        a1: i32,
        a2: i32,
        a3: i32,
        a4: i32,
        a5: i32,
        a6: i32,
        a7: i32,
        a8: i32,
        a9: i32,
        a10: i32,
        a11: i32,
        a12: i32,
        a13: i32,
    ) -> i64;
    fn cl14(
        a0: i64,
        a1: i64,
        a2: i64,
        a3: i64,
        a4: i64,
        a5: i64,
        a6: i64,
        a7: i64,
        a8: i64,
        a9: i64,
        a10: i64,
        a11: i64,
        a12: i64,
        a13: i64,
    ) -> i32;
    fn cf14(
        a0: f64,
        a1: f64,
        a2: f64,
        a3: f64,
        a4: f64,
        a5: f64,
        a6: f64,
        a7: f64,
        a8: f64,
        a9: f64,
        a10: f64,
        a11: f64,
        a12: f64,
        a13: f64,
    ) -> f64;
    fn cm14(
        a0: i32,
        a1: f64,
        a2: i64,
        a3: f64,
        a4: i32,
        a5: i64,
        a6: f64,
        a7: f64,
        a8: i32,
        a9: i64,
        a10: f64,
        a11: i32,
        a12: i64,
        a13: f64,
    ) -> i64;
    fn ci15(
        a0: i32,
        a1: i32,
        a2: i32,
        a3: i32,
        a4: i32,
        a5: i32,
        a6: i32,
        a7: i32,
        a8: i32,
        a9: i32,
        a10: i32,
        a11: i32,
        a12: i32,
        a13: i32,
        a14: i32,
    ) -> i64;
    fn cl15(
        a0: i64,
        a1: i64,
        a2: i64,
        a3: i64,
        a4: i64,
        a5: i64,
        a6: i64,
        a7: i64,
        a8: i64,
        a9: i64,
        a10: i64,
        a11: i64,
        a12: i64,
        a13: i64,
        a14: i64,
    ) -> i32;
    fn cf15(
        a0: f64,
        a1: f64,
        a2: f64,
        a3: f64,
        a4: f64,
        a5: f64,
        a6: f64,
        a7: f64,
        a8: f64,
        a9: f64,
        a10: f64,
        a11: f64,
        a12: f64,
        a13: f64,
        a14: f64,
    ) -> f64;
    fn cm15(
        a0: i32,
        a1: f64,
        a2: i64,
        a3: f64,
        a4: i32,
        a5: i64,
        a6: f64,
        a7: f64,
        a8: i32,
        a9: i64,
        a10: f64,
        a11: i32,
        a12: i64,
        a13: f64,
        a14: i32,
    ) -> i64;
    fn ci16(
        a0: i32,
        a1: i32,
        a2: i32,
        a3: i32,
        a4: i32,
        a5: i32,
        a6: i32,
        a7: i32,
        a8: i32,
        a9: i32,
        a10: i32,
        a11: i32,
        a12: i32,
        a13: i32,
        a14: i32,
        a15: i32,
    ) -> i64;
    fn cl16(
        a0: i64,
        a1: i64,
        a2: i64,
        a3: i64,
        a4: i64,
        a5: i64,
        a6: i64,
        a7: i64,
        a8: i64,
        a9: i64,
        a10: i64,
        a11: i64,
        a12: i64,
        a13: i64,
        a14: i64,
        a15: i64,
    ) -> i32;
    fn cf16(
        a0: f64,
        a1: f64,
        a2: f64,
        a3: f64,
        a4: f64,
        a5: f64,
        a6: f64,
        a7: f64,
        a8: f64,
        a9: f64,
        a10: f64,
        a11: f64,
        a12: f64,
        a13: f64,
        a14: f64,
        a15: f64,
    ) -> f64;
    fn cm16(
        a0: i32,
        a1: f64,
        a2: i64,
        a3: f64,
        a4: i32,
        a5: i64,
        a6: f64,
        a7: f64,
        a8: i32,
        a9: i64,
        a10: f64,
        a11: i32,
        a12: i64,
        a13: f64,
        a14: i32,
        a15: f64,
    ) -> i64;
}

/// The names of the functions in `c/abi.c`.
pub const ABI_FUNCTIONS: &[&str] = &[
    "c0", "ci1", "cl1", "cf1", "cm1", "ci2", "cl2", "cf2", "cm2", "ci3", "cl3", "cf3", "cm3",
    "ci4", "cl4", "cf4", "cm4", "ci5", "cl5", "cf5", "cm5", "ci6", "cl6", "cf6", "cm6", "ci7",
    "cl7", "cf7", "cm7", "ci8", "cl8", "cf8", "cm8", "ci9", "cl9", "cf9", "cm9", "ci10", "cl10",
    "cf10", "cm10", "ci11", "cl11", "cf11", "cm11", "ci12", "cl12", "cf12", "cm12", "ci13", "cl13",
    "cf13", "cm13", "ci14", "cl14", "cf14", "cm14", "ci15", "cl15", "cf15", "cm15", "ci16", "cl16",
    "cf16", "cm16",
];

/// The native address of an `abi.c` function.
fn address(name: &str) -> Option<usize> {
    Some(match name {
        "c0" => c0 as *const () as usize,
        "ci1" => ci1 as *const () as usize,
        "cl1" => cl1 as *const () as usize,
        "cf1" => cf1 as *const () as usize,
        "cm1" => cm1 as *const () as usize,
        "ci2" => ci2 as *const () as usize,
        "cl2" => cl2 as *const () as usize,
        "cf2" => cf2 as *const () as usize,
        "cm2" => cm2 as *const () as usize,
        "ci3" => ci3 as *const () as usize,
        "cl3" => cl3 as *const () as usize,
        "cf3" => cf3 as *const () as usize,
        "cm3" => cm3 as *const () as usize,
        "ci4" => ci4 as *const () as usize,
        "cl4" => cl4 as *const () as usize,
        "cf4" => cf4 as *const () as usize,
        "cm4" => cm4 as *const () as usize,
        "ci5" => ci5 as *const () as usize,
        "cl5" => cl5 as *const () as usize,
        "cf5" => cf5 as *const () as usize,
        "cm5" => cm5 as *const () as usize,
        "ci6" => ci6 as *const () as usize,
        "cl6" => cl6 as *const () as usize,
        "cf6" => cf6 as *const () as usize,
        "cm6" => cm6 as *const () as usize,
        "ci7" => ci7 as *const () as usize,
        "cl7" => cl7 as *const () as usize,
        "cf7" => cf7 as *const () as usize,
        "cm7" => cm7 as *const () as usize,
        "ci8" => ci8 as *const () as usize,
        "cl8" => cl8 as *const () as usize,
        "cf8" => cf8 as *const () as usize,
        "cm8" => cm8 as *const () as usize,
        "ci9" => ci9 as *const () as usize,
        "cl9" => cl9 as *const () as usize,
        "cf9" => cf9 as *const () as usize,
        "cm9" => cm9 as *const () as usize,
        "ci10" => ci10 as *const () as usize,
        "cl10" => cl10 as *const () as usize,
        "cf10" => cf10 as *const () as usize,
        "cm10" => cm10 as *const () as usize,
        "ci11" => ci11 as *const () as usize,
        "cl11" => cl11 as *const () as usize,
        "cf11" => cf11 as *const () as usize,
        "cm11" => cm11 as *const () as usize,
        "ci12" => ci12 as *const () as usize,
        "cl12" => cl12 as *const () as usize,
        "cf12" => cf12 as *const () as usize,
        "cm12" => cm12 as *const () as usize,
        "ci13" => ci13 as *const () as usize,
        "cl13" => cl13 as *const () as usize,
        "cf13" => cf13 as *const () as usize,
        "cm13" => cm13 as *const () as usize,
        "ci14" => ci14 as *const () as usize,
        "cl14" => cl14 as *const () as usize,
        "cf14" => cf14 as *const () as usize,
        "cm14" => cm14 as *const () as usize,
        "ci15" => ci15 as *const () as usize,
        "cl15" => cl15 as *const () as usize,
        "cf15" => cf15 as *const () as usize,
        "cm15" => cm15 as *const () as usize,
        "ci16" => ci16 as *const () as usize,
        "cl16" => cl16 as *const () as usize,
        "cf16" => cf16 as *const () as usize,
        "cm16" => cm16 as *const () as usize,
        _ => return None,
    })
}

/// The test kit's externs with every `abi.c` function's native address replaced by the C
/// one: the interpreter still runs the Rust body, native code calls the C code.
pub fn externs() -> Externs {
    let mut t = jit_testkit::externs();
    for name in ABI_FUNCTIONS {
        let f = t
            .get(name)
            .cloned()
            .expect("abi.c mirrors a test-kit function");
        let body = f.body.clone();
        t.insert_native(
            name,
            &f.params,
            f.ret,
            move |a| body(a),
            address(name).expect("listed"),
        );
    }
    t
}
