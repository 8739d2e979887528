//! x86-64 code on unicorn's x86-64 model (what `tracejit bench` counts instructions on):
//! every conformance case, compiled with calls routed to the trap slots, leaves as the
//! interpreter says, and instruction counting sees the JIT's code and the callees apart.

use backend_x86::X86Backend;
use jit_core::compile::{compile, CompileOptions};
use jit_core::interp::{run, RunOptions};
use jit_core::runtime::Runner;
use jit_core::text::{default_args, parse_args, parse_verified, resolve_args};
use jit_core::Memory;
use jit_emu::x86::{host_calls, trap_externs, X86EmuTrace, X86Machine};

#[test]
fn every_conformance_case_agrees_on_emulated_x86_64() {
    let externs = jit_testkit::externs();
    let (traps, names) = trap_externs(&externs);
    let backend = X86Backend::new();
    let mut machine = Some(X86Machine::new().unwrap());
    let mut checked = 0;
    for case in jit_testkit::cases::all_cases() {
        let trace = parse_verified(&case.src).unwrap();
        let specs = parse_args(default_args(&case.src).unwrap_or("")).unwrap();
        let mut memory = Memory::new();
        let inputs = resolve_args(&specs, &trace, &mut memory).unwrap().values;
        let opts = RunOptions {
            step_budget: case.budget,
            ..RunOptions::default()
        };
        let mut want_memory = memory.clone();
        let Ok(want) = run(&trace, &inputs, &mut want_memory, &externs, opts) else {
            continue;
        };
        let code = compile(&backend, &trace, &traps, CompileOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", case.name))
            .code;
        let mut m = machine.take().unwrap();
        m.set_host_calls(host_calls(names.clone(), externs.clone()));
        let types = trace.inputs.iter().map(|&v| trace.ty(v)).collect();
        let mut t = X86EmuTrace::load(m, code, types).unwrap();
        let got = t
            .run(&inputs, &mut memory, opts)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        // Objects compare as the graphs the values reach.
        let (want_memory, want) = jit_testkit::canonical(&want_memory, &want);
        let (memory, got) = jit_testkit::canonical(&memory, &got);
        let same = want.same_exit_and_values(&got) && want_memory.same_contents(&memory);
        assert!(
            same,
            "{}: interpreter {want}, emulated x86-64 {got}",
            case.name
        );
        machine = Some(t.into_machine());
        checked += 1;
    }
    assert!(checked > 700, "{checked}");
}

/// The collector's slow paths on the emulated x86-64 machine: every allocation of the
/// objects example collects in stress mode, through the machine's trap slots.
#[test]
fn objects_collect_on_emulated_x86_64() {
    let externs = jit_testkit::externs();
    let (traps, names) = trap_externs(&externs);
    let src = include_str!("../../examples/objects.trace");
    let trace = parse_verified(src).unwrap();
    let inputs = [jit_core::Scalar::I32(7), jit_core::Scalar::I32(0)];
    let opts = RunOptions::default();
    let code = compile(
        &X86Backend::new(),
        &trace,
        &traps,
        CompileOptions::default(),
    )
    .unwrap()
    .code;
    let mut m = X86Machine::new().unwrap();
    m.set_host_calls(host_calls(names, externs.clone()));
    let types = trace.inputs.iter().map(|&v| trace.ty(v)).collect();
    let mut t = X86EmuTrace::load(m, code, types).unwrap();
    let mut want_memory = Memory::new();
    let want = run(&trace, &inputs, &mut want_memory, &externs, opts).unwrap();
    let mut memory = Memory::new();
    let got = jit_core::gcrun::with_gc_config(jit_core::gcrun::STRESS_GC, || {
        t.run(&inputs, &mut memory, opts)
    })
    .unwrap();
    let (want_memory, want) = jit_testkit::canonical(&want_memory, &want);
    let (memory, got) = jit_testkit::canonical(&memory, &got);
    assert!(want.same_exit_and_values(&got) && want_memory.same_contents(&memory));
}
