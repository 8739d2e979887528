//! PyPy's logs on arbitrary input: read, imported as trees, written and read back, heaps
//! built and steered — never a panic, and every imported part verifies. `cargo test -p
//! tracejit --test fuzz_targets` runs this body on mutated logs of the corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = tracejit::fuzz::pypy_log(data) {
        panic!("{e}");
    }
});
