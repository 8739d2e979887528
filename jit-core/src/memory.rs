//! The interpreter's memory: buffers at fixed addresses that loads and stores address.
//!
//! Addresses are the same on every target: buffers are placed from [`MEMORY_BASE`] up, all
//! below 4 GiB, 64-byte aligned and 64 bytes apart, so an access just past a buffer is out
//! of bounds rather than inside its neighbour. Out-of-bounds and misaligned accesses are
//! errors, never undefined behaviour.

use std::fmt;

use crate::ir::{MemArg, MemType, Scalar};

/// The address of the first buffer.
pub const MEMORY_BASE: u64 = 0x1000_0000;
/// The most bytes all buffers of one memory may hold together.
pub const MEMORY_LIMIT: u64 = 256 << 20;
const ALIGN: u64 = 64;
const GAP: u64 = 64;

/// What went wrong with an access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryError {
    /// The bytes accessed are not all inside one buffer.
    OutOfBounds {
        /// The effective address (may be negative or past 2^64 when computed).
        addr: i128,
        /// Bytes accessed.
        size: u32,
    },
    /// The effective address is not a multiple of the access size.
    Misaligned {
        /// The effective address.
        addr: u64,
        /// Bytes accessed.
        size: u32,
    },
    /// An allocation would take the memory past [`MEMORY_LIMIT`].
    TooLarge {
        /// Bytes asked for.
        size: u64,
    },
    /// A value of the wrong type was stored.
    WrongType,
}

/// An effective address as hex, negative ones with a minus sign (`-0x10`), not as 128-bit
/// two's complement.
struct Addr(i128);

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            write!(f, "-{:#x}", self.0.unsigned_abs())
        } else {
            write!(f, "{:#x}", self.0)
        }
    }
}

impl fmt::Display for MemoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MemoryError::OutOfBounds { addr, size } => {
                write!(
                    f,
                    "{size}-byte access at {} is outside every buffer",
                    Addr(addr)
                )
            }
            MemoryError::Misaligned { addr, size } => {
                write!(
                    f,
                    "{size}-byte access at {} is not {size}-byte aligned",
                    Addr(addr as i128)
                )
            }
            MemoryError::TooLarge { size } => write!(
                f,
                "allocating {size} bytes would exceed the {MEMORY_LIMIT}-byte memory limit"
            ),
            MemoryError::WrongType => write!(f, "stored value has the wrong type"),
        }
    }
}

impl std::error::Error for MemoryError {}

/// One buffer: its address and contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buffer {
    /// Address of the first byte.
    pub addr: u64,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// A set of buffers, and the GC objects a run allocated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Memory {
    buffers: Vec<Buffer>,
    used: u64,
    objects: Vec<Object>,
    object_slots: u64,
}

/// A GC object as the interpreter holds it (docs/ir.md §6): abstract — its identity, its
/// type and its fields or items, no bytes. Its ref is [`object_ref`] of its index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// Its type id (the declaration's index + 1).
    pub tid: u32,
    /// Its fields in declaration order (a struct), or its items (an array).
    pub slots: Vec<Scalar>,
    /// Whether it is an array (its length is `slots.len()`).
    pub array: bool,
}

/// Where the interpreter's objects' refs start: far above every buffer, so a ref is either
/// a buffer address or an object, never both.
pub const OBJECT_BASE: u64 = 1 << 40;
/// The distance between two objects' refs.
const OBJECT_STRIDE: u64 = 16;
/// The most fields and items all objects of one memory may hold together.
pub const OBJECT_SLOT_LIMIT: u64 = 1 << 24;

/// The ref of the `k`-th object.
pub fn object_ref(k: usize) -> u64 {
    OBJECT_BASE + OBJECT_STRIDE * (k as u64 + 1)
}

/// The index of the object whose ref is `r` (whether or not a memory has that many).
pub fn object_index(r: u64) -> Option<usize> {
    let off = r.checked_sub(OBJECT_BASE)?;
    if off == 0 || !off.is_multiple_of(OBJECT_STRIDE) {
        return None;
    }
    usize::try_from(off / OBJECT_STRIDE - 1).ok()
}

