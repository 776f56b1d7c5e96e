//! Where the instrumentation's additions sit in the rewritten module: the host imports
//! (appended after the original function imports, so defined functions shift by
//! [`IMPORTS`]), the added globals and table, and the registry of added function types.
//! Original type, global, table, memory and segment indices never move.

use std::collections::HashMap;

use wasm_encoder::reencode::Reencode;
use wasm_encoder::{BlockType, HeapType, Instruction, RefType};
use wasmparser::ValType;

/// The host module the added imports come from.
pub const HOST_MODULE: &str = "baton";

/// Number of added function imports.
pub const IMPORTS: u32 = 15;

/// The value types in the order of the typed save/load imports.
pub const VALUE_TYPES: [ValType; 6] = [
    ValType::I32,
    ValType::I64,
    ValType::F32,
    ValType::F64,
    ValType::FUNCREF,
    ValType::EXTERNREF,
];

/// The value types of the typed save/load imports of an MVP rewrite ([`crate::Options::mvp`]):
/// the numeric ones only (an MVP module has no reference-typed values, and an MVP engine cannot
/// link a host function taking one).
pub const MVP_VALUE_TYPES: [ValType; 4] = [ValType::I32, ValType::I64, ValType::F32, ValType::F64];

/// Number of added function imports of an MVP rewrite.
pub const MVP_IMPORTS: u32 = 11;

/// Names of the added imports of an MVP rewrite, in order (as [`IMPORT_NAMES`] without the
/// reference-typed `save_*` and `load_*`).
pub const MVP_IMPORT_NAMES: [&str; MVP_IMPORTS as usize] = [
    "event",
    "frame_done",
    "save_i32",
    "save_i64",
    "save_f32",
    "save_f64",
    "load_i32",
    "load_i64",
    "load_f32",
    "load_f64",
    "stack_exhausted",
];

/// The value types of the typed save/load imports (full or MVP rewrite).
pub fn value_types(mvp: bool) -> &'static [ValType] {
    if mvp {
        &MVP_VALUE_TYPES
    } else {
        &VALUE_TYPES
    }
}

/// The names of the added imports, in order (full or MVP rewrite).
pub fn import_names(mvp: bool) -> &'static [&'static str] {
    if mvp {
        &MVP_IMPORT_NAMES
    } else {
        &IMPORT_NAMES
    }
}

/// The number of added function imports (full or MVP rewrite): defined functions shift by it.
pub fn import_count(mvp: bool) -> u32 {
    if mvp {
        MVP_IMPORTS
    } else {
        IMPORTS
    }
}

/// Names of the added imports, in order: `event(kind, site, left) -> answer` (`left`: the
/// events-left counter after counting this event, negative from the threshold on, with a
/// frame limit over the asking frame's depth, see [`DEPTH_BITS`]; the host queues the counter
/// the code goes on with and the slack, which the code loads at once with `load_i64`, see
/// [`GO_ON`]),
/// `frame_done(site)`, `save_<type>(value)` and `load_<type>() -> value` per
/// [`VALUE_TYPES`], and `stack_exhausted()` (always traps, see [`STACK_EXHAUSTED`]).
pub const IMPORT_NAMES: [&str; IMPORTS as usize] = [
    "event",
    "frame_done",
    "save_i32",
    "save_i64",
    "save_f32",
    "save_f64",
    "save_funcref",
    "save_externref",
    "load_i32",
    "load_i64",
    "load_f32",
    "load_f64",
    "load_funcref",
    "load_externref",
    "stack_exhausted",
];

/// Added to the kind a counter-passing function's `entry` event passes to `event`: that call
/// also counts its caller's `call` event, the one just before (see `crate::counter`); the
/// host answers [`STOP_AT_CALLER`] for a stop there.
pub const MERGED_CALL: i32 = 0x100;

/// Added to the kind of a return check that also counts the header event of the loop it
/// branches back to right after (only instructions that cannot trap between, see `body`): the
/// host decides the return event, then the header's, and answers [`STOP_AT_NEXT`] for a stop
/// at the header.
pub const MERGED_NEXT_LOOP: i32 = 0x200;

