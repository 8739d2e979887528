//! GC object types a trace declares, and their layout on each target.
//!
//! A trace declares the types of the objects it works on beside its `extern`s (docs/ir.md
//! §6a): structs of typed fields and arrays of one item type, each named, each given a type
//! id (its position among the declarations, from 1) that its objects carry in their header.
//! The IR names fields and arrays and stays target independent; [`TargetLayout`] turns the
//! declarations into byte offsets for one target — pointer size and the ABI's alignment of
//! `i64` and `f64` — which is all a backend sees.
//!
//! Every object starts with a header of two 32-bit words, the same on every target: the type
//! id, then the collector's flags. A struct's fields follow in declaration order, each at
//! the next offset its alignment allows. An array's length (a pointer-sized word) follows
//! the header, then its items, each at its natural alignment. An object's size is rounded
//! up to [`OBJECT_ALIGN`], so the allocator hands out aligned objects from a bump pointer.

use std::fmt;

use crate::ir::{MemType, Type};

/// Bytes of every object's header: the type id and the GC flags, a 32-bit word each.
pub const HEADER_BYTES: u32 = 8;

/// Offset of the type id in the header.
pub const TYPE_ID_OFFSET: u32 = 0;

/// Offset of the GC flags word in the header.
pub const GC_FLAGS_OFFSET: u32 = 4;

/// Every object's size is a multiple of this, and every object starts at such an address.
pub const OBJECT_ALIGN: u32 = 8;

/// The type of a field or an array item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// A number in memory, loaded as its [`MemType::value_type`].
    Mem(MemType),
    /// A reference to an object (or null): pointer-sized.
    Ref,
}

impl FieldType {
    /// All field types, in the order the text format lists them.
    pub const ALL: [FieldType; 8] = [
        FieldType::Mem(MemType::I8),
        FieldType::Mem(MemType::U8),
        FieldType::Mem(MemType::I16),
        FieldType::Mem(MemType::U16),
        FieldType::Mem(MemType::I32),
        FieldType::Mem(MemType::I64),
        FieldType::Mem(MemType::F64),
        FieldType::Ref,
    ];

    /// The name in the text format.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Mem(m) => m.name(),
            FieldType::Ref => "ref",
        }
    }

    /// The field type named `s`.
    pub fn from_name(s: &str) -> Option<FieldType> {
        FieldType::ALL.into_iter().find(|t| t.name() == s)
    }

    /// The IR type of a value read from or written to such a field.
    pub fn value_type(self) -> Type {
        match self {
            FieldType::Mem(m) => m.value_type(),
            FieldType::Ref => Type::Ref,
        }
    }
}

/// A field of a struct.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    /// Its name, unique in the struct.
    pub name: String,
    /// Its type.
    pub ty: FieldType,
}

/// What a declared object type is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// A struct: fields in order.
    Struct(Vec<Field>),
    /// An array of items of one type, its length fixed when it is allocated.
    Array(FieldType),
}

/// A declared object type: `struct Node(i32 value, ref next)` or `array Ints(i64)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectDecl {
    /// Its name, unique among the trace's object types.
    pub name: String,
    /// Struct or array.
    pub kind: ObjectKind,
}

impl ObjectDecl {
    /// Whether it declares an array type.
    pub fn is_array(&self) -> bool {
        matches!(self.kind, ObjectKind::Array(_))
    }

    /// The index of field `name`, for a struct that has it.
    pub fn field(&self, name: &str) -> Option<usize> {
        match &self.kind {
            ObjectKind::Struct(fields) => fields.iter().position(|f| f.name == name),
            ObjectKind::Array(_) => None,
        }
    }
}

/// The type id objects of the `k`-th declaration (from 0) carry: 0 is no type.
pub fn type_id(k: usize) -> u32 {
    k as u32 + 1
}

/// What layouts depend on: the target's pointer size and its ABI's alignment of 64-bit
/// fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TargetLayout {
    /// Bytes of a pointer (4 or 8).
    pub pointer_bytes: u32,
    /// Alignment of an `i64` field.
    pub i64_align: u32,
    /// Alignment of an `f64` field.
    pub f64_align: u32,
}