/// `base + index * scale + offset`, exactly (no wrap-around).
pub fn effective_address(base: u64, index: i32, mem: MemArg) -> i128 {
    base as i128 + index as i128 * mem.scale as i128 + mem.offset as i128
}

impl Memory {
    /// No buffers.
    pub fn new() -> Memory {
        Memory::default()
    }

    /// Adds a buffer holding `bytes`; returns its address.
    pub fn alloc_bytes(&mut self, bytes: Vec<u8>) -> Result<u64, MemoryError> {
        let size = bytes.len() as u64;
        if self.used + size > MEMORY_LIMIT {
            return Err(MemoryError::TooLarge { size });
        }
        let addr = match self.buffers.last() {
            Some(b) => (b.addr + b.bytes.len() as u64 + GAP).next_multiple_of(ALIGN),
            None => MEMORY_BASE,
        };
        self.used += size;
        self.buffers.push(Buffer { addr, bytes });
        Ok(addr)
    }

    /// Adds a zeroed buffer of `size` bytes; returns its address.
    pub fn alloc(&mut self, size: usize) -> Result<u64, MemoryError> {
        if self.used + size as u64 > MEMORY_LIMIT {
            return Err(MemoryError::TooLarge { size: size as u64 });
        }
        self.alloc_bytes(vec![0; size])
    }

    /// The buffers, in address order.
    pub fn buffers(&self) -> &[Buffer] {
        &self.buffers
    }

    /// The contents of the buffer that starts at `addr`.
    pub fn contents_mut(&mut self, addr: u64) -> Option<&mut [u8]> {
        self.buffers
            .iter_mut()
            .find(|b| b.addr == addr)
            .map(|b| &mut b.bytes[..])
    }

    /// A new object of type id `tid` holding `slots`; `None` past
    /// [`OBJECT_SLOT_LIMIT`].
    pub fn new_object(&mut self, tid: u32, slots: Vec<Scalar>, array: bool) -> Option<u64> {
        let n = slots.len() as u64 + 1;
        if self.object_slots + n > OBJECT_SLOT_LIMIT {
            return None;
        }
        self.object_slots += n;
        self.objects.push(Object { tid, slots, array });
        Some(object_ref(self.objects.len() - 1))
    }

    /// The object `r` refers to, if it is one.
    pub fn object(&self, r: u64) -> Option<&Object> {
        self.objects.get(object_index(r)?)
    }

    /// The object `r` refers to, to change it.
    pub fn object_mut(&mut self, r: u64) -> Option<&mut Object> {
        self.objects.get_mut(object_index(r)?)
    }

    /// Every object allocated, in order.
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// Keeps only the objects reachable from `roots`, numbered in the order a depth-first
    /// walk from the roots (in order, fields in order) first meets them, and renames the
    /// refs in `roots` and in the objects to match. Two runs' memories compare equal after
    /// this exactly when their object graphs reachable from the roots are isomorphic with
    /// equal fields (docs/ir.md §10), whatever order or addresses they allocated in.
    pub fn canonicalize_objects(&mut self, roots: &mut [Scalar]) {
        if self.objects.is_empty() {
            return;
        }
        let mut new_index: Vec<Option<usize>> = vec![None; self.objects.len()];
        let mut order: Vec<usize> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let visit = |r: &Scalar,
                     new_index: &mut Vec<Option<usize>>,
                     order: &mut Vec<usize>,
                     stack: &mut Vec<usize>| {
            if let Scalar::Ref(a) = *r {
                if let Some(k) = object_index(a).filter(|&k| k < new_index.len()) {
                    if new_index[k].is_none() {
                        new_index[k] = Some(order.len());
                        order.push(k);
                        stack.push(k);
                    }
                }
            }
        };
        for r in roots.iter() {
            visit(r, &mut new_index, &mut order, &mut stack);
            while let Some(k) = stack.pop() {
                // Fields in order: push in reverse so the first field is walked first.
                let slots = self.objects[k].slots.clone();
                let mut found = Vec::new();
                for x in &slots {
                    let mut one = Vec::new();
                    visit(x, &mut new_index, &mut order, &mut one);
                    found.extend(one);
                }
                stack.extend(found.into_iter().rev());
            }
        }
        let rename = |x: Scalar, new_index: &[Option<usize>]| match x {
            Scalar::Ref(a) => match object_index(a).filter(|&k| k < new_index.len()) {
                Some(k) => Scalar::Ref(object_ref(new_index[k].expect("reachable"))),
                None => x,
            },
            other => other,
        };
        let mut objects: Vec<Object> = order
            .iter()
            .map(|&k| {
                std::mem::replace(
                    &mut self.objects[k],
                    Object {
                        tid: 0,
                        slots: Vec::new(),
                        array: false,
                    },
                )
            })
            .collect();
        for o in &mut objects {
            for x in &mut o.slots {
                *x = rename(*x, &new_index);
            }
        }
        for r in roots.iter_mut() {
            *r = rename(*r, &new_index);
        }
        self.object_slots = objects.iter().map(|o| o.slots.len() as u64 + 1).sum();
        self.objects = objects;
    }

