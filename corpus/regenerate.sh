#!/usr/bin/env bash
# Regenerates corpus/logs/NAME.log from corpus/programs/NAME.py with PyPy's JIT log of
# optimized loops and bridges (jit-log-opt). Needs pypy3 (PyPy 7.3.11: apt install pypy3);
# the tests read only the checked-in logs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$here/logs"
for p in "$here"/programs/*.py; do
    name="$(basename "$p" .py)"
    # Run from the programs' folder, so the logs name them by relative path.
    (cd "$here/programs" && PYPYLOG="jit-log-opt:$here/logs/$name.log" pypy3 "$name.py" > /dev/null)
    # PyPy names __main__'s file by its absolute path: keep the logs free of this machine's.
    sed -i "s|$here/programs/||g" "$here/logs/$name.log"
    echo "$name: $(grep -c '^{jit-log-opt-loop\|^\[.*{jit-log-opt-loop' "$here/logs/$name.log") loops, $(grep -c 'jit-log-opt-bridge' "$here/logs/$name.log") bridge lines"
done
