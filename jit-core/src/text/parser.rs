//! Text → [`Trace`]. Checks syntax, names and constant types; the verifier does the rest.

use std::collections::HashMap;

use smallvec::SmallVec;

use super::lexer::{lex, Tok};
use super::{ParseError, ParseErrorKind as K, Pos};
use crate::ir::{
    CType, ExitId, Extra, FuncDecl, FuncRef, MemArg, Op, Opcode, Operand, Scalar, Sig, Trace, Type,
    Value, ValueData, ValueDef,
};

/// Parses a trace. The result is not verified: see [`super::parse_verified`].
pub fn parse(src: &str) -> Result<Trace, ParseError> {
    parse_with_positions(src).map(|(t, _)| t)
}

/// Where the parts of a parsed trace stand in its text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Positions {
    /// Where each operation starts.
    pub ops: Vec<Pos>,
    /// Where each operation's arguments (its operands, after scale and offset are taken
    /// out of loads and stores) start.
    pub args: Vec<Vec<Pos>>,
    /// Where each `extern` declaration names its function.
    pub decls: Vec<Pos>,
    /// Where each object type declaration (`struct`, `array`) names its type.
    pub objects: Vec<Pos>,
    /// Each input's name as the text writes it (`p16`; the printer would say `p0`).
    pub inputs: Vec<String>,
}

impl Positions {
    /// The position of argument `arg` of op `op`, else of the op, if known.
    pub fn arg(&self, op: usize, arg: usize) -> Option<Pos> {
        self.args
            .get(op)
            .and_then(|a| a.get(arg))
            .or_else(|| self.ops.get(op))
            .copied()
    }
}

/// Parses a trace, also returning where each operation starts.
pub fn parse_with_positions(src: &str) -> Result<(Trace, Vec<Pos>), ParseError> {
    parse_positioned(src).map(|(t, p)| (t, p.ops))
}

/// Parses a trace, also returning where its operations, arguments and declarations stand.
pub fn parse_positioned(src: &str) -> Result<(Trace, Positions), ParseError> {
    parse_positioned_from(src, 0)
}

/// [`parse_positioned`], numbering exits without a `descr` from `first_exit` (a bridge in
/// a tree file continues the numbering of the parts before it).
pub fn parse_positioned_from(src: &str, first_exit: u32) -> Result<(Trace, Positions), ParseError> {
    let mut p = Parser {
        toks: lex(src)?,
        i: 0,
        trace: Trace::default(),
        names: HashMap::new(),
        funcs: HashMap::new(),
        positions: Positions::default(),
        inputs_seen: false,
        exits: first_exit,
        label: None,
        target: None,
    };
    p.statements()?;
    Ok((p.trace, p.positions))
}

/// A literal before its type is known.
#[derive(Clone, Debug)]
enum Lit {
    Int {
        value: i128,
        long: bool,
    },
    Float(u64),
    Null,
    /// `ConstClass(Name)`: the type id of a declared object type.
    Class(u32),
}

impl Lit {
    /// The type a literal has where nothing else decides.
    fn own_type(&self) -> Type {
        match self {
            Lit::Int { long: true, .. } => Type::I64,
            Lit::Int { .. } => Type::I32,
            Lit::Float(_) => Type::F64,
            Lit::Null => Type::Ref,
            Lit::Class(_) => Type::I32,
        }
    }

    fn text(&self) -> String {
        match self {
            Lit::Int { value, long } => format!("{value}{}", if *long { "L" } else { "" }),
            Lit::Float(b) => Scalar::F64(*b).to_string(),
            Lit::Null => "null".into(),
            Lit::Class(t) => format!("ConstClass(type {t})"),
        }
    }
}

#[derive(Clone, Debug)]
enum Raw {
    Var(Value, Pos),
    Lit(Lit, Pos),
}

struct Parser {
    toks: Vec<(Tok, Pos)>,
    i: usize,
    trace: Trace,
    names: HashMap<String, (Value, Pos)>,
    funcs: HashMap<String, FuncRef>,
    positions: Positions,
    inputs_seen: bool,
    exits: u32,
    /// The index of the last label op parsed (where a jump goes).
    label: Option<usize>,
    /// The label the op being parsed goes to, if it is a jump.
    target: Option<usize>,
}

