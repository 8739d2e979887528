//! The text parser on arbitrary input: it never panics, and every trace it reads that
//! verifies prints and reads back to itself.
#![no_main]

use jit_core::text::{parse, parse_args, print};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_args(&text);
    if let Ok(trace) = parse(&text) {
        let printed = print(&trace);
        if jit_core::verify(&trace).is_ok() {
            let back = parse(&printed).expect("printed text parses");
            assert_eq!(back, trace, "round trip changed the trace:\n{printed}");
            assert_eq!(print(&back), printed);
        }
    }
});
