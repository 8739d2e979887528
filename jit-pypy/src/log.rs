//! Reading a `jit-log-opt` log.
//!
//! ```text
//! [7e41e2237561] {jit-log-opt-loop
//! # Loop 1 (collatz_steps;int_arith.py:3-8~#26 LOAD_FAST) : loop with 91 ops
//! [p0, p1]
//! +267: p2 = getfield_gc_r(p0, descr=<FieldP pypy.interpreter.pyframe.PyFrame.inst_pycode 64>)
//! debug_merge_point(0, 0, 'collatz_steps;int_arith.py:3-8~#26 LOAD_FAST')
//! +400: guard_value(i5, 6, descr=<Guard0x7f010c034da0>) [p0, p2, p3]
//! +545: label(p0, p1, p4, i37, descr=TargetToken(139642473338528))
//! [7e41e2298a1b] jit-log-opt-loop}
//! [7e41e2298f00] {jit-log-opt-bridge
//! # bridge out of Guard 0x7f010c034da0 with 29 ops
//! ...
//! ```
//!
//! Each section is one part: a loop (or an entry bridge, which PyPy numbers as a loop) or a
//! bridge out of a guard, named by the guard's address. A part has its inputs, then one
//! operation per line: an optional code offset, an optional result, the operation's name,
//! its arguments — variables (`i5`, `p0`, `f3`), integers, floats, `ConstClass(name)`,
//! `ConstPtr(ptrN)` or `ConstPtr(null)`, quoted strings — an optional `descr=`, and for
//! guards the fail args in brackets (`None` for a hole). Lines outside sections and other
//! log categories are skipped, and so is the `+N: --end of the loop--` that ends a loop.

use std::fmt;

/// Where something is in the log: line and column, both from 1 (the text format's own
/// position type).
pub use jit_core::text::Pos;

/// The position of `line` and `column` (saturating: a log of more than 2^32 lines still
/// reads).
fn at(line: usize, column: usize) -> Pos {
    Pos {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        col: u32::try_from(column).unwrap_or(u32::MAX),
    }
}

/// Why a log could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogErrorKind {
    /// Something other than what the grammar allows here.
    Expected {
        /// What would have been allowed.
        expected: &'static str,
        /// What was there.
        found: String,
    },
    /// A section ends that was not begun, or another begins before it ends.
    Section(String),
    /// A number does not fit its field.
    Number(String),
    /// A section ended with the log.
    Unterminated,
}

/// An error reading a log, at its line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogError {
    /// Where.
    pub pos: Pos,
    /// What.
    pub kind: LogErrorKind,
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.pos)?;
        match &self.kind {
            LogErrorKind::Expected { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            LogErrorKind::Section(s) => write!(f, "{s}"),
            LogErrorKind::Number(s) => write!(f, "number out of range: {s}"),
            LogErrorKind::Unterminated => write!(f, "the log ends inside a section"),
        }
    }
}

impl std::error::Error for LogError {}

/// A whole log: its loops and bridges in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Log {
    /// Every `jit-log-opt-loop` and `jit-log-opt-bridge` section.
    pub parts: Vec<Part>,
}

/// What a part is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartKind {
    /// A loop (`# Loop N (name) : loop with K ops`), or an entry bridge into one (`entry`).
    Loop {
        /// PyPy's number for it.
        number: u32,
        /// The Python source position it starts at, as PyPy names it.
        name: String,
        /// An entry bridge (code entering a loop from the interpreter) rather than a loop.
        entry: bool,
    },
    /// A bridge (`# bridge out of Guard 0x… with K ops`).
    Bridge {
        /// The address PyPy names the guard it grows out of by.
        guard: u64,
    },
}

/// One loop or bridge.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// Loop or bridge, from the section's title comment.
    pub kind: PartKind,
    /// Where the section begins.
    pub pos: Pos,
    /// The input variables.
    pub inputs: Vec<String>,
    /// The operations, `debug_merge_point` included.
    pub ops: Vec<LogOp>,
}

/// One operation.
#[derive(Clone, Debug, PartialEq)]
pub struct LogOp {
    /// Where its line is.
    pub pos: Pos,
    /// The code offset PyPy printed (`+267:`), if any.
    pub offset: Option<u32>,
    /// The variable it defines.
    pub result: Option<String>,
    /// The operation (`int_add_ovf`, `getfield_gc_r`, …).
    pub name: String,
    /// Its arguments, `descr` not included.
    pub args: Vec<LogArg>,
    /// Its `descr=`, if any.
    pub descr: Option<Descr>,
    /// A guard's fail args (`None` entries are holes); `None` if it has no brackets.
    pub fail_args: Option<Vec<Option<String>>>,
}

