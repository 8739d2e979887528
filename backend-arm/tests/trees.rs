//! Bridges on the emulated ARM targets (ARMv7 hard-float and softfp on the Cortex-A8,
//! ARMv5TE on the ARM926): for every conformance case whose run leaves through a guard, up
//! to six bridges chain, each compiled from the state of the guard the last run failed at,
//! loaded into the machine's code space, linked, and attached by patching the guard's stub
//! (with the instruction-cache flush the emulator needs to see it). Every run must agree
//! with the interpreter running root and bridges in turn.

use backend_arm::FloatAbi;
use jit_emu::arm::ArmTarget;
use jit_testkit::Target;

fn grow(target: &ArmTarget) {
    jit_testkit::tree::assert_trees_grow(target);
}

#[test]
fn bridges_on_armv7_hard_float() {
    grow(&ArmTarget::new(FloatAbi::Hard));
}

#[test]
fn bridges_on_armv7_softfp() {
    grow(&ArmTarget::new(FloatAbi::Softfp));
}

#[test]
fn bridges_on_armv5te() {
    grow(&ArmTarget::armv5te());
}

#[test]
fn attaching_a_bridge_retargets_the_guards_own_branch() {
    use jit_core::codespace::CodeSpace;
    use jit_core::compile::{compile, compile_bridge, BridgeFrom, CompileOptions};
    use jit_core::text::parse_verified;
    use jit_testkit::tree::TreeRunner;
    let externs = jit_core::Externs::new();
    let root = parse_verified(
        "[i0, i1]\nlabel(i0, i1)\ni2 = int_add(i1, i0)\ni3 = int_sub(i0, 1)\n\
         i4 = int_gt(i3, 0)\nguard_true(i4) [i3, i2]\njump(i3, i2)\n",
    )
    .unwrap();
    let bridge = parse_verified("[i0, i1]\ni2 = int_mul(i1, 2)\nfinish(i0, i2)\n").unwrap();
    for target in [ArmTarget::new(FloatAbi::Hard), ArmTarget::armv5te()] {
        let backend = target.backend();
        let code = compile(backend, &root, &externs, CompileOptions::default())
            .unwrap()
            .code;
        let mut tree = target.load_arm_tree(code, &root).unwrap();
        let from = BridgeFrom {
            parent: &tree.exits().parts[0],
            exit: 0,
            first_exit: tree.exits().next_exit(),
            root: &tree.exits().parts[0],
            tree: &tree.exits().parts,
        };
        let b = compile_bridge(backend, &bridge, &externs, CompileOptions::default(), from)
            .unwrap()
            .code;
        TreeRunner::attach(&mut tree, 0, b).unwrap();
        let sites: Vec<_> = tree.exits().parts[0]
            .exit_branches
            .iter()
            .filter(|b| b.exit == 0)
            .copied()
            .collect();
        assert_eq!(sites.len(), 1, "one b<cond> to the guard's stub");
        let emu = tree.tree();
        let (root_addr, bridge_addr) = (emu.address(0), emu.address(1));
        for s in sites {
            let at = root_addr + s.at as u64;
            let word = u32::from_le_bytes(emu.machine().read(at, 4).unwrap().try_into().unwrap());
            let offset = ((word << 8) as i32 >> 6) as i64;
            assert_eq!(
                (at as i64 + 8 + offset) as u64,
                bridge_addr,
                "{}",
                target.name()
            );
            assert_eq!(word >> 28, 0b1101, "the condition (le) is kept");
        }
        let (part, out) = TreeRunner::run(
            &mut tree,
            &[jit_core::Scalar::I32(10), jit_core::Scalar::I32(0)],
            &mut jit_core::Memory::new(),
            jit_core::RunOptions::default(),
        )
        .unwrap();
        assert_eq!(part, 1);
        assert_eq!(
            out.values,
            [jit_core::Scalar::I32(0), jit_core::Scalar::I32(110)]
        );
    }
}

