//! Differential fuzzing: the bytes pick a trace (the test kit's generator), which runs in
//! the interpreter and on every target — x86-64 natively, ARMv7 hard-float and softfp and
//! ARMv5TE in the emulator. Any disagreement panics with the trace, shrunk, in the text
//! format. `tracejit fuzz` is the same comparison without libFuzzer, and
//! `cargo test -p tracejit --test fuzz_targets` runs this body on a few hundred inputs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(report) = tracejit::fuzz::differential(data) {
        panic!("{report}");
    }
});
