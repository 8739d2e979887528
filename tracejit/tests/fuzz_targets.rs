//! Smoke runs of the cargo-fuzz targets' bodies (`fuzz/fuzz_targets/*.rs`) on
//! deterministic random inputs: the encoders (random instructions of every form, encoded
//! by our encoder and decoded by capstone or iced-x86, come back as the instruction asked
//! for), the parser (no panic, round trip) and the differential run on every target.

fn random_inputs(seed: u64, n: usize) -> impl Iterator<Item = Vec<u8>> {
    let mut x = seed;
    (0..n).map(move |_| {
        (0..64)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    })
}

fn run(name: &str, f: fn(&[u8]) -> Result<(), String>) {
    run_on(name, f, random_inputs(0x5eed_1234_abcd_0001, 20_000));
}

fn run_on(name: &str, f: fn(&[u8]) -> Result<(), String>, inputs: impl Iterator<Item = Vec<u8>>) {
    let mut wrong = Vec::new();
    for data in inputs {
        if let Err(e) = f(&data) {
            wrong.push(e);
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "{name}: {} disagreements, e.g.\n{}",
        wrong.len(),
        wrong[..wrong.len().min(30)].join("\n")
    );
}

#[test]
fn a32_encoder_output_decodes_to_the_same_instruction_in_capstone() {
    run("A32", tracejit::encoders::arm);
}

#[test]
fn a64_encoder_output_decodes_to_the_same_instruction_in_capstone() {
    run("A64", tracejit::encoders::a64);
}

#[test]
fn x86_encoder_output_decodes_to_the_same_instruction_in_iced() {
    run("x86-64", tracejit::encoders::x86);
}

#[test]
fn the_parser_target_holds_on_random_and_near_miss_text() {
    run("parse", tracejit::fuzz::parse);
    // Printed traces with a few bytes changed reach deeper into the grammar.
    let near_misses = random_inputs(0x0bad_cafe, 5_000).map(|bytes| {
        let (trace, _) = jit_testkit::gen::trace(&bytes);
        let mut text = jit_core::text::print(&trace).into_bytes();
        for k in 0..3 {
            let at = bytes[k] as usize * 7 % (text.len() + 1);
            if at < text.len() {
                text[at] = b"(),=[]-L.0#\n"[bytes[k + 3] as usize % 12];
            }
        }
        text
    });
    run_on("parse (near misses)", tracejit::fuzz::parse, near_misses);
    // The examples' near misses reach what the generator does not write: tree files with
    // further loops and bridges, object declarations and operations.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut examples: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "trace"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    examples.sort();
    let example_misses = random_inputs(0x0e1a_3b1e, 3_000).map(move |bytes| {
        let mut text = examples[bytes[0] as usize % examples.len()].clone();
        for k in 1..4 {
            let at = (bytes[k] as usize * 131 + bytes[k + 3] as usize) % (text.len() + 1);
            if at < text.len() {
                text[at] = b"(),=[]-L.0#\n<>"[bytes[k + 6] as usize % 14];
            }
        }
        text
    });
    run_on(
        "parse (example near misses)",
        tracejit::fuzz::parse,
        example_misses,
    );
}

#[test]
fn the_differential_target_finds_no_divergence() {
    let long = random_inputs(0xd1ff, 300).map(|mut b| {
        // Traces need more than 64 bytes of choices to get long.
        b.extend(b.clone().iter().rev().map(|x| x ^ 0x5a));
        b.extend(b.clone());
        b
    });
    run_on("differential", tracejit::fuzz::differential, long);
}

#[test]
fn the_trees_target_finds_no_divergence() {
    let long = random_inputs(0x7ee5, 200).map(|mut b| {
        b.extend(b.clone().iter().rev().map(|x| x ^ 0x3c));
        b.extend(b.clone());
        b
    });
    let (mut bridges, mut loops, mut entered) = (0, 0, 0);
    for data in long {
        let g = tracejit::fuzz::trees_grown(&data).unwrap_or_else(|e| panic!("{e}"));
        bridges += g.bridges;
        loops += g.further_loop as u32;
        entered += g.entered_loop as u32;
    }
    assert!(bridges > 50, "only {bridges} bridges grown");
    assert!(
        loops > 5 && entered > 0,
        "{loops} trees with a further loop, {entered} entering it"
    );
}

/// Regression (found by cargo-fuzz): with its bytes used up, the encoder target drew 0 for
/// every choice and looped forever completing a push/pop register list. Short inputs, all
/// zeros or all ones, of every length must end (and hold).
#[test]
fn short_inputs_end() {
    for len in 0..48 {
        for fill in [0u8, 0xff, 0x0e, 0x01] {
            let data = vec![fill; len];
            tracejit::encoders::arm(&data).unwrap();
            tracejit::encoders::x86(&data).unwrap();
            tracejit::fuzz::parse(&data).unwrap();
        }
    }
}

/// The `pypy_log` target's body on the corpus's logs and on them with bytes changed,
/// deleted or inserted (a few hundred inputs).
#[test]
fn pypy_log_target_holds() {
    let logs = tracejit::pypy::corpus().unwrap();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut imported = 0;
    for (name, text) in &logs {
        tracejit::fuzz::pypy_log(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        imported += 1;
        for _ in 0..16 {
            let mut bytes = text.as_bytes().to_vec();
            for _ in 0..1 + next() % 6 {
                let i = (next() as usize) % bytes.len().max(1);
                match next() % 3 {
                    0 => bytes[i] = next() as u8,
                    1 => {
                        bytes.remove(i);
                    }
                    _ => bytes.insert(i, b"(),=p0i1 \n"[(next() % 10) as usize]),
                }
            }
            tracejit::fuzz::pypy_log(&bytes).unwrap_or_else(|e| panic!("{name} mutated: {e}"));
        }
    }
    assert!(imported >= 16);
}
