//! The parts of the `tracejit` tool that other tools and tests use: finding a target by
//! its triple, and disassembling compiled code next to the IR it came from.

#![warn(missing_docs)]

pub mod disasm;
pub mod fuzz;
pub mod targets;
