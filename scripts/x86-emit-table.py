#!/usr/bin/env python3
"""Regenerates the expected bytes of backend-x86/tests/emit_tests.rs with GNU as.

Each table row is (encoder call, "HEX", "asm text"); this assembles every asm text with
`as --64` in Intel syntax and rewrites HEX with what it produced. Branches are assembled
as jumps to their own address plus the displacement the row expects, so the bytes are
the rel32/rel8 forms the encoder makes. Needs binutils (Debian: binutils).
"""
import os, re, subprocess, sys, tempfile

path = os.path.join(os.path.dirname(__file__), "..", "backend-x86", "tests", "emit_tests.rs")
src = open(path).read()
row = re.compile(r'^(\s*\(\|e\|.*?, ")([0-9a-f]*)(", "(.*?)"\),)$', re.M)

def assemble(asm):
    with tempfile.TemporaryDirectory() as d:
        s, o, b = (os.path.join(d, n) for n in ("t.s", "t.o", "t.bin"))
        m = re.match(r'^((?:\{\w+\} )?j\w+) 0x([0-9a-f]+)$', asm)
        if m:
            # A branch to an offset from the start of the instruction.
            text = f".intel_syntax noprefix\n{m.group(1)} .+{int(m.group(2), 16)}\n"
        else:
            text = f".intel_syntax noprefix\n{asm.replace('[rip]', '[rip+0]')}\n"
        open(s, "w").write(text)
        subprocess.run(["as", "--64", "-o", o, s], check=True)
        subprocess.run(["objcopy", "-O", "binary", "-j", ".text", o, b], check=True)
        return open(b, "rb").read().hex()

def fix(m):
    asm = m.group(4)
    got = assemble(asm)
    if got != m.group(2):
        print(f"{asm}: {m.group(2)} -> {got}", file=sys.stderr)
    return m.group(1) + got + m.group(3)

open(path, "w").write(row.sub(fix, src))
