#!/usr/bin/env bash
# The main job: the ARM-vs-x86 report. Every benchmark kernel (bench/kernels/) on every
# target, checked against the interpreter, then measured next to gcc -O2; prints the table
# and writes bench-results/bench.csv and bench-results/bench.svg. Arguments go to
# `tracejit bench` (e.g. --kernel nbody --target armv5te-unknown-linux-gnueabi).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo run --release -q -p tracejit -- bench "$@"
