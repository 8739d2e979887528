//! What the shared emission driver (`jit_core::emit`) records, checked on every target over
//! the whole conformance suite: the frame contract, per-exit states (locations, slot
//! high-water marks, stub offsets), the loop header, the common exit and the relocations of
//! calls — the ground trace trees stand on.

use backend_arm::{ArmBackend, FloatAbi, Profile, TRAP_BASE};
use backend_x86::X86Backend;
use jit_core::backend::{Backend, Loc};
use jit_core::compile::{compile, CompileOptions};
use jit_core::emit::RelocTarget;
use jit_core::frame::{callee_saved, FrameLayout, MIN_OUTGOING_BYTES};
use jit_core::ir::Opcode;
use jit_core::text::parse_verified;

fn backends() -> Vec<Box<dyn Backend>> {
    vec![
        Box::new(X86Backend::new()),
        Box::new(ArmBackend::new(FloatAbi::Hard)),
        Box::new(ArmBackend::new(FloatAbi::Softfp)),
        Box::new(ArmBackend::with_profile(FloatAbi::Softfp, Profile::V5te)),
    ]
}

#[test]
fn the_driver_records_what_attached_code_needs_on_every_target() {
    let externs = jit_testkit::externs();
    let cases = jit_testkit::cases::all_cases();
    for backend in backends() {
        let layout = FrameLayout::new(backend.registers());
        let mut checked = 0;
        for case in &cases {
            let trace = parse_verified(&case.src).unwrap();
            let Ok(c) = compile(
                backend.as_ref(),
                &trace,
                &externs,
                CompileOptions::default(),
            ) else {
                continue;
            };
            let at = format!("{} on {}", case.name, backend.name());
            let t = c.trace(&trace);
            let code = &c.code;
            // The frame contract.
            assert_eq!(code.layout, layout, "{at}");
            assert_eq!(code.frame.saved, callee_saved(backend.registers()), "{at}");
            assert!(code.frame.outgoing_bytes >= MIN_OUTGOING_BYTES, "{at}");
            assert_eq!(
                code.frame_words,
                layout.slot_base + c.allocation.slots,
                "{at}"
            );
            // Invalidation sites: one per guard_not_invalidated, no code of their own, and
            // no branch target (the loop header, another site, the stubs) under a patch.
            let sites = t
                .ops
                .iter()
                .filter(|o| o.opcode == Opcode::GuardNotInvalidated)
                .count();
            assert_eq!(code.invalidation.len(), sites, "{at}");
            let body_end = *code.op_offsets.last().unwrap();
            for (k, site) in code.invalidation.iter().enumerate() {
                let s = &code.exit_states[site.exit as usize];
                assert_eq!(t.ops[s.op].opcode, Opcode::GuardNotInvalidated, "{at}");
                let end = site.at + site.patch.len() as u32;
                assert!(!site.patch.is_empty() && end <= body_end, "{at}: site {k}");
                for l in &code.labels {
                    assert!(l.offset <= site.at || l.offset >= end, "{at}: site {k}");
                }
                if let Some(next) = code.invalidation.get(k + 1) {
                    assert!(next.at >= end, "{at}: sites {k} and {}", k + 1);
                }
            }
            assert_eq!(
                c.allocation.entry,
                (0..t.inputs.len() as u32)
                    .map(Loc::Slot)
                    .collect::<Vec<_>>(),
                "{at}"
            );
            // Exits: one state each, stubs in order after the ops, before the common exit.
            assert_eq!(code.exit_states.len(), code.exits.len(), "{at}");
            let body_end = *code.op_offsets.last().unwrap();
            let mut last = None;
            for (k, s) in code.exit_states.iter().enumerate() {
                assert!(
                    s.stub >= body_end && last.is_none_or(|l| s.stub > l),
                    "{at}: stub {k}"
                );
                last = Some(s.stub);
                let op = &t.ops[s.op];
                assert!(op.opcode.is_exit(), "{at}: exit {k} is op {}", s.op);
                let want = if op.opcode == Opcode::Finish {
                    c.allocation.args(s.op)
                } else {
                    c.allocation.fail_locs(s.op)
                };
                let locs = code.exit_state_locs(k);
                assert_eq!(locs, want, "{at}: exit {k}");
                for &l in locs {
                    if let Loc::Slot(n) = l {
                        assert!(n < s.slot_high_water, "{at}: exit {k} slot {n}");
                    }
                }
                assert!(s.slot_high_water <= c.allocation.slots, "{at}: exit {k}");
                // Unlegalized traces describe exits with exactly these locations.
                if c.legalized.is_none() {
                    let values: Vec<_> = code.exits[k].values.iter().map(|v| v.1).collect();
                    let from_state: Vec<_> = locs.iter().map(|&l| layout.exit_loc(l)).collect();
                    assert_eq!(values, from_state, "{at}: exit {k}");
                }
            }
            assert!(last.is_none_or(|l| l < code.common_exit), "{at}");
            // The guards' own branches to their stubs lie in the body.
            for b in &code.exit_branches {
                assert!((b.exit as usize) < code.exits.len(), "{at}: {b:?}");
                assert!(b.at < body_end, "{at}: {b:?} after the body");
            }
            assert!(code.common_exit <= code.text_len, "{at}");
            // The loop header.
            match t.label_index() {
                Some(l) => {
                    let labels = t.ops.iter().filter(|o| o.opcode == Opcode::Label).count();
                    assert_eq!(code.labels.len(), labels, "{at}");
                    let h = code.loop_header().unwrap();
                    assert_eq!((h.op, &h.locs), (l, &c.allocation.label_locs), "{at}");
                    assert!(
                        code.op_offsets[l] <= h.offset && h.offset <= code.op_offsets[l + 1],
                        "{at}"
                    );
                    assert_eq!(code.budget_word, Some(layout.budget), "{at}");
                }
                None => assert!(code.labels.is_empty() && code.budget_word.is_none(), "{at}"),
            }
            // One relocation per `func_addr`, per function an indirect call checks its
            // callee against, and per call site (a direct call or a GC primitive, whose slow
            // path calls the collector) on x86-64; ARM calls through one veneer per callee,
            // whose word is the relocation (`ADDR32`). Relinking to the same addresses is
            // the identity.
            let (mut addresses, mut calls) = (0, 0);
            for o in &t.ops {
                match o.func() {
                    Some(f) if o.opcode.is_indirect_call() => {
                        let sig = &t.funcs[f];
                        addresses += t
                            .funcs
                            .values()
                            .filter(|d| d.params == sig.params && d.ret == sig.ret)
                            .count()
                    }
                    Some(_) if o.opcode == Opcode::FuncAddr => addresses += 1,
                    Some(_) => calls += 1,
                    None => calls += matches!(o.opcode, Opcode::GcAlloc | Opcode::GcWb) as usize,
                }
            }
            if backend.name() == "x86-64" {
                assert_eq!(code.relocs.len(), addresses + calls, "{at}");
            } else {
                let veneers: Vec<_> = code
                    .relocs
                    .iter()
                    .filter(|r| r.kind == backend_arm::ADDR32)
                    .map(|r| r.target)
                    .collect();
                assert_eq!(code.relocs.len() - veneers.len(), addresses, "{at}");
                let distinct: std::collections::BTreeSet<_> =
                    veneers.iter().map(|t| format!("{t:?}")).collect();
                assert_eq!(
                    distinct.len(),
                    veneers.len(),
                    "{at}: a callee with two veneers"
                );
                assert!(
                    veneers.len() <= calls && (calls == 0) == veneers.is_empty(),
                    "{at}"
                );
            }
            let mut bytes = code.code.clone();
            for r in &code.relocs {
                let RelocTarget::Extern(k) = r.target else {
                    panic!("{at}: a root refers to {:?}", r.target)
                };
                let name = &code.calls[k as usize];
                let address = if backend.name() == "x86-64" {
                    let helpers = jit_core::legalize::helpers();
                    let f = externs.get(name).or(helpers.get(name)).unwrap();
                    f.native.unwrap() as u64
                } else {
                    (TRAP_BASE + 4 * k) as u64
                };
                backend.relocate(r, &mut bytes, 0, address).unwrap();
            }
            assert_eq!(bytes, code.code, "{at}");
            checked += 1;
        }
        assert!(
            checked > 900,
            "{}: only {checked} cases compiled",
            backend.name()
        );
    }
}

