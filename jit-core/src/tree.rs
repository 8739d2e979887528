//! A tree of compiled code: a root trace and the bridges attached to its guards (and to
//! theirs), in one code space, with exits numbered across the tree.
//!
//! Attaching a bridge loads its code next to the root's, links its jump to the root's
//! epilogue, and patches the guard's branches to go straight to it, and its exit stub to
//! jump there too ([`crate::codespace::patch`], so the code is never writable and executable
//! at once). From then on the guard's failure runs the bridge with the fail args where the
//! guard left them.
//!
//! [`Exits`] is the bookkeeping every executor shares; [`NativeTree`] runs a tree on this
//! machine (jit-emu has the emulated one).

use crate::backend::{Backend, CompiledTrace};
use crate::codespace::{CodeSpace, CodeSpaceError, NativeCodeSpace};
use crate::emit::RelocTarget;
use crate::interp::{Outcome, RunOptions};
use crate::ir::{Scalar, Type};
use crate::memory::Memory;
use crate::runtime::{fill_frame, read_exit, HostMemory, RunError};

/// Where a tree-wide exit index leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeExit {
    /// Exit `exit` of part `part` (0: the root, then bridges in the order attached).
    Exit {
        /// The part.
        part: usize,
        /// The exit's index in that part's `exits`.
        exit: usize,
    },
    /// The tree's run ran out of budget at the `jump` of part `part`.
    Budget {
        /// The part whose jump it was.
        part: usize,
    },
}

/// The parts of a tree and its exits, numbered tree-wide: the root's exits and its budget
/// exit, then each further part's exits and budget exit in the order added.
///
/// A tree has one or more loops (the root first, entered by a run; further loops added
/// with [`Exits::add_loop`], entered by bridges that jump to their labels), bridges, each
/// growing out of a guard of a part before it, and entries ([`Exits::add_entry`]: a run
/// may start at one, which jumps to a label). Label tokens are unique in a tree.
#[derive(Clone, Debug)]
pub struct Exits {
    /// The root, then each further loop and bridge in the order added.
    pub parts: Vec<CompiledTrace>,
    /// For each part, the loop it belongs to: itself for a loop, for a bridge the loop of
    /// the part its guard is in, for an entry the loop its jump goes to.
    pub loop_of: Vec<usize>,
    /// Where each tree-wide exit index leads.
    pub index: Vec<TreeExit>,
    /// For each tree-wide exit, the part its bridge is (if one is attached).
    pub bridges: Vec<Option<usize>>,
    /// Whether the tree has been invalidated ([`Exits::invalidate`]): for good, unlike a
    /// run with [`RunOptions::invalidated`].
    pub invalidated: bool,
    /// Whether the parts' invalidation sites are patched now.
    patched: bool,
    /// Each part's code as it is when its sites are not patched: as loaded (relocated),
    /// with every guard branch and stub patched to a bridge since. Restoring a site copies
    /// from here, so a guard's branch inside a site's room keeps its bridge.
    images: Vec<Vec<u8>>,
}

impl Exits {
    /// The bookkeeping of a tree with only its root.
    pub fn new(root: CompiledTrace) -> Exits {
        let mut index: Vec<TreeExit> = (0..root.exits.len())
            .map(|exit| TreeExit::Exit { part: 0, exit })
            .collect();
        index.push(TreeExit::Budget { part: 0 });
        Exits {
            bridges: vec![None; index.len()],
            index,
            images: vec![root.code.clone()],
            parts: vec![root],
            loop_of: vec![0],
            invalidated: false,
            patched: false,
        }
    }

    /// The tree-wide index the next bridge's first exit gets (`BridgeFrom::first_exit`).
    pub fn next_exit(&self) -> u32 {
        self.index.len() as u32
    }

    /// The compiled trace tree-wide exit `index` is in, and its index there.
    pub fn locate(&self, index: u32) -> Option<(&CompiledTrace, usize)> {
        match self.index.get(index as usize)? {
            &TreeExit::Exit { part, exit } => Some((&self.parts[part], exit)),
            TreeExit::Budget { .. } => None,
        }
    }