/// An argument.
#[derive(Clone, Debug, PartialEq)]
pub enum LogArg {
    /// A variable: `i5`, `p0`, `f3`.
    Var(String),
    /// An integer constant.
    Int(i64),
    /// A float constant, as its bits.
    Float(u64),
    /// `ConstClass(name)`: a class (vtable) or function PyPy names.
    ConstClass(String),
    /// `ConstPtr(ptrN)`: a constant GC pointer PyPy numbers; `ConstPtr(null)` is `"null"`.
    ConstPtr(String),
    /// A quoted string (`debug_merge_point`'s source position).
    Str(String),
}

/// What a `descr=` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Descr {
    /// `<Guard0x…>`: a guard, by address.
    Guard(u64),
    /// `TargetToken(N)`: a label's token, which jumps name.
    Target(u64),
    /// `<FieldS name offset [pure]>`: a field of kind `S` (signed), `U` (unsigned), `P`
    /// (pointer) or `F` (float) at `offset`.
    Field {
        /// `S`, `U`, `P` or `F`.
        kind: char,
        /// `pypy.objspace.std.intobject.W_IntObject.inst_intval`.
        name: String,
        /// Byte offset in the object.
        offset: u32,
        /// Marked `pure` (immutable).
        pure: bool,
    },
    /// `<ArrayS 8>`: array items of kind `S`, `U`, `P` or `F` and this size.
    Array {
        /// `S`, `U`, `P` or `F`.
        kind: char,
        /// Bytes per item.
        item: u32,
    },
    /// `<Loop2>`: the loop `call_assembler` calls, by PyPy's number.
    Loop(u32),
    /// `<SizeDescr 16>`: an object of this size (`new`, `new_with_vtable`).
    Size(u32),
    /// `<Calli 8 rrii EF=5 OS=4>`: a call returning `i`, `r`, `f` or `v` (nothing) of
    /// `size` bytes, with argument kinds and effect info as written.
    Call {
        /// `i`, `r`, `f` or `v`.
        ret: char,
        /// Bytes of the result.
        size: u32,
        /// Argument kinds (`rrii`), empty if none.
        args: String,
        /// The rest (`EF=5 OS=4`).
        extra: String,
    },
    /// `<InteriorFieldDescr <FieldP odictentry.value 8>>`: a field inside an array item.
    Interior(Box<Descr>),
    /// Anything else, as written between the brackets.
    Other(String),
}

/// Reads a log. Lines outside `jit-log-opt` sections are skipped.
pub fn read(text: &str) -> Result<Log, LogError> {
    let mut log = Log::default();
    // The section being read: its title's part kind, where it began, inputs, operations.
    type Open = (Option<PartKind>, Pos, Option<Vec<String>>, Vec<LogOp>);
    let mut current: Option<Open> = None;
    let mut last_line = 0;
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        last_line = line;
        let at = |column: usize| at(line, column);
        let trimmed = raw.trim_end();
        if let Some(rest) = section_marker(trimmed) {
            match rest {
                Marker::Begin => {
                    if current.is_some() {
                        return Err(LogError {
                            pos: at(1),
                            kind: LogErrorKind::Section(
                                "a section begins before the last one ended".into(),
                            ),
                        });
                    }
                    current = Some((None, at(1), None, Vec::new()));
                }
                Marker::End => {
                    let Some((kind, pos, inputs, ops)) = current.take() else {
                        return Err(LogError {
                            pos: at(1),
                            kind: LogErrorKind::Section("a section ends that did not begin".into()),
                        });
                    };
                    let kind = kind.ok_or(LogError {
                        pos,
                        kind: LogErrorKind::Expected {
                            expected: "a '# Loop' or '# bridge out of Guard' title",
                            found: "none".into(),
                        },
                    })?;
                    log.parts.push(Part {
                        kind,
                        pos,
                        inputs: inputs.unwrap_or_default(),
                        ops,
                    });
                }
                Marker::Other => {}
            }
            continue;
        }
        let Some((kind, _, inputs, ops)) = current.as_mut() else {
            continue;
        };
        if trimmed.trim().is_empty() {
            continue;
        }
        let mut c = Cursor::new(trimmed, line);
        c.skip_spaces();
        if c.peek() == Some('#') {
            if let Some(k) = title(trimmed, line)? {
                *kind = Some(k);
            }
            continue;
        }
        // `+960: --end of the loop--`: where the loop's code ends; nothing to read.
        if trimmed.ends_with("--end of the loop--") {
            continue;
        }
        if inputs.is_none() && c.peek() == Some('[') {
            c.bump();
            *inputs = Some(c.var_list(']')?);
            c.end()?;
            continue;
        }
        ops.push(c.op()?);
    }
    if current.is_some() {
        return Err(LogError {
            pos: at(last_line.max(1), 1),
            kind: LogErrorKind::Unterminated,
        });
    }
    Ok(log)
}