/// `event`'s answers: go on, stop at this event, or (merged `entry` only) stop at the
/// caller's `call` event, or at the return event the caller left unchecked just before that
/// call (see `body`: a call's callee may count the return event before it).
///
/// Whatever the answer, the host also queues two `i64`s, the counter the code goes on with and
/// the slack, which the code loads right after `event` returns: after [`GO_ON`] the host
/// *re-arms* the counter to the events to its next threshold, with a frame limit at most the
/// events before the first entry that could pass it, `2 * (limit - depth)`, holding the rest
/// back in the slack global; otherwise it is `left` as given, slack 0. With a frame limit,
/// every cold path first calls the added re-arm function: while there is slack, it re-arms
/// the counter from it (same bound) and the code goes on without calling the host at all.
pub const GO_ON: i32 = 0;
/// See [`GO_ON`].
pub const STOP_HERE: i32 = 1;
/// See [`GO_ON`].
pub const STOP_AT_CALLER: i32 = 2;
/// See [`GO_ON`].
pub const STOP_AT_RETURN: i32 = 3;
/// See [`GO_ON`].
pub const STOP_AT_NEXT: i32 = 4;

/// With a frame limit (`Options::max_frames`), the counter of a frame `d` deep (itself
/// included) holding `l` events left is `l << DEPTH_BITS | d`: it is below 0 exactly when `l`
/// is, every event takes `1 << DEPTH_BITS` off, a call adds 1 for the callee and a return
/// takes it off again, so no frame depth needs a global or a parameter of its own; the host
/// reads both (`left >> DEPTH_BITS`, `left & (1 << DEPTH_BITS) - 1`). The limit must be below
/// `1 << DEPTH_BITS`.
pub const DEPTH_BITS: u32 = 20;

/// How the rewrite's counter holds the events left and, with a frame limit, the frame depth
/// (see [`DEPTH_BITS`]): the one definition the rewrite emits and the host reads.
#[derive(Debug, Clone, Copy)]
pub struct CounterLayout {
    depth_bits: u32,
}

impl CounterLayout {
    /// The layout of a rewrite with `frame_limit`.
    pub fn new(frame_limit: Option<u32>) -> Self {
        Self {
            depth_bits: if frame_limit.is_some() { DEPTH_BITS } else { 0 },
        }
    }

    /// What one event takes off the counter (`1 << DEPTH_BITS` with a frame limit).
    pub fn unit(self) -> i64 {
        1 << self.depth_bits
    }

    /// What entering a frame adds to the counter (0 without a frame limit).
    pub fn depth_step(self) -> i64 {
        i64::from(self.depth_bits > 0)
    }

    /// The events left a counter holds.
    pub fn left(self, counter: i64) -> i64 {
        counter >> self.depth_bits
    }

    /// The frame depth a counter holds (0 without a frame limit).
    pub fn depth(self, counter: i64) -> u32 {
        (counter & ((1i64 << self.depth_bits) - 1)) as u32
    }

    /// The counter of `left` events left `depth` frames deep (`left` capped so it fits).
    pub fn counter(self, left: i64, depth: u32) -> i64 {
        let max = i64::MAX >> self.depth_bits;
        let depth = i64::from(depth) & ((1i64 << self.depth_bits) - 1);
        (left.clamp(-max, max) << self.depth_bits) | depth
    }
}

/// The trap message of the `stack_exhausted` import: the rewritten module's own frame limit
/// (see `Options::max_frames`) was reached; hosts map it to "call stack exhausted".
pub const STACK_EXHAUSTED: &str = "baton instrumented: call stack exhausted";

/// The type a value of `ty` crosses the host boundary as: floats as their integer bits (a
/// host written in JavaScript would otherwise quiet signalling NaNs).
pub fn wire(ty: ValType) -> ValType {
    match ty {
        ValType::F32 => ValType::I32,
        ValType::F64 => ValType::I64,
        other => other,
    }
}

/// Position of `ty` in [`VALUE_TYPES`] (the numeric types have the same position in
/// [`MVP_VALUE_TYPES`]).
pub fn type_slot(ty: ValType) -> usize {
    VALUE_TYPES.iter().position(|t| *t == ty).unwrap_or(0)
}

/// wasm-encoder's value type for a wasmparser one (baton's feature set).
pub(crate) fn enc(ty: ValType) -> wasm_encoder::ValType {
    match ty {
        ValType::I32 => wasm_encoder::ValType::I32,
        ValType::I64 => wasm_encoder::ValType::I64,
        ValType::F32 => wasm_encoder::ValType::F32,
        ValType::F64 => wasm_encoder::ValType::F64,
        ValType::V128 => wasm_encoder::ValType::V128,
        ValType::Ref(r) if r == wasmparser::RefType::EXTERNREF => {
            wasm_encoder::ValType::Ref(RefType::EXTERNREF)
        }
        ValType::Ref(_) => wasm_encoder::ValType::Ref(RefType::FUNCREF),
    }
}

