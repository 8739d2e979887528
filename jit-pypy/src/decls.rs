//! tracejit object types from a log's descrs.
//!
//! Every `getfield_gc_*`/`setfield_gc` descr names a field as `module.Class.inst_name` with
//! its byte offset and kind; every `*arrayitem_gc*` descr an item kind and size. This
//! module collects them over a whole log into one struct per class, with its fields in
//! offset order, and one array type per item kind and size:
//!
//! | PyPy | tracejit field type |
//! |---|---|
//! | `FieldS` | `i64` (a machine word) |
//! | `FieldU` | `u8`, `u16` or `i32` by the room before the next field (`u8` when last) |
//! | `FieldP` | `ref` |
//! | `FieldF` | `f64` |
//! | `ArrayS 8`, `ArrayU 1`, `ArrayU 2`, `ArrayP 8`, `ArrayF 8` | `array ArrayS8(i64)`, `ArrayU1(u8)`, `ArrayU2(u16)`, `ArrayP8(ref)`, `ArrayF8(f64)` |
//!
//! A struct is named after its class's last name (`W_IntObject`), or its whole dotted path
//! where two classes share a last name; a field after its name without `inst_`. A class a
//! `guard_class` names (`ConstClass(W_IntRangeIterator)`) that no field descr declares is a
//! struct without fields. Fields of
//! raw (non-GC) memory, which `getfield_raw_*` reads (`pypysig_long_struct.c_value`), are
//! kept apart: they are no object's.

use std::collections::BTreeMap;

use jit_core::ir::MemType;
use jit_core::objects::{Field, FieldType, ObjectDecl, ObjectKind};

use crate::log::{Descr, Log};

/// The object types of a log, and how PyPy's names map to them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Declarations {
    /// Structs (from field descrs, then classes only guards name), then arrays: a trace's
    /// object declarations.
    pub objects: Vec<ObjectDecl>,
    /// PyPy's full field name (`pypy.objspace.std.intobject.W_IntObject.inst_intval`) to
    /// its struct and field.
    pub fields: BTreeMap<String, (String, String)>,
    /// Array descrs (`('P', 8)`) to their array type.
    pub arrays: BTreeMap<(char, u32), String>,
    /// Raw fields `getfield_raw_*` reads: PyPy's name to its kind and offset.
    pub raw_fields: BTreeMap<String, (char, u32)>,
    /// Classes PyPy's guards name by vtable address (`guard_class(p19, 139958865129376)`),
    /// each the struct whose field the part next (else last) reads or writes in the guarded
    /// object, else a struct of its own without fields (`Class_7f4ab38aaf08`).
    pub vtables: BTreeMap<i64, String>,
    /// For each struct whose fields `getinteriorfield_gc_*` reads inside array items
    /// (`odictentry`), the array type of refs to it that stands for PyPy's array of structs
    /// (`Items_odictentry`).
    pub interiors: BTreeMap<String, String>,
}

/// The array of bytes PyPy's strings (`rpy_string`) import as.
pub const STR: &str = "Str";
/// The struct without fields a call's ref result is when no use names its type.
pub const OPAQUE: &str = "Opaque";

impl Declarations {
    /// The index of the type called `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.objects.iter().position(|o| o.name == name)
    }
}

/// One field as the descrs give it.
#[derive(Clone, Debug)]
struct SeenField {
    kind: char,
    offset: u32,
    full: String,
}

