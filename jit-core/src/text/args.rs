//! Inputs for a run, written as text: `3, 4L, 1.5, null, i32[1, 2, 3], zeros(64)`.
//!
//! Scalars take the type of the input they fill. `T[..]` makes a buffer of elements of
//! memory type `T` (`i8`, `u8`, `i16`, `u16`, `i32`, `i64`, `f64`) and passes its address;
//! `zeros(N)` a buffer of N zero bytes. A trace file can carry its default inputs in a
//! comment line `# args: ...`.

use std::fmt;

use super::lexer::{lex, Tok};
use super::{ParseError, ParseErrorKind, Pos};
use crate::ir::{MemType, Scalar, Trace, Type};
use crate::memory::{Memory, MemoryError};

/// One input as written.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgSpec {
    /// An integer literal; `long` if it ends in `L`.
    Int {
        /// The value.
        value: i128,
        /// Written with `L`.
        long: bool,
    },
    /// A float literal, as bits.
    Float(u64),
    /// `null`.
    Null,
    /// `T[..]`: a buffer of elements.
    Buffer {
        /// Element type.
        elem: MemType,
        /// Elements: integers as `i128`, floats as bits.
        values: Vec<Scalar>,
    },
    /// `zeros(N)`.
    Zeros(usize),
}

/// Why inputs could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgsError {
    /// The text is malformed.
    Parse(ParseError),
    /// The number of inputs differs from the trace's.
    Count {
        /// Inputs the trace takes.
        expected: usize,
        /// Inputs given.
        found: usize,
    },
    /// An input does not fit the type of its place.
    Type {
        /// Which input.
        index: usize,
        /// The trace's type.
        expected: Type,
        /// What was written.
        found: String,
    },
    /// A buffer could not be allocated.
    Memory(MemoryError),
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgsError::Parse(e) => write!(f, "in the inputs, {e}"),
            ArgsError::Count { expected, found } => {
                write!(f, "the trace takes {expected} input(s), {found} given")
            }
            ArgsError::Type {
                index,
                expected,
                found,
            } => {
                write!(f, "input {index} must be {expected}, found {found}")
            }
            ArgsError::Memory(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ArgsError {}

/// The `# args: ...` line of a trace file, if it has one.
pub fn default_args(src: &str) -> Option<&str> {
    src.lines()
        .find_map(|l| l.trim_start().strip_prefix("# args:"))
        .map(str::trim)
}

fn mem_type(name: &str) -> Option<MemType> {
    Some(match name {
        "i8" => MemType::I8,
        "u8" => MemType::U8,
        "i16" => MemType::I16,
        "u16" => MemType::U16,
        "i32" => MemType::I32,
        "i64" => MemType::I64,
        "f64" => MemType::F64,
        _ => return None,
    })
}

fn expected<T>(t: &(Tok, Pos), what: &str) -> Result<T, ParseError> {
    Err(ParseError::new(
        t.1,
        ParseErrorKind::Expected {
            expected: what.into(),
            found: t.0.describe(),
        },
    ))
}

/// `f64bits(0x…)` at `toks[*i]`, as in traces: any bit pattern of a double. Moves past it.
fn f64bits(toks: &[(Tok, Pos)], i: &mut usize) -> Result<Option<u64>, ParseError> {
    if toks[*i].0 != Tok::Ident("f64bits".into()) {
        return Ok(None);
    }
    if toks[*i + 1].0 != Tok::LParen {
        return expected(&toks[*i + 1], "'('");
    }
    let bits = match &toks[*i + 2].0 {
        Tok::Int { value, long: false } if (0..=u64::MAX as i128).contains(value) => *value as u64,
        _ => {
            return expected(
                &toks[*i + 2],
                "the bits of a double, 0 to 0xffffffffffffffff",
            )
        }
    };
    if toks[*i + 3].0 != Tok::RParen {
        return expected(&toks[*i + 3], "')'");
    }
    *i += 4;
    Ok(Some(bits))
}

/// Parses a comma-separated list of inputs.
pub fn parse_args(src: &str) -> Result<Vec<ArgSpec>, ParseError> {
    let toks = lex(src)?;
    let mut i = 0;
    let mut out = Vec::new();
    if toks[0].0 == Tok::Eof {
        return Ok(out);
    }
    loop {
        if let Some(bits) = f64bits(&toks, &mut i)? {
            out.push(ArgSpec::Float(bits));
            match toks[i].0 {
                Tok::Comma => i += 1,
                Tok::Eof => return Ok(out),
                _ => return expected(&toks[i], "',' or the end of the inputs"),
            }
            continue;
        }
        let t = &toks[i];
        i += 1;
        let spec = match &t.0 {
            Tok::Int { value, long } => ArgSpec::Int {
                value: *value,
                long: *long,
            },
            Tok::Float(b) => ArgSpec::Float(*b),
            Tok::Ident(s) if s == "null" => ArgSpec::Null,
            Tok::Ident(s) if s == "nan" => ArgSpec::Float(crate::ir::CANONICAL_NAN_BITS),
            Tok::Ident(s) if s == "inf" => ArgSpec::Float(f64::INFINITY.to_bits()),
            Tok::Ident(s) if s == "zeros" => {
                if toks[i].0 != Tok::LParen {
                    return expected(&toks[i], "'('");
                }
                let n = match &toks[i + 1].0 {
                    Tok::Int { value, long: false } if (0..=i64::MAX as i128).contains(value) => {
                        *value
                    }
                    _ => return expected(&toks[i + 1], "a byte count"),
                };
                if toks[i + 2].0 != Tok::RParen {
                    return expected(&toks[i + 2], "')'");
                }
                i += 3;
                ArgSpec::Zeros(usize::try_from(n).unwrap_or(usize::MAX))
            }
            Tok::Ident(s) if mem_type(s).is_some() => {
                let elem = mem_type(s).expect("checked");
                if toks[i].0 != Tok::LBracket {
                    return expected(&toks[i], "'['");
                }
                i += 1;
                let mut values = Vec::new();
                while toks[i].0 != Tok::RBracket {
                    let v = &toks[i];
                    if elem == MemType::F64 {
                        if let Some(bits) = f64bits(&toks, &mut i)? {
                            values.push(Scalar::F64(bits));
                            match toks[i].0 {
                                Tok::Comma => i += 1,
                                Tok::RBracket => {}
                                _ => return expected(&toks[i], "',' or ']'"),
                            }
                            continue;
                        }
                    }
                    let x = match (&v.0, elem) {
                        (Tok::Float(b), MemType::F64) => Scalar::F64(*b),
                        (Tok::Ident(s), MemType::F64) if s == "nan" => {
                            Scalar::F64(crate::ir::CANONICAL_NAN_BITS)
                        }
                        (Tok::Ident(s), MemType::F64) if s == "inf" => Scalar::f64(f64::INFINITY),
                        (Tok::Int { value, long: false }, MemType::F64) => {
                            Scalar::f64(*value as f64)
                        }
                        (Tok::Int { value, long: false }, m) => {
                            let bits = 8 * m.size();
                            let lo = -(1i128 << (bits - 1));
                            let hi = (1i128 << bits) - 1;
                            if !(lo..=hi).contains(value) {
                                return Err(ParseError::new(
                                    v.1,
                                    ParseErrorKind::ElementOutOfRange {
                                        text: value.to_string(),
                                        elem: m,
                                    },
                                ));
                            }
                            Scalar::I64(*value as i64)
                        }
                        _ => return expected(v, "an element"),
                    };
                    values.push(x);
                    i += 1;
                    match toks[i].0 {
                        Tok::Comma => i += 1,
                        Tok::RBracket => {}
                        _ => return expected(&toks[i], "',' or ']'"),
                    }
                }
                i += 1;
                ArgSpec::Buffer { elem, values }
            }
            _ => return expected(t, "an input: a number, null, T[..] or zeros(N)"),
        };
        out.push(spec);
        match toks[i].0 {
            Tok::Comma => i += 1,
            Tok::Eof => return Ok(out),
            _ => return expected(&toks[i], "',' or the end of the inputs"),
        }
    }
}

/// A buffer made for an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BufferArg {
    /// Which input it fills.
    pub input: usize,
    /// Its address.
    pub addr: u64,
    /// Element type, for showing it (`u8` for `zeros`).
    pub elem: MemType,
}

