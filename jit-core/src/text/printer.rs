//! [`Trace`] → text, in the canonical form the parser reads back to the same trace.

use std::fmt::Write;

use crate::ir::{Extra, Op, Operand, Trace};
use crate::verify::value_name;

/// Writes `trace` in the text format, one statement per line.
pub fn print(trace: &Trace) -> String {
    print_from(trace, 0)
}

/// [`print`] for a part whose exits are numbered from `first_exit` where they name none
/// (a bridge in a tree file).
pub(crate) fn print_from(trace: &Trace, first_exit: u32) -> String {
    print_noted(trace, first_exit, &[])
}

/// [`print_from`] with comment lines: each `(i, text)` of `notes` (in op order) as
/// `# text` before op `i` (after the last op if `i` is past it).
pub(crate) fn print_noted(trace: &Trace, first_exit: u32, notes: &[(usize, String)]) -> String {
    let mut s = String::new();
    for decl in &trace.objects {
        s.push_str(&crate::objects::decl_text(decl));
        s.push('\n');
    }
    for decl in trace.funcs.values() {
        let params: Vec<&str> = decl.params.iter().map(|t| t.name()).collect();
        let _ = write!(s, "extern @{}({})", decl.name, params.join(", "));
        if let Some(r) = decl.ret {
            let _ = write!(s, " -> {r}");
        }
        s.push('\n');
    }
    let inputs: Vec<String> = trace.inputs.iter().map(|&v| value_name(trace, v)).collect();
    let _ = writeln!(s, "[{}]", inputs.join(", "));
    let mut ordinal = first_exit;
    let mut notes = notes.iter().peekable();
    for (i, op) in trace.ops.iter().enumerate() {
        while let Some((_, text)) = notes.next_if(|(at, _)| *at <= i) {
            // One line, printable: a comment cannot hold a line break or control characters.
            let line: String = text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let _ = writeln!(s, "# {line}");
        }
        print_op(trace, op, ordinal, &mut s);
        s.push('\n');
        if op.opcode.is_exit() {
            ordinal = ordinal.saturating_add(1);
        }
    }
    s
}

/// Op `index` of `trace` as one line of the text format (exit ids always shown).
pub fn print_op_line(trace: &Trace, index: usize) -> String {
    let mut s = String::new();
    if let Some(op) = trace.ops.get(index) {
        print_op(trace, op, u32::MAX, &mut s);
    }
    s
}

fn operand(trace: &Trace, a: Operand) -> String {
    match a {
        Operand::Value(v) => value_name(trace, v),
        Operand::Const(c) => c.to_string(),
    }
}

/// Appends one operation; `ordinal` is the exit id it gets if it names none.
fn print_op(trace: &Trace, op: &Op, ordinal: u32, s: &mut String) {
    if let Some(r) = op.result {
        let _ = write!(s, "{} = ", value_name(trace, r));
    }
    let mut args: Vec<String> = Vec::with_capacity(op.args.len() + 2);
    match &op.extra {
        Extra::Call(f) => {
            let name = trace.funcs.get(*f).map_or("?", |d| d.name.as_str());
            args.push(format!("@{name}"));
        }
        Extra::Mem(_)
        | Extra::Exit { .. }
        | Extra::None
        | Extra::Target(_)
        | Extra::Object(_)
        | Extra::Field { .. } => {}
    }
    let class_guard = matches!(
        op.opcode.sig(),
        crate::ir::Sig::Object(crate::ir::ObjOp::GuardClass | crate::ir::ObjOp::GuardNonnullClass)
    );
    for (k, &a) in op.args.iter().enumerate() {
        // A class guard's type id, as the class it names.
        if let (true, 1, Operand::Const(crate::ir::Scalar::I32(tid))) = (class_guard, k, a) {
            if let Some(d) = (tid as usize)
                .checked_sub(1)
                .and_then(|k| trace.objects.get(k))
            {
                args.push(format!("ConstClass({})", d.name));
                continue;
            }
        }
        if let (Extra::Mem(m), 2) = (&op.extra, k) {
            args.push(m.scale.to_string());
            args.push(m.offset.to_string());
        }
        args.push(operand(trace, a));
    }
    if let (Extra::Mem(m), 2) = (&op.extra, op.args.len()) {
        args.push(m.scale.to_string());
        args.push(m.offset.to_string());
    }
    if let Extra::Exit { id, .. } = &op.extra {
        if id.0 != ordinal {
            let kind = if op.opcode.is_guard() {
                "Guard"
            } else {
                "Finish"
            };
            args.push(format!("descr=<{kind}{}>", id.0));
        }
    }
    if let Extra::Target(t) = op.extra {
        args.push(format!("descr=<Target{t}>"));
    }
    match op.extra {
        Extra::Object(k) => {
            let name = trace
                .objects
                .get(k as usize)
                .map_or("?", |d| d.name.as_str());
            args.push(format!("descr=<{name}>"));
        }
        Extra::Field { decl, field } => {
            let (name, f) = match trace.objects.get(decl as usize) {
                Some(d) => match &d.kind {
                    crate::objects::ObjectKind::Struct(fields) => (
                        d.name.as_str(),
                        fields.get(field as usize).map_or("?", |f| f.name.as_str()),
                    ),
                    crate::objects::ObjectKind::Array(_) => (d.name.as_str(), "?"),
                },
                None => ("?", "?"),
            };
            args.push(format!("descr=<{name}.{f}>"));
        }
        _ => {}
    }
    let _ = write!(s, "{}({})", op.opcode.name(), args.join(", "));
    if op.opcode.is_guard() {
        let fail: Vec<String> = op
            .fail_args()
            .iter()
            .map(|&v| value_name(trace, v))
            .collect();
        let _ = write!(s, " [{}]", fail.join(", "));
    }
}
