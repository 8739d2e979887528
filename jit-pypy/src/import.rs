//! A log as tracejit trees: [`import_log`].
//!
//! Each loop (or entry bridge) of the log is the root of a tree; each bridge joins the tree
//! that has the guard it grows out of (found by PyPy's guard address), and its `jump` goes
//! to the label its target token names in that tree. docs/pypy-import.md has every
//! operation's import; in short:
//! - integer, float, comparison, overflow and pointer operations at PyPy's types: `i` is
//!   i64, `p` ref, `f` f64. A comparison's result is an i32 in tracejit; the part gets it
//!   widened to i64, and guards test the i32 itself;
//! - guards with their fail args (holes dropped, as PyPy's bridges take them);
//!   `guard_subclass` is `guard_class` (the import's objects have no class hierarchy);
//! - object operations on the types [`crate::decls`] declares (narrow fields widened to i64
//!   and narrowed back, indexes and lengths between i64 and i32); strings as arrays of
//!   bytes; an array of structs (`getinteriorfield_gc_*`) as an array of refs to them;
//! - calls to stand-in externs ([`crate::standin`]); a ref-returning call makes a fresh
//!   object of the type its uses name, filled from the stand-in's result, or, when all its
//!   arguments are constants, is one object of the heap (an extra input);
//! - values a trace must be given: constant objects (`ConstPtr(ptrN)`), constant call
//!   results, raw buffers, and a scratch buffer `convert_*_bytes_*` pass bits through — extra inputs of
//!   every part after its own ([`ExtraInput`]), carried by every label, jump and guard;
//! - raw memory at an absolute address (`getfield_raw_*`, the signal word) as a zeroed
//!   buffer, an extra input: no signal is ever pending;
//! - stand-ins: `force_token` is null, `strhash` is 0 (not computed yet);
//! - nothing for `debug_merge_point`, `enter_portal_frame`, `leave_portal_frame`,
//!   `keepalive`, `guard_no_exception`, `guard_not_forced` and `guard_not_forced_2`
//!   (nothing here raises or forces).
//!
//! Anything else makes the part not imported, reported with every operation it could not
//! import, by name and count; a bridge of a part not imported is reported too.

use std::collections::BTreeMap;
use std::fmt;

use jit_core::builder::TraceBuilder;
use jit_core::ir::{CType, ExitId, Extra, FuncRef, Opcode, Operand, Scalar, Type, Value};
use jit_core::objects::{type_id, FieldType, ObjectKind};
use jit_core::text::TreeSource;
use jit_core::Trace;

use crate::decls::{declarations, Declarations, OPAQUE, STR, UNICODE};
use crate::log::{Descr, Log, LogArg, LogOp, Part, PartKind};
use crate::standin::{StandIn, StandInKind};

/// The extra inputs every part of a tree carries after its own: values PyPy has as
/// constants or gets from outside the trace, which a tracejit trace must be given.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExtraInput {
    /// A constant object, `ConstPtr(ptr26)`: one object of the heap.
    ConstPtr(String),
    /// The object a ref-returning call with only constant arguments returns
    /// (`call_r(ConstClass(_ll_1_threadlocalref_get…), 64)`: the execution context): the
    /// same object every time, one of the heap's.
    ConstResult(String),
    /// An 8-byte buffer `convert_float_bytes_to_longlong` and back pass their bits through.
    Scratch,
    /// The raw (non-GC) memory at an absolute address that `getfield_raw_*` and
    /// `setfield_raw` name (`pypysig_long_struct`, the signal word): a buffer of
    /// [`RAW_BYTES`], zero (no signal pending).
    Raw(i64),
}

/// Bytes of each raw buffer ([`ExtraInput::Raw`]): the fields a raw access may reach.
pub const RAW_BYTES: u32 = 64;

/// A log's loop with the bridges that grow out of it, as a tracejit tree.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedTree {
    /// PyPy's title of the loop: `Loop 1 (branchy;bridges.py:3-5~#20 FOR_ITER)`.
    pub title: String,
    /// The root and the bridges, each with the guard it grows out of.
    pub source: TreeSource,
    /// The log part each tree part was imported from.
    pub log_parts: Vec<usize>,
    /// Per part, the Python source positions (`debug_merge_point`) by the op they come
    /// before: comments in the tree's text.
    pub notes: Vec<Vec<(usize, String)>>,
    /// The extra inputs after each part's own, in order.
    pub extras: Vec<ExtraInput>,
    /// The stand-ins of the functions its calls name.
    pub standins: Vec<StandIn>,
    /// What its own parts read from fields and arrays (a heap for it looks here first,
    /// then in the log's).
    pub hints: Hints,
}

impl ImportedTree {
    /// The tree as a tree file: a header saying where it comes from and what its extra
    /// inputs and externs are, then its parts with their source positions as comments.
    /// `jit_core::text::parse_tree` reads it back given its stand-ins
    /// (`standin::externs(&tree.standins)`).
    pub fn text(&self) -> String {
        let mut s = format!(
            "# PyPy's {}, imported by tracejit import-pypy\n",
            printable(&self.title)
        );
        if !self.extras.is_empty() {
            let extras: Vec<String> = self
                .extras
                .iter()
                .map(|e| match e {
                    ExtraInput::ConstPtr(p) => format!("{p} (a constant object)"),
                    ExtraInput::ConstResult(c) => format!("{c} (the object it returns)"),
                    ExtraInput::Scratch => {
                        "scratch (8 bytes convert_*_bytes_* pass through)".into()
                    }
                    ExtraInput::Raw(a) => format!("raw memory at {a:#x} ({RAW_BYTES} bytes)"),
                })
                .collect();
            s.push_str(&format!(
                "# extra inputs after each part's own: {}\n",
                printable(&extras.join(", "))
            ));
        }
        if !self.standins.is_empty() {
            s.push_str(
                "# calls go to deterministic stand-ins (jit_pypy::standin) of PyPy's functions\n",
            );
        }
        s.push_str(&jit_core::text::print_tree_noted(&self.source, &self.notes));
        s
    }
}

/// `text` with control characters (line breaks among them) made spaces: a comment line.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A part of a log the import left out, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct PartFailure {
    /// The part (index in `Log::parts`).
    pub part: usize,
    /// Why.
    pub error: ImportError,
}

/// A log as tracejit trees.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedLog {
    /// The object types every tree declares.
    pub decls: Declarations,
    /// One tree per loop whose root imported, with the bridges that imported.
    pub trees: Vec<ImportedTree>,
    /// Parts not imported: a loop not imported takes its bridges with it, and so does a
    /// bridge.
    pub failures: Vec<PartFailure>,
    /// What the heap a run builds should hold: each field's and array's objects.
    pub hints: Hints,
}

/// The classes (declaration indexes) of the objects the import saw a trace read from a
/// field or an array, so a heap can hold objects its guards and accesses expect.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hints {
    /// (struct, field) to the class of the object read from it.
    pub fields: BTreeMap<(u32, u32), u32>,
    /// Array type to the class of its items.
    pub items: BTreeMap<u32, u32>,
    /// For an array read from a field ((struct, field)), the class of its items: at a
    /// constant index (a frame's locals, `PyFrame.locals_cells_stack_w`, hold a different
    /// class in each slot), else (`None`) at any.
    pub field_items: BTreeMap<(u32, u32), BTreeMap<Option<i64>, u32>>,
    /// Each extra input's class, for constant objects and constant call results.
    pub extras: BTreeMap<ExtraInput, u32>,
    /// For each tree (by loop title), each root input's class where its uses name one.
    pub inputs: BTreeMap<String, Vec<Option<u32>>>,
}