#[test]
fn arm_relocations_rewrite_only_their_instructions() {
    let externs = jit_testkit::externs();
    let src = "extern @gcd(i32, i32) -> i32\n[i0, i1]\ni2 = call(@gcd, i0, i1)\nfinish(i2)\n";
    let trace = parse_verified(src).unwrap();
    // Both profiles call through a veneer that loads pc from the data word after it
    // (`bl veneer` ... `veneer: ldr pc, [pc, #-4]; .word callee`): the word is relocated.
    for (backend, width) in [
        (ArmBackend::new(FloatAbi::Hard), 4),
        (ArmBackend::with_profile(FloatAbi::Softfp, Profile::V5te), 4),
    ] {
        let code = compile(&backend, &trace, &externs, CompileOptions::default())
            .unwrap()
            .code;
        let r = code.relocs[0];
        for address in [0, 0x1234_5678, 0xffff_ffff, 0x8000_0001] {
            let mut bytes = code.code.clone();
            backend.relocate(&r, &mut bytes, 0, address).unwrap();
            for (k, (new, old)) in bytes.iter().zip(&code.code).enumerate() {
                if !(r.at as usize..r.at as usize + width).contains(&k) {
                    assert_eq!(new, old);
                }
            }
            // Decoding the rewritten instructions gives the address back.
            let words: Vec<u32> = bytes[r.at as usize..r.at as usize + width]
                .chunks(4)
                .map(|w| u32::from_le_bytes(w.try_into().unwrap()))
                .collect();
            let got = if width == 8 {
                let imm16 = |w: u32| (w >> 4 & 0xf000) | (w & 0xfff);
                imm16(words[0]) | imm16(words[1]) << 16
            } else {
                words[0]
            };
            assert_eq!(got as u64, address, "{}", backend.name());
        }
        assert!(backend
            .relocate(&r, &mut code.code.clone(), 0, 1 << 32)
            .is_err());
    }
}

