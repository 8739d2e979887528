//! The register allocator every backend shares: one forward pass over the trace.
//!
//! **Why forward.** A trace is one straight line with at most one back edge, and its loop
//! body is closed over the label (docs/ir.md §1). A forward pass, as PyPy's backends do it,
//! sees values in the order the code runs: it can keep the loop-header layout fixed when it
//! reaches the label and make `jump` a parallel move back into that layout, and it can decide
//! a guard's fail-arg locations at the guard. (LuaJIT's backward pass suits its SSA snapshots
//! better; ours has none.) Lifetimes come from [`Liveness`]; when registers run out, the
//! value whose next use is furthest away is spilled to its frame slot, once: a value keeps
//! its slot, so spilling it again costs nothing.
//!
//! The allocator only reads the trace and the backend's [`OpConstraints`] and returns plain
//! data, an [`Allocation`]: operand and result locations per op, the moves to make before
//! each op, fail-arg locations, and the loop-header layout. [`crate::regcheck`] checks any
//! allocation against the same inputs.

use crate::backend::{class_of, Def, Loc, OpConstraints, Reg, RegClass, RegSet, RegisterInfo, Use};
use crate::ir::{EntityRef, Opcode, Operand, Trace, Value};
use crate::liveness::Liveness;

/// A move the lowering emits before an op, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    /// Source: register, slot or constant.
    pub from: Loc,
    /// Destination: register or slot.
    pub to: Loc,
    /// The class of the value moved (decides the instruction).
    pub class: RegClass,
}

/// The allocator's decisions for a whole trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allocation {
    arg_start: Vec<u32>,
    args: Vec<Loc>,
    results: Vec<Option<Loc>>,
    edit_start: Vec<u32>,
    edits: Vec<Move>,
    /// Per op: where its fail locations start in `fails`, and its slot high-water mark
    /// (see [`Allocation::guard_slots`]).
    fail_start: Vec<(u32, u32)>,
    fails: Vec<Loc>,
    /// Where each label argument lives at the loop header.
    pub label_locs: Vec<Loc>,
    /// Where each input is when the trace is entered (the [`Entry`] it was allocated from).
    pub entry: Vec<Loc>,
    /// Per op: where its entries in `live` start (ops whose constraints ask for them).
    live_start: Vec<u32>,
    /// The values live across such ops: every register holding one, and every slot
    /// holding a ref.
    live: Vec<(Loc, crate::ir::Type)>,
    /// Frame slots used (8 bytes each).
    pub slots: u32,
}

/// Where a trace's inputs are when it is entered, and the slots it must leave alone: a
/// root starts from its inputs in slots `0..n`; a bridge from where its guard left them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Each input's location: a register of its class or a frame slot, no two the same.
    pub locs: Vec<Loc>,
    /// Slots below this number belong to code already running: the allocator never hands
    /// one out, except to the input that is in it.
    pub reserved_slots: u32,
    /// Where a `jump` in a trace without a label puts its values: the layout of the label
    /// it goes to (a bridge's root's loop). Empty for a trace with its own label.
    pub loop_locs: Vec<Loc>,
}

impl Entry {
    /// `n` inputs in slots `0..n`, the entry of a root trace.
    pub fn slots(n: usize) -> Entry {
        Entry {
            locs: (0..n as u32).map(Loc::Slot).collect(),
            reserved_slots: n as u32,
            loop_locs: Vec::new(),
        }
    }
}