    /// Checks that `bridge` can be attached at tree-wide exit `at` (a guard without a
    /// bridge, the bridge numbered from [`Exits::next_exit`]) and records it; returns the
    /// part holding the guard and the guard's index there.
    pub fn add(&mut self, at: u32, bridge: CompiledTrace) -> Result<(usize, usize), RunError> {
        let bad = |why: String| Err(RunError::Inputs(format!("cannot attach the bridge: {why}")));
        let Some(&TreeExit::Exit { part, exit }) = self.index.get(at as usize) else {
            return bad(format!("exit {at} is not a guard of the tree"));
        };
        if self.parts[part].exits[exit].finish {
            return bad(format!("exit {at} is a finish"));
        }
        if self.bridges[at as usize].is_some() {
            return bad(format!("exit {at} already has a bridge"));
        }
        if bridge.first_exit != self.next_exit() {
            return bad(format!(
                "it numbers its exits from {}, the tree's next is {}",
                bridge.first_exit,
                self.next_exit()
            ));
        }
        let new = self.parts.len();
        self.push_exits(&bridge);
        self.bridges[at as usize] = Some(new);
        self.parts.push(bridge);
        self.loop_of.push(self.loop_of[part]);
        Ok((part, exit))
    }

    /// Checks that `code` (compiled with `compile::compile_loop` from
    /// [`Exits::next_exit`] in this tree's frame) can be added as a further loop — its
    /// labels' tokens new to the tree — and records it; returns its part number.
    pub fn add_loop(&mut self, code: CompiledTrace) -> Result<usize, RunError> {
        let bad = |why: String| Err(RunError::Inputs(format!("cannot add the loop: {why}")));
        if code.loop_header().is_none() {
            return bad("it has no label".into());
        }
        if code.first_exit != self.next_exit() {
            return bad(format!(
                "it numbers its exits from {}, the tree's next is {}",
                code.first_exit,
                self.next_exit()
            ));
        }
        if code.frame != self.parts[0].frame {
            return bad("it was compiled for another native frame than the tree's".into());
        }
        if let Some(t) = code.labels.iter().find(|l| {
            self.parts
                .iter()
                .any(|p| p.label_with_token(l.token).is_some())
        }) {
            return bad(format!(
                "a label of the tree has its token Target{}",
                t.token
            ));
        }
        let new = self.parts.len();
        self.push_exits(&code);
        self.parts.push(code);
        self.loop_of.push(new);
        Ok(new)
    }

    /// Numbers the exits of part `code` (the next part) and its budget exit tree-wide.
    fn push_exits(&mut self, code: &CompiledTrace) {
        let part = self.parts.len();
        for exit in 0..code.exits.len() {
            self.index.push(TreeExit::Exit { part, exit });
            self.bridges.push(None);
        }
        self.index.push(TreeExit::Budget { part });
        self.bridges.push(None);
    }

    /// Checks that `code` (compiled with `compile::compile_entry` from
    /// [`Exits::entry_in`]) can be added as an entry — its jump to a label of the tree —
    /// and records it; returns its part number.
    pub fn add_entry(&mut self, code: CompiledTrace) -> Result<usize, RunError> {
        let bad = |why: String| Err(RunError::Inputs(format!("cannot add the entry: {why}")));
        if code.first_exit != self.next_exit() {
            return bad(format!(
                "it numbers its exits from {}, the tree's next is {}",
                code.first_exit,
                self.next_exit()
            ));
        }
        if code.frame != self.parts[0].frame {
            return bad("it was compiled for another native frame than the tree's".into());
        }
        let Some(owner) = code
            .jump_token
            .and_then(|t| self.label_owner(t))
            .filter(|_| code.labels.is_empty())
        else {
            return bad("it must jump to a label of the tree and have none of its own".into());
        };
        let new = self.parts.len();
        self.push_exits(&code);
        self.parts.push(code);
        self.loop_of.push(owner);
        Ok(new)
    }

