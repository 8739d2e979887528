//! The benchmark kernels through Cranelift, side by side with our x86-64 backend: a trace
//! becomes one Cranelift function — the ops before the label in the entry block, the loop
//! body in a block whose parameters are the label's arguments, every guard a branch to an
//! exit block that stores the fail args and returns the exit's index — compiled by
//! cranelift-codegen at `opt_level` none or speed and run natively.
//!
//! The function is `fn(inputs: *const u64, outputs: *mut u64) -> u32`: one 64-bit word per
//! input (refs as host pointers), one per value the exit leaves with. The translation covers
//! the ops the kernels use; any other op is reported as not translated.

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    self, types, AbiParam, Function, InstBuilder, MemFlagsData, Signature, UserFuncName,
};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use jit_core::ir::{EntityRef, Opcode, Operand, Scalar, Sig, Type};
use jit_core::runtime::ExecutableCode;
use jit_core::{Externs, Trace};

/// Cranelift's optimization level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptLevel {
    /// `opt_level=none`.
    None,
    /// `opt_level=speed`.
    Speed,
}

/// A Cranelift x86-64 ISA at `level`.
pub fn isa(level: OptLevel) -> Result<OwnedTargetIsa, String> {
    let mut flags = settings::builder();
    let name = match level {
        OptLevel::None => "none",
        OptLevel::Speed => "speed",
    };
    flags.set("opt_level", name).map_err(|e| e.to_string())?;
    cranelift_codegen::isa::lookup_by_name("x86_64-unknown-linux-gnu")
        .map_err(|e| e.to_string())?
        .finish(settings::Flags::new(flags))
        .map_err(|e| e.to_string())
}

fn clif_type(t: Type) -> ir::Type {
    match t {
        Type::I32 => types::I32,
        Type::I64 | Type::Ref => types::I64,
        Type::F64 => types::F64,
    }
}

