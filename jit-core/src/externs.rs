//! External functions a trace can call, as the interpreter sees them.
//!
//! A trace declares what it calls (`extern @gcd(i32, i32) -> i32`); at run time each name
//! is looked up in an [`Externs`] table and the signatures must agree. Functions compute
//! from their arguments alone, so every target can provide the same ones.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::ir::{Scalar, Type};

/// The body of an external function: arguments in, result (if any) out.
pub type ExternBody = Arc<dyn Fn(&[Scalar]) -> Option<Scalar> + Send + Sync>;

/// One external function.
#[derive(Clone)]
pub struct ExternFn {
    /// Parameter types.
    pub params: Vec<Type>,
    /// Result type.
    pub ret: Option<Type>,
    /// What it computes.
    pub body: ExternBody,
}

impl fmt::Debug for ExternFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExternFn")
            .field("params", &self.params)
            .field("ret", &self.ret)
            .finish_non_exhaustive()
    }
}

/// A table of external functions by name.
#[derive(Clone, Debug, Default)]
pub struct Externs {
    map: BTreeMap<String, ExternFn>,
}

impl Externs {
    /// An empty table.
    pub fn new() -> Externs {
        Externs::default()
    }

    /// Adds (or replaces) a function.
    pub fn insert(
        &mut self,
        name: &str,
        params: &[Type],
        ret: Option<Type>,
        body: impl Fn(&[Scalar]) -> Option<Scalar> + Send + Sync + 'static,
    ) {
        self.map.insert(
            name.to_string(),
            ExternFn {
                params: params.to_vec(),
                ret,
                body: Arc::new(body),
            },
        );
    }

    /// The function called `name`.
    pub fn get(&self, name: &str) -> Option<&ExternFn> {
        self.map.get(name)
    }

    /// Names and functions, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ExternFn)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The functions the examples and the command-line tool use; docs/ir.md lists them.
    pub fn standard() -> Externs {
        use Type::*;
        let mut t = Externs::new();
        t.insert("answer", &[], Some(I32), |_| Some(Scalar::I32(42)));
        t.insert("gcd", &[I32, I32], Some(I32), |a| {
            let (mut x, mut y) = (
                a[0].bits().unsigned_abs() as u32,
                a[1].bits().unsigned_abs() as u32,
            );
            while y != 0 {
                (x, y) = (y, x % y);
            }
            Some(Scalar::I32(x as i32))
        });
        t.insert("add3", &[I32, I32, I32], Some(I32), |a| {
            Some(Scalar::I32(
                (a[0].bits() as i32)
                    .wrapping_add(a[1].bits() as i32)
                    .wrapping_add(a[2].bits() as i32),
            ))
        });
        t.insert("mix64", &[I64, I64], Some(I64), |a| {
            let mut h = (a[0].bits() ^ a[1].bits()) as u64;
            h ^= h >> 33;
            h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
            h ^= h >> 33;
            Some(Scalar::I64(h as i64))
        });
        t.insert("dot2", &[F64, F64, F64, F64], Some(F64), |a| {
            let f = |i: usize| a[i].as_f64().unwrap_or(0.0);
            Some(Scalar::f64(f(0) * f(1) + f(2) * f(3)))
        });
        t.insert("scale", &[F64, I32], Some(F64), |a| {
            Some(Scalar::f64(
                a[0].as_f64().unwrap_or(0.0) * a[1].bits() as f64,
            ))
        });
        t.insert("sum8", &[I32; 8], Some(I32), |a| {
            Some(Scalar::I32(
                a.iter().fold(0i32, |s, x| s.wrapping_add(x.bits() as i32)),
            ))
        });
        t.insert("mixed", &[I32, F64, I64, F64, I32, I64], Some(F64), |a| {
            let f = |i: usize| a[i].as_f64().unwrap_or(0.0);
            let n = |i: usize| a[i].bits() as f64;
            Some(Scalar::f64(
                n(0) + f(1) * 2.0 + n(2) * 3.0 + f(3) * 4.0 + n(4) * 5.0 + n(5) * 6.0,
            ))
        });
        t.insert("record", &[I32], None, |_| None);
        t
    }
}
