//! AAPCS64 against GCC: `jit-fixtures/c/abi.c`, compiled by `aarch64-linux-gnu-gcc`, is
//! called on the emulated AArch64 CPU with every argument placed where
//! `backend_aarch64::abi` says and every result read where it says, for all the test kit's
//! functions of 0 to 16 arguments of mixed types (integers past x7 and doubles past d7 on
//! the stack, in argument order). Each result must equal the interpreter's body of the
//! same function. A 32-bit argument's upper register bits are garbage: AAPCS64 has the
//! callee ignore them.

use backend_aarch64::abi::{assign, result, ArgLoc};
use jit_core::ir::{Scalar, Type};
use jit_emu::aarch64::{build_abi_fixture, A64Machine, A64Regs};

#[test]
fn gcc_aarch64_code_agrees_with_the_abi_module() {
    let elf = build_abi_fixture().unwrap_or_else(|e| panic!("{e}"));
    let mut m = A64Machine::new().unwrap();
    let symbols = m.load_elf(&elf).unwrap();
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
        let (locs, stack_bytes) = assign(&f.params);
        let mut regs = A64Regs::default();
        let mut stack = vec![0u8; stack_bytes as usize];
        for (loc, x) in locs.iter().zip(&args) {
            // A 32-bit value in the low half, garbage above it.
            let bits = match x.ty() {
                Type::I32 => (x.bits() as u64 & 0xffff_ffff) | 0xdead_beef << 32,
                _ => x.bits() as u64,
            };
            match *loc {
                ArgLoc::Int(r) => regs.x[r as usize] = bits,
                ArgLoc::Double(d) => regs.d[d as usize] = bits,
                ArgLoc::Single(s) => regs.d[s as usize] = bits & 0xffff_ffff,
                ArgLoc::Stack(off) => {
                    let off = off as usize;
                    stack[off..off + 8].copy_from_slice(&bits.to_le_bytes());
                }
            }
        }
        let out = m
            .call_at(addr, &regs, &stack, 100_000)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let ret = f.ret.expect("these functions return a value");
        let bits = match result(ret) {
            ArgLoc::Int(r) => out.x[r as usize],
            ArgLoc::Double(d) => out.d[d as usize],
            ArgLoc::Single(s) => out.d[s as usize] & 0xffff_ffff,
            ArgLoc::Stack(_) => unreachable!("results come back in registers"),
        };
        let got = Scalar::from_bits(ret.value(), bits);
        let want = (f.body)(&args).expect("a result");
        assert!(
            got.same_result(want),
            "{name}: GCC's code gives {got}, the interpreter {want}"
        );
        checked += 1;
    }
    assert_eq!(checked, 65);
}
