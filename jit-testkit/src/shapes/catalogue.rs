//! The catalogue of C call shapes: every signature the generated callees have, the C source
//! of those callees, and the value each computes. Plain `std`, because the test kit's build
//! script includes this file too: it writes the C source and compiles it for the host, and
//! the library builds the interpreter's twins from the same list.
//!
//! Every callee folds its arguments, each as the C code received it, into a 64-bit hash
//! (`h ^= mix(k, bits_k)`, so an argument in the wrong place or with the wrong extension
//! changes it), then returns the hash converted to its result type, or, if it returns
//! nothing, leaves it where `shape_sink()` returns it. Natively each call also logs the
//! arguments as received and the result as returned.

/// A C type of the catalogue, named as the trace text format names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// `signed char`.
    I8,
    /// `unsigned char`.
    U8,
    /// `short`.
    I16,
    /// `unsigned short`.
    U16,
    /// `int`.
    I32,
    /// `unsigned int`.
    U32,
    /// `long long`.
    I64,
    /// `float`.
    F32,
    /// `double`.
    F64,
}

impl Ty {
    /// Every type, in declaration order.
    pub const ALL: [Ty; 9] = [
        Ty::I8,
        Ty::U8,
        Ty::I16,
        Ty::U16,
        Ty::I32,
        Ty::U32,
        Ty::I64,
        Ty::F32,
        Ty::F64,
    ];

    /// The name in the trace text format (`i8`, `f32`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Ty::I8 => "i8",
            Ty::U8 => "u8",
            Ty::I16 => "i16",
            Ty::U16 => "u16",
            Ty::I32 => "i32",
            Ty::U32 => "u32",
            Ty::I64 => "i64",
            Ty::F32 => "f32",
            Ty::F64 => "f64",
        }
    }

    /// The C spelling.
    pub fn c(self) -> &'static str {
        match self {
            Ty::I8 => "signed char",
            Ty::U8 => "unsigned char",
            Ty::I16 => "short",
            Ty::U16 => "unsigned short",
            Ty::I32 => "int",
            Ty::U32 => "unsigned int",
            Ty::I64 => "long long",
            Ty::F32 => "float",
            Ty::F64 => "double",
        }
    }
}

/// One callee: its name and C signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The symbol.
    pub name: String,
    /// Parameter types.
    pub params: Vec<Ty>,
    /// Result type; `None` for `void`.
    pub ret: Option<Ty>,
}

impl Shape {
    fn new(name: impl Into<String>, params: Vec<Ty>, ret: Option<Ty>) -> Shape {
        Shape {
            name: name.into(),
            params,
            ret,
        }
    }
}

/// The most arguments a catalogued callee takes.
pub const MAX_ARGS: usize = 40;

