#!/usr/bin/env bash
# Installs what building and testing tracejit needs on a fresh Debian machine, skipping
# whatever is already there. Run by both README commands.
#   - a C toolchain (gcc, g++, make) for crates that build C, and gcc itself for
#     `tracejit bench`'s static x86-64 image of bench/kernels.c;
#   - cmake and libclang for unicorn-engine (jit-emu builds QEMU's ARM CPU models and
#     generates their bindings with bindgen);
#   - GNU binutils (as) for scripts/x86-emit-table.py;
#   - the Debian ARM cross compilers, which build the C fixtures the ARM tests call
#     (hard-float: gcc-arm-linux-gnueabihf; soft-float/softfp: gcc-arm-linux-gnueabi),
#     and the AArch64 one (gcc-aarch64-linux-gnu), which builds the same fixtures, the
#     generated call shapes and the bench's kernels for AArch64.
set -euo pipefail

need=()
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v c++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v as >/dev/null 2>&1 || need+=(binutils)
command -v arm-linux-gnueabihf-gcc >/dev/null 2>&1 || need+=(gcc-arm-linux-gnueabihf)
command -v arm-linux-gnueabi-gcc >/dev/null 2>&1 || need+=(gcc-arm-linux-gnueabi)
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-aarch64-linux-gnu)
# Exactly the files bindgen loads: libclang-cpp alone is not enough.
bash "$(dirname "$0")/has-libclang.sh" || need+=(libclang-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust 1.95 with rustup first" >&2
  exit 1
fi
