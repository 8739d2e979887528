//! Where compiled code lives: a [`CodeSpace`] hands out room for a tree's code, writes it,
//! patches it, and flushes the instruction cache — the one way code memory changes.
//!
//! Two implementations: [`NativeCodeSpace`] here (one mapping of this process, never
//! writable and executable at once: a write makes the pages it touches read-write, copies,
//! and makes them read-execute again), and jit-emu's machines, whose code region the
//! emulated CPU reads and whose translations of it are dropped only on an explicit
//! [`CodeSpace::flush`] — so a missing flush shows up as stale code running, as on real ARM
//! hardware.

use std::fmt;

/// Why code could not be placed or patched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeSpaceError {
    /// The space has fewer bytes left than the code needs.
    Full {
        /// Bytes asked for.
        needed: usize,
        /// Bytes left.
        left: usize,
    },
    /// A write, flush or read outside what the space has handed out.
    OutOfBounds {
        /// Address of the access.
        addr: u64,
        /// Its length.
        len: usize,
    },
    /// The operating system refused to map or protect the memory.
    Map(String),
}

impl fmt::Display for CodeSpaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodeSpaceError::Full { needed, left } => write!(
                f,
                "the code space has {left} bytes left, the code needs {needed}"
            ),
            CodeSpaceError::OutOfBounds { addr, len } => write!(
                f,
                "{len} bytes at {addr:#x} are outside the code handed out"
            ),
            CodeSpaceError::Map(e) => write!(f, "code memory could not be mapped: {e}"),
        }
    }
}

impl std::error::Error for CodeSpaceError {}

/// The alignment of every allocation (a cache line's start, and enough for any ISA's
/// instructions and literal pools).
pub const CODE_ALIGN: usize = 16;

/// Memory for code: allocate, write, flush.
pub trait CodeSpace {
    /// Reserves `len` bytes (aligned to [`CODE_ALIGN`]); returns the address the code will
    /// run at.
    fn allocate(&mut self, len: usize) -> Result<u64, CodeSpaceError>;

    /// Writes `bytes` at `addr`, inside what was allocated. The new bytes are not yet
    /// guaranteed to be what runs: [`CodeSpace::flush`] them.
    fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), CodeSpaceError>;

    /// Makes the bytes at `addr..addr + len` the ones the CPU executes (drops stale
    /// instruction-cache lines or translations).
    fn flush(&mut self, addr: u64, len: usize) -> Result<(), CodeSpaceError>;

    /// The bytes at `addr..addr + len`.
    fn read(&self, addr: u64, len: usize) -> Result<Vec<u8>, CodeSpaceError>;
}

/// Places `code` in `space` (allocate, write, flush) and returns its address.
pub fn load(space: &mut dyn CodeSpace, code: &[u8]) -> Result<u64, CodeSpaceError> {
    let addr = space.allocate(code.len().max(1))?;
    space.write(addr, code)?;
    space.flush(addr, code.len())?;
    Ok(addr)
}

/// Overwrites the bytes at `addr` in code already placed, and flushes them: how a bridge
/// is attached to a guard's stub, or a call relinked.
pub fn patch(space: &mut dyn CodeSpace, addr: u64, bytes: &[u8]) -> Result<(), CodeSpaceError> {
    space.write(addr, bytes)?;
    space.flush(addr, bytes.len())
}

/// A bump allocator over `capacity` bytes starting at `base`: the bookkeeping every code
/// space shares.
#[derive(Clone, Debug)]
pub struct Bump {
    /// The first address.
    pub base: u64,
    /// Bytes in the space.
    pub capacity: usize,
    /// Bytes handed out so far.
    pub top: usize,
}

impl Bump {
    /// Room for `len` bytes, aligned: the offset from `base`.
    pub fn allocate(&mut self, len: usize) -> Result<usize, CodeSpaceError> {
        let at = self.top.next_multiple_of(CODE_ALIGN);
        let left = self.capacity.saturating_sub(at);
        if len > left {
            return Err(CodeSpaceError::Full { needed: len, left });
        }
        self.top = at + len;
        Ok(at)
    }

