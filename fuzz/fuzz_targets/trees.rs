//! Tree fuzzing: the bytes pick a trace (the test kit's generator); a run that leaves
//! through a guard grows a tree of up to six bridges on every target — x86-64 natively,
//! ARMv7 hard-float and softfp and ARMv5TE in the emulator — each run compared with the
//! interpreter running the tree. Any disagreement panics with the tree, shrunk, as a tree
//! file. `cargo test -p tracejit --test fuzz_targets` runs this body on a few hundred inputs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(report) = tracejit::fuzz::trees(data) {
        panic!("{report}");
    }
});
