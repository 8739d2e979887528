//! The command-line tool, run as a user runs it. Each example's output is a golden file
//! `examples/NAME.out`; `TRACEJIT_BLESS=1 cargo test -p tracejit` rewrites them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tracejit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracejit"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("tracejit runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn temp_trace(name: &str, src: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tracejit-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, src).unwrap();
    p
}

#[test]
fn every_example_runs_and_matches_its_golden_output() {
    let bless = std::env::var_os("TRACEJIT_BLESS").is_some();
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "trace"))
        .collect();
    examples.sort();
    assert!(examples.len() >= 10);
    let mut stale = Vec::new();
    for path in examples {
        let rel = format!("examples/{}", path.file_name().unwrap().to_string_lossy());
        let out = tracejit(&["run", &rel]);
        assert!(out.status.success(), "{rel}: {}", text(&out.stderr));
        let got = text(&out.stdout);
        let golden = path.with_extension("out");
        if bless {
            std::fs::write(&golden, &got).unwrap();
        } else if std::fs::read_to_string(&golden).ok().as_deref() != Some(got.as_str()) {
            stale.push(format!("{rel}:\n{got}"));
        }
    }
    assert!(
        stale.is_empty(),
        "output differs from the golden file (TRACEJIT_BLESS=1 to accept):\n{}",
        stale.join("\n")
    );
}

