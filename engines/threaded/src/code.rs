//! The threaded code the compiler emits: a stream of [`Word`]s, each an operation followed by
//! its immediates inline (slot numbers, code positions, indices, static offsets), as in Wasm3.
//! The executor lowers every [`Instr`] word to its handler's address at the same position, so a
//! code position means the same thing in both forms.
//!
//! Operand shapes name where an operation finds its operands: `S` a frame slot (named by an
//! immediate), `R` the top-of-stack register of the operand's class (`r0` for integers, `fp0`
//! for floats). Results of numeric operations, loads and `select` go to the register of their
//! class; reference results go to a slot.
//!
//! Invariants: each instruction is followed by exactly the immediates documented on it, in that
//! order; every slot immediate is below the function's frame size; every code-position
//! immediate is an instruction position of the same function.

use crate::ops::{BinOp, UnOp};
use crate::values::Class;

/// Where the two operands of a binary operation (or the value and address of a store) are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape2 {
    /// Both in slots: immediates `a`, `b`.
    SS,
    /// First in its register, second in a slot: immediate `b`.
    RS,
    /// First in a slot, second in its register: immediate `a`.
    SR,
    /// Both in registers of different classes (only float stores: value `fp0`, address `r0`).
    RR,
}

/// Where the operand of a unary operation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape1 {
    /// In a slot: immediate `slot`.
    S,
    /// In its register.
    R,
}

/// A memory load's width and extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoadKind {
    /// `i32.load`.
    I32,
    /// `i64.load`.
    I64,
    /// `f32.load`.
    F32,
    /// `f64.load`.
    F64,
    /// `i32.load8_s`.
    I32S8,
    /// `i32.load8_u`.
    I32U8,
    /// `i32.load16_s`.
    I32S16,
    /// `i32.load16_u`.
    I32U16,
    /// `i64.load8_s`.
    I64S8,
    /// `i64.load8_u`.
    I64U8,
    /// `i64.load16_s`.
    I64S16,
    /// `i64.load16_u`.
    I64U16,
    /// `i64.load32_s`.
    I64S32,
    /// `i64.load32_u`.
    I64U32,
}

impl LoadKind {
    /// Every kind, in declaration order.
    pub const ALL: [LoadKind; 14] = [
        LoadKind::I32,
        LoadKind::I64,
        LoadKind::F32,
        LoadKind::F64,
        LoadKind::I32S8,
        LoadKind::I32U8,
        LoadKind::I32S16,
        LoadKind::I32U16,
        LoadKind::I64S8,
        LoadKind::I64U8,
        LoadKind::I64S16,
        LoadKind::I64U16,
        LoadKind::I64S32,
        LoadKind::I64U32,
    ];

    /// Whether the result lives in `fp0`.
    pub const fn float(self) -> bool {
        matches!(self, LoadKind::F32 | LoadKind::F64)
    }
}

/// A memory store's width (the value's register class is `float`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreKind {
    /// `i32.store`, `i64.store32`.
    B32,
    /// `i64.store`.
    B64,
    /// `i32.store8`, `i64.store8`.
    B8,
    /// `i32.store16`, `i64.store16`.
    B16,
    /// `f32.store`.
    F32,
    /// `f64.store`.
    F64,
}

impl StoreKind {
    /// Every kind, in declaration order.
    pub const ALL: [StoreKind; 6] = [
        StoreKind::B32,
        StoreKind::B64,
        StoreKind::B8,
        StoreKind::B16,
        StoreKind::F32,
        StoreKind::F64,
    ];

    /// Whether the value lives in `fp0`.
    pub const fn float(self) -> bool {
        matches!(self, StoreKind::F32 | StoreKind::F64)
    }
}

/// Table and bulk operations whose operands are all in slots (immediates listed per variant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bulk {
    /// `memory.size`: `dst`.
    MemorySize,
    /// `memory.grow`: `dst`, `delta`.
    MemoryGrow,
    /// `memory.fill`: `dst`, `value`, `len`.
    MemoryFill,
    /// `memory.copy`: `dst`, `src`, `len`.
    MemoryCopy,
    /// `memory.init`: `segment`, `dst`, `src`, `len`.
    MemoryInit,
    /// `data.drop`: `segment`.
    DataDrop,
    /// `table.get`: `table`, `dst`, `index`.
    TableGet,
    /// `table.set`: `table`, `index`, `value`.
    TableSet,
    /// `table.size`: `table`, `dst`.
    TableSize,
    /// `table.grow`: `table`, `dst`, `init`, `delta`.
    TableGrow,
    /// `table.fill`: `table`, `start`, `value`, `len`.
    TableFill,
    /// `table.copy`: `dst table`, `src table`, `dst`, `src`, `len`.
    TableCopy,
    /// `table.init`: `table`, `segment`, `dst`, `src`, `len`.
    TableInit,
    /// `elem.drop`: `segment`.
    ElemDrop,
    /// `ref.func`: `func`, `dst`.
    RefFunc,
    /// `ref.is_null` into `r0`: `src`.
    RefIsNull,
}