/// xorshift64*: the seeded family's choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Every catalogued callee, in a fixed order (a callee's index is its id).
pub fn shapes() -> Vec<Shape> {
    use Ty::*;
    let mut out = Vec::new();
    // Narrow integers and u32 against i32: alone, among i32s, and stacked (past the six
    // System V and four AAPCS argument registers).
    for t in [I8, U8, I16, U16, U32, I32] {
        let n = t.name();
        out.push(Shape::new(format!("narrow1_{n}"), vec![t], Some(t)));
        out.push(Shape::new(format!("narrow3_{n}"), vec![t, I32, t], Some(t)));
        let mut stacked = vec![I32; 6];
        stacked.extend([t, t, t]);
        out.push(Shape::new(format!("narrow9_{n}"), stacked, Some(t)));
        out.push(Shape::new(
            format!("narrow_to_i32_{n}"),
            vec![t, t],
            Some(I32),
        ));
        out.push(Shape::new(
            format!("narrow_to_i64_{n}"),
            vec![I64, t],
            Some(I64),
        ));
    }
    out.push(Shape::new(
        "narrow_all",
        vec![I8, U8, I16, U16, U32, I32, I8, U8, I16, U16],
        Some(I64),
    ));
    // Single floats: in and out, back-filling a hard-float s register, past s15, mixed.
    out.push(Shape::new("single1", vec![F32], Some(F32)));
    out.push(Shape::new("single2", vec![F32, F32], Some(F32)));
    out.push(Shape::new("single_to_f64", vec![F32], Some(F64)));
    out.push(Shape::new("single_from_f64", vec![F64], Some(F32)));
    out.push(Shape::new(
        "single_backfill",
        vec![F32, F64, F32],
        Some(F64),
    ));
    out.push(Shape::new(
        "single_backfill2",
        vec![F32, F64, F32, F64, F32, F32, F64],
        Some(F32),
    ));
    out.push(Shape::new("single17", vec![F32; 17], Some(F32)));
    let mut after = vec![F32; 15];
    after.extend([F64, F32, F32]);
    out.push(Shape::new("single15_f64_single2", after, Some(I32)));
    out.push(Shape::new(
        "single_mixed",
        vec![I32, F32, I64, F64, F32, U8, F32, I16],
        Some(F32),
    ));
    out.push(Shape::new("single_to_i64", vec![F32, I64, F32], Some(I64)));
    // Every interleaving of eight ints and doubles, returning a double and an int.
    for mask in 0..256u32 {
        let params: Vec<Ty> = (0..8)
            .map(|k| if mask >> k & 1 == 1 { F64 } else { I32 })
            .collect();
        out.push(Shape::new(
            format!("mix8_{mask}_f"),
            params.clone(),
            Some(F64),
        ));
        out.push(Shape::new(format!("mix8_{mask}_i"), params, Some(I32)));
    }
    // More than eight doubles among ints: the ninth double onward goes to the stack on
    // x86-64 and hard-float, and under softfp pairs meet the stack at odd offsets.
    for k in 9..=14 {
        let mut params = vec![I32];
        for j in 0..k {
            params.push(F64);
            if j % 3 == 1 {
                params.push(if j % 2 == 0 { I64 } else { I32 });
            }
        }
        out.push(Shape::new(format!("doubles{k}"), params, Some(F64)));
    }
    for n in 1..=4 {
        let mut params = Vec::new();
        for _ in 0..n {
            params.extend([I32, F64]);
        }
        out.push(Shape::new(format!("pairs{n}"), params.clone(), Some(I64)));
        params.insert(0, I64);
        out.push(Shape::new(format!("pairs{n}_after_i64"), params, Some(F64)));
    }
    // Many arguments, up to 40.
    let cycle = [I32, F64, I64, U8, F32, I16, F64, U32, F64, I8];
    for n in [17, 20, 24, 32, 40] {
        let params: Vec<Ty> = (0..n).map(|k| cycle[k % cycle.len()]).collect();
        out.push(Shape::new(format!("many{n}"), params, Some(I64)));
    }
    out.push(Shape::new("many40_f64", vec![F64; 40], Some(F64)));
    out.push(Shape::new("many40_i64", vec![I64; 40], Some(I64)));
    out.push(Shape::new("many40_i32", vec![I32; 40], Some(I32)));
    out.push(Shape::new("many40_f32", vec![F32; 40], Some(F32)));
    // No result, with 0 to 12 arguments.
    for n in 0..=12 {
        let params: Vec<Ty> = (0..n).map(|k| cycle[k % cycle.len()]).collect();
        out.push(Shape::new(format!("void{n}"), params, None));
    }
    // A double from nothing.
    out.push(Shape::new("f64_of_nothing", vec![], Some(F64)));
    // i64 results from i64 arguments in every position among i32s, and all i64.
    for n in 1..=8 {
        for p in 0..n {
            let params: Vec<Ty> = (0..n).map(|k| if k == p { I64 } else { I32 }).collect();
            out.push(Shape::new(format!("long{n}_at{p}"), params, Some(I64)));
        }
        out.push(Shape::new(format!("long{n}_all"), vec![I64; n], Some(I64)));
    }
    // A fixed, seeded set of any signatures up to 40 arguments.
    let mut rng = Rng(0x7261_6365_6a69_7421);
    for k in 0..160 {
        let n = match rng.below(4) {
            0 => rng.below(4),
            1 => rng.below(9),
            2 => rng.below(17),
            _ => rng.below(MAX_ARGS + 1),
        };
        let params: Vec<Ty> = (0..n).map(|_| Ty::ALL[rng.below(Ty::ALL.len())]).collect();
        let ret = match rng.below(Ty::ALL.len() + 1) {
            9 => None,
            r => Some(Ty::ALL[r]),
        };
        out.push(Shape::new(format!("seeded{k}"), params, ret));
    }
    out
}

/// The 64-bit fingerprint of argument `k` with bits `b`.
pub fn mix(k: u64, b: u64) -> u64 {
    b.wrapping_mul(2 * k + 1).rotate_left((k * 7 % 64) as u32)
}

