//! The trace IR: value types, scalars, operands, operations and the trace that holds them.
//!
//! A trace is PyPy's shape: input arguments, a linear list of SSA operations, an optional
//! `label` (the loop header) and a closing `jump` back to it or a `finish`. docs/ir.md is
//! the reference for what each operation means.

use std::fmt;

pub use cranelift_entity::EntityRef;
use cranelift_entity::{entity_impl, PrimaryMap};
use smallvec::SmallVec;

/// The type of a value. Every value has exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    /// A 32-bit integer; signedness is chosen by the operation.
    I32,
    /// A 64-bit integer; 32-bit targets hold it in a pair of registers.
    I64,
    /// An IEEE 754 binary64 float.
    F64,
    /// A pointer-sized address into memory; only `null` exists as a constant.
    Ref,
}

impl Type {
    /// All types, in declaration order.
    pub const ALL: [Type; 4] = [Type::I32, Type::I64, Type::F64, Type::Ref];

    /// The letter that starts a variable of this type in the text format (`i`, `l`, `f`, `p`).
    pub fn prefix(self) -> char {
        match self {
            Type::I32 => 'i',
            Type::I64 => 'l',
            Type::F64 => 'f',
            Type::Ref => 'p',
        }
    }

    /// The type whose variables start with `c`, if any.
    pub fn from_prefix(c: char) -> Option<Type> {
        Some(match c {
            'i' => Type::I32,
            'l' => Type::I64,
            'f' => Type::F64,
            'p' => Type::Ref,
            _ => return None,
        })
    }

    /// The type's name in the text format (`i32`, `i64`, `f64`, `ref`).
    pub fn name(self) -> &'static str {
        match self {
            Type::I32 => "i32",
            Type::I64 => "i64",
            Type::F64 => "f64",
            Type::Ref => "ref",
        }
    }

    /// The type named `s` in the text format.
    pub fn from_name(s: &str) -> Option<Type> {
        Type::ALL.into_iter().find(|t| t.name() == s)
    }

    /// True for `i32` and `i64`.
    pub fn is_int(self) -> bool {
        matches!(self, Type::I32 | Type::I64)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The C type of an external function's parameter or result: what the callee's C
/// prototype says, beyond the IR type that carries the value (docs/ir.md §8). Narrow
/// integers and `u32` travel as `i32`; a `float` (`f32`) travels as the `i32` holding its
/// bits (made and read by `cast_float_to_singlefloat` / `cast_singlefloat_to_float`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CType {
    /// `signed char`: the callee sees the low 8 bits, sign-extended.
    I8,
    /// `unsigned char`: the low 8 bits, zero-extended.
    U8,
    /// `short`: the low 16 bits, sign-extended.
    I16,
    /// `unsigned short`: the low 16 bits, zero-extended.
    U16,
    /// `int`.
    I32,
    /// `unsigned int` (the same bits as `i32`; differs only in how ABIs widen it).
    U32,
    /// `long long`.
    I64,
    /// `float`, carried as the `i32` of its bits.
    F32,
    /// `double`.
    F64,
    /// A pointer.
    Ref,
}

impl CType {
    /// Every C type, in declaration order.
    pub const ALL: [CType; 10] = [
        CType::I8,
        CType::U8,
        CType::I16,
        CType::U16,
        CType::I32,
        CType::U32,
        CType::I64,
        CType::F32,
        CType::F64,
        CType::Ref,
    ];

    /// The IR type whose values carry it.
    pub fn value(self) -> Type {
        match self {
            CType::I8 | CType::U8 | CType::I16 | CType::U16 | CType::I32 | CType::U32 => Type::I32,
            CType::F32 => Type::I32,
            CType::I64 => Type::I64,
            CType::F64 => Type::F64,
            CType::Ref => Type::Ref,
        }
    }

    /// The C type an IR type stands for when nothing narrower is said.
    pub fn of(t: Type) -> CType {
        match t {
            Type::I32 => CType::I32,
            Type::I64 => CType::I64,
            Type::F64 => CType::F64,
            Type::Ref => CType::Ref,
        }
    }

    /// Its name in the text format.
    pub fn name(self) -> &'static str {
        match self {
            CType::I8 => "i8",
            CType::U8 => "u8",
            CType::I16 => "i16",
            CType::U16 => "u16",
            CType::I32 => "i32",
            CType::U32 => "u32",
            CType::I64 => "i64",
            CType::F32 => "f32",
            CType::F64 => "f64",
            CType::Ref => "ref",
        }
    }

    /// The C type named `s` in the text format.
    pub fn from_name(s: &str) -> Option<CType> {
        CType::ALL.into_iter().find(|t| t.name() == s)
    }

    /// An integer narrower than 32 bits: `(bits, signed)`.
    pub fn narrow(self) -> Option<(u32, bool)> {
        match self {
            CType::I8 => Some((8, true)),
            CType::U8 => Some((8, false)),
            CType::I16 => Some((16, true)),
            CType::U16 => Some((16, false)),
            _ => None,
        }
    }

    /// The value `x` (of [`CType::value`]'s type) as this C type holds it: narrow integers
    /// cut to their width and extended back by their signedness; everything else unchanged.
    pub fn fit(self, x: Scalar) -> Scalar {
        match (self.narrow(), x) {
            (Some((8, true)), Scalar::I32(v)) => Scalar::I32(v as i8 as i32),
            (Some((8, false)), Scalar::I32(v)) => Scalar::I32(v as u8 as i32),
            (Some((16, true)), Scalar::I32(v)) => Scalar::I32(v as i16 as i32),
            (Some((16, false)), Scalar::I32(v)) => Scalar::I32(v as u16 as i32),
            _ => x,
        }
    }
}

impl From<Type> for CType {
    fn from(t: Type) -> CType {
        CType::of(t)
    }
}

