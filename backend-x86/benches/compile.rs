//! Compile time per IR op: a 100-op and a 10,000-op trace through the whole pipeline
//! (verify, constraints, allocation, lowering, encoding), without the allocation checker.
//!
//! `cargo bench -p backend-x86 --bench compile`; divide the time by the op count printed
//! in the benchmark's name.

use backend_x86::X86Backend;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use jit_core::compile::{compile, CompileOptions};
use jit_core::text::parse_verified;
use jit_core::Trace;

/// The conformance suite's long trace (mixed int/float arithmetic with a guard every five
/// ops), cut to about `ops` operations.
fn trace(ops: usize) -> Trace {
    let src = &jit_testkit::cases::big()[0].src;
    let body: Vec<&str> = src.lines().skip(2).take(ops - 1).collect();
    let last_int = body
        .iter()
        .rev()
        .find_map(|l| l.split(" = ").next().filter(|n| n.starts_with('i')))
        .unwrap_or("i0");
    let text = format!(
        "{}\n{}\n{}\nfinish({last_int})\n",
        src.lines().next().unwrap(),
        src.lines().nth(1).unwrap(),
        body.join("\n")
    );
    parse_verified(&text).expect("the cut trace verifies")
}

fn bench(c: &mut Criterion) {
    let backend = X86Backend::new();
    let externs = jit_testkit::externs();
    let options = CompileOptions {
        check_allocation: false,
    };
    let mut g = c.benchmark_group("compile x86-64");
    for n in [100, 10_000] {
        let t = trace(n);
        g.throughput(Throughput::Elements(t.ops.len() as u64));
        g.bench_with_input(BenchmarkId::new("ops", t.ops.len()), &t, |b, t| {
            b.iter(|| compile(&backend, t, &externs, options).expect("compiles"))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
