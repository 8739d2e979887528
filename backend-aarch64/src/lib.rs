//! tracejit's AArch64 backend, being written by following docs/adding-an-isa.md (issue 19).
//!
//! Steps 1 to 3 of the guide are done: [`regs`], the register file and frame; [`enc`], the
//! pure A64 encoder, with its emit table checked against GNU as and read back by capstone
//! (`tests/emit_tests.rs`); and [`abi`], AAPCS64's argument placement, checked against
//! GCC's own code on the emulated CPU (`jit-emu/tests/abi_aarch64.rs`). The lowering and
//! the rest of the executor come next; until then nothing compiles traces for AArch64, and
//! `tracejit::targets` does not list it.

pub mod abi;
pub mod enc;
pub mod regs;
