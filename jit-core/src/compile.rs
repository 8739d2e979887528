//! The shared compilation driver: verify, legalize, constrain, allocate, check, emit.

use crate::backend::{Backend, CompileError, CompiledTrace, OpConstraints};
use crate::externs::Externs;
use crate::ir::{Opcode, Trace};
use crate::liveness::Liveness;
use crate::regalloc::{allocate, Allocation};
use crate::verify::verify;

/// How to compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompileOptions {
    /// Run the allocation checker on the result (tests do; it costs about as much as the
    /// allocation itself).
    pub check_allocation: bool,
}

impl Default for CompileOptions {
    fn default() -> CompileOptions {
        CompileOptions {
            check_allocation: cfg!(debug_assertions),
        }
    }
}

/// Everything the pipeline decided for one trace, kept for inspection and tests.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The code and runtime metadata.
    pub code: CompiledTrace,
    /// The constraints the backend gave, per op.
    pub constraints: Vec<OpConstraints>,
    /// The register allocation.
    pub allocation: Allocation,
    /// The trace as legalized for the target, when legalization changed it (the code's
    /// op offsets refer to its ops).
    pub legalized: Option<Trace>,
}

impl Compiled {
    /// The trace the code was made from: the legalized one, or `original`.
    pub fn trace<'a>(&'a self, original: &'a Trace) -> &'a Trace {
        self.legalized.as_ref().unwrap_or(original)
    }
}

/// Compiles `trace` for `backend`. Calls resolve against `externs`.
pub fn compile(
    backend: &dyn Backend,
    trace: &Trace,
    externs: &Externs,
    options: CompileOptions,
) -> Result<Compiled, CompileError> {
    verify(trace).map_err(CompileError::Invalid)?;
    let legal = crate::legalize::legalize(
        trace,
        crate::legalize::Passes::for_target(backend.capabilities()),
    );
    let trace: &Trace = &legal;
    check_supported(
        trace,
        backend.capabilities(),
        !backend.registers().float.is_empty(),
    )?;
    let live = Liveness::compute(trace);
    let mut constraints = vec![OpConstraints::default(); trace.ops.len()];
    for (i, c) in constraints.iter_mut().enumerate() {
        if !matches!(trace.ops[i].opcode, Opcode::Label | Opcode::Jump) {
            backend.constraints(trace, &live, i, c)?;
        }
    }
    let allocation = allocate(trace, &live, &constraints, backend.registers())
        .map_err(|e| CompileError::Allocation(e.to_string()))?;
    if options.check_allocation {
        crate::regcheck::check(trace, &constraints, &allocation)
            .map_err(CompileError::Allocation)?;
    }
    if allocation.slots > backend.max_frame_slots() {
        return Err(CompileError::FrameTooLarge {
            slots: allocation.slots,
            limit: backend.max_frame_slots(),
        });
    }
    let code = backend.emit(trace, &live, &allocation, externs)?;
    let legalized = match legal {
        std::borrow::Cow::Owned(t) => Some(t),
        std::borrow::Cow::Borrowed(_) => None,
    };
    Ok(Compiled {
        code,
        constraints,
        allocation,
        legalized,
    })
}

/// Refuses values a target cannot hold after legalization: i64 on a 32-bit target and f64
/// on one without float registers both need the split into i32 pairs, which this pipeline
/// does not have yet.
fn check_supported(
    trace: &Trace,
    caps: crate::backend::Capabilities,
    float_regs: bool,
) -> Result<(), CompileError> {
    use crate::ir::{Operand, Type};
    for (i, op) in trace.ops.iter().enumerate() {
        let types = op
            .args
            .iter()
            .map(|&a| trace.operand_type(a))
            .chain(op.result.map(|r| trace.ty(r)))
            .chain(op.args.iter().filter_map(|a| match a {
                Operand::Const(c) => Some(c.ty()),
                Operand::Value(_) => None,
            }));
        for ty in types {
            let reason = match ty {
                Type::I64 if caps.word_bits < 64 => "i64 values on a 32-bit target need the i64 split pass, not yet written",
                Type::F64 if !float_regs => {
                    "f64 values without float registers need the split into i32 pairs, not yet written"
                }
                _ => continue,
            };
            return Err(CompileError::Unsupported {
                op: i,
                opcode: op.opcode,
                reason: reason.into(),
            });
        }
    }
    Ok(())
}
