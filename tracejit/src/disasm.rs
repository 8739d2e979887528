//! Machine code shown with the IR it came from.

use std::fmt::Write;

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
use jit_core::backend::CompiledTrace;
use jit_core::text::print_op_line;
use jit_core::Trace;
use target_lexicon::Architecture;

/// One instruction per line: offset, bytes, text.
fn x86_lines(code: &[u8], start: u32, end: u32, out: &mut String) {
    let bytes = &code[start as usize..end as usize];
    let mut d = Decoder::with_ip(64, bytes, start as u64, DecoderOptions::NONE);
    let mut f = IntelFormatter::new();
    f.options_mut().set_hex_prefix("0x");
    f.options_mut().set_hex_suffix("");
    f.options_mut().set_space_after_operand_separator(true);
    f.options_mut()
        .set_memory_size_options(iced_x86::MemorySizeOptions::Always);
    f.options_mut().set_small_hex_numbers_in_decimal(false);
    f.options_mut().set_branch_leading_zeros(false);
    f.options_mut().set_show_branch_size(false);
    f.options_mut().set_uppercase_hex(false);
    let mut text = String::new();
    while d.can_decode() {
        let ins = d.decode();
        text.clear();
        f.format(&ins, &mut text);
        let at = ins.ip() as usize;
        let hex: String = code[at..at + ins.len()]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let _ = writeln!(out, "  {at:6x}:  {hex:<24} {text}");
    }
}

/// Capstone for A32 or, with `a64`, A64.
fn capstone_for(a64: bool) -> Option<capstone::Capstone> {
    use capstone::prelude::*;
    if a64 {
        Capstone::new()
            .arm64()
            .mode(capstone::arch::arm64::ArchMode::Arm)
            .build()
            .ok()
    } else {
        Capstone::new()
            .arm()
            .mode(capstone::arch::arm::ArchMode::Arm)
            .build()
            .ok()
    }
}

/// One A32 (or, with `a64`, A64) instruction per line: offset, word, text (capstone).
fn arm_lines(code: &[u8], start: u32, end: u32, data: &[(u32, u32)], a64: bool, out: &mut String) {
    let Some(cs) = capstone_for(a64) else {
        let _ = writeln!(out, "  (capstone is unavailable)");
        return;
    };
    for at in (start..end).step_by(4) {
        let word = &code[at as usize..(at as usize + 4).min(code.len())];
        let hex: String = word.iter().rev().map(|b| format!("{b:02x}")).collect();
        if data.iter().any(|&(s, e)| (s..e).contains(&at)) {
            let _ = writeln!(out, "  {at:6x}:  {hex:<24} .word 0x{hex}   ; constant pool");
            continue;
        }
        let text = cs
            .disasm_count(word, at as u64, 1)
            .ok()
            .and_then(|i| {
                i.iter().next().map(|i| {
                    format!(
                        "{} {}",
                        i.mnemonic().unwrap_or("?"),
                        i.op_str().unwrap_or("")
                    )
                })
            })
            .unwrap_or_else(|| ".word".into());
        let _ = writeln!(out, "  {at:6x}:  {hex:<24} {}", text.trim_end());
    }
}

