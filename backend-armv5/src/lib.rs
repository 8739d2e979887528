//! The ARMv5TE backend of tracejit: A32 without an FPU, f64 through the AEABI soft-float
//! runtime. It reuses backend-arm's encoder and holds only what differs.
//!
//! - `check` — the checker that code holds only ARMv5TE instructions and no UNPREDICTABLE
//!   register uses; it runs over the code of every compiled trace in the ARMv5 tests.
//!
//! The lowering is backend-arm's with [`Profile::V5te`]: constants by MOV/MVN and ORR/BIC
//! sequences (no MOVW/MOVT), no VFP (the driver splits f64 into pairs and legalizes its
//! arithmetic into AEABI soft-float calls), and ARMv5's multiply register rules.

#![warn(missing_docs)]

pub mod check;

use backend_arm::{ArmBackend, FloatAbi, Profile};

/// The ARMv5TE soft-float backend (`armv5te-unknown-linux-gnueabi`).
pub fn backend() -> ArmBackend {
    ArmBackend::with_profile(FloatAbi::Softfp, Profile::V5te)
}