impl fmt::Display for CType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `f64` to `f32` bits as `cast_float_to_singlefloat` defines it (docs/ir.md §4): round to
/// nearest even, overflow to infinity, subnormals in full; a NaN stays a NaN with its sign
/// and the top 22 bits of its payload, made quiet — what x86 SSE and ARM VFP (default-NaN
/// mode off) do. Computed without the host's float conversion, so it is the same
/// everywhere.
pub fn f64_to_f32_bits(bits: u64) -> u32 {
    let sign = ((bits >> 63) as u32) << 31;
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    if exp == 0x7ff {
        if frac == 0 {
            return sign | 0x7f80_0000;
        }
        return sign | 0x7fc0_0000 | ((frac >> 29) as u32 & 0x003f_ffff);
    }
    if exp == 0 && frac == 0 {
        return sign;
    }
    // The value is m * 2^(e) with m an integer of up to 53 bits.
    let (m, e) = if exp == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), exp - 1075)
    };
    // Normalize m to exactly 53 bits (bit 52 set).
    let lz = m.leading_zeros() as i32 - 11;
    let (m, e) = (m << lz, e - lz);
    // Unbiased exponent of the leading bit: e + 52.
    let lead = e + 52;
    // The f32 keeps 24 bits for normals (lead >= -126), fewer for subnormals.
    let keep = if lead >= -126 { 24 } else { 24 - (-126 - lead) };
    if keep <= 0 {
        // Below half the smallest subnormal, or exactly half of it (ties to even: zero).
        if keep == 0 && m > (1u64 << 52) {
            return sign | 1;
        }
        return sign;
    }
    let drop = 53 - keep as u32;
    let mut q = m >> drop;
    let rest = m & ((1u64 << drop) - 1);
    let half = 1u64 << (drop - 1);
    if rest > half || (rest == half && q & 1 == 1) {
        q += 1;
    }
    if lead >= -126 {
        let mut lead = lead;
        if q == 1 << 24 {
            q >>= 1;
            lead += 1;
        }
        if lead > 127 {
            return sign | 0x7f80_0000;
        }
        sign | (((lead + 127) as u32) << 23) | (q as u32 & 0x007f_ffff)
    } else {
        // A subnormal (a carry into bit 23 makes the smallest normal, encoded the same way).
        sign | q as u32
    }
}

/// `f32` bits to `f64` as `cast_singlefloat_to_float` defines it: exact; a NaN keeps its
/// sign and payload (shifted up) and is made quiet.
pub fn f32_bits_to_f64(bits: u32) -> u64 {
    let sign = ((bits >> 31) as u64) << 63;
    let exp = (bits >> 23) & 0xff;
    let frac = (bits & 0x007f_ffff) as u64;
    if exp == 0xff {
        if frac == 0 {
            return sign | 0x7ff0_0000_0000_0000;
        }
        return sign | 0x7ff8_0000_0000_0000 | (frac << 29);
    }
    if exp == 0 {
        if frac == 0 {
            return sign;
        }
        // A subnormal, frac * 2^-149: its leading bit p becomes the implicit one.
        let p = 63 - frac.leading_zeros() as u64;
        let m = (frac << (52 - p)) & ((1u64 << 52) - 1);
        return sign | ((p + 1023 - 149) << 52) | m;
    }
    sign | ((exp as u64 + 1023 - 127) << 52) | (frac << 29)
}

/// An SSA value of a trace: an input argument or the result of an operation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Value(u32);
entity_impl!(Value, "v");

/// An external function declared by a trace.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FuncRef(u32);
entity_impl!(FuncRef, "fn");

/// The identifier a compiled trace returns when it leaves through a guard or `finish`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExitId(pub u32);

impl fmt::Display for ExitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A concrete value: a constant in the IR, an input, or a result of running a trace.
///
/// Floats are held as their bit pattern so that equality is exact (NaN payloads and the
/// sign of zero included); [`Scalar::same_result`] is the comparison docs/ir.md prescribes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f64`, as its IEEE 754 bits.
    F64(u64),
    /// A `ref`: an address, 0 being null.
    Ref(u64),
}

/// The quiet NaN with a clear sign bit and no payload: the interpreter's NaN result.
pub const CANONICAL_NAN_BITS: u64 = 0x7ff8_0000_0000_0000;

/// `x`, with any NaN made the canonical one: what arithmetic gives in the IR (docs/ir.md
/// §5), for external functions that compute in f64 to return the same bits on every target.
pub fn canonical(x: f64) -> f64 {
    if x.is_nan() {
        f64::from_bits(CANONICAL_NAN_BITS)
    } else {
        x
    }
}

impl Scalar {
    /// An `f64` scalar.
    pub fn f64(x: f64) -> Scalar {
        Scalar::F64(x.to_bits())
    }

    /// The null `ref`.
    pub const NULL: Scalar = Scalar::Ref(0);

    /// The type of this scalar.
    pub fn ty(self) -> Type {
        match self {
            Scalar::I32(_) => Type::I32,
            Scalar::I64(_) => Type::I64,
            Scalar::F64(_) => Type::F64,
            Scalar::Ref(_) => Type::Ref,
        }
    }

    /// The zero of type `ty` (0, 0L, +0.0, null).
    pub fn zero(ty: Type) -> Scalar {
        match ty {
            Type::I32 => Scalar::I32(0),
            Type::I64 => Scalar::I64(0),
            Type::F64 => Scalar::F64(0),
            Type::Ref => Scalar::NULL,
        }
    }

    /// The value as an `i64`: integers sign-extended, floats as bits, refs as addresses.
    pub fn bits(self) -> i64 {
        match self {
            Scalar::I32(x) => x as i64,
            Scalar::I64(x) => x,
            Scalar::F64(b) | Scalar::Ref(b) => b as i64,
        }
    }

    /// The scalar of type `ty` a 64-bit register or word holds as `bits` (an `i32` is its
    /// low half): what [`Scalar::bits`] undoes.
    pub fn from_bits(ty: Type, bits: u64) -> Scalar {
        match ty {
            Type::I32 => Scalar::I32(bits as u32 as i32),
            Type::I64 => Scalar::I64(bits as i64),
            Type::F64 => Scalar::F64(bits),
            Type::Ref => Scalar::Ref(bits),
        }
    }

    /// The float held by an `F64` scalar (`None` for other types).
    pub fn as_f64(self) -> Option<f64> {
        match self {
            Scalar::F64(b) => Some(f64::from_bits(b)),
            _ => None,
        }
    }

    /// Whether two results agree as docs/ir.md defines it: same type and bits, except that
    /// any two NaNs agree (the bits of a NaN made by arithmetic are not specified).
    pub fn same_result(self, other: Scalar) -> bool {
        match (self, other) {
            (Scalar::F64(a), Scalar::F64(b)) => {
                a == b || (f64::from_bits(a).is_nan() && f64::from_bits(b).is_nan())
            }
            _ => self == other,
        }
    }
}

/// Writes a float the way the text format reads it back bit for bit.
pub(crate) fn fmt_f64(bits: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let x = f64::from_bits(bits);
    if x.is_nan() {
        if bits == CANONICAL_NAN_BITS {
            f.write_str("nan")
        } else {
            write!(f, "f64bits(0x{bits:016x})")
        }
    } else {
        // `{:?}` prints the shortest string that reads back to the same bits, always with
        // a `.`, an exponent, or `inf`.
        write!(f, "{x:?}")
    }
}

