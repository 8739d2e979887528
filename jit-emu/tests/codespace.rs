//! The emulated machines' code regions as code spaces: code is allocated and written into
//! them, and only an explicit flush makes the CPU see new bytes — a patch without one runs
//! the stale code, as a missing instruction-cache flush would on real ARM hardware.

use jit_core::codespace::{load, patch, CodeSpace, CodeSpaceError};
use jit_emu::x86::X86Machine;
use jit_emu::{Cpu, Machine, CODE_BASE, CODE_LIMIT};

/// `mov r0, #n; bx lr`.
fn arm_return(n: u8) -> Vec<u8> {
    [0xe3a0_0000 | n as u32, 0xe12f_ff1e]
        .iter()
        .flat_map(|w: &u32| w.to_le_bytes())
        .collect()
}

/// `mov eax, n; ret`.
fn x86_return(n: u8) -> Vec<u8> {
    vec![0xb8, n, 0, 0, 0, 0xc3]
}

#[test]
fn arm_code_runs_from_the_space_and_a_patch_needs_a_flush() {
    for cpu in [Cpu::CortexA8, Cpu::Arm926] {
        let mut m = Machine::new(cpu).unwrap();
        let a = load(&mut m, &arm_return(1)).unwrap();
        let b = load(&mut m, &arm_return(2)).unwrap();
        assert_eq!((a, b), (CODE_BASE, CODE_BASE + 16));
        assert_eq!(m.call(a - CODE_BASE, 0, 100).unwrap(), 1);
        assert_eq!(m.call(b - CODE_BASE, 0, 100).unwrap(), 2);
        // Written but not flushed: the CPU still runs its translation of the old bytes.
        m.write(a, &arm_return(7)).unwrap();
        assert_eq!(m.read(a, 8).unwrap(), arm_return(7));
        assert_eq!(m.call(a - CODE_BASE, 0, 100).unwrap(), 1, "{cpu:?}");
        m.flush(a, 8).unwrap();
        assert_eq!(m.call(a - CODE_BASE, 0, 100).unwrap(), 7);
        patch(&mut m, b, &arm_return(9)).unwrap();
        assert_eq!(m.call(b - CODE_BASE, 0, 100).unwrap(), 9);
        // Nothing outside what was handed out can be written.
        assert!(matches!(
            m.write(b + 8, &[0; 4]),
            Err(CodeSpaceError::OutOfBounds { .. })
        ));
        assert!(matches!(
            m.allocate(CODE_LIMIT as usize),
            Err(CodeSpaceError::Full { .. })
        ));
        // Loading a trace the old way starts the space over.
        m.load_code(&arm_return(3)).unwrap();
        assert_eq!(m.call(0, 0, 100).unwrap(), 3);
        assert_eq!(load(&mut m, &arm_return(4)).unwrap(), CODE_BASE + 16);
    }
}

#[test]
fn x86_code_runs_from_the_space_and_a_patch_needs_a_flush() {
    let mut m = X86Machine::new().unwrap();
    let a = load(&mut m, &x86_return(1)).unwrap();
    assert_eq!(m.call(a, &[], &[], 100).unwrap().0, 1);
    m.write(a + 1, &[5]).unwrap();
    assert_eq!(m.call(a, &[], &[], 100).unwrap().0, 1);
    m.flush(a, 6).unwrap();
    assert_eq!(m.call(a, &[], &[], 100).unwrap().0, 5);
}
