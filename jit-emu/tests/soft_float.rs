//! The soft-float routines ARMv5TE code calls (runtime.c's `tracejit_dadd`/`tracejit_dsub`,
//! and `tracejit_dmul`/`tracejit_ddiv` on libgcc's `__aeabi_dmul`/`__aeabi_ddiv`), run on the
//! emulated ARM926, against the host's IEEE arithmetic bit for bit, NaNs included (every
//! NaN result is the canonical one): random bit patterns, and the shape that libgcc's
//! `__aeabi_dadd` misrounds (±2^k against an operand of the other sign 0–60 binades below).

use backend_arm::{FloatAbi, Profile};
use jit_emu::{CallRegs, Cpu, Machine};

/// An emulated ARM926 with the ARMv5TE runtime (runtime.c on libgcc) loaded, and its
/// symbols.
fn arm926_with_runtime() -> (Machine, std::collections::HashMap<String, u64>) {
    let (elf, _) = jit_emu::arm::runtime_fixture(Profile::V5te, FloatAbi::Softfp).unwrap();
    let mut m = Machine::new(Cpu::Arm926).unwrap();
    let symbols = m.load_elf(elf).unwrap();
    (m, symbols)
}

/// A xorshift64 sequence from `seed`.
fn xorshift(mut s: u64) -> impl FnMut() -> u64 {
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    }
}

#[test]
fn soft_float_routines_agree_with_the_host() {
    let (mut m, symbols) = arm926_with_runtime();
    let mut next = xorshift(0x1234_5678_9abc_def1);
    type Op = fn(f64, f64) -> f64;
    let ops: [(&str, Op); 4] = [
        ("tracejit_dadd", |a, b| a + b),
        ("tracejit_dsub", |a, b| a - b),
        ("tracejit_dmul", |a, b| a * b),
        ("tracejit_ddiv", |a, b| a / b),
    ];
    let mut wrong = Vec::new();
    for (name, host) in ops {
        let addr = symbols[name];
        for i in 0..10_000 {
            let (a, b) = if i % 2 == 0 {
                (f64::from_bits(next()), f64::from_bits(next()))
            } else {
                let k = (next() % 2000) as i32 - 1000;
                let gap = (next() % 60) as i32;
                let sign = if next() & 1 == 0 { 1.0 } else { -1.0 };
                let frac = (next() >> 12) as f64 / (1u64 << 52) as f64;
                (sign * 2f64.powi(k), 2f64.powi(k - gap) * (1.0 + frac))
            };
            let (x, y) = (a.to_bits(), b.to_bits());
            let regs = CallRegs {
                r: [x as u32, (x >> 32) as u32, y as u32, (y >> 32) as u32],
                d: [0; 8],
            };
            let out = m.call_at(addr, &regs, &[], 1_000_000).unwrap();
            let got = f64::from_bits(out.r[0] as u64 | (out.r[1] as u64) << 32);
            let mut want = host(a, b);
            if want.is_nan() {
                want = f64::from_bits(jit_core::ir::CANONICAL_NAN_BITS);
            }
            if got.to_bits() != want.to_bits() {
                wrong.push(format!("{name}({a:e}, {b:e}) = {got:e}, host {want:e}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{}",
        wrong[..wrong.len().min(20)].join("\n")
    );
}

/// Operands for an addition near cancellation: a power of two, a random significand or a
/// few low bits, against a second operand 0 to 69 binades below with any sign; a quarter
/// of the larger ones just above the subnormals, so the smaller is often subnormal.
fn near_cancellation(next: &mut impl FnMut() -> u64) -> (f64, f64) {
    let frac = 0xf_ffff_ffff_ffffu64;
    let ea = if next().is_multiple_of(4) {
        1 + (next() % 70) as i64
    } else {
        923 + (next() % 200) as i64
    };
    let eb = (ea - (next() % 70) as i64).max(0);
    let ma = match next() % 3 {
        0 => 0,
        1 => next() & frac,
        _ => next() & ((1u64 << (next() % 52)) - 1),
    };
    let mb = match next() % 4 {
        0 => next() & frac,
        1 => 0,
        2 => frac,
        _ => next() & frac & !((1u64 << (next() % 52)) - 1),
    };
    let a = f64::from_bits((next() & 1) << 63 | (ea as u64) << 52 | ma);
    let b = f64::from_bits((next() & 1) << 63 | (eb as u64) << 52 | mb);
    if next() & 1 == 0 {
        (a, b)
    } else {
        (b, a)
    }
}

/// `tracejit_dadd` calls libgcc's `__aeabi_dadd` except for operands of different signs
/// whose exponents (a subnormal's counted as 1) differ by 32 to 34. This measures where
/// libgcc misrounds, so that window keeps covering it: every wrong sum of 400,000 near
/// cancellations is at a difference of exactly 33, and the shape does occur.
#[test]
fn libgcc_misrounds_only_where_tracejit_dadd_does_not_call_it() {
    let (mut m, symbols) = arm926_with_runtime();
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    let exponent = |v: u64| ((v >> 52) & 0x7ff).max(1) as i64;
    let (mut libgcc_wrong, mut ours_wrong) = (Vec::new(), Vec::new());
    for _ in 0..400_000 {
        let (a, b) = near_cancellation(&mut next);
        let (x, y) = (a.to_bits(), b.to_bits());
        let regs = CallRegs {
            r: [x as u32, (x >> 32) as u32, y as u32, (y >> 32) as u32],
            d: [0; 8],
        };
        let want = (a + b).to_bits();
        for (name, wrong) in [
            ("__aeabi_dadd", &mut libgcc_wrong),
            ("tracejit_dadd", &mut ours_wrong),
        ] {
            let out = m.call_at(symbols[name], &regs, &[], 1_000_000).unwrap();
            let got = out.r[0] as u64 | (out.r[1] as u64) << 32;
            if got != want && !(a + b).is_nan() {
                wrong.push((a, b, (exponent(x) - exponent(y)).abs(), (x ^ y) >> 63));
            }
        }
    }
    assert!(
        ours_wrong.is_empty(),
        "tracejit_dadd: {:?}",
        &ours_wrong[..ours_wrong.len().min(10)]
    );
    assert!(
        libgcc_wrong.len() > 100,
        "the misrounded shape stopped occurring"
    );
    let outside: Vec<_> = libgcc_wrong
        .iter()
        .filter(|&&(_, _, d, signs)| d != 33 || signs != 1)
        .collect();
    assert!(
        outside.is_empty(),
        "libgcc misrounds elsewhere: {:?}",
        &outside[..outside.len().min(10)]
    );
}
