//! The stack engine's instruction set: the original Wasm instructions, one per Wasm instruction,
//! in code order, with immediates pre-resolved for execution.
//!
//! Invariants (established by the translator on validated code):
//! - position `i` of a function's instruction vector is the `i`-th Wasm instruction of its body,
//!   including `block`, `loop`, `else` and every `end`; the function's last instruction is its
//!   final `end`, which executes as `return`;
//! - `block` and `end` do nothing at run time; `loop` only fires the loop event; branches carry
//!   an index into the function's jump table ([`Jump`]);
//! - `LocalGet(d)` etc. address the local `d` slots below the top of the value stack (`d >= 1`),
//!   precomputed from the validator's operand height at that instruction;
//! - memory immediates are the static offsets (memory 0; WebAssembly 2.0 has one memory).

use crate::translate::binop::{BinOp, UnOp};

/// A precomputed branch: where to go and how to reshape the value stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Jump {
    /// Instruction position to continue at.
    pub target: u32,
    /// Values on top of the stack that the branch carries.
    pub keep: u32,
    /// Values below those to discard.
    pub erase: u32,
    /// Whether the target is a loop body (the loop event fires on arrival).
    pub to_loop: bool,
    /// Whether the branch targets the function body's label, i.e. returns from the function:
    /// `target` is then the body's final `end` (translated to `Return`), which is dead code when
    /// nothing falls through to it, so arriving there by this branch is not an instruction
    /// boundary of its own (no `any` event fires there).
    pub to_body: bool,
}

/// Which load a fused [`Instr::LoadLocal`] performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // Named after the Wasm instructions.
pub enum LoadKind {
    I32Load,
    I64Load,
    F32Load,
    F64Load,
    I32Load8S,
    I32Load8U,
    I32Load16S,
    I32Load16U,
    I64Load8S,
    I64Load8U,
    I64Load16S,
    I64Load16U,
    I64Load32S,
    I64Load32U,
}

impl LoadKind {
    /// The load kind and static offset of a load instruction.
    pub fn of(instr: &Instr) -> Option<(LoadKind, u32)> {
        macro_rules! map {
            ($($name:ident),*) => {
                match *instr {
                    $(Instr::$name(offset) => Some((LoadKind::$name, offset)),)*
                    _ => None,
                }
            };
        }
        map!(
            I32Load, I64Load, F32Load, F64Load, I32Load8S, I32Load8U, I32Load16S, I32Load16U,
            I64Load8S, I64Load8U, I64Load16S, I64Load16U, I64Load32S, I64Load32U
        )
    }
}

