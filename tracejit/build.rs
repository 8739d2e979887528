//! Builds the benchmark kernels' C versions (bench/kernels.c) for this machine with its C
//! compiler at -O2, for `tracejit bench` to time and call.
fn main() {
    println!("cargo:rerun-if-changed=../bench/kernels.c");
    cc::Build::new()
        .file("../bench/kernels.c")
        .opt_level(2)
        .flag_if_supported("-ffp-contract=off")
        .flag_if_supported("-fno-math-errno")
        .warnings(false)
        .compile("tracejit_bench_kernels");
}