#[test]
fn args_on_the_command_line_override_the_file() {
    let out = tracejit(&["run", "examples/sum.trace", "--args", "4, 0"]);
    assert!(out.status.success());
    assert!(
        text(&out.stdout).contains("guard exit 0 (op 4) failed with [0, 10]"),
        "{}",
        text(&out.stdout)
    );
    let out = tracejit(&[
        "run",
        "examples/prefix_sum.trace",
        "--args",
        "i32[1, 2, 3], 3, 0, 0",
    ]);
    assert!(
        text(&out.stdout).contains("p0 -> [1, 3, 6]"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn malformed_text_reports_file_line_and_column() {
    let p = temp_trace("bad.trace", "[i0]\ni1 = int_add(i0, 1.5)\nfinish(i1)\n");
    let out = tracejit(&["run", p.to_str().unwrap()]);
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr).trim(),
        format!(
            "{}:2:18: expected a constant of type i32, found 1.5",
            p.display()
        )
    );
}

#[test]
fn ill_typed_traces_report_every_error_with_its_position() {
    let p = temp_trace(
        "ill.trace",
        "[i0, f1]\ni2 = int_add(i0, f1)\nf3 = float_neg(i0)\nfinish(i2, f3)\n",
    );
    let out = tracejit(&["check", p.to_str().unwrap()]);
    assert!(!out.status.success());
    let d = p.display();
    assert_eq!(
        text(&out.stderr),
        format!(
            "{d}:2:18: argument 1 of int_add must be i32 like argument 0, found f64\n\
             {d}:3:16: argument 0 of float_neg must be f64, found i32\n"
        )
    );
}

#[test]
fn runaway_loops_stop_with_an_error() {
    let p = temp_trace(
        "forever.trace",
        "# args: 0\n[i0]\nlabel(i0)\ni1 = int_add(i0, 1)\njump(i1)\n",
    );
    let out = tracejit(&["run", p.to_str().unwrap(), "--budget", "100000"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("step budget of 100000 operations exhausted"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_inputs_are_reported() {
    let out = tracejit(&["run", "examples/sum.trace", "--args", "1"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("the trace takes 2 input(s), 1 given"));
    let out = tracejit(&["run", "examples/sum.trace", "--args", "1, 2.5"]);
    assert!(
        text(&out.stderr).contains("input 1 must be i32, found the float 2.5"),
        "{}",
        text(&out.stderr)
    );
    let out = tracejit(&["run", "examples/sum.trace", "--args", "1, ]"]);
    assert!(
        text(&out.stderr).contains("in the inputs, 1:4: expected an input"),
        "{}",
        text(&out.stderr)
    );
    let out = tracejit(&["run", "no/such/file.trace"]);
    assert!(text(&out.stderr).contains("no/such/file.trace: cannot read"));
}

#[test]
fn fmt_prints_the_canonical_form_and_check_accepts_examples() {
    let p = temp_trace(
        "messy.trace",
        "[i7]   # input\n  i9=int_add( i7,1 )\nfinish(i9)",
    );
    let out = tracejit(&["fmt", p.to_str().unwrap()]);
    assert_eq!(text(&out.stdout), "[i0]\ni1 = int_add(i0, 1)\nfinish(i1)\n");
    let out = tracejit(&["check", "examples/sum.trace", "examples/calls.trace"]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "examples/sum.trace: ok\nexamples/calls.trace: ok\n"
    );
}

#[test]
fn target_runs_machine_code_and_disasm_shows_it_under_each_op() {
    let out = tracejit(&[
        "run",
        "examples/sum.trace",
        "--target",
        "x86_64-unknown-linux-gnu",
        "--disasm",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("on x86-64 (native): agrees with the interpreter"),
        "{s}"
    );
    assert!(
        s.contains("guard exit 0 (op 4) failed with [0, 5050]"),
        "{s}"
    );
    let add = s.find("# 1: i2 = int_add(i1, i0)").expect("op 1 is shown");
    let sub = s.find("# 2: i3 = int_sub(i0, 1)").expect("op 2 is shown");
    assert!(s[add..sub].contains("add "), "an add under int_add:\n{s}");
    assert!(
        s.contains("# exit stubs and the common exit") && s.contains("ret"),
        "{s}"
    );
}

#[test]
fn every_example_agrees_on_every_target() {
    let files: Vec<String> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "trace"))
        .map(|p| format!("examples/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    for triple in [
        "x86_64-unknown-linux-gnu",
        "armv7-unknown-linux-gnueabihf",
        "armv7-unknown-linux-gnueabi",
    ] {
        let mut args = vec!["run", "--target", triple];
        args.extend(files.iter().map(String::as_str));
        let out = tracejit(&args);
        assert!(out.status.success(), "{triple}: {}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout)
                .matches("agrees with the interpreter")
                .count(),
            files.len(),
            "{triple}"
        );
    }
}

#[test]
fn arm_disasm_shows_a32_code_under_each_op() {
    let out = tracejit(&[
        "run",
        "examples/sum.trace",
        "--target",
        "armv7-unknown-linux-gnueabihf",
        "--disasm",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let add = s.find("# 1: i2 = int_add(i1, i0)").expect("op 1 is shown");
    let sub = s.find("# 2: i3 = int_sub(i0, 1)").expect("op 2 is shown");
    assert!(s[add..sub].contains(" add "), "an add under int_add:\n{s}");
    assert!(
        s.contains("push {r3, r4, r5, r6, r7, r8, sb, sl, fp, lr}")
            && s.contains("agrees with the interpreter"),
        "{s}"
    );
}

#[test]
fn unsupported_targets_are_reported() {
    let out = tracejit(&[
        "run",
        "examples/sum.trace",
        "--target",
        "riscv64gc-unknown-linux-gnu",
    ]);
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr).trim(),
        "tracejit: no backend for riscv64gc-unknown-linux-gnu; supported: x86_64-unknown-linux-gnu, \
         armv7-unknown-linux-gnueabihf, armv7-unknown-linux-gnueabi, \
         armv5te-unknown-linux-gnueabi, aarch64-unknown-linux-gnu"
    );
}

#[test]
fn armv5_disasm_shows_the_literal_pool() {
    let out = tracejit(&[
        "run",
        "examples/murmur_mix.trace",
        "--target",
        "armv5te-unknown-linux-gnueabi",
        "--disasm",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains(".word 0x85ebca6b   ; constant pool"), "{s}");
    assert!(s.contains("ldr r") && s.contains("[pc, #"), "{s}");
    assert!(
        s.contains("on armv5te (emulated ARM926): agrees with the interpreter"),
        "{s}"
    );
}

#[test]
fn a_short_differential_fuzzing_run_finds_no_divergence() {
    let out = tracejit(&["fuzz", "--seconds", "2", "--jobs", "1", "--seed", "7"]);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let s = text(&out.stdout);
    assert!(
        s.contains("traces/s") && s.trim_end().ends_with("0 divergence(s)"),
        "{s}"
    );
    for t in [
        "x86_64-unknown-linux-gnu",
        "armv7-unknown-linux-gnueabihf",
        "armv7-unknown-linux-gnueabi",
        "armv5te-unknown-linux-gnueabi",
        "aarch64-unknown-linux-gnu",
    ] {
        assert!(s.contains(&format!("  {t}: ")), "{t} is fuzzed:\n{s}");
    }
    let out = tracejit(&[
        "fuzz",
        "--seconds",
        "1",
        "--target",
        "sparc-unknown-linux-gnu",
    ]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no backend for sparc-unknown-linux-gnu"));
}

#[test]
fn bench_checks_every_kernel_on_every_target_and_writes_the_report() {
    let out_dir = std::env::temp_dir().join(format!("tracejit-bench-{}", std::process::id()));
    let out = tracejit(&["bench", "--out", out_dir.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{}", stdout, text(&out.stderr));
    // A table per target with every kernel and a geometric mean; a kernel whose result
    // differed from the interpreter's (ours or gcc's) would have failed the run.
    for t in [
        "x86_64-unknown-linux-gnu (instructions counted on unicorn's x86-64; times native)",
        "armv7-unknown-linux-gnueabihf (emulated)",
        "armv7-unknown-linux-gnueabi (emulated)",
        "armv5te-unknown-linux-gnueabi (emulated)",
        "aarch64-unknown-linux-gnu (emulated)",
    ] {
        assert!(stdout.contains(t), "{t}\n{stdout}");
    }
    assert_eq!(stdout.matches("geometric mean").count(), 5, "{stdout}");
    for k in tracejit::bench::KERNELS {
        assert_eq!(
            stdout.matches(&format!("\n  {} ", k.name)).count(),
            5,
            "{}\n{stdout}",
            k.name
        );
    }
    // The tree kernels: checked on every target, and a failing guard reaches its bridge
    // through its own branch alone (no moves: the bridge starts where the guard left off).
    assert!(stdout.contains("Trees ("), "{stdout}");
    for k in tracejit::bench::TREE_KERNELS {
        let rows: Vec<&str> = stdout
            .lines()
            .filter(|l| l.starts_with(&format!("{} ", k.name)))
            .collect();
        assert_eq!(rows.len(), 5, "{stdout}");
        for r in rows {
            let cols: Vec<&str> = r.split_whitespace().collect();
            assert_eq!(cols[3], "1", "{r}");
        }
    }
    let csv = std::fs::read_to_string(out_dir.join("bench.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 5 * tracejit::bench::KERNELS.len());
    let svg = std::fs::read_to_string(out_dir.join("bench.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(
        svg.matches("<title>").count(),
        5 * tracejit::bench::KERNELS.len()
    );
}

#[test]
fn bench_reports_unknown_kernels() {
    let out = tracejit(&[
        "bench",
        "--kernel",
        "nope",
        "--out",
        "/tmp/tracejit-bench-none",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no such kernel; there are sum, sieve"),
        "{}",
        text(&out.stderr)
    );
}

/// One hostile or unusual input: a trace file, the command's extra arguments, whether it
/// must succeed, and text its stdout and stderr must contain.
struct Hostile {
    name: &'static str,
    src: &'static str,
    args: &'static [&'static str],
    ok: bool,
    stdout: &'static str,
    stderr: &'static str,
}

const HOSTILE: &[Hostile] = &[
    Hostile {
        name: "oob_store_native",
        src: "# args: i32[1, 2, 3, 4], 6\n[p0, i1]\nstore_i32(p0, i1, 4, 0, -1)\nfinish(i1)\n",
        args: &["--target", "x86_64-unknown-linux-gnu"],
        ok: false,
        stdout: "",
        stderr: "is outside every buffer (so the compiled code was not run)",
    },
    Hostile {
        name: "oob_store_far_native",
        src: "# args: i32[1, 2, 3, 4], 100000000\n[p0, i1]\nstore_i32(p0, i1, 4, 0, -1)\nfinish(i1)\n",
        args: &["--target", "x86_64-unknown-linux-gnu"],
        ok: false,
        stdout: "",
        stderr: "so the compiled code was not run",
    },
    Hostile {
        name: "oob_negative_address",
        src: "# args: i32[1, 2, 3, 4], -100000000\n[p0, i1]\ni2 = load_i32(p0, i1, 8, 0)\nfinish(i2)\n",
        args: &[],
        ok: false,
        stdout: "",
        stderr: "4-byte access at -0x",
    },
    Hostile {
        name: "runaway_native",
        src: "# args: 0\n[i0]\nlabel(i0)\ni1 = int_add(i0, 1)\njump(i1)\n",
        args: &["--target", "x86_64-unknown-linux-gnu", "--budget", "10"],
        ok: false,
        stdout: "",
        stderr: "step budget of 10 operations exhausted",
    },
    Hostile {
        name: "budget_zero_without_loop",
        src: "# args: 1\n[i0]\ni1 = int_add(i0, 1)\nfinish(i1)\n",
        args: &["--budget", "0"],
        ok: true,
        stdout: "finish [2] after 2 steps, 0 iterations",
        stderr: "",
    },
    Hostile {
        name: "budget_past_2_to_the_32_native",
        src: "# args: 100, 0\n[i0, i1]\nlabel(i0, i1)\ni2 = int_add(i1, i0)\ni3 = int_sub(i0, 1)\ni4 = int_gt(i3, 0)\nguard_true(i4) [i3, i2]\njump(i3, i2)\n",
        args: &["--target", "x86_64-unknown-linux-gnu", "--budget", "4294967297"],
        ok: true,
        stdout: "failed with [0, 5050] after 500 steps, 99 iterations",
        stderr: "",
    },
    Hostile {
        name: "wrong_signature",
        src: "extern @gcd(i64, i64) -> i64\n[l0]\nl1 = call(@gcd, l0, l0)\nfinish(l1)\n",
        args: &["--args", "5L"],
        ok: false,
        stdout: "",
        stderr: ":1:8: @gcd is declared (i64, i64) -> i64 but is (i32, i32) -> i32",
    },
    Hostile {
        name: "reserved_name",
        src: "extern @__aeabi_idiv(i32, i32) -> i32\n[i0]\ni1 = call(@__aeabi_idiv, i0, i0)\nfinish(i1)\n",
        args: &["--args", "5"],
        ok: false,
        stdout: "",
        stderr: ":1:8: @__aeabi_idiv: names starting with __aeabi_ or tracejit_ are reserved",
    },
    Hostile {
        name: "test_kit_extern_interpreted",
        src: "extern @ci2(i32, i32) -> i64\n[i0]\nl1 = call(@ci2, i0, 2)\nfinish(l1)\n",
        args: &["--args", "5"],
        ok: true,
        stdout: "finish [",
        stderr: "",
    },
    Hostile {
        name: "empty",
        src: "",
        args: &[],
        ok: false,
        stdout: "",
        stderr: "empty.trace: the trace must end with jump or finish",
    },
    Hostile {
        name: "element_out_of_range",
        src: "[p0]\nfinish(p0)\n",
        args: &["--args", "i8[300]"],
        ok: false,
        stdout: "",
        stderr: "300 does not fit in i8",
    },
    Hostile {
        name: "f64bits_in_args",
        src: "# args: f64bits(0x7ff0000000000001), f64[f64bits(0x8000000000000000), 1.5]\n[f0, p1]\nfinish(f0, p1)\n",
        args: &[],
        ok: true,
        stdout: "p1 -> [-0.0, 1.5]",
        stderr: "",
    },
    Hostile {
        name: "hex_float",
        src: "# args: 0x1.8p-3\n[f0]\nf1 = float_add(f0, 0x1p3)\nfinish(f1)\n",
        args: &[],
        ok: true,
        stdout: "finish [8.1875]",
        stderr: "",
    },
    Hostile {
        name: "descr_too_large",
        src: "[i0]\nguard_true(i0, descr=<Guard4294967296>) []\nfinish(i0)\n",
        args: &[],
        ok: false,
        stdout: "",
        stderr: "exit id 4294967296 does not fit in 32 bits",
    },
    Hostile {
        name: "buffer_names_as_written",
        src: "# args: 7, i32[1, 2]\n[i3, p16]\nstore_i32(p16, 0, 4, 0, i3)\nfinish(p16)\n",
        args: &[],
        ok: true,
        stdout: "p16 -> [7, 2]",
        stderr: "",
    },
    Hostile {
        name: "big_buffer_emulated",
        src: "# args: zeros(20000000)\n[p0]\nstore_i8(p0, 19999999, 1, 0, 7)\nfinish(p0)\n",
        args: &["--target", "armv5te-unknown-linux-gnueabi"],
        ok: true,
        stdout: "agrees with the interpreter",
        stderr: "",
    },
    Hostile {
        name: "huge_buffer_shows_16",
        src: "# args: zeros(1000000)\n[p0]\nfinish(p0)\n",
        args: &[],
        ok: true,
        stdout: "p0 -> [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ... (1000000 elements)]",
        stderr: "",
    },
];

#[test]
fn hostile_and_unusual_inputs_get_clear_answers() {
    let mut wrong = Vec::new();
    for h in HOSTILE {
        let p = temp_trace(&format!("{}.trace", h.name), h.src);
        let p = if h.name == "empty" {
            let e = p.with_file_name("empty.trace");
            std::fs::rename(&p, &e).unwrap();
            e
        } else {
            p
        };
        let mut args = vec!["run", p.to_str().unwrap()];
        args.extend(h.args);
        let out = tracejit(&args);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        if out.status.success() != h.ok
            || out.status.code().is_none()
            || !stdout.contains(h.stdout)
            || !stderr.contains(h.stderr)
            || stderr.contains("panicked")
        {
            wrong.push(format!(
                "{}: status {:?}\n  stdout: {stdout}\n  stderr: {stderr}",
                h.name, out.status
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn fuzz_refuses_seconds_that_are_no_duration() {
    for bad in ["-5", "inf", "nan", "1e20", "soon"] {
        let out = tracejit(&["fuzz", &format!("--seconds={bad}")]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("--seconds"),
            "{bad}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn fmt_keeps_the_inputs_line() {
    let p = temp_trace(
        "fmt_args.trace",
        "# a comment\n# args: 3, 4\n[i0, i1]\ni2 = int_add(i0, i1)\nfinish(i2)\n",
    );
    let out = tracejit(&["fmt", p.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "# args: 3, 4\n[i0, i1]\ni2 = int_add(i0, i1)\nfinish(i2)\n"
    );
}

/// A tree file runs on every target, and its errors name their line.
#[test]
fn tree_files_run_on_every_target_and_report_errors_by_line() {
    for t in [
        "x86_64-unknown-linux-gnu",
        "armv7-unknown-linux-gnueabihf",
        "armv7-unknown-linux-gnueabi",
        "armv5te-unknown-linux-gnueabi",
    ] {
        let out = tracejit(&["run", "examples/hot_bridge.trace", "--target", t]);
        assert!(out.status.success(), "{t}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("agrees with the interpreter"),
            "{t}: {}",
            text(&out.stdout)
        );
    }
    let bad = temp_trace(
        "bad_tree.trace",
        "[i0]\ni1 = int_gt(i0, 0)\nguard_true(i1) [i0]\nfinish()\n# bridge out of Guard0\n[f0]\nfinish()\n",
    );
    let out = tracejit(&["check", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(":5:1: the bridge takes [f64], but Guard0 leaves [i32]"),
        "{}",
        text(&out.stderr)
    );
}

/// `--invalidate-after N` invalidates the tree at its N-th jump, in the interpreter and on
/// every target alike: the run leaves through the loop's `guard_not_invalidated` with the
/// values of the N-th iteration; past the last jump, the loop runs to its end.
#[test]
fn invalidate_after_n_jumps_leaves_through_the_site_on_every_target() {
    let file = "examples/quasi_immutable.trace";
    for (n, want) in [
        ("0", "guard exit 0 (op 1) failed with [40, 0L]"),
        ("5", "guard exit 0 (op 1) failed with [35, 570L]"),
        ("39", "guard exit 0 (op 1) failed with [1, 2457L]"),
        ("40", "guard exit 1 (op 8) failed with [0, 2460L]"),
    ] {
        let out = tracejit(&["run", "--invalidate-after", n, file]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains(want),
            "{n}: {}",
            text(&out.stdout)
        );
        for triple in tracejit::targets::SUPPORTED {
            let out = tracejit(&["run", "--invalidate-after", n, "--target", triple, file]);
            let stdout = text(&out.stdout);
            assert!(
                out.status.success() && stdout.contains("agrees") && stdout.contains(want),
                "{triple}, {n}: {stdout}{}",
                text(&out.stderr)
            );
        }
    }
    let out = tracejit(&["run", "--invalidate-after", "3", "--invalidated", file]);
    assert!(!out.status.success(), "the two options conflict");
}

/// Traces with GC objects run in the interpreter and compiled on every target, through
/// the GC rewrite, agreeing on the objects their results reach.
#[test]
fn objects_run_in_the_interpreter_and_on_every_target() {
    let out = tracejit(&["run", "examples/objects.trace"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("failed with [5, 44, 10L]"));
    for triple in tracejit::targets::SUPPORTED {
        let out = tracejit(&["run", "--target", triple, "examples/objects.trace"]);
        assert!(out.status.success(), "{triple}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("agrees with the interpreter"),
            "{triple}: {}",
            text(&out.stdout)
        );
    }
}
