//! A test-kit target's runners on pooled emulated machines: [`PooledTrace`] (a `Runner`)
//! and [`PooledTree`] (a `TreeRunner`), written once for every machine. Each takes a
//! machine from its target's pool, logs the calls of a run as the interpreter does
//! ([`CallLog`]), records what a run executed when the target counts, and gives the
//! machine back to the pool when dropped.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use jit_core::backend::{Backend, CompiledTrace};
use jit_core::interp::{CallRecord, Outcome, RunOptions};
use jit_core::ir::Scalar;
use jit_core::runtime::{RunError, Runner};
use jit_core::Memory;

use crate::{EmuMachine, EmuTrace, EmuTree, Executed};

/// The calls a run made, as the interpreter logs them: the first
/// [`jit_core::interp::CALL_LOG_LIMIT`], and how many in all.
#[derive(Default)]
pub struct CallLog {
    records: Vec<CallRecord>,
    count: u64,
}

impl CallLog {
    /// Logs a call.
    pub fn push(&mut self, r: CallRecord) {
        self.count += 1;
        if self.records.len() < jit_core::interp::CALL_LOG_LIMIT {
            self.records.push(r);
        }
    }

    /// Moves the log into `out` (emptying it).
    fn take_into(&mut self, out: &mut Outcome) {
        let log = std::mem::take(self);
        out.calls = log.records;
        out.call_count = log.count;
    }
}

/// Where a pooled runner's machine comes from and goes back to, and what its target asks
/// of the code and the runs.
pub struct Pool<M> {
    /// Spare machines.
    pub machines: Rc<RefCell<Vec<M>>>,
    /// Where each run's instruction count goes, when the target counts.
    pub executed: Option<Rc<Cell<Executed>>>,
}

impl<M> Clone for Pool<M> {
    fn clone(&self) -> Pool<M> {
        Pool {
            machines: self.machines.clone(),
            executed: self.executed.clone(),
        }
    }
}

impl<M: EmuMachine> Pool<M> {
    /// Gives `machine` back: a few spare machines are enough, as each holds its own guest
    /// memory.
    fn give_back(&self, machine: M) {
        let mut pool = self.machines.borrow_mut();
        if pool.len() < 4 {
            pool.push(machine);
        }
    }

    /// After a run on `machine`: records what it executed, when counting.
    fn ran(&self, machine: &M) {
        if let Some(cell) = &self.executed {
            cell.set(machine.executed());
        }
    }
}

/// A compiled trace on a pooled machine: a `Runner`.
pub struct PooledTrace<M: EmuMachine> {
    inner: Option<EmuTrace<M>>,
    log: Rc<RefCell<CallLog>>,
    pool: Pool<M>,
}

impl<M: EmuMachine> PooledTrace<M> {
    /// `inner`, whose calls log into `log`, its machine going back to `pool`.
    pub fn new(inner: EmuTrace<M>, log: Rc<RefCell<CallLog>>, pool: Pool<M>) -> PooledTrace<M> {
        PooledTrace {
            inner: Some(inner),
            log,
            pool,
        }
    }
}

impl<M: EmuMachine> Drop for PooledTrace<M> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            self.pool.give_back(inner.into_machine());
        }
    }
}

impl<M: EmuMachine> Runner for PooledTrace<M> {
    fn run(
        &mut self,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
    ) -> Result<Outcome, RunError> {
        *self.log.borrow_mut() = CallLog::default();
        let inner = self
            .inner
            .as_mut()
            .expect("the machine is only taken on drop");
        let ran = inner.run(inputs, memory, options);
        self.pool.ran(inner.machine());
        let mut out = ran?;
        self.log.borrow_mut().take_into(&mut out);
        Ok(out)
    }
}

/// What a target checks of every part of a tree before it loads (ARMv5TE: that no newer
/// instruction is in it).
pub type CodeCheck<'a> = Box<dyn Fn(&CompiledTrace) -> Result<(), RunError> + 'a>;

/// A tree on a pooled machine (see [`EmuTree`]): a `TreeRunner`. Every part is checked by
/// `check` (ARMv5TE's checker, say) before it loads.
pub struct PooledTree<'a, M: EmuMachine> {
    backend: &'a dyn Backend,
    check: CodeCheck<'a>,
    tree: Option<EmuTree<M>>,
    log: Rc<RefCell<CallLog>>,
    pool: Pool<M>,
}

impl<'a, M: EmuMachine> PooledTree<'a, M> {
    /// `tree`, compiled by `backend`, whose calls log into `log`, its machine going back to
    /// `pool`; parts attached later pass `check` first.
    pub fn new(
        backend: &'a dyn Backend,
        check: CodeCheck<'a>,
        tree: EmuTree<M>,
        log: Rc<RefCell<CallLog>>,
        pool: Pool<M>,
    ) -> PooledTree<'a, M> {
        PooledTree {
            backend,
            check,
            tree: Some(tree),
            log,
            pool,
        }
    }

    /// The emulated tree.
    pub fn tree(&mut self) -> &mut EmuTree<M> {
        self.tree.as_mut().expect("the tree is only taken on drop")
    }
}

impl<M: EmuMachine> Drop for PooledTree<'_, M> {
    fn drop(&mut self) {
        if let Some(tree) = self.tree.take() {
            self.pool.give_back(tree.into_machine());
        }
    }
}

impl<M: EmuMachine> jit_testkit::tree::TreeRunner for PooledTree<'_, M> {
    fn exits(&self) -> &jit_core::tree::Exits {
        self.tree
            .as_ref()
            .expect("the tree is only taken on drop")
            .exits()
    }

    fn attach(&mut self, at: u32, bridge: CompiledTrace) -> Result<(), RunError> {
        (self.check)(&bridge)?;
        let backend = self.backend;
        self.tree().attach(backend, at, bridge)
    }

    fn add_loop(&mut self, code: CompiledTrace) -> Result<usize, RunError> {
        (self.check)(&code)?;
        let backend = self.backend;
        self.tree().add_loop(backend, code)
    }

    fn add_entry(&mut self, code: CompiledTrace) -> Result<usize, RunError> {
        (self.check)(&code)?;
        let backend = self.backend;
        self.tree().add_entry(backend, code)
    }

    fn run_from(
        &mut self,
        part: usize,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
        jumps: Option<u64>,
    ) -> Result<jit_core::tree::Stop, RunError> {
        *self.log.borrow_mut() = CallLog::default();
        let tree = self.tree.as_mut().expect("the tree is only taken on drop");
        let ran = tree.run_from(part, inputs, memory, options, jumps);
        self.pool.ran(tree.machine());
        let mut stop = ran?;
        if let jit_core::tree::Stop::Exit(_, out) = &mut stop {
            self.log.borrow_mut().take_into(out);
        }
        Ok(stop)
    }

    fn invalidate(&mut self) {
        self.tree().invalidate();
    }

    fn run(
        &mut self,
        inputs: &[Scalar],
        memory: &mut Memory,
        options: RunOptions,
    ) -> Result<(usize, Outcome), RunError> {
        *self.log.borrow_mut() = CallLog::default();
        let tree = self.tree.as_mut().expect("the tree is only taken on drop");
        let ran = tree.run(inputs, memory, options);
        self.pool.ran(tree.machine());
        let (part, mut out) = ran?;
        self.log.borrow_mut().take_into(&mut out);
        Ok((part, out))
    }
}
