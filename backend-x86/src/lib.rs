//! The x86-64 backend of tracejit: System V ABI, integers natively, f64 in SSE2.
//!
//! Not written yet: it arrives with the `Backend` trait and the shared register allocator
//! (see ARCHITECTURE.md). Until then this crate holds nothing, so that the workspace
//! already has its final shape.