    /// What `compile::compile_entry` needs to compile an entry of this tree.
    pub fn entry_in(&self) -> crate::compile::EntryIn<'_> {
        crate::compile::EntryIn {
            first_exit: self.next_exit(),
            tree: &self.parts,
        }
    }

    /// The loop with a label with token `token`.
    pub fn label_owner(&self, token: u32) -> Option<usize> {
        (0..self.parts.len())
            .find(|&p| self.loop_of[p] == p && self.parts[p].label_with_token(token).is_some())
    }

    /// Where a run that returned budget exit `index` stopped: the part whose jump ran out
    /// of budget, the token of the label it was going to, and its values there (read from
    /// `frame`, refs through `to_virtual`). `None` if `index` is no budget exit.
    pub fn read_budget(
        &self,
        index: u64,
        frame: &[u64],
        to_virtual: impl Fn(u64) -> u64,
    ) -> Option<(usize, u32, Vec<Scalar>)> {
        let &TreeExit::Budget { part } = self.index.get(index as usize)? else {
            return None;
        };
        let code = &self.parts[part];
        let token = code.jump_token?;
        let values = crate::runtime::read_values(code, &code.budget_values, frame, to_virtual);
        Some((part, token, values))
    }

    /// What `compile::compile_loop` needs to compile a further loop of this tree.
    pub fn loop_in(&self) -> crate::compile::LoopIn<'_> {
        crate::compile::LoopIn {
            first_exit: self.next_exit(),
            frame: &self.parts[0].frame,
        }
    }

    /// The tree-wide index of the exit with id `id` in part `part`.
    pub fn find(&self, part: usize, id: crate::ir::ExitId) -> Option<u32> {
        self.index
            .iter()
            .position(|x| match *x {
                TreeExit::Exit { part: p, exit } => p == part && self.parts[p].exits[exit].id == id,
                TreeExit::Budget { .. } => false,
            })
            .map(|k| k as u32)
    }

    /// Where a bridge for the guard with exit id `id` in part `part` grows from: its
    /// tree-wide exit index (what to attach the bridge at) and what `compile_bridge` takes.
    pub fn bridge_from(
        &self,
        part: usize,
        id: crate::ir::ExitId,
    ) -> Option<(u32, crate::compile::BridgeFrom<'_>)> {
        let at = self.find(part, id)?;
        let TreeExit::Exit { exit, .. } = self.index[at as usize] else {
            return None;
        };
        Some((
            at,
            crate::compile::BridgeFrom {
                parent: &self.parts[part],
                exit,
                first_exit: self.next_exit(),
                root: &self.parts[self.loop_of[part]],
                tree: &self.parts,
            },
        ))
    }

    /// Invalidates the tree for good: from the next run on, every `guard_not_invalidated`
    /// of every part (bridges attached later included) leaves through its exit.
    pub fn invalidate(&mut self) {
        self.invalidated = true;
    }

    /// Brings the parts loaded at `addrs` in `space` to the invalidation state a run with
    /// `options` needs: patched if the tree is invalidated or the run is as if invalidated,
    /// as compiled otherwise.
    pub fn sync_invalidation(
        &mut self,
        space: &mut dyn CodeSpace,
        addrs: &[u64],
        options: RunOptions,
    ) -> Result<(), RunError> {
        let on = self.invalidated || options.invalidated;
        if on != self.patched {
            for ((part, &addr), image) in self.parts.iter().zip(addrs).zip(&self.images) {
                set_invalidated_from(space, part, addr, on, image)?;
            }
            self.patched = on;
        }
        Ok(())
    }

    /// Whether the parts' invalidation sites are patched now.
    pub fn patched(&self) -> bool {
        self.patched
    }

    /// Records that the sites were patched during a run (by `@tracejit_invalidate`): the
    /// next run that is not invalidated restores them.
    pub fn set_patched(&mut self) {
        self.patched = true;
    }

    /// Each site of each part loaded at `addrs` with its patch, unless they are patched
    /// already: what a run's `@tracejit_invalidate` writes.
    pub fn pending_patches(&self, addrs: &[u64]) -> Vec<(u64, Vec<u8>)> {
        if self.patched {
            return Vec::new();
        }
        self.parts
            .iter()
            .zip(addrs)
            .flat_map(|(p, &a)| site_patches(p, a))
            .collect()
    }

    /// The most frame words any part needs.
    pub fn frame_words(&self) -> u32 {
        self.parts.iter().map(|p| p.frame_words).max().unwrap_or(0)
    }

    /// Reads the outcome of a run that returned tree-wide exit `index`: which part it left
    /// from, and the outcome in that part's terms (its exit id, values, and steps counted
    /// in that part).
    pub fn read(
        &self,
        index: u64,
        frame: &[u64],
        options: RunOptions,
        to_virtual: impl Fn(u64) -> u64,
    ) -> Result<(usize, Outcome), RunError> {
        match self.index.get(index as usize) {
            Some(TreeExit::Budget { .. }) => Err(RunError::StepBudget {
                steps: options.step_budget,
            }),
            Some(&TreeExit::Exit { part, exit }) => {
                let out = read_exit(&self.parts[part], exit as u64, frame, options, &to_virtual)?;
                Ok((part, out))
            }
            None if index & 0xffff_ffff == crate::emit::BAD_CALLEE_EXIT as u64 => {
                Err(RunError::BadCallee)
            }
            None => Err(RunError::BadExit(index)),
        }
    }
}