impl fmt::Display for Scalar {
    /// The text-format spelling: `5`, `5L`, `1.5`, `nan`, `null`; a non-null ref (which
    /// only occurs as a run-time value) prints as `ref(0x…)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Scalar::I32(x) => write!(f, "{x}"),
            Scalar::I64(x) => write!(f, "{x}L"),
            Scalar::F64(b) => fmt_f64(b, f),
            Scalar::Ref(0) => f.write_str("null"),
            Scalar::Ref(a) => write!(f, "ref(0x{a:x})"),
        }
    }
}

/// An argument of an operation: a value or a constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// An SSA value of the trace.
    Value(Value),
    /// A constant.
    Const(Scalar),
}

impl Operand {
    /// The value, if this operand is one.
    pub fn value(self) -> Option<Value> {
        match self {
            Operand::Value(v) => Some(v),
            Operand::Const(_) => None,
        }
    }
}

impl From<Value> for Operand {
    fn from(v: Value) -> Operand {
        Operand::Value(v)
    }
}
impl From<Scalar> for Operand {
    fn from(c: Scalar) -> Operand {
        Operand::Const(c)
    }
}
impl From<i32> for Operand {
    fn from(x: i32) -> Operand {
        Operand::Const(Scalar::I32(x))
    }
}
impl From<i64> for Operand {
    fn from(x: i64) -> Operand {
        Operand::Const(Scalar::I64(x))
    }
}
impl From<f64> for Operand {
    fn from(x: f64) -> Operand {
        Operand::Const(Scalar::f64(x))
    }
}

/// The width and extension of a memory access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemType {
    /// 8 bits, sign-extended to `i32` when loaded.
    I8,
    /// 8 bits, zero-extended to `i32` when loaded.
    U8,
    /// 16 bits, sign-extended to `i32` when loaded.
    I16,
    /// 16 bits, zero-extended to `i32` when loaded.
    U16,
    /// 32 bits as `i32`.
    I32,
    /// 64 bits as `i64`.
    I64,
    /// 64 bits as `f64`.
    F64,
}

impl MemType {
    /// The name in the text format (`i8`, `u16`, `f64`, …).
    pub fn name(self) -> &'static str {
        match self {
            MemType::I8 => "i8",
            MemType::U8 => "u8",
            MemType::I16 => "i16",
            MemType::U16 => "u16",
            MemType::I32 => "i32",
            MemType::I64 => "i64",
            MemType::F64 => "f64",
        }
    }

    /// Bytes accessed; also the required alignment.
    pub fn size(self) -> u32 {
        match self {
            MemType::I8 | MemType::U8 => 1,
            MemType::I16 | MemType::U16 => 2,
            MemType::I32 => 4,
            MemType::I64 | MemType::F64 => 8,
        }
    }

    /// The value a load of this type gives from `raw`, whose low [`MemType::size`] bytes
    /// are the ones in memory: extended to `i32` as the type says, or the whole bits.
    pub fn extend(self, raw: u64) -> Scalar {
        match self {
            MemType::I8 => Scalar::I32(raw as u8 as i8 as i32),
            MemType::U8 => Scalar::I32(raw as u8 as i32),
            MemType::I16 => Scalar::I32(raw as u16 as i16 as i32),
            MemType::U16 => Scalar::I32(raw as u16 as i32),
            MemType::I32 => Scalar::I32(raw as u32 as i32),
            MemType::I64 => Scalar::I64(raw as i64),
            MemType::F64 => Scalar::F64(raw),
        }
    }

    /// The IR type of the value loaded or stored.
    pub fn value_type(self) -> Type {
        match self {
            MemType::I64 => Type::I64,
            MemType::F64 => Type::F64,
            _ => Type::I32,
        }
    }
}

/// The addressing of a load or store: `base + index * scale + offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemArg {
    /// 1, 2, 4 or 8.
    pub scale: u8,
    /// A signed byte offset.
    pub offset: i32,
}

/// How an operation's arguments and result are typed; shared by the verifier, the parser,
/// the builder and the backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sig {
    /// `(T, T) -> T` for `T` in `i32`, `i64`.
    IntBinary,
    /// `(T, T) -> T` for `T` in `i32`, `i64`; sets the overflow condition for the next guard.
    IntOverflow,
    /// `(i32, i32) -> i32`; sets the carry (add) or borrow (sub) for the next op.
    CarryOut,
    /// `(i32, i32) -> i32`; adds the carry or subtracts the borrow of the op before.
    CarryIn,
    /// `T -> T` for `T` in `i32`, `i64`.
    IntUnary,
    /// `(T, T) -> i32` (0 or 1) for `T` in `i32`, `i64`.
    IntCompare,
    /// `T -> i32` (0 or 1) for `T` in `i32`, `i64`.
    IntTest,
    /// `(f64, f64) -> f64`.
    FloatBinary,
    /// `f64 -> f64`.
    FloatUnary,
    /// `(f64, f64) -> i32` (0 or 1).
    FloatCompare,
    /// `(ref, ref) -> i32` (0 or 1).
    RefCompare,
    /// A conversion `from -> to`.
    Convert(Type, Type),
    /// `(ref base, i32 index) -> T`, with a [`MemArg`].
    Load(MemType),
    /// `(ref base, i32 index, T value)`, with a [`MemArg`].
    Store(MemType),
    /// Arguments and result given by the called function's declaration.
    Call,
    /// A call whose 64-bit arguments may come as (lo, hi) `i32` pairs and whose 64-bit
    /// result may come back split (low half here, high half from `call_hi`).
    CallSplit,
    /// `() -> i32`: the high half of the split result of the `call_split` just before.
    CallHi,
    /// `() -> ref`: the address of the declared function it names.
    FuncAddr,
    /// `T -> T` for any `T`.
    SameAs,
    /// A guard on an `i32` condition.
    GuardCond,
    /// A guard `(T, T)` for `T` in `i32`, `i64`.
    GuardValue,
    /// A guard on a `ref`.
    GuardRef,
    /// A guard with no arguments (overflow condition, invalidation).
    GuardFlag,
    /// The loop header: a list of distinct values.
    Label,
    /// Back to the label, with one operand per label value.
    Jump,
    /// Leave the trace with any operands.
    Finish,
    /// An operation on GC objects, typed by the object type its descr names.
    Object(ObjOp),
    /// A primitive the GC rewrite pass lowers object operations to, for one target's
    /// layout (`jit_core::gcrewrite`): never in a trace a front end writes.
    Gc(GcOp),
}

