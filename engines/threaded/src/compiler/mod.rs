//! The translator: WebAssembly function bodies to threaded code ([`crate::code`]), once per
//! function, after Wasm3's compiler.
//!
//! Frame layout, fixed at compile time: `[params | declared locals | constants | temporaries]`.
//! Constants are deduplicated (a pre-pass collects them) and copied into the frame at entry, so
//! a constant operand is just a slot. The operand at stack height `h` lives, when it lives in a
//! temporary, in slot `temp_base + h` (its *home*), so control-flow merges agree on locations.
//! An operand may instead be an alias of a local (`local.get` emits nothing), a constant slot,
//! or the top-of-stack register of its class (`r0` for integers, `fp0` for floats), which holds
//! at most one operand at a time.
//!
//! Invariants the translator keeps (the executor and [`crate::checkpoint`] rely on them):
//! - before `block`, `loop` and `if` both registers are spilled and no operand aliases a local
//!   (Wasm3's "PreserveRegisters"); a loop's and an `if`'s parameters are in their home slots;
//! - at a label's end and on every branch to it, its values are in their home slots;
//! - a `local.set`/`local.tee` first copies every alias of that local to its home slot;
//! - call arguments are in their home slots; the callee's frame starts at the first one;
//! - every safe point records its full operand map ([`points`]).
//!
//! Input must have been validated by wasmparser; inconsistencies still become
//! [`CompileError`]s, never panics.

mod control;
pub mod points;
mod stack;
mod translate;

use std::collections::HashMap;
use std::rc::Rc;

use baton_runtime::{FuncType, ModuleInfo, ValType};
use wasmparser::{FunctionBody, Operator};

use crate::code::Word;
use crate::values::from_wasmparser;
pub use points::{Loc, Operand, PointKind, SafePoint, SafePoints};

/// Why a function could not be compiled.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CompileError {
    /// wasmparser could not read the body.
    #[error("function {func}: {message}")]
    Read {
        /// Function index.
        func: u32,
        /// wasmparser's message.
        message: String,
    },
    /// The body is inconsistent (should have been rejected by validation) or unsupported.
    #[error("function {func} at pc {pc}: {what}")]
    Malformed {
        /// Function index.
        func: u32,
        /// Body-relative offset.
        pc: u32,
        /// What was wrong.
        what: String,
    },
}

/// A compiled function.
#[derive(Clone, Debug)]
pub struct CompiledFunc {
    /// Function index (index space).
    pub func: u32,
    /// The signature.
    pub ty: Rc<FuncType>,
    /// The threaded code.
    pub code: Vec<Word>,
    /// Types of the parameters and declared locals (local `i` lives in slot `i`).
    pub locals: Vec<ValType>,
    /// Constant values, in slots `locals.len()..`.
    pub consts: Vec<u64>,
    /// First temporary slot.
    pub temp_base: u32,
    /// Slots the frame needs.
    pub frame_size: u32,
    /// The safe-point maps.
    pub points: SafePoints,
}

impl CompiledFunc {
    /// First constant slot.
    pub fn const_base(&self) -> u32 {
        self.locals.len() as u32
    }

    /// The value of constant slot `slot`.
    pub fn const_value(&self, slot: u32) -> Option<u64> {
        self.consts
            .get(slot.checked_sub(self.const_base())? as usize)
            .copied()
    }
}

/// Compiles the validated body of function `func`.
pub fn compile(
    info: &ModuleInfo,
    func: u32,
    body: &FunctionBody<'_>,
    polling: bool,
) -> Result<CompiledFunc, CompileError> {
    let read = |e: wasmparser::BinaryReaderError| CompileError::Read {
        func,
        message: e.message().to_string(),
    };
    let ty = info
        .func_type(func)
        .ok_or_else(|| CompileError::Malformed {
            func,
            pc: 0,
            what: "no type".into(),
        })?
        .clone();
    let mut locals: Vec<ValType> = ty.params.to_vec();
    for local in body.get_locals_reader().map_err(read)? {
        let (count, vt) = local.map_err(read)?;
        let vt = from_wasmparser(vt).ok_or_else(|| CompileError::Malformed {
            func,
            pc: 0,
            what: format!("local type {vt}"),
        })?;
        locals.extend(std::iter::repeat_n(vt, count as usize));
    }
    // Pre-pass: the constants, deduplicated, so temporaries can start right after them.
    let mut consts = Vec::new();
    let mut const_slots = HashMap::new();
    let mut reader = body.get_operators_reader().map_err(read)?;
    while !reader.eof() {
        let bits = match reader.read().map_err(read)? {
            Operator::I32Const { value } => u64::from(value as u32),
            Operator::I64Const { value } => value as u64,
            Operator::F32Const { value } => u64::from(value.bits()),
            Operator::F64Const { value } => value.bits(),
            Operator::RefNull { .. } => 0,
            _ => continue,
        };
        const_slots.entry(bits).or_insert_with(|| {
            consts.push(bits);
            (locals.len() + consts.len() - 1) as u32
        });
    }
    let temp_base = (locals.len() + consts.len()) as u32;
    let mut compiler = translate::Compiler::new(info, ty.clone(), locals, temp_base, polling);
    compiler.const_slots = const_slots;
    let origin = body.range().start;
    let mut reader = body.get_operators_reader().map_err(read)?;
    while !reader.eof() {
        let (op, offset) = reader.read_with_offset().map_err(read)?;
        let pc = (offset - origin) as u32;
        let next = (reader.original_position() - origin) as u32;
        compiler
            .operator(&op, pc, next)
            .map_err(|what| CompileError::Malformed { func, pc, what })?;
    }
    let (code, points, max_height, locals) = compiler.finish();
    let frame_size = temp_base + max_height as u32 + 2;
    let frame_size = frame_size.max(ty.results.len() as u32);
    Ok(CompiledFunc {
        func,
        ty,
        code,
        locals,
        consts,
        temp_base,
        frame_size,
        points,
    })
}