impl Allocation {
    /// Where op `i`'s arguments are when it runs (for a jump: where its values come from).
    #[inline]
    pub fn args(&self, i: usize) -> &[Loc] {
        &self.args[self.arg_start[i] as usize..self.arg_start[i + 1] as usize]
    }
    /// Where op `i` puts its result.
    #[inline]
    pub fn result(&self, i: usize) -> Option<Loc> {
        self.results[i]
    }
    /// The moves to make before op `i` (for a jump: into the loop-header layout).
    #[inline]
    pub fn edits(&self, i: usize) -> &[Move] {
        &self.edits[self.edit_start[i] as usize..self.edit_start[i + 1] as usize]
    }
    /// Where guard `i`'s fail args are when it fails.
    #[inline]
    pub fn fail_locs(&self, i: usize) -> &[Loc] {
        &self.fails[self.fail_start[i].0 as usize..self.fail_start[i + 1].0 as usize]
    }
    /// Where the values live across op `i` are, for an op whose constraints set
    /// [`OpConstraints::live_across`]: every register holding such a value (with its type)
    /// and every slot holding such a ref — what an out-of-line call from the op saves, and
    /// the GC map of a safepoint (its refs). Empty for other ops.
    #[inline]
    pub fn live_across(&self, i: usize) -> &[(Loc, crate::ir::Type)] {
        match (self.live_start.get(i), self.live_start.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.live[a as usize..b as usize],
            _ => &[],
        }
    }

    /// The slot high-water mark at guard `i`: every slot a value may be in when the guard
    /// fails is below it.
    #[inline]
    pub fn guard_slots(&self, i: usize) -> u32 {
        self.fail_start[i].1
    }

    /// The allocation's flattened parts, mutable: for tests that corrupt an allocation to
    /// show that [`crate::regcheck::check`] rejects it.
    pub fn parts_mut(&mut self) -> AllocationParts<'_> {
        AllocationParts {
            args: &mut self.args,
            results: &mut self.results,
            edits: &mut self.edits,
            fails: &mut self.fails,
            label_locs: &mut self.label_locs,
            live: &mut self.live,
        }
    }
}

/// The flattened parts of an [`Allocation`] (see [`Allocation::parts_mut`]).
pub struct AllocationParts<'a> {
    /// Every op's argument locations, op after op.
    pub args: &'a mut Vec<Loc>,
    /// Every op's result location.
    pub results: &'a mut Vec<Option<Loc>>,
    /// Every op's moves, op after op.
    pub edits: &'a mut Vec<Move>,
    /// Every guard's fail-arg locations, guard after guard.
    pub fails: &'a mut Vec<Loc>,
    /// The loop header's layout.
    pub label_locs: &'a mut Vec<Loc>,
    /// Every `live_across` op's entries (its GC map, at a safepoint), op after op.
    pub live: &'a mut Vec<(Loc, crate::ir::Type)>,
}

/// Why allocation failed: the constraints cannot be met.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllocError {
    /// The op.
    pub op: usize,
    /// What could not be done.
    pub reason: String,
}

impl std::fmt::Display for AllocError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "op {}: {}", self.op, self.reason)
    }
}

impl std::error::Error for AllocError {}

const NONE: u32 = u32::MAX;

struct Alloc<'a> {
    trace: &'a Trace,
    live: &'a Liveness,
    regs: &'a RegisterInfo,
    /// The value owning each register (by `Reg::index`), `NONE` if free.
    owner: [u32; 64],
    /// Registers pinned for the current op: its inputs and temporaries.
    busy: RegSet,
    vreg: Vec<Option<Reg>>,
    vslot: Vec<u32>,
    slot_valid: Vec<bool>,
    free_slots: Vec<u32>,
    nslots: u32,
    reserved: u32,
    out: Allocation,
    /// Per value, its first place among the arguments of the trace's closing `jump`
    /// (`NONE` if it is not one): where the loop label wants it ([`Alloc::jump_hint`]).
    jump_pos: Vec<u32>,
    op: usize,
    /// Ref values whose slot has held them at some point (a GC map names the ones still
    /// there), each once: what a safepoint looks through instead of every ref.
    slot_refs: Vec<Value>,
    /// Whether a value is in `slot_refs`.
    in_slot_refs: Vec<bool>,
}