/// The primitives of the GC rewrite pass (docs/ir.md §6, "The GC rewrite"), which
/// backends lower; their offsets and sizes are one target's layout's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GcOp {
    /// `(i32 size[, i32 length]) -> ref`: `size` bytes from the nursery — the inline bump,
    /// and the collector's slow path when the nursery is full (a safepoint: the GC map of
    /// the refs live across it is recorded) — for an object of the type its descr names
    /// (an array's length second; above `gc::MAX_ARRAY_LENGTH` it takes the slow path,
    /// which refuses it). The memory is zero; the header is written by the stores after.
    Alloc,
    /// `(ref)`: the write barrier before a ref store into the object: when its header has
    /// `FLAG_TRACK_YOUNG_PTRS`, the collector's barrier slow path records it.
    WriteBarrier,
    /// `(ref base, i32 index) -> ref`, with a [`MemArg`]: a pointer-sized load.
    LoadRef,
    /// `(ref base, i32 index, ref value)`, with a [`MemArg`]: a pointer-sized store.
    StoreRef,
}

/// Which kind of value a `getfield_gc_*` or `getarrayitem_gc_*` reads (PyPy's suffixes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValKind {
    /// `_i`: an integer field (narrow, `i32` or `i64`), read as its value type.
    Int,
    /// `_r`: a ref field.
    Ref,
    /// `_f`: an `f64` field.
    Float,
}

impl ValKind {
    /// Whether a value of type `t` is of this kind.
    pub fn admits(self, t: Type) -> bool {
        match self {
            ValKind::Int => t.is_int(),
            ValKind::Ref => t == Type::Ref,
            ValKind::Float => t == Type::F64,
        }
    }
}

/// The operations on GC objects (docs/ir.md §6), each naming a declared object type (or
/// a struct's field) in its descr.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjOp {
    /// `() -> ref`: a new struct, fields zero.
    New,
    /// `(i32 length) -> ref`: a new array, items zero.
    NewArray,
    /// `(ref) -> T`: a struct's field.
    GetField(ValKind),
    /// `(ref, T)`: sets a struct's field.
    SetField,
    /// `(ref, i32 index) -> T`: an array's item.
    GetItem(ValKind),
    /// `(ref, i32 index, T)`: sets an array's item.
    SetItem,
    /// `(ref) -> i32`: an array's length.
    ArrayLen,
    /// A guard `(ref, i32 type id)`: the object is of that type.
    GuardClass,
    /// A guard `(ref, i32 type id)`: the ref is not null and the object of that type.
    GuardNonnullClass,
}

macro_rules! opcodes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal : $sig:expr; )*) => {
        /// An operation. Its text-format name is [`Opcode::name`]; docs/ir.md gives its meaning.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Opcode {
            $( $(#[$doc])* $variant, )*
        }

        impl Opcode {
            /// Every opcode.
            pub const ALL: &'static [Opcode] = &[$(Opcode::$variant,)*];

            /// The name in the text format.
            #[inline]
            pub fn name(self) -> &'static str {
                match self { $(Opcode::$variant => $name,)* }
            }

            /// How arguments and result are typed.
            #[inline]
            pub fn sig(self) -> Sig {
                match self { $(Opcode::$variant => $sig,)* }
            }

            /// The opcode named `name` in the text format.
            pub fn from_name(name: &str) -> Option<Opcode> {
                match name { $($name => Some(Opcode::$variant),)* _ => None }
            }
        }
    };
}