/// One translated instruction.
#[derive(Clone, Copy, Debug, PartialEq)]
#[allow(missing_docs)] // Variants are named after the Wasm instructions they implement.
pub enum Instr {
    Unreachable,
    Nop,
    Block,
    Loop,
    /// Pops the condition; when zero, continues at `else_target` (after `else`, or after `end`).
    If {
        else_target: u32,
    },
    /// Reached at the end of the `then` arm: continue at `end_target` (after the `end`).
    Else {
        end_target: u32,
    },
    End,
    Br(u32),
    BrIf(u32),
    /// Jump table entries `start..start + len`; the last one is the default.
    BrTable {
        start: u32,
        len: u32,
    },
    Return,
    Call(u32),
    CallIndirect {
        type_index: u32,
        table: u32,
    },
    Drop,
    Select,
    LocalGet(u32),
    LocalSet(u32),
    LocalTee(u32),
    GlobalGet(u32),
    GlobalSet(u32),
    TableGet(u32),
    TableSet(u32),
    TableSize(u32),
    TableGrow(u32),
    TableFill(u32),
    TableCopy {
        dst: u32,
        src: u32,
    },
    TableInit {
        elem: u32,
        table: u32,
    },
    ElemDrop(u32),
    I32Load(u32),
    I64Load(u32),
    F32Load(u32),
    F64Load(u32),
    I32Load8S(u32),
    I32Load8U(u32),
    I32Load16S(u32),
    I32Load16U(u32),
    I64Load8S(u32),
    I64Load8U(u32),
    I64Load16S(u32),
    I64Load16U(u32),
    I64Load32S(u32),
    I64Load32U(u32),
    I32Store(u32),
    I64Store(u32),
    F32Store(u32),
    F64Store(u32),
    I32Store8(u32),
    I32Store16(u32),
    I64Store8(u32),
    I64Store16(u32),
    I64Store32(u32),
    MemorySize,
    MemoryGrow,
    MemoryFill,
    MemoryCopy,
    MemoryInit(u32),
    DataDrop(u32),
    I32Const(i32),
    I64Const(i64),
    F32Const(u32),
    F64Const(u64),
    RefNull,
    RefIsNull,
    RefFunc(u32),
    I32Eqz,
    I32Eq,
    I32Ne,
    I32LtS,
    I32LtU,
    I32GtS,
    I32GtU,
    I32LeS,
    I32LeU,
    I32GeS,
    I32GeU,
    I64Eqz,
    I64Eq,
    I64Ne,
    I64LtS,
    I64LtU,
    I64GtS,
    I64GtU,
    I64LeS,
    I64LeU,
    I64GeS,
    I64GeU,
    F32Eq,
    F32Ne,
    F32Lt,
    F32Gt,
    F32Le,
    F32Ge,
    F64Eq,
    F64Ne,
    F64Lt,
    F64Gt,
    F64Le,
    F64Ge,
    I32Clz,
    I32Ctz,
    I32Popcnt,
    I32Add,
    I32Sub,
    I32Mul,
    I32DivS,
    I32DivU,
    I32RemS,
    I32RemU,
    I32And,
    I32Or,
    I32Xor,
    I32Shl,
    I32ShrS,
    I32ShrU,
    I32Rotl,
    I32Rotr,
    I64Clz,
    I64Ctz,
    I64Popcnt,
    I64Add,
    I64Sub,
    I64Mul,
    I64DivS,
    I64DivU,
    I64RemS,
    I64RemU,
    I64And,
    I64Or,
    I64Xor,
    I64Shl,
    I64ShrS,
    I64ShrU,
    I64Rotl,
    I64Rotr,
    F32Abs,
    F32Neg,
    F32Ceil,
    F32Floor,
    F32Trunc,
    F32Nearest,
    F32Sqrt,
    F32Add,
    F32Sub,
    F32Mul,
    F32Div,
    F32Min,
    F32Max,
    F32Copysign,
    F64Abs,
    F64Neg,
    F64Ceil,
    F64Floor,
    F64Trunc,
    F64Nearest,
    F64Sqrt,
    F64Add,
    F64Sub,
    F64Mul,
    F64Div,
    F64Min,
    F64Max,
    F64Copysign,
    I32WrapI64,
    I32TruncF32S,
    I32TruncF32U,
    I32TruncF64S,
    I32TruncF64U,
    I64ExtendI32S,
    I64ExtendI32U,
    I64TruncF32S,
    I64TruncF32U,
    I64TruncF64S,
    I64TruncF64U,
    F32ConvertI32S,
    F32ConvertI32U,
    F32ConvertI64S,
    F32ConvertI64U,
    F32DemoteF64,
    F64ConvertI32S,
    F64ConvertI32U,
    F64ConvertI64S,
    F64ConvertI64U,
    F64PromoteF32,
    I32ReinterpretF32,
    I64ReinterpretF64,
    F32ReinterpretI32,
    F64ReinterpretI64,
    I32Extend8S,
    I32Extend16S,
    I64Extend8S,
    I64Extend16S,
    I64Extend32S,
    I32TruncSatF32S,
    I32TruncSatF32U,
    I32TruncSatF64S,
    I32TruncSatF64U,
    I64TruncSatF32S,
    I64TruncSatF32U,
    I64TruncSatF64S,
    I64TruncSatF64U,
    // Superinstructions (see `translate::fuse`): each stands for the original instructions
    // starting at its position, which stay in `FuncCode::instrs`. Local operands are slot
    // distances from the stack pointer at the start of the sequence.
    /// `local.get a; local.get b; op`.
    BinLocalLocal {
        op: BinOp,
        a: u32,
        b: u32,
    },
    /// `local.get a; const c; op` (`c` as a slot low half).
    BinLocalConst {
        op: BinOp,
        a: u32,
        c: u64,
    },
    /// `const c; op` on the stack top.
    BinConst {
        op: BinOp,
        c: u64,
    },
    /// `local.get b; op` on the stack top.
    BinLocal {
        op: BinOp,
        b: u32,
    },
    /// `local.get a; local.get b; op; local.set d`.
    BinLocalLocalSet {
        op: BinOp,
        a: u32,
        b: u32,
        d: u32,
    },
    /// `local.get a; iNN.const c; op; local.set d` (`c` sign-extended for 64-bit operators).
    BinLocalConstSet {
        op: BinOp,
        a: u32,
        c: i32,
        d: u32,
    },
    /// `local.get a; local.get b; op; br_if jump`.
    BrIfLocalLocal {
        op: BinOp,
        a: u32,
        b: u32,
        jump: u32,
    },
    /// `local.get a; iNN.const c; op; br_if jump`.
    BrIfLocalConst {
        op: BinOp,
        a: u32,
        c: i32,
        jump: u32,
    },
    /// `local.get b; op; local.set d` (first operand on the stack top).
    BinLocalSet {
        op: BinOp,
        b: u32,
        d: u32,
    },
    /// `op; local.set d` (both operands on the stack).
    BinSet {
        op: BinOp,
        d: u32,
    },
    /// `const c; local.get b; op`.
    BinConstLocal {
        op: BinOp,
        c: u64,
        b: u32,
    },
    /// `local.get a; op` for a unary operator.
    UnLocal {
        op: UnOp,
        a: u32,
    },
    /// `local.get a; <load kind> offset`.
    LoadLocal {
        kind: LoadKind,
        a: u32,
        offset: u32,
    },
    /// `local.get a; <load kind> offset; local.set d`.
    LoadLocalSet {
        kind: LoadKind,
        a: u32,
        offset: u32,
        d: u32,
    },
    /// `local.get a; <load kind> offset; op` (the loaded value is the right operand).
    LoadLocalBin {
        kind: LoadKind,
        op: BinOp,
        a: u32,
        offset: u32,
    },
    /// `local.get a; local.get b` (whole slots, so references too).
    LocalGet2 {
        a: u32,
        b: u32,
    },
    /// `local.get a; iNN.const c; op; outer` (`outer` takes the value below as left operand).
    BinLocalConstBin {
        op: BinOp,
        outer: BinOp,
        a: u32,
        c: i32,
    },
    /// `unop; op; local.set d` (the unary operator applies to the right operand).
    UnBinSet {
        un: UnOp,
        op: BinOp,
        d: u32,
    },
    /// `local.get b; unop; op; local.set d`.
    UnLocalBinSet {
        un: UnOp,
        op: BinOp,
        b: u32,
        d: u32,
    },
    // Specialized superinstructions (see `translate::special`): a generic fused shape with
    // its operator in the opcode; the operands mean the same as in the generic shape.
    BrIfLocalLocalI32Eq {
        a: u32,
        b: u32,
        jump: u32,
    },
    BrIfLocalLocalI32Ne {
        a: u32,
        b: u32,
        jump: u32,
    },
    BrIfLocalLocalI32LtS {
        a: u32,
        b: u32,
        jump: u32,
    },
    BrIfLocalLocalI32LtU {
        a: u32,
        b: u32,
        jump: u32,
    },
    BrIfLocalLocalI32GtS {
        a: u32,
        b: u32,
        jump: u32,
    },
    BrIfLocalLocalI32GtU {
        a: u32,
        b: u32,
        jump: u32,
    },
    BrIfLocalLocalI32LeS {
        a: u32,
        b: u32,
        jump: u32,
    },
    BrIfLocalLocalI32LeU {
        a: u32,
        b: u32,
        jump: u32,
    },
    BrIfLocalLocalI32GeS {
        a: u32,
        b: u32,
        jump: u32,
    },
    BrIfLocalLocalI32GeU {
        a: u32,
        b: u32,
        jump: u32,
    },
    BrIfLocalConstI32Eq {
        a: u32,
        c: i32,
        jump: u32,
    },
    BrIfLocalConstI32Ne {
        a: u32,
        c: i32,
        jump: u32,
    },
    BrIfLocalConstI32LtS {
        a: u32,
        c: i32,
        jump: u32,
    },
    BrIfLocalConstI32LtU {
        a: u32,
        c: i32,
        jump: u32,
    },
    BrIfLocalConstI32GtS {
        a: u32,
        c: i32,
        jump: u32,
    },
    BrIfLocalConstI32GtU {
        a: u32,
        c: i32,
        jump: u32,
    },
    BrIfLocalConstI32LeS {
        a: u32,
        c: i32,
        jump: u32,
    },
    BrIfLocalConstI32LeU {
        a: u32,
        c: i32,
        jump: u32,
    },
    BrIfLocalConstI32GeS {
        a: u32,
        c: i32,
        jump: u32,
    },
    BrIfLocalConstI32GeU {
        a: u32,
        c: i32,
        jump: u32,
    },
    BinLocalConstSetI32Add {
        a: u32,
        c: i32,
        d: u32,
    },
    BinLocalConstSetI32Sub {
        a: u32,
        c: i32,
        d: u32,
    },
    BinLocalConstSetI64Add {
        a: u32,
        c: i32,
        d: u32,
    },
    BinLocalConstSetI64Sub {
        a: u32,
        c: i32,
        d: u32,
    },
    UnBinSetI64AddExtendU {
        d: u32,
    },
    UnBinSetI64AddExtendS {
        d: u32,
    },
    UnLocalBinSetI64AddExtendU {
        b: u32,
        d: u32,
    },
    UnLocalBinSetI64AddExtendS {
        b: u32,
        d: u32,
    },
}
