//! The ARM calling convention against GCC: `jit-fixtures/c/abi.c`, compiled by the Debian cross
//! compilers for hard-float and for softfp, is called in the emulator with every argument
//! placed where `backend_arm::abi` says, and every result read where it says, for all the
//! test kit's functions of 0 to 16 arguments of mixed types (i64 pairs that skip a
//! register, i64 in r2:r3 or on the stack, f64 past d7). Each result must equal the
//! interpreter's body of the same function.

use backend_arm::abi::{assign, result, ArgLoc, FloatAbi};
use jit_core::ir::{Scalar, Type};
use jit_emu::{CallRegs, Cpu, Machine};

fn fixture(abi: FloatAbi) -> Vec<u8> {
    jit_emu::arm::build_abi_fixture(abi).unwrap_or_else(|e| panic!("{e}"))
}

fn check_abi(abi: FloatAbi) -> usize {
    let mut m = Machine::new(Cpu::CortexA8).unwrap();
    let symbols = m.load_elf(&fixture(abi)).unwrap();
    let externs = jit_testkit::externs();
    let mut checked = 0;
    for (name, f) in externs.iter() {
        if !jit_testkit::callees::is_mixed_callee(name) {
            continue;
        }
        let addr = *symbols
            .get(name)
            .unwrap_or_else(|| panic!("the fixture lacks {name}"));
        let args = jit_testkit::callees::sample_args(&f.params);
        let (locs, stack_bytes) = assign(&f.params, abi);
        let mut regs = CallRegs::default();
        let mut stack = vec![0u8; stack_bytes as usize];
        for (loc, x) in locs.iter().zip(&args) {
            let bits = x.bits() as u64;
            match *loc {
                ArgLoc::Core(r) => regs.r[r as usize] = bits as u32,
                ArgLoc::CorePair(lo, hi) => {
                    regs.r[lo as usize] = bits as u32;
                    regs.r[hi as usize] = (bits >> 32) as u32;
                }
                ArgLoc::Vfp(d) => regs.d[d as usize] = bits,
                ArgLoc::VfpSingle(s) => {
                    let d = &mut regs.d[s as usize / 2];
                    let shift = 32 * (s % 2);
                    *d = *d & !(0xffff_ffff << shift) | (bits & 0xffff_ffff) << shift;
                }
                ArgLoc::Stack(off) => {
                    let n = if matches!(x.ty(), Type::I64 | Type::F64) {
                        8
                    } else {
                        4
                    };
                    stack[off as usize..off as usize + n].copy_from_slice(&bits.to_le_bytes()[..n]);
                }
            }
        }
        let out = m
            .call_at(addr, &regs, &stack, 100_000)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let ret = f.ret.expect("these functions return a value");
        let bits = match result(ret, abi) {
            ArgLoc::Core(r) => out.r[r as usize] as u64,
            ArgLoc::CorePair(lo, hi) => {
                out.r[lo as usize] as u64 | (out.r[hi as usize] as u64) << 32
            }
            ArgLoc::Vfp(d) => out.d[d as usize],
            ArgLoc::VfpSingle(s) => out.d[s as usize / 2] >> (32 * (s % 2)) & 0xffff_ffff,
            ArgLoc::Stack(_) => unreachable!("results come back in registers"),
        };
        let got = Scalar::from_bits(ret.value(), bits);
        let want = (f.body)(&args).expect("a result");
        assert!(
            got.same_result(want),
            "{name} under {abi:?}: GCC's code gives {got}, the interpreter {want}"
        );
        checked += 1;
    }
    checked
}

#[test]
fn gcc_hard_float_code_agrees_with_the_abi_module() {
    assert_eq!(check_abi(FloatAbi::Hard), 65);
}

#[test]
fn gcc_softfp_code_agrees_with_the_abi_module() {
    assert_eq!(check_abi(FloatAbi::Softfp), 65);
}
