#!/usr/bin/env bash
# Exits 0 if a libclang that bindgen (clang-sys) can load is installed, 1 if not.
# clang-sys opens `libclang.so`, `libclang.so.N`, `libclang-N.so` or `libclang-N.so.M`;
# `libclang-cpp.so.N` (the C++ library that llvm packages bring along) is not libclang and
# does not count. Searched: $LIBCLANG_PATH, then the directories given as arguments, or
# else the system's library directories. Tested by tracejit/tests/setup.rs.
set -u
dirs=()
[ -n "${LIBCLANG_PATH:-}" ] && dirs+=("$LIBCLANG_PATH")
if [ $# -gt 0 ]; then
  dirs+=("$@")
else
  dirs+=(/usr/lib /usr/lib64 /usr/local/lib /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib/llvm-*/lib)
fi
for d in "${dirs[@]}"; do
  [ -d "$d" ] || continue
  for f in "$d"/libclang*; do
    [ -e "$f" ] || continue
    case "${f##*/}" in
      libclang.so | libclang.so.[0-9]* | libclang-[0-9]*.so | libclang-[0-9]*.so.[0-9]*) exit 0 ;;
    esac
  done
done
exit 1