opcodes! {
    /// Wrapping addition.
    IntAdd = "int_add": Sig::IntBinary;
    /// Wrapping subtraction.
    IntSub = "int_sub": Sig::IntBinary;
    /// Wrapping multiplication (the low half of the product).
    IntMul = "int_mul": Sig::IntBinary;
    /// Bitwise and.
    IntAnd = "int_and": Sig::IntBinary;
    /// Bitwise or.
    IntOr = "int_or": Sig::IntBinary;
    /// Bitwise exclusive or.
    IntXor = "int_xor": Sig::IntBinary;
    /// Shift left; the count is taken modulo the width.
    IntLshift = "int_lshift": Sig::IntBinary;
    /// Arithmetic shift right; the count is taken modulo the width.
    IntRshift = "int_rshift": Sig::IntBinary;
    /// Logical shift right; the count is taken modulo the width.
    UintRshift = "uint_rshift": Sig::IntBinary;
    /// Signed division truncating toward zero; `x / 0 = 0`, `MIN / -1 = MIN`.
    IntDiv = "int_div": Sig::IntBinary;
    /// Signed remainder with the sign of the dividend; `x % 0 = x`, `MIN % -1 = 0`.
    IntRem = "int_rem": Sig::IntBinary;
    /// Unsigned division; `x / 0 = 0`.
    UintDiv = "uint_div": Sig::IntBinary;
    /// Unsigned remainder; `x % 0 = x`.
    UintRem = "uint_rem": Sig::IntBinary;
    /// The high half of the unsigned double-width product.
    UintMulHigh = "uint_mul_high": Sig::IntBinary;
    /// Wrapping `i32` addition that records the unsigned carry out (for 64-bit pairs).
    IntAddCo = "int_add_co": Sig::CarryOut;
    /// `i32` addition of the two and the carry of the `int_add_co` just before.
    IntAddCi = "int_add_ci": Sig::CarryIn;
    /// Wrapping `i32` subtraction that records the unsigned borrow out.
    IntSubBo = "int_sub_bo": Sig::CarryOut;
    /// `i32` subtraction of the second and the borrow of the `int_sub_bo` just before.
    IntSubBi = "int_sub_bi": Sig::CarryIn;
    /// Wrapping negation.
    IntNeg = "int_neg": Sig::IntUnary;
    /// Bitwise not.
    IntInvert = "int_invert": Sig::IntUnary;
    /// `x == 0`.
    IntIsZero = "int_is_zero": Sig::IntTest;
    /// `x != 0`.
    IntIsTrue = "int_is_true": Sig::IntTest;
    /// Equal.
    IntEq = "int_eq": Sig::IntCompare;
    /// Not equal.
    IntNe = "int_ne": Sig::IntCompare;
    /// Signed less than.
    IntLt = "int_lt": Sig::IntCompare;
    /// Signed less or equal.
    IntLe = "int_le": Sig::IntCompare;
    /// Signed greater than.
    IntGt = "int_gt": Sig::IntCompare;
    /// Signed greater or equal.
    IntGe = "int_ge": Sig::IntCompare;
    /// Unsigned less than.
    UintLt = "uint_lt": Sig::IntCompare;
    /// Unsigned less or equal.
    UintLe = "uint_le": Sig::IntCompare;
    /// Unsigned greater than.
    UintGt = "uint_gt": Sig::IntCompare;
    /// Unsigned greater or equal.
    UintGe = "uint_ge": Sig::IntCompare;
    /// Wrapping addition that records whether the signed sum overflowed.
    IntAddOvf = "int_add_ovf": Sig::IntOverflow;
    /// Wrapping subtraction that records whether the signed difference overflowed.
    IntSubOvf = "int_sub_ovf": Sig::IntOverflow;
    /// Wrapping multiplication that records whether the signed product overflowed.
    IntMulOvf = "int_mul_ovf": Sig::IntOverflow;
    /// Sign-extend an `i32` to `i64`.
    CastI32ToI64 = "cast_i32_to_i64": Sig::Convert(Type::I32, Type::I64);
    /// Zero-extend an `i32` to `i64`.
    CastU32ToI64 = "cast_u32_to_i64": Sig::Convert(Type::I32, Type::I64);
    /// Keep the low 32 bits of an `i64`.
    CastI64ToI32 = "cast_i64_to_i32": Sig::Convert(Type::I64, Type::I32);
    /// Signed `i32` to the exactly equal `f64`.
    CastI32ToF64 = "cast_i32_to_f64": Sig::Convert(Type::I32, Type::F64);
    /// Signed `i64` to `f64`, rounded to nearest even.
    CastI64ToF64 = "cast_i64_to_f64": Sig::Convert(Type::I64, Type::F64);
    /// `f64` to `i32` truncating toward zero, saturating; NaN gives 0.
    CastF64ToI32 = "cast_f64_to_i32": Sig::Convert(Type::F64, Type::I32);
    /// `f64` to `i64` truncating toward zero, saturating; NaN gives 0.
    CastF64ToI64 = "cast_f64_to_i64": Sig::Convert(Type::F64, Type::I64);
    /// `f64` to the bits of the nearest `f32` (a C `float`), held in an `i32`
    /// ([`f64_to_f32_bits`]).
    CastF64ToF32 = "cast_f64_to_f32": Sig::Convert(Type::F64, Type::I32);
    /// The `f32` whose bits an `i32` holds, to the exactly equal `f64` ([`f32_bits_to_f64`]).
    CastF32ToF64 = "cast_f32_to_f64": Sig::Convert(Type::I32, Type::F64);
    /// IEEE addition, round to nearest even.
    FloatAdd = "float_add": Sig::FloatBinary;
    /// IEEE subtraction.
    FloatSub = "float_sub": Sig::FloatBinary;
    /// IEEE multiplication.
    FloatMul = "float_mul": Sig::FloatBinary;
    /// IEEE division.
    FloatTruediv = "float_truediv": Sig::FloatBinary;
    /// Flip the sign bit (NaNs included).
    FloatNeg = "float_neg": Sig::FloatUnary;
    /// Clear the sign bit (NaNs included).
    FloatAbs = "float_abs": Sig::FloatUnary;
    /// Correctly rounded square root.
    FloatSqrt = "float_sqrt": Sig::FloatUnary;
    /// `x`, except that any NaN becomes the canonical `0x7ff8000000000000`. Legalization
    /// puts it where a NaN made by arithmetic becomes visible in memory (docs/ir.md §5).
    FloatCanon = "float_canon": Sig::FloatUnary;
    /// Ordered equal (false if either is NaN).
    FloatEq = "float_eq": Sig::FloatCompare;
    /// Unordered or not equal (true if either is NaN).
    FloatNe = "float_ne": Sig::FloatCompare;
    /// Ordered less than.
    FloatLt = "float_lt": Sig::FloatCompare;
    /// Ordered less or equal.
    FloatLe = "float_le": Sig::FloatCompare;
    /// Ordered greater than.
    FloatGt = "float_gt": Sig::FloatCompare;
    /// Ordered greater or equal.
    FloatGe = "float_ge": Sig::FloatCompare;
    /// Same address.
    PtrEq = "ptr_eq": Sig::RefCompare;
    /// Different addresses.
    PtrNe = "ptr_ne": Sig::RefCompare;
    /// Load a signed byte.
    LoadI8 = "load_i8": Sig::Load(MemType::I8);
    /// Load an unsigned byte.
    LoadU8 = "load_u8": Sig::Load(MemType::U8);
    /// Load a signed 16-bit integer.
    LoadI16 = "load_i16": Sig::Load(MemType::I16);
    /// Load an unsigned 16-bit integer.
    LoadU16 = "load_u16": Sig::Load(MemType::U16);
    /// Load a 32-bit integer.
    LoadI32 = "load_i32": Sig::Load(MemType::I32);
    /// Load a 64-bit integer.
    LoadI64 = "load_i64": Sig::Load(MemType::I64);
    /// Load an `f64`.
    LoadF64 = "load_f64": Sig::Load(MemType::F64);
    /// Store the low 8 bits of an `i32`.
    StoreI8 = "store_i8": Sig::Store(MemType::I8);
    /// Store the low 16 bits of an `i32`.
    StoreI16 = "store_i16": Sig::Store(MemType::I16);
    /// Store an `i32`.
    StoreI32 = "store_i32": Sig::Store(MemType::I32);
    /// Store an `i64`.
    StoreI64 = "store_i64": Sig::Store(MemType::I64);
    /// Store an `f64`.
    StoreF64 = "store_f64": Sig::Store(MemType::F64);
    /// Call an external function.
    Call = "call": Sig::Call;
    /// Call an external function with 64-bit values split into `i32` pairs (32-bit targets).
    CallSplit = "call_split": Sig::CallSplit;
    /// The high half of the split 64-bit result of the `call_split` just before.
    CallHi = "call_hi": Sig::CallHi;
    /// The address of a declared external function, as a `ref` (docs/ir.md §8).
    FuncAddr = "func_addr": Sig::FuncAddr;
    /// Call the function whose address is the last operand, with the signature of the
    /// declared function it names: `call_indirect(@sig, args..., callee)`.
    CallIndirect = "call_indirect": Sig::Call;
    /// `call_indirect` with 64-bit values split into `i32` pairs (32-bit targets).
    CallIndirectSplit = "call_indirect_split": Sig::CallSplit;
    /// The same value under a new name.
    SameAs = "same_as": Sig::SameAs;
    /// Leave unless the `i32` is non-zero.
    GuardTrue = "guard_true": Sig::GuardCond;
    /// Leave unless the `i32` is zero.
    GuardFalse = "guard_false": Sig::GuardCond;
    /// Leave unless the two integers are equal.
    GuardValue = "guard_value": Sig::GuardValue;
    /// Leave if the ref is null.
    GuardNonnull = "guard_nonnull": Sig::GuardRef;
    /// Leave unless the ref is null.
    GuardIsnull = "guard_isnull": Sig::GuardRef;
    /// Leave if the preceding `*_ovf` operation overflowed.
    GuardNoOverflow = "guard_no_overflow": Sig::GuardFlag;
    /// Leave unless the preceding `*_ovf` operation overflowed.
    GuardOverflow = "guard_overflow": Sig::GuardFlag;
    /// Leave if the compiled trace has been invalidated.
    GuardNotInvalidated = "guard_not_invalidated": Sig::GuardFlag;
    /// The loop header.
    Label = "label": Sig::Label;
    /// Back to the label.
    Jump = "jump": Sig::Jump;
    /// Leave the trace with results.
    Finish = "finish": Sig::Finish;
    /// A new struct of the type its descr names, fields zero (PyPy's name).
    NewWithVtable = "new_with_vtable": Sig::Object(ObjOp::New);
    /// A new array of the type its descr names and the given length, items zero.
    NewArrayClear = "new_array_clear": Sig::Object(ObjOp::NewArray);
    /// An integer field.
    GetfieldGcI = "getfield_gc_i": Sig::Object(ObjOp::GetField(ValKind::Int));
    /// A ref field.
    GetfieldGcR = "getfield_gc_r": Sig::Object(ObjOp::GetField(ValKind::Ref));
    /// An f64 field.
    GetfieldGcF = "getfield_gc_f": Sig::Object(ObjOp::GetField(ValKind::Float));
    /// Sets a field.
    SetfieldGc = "setfield_gc": Sig::Object(ObjOp::SetField);
    /// An integer array item.
    GetarrayitemGcI = "getarrayitem_gc_i": Sig::Object(ObjOp::GetItem(ValKind::Int));
    /// A ref array item.
    GetarrayitemGcR = "getarrayitem_gc_r": Sig::Object(ObjOp::GetItem(ValKind::Ref));
    /// An f64 array item.
    GetarrayitemGcF = "getarrayitem_gc_f": Sig::Object(ObjOp::GetItem(ValKind::Float));
    /// Sets an array item.
    SetarrayitemGc = "setarrayitem_gc": Sig::Object(ObjOp::SetItem);
    /// An array's length.
    ArraylenGc = "arraylen_gc": Sig::Object(ObjOp::ArrayLen);
    /// Leave unless the object is of the given type (it must not be null).
    GuardClass = "guard_class": Sig::Object(ObjOp::GuardClass);
    /// Leave unless the ref is not null and the object of the given type.
    GuardNonnullClass = "guard_nonnull_class": Sig::Object(ObjOp::GuardNonnullClass);
    /// Nursery allocation of the object its descr names (GC rewrite output).
    GcAlloc = "gc_alloc": Sig::Gc(GcOp::Alloc);
    /// The write barrier before a ref store (GC rewrite output).
    GcWb = "gc_wb": Sig::Gc(GcOp::WriteBarrier);
    /// A pointer-sized load of a ref (GC rewrite output).
    GcLoadR = "gc_load_r": Sig::Gc(GcOp::LoadRef);
    /// A pointer-sized store of a ref (GC rewrite output).
    GcStoreR = "gc_store_r": Sig::Gc(GcOp::StoreRef);
}

