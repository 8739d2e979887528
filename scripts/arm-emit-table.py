#!/usr/bin/env python3
"""Regenerates the expected words of backend-arm/tests/emit_tests.rs with GNU as.

Each row is (encoder call, "HEX", "asm text" as capstone prints it); this assembles each
text with arm-linux-gnueabihf-as for ARMv7-A + VFPv3-D16 and rewrites HEX with the word it
made. Branch texts (`b #0x30`) are targets from address 0, as capstone prints them.
Needs binutils-arm-linux-gnueabihf.
"""
import os, re, subprocess, sys, tempfile

path = os.path.join(os.path.dirname(__file__), "..", "backend-arm", "tests", "emit_tests.rs")
src = open(path).read()
row = re.compile(r'^(\s*\(\|\|.*?, ")([0-9a-f]*)(", "(.*?)"\),)$', re.M)

def assemble(asm):
    m = re.match(r'^(b\w*) #(0x[0-9a-f]+|\d+)$', asm)
    if m:
        asm = f"{m.group(1)} .+{int(m.group(2), 0)}"
    with tempfile.TemporaryDirectory() as d:
        s, o, b = (os.path.join(d, n) for n in ("t.s", "t.o", "t.bin"))
        open(s, "w").write(f".syntax unified\n.arm\n{asm}\n")
        subprocess.run(["arm-linux-gnueabihf-as", "-march=armv7-a", "-mfpu=vfpv3-d16", "-o", o, s], check=True)
        subprocess.run(["arm-linux-gnueabihf-objcopy", "-O", "binary", "-j", ".text", o, b], check=True)
        return int.from_bytes(open(b, "rb").read()[:4], "little")

def fix(m):
    word = f"{assemble(m.group(4)):08x}"
    if word != m.group(2):
        print(f"{m.group(4)}: {m.group(2) or '-'} -> {word}", file=sys.stderr)
    return m.group(1) + word + m.group(3)

open(path, "w").write(row.sub(fix, src))