/// Allocates registers for `trace`, given the constraints of each op, starting from the
/// input locations of `entry`.
pub fn allocate(
    trace: &Trace,
    live: &Liveness,
    constraints: &[OpConstraints],
    regs: &RegisterInfo,
    entry: Entry,
) -> Result<Allocation, AllocError> {
    let n = trace.values.len();
    let nops = trace.ops.len();
    let fail = |reason: String| Err(AllocError { op: 0, reason });
    if constraints.len() != nops {
        return fail(format!("{} constraints for {nops} ops", constraints.len()));
    }
    if entry.locs.len() != trace.inputs.len() {
        return fail(format!(
            "{} entry locations for {} inputs",
            entry.locs.len(),
            trace.inputs.len()
        ));
    }
    let mut nslots = entry.reserved_slots;
    for (k, (&l, &v)) in entry.locs.iter().zip(&trace.inputs).enumerate() {
        match l {
            Loc::Slot(s) => nslots = nslots.max(s + 1),
            Loc::Reg(r)
                if r.class == class_of(trace.ty(v)) && regs.allocatable(r.class).contains(&r) => {}
            other => return fail(format!("input {k} cannot enter in {other:?}")),
        }
        if entry.locs[..k].contains(&l) {
            return fail(format!("inputs share the entry location {l:?}"));
        }
    }
    let mut jump_pos = vec![NONE; n];
    if let Some(jump) = trace.ops.last().filter(|o| o.opcode == Opcode::Jump) {
        for (k, a) in jump.args.iter().enumerate() {
            if let Operand::Value(v) = *a {
                if jump_pos[v.index()] == NONE {
                    jump_pos[v.index()] = k as u32;
                }
            }
        }
    }
    let mut a = Alloc {
        jump_pos,
        trace,
        live,
        regs,
        owner: [NONE; 64],
        busy: RegSet::EMPTY,
        vreg: vec![None; n],
        vslot: vec![NONE; n],
        slot_valid: vec![false; n],
        free_slots: Vec::new(),
        nslots,
        reserved: entry.reserved_slots,
        out: Allocation {
            arg_start: Vec::with_capacity(nops + 1),
            args: Vec::with_capacity(nops * 2),
            results: Vec::with_capacity(nops),
            edit_start: Vec::with_capacity(nops + 1),
            edits: Vec::with_capacity(nops / 2),
            fail_start: Vec::with_capacity(nops + 1),
            fails: Vec::new(),
            label_locs: entry.loop_locs,
            entry: Vec::new(),
            live_start: Vec::new(),
            live: Vec::new(),
            slots: 0,
        },
        op: 0,
        slot_refs: Vec::new(),
        in_slot_refs: vec![false; n],
    };
    for (&v, &l) in trace.inputs.iter().zip(&entry.locs) {
        match l {
            Loc::Slot(s) => {
                a.vslot[v.index()] = s;
                a.slot_valid[v.index()] = true;
                a.note_slot_ref(v);
            }
            Loc::Reg(r) => a.set_reg(v, r),
            _ => unreachable!("checked above"),
        }
    }
    a.out.entry = entry.locs;
    // Inputs nobody uses free their slots at once.
    for &v in &trace.inputs {
        if live.last_use[v.index()] == NONE {
            a.free_value(v);
        }
    }
    for (i, cons) in constraints.iter().enumerate().take(nops) {
        a.op = i;
        a.out.arg_start.push(a.out.args.len() as u32);
        a.out.edit_start.push(a.out.edits.len() as u32);
        a.out.fail_start.push((a.out.fails.len() as u32, 0));
        a.out.live_start.push(a.out.live.len() as u32);
        match trace.ops[i].opcode {
            Opcode::Label => a.label(i)?,
            Opcode::Jump => a.jump(i)?,
            _ => a.op(i, cons)?,
        }
        a.busy = RegSet::EMPTY;
    }
    a.out.arg_start.push(a.out.args.len() as u32);
    a.out.edit_start.push(a.out.edits.len() as u32);
    a.out.fail_start.push((a.out.fails.len() as u32, 0));
    a.out.live_start.push(a.out.live.len() as u32);
    a.out.slots = a.nslots;
    Ok(a.out)
}

