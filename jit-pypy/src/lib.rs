//! PyPy's JIT logs for tracejit. `PYPYLOG=jit-log-opt:FILE pypy3 prog.py` writes every loop
//! and bridge PyPy's JIT compiles, optimized, in a text format tracejit's follows. This
//! crate reads such a log ([`log::read`]) into its parts — loops with their labels, bridges
//! with the guard they grow out of — and their operations with arguments, descrs and fail
//! args, every line placed; [`decls::declarations`] turns the descrs into tracejit object
//! types; the import into tracejit trees builds on both.
//!
//! A log is untrusted input: anything it cannot read is an error with its line and column,
//! never a panic.

#![warn(missing_docs)]

pub mod decls;
pub mod heap;
pub mod import;
pub mod log;
pub mod standin;
