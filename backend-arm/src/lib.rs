//! The ARMv7-A backend of tracejit: the A32 instruction set with VFPv3-D16, under the
//! hard-float (`gnueabihf`) and softfp (`gnueabi`) calling conventions.
//!
//! Not written yet: it arrives after the x86-64 backend (see ARCHITECTURE.md). Its A32
//! encoder will be shared with backend-armv5.