/// The hash a callee starts from: its id's.
pub fn seed(id: usize) -> u64 {
    (id as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// The bits an argument of type `t` contributes, from its value as received: integers
/// extended to 64 bits by their own signedness, floats as their bits with every NaN the
/// canonical one (which NaN arithmetic makes differs between targets).
pub fn arg_bits(t: Ty, raw: u64) -> u64 {
    match t {
        Ty::I8 => raw as i8 as i64 as u64,
        Ty::U8 => raw as u8 as u64,
        Ty::I16 => raw as i16 as i64 as u64,
        Ty::U16 => raw as u16 as u64,
        Ty::I32 => raw as i32 as i64 as u64,
        Ty::U32 => raw as u32 as u64,
        Ty::I64 => raw,
        Ty::F32 => {
            let b = raw as u32;
            if b & 0x7fff_ffff > 0x7f80_0000 {
                0x7fc0_0000
            } else {
                b as u64
            }
        }
        Ty::F64 => {
            if raw & 0x7fff_ffff_ffff_ffff > 0x7ff0_0000_0000_0000 {
                0x7ff8_0000_0000_0000
            } else {
                raw
            }
        }
    }
}

/// The result of type `t` a callee returns for hash `h`, as bits: integers are `h` cut to
/// their width (a narrow one extended back, as C converts); a double is `h >> 11` and a
/// float `h >> 40` as exact integers.
pub fn result_bits(t: Ty, h: u64) -> u64 {
    match t {
        Ty::I8 => h as i8 as i64 as u64,
        Ty::U8 => h as u8 as u64,
        Ty::I16 => h as i16 as i64 as u64,
        Ty::U16 => h as u16 as u64,
        Ty::I32 | Ty::U32 => h as u32 as u64,
        Ty::I64 => h,
        Ty::F32 => ((h >> 40) as f32).to_bits() as u64,
        Ty::F64 => ((h >> 11) as f64).to_bits(),
    }
}

/// The C source of every callee, plus `shape_sink()`. With `TRACEJIT_SHAPES_LOG` defined
/// (the host build) each call also reports its arguments as received and its result to
/// `tracejit_shape_arg` and `tracejit_shape_done`, which the test kit defines.
pub fn c_source(shapes: &[Shape]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    s.push_str(
        "/* Generated by jit-testkit's build script from src/shapes/catalogue.rs: one callee per\n \
         * call shape. Do not edit. */\n\
         typedef unsigned long long u64;\n\
         typedef long long i64;\n\
         #ifdef TRACEJIT_SHAPES_LOG\n\
         void tracejit_shape_arg(int k, u64 bits);\n\
         void tracejit_shape_done(int id, int has_result, u64 bits);\n\
         #define LOG_ARG(k, b) tracejit_shape_arg(k, b)\n\
         #define LOG_DONE(id, has, b) tracejit_shape_done(id, has, b)\n\
         #define TLS __thread\n\
         #else\n\
         #define LOG_ARG(k, b) ((void)0)\n\
         #define LOG_DONE(id, has, b) ((void)0)\n\
         #define TLS\n\
         #endif\n\
         static inline u64 rotl(u64 x, unsigned r) { r &= 63; return r ? (x << r) | (x >> (64 - r)) : x; }\n\
         static inline u64 mix(u64 k, u64 b) { return rotl(b * (2 * k + 1), (unsigned)(k * 7 % 64)); }\n\
         static inline u64 f32_bits(float x) { unsigned b; __builtin_memcpy(&b, &x, 4); return b; }\n\
         static inline u64 f64_bits(double x) { u64 b; __builtin_memcpy(&b, &x, 8); return b; }\n\
         static inline u64 f32_canon(u64 b) { return (b & 0x7fffffffu) > 0x7f800000u ? 0x7fc00000u : b; }\n\
         static inline u64 f64_canon(u64 b) { return (b & 0x7fffffffffffffffull) > 0x7ff0000000000000ull ? 0x7ff8000000000000ull : b; }\n\
         static TLS u64 sink;\n\
         i64 shape_sink(void) { u64 s = sink; sink = 0; LOG_DONE(-1, 1, s); return (i64)s; }\n",
    );
    for (id, sh) in shapes.iter().enumerate() {
        let ret = sh.ret.map_or("void", Ty::c);
        let params: Vec<String> = sh
            .params
            .iter()
            .enumerate()
            .map(|(k, t)| format!("{} a{k}", t.c()))
            .collect();
        let params = if params.is_empty() {
            "void".to_string()
        } else {
            params.join(", ")
        };
        let _ = writeln!(s, "{ret} {}({params}) {{", sh.name);
        let _ = writeln!(s, "    u64 h = {:#x}ull, r;", seed(id));
        for (k, &t) in sh.params.iter().enumerate() {
            // The raw bits as received, then the canonical ones hashed.
            let (raw, canon) = match t {
                Ty::F32 => (format!("f32_bits(a{k})"), "f32_canon(r)"),
                Ty::F64 => (format!("f64_bits(a{k})"), "f64_canon(r)"),
                Ty::U8 | Ty::U16 | Ty::U32 => (format!("(u64)a{k}"), "r"),
                _ => (format!("(u64)(i64)a{k}"), "r"),
            };
            let _ = writeln!(s, "    r = {raw}; LOG_ARG({k}, r); h ^= mix({k}, {canon});");
        }
        match sh.ret {
            None => {
                let _ = writeln!(s, "    LOG_DONE({id}, 0, 0); sink = h;\n}}");
            }
            Some(t) => {
                let (value, bits) = match t {
                    Ty::F32 => ("(float)(int)(h >> 40)", "f32_bits(v)"),
                    Ty::F64 => ("(double)(i64)(h >> 11)", "f64_bits(v)"),
                    Ty::U8 | Ty::U16 | Ty::U32 => ("h", "(u64)v"),
                    _ => ("h", "(u64)(i64)v"),
                };
                let _ = writeln!(
                    s,
                    "    {} v = ({}){value}; LOG_DONE({id}, 1, {bits}); return v;\n}}",
                    t.c(),
                    t.c()
                );
            }
        }
    }
    s
}
