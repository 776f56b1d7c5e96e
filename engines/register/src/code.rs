//! The register code: the instruction encoding the compiler emits and the executor runs.
//!
//! Operands are `u16` cell offsets from the frame base (`fp`). A frame is laid out as
//! `[params | declared locals | constant pool | operand cells]`; the constant pool is copied in at
//! call time, so constants are addressed exactly like any other cell. Branch targets are indices
//! into the function's code. Copy lists, `br_table` targets and call sites live in side tables of
//! [`crate::compiler::CompiledFunc`] and are referenced by `u32` index.
//!
//! Invariants: every offset an instruction names lies inside the function's frame
//! (`CompiledFunc::frame_cells`); every branch target and side-table index is in range; a
//! two-cell operand (i64, f64) names its low cell.

use crate::ops::for_each_numeric;

macro_rules! define_instr {
    (
        binary: [$(($bn:ident, $bi:ty, $bo:ty, $bvi:ident, $bvo:ident, $ba:ident, $bb:ident => $be:expr)),* $(,)?],
        binary_trap: [$(($tn:ident, $ti:ty, $to:ty, $tvi:ident, $tvo:ident, $ta:ident, $tb:ident => $te:expr)),* $(,)?],
        unary: [$(($un:ident, $ui:ty, $uo:ty, $uvi:ident, $uvo:ident, $ua:ident => $ue:expr)),* $(,)?],
        unary_trap: [$(($vn:ident, $vi:ty, $vo:ty, $vvi:ident, $vvo:ident, $va:ident => $ve:expr)),* $(,)?],
        imm: [$(($in:ident, $iname:ident, $it:ty, $ia:ident, $ib:ident => $ie:expr)),* $(,)?],
        cmp_branch: [$(($cn:ident, $cif:ident, $cunless:ident, $ct:ty, $ca:ident, $cb:ident => $ce:expr)),* $(,)?],
        eqz_branch: [$(($en:ident, $eif:ident, $eunless:ident, $et:ty)),* $(,)?],
    ) => {
        /// One register instruction. Cell operands are `u16` offsets from the frame base.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Instr {
            /// Entry safe point (first instruction of every function when polling is on).
            Entry,
            /// Loop-header safe point: the compiled position of a loop body's first instruction.
            LoopHead,
            /// Return safe point: right after a call, once the results are in place.
            AfterCall,
            /// Traps with `unreachable`.
            Unreachable,
            /// Jumps to the target.
            Br(u32),
            /// Jumps back to the loop header at `.0`, firing its loop event on the way (the header
            /// instruction itself is skipped unless the event needs the slow path).
            BrLoop(u32),
            /// Runs copy list `.0`, then jumps to `.1`.
            BrCopy(u32, u32),
            /// Jumps to `.1` when cell `.0` is non-zero.
            BrIf(u16, u32),
            /// Jumps to `.1` when cell `.0` is zero.
            BrUnless(u16, u32),
            /// When cell `.0` is non-zero: runs copy list `.1` and jumps to `.2`.
            BrIfCopy(u16, u32, u32),
            /// Branch table `.1` indexed by cell `.0`.
            BrTable(u16, u32),
            /// Returns no value.
            Return0,
            /// Returns the one-cell value at `.0`.
            Return1(u16),
            /// Returns the two-cell value at `.0`.
            Return2(u16),
            /// Returns the cells listed in return list `.0`.
            ReturnN(u32),
            /// Calls through call site `.0`.
            Call(u32),
            /// Calls indirectly through call site `.0` (the table index is the site's `index`).
            CallIndirect(u32),
            /// `cells[.0] = cells[.1]`.
            Copy1(u16, u16),
            /// Two-cell copy from `.1` to `.0`.
            Copy2(u16, u16),
            /// Runs copy list `.0`.
            CopyList(u32),
            /// `.0 = if cells[.1] != 0 { .2 } else { .3 }`, one cell.
            Select1(u16, u16, u16, u16),
            /// Two-cell select.
            Select2(u16, u16, u16, u16),
            /// `.0 = global .1` (one cell).
            GlobalGet(u16, u32),
            /// `global .1 = .0`.
            GlobalSet(u16, u32),
            /// Memory load of kind [`LoadKind::I32`]: `(dst, address cell, static offset)`.
            LoadI32(u16, u16, u32),
            /// Memory load of kind [`LoadKind::I64`]: `(dst, address cell, static offset)`.
            LoadI64(u16, u16, u32),
            /// Memory load of kind [`LoadKind::I32S8`]: `(dst, address cell, static offset)`.
            LoadI32S8(u16, u16, u32),
            /// Memory load of kind [`LoadKind::I32U8`]: `(dst, address cell, static offset)`.
            LoadI32U8(u16, u16, u32),
            /// Memory load of kind [`LoadKind::I32S16`]: `(dst, address cell, static offset)`.
            LoadI32S16(u16, u16, u32),
            /// Memory load of kind [`LoadKind::I32U16`]: `(dst, address cell, static offset)`.
            LoadI32U16(u16, u16, u32),
            /// Memory load of kind [`LoadKind::I64S8`]: `(dst, address cell, static offset)`.
            LoadI64S8(u16, u16, u32),
            /// Memory load of kind [`LoadKind::I64U8`]: `(dst, address cell, static offset)`.
            LoadI64U8(u16, u16, u32),
            /// Memory load of kind [`LoadKind::I64S16`]: `(dst, address cell, static offset)`.
            LoadI64S16(u16, u16, u32),
            /// Memory load of kind [`LoadKind::I64U16`]: `(dst, address cell, static offset)`.
            LoadI64U16(u16, u16, u32),
            /// Memory load of kind [`LoadKind::I64S32`]: `(dst, address cell, static offset)`.
            LoadI64S32(u16, u16, u32),
            /// Memory load of kind [`LoadKind::I64U32`]: `(dst, address cell, static offset)`.
            LoadI64U32(u16, u16, u32),
            /// Memory store of kind [`StoreKind::B32`]: `(value cell, address cell, static offset)`.
            StoreB32(u16, u16, u32),
            /// Memory store of kind [`StoreKind::B64`]: `(value cell, address cell, static offset)`.
            StoreB64(u16, u16, u32),
            /// Memory store of kind [`StoreKind::B8`]: `(value cell, address cell, static offset)`.
            StoreB8(u16, u16, u32),
            /// Memory store of kind [`StoreKind::B16`]: `(value cell, address cell, static offset)`.
            StoreB16(u16, u16, u32),
            /// `.0 = memory.size`.
            MemorySize(u16),
            /// `.0 = memory.grow(.1)`.
            MemoryGrow(u16, u16),
            /// `memory.fill(dst .0, value .1, len .2)`.
            MemoryFill(u16, u16, u16),
            /// `memory.copy(dst .0, src .1, len .2)`.
            MemoryCopy(u16, u16, u16),
            /// `memory.init` with bulk operand record `.0`.
            MemoryInit(u32),
            /// `data.drop .0`.
            DataDrop(u32),
            /// Table operation with bulk operand record `.1`.
            Table(TableOp, u32),
            /// `elem.drop .0`.
            ElemDrop(u32),
            /// `.0 = ref.null`.
            RefNull(u16),
            /// `.0 = ref.is_null(.1)`.
            RefIsNull(u16, u16),
            /// `.0 = ref.func .1`.
            RefFunc(u16, u32),
            $(
                #[doc = concat!("`", stringify!($bn), "`: `.0 = .1 op .2`.")]
                $bn(u16, u16, u16),
            )*
            $(
                #[doc = concat!("`", stringify!($tn), "` (may trap): `.0 = .1 op .2`.")]
                $tn(u16, u16, u16),
            )*
            $(
                #[doc = concat!("`", stringify!($un), "`: `.0 = op .1`.")]
                $un(u16, u16),
            )*
            $(
                #[doc = concat!("`", stringify!($vn), "` (may trap): `.0 = op .1`.")]
                $vn(u16, u16),
            )*
            $(
                #[doc = concat!("Fused `", stringify!($in), "` with a constant right operand: `.0 = .1 op imm`.")]
                $iname(u16, u16, i32),
            )*
            $(
                #[doc = concat!("Fused `", stringify!($cn), "; br_if`: jump to `.2` when `.0 op .1`.")]
                $cif(u16, u16, u32),
                #[doc = concat!("Fused `", stringify!($cn), "; if`: jump to `.2` unless `.0 op .1`.")]
                $cunless(u16, u16, u32),
            )*
            $(
                #[doc = concat!("Fused `", stringify!($en), "; br_if`: jump to `.1` when `.0 == 0`.")]
                $eif(u16, u32),
                #[doc = concat!("Fused `", stringify!($en), "; if`: jump to `.1` unless `.0 == 0`.")]
                $eunless(u16, u32),
            )*
        }
    };
}

