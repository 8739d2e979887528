//! A code buffer: bytes, labels, fixups and a deduplicated constant pool.
//!
//! ISA independent: a fixup records where a reference is, to which label, and a
//! backend-defined kind; at the end the backend's patch function writes each one, failing
//! cleanly if the target is out of reach. Constants are collected into a pool that the
//! backend places where it can (at the end on x86; as islands within the reach of literal
//! loads on ARM, using [`CodeBuffer::pool_first_use`] to know when one is due).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A position in the code, bound once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Label(pub u32);

/// A reference to patch once its label is bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fixup {
    /// Offset of the instruction or field to patch.
    pub at: u32,
    /// What it refers to.
    pub label: Label,
    /// How to patch, as the backend defines it.
    pub kind: u8,
}

/// Why the code could not be finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixupError {
    /// A label was referred to but never bound.
    Unbound(Label),
    /// A reference does not reach its target.
    OutOfRange {
        /// Offset of the reference.
        at: u32,
        /// Offset of the target.
        target: u32,
    },
    /// A literal load does not reach its constant in the pool (a pool placement bug).
    LiteralOutOfRange {
        /// Offset of the load.
        at: u32,
        /// Offset of the constant.
        target: u32,
    },
    /// A relocation's field cannot hold the address (a 64-bit address on a 32-bit target).
    AddressTooWide {
        /// Offset of the field.
        at: u32,
        /// The address.
        address: u64,
    },
}

impl std::fmt::Display for FixupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FixupError::Unbound(l) => write!(f, "label {} is never bound", l.0),
            FixupError::OutOfRange { at, target } => {
                write!(f, "the reference at {at:#x} does not reach {target:#x}")
            }
            FixupError::LiteralOutOfRange { at, target } => {
                write!(
                    f,
                    "the literal load at {at:#x} does not reach its constant at {target:#x}"
                )
            }
            FixupError::AddressTooWide { at, address } => {
                write!(
                    f,
                    "the field at {at:#x} cannot hold the address {address:#x}"
                )
            }
        }
    }
}

impl std::error::Error for FixupError {}

const UNBOUND: u32 = u32::MAX;

/// A hasher for the pool's keys (a constant's bits and size): one multiply per word.
/// The keys come from the trace being compiled; a trace that made its constants collide
/// would slow only its own compilation.
#[derive(Clone, Copy, Debug, Default)]
struct ConstantHasher(u64);

