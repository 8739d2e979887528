//! The ARMv7-A backend of tracejit: the A32 instruction set with VFPv3-D16, under the
//! hard-float (`gnueabihf`) and softfp (`gnueabi`) calling conventions.
//!
//! - `regs` — registers and the frame: the profiles, what the allocator may use, scratch
//!   registers, the frame pointer and the frame's reach.
//! - `abi` — the AAPCS: where arguments and results go, hard-float and softfp, and the
//!   emulator's trap page calls go to.
//! - `enc` — the pure A32/VFP encoder (shared with backend-armv5), checked against GNU as
//!   and capstone in `tests/emit_tests.rs`.
//! - `lower` — constraints for the shared register allocator, and the ISA hooks of
//!   jit-core's emission driver (`jit_core::emit`): each op's lowering, moves, prologue and
//!   epilogue.
//!
//! The target has 32-bit words and no divide instruction (Cortex-A8), so the driver splits
//! i64 values into pairs and turns division into helper calls before this backend sees the
//! trace. Calls to external functions go through the emulator's trap slots: the code calls
//! `TRAP_BASE + 4 * k` for the `k`-th function of `CompiledTrace::calls`.

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

pub use abi::FloatAbi;
pub use abi::TRAP_BASE;
pub use lower::{jump_patch, relocate, ADDR32, B_FAR, MOVW_MOVT, MOV_ORR};
pub use regs::{max_slots, Profile, MAX_FRAME_BYTES};

/// The ARMv7-A + VFPv3-D16 backend, for one float ABI. (With [`Profile::V5te`] it is the
/// lowering backend-armv5 builds on.)
#[derive(Clone, Debug)]
pub struct ArmBackend {
    float: FloatAbi,
    profile: Profile,
    regs: RegisterInfo,
    contract: jit_core::frame::FrameContract,
    /// How far the branches patched between parts of a tree reach (`lower::BRANCH_REACH`
    /// unless a test forces less).
    reach: u64,
}

impl ArmBackend {
    /// The backend for `float` (hard-float: gnueabihf; softfp: gnueabi).
    pub fn new(float: FloatAbi) -> ArmBackend {
        ArmBackend::with_profile(float, Profile::V7Vfp)
    }

    /// The lowering for another A32 profile (backend-armv5 uses [`Profile::V5te`] with
    /// the soft-float ABI).
    pub fn with_profile(float: FloatAbi, profile: Profile) -> ArmBackend {
        let regs = regs::register_info(profile);
        ArmBackend {
            float,
            profile,
            contract: jit_core::frame::FrameContract::new(&regs),
            regs,
            reach: lower::BRANCH_REACH,
        }
    }

    /// The same backend with the branches it patches between the parts of a tree reaching
    /// only `bytes` (tests force a small reach to exercise far jumps: a stub patched to
    /// `ldr pc, [pc, #-4]`, a bridge's far jump likewise).
    pub fn with_branch_reach(self, bytes: u64) -> ArmBackend {
        ArmBackend {
            reach: bytes,
            ..self
        }
    }

    /// The profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The float ABI.
    pub fn float_abi(&self) -> FloatAbi {
        self.float
    }
}

impl Backend for ArmBackend {
    fn name(&self) -> &'static str {
        match (self.profile, self.float) {
            (Profile::V5te, _) => "armv5te",
            (_, FloatAbi::Hard) => "armv7-hf",
            (_, FloatAbi::Softfp) => "armv7-softfp",
        }
    }

    fn triple(&self) -> Triple {
        match (self.profile, self.float) {
            (Profile::V5te, _) => "armv5te-unknown-linux-gnueabi",
            (_, FloatAbi::Hard) => "armv7-unknown-linux-gnueabihf",
            (_, FloatAbi::Softfp) => "armv7-unknown-linux-gnueabi",
        }
        .parse()
        .expect("a valid triple")
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            word_bits: 32,
            // ARMv5TE has no FPU: f64 arithmetic becomes soft-float helper calls, whose
            // NaNs are already the canonical one (no `float_canon` needed).
            fpu: self.profile.vfp(),
            hw_divide: false,
        }
    }

    fn registers(&self) -> &RegisterInfo {
        &self.regs
    }

    fn max_frame_slots(&self) -> u32 {
        max_slots(self.profile)
    }

    fn hoist_constant(&self, c: jit_core::ir::Scalar, op: &jit_core::ir::Op, arg: usize) -> bool {
        use jit_core::ir::{GcOp, Scalar, Sig};
        // A value to store is taken only in a register: even a small one costs a MOV every
        // iteration (an f64 one a VLDR, or a pair of MOVs without VFP).
        let stored = arg == 2 && matches!(op.opcode.sig(), Sig::Store(_) | Sig::Gc(GcOp::StoreRef));
        if stored && !matches!(c, Scalar::Ref(_)) {
            return !matches!(c, Scalar::F64(_)) || self.profile() == Profile::V7Vfp;
        }
        // One data-processing immediate (or its inverse) is free; anything else costs
        // MOVW/MOVT, MOV+ORR or a literal load, every iteration.
        let cheap = |v: u32| enc::ArmImm::encode(v).is_some() || enc::ArmImm::encode(!v).is_some();
        match c {
            Scalar::I32(v) => !cheap(v as u32),
            Scalar::I64(v) => !cheap(v as u32) || !cheap((v >> 32) as u32),
            // Without VFP an f64 is a pair of core registers: not worth holding two.
            Scalar::F64(_) => self.profile() == Profile::V7Vfp,
            Scalar::Ref(_) => false,
        }
    }

    fn constraints(
        &self,
        trace: &Trace,
        live: &Liveness,
        index: usize,
        out: &mut OpConstraints,
    ) -> Result<(), CompileError> {
        lower::constraints(trace, live, self.float, index, out)
    }

    fn emit(
        &self,
        trace: &Trace,
        live: &Liveness,
        alloc: &Allocation,
        _externs: &Externs,
        kind: jit_core::emit::EmitKind,
    ) -> Result<CompiledTrace, CompileError> {
        lower::emit(
            trace,
            live,
            alloc,
            &self.contract,
            kind,
            self.float,
            self.profile,
            self.triple(),
        )
    }

    fn relocate(
        &self,
        reloc: &jit_core::emit::Reloc,
        code: &mut [u8],
        code_address: u64,
        address: u64,
    ) -> Result<(), jit_core::codebuf::FixupError> {
        lower::relocate_within(
            reloc.kind,
            code,
            reloc.at,
            code_address,
            address,
            self.reach,
        )
    }

    fn jump_patch(&self, at: u64, target: u64) -> Result<Vec<u8>, jit_core::codebuf::FixupError> {
        lower::jump_patch_within(at, target, self.reach)
    }

    fn branch_patch(
        &self,
        _kind: u8,
        old: &[u8],
        at: u64,
        target: u64,
    ) -> Result<Vec<u8>, jit_core::codebuf::FixupError> {
        lower::branch_patch_within(old, at, target, self.reach)
    }
}
