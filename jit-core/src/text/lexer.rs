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
    // `.` joins a struct and its field in a descr: `descr=<Node.next>`.
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
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
                let hex = text.trim_start_matches(['-', '+']).starts_with("0x")
                    || text.trim_start_matches(['-', '+']).starts_with("0X");
                while (if hex {
                    text.ends_with('p') || text.ends_with('P')
                } else {
                    text.ends_with('e') || text.ends_with('E')
                }) && matches!(chars.get(i), Some('-' | '+'))
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
/// floats, hex floats (`0x1.8p-3`, as C writes them), and signed `inf` / `nan`.
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
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        if hex.contains(['p', 'P']) {
            let x = hex_float(hex).ok_or_else(bad)?;
            return Ok(Tok::Float(if neg { -x } else { x }.to_bits()));
        }
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

/// A hex float after its `0x`: hex digits with an optional point, then `p` and a decimal
/// power of two (`1.8p-3` = 1.5 / 8), correctly rounded to the nearest double (ties to even).
fn hex_float(text: &str) -> Option<f64> {
    let (mantissa, exp) = text.split_once(['p', 'P'])?;
    let exp: i64 = {
        let (sign, digits) = match exp.as_bytes().first()? {
            b'-' => (-1, &exp[1..]),
            b'+' => (1, &exp[1..]),
            _ => (1, exp),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Past ±100,000 every double is 0 or infinite: clamp instead of overflowing.
        sign * digits.parse::<i64>().unwrap_or(100_000).min(100_000)
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    // value = m * 2^e2, with bits that did not fit in m kept only as `sticky`.
    let (mut m, mut e2, mut sticky) = (0u128, exp, false);
    for (c, after_point) in int
        .chars()
        .map(|c| (c, false))
        .chain(frac.chars().map(|c| (c, true)))
    {
        let d = c.to_digit(16)? as u128;
        if m < 1 << 120 {
            m = m * 16 + d;
            if after_point {
                e2 -= 4;
            }
        } else {
            sticky |= d != 0;
            if !after_point {
                e2 += 4;
            }
        }
    }
    if m == 0 {
        return Some(0.0);
    }
    let bits = 128 - m.leading_zeros() as i64;
    let top = e2 + bits - 1; // value in [2^top, 2^(top + 1))
    if top > 1023 {
        return Some(f64::INFINITY);
    }
    // The lowest bit a double keeps here, and how many bits of m fall below it.
    let low = (top - 52).max(-1074);
    let shift = low - e2;
    let mant: u128 = if shift <= 0 {
        m << -shift
    } else {
        let (kept, rest, half) = if shift >= 128 {
            (
                0,
                m,
                if shift == 128 {
                    1u128 << 127
                } else {
                    u128::MAX
                },
            )
        } else {
            (m >> shift, m & ((1u128 << shift) - 1), 1u128 << (shift - 1))
        };
        let up = rest > half || (rest == half && (sticky || kept & 1 == 1));
        kept + up as u128
    };
    let scale = if low >= -1022 {
        f64::from_bits(((low + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (low + 1074))
    };
    // mant < 2^54 is exact as a double, and scaling by a power of two rounds only on
    // overflow (to infinity, correctly).
    Some(mant as f64 * scale)
}
