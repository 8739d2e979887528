//! Stand-ins for the RPython functions a log's calls name.
//!
//! A PyPy trace calls into the interpreter's own RPython code (`ll_str__IntegerR…`,
//! `_ll_dict_setitem_lookup_done…`, `ccall_pow`). That code is not here, so the import
//! declares each callee as an extern with the arguments' types (`i` → `i64`, `r` → `ref`,
//! `f` → `f64`) and gives it a deterministic stand-in body: a hash of the callee's name and
//! its integer and float arguments (refs are addresses, which differ between targets, so
//! they are passed but not read). The same body runs for the interpreter, in the emulators'
//! traps, and natively on x86-64 (one `extern "C"` function per registered stand-in).
//!
//! | PyPy | declared | the stand-in returns |
//! |---|---|---|
//! | `call_i`, `call_f` | `(args) -> i64` / `-> f64` | the hash: `0..8` (an integer a trace may index with), or a float `0.0..125.0` in eighths |
//! | `call_n` | `(args)` | nothing |
//! | `call_r`, `call_assembler_r` | `(args) -> i64` | the hash; the import then makes the object (docs/pypy-import.md) |
//! | `cond_call(c, f, args)` | `(i64 c, args)` | nothing, whether `c` is 0 or not |
//! | `cond_call_value_i(v, f, args)` | `(i64 v, args) -> i64` | `v` if it is not 0, else the hash |

use std::sync::{Mutex, OnceLock};

use jit_core::externs::Externs;
use jit_core::ir::{CType, Scalar};

/// How a stand-in treats its first argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StandInKind {
    /// A plain call: every argument is the callee's.
    Call,
    /// `cond_call`: the first argument is the condition.
    CondCall,
    /// `cond_call_value_i`: the first argument is the value kept when it is not 0.
    CondValue,
}

/// One stand-in function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StandIn {
    /// The extern's name (the RPython function's, or `fn_<address>`).
    pub name: String,
    /// Its parameters, as the trace declares them.
    pub params: Vec<CType>,
    /// Its result: `i64`, `f64` or nothing.
    pub ret: Option<CType>,
    /// How it treats its first argument.
    pub kind: StandInKind,
}

/// Most integer (and ref) arguments a stand-in takes: six in registers and six stacked on
/// x86-64.
pub const MAX_INT_ARGS: usize = 12;
/// Most float arguments a stand-in takes (all in registers on x86-64).
pub const MAX_FLOAT_ARGS: usize = 8;

impl StandIn {
    /// Whether the native x86-64 stand-in can take these parameters.
    pub fn fits(params: &[CType]) -> bool {
        let floats = params.iter().filter(|p| **p == CType::F64).count();
        floats <= MAX_FLOAT_ARGS && params.len() - floats <= MAX_INT_ARGS
    }

    /// What the stand-in returns for `args` (in declared order).
    pub fn compute(&self, args: &[Scalar]) -> Option<Scalar> {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.name.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
        for (p, a) in self.params.iter().zip(args) {
            if *p != CType::Ref {
                h = (h ^ a.bits() as u64).wrapping_mul(0x0000_0100_0000_01b3);
                h ^= h >> 29;
            }
        }
        let value = match self.ret {
            Some(CType::F64) => Scalar::F64(((h % 1000) as f64 / 8.0).to_bits()),
            Some(_) => Scalar::I64((h % 8) as i64),
            None => return None,
        };
        match (self.kind, args.first()) {
            (StandInKind::CondValue, Some(v)) if v.bits() != 0 => Some(Scalar::I64(v.bits())),
            _ => Some(value),
        }
    }
}

/// Every stand-in given a native function, by slot.
fn registry() -> &'static Mutex<Vec<StandIn>> {
    static SLOTS: OnceLock<Mutex<Vec<StandIn>>> = OnceLock::new();
    SLOTS.get_or_init(|| Mutex::new(Vec::new()))
}