/// Why a part was not imported.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportError {
    /// Operations it has that the import does not express yet, by name, with counts.
    Unsupported(BTreeMap<String, usize>),
    /// A variable used before the part defines it.
    Undefined {
        /// The variable.
        name: String,
        /// Where.
        pos: crate::log::Pos,
    },
    /// An operation with fewer arguments than it takes.
    Arguments {
        /// The operation.
        name: String,
        /// How many it takes at least.
        needs: usize,
        /// Where.
        pos: crate::log::Pos,
    },
    /// A bridge whose guard is in no part imported before it.
    NoGuard {
        /// The guard's address.
        guard: u64,
    },
    /// A jump to a label no part of its tree has.
    NoLabel {
        /// Where.
        pos: crate::log::Pos,
    },
    /// The trace made does not verify (an import bug).
    Invalid(String),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Unsupported(ops) => {
                let list: Vec<String> = ops.iter().map(|(n, c)| format!("{n} ({c})")).collect();
                write!(f, "not imported: {}", list.join(", "))
            }
            ImportError::Undefined { name, pos } => write!(f, "{pos}: {name} is not defined"),
            ImportError::Arguments { name, needs, pos } => {
                write!(f, "{pos}: {name} takes at least {needs} argument(s)")
            }
            ImportError::NoGuard { guard } => {
                write!(
                    f,
                    "no imported part has the guard {guard:#x} this bridge grows out of"
                )
            }
            ImportError::NoLabel { pos } => {
                write!(f, "{pos}: the jump's label is in no part of its tree")
            }
            ImportError::Invalid(e) => write!(f, "the imported trace does not verify: {e}"),
        }
    }
}

impl std::error::Error for ImportError {}

/// The IR type of a PyPy variable, by its letter.
fn var_type(name: &str) -> Type {
    match name.as_bytes().first() {
        Some(b'p') => Type::Ref,
        Some(b'f') => Type::F64,
        _ => Type::I64,
    }
}

/// An identifier for a function PyPy names (`ConstClass(ll_str__…)`) or gives by address.
fn function_name(a: &LogArg) -> Option<String> {
    match a {
        LogArg::ConstClass(c) => Some(
            c.chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || ch == '_' {
                        ch
                    } else {
                        '_'
                    }
                })
                .collect(),
        ),
        LogArg::Int(addr) => Some(format!("fn_{:x}", *addr as u64)),
        _ => None,
    }
}

/// How many arguments operation `name` takes at least (as the import reads them).
fn min_args(name: &str) -> usize {
    let base = name
        .strip_suffix("_i")
        .or_else(|| name.strip_suffix("_r"))
        .or_else(|| name.strip_suffix("_f"))
        .or_else(|| name.strip_suffix("_n"))
        .unwrap_or(name);
    match base {
        "setarrayitem_gc" | "strsetitem" | "unicodesetitem" | "setinteriorfield_gc" => 3,
        "guard_value"
        | "setfield_gc"
        | "getarrayitem_gc"
        | "getarrayitem_gc_pure"
        | "strgetitem"
        | "unicodegetitem"
        | "getinteriorfield_gc" => 2,
        _ if name.starts_with("int_")
            || name.starts_with("uint_")
            || name.starts_with("float_")
            || name.starts_with("ptr_")
            || name.starts_with("instance_ptr_") =>
        {
            match name {
                "int_is_true" | "int_is_zero" | "int_neg" | "int_invert" | "float_neg"
                | "float_abs" => 1,
                _ => 2,
            }
        }
        "label" | "jump" | "finish" | "new" | "new_with_vtable" => 0,
        "guard_not_invalidated" | "guard_no_overflow" | "guard_overflow" => 0,
        _ => 1,
    }
}

/// Whether `name` is a call the import gives a stand-in.
fn is_call(name: &str) -> bool {
    let plain = [
        "call_",
        "call_pure_",
        "call_may_force_",
        "call_loopinvariant_",
        "call_assembler_",
    ]
    .iter()
    .any(|p| {
        name.strip_prefix(p)
            .is_some_and(|r| matches!(r, "i" | "r" | "f" | "n"))
    });
    plain || name == "cond_call" || name == "cond_call_value_i"
}

/// What a tree's parts share while they are imported.
struct TreeState {
    /// PyPy's target tokens to tracejit's, over the tree.
    tokens: BTreeMap<u64, u32>,
    /// Guards by PyPy's address: (tree part, exit id).
    guards: BTreeMap<u64, (usize, ExitId)>,
    extras: Vec<ExtraInput>,
    standins: Vec<StandIn>,
    next_exit: u32,
}

struct Importer<'a> {
    decls: &'a Declarations,
    b: TraceBuilder,
    vars: BTreeMap<String, Value>,
    /// Each variable a comparison defined, as the comparison's own i32.
    conds: BTreeMap<String, Value>,
    unsupported: BTreeMap<String, usize>,
    /// The extra inputs' values.
    extra_values: Vec<Value>,
    tree: &'a mut TreeState,
    funcs: BTreeMap<String, FuncRef>,
    /// PyPy guards imported, with their exit ids in this part.
    guards: Vec<(u64, ExitId)>,
    /// Source positions (`debug_merge_point`) by the op they come before.
    notes: Vec<(usize, String)>,
}