/// ARMv5TE builds a function's address for `func_addr` (and an indirect call's checks) in
/// MOV and three ORRs, which its relocation rewrites and nothing else.
#[test]
fn armv5_address_relocations_rewrite_only_their_instructions() {
    let externs = jit_testkit::externs();
    let src = "extern @gcd(i32, i32) -> i32\n[i0, i1]\np2 = func_addr(@gcd)\ni3 = call_indirect(@gcd, i0, i1, p2)\nfinish(i3)\n";
    let trace = parse_verified(src).unwrap();
    let backend = ArmBackend::with_profile(FloatAbi::Softfp, Profile::V5te);
    let code = compile(&backend, &trace, &externs, CompileOptions::default())
        .unwrap()
        .code;
    let r = code.relocs[0];
    for address in [0, 0x1234_5678, 0xffff_ffff, 0x8000_0001] {
        let mut bytes = code.code.clone();
        backend.relocate(&r, &mut bytes, 0, address).unwrap();
        for (k, (new, old)) in bytes.iter().zip(&code.code).enumerate() {
            if !(r.at as usize..r.at as usize + 16).contains(&k) {
                assert_eq!(new, old);
            }
        }
        let got = bytes[r.at as usize..r.at as usize + 16]
            .chunks(4)
            .map(|w| u32::from_le_bytes(w.try_into().unwrap()))
            .fold(0, |acc, w| {
                let (rot, imm) = ((w >> 8 & 0xf) * 2, w & 0xff);
                acc | imm.rotate_right(rot)
            });
        assert_eq!(got as u64, address);
    }
}
