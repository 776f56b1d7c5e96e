//! What the host needs to know about an instrumented module: the event sites (original pcs,
//! the level they sit in, the operand types a landing there loads), the control levels of
//! every function keyed by their original label, and which segments are tracked for drops.
//!
//! Invariants: sites of a level are in original pc order and numbered from 1 within it (the
//! number the rewind dispatch of that level loads); a site's `types` are the operand types
//! above the level's label height at the site (for a block site: before the block instruction,
//! block parameters and an `if` condition included).

use std::collections::HashMap;

use baton_checkpoint::image::LabelKind;
use wasmparser::ValType;

/// What happens at a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SiteKind {
    /// The function's `entry` event (resume lands after it).
    Entry,
    /// A loop header's `loop` event (resume lands after it).
    Loop,
    /// Before a call: its `call` event; resume lands on the call itself (the call in progress
    /// of an outer frame lands here too).
    Call,
    /// After a call: its `return` event (resume lands after it).
    Return,
    /// Before a nested block, loop or if that contains sites: rewinding re-enters it here.
    Block,
}

/// One site of an instrumented function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// What happens here.
    pub kind: SiteKind,
    /// The function (original index space).
    pub func: u32,
    /// Original pc: of the first instruction (entry), of the loop body's first instruction
    /// (loop), of the call (call), of the instruction after the call (return), of the
    /// block/loop/if instruction (block).
    pub pc: u32,
    /// The level the site is in (index into [`Meta::levels`]).
    pub level: u32,
    /// The site's number within its level, from 1.
    pub slot: u32,
    /// Operand types above the level's label height at the site, bottom first.
    pub types: Vec<ValType>,
    /// For a call site: the callee's parameter count plus one for `call_indirect`'s index.
    pub consumed: u32,
    /// For a call site: whether it is a `call_indirect`.
    pub indirect: bool,
    /// For a call site: whether the callee counts this `call` event together with its own
    /// `entry` event (a counter-passing callee, see the crate docs): a rewind landing on
    /// this call as the stop starts the callee with one more event left.
    pub merged: bool,
}

/// One control level (function body, block, loop, then-arm or else-arm) that holds sites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    /// The function (original index space).
    pub func: u32,
    /// The label's start as in an image (`0` for the body).
    pub start: u32,
    /// The label's kind as in an image.
    pub kind: LabelKind,
    /// Global ids of its sites, in order.
    pub sites: Vec<u32>,
}

/// Where an active element segment starts in its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentOffset {
    /// A constant offset.
    Const(u32),
    /// The value of (imported, immutable) global `g`, original index.
    Global(u32),
}

/// An active element segment of an MVP module: from instantiation on (nothing in an MVP module
/// can change a table afterwards), table `table` holds `funcs` from `offset` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSegment {
    /// The table (original index).
    pub table: u32,
    /// Its start.
    pub offset: SegmentOffset,
    /// Function indices (original index space), in order.
    pub funcs: Vec<u32>,
}

/// Everything the host side of an instrumented module needs.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// Every site; a site's id is its index.
    pub sites: Vec<Site>,
    /// Every level that holds sites.
    pub levels: Vec<Level>,
    /// `(func, start, kind as i32)` → level index.
    pub level_index: HashMap<(u32, u32, i32), u32>,
    /// Per data segment: whether it is passive (its drop is tracked); active ones are dropped
    /// from instantiation on.
    pub data_passive: Vec<bool>,
    /// Per element segment: whether it is passive (tracked); active and declarative ones are
    /// dropped from instantiation on.
    pub elem_passive: Vec<bool>,
    /// Function exports of the original module: name → function index.
    pub func_exports: Vec<(String, u32)>,
    /// Number of functions in the original index space.
    pub func_count: u32,
    /// Whether the module was rewritten in MVP mode (`Options::mvp`): no table helpers, the
    /// host derives the tables from [`Meta::table_segments`].
    pub mvp: bool,
    /// MVP mode: the module's active element segments, in order (the tables' only contents).
    pub table_segments: Vec<TableSegment>,
    /// The functions (original index space) with a separate rewind copy, exported as
    /// [`crate::names::rewind`]: a rewind whose outermost frame is one of them starts there
    /// (their own copy has no landings).
    pub rewind_copies: Vec<u32>,
}

impl Meta {
    /// The level of `func` whose label starts at `start` with `kind`.
    pub fn level(&self, func: u32, start: u32, kind: LabelKind) -> Option<&Level> {
        let index = *self.level_index.get(&(func, start, kind as i32))?;
        self.levels.get(index as usize)
    }

    /// The site of `kind` at `pc` in `level`.
    pub fn site_in(&self, level: &Level, kind: SiteKind, pc: u32) -> Option<&Site> {
        level
            .sites
            .iter()
            .filter_map(|id| self.sites.get(*id as usize))
            .find(|site| site.kind == kind && site.pc == pc)
    }

    /// The site with id `id`.
    pub fn site(&self, id: u32) -> Option<&Site> {
        self.sites.get(id as usize)
    }
}
