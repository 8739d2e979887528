//! The generated C callees: every call shape of [`catalogue`], built from one list into C
//! source (compiled for this machine by the build script, and for each ARM ABI by jit-emu)
//! and into their interpreter twins.
//!
//! Natively, a call runs GCC's (or the host C compiler's) code, which logs the arguments as
//! it received them and the result as it returned it, so the call log compares what the C
//! side saw with what the interpreter passed. On the emulated ARM targets the same source,
//! built by the Debian cross compiler for that ABI, is what calls run.

use std::cell::RefCell;

use jit_core::ir::{CType, Scalar};
use jit_core::Externs;

pub mod catalogue;

use catalogue::{Shape, Ty};

include!(concat!(env!("OUT_DIR"), "/shape_addresses.rs"));

/// The generated C source of every callee (what the build script compiled for this
/// machine), for cross compilers.
pub const C_SOURCE: &str = include_str!(concat!(env!("OUT_DIR"), "/shapes.c"));

/// The name of the function returning (and clearing) what the last `void` callee computed:
/// state that outlives a call, so only traces that read it right after a `void` callee
/// (the suite's cases) may call it; the random trace generator leaves it out.
pub const SINK: &str = "shape_sink";

/// The catalogue, built once.
pub fn all() -> &'static [Shape] {
    static SHAPES: std::sync::OnceLock<Vec<Shape>> = std::sync::OnceLock::new();
    SHAPES.get_or_init(catalogue::shapes)
}

/// Whether `name` is one of the generated callees (a set built once: the fuzzer asks per
/// call).
pub fn is_shape(name: &str) -> bool {
    static NAMES: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    NAMES
        .get_or_init(|| all().iter().map(|s| s.name.as_str()).collect())
        .contains(name)
}

/// The C type of a catalogue type.
pub fn ctype(t: Ty) -> CType {
    CType::from_name(t.name()).expect("every catalogue type is a C type")
}

/// A scalar of C type `t` from the 64 bits the C code reported for it (an integer extended
/// by its signedness, a float's bits).
fn scalar(t: Ty, bits: u64) -> Scalar {
    match t {
        Ty::I64 => Scalar::I64(bits as i64),
        Ty::F64 => Scalar::F64(bits),
        _ => Scalar::I32(bits as u32 as i32),
    }
}

thread_local! {
    /// What the last `void` callee computed, for `shape_sink` (the interpreter's twin).
    static SINK_VALUE: RefCell<u64> = const { RefCell::new(0) };
    /// The arguments a native callee has reported so far in this call.
    static NATIVE_ARGS: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// Called by the native C callees for each argument as they received it.
#[no_mangle]
pub extern "C" fn tracejit_shape_arg(k: i32, bits: u64) {
    NATIVE_ARGS.with(|a| {
        let mut a = a.borrow_mut();
        if k == 0 {
            a.clear();
        }
        a.push(bits);
    });
}

/// Called by the native C callees when they return: logs the call as the C side saw it.
#[no_mangle]
pub extern "C" fn tracejit_shape_done(id: i32, has_result: i32, bits: u64) {
    if id == -1 {
        let result = Some(Scalar::I64(bits as i64));
        jit_core::externs::log_native_call(SINK, Vec::new(), result);
        return;
    }
    let Some(sh) = usize::try_from(id).ok().and_then(|i| all().get(i)) else {
        return;
    };
    let raw = NATIVE_ARGS.with(|a| std::mem::take(&mut *a.borrow_mut()));
    let args = sh
        .params
        .iter()
        .zip(raw)
        .map(|(&t, b)| scalar(t, b))
        .collect();
    let result = match (sh.ret, has_result) {
        (Some(t), 1) => Some(scalar(t, bits)),
        _ => None,
    };
    jit_core::externs::log_native_call(&sh.name, args, result);
}

/// What callee `id` computes for `args` (of its C types, as the interpreter passes them):
/// its result, or for a `void` one, nothing (the hash goes to the sink).
fn compute(id: usize, sh: &Shape, args: &[Scalar]) -> Option<Scalar> {
    let mut h = catalogue::seed(id);
    for (k, (&t, a)) in sh.params.iter().zip(args).enumerate() {
        h ^= catalogue::mix(k as u64, catalogue::arg_bits(t, a.bits() as u64));
    }
    match sh.ret {
        None => {
            SINK_VALUE.with(|s| *s.borrow_mut() = h);
            None
        }
        Some(t) => Some(scalar(t, catalogue::result_bits(t, h))),
    }
}

/// Adds every catalogued callee and `shape_sink` to `t`: interpreter twins, and natively
/// the C code.
pub fn register(t: &mut Externs) {
    t.insert_native(
        SINK,
        &[],
        Some(CType::I64),
        |_| {
            Some(Scalar::I64(
                SINK_VALUE.with(|s| std::mem::take(&mut *s.borrow_mut())) as i64,
            ))
        },
        ADDRESSES[0] as usize,
    );
    for (id, sh) in all().iter().enumerate() {
        let params: Vec<CType> = sh.params.iter().map(|&p| ctype(p)).collect();
        t.insert_native(
            &sh.name,
            &params,
            sh.ret.map(ctype),
            move |a| compute(id, &all()[id], a),
            ADDRESSES[id + 1] as usize,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_every_family_and_unique_names() {
        let shapes = all();
        let mut names: Vec<&str> = shapes.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), shapes.len());
        assert!(shapes.iter().any(|s| s.params.len() == catalogue::MAX_ARGS));
        assert_eq!(
            shapes
                .iter()
                .filter(|s| s.name.starts_with("mix8_"))
                .count(),
            512
        );
        for n in 0..=12 {
            assert!(shapes
                .iter()
                .any(|s| s.ret.is_none() && s.params.len() == n));
        }
        assert!(C_SOURCE.contains("many40_i64"));
    }
}