/// Inputs ready to run: values and the buffers they point at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedArgs {
    /// One value per trace input.
    pub values: Vec<Scalar>,
    /// The buffers allocated.
    pub buffers: Vec<BufferArg>,
}

/// Types the inputs by the trace's and allocates buffers in `memory`.
pub fn resolve_args(
    specs: &[ArgSpec],
    trace: &Trace,
    memory: &mut Memory,
) -> Result<ResolvedArgs, ArgsError> {
    if specs.len() != trace.inputs.len() {
        return Err(ArgsError::Count {
            expected: trace.inputs.len(),
            found: specs.len(),
        });
    }
    let mut out = ResolvedArgs {
        values: Vec::new(),
        buffers: Vec::new(),
    };
    for (index, (spec, &v)) in specs.iter().zip(&trace.inputs).enumerate() {
        let ty = trace.ty(v);
        let wrong = |found: &str| ArgsError::Type {
            index,
            expected: ty,
            found: found.to_string(),
        };
        let x = match (ty, spec) {
            (Type::I32, ArgSpec::Int { value, long: false }) => {
                if !(i32::MIN as i128..=u32::MAX as i128).contains(value) {
                    return Err(wrong(&format!("{value}, which does not fit")));
                }
                Scalar::I32(*value as u32 as i32)
            }
            (Type::I64, ArgSpec::Int { value, .. }) => {
                if !(i64::MIN as i128..=u64::MAX as i128).contains(value) {
                    return Err(wrong(&format!("{value}, which does not fit")));
                }
                Scalar::I64(*value as u64 as i64)
            }
            (Type::F64, ArgSpec::Float(b)) => Scalar::F64(*b),
            (Type::F64, ArgSpec::Int { value, long: false }) => Scalar::f64(*value as f64),
            (Type::Ref, ArgSpec::Null) => Scalar::NULL,
            (Type::Ref, ArgSpec::Zeros(n)) => {
                let addr = memory.alloc(*n).map_err(ArgsError::Memory)?;
                out.buffers.push(BufferArg {
                    input: index,
                    addr,
                    elem: MemType::U8,
                });
                Scalar::Ref(addr)
            }
            (Type::Ref, ArgSpec::Buffer { elem, values }) => {
                let mut bytes = Vec::with_capacity(values.len() * elem.size() as usize);
                for x in values {
                    bytes.extend_from_slice(&x.bits().to_le_bytes()[..elem.size() as usize]);
                }
                let addr = memory.alloc_bytes(bytes).map_err(ArgsError::Memory)?;
                out.buffers.push(BufferArg {
                    input: index,
                    addr,
                    elem: *elem,
                });
                Scalar::Ref(addr)
            }
            (_, s) => return Err(wrong(&describe(s))),
        };
        out.values.push(x);
    }
    Ok(out)
}

fn describe(s: &ArgSpec) -> String {
    match s {
        ArgSpec::Int { value, long } => {
            format!("the integer {value}{}", if *long { "L" } else { "" })
        }
        ArgSpec::Float(b) => format!("the float {}", Scalar::F64(*b)),
        ArgSpec::Null => "null".into(),
        ArgSpec::Buffer { .. } | ArgSpec::Zeros(_) => "a buffer".into(),
    }
}

/// The first `max` elements of a buffer as values of its element type, for showing, and
/// how many elements it has (only the shown ones are read).
pub fn buffer_elements(memory: &Memory, buf: &BufferArg, max: usize) -> (Vec<Scalar>, u64) {
    let Some(b) = memory.buffers().iter().find(|b| b.addr == buf.addr) else {
        return (Vec::new(), 0);
    };
    let n = b.bytes.len() as u64 / buf.elem.size() as u64;
    let shown = (0..n.min(max as u64))
        .filter_map(|k| {
            memory
                .load((buf.addr + k * buf.elem.size() as u64) as i128, buf.elem)
                .ok()
        })
        .collect();
    (shown, n)
}
