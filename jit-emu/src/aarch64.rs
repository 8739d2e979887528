//! AArch64 on unicorn's AArch64 model: the executor of backend-aarch64 (issue 19), as far
//! as it goes before the lowering. A machine loads a GCC-built static image and calls its
//! functions with AAPCS64 arguments, so `tests/abi_aarch64.rs` can check
//! `backend_aarch64::abi` against GCC's own code. Running compiled traces comes with the
//! backend's lowering.

use std::collections::HashMap;

use unicorn_engine::unicorn_const::{Arch, HookType, MemType, Mode, Prot};
use unicorn_engine::{RegisterARM64, Unicorn};

use crate::{access_kind, setup, EmuError, RETURN_ADDR, STACK_BASE, STACK_SIZE};

const PAGE: u64 = 4096;

/// Where [`build_fixture`] links images.
pub const FIXTURE_BASE: u64 = 0x0200_0000;

#[derive(Default)]
struct Data {
    blocks_left: u64,
    fault: Option<(&'static str, u64)>,
}

/// The argument and result registers of a call: `x0`–`x7` and the low 64 bits of
/// `v0`–`v7`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct A64Regs {
    /// `x0`–`x7`.
    pub x: [u64; 8],
    /// `d0`–`d7` (an `s` register is the low 32 bits of its `d`).
    pub d: [u64; 8],
}

/// One emulated AArch64 CPU with a stack and a return page.
pub struct A64Machine {
    uc: Unicorn<'static, Data>,
}

impl A64Machine {
    /// A fresh machine.
    pub fn new() -> Result<A64Machine, EmuError> {
        let mut uc = setup(Unicorn::new_with_data(
            Arch::ARM64,
            Mode::ARM,
            Data::default(),
        ))?;
        // SIMD and floating point trap until CPACR_EL1.FPEN lets EL1 and EL0 use them.
        setup(uc.reg_write(RegisterARM64::CPACR_EL1, 3 << 20))?;
        setup(uc.mem_map(STACK_BASE, STACK_SIZE, Prot::READ | Prot::WRITE))?;
        setup(uc.mem_map(RETURN_ADDR, PAGE, Prot::READ | Prot::EXEC))?;
        let hook = |uc: &mut Unicorn<'_, Data>, t: MemType, addr: u64, _size: usize, _v: i64| {
            uc.get_data_mut().fault = Some((access_kind(t), addr));
            false
        };
        setup(uc.add_mem_hook(HookType::MEM_INVALID, 0, u64::MAX, hook))?;
        let count = |uc: &mut Unicorn<'_, Data>, _addr: u64, _size: u32| {
            let data = uc.get_data_mut();
            if data.blocks_left == 0 {
                let _ = uc.emu_stop();
            } else {
                data.blocks_left -= 1;
            }
        };
        setup(uc.add_block_hook(0, u64::MAX, count))?;
        Ok(A64Machine { uc })
    }

    /// Loads a static AArch64 ELF64 image and returns its symbols.
    pub fn load_elf(&mut self, elf: &[u8]) -> Result<HashMap<String, u64>, EmuError> {
        crate::x86::map_elf64(&mut self.uc, elf)
    }

    /// Calls code at `addr` with `regs` and `stack` (the bytes above `sp` at the call, `sp`
    /// 16-byte aligned), returning to a stop address through `x30`, for at most `budget`
    /// basic blocks; returns the registers after.
    pub fn call_at(
        &mut self,
        addr: u64,
        regs: &A64Regs,
        stack: &[u8],
        budget: u64,
    ) -> Result<A64Regs, EmuError> {
        use RegisterARM64::*;
        const X: [RegisterARM64; 8] = [X0, X1, X2, X3, X4, X5, X6, X7];
        const D: [RegisterARM64; 8] = [D0, D1, D2, D3, D4, D5, D6, D7];
        for k in 0..8 {
            setup(self.uc.reg_write(X[k], regs.x[k]))?;
            setup(self.uc.reg_write(D[k], regs.d[k]))?;
        }
        let sp = (STACK_BASE + STACK_SIZE - 64 - stack.len() as u64) & !15;
        setup(self.uc.mem_write(sp, stack))?;
        setup(self.uc.reg_write(SP, sp))?;
        setup(self.uc.reg_write(X30, RETURN_ADDR))?;
        {
            let d = self.uc.get_data_mut();
            d.blocks_left = budget;
            d.fault = None;
        }
        let r = self.uc.emu_start(addr, RETURN_ADDR, 0, 0);
        let pc = self.uc.pc_read().unwrap_or(0);
        match r {
            Ok(()) if pc == RETURN_ADDR => {
                let mut out = A64Regs::default();
                for k in 0..8 {
                    out.x[k] = setup(self.uc.reg_read(X[k]))?;
                    out.d[k] = setup(self.uc.reg_read(D[k]))?;
                }
                Ok(out)
            }
            Ok(()) => Err(EmuError::Budget { blocks: budget, pc }),
            Err(e) => Err(match self.uc.get_data().fault {
                Some((kind, addr)) => EmuError::BadAccess { kind, addr, pc },
                None => EmuError::Setup(format!("{e:?} at {pc:#x}")),
            }),
        }
    }
}

/// `sources` built by the Debian cross compiler `aarch64-linux-gnu-gcc` (-O2, freestanding,
/// static, libgcc linked, floating-point contraction off) into one image at
/// [`FIXTURE_BASE`] that [`A64Machine::load_elf`] takes.
pub fn build_fixture(sources: &[std::path::PathBuf]) -> Result<Vec<u8>, String> {
    let mut args: Vec<String> = [
        "-O2",
        "-fno-math-errno",
        "-ffp-contract=off",
        "-ffreestanding",
        "-nostdlib",
        "-static",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("-Wl,-Ttext-segment={FIXTURE_BASE:#x}"));
    args.push("-Wl,-e,0".into());
    crate::arm::build_cached("aarch64-linux-gnu-gcc", &args, sources, "aarch64")
}

/// `jit-fixtures/c/abi.c` for AArch64: the test kit's functions of 0 to 16 arguments of
/// mixed types.
pub fn build_abi_fixture() -> Result<Vec<u8>, String> {
    let abi = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../jit-fixtures/c/abi.c");
    build_fixture(&[abi])
}
