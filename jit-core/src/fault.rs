//! Faults in native code become errors, not crashes of the process.
//!
//! Compiled code is entered through a small trampoline (`tracejit_native_enter`) that saves
//! the callee-saved registers and records its stack pointer. Signal handlers for `SIGSEGV`,
//! `SIGBUS`, `SIGILL` and `SIGFPE` look at the faulting program counter: when it lies in
//! the code this thread is running (registered by [`enter`]), the handler records the
//! fault, resets the stack pointer to the trampoline's and resumes there with
//! [`FAULT_EXIT`] as the result, so the call returns normally and the callee-saved
//! registers are restored by the trampoline's own pops. Any other fault goes to the handler
//! that was installed before (Rust's stack-overflow handler, or the default action).
//!
//! This is the second line of defence (as in wasmtime): the first is that a caller runs
//! compiled code only on inputs whose interpreter run ended cleanly. Together with the guard
//! regions around the buffers handed to native code (`runtime::HostMemory`), a wild access
//! faults inside tracejit's own reservation instead of reaching the host's memory.
//!
//! Only x86-64 Linux hosts have the trampoline; elsewhere [`enter`] calls the code directly.

use std::fmt;

/// What [`enter`] returns when the code faulted; no exit has this index.
pub const FAULT_EXIT: u64 = u64::MAX;

/// A fault taken inside compiled code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The signal number.
    pub signal: i32,
    /// The faulting data address (`si_addr`; for `SIGILL`/`SIGFPE`, the instruction).
    pub addr: u64,
    /// Whether the access was a write (x86-64 page faults say so; otherwise false).
    pub write: bool,
    /// The offset of the faulting instruction in the code.
    pub code_offset: u64,
    /// Whether the code branched outside itself into unmapped memory (the fault is the
    /// instruction fetch there; `addr` is where it went).
    pub wild_jump: bool,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.signal {
            libc::SIGSEGV => "SIGSEGV",
            libc::SIGBUS => "SIGBUS",
            libc::SIGILL => "SIGILL",
            libc::SIGFPE => "SIGFPE",
            _ => "signal",
        };
        if self.wild_jump {
            return write!(f, "jump to unmapped address {:#x} ({name})", self.addr);
        }
        match self.signal {
            libc::SIGSEGV | libc::SIGBUS => write!(
                f,
                "{} of unmapped address {:#x} ({name} at code offset {:#x})",
                if self.write { "write" } else { "read" },
                self.addr,
                self.code_offset
            ),
            _ => write!(f, "{name} at code offset {:#x}", self.code_offset),
        }
    }
}

