#!/usr/bin/env python3
"""Mutation campaign against the tracejit command-line tool.

Takes the examples, the benchmark kernels and the regression traces, mutates them (byte
flips, line deletions, duplications and swaps, tokens replaced by random ops, types, huge
numbers, NUL bytes and unicode, truncation, very long lines, mutated `# args:` lines) and
runs `tracejit run`, `check` and `fmt` on each, on every target in turn. Any run that dies by
a signal, panics or does not finish within the time limit is a failure: its input is saved
under --out with the command. Every other outcome (success or a clean error) is fine.

    python3 scripts/mutate.py --seconds 600 --binary target/release/tracejit

Prints how many inputs and commands ran and what failed; exits 1 if anything did.
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = [
    None,
    "x86_64-unknown-linux-gnu",
    "armv7-unknown-linux-gnueabihf",
    "armv7-unknown-linux-gnueabi",
    "armv5te-unknown-linux-gnueabi",
]
OPS = """int_add int_sub int_mul int_div int_rem uint_div uint_rem int_and int_or int_xor
int_lshift int_rshift uint_rshift int_neg int_invert int_is_zero int_lt int_le int_eq int_ne
int_gt int_ge uint_lt uint_ge int_add_ovf int_sub_ovf int_mul_ovf float_add float_sub
float_mul float_truediv float_neg float_abs float_sqrt float_canon float_eq float_ne float_lt
cast_i32_to_i64 cast_i64_to_i32 cast_i32_to_f64 cast_f64_to_i32 cast_i64_to_f64
cast_f64_to_i64 load_i8 load_u8 load_i16 load_u16 load_i32 load_i64 load_f64 store_i8
store_i16 store_i32 store_i64 store_f64 guard_true guard_false guard_value guard_nonnull
guard_isnull guard_no_overflow guard_overflow guard_not_invalidated ptr_eq ptr_ne same_as
label jump finish call call_split call_hi int_add_co int_add_ci uint_mul_high
bogus_op""".split()
TOKENS = OPS + [
    "i32", "i64", "f64", "ref", "i8", "u16", "null", "nan", "-nan", "inf", "-inf",
    "0", "-1", "1L", "4294967296", "-2147483649", "9223372036854775808",
    "18446744073709551615", "340282366920938463463374607431768211456", "1e400",
    "0x1p3", "0x1.8p-1075", "f64bits(0x7ff0000000000001)", "f64bits(", "zeros(100000000)",
    "zeros(99999999999999)", "i32[", "]", "[", "(", ")", ",", "=", "@", "@gcd", "@ci2",
    "@__aeabi_idiv", "@tracejit_dadd", "extern", "descr=<Guard4294967296>", "descr=<Finish1>",
    "descr=<Guard99>", "#", "# args:", "\x00", "\u00e9", "\u202e", "\U0001f600", "\t", "p99",
    "i99999999999", "l0", "f0", "p0", "-", "--", ".5", "1e", "0x", "L",
]


def inputs():
    files = []
    for d in ["examples", "bench/kernels", "jit-testkit/regressions"]:
        files += sorted((ROOT / d).glob("*.trace"))
    return [(f.name, f.read_bytes()) for f in files]


def mutate(rng, data):
    lines = data.split(b"\n")
    for _ in range(rng.choice([1, 1, 1, 2, 3, 5])):
        kind = rng.randrange(11)
        b = b"\n".join(lines)
        if kind == 0 and b:  # byte flips
            b = bytearray(b)
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(b))
                b[i] ^= 1 << rng.randrange(8)
            lines = bytes(b).split(b"\n")
        elif kind == 1 and len(lines) > 1:  # delete a line
            del lines[rng.randrange(len(lines))]
        elif kind == 2 and lines:  # duplicate a line
            i = rng.randrange(len(lines))
            lines.insert(rng.randrange(len(lines) + 1), lines[i])
        elif kind == 3 and len(lines) > 1:  # swap two lines
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind in (4, 5, 6) and lines:  # replace a token
            i = rng.randrange(len(lines))
            words = lines[i].replace(b"(", b" ( ").replace(b",", b" , ").replace(b")", b" ) ").split()
            tok = rng.choice(TOKENS).encode("utf-8", "surrogatepass")
            if words:
                words[rng.randrange(len(words))] = tok
            else:
                words = [tok]
            lines[i] = b" ".join(words)
        elif kind == 7:  # truncate
            b = b"\n".join(lines)
            lines = b[: rng.randrange(len(b) + 1)].split(b"\n")
        elif kind == 8 and lines:  # a very long line
            i = rng.randrange(len(lines))
            unit = rng.choice([b"i0, ", b"1, ", b"f64[1.5, ", b"(", b"\xff", b"a" * 50])
            lines[i] = lines[i] + unit * rng.randint(1000, 40000)
        elif kind == 9:  # mutate the args line
            args = [l for l in range(len(lines)) if lines[l].startswith(b"# args:")]
            new = "# args: " + ", ".join(
                rng.choice(["0", "-1", "2147483647", "5L", "1.5", "nan", "null", "i32[1, 2, 3, 4]",
                            "zeros(64)", "zeros(0)", "i8[300]", "f64[nan, inf]", "u16[65535]",
                            "i64[-9223372036854775808]", "zeros(100000000)",
                            "f64bits(0xfff8000000000001)", "0x1p-1074", "ref", "i32["])
                for _ in range(rng.randint(0, 6)))
            if args:
                lines[rng.choice(args)] = new.encode()
            else:
                lines.insert(0, new.encode())
        elif kind == 10 and lines:  # splice a line of another input
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(lines))
    return b"\n".join(lines)


def run_one(binary, path, command, target, budget, timeout):
    args = [binary, command, str(path)]
    if command == "run":
        if target:
            args += ["--target", target]
        if budget is not None:
            args += ["--budget", str(budget)]
    env = dict(os.environ, RUST_BACKTRACE="0")
    try:
        p = subprocess.run(args, capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return "hang", args, ""
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode < 0:
        return f"signal {-p.returncode}", args, err
    if "panicked" in err or p.returncode == 101:
        return "panic", args, err
    return None, args, err


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--binary", default=str(ROOT / "target/release/tracejit"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=30, help="seconds before a run is a hang")
    ap.add_argument("--out", default=str(ROOT / "mutate-failures"))
    a = ap.parse_args()
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"mutate: no tracejit binary at {a.binary} (cargo build --release -p tracejit)")
    corpus = inputs()
    deadline = time.monotonic() + a.seconds
    tmp = Path(tempfile.mkdtemp(prefix="tracejit-mutate-"))
    counts = {"inputs": 0, "commands": 0}
    failures = []

    def worker(w):
        rng = random.Random(a.seed * 1000 + w)
        k = 0
        while time.monotonic() < deadline:
            name, data = rng.choice(corpus)
            m = mutate(rng, data)
            path = tmp / f"w{w}-{k}.trace"
            path.write_bytes(m)
            counts["inputs"] += 1
            runs = [("run", TARGETS[k % len(TARGETS)]), ("run", rng.choice(TARGETS))]
            if k % 4 == 0:
                runs += [("check", None), ("fmt", None)]
            for command, target in runs:
                budget = rng.choice([None, None, None, 0, 1, 10, 1000, 100000])
                what, args, err = run_one(a.binary, path, command, target, budget, a.timeout)
                counts["commands"] += 1
                if what:
                    out = Path(a.out)
                    out.mkdir(parents=True, exist_ok=True)
                    keep = out / f"{len(failures)}-{name}"
                    keep.write_bytes(m)
                    failures.append(f"{what}: {' '.join(args[1:2] + [str(keep)] + args[3:])}\n{err[-2000:]}")
                    print(f"mutate: {what} on {name} ({keep})", flush=True)
            path.unlink()
            k += 1

    with ThreadPoolExecutor(a.jobs) as pool:
        list(pool.map(worker, range(a.jobs)))
    kinds = {}
    for f in failures:
        kinds[f.split(":")[0]] = kinds.get(f.split(":")[0], 0) + 1
    print(f"mutate: {counts['inputs']} inputs, {counts['commands']} commands in {a.seconds:.0f} s "
          f"on {a.jobs} thread(s); {len(failures)} failure(s) "
          f"({', '.join(f'{v} {k}' for k, v in kinds.items()) or 'no crash by signal, no panic, no hang'})")
    for f in failures[:20]:
        print(f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
