//! tracejit's shared core: the trace IR, its text format, the verifier and the reference
//! interpreter. It knows no instruction set; backends build on it.
//!
//! The pipeline a trace goes through, and where each stage lives:
//!
//! ```text
//!  text ──text::parse──┐
//!                      ├─► Trace ──verify──► interp::run ──► Outcome
//!  builder::TraceBuilder┘              └────► (backends: legalize, allocate, emit)
//! ```
//!
//! docs/ir.md is the reference for what every operation means; [`sem`] and [`interp`] are
//! its executable form.

#![warn(missing_docs)]

pub mod backend;
pub mod builder;
pub mod codebuf;
pub mod codespace;
pub mod compile;
pub mod emit;
pub mod externs;
pub mod fault;
pub mod frame;
pub mod gc;
pub mod gcrewrite;
pub mod gcrun;
pub mod hoist;
pub mod interp;
pub mod ir;
pub mod legalize;
pub mod liveness;
pub mod memory;
pub mod objects;
pub mod regalloc;
pub mod regcheck;
pub mod runtime;
pub mod sem;
pub mod text;
pub mod toy;
pub mod tree;
pub mod verify;

pub use builder::TraceBuilder;
pub use externs::Externs;
pub use interp::{run, ExitKind, InterpError, Outcome, RunOptions};
pub use ir::{CType, ExitId, MemType, Opcode, Operand, Scalar, Trace, Type, Value};
pub use memory::Memory;
pub use verify::{verify, VerifyError, VerifyErrors};
