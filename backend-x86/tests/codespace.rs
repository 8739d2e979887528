//! Native code memory and relocations on x86-64: code placed in a `NativeCodeSpace` is
//! never writable and executable at once, patching it changes what runs, and a compiled
//! trace's call relocations relink it to another function.

use backend_x86::X86Backend;
use jit_core::backend::Backend;
use jit_core::codespace::{load, patch, CodeSpace, NativeCodeSpace};
use jit_core::compile::{compile, CompileOptions};
use jit_core::emit::RelocTarget;
use jit_core::runtime::{NativeTrace, Runner};
use jit_core::text::parse_verified;
use jit_core::{Externs, Memory, RunOptions, Scalar, Type};

mod callees {
    jit_core::define_externs! {
        fn seven() -> i32 { 7 }
        fn eight() -> i32 { 8 }
    }
}

/// The permissions `/proc/self/maps` shows for the mapping holding `addr`.
fn permissions(addr: u64) -> String {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    for line in maps.lines() {
        let (range, rest) = line.split_once(' ').unwrap();
        let (lo, hi) = range.split_once('-').unwrap();
        let (lo, hi) = (
            u64::from_str_radix(lo, 16).unwrap(),
            u64::from_str_radix(hi, 16).unwrap(),
        );
        if (lo..hi).contains(&addr) {
            return rest[..4].to_string();
        }
    }
    panic!("{addr:#x} is not mapped")
}

fn call(addr: u64) -> u32 {
    // SAFETY: `addr` holds `mov eax, imm32; ret`, written through the code space and
    // flushed, in executable memory that outlives the call.
    let f: extern "C" fn() -> u32 = unsafe { std::mem::transmute(addr as usize) };
    f()
}

#[test]
fn native_code_is_never_writable_and_executable_and_patches_take_effect() {
    let mut space = NativeCodeSpace::new(1 << 16).unwrap();
    let a = load(&mut space, &[0xb8, 1, 0, 0, 0, 0xc3]).unwrap();
    assert_eq!(permissions(a), "r-xp");
    assert_eq!(call(a), 1);
    patch(&mut space, a + 1, &[2]).unwrap();
    assert_eq!(permissions(a), "r-xp");
    assert_eq!(space.read(a, 6).unwrap(), [0xb8, 2, 0, 0, 0, 0xc3]);
    assert_eq!(call(a), 2);
}

#[test]
fn call_relocations_relink_a_compiled_trace() {
    let mut externs = Externs::new();
    callees::register(&mut externs);
    let src = "extern @seven() -> i32\n[i0]\ni1 = call(@seven)\ni2 = int_add(i1, i0)\n\
        i3 = call(@seven)\nfinish(i2, i3)\n";
    let trace = parse_verified(src).unwrap();
    let backend = X86Backend::new();
    let mut code = compile(&backend, &trace, &externs, CompileOptions::default())
        .unwrap()
        .code;
    assert_eq!(code.calls, ["seven"]);
    assert_eq!(code.relocs.len(), 2, "one per call site");
    let seven = externs.get("seven").unwrap().native.unwrap() as u64;
    let eight = externs.get("eight").unwrap().native.unwrap() as u64;
    // Applying a relocation with the address it already has changes nothing.
    let before = code.code.clone();
    for r in &code.relocs {
        assert_eq!(r.target, RelocTarget::Extern(0));
        backend.relocate(r, &mut code.code, 0, seven).unwrap();
    }
    assert_eq!(code.code, before);
    // Relinked to @eight, only the relocated fields differ, and the code calls @eight.
    for r in code.relocs.clone() {
        backend.relocate(&r, &mut code.code, 0, eight).unwrap();
    }
    let changed: Vec<usize> = (0..before.len())
        .filter(|&k| before[k] != code.code[k])
        .collect();
    assert!(changed.iter().all(|&k| code
        .relocs
        .iter()
        .any(|r| (r.at as usize..r.at as usize + 8).contains(&k))));
    let mut t = NativeTrace::load(code, vec![Type::I32]).unwrap();
    let out = t
        .run(
            &[Scalar::I32(100)],
            &mut Memory::new(),
            RunOptions::default(),
        )
        .unwrap();
    assert_eq!(out.values, [Scalar::I32(108), Scalar::I32(8)]);
}
