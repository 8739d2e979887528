//! tracejit's AArch64 backend (A64, AAPCS64), written by following
//! docs/adding-an-isa.md (issue 19).
//!
//! [`regs`] is the register file and frame; [`enc`] the pure A64 encoder, with its emit
//! table checked against GNU as and read back by capstone (`tests/emit_tests.rs`); [`abi`]
//! AAPCS64's argument placement, checked against GCC's own code on the emulated CPU
//! (`jit-emu/tests/abi_aarch64.rs`); [`lower`] the constraints and lowering of every
//! operation, brought up family by family. `tests/conformance.rs` runs the suite, random
//! traces, grown trees and calls into GCC's code on unicorn's AArch64 model.

pub mod abi;
pub mod enc;
pub mod lower;
pub mod regs;

use jit_core::backend::{
    Backend, Capabilities, CompileError, CompiledTrace, OpConstraints, RegisterInfo,
};
use jit_core::liveness::Liveness;
use jit_core::regalloc::Allocation;
use jit_core::Trace;
use target_lexicon::Triple;

/// The AArch64 backend.
pub struct A64Backend {
    regs: RegisterInfo,
}

impl A64Backend {
    /// The backend for `aarch64-unknown-linux-gnu`.
    pub fn new() -> A64Backend {
        A64Backend {
            regs: regs::register_info(),
        }
    }
}

impl Default for A64Backend {
    fn default() -> A64Backend {
        A64Backend::new()
    }
}

impl Backend for A64Backend {
    fn name(&self) -> &'static str {
        "aarch64"
    }

    fn triple(&self) -> Triple {
        "aarch64-unknown-linux-gnu".parse().expect("a known triple")
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            word_bits: 64,
            fpu: true,
            hw_divide: true,
        }
    }

    fn registers(&self) -> &RegisterInfo {
        &self.regs
    }

    fn max_frame_slots(&self) -> u32 {
        // A slot's offset from x28 is made in x17 past an immediate's reach.
        1 << 24
    }

    fn hoist_constant(&self, c: jit_core::ir::Scalar, op: &jit_core::ir::Op, arg: usize) -> bool {
        // An f64 costs a move-wide sequence and an `fmov` every time; an integer no
        // immediate field takes costs one to four move-wides. A ref stays a constant: hoisted,
        // it would be a loop value of type ref, which a safepoint's GC map lists as a root.
        !matches!(c, jit_core::ir::Scalar::Ref(_)) && !lower::immediate_operand(op, arg, c)
    }

    fn constraints(
        &self,
        trace: &Trace,
        live: &Liveness,
        index: usize,
        out: &mut OpConstraints,
    ) -> Result<(), CompileError> {
        lower::constraints(trace, live, index, out)
    }

    fn relocate(
        &self,
        reloc: &jit_core::emit::Reloc,
        code: &mut [u8],
        code_address: u64,
        address: u64,
    ) -> Result<(), jit_core::codebuf::FixupError> {
        lower::relocate(reloc.kind, code, reloc.at, code_address, address)
    }

    fn jump_patch(&self, at: u64, target: u64) -> Result<Vec<u8>, jit_core::codebuf::FixupError> {
        lower::jump_patch(at, target)
    }

    fn branch_patch(
        &self,
        kind: u8,
        old: &[u8],
        at: u64,
        target: u64,
    ) -> Result<Vec<u8>, jit_core::codebuf::FixupError> {
        lower::branch_patch(kind, old, at, target)
    }

    fn emit(
        &self,
        trace: &Trace,
        live: &Liveness,
        alloc: &Allocation,
        _externs: &jit_core::externs::Externs,
        kind: jit_core::emit::EmitKind,
    ) -> Result<CompiledTrace, CompileError> {
        let contract = jit_core::frame::FrameContract::new(&self.regs);
        lower::emit(trace, live, alloc, &contract, kind, self.triple())
    }
}
