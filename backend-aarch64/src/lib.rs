//! tracejit's AArch64 backend, being written by following docs/adding-an-isa.md (issue 19).
//!
//! Step 2 of the guide is done: [`enc`], the pure A64 encoder, with its emit table checked
//! against GNU as and read back by capstone (`tests/emit_tests.rs`). The register file,
//! the AAPCS64 ABI, the lowering and the emulated executor come next; until then nothing
//! compiles traces for AArch64, and `tracejit::targets` does not list it.

pub mod enc;