/// Runs slot `slot`'s stand-in on what a System V call left in the six integer argument
/// registers, the eight float ones and the first six stacked words (only those its
/// parameters name are read), and logs the call.
fn run_native(slot: usize, ints: [i64; MAX_INT_ARGS], floats: [f64; MAX_FLOAT_ARGS]) -> Scalar {
    let s = registry()
        .lock()
        .map(|r| r.get(slot).cloned())
        .ok()
        .flatten();
    let Some(s) = s else {
        return Scalar::I64(0);
    };
    let (mut i, mut f) = (ints.iter(), floats.iter());
    let args: Vec<Scalar> = s
        .params
        .iter()
        .map(|p| match p {
            CType::F64 => Scalar::F64(f.next().copied().unwrap_or(0.0).to_bits()),
            CType::Ref => Scalar::Ref(i.next().copied().unwrap_or(0) as u64),
            _ => Scalar::I64(i.next().copied().unwrap_or(0)),
        })
        .collect();
    let r = s.compute(&args);
    jit_core::externs::log_native_call(&s.name, args, r);
    r.unwrap_or(Scalar::I64(0))
}

macro_rules! natives {
    ($($slot:literal)*) => {
        /// One integer-returning native function per slot.
        const NATIVE_I: [NativeI; SLOTS] = [$(native_i::<$slot>),*];
        /// One float-returning native function per slot.
        const NATIVE_F: [NativeF; SLOTS] = [$(native_f::<$slot>),*];
    };
}

/// How many stand-ins a process can give native functions.
pub const SLOTS: usize = 128;

natives!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61
    62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91
    92 93 94 95 96 97 98 99 100 101 102 103 104 105 106 107 108 109 110 111 112 113 114 115
    116 117 118 119 120 121 122 123 124 125 126 127
);

/// A family of native functions, one per slot (`$f::<S>`), of type `$ty`: each takes what
/// a System V call leaves in the six integer argument registers, the eight float ones and
/// the first six stacked words, runs slot `S`'s stand-in on the arguments its signature
/// names, and returns its result as `$ret`.
macro_rules! native_family {
    ($ty:ident, $f:ident, $ret:ty, $conv:expr) => {
        /// A native stand-in function (see [`native_family`]).
        type $ty = extern "C" fn(
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
            f64,
            f64,
            f64,
            f64,
            f64,
            f64,
            f64,
            f64,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
        ) -> $ret;

        #[allow(clippy::too_many_arguments)]
        extern "C" fn $f<const S: usize>(
            a0: i64,
            a1: i64,
            a2: i64,
            a3: i64,
            a4: i64,
            a5: i64,
            f0: f64,
            f1: f64,
            f2: f64,
            f3: f64,
            f4: f64,
            f5: f64,
            f6: f64,
            f7: f64,
            s0: i64,
            s1: i64,
            s2: i64,
            s3: i64,
            s4: i64,
            s5: i64,
        ) -> $ret {
            let ints = [a0, a1, a2, a3, a4, a5, s0, s1, s2, s3, s4, s5];
            let r = run_native(S, ints, [f0, f1, f2, f3, f4, f5, f6, f7]);
            ($conv)(r)
        }
    };
}

native_family!(NativeI, native_i, i64, |r: Scalar| r.bits());
native_family!(NativeF, native_f, f64, |r: Scalar| f64::from_bits(
    r.bits() as u64
));

/// The native x86-64 function for `s`: the slot it already has, else the next free one;
/// `None` when every slot is taken (the extern then has no native function, which the
/// native target reports at compile time).
fn native_address(s: &StandIn) -> Option<usize> {
    let mut r = registry().lock().ok()?;
    let slot = match r.iter().position(|t| t == s) {
        Some(k) => k,
        None if r.len() < SLOTS => {
            r.push(s.clone());
            r.len() - 1
        }
        None => return None,
    };
    Some(match s.ret {
        Some(CType::F64) => NATIVE_F[slot] as *const () as usize,
        _ => NATIVE_I[slot] as *const () as usize,
    })
}

/// A table with every stand-in of `standins`, for the interpreter, the emulators and (where
/// a slot is free) native code.
pub fn externs(standins: &[StandIn]) -> Externs {
    let mut t = Externs::new();
    for s in standins {
        let body = s.clone();
        match native_address(s) {
            Some(addr) => {
                t.insert_native(&s.name, &s.params, s.ret, move |a| body.compute(a), addr)
            }
            None => t.insert(&s.name, &s.params, s.ret, move |a| body.compute(a)),
        }
    }
    t
}
