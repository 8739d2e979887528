//! Peak memory of `tracejit run` against the size of its buffers: a trace that writes one
//! byte per page of a `zeros(N)` buffer (so every page is really in memory), run by the
//! interpreter alone and on each target, with the child's peak resident set read from
//! `wait4`. Prints peak / buffer bytes; the goal is at most 2 plus a constant for the
//! interpreter (the buffer and nothing of its size besides), and the report says what each
//! target adds (the interpreter's copy, and the target's own: host pages or the emulator's).
//!
//! `cargo bench -p tracejit --bench memory`

use std::process::Command;

/// The child's peak resident set in KB, and whether it succeeded.
// `wait4` below reaps the child, which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn peak_kb(args: &[&str]) -> (i64, bool) {
    let child = Command::new(env!("CARGO_BIN_EXE_tracejit"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("tracejit runs");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pid is our child's, and both out-pointers are valid for the call.
    unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    (
        usage.ru_maxrss,
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
    )
}

fn main() {
    let dir = std::env::temp_dir().join(format!("tracejit-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (baseline, _) = peak_kb(&["--version"]);
    println!("baseline (tracejit --version): {baseline} KB");
    println!(
        "{:<32} {:>10} {:>10} {:>8}",
        "run", "buffer MB", "peak MB", "ratio"
    );
    for mb in [16u64, 64] {
        let bytes = mb << 20;
        let pages = bytes / 4096;
        let trace = dir.join(format!("touch{mb}.trace"));
        std::fs::write(
            &trace,
            format!(
                "# args: zeros({bytes}), 0\n[p0, i1]\nlabel(p0, i1)\ni4 = int_mul(i1, 4096)\n\
                 store_i8(p0, i4, 1, 0, 1)\ni2 = int_add(i1, 1)\ni3 = int_lt(i2, {pages})\n\
                 guard_true(i3) [i2]\njump(p0, i2)\n"
            ),
        )
        .unwrap();
        let path = trace.to_str().unwrap();
        for target in [
            None,
            Some("x86_64-unknown-linux-gnu"),
            Some("armv7-unknown-linux-gnueabihf"),
            Some("armv5te-unknown-linux-gnueabi"),
        ] {
            let mut args = vec!["run", path];
            if let Some(t) = target {
                args.extend(["--target", t]);
            }
            let (kb, ok) = peak_kb(&args);
            let peak = (kb - baseline).max(0) as f64 / 1024.0;
            println!(
                "{:<32} {:>10} {:>10.1} {:>8.2}{}",
                target.unwrap_or("interpreter"),
                mb,
                peak,
                peak / mb as f64,
                if ok { "" } else { "  (failed)" }
            );
        }
    }
}