impl TargetLayout {
    /// System V x86-64 (LP64): 8-byte pointers, `i64` and `f64` 8-aligned.
    pub const LP64: TargetLayout = TargetLayout {
        pointer_bytes: 8,
        i64_align: 8,
        f64_align: 8,
    };

    /// AAPCS (ARM, every variant): 4-byte pointers, `i64` and `f64` 8-aligned (unlike
    /// i386's System V, which aligns them to 4).
    pub const AAPCS32: TargetLayout = TargetLayout {
        pointer_bytes: 4,
        i64_align: 8,
        f64_align: 8,
    };

    /// The layout of a target with `word_bits`-bit pointers under the ABIs tracejit has
    /// (both align 64-bit fields to 8).
    pub fn for_word_bits(word_bits: u32) -> TargetLayout {
        if word_bits >= 64 {
            TargetLayout::LP64
        } else {
            TargetLayout::AAPCS32
        }
    }

    /// Bytes of a field of type `t`.
    pub fn size(&self, t: FieldType) -> u32 {
        match t {
            FieldType::Mem(m) => m.size(),
            FieldType::Ref => self.pointer_bytes,
        }
    }

    /// Alignment of a field of type `t`.
    pub fn align(&self, t: FieldType) -> u32 {
        match t {
            FieldType::Mem(MemType::I64) => self.i64_align,
            FieldType::Mem(MemType::F64) => self.f64_align,
            other => self.size(other),
        }
    }

    /// Where the fields of a struct with `fields` are, and its size.
    pub fn struct_layout(&self, fields: &[Field]) -> StructLayout {
        let mut at = HEADER_BYTES;
        let mut offsets = Vec::with_capacity(fields.len());
        for f in fields {
            at = at.next_multiple_of(self.align(f.ty));
            offsets.push(at);
            at += self.size(f.ty);
        }
        StructLayout {
            offsets,
            size: at.next_multiple_of(OBJECT_ALIGN),
        }
    }

    /// Where the length and items of an array of `item`s are.
    pub fn array_layout(&self, item: FieldType) -> ArrayLayout {
        let length = HEADER_BYTES;
        let items = (length + self.pointer_bytes).next_multiple_of(self.align(item));
        ArrayLayout {
            length,
            items,
            item_size: self.size(item),
        }
    }

    /// The layout of declaration `decl`.
    pub fn layout(&self, decl: &ObjectDecl) -> ObjectLayout {
        match &decl.kind {
            ObjectKind::Struct(fields) => ObjectLayout::Struct(self.struct_layout(fields)),
            ObjectKind::Array(item) => ObjectLayout::Array(self.array_layout(*item)),
        }
    }
}

/// Where a struct's fields are.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StructLayout {
    /// Byte offset of each field from the object's start, in declaration order.
    pub offsets: Vec<u32>,
    /// Bytes of the object, header included, a multiple of [`OBJECT_ALIGN`].
    pub size: u32,
}

/// Where an array's length and items are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArrayLayout {
    /// Byte offset of the length (a pointer-sized word).
    pub length: u32,
    /// Byte offset of item 0.
    pub items: u32,
    /// Bytes per item (also the distance between items).
    pub item_size: u32,
}

impl ArrayLayout {
    /// Bytes of an array of `len` items, header and length included, a multiple of
    /// [`OBJECT_ALIGN`]; `None` if that does not fit in 32 bits.
    pub fn size(&self, len: u32) -> Option<u32> {
        let bytes = (self.items as u64) + (self.item_size as u64) * (len as u64);
        let rounded = bytes.next_multiple_of(OBJECT_ALIGN as u64);
        u32::try_from(rounded).ok()
    }
}

/// The layout of one declared type on one target.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ObjectLayout {
    /// A struct's.
    Struct(StructLayout),
    /// An array's.
    Array(ArrayLayout),
}

/// Why a trace's object declarations are not valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeclError {
    /// Two object types with one name.
    DuplicateType(String),
    /// Two fields of one struct with one name.
    DuplicateField {
        /// The struct.
        ty: String,
        /// The field.
        field: String,
    },
}

