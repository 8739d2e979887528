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

#[test]
fn attaching_a_bridge_retargets_the_guards_own_branch() {
    use jit_core::compile::{compile_bridge, BridgeFrom};
    use jit_core::tree::NativeTree;
    let externs = Externs::new();
    let root = parse_verified(
        "[i0, i1]\nlabel(i0, i1)\ni2 = int_add(i1, i0)\ni3 = int_sub(i0, 1)\n\
         i4 = int_gt(i3, 0)\nguard_true(i4) [i3, i2]\njump(i3, i2)\n",
    )
    .unwrap();
    let bridge = parse_verified("[i0, i1]\ni2 = int_mul(i1, 2)\nfinish(i0, i2)\n").unwrap();
    let backend = X86Backend::new();
    let code = compile(&backend, &root, &externs, CompileOptions::default())
        .unwrap()
        .code;
    let mut tree = NativeTree::new(&backend, code, vec![Type::I32, Type::I32]).unwrap();
    let from = BridgeFrom {
        parent: &tree.exits().parts[0],
        exit: 0,
        first_exit: tree.exits().next_exit(),
        root: &tree.exits().parts[0],
        tree: &tree.exits().parts,
    };
    let b = compile_bridge(&backend, &bridge, &externs, CompileOptions::default(), from)
        .unwrap()
        .code;
    tree.attach(&backend, 0, b).unwrap();
    let (root_addr, bytes) = tree.code(0).unwrap();
    let (bridge_addr, _) = tree.code(1).unwrap();
    let sites: Vec<_> = tree.exits().parts[0]
        .exit_branches
        .iter()
        .filter(|b| b.exit == 0)
        .collect();
    assert_eq!(sites.len(), 1, "one jcc to the guard's stub");
    for s in sites {
        let at = s.at as usize;
        let rel = i32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let target = (root_addr + at as u64 + 4).wrapping_add(rel as i64 as u64);
        assert_eq!(
            target, bridge_addr,
            "the guard branches straight to the bridge"
        );
    }
    let (_, out) = tree
        .run(
            &[Scalar::I32(10), Scalar::I32(0)],
            &mut Memory::new(),
            RunOptions::default(),
        )
        .unwrap();
    assert_eq!(out.values, [Scalar::I32(0), Scalar::I32(110)]);
}