/// The object types `log`'s descrs declare.
pub fn declarations(log: &Log) -> Declarations {
    let mut classes: BTreeMap<String, BTreeMap<String, SeenField>> = BTreeMap::new();
    let mut out = Declarations::default();
    let mut arrays: BTreeMap<(char, u32), ()> = BTreeMap::new();
    let mut interiors: BTreeMap<String, ()> = BTreeMap::new();
    for op in log.parts.iter().flat_map(|p| &p.ops) {
        let descr = match &op.descr {
            Some(Descr::Interior(inner)) => inner.as_ref(),
            Some(d) => d,
            None => continue,
        };
        match descr {
            Descr::Field {
                kind, name, offset, ..
            } => {
                let Some((class, field)) = name.rsplit_once('.') else {
                    continue;
                };
                if op.name.contains("_raw") {
                    out.raw_fields.insert(name.clone(), (*kind, *offset));
                    continue;
                }
                let field = field.strip_prefix("inst_").unwrap_or(field).to_string();
                classes.entry(class.to_string()).or_default().insert(
                    field,
                    SeenField {
                        kind: *kind,
                        offset: *offset,
                        full: name.clone(),
                    },
                );
            }
            Descr::Array { kind, item } if !op.name.contains("_raw") => {
                arrays.insert((*kind, *item), ());
            }
            _ => {}
        }
        if let Some(Descr::Interior(inner)) = &op.descr {
            if let Descr::Field { name, .. } = inner.as_ref() {
                if let Some((class, _)) = name.rsplit_once('.') {
                    interiors.insert(class.to_string(), ());
                }
            }
        }
    }
    // Classes guards name, with no field of their own in the log.
    let guarded: Vec<String> = log
        .parts
        .iter()
        .flat_map(|p| &p.ops)
        .filter(|o| matches!(o.name.as_str(), "guard_class" | "guard_nonnull_class"))
        .filter_map(|o| match o.args.get(1) {
            Some(crate::log::LogArg::ConstClass(c)) => Some(c.clone()),
            _ => None,
        })
        .collect();
    // Short names where they are unique.
    let mut short_count: BTreeMap<&str, usize> = BTreeMap::new();
    for class in classes.keys() {
        *short_count.entry(short(class)).or_default() += 1;
    }
    for (class, fields) in &classes {
        let name = if short_count[short(class)] == 1 {
            short(class).to_string()
        } else {
            class.clone()
        };
        let mut by_offset: Vec<(&String, &SeenField)> = fields.iter().collect();
        by_offset.sort_by_key(|(n, f)| (f.offset, n.as_str()));
        let decl_fields = by_offset
            .iter()
            .enumerate()
            .map(|(k, (field, f))| {
                let room = by_offset.get(k + 1).map(|(_, g)| g.offset - f.offset);
                Field {
                    name: field.to_string(),
                    ty: field_type(f.kind, room),
                }
            })
            .collect();
        for (field, f) in fields {
            out.fields
                .insert(f.full.clone(), (name.clone(), field.clone()));
        }
        out.objects.push(ObjectDecl {
            name,
            kind: ObjectKind::Struct(decl_fields),
        });
    }
    // Vtable addresses: the class of the object's next field access after the guard.
    for part in &log.parts {
        for (k, o) in part.ops.iter().enumerate() {
            let (true, Some(crate::log::LogArg::Var(obj)), Some(crate::log::LogArg::Int(vt))) = (
                matches!(o.name.as_str(), "guard_class" | "guard_nonnull_class"),
                o.args.first(),
                o.args.get(1),
            ) else {
                continue;
            };
            let access = |n: &crate::log::LogOp| {
                let on_obj = matches!(n.args.first(), Some(crate::log::LogArg::Var(v)) if v == obj);
                match (&n.descr, on_obj) {
                    (Some(Descr::Field { name, .. }), true) if !n.name.contains("_raw") => {
                        out.fields.get(name).map(|(ty, _)| ty.clone())
                    }
                    _ => None,
                }
            };
            let class = part.ops[k + 1..]
                .iter()
                .find_map(access)
                .or_else(|| part.ops[..k].iter().rev().find_map(access));
            if let Some(class) = class {
                out.vtables.entry(*vt).or_insert(class);
            }
        }
    }
    // A vtable no access names is a class of its own.
    for part in &log.parts {
        for o in &part.ops {
            if let (true, Some(crate::log::LogArg::Int(vt))) = (
                matches!(o.name.as_str(), "guard_class" | "guard_nonnull_class"),
                o.args.get(1),
            ) {
                if !out.vtables.contains_key(vt) {
                    let name = format!("Class_{:x}", *vt as u64);
                    out.vtables.insert(*vt, name.clone());
                    out.objects.push(ObjectDecl {
                        name,
                        kind: ObjectKind::Struct(Vec::new()),
                    });
                }
            }
        }
    }
    for class in guarded {
        if !out.objects.iter().any(|o| o.name == class) {
            out.objects.push(ObjectDecl {
                name: class,
                kind: ObjectKind::Struct(Vec::new()),
            });
        }
    }
    let ops = || log.parts.iter().flat_map(|p| &p.ops);
    if ops().any(|o| {
        o.name.starts_with("str") || o.name.starts_with("newstr") || o.name.starts_with("copystr")
    }) {
        out.objects.push(ObjectDecl {
            name: STR.to_string(),
            kind: ObjectKind::Array(FieldType::Mem(MemType::U8)),
        });
    }
    if ops().any(|o| o.name.starts_with("call") && o.name.ends_with("_r")) {
        out.objects.push(ObjectDecl {
            name: OPAQUE.to_string(),
            kind: ObjectKind::Struct(Vec::new()),
        });
    }
    for class in interiors.keys() {
        let name = format!("Items_{}", short(class));
        out.objects.push(ObjectDecl {
            name: name.clone(),
            kind: ObjectKind::Array(FieldType::Ref),
        });
        out.interiors.insert(class.clone(), name);
    }
    for &(kind, item) in arrays.keys() {
        let name = format!("Array{kind}{item}");
        out.objects.push(ObjectDecl {
            name: name.clone(),
            kind: ObjectKind::Array(item_type(kind, item)),
        });
        out.arrays.insert((kind, item), name);
    }
    out
}

/// `W_IntObject` of `pypy.objspace.std.intobject.W_IntObject`.
fn short(class: &str) -> &str {
    class.rsplit('.').next().unwrap_or(class)
}

/// A field's type from its kind and the bytes before the next field (if any).
fn field_type(kind: char, room: Option<u32>) -> FieldType {
    match kind {
        'P' => FieldType::Ref,
        'F' => FieldType::Mem(MemType::F64),
        'U' => match room {
            None | Some(1) => FieldType::Mem(MemType::U8),
            Some(2 | 3) => FieldType::Mem(MemType::U16),
            Some(4..=7) => FieldType::Mem(MemType::I32),
            Some(_) => FieldType::Mem(MemType::I64),
        },
        _ => FieldType::Mem(MemType::I64),
    }
}

/// An array item's type from its kind and size.
fn item_type(kind: char, item: u32) -> FieldType {
    match (kind, item) {
        ('P', _) => FieldType::Ref,
        ('F', _) => FieldType::Mem(MemType::F64),
        ('U', 1) => FieldType::Mem(MemType::U8),
        ('S', 1) => FieldType::Mem(MemType::I8),
        ('U', 2) => FieldType::Mem(MemType::U16),
        ('S', 2) => FieldType::Mem(MemType::I16),
        (_, 4) => FieldType::Mem(MemType::I32),
        _ => FieldType::Mem(MemType::I64),
    }
}