impl Hasher for ConstantHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }

    fn write_u8(&mut self, x: u8) {
        self.write_u64(x as u64);
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// Bytes being assembled, with labels, fixups and pending constants.
#[derive(Clone, Debug, Default)]
pub struct CodeBuffer {
    /// The code so far.
    pub bytes: Vec<u8>,
    labels: Vec<u32>,
    fixups: Vec<Fixup>,
    pending: Vec<(u64, u8, Label)>,
    pending_index: HashMap<(u64, u8), Label, BuildHasherDefault<ConstantHasher>>,
    first_use: Option<u32>,
}

impl CodeBuffer {
    /// An empty buffer.
    pub fn new() -> CodeBuffer {
        CodeBuffer::default()
    }

    /// The current offset.
    pub fn offset(&self) -> u32 {
        self.bytes.len() as u32
    }

    /// A new, unbound label.
    pub fn label(&mut self) -> Label {
        self.labels.push(UNBOUND);
        Label(self.labels.len() as u32 - 1)
    }

    /// Binds `l` here.
    pub fn bind(&mut self, l: Label) {
        self.labels[l.0 as usize] = self.offset();
    }

    /// Where `l` is bound, if it is.
    pub fn bound(&self, l: Label) -> Option<u32> {
        self.labels
            .get(l.0 as usize)
            .copied()
            .filter(|&x| x != UNBOUND)
    }

    /// Appends bytes.
    pub fn put(&mut self, b: &[u8]) {
        self.bytes.extend_from_slice(b);
    }

    /// Appends a little-endian 32-bit word.
    pub fn put_u32(&mut self, w: u32) {
        self.bytes.extend_from_slice(&w.to_le_bytes());
    }

    /// Records a reference at `at` to `label`.
    pub fn fixup(&mut self, at: u32, label: Label, kind: u8) {
        self.fixups.push(Fixup { at, label, kind });
    }

    /// The label of a pool constant of `size` bytes (4 or 8) with these bits, shared with
    /// any identical pending constant. The caller records the fixup.
    pub fn constant(&mut self, bits: u64, size: u8) -> Label {
        if let Some(&l) = self.pending_index.get(&(bits, size)) {
            return l;
        }
        let l = self.label();
        self.pending.push((bits, size, l));
        self.pending_index.insert((bits, size), l);
        if self.first_use.is_none() {
            self.first_use = Some(self.offset());
        }
        l
    }

    /// The offset of the first instruction that refers to a constant not yet placed.
    pub fn pool_first_use(&self) -> Option<u32> {
        self.first_use
    }

    /// Places all pending constants here, aligned to their size, padding with `pad`.
    pub fn place_pool(&mut self, pad: u8) {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_by_key(|&(_, size, _)| std::cmp::Reverse(size));
        for (bits, size, l) in pending {
            while !self.bytes.len().is_multiple_of(size as usize) {
                self.bytes.push(pad);
            }
            self.bind(l);
            self.bytes
                .extend_from_slice(&bits.to_le_bytes()[..size as usize]);
        }
        self.pending_index.clear();
        self.first_use = None;
    }

    /// Every reference recorded so far.
    pub fn fixups(&self) -> &[Fixup] {
        &self.fixups
    }

    /// Patches every fixup with `patch(kind, code, at, target)` and returns the code.
    pub fn finish(
        mut self,
        patch: impl Fn(u8, &mut [u8], u32, u32) -> Result<(), FixupError>,
    ) -> Result<Vec<u8>, FixupError> {
        for f in &self.fixups {
            let target = self.bound(f.label).ok_or(FixupError::Unbound(f.label))?;
            patch(f.kind, &mut self.bytes, f.at, target)?;
        }
        Ok(self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy fixup kind: a little-endian u16 holding the target offset minus the field's,
    /// failing beyond 1000 bytes (like a short literal load).
    fn patch(_: u8, code: &mut [u8], at: u32, target: u32) -> Result<(), FixupError> {
        let d = target as i64 - at as i64;
        if !(0..=1000).contains(&d) {
            return Err(FixupError::OutOfRange { at, target });
        }
        code[at as usize..at as usize + 2].copy_from_slice(&(d as u16).to_le_bytes());
        Ok(())
    }

    #[test]
    fn labels_and_fixups_resolve_forward_and_backward() {
        let mut b = CodeBuffer::new();
        let top = b.label();
        b.bind(top);
        b.put(&[0xaa; 4]);
        let fwd = b.label();
        let at = b.offset();
        b.put(&[0, 0]);
        b.fixup(at, fwd, 0);
        b.put(&[0xbb; 6]);
        b.bind(fwd);
        assert_eq!(b.bound(fwd), Some(12));
        let code = b.finish(patch).unwrap();
        assert_eq!(&code[4..6], &8u16.to_le_bytes());
    }

    #[test]
    fn constants_are_shared_and_placed_where_asked() {
        let mut b = CodeBuffer::new();
        b.put(&[1]);
        let c1 = b.constant(0x1122_3344_5566_7788, 8);
        let at1 = b.offset();
        b.put(&[0, 0]);
        b.fixup(at1, c1, 0);
        assert_eq!(b.pool_first_use(), Some(1));
        let c2 = b.constant(0x1122_3344_5566_7788, 8);
        assert_eq!(c1, c2, "identical pending constants share one slot");
        let c3 = b.constant(7, 4);
        let at3 = b.offset();
        b.put(&[0, 0]);
        b.fixup(at3, c3, 0);
        // An island mid-code: 8-byte constants first, each aligned.
        b.place_pool(0xcc);
        assert_eq!(b.pool_first_use(), None);
        assert_eq!(b.bound(c1), Some(8));
        assert_eq!(b.bound(c3), Some(16));
        // After the island, the same value is a new constant.
        let c4 = b.constant(0x1122_3344_5566_7788, 8);
        assert_ne!(c4, c1);
        b.place_pool(0xcc);
        let code = b.finish(patch).unwrap();
        assert_eq!(&code[5..8], &[0xcc, 0xcc, 0xcc]);
        assert_eq!(&code[8..16], &0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(&code[16..20], &7u32.to_le_bytes());
        assert_eq!(&code[1..3], &7u16.to_le_bytes());
    }

    #[test]
    fn out_of_reach_and_unbound_references_are_errors() {
        let mut b = CodeBuffer::new();
        let far = b.label();
        b.put(&[0, 0]);
        b.fixup(0, far, 0);
        b.put(&[0; 2000]);
        b.bind(far);
        assert_eq!(
            b.finish(patch),
            Err(FixupError::OutOfRange {
                at: 0,
                target: 2002
            })
        );
        let mut b = CodeBuffer::new();
        let nowhere = b.label();
        b.put(&[0, 0]);
        b.fixup(0, nowhere, 0);
        assert_eq!(b.finish(patch), Err(FixupError::Unbound(nowhere)));
    }
}
