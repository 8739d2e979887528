//! External functions a trace can call.
//!
//! A trace declares what it calls (`extern @gcd(i32, i32) -> i32`); at run time each name
//! is looked up in an [`Externs`] table and the signatures must agree. Functions compute
//! from their arguments alone, so every target can provide the same ones. A function
//! defined with [`crate::define_externs!`] exists twice from one body: as a closure the
//! interpreter calls, and as an `extern "C"` function native code calls, which logs each call
//! so both call logs can be compared.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::interp::CallRecord;
use crate::ir::{CType, Scalar};

/// The body of an external function for the interpreter: arguments in, result out.
pub type ExternBody = Arc<dyn Fn(&[Scalar]) -> Option<Scalar> + Send + Sync>;

/// One external function.
#[derive(Clone)]
pub struct ExternFn {
    /// Parameter types, as its C prototype has them.
    pub params: Vec<CType>,
    /// Result type.
    pub ret: Option<CType>,
    /// What it computes, for the interpreter.
    pub body: ExternBody,
    /// The address of a host `extern "C"` function computing the same, for native code.
    pub native: Option<usize>,
}

impl fmt::Debug for ExternFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExternFn")
            .field("params", &self.params)
            .field("ret", &self.ret)
            .field("native", &self.native.is_some())
            .finish_non_exhaustive()
    }
}

/// A table of external functions by name. Cloning is cheap (the table is shared until one
/// of the clones changes it).
#[derive(Clone, Debug, Default)]
pub struct Externs {
    map: Arc<BTreeMap<String, ExternFn>>,
}

impl Externs {
    /// An empty table.
    pub fn new() -> Externs {
        Externs::default()
    }

    /// Adds (or replaces) a function the interpreter can call.
    pub fn insert(
        &mut self,
        name: &str,
        params: &[CType],
        ret: Option<CType>,
        body: impl Fn(&[Scalar]) -> Option<Scalar> + Send + Sync + 'static,
    ) {
        Arc::make_mut(&mut self.map).insert(
            name.to_string(),
            ExternFn {
                params: params.to_vec(),
                ret,
                body: Arc::new(body),
                native: None,
            },
        );
    }

    /// Adds (or replaces) a function with both an interpreter body and a native address.
    pub fn insert_native(
        &mut self,
        name: &str,
        params: &[CType],
        ret: Option<CType>,
        body: impl Fn(&[Scalar]) -> Option<Scalar> + Send + Sync + 'static,
        native: usize,
    ) {
        self.insert(name, params, ret, body);
        if let Some(f) = Arc::make_mut(&mut self.map).get_mut(name) {
            f.native = Some(native);
        }
    }

    /// The function called `name`.
    pub fn get(&self, name: &str) -> Option<&ExternFn> {
        self.map.get(name)
    }

    /// Names and functions, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ExternFn)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Adds every function of `other`.
    pub fn extend(&mut self, other: &Externs) {
        let map = Arc::make_mut(&mut self.map);
        for (k, v) in other.map.iter() {
            map.insert(k.clone(), v.clone());
        }
    }