fn err<T>(pos: Pos, kind: K) -> Result<T, ParseError> {
    Err(ParseError::new(pos, kind))
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.i].0
    }

    fn peek_at(&self, k: usize) -> &Tok {
        &self.toks[(self.i + k).min(self.toks.len() - 1)].0
    }

    fn pos(&self) -> Pos {
        self.toks[self.i].1
    }

    fn bump(&mut self) -> (Tok, Pos) {
        let t = self.toks[self.i].clone();
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn expected<T>(&self, what: &str) -> Result<T, ParseError> {
        err(
            self.pos(),
            K::Expected {
                expected: what.to_string(),
                found: self.peek().describe(),
            },
        )
    }

    fn expect(&mut self, t: Tok, what: &str) -> Result<Pos, ParseError> {
        if *self.peek() == t {
            Ok(self.bump().1)
        } else {
            self.expected(what)
        }
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == t {
            self.bump();
            true
        } else {
            false
        }
    }

    fn statements(&mut self) -> Result<(), ParseError> {
        loop {
            match self.peek().clone() {
                Tok::Eof => return Ok(()),
                Tok::Ident(s) if s == "extern" => self.declaration()?,
                Tok::Ident(s) if s == "struct" || s == "array" => self.object_type()?,
                Tok::LBracket => {
                    if self.inputs_seen || !self.trace.ops.is_empty() {
                        return err(self.pos(), K::MisplacedInputs);
                    }
                    self.inputs_seen = true;
                    self.bump();
                    for (name, pos) in self.name_list()? {
                        let ty = var_type(&name, pos)?;
                        let v = self.trace.values.push(ValueData {
                            ty,
                            def: ValueDef::Input(self.trace.inputs.len() as u32),
                        });
                        self.positions.inputs.push(name.clone());
                        self.bind(name, v, pos)?;
                        self.trace.inputs.push(v);
                    }
                }
                Tok::Ident(_) => self.operation()?,
                _ => {
                    return self.expected(
                        "an operation, 'extern', 'struct', 'array' or the input list '['",
                    )
                }
            }
        }
    }

    /// `extern @name(type, ...) [-> type]`
    fn declaration(&mut self) -> Result<(), ParseError> {
        self.bump();
        let pos = self.pos();
        let Tok::Func(name) = self.peek().clone() else {
            return self.expected("a function name '@name'");
        };
        self.bump();
        if self.funcs.contains_key(&name) {
            return err(pos, K::DuplicateFunc(name));
        }
        // `@tracejit_invalidate` is the one helper a trace calls itself.
        if crate::legalize::is_helper(&name) && name != crate::interp::INVALIDATE {
            return err(pos, K::ReservedFunc(name));
        }
        self.expect(Tok::LParen, "'('")?;
        let mut params = Vec::new();
        if !self.eat(&Tok::RParen) {
            loop {
                params.push(self.c_type_name()?);
                if self.eat(&Tok::RParen) {
                    break;
                }
                self.expect(Tok::Comma, "',' or ')'")?;
            }
        }
        let ret = if self.eat(&Tok::Arrow) {
            Some(self.c_type_name()?)
        } else {
            None
        };
        let f = self.trace.funcs.push(FuncDecl {
            name: name.clone(),
            params,
            ret,
        });
        self.funcs.insert(name, f);
        self.positions.decls.push(pos);
        Ok(())
    }

    /// `struct Name(type field, ...)` or `array Name(type)`.
    fn object_type(&mut self) -> Result<(), ParseError> {
        use crate::objects::{Field, ObjectDecl, ObjectKind};
        let array = matches!(self.peek(), Tok::Ident(s) if s == "array");
        self.bump();
        let pos = self.pos();
        let Tok::Ident(name) = self.peek().clone() else {
            return self.expected("the object type's name");
        };
        self.bump();
        if self.trace.objects.iter().any(|d| d.name == name) {
            return err(pos, K::DuplicateObjectType(name));
        }
        self.expect(Tok::LParen, "'('")?;
        let kind = if array {
            let item = self.field_type()?;
            self.expect(Tok::RParen, "')'")?;
            ObjectKind::Array(item)
        } else {
            let mut fields: Vec<Field> = Vec::new();
            if !self.eat(&Tok::RParen) {
                loop {
                    let ty = self.field_type()?;
                    let at = self.pos();
                    let Tok::Ident(field) = self.peek().clone() else {
                        return self.expected("a field name");
                    };
                    self.bump();
                    if fields.iter().any(|f| f.name == field) {
                        return err(at, K::DuplicateField { ty: name, field });
                    }
                    fields.push(Field { name: field, ty });
                    if self.eat(&Tok::RParen) {
                        break;
                    }
                    self.expect(Tok::Comma, "',' or ')'")?;
                }
            }
            ObjectKind::Struct(fields)
        };
        self.trace.objects.push(ObjectDecl { name, kind });
        self.positions.objects.push(pos);
        Ok(())
    }

    fn field_type(&mut self) -> Result<crate::objects::FieldType, ParseError> {
        let pos = self.pos();
        match self.peek().clone() {
            Tok::Ident(s) => {
                self.bump();
                crate::objects::FieldType::from_name(&s)
                    .ok_or_else(|| ParseError::new(pos, K::UnknownFieldType(s)))
            }
            _ => self.expected("a field type (i8, u8, i16, u16, i32, i64, f64 or ref)"),
        }
    }

    /// A C type of an `extern` declaration: an IR type, or `i8`, `u8`, `i16`, `u16`,
    /// `u32`, `f32`.
    fn c_type_name(&mut self) -> Result<CType, ParseError> {
        let pos = self.pos();
        match self.peek().clone() {
            Tok::Ident(s) => {
                self.bump();
                CType::from_name(&s).ok_or_else(|| ParseError::new(pos, K::UnknownType(s)))
            }
            _ => self.expected("a type (i8, u8, i16, u16, i32, u32, i64, f32, f64 or ref)"),
        }
    }

    /// `name, name, ... ]` after a `[`.
    fn name_list(&mut self) -> Result<Vec<(String, Pos)>, ParseError> {
        let mut names = Vec::new();
        if self.eat(&Tok::RBracket) {
            return Ok(names);
        }
        loop {
            let pos = self.pos();
            match self.peek().clone() {
                Tok::Ident(s) => {
                    self.bump();
                    names.push((s, pos));
                }
                _ => return self.expected("a variable"),
            }
            if self.eat(&Tok::RBracket) {
                return Ok(names);
            }
            self.expect(Tok::Comma, "',' or ']'")?;
        }
    }

    fn bind(&mut self, name: String, v: Value, pos: Pos) -> Result<(), ParseError> {
        if let Some(&(_, first)) = self.names.get(&name) {
            return err(pos, K::Redefined { name, first });
        }
        self.names.insert(name, (v, pos));
        Ok(())
    }

    fn lookup(&self, name: &str, pos: Pos) -> Result<Value, ParseError> {
        var_type(name, pos)?;
        match self.names.get(name) {
            Some(&(v, _)) => Ok(v),
            None => err(pos, K::Undefined(name.to_string())),
        }
    }

    /// `[name =] opname(args [, descr=<..>]) [[fail args]]`
    fn operation(&mut self) -> Result<(), ParseError> {
        let start = self.pos();
        let result = if *self.peek_at(1) == Tok::Eq {
            let (Tok::Ident(name), pos) = self.bump() else {
                unreachable!("peeked an identifier")
            };
            let ty = var_type(&name, pos)?;
            self.bump();
            Some((name, pos, ty))
        } else {
            None
        };
        let op_pos = self.pos();
        let Tok::Ident(op_name) = self.peek().clone() else {
            return self.expected("an operation name");
        };
        let opcode = Opcode::from_name(&op_name)
            .ok_or_else(|| ParseError::new(op_pos, K::UnknownOp(op_name.clone())))?;
        if opcode.is_gc_primitive() {
            return Err(ParseError::new(op_pos, K::LoweredOp(op_name)));
        }
        self.bump();
        self.expect(Tok::LParen, "'('")?;

        let mut func = None;
        let mut raws: Vec<Raw> = Vec::new();
        let mut descr: Option<(u32, Pos)> = None;
        let mut object: Option<Extra> = None;
        if !self.eat(&Tok::RParen) {
            loop {
                if let Tok::Func(name) = self.peek().clone() {
                    let pos = self.pos();
                    let names_function = opcode.is_call() || opcode == Opcode::FuncAddr;
                    if !names_function || func.is_some() || !raws.is_empty() {
                        return self.expected("an operand");
                    }
                    self.bump();
                    func = Some(
                        *self
                            .funcs
                            .get(&name)
                            .ok_or_else(|| ParseError::new(pos, K::UnknownFunc(name)))?,
                    );
                } else if *self.peek() == Tok::Ident("descr".into())
                    && *self.peek_at(1) == Tok::Eq
                    && opcode.is_object_op()
                    && !opcode.is_guard()
                {
                    object = Some(self.object_descr(opcode)?);
                    self.expect(Tok::RParen, "')' after descr")?;
                    break;
                } else if *self.peek() == Tok::Ident("descr".into()) && *self.peek_at(1) == Tok::Eq
                {
                    descr = Some(self.descr(opcode)?);
                    self.expect(Tok::RParen, "')' after descr")?;
                    break;
                } else {
                    raws.push(self.operand()?);
                }
                if self.eat(&Tok::RParen) {
                    break;
                }
                self.expect(Tok::Comma, "',' or ')'")?;
            }
        }
        if opcode.is_object_op() && !opcode.is_guard() && object.is_none() {
            return err(
                op_pos,
                K::Expected {
                    expected: format!("{op_name}'s descr=<Type> or descr=<Type.field>"),
                    found: "none".into(),
                },
            );
        }
        if (opcode.is_call() || opcode == Opcode::FuncAddr) && func.is_none() {
            return err(
                op_pos,
                K::Expected {
                    expected: format!("the function '@name' as {op_name}'s first argument"),
                    found: "none".into(),
                },
            );
        }

        // Fail args start on the guard's line; a `[` on a later line begins a statement.
        let close_line = self.toks[self.i.saturating_sub(1)].1.line;
        let mut fail_args = Vec::new();
        if *self.peek() == Tok::LBracket && self.pos().line == close_line {
            if !opcode.is_guard() {
                return err(self.pos(), K::FailArgsOnNonGuard(op_name));
            }
            self.bump();
            for (name, pos) in self.name_list()? {
                fail_args.push(self.lookup(&name, pos)?);
            }
        }

        // Loads and stores carry scale and offset as their 3rd and 4th arguments.
        let mut mem = None;
        if let Sig::Load(_) | Sig::Store(_) = opcode.sig() {
            let n = if matches!(opcode.sig(), Sig::Load(_)) {
                4
            } else {
                5
            };
            if raws.len() != n {
                let shape = if n == 4 {
                    "(base, index, scale, offset)"
                } else {
                    "(base, index, scale, offset, value)"
                };
                return err(
                    op_pos,
                    K::Expected {
                        expected: format!("{op_name}{shape}"),
                        found: format!("{} argument(s)", raws.len()),
                    },
                );
            }
            let scale = imm(&raws[2], 0, 255)? as u8;
            let offset = imm(&raws[3], i32::MIN as i128, i32::MAX as i128)? as i32;
            raws.drain(2..4);
            mem = Some(MemArg { scale, offset });
        }

        // A jump's constants take the types of the label it goes to.
        self.target = match (opcode, descr) {
            (Opcode::Jump, Some((t, _))) => self.trace.label_with_token(t),
            _ => self.label,
        };
        let object_types = match opcode.sig() {
            Sig::Object(o) => self
                .trace
                .object_op_types(o, object.as_ref().unwrap_or(&Extra::None))
                .map(|(a, _)| a),
            _ => None,
        };
        let args = self.resolve(opcode, func, &raws, object_types.as_deref())?;
        let index = self.trace.ops.len() as u32;
        let extra = if let Some(e) = object {
            e
        } else if let Some(m) = mem {
            Extra::Mem(m)
        } else if let Some(f) = func {
            Extra::Call(f)
        } else if opcode.is_exit() {
            let id = descr.map_or(self.exits, |(id, _)| id);
            Extra::Exit {
                id: ExitId(id),
                fail_args,
            }
        } else if let (Opcode::Label | Opcode::Jump, Some((t, _))) = (opcode, descr) {
            Extra::Target(t)
        } else {
            Extra::None
        };
        if opcode.is_exit() {
            self.exits = self.exits.saturating_add(1);
        } else if let (false, Some((_, pos))) =
            (matches!(opcode, Opcode::Label | Opcode::Jump), descr)
        {
            return err(pos, K::BadDescr(format!("{op_name} has no exit")));
        }
        let result = match result {
            Some((name, pos, ty)) => {
                let v = self.trace.values.push(ValueData {
                    ty,
                    def: ValueDef::Op(index),
                });
                self.bind(name, v, pos)?;
                Some(v)
            }
            None => None,
        };
        if opcode == Opcode::Label {
            self.label = Some(self.trace.ops.len());
        }
        self.trace.ops.push(Op {
            opcode,
            args,
            result,
            extra,
        });
        self.positions.ops.push(start);
        self.positions.args.push(
            raws.iter()
                .map(|r| match r {
                    Raw::Var(_, p) | Raw::Lit(_, p) => *p,
                })
                .collect(),
        );
        Ok(())
    }

    /// `descr=<Name>` (an object type) or `descr=<Name.field>` (a struct's field) of an
    /// object operation, checked against the declarations.
    fn object_descr(&mut self, opcode: Opcode) -> Result<Extra, ParseError> {
        use crate::ir::ObjOp;
        use crate::objects::ObjectKind;
        self.bump();
        self.bump();
        self.expect(Tok::Lt, "'<'")?;
        let pos = self.pos();
        let Tok::Ident(s) = self.peek().clone() else {
            return self.expected("an object type or 'Type.field'");
        };
        self.bump();
        self.expect(Tok::Gt, "'>'")?;
        let Sig::Object(o) = opcode.sig() else {
            unreachable!("called for object operations")
        };
        let wants_field = matches!(o, ObjOp::GetField(_) | ObjOp::SetField);
        let (ty, field) = match s.split_once('.') {
            Some((t, f)) => (t, Some(f)),
            None => (s.as_str(), None),
        };
        let Some(k) = self.trace.objects.iter().position(|d| d.name == ty) else {
            return err(pos, K::UnknownObjectType(ty.to_string()));
        };
        let decl = &self.trace.objects[k];
        let is_array = matches!(decl.kind, ObjectKind::Array(_));
        match (wants_field, field) {
            (true, Some(f)) => {
                let Some(j) = decl.field(f) else {
                    return err(
                        pos,
                        K::UnknownField {
                            ty: ty.to_string(),
                            field: f.to_string(),
                        },
                    );
                };
                Ok(Extra::Field {
                    decl: k as u32,
                    field: j as u32,
                })
            }
            (true, None) => err(
                pos,
                K::BadDescr(format!(
                    "{} names a field: descr=<{ty}.field>",
                    opcode.name()
                )),
            ),
            (false, Some(_)) => err(
                pos,
                K::BadDescr(format!("{} names a type, not a field", opcode.name())),
            ),
            (false, None) if (o == ObjOp::New) == is_array => err(
                pos,
                K::BadDescr(format!(
                    "{ty} is {}, {} needs {}",
                    if is_array { "an array" } else { "a struct" },
                    opcode.name(),
                    if is_array { "a struct" } else { "an array" }
                )),
            ),
            (false, None) => Ok(Extra::Object(k as u32)),
        }
    }

    /// `descr=<Guard3>`, `descr=<Finish3>`, or `descr=<Target3>` (a label's token, or the
    /// label a jump goes to).
    fn descr(&mut self, opcode: Opcode) -> Result<(u32, Pos), ParseError> {
        let pos = self.pos();
        self.bump();
        self.bump();
        self.expect(Tok::Lt, "'<'")?;
        let Tok::Ident(s) = self.peek().clone() else {
            return self.expected("'Guard<N>', 'Finish<N>' or 'Target<N>'");
        };
        let want = match opcode {
            Opcode::Finish => "Finish",
            Opcode::Label | Opcode::Jump => "Target",
            _ => "Guard",
        };
        let digits = s
            .strip_prefix(want)
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                ParseError::new(
                    self.pos(),
                    K::BadDescr(format!("expected {want}<N>, found '{s}'")),
                )
            })?;
        let id = digits.parse::<u32>().map_err(|_| {
            ParseError::new(
                self.pos(),
                K::BadDescr(format!(
                    "exit id {digits} does not fit in 32 bits (at most 4294967295)"
                )),
            )
        })?;
        self.bump();
        self.expect(Tok::Gt, "'>'")?;
        Ok((id, pos))
    }

    fn operand(&mut self) -> Result<Raw, ParseError> {
        let (tok, pos) = self.bump();
        Ok(match tok {
            Tok::Int { value, long } => Raw::Lit(Lit::Int { value, long }, pos),
            Tok::Float(b) => Raw::Lit(Lit::Float(b), pos),
            Tok::Ident(s) => match s.as_str() {
                "null" => Raw::Lit(Lit::Null, pos),
                "ConstClass" => {
                    self.expect(Tok::LParen, "'(' after ConstClass")?;
                    let (t, p) = self.bump();
                    let Tok::Ident(name) = t else {
                        return err(
                            p,
                            K::Expected {
                                expected: "an object type".into(),
                                found: t.describe(),
                            },
                        );
                    };
                    let Some(k) = self.trace.objects.iter().position(|d| d.name == name) else {
                        return err(p, K::UnknownObjectType(name));
                    };
                    self.expect(Tok::RParen, "')'")?;
                    Raw::Lit(Lit::Class(crate::objects::type_id(k)), pos)
                }
                "inf" => Raw::Lit(Lit::Float(f64::INFINITY.to_bits()), pos),
                "nan" => Raw::Lit(Lit::Float(crate::ir::CANONICAL_NAN_BITS), pos),
                "f64bits" => {
                    self.expect(Tok::LParen, "'(' after f64bits")?;
                    let bits = match self.bump() {
                        (Tok::Int { value, long: false }, _)
                            if (0..=u64::MAX as i128).contains(&value) =>
                        {
                            value as u64
                        }
                        (t, p) => {
                            return err(
                                p,
                                K::Expected {
                                    expected: "a 64-bit pattern like 0x7ff8000000000001".into(),
                                    found: t.describe(),
                                },
                            )
                        }
                    };
                    self.expect(Tok::RParen, "')'")?;
                    Raw::Lit(Lit::Float(bits), pos)
                }
                _ => Raw::Var(self.lookup(&s, pos)?, pos),
            },
            t => {
                return err(
                    pos,
                    K::Expected {
                        expected: "an operand".into(),
                        found: t.describe(),
                    },
                );
            }
        })
    }

    /// Gives each literal its type from its place and turns raw operands into operands.
    fn resolve(
        &self,
        opcode: Opcode,
        func: Option<FuncRef>,
        raws: &[Raw],
        object_types: Option<&[Type]>,
    ) -> Result<SmallVec<[Operand; 3]>, ParseError> {
        let trace = &self.trace;
        let poly_int = || {
            raws.iter()
                .find_map(|r| match r {
                    Raw::Var(v, _) if trace.ty(*v).is_int() => Some(trace.ty(*v)),
                    _ => None,
                })
                .or_else(|| {
                    raws.iter()
                        .any(|r| matches!(r, Raw::Lit(Lit::Int { long: true, .. }, _)))
                        .then_some(Type::I64)
                })
                .unwrap_or(Type::I32)
        };
        let label_types: Vec<Type> = match (opcode, self.target) {
            (Opcode::Jump, Some(l)) => trace.ops[l]
                .args
                .iter()
                .map(|&a| trace.operand_type(a))
                .collect(),
            _ => Vec::new(),
        };
        let mut out = SmallVec::new();
        for (k, raw) in raws.iter().enumerate() {
            let (lit, pos) = match raw {
                Raw::Var(v, _) => {
                    out.push(Operand::Value(*v));
                    continue;
                }
                Raw::Lit(l, p) => (l, *p),
            };
            let want = match opcode.sig() {
                Sig::IntBinary
                | Sig::IntOverflow
                | Sig::IntUnary
                | Sig::IntCompare
                | Sig::IntTest
                | Sig::GuardValue => poly_int(),
                Sig::FloatBinary | Sig::FloatUnary | Sig::FloatCompare => Type::F64,
                Sig::CarryOut | Sig::CarryIn => Type::I32,
                Sig::RefCompare | Sig::GuardRef => Type::Ref,
                Sig::Convert(from, _) => from,
                Sig::Load(_) => [Type::Ref, Type::I32]
                    .get(k)
                    .copied()
                    .unwrap_or(lit.own_type()),
                Sig::Store(m) => [Type::Ref, Type::I32, m.value_type()]
                    .get(k)
                    .copied()
                    .unwrap_or(lit.own_type()),
                Sig::GuardCond => Type::I32,
                Sig::Call => func
                    .and_then(|f| trace.funcs[f].params.get(k).map(|c| c.value()))
                    .unwrap_or(lit.own_type()),
                Sig::Jump => label_types.get(k).copied().unwrap_or(lit.own_type()),
                Sig::Object(_) => object_types
                    .and_then(|t| t.get(k).copied())
                    .unwrap_or(lit.own_type()),
                Sig::SameAs
                | Sig::Finish
                | Sig::Label
                | Sig::GuardFlag
                | Sig::CallSplit
                | Sig::CallHi
                | Sig::FuncAddr
                | Sig::Gc(_) => lit.own_type(),
            };
            out.push(Operand::Const(literal(lit, want, pos)?));
        }
        Ok(out)
    }
}