/// `trace` as a Cranelift function (see the module docs).
pub fn translate(
    trace: &Trace,
    externs: &Externs,
    isa: &OwnedTargetIsa,
) -> Result<Function, String> {
    let mut sig = Signature::new(CallConv::SystemV);
    sig.params.push(AbiParam::new(types::I64));
    sig.params.push(AbiParam::new(types::I64));
    sig.returns.push(AbiParam::new(types::I32));
    let mut func = Function::with_name_signature(UserFuncName::user(0, 0), sig);
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let (inp, outp) = (b.block_params(entry)[0], b.block_params(entry)[1]);
    let flags = MemFlagsData::trusted();
    let mut vals: Vec<Option<ir::Value>> = vec![None; trace.values.len()];
    for (k, &v) in trace.inputs.iter().enumerate() {
        let t = trace.ty(v);
        let x = b.ins().load(clif_type(t), flags, inp, 8 * k as i32);
        vals[v.index()] = Some(x);
    }
    // The condition the last overflow-checked op left, for its guard.
    let mut overflow: Option<ir::Value> = None;
    let mut exit_index = 0i64;
    let mut loop_block = None;
    for op in &trace.ops {
        let arg = |b: &mut FunctionBuilder, vals: &[Option<ir::Value>], a: Operand| -> ir::Value {
            match a {
                Operand::Value(v) => vals[v.index()].expect("defined before use"),
                Operand::Const(c) => match c {
                    Scalar::I32(x) => b.ins().iconst(types::I32, x as i64),
                    Scalar::I64(x) => b.ins().iconst(types::I64, x),
                    Scalar::F64(bits) => b.ins().f64const(f64::from_bits(bits)),
                    Scalar::Ref(x) => b.ins().iconst(types::I64, x as i64),
                },
            }
        };
        let a: Vec<ir::Value> = op.args.iter().map(|&x| arg(&mut b, &vals, x)).collect();
        let bool_to_i32 = |b: &mut FunctionBuilder, c: ir::Value| b.ins().uextend(types::I32, c);
        use Opcode::*;
        let r: Option<ir::Value> = match op.opcode {
            IntAdd => Some(b.ins().iadd(a[0], a[1])),
            IntSub => Some(b.ins().isub(a[0], a[1])),
            IntMul => Some(b.ins().imul(a[0], a[1])),
            IntAnd => Some(b.ins().band(a[0], a[1])),
            IntOr => Some(b.ins().bor(a[0], a[1])),
            IntXor => Some(b.ins().bxor(a[0], a[1])),
            IntLshift => Some(b.ins().ishl(a[0], a[1])),
            IntRshift => Some(b.ins().sshr(a[0], a[1])),
            UintRshift => Some(b.ins().ushr(a[0], a[1])),
            IntNeg => Some(b.ins().ineg(a[0])),
            IntInvert => Some(b.ins().bnot(a[0])),
            IntAddOvf | IntSubOvf | IntMulOvf => {
                let (v, of) = match op.opcode {
                    IntAddOvf => b.ins().sadd_overflow(a[0], a[1]),
                    IntSubOvf => b.ins().ssub_overflow(a[0], a[1]),
                    _ => b.ins().smul_overflow(a[0], a[1]),
                };
                overflow = Some(of);
                Some(v)
            }
            IntEq | IntNe | IntLt | IntLe | IntGt | IntGe | UintLt | UintLe | UintGt | UintGe
            | PtrEq | PtrNe => {
                let cc = match op.opcode {
                    IntEq | PtrEq => IntCC::Equal,
                    IntNe | PtrNe => IntCC::NotEqual,
                    IntLt => IntCC::SignedLessThan,
                    IntLe => IntCC::SignedLessThanOrEqual,
                    IntGt => IntCC::SignedGreaterThan,
                    IntGe => IntCC::SignedGreaterThanOrEqual,
                    UintLt => IntCC::UnsignedLessThan,
                    UintLe => IntCC::UnsignedLessThanOrEqual,
                    UintGt => IntCC::UnsignedGreaterThan,
                    _ => IntCC::UnsignedGreaterThanOrEqual,
                };
                let c = b.ins().icmp(cc, a[0], a[1]);
                Some(bool_to_i32(&mut b, c))
            }
            FloatEq | FloatNe | FloatLt | FloatLe | FloatGt | FloatGe => {
                let cc = match op.opcode {
                    FloatEq => FloatCC::Equal,
                    FloatNe => FloatCC::NotEqual,
                    FloatLt => FloatCC::LessThan,
                    FloatLe => FloatCC::LessThanOrEqual,
                    FloatGt => FloatCC::GreaterThan,
                    _ => FloatCC::GreaterThanOrEqual,
                };
                let c = b.ins().fcmp(cc, a[0], a[1]);
                Some(bool_to_i32(&mut b, c))
            }
            FloatAdd => Some(b.ins().fadd(a[0], a[1])),
            FloatSub => Some(b.ins().fsub(a[0], a[1])),
            FloatMul => Some(b.ins().fmul(a[0], a[1])),
            FloatTruediv => Some(b.ins().fdiv(a[0], a[1])),
            FloatSqrt => Some(b.ins().sqrt(a[0])),
            FloatNeg => Some(b.ins().fneg(a[0])),
            FloatAbs => Some(b.ins().fabs(a[0])),
            CastI32ToF64 => Some(b.ins().fcvt_from_sint(types::F64, a[0])),
            CastI64ToF64 => Some(b.ins().fcvt_from_sint(types::F64, a[0])),
            CastI32ToI64 => Some(b.ins().sextend(types::I64, a[0])),
            CastU32ToI64 => Some(b.ins().uextend(types::I64, a[0])),
            CastI64ToI32 => Some(b.ins().ireduce(types::I32, a[0])),
            CastF64ToF32 => {
                let single = b.ins().fdemote(types::F32, a[0]);
                Some(b.ins().bitcast(types::I32, MemFlagsData::new(), single))
            }
            CastF32ToF64 => {
                let single = b.ins().bitcast(types::F32, MemFlagsData::new(), a[0]);
                Some(b.ins().fpromote(types::F64, single))
            }
            SameAs => Some(a[0]),
            _ if matches!(op.opcode.sig(), Sig::Load(_) | Sig::Store(_)) => {
                let m = op.mem().expect("a memory op has addressing");
                let index = match trace.operand_type(op.args[1]) {
                    Type::I64 => a[1],
                    _ => b.ins().sextend(types::I64, a[1]),
                };
                let scaled = b.ins().imul_imm_s(index, m.scale as i64);
                let addr0 = b.ins().iadd(a[0], scaled);
                let addr = b.ins().iadd_imm_s(addr0, m.offset as i64);
                match op.opcode {
                    LoadU8 => Some(b.ins().uload8(types::I32, flags, addr, 0)),
                    LoadI8 => Some(b.ins().sload8(types::I32, flags, addr, 0)),
                    LoadU16 => Some(b.ins().uload16(types::I32, flags, addr, 0)),
                    LoadI16 => Some(b.ins().sload16(types::I32, flags, addr, 0)),
                    LoadI32 => Some(b.ins().load(types::I32, flags, addr, 0)),
                    LoadI64 => Some(b.ins().load(types::I64, flags, addr, 0)),
                    LoadF64 => Some(b.ins().load(types::F64, flags, addr, 0)),
                    StoreI8 => {
                        b.ins().istore8(flags, a[2], addr, 0);
                        None
                    }
                    StoreI16 => {
                        b.ins().istore16(flags, a[2], addr, 0);
                        None
                    }
                    _ => {
                        b.ins().store(flags, a[2], addr, 0);
                        None
                    }
                }
            }
            Call => {
                let decl = &trace.funcs[op.func().expect("verified")];
                let addr = externs
                    .get(&decl.name)
                    .and_then(|f| f.native)
                    .ok_or_else(|| format!("no native @{}", decl.name))?;
                let plain = |c: &jit_core::CType| *c == jit_core::CType::of(c.value());
                if !decl.params.iter().chain(decl.ret.iter()).all(plain) {
                    return Err(format!(
                        "@{}: calls with narrow or float C types are not translated",
                        decl.name
                    ));
                }
                let mut csig = Signature::new(CallConv::SystemV);
                for &p in &decl.params {
                    csig.params.push(AbiParam::new(clif_type(p.value())));
                }
                if let Some(r) = decl.ret {
                    csig.returns.push(AbiParam::new(clif_type(r.value())));
                }
                let sref = b.import_signature(csig);
                let callee = b.ins().iconst(types::I64, addr as i64);
                let call = b.ins().call_indirect(sref, callee, &a);
                b.inst_results(call).first().copied()
            }
            Label => {
                let block = b.create_block();
                for &x in &op.args {
                    if let Operand::Value(v) = x {
                        b.append_block_param(block, clif_type(trace.ty(v)));
                    }
                }
                b.ins()
                    .jump(block, &a.iter().map(|&v| v.into()).collect::<Vec<_>>());
                b.switch_to_block(block);
                let params = b.block_params(block).to_vec();
                for (&x, p) in op.args.iter().zip(params) {
                    if let Operand::Value(v) = x {
                        vals[v.index()] = Some(p);
                    }
                }
                loop_block = Some(block);
                None
            }
            Jump => {
                let block = loop_block.ok_or("a jump without a label")?;
                b.ins()
                    .jump(block, &a.iter().map(|&v| v.into()).collect::<Vec<_>>());
                None
            }
            GuardTrue | GuardFalse | GuardNoOverflow | GuardOverflow | GuardNonnull
            | GuardIsnull => {
                let (cond, pass_if_set) = match op.opcode {
                    GuardTrue => (a[0], true),
                    GuardFalse => (a[0], false),
                    GuardNonnull => (a[0], true),
                    GuardIsnull => (a[0], false),
                    GuardNoOverflow => (overflow.ok_or("no overflow op before the guard")?, false),
                    _ => (overflow.ok_or("no overflow op before the guard")?, true),
                };
                let exit = b.create_block();
                let cont = b.create_block();
                if pass_if_set {
                    b.ins().brif(cond, cont, &[], exit, &[]);
                } else {
                    b.ins().brif(cond, exit, &[], cont, &[]);
                }
                b.switch_to_block(exit);
                let fail: Vec<ir::Value> = op
                    .fail_args()
                    .iter()
                    .map(|v| vals[v.index()].expect("defined"))
                    .collect();
                store_exit(&mut b, outp, &fail, exit_index, flags);
                exit_index += 1;
                b.switch_to_block(cont);
                None
            }
            Finish => {
                store_exit(&mut b, outp, &a, exit_index, flags);
                exit_index += 1;
                None
            }
            other => return Err(format!("{} is not translated to Cranelift", other.name())),
        };
        if let (Some(res), Some(v)) = (op.result, r) {
            vals[res.index()] = Some(v);
        }
    }
    b.seal_all_blocks();
    b.finalize(isa.frontend_config());
    Ok(func)
}