impl Alloc<'_> {
    fn err<T>(&self, reason: impl Into<String>) -> Result<T, AllocError> {
        Err(AllocError {
            op: self.op,
            reason: reason.into(),
        })
    }

    fn class(&self, v: Value) -> RegClass {
        class_of(self.trace.ty(v))
    }

    fn emit(&mut self, from: Loc, to: Loc, class: RegClass) {
        if from != to {
            self.out.edits.push(Move { from, to, class });
        }
    }

    /// Where `v` is now.
    fn loc(&self, v: Value) -> Loc {
        match self.vreg[v.index()] {
            Some(r) => Loc::Reg(r),
            None => {
                debug_assert!(self.slot_valid[v.index()], "value without a location");
                Loc::Slot(self.vslot[v.index()])
            }
        }
    }

    fn take_slot(&mut self) -> u32 {
        self.free_slots.pop().unwrap_or_else(|| {
            self.nslots += 1;
            self.nslots - 1
        })
    }

    fn set_reg(&mut self, v: Value, r: Reg) {
        if let Some(old) = self.vreg[v.index()] {
            if self.owner[old.index()] == v.as_u32() {
                self.owner[old.index()] = NONE;
            }
        }
        self.vreg[v.index()] = Some(r);
        self.owner[r.index()] = v.as_u32();
    }

    fn drop_reg(&mut self, v: Value) {
        if let Some(r) = self.vreg[v.index()].take() {
            if self.owner[r.index()] == v.as_u32() {
                self.owner[r.index()] = NONE;
            }
        }
    }

    /// Makes sure `v`'s slot holds it, then takes it out of its register.
    fn spill(&mut self, v: Value) {
        let Some(r) = self.vreg[v.index()] else {
            return;
        };
        if !self.slot_valid[v.index()] {
            if self.vslot[v.index()] == NONE {
                self.vslot[v.index()] = self.take_slot();
            }
            let class = self.class(v);
            self.emit(Loc::Reg(r), Loc::Slot(self.vslot[v.index()]), class);
            self.slot_valid[v.index()] = true;
            self.note_slot_ref(v);
        }
        self.drop_reg(v);
    }

    /// Remembers that ref `v` is in its slot, for the GC maps of safepoints.
    fn note_slot_ref(&mut self, v: Value) {
        if self.trace.ty(v) == crate::ir::Type::Ref && !self.in_slot_refs[v.index()] {
            self.in_slot_refs[v.index()] = true;
            self.slot_refs.push(v);
        }
    }

    /// Forgets `v` entirely: its register and its slot.
    fn free_value(&mut self, v: Value) {
        self.drop_reg(v);
        let s = std::mem::replace(&mut self.vslot[v.index()], NONE);
        if s != NONE && s >= self.reserved {
            self.free_slots.push(s);
        }
        self.slot_valid[v.index()] = false;
    }

    /// The register of the loop label's place for `v`, when the trace's jump passes `v` to
    /// it and it is free (and kept by calls, if `v` lives across one).
    fn jump_hint(&self, v: Value, class: RegClass, callee_saved: bool) -> Option<Reg> {
        let k = self.jump_pos[v.index()];
        if k == NONE {
            return None;
        }
        let Some(&Loc::Reg(p)) = self.out.label_locs.get(k as usize) else {
            return None;
        };
        let usable = p.class == class
            && self.owner[p.index()] == NONE
            && !self.busy.contains(p)
            && !(callee_saved && self.regs.caller_saved.contains(p));
        usable.then_some(p)
    }

    fn free_reg(&self, class: RegClass, avoid: RegSet, callee_saved: bool) -> Option<Reg> {
        let usable = |r: &&Reg| {
            self.owner[r.index()] == NONE && !self.busy.contains(**r) && !avoid.contains(**r)
        };
        let all = self.regs.allocatable(class);
        if callee_saved {
            if let Some(r) = all
                .iter()
                .filter(usable)
                .find(|r| !self.regs.caller_saved.contains(**r))
            {
                return Some(*r);
            }
        }
        all.iter().find(usable).copied()
    }

    /// A register of `class` outside `avoid`, spilling the value used furthest ahead if
    /// none is free.
    fn get_reg(
        &mut self,
        class: RegClass,
        avoid: RegSet,
        callee_saved: bool,
    ) -> Result<Reg, AllocError> {
        if let Some(r) = self.free_reg(class, avoid, callee_saved) {
            return Ok(r);
        }
        let mut best: Option<(u32, Reg, Value)> = None;
        for &r in self.regs.allocatable(class) {
            let o = self.owner[r.index()];
            if o == NONE || self.busy.contains(r) || avoid.contains(r) {
                continue;
            }
            let w = Value::from_u32(o);
            let next = self
                .live
                .next_use_after(w, self.op.saturating_sub(1))
                .unwrap_or(NONE);
            if best.is_none_or(|(d, _, _)| next > d) {
                best = Some((next, r, w));
            }
        }
        match best {
            Some((_, r, w)) => {
                self.spill(w);
                Ok(r)
            }
            None => self.err(format!("no {class:?} register left")),
        }
    }

    /// Moves `w` out of its register into another free one outside `avoid`, or to its slot.
    fn relocate(&mut self, w: Value, avoid: RegSet) {
        let Some(r) = self.vreg[w.index()] else {
            return;
        };
        let callee = self.live.crosses_call(w, self.op);
        match self.free_reg(self.class(w), avoid.with(r), callee) {
            Some(n) => {
                let class = self.class(w);
                self.emit(Loc::Reg(r), Loc::Reg(n), class);
                self.set_reg(w, n);
            }
            None => self.spill(w),
        }
    }

    fn op(&mut self, i: usize, cons: &OpConstraints) -> Result<(), AllocError> {
        let op = &self.trace.ops[i];
        if cons.uses.len() != op.args.len() {
            return self.err(format!(
                "the backend gave {} constraints for {} arguments",
                cons.uses.len(),
                op.args.len()
            ));
        }
        let mut locs: smallvec::SmallVec<[Loc; 4]> = smallvec::smallvec![Loc::Flags; op.args.len()];
        let fixed = cons.uses.iter().fold(RegSet::EMPTY, |s, u| match u {
            Use::Fixed(r) => s.with(*r),
            _ => s,
        });
        // 1. Inputs in fixed registers.
        for (k, (&arg, &u)) in op.args.iter().zip(&cons.uses).enumerate() {
            let Use::Fixed(r) = u else { continue };
            let holder = self.owner[r.index()];
            match arg {
                Operand::Value(v) if self.vreg[v.index()] == Some(r) => {}
                _ if holder != NONE => {
                    let w = Value::from_u32(holder);
                    self.relocate(w, cons.clobbers.union(fixed));
                }
                _ => {}
            }
            match arg {
                Operand::Value(v) => {
                    let class = self.class(v);
                    // A value that lives on in a register the op keeps (a callee-saved one
                    // at a call) is copied into the fixed register and stays where it is:
                    // moving it would mean moving it back once the op clobbers the copy.
                    let keeps = |q: Reg| {
                        !cons.clobbers.contains(q)
                            && !fixed.contains(q)
                            && cons.clobbers.contains(r)
                            && self.live.live_after(v, i)
                    };
                    match self.vreg[v.index()] {
                        Some(q) if q == r => {}
                        Some(q) if self.busy.contains(q) => {
                            self.emit(Loc::Reg(q), Loc::Reg(r), class)
                        }
                        // (The home register is not pinned: a later step may still move the
                        // value out of it, which leaves the copy alone. Pinning it starved
                        // wide calls of registers.)
                        Some(q) if keeps(q) => self.emit(Loc::Reg(q), Loc::Reg(r), class),
                        Some(q) => {
                            self.emit(Loc::Reg(q), Loc::Reg(r), class);
                            self.set_reg(v, r);
                        }
                        None => {
                            let from = self.loc(v);
                            self.emit(from, Loc::Reg(r), class);
                            self.set_reg(v, r);
                        }
                    }
                }
                Operand::Const(c) => self.emit(Loc::Const(c), Loc::Reg(r), class_of(c.ty())),
            }
            self.busy = self.busy.with(r);
            locs[k] = Loc::Reg(r);
        }
        let avoid = cons.clobbers.union(fixed);
        // 2. Inputs in registers (or slots).
        for (k, (&arg, &u)) in op.args.iter().zip(&cons.uses).enumerate() {
            if !matches!(u, Use::Reg | Use::RegOrSlot) {
                continue;
            }
            match arg {
                Operand::Value(v) => {
                    let class = self.class(v);
                    let callee = self.live.crosses_call(v, i);
                    match self.vreg[v.index()] {
                        Some(q) if !avoid.contains(q) => locs[k] = Loc::Reg(q),
                        Some(q) => {
                            let n = self.get_reg(class, avoid, callee)?;
                            self.emit(Loc::Reg(q), Loc::Reg(n), class);
                            self.set_reg(v, n);
                            locs[k] = Loc::Reg(n);
                        }
                        None if u == Use::RegOrSlot => locs[k] = self.loc(v),
                        None => {
                            let n = self.get_reg(class, avoid, callee)?;
                            let from = self.loc(v);
                            self.emit(from, Loc::Reg(n), class);
                            self.set_reg(v, n);
                            locs[k] = Loc::Reg(n);
                        }
                    }
                }
                Operand::Const(c) => {
                    let class = class_of(c.ty());
                    let n = self.get_reg(class, avoid, false)?;
                    self.emit(Loc::Const(c), Loc::Reg(n), class);
                    locs[k] = Loc::Reg(n);
                }
            }
            if let Loc::Reg(r) = locs[k] {
                self.busy = self.busy.with(r);
            }
        }
        // 3. Inputs anywhere.
        for (k, (&arg, &u)) in op.args.iter().zip(&cons.uses).enumerate() {
            if u != Use::Any {
                continue;
            }
            locs[k] = match arg {
                Operand::Value(v) if self.in_flags(v) => Loc::Flags,
                Operand::Value(v) => self.loc(v),
                Operand::Const(c) => Loc::Const(c),
            };
            if let Loc::Reg(r) = locs[k] {
                self.busy = self.busy.with(r);
            }
        }
        // 4. Values in clobbered registers: moved away if they live on.
        for r in cons.clobbers.iter() {
            let o = self.owner[r.index()];
            if o == NONE {
                continue;
            }
            let w = Value::from_u32(o);
            if self.live.live_after(w, i) {
                self.relocate(w, cons.clobbers);
            } else {
                self.drop_reg(w);
            }
        }
        // 5. Fail args where they are now.
        for &v in op.fail_args() {
            let l = self.loc(v);
            self.out.fails.push(l);
        }
        if op.exit_id().is_some() {
            self.out.fail_start[i].1 = self.nslots;
        }
        // 6. Values that die here.
        let mut reuse_dies = false;
        if let Some(Def::ReuseInput(k)) = cons.def {
            if let Some(Operand::Value(v)) = op.args.get(k as usize) {
                reuse_dies = !self.live.live_after(*v, i)
                    && locs[k as usize] == self.vreg[v.index()].map_or(Loc::Flags, Loc::Reg);
            }
        }
        // Their registers are free for the result (read before it is written); their slots
        // only after the op, as a spill before it must not overwrite an operand.
        let mut dying: smallvec::SmallVec<[Value; 4]> = smallvec::SmallVec::new();
        for v in op
            .args
            .iter()
            .filter_map(|a| a.value())
            .chain(op.fail_args().iter().copied())
        {
            if !self.live.live_after(v, i) && !dying.contains(&v) {
                dying.push(v);
                self.drop_reg(v);
            }
        }
        // 7. The result.
        let result = match (op.result, cons.def) {
            (None, None | Some(Def::None)) => None,
            (Some(_), None | Some(Def::None)) => {
                return self.err("the backend gave no place for the result")
            }
            (None, Some(_)) => {
                return self.err("the backend gave a place for a result the op lacks")
            }
            (Some(v), Some(def)) => {
                let class = self.class(v);
                let callee = self.live.crosses_call(v, i);
                let loc = match def {
                    Def::None => unreachable!("matched above"),
                    Def::Flags => Loc::Flags,
                    Def::Fixed(r) => {
                        let o = self.owner[r.index()];
                        if o != NONE {
                            self.relocate(Value::from_u32(o), self.busy.with(r));
                        }
                        self.set_reg(v, r);
                        Loc::Reg(r)
                    }
                    Def::Reg => {
                        // A late def: registers of inputs read by this op are fine too.
                        let pinned = std::mem::replace(&mut self.busy, RegSet::EMPTY);
                        // The register the loop's label wants the value in, if it is free:
                        // the back edge then has nothing to move for it.
                        let free = self
                            .jump_hint(v, class, callee)
                            .or_else(|| self.free_reg(class, RegSet::EMPTY, callee));
                        self.busy = pinned;
                        let r = match free {
                            Some(r) => r,
                            None => self.get_reg(class, RegSet::EMPTY, callee)?,
                        };
                        self.set_reg(v, r);
                        Loc::Reg(r)
                    }
                    Def::ReuseInput(k) => {
                        let k = k as usize;
                        match locs.get(k) {
                            Some(&Loc::Reg(q)) if reuse_dies && !cons.clobbers.contains(q) => {
                                self.set_reg(v, q);
                                Loc::Reg(q)
                            }
                            Some(&from) => {
                                let n = self.get_reg(class, cons.clobbers, callee)?;
                                self.emit(from, Loc::Reg(n), class);
                                locs[k] = Loc::Reg(n);
                                self.busy = self.busy.with(n);
                                self.set_reg(v, n);
                                Loc::Reg(n)
                            }
                            None => return self.err("the result reuses an input the op lacks"),
                        }
                    }
                };
                if loc == Loc::Flags {
                    self.vslot[v.index()] = NONE;
                }
                if !self.live.live_after(v, i) {
                    self.free_value(v);
                }
                Some(loc)
            }
        };
        for v in dying {
            self.free_value(v);
        }
        if cons.live_across {
            self.record_live_across(i, op.result);
        }
        self.out.args.extend_from_slice(&locs);
        self.out.results.push(result);
        Ok(())
    }

    /// Records where the values live across op `i` (other than its result) are.
    fn record_live_across(&mut self, i: usize, result: Option<Value>) {
        for k in 0..64 {
            let o = self.owner[k];
            if o == NONE {
                continue;
            }
            let w = Value::from_u32(o);
            if Some(w) != result && self.live.live_after(w, i) {
                let ty = self.trace.ty(w);
                self.out.live.push((Loc::Reg(Reg::from_index(k)), ty));
            }
        }
        // Refs no longer in their slots leave the list for good (until spilled again).
        let mut slot_refs = std::mem::take(&mut self.slot_refs);
        slot_refs.retain(|&w| {
            let keep = self.vslot[w.index()] != NONE && self.slot_valid[w.index()];
            self.in_slot_refs[w.index()] = keep;
            keep
        });
        for &w in &slot_refs {
            if Some(w) != result && self.live.live_after(w, i) {
                let s = self.vslot[w.index()];
                self.out.live.push((Loc::Slot(s), crate::ir::Type::Ref));
            }
        }
        self.slot_refs = slot_refs;
    }

    fn in_flags(&self, v: Value) -> bool {
        self.vreg[v.index()].is_none() && !self.slot_valid[v.index()]
    }

    fn label(&mut self, i: usize) -> Result<(), AllocError> {
        let op = &self.trace.ops[i];
        let mut locs = Vec::with_capacity(op.args.len());
        for &arg in &op.args {
            let Operand::Value(v) = arg else {
                return self.err("label argument is not a value");
            };
            // Run the loop from registers where there are free ones: a callee-saved one for
            // a value that lives across a call in the loop, which a caller-saved register
            // would have copied out and back every iteration.
            let callee = self.live.crosses_call(v, i);
            let caller_saved = |r: Reg| self.regs.caller_saved.contains(r);
            let (wants_reg, wants_callee) = match self.vreg[v.index()] {
                None => (true, callee),
                Some(r) => (callee && caller_saved(r), true),
            };
            if wants_reg && self.live.live_after(v, i) {
                let class = self.class(v);
                let r = self.free_reg(class, RegSet::EMPTY, wants_callee);
                if let Some(r) = r.filter(|&r| self.vreg[v.index()].is_none() || !caller_saved(r)) {
                    let from = self.loc(v);
                    self.emit(from, Loc::Reg(r), class);
                    self.set_reg(v, r);
                }
            }
            let l = self.loc(v);
            if let Loc::Reg(_) = l {
                // The back edge only refills the register: the slot copy would be stale.
                self.slot_valid[v.index()] = false;
            }
            locs.push(l);
            self.out.args.push(l);
        }
        for &arg in &op.args {
            if let Operand::Value(v) = arg {
                if !self.live.live_after(v, i) {
                    self.free_value(v);
                }
            }
        }
        if self.trace.label_index() == Some(i) {
            self.out.label_locs = locs;
        }
        self.out.results.push(None);
        Ok(())
    }

    fn jump(&mut self, i: usize) -> Result<(), AllocError> {
        let op = &self.trace.ops[i];
        let targets = self.out.label_locs.clone();
        // A cycle's fresh slot must lie above every slot the moves write.
        for t in &targets {
            if let Loc::Slot(s) = *t {
                self.nslots = self.nslots.max(s + 1);
            }
        }
        let mut moves: Vec<Move> = Vec::with_capacity(op.args.len());
        for (k, &arg) in op.args.iter().enumerate() {
            let (from, class) = match arg {
                Operand::Value(v) => (self.loc(v), self.class(v)),
                Operand::Const(c) => (Loc::Const(c), class_of(c.ty())),
            };
            self.out.args.push(from);
            let Some(&to) = targets.get(k) else {
                return self.err("jump has more arguments than the label");
            };
            if from != to {
                moves.push(Move { from, to, class });
            }
        }
        self.parallel_moves(moves);
        self.out.results.push(None);
        Ok(())
    }

    /// Emits `moves` (all reading before any writing) as a sequence, breaking cycles
    /// through a free register or a fresh slot.
    fn parallel_moves(&mut self, mut pending: Vec<Move>) {
        // A cycle's temporary must not be any register this move set reads or writes, even
        // one whose move is already done (it holds a value the header expects).
        let touched: RegSet = pending.iter().fold(RegSet::EMPTY, |s, m| {
            let s = if let Loc::Reg(r) = m.from {
                s.with(r)
            } else {
                s
            };
            if let Loc::Reg(r) = m.to {
                s.with(r)
            } else {
                s
            }
        });
        while !pending.is_empty() {
            let ready = (0..pending.len()).find(|&m| {
                let to = pending[m].to;
                !pending.iter().any(|o| o.from == to)
            });
            match ready {
                Some(m) => {
                    let mv = pending.swap_remove(m);
                    self.emit(mv.from, mv.to, mv.class);
                }
                None => {
                    // Every destination is still to be read: a cycle. Park one source in a
                    // register nobody uses here, or in a fresh slot (never a reused one: it
                    // may be a destination already written).
                    let mv = pending[0];
                    let temp = self
                        .regs
                        .allocatable(mv.class)
                        .iter()
                        .find(|r| !touched.contains(**r) && self.owner[r.index()] == NONE)
                        .map(|&r| Loc::Reg(r))
                        .unwrap_or_else(|| {
                            self.nslots += 1;
                            Loc::Slot(self.nslots - 1)
                        });
                    self.emit(mv.from, temp, mv.class);
                    for p in pending.iter_mut() {
                        if p.from == mv.from {
                            p.from = temp;
                        }
                    }
                }
            }
        }
    }
}

impl RegSet {
    /// Both sets together.
    pub fn union(self, other: RegSet) -> RegSet {
        RegSet(self.0 | other.0)
    }
}
