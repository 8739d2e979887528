#!/usr/bin/env python3
"""Regenerates the expected words of backend-aarch64/tests/emit_tests.rs with GNU as.

Each row is (encoder call, "HEX", "asm text" as capstone prints it); this assembles each
text with aarch64-linux-gnu-as and rewrites HEX with the word it made. A pc-relative
target (`b #0x10`, `cbz x0, #8`, `ldr x0, #0x10`, `adr x0, #0x10`) is from address 0, as
capstone prints it. Needs binutils-aarch64-linux-gnu.
"""
import os, re, subprocess, sys, tempfile

path = os.path.join(os.path.dirname(__file__), "..", "backend-aarch64", "tests", "emit_tests.rs")
src = open(path).read()
row = re.compile(r'^(\s*\(\|\|.*?, ")([0-9a-f]*)(", "(.*?)"\),)$', re.M)
relative = re.compile(r'^((?:b|bl|b\.\w+|cbn?z|tbn?z|adr|ldr)\b.*?)#(0x[0-9a-f]+|\d+)$')

def assemble(asm):
    m = relative.match(asm)
    if m and "[" not in asm:
        asm = f"{m.group(1)}.+{int(m.group(2), 0)}"
    with tempfile.TemporaryDirectory() as d:
        s, o, b = (os.path.join(d, n) for n in ("t.s", "t.o", "t.bin"))
        open(s, "w").write(f"{asm}\n")
        subprocess.run(["aarch64-linux-gnu-as", "-o", o, s], check=True)
        subprocess.run(["aarch64-linux-gnu-objcopy", "-O", "binary", "-j", ".text", o, b], check=True)
        return int.from_bytes(open(b, "rb").read()[:4], "little")

def fix(m):
    word = f"{assemble(m.group(4)):08x}"
    if word != m.group(2):
        print(f"{m.group(4)}: {m.group(2) or '-'} -> {word}", file=sys.stderr)
    return m.group(1) + word + m.group(3)

open(path, "w").write(row.sub(fix, src))