for_each_numeric!(define_instr);

/// The kind of a memory load: width, signedness and result type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadKind {
    /// `i32.load` (also used for `f32.load`: same bits).
    I32,
    /// `i64.load` (also `f64.load`).
    I64,
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
    /// The load instruction of this kind (one variant per kind, so the executor dispatches once).
    pub fn instr(self, dst: u16, addr: u16, offset: u32) -> Instr {
        match self {
            LoadKind::I32 => Instr::LoadI32(dst, addr, offset),
            LoadKind::I64 => Instr::LoadI64(dst, addr, offset),
            LoadKind::I32S8 => Instr::LoadI32S8(dst, addr, offset),
            LoadKind::I32U8 => Instr::LoadI32U8(dst, addr, offset),
            LoadKind::I32S16 => Instr::LoadI32S16(dst, addr, offset),
            LoadKind::I32U16 => Instr::LoadI32U16(dst, addr, offset),
            LoadKind::I64S8 => Instr::LoadI64S8(dst, addr, offset),
            LoadKind::I64U8 => Instr::LoadI64U8(dst, addr, offset),
            LoadKind::I64S16 => Instr::LoadI64S16(dst, addr, offset),
            LoadKind::I64U16 => Instr::LoadI64U16(dst, addr, offset),
            LoadKind::I64S32 => Instr::LoadI64S32(dst, addr, offset),
            LoadKind::I64U32 => Instr::LoadI64U32(dst, addr, offset),
        }
    }
}

