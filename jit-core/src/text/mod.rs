//! The text format of traces, in the style of PyPy's jit-log-opt logs.
//!
//! ```text
//! # sum 1..n
//! extern @gcd(i32, i32) -> i32
//! [i0, i1]
//! label(i0, i1)
//! i2 = int_add(i1, i0)
//! i3 = int_sub(i0, 1)
//! i4 = int_gt(i3, 0)
//! guard_true(i4) [i2]
//! jump(i3, i2)
//! ```
//!
//! A variable's first letter is its type: `i` i32, `l` i64, `f` f64, `p` ref. Integer
//! constants take their type from where they stand (an `L` suffix makes one `i64`), floats
//! are written with a `.` or exponent (`1.5`, `-0.0`, `1e-300`, `inf`, `nan`,
//! `f64bits(0x7ff0000000000001)` for any bit pattern), and `null` is the null ref. Guards
//! and `finish` may name their exit id, `descr=<Guard3>` / `descr=<Finish3>`; without one,
//! exits are numbered 0, 1, 2, … in order. `#` starts a comment. docs/ir.md has the grammar.
//!
//! [`print`](fn@print) writes the canonical form: `print(&parse(text)?)` is a fixed point of
//! parse-then-print.

mod args;
mod lexer;
mod parser;
mod printer;
mod tree;

use std::fmt;

pub use args::{
    buffer_elements, default_args, parse_args, resolve_args, ArgSpec, ArgsError, BufferArg,
    ResolvedArgs,
};
pub use parser::{parse, parse_positioned, parse_with_positions, Positions};
pub use printer::{print, print_op_line};
pub use tree::{is_tree, parse_tree, print_tree, print_tree_noted, TreeError, TreeSource};

use crate::ir::{Trace, Type};
use crate::verify::{verify, VerifyError};

/// A position in the source text, both 1-based; columns count characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// Line.
    pub line: u32,
    /// Column.
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// What is wrong with the text at a [`ParseError`]'s position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// A character that starts no token.
    UnexpectedChar(char),
    /// Something that looks like a number but is not one.
    BadNumber(String),
    /// A token other than the one the grammar needs here.
    Expected {
        /// What would fit.
        expected: String,
        /// What is there.
        found: String,
    },
    /// An operation name that does not exist.
    UnknownOp(String),
    /// A primitive only the GC rewrite pass makes (`gc_alloc`, …), for one target's layout.
    LoweredOp(String),
    /// A type name that does not exist.
    UnknownType(String),
    /// A variable name that is not a type letter (`i`, `l`, `f`, `p`) and digits.
    BadVarName(String),
    /// A variable defined a second time.
    Redefined {
        /// The variable.
        name: String,
        /// Where it was first defined.
        first: Pos,
    },
    /// A variable used before any definition.
    Undefined(String),
    /// A function called without an `extern` declaration.
    UnknownFunc(String),
    /// A function declared twice.
    DuplicateFunc(String),
    /// A function name reserved for the legalization helpers (`__aeabi_*`, `tracejit_*`).
    ReservedFunc(String),
    /// An integer constant that does not fit its type.
    ConstOutOfRange {
        /// The literal.
        text: String,
        /// The type it must fit, if known.
        ty: Option<Type>,
    },
    /// A buffer element that does not fit the buffer's element type.
    ElementOutOfRange {
        /// The literal.
        text: String,
        /// The element type.
        elem: crate::ir::MemType,
    },
    /// A constant of the wrong kind for its place (a float where an integer goes, …).
    ConstType {
        /// The type expected here.
        expected: Type,
        /// The literal.
        found: String,
    },
    /// A second input list, or one after the first operation.
    MisplacedInputs,
    /// `descr=` on an operation that has no exit, or a malformed one.
    BadDescr(String),
    /// Fail args on an operation that is not a guard.
    FailArgsOnNonGuard(String),
    /// A field or array item type that does not exist.
    UnknownFieldType(String),
    /// An object type declared twice.
    DuplicateObjectType(String),
    /// An object type that is not declared.
    UnknownObjectType(String),
    /// A field its struct does not have.
    UnknownField {
        /// The struct.
        ty: String,
        /// The field.
        field: String,
    },
    /// A struct with two fields of one name.
    DuplicateField {
        /// The struct.
        ty: String,
        /// The field.
        field: String,
    },
}

/// A syntax error with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Where.
    pub pos: Pos,
    /// What.
    pub kind: ParseErrorKind,
}

