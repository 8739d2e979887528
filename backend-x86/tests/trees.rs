//! Bridges on x86-64, natively: for every conformance case whose run leaves through a
//! guard, a bridge is compiled from that guard's state and attached (its stub patched), and
//! the tree runs again; up to six bridges chain, each from the guard the last run failed.
//! Every run must agree with the interpreter running root and bridges in turn.

use backend_x86::X86Backend;
use jit_core::tree::NativeTree;
use jit_testkit::tree::{grow_trees, Native};

#[test]
fn bridges_attached_to_failing_guards_run_where_the_guard_left_off() {
    let backend = X86Backend::new();
    let grown = grow_trees(&backend, 6, |root, trace| {
        let types = trace.inputs.iter().map(|&v| trace.ty(v)).collect();
        Box::new(Native {
            backend: &backend,
            tree: NativeTree::new(&backend, root, types).expect("the root loads"),
        })
    });
    eprintln!("{grown:?}");
    assert!(
        grown.trees > 150 && grown.bridges > 190 && grown.loops > 80 && grown.rejoined > 80,
        "{grown:?}"
    );
}