enum Marker {
    Begin,
    End,
    Other,
}

/// `[hex] {jit-log-opt-loop` and the like: which marker of a `jit-log-opt` section, or of
/// another category (skipped).
fn section_marker(line: &str) -> Option<Marker> {
    let rest = line.strip_prefix('[')?;
    let close = rest.find(']')?;
    if !rest[..close].chars().all(|c| c.is_ascii_hexdigit()) || close == 0 {
        return None;
    }
    let what = rest[close + 1..].trim();
    Some(match what {
        "{jit-log-opt-loop" | "{jit-log-opt-bridge" => Marker::Begin,
        "jit-log-opt-loop}" | "jit-log-opt-bridge}" => Marker::End,
        _ => Marker::Other,
    })
}

/// The part a title comment names, if it is one.
fn title(line: &str, n: usize) -> Result<Option<PartKind>, LogError> {
    let body = line.trim_start().trim_start_matches('#').trim();
    let at = |column: usize| at(n, column);
    if let Some(rest) = body.strip_prefix("bridge out of Guard ") {
        let hex = rest.split_whitespace().next().unwrap_or("");
        let digits = hex.strip_prefix("0x").unwrap_or(hex);
        let guard = u64::from_str_radix(digits, 16).map_err(|_| LogError {
            pos: at(line.find("Guard").map_or(1, |i| i + 7)),
            kind: LogErrorKind::Expected {
                expected: "a guard's hex address",
                found: format!("'{hex}'"),
            },
        })?;
        return Ok(Some(PartKind::Bridge { guard }));
    }
    if let Some(rest) = body.strip_prefix("Loop ") {
        let num: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let number = num.parse::<u32>().map_err(|_| LogError {
            pos: at(line.find("Loop").map_or(1, |i| i + 6)),
            kind: LogErrorKind::Expected {
                expected: "a loop number",
                found: format!("'{}'", rest.split_whitespace().next().unwrap_or("")),
            },
        })?;
        // The name is between the first '(' and the last ')' before " : ".
        let head = rest.rsplit_once(" : ").map_or(rest, |(h, _)| h);
        let name = match (head.find('('), head.rfind(')')) {
            (Some(a), Some(b)) if a < b => head[a + 1..b].to_string(),
            _ => String::new(),
        };
        let entry = rest
            .rsplit_once(" : ")
            .is_some_and(|(_, t)| t.starts_with("entry bridge"));
        return Ok(Some(PartKind::Loop {
            number,
            name,
            entry,
        }));
    }
    Ok(None)
}

/// A character cursor over one line.
struct Cursor {
    chars: Vec<char>,
    i: usize,
    line: usize,
}

impl Cursor {
    fn new(text: &str, line: usize) -> Cursor {
        Cursor {
            chars: text.chars().collect(),
            i: 0,
            line,
        }
    }

    fn pos(&self) -> Pos {
        at(self.line, self.i + 1)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek();
        self.i += c.is_some() as usize;
        c
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(|c| c == ' ' || c == '\t') {
            self.i += 1;
        }
    }

    fn found(&self) -> String {
        match self.peek() {
            None => "the end of the line".into(),
            Some(c) => format!("'{c}'"),
        }
    }

    fn expected<T>(&self, expected: &'static str) -> Result<T, LogError> {
        Err(LogError {
            pos: self.pos(),
            kind: LogErrorKind::Expected {
                expected,
                found: self.found(),
            },
        })
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_spaces();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char, what: &'static str) -> Result<(), LogError> {
        if self.eat(c) {
            Ok(())
        } else {
            self.expected(what)
        }
    }

    fn end(&mut self) -> Result<(), LogError> {
        self.skip_spaces();
        match self.peek() {
            None => Ok(()),
            Some(_) => self.expected("the end of the line"),
        }
    }

