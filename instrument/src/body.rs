//! Pass 2 over one function body: the rewritten body.
//!
//! Shape of a rewritten function (`R` its results):
//! ```text
//! block $unwind
//!   block $body (result R)
//!     <body level: landing blocks, entry check, original code with checks>
//!   end
//!   [counter-passing: the counter as the last result; otherwise global $left = $l]
//!   return
//! end
//! [unwinding (the site left from in a global): save locals (last first), frame_done(site),
//!  zero results (counter-passing: and a negative counter)]
//! ```
//! The normal path of an event check is `$l -= 1; if $l < 0 { cold }` (with a frame limit the
//! counter also holds the frame depth in its low bits and an event takes `1 << DEPTH_BITS`
//! off, see `layout::DEPTH_BITS`; the entry check's cold path compares those bits with the
//! limit), starting from the
//! global instead of `$l` at the entry and after calls of module functions; `global $left = $l`
//! follows before calls, instructions that can trap, the normal exit and in the cold path. Everything else happens
//! in the cold path, entered when the threshold is reached (the host's `event`), while
//! unwinding (the host set no new threshold, so `$left` stays negative: the return check after
//! a call finds the mode "unwinding", drops the meaningless results, saves its part, leaves),
//! or while rewinding (the host sets `$left` to 0 and the mode to "rewinding", so the first
//! check of every frame goes cold and lands; the last landing restores `$left`).
//!
//! *Rewind copies*: a function with sites besides its entry is emitted twice. Its own body
//! (the one calls, exports and tables reach) has no landing blocks, pads or dispatches: it is
//! never entered rewinding. Its *rewind copy* (same type, exported as `__baton_rw{k}` for the
//! host's outermost frame, in the private table and the MVP direct dispatches) has them, and
//! a rewind's pad for a call in progress calls the callee's rewind copy itself and lands right
//! after the call; after the landing, the copy runs the rest of that invocation, calling the
//! normal bodies. Landing blocks cost an interpreter a slot copy per value at each block end
//! on the normal path (Wasm3 fib 1.81x -> 1.68x), and V8 optimized the normal bodies better
//! (fib 1.26x -> 1.02x, loops 1.21x -> 1.02x). A function whose one site is its entry lands
//! in an empty block: it is its own rewind copy.
//!
//! In a normal body, a call's check goes before the run of pure instructions computing its
//! arguments when that run takes nothing from under its start ([`Emitter::early_check`]): the
//! check carries fewer operands (none of the arguments), and only a stop runs that code in
//! the cold path to save the site's operands.
//!
//! A level holding sites `1..n` opens one landing block per site (`[P] -> [T_i]`, ending
//! exactly at site `i`), and one more after each call of a module function (ending right
//! after the call: the pad makes the call). Its dispatch (load the site number, branch through a `br_table` to a pad that loads
//! that site's operands and branches to its landing) sits in the cold path of the level's
//! first check when nothing with an effect comes before it (entry, loop header, or a call
//! after pure code), otherwise in a `mode != 0` check at the level's start. Operands under a
//! nested level are copied into spill locals when it is entered, so an unwind inside it can
//! save them (they are otherwise unreachable until it ends).
//!
//! A loop whose level holds no site but its header (nothing in it calls) and takes no
//! parameters is *hoisted*: its check in the loop is only `$l -= 1; br_if $cold`, and the
//! cold path (rewind landing, host `event`, unwind) follows the loop, inside a `loop $again`
//! that goes back into it (see `Emitter::hoisted_cold`), so the loop itself stays free of
//! calls (V8 then unrolls it and keeps its memory base in a register).
//!
//! A *lean* function (no locals of its own, its entry the only site: a leaf) gets no added
//! locals at all: its check decrements the global itself (an engine may set up a frame
//! without locals faster). No function gets a local for anything but `$l`, spills and MVP
//! landings: an unwind leaves its site for the tail in a global.
//!
//! Every answer of the host's `event` comes with the counter the code goes on with (loaded
//! right after, see `layout::GO_ON`): after "go on" the host re-arms it, at most to the
//! events before the first entry that could pass the frame limit.
//!
//! *Absorbed returns* (normal bodies, [`Emitter::absorbed`]): a return event followed only by
//! pure code up to a counter-passing call is left to that call's callee, whose entry check
//! then counts three events (`STOP_AT_RETURN` when the return is the stop). *Precounted loop
//! headers* ([`Precount`]): a return check directly in a loop, followed only by instructions
//! that cannot trap up to the `br` back to the header, counts the header event too
//! (`MERGED_NEXT_LOOP`; a stop at the header runs that code in the cold path and unwinds
//! from the header); when every branch back is such a `br`, the header check sits in an
//! added block around the original loop, which only the entry from before the loop passes.
//!
//! A *counter-passing* function (see [`crate::counter`]) has `$l` as a parameter after its
//! own (then, when *indexed*, MVP, the table index it was called through: a counter-passing
//! `call_indirect` keeps its index in a scratch local while it pushes the counter, and passes
//! it twice) and returns `$l` as its last result. Without a frame limit its callers store `$l - 1` in the
//! global (the engine's own stack limit on the call ends the run counted up to the call
//! event; with the limit, the callee's frame-limit exit stores that count itself) and pass
//! `$l - 2`: no check before the call; the callee's entry check (`$l < 0`, no subtraction)
//! covers the caller's `call` event and its own `entry` event, and its host call says which
//! one stops. A stop at the caller's call event makes the callee save its arguments as the
//! caller's top operands and return a negative counter in the mode "unwinding": the caller's
//! return check then unwinds from the call site, which is exactly the stop's frame. A level
//! whose first site is such a call dispatches at its start, behind a `$l < 0` check (the
//! host keeps the counter at -1 while rewinding). With a frame limit the counter it passes
//! holds one frame more in its depth bits.

use std::borrow::Cow;
use std::collections::HashMap;

use baton_checkpoint::analysis::{FunctionAnalysis, ModuleAnalysis};
use wasm_encoder::reencode::Reencode;
use wasm_encoder::{Encode, Function, Instruction};
use wasmparser::{FunctionBody, Operator, ValType};

use crate::error::InstrumentError;
use crate::layout::{enc, zero, Layout, Remap, Types, MERGED_CALL, MERGED_NEXT_LOOP};
use crate::meta::SiteKind;
use crate::plan::{block_sig, call_sig, cannot_trap, is_pure, types_at, PlanLevel};

/// The mode value of an unwind.
const UNWINDING: i32 = 1;

/// The mode value a counter-passing callee returns with when the event its caller left for it
/// to count before the call, a return event (see [`Emitter::absorbed`]), is the stop: the
/// caller unwinds from that return site.
const UNWINDING_FROM_RETURN: i32 = 3;

/// The mode value a counter-passing callee returns with when it is entered while its caller's
/// previous call unwinds (the caller went on to this call without checking that call's
/// return, see [`Emitter::absorbed`]): the caller unwinds from that previous call.
const UNWINDING_FROM_PREVIOUS_CALL: i32 = 4;

/// The event kind of a return check (as `event` gets it).
const RETURN_KIND: i32 = 4;

/// The event kind of an entry check.
const ENTRY_KIND: i32 = 1;

/// An entry of the emitted control stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctl {
    /// The outer block whose end is the unwind tail.
    Unwind,
    /// A label of the original code (the body block included).
    Orig,
    /// A landing or transient block of the instrumentation.
    Added,
}

/// Where an event check takes the counter from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Count {
    /// The global (function entry, after a call of a function that is not counter-passing).
    Global,
    /// `$l`.
    Local,
    /// A counter-passing function's entry: its caller subtracted both events already.
    Passed,
    /// After a call of a counter-passing function: the counter it returned, on top of the
    /// operands (counted from there without a round trip through `$l`: Wasm3 copies on
    /// every `local.set`).
    Returned,
}

/// What the cold path of an event check does besides calling the host.
#[derive(Debug, Clone, Copy)]
enum Cold {
    /// Nothing: only the host's `event`.
    Plain,
    /// The level's dispatch (`entry`: the body level, which reloads the locals first).
    Dispatch { entry: bool },
    /// A return check after a module function's call: unwinding continues in this frame.
    Return {
        call_id: u32,
        results: usize,
        absorbed: Option<Absorbed>,
    },
}

/// A return event left unchecked for the next call's callee to count (see
/// [`Emitter::absorbed`]): the return site, and the call it returns from with its result count.
#[derive(Debug, Clone, Copy)]
struct Absorbed {
    return_id: u32,
    call_id: u32,
    results: usize,
}

impl Cold {
    /// A site's check: with the level's dispatch if it is the level's first site (`first`).
    fn at_site(first: bool) -> Cold {
        if first {
            Cold::Dispatch { entry: false }
        } else {
            Cold::Plain
        }
    }
}

/// Code a check is emitted before (already emitted, moved after it), which its cold path runs
/// before unwinding.
#[derive(Clone, Copy)]
enum Late<'c> {
    /// Nothing.
    None,
    /// The pure code computing a call's arguments (see [`Emitter::early_check`]), and the
    /// call site's operand types after it: a stop at the call runs it, then saves them.
    Early(&'c [u8], &'c [ValType]),
    /// A return check that also counts the header event of the loop it is directly in (see
    /// [`Precount`]): the code up to the `br` back to the header, and the header's site. A
    /// stop at the header runs the code and unwinds from the header.
    Header(&'c [u8], u32),
}