impl Opcode {
    /// True for the `guard_*` operations.
    pub fn is_guard(self) -> bool {
        matches!(
            self.sig(),
            Sig::GuardCond
                | Sig::GuardValue
                | Sig::GuardRef
                | Sig::GuardFlag
                | Sig::Object(ObjOp::GuardClass | ObjOp::GuardNonnullClass)
        )
    }

    /// True for the operations on GC objects.
    pub fn is_object_op(self) -> bool {
        matches!(self.sig(), Sig::Object(_))
    }

    /// True for the primitives only the GC rewrite pass makes (`gc_alloc`, `gc_wb`,
    /// `gc_load_r`, `gc_store_r`).
    pub fn is_gc_primitive(self) -> bool {
        matches!(self.sig(), Sig::Gc(_))
    }

    /// True for operations that leave the trace with an exit id: guards and `finish`.
    pub fn is_exit(self) -> bool {
        self.is_guard() || self == Opcode::Finish
    }

    /// True for `jump` and `finish`, which end a trace.
    pub fn is_terminator(self) -> bool {
        matches!(self, Opcode::Jump | Opcode::Finish)
    }

    /// True for the overflow-checked arithmetic that a `guard_(no_)overflow` must follow.
    pub fn is_overflow_op(self) -> bool {
        self.sig() == Sig::IntOverflow
    }

    /// The op that must come right after this one (`int_add_co` → `int_add_ci`, …).
    pub fn carry_partner(self) -> Option<Opcode> {
        match self {
            Opcode::IntAddCo => Some(Opcode::IntAddCi),
            Opcode::IntSubBo => Some(Opcode::IntSubBi),
            _ => None,
        }
    }

    /// True for `call`, `call_split` and their indirect forms.
    pub fn is_call(self) -> bool {
        matches!(
            self,
            Opcode::Call | Opcode::CallSplit | Opcode::CallIndirect | Opcode::CallIndirectSplit
        )
    }

    /// True for `call_indirect` and `call_indirect_split`, whose last operand is the callee.
    pub fn is_indirect_call(self) -> bool {
        matches!(self, Opcode::CallIndirect | Opcode::CallIndirectSplit)
    }

    /// True for the guards that read the overflow condition.
    pub fn reads_overflow(self) -> bool {
        matches!(self, Opcode::GuardNoOverflow | Opcode::GuardOverflow)
    }

    /// The number of fixed arguments, or `None` for variadic ones (label, jump, finish,
    /// call). Loads count base and index; stores base, index and value.
    pub fn arity(self) -> Option<usize> {
        Some(match self.sig() {
            Sig::IntBinary
            | Sig::IntOverflow
            | Sig::CarryOut
            | Sig::CarryIn
            | Sig::IntCompare
            | Sig::FloatBinary
            | Sig::FloatCompare
            | Sig::RefCompare
            | Sig::GuardValue
            | Sig::Load(_) => 2,
            Sig::IntUnary
            | Sig::IntTest
            | Sig::FloatUnary
            | Sig::Convert(..)
            | Sig::SameAs
            | Sig::GuardCond
            | Sig::GuardRef => 1,
            Sig::Store(_) => 3,
            Sig::GuardFlag | Sig::CallHi | Sig::FuncAddr => 0,
            Sig::Call | Sig::CallSplit | Sig::Label | Sig::Jump | Sig::Finish => return None,
            Sig::Object(o) => match o {
                ObjOp::New => 0,
                ObjOp::NewArray | ObjOp::GetField(_) | ObjOp::ArrayLen => 1,
                ObjOp::SetField
                | ObjOp::GetItem(_)
                | ObjOp::GuardClass
                | ObjOp::GuardNonnullClass => 2,
                ObjOp::SetItem => 3,
            },
            Sig::Gc(GcOp::Alloc) => return None,
            Sig::Gc(GcOp::WriteBarrier) => 1,
            Sig::Gc(GcOp::LoadRef) => 2,
            Sig::Gc(GcOp::StoreRef) => 3,
        })
    }