/// The code of `compiled`, each op's instructions under the op, then exits and constants.
pub fn disassemble(trace: &Trace, compiled: &CompiledTrace) -> String {
    let mut out = String::new();
    let lines = |out: &mut String, a: u32, b: u32| match compiled.triple.architecture {
        Architecture::X86_64 => x86_lines(&compiled.code, a, b, out),
        Architecture::Arm(_) => arm_lines(&compiled.code, a, b, &compiled.data_ranges, false, out),
        Architecture::Aarch64(_) => {
            arm_lines(&compiled.code, a, b, &compiled.data_ranges, true, out)
        }
        other => {
            let _ = writeln!(out, "  (no disassembler for {other})");
        }
    };
    let first = compiled
        .op_offsets
        .first()
        .copied()
        .unwrap_or(compiled.text_len);
    let _ = writeln!(out, "# entry");
    lines(&mut out, 0, first);
    let ops = compiled.op_offsets.len().saturating_sub(1);
    for i in 0..ops {
        let (start, end) = (
            compiled.op_offsets[i],
            compiled.op_offsets[i + 1].max(compiled.op_offsets[i]),
        );
        let _ = writeln!(out, "# {i}: {}", print_op_line(trace, i));
        lines(&mut out, start, end);
    }
    let _ = writeln!(out, "# exit stubs and the common exit");
    lines(
        &mut out,
        compiled.op_offsets.last().copied().unwrap_or(0),
        compiled.text_len,
    );
    let pool = (compiled.text_len as usize).next_multiple_of(8);
    if pool < compiled.code.len() {
        let _ = writeln!(out, "# constant pool");
        for (k, chunk) in compiled.code[pool..].chunks(8).enumerate() {
            let hex: String = chunk.iter().rev().map(|b| format!("{b:02x}")).collect();
            let _ = writeln!(out, "  {:6x}:  .quad 0x{hex}", pool + 8 * k);
        }
    }
    let _ = writeln!(
        out,
        "# {} bytes of code, {} of constants, {} exits, frame {} words",
        compiled.text_len,
        compiled.code.len() - compiled.text_len as usize,
        compiled.exits.len(),
        compiled.frame_words
    );
    out
}

/// Of the instructions of `compiled`'s operations (from the first op to the exit stubs,
/// constant pools skipped): how many make constants, and how many there are. Constants are
/// made by, on x86-64, `mov` of an immediate into a register and loads from the constant
/// pool (`[rip+…]`); on ARM, `movw`/`movt`, unconditional `mov`/`mvn` of an immediate, and
/// literal loads (`ldr`/`vldr` from `[pc, …]`); on AArch64, `movz`/`movk`/`movn` (and
/// capstone's `mov` of an immediate) and literal loads.
pub fn constant_instructions(compiled: &CompiledTrace) -> (usize, usize) {
    let start = compiled.op_offsets.first().copied().unwrap_or(0) as usize;
    let end = (compiled.op_offsets.last().copied().unwrap_or(0) as usize).min(compiled.code.len());
    if start >= end {
        return (0, 0);
    }
    let (mut consts, mut total) = (0, 0);
    match compiled.triple.architecture {
        Architecture::X86_64 => {
            use iced_x86::{Mnemonic, OpKind};
            let mut d = Decoder::with_ip(
                64,
                &compiled.code[start..end],
                start as u64,
                DecoderOptions::NONE,
            );
            while d.can_decode() {
                let ins = d.decode();
                total += 1;
                let imm_to_reg = ins.mnemonic() == Mnemonic::Mov
                    && ins.op_count() == 2
                    && ins.op0_kind() == OpKind::Register
                    && matches!(
                        ins.op1_kind(),
                        OpKind::Immediate8
                            | OpKind::Immediate16
                            | OpKind::Immediate32
                            | OpKind::Immediate64
                            | OpKind::Immediate32to64
                    );
                if imm_to_reg || ins.is_ip_rel_memory_operand() {
                    consts += 1;
                }
            }
        }
        Architecture::Arm(_) | Architecture::Aarch64(_) => {
            let a64 = matches!(compiled.triple.architecture, Architecture::Aarch64(_));
            let Some(cs) = capstone_for(a64) else {
                return (0, 0);
            };
            for at in (start..end).step_by(4) {
                if compiled
                    .data_ranges
                    .iter()
                    .any(|&(s, e)| (s as usize..e as usize).contains(&at))
                {
                    continue;
                }
                let word = &compiled.code[at..(at + 4).min(compiled.code.len())];
                total += 1;
                let Ok(insns) = cs.disasm_count(word, at as u64, 1) else {
                    continue;
                };
                let Some(i) = insns.iter().next() else {
                    continue;
                };
                let (m, ops) = (i.mnemonic().unwrap_or(""), i.op_str().unwrap_or(""));
                let made = match m {
                    "movw" | "movt" | "movz" | "movk" | "movn" => true,
                    "mov" | "mvn" => ops.contains('#'),
                    // A64's literal loads are `ldr x, #address` (no brackets).
                    "ldr" | "vldr" => ops.contains("[pc") || (a64 && !ops.contains('[')),
                    _ => false,
                };
                if made {
                    consts += 1;
                }
            }
        }
        _ => {}
    }
    (consts, total)
}