    /// A name: letters, digits, `_`, `.` and `$`.
    fn ident(&mut self) -> String {
        self.skip_spaces();
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '$')
        {
            self.i += 1;
        }
        self.chars[start..self.i].iter().collect()
    }

    /// `a, b, c]`: variables (or `None`) up to `close`.
    fn var_list(&mut self, close: char) -> Result<Vec<String>, LogError> {
        Ok(self
            .fail_args(close)?
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect())
    }

    fn fail_args(&mut self, close: char) -> Result<Vec<Option<String>>, LogError> {
        let mut out = Vec::new();
        if self.eat(close) {
            return Ok(out);
        }
        loop {
            let pos = self.pos();
            let name = self.ident();
            if name.is_empty() {
                return self.expected("a variable");
            }
            if name == "None" {
                out.push(None);
            } else if is_var(&name) {
                out.push(Some(name));
            } else {
                return Err(LogError {
                    pos,
                    kind: LogErrorKind::Expected {
                        expected: "a variable",
                        found: format!("'{name}'"),
                    },
                });
            }
            if self.eat(close) {
                return Ok(out);
            }
            self.expect(',', "',' or the closing bracket")?;
        }
    }

    /// One operation line.
    fn op(&mut self) -> Result<LogOp, LogError> {
        self.skip_spaces();
        let pos = self.pos();
        let mut offset = None;
        if self.peek() == Some('+') {
            self.bump();
            let digits = self.ident();
            offset = Some(digits.parse::<u32>().map_err(|_| LogError {
                pos,
                kind: LogErrorKind::Expected {
                    expected: "a code offset",
                    found: format!("'+{digits}'"),
                },
            })?);
            self.expect(':', "':' after the code offset")?;
        }
        let first_pos = {
            self.skip_spaces();
            self.pos()
        };
        let first = self.ident();
        if first.is_empty() {
            return self.expected("an operation or a variable");
        }
        let (result, name) = if self.eat('=') {
            if !is_var(&first) {
                return Err(LogError {
                    pos: first_pos,
                    kind: LogErrorKind::Expected {
                        expected: "a variable before '='",
                        found: format!("'{first}'"),
                    },
                });
            }
            let name = self.ident();
            if name.is_empty() {
                return self.expected("an operation");
            }
            (Some(first), name)
        } else {
            (None, first)
        };
        self.expect('(', "'(' after the operation")?;
        let mut args = Vec::new();
        let mut descr = None;
        if !self.eat(')') {
            loop {
                self.skip_spaces();
                if self.looking_at("descr=") {
                    self.i += "descr=".len();
                    descr = Some(self.descr()?);
                    self.expect(')', "')' after the descr")?;
                    break;
                }
                args.push(self.arg()?);
                if self.eat(')') {
                    break;
                }
                self.expect(',', "',' or ')'")?;
            }
        }
        let fail_args = if self.eat('[') {
            Some(self.fail_args(']')?)
        } else {
            None
        };
        self.end()?;
        Ok(LogOp {
            pos,
            offset,
            result,
            name,
            args,
            descr,
            fail_args,
        })
    }

    fn looking_at(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(k, c)| self.chars.get(self.i + k) == Some(&c))
    }

    fn arg(&mut self) -> Result<LogArg, LogError> {
        self.skip_spaces();
        let pos = self.pos();
        match self.peek() {
            Some('\'') | Some('"') => {
                let q = self.bump().unwrap_or('\'');
                let mut s = String::new();
                loop {
                    match self.bump() {
                        None => return self.expected("the end of the string"),
                        Some('\\') => match self.bump() {
                            Some(c) => s.push(c),
                            None => return self.expected("an escaped character"),
                        },
                        Some(c) if c == q => return Ok(LogArg::Str(s)),
                        Some(c) => s.push(c),
                    }
                }
            }
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let start = self.i;
                self.i += 1;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '+' || c == '-')
                {
                    self.i += 1;
                }
                let text: String = self.chars[start..self.i].iter().collect();
                number(&text).ok_or(LogError {
                    pos,
                    kind: LogErrorKind::Number(text),
                })
            }
            _ => {
                let name = self.ident();
                match name.as_str() {
                    "ConstClass" | "ConstPtr" => {
                        self.expect('(', "'(' after ConstClass or ConstPtr")?;
                        let inner = self.ident();
                        if inner.is_empty() {
                            return self.expected("a name");
                        }
                        self.expect(')', "')'")?;
                        Ok(if name == "ConstClass" {
                            LogArg::ConstClass(inner)
                        } else {
                            LogArg::ConstPtr(inner)
                        })
                    }
                    "inf" => Ok(LogArg::Float(f64::INFINITY.to_bits())),
                    "nan" => Ok(LogArg::Float(f64::NAN.to_bits())),
                    n if is_var(n) => Ok(LogArg::Var(name)),
                    "" => self.expected("an argument"),
                    _ => Err(LogError {
                        pos,
                        kind: LogErrorKind::Expected {
                            expected: "an argument",
                            found: format!("'{name}'"),
                        },
                    }),
                }
            }
        }
    }

    /// After `descr=`: `<...>` (nested brackets allowed) or `Name(...)`.
    fn descr(&mut self) -> Result<Descr, LogError> {
        let pos = self.pos();
        if self.peek() == Some('<') {
            let text = self.bracketed()?;
            return Ok(descr_of(&text));
        }
        let name = self.ident();
        self.expect('(', "'<' or a descr's name and '('")?;
        let start = self.i;
        while self.peek().is_some_and(|c| c != ')') {
            self.i += 1;
        }
        let inner: String = self.chars[start..self.i].iter().collect();
        self.expect(')', "')'")?;
        match name.as_str() {
            "TargetToken" => inner
                .trim()
                .parse::<u64>()
                .map(Descr::Target)
                .map_err(|_| LogError {
                    pos,
                    kind: LogErrorKind::Number(inner),
                }),
            _ => Ok(Descr::Other(format!("{name}({inner})"))),
        }
    }

    /// `<...>` with nesting; returns what is inside the outer brackets.
    fn bracketed(&mut self) -> Result<String, LogError> {
        let mut depth = 0usize;
        let start = self.i + 1;
        loop {
            match self.bump() {
                None => return self.expected("'>'"),
                Some('<') => depth += 1,
                Some('>') => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(self.chars[start..self.i - 1].iter().collect());
                    }
                }
                Some(_) => {}
            }
        }
    }
}