/// One operation of the threaded code (immediates follow it in the stream).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Instr {
    /// Traps with `unreachable`.
    Unreachable,
    /// A binary numeric operation; result in the register of its class, or (`true`) in the
    /// slot named by one more immediate (a `local.set` folded into the operation).
    Bin(BinOp, Shape2, bool),
    /// A unary numeric operation; result as for [`Instr::Bin`].
    Un(UnOp, Shape1, bool),
    /// `slot[dst] = r0` (class `Int`) or `fp0` (class `Float`): immediate `dst`.
    Spill(Class),
    /// `slot[dst] = slot[src]`: immediates `dst`, `src`.
    Copy,
    /// Jump: immediate `target`.
    Br,
    /// Jump when the condition is non-zero: immediates (`cond` for `S`), `target`.
    BrIf(Shape1),
    /// Jump when the condition is zero: immediates (`cond` for `S`), `target`.
    BrUnless(Shape1),
    /// Jump through a table: immediates (`index` for `S`), `n`, then `n + 1` targets (the last
    /// is the default).
    BrTable(Shape1),
    /// An integer comparison ([`BinOp::fusable_compare`]) fused with the `br_if` (`true`) or
    /// branch-unless (`false`) that consumes it: the comparison's immediates (shape `SS`, `RS`
    /// or `SR`), then `target`.
    BrCmp(BinOp, Shape2, bool),
    /// An integer comparison ([`BinOp::fusable_compare`]) fused with a conditional
    /// [`Instr::Break`]: the comparison's immediates (shape `SS`, `RS` or `SR`), then `depth`
    /// and `target`; when the comparison holds, leaves `depth + 1` native loop frames towards
    /// `target`, otherwise continues with the next op.
    BrCmpBreak(BinOp, Shape2),
    /// Leave `depth + 1` native loop frames and continue at `target`: immediates `depth`,
    /// `target`.
    Break,
    /// A binary operation with its result to a slot ([`Instr::Bin`] with `to_slot`, for the
    /// operators of [`BinOp::continue_fusable`]) fused with the [`Instr::Continue`] right after
    /// it (the usual `local.set (i32.add …)` + `br $loop` end of a loop body): the operation's
    /// immediates, then the `Continue`'s (`depth`, loop position).
    BinContinue(BinOp, Shape2),
    /// Leave `depth` native loop frames and restart the loop whose body the last one runs:
    /// immediates `depth`, then the position of that loop's [`Instr::Loop`] op (for listings;
    /// the executor does not read it).
    Continue,
    /// A loop: runs its body (which starts at the next position) in a nested native frame and
    /// re-enters it on [`Instr::Continue`]; no immediates.
    Loop,
    /// The fall-through end of a loop body: leaves the loop's native frame and continues after
    /// it (the next position); no immediates.
    LoopEnd,
    /// Returns: immediate `m`, then `m` source slots copied to slots `0..m`.
    Return,
    /// Calls: immediates `0`, `func`, `base` (the callee's frame starts at slot `base`).
    Call,
    /// Calls through a table: immediates `1`, `type`, `table`, `base`, `index slot`.
    CallIndirect,
    /// `select`: immediates `cond`, `a`, `b` (slots), then `dst` for class `Ref`; result in the
    /// register of the class otherwise.
    Select(Class),
    /// `global.get`: immediate `global`, then `dst` for class `Ref`; result in the register
    /// of the class otherwise.
    GlobalGet(Class),
    /// `global.set`: immediate `global`, then `src` (`S`); from the register of the global's
    /// class (`R`).
    GlobalSet(Shape1, bool),
    /// A load: immediates `offset`, then `address slot` for `S`; address in `r0` for `R`;
    /// result as for [`Instr::Bin`].
    Load(LoadKind, Shape1, bool),
    /// A store of value and address in the given shape: immediates `offset`, then the slots
    /// the shape names (value first).
    Store(StoreKind, Shape2),
    /// A table, bulk memory or reference operation.
    Bulk(Bulk),
}

impl Instr {
    /// The variant writing its result to a slot (one more immediate), if this operation has
    /// one.
    pub fn to_slot_variant(self) -> Option<Instr> {
        match self {
            Instr::Bin(op, shape, false) => Some(Instr::Bin(op, shape, true)),
            Instr::Un(op, shape, false) => Some(Instr::Un(op, shape, true)),
            Instr::Load(kind, shape, false) => Some(Instr::Load(kind, shape, true)),
            _ => None,
        }
    }
}

/// One word of the code stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Word {
    /// An operation.
    Op(Instr),
    /// An immediate of the operation before it.
    Imm(u64),
}
