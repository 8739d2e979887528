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
    /// Every class name (full and short) to the struct it is part of.
    pub aliases: BTreeMap<String, String>,
}

/// Sets of class names, joined.
#[derive(Default)]
struct UnionFind {
    parent: BTreeMap<String, String>,
}

impl UnionFind {
    fn add(&mut self, name: &str) {
        self.parent
            .entry(name.to_string())
            .or_insert_with(|| name.to_string());
    }

    fn find(&self, name: &str) -> String {
        let mut at = name.to_string();
        while let Some(p) = self.parent.get(&at) {
            if *p == at {
                break;
            }
            at = p.clone();
        }
        at
    }

    fn union(&mut self, a: &str, b: &str) {
        self.add(a);
        self.add(b);
        let (ra, rb) = (self.find(a), self.find(b));
        // The smaller name leads, so the result does not depend on the order.
        let (lead, other) = if ra <= rb { (ra, rb) } else { (rb, ra) };
        self.parent.insert(other, lead);
    }

    fn names(&self) -> Vec<String> {
        self.parent.keys().cloned().collect()
    }
}

/// The array of bytes PyPy's strings (`rpy_string`) import as.
pub const STR: &str = "Str";
/// The array of code points PyPy's unicode strings (`rpy_unicode`) import as.
pub const UNICODE: &str = "Unicode";
/// The struct without fields a call's ref result is when no use names its type.
pub const OPAQUE: &str = "Opaque";

impl Declarations {
    /// The index of the type called `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.objects.iter().position(|o| o.name == name)
    }

    /// The index of the struct PyPy's class `name` (full or short) is part of.
    pub fn class_index(&self, name: &str) -> Option<usize> {
        let k = match self.aliases.get(name) {
            Some(s) => self.index(s),
            None => self.index(name),
        }?;
        (!self.objects[k].is_array()).then_some(k)
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
    // Classes guards name (by their short name).
    let guarded: Vec<String> = log
        .parts
        .iter()
        .flat_map(|p| &p.ops)
        .filter(|o| {
            matches!(
                o.name.as_str(),
                "guard_class" | "guard_nonnull_class" | "guard_subclass"
            )
        })
        .filter_map(|o| match o.args.get(1) {
            Some(crate::log::LogArg::ConstClass(c)) => Some(c.clone()),
            _ => None,
        })
        .collect();
    // A class as the descrs name it: its full path, or a guarded short name no descr has.
    let mut by_short: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for class in classes.keys() {
        by_short.entry(short(class)).or_default().push(class);
    }
    let full_of = |c: &str| -> String {
        match by_short.get(c).map(|v| v.as_slice()) {
            Some([one]) => one.to_string(),
            _ => c.to_string(),
        }
    };
    // One struct per set of classes whose fields or guards one object of some part shows
    // together: PyPy's subclasses have their bases' fields, and a descr names the class
    // that defines a field, not the object's own.
    let mut uf = UnionFind::default();
    for class in classes.keys() {
        uf.add(class);
    }
    for c in &guarded {
        uf.add(&full_of(c));
    }
    for part in &log.parts {
        let mut seen: BTreeMap<&str, String> = BTreeMap::new();
        for o in &part.ops {
            let Some(crate::log::LogArg::Var(v)) = o.args.first() else {
                continue;
            };
            let class = match (&o.descr, o.args.get(1)) {
                (Some(Descr::Field { name, .. }), _) if !o.name.contains("_raw") => {
                    name.rsplit_once('.').map(|(c, _)| c.to_string())
                }
                (_, Some(crate::log::LogArg::ConstClass(c)))
                    if matches!(
                        o.name.as_str(),
                        "guard_class" | "guard_nonnull_class" | "guard_subclass"
                    ) =>
                {
                    Some(full_of(c))
                }
                _ => None,
            };
            if let Some(class) = class {
                match seen.get(v.as_str()) {
                    Some(first) => uf.union(first, &class),
                    None => {
                        seen.insert(v, class);
                    }
                }
            }
        }
    }
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in uf.names() {
        groups.entry(uf.find(&name)).or_default().push(name);
    }
    let mut short_count: BTreeMap<String, usize> = BTreeMap::new();
    for members in groups.values() {
        *short_count
            .entry(short(&members[0]).to_string())
            .or_default() += 1;
    }
    for members in groups.values() {
        let first = &members[0];
        let name = ident(if short_count[short(first)] == 1 {
            short(first)
        } else {
            first
        });
        // Fields of every member; a name two members use is prefixed with its class.
        let mut all: Vec<(String, &SeenField)> = Vec::new();
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        for m in members {
            for field in classes.get(m).into_iter().flat_map(|f| f.keys()) {
                *count.entry(field).or_default() += 1;
            }
        }
        for m in members {
            for (field, f) in classes.get(m).into_iter().flatten() {
                let fname = if count[field.as_str()] > 1 {
                    ident(&format!("{}_{field}", short(m)))
                } else {
                    ident(field)
                };
                out.fields
                    .insert(f.full.clone(), (name.clone(), fname.clone()));
                all.push((fname, f));
            }
        }
        all.sort_by(|(n, f), (m, g)| (f.offset, n).cmp(&(g.offset, m)));
        let decl_fields = all
            .iter()
            .map(|(field, f)| {
                let room = all
                    .iter()
                    .map(|(_, g)| g.offset)
                    .filter(|&o| o > f.offset)
                    .min()
                    .map(|o| o - f.offset);
                Field {
                    name: field.clone(),
                    ty: field_type(f.kind, room),
                }
            })
            .collect();
        for m in members {
            out.aliases.insert(m.clone(), name.clone());
            out.aliases.insert(short(m).to_string(), name.clone());
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
    let ops = || log.parts.iter().flat_map(|p| &p.ops);
    if ops().any(|o| {
        o.name.starts_with("str") || o.name.starts_with("newstr") || o.name.starts_with("copystr")
    }) {
        out.objects.push(ObjectDecl {
            name: STR.to_string(),
            kind: ObjectKind::Array(FieldType::Mem(MemType::U8)),
        });
    }
    if ops().any(|o| {
        o.name.starts_with("unicode") || o.name == "newunicode" || o.name == "copyunicodecontent"
    }) {
        out.objects.push(ObjectDecl {
            name: UNICODE.to_string(),
            kind: ObjectKind::Array(FieldType::Mem(MemType::I32)),
        });
    }
    if ops().any(|o| o.name.starts_with("call") && o.name.ends_with("_r")) {
        out.objects.push(ObjectDecl {
            name: OPAQUE.to_string(),
            kind: ObjectKind::Struct(Vec::new()),
        });
    }
    for class in interiors.keys() {
        let name = ident(&format!("Items_{}", short(class)));
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

/// `name` as a name the text format reads: every character but letters, digits and `_`
/// made `_` (a whole dotted path too: `pypy_objspace_std_intobject_W_IntObject`).
fn ident(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    match s.chars().next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => s,
        _ => format!("_{s}"),
    }
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
