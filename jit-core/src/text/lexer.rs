//! Tokens of the text format, each with its line and column.

use super::{ParseError, ParseErrorKind, Pos};

/// A token.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// A name: op names, variables, keywords.
    Ident(String),
    /// `@name`.
    Func(String),
    /// An integer literal; `long` if it ends in `L`.
    Int {
        value: i128,
        long: bool,
    },
    /// A float literal, as bits.
    Float(u64),
    LBracket,
    RBracket,
    LParen,
    RParen,
    Comma,
    Eq,
    Arrow,
    Lt,
    Gt,
    Eof,
}

impl Tok {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("'{s}'"),
            Tok::Func(s) => format!("'@{s}'"),
            Tok::Int { value, long } => format!("'{value}{}'", if *long { "L" } else { "" }),
            Tok::Float(b) => format!("'{}'", f64::from_bits(*b)),
            Tok::LBracket => "'['".into(),
            Tok::RBracket => "']'".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::Eq => "'='".into(),
            Tok::Arrow => "'->'".into(),
            Tok::Lt => "'<'".into(),
            Tok::Gt => "'>'".into(),
            Tok::Eof => "end of input".into(),
        }
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Splits `src` into tokens; comments (`#` to the end of the line) and white space vanish.
pub(crate) fn lex(src: &str) -> Result<Vec<(Tok, Pos)>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1u32, 1u32);
    while i < chars.len() {
        let c = chars[i];
        let pos = Pos { line, col };
        let start = i;
        let tok = match c {
            '\n' => {
                i += 1;
                line += 1;
                col = 1;
                continue;
            }
            c if c.is_whitespace() => {
                i += 1;
                col += 1;
                continue;
            }
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '[' => one(&mut i, Tok::LBracket),
            ']' => one(&mut i, Tok::RBracket),
            '(' => one(&mut i, Tok::LParen),
            ')' => one(&mut i, Tok::RParen),
            ',' => one(&mut i, Tok::Comma),
            '=' => one(&mut i, Tok::Eq),
            '<' => one(&mut i, Tok::Lt),
            '>' => one(&mut i, Tok::Gt),
            '-' if chars.get(i + 1) == Some(&'>') => {
                i += 2;
                Tok::Arrow
            }
            '@' => {
                i += 1;
                let s = take(&chars, &mut i, is_ident_char);
                if s.is_empty() {
                    return Err(ParseError::new(
                        pos,
                        ParseErrorKind::Expected {
                            expected: "a function name after '@'".into(),
                            found: describe_char(chars.get(i).copied()),
                        },
                    ));
                }
                Tok::Func(s)
            }
            c if c == '-' || c == '+' || c.is_ascii_digit() => {
                i += 1;
                let rest = take(&chars, &mut i, |c| is_ident_char(c) || c == '.');
                // An exponent's sign: `1e-5`, `2.5E+10`.
                let mut text = format!("{c}{rest}");
                while (text.ends_with('e') || text.ends_with('E'))
                    && !text.starts_with("0x")
                    && matches!(chars.get(i), Some('-' | '+'))
                {
                    text.push(chars[i]);
                    i += 1;
                    text.push_str(&take(&chars, &mut i, |c| c.is_ascii_digit()));
                }
                number(&text, pos)?
            }
            c if is_ident_start(c) => Tok::Ident(take(&chars, &mut i, is_ident_char)),
            c => {
                return Err(ParseError::new(pos, ParseErrorKind::UnexpectedChar(c)));
            }
        };
        col += (i - start) as u32;
        out.push((tok, pos));
    }
    out.push((Tok::Eof, Pos { line, col }));
    Ok(out)
}

fn one(i: &mut usize, t: Tok) -> Tok {
    *i += 1;
    t
}

fn take(chars: &[char], i: &mut usize, f: impl Fn(char) -> bool) -> String {
    let start = *i;
    while *i < chars.len() && f(chars[*i]) {
        *i += 1;
    }
    chars[start..*i].iter().collect()
}

fn describe_char(c: Option<char>) -> String {
    match c {
        Some(c) => format!("'{c}'"),
        None => "end of input".into(),
    }
}

/// Reads a numeric literal: decimal or `0x` hex integers with an optional `L`, decimal
/// floats, and signed `inf` / `nan`.
fn number(text: &str, pos: Pos) -> Result<Tok, ParseError> {
    let bad = || ParseError::new(pos, ParseErrorKind::BadNumber(text.to_string()));
    let (neg, body) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    match body {
        "inf" => {
            return Ok(Tok::Float(
                if neg {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                }
                .to_bits(),
            ))
        }
        "nan" => {
            let bits = crate::ir::CANONICAL_NAN_BITS | if neg { 1 << 63 } else { 0 };
            return Ok(Tok::Float(bits));
        }
        _ => {}
    }
    if body.is_empty() || !body.as_bytes()[0].is_ascii_digit() {
        return Err(bad());
    }
    let (digits, long) = match body.strip_suffix('L') {
        Some(d) => (d, true),
        None => (body, false),
    };
    let magnitude = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        u128::from_str_radix(hex, 16).ok()
    } else if digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<u128>().ok()
    } else {
        if long {
            return Err(bad());
        }
        let x: f64 = body.parse().map_err(|_| bad())?;
        return Ok(Tok::Float(if neg { -x } else { x }.to_bits()));
    };
    let m = magnitude
        .filter(|&m| m <= u64::MAX as u128)
        .ok_or_else(|| {
            ParseError::new(
                pos,
                ParseErrorKind::ConstOutOfRange {
                    text: text.to_string(),
                    ty: None,
                },
            )
        })? as i128;
    Ok(Tok::Int {
        value: if neg { -m } else { m },
        long,
    })
}