    /// The result type for these argument types, for opcodes whose result is fixed by
    /// their arguments (`None` if they have no result or the arguments don't fit; calls are
    /// typed by their declaration instead).
    pub fn result_type(self, args: &[Type]) -> Option<Type> {
        let first = args.first().copied();
        match self.sig() {
            Sig::IntBinary | Sig::IntOverflow | Sig::IntUnary => first.filter(|t| t.is_int()),
            Sig::IntCompare | Sig::IntTest | Sig::FloatCompare | Sig::RefCompare => Some(Type::I32),
            Sig::FloatBinary | Sig::FloatUnary => Some(Type::F64),
            Sig::Convert(_, to) => Some(to),
            Sig::CallHi => Some(Type::I32),
            Sig::FuncAddr => Some(Type::Ref),
            Sig::Load(m) => Some(m.value_type()),
            Sig::SameAs => first,
            Sig::Object(ObjOp::New | ObjOp::NewArray) => Some(Type::Ref),
            Sig::Object(ObjOp::ArrayLen) => Some(Type::I32),
            Sig::Gc(GcOp::Alloc | GcOp::LoadRef) => Some(Type::Ref),
            _ => None,
        }
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an operation carries beyond its opcode, operands and result.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Extra {
    /// Nothing more.
    None,
    /// Addressing of a load or store.
    Mem(MemArg),
    /// The function a `call` calls.
    Call(FuncRef),
    /// The exit of a guard or `finish`: its id and, for guards, the values handed back.
    Exit {
        /// The id the trace returns when it leaves here.
        id: ExitId,
        /// The values handed back when a guard fails, in order (empty for `finish`).
        fail_args: Vec<Value>,
    },
    /// A `label`'s token (`descr=<TargetN>`), or the token of the label a `jump` goes to.
    Target(u32),
    /// The object type (index in `Trace::objects`) an object operation names:
    /// `descr=<Name>`.
    Object(u32),
    /// The struct field a `getfield_gc_*`/`setfield_gc` names: `descr=<Name.field>`.
    Field {
        /// The struct (index in `Trace::objects`).
        decl: u32,
        /// The field (index among its fields).
        field: u32,
    },
}

/// One operation of a trace.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Op {
    /// What it does.
    pub opcode: Opcode,
    /// Its arguments; for loads base and index, for stores base, index and value.
    pub args: SmallVec<[Operand; 3]>,
    /// The value it defines, if any.
    pub result: Option<Value>,
    /// Addressing, callee or exit.
    pub extra: Extra,
}

impl Op {
    /// The addressing of a load or store.
    pub fn mem(&self) -> Option<MemArg> {
        match self.extra {
            Extra::Mem(m) => Some(m),
            _ => None,
        }
    }

    /// A call's arguments: all operands, but for an indirect call not the callee (last).
    pub fn call_args(&self) -> &[Operand] {
        if self.opcode.is_indirect_call() {
            &self.args[..self.args.len().saturating_sub(1)]
        } else {
            &self.args
        }
    }

    /// The callee operand of an indirect call.
    pub fn callee(&self) -> Option<Operand> {
        self.opcode
            .is_indirect_call()
            .then(|| self.args.last().copied())
            .flatten()
    }

    /// The callee of a call (for an indirect one, the function whose signature it uses),
    /// or the function `func_addr` names.
    pub fn func(&self) -> Option<FuncRef> {
        match self.extra {
            Extra::Call(f) => Some(f),
            _ => None,
        }
    }

    /// The exit id of a guard or finish.
    pub fn exit_id(&self) -> Option<ExitId> {
        match self.extra {
            Extra::Exit { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The fail args of a guard (empty for other operations).
    pub fn fail_args(&self) -> &[Value] {
        match &self.extra {
            Extra::Exit { fail_args, .. } => fail_args,
            _ => &[],
        }
    }
}

/// Where a value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueDef {
    /// The n-th input argument.
    Input(u32),
    /// The result of the n-th operation.
    Op(u32),
}

/// What the trace knows about a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ValueData {
    /// Its type.
    pub ty: Type,
    /// Its definition.
    pub def: ValueDef,
}

/// The declaration of an external function a trace calls.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncDecl {
    /// The symbol, resolved against the run-time table of external functions.
    pub name: String,
    /// Parameter types, as the callee's C prototype has them.
    pub params: Vec<CType>,
    /// Result type, if it returns one.
    pub ret: Option<CType>,
}

impl FuncDecl {
    /// The IR types of the parameters' values.
    pub fn value_params(&self) -> Vec<Type> {
        self.params.iter().map(|c| c.value()).collect()
    }

    /// The IR type of the result's value.
    pub fn value_ret(&self) -> Option<Type> {
        self.ret.map(CType::value)
    }
}

/// A trace: declarations, input arguments and operations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// External functions the trace calls.
    pub funcs: PrimaryMap<FuncRef, FuncDecl>,
    /// The GC object types the trace declares (`struct`, `array`), in order: the `k`-th
    /// has type id `k + 1` ([`crate::objects`]).
    pub objects: Vec<crate::objects::ObjectDecl>,
    /// Every value: inputs and operation results.
    pub values: PrimaryMap<Value, ValueData>,
    /// The input arguments, in order.
    pub inputs: Vec<Value>,
    /// The operations, in order; the last is a `jump` or `finish`.
    pub ops: Vec<Op>,
}

impl Trace {
    /// For an object operation `o` with `extra`: the types its arguments must have and
    /// the type of its result (`None` if it has none), from the declaration its descr
    /// names; `None` if the descr names no declaration of the right kind. The class of a
    /// `guard_class` is an `i32` constant, the type id.
    pub fn object_op_types(&self, o: ObjOp, extra: &Extra) -> Option<(Vec<Type>, Option<Type>)> {
        use crate::objects::ObjectKind;
        let decl = |k: u32| self.objects.get(k as usize);
        let item = |k: u32| match decl(k).map(|d| &d.kind) {
            Some(ObjectKind::Array(t)) => Some(t.value_type()),
            _ => None,
        };
        let is_struct = |k: u32| matches!(decl(k).map(|d| &d.kind), Some(ObjectKind::Struct(_)));
        let field = |d: u32, f: u32| match decl(d).map(|d| &d.kind) {
            Some(ObjectKind::Struct(fields)) => fields.get(f as usize).map(|f| f.ty.value_type()),
            _ => None,
        };
        let r = Type::Ref;
        Some(match (o, extra) {
            (ObjOp::New, &Extra::Object(k)) if is_struct(k) => (vec![], Some(r)),
            (ObjOp::NewArray, &Extra::Object(k)) => {
                item(k)?;
                (vec![Type::I32], Some(r))
            }
            (ObjOp::GetField(kind), &Extra::Field { decl, field: f }) => {
                let t = field(decl, f).filter(|&t| kind.admits(t))?;
                (vec![r], Some(t))
            }
            (ObjOp::SetField, &Extra::Field { decl, field: f }) => (vec![r, field(decl, f)?], None),
            (ObjOp::GetItem(kind), &Extra::Object(k)) => {
                let t = item(k).filter(|&t| kind.admits(t))?;
                (vec![r, Type::I32], Some(t))
            }
            (ObjOp::SetItem, &Extra::Object(k)) => (vec![r, Type::I32, item(k)?], None),
            (ObjOp::ArrayLen, &Extra::Object(k)) => {
                item(k)?;
                (vec![r], Some(Type::I32))
            }
            (ObjOp::GuardClass | ObjOp::GuardNonnullClass, _) => (vec![r, Type::I32], None),
            _ => return None,
        })
    }

