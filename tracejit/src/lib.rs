//! The parts of the `tracejit` tool that other tools and tests use: finding a target by
//! its triple, disassembling compiled code next to the IR it came from, and the bodies of
//! the fuzz targets (differential runs, encoder round trips).

#![warn(missing_docs)]

pub mod bench;
pub mod cranelift;
pub mod disasm;
pub mod encoders;
pub mod fuzz;
pub mod pypy;
pub mod targets;
