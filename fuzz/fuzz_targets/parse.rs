//! The text parser on arbitrary input: it never panics, and every trace it reads that
//! verifies prints and reads back to itself. `cargo test -p tracejit --test fuzz_targets`
//! runs this body on a few thousand inputs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = tracejit::fuzz::parse(data) {
        panic!("{e}");
    }
});