impl ParseError {
    pub(crate) fn new(pos: Pos, kind: ParseErrorKind) -> ParseError {
        ParseError { pos, kind }
    }
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ParseErrorKind::*;
        match self {
            UnexpectedChar(c) => write!(f, "unexpected character {c:?}"),
            BadNumber(s) => write!(f, "'{s}' is not a number"),
            Expected { expected, found } => write!(f, "expected {expected}, found {found}"),
            UnknownOp(s) => write!(f, "unknown operation '{s}'"),
            LoweredOp(s) => write!(
                f,
                "'{s}' is made by the GC rewrite for one target's layout; a trace uses the \
                 object operations (new_with_vtable, setfield_gc, …)"
            ),
            UnknownType(s) => write!(f, "unknown type '{s}' (expected i32, i64, f64 or ref)"),
            BadVarName(s) => write!(
                f,
                "'{s}' is not a variable: a variable is i, l, f or p (i32, i64, f64, ref) followed by digits"
            ),
            Redefined { name, first } => write!(f, "{name} is already defined at {first}"),
            Undefined(s) => write!(f, "{s} is not defined before this use"),
            UnknownFunc(s) => write!(f, "@{s} is not declared (add 'extern @{s}(...) -> type')"),
            DuplicateFunc(s) => write!(f, "@{s} is declared twice"),
            ReservedFunc(s) => write!(
                f,
                "@{s}: names starting with __aeabi_ or tracejit_ are reserved for the legalization helpers"
            ),
            ConstOutOfRange { text, ty: Some(t) } => write!(f, "{text} does not fit in {t}"),
            ConstOutOfRange { text, ty: None } => write!(f, "{text} does not fit in 64 bits"),
            ElementOutOfRange { text, elem } => {
                write!(f, "{text} does not fit in {}", elem.name())
            }
            ConstType { expected, found } => {
                write!(f, "expected a constant of type {expected}, found {found}")
            }
            MisplacedInputs => write!(f, "the input list [..] must come once, before the operations"),
            BadDescr(s) => write!(f, "bad descr: {s}"),
            FailArgsOnNonGuard(op) => write!(f, "{op} is not a guard and takes no fail args"),
            UnknownFieldType(s) => write!(
                f,
                "unknown field type '{s}' (expected i8, u8, i16, u16, i32, i64, f64 or ref)"
            ),
            DuplicateObjectType(s) => write!(f, "object type {s} is declared twice"),
            UnknownObjectType(s) => write!(
                f,
                "object type {s} is not declared (add 'struct {s}(...)' or 'array {s}(type)')"
            ),
            UnknownField { ty, field } => write!(f, "struct {ty} has no field {field}"),
            DuplicateField { ty, field } => write!(f, "struct {ty} has two fields named {field}"),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.kind)
    }
}

impl std::error::Error for ParseError {}

/// Why text could not become a valid trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextError {
    /// The text is not well formed.
    Parse(ParseError),
    /// The text parses but breaks verifier rules; each error with its position.
    Verify(Vec<(Option<Pos>, VerifyError)>),
    /// Declared external functions do not fit the table; each error with its position.
    Extern(Vec<(Pos, crate::externs::ExternError)>),
    /// The parts of a tree file do not fit together; each error with its position.
    Tree(Vec<(Pos, TreeError)>),
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextError::Parse(e) => write!(f, "{e}"),
            TextError::Verify(errors) => {
                for (i, (pos, e)) in errors.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    match pos {
                        Some(p) => write!(f, "{p}: {e}")?,
                        None => write!(f, "{e}")?,
                    }
                }
                Ok(())
            }
            TextError::Extern(errors) => {
                for (i, (pos, e)) in errors.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{pos}: {e}")?;
                }
                Ok(())
            }
            TextError::Tree(errors) => {
                for (i, (pos, e)) in errors.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{pos}: {e}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for TextError {}

impl TextError {
    /// Every error with its position, if it has one.
    pub fn errors(&self) -> Vec<(Option<Pos>, String)> {
        match self {
            TextError::Parse(e) => vec![(Some(e.pos), e.kind.to_string())],
            TextError::Verify(v) => v.iter().map(|(p, e)| (*p, e.to_string())).collect(),
            TextError::Extern(v) => v.iter().map(|(p, e)| (Some(*p), e.to_string())).collect(),
            TextError::Tree(v) => v.iter().map(|(p, e)| (Some(*p), e.to_string())).collect(),
        }
    }
}

/// Parses and verifies; verifier errors carry the position of their operation (of the
/// argument, where one argument is at fault).
pub fn parse_verified(src: &str) -> Result<Trace, TextError> {
    parse_verified_positioned(src).map(|(t, _)| t)
}

fn parse_verified_positioned(src: &str) -> Result<(Trace, Positions), TextError> {
    parse_verified_from(src, 0)
}

fn parse_verified_from(src: &str, first_exit: u32) -> Result<(Trace, Positions), TextError> {
    let (trace, positions) =
        parser::parse_positioned_from(src, first_exit).map_err(TextError::Parse)?;
    match verify(&trace) {
        Ok(()) => Ok((trace, positions)),
        Err(errors) => Err(TextError::Verify(
            errors
                .0
                .into_iter()
                .map(|e| {
                    let pos = match (e.op(), e.arg()) {
                        (Some(op), Some(arg)) => positions.arg(op, arg),
                        (Some(op), None) => positions.ops.get(op).copied(),
                        _ => None,
                    };
                    (pos, e)
                })
                .collect(),
        )),
    }
}

/// Parses, verifies, and checks the declared external functions against `externs` (as
/// the interpreter and the compiler do before running or compiling anything). Returns the
/// trace and where its parts stand in the text.
pub fn parse_checked(src: &str, externs: &crate::Externs) -> Result<(Trace, Positions), TextError> {
    parse_checked_from(src, externs, 0)
}

fn parse_checked_from(
    src: &str,
    externs: &crate::Externs,
    first_exit: u32,
) -> Result<(Trace, Positions), TextError> {
    let (trace, positions) = parse_verified_from(src, first_exit)?;
    match externs.check_decls(&trace) {
        Ok(()) => Ok((trace, positions)),
        Err(errors) => Err(TextError::Extern(
            errors
                .into_iter()
                .map(|(k, e)| (positions.decls.get(k).copied().unwrap_or_default(), e))
                .collect(),
        )),
    }
}