/// Calls `code` (an `extern "C" fn(*mut u64) -> u64` of `code_len` bytes) with `frame`.
/// Returns what it returned, or the fault it took.
///
/// # Safety
/// `code` must point at `code_len` bytes of executable machine code for this host that
/// follows the C calling convention for that signature and only touches memory through
/// `frame` and the pointers placed in it.
pub unsafe fn enter(code: *const u8, code_len: usize, frame: *mut u64) -> Result<u64, Fault> {
    // SAFETY: passed on from the caller.
    unsafe { imp::enter(code, code_len, frame) }
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod imp {
    use super::{Fault, FAULT_EXIT};
    use std::cell::Cell;
    use std::sync::OnceLock;

    std::arch::global_asm!(
        ".pushsection .text.tracejit_native_enter,\"ax\",@progbits",
        ".p2align 4",
        ".globl tracejit_native_enter",
        ".hidden tracejit_native_enter",
        ".type tracejit_native_enter,@function",
        // rdi = code, rsi = frame, rdx = where to record the stack pointer
        "tracejit_native_enter:",
        "push rbp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "sub rsp, 8",
        "mov [rdx], rsp",
        "mov rax, rdi",
        "mov rdi, rsi",
        "call rax",
        ".globl tracejit_native_resume",
        ".hidden tracejit_native_resume",
        "tracejit_native_resume:",
        "add rsp, 8",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
        ".size tracejit_native_enter, . - tracejit_native_enter",
        ".popsection",
    );

    extern "C" {
        fn tracejit_native_enter(code: *const u8, frame: *mut u64, sp: *mut u64) -> u64;
        fn tracejit_native_resume();
    }

    /// What this thread is running: the code's range and where its entry stack pointer is.
    #[derive(Clone, Copy)]
    struct Active {
        start: usize,
        end: usize,
        sp: *mut u64,
    }

    thread_local! {
        static ACTIVE: Cell<Option<Active>> = const { Cell::new(None) };
        static FAULT: Cell<Option<Fault>> = const { Cell::new(None) };
    }

    const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

    /// The actions installed before ours, by position in `SIGNALS`.
    static PREVIOUS: OnceLock<[libc::sigaction; 4]> = OnceLock::new();

    fn install() {
        PREVIOUS.get_or_init(|| {
            // SAFETY: sigaction with a zeroed-then-filled struct; the handler only reads
            // thread-local cells, the siginfo and the context, and writes the context.
            unsafe {
                let mut previous: [libc::sigaction; 4] = std::mem::zeroed();
                for (k, &sig) in SIGNALS.iter().enumerate() {
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction = handler as *const () as usize;
                    action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                    libc::sigemptyset(&mut action.sa_mask);
                    libc::sigaction(sig, &action, &mut previous[k]);
                }
                previous
            }
        });
    }

    extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo and ucontext for an SA_SIGINFO handler.
        unsafe {
            let uc = &mut *(ctx as *mut libc::ucontext_t);
            let gregs = &mut uc.uc_mcontext.gregs;
            let pc = gregs[libc::REG_RIP as usize] as usize;
            if let Some(a) = ACTIVE.with(|c| c.get()) {
                let inside = pc >= a.start && pc < a.end;
                // Fetching the instruction at the fault address itself: a branch into
                // unmapped memory, which only the running code can have taken.
                let wild = !inside && sig == libc::SIGSEGV && (*info).si_addr() as usize == pc;
                if inside || wild {
                    let write = sig == libc::SIGSEGV && gregs[libc::REG_ERR as usize] & 2 != 0;
                    FAULT.with(|c| {
                        c.set(Some(Fault {
                            signal: sig,
                            addr: (*info).si_addr() as u64,
                            write: write && !wild,
                            code_offset: (pc.wrapping_sub(a.start)) as u64,
                            wild_jump: wild,
                        }))
                    });
                    gregs[libc::REG_RSP as usize] = *a.sp as i64;
                    gregs[libc::REG_RIP as usize] = tracejit_native_resume as *const () as i64;
                    gregs[libc::REG_RAX as usize] = FAULT_EXIT as i64;
                    return;
                }
            }
            // Not ours: hand it to whoever handled it before.
            let Some(k) = SIGNALS.iter().position(|&s| s == sig) else {
                return;
            };
            let Some(prev) = PREVIOUS.get() else { return };
            let p = prev[k];
            if p.sa_sigaction == libc::SIG_DFL || p.sa_sigaction == libc::SIG_IGN {
                // Restore it and return: the instruction faults again and the default
                // action (a core dump) happens where the fault is.
                libc::sigaction(sig, &p, std::ptr::null_mut());
            } else if p.sa_flags & libc::SA_SIGINFO != 0 {
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    std::mem::transmute(p.sa_sigaction);
                f(sig, info, ctx);
            } else {
                let f: extern "C" fn(libc::c_int) = std::mem::transmute(p.sa_sigaction);
                f(sig);
            }
        }
    }

    pub(super) unsafe fn enter(
        code: *const u8,
        code_len: usize,
        frame: *mut u64,
    ) -> Result<u64, Fault> {
        install();
        let mut sp: u64 = 0;
        let outer = ACTIVE.with(|c| {
            c.replace(Some(Active {
                start: code as usize,
                end: code as usize + code_len,
                sp: &mut sp,
            }))
        });
        FAULT.with(|c| c.set(None));
        // SAFETY: the caller guarantees the code and frame; the trampoline keeps the C
        // calling convention and restores what it saved.
        let r = unsafe { tracejit_native_enter(code, frame, &mut sp) };
        ACTIVE.with(|c| c.set(outer));
        match FAULT.with(|c| c.take()) {
            Some(f) if r == FAULT_EXIT => Err(f),
            _ => Ok(r),
        }
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod imp {
    use super::Fault;

    pub(super) unsafe fn enter(
        code: *const u8,
        _code_len: usize,
        frame: *mut u64,
    ) -> Result<u64, Fault> {
        // SAFETY: the caller guarantees the code and frame.
        let f: extern "C" fn(*mut u64) -> u64 = unsafe { std::mem::transmute(code) };
        Ok(f(frame))
    }
}