/// The zero (or null) constant of `ty`.
pub(crate) fn zero(ty: ValType) -> Instruction<'static> {
    match ty {
        ValType::I64 => Instruction::I64Const(0),
        ValType::F32 => Instruction::F32Const(0.0f32.into()),
        ValType::F64 => Instruction::F64Const(0.0f64.into()),
        ValType::Ref(r) if r == wasmparser::RefType::EXTERNREF => {
            Instruction::RefNull(HeapType::EXTERN)
        }
        ValType::Ref(_) => Instruction::RefNull(HeapType::FUNC),
        _ => Instruction::I32Const(0),
    }
}

/// Indices of everything the instrumentation adds.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// Original imported function count.
    pub imported_funcs: u32,
    /// The mode global: 0 running, 1 unwinding, 2 rewinding.
    pub mode: u32,
    /// The events-left global (i64): decremented at every event; the host is called when it
    /// goes negative.
    pub left: u32,
    /// The slack global (i64, see [`GO_ON`]).
    pub slack: u32,
    /// The frame limit, when the rewrite enforces one (see [`DEPTH_BITS`]).
    pub frame_limit: Option<u32>,
    /// With a frame limit, the added function re-arming the counter from the slack without the
    /// host (`(counter) -> counter`, see [`GO_ON`]).
    pub rearm: Option<u32>,
    /// Per data segment: the global flagging its drop, when passive.
    pub data_flags: Vec<Option<u32>>,
    /// Per element segment: the global flagging its drop, when passive.
    pub elem_flags: Vec<Option<u32>>,
    /// The added table holding every original function's rewind copy at the function's
    /// index (none in an MVP rewrite, which re-enters a `call_indirect` callee through
    /// [`Layout::dispatchers`]).
    pub funcs_table: Option<u32>,
    /// Number of added function imports ([`import_count`]).
    pub imports: u32,
    /// Whether this is an MVP rewrite (`Options::mvp`).
    pub mvp: bool,
    /// MVP rewrite: per type index used by `call_indirect`, the added function
    /// `(params.., callee: i32) -> results` calling the callee's rewind copy (callee: an
    /// original index) directly.
    pub dispatchers: HashMap<u32, u32>,
    /// The global an unwinding frame leaves its site in for its unwind tail (i32; a global,
    /// not a local, so the rewrite adds no local for it, and not a value carried by the
    /// branch to the tail: Wasm3 0.5.0 is unreliable with values carried out of nested
    /// blocks, see `lands_through_locals` in `body.rs`).
    pub unwind_site: u32,
    /// Whether the rewritten module has a data count section: without one (an MVP rewrite of
    /// a module without it) no code can use a passive data segment, and `data.drop` does not
    /// validate, so restoring its drop only sets the flag.
    pub data_count: bool,
    /// Per original function: whether it follows the counter-passing convention (see
    /// [`crate::counter`]).
    pub counter_passing: Vec<bool>,
    /// Per original function: whether it is *indexed* (MVP: in the table, counter-passing, and
    /// takes the table index it was called through as its last parameter; see
    /// [`crate::counter`]).
    pub indexed: Vec<bool>,
    /// `call_indirect` type indices whose calls pass the counter (and the index).
    pub indirect_passing: std::collections::BTreeSet<u32>,
    /// Per original function: the rewritten index of its rewind copy, when it has one (see
    /// `body`: a function with sites besides its entry; the copy at [`Layout::func`] then
    /// has no landings).
    pub rewind: Vec<Option<u32>>,
}

impl Layout {
    /// The rewritten index of original function `func`.
    pub fn func(&self, func: u32) -> u32 {
        if func < self.imported_funcs {
            func
        } else {
            func + self.imports
        }
    }

    /// The rewritten index of the copy of original function `func` a rewind enters: its
    /// rewind copy, or the function itself when it has none.
    pub fn rewind_func(&self, func: u32) -> u32 {
        self.rewind
            .get(func as usize)
            .copied()
            .flatten()
            .unwrap_or_else(|| self.func(func))
    }

    /// Whether original function `func` also takes the table index it was called through.
    pub fn takes_index(&self, func: u32) -> bool {
        self.indexed.get(func as usize).copied().unwrap_or(false)
    }

    /// Whether a `call_indirect` of type `type_index` passes the counter (and the index).
    pub fn indirect_passes(&self, type_index: u32) -> bool {
        self.indirect_passing.contains(&type_index)
    }

    /// The added parameters of a counter-passing function (`indexed`: also the table index):
    /// the counter and the index.
    pub fn passed(&self, indexed: bool) -> Vec<ValType> {
        passed_params(indexed)
    }

    /// What one event takes off the counter (see [`CounterLayout::unit`]).
    pub fn unit(&self) -> i64 {
        CounterLayout::new(self.frame_limit).unit()
    }

    /// What entering a frame adds to the counter (see [`CounterLayout::depth_step`]).
    pub fn depth_step(&self) -> i64 {
        CounterLayout::new(self.frame_limit).depth_step()
    }