/// Found by the tree fuzzer: a bridge calling a function with 15 doubles stacks 104 bytes
/// of arguments under softfp, more than the root's outgoing area held then (64 bytes), and
/// overwrote the d registers the root saved. Roots reserve 256 bytes now, and a bridge
/// needing more than its root reserved is refused.
#[test]
fn bridges_with_many_stacked_arguments_fit_the_roots_frame_or_are_refused() {
    use jit_core::backend::CompileError;
    use jit_core::compile::{compile, compile_bridge, BridgeFrom, CompileOptions};
    use jit_core::text::parse_verified;
    use jit_testkit::tree::TreeRunner;
    let externs = jit_testkit::externs();
    let root =
        parse_verified("[f0]\ni1 = float_gt(f0, 0.0)\nguard_false(i1) [f0]\nfinish()\n").unwrap();
    let bridge = parse_verified(
        "extern @cf15(f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64, f64) -> f64\n\
         [f0]\nf1 = call(@cf15, f0, f0, f0, f0, f0, f0, f0, f0, f0, f0, f0, f0, f0, f0, 1.5)\nfinish(f1)\n",
    )
    .unwrap();
    for target in [
        ArmTarget::new(FloatAbi::Hard),
        ArmTarget::new(FloatAbi::Softfp),
        ArmTarget::armv5te(),
    ] {
        let backend = target.backend();
        let code = compile(backend, &root, &externs, CompileOptions::default())
            .unwrap()
            .code;
        let mut tree = target.load_arm_tree(code, &root).unwrap();
        let from = BridgeFrom {
            parent: &tree.exits().parts[0],
            exit: 0,
            first_exit: tree.exits().next_exit(),
            root: &tree.exits().parts[0],
            tree: &tree.exits().parts,
        };
        let b = compile_bridge(backend, &bridge, &externs, CompileOptions::default(), from)
            .unwrap()
            .code;
        TreeRunner::attach(&mut tree, 0, b).unwrap();
        let (part, out) = TreeRunner::run(
            &mut tree,
            &[jit_core::Scalar::F64(2.0f64.to_bits())],
            &mut jit_core::Memory::new(),
            jit_core::RunOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", target.name()));
        let sum: f64 = (1..=14).map(|k| 2.0 * k as f64).sum::<f64>() + 1.5 * 15.0;
        assert_eq!(
            (part, out.values),
            (1, vec![jit_core::Scalar::F64(sum.to_bits())])
        );
        // A root that reserved less than the bridge needs refuses it.
        let mut small = tree.exits().parts[0].clone();
        small.frame.outgoing_bytes = 8;
        let from = BridgeFrom {
            parent: &small,
            exit: 0,
            first_exit: tree.exits().next_exit(),
            root: &small,
            tree: std::slice::from_ref(&small),
        };
        assert!(matches!(
            compile_bridge(backend, &bridge, &externs, CompileOptions::default(), from),
            Err(CompileError::BridgeMismatch(_))
        ));
    }
}

/// Trees past a branch's reach: with the reach forced down to 64 KiB and 1 MiB of code
/// between the root and its bridge, the guard's stub becomes `ldr pc, [pc, #-4]` and the
/// bridge's address, the guard's own branch keeps going to the stub, and the bridge's far
/// jumps (back into the loop, out through the root's epilogue) take the same form; the
/// tree still runs as the interpreter runs it, on all three ARM targets.
#[test]
fn bridges_far_past_a_branchs_reach_go_through_far_jumps() {
    use jit_core::codespace::CodeSpace;
    use jit_core::compile::{compile, compile_bridge, CompileOptions};
    use jit_core::text::parse_verified;
    use jit_core::{Memory, RunOptions, Scalar};
    use jit_testkit::tree::{InterpTree, TreeRunner};
    let root = parse_verified(
        "[i0, i1]\nlabel(i0, i1)\ni2 = int_and(i0, 1)\nguard_false(i2) [i0, i1]\n\
         i3 = int_add(i1, i0)\ni4 = int_sub(i0, 1)\ni5 = int_gt(i4, 0)\n\
         guard_true(i5) [i4, i3]\njump(i4, i3)\n",
    )
    .unwrap();
    let bridge = parse_verified(
        "[i0, i1]\ni2 = int_mul(i0, 3)\ni3 = int_add(i1, i2)\ni4 = int_sub(i0, 1)\n\
         i5 = int_gt(i4, 0)\nguard_true(i5) [i4, i3]\njump(i4, i3)\n",
    )
    .unwrap();
    let externs = jit_testkit::externs();
    for target in [
        ArmTarget::new(FloatAbi::Hard),
        ArmTarget::new(FloatAbi::Softfp),
        ArmTarget::armv5te(),
    ] {
        let target = target.with_branch_reach(64 << 10);
        let backend = target.backend();
        let code = compile(backend, &root, &externs, CompileOptions::default())
            .unwrap()
            .code;
        let mut tree = target.load_arm_tree(code, &root).unwrap();
        // 1 MiB of other code between the root and the bridge.
        tree.tree().machine().allocate(1 << 20).unwrap();
        let guard = root.ops[2].exit_id().unwrap();
        let (at, from) = TreeRunner::exits(&tree).bridge_from(0, guard).unwrap();
        let b = compile_bridge(backend, &bridge, &externs, CompileOptions::default(), from)
            .unwrap()
            .code;
        TreeRunner::attach(&mut tree, at, b).unwrap();
        let root_addr = tree.tree().address(0);
        let bridge_addr = tree.tree().address(1);
        assert!(bridge_addr - root_addr > 1 << 20, "{}", target.name());
        // The stub: ldr pc, [pc, #-4] and the bridge's address.
        let parts = TreeRunner::exits(&tree).parts.clone();
        let stub = root_addr + parts[0].exit_states[0].stub as u64;
        let word = tree.tree().machine().read(stub, 8).unwrap();
        assert_eq!(
            word,
            [
                0xe51f_f004u32.to_le_bytes(),
                (bridge_addr as u32).to_le_bytes()
            ]
            .concat(),
            "{}",
            target.name()
        );
        let map = std::collections::HashMap::from([((0, guard), 1)]);
        let parts_ir = [root.clone(), bridge.clone()];
        for n in [1, 2, 7, 1000] {
            let inputs = [Scalar::I32(n), Scalar::I32(0)];
            let oracle = InterpTree {
                parts: &parts_ir,
                bridges: &map,
            };
            let (wp, want) = oracle
                .run(&inputs, &mut Memory::new(), &externs, RunOptions::default())
                .unwrap();
            let (gp, got) = TreeRunner::run(
                &mut tree,
                &inputs,
                &mut Memory::new(),
                RunOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{}: {e}", target.name()));
            assert!(
                wp == gp && want.same_exit_and_values(&got),
                "{} from {n}: interpreter part {wp} {want}, target part {gp} {got}",
                target.name()
            );
        }
    }
}
