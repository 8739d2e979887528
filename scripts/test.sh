#!/usr/bin/env bash
# The whole test suite: formatting, lints, every test of the workspace, and a build check
# of the cargo-fuzz targets. The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo test --locked --workspace
# --locked: the fuzz crate's lock file is complete, so a clean clone resolves nothing anew.
cargo check --locked --manifest-path fuzz/Cargo.toml