/// A return check left for the `br` back to the loop header it also counts (see
/// `PlanLevel::precounted_header`; a normal copy only): where in `out` it goes, and what
/// [`Emitter::check`] needs.
struct Precount {
    pos: usize,
    site: u32,
    types: Vec<ValType>,
    cold: Cold,
    count: Count,
}

/// Where a rewind lands for one site: its landing block, and for a `call_indirect` site the
/// block ending right after the call (control-stack positions).
#[derive(Debug, Clone, Copy)]
struct Landing {
    at: usize,
    after: Option<usize>,
}

/// A loop whose header check has its cold path after the loop (control-stack positions of
/// the added `block $exit` and `loop $again` around it; its site id).
#[derive(Debug, Clone, Copy)]
struct Hoist {
    exit: usize,
    again: usize,
    site: u32,
}

/// A level being emitted.
struct Open {
    plan: usize,
    cursor: usize,
    dead: bool,
    spills: Vec<(u32, ValType)>,
    landings: Vec<Landing>,
    /// Whether the first site's check holds the dispatch.
    dispatch_first: bool,
    /// A loop whose check's cold path is outside it.
    hoist: Option<Hoist>,
    /// A loop whose header check only its entry from before it passes (a precounted header,
    /// see `PlanLevel::precounted_header`): the check sits in an added block around the
    /// original loop, whose branches back go to the loop's start, after the check.
    outer_loop: bool,
}

/// Emits one function.
pub(crate) struct Emitter<'a> {
    layout: &'a Layout,
    types: &'a mut Types,
    analysis: &'a ModuleAnalysis,
    function: &'a FunctionAnalysis,
    levels: &'a [PlanLevel],
    /// Global site ids per plan level, parallel to its sites.
    site_ids: &'a [Vec<u32>],
    out: Vec<u8>,
    ctl: Vec<Ctl>,
    open: Vec<Open>,
    locals: Vec<ValType>,
    next_level: usize,
    /// `$l`: the local (or, counter-passing, the parameter) holding the events-left count;
    /// `None` in a lean function, which uses the global (see [`Emitter::new`]).
    left: Option<u32>,
    /// Whether this function follows the counter-passing convention.
    passes: bool,
    /// Whether this copy can be rewound into (see the module docs): it has the landing
    /// blocks, pads and dispatches; the normal copy of a function with a rewind copy has none.
    rewinds: bool,
    /// An indexed function's table index parameter (see [`crate::counter`]; after `$l`):
    /// `-1` when it was called directly.
    index: Option<u32>,
    /// The local a counter-passing `call_indirect` keeps its table index in while it pushes
    /// the counter under it (one per function).
    index_scratch: Option<u32>,
    /// A return event this normal copy left unchecked, for the next call to count: only pure
    /// code that keeps the return site's operands comes before that call, which passes the
    /// counter (its callee counts the return, `call` and `entry` events in one check and the
    /// host tells which one stops: `STOP_AT_RETURN`), and the return site's operands are
    /// exactly those under that call's arguments (`PlanSite::absorbs_return`). A stop at the
    /// return, or an unwind of the call before it, makes the callee return at once with
    /// [`UNWINDING_FROM_RETURN`] or [`UNWINDING_FROM_PREVIOUS_CALL`], and the return check of
    /// the absorbing call unwinds from the right site. The absorbing call's own return is
    /// checked.
    absorbed: Option<Absorbed>,
    /// A return check waiting for the `br` it goes before (see [`Precount`]).
    precount: Option<Precount>,
    /// Whether `$l` may differ from the events-left global here (see `store_left`).
    stale: bool,
    /// Landing blocks (by control-stack position) whose operands pass through locals
    /// instead of block results (see [`lands_through_locals`]).
    landing_locals: HashMap<usize, Vec<u32>>,
    /// Locals holding a check's operands around its `if` in the MVP rewrite (see
    /// [`stashes_operands`]), reused by every check: no two checks are open at once.
    stash_pool: Vec<(ValType, u32)>,
    /// The pure instructions emitted since the last other one, in the current level: original
    /// pc, position in `out` before it, and whether it pushes a value (see
    /// [`Emitter::early_check`]).
    pure_run: Vec<(u32, usize, bool)>,
    /// Positions in `out` of the `if`s that are rarely taken (event checks, the frame limit,
    /// dispatch tests at level starts): the branch hints.
    unlikely: Vec<usize>,
}

/// A rewritten function and the offsets (from the start of its body, locals included) of its
/// rarely taken `if`s, for the branch-hint section.
pub(crate) struct Emitted {
    /// The function.
    pub function: Function,
    /// Offsets of the `if`s hinted "not taken".
    pub unlikely: Vec<u32>,
}

/// Whether a landing carrying `types` takes them through locals: in the MVP rewrite when it
/// carries several values and one is a float. Wasm3 0.5.0 miscompiles a `br` that carries
/// several values out of nested blocks when one is an `f32`/`f64` (a deeper value is replaced
/// by the top one: two floats, or an `i32` under an `f64`), and a pad's `br` to its landing is
/// such a branch; through locals, the pad stores the operands and branches with none, and
/// the normal path stores them at the landing's end; both reload them after it.
fn lands_through_locals(mvp: bool, types: &[ValType]) -> bool {
    mvp && types.len() >= 2
        && types
            .iter()
            .any(|t| matches!(t, ValType::F32 | ValType::F64))
}

/// Whether a check (or a level-start dispatch test) over operands `types` moves them into
/// locals before its condition and opens a plain `if`, instead of an `if [types] -> [types]`:
/// in the MVP rewrite when there are several. Wasm3 0.5.0 miscompiles an `if` (or `block`)
/// taking two or more parameters when the top one was just computed: the arm not taken leaves
/// a stale value in its place (`[i64 i32] i32.and; if (param i64 i32 i32)` then
/// `call_indirect` found a wrong table index). Not right after a call (`after_call`, the
/// return check): Wasm3 keeps no operand in a register across a call (it preserves them
/// before it, and results come back in slots), so nothing there was just computed (fib: 0.03x
/// of slot copies per call).
fn stashes_operands(mvp: bool, types: &[ValType], after_call: bool) -> bool {
    mvp && types.len() >= 2 && !after_call
}

