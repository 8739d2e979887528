//! The emulated machine on hand-assembled A32 code (each word as GNU as 2.40,
//! `arm-linux-gnueabihf-as -march=armv7-a -mfpu=vfpv3-d16`, encodes the asm beside it).

use jit_core::backend::{CompiledTrace, ExitInfo, ExitLoc};
use jit_core::interp::{ExitKind, RunOptions};
use jit_core::ir::{ExitId, Scalar, Type};
use jit_core::runtime::{RunError, Runner};
use jit_core::Memory;
use jit_emu::{Cpu, EmuError, EmuTrace, Machine, CODE_BASE, FRAME_BASE, RETURN_ADDR};

fn code(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

const MOV_R0_42: u32 = 0xe3a0_002a; // mov r0, #42
const MOV_R0_7: u32 = 0xe3a0_0007; // mov r0, #7
const BX_LR: u32 = 0xe12f_ff1e; // bx lr
const B_SELF: u32 = 0xeaff_fffe; // b .
const STR_R0_R0: u32 = 0xe580_0000; // str r0, [r0]
const VMOV_D0_1: u32 = 0xeeb7_0b00; // vmov.f64 d0, #1.0
const VADD_D0: u32 = 0xee30_0b00; // vadd.f64 d0, d0, d0
const VSTR_D0_R0: u32 = 0xed80_0b00; // vstr d0, [r0]
const MOV_PC_FAR: u32 = 0xe3a0_f101; // mov pc, #0x40000000

#[test]
fn code_runs_and_returns_on_both_cpus() {
    for cpu in [Cpu::CortexA8, Cpu::Arm926] {
        let mut m = Machine::new(cpu).unwrap();
        m.load_code(&code(&[MOV_R0_42, BX_LR])).unwrap();
        assert_eq!(m.call(0, 0, 100), Ok(42), "{cpu:?}");
    }
}

#[test]
fn reloading_code_drops_the_stale_translation() {
    let mut m = Machine::new(Cpu::CortexA8).unwrap();
    m.load_code(&code(&[MOV_R0_42, BX_LR])).unwrap();
    assert_eq!(m.call(0, 0, 100), Ok(42));
    m.load_code(&code(&[MOV_R0_7, BX_LR])).unwrap();
    assert_eq!(m.call(0, 0, 100), Ok(7));
}

#[test]
fn a_shorter_reload_leaves_nothing_of_the_longer_code_behind() {
    // Machines are reused across traces: code that runs off its end must not find the
    // previous trace's instructions there.
    let mut m = Machine::new(Cpu::CortexA8).unwrap();
    m.load_code(&code(&[MOV_R0_42, MOV_R0_42, MOV_R0_42, BX_LR]))
        .unwrap();
    assert_eq!(m.call(0, 0, 100), Ok(42));
    m.load_code(&code(&[MOV_R0_7])).unwrap();
    assert!(m.call(0, 0, 100).is_err());
}

#[test]
fn vfp_runs_on_the_cortex_a8_and_traps_on_the_arm926() {
    let prog = code(&[VMOV_D0_1, VADD_D0, VSTR_D0_R0, BX_LR]);
    let mut m = Machine::new(Cpu::CortexA8).unwrap();
    m.load_code(&prog).unwrap();
    m.write_frame(&[0]).unwrap();
    m.call(0, FRAME_BASE as u32, 100).unwrap();
    assert_eq!(m.read_frame(1).unwrap(), [2.0f64.to_bits()]);
    let mut m = Machine::new(Cpu::Arm926).unwrap();
    m.load_code(&prog).unwrap();
    assert_eq!(
        m.call(0, FRAME_BASE as u32, 100),
        Err(EmuError::BadInstruction { pc: CODE_BASE })
    );
}

#[test]
fn faults_and_runaway_loops_are_errors_naming_the_address() {
    let mut m = Machine::new(Cpu::CortexA8).unwrap();
    m.load_code(&code(&[STR_R0_R0, BX_LR])).unwrap();
    let e = m.call(0, 0x5000_0000, 100).unwrap_err();
    assert_eq!(
        e,
        EmuError::BadAccess {
            kind: "write",
            addr: 0x5000_0000,
            pc: CODE_BASE
        }
    );
    assert_eq!(
        e.to_string(),
        "write of unmapped address 0x50000000 by the instruction at 0x10000"
    );

    m.load_code(&code(&[MOV_PC_FAR])).unwrap();
    match m.call(0, 0, 100).unwrap_err() {
        EmuError::BadAccess {
            kind: "fetch",
            addr: 0x4000_0000,
            ..
        } => {}
        other => panic!("{other:?}"),
    }

    m.load_code(&code(&[B_SELF])).unwrap();
    let e = m.call(0, 0, 10_000).unwrap_err();
    assert_eq!(
        e,
        EmuError::Budget {
            blocks: 10_000,
            pc: CODE_BASE
        }
    );
    // The machine still works afterwards.
    m.load_code(&code(&[MOV_R0_42, BX_LR])).unwrap();
    assert_eq!(m.call(0, 0, 100), Ok(42));
    let _ = RETURN_ADDR;
}

#[test]
fn buffers_live_at_the_interpreters_addresses() {
    // ldr r2, [r1]; add r2, r2, r2; str r2, [r1, #4]; mov r0, r2; bx lr
    let prog = code(&[0xe591_2000, 0xe082_2002, 0xe581_2004, 0xe1a0_0002, BX_LR]);
    let mut memory = Memory::new();
    let addr = memory.alloc_bytes(vec![21, 0, 0, 0, 0, 0, 0, 0]).unwrap();
    let mut m = Machine::new(Cpu::Arm926).unwrap();
    m.load_code(&prog).unwrap();
    m.write_memory(&memory).unwrap();
    // r1 is the buffer's address: set through a tiny prologue instead of a register API.
    let mut with_r1 = code(&[0xe1a0_1000]); // mov r1, r0
    with_r1.extend(&prog);
    m.load_code(&with_r1).unwrap();
    assert_eq!(m.call(0, addr as u32, 100), Ok(42));
    m.read_memory(&mut memory).unwrap();
    assert_eq!(memory.buffers()[0].bytes, [21, 0, 0, 0, 42, 0, 0, 0]);
    // A buffer dropped from memory is unmapped on the next run.
    m.write_memory(&Memory::new()).unwrap();
    assert!(matches!(
        m.call(0, addr as u32, 100),
        Err(EmuError::BadAccess { kind: "read", .. })
    ));
}

#[test]
fn a_compiled_trace_runs_through_the_runner_interface() {
    // The frame word of input 0 is 34 (byte 272); the exit value goes to word 35 (byte 280).
    // ldr r1, [r0, #272]; add r1, r1, #1; str r1, [r0, #280]; mov r0, #0; bx lr
    let prog = code(&[0xe590_1110, 0xe281_1001, 0xe580_1118, 0xe3a0_0000, BX_LR]);
    let compiled = CompiledTrace {
        triple: "armv7-unknown-linux-gnueabihf".parse().unwrap(),
        code: prog,
        op_offsets: vec![0, 20],
        exits: vec![ExitInfo {
            id: ExitId(3),
            op: 1,
            finish: true,
            values: vec![(Type::I32, ExitLoc::Frame(35))],
        }],
        frame_words: 36,
        inputs: vec![ExitLoc::Frame(34)],
        budget_word: None,
        budget_exit: 1,
        budget_values: vec![],
        jump_token: None,
        first_jump_steps: 0,
        iteration_steps: 0,
        invalidation: Vec::new(),
        calls: vec![],
        text_len: 20,
        data_ranges: vec![],
        // Slot 0 at word 34: a save area of 16 + 14 words, as x86-64's.
        layout: jit_core::frame::FrameLayout::with_save_area(16, 14),
        frame: jit_core::frame::NativeFrame {
            saved: jit_core::backend::RegSet::EMPTY,
            outgoing_bytes: 0,
        },
        exit_states: vec![],
        exit_locs: vec![],
        labels: vec![],
        relocs: vec![],
        common_exit: 16,
        epilogue: 16,
        first_exit: 0,
        exit_branches: vec![],
        exit_nan_arith: vec![],
        objects: vec![],
    };
    let mut t = EmuTrace::load(Cpu::CortexA8, compiled, vec![Type::I32]).unwrap();
    let out = t
        .run(
            &[Scalar::I32(41)],
            &mut Memory::new(),
            RunOptions::default(),
        )
        .unwrap();
    assert_eq!(
        (out.kind, out.exit, out.values),
        (ExitKind::Finish, ExitId(3), vec![Scalar::I32(42)])
    );
    let e = t
        .run(
            &[Scalar::f64(1.0)],
            &mut Memory::new(),
            RunOptions::default(),
        )
        .unwrap_err();
    assert_eq!(e, RunError::Inputs("input 0 must be i32, f64 given".into()));
}

#[test]
fn calls_into_trap_slots_reach_the_host_and_clobber_what_a_callee_may() {
    // push {r4, lr}; movw ip, #8; movt ip, #0xe00; blx ip; add r0, r0, #1; pop {r4, pc}
    // (slot 2 is at TRAP_BASE + 8; sp stays 8-byte aligned, as the AAPCS wants at calls)
    let prog = code(&[
        0xe92d_4010,
        0xe300_c008,
        0xe340_ce00,
        0xe12f_ff3c,
        0xe280_0001,
        0xe8bd_8010,
    ]);
    let mut m = Machine::new(Cpu::CortexA8).unwrap();
    m.load_code(&prog).unwrap();
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let log = seen.clone();
    m.set_trap_handler(Box::new(move |index, regs, _stack| {
        log.borrow_mut().push((index, regs.r[0]));
        let mut out = jit_emu::CallRegs::default();
        out.r[0] = regs.r[0] * 3;
        out.r[1] = 0xdead_beef;
        Ok(jit_emu::TrapAction::Return(out))
    }));
    assert_eq!(Machine::trap_address(2), jit_emu::TRAP_BASE + 8);
    assert_eq!(m.call(0, 14, 1000), Ok(43));
    assert_eq!(*seen.borrow(), [(2, 14)]);
    // A handler's error ends the run with it.
    m.set_trap_handler(Box::new(|_, _, _| Err("no such function".into())));
    assert_eq!(
        m.call(0, 1, 1000),
        Err(EmuError::HostCall("no such function".into()))
    );
}

#[test]
fn returning_with_a_callee_saved_register_changed_is_an_error() {
    const MOV_R4_1: u32 = 0xe3a0_4001; // mov r4, #1
    const MOV_FP_1: u32 = 0xe3a0_b001; // mov fp, #1
    const VMOV_D8_1: u32 = 0xeeb7_8b00; // vmov.f64 d8, #1.0
    let mut m = Machine::new(Cpu::CortexA8).unwrap();
    for (word, reg) in [(MOV_R4_1, "r4"), (MOV_FP_1, "r11"), (VMOV_D8_1, "d8")] {
        m.load_code(&code(&[word, BX_LR])).unwrap();
        assert_eq!(
            m.call(0, 0, 100),
            Err(EmuError::CalleeSavedClobbered { reg }),
            "{reg}"
        );
    }
    // Caller-saved registers are the code's to use.
    m.load_code(&code(&[VMOV_D0_1, MOV_R0_42, BX_LR])).unwrap();
    assert_eq!(m.call(0, 0, 100), Ok(42));
}