    /// Whether two memories agree as docs/ir.md §10 says: the same buffers with the same
    /// bytes, byte for byte (NaNs included: memory only ever sees the canonical NaN from
    /// arithmetic), and the same objects.
    pub fn same_contents(&self, other: &Memory) -> bool {
        self.objects == other.objects
            && self.buffers.len() == other.buffers.len()
            && self
                .buffers
                .iter()
                .zip(&other.buffers)
                .all(|(a, b)| a.addr == b.addr && a.bytes == b.bytes)
    }

    /// The buffer that holds every byte of `[addr, addr + size)` and the offset into it.
    fn locate(&self, addr: i128, size: u32) -> Result<(usize, usize), MemoryError> {
        let oob = MemoryError::OutOfBounds { addr, size };
        let a = u64::try_from(addr).map_err(|_| oob)?;
        if a % size as u64 != 0 {
            return Err(MemoryError::Misaligned { addr: a, size });
        }
        let i = self.buffers.partition_point(|b| b.addr <= a);
        let b = i.checked_sub(1).map(|i| (i, &self.buffers[i])).ok_or(oob)?;
        let off = a - b.1.addr;
        if off + size as u64 <= b.1.bytes.len() as u64 {
            Ok((b.0, off as usize))
        } else {
            Err(oob)
        }
    }

    /// Reads `size` bytes at an exact address (aligned to `size`).
    pub fn read(&self, addr: i128, size: u32) -> Result<&[u8], MemoryError> {
        let (b, off) = self.locate(addr, size)?;
        Ok(&self.buffers[b].bytes[off..off + size as usize])
    }

    /// Writes bytes at an exact address (aligned to their length).
    pub fn write(&mut self, addr: i128, data: &[u8]) -> Result<(), MemoryError> {
        let (b, off) = self.locate(addr, data.len() as u32)?;
        self.buffers[b].bytes[off..off + data.len()].copy_from_slice(data);
        Ok(())
    }

    /// Loads a value of memory type `ty` (little-endian), extended as the type says.
    pub fn load(&self, addr: i128, ty: MemType) -> Result<Scalar, MemoryError> {
        let b = self.read(addr, ty.size())?;
        let mut w = [0u8; 8];
        w[..b.len()].copy_from_slice(b);
        Ok(ty.extend(u64::from_le_bytes(w)))
    }

    /// Stores the low `ty.size()` bytes of `value` (little-endian).
    pub fn store(&mut self, addr: i128, ty: MemType, value: Scalar) -> Result<(), MemoryError> {
        if value.ty() != ty.value_type() {
            return Err(MemoryError::WrongType);
        }
        let raw = (value.bits() as u64).to_le_bytes();
        self.write(addr, &raw[..ty.size() as usize])
    }
}
