//! The targets the tool knows, found by their triple.

use std::fmt;

use backend_arm::FloatAbi;
use backend_x86::X86Backend;
use jit_emu::aarch64::A64Target;
use jit_emu::arm::ArmTarget;
use jit_testkit::{NativeTarget, Target};
use target_lexicon::{Architecture, ArmArchitecture, Environment, OperatingSystem, Triple};

/// A triple no backend compiles for (or that cannot run here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetError {
    /// The text is not a target triple.
    BadTriple(String),
    /// No backend compiles for this triple.
    Unsupported(String),
    /// The target exists but could not be set up (a cross compiler is missing).
    Setup(String),
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::BadTriple(t) => write!(f, "'{t}' is not a target triple"),
            TargetError::Unsupported(t) => {
                write!(f, "no backend for {t}; supported: {}", SUPPORTED.join(", "))
            }
            TargetError::Setup(e) => write!(f, "the target could not be set up: {e}"),
        }
    }
}

impl std::error::Error for TargetError {}

/// The triples there are backends for: everything that runs every target (the fuzzer, the
/// bench, the tree and object tests) runs these. A backend being brought up
/// (docs/adding-an-isa.md) has its triple in [`target`] first, where `tracejit conformance`
/// finds it, and joins this list when every family passes.
pub const SUPPORTED: &[&str] = &[
    "x86_64-unknown-linux-gnu",
    "armv7-unknown-linux-gnueabihf",
    "armv7-unknown-linux-gnueabi",
    "armv5te-unknown-linux-gnueabi",
    "aarch64-unknown-linux-gnu",
];

/// The target for `triple`: its backend and where its code runs. On ARM and AArch64, calls
/// to the test kit's functions that `abi.c` defines run that file's GCC-built code (JIT
/// code and GCC code meet at the calling convention); on x86-64 they run the host's.
pub fn target(triple: &str) -> Result<Box<dyn Target>, TargetError> {
    let t: Triple = triple
        .parse()
        .map_err(|_| TargetError::BadTriple(triple.to_string()))?;
    match (t.architecture, t.operating_system, t.environment) {
        (Architecture::X86_64, os, _) if os != OperatingSystem::Windows => {
            Ok(Box::new(NativeTarget::new(Box::new(X86Backend::new()))))
        }
        (
            Architecture::Arm(ArmArchitecture::Armv7),
            OperatingSystem::Linux,
            Environment::Gnueabihf,
        ) => Ok(Box::new(gcc(ArmTarget::new(FloatAbi::Hard))?)),
        (
            Architecture::Arm(ArmArchitecture::Armv7),
            OperatingSystem::Linux,
            Environment::Gnueabi,
        ) => Ok(Box::new(gcc(ArmTarget::new(FloatAbi::Softfp))?)),
        (
            Architecture::Arm(ArmArchitecture::Armv5te),
            OperatingSystem::Linux,
            Environment::Gnueabi,
        ) => Ok(Box::new(gcc(ArmTarget::armv5te())?)),
        (Architecture::Aarch64(_), OperatingSystem::Linux, Environment::Gnu) => Ok(Box::new(
            A64Target::new().calling_gcc().map_err(TargetError::Setup)?,
        )),
        _ => Err(TargetError::Unsupported(triple.to_string())),
    }
}

fn gcc(target: ArmTarget) -> Result<ArmTarget, TargetError> {
    target.calling_gcc().map_err(TargetError::Setup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_and_malformed_triples_are_errors() {
        assert_eq!(
            target("mips-unknown-linux-gnu")
                .err()
                .map(|e| e.to_string()),
            Some("no backend for mips-unknown-linux-gnu; supported: x86_64-unknown-linux-gnu, armv7-unknown-linux-gnueabihf, armv7-unknown-linux-gnueabi, armv5te-unknown-linux-gnueabi, aarch64-unknown-linux-gnu".into())
        );
        assert!(matches!(
            target("x86_64-pc-windows-msvc"),
            Err(TargetError::Unsupported(_))
        ));
        assert_eq!(
            target("not a triple!").err(),
            Some(TargetError::BadTriple("not a triple!".into()))
        );
        assert!(target("x86_64-unknown-linux-gnu").is_ok());
        assert_eq!(
            target("armv7-unknown-linux-gnueabihf")
                .unwrap()
                .backend()
                .name(),
            "armv7-hf"
        );
        assert_eq!(
            target("armv7-unknown-linux-gnueabi")
                .unwrap()
                .backend()
                .name(),
            "armv7-softfp"
        );
        assert_eq!(
            target("armv5te-unknown-linux-gnueabi")
                .unwrap()
                .backend()
                .name(),
            "armv5te"
        );
        assert_eq!(
            target("aarch64-unknown-linux-gnu")
                .unwrap()
                .backend()
                .name(),
            "aarch64"
        );
    }
}
