#!/usr/bin/env bash
# The main job, for now: every trace in examples/ through the reference interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo run --release -q -p tracejit -- run examples/*.trace