/// The type a variable name declares.
fn var_type(name: &str, pos: Pos) -> Result<Type, ParseError> {
    let mut chars = name.chars();
    let ty = chars.next().and_then(Type::from_prefix);
    let digits = chars.as_str();
    match ty {
        Some(t) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(t),
        _ => err(pos, K::BadVarName(name.to_string())),
    }
}

/// A literal as a constant of type `ty`.
fn literal(lit: &Lit, ty: Type, pos: Pos) -> Result<Scalar, ParseError> {
    let wrong = || {
        err(
            pos,
            K::ConstType {
                expected: ty,
                found: lit.text(),
            },
        )
    };
    let range = |lo: i128, hi: i128, v: i128| {
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            err(
                pos,
                K::ConstOutOfRange {
                    text: lit.text(),
                    ty: Some(ty),
                },
            )
        }
    };
    match (ty, lit) {
        (Type::I32, Lit::Int { value, long: false }) => {
            Ok(Scalar::I32(
                range(i32::MIN as i128, u32::MAX as i128, *value)? as u32 as i32,
            ))
        }
        (Type::I64, Lit::Int { value, .. }) => {
            Ok(Scalar::I64(
                range(i64::MIN as i128, u64::MAX as i128, *value)? as u64 as i64,
            ))
        }
        (Type::F64, Lit::Float(b)) => Ok(Scalar::F64(*b)),
        (Type::Ref, Lit::Null) => Ok(Scalar::NULL),
        (Type::I32, Lit::Class(t)) => Ok(Scalar::I32(*t as i32)),
        _ => wrong(),
    }
}

/// A scale or offset: an unsuffixed integer literal within `lo..=hi`.
fn imm(raw: &Raw, lo: i128, hi: i128) -> Result<i128, ParseError> {
    match raw {
        Raw::Lit(Lit::Int { value, long: false }, pos) => {
            if (lo..=hi).contains(value) {
                Ok(*value)
            } else {
                err(
                    *pos,
                    K::ConstOutOfRange {
                        text: value.to_string(),
                        ty: Some(Type::I32),
                    },
                )
            }
        }
        Raw::Lit(l, pos) => err(
            *pos,
            K::ConstType {
                expected: Type::I32,
                found: l.text(),
            },
        ),
        Raw::Var(_, pos) => Err(ParseError::new(
            *pos,
            K::Expected {
                expected: "a constant scale and offset".into(),
                found: "a variable".into(),
            },
        )),
    }
}
