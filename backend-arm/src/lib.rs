//! The ARMv7-A backend of tracejit: the A32 instruction set with VFPv3-D16, under the
//! hard-float (`gnueabihf`) and softfp (`gnueabi`) calling conventions.
//!
//! - `abi` — the AAPCS: where arguments and results go, hard-float and softfp.
//! - `enc` — the pure A32/VFP encoder (shared with backend-armv5), checked against GNU as
//!   and capstone in `tests/emit_tests.rs`.
//!
//! The lowering and the `Backend` impl arrive with issue 4's remaining work (see
//! ARCHITECTURE.md).

#![warn(missing_docs)]

pub mod abi;
pub mod enc;
