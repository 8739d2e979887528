//! Encoder round trips: the bytes pick an A32/VFP, A64 or x86-64 instruction and its
//! operands; what our encoder makes must decode (capstone, iced-x86) to exactly that
//! instruction.
//! `cargo test -p tracejit --test fuzz_targets` runs the same bodies on 20,000 inputs each.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let r = match which % 3 {
        0 => tracejit::encoders::arm(rest),
        1 => tracejit::encoders::x86(rest),
        _ => tracejit::encoders::a64(rest),
    };
    if let Err(e) = r {
        panic!("{e}");
    }
});
