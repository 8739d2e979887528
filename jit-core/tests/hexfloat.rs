//! Hex float literals (`0x1.8p-3`) read back every double exactly and round the ones that
//! need more bits to nearest, ties to even.

use jit_core::text::{parse_args, ArgSpec};
use proptest::prelude::*;

fn read(lit: &str) -> u64 {
    match parse_args(lit).unwrap_or_else(|e| panic!("{lit}: {e}"))[..] {
        [ArgSpec::Float(b)] => b,
        ref other => panic!("{lit}: {other:?}"),
    }
}

/// The exact hex form of a finite double.
fn hex(x: f64) -> String {
    let b = x.to_bits();
    let sign = if b >> 63 == 1 { "-" } else { "" };
    let exp = ((b >> 52) & 0x7ff) as i64;
    let frac = b & ((1 << 52) - 1);
    if exp == 0 {
        format!("{sign}0x0.{frac:013x}p-1022")
    } else {
        format!("{sign}0x1.{frac:013x}p{}", exp - 1023)
    }
}

#[test]
fn edges() {
    for (lit, want) in [
        ("0x1p3", 8.0),
        ("0x1.8p-3", 0.1875),
        ("-0x1p0", -1.0),
        ("0X1P+4", 16.0),
        ("0x.8p1", 1.0),
        ("0x10p-4", 1.0),
        ("0x1p-1074", f64::from_bits(1)),
        ("0x1p-1075", 0.0),                 // a tie, to even (zero)
        ("0x1.8p-1075", f64::from_bits(1)), // above the tie
        ("0x3p-1075", f64::from_bits(2)),   // 1.5 ulp, a tie, to even
        ("0x1.fffffffffffff8p0", 2.0),      // a tie, to even (up)
        (
            "0x1.fffffffffffff7ffffffffp0",
            f64::from_bits(0x3fff_ffff_ffff_ffff),
        ),
        ("0x1.00000000000008p0", 1.0), // a tie, to even (down)
        ("0x1.000000000000080000001p0", 1.0 + f64::EPSILON), // just above the tie
        ("0x1.fffffffffffffp1023", f64::MAX),
        ("0x1p1024", f64::INFINITY),
        ("0x1.fffffffffffff8p1023", f64::INFINITY),
        ("0x0p0", 0.0),
        ("0x1p-99999999999999999999", 0.0),
        ("0x1p99999999999999999999", f64::INFINITY),
    ] {
        assert_eq!(read(lit), want.to_bits(), "{lit}");
    }
    for bad in ["0xp3", "0x1p", "0x1.2.3p1", "0x1pz", "0x1p3L"] {
        assert!(parse_args(bad).is_err(), "{bad}");
    }
}

proptest! {
    #[test]
    fn every_finite_double_reads_back(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        prop_assert_eq!(read(&hex(x)), bits, "{}", hex(x));
    }
}
