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
        // The emulated x86-64 machine has no heap for the collector: objects run natively.
        if !trace.objects.is_empty() {
            continue;
        }
        let specs = parse_args(default_args(&case.src).unwrap_or("")).unwrap();
        let mut memory = Memory::new();
        let inputs = resolve_args(&specs, &trace, &mut memory).unwrap().values;
        let opts = RunOptions {
            step_budget: case.budget,
            ..RunOptions::default()
        };
        let Ok(want) = run(&trace, &inputs, &mut memory.clone(), &externs, opts) else {
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
        let same = want.same_exit_and_values(&got);
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