/// Imports `log` as trees: one per loop, with the bridges that grow out of its guards (and
/// out of its bridges' guards). `decls` are the log's [`declarations`].
pub fn import_log(log: &Log) -> ImportedLog {
    let decls = declarations(log);
    let mut trees: Vec<(ImportedTree, TreeState)> = Vec::new();
    let mut failures = Vec::new();
    // Which tree each guard address is in, from a first pass over the parts.
    let mut owner: BTreeMap<u64, usize> = BTreeMap::new();
    let mut part_tree: Vec<Option<usize>> = vec![None; log.parts.len()];
    let mut roots = 0;
    for (k, part) in log.parts.iter().enumerate() {
        let tree = match part.kind {
            PartKind::Loop { .. } => {
                roots += 1;
                Some(roots - 1)
            }
            PartKind::Bridge { guard } => owner.get(&guard).copied(),
        };
        part_tree[k] = tree;
        if let Some(t) = tree {
            for o in &part.ops {
                if let Some(Descr::Guard(g)) = o.descr {
                    owner.insert(g, t);
                }
            }
        }
    }
    let all: Vec<usize> = (0..log.parts.len()).collect();
    let log_hints = hints(log, &decls, &all);
    let mut tree_index: Vec<Option<usize>> = vec![None; roots];
    for (k, part) in log.parts.iter().enumerate() {
        let Some(t) = part_tree[k] else {
            if let PartKind::Bridge { guard } = part.kind {
                failures.push(PartFailure {
                    part: k,
                    error: ImportError::NoGuard { guard },
                });
            }
            continue;
        };
        match part.kind {
            PartKind::Loop {
                number,
                ref name,
                entry,
            } => {
                // The extra inputs of the whole tree, in order of first use.
                let mut extras = Vec::new();
                for (j, p) in log.parts.iter().enumerate() {
                    if part_tree[j] == Some(t) {
                        extras_of(p, &mut extras);
                    }
                }
                let mut state = TreeState {
                    tokens: BTreeMap::new(),
                    guards: BTreeMap::new(),
                    extras,
                    standins: Vec::new(),
                    next_exit: 0,
                };
                match import_part(part, &decls, &mut state, 0) {
                    Ok((trace, notes)) => {
                        let what = if entry { "entry bridge" } else { "loop" };
                        let title = format!("Loop {number} ({name}), {what}");
                        tree_index[t] = Some(trees.len());
                        let tree = ImportedTree {
                            title,
                            source: TreeSource {
                                parts: vec![trace],
                                positions: vec![Default::default()],
                                grows_from: vec![None],
                            },
                            log_parts: vec![k],
                            notes: vec![notes],
                            extras: Vec::new(),
                            standins: Vec::new(),
                            hints: Hints::default(),
                        };
                        trees.push((tree, state));
                    }
                    Err(error) => failures.push(PartFailure { part: k, error }),
                }
            }
            PartKind::Bridge { guard } => {
                let Some(ti) = tree_index[t] else {
                    failures.push(PartFailure {
                        part: k,
                        error: ImportError::NoGuard { guard },
                    });
                    continue;
                };
                let (tree, state) = &mut trees[ti];
                let Some(&(from, exit)) = state.guards.get(&guard) else {
                    failures.push(PartFailure {
                        part: k,
                        error: ImportError::NoGuard { guard },
                    });
                    continue;
                };
                let index = tree.source.parts.len();
                match import_part(part, &decls, state, index) {
                    Ok((trace, notes)) => {
                        tree.notes.push(notes);
                        tree.source.parts.push(trace);
                        tree.source.positions.push(Default::default());
                        tree.source.grows_from.push(Some((from, exit)));
                        tree.log_parts.push(k);
                    }
                    Err(error) => failures.push(PartFailure { part: k, error }),
                }
            }
        }
    }
    let trees = trees
        .into_iter()
        .map(|(mut tree, state)| {
            tree.extras = state.extras;
            tree.standins = state.standins;
            tree.hints = hints(log, &decls, &tree.log_parts);
            tree
        })
        .collect();
    ImportedLog {
        decls,
        trees,
        failures,
        hints: log_hints,
    }
}

/// Adds the extra inputs `part` needs to `out`, in order of first use.
fn extras_of(part: &Part, out: &mut Vec<ExtraInput>) {
    let mut add = |e: ExtraInput| {
        if !out.contains(&e) {
            out.push(e);
        }
    };
    for o in &part.ops {
        for a in &o.args {
            if let LogArg::ConstPtr(p) = a {
                if p != "null" {
                    add(ExtraInput::ConstPtr(p.clone()));
                }
            }
        }
        if let Some(key) = const_result_key(o) {
            add(ExtraInput::ConstResult(key));
        }
        if o.name.starts_with("convert_") && o.name.contains("_bytes_") {
            add(ExtraInput::Scratch);
        }
        if o.name.starts_with("getfield_raw_")
            || o.name == "setfield_raw"
            || o.name == "increment_debug_counter"
        {
            if let Some(LogArg::Int(addr)) = o.args.first() {
                add(ExtraInput::Raw(*addr));
            }
        }
    }
}

/// For a ref-returning call whose arguments are all constants, the call as text: the key
/// of the one object it returns.
fn const_result_key(o: &LogOp) -> Option<String> {
    if !(o.name == "call_r" || o.name == "call_pure_r" || o.name == "call_loopinvariant_r") {
        return None;
    }
    let mut parts = Vec::new();
    for a in &o.args {
        parts.push(match a {
            LogArg::Int(i) => i.to_string(),
            LogArg::Float(f) => format!("{:#x}", f),
            LogArg::ConstClass(c) => c.clone(),
            LogArg::ConstPtr(p) => p.clone(),
            LogArg::Var(_) | LogArg::Str(_) => return None,
        });
    }
    Some(format!("{}({})", o.name, parts.join(", ")))
}

/// The type (declaration index) `var` has in `part` by its uses: the struct whose field an
/// access names, the array type an item access names, a string, the class a guard names.
pub fn class_of(part: &Part, var: &str, decls: &Declarations) -> Option<usize> {
    let is_var = |a: Option<&LogArg>| matches!(a, Some(LogArg::Var(v)) if v == var);
    // What `new*` makes, or a read's descr says.
    for o in &part.ops {
        if o.result.as_deref() == Some(var) {
            match (o.name.as_str(), &o.descr) {
                ("newstr", _) => return decls.index(STR),
                ("newunicode", _) => return decls.index(UNICODE),
                ("new_array" | "new_array_clear", Some(Descr::Array { kind, item })) => {
                    return decls
                        .arrays
                        .get(&(*kind, *item))
                        .and_then(|n| decls.index(n));
                }
                _ => {}
            }
        }
    }
    part.ops.iter().find_map(|o| {
        if !is_var(o.args.first()) {
            return None;
        }
        let name = o.name.as_str();
        match &o.descr {
            _ if name.starts_with("str") || name == "copystrcontent" => decls.index(STR),
            _ if name.starts_with("unicode") || name == "copyunicodecontent" => {
                decls.index(UNICODE)
            }
            Some(Descr::Field { name: f, .. }) if !name.contains("_raw") => {
                let (ty, _) = decls.fields.get(f)?;
                decls.index(ty)
            }
            Some(Descr::Array { kind, item }) if !name.contains("_raw") => decls
                .arrays
                .get(&(*kind, *item))
                .and_then(|n| decls.index(n)),
            Some(Descr::Interior(inner)) => {
                let Descr::Field { name: f, .. } = inner.as_ref() else {
                    return None;
                };
                let (class, _) = f.rsplit_once('.')?;
                decls.interiors.get(class).and_then(|n| decls.index(n))
            }
            _ if matches!(
                name,
                "guard_class" | "guard_nonnull_class" | "guard_subclass"
            ) =>
            {
                let c = match o.args.get(1)? {
                    LogArg::ConstClass(c) => c,
                    LogArg::Int(vt) => decls.vtables.get(vt)?,
                    _ => return None,
                };
                decls.class_index(c)
            }
            _ => None,
        }
    })
}