/// The kind of a memory store: how many low bytes of the value are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// Four bytes of a one-cell value (`i32.store`, `f32.store`).
    B32,
    /// Eight bytes of a two-cell value (`i64.store`, `f64.store`).
    B64,
    /// One byte (`i32.store8`, `i64.store8`).
    B8,
    /// Two bytes (`i32.store16`, `i64.store16`).
    B16,
}

impl StoreKind {
    /// The store instruction of this kind (one variant per kind, so the executor dispatches once).
    pub fn instr(self, value: u16, addr: u16, offset: u32) -> Instr {
        match self {
            StoreKind::B32 => Instr::StoreB32(value, addr, offset),
            StoreKind::B64 => Instr::StoreB64(value, addr, offset),
            StoreKind::B8 => Instr::StoreB8(value, addr, offset),
            StoreKind::B16 => Instr::StoreB16(value, addr, offset),
        }
    }
}

/// Table and bulk operations (operands in a [`BulkOperands`] record).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableOp {
    /// `table.get`: `dst = table[a]`.
    Get,
    /// `table.set`: `table[a] = b`.
    Set,
    /// `table.size`: `dst = size`.
    Size,
    /// `table.grow`: `dst = grow(init a, delta b)`.
    Grow,
    /// `table.fill`: `fill(at a, value b, len c)`.
    Fill,
    /// `table.copy`: `copy(dst a, src b, len c)` from table `other` into `table`.
    Copy,
    /// `table.init`: `init(dst a, src b, len c)` from element segment `other`.
    Init,
}

/// The operands of a table or bulk instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct BulkOperands {
    /// Result cell (when the operation has one).
    pub dst: u16,
    /// First operand cell.
    pub a: u16,
    /// Second operand cell.
    pub b: u16,
    /// Third operand cell.
    pub c: u16,
    /// The table index (or data segment, for `memory.init`).
    pub table: u32,
    /// The other index: source table for `table.copy`, element segment for `table.init`.
    pub other: u32,
}

/// One entry of a `br_table`: where to jump and which copy list to run first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BranchTarget {
    /// Code index of the target.
    pub target: u32,
    /// Copy list to run before jumping, if any.
    pub copies: Option<u32>,
}

/// A compile-time copy list: `(destination, source)` cell pairs, run in order.
pub type CopyList = Vec<(u16, u16)>;
