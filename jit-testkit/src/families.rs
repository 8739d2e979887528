//! The conformance suite by operation family, for bringing a backend up op by op: every
//! case runs, none stops the others, and the report says per family how many of the cases
//! using it pass, which of its operations the backend refuses (`CompileError::Unsupported`)
//! and where the other failures are. `tracejit conformance --target T` prints it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use jit_core::backend::CompileError;
use jit_core::compile::{compile, CompileOptions};
use jit_core::ir::{Opcode, Sig};
use jit_core::text::parse_verified;

use crate::cases::Case;
use crate::Target;

/// The families, in the order a backend usually brings them up.
pub const FAMILIES: [&str; 12] = [
    "control",
    "integer arithmetic",
    "comparisons",
    "guards",
    "overflow checks",
    "memory",
    "f64 arithmetic",
    "f64 comparisons",
    "conversions",
    "calls",
    "objects",
    "GC primitives",
];

/// The family of `op` (one of [`FAMILIES`]), by its signature.
pub fn family(op: Opcode) -> &'static str {
    match op.sig() {
        Sig::Label | Sig::Jump | Sig::Finish | Sig::SameAs => FAMILIES[0],
        Sig::IntBinary | Sig::IntUnary | Sig::CarryOut | Sig::CarryIn => FAMILIES[1],
        Sig::IntCompare | Sig::IntTest | Sig::RefCompare => FAMILIES[2],
        Sig::GuardCond | Sig::GuardValue | Sig::GuardRef => FAMILIES[3],
        Sig::IntOverflow | Sig::GuardFlag => FAMILIES[4],
        Sig::Load(_) | Sig::Store(_) => FAMILIES[5],
        Sig::FloatBinary | Sig::FloatUnary => FAMILIES[6],
        Sig::FloatCompare => FAMILIES[7],
        Sig::Convert(..) => FAMILIES[8],
        Sig::Call | Sig::CallSplit | Sig::CallHi | Sig::FuncAddr => FAMILIES[9],
        Sig::Object(_) => FAMILIES[10],
        Sig::Gc(_) => FAMILIES[11],
    }
}

/// One family's line of a [`FamilyReport`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FamilyRow {
    /// Cases that use an operation of the family.
    pub cases: usize,
    /// Of them, those that pass.
    pub passed: usize,
    /// Operations of the family the backend refused to compile, with how many cases each
    /// stopped.
    pub unsupported: BTreeMap<Opcode, usize>,
    /// Cases using the family that failed otherwise (wrong results, run errors, other
    /// compile errors), the first named.
    pub other: (usize, Option<String>),
}

/// The conformance suite's result per operation family ([`report`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FamilyReport {
    /// The target's name.
    pub target: String,
    /// One row per family of [`FAMILIES`], in that order.
    pub rows: Vec<(&'static str, FamilyRow)>,
    /// Cases run, and how many passed.
    pub total: (usize, usize),
}

impl FamilyReport {
    /// Whether every case passed.
    pub fn all_pass(&self) -> bool {
        self.total.0 == self.total.1
    }
}

/// Runs every case of `cases` on `target` and sorts the outcomes by family. A case counts
/// for each family its operations belong to; a refused operation is charged to its own
/// family, any other failure to every family the case uses.
pub fn report(target: &dyn Target, cases: &[Case]) -> FamilyReport {
    let mut rows: Vec<(&'static str, FamilyRow)> = FAMILIES
        .iter()
        .map(|&f| (f, FamilyRow::default()))
        .collect();
    let externs = crate::externs();
    let mut passed = 0;
    for case in cases {
        let Ok(trace) = parse_verified(&case.src) else {
            continue;
        };
        let used: BTreeSet<&str> = trace.ops.iter().map(|o| family(o.opcode)).collect();
        // Only a failing case is compiled again, to see whether the target refused it.
        let outcome = crate::check_case(target, case).map_err(|_| {
            match compile(
                target.backend(),
                &trace,
                &externs,
                CompileOptions::default(),
            ) {
                Err(CompileError::Unsupported { opcode, .. }) => Some(opcode),
                _ => None,
            }
        });
        let refused = outcome.err().flatten();
        passed += outcome.is_ok() as usize;
        // A refused operation may come from a pass (a helper call, a GC primitive): its
        // family counts the case too.
        let charged = refused.map(family);
        for (name, row) in rows
            .iter_mut()
            .filter(|(f, _)| used.contains(f) || charged == Some(*f))
        {
            row.cases += 1;
            match outcome {
                Ok(()) => row.passed += 1,
                Err(Some(op)) if family(op) == *name => {
                    *row.unsupported.entry(op).or_default() += 1;
                }
                // Stopped by another family's refused operation: not this family's failure.
                Err(Some(_)) => {}
                Err(None) => {
                    row.other.0 += 1;
                    row.other.1.get_or_insert_with(|| case.name.clone());
                }
            }
        }
    }
    FamilyReport {
        target: target.name(),
        rows,
        total: (cases.len(), passed),
    }
}

impl fmt::Display for FamilyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "conformance by operation family on {}", self.target)?;
        writeln!(
            f,
            "{:<20} {:>6} {:>6}  {:<40} other failures",
            "family", "cases", "pass", "refused operations (cases)"
        )?;
        for (name, row) in &self.rows {
            let refused: Vec<String> = row
                .unsupported
                .iter()
                .map(|(op, n)| format!("{} ({n})", op.name()))
                .collect();
            let other = match &row.other {
                (0, _) => "-".to_string(),
                (n, first) => format!("{n}, first: {}", first.as_deref().unwrap_or("?")),
            };
            writeln!(
                f,
                "{:<20} {:>6} {:>6}  {:<40} {other}",
                name,
                row.cases,
                row.passed,
                if refused.is_empty() {
                    "-".to_string()
                } else {
                    refused.join(", ")
                }
            )?;
        }
        write!(f, "{} of {} cases pass", self.total.1, self.total.0)
    }
}
