//! The ARMv5TE backend of tracejit: A32 without an FPU, f64 through the AEABI soft-float
//! runtime. It reuses backend-arm's encoder and holds only what differs.
//!
//! - `check` — the checker that code holds only ARMv5TE instructions and no UNPREDICTABLE
//!   register uses; it runs over the code of every compiled trace in the ARMv5 tests.
//!
//! The lowering arrives with the rest of its issue (see ARCHITECTURE.md).

#![warn(missing_docs)]

pub mod check;
