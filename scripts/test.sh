#!/usr/bin/env bash
# The whole test suite: formatting, lints, every test of the workspace, and a build check
# of the cargo-fuzz targets. The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
cargo check --manifest-path fuzz/Cargo.toml