/// `i5`, `p0`, `f3` (and PyPy's `v`, for results of no type).
fn is_var(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some('i' | 'p' | 'f' | 'v')) && s.len() > 1 && c.all(|d| d.is_ascii_digit())
}

/// An integer or float constant as PyPy writes it.
fn number(text: &str) -> Option<LogArg> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(LogArg::Int(i));
    }
    if text.contains(['.', 'e', 'E']) || text == "-inf" {
        if text == "-inf" {
            return Some(LogArg::Float(f64::NEG_INFINITY.to_bits()));
        }
        return text.parse::<f64>().ok().map(|f| LogArg::Float(f.to_bits()));
    }
    None
}

/// What the text inside `descr=<...>` says.
fn descr_of(text: &str) -> Descr {
    let text = text.trim();
    if let Some(hex) = text.strip_prefix("Guard0x") {
        if let Ok(a) = u64::from_str_radix(hex, 16) {
            return Descr::Guard(a);
        }
    }
    if let Some(n) = text
        .strip_prefix("Loop")
        .and_then(|n| n.parse::<u32>().ok())
    {
        return Descr::Loop(n);
    }
    if let Some(inner) = text.strip_prefix("InteriorFieldDescr ") {
        let inner = inner.trim();
        if let Some(i) = inner.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
            return Descr::Interior(Box::new(descr_of(i)));
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let kind_of = |w: &str, prefix: &str| {
        w.strip_prefix(prefix)
            .filter(|k| k.len() == 1 && "SUPF".contains(*k))
            .and_then(|k| k.chars().next())
    };
    match words.as_slice() {
        [w, name, offset, rest @ ..] if kind_of(w, "Field").is_some() => {
            if let Ok(offset) = offset.parse::<u32>() {
                return Descr::Field {
                    kind: kind_of(w, "Field").unwrap_or('S'),
                    name: name.to_string(),
                    offset,
                    pure: rest.contains(&"pure"),
                };
            }
        }
        [w, item, ..] if kind_of(w, "Array").is_some() => {
            if let Ok(item) = item.parse::<u32>() {
                return Descr::Array {
                    kind: kind_of(w, "Array").unwrap_or('S'),
                    item,
                };
            }
        }
        ["SizeDescr", size, ..] => {
            if let Ok(size) = size.parse::<u32>() {
                return Descr::Size(size);
            }
        }
        [w, size, rest @ ..] if w.len() == 5 && w.starts_with("Call") => {
            let ret = w.chars().nth(4).unwrap_or('v');
            if let (Ok(size), true) = (size.parse::<u32>(), "irfv".contains(ret)) {
                let (args, extra) = match rest.first() {
                    Some(a) if !a.contains('=') => (a.to_string(), rest[1..].join(" ")),
                    _ => (String::new(), rest.join(" ")),
                };
                return Descr::Call {
                    ret,
                    size,
                    args,
                    extra,
                };
            }
        }
        _ => {}
    }
    Descr::Other(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
[7e41e2237561] {jit-log-opt-loop
# Loop 1 (f;x.py:3-8~#26 LOAD_FAST) : loop with 4 ops
[p0, i1]
+267: p2 = getfield_gc_r(p0, descr=<FieldP a.B.inst_c 64>)
debug_merge_point(0, 0, 'f;x.py:3-8~#26 LOAD_FAST')
+400: guard_value(i1, 6, descr=<Guard0x7f010c034da0>) [p0, None, i1]
+410: f3 = float_add(1.500000, -2.5e-07)
+545: label(p0, i1, descr=TargetToken(139642473338528))
+560: p4 = getinteriorfield_gc_r(p2, i1, descr=<InteriorFieldDescr <FieldP odictentry.value 8>>)
+570: i5 = call_i(ConstClass(ll_f), p4, ConstPtr(null), descr=<Calli 8 rr EF=5 OS=4>)
+580: jump(p0, i5, descr=TargetToken(139642473338528))
[7e41e2298a1b] jit-log-opt-loop}
[7e41e2298a1c] {jit-backend-counts
entry 1:1
[7e41e2298a1d] jit-backend-counts}
[7e41e2298f00] {jit-log-opt-bridge
# bridge out of Guard 0x7f010c034da0 with 1 ops
[p0, i1]
+37: finish(i1, descr=<DoneWithThisFrameDescrInt object at 0x7f0>)
[7e41e2299000] jit-log-opt-bridge}
";

    #[test]
    fn reads_loops_bridges_and_every_argument_form() {
        let log = read(SAMPLE).unwrap();
        assert_eq!(log.parts.len(), 2);
        let l = &log.parts[0];
        assert_eq!(
            l.kind,
            PartKind::Loop {
                number: 1,
                name: "f;x.py:3-8~#26 LOAD_FAST".into(),
                entry: false
            }
        );
        assert_eq!(l.inputs, ["p0", "i1"]);
        assert_eq!(l.ops.len(), 8);
        assert_eq!(
            l.ops[0].descr,
            Some(Descr::Field {
                kind: 'P',
                name: "a.B.inst_c".into(),
                offset: 64,
                pure: false
            })
        );
        assert_eq!(l.ops[2].descr, Some(Descr::Guard(0x7f01_0c03_4da0)));
        assert_eq!(
            l.ops[2].fail_args,
            Some(vec![Some("p0".into()), None, Some("i1".into())])
        );
        assert_eq!(
            l.ops[3].args,
            [
                LogArg::Float(1.5f64.to_bits()),
                LogArg::Float((-2.5e-7f64).to_bits())
            ]
        );
        assert_eq!(l.ops[4].descr, Some(Descr::Target(139642473338528)));
        assert!(matches!(l.ops[5].descr, Some(Descr::Interior(_))));
        assert_eq!(
            l.ops[6].args,
            [
                LogArg::ConstClass("ll_f".into()),
                LogArg::Var("p4".into()),
                LogArg::ConstPtr("null".into())
            ]
        );
        assert!(matches!(
            l.ops[6].descr,
            Some(Descr::Call { ret: 'i', size: 8, ref args, .. }) if args == "rr"
        ));
        assert_eq!(
            log.parts[1].kind,
            PartKind::Bridge {
                guard: 0x7f01_0c03_4da0
            }
        );
        assert!(matches!(log.parts[1].ops[0].descr, Some(Descr::Other(_))));
    }

    #[test]
    fn errors_name_line_and_column() {
        let bad = SAMPLE.replace("p2 = getfield_gc_r(p0,", "p2 = getfield_gc_r(p0 p1,");
        let e = read(&bad).unwrap_err();
        assert_eq!(e.pos, Pos { line: 4, col: 29 });
        assert_eq!(e.to_string(), "4:29: expected ',' or ')', found 'p'");
        let e = read("[1] {jit-log-opt-loop\n[p0]\n").unwrap_err();
        assert_eq!(e.kind, LogErrorKind::Unterminated);
        let e = read("[1] jit-log-opt-loop}\n").unwrap_err();
        assert!(matches!(e.kind, LogErrorKind::Section(_)));
    }
}
