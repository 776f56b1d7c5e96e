//! The compile-time safe-point maps: for every place a run can stop, its code position, its
//! Wasm pc, the native loop frames around it and, for every Wasm operand, its type and where
//! the threaded code keeps it. [`crate::checkpoint`] is their only reader.
//!
//! Keys (code positions): an `entry` point is keyed by position 0, where the body's code starts
//! (the entry event has no op: the activation fires it before running the code), a `loop`
//! point by its `Loop` op, a `call` point by its `Call`/`CallIndirect` op and a `return` point
//! by the position right after the call (where the caller's code resumes).
//!
//! Invariants: at most one point per (kind, key) and per (kind, pc); `loops` lists the code
//! positions of the `Loop` ops whose bodies enclose the point, outermost first (for a loop
//! point, the loop itself is last); registers hold at most one operand each.

use std::collections::HashMap;

use baton_runtime::ValType;

/// Where the threaded code keeps a Wasm operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loc {
    /// A temporary slot of the frame.
    Slot(u32),
    /// The integer register `r0`.
    R0,
    /// The float register `fp0`.
    Fp0,
    /// The slot of local `.0` (the operand is an alias of the local: `local.get` copies nothing).
    Local(u32),
    /// Constant slot `.0` (deduplicated constants of the function).
    Const(u32),
}

/// One Wasm operand at a safe point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operand {
    /// Its type.
    pub ty: ValType,
    /// Its location.
    pub loc: Loc,
}

/// The kind of a safe point (the main event kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PointKind {
    /// Function entry.
    Entry,
    /// Loop body start.
    Loop,
    /// Before a call.
    Call,
    /// After a call returned.
    Return,
}

/// One safe point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafePoint {
    /// Its kind.
    pub kind: PointKind,
    /// Its code position key (see the module docs).
    pub pos: u32,
    /// The image pc (body-relative byte offset).
    pub pc: u32,
    /// Code positions of the enclosing `Loop` ops, outermost first.
    pub loops: Vec<u32>,
    /// Every Wasm operand, bottom first.
    pub operands: Vec<Operand>,
    /// For call points: operands the call consumes (arguments, plus a `call_indirect`'s index).
    pub consumed: u32,
}

/// A function's safe points with lookups by code position and by pc.
#[derive(Clone, Debug, Default)]
pub struct SafePoints {
    points: Vec<SafePoint>,
    by_pos: HashMap<(PointKind, u32), usize>,
    by_pc: HashMap<(PointKind, u32), usize>,
}

impl SafePoints {
    /// Adds a point (a later point with the same key replaces the lookup of an earlier one).
    pub fn add(&mut self, point: SafePoint) {
        let index = self.points.len();
        self.by_pos.insert((point.kind, point.pos), index);
        self.by_pc.insert((point.kind, point.pc), index);
        self.points.push(point);
    }

    /// The point of `kind` keyed by code position `pos`.
    pub fn at_pos(&self, kind: PointKind, pos: u32) -> Option<&SafePoint> {
        self.points.get(*self.by_pos.get(&(kind, pos))?)
    }

    /// The point of `kind` at image pc `pc`.
    pub fn at_pc(&self, kind: PointKind, pc: u32) -> Option<&SafePoint> {
        self.points.get(*self.by_pc.get(&(kind, pc))?)
    }

    /// Every point, in compilation order.
    pub fn all(&self) -> &[SafePoint] {
        &self.points
    }
}
