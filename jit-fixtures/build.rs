//! Compiles the C fixtures for this machine with its C compiler.
fn main() {
    println!("cargo:rerun-if-changed=c/abi.c");
    cc::Build::new()
        .file("c/abi.c")
        .opt_level(2)
        .warnings(false)
        .compile("tracejit_abi_fixture");
}
