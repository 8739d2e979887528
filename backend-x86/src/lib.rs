//! The x86-64 backend of tracejit: System V ABI, integers natively, f64 in SSE2.
//!
//! - `regs` — registers and the frame: what the allocator may use, scratch registers, the
//!   frame layout.
//! - `abi` — the System V calling convention (`abi::assign` places a call's arguments).
//! - `enc` — the pure encoder (bytes out of operands).
//! - `lower` — constraints for the shared register allocator, and the ISA hooks of
//!   jit-core's emission driver (`jit_core::emit`): each op's lowering, moves, prologue and
//!   epilogue.
//!
//! The compiled trace is `extern "C" fn(frame: *mut u64) -> u64`; see
//! [`jit_core::runtime`] for how it is entered and left.

#![warn(missing_docs)]

pub mod abi;
pub mod enc;
mod lower;
pub mod regs;

use jit_core::backend::{
    Backend, Capabilities, CompileError, CompiledTrace, OpConstraints, RegisterInfo,
};
use jit_core::externs::Externs;
use jit_core::liveness::Liveness;
use jit_core::regalloc::Allocation;
use jit_core::Trace;
use target_lexicon::Triple;

/// The x86-64 System V backend.
#[derive(Debug)]
pub struct X86Backend {
    regs: RegisterInfo,
    contract: jit_core::frame::FrameContract,
}

impl Default for X86Backend {
    fn default() -> X86Backend {
        X86Backend::new()
    }
}

impl X86Backend {
    /// The backend.
    pub fn new() -> X86Backend {
        let regs = regs::register_info();
        X86Backend {
            contract: jit_core::frame::FrameContract::new(&regs),
            regs,
        }
    }

    /// The triple this backend compiles for.
    pub fn default_triple() -> Triple {
        "x86_64-unknown-linux-gnu".parse().expect("a valid triple")
    }
}

impl Backend for X86Backend {
    fn name(&self) -> &'static str {
        "x86-64"
    }

    fn triple(&self) -> Triple {
        X86Backend::default_triple()
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
        regs::MAX_SLOTS
    }

    fn hoist_constant(&self, c: jit_core::ir::Scalar, _op: &jit_core::ir::Op, _arg: usize) -> bool {
        use jit_core::ir::Scalar;
        // A 64-bit integer no sign-extended imm32 holds costs a MOVABS into the scratch
        // register every iteration; everything else is an immediate, or (an f64) a
        // RIP-relative pool operand. A ref stays a constant, as on ARM: hoisted, it would
        // be a loop value of type ref, which a safepoint's GC map lists as a root.
        match c {
            Scalar::I64(v) => i32::try_from(v).is_err(),
            Scalar::Ref(_) | Scalar::I32(_) | Scalar::F64(_) => false,
        }
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
        _kind: u8,
        _old: &[u8],
        at: u64,
        target: u64,
    ) -> Result<Vec<u8>, jit_core::codebuf::FixupError> {
        lower::rel32_patch(at, target)
    }

    fn emit(
        &self,
        trace: &Trace,
        _live: &Liveness,
        alloc: &Allocation,
        externs: &Externs,
        kind: jit_core::emit::EmitKind,
    ) -> Result<CompiledTrace, CompileError> {
        lower::emit(trace, alloc, externs, &self.contract, kind, self.triple())
    }
}