/// Where a run of a tree started at some part with a given number of jumps stopped.
#[derive(Clone, Debug, PartialEq)]
pub enum Stop {
    /// It left through an exit: the part and the outcome there.
    Exit(usize, Outcome),
    /// Its jumps ran out at the `jump` of part `part`, going to the label with token
    /// `token` with `values`: a run from an entry to that label goes on from there.
    OutOfJumps {
        /// The part whose jump it was.
        part: usize,
        /// The token of the label the jump goes to.
        token: u32,
        /// The jump's values.
        values: Vec<Scalar>,
    },
}

impl Stop {
    /// The run's outcome: the part it left from and the outcome there; running out of
    /// jumps is the step-budget error under `options`.
    pub fn into_exit(self, options: RunOptions) -> Result<(usize, Outcome), RunError> {
        match self {
            Stop::Exit(part, out) => Ok((part, out)),
            Stop::OutOfJumps { .. } => Err(RunError::StepBudget {
                steps: options.step_budget,
            }),
        }
    }
}

impl Exits {
    /// The input types of part `part` when a run starts there: the root's are
    /// `root_types`; an entry's, its label's.
    pub fn input_types(&self, part: usize, root_types: &[Type]) -> Result<Vec<Type>, RunError> {
        if part == 0 {
            return Ok(root_types.to_vec());
        }
        let code = self
            .parts
            .get(part)
            .ok_or_else(|| RunError::Inputs(format!("the tree has no part {part}")))?;
        match code.jump_token {
            Some(t) if code.labels.is_empty() && self.loop_of[part] != part => {
                let owner = &self.parts[self.loop_of[part]];
                Ok(owner
                    .label_with_token(t)
                    .map(|l| l.types.clone())
                    .unwrap_or_default())
            }
            _ => Err(RunError::Inputs(format!(
                "part {part} is no entry: a run starts at the root or an entry"
            ))),
        }
    }

    /// The outcome of a run that returned `index` with `frame`, as a [`Stop`]: a budget
    /// exit is [`Stop::OutOfJumps`] when `jumps` were given (the caller resumes), else a
    /// step-budget error.
    pub fn stop(
        &self,
        index: u64,
        frame: &[u64],
        options: RunOptions,
        jumps: Option<u64>,
        to_virtual: impl Fn(u64) -> u64,
    ) -> Result<Stop, RunError> {
        if jumps.is_some() {
            if let Some((part, token, values)) = self.read_budget(index, frame, &to_virtual) {
                return Ok(Stop::OutOfJumps {
                    part,
                    token,
                    values,
                });
            }
        }
        let (part, mut out) = self.read(index, frame, options, to_virtual)?;
        // The jumps of the whole run, whichever parts made them.
        let budget = self.parts[0].layout.budget as usize;
        out.iterations = start_jumps(self, options, jumps).saturating_sub(frame[budget]);
        Ok(Stop::Exit(part, out))
    }
}

/// The budget word a run starts with: `jumps` if given, else what the root's rule allows
/// under `options`.
pub fn start_jumps(exits: &Exits, options: RunOptions, jumps: Option<u64>) -> u64 {
    jumps.unwrap_or_else(|| crate::runtime::jumps_allowed(&exits.parts[0], options))
}

/// Where a bridge's references to its tree go, once the tree's loops are loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootLinks {
    /// The root's epilogue: where a bridge's exits leave (every loop of a tree has the
    /// same).
    pub epilogue: u64,
    /// Every loop's labels by token, with their addresses: where a bridge's jump goes.
    pub labels: Vec<(u32, u64)>,
}

impl RootLinks {
    /// The links of `root` loaded at `addr`.
    pub fn of(root: &CompiledTrace, addr: u64) -> RootLinks {
        RootLinks::of_tree(std::slice::from_ref(root), &[addr])
    }

    /// The links of a tree whose parts (`parts[0]` the root) are loaded at `addrs`.
    pub fn of_tree(parts: &[CompiledTrace], addrs: &[u64]) -> RootLinks {
        RootLinks {
            epilogue: addrs[0] + parts[0].epilogue as u64,
            labels: parts
                .iter()
                .zip(addrs)
                .flat_map(|(p, &a)| p.labels.iter().map(move |l| (l.token, a + l.offset as u64)))
                .collect(),
        }
    }
}

