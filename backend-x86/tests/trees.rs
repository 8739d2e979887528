//! Bridges on x86-64, natively: for every conformance case whose run leaves through a
//! guard, a bridge is compiled from that guard's state and attached (its stub patched), and
//! the tree runs again; up to six bridges chain, each from the guard the last run failed.
//! Every run must agree with the interpreter running root and bridges in turn.

use std::collections::HashMap;

use backend_x86::X86Backend;
use jit_core::backend::CompileError;
use jit_core::compile::{compile, compile_bridge, BridgeFrom, CompileOptions};
use jit_core::interp::{run, ExitKind, RunOptions};
use jit_core::text::{default_args, parse_args, parse_verified, resolve_args};
use jit_core::tree::{NativeTree, TreeExit};
use jit_core::Memory;
use jit_testkit::tree::{bridge, InterpTree};

#[test]
fn bridges_attached_to_failing_guards_run_where_the_guard_left_off() {
    let externs = jit_testkit::externs();
    let backend = X86Backend::new();
    let (mut trees, mut bridges_run) = (0, 0);
    for case in jit_testkit::cases::all_cases() {
        if case.runs_out || case.invalidated {
            continue;
        }
        let trace = parse_verified(&case.src).unwrap();
        let specs = parse_args(default_args(&case.src).unwrap_or("")).unwrap();
        let mut memory = Memory::new();
        let inputs = resolve_args(&specs, &trace, &mut memory).unwrap().values;
        let opts = RunOptions {
            step_budget: case.budget,
            ..RunOptions::default()
        };
        let Ok(first) = run(&trace, &inputs, &mut memory.clone(), &externs, opts) else {
            continue;
        };
        if first.kind != ExitKind::Guard {
            continue;
        }
        let root = compile(&backend, &trace, &externs, CompileOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let types = trace.inputs.iter().map(|&v| trace.ty(v)).collect();
        let mut tree = NativeTree::new(&backend, root.code, types).unwrap();
        let mut parts = vec![trace];
        let mut map = HashMap::new();
        trees += 1;
        for depth in 0..6 {
            let oracle = InterpTree {
                parts: &parts,
                bridges: &map,
            };
            let Ok((part, out)) = oracle.run(&inputs, &mut memory.clone(), &externs, opts) else {
                break;
            };
            if out.kind != ExitKind::Guard {
                break;
            }
            // The tree-wide exit of the guard that failed.
            let at = tree
                .exits()
                .index
                .iter()
                .position(|x| match *x {
                    TreeExit::Exit { part: p, exit } => {
                        p == part && tree.exits().parts[p].exits[exit].id == out.exit
                    }
                    TreeExit::Budget => false,
                })
                .expect("the failing guard is an exit of the tree") as u32;
            let TreeExit::Exit { exit, .. } = tree.exits().index[at as usize] else {
                unreachable!()
            };
            let types: Vec<_> = out.values.iter().map(|v| v.ty()).collect();
            let b = bridge(&types, depth * 31 + at);
            let from = BridgeFrom {
                parent: &tree.exits().parts[part],
                exit,
                first_exit: tree.exits().next_exit(),
            };
            let code = match compile_bridge(&backend, &b, &externs, CompileOptions::default(), from)
            {
                Ok(c) => c.code,
                // A guard passing one value twice: no bridge yet.
                Err(CompileError::BridgeMismatch(_)) => break,
                Err(e) => panic!("{}: bridge {depth}: {e}", case.name),
            };
            tree.attach(&backend, at, code).unwrap();
            parts.push(b);
            map.insert((part, out.exit), parts.len() - 1);
            let oracle = InterpTree {
                parts: &parts,
                bridges: &map,
            };
            let mut want_mem = memory.clone();
            let Ok((want_part, want)) = oracle.run(&inputs, &mut want_mem, &externs, opts) else {
                break;
            };
            let mut got_mem = memory.clone();
            let (got_part, got) = tree
                .run(&inputs, &mut got_mem, opts)
                .unwrap_or_else(|e| panic!("{}: bridge {depth}: {e}", case.name));
            assert!(
                want_part == got_part && want.same_exit_and_values(&got),
                "{}: bridge {depth}: interpreter part {want_part} {want}, native part {got_part} {got}",
                case.name
            );
            assert!(got_mem.same_contents(&want_mem), "{}: memory", case.name);
            bridges_run += 1;
        }
    }
    assert!(
        trees > 150 && bridges_run > 190,
        "{trees} trees, {bridges_run} bridges"
    );
    eprintln!("{trees} trees, {bridges_run} bridges");
}