impl fmt::Display for DeclError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeclError::DuplicateType(t) => write!(f, "object type {t} is declared twice"),
            DeclError::DuplicateField { ty, field } => {
                write!(f, "struct {ty} has two fields named {field}")
            }
        }
    }
}

impl std::error::Error for DeclError {}

/// Checks `decls`: names unique among the types and among each struct's fields. Returns the
/// index of each bad declaration with what is wrong.
pub fn check_decls(decls: &[ObjectDecl]) -> Vec<(usize, DeclError)> {
    let mut errors = Vec::new();
    for (k, d) in decls.iter().enumerate() {
        if decls[..k].iter().any(|e| e.name == d.name) {
            errors.push((k, DeclError::DuplicateType(d.name.clone())));
        }
        if let ObjectKind::Struct(fields) = &d.kind {
            for (j, f) in fields.iter().enumerate() {
                if fields[..j].iter().any(|g| g.name == f.name) {
                    errors.push((
                        k,
                        DeclError::DuplicateField {
                            ty: d.name.clone(),
                            field: f.name.clone(),
                        },
                    ));
                }
            }
        }
    }
    errors
}

/// A declaration as the text format writes it.
pub fn decl_text(d: &ObjectDecl) -> String {
    match &d.kind {
        ObjectKind::Struct(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| format!("{} {}", f.ty.name(), f.name))
                .collect();
            format!("struct {}({})", d.name, fields.join(", "))
        }
        ObjectKind::Array(item) => format!("array {}({})", d.name, item.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, ty: &str) -> Field {
        Field {
            name: name.into(),
            ty: FieldType::from_name(ty).unwrap(),
        }
    }

    /// Offsets as GCC lays out the same struct after an 8-byte header (checked by hand
    /// against `offsetof` on x86-64 and arm-linux-gnueabihf).
    #[test]
    fn structs_lay_out_as_c_does_after_the_header() {
        let fields = [
            field("a", "u8"),
            field("b", "i64"),
            field("c", "i16"),
            field("p", "ref"),
            field("d", "f64"),
            field("e", "i8"),
        ];
        let lp64 = TargetLayout::LP64.struct_layout(&fields);
        assert_eq!(lp64.offsets, vec![8, 16, 24, 32, 40, 48]);
        assert_eq!(lp64.size, 56);
        let arm = TargetLayout::AAPCS32.struct_layout(&fields);
        assert_eq!(arm.offsets, vec![8, 16, 24, 28, 32, 40]);
        assert_eq!(arm.size, 48);
        // An empty struct is its header.
        assert_eq!(TargetLayout::AAPCS32.struct_layout(&[]).size, HEADER_BYTES);
    }

    #[test]
    fn arrays_put_items_after_a_pointer_sized_length() {
        let f64s = FieldType::Mem(MemType::F64);
        let a = TargetLayout::AAPCS32.array_layout(f64s);
        assert_eq!((a.length, a.items, a.item_size), (8, 16, 8));
        assert_eq!(a.size(3), Some(40));
        let b = TargetLayout::AAPCS32.array_layout(FieldType::Ref);
        assert_eq!((b.items, b.item_size), (12, 4));
        assert_eq!(b.size(1), Some(16));
        assert_eq!(b.size(0), Some(16));
        let c = TargetLayout::LP64.array_layout(FieldType::Mem(MemType::U8));
        assert_eq!((c.items, c.item_size), (16, 1));
        assert_eq!(c.size(9), Some(32));
        assert_eq!(c.size(u32::MAX), None);
    }

    #[test]
    fn bad_declarations_are_named() {
        let decls = vec![
            ObjectDecl {
                name: "A".into(),
                kind: ObjectKind::Struct(vec![field("x", "i32"), field("x", "ref")]),
            },
            ObjectDecl {
                name: "A".into(),
                kind: ObjectKind::Array(FieldType::Ref),
            },
        ];
        let errors = check_decls(&decls);
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].1.to_string(), "struct A has two fields named x");
        assert_eq!(errors[1].1.to_string(), "object type A is declared twice");
        assert_eq!(decl_text(&decls[0]), "struct A(i32 x, ref x)");
        assert_eq!(decl_text(&decls[1]), "array A(ref)");
        assert_eq!(type_id(0), 1);
    }
}