    /// Checks every function `trace` declares against this table: each must be in it
    /// with the declared signature. Names reserved for the legalization helpers
    /// (`__aeabi_*`, `tracejit_*`) must have the helper's own signature, whatever the
    /// table says. The interpreter, the compiler and `tracejit check` all run this check.
    /// Returns every error with the index of its declaration in `trace.funcs`.
    pub fn check_decls(&self, trace: &crate::ir::Trace) -> Result<(), Vec<(usize, ExternError)>> {
        let mut errors = Vec::new();
        for (k, decl) in trace.funcs.values().enumerate() {
            let helper;
            let f = if crate::legalize::is_helper(&decl.name) {
                helper = crate::legalize::helpers();
                match helper.get(&decl.name) {
                    Some(f) => f,
                    None => {
                        errors.push((
                            k,
                            ExternError::Reserved {
                                name: decl.name.clone(),
                            },
                        ));
                        continue;
                    }
                }
            } else {
                match self.get(&decl.name) {
                    Some(f) => f,
                    None => {
                        errors.push((
                            k,
                            ExternError::Unknown {
                                name: decl.name.clone(),
                            },
                        ));
                        continue;
                    }
                }
            };
            if f.params != decl.params || f.ret != decl.ret {
                errors.push((
                    k,
                    ExternError::Signature {
                        name: decl.name.clone(),
                        declared: signature(&decl.params, decl.ret),
                        actual: signature(&f.params, f.ret),
                    },
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The functions the examples and the command-line tool use; docs/ir.md lists them.
    pub fn standard() -> Externs {
        let mut t = Externs::new();
        standard::register(&mut t);
        t
    }
}

/// Writes a signature as the text format declares it: `(i32, f64) -> i64`.
pub fn signature(params: &[CType], ret: Option<CType>) -> String {
    let params: Vec<String> = params.iter().map(|t| t.to_string()).collect();
    match ret {
        Some(r) => format!("({}) -> {r}", params.join(", ")),
        None => format!("({})", params.join(", ")),
    }
}

/// Why a trace's declaration of an external function does not fit the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternError {
    /// The table has no function of this name.
    Unknown {
        /// The declared name.
        name: String,
    },
    /// The table's function has another signature than the declaration.
    Signature {
        /// The declared name.
        name: String,
        /// The signature the trace declares.
        declared: String,
        /// The signature of the function in the table.
        actual: String,
    },
    /// The name is reserved for the legalization helpers and names none of them.
    Reserved {
        /// The declared name.
        name: String,
    },
}

impl fmt::Display for ExternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternError::Unknown { name } => write!(f, "no external function @{name}"),
            ExternError::Signature {
                name,
                declared,
                actual,
            } => write!(f, "@{name} is declared {declared} but is {actual}"),
            ExternError::Reserved { name } => write!(
                f,
                "@{name}: names starting with __aeabi_ or tracejit_ are reserved for the legalization helpers"
            ),
        }
    }
}

impl std::error::Error for ExternError {}

/// Where the interpreter's function addresses lie: `func_addr(@f)` is `FUNC_BASE + 16 * k`
/// for the `k`-th name this process has taken an address of — below every buffer
/// (docs/ir.md §6), so no load or store reaches one. Targets use the real address instead;
/// the verifier keeps function addresses from leaving a trace, so the two never meet.
pub const FUNC_BASE: u64 = 0x0800_0000;

/// The names function addresses were taken of, in order, and each name's number.
type FunctionNames = (Vec<String>, std::collections::HashMap<String, usize>);

fn function_names() -> &'static std::sync::Mutex<FunctionNames> {
    static NAMES: std::sync::OnceLock<std::sync::Mutex<FunctionNames>> = std::sync::OnceLock::new();
    NAMES.get_or_init(Default::default)
}

/// The interpreter's address of function `name` (the same for every trace of a process).
pub fn function_address(name: &str) -> u64 {
    let mut guard = function_names()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (names, index) = &mut *guard;
    let k = match index.get(name) {
        Some(&k) => k,
        None => {
            names.push(name.to_string());
            index.insert(name.to_string(), names.len() - 1);
            names.len() - 1
        }
    };
    FUNC_BASE + 16 * k as u64
}

/// The function whose interpreter address is `addr`, if any.
pub fn function_at(addr: u64) -> Option<String> {
    if addr < FUNC_BASE || !(addr - FUNC_BASE).is_multiple_of(16) {
        return None;
    }
    let names = function_names()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    names.0.get(((addr - FUNC_BASE) / 16) as usize).cloned()
}

thread_local! {
    static NATIVE_LOG: RefCell<Vec<CallRecord>> = const { RefCell::new(Vec::new()) };
}

/// Records a call made by native code (used by [`crate::define_externs!`]); legalization
/// helpers are not recorded, as in the interpreter.
pub fn log_native_call(name: &str, args: Vec<Scalar>, result: Option<Scalar>) {
    if crate::legalize::is_helper(name) {
        return;
    }
    NATIVE_LOG.with(|l| {
        let mut l = l.borrow_mut();
        if l.len() < crate::interp::CALL_LOG_LIMIT {
            l.push(CallRecord {
                name: name.to_string(),
                args,
                result,
            });
        }
    });
}

/// Takes the calls native code made on this thread since the last take.
pub fn take_native_calls() -> Vec<CallRecord> {
    NATIVE_LOG.with(|l| std::mem::take(&mut *l.borrow_mut()))
}

/// A Rust type an external function may take or return.
pub trait ExternType: Copy {
    /// Its C type.
    const TY: CType;
    /// From a scalar of its IR type (anything else reads as zero).
    fn from_scalar(s: Scalar) -> Self;
    /// To a scalar of its IR type.
    fn to_scalar(self) -> Scalar;
}

macro_rules! int_extern_type {
    ($($t:ty => $c:ident),*) => {$(
        impl ExternType for $t {
            const TY: CType = CType::$c;
            fn from_scalar(s: Scalar) -> $t {
                s.bits() as $t
            }
            fn to_scalar(self) -> Scalar {
                Scalar::I32(self as i32)
            }
        }
    )*};
}

int_extern_type!(i8 => I8, u8 => U8, i16 => I16, u16 => U16, i32 => I32, u32 => U32);

