//! Object layouts (`jit_core::objects::TargetLayout`) against GCC's: the same structs and
//! arrays written in C after the two-word header, compiled for x86-64 and for ARM (both
//! AAPCS ABIs tracejit targets), their `offsetof`s and sizes read back from the assembly.

use std::process::Command;

use jit_core::ir::MemType;
use jit_core::objects::{Field, FieldType, TargetLayout, OBJECT_ALIGN};

/// The C type of a field type.
fn c_type(t: FieldType) -> &'static str {
    match t {
        FieldType::Mem(MemType::I8) => "int8_t",
        FieldType::Mem(MemType::U8) => "uint8_t",
        FieldType::Mem(MemType::I16) => "int16_t",
        FieldType::Mem(MemType::U16) => "uint16_t",
        FieldType::Mem(MemType::I32) => "int32_t",
        FieldType::Mem(MemType::I64) => "int64_t",
        FieldType::Mem(MemType::F64) => "double",
        FieldType::Ref => "void *",
    }
}

/// Structs drawn from a fixed seed: 1 to 9 fields of every type.
fn structs() -> Vec<Vec<Field>> {
    let mut x = 0x9e37_79b9_u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..120)
        .map(|_| {
            let n = 1 + next() % 9;
            (0..n)
                .map(|k| Field {
                    name: format!("f{k}"),
                    ty: FieldType::ALL[(next() % 8) as usize],
                })
                .collect()
        })
        .collect()
}

/// The numbers GCC's assembly lists after the label `table:`.
fn table(asm: &str) -> Vec<u32> {
    asm.lines()
        .skip_while(|l| !l.starts_with("table:"))
        .skip(1)
        .map(str::trim)
        .take_while(|l| l.starts_with(".long") || l.starts_with(".word"))
        .map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
        .collect()
}

/// Compiles `src` with `cc -S`; `None` if the compiler is not installed.
fn assemble(cc: &str, src: &str) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("tracejit-layout-{}-{cc}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let c = dir.join("layout.c");
    std::fs::write(&c, src).unwrap();
    let out = Command::new(cc)
        .args(["-S", "-O2", "-o", "-"])
        .arg(&c)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{cc}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn struct_and_array_layouts_match_gcc_on_every_target() {
    let structs = structs();
    let mut src = String::from("#include <stddef.h>\n#include <stdint.h>\n");
    let mut entries = Vec::new();
    for (k, fields) in structs.iter().enumerate() {
        src.push_str(&format!("struct s{k} {{ uint32_t tid, flags;"));
        for f in fields {
            src.push_str(&format!(" {} {};", c_type(f.ty), f.name));
        }
        src.push_str(" };\n");
        for f in fields {
            entries.push(format!("offsetof(struct s{k}, {})", f.name));
        }
        // The object's size: C's, rounded up to the allocator's alignment.
        entries.push(format!(
            "(sizeof(struct s{k}) + {OBJECT_ALIGN} - 1) / {OBJECT_ALIGN} * {OBJECT_ALIGN}"
        ));
    }
    for (k, t) in FieldType::ALL.iter().enumerate() {
        src.push_str(&format!(
            "struct a{k} {{ uint32_t tid, flags; intptr_t length; {} items[]; }};\n",
            c_type(*t)
        ));
        entries.push(format!("offsetof(struct a{k}, length)"));
        entries.push(format!("offsetof(struct a{k}, items)"));
        entries.push(format!("sizeof(((struct a{k} *)0)->items[0])"));
    }
    src.push_str(&format!(
        "const uint32_t table[] = {{ {} }};\n",
        entries.join(",\n  ")
    ));
    let mut checked = 0;
    for (cc, layout) in [
        ("gcc", TargetLayout::LP64),
        ("arm-linux-gnueabihf-gcc", TargetLayout::AAPCS32),
        ("arm-linux-gnueabi-gcc", TargetLayout::AAPCS32),
    ] {
        if cc == "gcc" && !cfg!(target_arch = "x86_64") {
            continue;
        }
        let Some(asm) = assemble(cc, &src) else {
            panic!("{cc} is not installed: scripts/setup.sh installs it");
        };
        let got = table(&asm);
        let mut want = Vec::new();
        for fields in &structs {
            let l = layout.struct_layout(fields);
            want.extend(l.offsets);
            want.push(l.size);
        }
        for t in FieldType::ALL {
            let a = layout.array_layout(t);
            want.extend([a.length, a.items, a.item_size]);
        }
        assert_eq!(got.len(), want.len(), "{cc}: the table's length");
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "{cc}: entry {k} ({})", entries[k]);
        }
        checked += 1;
    }
    assert!(checked >= 2);
}
