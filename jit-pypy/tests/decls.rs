//! Object types from the corpus's descrs: one valid set per log, with PyPy's boxes where
//! they belong.

use jit_core::ir::MemType;
use jit_core::objects::{check_decls, FieldType, ObjectKind};
use jit_pypy::decls::declarations;
use jit_pypy::log::read;

fn log(name: &str) -> jit_pypy::log::Log {
    let path = format!("{}/../corpus/logs/{name}.log", env!("CARGO_MANIFEST_DIR"));
    read(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn field(d: &jit_pypy::decls::Declarations, ty: &str, field: &str) -> Option<FieldType> {
    let decl = d.objects.iter().find(|o| o.name == ty)?;
    match &decl.kind {
        ObjectKind::Struct(fields) => fields.iter().find(|f| f.name == field).map(|f| f.ty),
        ObjectKind::Array(_) => None,
    }
}

#[test]
fn every_log_declares_valid_object_types() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/logs");
    let mut total = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        let d = declarations(&log(&name));
        assert!(
            check_decls(&d.objects).is_empty(),
            "{name}: {:?}",
            check_decls(&d.objects)
        );
        assert!(!d.objects.is_empty(), "{name}");
        // Every field a descr names maps to a declared field.
        for (full, (ty, f)) in &d.fields {
            assert!(field(&d, ty, f).is_some(), "{name}: {full}");
        }
        total += d.objects.len();
    }
    assert!(total > 50, "{total}");
}

#[test]
fn boxes_frames_and_lists_get_their_fields() {
    let d = declarations(&log("int_arith"));
    assert_eq!(
        field(&d, "W_IntObject", "intval"),
        Some(FieldType::Mem(MemType::I64))
    );
    assert_eq!(field(&d, "PyFrame", "pycode"), Some(FieldType::Ref));
    assert_eq!(
        field(&d, "PyFrame", "last_instr"),
        Some(FieldType::Mem(MemType::I64))
    );
    assert_eq!(
        d.fields["pypy.objspace.std.intobject.W_IntObject.inst_intval"],
        ("W_IntObject".to_string(), "intval".to_string())
    );
    // The signal word is raw memory, no object's field.
    assert!(d.raw_fields.contains_key("pypysig_long_struct.c_value"));
    assert!(d.objects.iter().any(|o| o.name == "ArrayP8"));
    let d = declarations(&log("float_arith"));
    assert_eq!(
        field(&d, "W_FloatObject", "floatval"),
        Some(FieldType::Mem(MemType::F64))
    );
    // Two one-byte flags side by side (offsets 80 and 81) are u8s.
    let d = declarations(&log("generators"));
    assert_eq!(
        field(&d, "PyFrame", "escaped"),
        Some(FieldType::Mem(MemType::U8))
    );
}