    /// The signature indexed functions of type `sig` have, and a counter-passing
    /// `call_indirect` of it calls through.
    pub fn passing_signature(&self, sig: &wasmparser::FuncType) -> (Vec<ValType>, Vec<ValType>) {
        passing_signature(sig)
    }

    /// Whether original function `func` takes and returns the events-left counter.
    pub fn passes_counter(&self, func: u32) -> bool {
        self.counter_passing
            .get(func as usize)
            .copied()
            .unwrap_or(false)
    }

    /// Number of typed save (and of load) imports.
    fn typed(&self) -> u32 {
        (self.imports - 3) / 2
    }

    /// The `event` import.
    pub fn event(&self) -> u32 {
        self.imported_funcs
    }

    /// The `frame_done` import.
    pub fn frame_done(&self) -> u32 {
        self.imported_funcs + 1
    }

    /// The `save_<ty>` import.
    pub fn save(&self, ty: ValType) -> u32 {
        self.imported_funcs + 2 + type_slot(ty) as u32
    }

    /// The `load_<ty>` import.
    pub fn load(&self, ty: ValType) -> u32 {
        self.imported_funcs + 2 + self.typed() + type_slot(ty) as u32
    }

    /// The `stack_exhausted` import.
    pub fn stack_exhausted(&self) -> u32 {
        self.imported_funcs + 2 + 2 * self.typed()
    }

    /// Saves the value of `ty` on top of the stack (floats as their bits).
    pub fn save_seq(&self, ty: ValType) -> Vec<Instruction<'static>> {
        let call = Instruction::Call(self.save(ty));
        match ty {
            ValType::F32 => vec![Instruction::I32ReinterpretF32, call],
            ValType::F64 => vec![Instruction::I64ReinterpretF64, call],
            _ => vec![call],
        }
    }

    /// Loads a value of `ty` (floats from their bits).
    pub fn load_seq(&self, ty: ValType) -> Vec<Instruction<'static>> {
        let call = Instruction::Call(self.load(ty));
        match ty {
            ValType::F32 => vec![call, Instruction::F32ReinterpretI32],
            ValType::F64 => vec![call, Instruction::F64ReinterpretI64],
            _ => vec![call],
        }
    }
}

/// The added parameters of a counter-passing function: the counter, the table index it was
/// called through (`indexed`).
pub(crate) fn passed_params(indexed: bool) -> Vec<ValType> {
    let mut extra = vec![ValType::I64];
    if indexed {
        extra.push(ValType::I32);
    }
    extra
}

/// `sig` with an indexed function's parameters added and the counter returned.
pub(crate) fn passing_signature(sig: &wasmparser::FuncType) -> (Vec<ValType>, Vec<ValType>) {
    (
        [sig.params(), &passed_params(true)].concat(),
        [sig.results(), &[ValType::I64]].concat(),
    )
}

/// Reencodes original items with function indices shifted past the added imports.
pub(crate) struct Remap {
    /// Original imported function count.
    pub imported_funcs: u32,
    /// Number of added function imports.
    pub imports: u32,
}

impl Reencode for Remap {
    type Error = std::convert::Infallible;

    fn function_index(
        &mut self,
        func: u32,
    ) -> Result<u32, wasm_encoder::reencode::Error<Self::Error>> {
        Ok(if func < self.imported_funcs {
            func
        } else {
            func + self.imports
        })
    }
}

/// Function types the instrumentation adds, after the original ones.
#[derive(Debug, Default)]
pub(crate) struct Types {
    /// Number of original types.
    pub base: u32,
    /// Added types in index order.
    pub list: Vec<(Vec<ValType>, Vec<ValType>)>,
    map: HashMap<(Vec<ValType>, Vec<ValType>), u32>,
}

impl Types {
    /// A registry whose first added type gets index `base`.
    pub fn new(base: u32) -> Self {
        Types {
            base,
            ..Types::default()
        }
    }

    /// The index of type `params -> results`, added on first use.
    pub fn index(&mut self, params: &[ValType], results: &[ValType]) -> u32 {
        let key = (params.to_vec(), results.to_vec());
        if let Some(index) = self.map.get(&key) {
            return *index;
        }
        let index = self.base + self.list.len() as u32;
        self.list.push(key.clone());
        self.map.insert(key, index);
        index
    }

    /// A block type for `params -> results`.
    pub fn block(&mut self, params: &[ValType], results: &[ValType]) -> BlockType {
        match (params, results) {
            ([], []) => BlockType::Empty,
            ([], [one]) => BlockType::Result(enc(*one)),
            _ => BlockType::FunctionType(self.index(params, results)),
        }
    }
}