impl ExternType for i64 {
    const TY: CType = CType::I64;
    fn from_scalar(s: Scalar) -> i64 {
        s.bits()
    }
    fn to_scalar(self) -> Scalar {
        Scalar::I64(self)
    }
}

impl ExternType for f64 {
    const TY: CType = CType::F64;
    fn from_scalar(s: Scalar) -> f64 {
        f64::from_bits(s.bits() as u64)
    }
    fn to_scalar(self) -> Scalar {
        Scalar::F64(self.to_bits())
    }
}

/// A `float` travels as the `i32` of its bits.
impl ExternType for f32 {
    const TY: CType = CType::F32;
    fn from_scalar(s: Scalar) -> f32 {
        f32::from_bits(s.bits() as u32)
    }
    fn to_scalar(self) -> Scalar {
        Scalar::I32(self.to_bits() as i32)
    }
}

/// Defines external functions once for both the interpreter and native code, and a
/// `register(&mut Externs)` function that adds them all.
///
/// ```
/// mod mine {
///     jit_core::define_externs! {
///         fn twice(x: i32) -> i32 { x.wrapping_mul(2) }
///     }
/// }
/// let mut t = jit_core::Externs::new();
/// mine::register(&mut t);
/// assert!(t.get("twice").unwrap().native.is_some());
/// ```
#[macro_export]
macro_rules! define_externs {
    ($( fn $name:ident ( $( $arg:ident : $t:ty ),* ) $( -> $ret:ty )? $body:block )*) => {
        $(
            #[allow(non_snake_case, unused_imports)]
            mod $name {
                use super::*;
                /// What the function computes.
                #[allow(clippy::too_many_arguments, unused_variables)]
                pub fn imp( $( $arg : $t ),* ) $( -> $ret )? $body
                /// The same, for native code; logs the call.
                #[allow(clippy::too_many_arguments, clippy::unused_unit)]
                pub extern "C" fn native( $( $arg : $t ),* ) $( -> $ret )? {
                    let r = imp( $( $arg ),* );
                    $crate::externs::log_native_call(
                        stringify!($name),
                        vec![ $( <$t as $crate::externs::ExternType>::to_scalar($arg) ),* ],
                        $crate::define_externs!(@ret r $( $ret )?),
                    );
                    r
                }
            }
        )*
        /// Adds every function defined here to `t`.
        pub fn register(t: &mut $crate::externs::Externs) {
            $(
                t.insert_native(
                    stringify!($name),
                    &[ $( <$t as $crate::externs::ExternType>::TY ),* ],
                    $crate::define_externs!(@rty $( $ret )?),
                    |a: &[$crate::ir::Scalar]| {
                        #[allow(unused_mut, unused_variables)]
                        let mut it = a.iter();
                        let r = $name::imp( $( <$t as $crate::externs::ExternType>::from_scalar(*it.next()?) ),* );
                        $crate::define_externs!(@ret r $( $ret )?)
                    },
                    $name::native as *const () as usize,
                );
            )*
        }
    };
    (@ret $r:ident $ret:ty) => { Some(<$ret as $crate::externs::ExternType>::to_scalar($r)) };
    (@ret $r:ident) => { { let () = $r; None } };
    (@rty $ret:ty) => { Some(<$ret as $crate::externs::ExternType>::TY) };
    (@rty) => { None };
}

/// The standard functions.
mod standard {
    crate::define_externs! {
        fn answer() -> i32 { 42 }
        fn gcd(a: i32, b: i32) -> i32 {
            let (mut x, mut y) = (a.unsigned_abs(), b.unsigned_abs());
            while y != 0 {
                (x, y) = (y, x % y);
            }
            x as i32
        }
        fn add3(a: i32, b: i32, c: i32) -> i32 { a.wrapping_add(b).wrapping_add(c) }
        fn mix64(a: i64, b: i64) -> i64 {
            let mut h = (a ^ b) as u64;
            h ^= h >> 33;
            h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
            h ^= h >> 33;
            h as i64
        }
        fn dot2(a: f64, b: f64, c: f64, d: f64) -> f64 { crate::ir::canonical(a * b + c * d) }
        fn scale(x: f64, n: i32) -> f64 { crate::ir::canonical(x * n as f64) }
        fn sum8(a: i32, b: i32, c: i32, d: i32, e: i32, f: i32, g: i32, h: i32) -> i32 {
            [b, c, d, e, f, g, h].iter().fold(a, |s, x| s.wrapping_add(*x))
        }
        fn mixed(a: i32, b: f64, c: i64, d: f64, e: i32, f: i64) -> f64 {
            crate::ir::canonical(
                a as f64 + b * 2.0 + c as f64 * 3.0 + d * 4.0 + e as f64 * 5.0 + f as f64 * 6.0,
            )
        }
        fn record(x: i32) { let _ = x; }
    }
}