/// Loads `code` (compiled by `backend`) into `space`, linking its relocations to the root
/// (`root`; nothing for the root itself); calls keep the addresses they were compiled
/// with. Returns the code's address and the bytes written there.
pub fn load_part(
    space: &mut dyn CodeSpace,
    backend: &dyn Backend,
    code: &CompiledTrace,
    root: Option<&RootLinks>,
) -> Result<(u64, Vec<u8>), RunError> {
    let map = |e: CodeSpaceError| RunError::Map(e.to_string());
    let addr = space.allocate(code.code.len().max(1)).map_err(map)?;
    let mut bytes = code.code.clone();
    for r in &code.relocs {
        let label =
            |root: &RootLinks, t: u32| root.labels.iter().find(|&&(k, _)| k == t).map(|&(_, a)| a);
        let to = match (r.target, root) {
            (RelocTarget::Extern(_), _) => continue,
            (RelocTarget::RootEpilogue, Some(root)) => root.epilogue,
            (RelocTarget::RootLabel(t), Some(root)) if label(root, t).is_some() => {
                label(root, t).unwrap_or_default()
            }
            (target, _) => {
                return Err(RunError::Map(format!(
                    "linking the bridge: nothing to link {target:?} to"
                )))
            }
        };
        backend
            .relocate(r, &mut bytes, addr, to)
            .map_err(|e| RunError::Map(format!("linking the bridge: {e}")))?;
    }
    space.write(addr, &bytes).map_err(map)?;
    space.flush(addr, bytes.len()).map_err(map)?;
    Ok((addr, bytes))
}

/// Patches every `guard_not_invalidated` site of `part` (loaded at `addr`) into a jump to
/// its exit (`on`), or back to the code as compiled (`!on`), and flushes each.
pub fn set_invalidated(
    space: &mut dyn CodeSpace,
    part: &CompiledTrace,
    addr: u64,
    on: bool,
) -> Result<(), RunError> {
    set_invalidated_from(space, part, addr, on, &part.code)
}

/// [`set_invalidated`], restoring the sites from `image` (the part's code as it is when
/// not invalidated: relocated, its guards' branches patched to bridges).
pub fn set_invalidated_from(
    space: &mut dyn CodeSpace,
    part: &CompiledTrace,
    addr: u64,
    on: bool,
    image: &[u8],
) -> Result<(), RunError> {
    for site in &part.invalidation {
        let at = site.at as usize;
        let bytes = if on {
            &site.patch[..]
        } else {
            image
                .get(at..at + site.patch.len())
                .ok_or_else(|| RunError::Map("an invalidation site past the code".into()))?
        };
        crate::codespace::patch(space, addr + site.at as u64, bytes)
            .map_err(|e| RunError::Map(e.to_string()))?;
    }
    Ok(())
}

/// Brings one trace loaded at `addr` (its sites patched now if `*patched`) to the state a
/// run with `options` needs: the single-trace executors' [`Exits::sync_invalidation`].
pub fn sync_invalidated(
    space: &mut dyn CodeSpace,
    code: &CompiledTrace,
    addr: u64,
    patched: &mut bool,
    options: RunOptions,
) -> Result<(), RunError> {
    if options.invalidated != *patched {
        set_invalidated(space, code, addr, options.invalidated)?;
        *patched = options.invalidated;
    }
    Ok(())
}

/// The tree (or trace) running natively on this thread, for `@tracejit_invalidate`.
struct Running {
    /// The code space the running code is in (it outlives the run: see [`with_running`]).
    space: *mut NativeCodeSpace,
    /// Each invalidation site's address and patch; empty if they are patched already.
    sites: Vec<(u64, Vec<u8>)>,
    /// Whether the sites were patched during the run.
    fired: bool,
    /// Why patching failed, if it did.
    error: Option<String>,
}

thread_local! {
    static RUNNING: std::cell::RefCell<Option<Running>> = const { std::cell::RefCell::new(None) };
}

