//! Bridges on x86-64, natively: for every conformance case whose run leaves through a
//! guard, a bridge is compiled from that guard's state and attached (its stub patched), and
//! the tree runs again; up to six bridges chain, each from the guard the last run failed.
//! Every run must agree with the interpreter running root and bridges in turn.

use backend_x86::X86Backend;

#[test]
fn bridges_attached_to_failing_guards_run_where_the_guard_left_off() {
    let target = jit_testkit::NativeTarget::new(Box::new(X86Backend::new()));
    jit_testkit::tree::assert_trees_grow(&target);
}