/// Stores `values` to the outputs (one 64-bit word each) and returns `index`.
fn store_exit(
    b: &mut FunctionBuilder,
    outp: ir::Value,
    values: &[ir::Value],
    index: i64,
    flags: MemFlagsData,
) {
    for (k, &v) in values.iter().enumerate() {
        b.ins().store(flags, v, outp, 8 * k as i32);
    }
    let r = b.ins().iconst(types::I32, index);
    b.ins().return_(&[r]);
}

/// Machine code for `func` at `isa`'s optimization level.
pub fn compile(func: Function, isa: &OwnedTargetIsa) -> Result<Vec<u8>, String> {
    let mut ctx = Context::for_function(func);
    let code = ctx
        .compile(&**isa, &mut ControlPlane::default())
        .map_err(|e| format!("{:?}", e.inner))?;
    Ok(code.code_buffer().to_vec())
}

/// Compiled Cranelift code, ready to call.
pub struct ClifCode {
    exec: ExecutableCode,
}

impl ClifCode {
    /// Maps `code` executable.
    pub fn new(code: &[u8]) -> Result<ClifCode, String> {
        Ok(ClifCode {
            exec: ExecutableCode::new(code).map_err(|e| e.to_string())?,
        })
    }

    /// Runs it with `inputs` as 64-bit words, filling `outputs`; returns the exit index.
    pub fn call(&self, inputs: &[u64], outputs: &mut [u64]) -> u32 {
        // SAFETY: the code is a Cranelift function of exactly this System V signature
        // (`translate`); it reads one word per trace input and writes at most one word per
        // value an exit leaves with, and `outputs` is sized for the largest exit by the
        // caller.
        unsafe {
            let f: extern "C" fn(*const u64, *mut u64) -> u32 =
                std::mem::transmute(self.exec.addr());
            f(inputs.as_ptr(), outputs.as_mut_ptr())
        }
    }
}
