//! Compile time per IR op on every target: a 10-op, a 100-op, a 1,000-op and a 10,000-op trace
//! (per-op cost at 10,000 within 1.2x of 1,000 is linear) through the
//! whole pipeline (verify, legalize, constraints, allocation, lowering, encoding), without
//! the allocation checker.
//!
//! `cargo bench -p tracejit --bench compile`; criterion reports throughput in ops/s.

use backend_arm::{ArmBackend, FloatAbi, Profile};
use backend_x86::X86Backend;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use jit_core::backend::Backend;
use jit_core::compile::{compile, CompileOptions};
use jit_core::Trace;

fn bench(c: &mut Criterion) {
    let backends: Vec<Box<dyn Backend>> = vec![
        Box::new(X86Backend::new()),
        Box::new(ArmBackend::new(FloatAbi::Hard)),
        Box::new(ArmBackend::with_profile(FloatAbi::Softfp, Profile::V5te)),
    ];
    let externs = jit_testkit::externs();
    let options = CompileOptions {
        check_allocation: false,
    };
    let traces: Vec<Trace> = [10, 100, 1_000, 10_000]
        .into_iter()
        .map(jit_testkit::cases::long_trace)
        .collect();
    for backend in &backends {
        let mut g = c.benchmark_group(format!("compile {}", backend.name()));
        for t in &traces {
            g.throughput(Throughput::Elements(t.ops.len() as u64));
            g.bench_with_input(BenchmarkId::new("ops", t.ops.len()), t, |b, t| {
                b.iter(|| compile(backend.as_ref(), t, &externs, options).expect("compiles"))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