impl<'a> Emitter<'a> {
    /// An emitter for one function.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        layout: &'a Layout,
        types: &'a mut Types,
        analysis: &'a ModuleAnalysis,
        func: u32,
        function: &'a FunctionAnalysis,
        levels: &'a [PlanLevel],
        site_ids: &'a [Vec<u32>],
        rewinds: bool,
    ) -> Self {
        let mut locals = function.locals().to_vec();
        let params = function.params().len();
        // A function with no locals of its own whose one site is its entry stays without
        // locals: an engine may set up a frame without locals faster (wasmi: about 18 host
        // instructions per call), and a leaf needs no local copy of the counter.
        let sites: usize = levels.iter().map(|level| level.sites.len()).sum();
        let lean = locals.len() == params && sites <= 1;
        let passes = layout.passes_counter(func);
        let index = (passes && layout.takes_index(func)).then_some(params as u32 + 1);
        let left = if passes {
            for (i, ty) in layout.passed(index.is_some()).into_iter().enumerate() {
                locals.insert(params + i, ty);
            }
            Some(params as u32)
        } else if lean {
            None
        } else {
            locals.push(ValType::I64);
            Some(locals.len() as u32 - 1)
        };
        Emitter {
            layout,
            types,
            analysis,
            function,
            levels,
            site_ids,
            out: Vec::new(),
            ctl: Vec::new(),
            open: Vec::new(),
            locals,
            next_level: 0,
            left,
            passes,
            rewinds,
            index,
            index_scratch: None,
            absorbed: None,
            precount: None,
            stale: false,
            landing_locals: HashMap::new(),
            stash_pool: Vec::new(),
            pure_run: Vec::new(),
            unlikely: Vec::new(),
        }
    }

    /// The rewritten index of original local `i` (a counter-passing function's counter and
    /// index parameters come after the original parameters).
    fn orig_local(&self, i: u32) -> u32 {
        if self.passes && i as usize >= self.function.params().len() {
            i + 1 + u32::from(self.index.is_some())
        } else {
            i
        }
    }

    /// A counter-passing callee's counter argument: two events less (its entry check covers
    /// this frame's `call` event and its own `entry` event), one frame deeper; `absorbed`:
    /// `$l` is still the counter the previous callee returned (a frame deeper, its return
    /// event not counted), so three events less at the same depth.
    fn counter_arguments(&mut self, absorbed: bool) {
        let l = self.layout;
        self.get_left();
        self.emit(Instruction::I64Const(if absorbed {
            3 * l.unit()
        } else {
            2 * l.unit() - l.depth_step()
        }));
        self.emit(Instruction::I64Sub);
    }

    /// The `i32` local `slot` of the emitter holds, added on first use.
    fn scratch_i32(&mut self, slot: fn(&mut Self) -> &mut Option<u32>) -> u32 {
        if let Some(local) = *slot(self) {
            return local;
        }
        let local = self.local(ValType::I32);
        *slot(self) = Some(local);
        local
    }

    fn local(&mut self, ty: ValType) -> u32 {
        self.locals.push(ty);
        self.locals.len() as u32 - 1
    }

    fn emit(&mut self, instr: Instruction<'_>) {
        instr.encode(&mut self.out);
    }

    fn emit_all(&mut self, instrs: Vec<Instruction<'_>>) {
        for instr in instrs {
            self.emit(instr);
        }
    }

    /// The branch depth of the control-stack entry at `pos`.
    fn depth_of(&self, pos: usize) -> u32 {
        (self.ctl.len() - 1 - pos) as u32
    }

    fn depth_to_unwind(&self) -> u32 {
        let pos = self
            .ctl
            .iter()
            .rposition(|c| *c == Ctl::Unwind)
            .unwrap_or(0);
        self.depth_of(pos)
    }

    /// The emitted depth of original relative label `depth`.
    fn orig_depth(&self, depth: u32, offset: u64) -> Result<u32, InstrumentError> {
        let mut remaining = depth;
        for (i, c) in self.ctl.iter().rev().enumerate() {
            if *c == Ctl::Orig {
                if remaining == 0 {
                    return Ok(i as u32);
                }
                remaining -= 1;
            }
        }
        Err(InstrumentError::at(
            offset,
            format!("branch depth {depth} out of range"),
        ))
    }

    fn block(&mut self, params: &[ValType], results: &[ValType]) {
        let ty = self.types.block(params, results);
        self.emit(Instruction::Block(ty));
        self.ctl.push(Ctl::Added);
    }

    /// [`Emitter::open_if`] for a rarely taken `if` (hinted so: V8's optimizing tier then
    /// keeps the cold path, host calls included, out of the hot code).
    fn open_unlikely_if(&mut self, types: &[ValType]) {
        self.unlikely.push(self.out.len());
        self.open_if(types);
    }

    /// `if [types] -> [types]` of the instrumentation (its arm always leaves).
    fn open_if(&mut self, types: &[ValType]) {
        let ty = self.types.block(types, types);
        self.emit(Instruction::If(ty));
        self.ctl.push(Ctl::Added);
    }

    /// Moves the operands `types` (on the stack, under nothing) into stash locals when
    /// [`stashes_operands`] says so, before the condition of the `if`s over them: `None`
    /// leaves them where they are.
    fn stash(&mut self, types: &[ValType], after_call: bool) -> Option<Vec<u32>> {
        if !stashes_operands(self.layout.mvp, types, after_call) {
            return None;
        }
        let mut locals: Vec<u32> = Vec::with_capacity(types.len());
        for ty in types {
            let free = self
                .stash_pool
                .iter()
                .find(|(t, local)| t == ty && !locals.contains(local))
                .map(|(_, local)| *local);
            let local = match free {
                Some(local) => local,
                None => {
                    let local = self.local(*ty);
                    self.stash_pool.push((*ty, local));
                    local
                }
            };
            locals.push(local);
        }
        for local in locals.iter().rev() {
            self.emit(Instruction::LocalSet(*local));
        }
        Some(locals)
    }

    fn unstash(&mut self, stash: Option<&[u32]>) {
        for local in stash.into_iter().flatten() {
            self.emit(Instruction::LocalGet(*local));
        }
    }

    /// [`Emitter::open_if`] over operands `types`, or, when they are stashed, a plain `if`
    /// whose arm starts by reloading them (the arm always leaves, so nothing is left at its
    /// end, and a `br_if` out of it drops the copies).
    fn open_if_over(&mut self, types: &[ValType], stash: Option<&[u32]>, unlikely: bool) {
        if unlikely {
            self.unlikely.push(self.out.len());
        }
        if stash.is_none() {
            self.open_if(types);
            return;
        }
        self.emit(Instruction::If(wasm_encoder::BlockType::Empty));
        self.ctl.push(Ctl::Added);
        self.unstash(stash);
    }

    /// Closes an `if` opened by [`Emitter::open_if_over`] (stashed operands: reloaded after).
    fn end_over(&mut self, stash: Option<&[u32]>) {
        self.end();
        self.unstash(stash);
    }

    /// Closes the innermost block (a landing through locals: stores its operands first and
    /// reloads them after it).
    fn end(&mut self) {
        let locals = self
            .landing_locals
            .remove(&(self.ctl.len().wrapping_sub(1)));
        for local in locals.iter().flatten().rev() {
            self.emit(Instruction::LocalSet(*local));
        }
        self.emit(Instruction::End);
        self.ctl.pop();
        for local in locals.iter().flatten() {
            self.emit(Instruction::LocalGet(*local));
        }
    }

    /// Saves the spilled operands of every open level, innermost first, top first.
    fn save_spills(&mut self) {
        let spills: Vec<(u32, ValType)> = self
            .open
            .iter()
            .rev()
            .flat_map(|open| open.spills.iter().rev().copied())
            .collect();
        for (local, ty) in spills {
            self.emit(Instruction::LocalGet(local));
            self.emit_all(self.layout.save_seq(ty));
        }
    }

    /// Saves `types` (top first, from the stack), the spills, and leaves for the unwind tail
    /// with `site`.
    fn unwind_from(&mut self, types: &[ValType], site: u32) {
        for ty in types.iter().rev() {
            self.emit_all(self.layout.save_seq(*ty));
        }
        self.save_spills();
        self.emit(Instruction::I32Const(site as i32));
        self.emit(Instruction::GlobalSet(self.layout.unwind_site));
        let depth = self.depth_to_unwind();
        self.emit(Instruction::Br(depth));
    }

    /// An event check (see the module docs). The caller closes the site's landing after it.
    /// `count`: where the check takes the counter from.
    fn check(&mut self, kind: i32, site: u32, types: &[ValType], cold: Cold, count: Count) {
        self.check_early(kind, site, types, cold, count, Late::None);
    }

    /// [`Emitter::check`], emitted before `late`'s pure code (its encoded instructions and the
    /// site's operand types after it) when that is given: a stop there runs that code in the
    /// cold path, so the site's operands are all there to save (see [`Emitter::early_check`]).
    fn check_early(
        &mut self,
        kind: i32,
        site: u32,
        types: &[ValType],
        cold: Cold,
        count: Count,
        late: Late<'_>,
    ) {
        let l = self.layout;
        // A return check that counts the next loop header too takes two events off.
        let events = 1 + i64::from(matches!(late, Late::Header(..)));
        // What the check takes off: its events, and a frame's depth when entering one (from
        // the global its caller stored) or returning from one.
        let (unit, step) = (l.unit(), l.depth_step());
        let taken = match count {
            Count::Global if kind == ENTRY_KIND => unit - step,
            Count::Global | Count::Returned => events * unit + step,
            Count::Local | Count::Passed => events * unit,
        };
        // A normal copy is never entered rewinding (its rewind copy is).
        let cold = match cold {
            Cold::Dispatch { .. } if !self.rewinds => Cold::Plain,
            other => other,
        };
        let after_call = kind == RETURN_KIND;
        let stash = self.stash(types, after_call);
        let stash = stash.as_deref();
        match (self.left, count) {
            (Some(left), Count::Passed) => self.emit(Instruction::LocalGet(left)),
            (Some(left), Count::Returned) => {
                self.emit(Instruction::I64Const(taken));
                self.emit(Instruction::I64Sub);
                self.emit(Instruction::LocalTee(left));
            }
            (Some(left), Count::Global | Count::Local) => {
                self.emit(if count == Count::Global {
                    Instruction::GlobalGet(l.left)
                } else {
                    Instruction::LocalGet(left)
                });
                self.emit(Instruction::I64Const(taken));
                self.emit(Instruction::I64Sub);
                self.emit(Instruction::LocalTee(left));
            }
            (None, _) => {
                self.emit(Instruction::GlobalGet(l.left));
                self.emit(Instruction::I64Const(taken));
                self.emit(Instruction::I64Sub);
                self.emit(Instruction::GlobalSet(l.left));
                self.emit(Instruction::GlobalGet(l.left));
            }
        }
        self.emit(Instruction::I64Const(0));
        self.emit(Instruction::I64LtS);
        self.open_if_over(types, stash, true);
        // The cold path starts with the store the normal path defers (see `store_left`).
        self.store_left();
        if count == Count::Passed {
            // Entered while the caller's previous call unwinds (see `absorbed`; rewinding,
            // the mode is another).
            self.emit(Instruction::GlobalGet(l.mode));
            self.emit(Instruction::I32Const(UNWINDING));
            self.emit(Instruction::I32Eq);
            self.emit(Instruction::If(wasm_encoder::BlockType::Empty));
            self.return_unwinding(UNWINDING_FROM_PREVIOUS_CALL);
            self.emit(Instruction::End);
        }
        if kind == ENTRY_KIND {
            // (Not in a frame entered while the caller unwinds, above: its counter is not one.)
            self.frame_limit_exit();
        }
        match cold {
            Cold::Plain => {}
            Cold::Dispatch { entry } => {
                self.emit(Instruction::GlobalGet(l.mode));
                self.open_if_over(types, stash, false);
                self.dispatch(entry);
                self.end();
            }
            Cold::Return {
                call_id,
                results,
                absorbed,
            } => {
                self.emit(Instruction::GlobalGet(l.mode));
                self.open_if_over(types, stash, false);
                for _ in 0..results {
                    self.emit(Instruction::Drop);
                }
                let keep = types.len().saturating_sub(results);
                if let Some(absorbed) = absorbed {
                    self.unwind_absorbed(&types[..keep], absorbed);
                }
                self.unwind_from(&types[..keep], call_id);
                self.end();
            }
        }
        let merged = count == Count::Passed;
        // (A counter-passing function's entry has no operands: nothing is stashed.)
        debug_assert!(!merged || types.is_empty());
        if merged {
            // Answers: 0 go on, 1 stop here, STOP_AT_CALLER, STOP_AT_RETURN.
            self.block(types, types);
            self.block(types, types);
            self.block(types, types);
        }
        let header = match late {
            Late::Header(code, header) => Some((code, header)),
            _ => None,
        };
        if header.is_some() {
            // Answers: 0 go on, 1 stop here, STOP_AT_NEXT.
            self.block(types, types);
            self.block(types, types);
        }
        let flags = if merged {
            MERGED_CALL
        } else if header.is_some() {
            MERGED_NEXT_LOOP
        } else {
            0
        };
        self.ask_host(kind | flags, site);
        if let Some((code, header)) = header {
            let (go_on, here, next) = (self.depth_of(self.ctl.len() - 3), 1, 0);
            self.emit(Instruction::BrTable(
                Cow::Owned(vec![go_on, here, here, here]),
                next,
            ));
            self.end();
            self.emit(Instruction::I32Const(UNWINDING));
            self.emit(Instruction::GlobalSet(l.mode));
            self.out.extend_from_slice(code);
            self.unwind_from(&[], header);
            self.end();
        } else if merged {
            let (go_on, here, caller, at_return) = (self.depth_of(self.ctl.len() - 4), 0, 1, 2);
            self.emit(Instruction::BrTable(
                Cow::Owned(vec![go_on, here, caller]),
                at_return,
            ));
            self.end();
        } else {
            self.emit(Instruction::I32Eqz);
            self.emit(Instruction::BrIf(0));
        }
        self.emit(Instruction::I32Const(UNWINDING));
        self.emit(Instruction::GlobalSet(l.mode));
        match late {
            Late::Early(code, site_types) => {
                self.out.extend_from_slice(code);
                self.unwind_from(site_types, site);
            }
            Late::None | Late::Header(..) => self.unwind_from(types, site),
        }
        if merged {
            self.end();
            self.unwind_to_caller();
            self.end();
            self.return_unwinding(UNWINDING_FROM_RETURN);
        }
        self.end_over(stash);
        self.stale = true;
    }

    /// A counter-passing function's answer to a stop at its caller's `call` event: its
    /// arguments are the caller's top operands there; it saves them (top first), sets the mode
    /// "unwinding" and returns a negative counter, so the caller's return check unwinds from
    /// the call.
    fn unwind_to_caller(&mut self) {
        let l = self.layout;
        self.emit(Instruction::I32Const(UNWINDING));
        self.emit(Instruction::GlobalSet(l.mode));
        if let Some(index) = self.index {
            // Called through the table: its index was the caller's top operand.
            self.emit(Instruction::LocalGet(index));
            self.emit(Instruction::I32Const(-1));
            self.emit(Instruction::I32Ne);
            self.emit(Instruction::If(wasm_encoder::BlockType::Empty));
            self.emit(Instruction::LocalGet(index));
            self.emit_all(l.save_seq(ValType::I32));
            self.emit(Instruction::End);
        }
        for (i, ty) in self
            .function
            .params()
            .to_vec()
            .into_iter()
            .enumerate()
            .rev()
        {
            self.emit(Instruction::LocalGet(i as u32));
            self.emit_all(l.save_seq(ty));
        }
        self.zero_results();
        self.emit(Instruction::Return);
    }

    /// Calls the host's `event` for `kind` at `site` and loads the counter it queued (see
    /// `layout::GO_ON`): leaves the answer.
    fn ask_host(&mut self, kind: i32, site: u32) {
        let l = self.layout;
        if let Some(rearm) = l.rearm {
            // Re-armed from the slack, the code goes on without the host.
            self.get_left();
            self.emit(Instruction::Call(rearm));
            self.set_left();
            self.get_left();
            self.emit(Instruction::I64Const(0));
            self.emit(Instruction::I64GeS);
            self.emit(Instruction::If(wasm_encoder::BlockType::Result(
                wasm_encoder::ValType::I32,
            )));
            self.emit(Instruction::I32Const(crate::layout::GO_ON));
            self.emit(Instruction::Else);
        }
        self.emit(Instruction::I32Const(kind));
        self.emit(Instruction::I32Const(site as i32));
        self.get_left();
        self.emit(Instruction::Call(l.event()));
        self.emit(Instruction::Call(l.load(ValType::I64)));
        self.set_left();
        self.emit(Instruction::Call(l.load(ValType::I64)));
        self.emit(Instruction::GlobalSet(l.slack));
        if l.rearm.is_some() {
            self.emit(Instruction::End);
        }
    }

    /// Sets the events-left count (the local copy, or the global in a lean function).
    fn set_left(&mut self) {
        self.emit(match self.left {
            Some(left) => Instruction::LocalSet(left),
            None => Instruction::GlobalSet(self.layout.left),
        });
    }

    /// With a frame limit, at the start of the entry check's cold path: traps through
    /// `stack_exhausted` when this frame is deeper than the limit (the depth is the counter's
    /// low bits, see `layout::DEPTH_BITS`). Only the cold path needs to compare: the host
    /// re-arms the counter so that no entry can pass the limit without its check going cold
    /// (every frame deeper takes a `call` and an `entry` event, and the counter never allows
    /// more than twice the frames left, see `layout::GO_ON`).
    fn frame_limit_exit(&mut self) {
        let l = self.layout;
        let Some(limit) = l.frame_limit else {
            return;
        };
        self.get_left();
        self.emit(Instruction::I64Const(l.unit() - 1));
        self.emit(Instruction::I64And);
        self.emit(Instruction::I64Const(i64::from(limit)));
        self.emit(Instruction::I64GtU);
        self.emit(Instruction::If(wasm_encoder::BlockType::Empty));
        // The run ends counted up to the caller's `call` event: this entry's event back.
        self.get_left();
        self.emit(Instruction::I64Const(l.unit()));
        self.emit(Instruction::I64Add);
        self.emit(Instruction::GlobalSet(l.left));
        self.emit(Instruction::Call(l.stack_exhausted()));
        self.emit(Instruction::Unreachable);
        self.emit(Instruction::End);
    }

    /// Returns at once in mode `mode` (an unwind this frame takes no part in, see
    /// [`Emitter::absorbed`]).
    fn return_unwinding(&mut self, mode: i32) {
        self.emit(Instruction::I32Const(mode));
        self.emit(Instruction::GlobalSet(self.layout.mode));
        self.zero_results();
        self.emit(Instruction::Return);
    }

    /// In the return check of a call that counted an absorbed return event, unwinding
    /// (`under`: the operands under the call, also the return site's): a callee that returned
    /// because that return event is the stop, or because the previous call unwinds, makes this
    /// frame unwind from that site (the mode set back to "unwinding" for the frames below).
    fn unwind_absorbed(&mut self, under: &[ValType], absorbed: Absorbed) {
        let l = self.layout;
        let previous = under.len().saturating_sub(absorbed.results);
        for (mode, site, keep) in [
            (UNWINDING_FROM_RETURN, absorbed.return_id, under.len()),
            (UNWINDING_FROM_PREVIOUS_CALL, absorbed.call_id, previous),
        ] {
            self.emit(Instruction::GlobalGet(l.mode));
            self.emit(Instruction::I32Const(mode));
            self.emit(Instruction::I32Eq);
            self.open_if(under);
            self.emit(Instruction::I32Const(UNWINDING));
            self.emit(Instruction::GlobalSet(l.mode));
            for _ in keep..under.len() {
                self.emit(Instruction::Drop);
            }
            self.unwind_from(&under[..keep], site);
            self.end();
        }
    }

    /// Zeros of the function's results (and a negative counter when counter-passing): what
    /// an unwinding frame returns.
    fn zero_results(&mut self) {
        for ty in self.function.results().to_vec() {
            self.emit(zero(ty));
        }
        if self.passes {
            // (One event below 0; with a frame limit, depth bits 0, which trip no limit check.)
            self.emit(Instruction::I64Const(-self.layout.unit()));
        }
    }

    /// `global $left = $l`: the normal path of a check leaves the global stale; it is stored
    /// only where something other than this frame's code can read it or the run can end:
    /// before a call (the callee starts from it, a host function or a trap ends the run),
    /// before an instruction that can trap (the host counts the events of a trapped run from
    /// it), at the function's normal exit (the caller reloads it) and in the cold path.
    /// A lean function has no local copy: nothing to store.
    fn store_left(&mut self) {
        if let Some(left) = self.left {
            self.emit(Instruction::LocalGet(left));
            self.emit(Instruction::GlobalSet(self.layout.left));
        }
        self.stale = false;
    }

    /// Pushes the events-left count (the local copy, or the global in a lean function).
    fn get_left(&mut self) {
        self.emit(match self.left {
            Some(left) => Instruction::LocalGet(left),
            None => Instruction::GlobalGet(self.layout.left),
        });
    }

    /// The dispatch of the innermost open level (rewinding): reloads the locals (`entry`),
    /// takes the site number (the helper also sets the mode, and `$left` once the rewind is
    /// over) and branches to that site's pad.
    fn dispatch(&mut self, entry: bool) {
        let l = self.layout;
        if entry {
            for (i, ty) in self.function.locals().to_vec().into_iter().enumerate() {
                self.emit_all(l.load_seq(ty));
                self.emit(Instruction::LocalSet(self.orig_local(i as u32)));
            }
        }
        let Some(open) = self.open.last() else {
            return;
        };
        let landings = open.landings.clone();
        let plan = open.plan;
        let n = landings.len();
        if n == 1 {
            self.landing_slot();
            self.emit(Instruction::Drop);
            self.reload_left();
            self.pad(plan, 0, landings[0]);
            return;
        }
        for _ in 0..=n {
            self.block(&[], &[]);
        }
        self.landing_slot();
        self.reload_left();
        let targets: Vec<u32> = (0..=n as u32).collect();
        self.emit(Instruction::BrTable(Cow::Owned(targets), 0));
        self.end();
        self.emit(Instruction::Unreachable);
        for (i, landing) in landings.into_iter().enumerate() {
            self.end();
            self.pad(plan, i, landing);
        }
    }

    /// Loads a level's landing slot (left on the stack) and the mode after it; once the mode
    /// is "running" again (the rewind is over) also the events-left counter. Inline, not a
    /// helper function: a frame at the engine's frame limit must rewind without one more.
    fn landing_slot(&mut self) {
        let l = self.layout;
        self.emit(Instruction::Call(l.load(ValType::I32)));
        self.emit(Instruction::Call(l.load(ValType::I32)));
        self.emit(Instruction::GlobalSet(l.mode));
        self.emit(Instruction::GlobalGet(l.mode));
        self.emit(Instruction::I32Eqz);
        self.emit(Instruction::If(wasm_encoder::BlockType::Empty));
        self.emit(Instruction::Call(l.load(ValType::I64)));
        self.emit(Instruction::GlobalSet(l.left));
        self.emit(Instruction::Call(l.load(ValType::I64)));
        self.emit(Instruction::GlobalSet(l.slack));
        self.emit(Instruction::End);
    }

    fn reload_left(&mut self) {
        if let Some(left) = self.left {
            self.emit(Instruction::GlobalGet(self.layout.left));
            self.emit(Instruction::LocalSet(left));
        }
    }

    /// Loads site `i`'s operands and branches to its landing; a call in progress (still
    /// rewinding) calls the callee's rewind copy itself (a `call_indirect` the image's callee,
    /// through the private table or the MVP direct dispatch) and lands after the call.
    fn pad(&mut self, plan: usize, i: usize, landing: Landing) {
        let l = self.layout;
        let site = &self.levels[plan].sites[i];
        let types = site.types.clone();
        let type_index = site.type_index;
        let callee = site.callee;
        for ty in types {
            self.emit_all(l.load_seq(ty));
        }
        let at_locals = self.landing_locals.get(&landing.at).cloned();
        for local in at_locals.iter().flatten().rev() {
            self.emit(Instruction::LocalSet(*local));
        }
        if let Some(after) = landing.after {
            self.emit(Instruction::GlobalGet(l.mode));
            self.emit(Instruction::I32Eqz);
            self.emit(Instruction::BrIf(self.depth_of(landing.at)));
            for local in at_locals.iter().flatten() {
                self.emit(Instruction::LocalGet(*local));
            }
            match callee {
                Some(callee) if l.passes_counter(callee) => {
                    // As the call itself passes them (see `call`).
                    self.counter_arguments(false);
                    if l.takes_index(callee) {
                        self.emit(Instruction::I32Const(-1));
                    }
                    self.emit(Instruction::Call(l.rewind_func(callee)));
                }
                Some(callee) => {
                    self.emit(Instruction::Call(l.rewind_func(callee)));
                }
                None if l.indirect_passes(type_index) => {
                    // As the call itself passes them (the index: a rewind's callee is not
                    // stopped at its caller's call event, nothing saves it).
                    let scratch = self.index_scratch();
                    self.emit(Instruction::LocalSet(scratch));
                    self.counter_arguments(false);
                    self.emit(Instruction::I32Const(-1));
                    self.emit(Instruction::LocalGet(scratch));
                    match l.dispatchers.get(&type_index) {
                        Some(dispatch) => self.emit(Instruction::Call(*dispatch)),
                        None => self.emit(Instruction::Unreachable),
                    }
                }
                None => match (l.funcs_table, l.dispatchers.get(&type_index)) {
                    (Some(table_index), _) => self.emit(Instruction::CallIndirect {
                        type_index,
                        table_index,
                    }),
                    (None, Some(dispatch)) => self.emit(Instruction::Call(*dispatch)),
                    (None, None) => self.emit(Instruction::Unreachable),
                },
            }
            let after_locals = self.landing_locals.get(&after).cloned();
            for local in after_locals.iter().flatten().rev() {
                self.emit(Instruction::LocalSet(*local));
            }
            self.emit(Instruction::Br(self.depth_of(after)));
        } else {
            self.emit(Instruction::Br(self.depth_of(landing.at)));
        }
    }

    /// Whether the return site just taken, in a normal copy, counts the header event of the
    /// loop it is directly in (see [`Precount`]).
    fn precounts_header(&self) -> bool {
        let Some(open) = self.open.last() else {
            return false;
        };
        let level = &self.levels[open.plan];
        !self.rewinds
            && open.outer_loop
            && open
                .cursor
                .checked_sub(1)
                .and_then(|i| level.sites.get(i))
                .is_some_and(|site| site.precounts_header)
    }

    /// Emits the return check waiting for this `br` (see [`Precount`]) before the code since
    /// its return site, with that code in its cold path for a stop at the loop header.
    fn precounted_check(&mut self, offset: u64) -> Result<(), InstrumentError> {
        let Some(precount) = self.precount.take() else {
            return Ok(());
        };
        let header = self
            .open
            .last()
            .and_then(|open| self.site_ids[open.plan].first().copied())
            .ok_or_else(|| InstrumentError::at(offset, "no loop header site"))?;
        let code = self.out.split_off(precount.pos);
        self.check_early(
            RETURN_KIND,
            precount.site,
            &precount.types,
            precount.cold,
            precount.count,
            Late::Header(&code, header),
        );
        self.close_landing();
        self.out.extend(code);
        Ok(())
    }

    /// Whether the innermost level's next site, in a normal copy, is a counter-passing call
    /// that can count the return event just taken (see [`Emitter::absorbed`]).
    fn next_absorbs(&self) -> bool {
        let Some(open) = self.open.last() else {
            return false;
        };
        !self.rewinds
            && !open.dead
            && self.levels[open.plan]
                .sites
                .get(open.cursor)
                .is_some_and(|next| next.absorbs_return && self.site_passes(next))
    }

    /// Whether a rewind through call site `site` in progress calls the callee itself (the
    /// callee's rewind copy, or for `call_indirect` the image's callee) and lands after the
    /// call: every call of a module function (a call of an import is never in progress).
    fn reenters(&self, site: &crate::plan::PlanSite) -> bool {
        site.kind == SiteKind::Call
            && (site.indirect || site.callee.is_some_and(|f| f >= self.layout.imported_funcs))
    }

    /// Whether call site `site` passes the counter to its callee (a counter-passing callee, or
    /// a `call_indirect` of a passing type).
    fn site_passes(&self, site: &crate::plan::PlanSite) -> bool {
        site.kind == SiteKind::Call
            && (site.callee.is_some_and(|f| self.layout.passes_counter(f))
                || (site.indirect && self.layout.indirect_passes(site.type_index)))
    }

    /// Closes the landing block of the site just emitted (the normal copy of a function with a
    /// rewind copy has none).
    fn close_landing(&mut self) {
        if self.rewinds {
            self.end();
        }
    }

    /// Enters a level: opens its landings and, unless its first check holds the dispatch, a
    /// dispatch at its start.
    fn enter_level(&mut self, dead: bool, spills: Vec<(u32, ValType)>) {
        let plan = self.next_level;
        self.next_level += 1;
        let level = &self.levels[plan];
        let params = level.params.clone();
        let sites = if dead { &[][..] } else { &level.sites[..] };
        // Landing blocks in closing order: each site's, then after an indirect call's.
        let mut order: Vec<(usize, bool, Vec<ValType>)> = Vec::new();
        for (i, site) in sites.iter().enumerate() {
            if !self.rewinds {
                // The normal copy of a function with a rewind copy: nothing lands here.
                continue;
            }
            order.push((i, false, site.types.clone()));
            if self.reenters(site) {
                let mut after = sites
                    .get(i + 1)
                    .map(|s| s.types.clone())
                    .unwrap_or_default();
                if self.site_passes(site) {
                    // The counter the callee returns, over its results.
                    after.push(ValType::I64);
                }
                order.push((i, true, after));
            }
        }
        let passing = |site: &crate::plan::PlanSite| self.site_passes(site) && self.left.is_some();
        let dispatch_first = self.rewinds
            && sites.first().is_some_and(|first| match first.kind {
                SiteKind::Entry | SiteKind::Loop => true,
                // (A call to a counter-passing function has no check of its own.)
                SiteKind::Call => level.pure_prefix && !passing(first),
                SiteKind::Return | SiteKind::Block => false,
            });
        let mut landings = vec![Landing { at: 0, after: None }; sites.len()];
        for (i, after, types) in order.into_iter().rev() {
            if lands_through_locals(self.layout.mvp, &types) {
                let locals: Vec<u32> = types.iter().map(|t| self.local(*t)).collect();
                self.block(&params, &[]);
                self.landing_locals.insert(self.ctl.len() - 1, locals);
            } else {
                self.block(&params, &types);
            }
            let pos = self.ctl.len() - 1;
            if after {
                landings[i].after = Some(pos);
            } else {
                landings[i].at = pos;
            }
        }
        let any = self.rewinds && !landings.is_empty();
        self.open.push(Open {
            plan,
            cursor: 0,
            dead,
            spills,
            landings,
            dispatch_first,
            hoist: None,
            outer_loop: false,
        });
        if any && !dispatch_first {
            // The dispatch does not read the level's parameters: stashed, the `if`s take none.
            let stash = self.stash(&params, false);
            let over: &[ValType] = if stash.is_some() { &[] } else { &params };
            // Rewinding keeps `$l` negative: the mode is read only then.
            if let Some(left) = self.left {
                self.emit(Instruction::LocalGet(left));
                self.emit(Instruction::I64Const(0));
                self.emit(Instruction::I64LtS);
                self.open_unlikely_if(over);
            }
            self.emit(Instruction::GlobalGet(self.layout.mode));
            self.open_unlikely_if(over);
            self.dispatch(false);
            self.end();
            if self.left.is_some() {
                self.end();
            }
            self.unstash(stash.as_deref());
        }
    }

    /// The next site of the innermost level, checked to be `kind`; `None` in dead code.
    /// Also tells whether its check holds the level's dispatch.
    #[allow(clippy::type_complexity)]
    fn take_site(
        &mut self,
        kind: SiteKind,
        offset: u64,
    ) -> Result<Option<(u32, Vec<ValType>, bool)>, InstrumentError> {
        let Some(open) = self.open.last_mut() else {
            return Err(InstrumentError::at(offset, "no open level"));
        };
        if open.dead {
            return Ok(None);
        }
        let level = &self.levels[open.plan];
        let site = level
            .sites
            .get(open.cursor)
            .filter(|site| site.kind == kind)
            .ok_or_else(|| {
                InstrumentError::at(offset, format!("plan has no {kind:?} site here"))
            })?;
        let id = self.site_ids[open.plan][open.cursor];
        let first = open.cursor == 0 && open.dispatch_first;
        open.cursor += 1;
        Ok(Some((id, site.types.clone(), first)))
    }

    /// Whether the innermost level's next site is a block site at `pc`.
    fn block_site_here(&self, pc: u32) -> bool {
        self.open.last().is_some_and(|open| {
            !open.dead
                && self.levels[open.plan]
                    .sites
                    .get(open.cursor)
                    .is_some_and(|s| s.kind == SiteKind::Block && s.pc == pc)
        })
    }

    /// Emits the whole function.
    pub fn run(
        mut self,
        body: &FunctionBody<'_>,
        remap: &mut Remap,
    ) -> Result<Emitted, InstrumentError> {
        let base = body.range().start;
        let results = self.function.results().to_vec();
        self.ctl.push(Ctl::Unwind);
        self.emit(Instruction::Block(wasm_encoder::BlockType::Empty));
        let ty = self.types.block(&[], &results);
        self.emit(Instruction::Block(ty));
        self.ctl.push(Ctl::Orig);
        self.enter_level(false, Vec::new());
        if let Some((id, types, _)) = self.take_site(SiteKind::Entry, base)? {
            let count = if self.passes {
                Count::Passed
            } else {
                Count::Global
            };
            self.check(
                ENTRY_KIND,
                id,
                &types,
                Cold::Dispatch { entry: true },
                count,
            );
            self.close_landing();
        }
        let mut reader = body.get_operators_reader()?;
        while !reader.eof() {
            let (op, offset) = reader.read_with_offset()?;
            let pc = u32::try_from(offset - base).unwrap_or(u32::MAX);
            self.operator(op, offset, pc, remap)?;
        }
        let params = self.function.params().len()
            + usize::from(self.passes)
            + usize::from(self.index.is_some());
        let mut function = Function::new_with_locals_types(
            self.locals
                .get(params..)
                .unwrap_or(&[])
                .iter()
                .map(|t| enc(*t)),
        );
        let header = function.byte_len();
        function.raw(self.out);
        let unlikely = self
            .unlikely
            .iter()
            .filter_map(|pos| u32::try_from(header + pos).ok())
            .collect();
        Ok(Emitted { function, unlikely })
    }

    /// Emits a block, loop or if of the original code (with its block site's spills).
    fn open_original(
        &mut self,
        op: &Operator<'_>,
        offset: u64,
        pc: u32,
        remap: &mut Remap,
    ) -> Result<(), InstrumentError> {
        let dead = self.open.last().is_none_or(|open| open.dead);
        let blockty = match *op {
            Operator::Block { blockty } | Operator::Loop { blockty } | Operator::If { blockty } => {
                blockty
            }
            _ => return Err(InstrumentError::at(offset, "not a block")),
        };
        let (params, results) = block_sig(self.analysis, blockty, offset)?;
        let cond = usize::from(matches!(op, Operator::If { .. }));
        let mut spills = Vec::new();
        if self.block_site_here(pc) {
            let (_, types, _) = self
                .take_site(SiteKind::Block, offset)?
                .ok_or_else(|| InstrumentError::at(offset, "dead block site"))?;
            self.close_landing();
            let q = params.len() + cond;
            let seg = types.len().saturating_sub(q);
            if seg > 0 {
                let top: Vec<ValType> = types[seg..].to_vec();
                let scratch: Vec<u32> = top.iter().map(|t| self.local(*t)).collect();
                for local in scratch.iter().rev() {
                    self.emit(Instruction::LocalSet(*local));
                }
                for ty in &types[..seg] {
                    let local = self.local(*ty);
                    spills.push((local, *ty));
                }
                for (local, _) in spills.iter().rev() {
                    self.emit(Instruction::LocalSet(*local));
                }
                for (local, _) in &spills {
                    self.emit(Instruction::LocalGet(*local));
                }
                for local in &scratch {
                    self.emit(Instruction::LocalGet(*local));
                }
            }
        }
        let around = if matches!(op, Operator::Loop { .. }) && self.hoists(&params, &results, dead)
        {
            self.block(&[], &results);
            let exit = self.ctl.len() - 1;
            self.emit(Instruction::Loop(wasm_encoder::BlockType::Empty));
            self.ctl.push(Ctl::Added);
            self.block(&[], &[]);
            Some((exit, self.ctl.len() - 2, self.ctl.len() - 1))
        } else {
            None
        };
        let ty = remap.block_type(blockty)?;
        let outer_loop = matches!(op, Operator::Loop { .. })
            && !self.rewinds
            && !dead
            && self
                .levels
                .get(self.next_level)
                .is_some_and(|level| level.precounted_header());
        if outer_loop {
            // The header check in an added block around the original loop, whose start the
            // branches back go to (their return checks count the header event).
            self.emit(Instruction::Block(ty));
            self.ctl.push(Ctl::Added);
            self.enter_level(dead, spills);
            if let Some(open) = self.open.last_mut() {
                open.outer_loop = true;
            }
            let (id, types, _) = self
                .take_site(SiteKind::Loop, offset)?
                .ok_or_else(|| InstrumentError::at(offset, "dead loop site"))?;
            self.check(2, id, &types, Cold::Plain, Count::Local);
            self.emit(Instruction::Loop(ty));
            self.ctl.push(Ctl::Orig);
            return Ok(());
        }
        self.emit(match op {
            Operator::Loop { .. } => Instruction::Loop(ty),
            Operator::If { .. } => Instruction::If(ty),
            _ => Instruction::Block(ty),
        });
        self.ctl.push(Ctl::Orig);
        self.enter_level(dead, spills);
        if let Some((exit, again, cold)) = around {
            let (site, _, _) = self
                .take_site(SiteKind::Loop, offset)?
                .ok_or_else(|| InstrumentError::at(offset, "dead loop site"))?;
            self.hot_check(cold);
            self.close_landing();
            if let Some(open) = self.open.last_mut() {
                open.hoist = Some(Hoist { exit, again, site });
            }
        } else if matches!(op, Operator::Loop { .. }) {
            if let Some((id, types, first)) = self.take_site(SiteKind::Loop, offset)? {
                let cold = Cold::at_site(first);
                self.check(2, id, &types, cold, Count::Local);
                self.close_landing();
            }
        }
        Ok(())
    }

    /// Whether the loop about to be entered (`params -> results`) gets a *hoisted* check: its
    /// level has no site but its header (so nothing in it calls: V8 keeps such a loop
    /// free of calls, unrolls it and keeps the memory base in a register, which a call
    /// even on a cold path prevents: memsum 2.27x -> 1.25x), and no parameters. The
    /// check in the loop is `$l -= 1; br_if $cold ($l < 0)`; the cold path follows the
    /// loop (see [`Emitter::hoisted_cold`]). (MVP: not with several results, which leave
    /// through a branch Wasm3 0.5.0 may miscompile.)
    fn hoists(&self, params: &[ValType], results: &[ValType], dead: bool) -> bool {
        let Some(level) = self.levels.get(self.next_level) else {
            return false;
        };
        !dead
            && self.left.is_some()
            && params.is_empty()
            && !(self.layout.mvp && results.len() >= 2)
            && level.sites.len() == 1
            && level.sites[0].kind == SiteKind::Loop
    }

    /// A hoisted loop's check in the loop: the normal path only, branching to `block $cold`
    /// (control-stack position `cold`) when the counter goes below 0.
    fn hot_check(&mut self, cold: usize) {
        let Some(left) = self.left else {
            return;
        };
        self.emit(Instruction::LocalGet(left));
        self.emit(Instruction::I64Const(self.layout.unit()));
        self.emit(Instruction::I64Sub);
        self.emit(Instruction::LocalTee(left));
        self.emit(Instruction::I64Const(0));
        self.emit(Instruction::I64LtS);
        self.unlikely.push(self.out.len());
        self.emit(Instruction::BrIf(self.depth_of(cold)));
        self.stale = true;
    }

    /// Closes a hoisted loop (its level still open) and emits its check's cold path:
    /// ```text
    /// block $exit (result R) loop $again block $cold
    ///   loop <original> (check: br_if $cold) ... end  br $exit
    /// end
    /// [store $l] if rewinding { land: load the landing slot and counter; $l += 1; br $again }
    /// event(loop), $l = the counter the host queued; == GO_ON? { $l += 1; br $again }
    /// unwind from the loop's header
    /// end unreachable end
    /// ```
    /// Going back in through `$again` passes the check again, so the cold path adds the
    /// one it will take off: after a rewind the loop goes on with the image's counter, after
    /// "go on" with the re-armed one (see `layout::GO_ON`).
    fn hoisted_cold(&mut self, hoist: Hoist) {
        let l = self.layout;
        self.end();
        self.emit(Instruction::Br(self.depth_of(hoist.exit)));
        self.end();
        self.store_left();
        if self.rewinds {
            self.emit(Instruction::GlobalGet(l.mode));
            self.open_if(&[]);
            self.landing_slot();
            self.emit(Instruction::Drop);
            self.reload_left();
            self.reenter(hoist.again);
            self.end();
        }
        self.ask_host(2, hoist.site);
        self.emit(Instruction::I32Eqz);
        self.open_if(&[]);
        self.reenter(hoist.again);
        self.end();
        self.emit(Instruction::I32Const(UNWINDING));
        self.emit(Instruction::GlobalSet(l.mode));
        self.unwind_from(&[], hoist.site);
        self.end();
        self.emit(Instruction::Unreachable);
        self.end();
        self.stale = true;
    }

    /// Back into a hoisted loop through `loop $again` (control-stack position `again`) with
    /// `$l` one event more, as its check takes one off.
    fn reenter(&mut self, again: usize) {
        let Some(left) = self.left else {
            return;
        };
        self.emit(Instruction::LocalGet(left));
        self.emit(Instruction::I64Const(self.layout.unit()));
        self.emit(Instruction::I64Add);
        self.emit(Instruction::LocalSet(left));
        self.emit(Instruction::Br(self.depth_of(again)));
    }

    /// Where a call's event check can go instead of right before the call (normal copies
    /// only: a rewind copy lands exactly at the site): before the longest run of pure
    /// instructions leading to the call that only pushes onto the operands below it (each
    /// instruction takes nothing from under the run's start). The check then carries fewer
    /// operands (the MVP rewrite stashes none of the call's arguments computed there: Wasm3
    /// copies each), and only a stop runs that code in the cold path, to save the site's
    /// operands (re-running pure code before the event changes nothing: it cannot trap and has
    /// no effect). `Some((position in out, operands at the check))`; `site_len`: the site's.
    fn early_check(
        &mut self,
        pc: u32,
        offset: u64,
        site_len: usize,
    ) -> Result<Option<(usize, usize)>, InstrumentError> {
        let run = std::mem::take(&mut self.pure_run);
        let Some(open) = self.open.last() else {
            return Ok(None);
        };
        if self.rewinds || run.is_empty() {
            return Ok(None);
        }
        let base = self.levels[open.plan].height;
        let height = |pc: u32| types_at(self.function, pc, offset).map(<[ValType]>::len);
        // The height after each instruction of the run (the next one's, the call's).
        let mut after = Vec::with_capacity(run.len());
        for (pc, _, _) in run.iter().skip(1) {
            after.push(height(*pc)?);
        }
        let at_call = height(pc)?;
        after.push(at_call);
        if at_call != base + site_len {
            return Err(InstrumentError::at(offset, "call site operands differ"));
        }
        for (start, (start_pc, pos, _)) in run.iter().enumerate() {
            let h0 = height(*start_pc)?;
            // What instruction `i` leaves of what was there before it: `after - pushes`.
            let keeps = run[start..]
                .iter()
                .zip(&after[start..])
                .all(|((_, _, pushes), h)| h - usize::from(*pushes) >= h0);
            if keeps && h0 >= base && h0 < at_call {
                return Ok(Some((*pos, h0 - base)));
            }
        }
        Ok(None)
    }

    /// The local a counter-passing `call_indirect` keeps its table index in (one per
    /// function).
    fn index_scratch(&mut self) -> u32 {
        self.scratch_i32(|e| &mut e.index_scratch)
    }

    /// The type a counter-passing `call_indirect` of type `type_index` calls through: its
    /// callees' (the counter, depth and index added, the counter returned).
    fn passing_type(&mut self, type_index: u32, offset: u64) -> Result<u32, InstrumentError> {
        let sig = self
            .analysis
            .func_type(type_index)
            .ok_or_else(|| InstrumentError::at(offset, "call_indirect of an unknown type"))?;
        let (params, results) = self.layout.passing_signature(sig);
        Ok(self.types.index(&params, &results))
    }

    /// Emits a call of the original code with its call and return checks (a counter-passing
    /// callee checks the call event itself, see the module docs).
    fn call(&mut self, op: &Operator<'_>, offset: u64, pc: u32) -> Result<(), InstrumentError> {
        let l = self.layout;
        let (_, results, _) = call_sig(self.analysis, op, offset)?
            .ok_or_else(|| InstrumentError::at(offset, "not a call"))?;
        let (call_id, call_types, first) = self
            .take_site(SiteKind::Call, offset)?
            .ok_or_else(|| InstrumentError::at(offset, "dead call site"))?;
        let passing = match *op {
            Operator::Call { function_index } => l.passes_counter(function_index),
            Operator::CallIndirect { type_index, .. } => l.indirect_passes(type_index),
            _ => false,
        };
        let absorbed = self.absorbed.take();
        match (passing, self.left) {
            (true, Some(left)) => {
                // The landing of a stop here ends before the call; the callee counts this
                // event.
                self.close_landing();
                let absorbing = i64::from(absorbed.is_some());
                let indirect = matches!(op, Operator::CallIndirect { .. });
                let scratch = indirect.then(|| self.index_scratch());
                if let Some(scratch) = scratch {
                    // The table index goes over the counter and depth, and is passed too.
                    self.emit(Instruction::LocalSet(scratch));
                }
                if l.frame_limit.is_none() || indirect {
                    // Without the frame limit the engine's own stack limit can end the run
                    // on the call: counted up to the call event. With it, the callee's
                    // frame-limit exit stores that count (see `run`); but a `call_indirect`
                    // can trap before any callee runs (undefined element, signature).
                    self.emit(Instruction::LocalGet(left));
                    self.emit(Instruction::I64Const((1 + absorbing) * l.unit()));
                    self.emit(Instruction::I64Sub);
                    self.emit(Instruction::GlobalSet(l.left));
                }
                self.counter_arguments(absorbed.is_some());
                match (op, scratch) {
                    (_, Some(scratch)) => {
                        self.emit(Instruction::LocalGet(scratch));
                        self.emit(Instruction::LocalGet(scratch));
                    }
                    (Operator::Call { function_index }, None) if l.takes_index(*function_index) => {
                        self.emit(Instruction::I32Const(-1));
                    }
                    _ => {}
                }
            }
            _ => {
                let cold = Cold::at_site(first);
                match self.early_check(pc, offset, call_types.len())? {
                    Some((pos, keep)) => {
                        let code = self.out.split_off(pos);
                        let at_check = &call_types[..keep];
                        let late = Late::Early(&code[..], &call_types[..]);
                        self.check_early(3, call_id, at_check, cold, Count::Local, late);
                        self.out.extend(code);
                    }
                    None => self.check(3, call_id, &call_types, cold, Count::Local),
                }
                self.close_landing();
                self.store_left();
            }
        }
        // A call of an import cannot stop, unwind or count events of this module.
        let import = match *op {
            Operator::CallIndirect {
                type_index,
                table_index,
            } => {
                let type_index = if passing {
                    self.passing_type(type_index, offset)?
                } else {
                    type_index
                };
                self.emit(Instruction::CallIndirect {
                    type_index,
                    table_index,
                });
                // (A rewind's pad calls the callee again and branches here.)
                self.close_landing();
                false
            }
            Operator::Call { function_index } => {
                self.emit(Instruction::Call(l.func(function_index)));
                let import = function_index < l.imported_funcs;
                if !import {
                    // (Likewise: the pad calls the callee's rewind copy.)
                    self.close_landing();
                }
                import
            }
            _ => return Err(InstrumentError::at(offset, "not a call")),
        };
        let (ret_id, ret_types, _) = self
            .take_site(SiteKind::Return, offset)?
            .ok_or_else(|| InstrumentError::at(offset, "dead return site"))?;
        let cold = if import {
            Cold::Plain
        } else {
            Cold::Return {
                call_id,
                results: results.len(),
                absorbed,
            }
        };
        let count = match (passing, self.left) {
            (true, Some(_)) => Count::Returned,
            _ if import => Count::Local,
            _ => Count::Global,
        };
        match (count, self.left) {
            (Count::Returned, Some(left)) if absorbed.is_none() && self.next_absorbs() => {
                // The next call's callee counts this return event (see `absorbed`).
                self.emit(Instruction::LocalSet(left));
                self.stale = true;
                self.absorbed = Some(Absorbed {
                    return_id: ret_id,
                    call_id,
                    results: results.len(),
                });
            }
            _ if self.precounts_header() => {
                // Emitted before the `br` back to the loop header (see `Precount`).
                self.precount = Some(Precount {
                    pos: self.out.len(),
                    site: ret_id,
                    types: ret_types,
                    cold,
                    count,
                });
                self.stale = true;
            }
            _ => self.check(RETURN_KIND, ret_id, &ret_types, cold, count),
        }
        self.close_landing();
        self.pure_run.clear();
        Ok(())
    }

    fn operator(
        &mut self,
        op: Operator<'_>,
        offset: u64,
        pc: u32,
        remap: &mut Remap,
    ) -> Result<(), InstrumentError> {
        let l = self.layout;
        let dead = self.open.last().is_none_or(|open| open.dead);
        let call = matches!(op, Operator::Call { .. } | Operator::CallIndirect { .. });
        // (A call stores after its own event check.)
        if self.stale && !call && !cannot_trap(&op) {
            self.store_left();
        }
        if is_pure(&op) && !dead {
            let pushes = !matches!(op, Operator::Nop | Operator::Drop);
            self.pure_run.push((pc, self.out.len(), pushes));
        } else if !call {
            self.pure_run.clear();
        }
        if matches!(op, Operator::Else | Operator::End) {
            // A merge (or the other arm): branches from anywhere inside may arrive stale.
            self.stale = true;
        }
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                self.open_original(&op, offset, pc, remap)?;
            }
            Operator::Else => {
                let then = self
                    .open
                    .pop()
                    .ok_or_else(|| InstrumentError::at(offset, "else without if"))?;
                self.check_done(&then, offset)?;
                self.emit(Instruction::Else);
                let parent_dead = self.open.last().is_none_or(|open| open.dead);
                self.enter_level(parent_dead, then.spills);
            }
            Operator::End => {
                let done = self
                    .open
                    .pop()
                    .ok_or_else(|| InstrumentError::at(offset, "end without block"))?;
                self.check_done(&done, offset)?;
                if self.open.is_empty() {
                    if l.mvp {
                        self.direct_return();
                    }
                    self.tail();
                } else if let Some(hoist) = done.hoist {
                    self.open.push(done);
                    self.hoisted_cold(hoist);
                    self.open.pop();
                } else {
                    self.end();
                    if done.outer_loop {
                        self.end();
                    }
                }
            }
            Operator::Br { relative_depth } => {
                self.precounted_check(offset)?;
                let d = self.orig_depth(relative_depth, offset)?;
                if l.mvp && d == self.depth_of(1) {
                    // To the function's label: a return (see `direct_return`).
                    self.direct_return();
                } else {
                    self.emit(Instruction::Br(d));
                }
                self.kill();
            }
            Operator::BrIf { relative_depth } => {
                let d = self.orig_depth(relative_depth, offset)?;
                self.emit(Instruction::BrIf(d));
            }
            Operator::BrTable { targets } => {
                let mut mapped = Vec::new();
                for target in targets.targets() {
                    mapped.push(self.orig_depth(target?, offset)?);
                }
                let default = self.orig_depth(targets.default(), offset)?;
                self.emit(Instruction::BrTable(Cow::Owned(mapped), default));
                self.kill();
            }
            Operator::Return if l.mvp => {
                self.direct_return();
                self.kill();
            }
            Operator::Return => {
                // To the body block: the function's one exit (the frame limit's restore).
                let body = self.depth_of(1);
                self.emit(Instruction::Br(body));
                self.kill();
            }
            Operator::Unreachable => {
                self.emit(Instruction::Unreachable);
                self.kill();
            }
            Operator::DataDrop { data_index } => {
                self.emit(Instruction::DataDrop(data_index));
                if let Some(Some(flag)) = l.data_flags.get(data_index as usize) {
                    self.emit(Instruction::I32Const(1));
                    self.emit(Instruction::GlobalSet(*flag));
                }
            }
            Operator::ElemDrop { elem_index } => {
                self.emit(Instruction::ElemDrop(elem_index));
                if let Some(Some(flag)) = l.elem_flags.get(elem_index as usize) {
                    self.emit(Instruction::I32Const(1));
                    self.emit(Instruction::GlobalSet(*flag));
                }
            }
            Operator::Call { .. } | Operator::CallIndirect { .. } if !dead => {
                self.call(&op, offset, pc)?;
            }
            Operator::Call { function_index } if l.passes_counter(function_index) => {
                // Dead code: never runs, but must still validate with the new signature.
                self.emit(Instruction::I64Const(0));
                if l.takes_index(function_index) {
                    self.emit(Instruction::I32Const(-1));
                }
                self.emit(Instruction::Call(l.func(function_index)));
                self.emit(Instruction::Drop);
            }
            Operator::LocalGet { local_index } => {
                self.emit(Instruction::LocalGet(self.orig_local(local_index)));
            }
            Operator::LocalSet { local_index } => {
                self.emit(Instruction::LocalSet(self.orig_local(local_index)));
            }
            Operator::LocalTee { local_index } => {
                self.emit(Instruction::LocalTee(self.orig_local(local_index)));
            }
            other => {
                let instr = remap.instruction(other)?;
                self.emit(instr);
            }
        }
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(open) = self.open.last_mut() {
            open.dead = true;
        }
    }

    fn check_done(&self, open: &Open, offset: u64) -> Result<(), InstrumentError> {
        let expected = open.landings.len();
        if open.cursor != expected {
            return Err(InstrumentError::at(
                offset,
                format!("level ended after {} of {expected} sites", open.cursor),
            ));
        }
        Ok(())
    }

    /// MVP: stores the events-left global (the caller reloads it) and returns the results on the stack directly, so they never leave the body block
    /// through its end (Wasm3 0.5.0 returns wrong values from a multi-value block mixing ints
    /// and floats).
    fn direct_return(&mut self) {
        self.hand_back_left();
        self.emit(Instruction::Return);
    }

    /// At a normal exit: the counter as the last result (counter-passing), otherwise stored
    /// in the global for the caller.
    fn hand_back_left(&mut self) {
        match (self.passes, self.left) {
            (true, Some(left)) => self.emit(Instruction::LocalGet(left)),
            _ => self.store_left(),
        }
    }

    /// The function's end: close the body, return, and the unwind tail.
    fn tail(&mut self) {
        let l = self.layout;
        self.end();
        self.hand_back_left();
        self.emit(Instruction::Return);
        // The unwind tail.
        self.end();
        let locals = self.function.locals().to_vec();
        for (i, ty) in locals.iter().enumerate().rev() {
            self.emit(Instruction::LocalGet(self.orig_local(i as u32)));
            self.emit_all(l.save_seq(*ty));
        }
        self.emit(Instruction::GlobalGet(l.unwind_site));
        self.emit(Instruction::Call(l.frame_done()));
        self.zero_results();
        self.emit(Instruction::End);
    }
}