/// The heap's hints from parts `parts` of `log`.
fn hints(log: &Log, decls: &Declarations, parts: &[usize]) -> Hints {
    let mut h = Hints::default();
    let field = |d: &Option<Descr>| -> Option<(u32, u32)> {
        let d = match d {
            Some(Descr::Interior(inner)) => inner.as_ref(),
            Some(d) => d,
            None => return None,
        };
        let Descr::Field { name, .. } = d else {
            return None;
        };
        let (ty, f) = decls.fields.get(name)?;
        let k = decls.index(ty)?;
        Some((k as u32, decls.objects[k].field(f)? as u32))
    };
    for part in parts.iter().filter_map(|&k| log.parts.get(k)) {
        for o in &part.ops {
            let name = o.name.as_str();
            if name == "getfield_gc_r" || name == "getinteriorfield_gc_r" {
                if let (Some(r), Some(f)) = (&o.result, field(&o.descr)) {
                    if let Some(c) = class_of(part, r, decls) {
                        h.fields.entry(f).or_insert(c as u32);
                    }
                }
                if name == "getinteriorfield_gc_r" {
                    // The entries array holds the interior struct's objects.
                    if let Some(Descr::Interior(inner)) = &o.descr {
                        if let Descr::Field { name: f, .. } = inner.as_ref() {
                            let class = f.rsplit_once('.').map(|(c, _)| c);
                            let arr = class.and_then(|c| decls.interiors.get(c));
                            let item = class
                                .and_then(|_| decls.fields.get(f))
                                .and_then(|(ty, _)| decls.index(ty));
                            if let (Some(a), Some(i)) = (arr.and_then(|a| decls.index(a)), item) {
                                h.items.entry(a as u32).or_insert(i as u32);
                            }
                        }
                    }
                }
            }
            if name == "setfield_gc" {
                if let (Some(LogArg::Var(v)), Some(f)) = (o.args.get(1), field(&o.descr)) {
                    if v.starts_with('p') {
                        if let Some(c) = class_of(part, v, decls) {
                            h.fields.entry(f).or_insert(c as u32);
                        }
                    }
                }
            }
            if name.starts_with("getarrayitem_gc_r") || name.starts_with("getarrayitem_gc_pure_r") {
                if let (Some(r), Some(Descr::Array { kind, item })) = (&o.result, &o.descr) {
                    let arr = decls
                        .arrays
                        .get(&(*kind, *item))
                        .and_then(|n| decls.index(n));
                    if let (Some(a), Some(c)) = (arr, class_of(part, r, decls)) {
                        h.items.entry(a as u32).or_insert(c as u32);
                        // The field the array was read from, in this part.
                        let from = match o.args.first() {
                            Some(LogArg::Var(av)) => part
                                .ops
                                .iter()
                                .find(|d| d.result.as_deref() == Some(av.as_str()))
                                .filter(|d| d.name == "getfield_gc_r")
                                .and_then(|d| field(&d.descr)),
                            _ => None,
                        };
                        if let Some(f) = from {
                            let index = match o.args.get(1) {
                                Some(LogArg::Int(i)) => Some(*i),
                                _ => None,
                            };
                            h.field_items
                                .entry(f)
                                .or_default()
                                .entry(index)
                                .or_insert(c as u32);
                        }
                    }
                }
            }
            for a in &o.args {
                if let LogArg::ConstPtr(p) = a {
                    if p != "null" {
                        if let Some(c) = const_ptr_class(part, o, p, decls) {
                            h.extras
                                .entry(ExtraInput::ConstPtr(p.clone()))
                                .or_insert(c as u32);
                        }
                    }
                }
            }
            if let (Some(key), Some(r)) = (const_result_key(o), &o.result) {
                if let Some(c) = class_of(part, r, decls) {
                    h.extras
                        .entry(ExtraInput::ConstResult(key))
                        .or_insert(c as u32);
                }
            }
        }
        if let PartKind::Loop {
            number,
            name,
            entry,
        } = &part.kind
        {
            let what = if *entry { "entry bridge" } else { "loop" };
            let title = format!("Loop {number} ({name}), {what}");
            let classes = part
                .inputs
                .iter()
                .map(|v| class_of(part, v, decls).map(|c| c as u32))
                .collect();
            h.inputs.insert(title, classes);
        }
    }
    h
}

/// The class of constant object `p` where `o` uses it: the struct of the field `o` reads or
/// writes in it, the class a guard compares it with.
fn const_ptr_class(part: &Part, o: &LogOp, p: &str, decls: &Declarations) -> Option<usize> {
    let first = matches!(o.args.first(), Some(LogArg::ConstPtr(q)) if q == p);
    match &o.descr {
        Some(Descr::Field { name, .. }) if first && !o.name.contains("_raw") => {
            decls.fields.get(name).and_then(|(ty, _)| decls.index(ty))
        }
        Some(Descr::Array { kind, item }) if first => decls
            .arrays
            .get(&(*kind, *item))
            .and_then(|n| decls.index(n)),
        _ if first && o.name.starts_with("str") => decls.index(STR),
        // Compared with a variable (guard_value, ptr_eq): that variable's class.
        _ if matches!(
            o.name.as_str(),
            "guard_value" | "ptr_eq" | "ptr_ne" | "instance_ptr_eq" | "instance_ptr_ne"
        ) =>
        {
            o.args.iter().find_map(|a| match a {
                LogArg::Var(v) => class_of(part, v, decls),
                _ => None,
            })
        }
        _ => None,
    }
}

/// Imports one part into `tree`'s state as tree part `index`.
fn import_part(
    part: &Part,
    decls: &Declarations,
    tree: &mut TreeState,
    index: usize,
) -> Result<(Trace, Vec<(usize, String)>), ImportError> {
    let mut im = Importer {
        decls,
        b: TraceBuilder::new(),
        vars: BTreeMap::new(),
        conds: BTreeMap::new(),
        unsupported: BTreeMap::new(),
        extra_values: Vec::new(),
        tree,
        funcs: BTreeMap::new(),
        guards: Vec::new(),
        notes: Vec::new(),
    };
    im.b.objects(&decls.objects);
    for name in &part.inputs {
        let v = im.b.input(var_type(name));
        im.vars.insert(name.clone(), v);
    }
    for e in im.tree.extras.clone() {
        let ty = match e {
            ExtraInput::Scratch
            | ExtraInput::Raw(_)
            | ExtraInput::ConstPtr(_)
            | ExtraInput::ConstResult(_) => Type::Ref,
        };
        let v = im.b.input(ty);
        im.extra_values.push(v);
    }
    for op in &part.ops {
        im.op(op, part)?;
    }
    if !im.unsupported.is_empty() {
        return Err(ImportError::Unsupported(im.unsupported));
    }
    let mut trace = im.b.build_unverified();
    // Exit ids unique over the tree, as tree files have them.
    let first = im.tree.next_exit;
    let mut next = first;
    for op in &mut trace.ops {
        if let Extra::Exit { id, .. } = &mut op.extra {
            *id = ExitId(id.0 + first);
            next = next.max(id.0 + 1);
        }
    }
    jit_core::verify(&trace).map_err(|e| ImportError::Invalid(e.to_string()))?;
    im.tree.next_exit = next;
    for (g, id) in im.guards {
        im.tree.guards.insert(g, (index, ExitId(id.0 + first)));
    }
    Ok((trace, im.notes))
}