    /// The type of `v`. Panics if `v` is not a value of this trace; the verifier reports
    /// such values before anything calls this.
    #[inline]
    pub fn ty(&self, v: Value) -> Type {
        self.values[v].ty
    }

    /// The type of an operand.
    #[inline]
    pub fn operand_type(&self, a: Operand) -> Type {
        match a {
            Operand::Value(v) => self.ty(v),
            Operand::Const(c) => c.ty(),
        }
    }

    /// The index of the loop header: the label the trace's `jump` goes to (the one its
    /// token names, else the last label), or the last label of a trace that finishes. A
    /// trace in PyPy's peeled shape has a label before its preamble too.
    pub fn label_index(&self) -> Option<usize> {
        self.jump_target()
            .or_else(|| self.ops.iter().rposition(|op| op.opcode == Opcode::Label))
    }

    /// The token of label op `i`: its `descr=<TargetN>`, else its ordinal among the labels.
    pub fn label_token(&self, i: usize) -> u32 {
        match self.ops.get(i).map(|o| &o.extra) {
            Some(Extra::Target(t)) => *t,
            _ => self.ops[..i.min(self.ops.len())]
                .iter()
                .filter(|o| o.opcode == Opcode::Label)
                .count() as u32,
        }
    }

    /// The label op whose token is `t`.
    pub fn label_with_token(&self, t: u32) -> Option<usize> {
        (0..self.ops.len())
            .find(|&i| self.ops[i].opcode == Opcode::Label && self.label_token(i) == t)
    }

    /// The token the final `jump` names (`descr=<TargetN>`), if it names one.
    pub fn jump_token(&self) -> Option<u32> {
        match self.ops.last() {
            Some(op) if op.opcode == Opcode::Jump => match op.extra {
                Extra::Target(t) => Some(t),
                _ => None,
            },
            _ => None,
        }
    }

    /// The label the final `jump` goes to in this trace: the one its token names, else the
    /// last label. `None` if the trace does not end in a jump, has no label, or names a
    /// token none of its labels has (a bridge's jump goes to its root's labels).
    pub fn jump_target(&self) -> Option<usize> {
        if self.ops.last()?.opcode != Opcode::Jump {
            return None;
        }
        match self.jump_token() {
            Some(t) => self.label_with_token(t),
            None => self.ops.iter().rposition(|op| op.opcode == Opcode::Label),
        }
    }

    /// The number of guards.
    pub fn guard_count(&self) -> usize {
        self.ops.iter().filter(|op| op.opcode.is_guard()).count()
    }
}

/// How the operands of a `call_split` fall on the callee's parameters: for each parameter,
/// how many operands pass it (2 for an `i64`, or an `f64` as two `i32` halves). `None` if the
/// operand types do not fit the parameters.
pub fn split_call_layout(params: &[Type], operands: &[Type]) -> Option<Vec<usize>> {
    let mut at = 0;
    let mut layout = Vec::with_capacity(params.len());
    for &p in params {
        let here = operands.get(at).copied()?;
        let n = match (p, here) {
            (Type::I64, Type::I32) | (Type::F64, Type::I32) => {
                if operands.get(at + 1) != Some(&Type::I32) {
                    return None;
                }
                2
            }
            (p, t) if p == t => 1,
            _ => return None,
        };
        layout.push(n);
        at += n;
    }
    (at == operands.len()).then_some(layout)
}

#[cfg(test)]
mod single_float_tests {
    use super::{f32_bits_to_f64, f64_to_f32_bits};

    /// Every non-NaN conversion agrees with the host's IEEE one (round to nearest even),
    /// over edge cases and a sweep of bit patterns; NaNs keep sign and top payload.
    #[test]
    fn conversions_match_ieee_rounding() {
        let mut xs: Vec<u64> = vec![
            0,
            1,
            0x8000_0000_0000_0000,
            0x7ff0_0000_0000_0000,
            0xfff0_0000_0000_0000,
            f64::MAX.to_bits(),
            (f32::MAX as f64).to_bits(),
            (f32::MIN_POSITIVE as f64).to_bits(),
            // Halfway between the two smallest subnormals, and just above half the smallest.
            (f32::from_bits(1) as f64 * 1.5).to_bits(),
            (f32::from_bits(1) as f64 * 0.5).to_bits(),
            (f32::from_bits(1) as f64 * 0.5).to_bits() + 1,
            // Halfway cases at the top of the range, which round to infinity or not.
            ((f32::MAX as f64) + (2f64).powi(103)).to_bits(),
            ((f32::MAX as f64) + (2f64).powi(103)).to_bits() - 1,
        ];
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            // Bias the exponent toward f32's range half of the time.
            let x = if s & 1 == 0 {
                s
            } else {
                (s & 0x800f_ffff_ffff_ffff) | ((0x380 + (s >> 40) % 0x100) << 52)
            };
            xs.push(x);
        }
        for x in xs {
            let f = f64::from_bits(x);
            let got = f64_to_f32_bits(x);
            if f.is_nan() {
                assert!(f32::from_bits(got).is_nan());
                assert_eq!(got >> 31, (x >> 63) as u32);
                assert_eq!(got & 0x0040_0000, 0x0040_0000, "quiet");
                continue;
            }
            assert_eq!(got, (f as f32).to_bits(), "{x:#x}");
            let back = f32_bits_to_f64(got);
            assert_eq!(back, (f32::from_bits(got) as f64).to_bits(), "{got:#x}");
        }
        for b in (0..=u32::MAX).step_by(4099) {
            let f = f32::from_bits(b);
            if !f.is_nan() {
                assert_eq!(f32_bits_to_f64(b), (f as f64).to_bits(), "{b:#x}");
            }
        }
        assert_eq!(f32_bits_to_f64(0x7f80_0001), 0x7ff8_0000_2000_0000);
        assert_eq!(f64_to_f32_bits(0xfff0_0000_2000_0000), 0xffc0_0001);
    }
}