/// What `@tracejit_invalidate` does in native code: patches every invalidation site of the
/// code running on this thread (once), so the rest of the run leaves through them. Does
/// nothing outside a run.
pub(crate) fn invalidate_running() {
    RUNNING.with(|r| {
        let mut r = r.borrow_mut();
        let Some(run) = r.as_mut() else { return };
        if run.fired {
            return;
        }
        run.fired = true;
        for (addr, bytes) in &run.sites {
            // SAFETY: `space` points at the code space of the run in progress, which
            // `with_running` keeps alive and otherwise untouched until the run returns; the
            // code that called us is suspended in this call, and the patch lies in the
            // space (the write checks), outside any instruction that executes again
            // (the emitter kept every branch target clear of it).
            let space = unsafe { &mut *run.space };
            if let Err(e) = crate::codespace::patch(space, *addr, bytes) {
                run.error = Some(e.to_string());
                return;
            }
        }
    });
}

/// Runs `f` (which enters code in `space`) with `@tracejit_invalidate` patching `sites`
/// (addresses and patches) during it; returns `f`'s result and whether the sites were
/// patched.
pub fn with_running<T>(
    space: &mut NativeCodeSpace,
    sites: Vec<(u64, Vec<u8>)>,
    f: impl FnOnce() -> T,
) -> Result<(T, bool), RunError> {
    RUNNING.with(|r| {
        *r.borrow_mut() = Some(Running {
            space: space as *mut NativeCodeSpace,
            sites,
            fired: false,
            error: None,
        })
    });
    let out = f();
    let run = RUNNING.with(|r| r.borrow_mut().take());
    match run {
        Some(Running { error: Some(e), .. }) => {
            Err(RunError::Map(format!("invalidating the running code: {e}")))
        }
        Some(run) => Ok((out, run.fired)),
        None => Ok((out, false)),
    }
}

/// Each invalidation site of `part` loaded at `addr`, with its patch.
pub fn site_patches(part: &CompiledTrace, addr: u64) -> impl Iterator<Item = (u64, Vec<u8>)> + '_ {
    part.invalidation
        .iter()
        .map(move |s| (addr + s.at as u64, s.patch.clone()))
}

/// Patches exit stub `stub` (an address) into a jump to `target`.
pub fn patch_stub(
    space: &mut dyn CodeSpace,
    backend: &dyn Backend,
    stub: u64,
    target: u64,
) -> Result<Vec<u8>, RunError> {
    let bytes = backend
        .jump_patch(stub, target)
        .map_err(|e| RunError::Map(format!("patching the guard: {e}")))?;
    crate::codespace::patch(space, stub, &bytes).map_err(|e| RunError::Map(e.to_string()))?;
    Ok(bytes)
}

