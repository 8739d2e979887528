//! Differential fuzzing: the bytes pick a trace (the test kit's generator), which runs in
//! the interpreter and on every target — x86-64 natively, ARMv7 hard-float and softfp and
//! ARMv5TE in the emulator. Any disagreement panics with the trace, shrunk, in the text
//! format. `tracejit fuzz` is the same loop without libFuzzer.
#![no_main]

use jit_core::interp::RunOptions;
use jit_core::ir::Scalar;
use jit_core::Memory;
use jit_testkit::{compare_to, expect, gen, shrink::divergence, Target};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static TARGETS: Vec<Box<dyn Target>> = tracejit::targets::SUPPORTED
        .iter()
        .map(|t| tracejit::targets::target(t).expect("a supported triple"))
        .collect();
}

fuzz_target!(|data: &[u8]| {
    let (trace, mut inputs) = gen::trace(data);
    let mut memory = Memory::new();
    let buf = memory.alloc(gen::BUFFER_BYTES).expect("small");
    if let Some(x) = inputs.iter_mut().find(|x| **x == Scalar::Ref(0)) {
        *x = Scalar::Ref(buf);
    }
    let options = RunOptions {
        step_budget: 5_000,
        ..RunOptions::default()
    };
    // A trace the interpreter stops on (a loop out of budget) has nothing to compare.
    let Ok(want) = expect(&trace, &inputs, &memory, options) else {
        return;
    };
    TARGETS.with(|targets| {
        for target in targets {
            if compare_to(&**target, &trace, &inputs, &memory, options, &want).is_err() {
                panic!(
                    "{}",
                    divergence(&**target, &trace, &inputs, &memory, options)
                );
            }
        }
    });
});
