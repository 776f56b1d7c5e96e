//! The translator: WebAssembly function bodies to register code, once per function.
//!
//! The compiler keeps a model of the Wasm operand stack in which each operand has a location
//! ([`Loc`]): a local it aliases (`local.get` emits nothing), a constant of the pool, a dynamic
//! cell, or a preserved cell (a local's old value, copied before the local was overwritten).
//! Dynamic and preserved operands always live in their *home* cell, fixed by the operand's stack
//! position, so control-flow merges agree on where values are.
//!
//! Invariants the translator keeps (and the checkpoint mapping relies on):
//! - at every block, loop and `if` entry no operand aliases a local (aliases are materialised
//!   into their home cells), and a loop's or `if`'s parameters are dynamic, so every path into a
//!   label's code sees the same locations;
//! - every safe point records the full operand map at that position ([`points`]);
//! - `local.set` retargets only an instruction emitted for the operator just before it, and never
//!   across a safe point or when an alias of the local must be preserved first.
//!
//! Input must be validated by wasmparser first; the translator still reports inconsistencies as
//! [`CompileError`]s instead of panicking.

mod control;
mod memory;
mod module;
mod patch;
pub mod points;
mod pool;
mod stack;
mod translate;

pub use module::ModuleInfo;
pub use points::{Loc, Operand, PointKind, SafePoint, SafePoints};

use wasmparser::ValType;

use crate::code::{BranchTarget, BulkOperands, CopyList, Instr};

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
    /// The function needs more cells than a `u16` offset can address.
    #[error("function {func}: frame needs more than 65535 cells")]
    FrameTooLarge {
        /// Function index.
        func: u32,
    },
    /// The body uses something outside WebAssembly 2.0 without SIMD.
    #[error("function {func} at offset {pc}: unsupported instruction {what}")]
    Unsupported {
        /// Function index.
        func: u32,
        /// Body-relative offset.
        pc: u32,
        /// The instruction.
        what: String,
    },
    /// The body is inconsistent with the module (should have been rejected by validation).
    #[error("function {func} at offset {pc}: {what}")]
    Malformed {
        /// Function index.
        func: u32,
        /// Body-relative offset.
        pc: u32,
        /// What was wrong.
        what: String,
    },
}

/// Where a call goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Callee {
    /// A function of the module's index space (an import or a defined function).
    Direct(u32),
    /// Through a table, checked against a type.
    Indirect {
        /// Expected type index.
        type_index: u32,
        /// Table index.
        table: u32,
    },
}

/// One call instruction's operands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSite {
    /// What is called.
    pub callee: Callee,
    /// Source cell of each argument cell, in parameter order.
    pub args: Vec<u16>,
    /// For indirect calls, the cell holding the table index.
    pub index: u16,
    /// First cell the results are written to (contiguous, in result order).
    pub results: u16,
    /// The callee's type index.
    pub type_index: u32,
    /// The call's safe point (index into [`SafePoints`]).
    pub point: u32,
}

/// A local's type and first cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalSlot {
    /// The local's type.
    pub ty: ValType,
    /// Its first cell.
    pub cell: u16,
}

/// A compiled function: register code, constant pool, frame layout, side tables and the
/// safe-point tables.
#[derive(Clone, Debug)]
pub struct CompiledFunc {
    /// Function index in the module's index space.
    pub func: u32,
    /// The register code.
    pub code: Vec<Instr>,
    /// The same code in direct-threaded form, index-aligned with `code` (what the fast path
    /// runs; see `executor::handlers`).
    pub ops: Vec<crate::executor::handlers::Op>,
    /// Constant pool cells, copied to `const_base` when a frame is entered.
    pub consts: Vec<u32>,
    /// Cells taken by the parameters.
    pub param_cells: u16,
    /// Cells taken by parameters and declared locals; the constant pool starts here.
    pub local_cells: u16,
    /// Total cells of a frame.
    pub frame_cells: u32,
    /// Parameters then declared locals.
    pub locals: Vec<LocalSlot>,
    /// Result types.
    pub results: Vec<ValType>,
    /// Copy lists.
    pub copies: Vec<CopyList>,
    /// Source cells of `ReturnN` lists.
    pub returns: Vec<Vec<u16>>,
    /// `br_table` target lists (default last).
    pub tables: Vec<Vec<BranchTarget>>,
    /// Call sites.
    pub calls: Vec<CallSite>,
    /// Table and bulk operand records.
    pub bulk: Vec<BulkOperands>,
    /// Safe-point tables.
    pub points: SafePoints,
}

impl CompiledFunc {
    /// The constant pool's first cell.
    pub fn const_base(&self) -> usize {
        usize::from(self.local_cells)
    }

    /// A human-readable listing of the code, one instruction per line with its index, followed
    /// by the constant pool. Meant for tests and debugging.
    pub fn listing(&self) -> String {
        let mut out = String::new();
        for (index, instr) in self.code.iter().enumerate() {
            out.push_str(&format!("{index:4}: {instr:?}\n"));
        }
        out.push_str(&format!("consts@{}: {:?}\n", self.local_cells, self.consts));
        out
    }
}

/// How many cells a value of `ty` takes: 1 for `i32`, `f32` and references, 2 for `i64` and
/// `f64`, 4 for `v128` (never produced: SIMD is rejected).
pub fn cells_of(ty: ValType) -> u16 {
    match ty {
        ValType::I32 | ValType::F32 | ValType::Ref(_) => 1,
        ValType::I64 | ValType::F64 => 2,
        ValType::V128 => 4,
    }
}

/// Compiles one function body. `poll` chooses whether safe-point instructions are emitted
/// (without them the function runs without event polling and cannot be checkpointed).
pub fn compile(
    module: &ModuleInfo,
    func: u32,
    body: &wasmparser::FunctionBody<'_>,
    poll: bool,
) -> Result<CompiledFunc, CompileError> {
    translate::Translator::run(module, func, body, poll)
}
