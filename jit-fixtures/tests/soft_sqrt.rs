//! `runtime.c`'s integer square root (used where there is no FPU) against the host's
//! correctly rounded `sqrt`, bit for bit, at the edges and on random doubles.

use proptest::prelude::*;

fn soft(x: f64) -> f64 {
    // SAFETY: a pure C function of one double, compiled into this crate by its build script.
    unsafe { jit_fixtures::tracejit_dsqrt_soft(x) }
}

fn same(x: f64) -> bool {
    let (a, b) = (soft(x), x.sqrt());
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn edges() {
    for x in [
        0.0,
        -0.0,
        1.0,
        2.0,
        4.0,
        0.5,
        5e-324,
        1e-310,
        2.2250738585072014e-308,
        f64::MAX,
        f64::INFINITY,
        -1.0,
        f64::NEG_INFINITY,
        f64::NAN,
        3.0,
        1e300,
        9.0e15 + 1.0,
    ] {
        assert!(same(x), "{x:e}: soft {:e}, host {:e}", soft(x), x.sqrt());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

    #[test]
    fn random_bit_patterns(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        prop_assert!(same(x), "{x:e} ({bits:#x}): soft {:e}, host {:e}", soft(x), x.sqrt());
    }
}