impl Importer<'_> {
    /// Counts `op` as not imported; its result gets a stand-in (the part is not imported,
    /// but the rest is still read, so every operation it lacks is reported).
    fn unsupported(&mut self, op: &LogOp) {
        *self.unsupported.entry(op.name.clone()).or_default() += 1;
        if let Some(r) = &op.result {
            let zero = match var_type(r) {
                Type::Ref => Scalar::NULL,
                Type::F64 => Scalar::F64(0),
                _ => Scalar::I64(0),
            };
            let v = self.b.unary(Opcode::SameAs, Operand::Const(zero));
            self.vars.insert(r.clone(), v);
        }
    }

    fn var(&self, name: &str, pos: crate::log::Pos) -> Result<Value, ImportError> {
        self.vars.get(name).copied().ok_or(ImportError::Undefined {
            name: name.to_string(),
            pos,
        })
    }

    /// An argument as an operand; `None` if it is a kind not imported yet.
    fn arg(&self, a: &LogArg, pos: crate::log::Pos) -> Result<Option<Operand>, ImportError> {
        Ok(match a {
            LogArg::Var(v) => Some(self.var(v, pos)?.into()),
            LogArg::Int(i) => Some(Operand::Const(Scalar::I64(*i))),
            LogArg::Float(f) => Some(Operand::Const(Scalar::F64(*f))),
            LogArg::ConstPtr(p) if p == "null" => Some(Operand::Const(Scalar::NULL)),
            LogArg::ConstPtr(p) => self
                .extra(&ExtraInput::ConstPtr(p.clone()))
                .map(Operand::from),
            _ => None,
        })
    }

    fn args(&self, op: &LogOp) -> Result<Option<Vec<Operand>>, ImportError> {
        let mut out = Vec::with_capacity(op.args.len());
        for a in &op.args {
            match self.arg(a, op.pos)? {
                Some(x) => out.push(x),
                None => return Ok(None),
            }
        }
        Ok(Some(out))
    }

    /// The value of an extra input.
    fn extra(&self, e: &ExtraInput) -> Option<Value> {
        let k = self.tree.extras.iter().position(|x| x == e)?;
        self.extra_values.get(k).copied()
    }

    /// Appends a guard with `op`'s fail args (and the extra inputs), recording its PyPy
    /// address for the bridges that grow out of it.
    fn guard(&mut self, op: &LogOp, g: Opcode, args: &[Operand]) -> Result<(), ImportError> {
        let fa = self.fail_args(op)?;
        let id = self.b.guard(g, args, &fa);
        if let Some(Descr::Guard(addr)) = op.descr {
            self.guards.push((addr, id));
        }
        Ok(())
    }

    fn define(&mut self, op: &LogOp, v: Value) {
        if let Some(r) = &op.result {
            self.vars.insert(r.clone(), v);
        }
    }

    /// The fail args, holes dropped, then the extra inputs (a bridge takes them after its
    /// own).
    fn fail_args(&self, op: &LogOp) -> Result<Vec<Value>, ImportError> {
        let mut fa: Vec<Value> = op
            .fail_args
            .iter()
            .flatten()
            .flatten()
            .map(|n| self.var(n, op.pos))
            .collect::<Result<_, _>>()?;
        fa.extend(self.extra_values.iter().copied());
        Ok(fa)
    }

    /// A guard's i32 condition from a PyPy integer: the comparison's own result if a
    /// comparison defined it, else `int_is_true`.
    fn condition(&mut self, op: &LogOp) -> Result<Option<Operand>, ImportError> {
        match op.args.first() {
            Some(LogArg::Var(n)) => match self.conds.get(n) {
                Some(&c) => Ok(Some(c.into())),
                None => {
                    let v = self.var(n, op.pos)?;
                    Ok(Some(self.b.unary(Opcode::IntIsTrue, v).into()))
                }
            },
            _ => Ok(None),
        }
    }

    /// The struct and field index a field descr names.
    fn field(&self, d: &Option<Descr>) -> Option<(u32, u32, FieldType)> {
        let Some(Descr::Field { name, .. }) = d else {
            return None;
        };
        let (ty, field) = self.decls.fields.get(name)?;
        let k = self.decls.objects.iter().position(|o| &o.name == ty)?;
        let ObjectKind::Struct(fields) = &self.decls.objects[k].kind else {
            return None;
        };
        let f = fields.iter().position(|g| &g.name == field)?;
        Some((k as u32, f as u32, fields[f].ty))
    }

    /// The array type an array descr names.
    fn array(&self, d: &Option<Descr>) -> Option<(u32, FieldType)> {
        let Some(Descr::Array { kind, item }) = d else {
            return None;
        };
        let name = self.decls.arrays.get(&(*kind, *item))?;
        let k = self.decls.objects.iter().position(|o| &o.name == name)?;
        match &self.decls.objects[k].kind {
            ObjectKind::Array(t) => Some((k as u32, *t)),
            ObjectKind::Struct(_) => None,
        }
    }

    /// `v` (a field's or item's value) as the i64 PyPy's `i` variables hold.
    fn widen(&mut self, v: Value, t: FieldType) -> Value {
        match t {
            FieldType::Mem(m) if m.value_type() == Type::I32 => {
                let signed = matches!(
                    m,
                    jit_core::ir::MemType::I8
                        | jit_core::ir::MemType::I16
                        | jit_core::ir::MemType::I32
                );
                let op = if signed {
                    Opcode::CastI32ToI64
                } else {
                    Opcode::CastU32ToI64
                };
                self.b.unary(op, v)
            }
            _ => v,
        }
    }

    /// An i64 operand narrowed to what a field or item of type `t` stores.
    fn narrow(&mut self, x: Operand, t: FieldType) -> Operand {
        match t {
            FieldType::Mem(m) if m.value_type() == Type::I32 => match x {
                Operand::Const(c) => Operand::Const(Scalar::I32(c.bits() as i32)),
                _ => self.b.unary(Opcode::CastI64ToI32, x).into(),
            },
            _ => x,
        }
    }

    /// An i64 index or length as the i32 object operations take (a constant folded).
    fn index(&mut self, x: Operand) -> Operand {
        match x {
            Operand::Const(Scalar::I64(c)) if i32::try_from(c).is_ok() => {
                Operand::Const(Scalar::I32(c as i32))
            }
            _ => self.b.unary(Opcode::CastI64ToI32, x).into(),
        }
    }

    /// A stand-in extern for `callee` taking `args` (declared once per part, registered
    /// once per tree); `None` if its parameters are more than the stand-ins take.
    fn standin(
        &mut self,
        callee: &str,
        args: &[Operand],
        ret: Option<CType>,
        kind: StandInKind,
    ) -> Option<FuncRef> {
        let params: Vec<CType> = args
            .iter()
            .map(|&a| match self.b.operand_type(a) {
                Type::Ref => CType::Ref,
                Type::F64 => CType::F64,
                Type::I32 => CType::I32,
                Type::I64 => CType::I64,
            })
            .collect();
        if !StandIn::fits(&params) {
            return None;
        }
        let s = StandIn {
            name: callee.to_string(),
            params,
            ret,
            kind,
        };
        // One signature per name in a tree: a second one is another extern.
        let name = match self.tree.standins.iter().find(|t| t.name == s.name) {
            Some(t) if *t != s => {
                let mut k = 2;
                loop {
                    let n = format!("{callee}_{k}");
                    match self.tree.standins.iter().find(|t| t.name == n) {
                        Some(t) if t.params == s.params && t.ret == s.ret && t.kind == s.kind => {
                            break n
                        }
                        Some(_) => k += 1,
                        None => break n,
                    }
                }
            }
            _ => s.name.clone(),
        };
        let s = StandIn {
            name: name.clone(),
            ..s
        };
        if !self.tree.standins.contains(&s) {
            self.tree.standins.push(s.clone());
        }
        if let Some(&f) = self.funcs.get(&name) {
            return Some(f);
        }
        let f = self.b.declare(&name, &s.params, s.ret);
        self.funcs.insert(name, f);
        Some(f)
    }

    /// A fresh object of type `k` whose scalar fields (or length, for an array) come from
    /// `h`, a stand-in's result in `0..8`.
    fn fresh_object(&mut self, k: usize, h: Value) -> Value {
        match &self.decls.objects[k].kind {
            ObjectKind::Struct(fields) => {
                let fields = fields.clone();
                let obj = self.new_struct(k);
                for (j, f) in fields.iter().enumerate() {
                    let value: Operand = match f.ty {
                        FieldType::Ref => continue,
                        FieldType::Mem(m) if m.value_type() == Type::F64 => {
                            self.b.unary(Opcode::CastI64ToF64, h).into()
                        }
                        FieldType::Mem(m) if m.value_type() == Type::I32 => {
                            self.b.unary(Opcode::CastI64ToI32, h).into()
                        }
                        FieldType::Mem(_) => h.into(),
                    };
                    self.b.raw(
                        Opcode::SetfieldGc,
                        &[obj.into(), value],
                        None,
                        Extra::Field {
                            decl: k as u32,
                            field: j as u32,
                        },
                    );
                }
                obj
            }
            ObjectKind::Array(_) => self.new_array(k as u32, h.into()),
        }
    }

    /// The calls: each to its stand-in (see [`crate::standin`]).
    fn call(&mut self, op: &LogOp, part: &Part, args: &[Operand]) -> Result<(), ImportError> {
        let name = op.name.as_str();
        let (callee, rest, kind, ret) = match name {
            "cond_call" => (
                op.args.get(1).and_then(function_name),
                [&args[..1], &args[2..]].concat(),
                StandInKind::CondCall,
                None,
            ),
            "cond_call_value_i" => (
                op.args.get(1).and_then(function_name),
                [&args[..1], &args[2..]].concat(),
                StandInKind::CondValue,
                Some(CType::I64),
            ),
            "call_assembler_r" | "call_assembler_i" | "call_assembler_f" | "call_assembler_n" => {
                let callee = match op.descr {
                    Some(Descr::Loop(n)) => Some(format!("loop_{n}")),
                    _ => None,
                };
                let ret = match name.as_bytes()[name.len() - 1] {
                    b'f' => Some(CType::F64),
                    b'n' => None,
                    _ => Some(CType::I64),
                };
                (callee, args.to_vec(), StandInKind::Call, ret)
            }
            _ => {
                let ret = match name.as_bytes()[name.len() - 1] {
                    b'f' => Some(CType::F64),
                    b'n' => None,
                    _ => Some(CType::I64),
                };
                (
                    op.args.first().and_then(function_name),
                    args[1..].to_vec(),
                    StandInKind::Call,
                    ret,
                )
            }
        };
        let Some(callee) = callee else {
            self.unsupported(op);
            return Ok(());
        };
        let Some(f) = self.standin(&callee, &rest, ret, kind) else {
            self.unsupported(op);
            return Ok(());
        };
        let r = self.b.call(f, &rest);
        if name.ends_with("_r") {
            let (Some(h), Some(var)) = (r, op.result.as_deref()) else {
                self.unsupported(op);
                return Ok(());
            };
            if let Some(key) = const_result_key(op) {
                let v = self
                    .extra(&ExtraInput::ConstResult(key))
                    .expect("collected");
                self.vars.insert(var.to_string(), v);
                return Ok(());
            }
            let k = class_of(part, var, self.decls).or_else(|| self.decls.index(OPAQUE));
            let Some(k) = k else {
                self.unsupported(op);
                return Ok(());
            };
            let obj = self.fresh_object(k, h);
            self.define(op, obj);
        } else if let Some(r) = r {
            self.define(op, r);
        }
        Ok(())
    }

    /// Field `field` of struct `decl` of `obj`, widened as PyPy's variables hold it.
    fn read_field(
        &mut self,
        opcode: Opcode,
        obj: Operand,
        decl: u32,
        field: u32,
        t: FieldType,
    ) -> Value {
        let v = self
            .b
            .raw(
                opcode,
                &[obj],
                Some(t.value_type()),
                Extra::Field { decl, field },
            )
            .expect("a field read has a result");
        self.widen(v, t)
    }

    /// Item `index` (an i64) of array `arr` of type `k`, widened as PyPy's variables hold it.
    fn item(
        &mut self,
        opcode: Opcode,
        k: u32,
        t: FieldType,
        arr: Operand,
        index: Operand,
    ) -> Value {
        let i = self.index(index);
        let v = self
            .b
            .raw(opcode, &[arr, i], Some(t.value_type()), Extra::Object(k))
            .expect("an item read has a result");
        self.widen(v, t)
    }

    /// Sets item `index` of array `arr` of type `k` to `value`, narrowed to the item type.
    fn set_item(&mut self, k: u32, t: FieldType, arr: Operand, index: Operand, value: Operand) {
        let i = self.index(index);
        let value = self.narrow(value, t);
        self.b.raw(
            Opcode::SetarrayitemGc,
            &[arr, i, value],
            None,
            Extra::Object(k),
        );
    }

    /// The length of array `arr` of type `k`, as an i64.
    fn length(&mut self, k: u32, arr: Operand) -> Value {
        let n = self
            .b
            .raw(
                Opcode::ArraylenGc,
                &[arr],
                Some(Type::I32),
                Extra::Object(k),
            )
            .expect("arraylen has a result");
        self.b.unary(Opcode::CastI32ToI64, n)
    }

    /// A new struct of type `k`, every field zero.
    fn new_struct(&mut self, k: usize) -> Value {
        self.b
            .raw(
                Opcode::NewWithVtable,
                &[],
                Some(Type::Ref),
                Extra::Object(k as u32),
            )
            .expect("an allocation has a result")
    }

    /// A new array of type `k` of `n` (an i64) items, every one zero.
    fn new_array(&mut self, k: u32, n: Operand) -> Value {
        let n = self.index(n);
        self.b
            .raw(
                Opcode::NewArrayClear,
                &[n],
                Some(Type::Ref),
                Extra::Object(k),
            )
            .expect("an allocation has a result")
    }

    fn op(&mut self, op: &LogOp, part: &Part) -> Result<(), ImportError> {
        let name = op.name.as_str();
        match name {
            // The Python source position, kept as a comment before the next operation.
            "debug_merge_point" => {
                if let Some(LogArg::Str(text)) =
                    op.args.iter().find(|a| matches!(a, LogArg::Str(_)))
                {
                    let at = self.b.trace().ops.len();
                    self.notes.push((at, text.clone()));
                }
                return Ok(());
            }
            "enter_portal_frame" | "leave_portal_frame" | "keepalive" | "guard_no_exception"
            | "guard_not_forced" | "guard_not_forced_2" => return Ok(()),
            // Hints to PyPy's optimizer (an object's exact class, a call's known result):
            // nothing to do.
            "record_exact_class" | "record_known_result" => return Ok(()),
            // Raw memory at an absolute address: a load from (a store to) its buffer.
            _ if name.starts_with("getfield_raw_") || name == "setfield_raw" => {
                let (Some(LogArg::Int(addr)), Some(Descr::Field { kind, offset, .. })) =
                    (op.args.first(), &op.descr)
                else {
                    self.unsupported(op);
                    return Ok(());
                };
                let (Some(buf), true) =
                    (self.extra(&ExtraInput::Raw(*addr)), offset + 8 <= RAW_BYTES)
                else {
                    self.unsupported(op);
                    return Ok(());
                };
                let zero = Operand::Const(Scalar::I32(0));
                let (load, store) = match kind {
                    'F' => (Opcode::LoadF64, Opcode::StoreF64),
                    _ => (Opcode::LoadI64, Opcode::StoreI64),
                };
                if name == "setfield_raw" {
                    let Some(value) = op
                        .args
                        .get(1)
                        .map(|a| self.arg(a, op.pos))
                        .transpose()?
                        .flatten()
                    else {
                        self.unsupported(op);
                        return Ok(());
                    };
                    self.b.store(store, buf, zero, 1, *offset as i32, value);
                } else {
                    let v = self.b.load(load, buf, zero, 1, *offset as i32);
                    self.define(op, v);
                }
                return Ok(());
            }
            // The JIT frame's address, which only forcing reads: there is no frame to force.
            "force_token" => {
                let v = self.b.unary(Opcode::SameAs, Operand::Const(Scalar::NULL));
                self.define(op, v);
                return Ok(());
            }
            _ if is_call(name) => {
                // Every argument but the callee's name, which keeps its place as a 0.
                let callee_at = match name {
                    "cond_call" | "cond_call_value_i" => Some(1),
                    _ if name.starts_with("call_assembler") => None,
                    _ => Some(0),
                };
                let mut ops = Vec::with_capacity(op.args.len());
                for (k, a) in op.args.iter().enumerate() {
                    if Some(k) == callee_at {
                        ops.push(Operand::Const(Scalar::I64(0)));
                        continue;
                    }
                    match self.arg(a, op.pos)? {
                        Some(x) => ops.push(x),
                        None => {
                            self.unsupported(op);
                            return Ok(());
                        }
                    }
                }
                if callee_at.is_some_and(|c| c >= ops.len()) {
                    self.unsupported(op);
                    return Ok(());
                }
                return self.call(op, part, &ops);
            }
            "new_with_vtable" | "new" => {
                let class = op
                    .result
                    .as_ref()
                    .and_then(|r| class_of(part, r, self.decls))
                    .filter(|&k| !self.decls.objects[k].is_array());
                let Some(k) = class else {
                    self.unsupported(op);
                    return Ok(());
                };
                // PyPy's `new` (no vtable) too: every tracejit object carries its type.
                let v = self.new_struct(k);
                self.define(op, v);
                return Ok(());
            }
            // A check of the GC's type id (an integer only PyPy's GC knows): the type the
            // part's accesses to the object name, checked as a class.
            "guard_gc_type" => {
                let class = match op.args.first() {
                    Some(LogArg::Var(v)) => class_of(part, v, self.decls),
                    _ => None,
                };
                let obj = match op.args.first() {
                    Some(a) => self.arg(a, op.pos)?,
                    None => None,
                };
                let (Some(k), Some(obj)) = (class, obj) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let tid = Operand::Const(Scalar::I32(type_id(k) as i32));
                self.guard(op, Opcode::GuardClass, &[obj, tid])?;
                return Ok(());
            }
            // Every object the import makes is of exactly the class its uses name: there is no
            // hierarchy to test, so a subclass check is a class check.
            "guard_class" | "guard_nonnull_class" | "guard_subclass" => {
                let named = match op.args.get(1) {
                    Some(LogArg::ConstClass(c)) => Some(c),
                    Some(LogArg::Int(vt)) => self.decls.vtables.get(vt),
                    _ => None,
                };
                let class = named.and_then(|c| self.decls.class_index(c));
                let obj = match op.args.first() {
                    Some(a) => self.arg(a, op.pos)?,
                    None => None,
                };
                let (Some(k), Some(obj)) = (class, obj) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let g = match name {
                    "guard_subclass" => Opcode::GuardClass,
                    _ => Opcode::from_name(name).expect("the IR has it"),
                };
                self.guard(
                    op,
                    g,
                    &[obj, Operand::Const(Scalar::I32(type_id(k) as i32))],
                )?;
                return Ok(());
            }
            _ => {}
        }
        let Some(args) = self.args(op)? else {
            self.unsupported(op);
            return Ok(());
        };
        let needs = min_args(name);
        if args.len() < needs {
            return Err(ImportError::Arguments {
                name: name.to_string(),
                needs,
                pos: op.pos,
            });
        }
        let (base, suffix) = match name.rsplit_once('_') {
            Some((b, s)) if matches!(s, "i" | "r" | "f" | "n") => (b, s),
            _ => (name, ""),
        };
        match name {
            "int_add" | "int_sub" | "int_mul" | "int_and" | "int_or" | "int_xor" | "int_lshift"
            | "int_rshift" | "uint_rshift" | "uint_mul_high" | "float_add" | "float_sub"
            | "float_mul" | "float_truediv" | "int_add_ovf" | "int_sub_ovf" | "int_mul_ovf" => {
                let opcode = Opcode::from_name(name).expect("the IR has it");
                let v = self.b.binary(opcode, args[0], args[1]);
                self.define(op, v);
            }
            "int_lt" | "int_le" | "int_gt" | "int_ge" | "int_eq" | "int_ne" | "uint_lt"
            | "uint_le" | "uint_gt" | "uint_ge" | "float_lt" | "float_le" | "float_gt"
            | "float_ge" | "float_eq" | "float_ne" | "ptr_eq" | "ptr_ne" | "instance_ptr_eq"
            | "instance_ptr_ne" => {
                let opcode = Opcode::from_name(name.strip_prefix("instance_").unwrap_or(name))
                    .expect("the IR has it");
                let c = self.b.binary(opcode, args[0], args[1]);
                let wide = self.b.unary(Opcode::CastU32ToI64, c);
                self.define(op, wide);
                if let Some(r) = &op.result {
                    self.conds.insert(r.clone(), c);
                }
            }
            "int_is_true" | "int_is_zero" => {
                let opcode = Opcode::from_name(name).expect("the IR has it");
                let c = self.b.unary(opcode, args[0]);
                let wide = self.b.unary(Opcode::CastU32ToI64, c);
                self.define(op, wide);
                if let Some(r) = &op.result {
                    self.conds.insert(r.clone(), c);
                }
            }
            "int_neg" | "int_invert" | "float_neg" | "float_abs" => {
                let opcode = Opcode::from_name(name).expect("the IR has it");
                let v = self.b.unary(opcode, args[0]);
                self.define(op, v);
            }
            "cast_int_to_float" => {
                let v = self.b.unary(Opcode::CastI64ToF64, args[0]);
                self.define(op, v);
            }
            "cast_float_to_int" => {
                let v = self.b.unary(Opcode::CastF64ToI64, args[0]);
                self.define(op, v);
            }
            _ if base == "same_as" => {
                let v = self.b.unary(Opcode::SameAs, args[0]);
                self.define(op, v);
            }
            "guard_true" | "guard_false" => {
                let Some(c) = self.condition(op)? else {
                    self.unsupported(op);
                    return Ok(());
                };
                let g = Opcode::from_name(name).expect("the IR has it");
                self.guard(op, g, &[c])?;
            }
            "guard_value" if args.iter().all(|a| self.b.operand_type(*a) == Type::I64) => {
                self.guard(op, Opcode::GuardValue, &args)?;
            }
            "guard_value" if args.iter().all(|a| self.b.operand_type(*a) == Type::Ref) => {
                let same = self.b.binary(Opcode::PtrEq, args[0], args[1]);
                self.guard(op, Opcode::GuardTrue, &[same.into()])?;
            }
            "guard_isnull"
            | "guard_nonnull"
            | "guard_no_overflow"
            | "guard_overflow"
            | "guard_not_invalidated" => {
                let g = Opcode::from_name(name).expect("the IR has it");
                self.guard(op, g, &args)?;
            }
            _ if base == "getfield_gc" => {
                let Some((decl, field, t)) = self.field(&op.descr) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let opcode = Opcode::from_name(name).expect("the IR has it");
                let v = self.read_field(opcode, args[0], decl, field, t);
                self.define(op, v);
            }
            "setfield_gc" => {
                let Some((decl, field, t)) = self.field(&op.descr) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let value = self.narrow(args[1], t);
                self.b.raw(
                    Opcode::SetfieldGc,
                    &[args[0], value],
                    None,
                    Extra::Field { decl, field },
                );
            }
            _ if base == "getarrayitem_gc" || base == "getarrayitem_gc_pure" => {
                let Some((k, t)) = self.array(&op.descr) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let opcode =
                    Opcode::from_name(&format!("getarrayitem_gc_{suffix}")).expect("the IR has it");
                let v = self.item(opcode, k, t, args[0], args[1]);
                self.define(op, v);
            }
            "setarrayitem_gc" => {
                let Some((k, t)) = self.array(&op.descr) else {
                    self.unsupported(op);
                    return Ok(());
                };
                self.set_item(k, t, args[0], args[1], args[2]);
            }
            "arraylen_gc" => {
                let Some((k, _)) = self.array(&op.descr) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let v = self.length(k, args[0]);
                self.define(op, v);
            }
            "new_array" | "new_array_clear" => {
                let Some((k, _)) = self.array(&op.descr) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let v = self.new_array(k, args[0]);
                self.define(op, v);
            }
            // Strings are arrays of bytes (`decls::STR`).
            // Unicode strings are arrays of code points (`decls::UNICODE`).
            "newstr" | "strlen" | "strgetitem" | "strsetitem" | "newunicode" | "unicodelen"
            | "unicodegetitem" | "unicodesetitem" => {
                let (ty, item) = if name.contains("unicode") {
                    (UNICODE, jit_core::ir::MemType::I32)
                } else {
                    (STR, jit_core::ir::MemType::U8)
                };
                let Some(k) = self.decls.index(ty) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let (k, byte) = (k as u32, FieldType::Mem(item));
                let v = match name {
                    "newstr" | "newunicode" => Some(self.new_array(k, args[0])),
                    "strlen" | "unicodelen" => Some(self.length(k, args[0])),
                    "strgetitem" | "unicodegetitem" => {
                        Some(self.item(Opcode::GetarrayitemGcI, k, byte, args[0], args[1]))
                    }
                    _ => {
                        self.set_item(k, byte, args[0], args[1], args[2]);
                        None
                    }
                };
                if let Some(v) = v {
                    self.define(op, v);
                }
            }
            // The import's strings keep no hash: it reads as not computed yet (0), and the
            // `cond_call_value_i` PyPy puts after it computes one.
            "strhash" | "unicodehash" => {
                let v = self.b.unary(Opcode::SameAs, Operand::Const(Scalar::I64(0)));
                self.define(op, v);
            }
            // PyPy's counter of how often a loop runs, at an absolute address: the word of
            // its raw buffer, incremented.
            "increment_debug_counter" => {
                let buf = match op.args.first() {
                    Some(LogArg::Int(addr)) => self.extra(&ExtraInput::Raw(*addr)),
                    _ => None,
                };
                let Some(buf) = buf else {
                    self.unsupported(op);
                    return Ok(());
                };
                let zero = Operand::Const(Scalar::I32(0));
                let n = self.b.load(Opcode::LoadI64, buf, zero, 1, 0);
                let n1 = self
                    .b
                    .binary(Opcode::IntAdd, n, Operand::Const(Scalar::I64(1)));
                self.b.store(Opcode::StoreI64, buf, zero, 1, 0, n1);
            }
            // The bits pass through the scratch buffer: a store and a load of its 8 bytes.
            "convert_float_bytes_to_longlong" | "convert_longlong_bytes_to_float" => {
                let Some(scratch) = self.extra(&ExtraInput::Scratch) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let (store, load) = if name == "convert_float_bytes_to_longlong" {
                    (Opcode::StoreF64, Opcode::LoadI64)
                } else {
                    (Opcode::StoreI64, Opcode::LoadF64)
                };
                let zero = Operand::Const(Scalar::I32(0));
                self.b.store(store, scratch, zero, 1, 0, args[0]);
                let v = self.b.load(load, scratch, zero, 1, 0);
                self.define(op, v);
            }
            // An array of structs is an array of refs to them (`decls::Declarations::interiors`).
            _ if base == "getinteriorfield_gc" || name == "setinteriorfield_gc" => {
                let inner = match &op.descr {
                    Some(Descr::Interior(inner)) => Some(inner.as_ref().clone()),
                    _ => None,
                };
                let arr = match &inner {
                    Some(Descr::Field { name: f, .. }) => f
                        .rsplit_once('.')
                        .and_then(|(c, _)| self.decls.interiors.get(c))
                        .and_then(|a| self.decls.index(a)),
                    _ => None,
                };
                let (Some(a), Some((decl, field, t))) = (arr, self.field(&inner)) else {
                    self.unsupported(op);
                    return Ok(());
                };
                let i = self.index(args[1]);
                let item = self
                    .b
                    .raw(
                        Opcode::GetarrayitemGcR,
                        &[args[0], i],
                        Some(Type::Ref),
                        Extra::Object(a as u32),
                    )
                    .expect("an item read has a result");
                if name == "setinteriorfield_gc" {
                    let value = self.narrow(args[2], t);
                    self.b.raw(
                        Opcode::SetfieldGc,
                        &[item.into(), value],
                        None,
                        Extra::Field { decl, field },
                    );
                } else {
                    let opcode =
                        Opcode::from_name(&format!("getfield_gc_{suffix}")).expect("the IR has it");
                    let v = self.read_field(opcode, item.into(), decl, field, t);
                    self.define(op, v);
                }
            }
            "label" => {
                let Some(Descr::Target(t)) = op.descr else {
                    self.unsupported(op);
                    return Ok(());
                };
                let token = self.tree.tokens.len() as u32;
                self.tree.tokens.insert(t, token);
                // Label arguments are distinct variables; a repeated one is renamed.
                let mut values: Vec<Value> = Vec::new();
                for (k, a) in args.iter().enumerate() {
                    let Operand::Value(v) = *a else {
                        self.unsupported(op);
                        return Ok(());
                    };
                    let v = if values.contains(&v) {
                        let c = self.b.unary(Opcode::SameAs, v);
                        if let Some(LogArg::Var(n)) = op.args.get(k) {
                            self.vars.insert(n.clone(), c);
                        }
                        c
                    } else {
                        v
                    };
                    values.push(v);
                }
                // The extra inputs ride every loop (the same values each time); one the part
                // already carries (a constant call result it names) rides again as a copy.
                for k in 0..self.extra_values.len() {
                    let e = self.extra_values[k];
                    let e = if values.contains(&e) {
                        let c = self.b.unary(Opcode::SameAs, e);
                        self.extra_values[k] = c;
                        c
                    } else {
                        e
                    };
                    values.push(e);
                }
                let ops: Vec<Operand> = values.iter().map(|&v| v.into()).collect();
                self.b.raw(Opcode::Label, &ops, None, Extra::Target(token));
            }
            "jump" => match op.descr {
                Some(Descr::Target(t)) => {
                    let Some(&token) = self.tree.tokens.get(&t) else {
                        return Err(ImportError::NoLabel { pos: op.pos });
                    };
                    let mut args = args;
                    args.extend(self.extra_values.iter().map(|&v| Operand::from(v)));
                    self.b.raw(Opcode::Jump, &args, None, Extra::Target(token));
                }
                _ => self.unsupported(op),
            },
            "finish" => {
                self.b.finish(&args);
            }
            _ => self.unsupported(op),
        }
        Ok(())
    }
}
