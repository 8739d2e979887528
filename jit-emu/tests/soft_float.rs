//! The soft-float routines ARMv5TE code calls (runtime.c's `tracejit_dadd`/`tracejit_dsub`,
//! and `tracejit_dmul`/`tracejit_ddiv` on libgcc's `__aeabi_dmul`/`__aeabi_ddiv`), run on the
//! emulated ARM926, against the host's IEEE arithmetic bit for bit, NaNs included (every
//! NaN result is the canonical one): random bit patterns, and the shape that libgcc's
//! `__aeabi_dadd` misrounds (±2^k against an operand of the other sign 0–60 binades below).

use backend_arm::{FloatAbi, Profile};
use jit_emu::{CallRegs, Cpu, Machine};

#[test]
fn soft_float_routines_agree_with_the_host() {
    let (elf, _) = jit_emu::arm::runtime_fixture(Profile::V5te, FloatAbi::Softfp).unwrap();
    let mut m = Machine::new(Cpu::Arm926).unwrap();
    let symbols = m.load_elf(elf).unwrap();
    let mut s: u64 = 0x1234_5678_9abc_def1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
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