    /// The offset of `addr..addr + len` from `base`, if it lies in what was handed out.
    pub fn offset(&self, addr: u64, len: usize) -> Result<usize, CodeSpaceError> {
        let out = CodeSpaceError::OutOfBounds { addr, len };
        let off = addr.checked_sub(self.base).ok_or(out.clone())?;
        let off = usize::try_from(off).map_err(|_| out.clone())?;
        match off.checked_add(len) {
            Some(end) if end <= self.top => Ok(off),
            _ => Err(out),
        }
    }
}

/// Code memory of this process: one private mapping, read-execute except while a write
/// runs. Patching code while another thread executes in the pages written faults that
/// thread: attach code only while the tree is not running.
pub struct NativeCodeSpace {
    ptr: *mut u8,
    len: usize,
    bump: Bump,
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(p).unwrap_or(4096).max(4096)
}

fn os_error(what: &str) -> CodeSpaceError {
    CodeSpaceError::Map(format!("{what}: {}", std::io::Error::last_os_error()))
}

impl NativeCodeSpace {
    /// A space of at least `capacity` bytes (rounded up to pages).
    pub fn new(capacity: usize) -> Result<NativeCodeSpace, CodeSpaceError> {
        let len = capacity.max(1).next_multiple_of(page_size());
        // SAFETY: an anonymous private mapping at an address the kernel picks touches no
        // existing memory; the result is checked before use.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(os_error("mmap"));
        }
        Ok(NativeCodeSpace {
            ptr: ptr.cast(),
            len,
            bump: Bump {
                base: ptr as u64,
                capacity: len,
                top: 0,
            },
        })
    }

    /// The address of the first byte.
    pub fn base(&self) -> *const u8 {
        self.ptr
    }

    /// Bytes from the first byte to the end of the last allocation.
    pub fn used(&self) -> usize {
        self.bump.top
    }

    /// Sets the protection of the pages holding `off..off + len`.
    fn protect(&mut self, off: usize, len: usize, prot: libc::c_int) -> Result<(), CodeSpaceError> {
        let page = page_size();
        let start = off / page * page;
        let end = (off + len.max(1)).next_multiple_of(page).min(self.len);
        // SAFETY: `start..end` lies inside this space's own mapping (page-aligned, within
        // `self.len`), which nothing else in the process uses.
        let r = unsafe { libc::mprotect(self.ptr.add(start).cast(), end - start, prot) };
        if r != 0 {
            return Err(os_error("mprotect"));
        }
        Ok(())
    }
}

impl CodeSpace for NativeCodeSpace {
    fn allocate(&mut self, len: usize) -> Result<u64, CodeSpaceError> {
        Ok(self.bump.base + self.bump.allocate(len)? as u64)
    }

    fn write(&mut self, addr: u64, bytes: &[u8]) -> Result<(), CodeSpaceError> {
        let off = self.bump.offset(addr, bytes.len())?;
        self.protect(off, bytes.len(), libc::PROT_READ | libc::PROT_WRITE)?;
        // SAFETY: `off..off + bytes.len()` was checked to lie inside the mapping and its
        // pages were just made writable (and not executable).
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.add(off), bytes.len()) };
        self.protect(off, bytes.len(), libc::PROT_READ | libc::PROT_EXEC)
    }

    fn flush(&mut self, addr: u64, len: usize) -> Result<(), CodeSpaceError> {
        self.bump.offset(addr, len)?;
        clear_cache(addr, addr + len as u64)
    }

    fn read(&self, addr: u64, len: usize) -> Result<Vec<u8>, CodeSpaceError> {
        let off = self.bump.offset(addr, len)?;
        // SAFETY: the range lies inside the mapping, which is always readable.
        Ok(unsafe { std::slice::from_raw_parts(self.ptr.add(off), len) }.to_vec())
    }
}

