//! `@sp_misalignment() -> i32`: how far the stack pointer is from the ABI's alignment
//! where compiled code called it — 0 when it is aligned (System V: 16 bytes at the call;
//! the interpreter's body returns 0). Natively on x86-64 it is an assembly entry that
//! measures rsp before anything moves it and hands the result to a Rust function that logs
//! the call; on the emulated targets every call's trap checks the alignment already
//! (AAPCS: 8 bytes; System V: 16), and the host body returns 0. Any trace can call it, so
//! the fuzzer checks stack alignment at random calls in roots, loops and bridges.

use jit_core::ir::Scalar;
use jit_core::Externs;

/// Logs the native call and returns its result.
extern "C" fn logged(misalignment: i32) -> i32 {
    jit_core::externs::log_native_call(
        "sp_misalignment",
        Vec::new(),
        Some(Scalar::I32(misalignment)),
    );
    misalignment
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod imp {
    std::arch::global_asm!(
        ".pushsection .text.tracejit_testkit_sp_misalignment,\"ax\",@progbits",
        ".p2align 4",
        ".globl tracejit_testkit_sp_misalignment",
        ".hidden tracejit_testkit_sp_misalignment",
        ".type tracejit_testkit_sp_misalignment,@function",
        // At the call rsp was 16-aligned: at entry, rsp + 8 is.
        "tracejit_testkit_sp_misalignment:",
        "lea rdi, [rsp + 8]",
        "and edi, 15",
        "jmp {logged}",
        ".size tracejit_testkit_sp_misalignment, . - tracejit_testkit_sp_misalignment",
        ".popsection",
        logged = sym super::logged,
    );

    extern "C" {
        fn tracejit_testkit_sp_misalignment() -> i32;
    }

    /// The entry's address.
    pub fn address() -> usize {
        tracejit_testkit_sp_misalignment as *const () as usize
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod imp {
    /// No native check on this host: the call is logged as aligned.
    extern "C" fn unchecked() -> i32 {
        super::logged(0)
    }

    /// The entry's address.
    pub fn address() -> usize {
        unchecked as *const () as usize
    }
}

/// Adds `@sp_misalignment` to `t`.
pub fn register(t: &mut Externs) {
    t.insert_native(
        "sp_misalignment",
        &[],
        Some(jit_core::CType::I32),
        |_| Some(Scalar::I32(0)),
        imp::address(),
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_call_from_rust_is_aligned_and_logged() {
        let _ = jit_core::externs::take_native_calls();
        // SAFETY: the address is `@sp_misalignment`'s native entry, an `extern "C" fn() ->
        // i32` (the assembly entry jumps to a Rust function of that signature).
        let f: extern "C" fn() -> i32 = unsafe { std::mem::transmute(super::imp::address()) };
        assert_eq!(f(), 0, "Rust calls with the stack aligned");
        let calls = jit_core::externs::take_native_calls();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].name, "sp_misalignment");
    }
}
