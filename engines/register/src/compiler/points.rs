//! The safe-point tables: for every position of the register code where an event can fire, its
//! kind, its Wasm offset and the full operand-stack map.
//!
//! Invariants: `code` is the index of the instruction that fires the event (`Entry`,
//! `LoopHead`, `AfterCall`, or the call itself for [`PointKind::Call`]); `pc` follows the image's
//! origin (offset from the body's local declarations); `operands` lists the Wasm operand stack
//! bottom first, including a call's arguments (and `call_indirect`'s table index). At most one
//! point exists per `(code, kind)` and per `(pc, kind)`.

use std::collections::HashMap;

use wasmparser::ValType;

/// The main safe-point kinds (the shared event counter's kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PointKind {
    /// Function entry.
    Entry,
    /// Loop header.
    Loop,
    /// Before a call.
    Call,
    /// After a call returned.
    Return,
}

/// Where a Wasm operand lives at a safe point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loc {
    /// An alias of local `.0`: the value is the local's current value.
    Local(u32),
    /// A constant: the cells' bits (`i32`/`f32`/refs: low 32 bits; `i64`/`f64`: all 64).
    Const(u64),
    /// A dynamic value in cell `.0` of the frame.
    Dynamic(u16),
    /// A local's earlier value preserved in cell `.0` before the local was overwritten.
    Preserved(u16),
}

/// One operand of the map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operand {
    /// Its type.
    pub ty: ValType,
    /// Its location.
    pub loc: Loc,
}

/// One safe point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafePoint {
    /// The event kind.
    pub kind: PointKind,
    /// Index of the instruction that fires the event.
    pub code: u32,
    /// Wasm offset (image origin) of the next Wasm instruction to execute.
    pub pc: u32,
    /// The operand stack, bottom first.
    pub operands: Vec<Operand>,
    /// For calls: how many top operands the call consumes (arguments, plus the table index of
    /// `call_indirect`).
    pub consumed: u32,
}

/// All safe points of a function, indexed both ways.
#[derive(Clone, Debug, Default)]
pub struct SafePoints {
    points: Vec<SafePoint>,
    by_code: HashMap<(u32, PointKind), u32>,
    by_pc: HashMap<(u32, PointKind), u32>,
}

impl SafePoints {
    /// Adds a point and returns its index.
    pub(crate) fn push(&mut self, point: SafePoint) -> u32 {
        let index = self.points.len() as u32;
        self.by_code.insert((point.code, point.kind), index);
        self.by_pc.insert((point.pc, point.kind), index);
        self.points.push(point);
        index
    }

    /// The point with index `index`.
    pub fn get(&self, index: u32) -> Option<&SafePoint> {
        self.points.get(index as usize)
    }

    /// The point of kind `kind` fired by instruction `code`.
    pub fn at_code(&self, code: u32, kind: PointKind) -> Option<&SafePoint> {
        self.get(*self.by_code.get(&(code, kind))?)
    }

    /// The point of kind `kind` at Wasm offset `pc`.
    pub fn at_pc(&self, pc: u32, kind: PointKind) -> Option<&SafePoint> {
        self.get(*self.by_pc.get(&(pc, kind))?)
    }

    /// Every point, in compilation order.
    pub fn iter(&self) -> impl Iterator<Item = &SafePoint> {
        self.points.iter()
    }
}