/// Makes instruction fetch see the bytes written to `start..end`: what GCC's
/// `__clear_cache` does on each host.
///
/// - x86-64 keeps instruction fetch coherent with stores (and the `mprotect` in
///   [`NativeCodeSpace::write`] is a serializing point): nothing to do.
/// - 32-bit ARM Linux: the data cache must be cleaned to the point of unification and the
///   instruction cache invalidated over the range, which user mode cannot do on ARMv7;
///   the kernel's private `cacheflush` system call (`__ARM_NR_cacheflush`, 0x0f0002) does
///   both, as `__clear_cache` does.
/// - AArch64: user mode may (SCTLR_EL1.UCI): `dc cvau` for each data-cache line, `dsb ish`,
///   `ic ivau` for each instruction-cache line, `dsb ish`, `isb`, with the line sizes from
///   `CTR_EL0`.
///
/// No ARM host runs this project's tests (ARM code runs under emulation, where the
/// emulator's translation cache stands for the instruction cache), so the two ARM paths
/// are compiled only on those hosts.
#[allow(unused_variables)]
fn clear_cache(start: u64, end: u64) -> Result<(), CodeSpaceError> {
    #[cfg(target_arch = "x86_64")]
    {
        Ok(())
    }
    #[cfg(all(target_arch = "arm", target_os = "linux"))]
    {
        const ARM_NR_CACHEFLUSH: libc::c_long = 0x0f0002;
        // SAFETY: the system call only cleans and invalidates caches over the range, which
        // lies in this process's own mapping.
        let r = unsafe { libc::syscall(ARM_NR_CACHEFLUSH, start as usize, end as usize, 0usize) };
        if r != 0 {
            return Err(os_error("cacheflush"));
        }
        Ok(())
    }
    #[cfg(target_arch = "aarch64")]
    {
        let ctr: u64;
        // SAFETY: reading CTR_EL0 is allowed from EL0 on Linux and has no side effect.
        unsafe { std::arch::asm!("mrs {}, ctr_el0", out(reg) ctr) };
        let dline = 4u64 << ((ctr >> 16) & 15);
        let iline = 4u64 << (ctr & 15);
        let mut a = start & !(dline - 1);
        while a < end {
            // SAFETY: cleaning a data-cache line of our own mapping to the point of
            // unification changes no memory contents.
            unsafe { std::arch::asm!("dc cvau, {}", in(reg) a) };
            a += dline;
        }
        // SAFETY: barriers only order the maintenance above.
        unsafe { std::arch::asm!("dsb ish") };
        let mut a = start & !(iline - 1);
        while a < end {
            // SAFETY: invalidating instruction-cache lines of our own mapping only makes
            // later fetches read memory again.
            unsafe { std::arch::asm!("ic ivau, {}", in(reg) a) };
            a += iline;
        }
        // SAFETY: barriers only order the maintenance above and resynchronize fetch.
        unsafe { std::arch::asm!("dsb ish", "isb") };
        Ok(())
    }
    #[cfg(not(any(
        target_arch = "x86_64",
        all(target_arch = "arm", target_os = "linux"),
        target_arch = "aarch64"
    )))]
    {
        Err(CodeSpaceError::Map(
            "no instruction-cache flush for this host architecture".into(),
        ))
    }
}

impl Drop for NativeCodeSpace {
    fn drop(&mut self) {
        // SAFETY: `ptr..ptr + len` is this space's own mapping; nothing runs in it any more
        // (whoever owns the space owns the code's users).
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bump_allocator_aligns_and_refuses_what_does_not_fit() {
        let mut b = Bump {
            base: 0x1000,
            capacity: 64,
            top: 0,
        };
        assert_eq!(b.allocate(10), Ok(0));
        assert_eq!(b.allocate(10), Ok(16));
        assert_eq!(
            b.allocate(40),
            Err(CodeSpaceError::Full {
                needed: 40,
                left: 32
            })
        );
        assert_eq!(b.offset(0x1010, 10), Ok(16));
        assert!(b.offset(0x1010, 11).is_err());
        assert!(b.offset(0xfff, 1).is_err());
        assert!(b.offset(u64::MAX, 2).is_err());
    }

    #[test]
    fn native_space_writes_reads_and_stays_in_bounds() {
        let mut s = NativeCodeSpace::new(10_000).unwrap();
        let a = load(&mut s, &[1, 2, 3]).unwrap();
        let b = load(&mut s, &[4; 5000]).unwrap();
        assert_eq!(b - a, 16);
        assert_eq!(s.read(a, 3).unwrap(), [1, 2, 3]);
        patch(&mut s, a + 1, &[9]).unwrap();
        assert_eq!(s.read(a, 3).unwrap(), [1, 9, 3]);
        assert!(s.write(b + 5000, &[0]).is_err());
        assert!(matches!(
            s.allocate(1 << 20),
            Err(CodeSpaceError::Full { .. })
        ));
    }
}
