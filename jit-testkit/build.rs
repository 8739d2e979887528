//! Writes the generated C callees (src/shapes/catalogue.rs) and compiles them for this
//! machine with its C compiler, with a Rust table of their addresses.

#[path = "src/shapes/catalogue.rs"]
#[allow(dead_code)]
mod catalogue;

use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=src/shapes/catalogue.rs");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let shapes = catalogue::shapes();
    let c = out.join("shapes.c");
    std::fs::write(&c, catalogue::c_source(&shapes)).expect("write shapes.c");
    cc::Build::new()
        .file(&c)
        .define("TRACEJIT_SHAPES_LOG", None)
        .opt_level(2)
        .flag_if_supported("-ffp-contract=off")
        .warnings(false)
        .compile("tracejit_shapes");
    // The callees' addresses, for the native twins (the Rust prototypes are placeholders:
    // the functions are only called by JIT code, through their C signatures).
    let mut rs = String::from("extern \"C\" {\n    fn shape_sink();\n");
    for sh in &shapes {
        let _ = writeln!(rs, "    fn {}();", sh.name);
    }
    rs.push_str("}\n\n/// `shape_sink` and every shape's C code, in catalogue order.\n");
    let _ = writeln!(
        rs,
        "static ADDRESSES: [unsafe extern \"C\" fn(); {}] = [\n    shape_sink,",
        shapes.len() + 1
    );
    for sh in &shapes {
        let _ = writeln!(rs, "    {},", sh.name);
    }
    rs.push_str("];\n");
    std::fs::write(out.join("shape_addresses.rs"), rs).expect("write shape_addresses.rs");
}
