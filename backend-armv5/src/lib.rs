//! The ARMv5TE backend of tracejit: A32 without an FPU, f64 through the AEABI soft-float
//! runtime. It reuses backend-arm's encoder and holds only what differs.
//!
//! Not written yet: it arrives after the ARMv7 backend (see ARCHITECTURE.md).
