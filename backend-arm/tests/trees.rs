//! Bridges on the emulated ARM targets (ARMv7 hard-float and softfp on the Cortex-A8,
//! ARMv5TE on the ARM926): for every conformance case whose run leaves through a guard, up
//! to six bridges chain, each compiled from the state of the guard the last run failed at,
//! loaded into the machine's code space, linked, and attached by patching the guard's stub
//! (with the instruction-cache flush the emulator needs to see it). Every run must agree
//! with the interpreter running root and bridges in turn.

use backend_arm::FloatAbi;
use jit_core::backend::Backend;
use jit_emu::arm::ArmTarget;
use jit_testkit::tree::grow_trees;
use jit_testkit::Target;

fn grow(target: &ArmTarget) {
    let backend: &dyn Backend = target.backend();
    let grown = grow_trees(backend, 6, |root, trace| {
        target.load_tree(root, trace).expect("the root loads")
    });
    eprintln!("{}: {grown:?}", target.name());
    assert!(grown.trees > 150 && grown.bridges > 190, "{grown:?}");
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
