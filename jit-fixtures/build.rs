//! Compiles the C fixtures for this machine with its C compiler.
fn main() {
    println!("cargo:rerun-if-changed=c/abi.c");
    println!("cargo:rerun-if-changed=c/runtime.c");
    cc::Build::new()
        .file("c/abi.c")
        .opt_level(2)
        .warnings(false)
        .compile("tracejit_abi_fixture");
    cc::Build::new()
        .file("c/runtime.c")
        .opt_level(2)
        .flag_if_supported("-fno-math-errno")
        .warnings(false)
        .compile("tracejit_runtime_fixture");
}