/// Attaches code at `target` to exit `exit` of the part loaded at `part_addr`: every branch
/// of the guard to its stub is retargeted to go straight there, and the stub jumps there
/// too. `image` is the part's code as it is when not invalidated: each branch is rewritten
/// from its bytes there (the live bytes may be a site's patched jump), and the patches are
/// made to it as well.
pub fn patch_exit(
    space: &mut dyn CodeSpace,
    backend: &dyn Backend,
    part: &CompiledTrace,
    part_addr: u64,
    exit: usize,
    target: u64,
    image: &mut [u8],
) -> Result<(), RunError> {
    let map = |e: CodeSpaceError| RunError::Map(e.to_string());
    let record = |image: &mut [u8], off: usize, bytes: &[u8]| {
        if let Some(dst) = image.get_mut(off..off + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    };
    for b in part
        .exit_branches
        .iter()
        .filter(|b| b.exit as usize == exit)
    {
        let at = part_addr + b.at as u64;
        let off = b.at as usize;
        let old = image
            .get(off..off + 4)
            .ok_or_else(|| RunError::Map("a guard's branch past the code".into()))?
            .to_vec();
        let bytes = backend
            .branch_patch(b.kind, &old, at, target)
            .map_err(|e| RunError::Map(format!("patching the guard: {e}")))?;
        crate::codespace::patch(space, at, &bytes).map_err(map)?;
        record(image, off, &bytes);
    }
    let stub = part.exit_states[exit].stub;
    let bytes = patch_stub(space, backend, part_addr + stub as u64, target)?;
    record(image, stub as usize, &bytes);
    Ok(())
}

/// Attaches `bridge` at tree-wide exit `at` of the tree whose parts `exits` are loaded at
/// `addrs` in `space`: records it, loads and links it, and patches the guard. What every
/// executor's `attach` does once its bridge's calls are linked.
pub fn attach(
    space: &mut dyn CodeSpace,
    backend: &dyn Backend,
    exits: &mut Exits,
    addrs: &mut Vec<u64>,
    at: u32,
    bridge: CompiledTrace,
) -> Result<(), RunError> {
    let links = RootLinks::of_tree(&exits.parts, addrs);
    let (part, exit) = exits.add(at, bridge)?;
    let new = exits.parts.len() - 1;
    let (addr, image) = load_part(space, backend, &exits.parts[new], Some(&links))?;
    if exits.patched {
        set_invalidated(space, &exits.parts[new], addr, true)?;
    }
    addrs.push(addr);
    exits.images.push(image);
    let mut parent = std::mem::take(&mut exits.images[part]);
    let patched = patch_exit(
        space,
        backend,
        &exits.parts[part],
        addrs[part],
        exit,
        addr,
        &mut parent,
    );
    // A branch inside a patched site's room was just written over the site's jump: the
    // site goes back on top (the branch waits in the image for the site's restoring).
    let resited = match (&patched, exits.patched) {
        (Ok(()), true) => set_invalidated(space, &exits.parts[part], addrs[part], true),
        _ => Ok(()),
    };
    exits.images[part] = parent;
    patched.and(resited)
}

/// Adds `code` as a further root of the tree whose parts `exits` are loaded at `addrs` in
/// `space` — a loop (compiled with `compile::compile_loop` from [`Exits::loop_in`]) or an
/// entry (`compile::compile_entry` from [`Exits::entry_in`], linked to its label), as
/// `entry` says —
/// records it and loads it (invalidated if the tree's sites are patched now). Returns its
/// part number. What every executor's `add_loop` and `add_entry` do once calls are linked.
pub fn add_root(
    space: &mut dyn CodeSpace,
    backend: &dyn Backend,
    exits: &mut Exits,
    addrs: &mut Vec<u64>,
    code: CompiledTrace,
    entry: bool,
) -> Result<usize, RunError> {
    let new = if entry {
        exits.add_entry(code)?
    } else {
        exits.add_loop(code)?
    };
    let links = entry.then(|| RootLinks::of_tree(&exits.parts, addrs));
    let (addr, image) = load_part(space, backend, &exits.parts[new], links.as_ref())?;
    if exits.patched {
        set_invalidated(space, &exits.parts[new], addr, true)?;
    }
    addrs.push(addr);
    exits.images.push(image);
    Ok(new)
}

/// A tree running on this machine.
pub struct NativeTree {
    space: NativeCodeSpace,
    exits: Exits,
    addrs: Vec<u64>,
    input_types: Vec<Type>,
    /// The heap of the last run, emptied and reused by the next.
    heap: Option<crate::gcrun::NativeHeap>,
}

/// Bytes of code a native tree can hold.
pub const NATIVE_TREE_BYTES: usize = 16 << 20;

impl NativeTree {
    /// A tree whose root is `root` (compiled for this machine by `backend`); `input_types`
    /// are the root's input types.
    pub fn new(
        backend: &dyn Backend,
        root: CompiledTrace,
        input_types: Vec<Type>,
    ) -> Result<NativeTree, RunError> {
        if root.triple.architecture != target_lexicon::HOST.architecture {
            return Err(RunError::WrongHost {
                code: root.triple.to_string(),
            });
        }
        let mut space =
            NativeCodeSpace::new(NATIVE_TREE_BYTES).map_err(|e| RunError::Map(e.to_string()))?;
        let (addr, _) = load_part(&mut space, backend, &root, None)?;
        Ok(NativeTree {
            space,
            exits: Exits::new(root),
            addrs: vec![addr],
            input_types,
            heap: None,
        })
    }

    /// The tree's parts and exits.
    pub fn exits(&self) -> &Exits {
        &self.exits
    }

    /// Invalidates the tree for good ([`Exits::invalidate`]).
    pub fn invalidate(&mut self) {
        self.exits.invalidate();
    }

    /// Where part `part` is loaded, and its bytes as they are now (patches included).
    pub fn code(&self, part: usize) -> Result<(u64, Vec<u8>), RunError> {
        let addr = self.addrs[part];
        let len = self.exits.parts[part].code.len();
        let bytes = self
            .space
            .read(addr, len)
            .map_err(|e| RunError::Map(e.to_string()))?;
        Ok((addr, bytes))
    }

    /// Attaches `bridge` (compiled by `backend` with `compile_bridge` from tree-wide exit
    /// `at`, numbered from [`Exits::next_exit`]): loads it and patches the guard's stub.
    pub fn attach(
        &mut self,
        backend: &dyn Backend,
        at: u32,
        bridge: CompiledTrace,
    ) -> Result<(), RunError> {
        attach(
            &mut self.space,
            backend,
            &mut self.exits,
            &mut self.addrs,
            at,
            bridge,
        )
    }

    /// Adds a further loop (compiled by `backend` with `compile::compile_loop` from
    /// [`Exits::loop_in`]); returns its part number.
    pub fn add_loop(
        &mut self,
        backend: &dyn Backend,
        code: CompiledTrace,
    ) -> Result<usize, RunError> {
        add_root(
            &mut self.space,
            backend,
            &mut self.exits,
            &mut self.addrs,
            code,
            false,
        )
    }

    /// Runs the tree from its root; returns the part it left from and the outcome there.
    pub fn run(
        &mut self,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
    ) -> Result<(usize, Outcome), RunError> {
        self.run_from(0, inputs, memory, options, None)?
            .into_exit(options)
    }

    /// Adds an entry (compiled by `backend` with `compile::compile_entry` from
    /// [`Exits::entry_in`]); returns its part number.
    pub fn add_entry(
        &mut self,
        backend: &dyn Backend,
        code: CompiledTrace,
    ) -> Result<usize, RunError> {
        add_root(
            &mut self.space,
            backend,
            &mut self.exits,
            &mut self.addrs,
            code,
            true,
        )
    }

    /// Runs the tree from part `part` (the root or an entry) with `jumps` jumps allowed
    /// (else the root's rule under `options`); where it stopped.
    pub fn run_from(
        &mut self,
        part: usize,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
        jumps: Option<u64>,
    ) -> Result<Stop, RunError> {
        let types = self.exits.input_types(part, &self.input_types)?;
        let host = HostMemory::new(memory)?;
        self.exits
            .sync_invalidation(&mut self.space, &self.addrs, options)?;
        let code = &self.exits.parts[part];
        // One heap for the run, with the root's object types (bridges share them).
        let (gc, objects) = crate::runtime::start_native_gc(
            &mut self.heap,
            &self.exits.parts[0].objects,
            code.layout,
            memory,
            &host,
        )?;
        let mut frame = fill_frame(code, inputs, &types, options, |a| {
            crate::runtime::native_ref(&objects, &host, a)
        })?;
        frame.resize(self.exits.frame_words() as usize, 0);
        frame[code.layout.budget as usize] = start_jumps(&self.exits, options, jumps);
        if let Some(g) = &gc {
            crate::gcrun::fill_nursery_words(&g.heap, &g.layout, &mut frame);
        }
        crate::externs::take_native_calls();
        let used = self.space.used();
        let entry = self.addrs[part] as *const u8;
        let sites = self.exits.pending_patches(&self.addrs);
        let space = &mut self.space;
        let run = || {
            with_running(space, sites, || {
                // SAFETY: every part was compiled for this architecture (checked in `new`
                // for the root; the other parts share its backend) and this tree's frame
                // layout, `part` is the root or an entry (which `input_types` checked),
                // entered through its prologue; the frame is as large as the largest part
                // needs, and the code touches memory only through the refs placed in the
                // frame, the heap, and the declared external functions; a fault in it
                // comes back as an error.
                unsafe { crate::fault::enter(entry, used, frame.as_mut_ptr()) }
            })
        };
        let ((index, fired), gc) = match gc {
            Some(g) => {
                let (out, g) = crate::gcrun::with_heap(g, run);
                (out?, Some(g))
            }
            None => (run()?, None),
        };
        if fired {
            self.exits.set_patched();
        }
        let index = index.map_err(|f| match f.signal {
            libc::SIGSEGV | libc::SIGBUS => {
                RunError::Fault(format!("{f}: {}", host.describe(f.addr)))
            }
            _ => RunError::Fault(f.to_string()),
        });
        let calls = crate::externs::take_native_calls();
        let index = index?;
        host.copy_back(memory);
        let gc = crate::runtime::check_native_gc(gc, index)?;
        let mut stop = self
            .exits
            .stop(index, &frame, options, jumps, |a| host.to_virtual(a))?;
        let values = match &mut stop {
            Stop::Exit(_, out) => &mut out.values,
            Stop::OutOfJumps { values, .. } => values,
        };
        crate::runtime::finish_native_gc(gc, &mut self.heap, &frame, values, memory, &host)?;
        if let Stop::Exit(_, out) = &mut stop {
            out.call_count = calls.len() as u64;
            out.calls = calls;
        }
        Ok(stop)
    }
}
