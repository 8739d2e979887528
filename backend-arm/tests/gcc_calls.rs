//! JIT code calling GCC's code: every call case of the suite (0 to 16 arguments of mixed
//! types, constants, stacked arguments) and every generated call shape (narrow integers,
//! floats, up to 40 arguments, every interleaving of eight, no result, i64 in every
//! position, a seeded set) runs in the emulator with its callees being
//! `jit-fixtures/c/abi.c` and `jit_testkit::shapes::C_SOURCE` compiled by the Debian cross
//! compiler for the same profile and float ABI, so our argument placement meets GCC's, on
//! ARMv7 hard-float and softfp and on ARMv5TE. Results must equal the interpreter's, and
//! the call log (arguments as the AAPCS placed them at GCC's entry) the interpreter's
//! arguments. The target's own table has every fixture function return garbage, so a
//! result that comes out right was computed by GCC's code (a `void` callee's through
//! GCC's `shape_sink`).

use backend_arm::FloatAbi;
use jit_emu::arm::{abi_fixture, ArmTarget};
use jit_testkit::callees::{check_gcc_calls, garbage_for};

fn check(base: ArmTarget) -> usize {
    let (profile, float) = (base.arm_backend().profile(), base.arm_backend().float_abi());
    let (elf, symbols) = abi_fixture(profile, float).unwrap();
    let target = base
        .calling_image(elf.clone())
        .unwrap()
        .with_externs(garbage_for(|name| symbols.contains_key(name)));
    check_gcc_calls(&target, &format!("{float:?}"))
}

#[test]
fn jit_code_calls_gcc_code_hard_float() {
    assert!(check(ArmTarget::new(FloatAbi::Hard)) >= 250);
}

#[test]
fn jit_code_calls_gcc_code_softfp() {
    assert!(check(ArmTarget::new(FloatAbi::Softfp)) >= 250);
}

#[test]
fn jit_code_calls_gcc_code_armv5te_soft_float() {
    assert!(check(ArmTarget::armv5te()) >= 250);
}
