//! The native-stack control operations: function activations, loops, calls, returns and
//! leaving loop frames, with their unwind and rewind halves.
//!
//! Unwinding (a stop): the op that stops pushes the innermost [`Native`] record and returns
//! [`Signal::Unwind`]; on the way out each loop op pushes `Loop`, each call op `Call` (with the
//! caller's registers, which live in its native frame) and each activation `Function` (its
//! frame's slots). Rewinding replays the records outermost first through the *same* functions
//! ([`rewind_function`] → [`rewind_inner`] → [`loop_run`] / [`perform_call`]), so a continued
//! run and a restored one go through identical native frames.

use baton_runtime::{EventKind, FuncRef, Trap, Val};

use super::handlers::{imm, jump, next, position, run_chain, slot};
use super::{unpack_break, Cell, Ctx, Exit, Native, Signal, CONTINUE_UNIT, SEGMENT_SLOTS};
use crate::instance::call_foreign;
use crate::module::FuncCode;
use crate::values::{from_bits, to_bits};
use baton_runtime::events::Fired;

/// Native stack left below which a call or loop moves to a new stack segment. The check runs
/// at every [`CHECK_EVERY`]-th native nesting level, so the zone covers that many levels.
pub const RED_ZONE: usize = 256 * 1024;
/// Native nesting levels (calls and loops) between two stack checks.
pub const CHECK_EVERY: u32 = 8;

/// Runs `f` one native nesting level deeper, on a new stack segment when the native stack is
/// running low (checked every [`CHECK_EVERY`] levels).
#[inline(always)]
fn nested<'m, R>(ctx: &mut Ctx<'m>, f: impl FnOnce(&mut Ctx<'m>) -> R) -> R {
    ctx.native_depth += 1;
    let result = if ctx.native_depth.is_multiple_of(CHECK_EVERY) {
        stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || f(ctx))
    } else {
        f(ctx)
    };
    ctx.native_depth -= 1;
    result
}
/// Size of each new native stack segment.
pub const STACK_SEGMENT: usize = 4 * 1024 * 1024;

/// Fires `kind`; on a stop records `record` as the innermost native frame.
#[inline(always)]
fn fire<'m>(
    ctx: &mut Ctx<'m>,
    kind: EventKind,
    record: impl FnOnce(&Ctx<'m>) -> Native,
) -> Option<Signal> {
    match ctx.events.fire(kind) {
        Fired::Continue => None,
        Fired::Stop(event) => {
            ctx.stopped = Some((kind, event));
            let record = record(ctx);
            push_record(ctx, record);
            Some(Signal::Unwind)
        }
        Fired::OutOfFuel => {
            ctx.abort = Some(Exit::OutOfFuel);
            Some(Signal::Abort)
        }
    }
}

/// Runs function `func` in `frame` (its arguments in slots `0..params`) from the start.
pub fn enter(ctx: &mut Ctx<'_>, func: u32, frame: &mut [u64]) -> Signal {
    let module = ctx.module;
    let Some(code) = module.func(func) else {
        return ctx.trap(Trap::Host("call of a function without code".into()));
    };
    if ctx.module.polling {
        enter_code::<true, false>(ctx, func, code, frame)
    } else {
        enter_code::<false, false>(ctx, func, code, frame)
    }
}

/// [`enter`] with the function's code already looked up.
///
/// With safe points the entry event is fired here, after the frame is set up and before the
/// body's first op at position 0 (the code has no op for it: its safe point is keyed by
/// position 0, see [`crate::compiler::points`]). A stop there records `Resume` at 0. With
/// `ENTRY_FIRED` the caller already counted the entry event (see [`op_call`]). `POLL`: the
/// module was compiled with safe points.
#[inline(always)]
fn enter_code<'m, const POLL: bool, const ENTRY_FIRED: bool>(
    ctx: &mut Ctx<'m>,
    func: u32,
    code: &'m FuncCode,
    frame: &mut [u64],
) -> Signal {
    let init = code.init.as_slice();
    let Some(slots) = frame
        .get_mut(code.params..code.frame_size)
        .and_then(|rest| rest.get_mut(..init.len()))
    else {
        return ctx.trap(Trap::Host("internal engine error: frame too small".into()));
    };
    fill(slots, init);
    ctx.code = &code.cells;
    let signal = if POLL && !ENTRY_FIRED {
        match fire(ctx, EventKind::Entry, |_| Native::Resume {
            at: 0,
            r0: 0,
            fp0: 0,
        }) {
            Some(signal) => signal,
            None => run_chain(0, frame, ctx, 0, 0),
        }
    } else {
        run_chain(0, frame, ctx, 0, 0)
    };
    if signal == Signal::Unwind {
        record_function(ctx, func, frame, code.frame_size);
    }
    signal
}

/// `dst = src` for slices of equal length; short ones without a `memcpy` call.
#[inline(always)]
fn fill(dst: &mut [u64], src: &[u64]) {
    match (dst, src) {
        ([], []) => {}
        ([d], [s]) => *d = *s,
        ([d0, d1], [s0, s1]) => (*d0, *d1) = (*s0, *s1),
        ([d0, d1, d2], [s0, s1, s2]) => (*d0, *d1, *d2) = (*s0, *s1, *s2),
        ([d0, d1, d2, d3], [s0, s1, s2, s3]) => (*d0, *d1, *d2, *d3) = (*s0, *s1, *s2, *s3),
        (dst, src) => dst.copy_from_slice(src),
    }
}

fn record_function(ctx: &mut Ctx<'_>, func: u32, frame: &[u64], size: usize) {
    push_record(
        ctx,
        Native::Function {
            func,
            slots: frame[..size].to_vec(),
        },
    );
}

/// Records a native frame while unwinding (and counts it).
pub(super) fn push_record(ctx: &mut Ctx<'_>, record: Native) {
    ctx.counts.unwound += 1;
    ctx.unwind.push(record);
}

/// Re-enters the function activation of the next rewind record in `frame`.
pub fn rewind_function(ctx: &mut Ctx<'_>, frame: &mut [u64]) -> Signal {
    let Some(Native::Function { func, slots }) = ctx.rewind.pop() else {
        return ctx.trap(Trap::Host(
            "internal engine error: rewind expected a function".into(),
        ));
    };
    let module = ctx.module;
    let Some(code) = module.func(func) else {
        return ctx.trap(Trap::Host("rewind of a function without code".into()));
    };
    let size = code.compiled.frame_size as usize;
    if slots.len() != size || frame.len() < size {
        return ctx.trap(Trap::Host(
            "internal engine error: rewind frame size".into(),
        ));
    }
    ctx.counts.rewound += 1;
    frame[..size].copy_from_slice(&slots);
    ctx.code = &code.cells;
    let signal = rewind_inner(frame, ctx);
    if signal == Signal::Unwind {
        record_function(ctx, func, frame, size);
    }
    signal
}

/// Replays the next record inside the current activation (a loop, a call or the stop point).
fn rewind_inner(frame: &mut [u64], ctx: &mut Ctx<'_>) -> Signal {
    match ctx.rewind.pop() {
        Some(Native::Loop { at }) => {
            ctx.counts.rewound += 1;
            match nested(ctx, |ctx| {
                loop_run::<true, false>(at as usize, frame, ctx, true)
            }) {
                Signal::At(pos) => run_chain(pos as usize, frame, ctx, 0, 0),
                signal => signal,
            }
        }
        Some(Native::Call { at, r0, fp0 }) => {
            ctx.counts.rewound += 1;
            // A call stop (nothing after this record) makes the call; otherwise the callee is
            // re-entered from the next record.
            let code = ctx.code;
            let ip = code.get(at as usize..).unwrap_or(&[]);
            let indirect = imm(ip, 1) != 0;
            let fp0_f = f64::from_bits(fp0);
            let signal = match (ctx.rewind.is_empty(), indirect) {
                (true, true) => {
                    perform_call::<true, true, ENTER, ANY_CALLEE>(ip, frame, ctx, r0, fp0_f)
                }
                (true, false) => {
                    perform_call::<true, false, ENTER, ANY_CALLEE>(ip, frame, ctx, r0, fp0_f)
                }
                (false, true) => {
                    perform_call::<true, true, REWIND, ANY_CALLEE>(ip, frame, ctx, r0, fp0_f)
                }
                (false, false) => {
                    perform_call::<true, false, REWIND, ANY_CALLEE>(ip, frame, ctx, r0, fp0_f)
                }
            };
            match signal {
                Signal::At(k) => run_chain(at as usize + k as usize, frame, ctx, r0, fp0),
                signal => signal,
            }
        }
        Some(Native::Resume { at, r0, fp0 }) => {
            ctx.counts.rewound += 1;
            run_chain(at as usize, frame, ctx, r0, fp0)
        }
        _ => ctx.trap(Trap::Host(
            "internal engine error: bad rewind record".into(),
        )),
    }
}

/// The `Loop` op: fires the loop event (`POLL`: compiled with safe points) and runs the body
/// in a nested native frame. `LEAF`: nothing in the body fires events (see [`loop_run`]).
pub fn op_loop<const POLL: bool, const LEAF: bool>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    _r0: u64,
    _fp0: f64,
) -> Signal {
    let at = position(ctx, ip);
    if POLL {
        if let Some(signal) = fire(ctx, EventKind::Loop, |_| Native::Loop { at: at as u32 }) {
            return signal;
        }
    }
    match run_loop::<POLL, LEAF>(at, frame, ctx) {
        Signal::At(pos) => jump!(pos as usize, frame, ctx, 0, 0),
        signal => signal,
    }
}

/// [`loop_run`] one native level deeper, out of line: the loop op keeps no stack memory of its
/// own (nothing of its frame escapes), so its continuation after the loop is a real tail call
/// and straight-line code after loops, run again by in-place loop restarts
/// ([`op_continue`]), cannot pile up native frames.
#[inline(never)]
fn run_loop<const POLL: bool, const LEAF: bool>(
    at: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
) -> Signal {
    nested(ctx, |ctx| loop_run::<POLL, LEAF>(at, frame, ctx, false))
}

/// Runs the body of the loop op at `at` (after its event) until it leaves the loop:
/// [`Signal::At`] the position to continue at in the enclosing frame, or the signal to pass up. With
/// `rewinding` the first entry replays the rewind record instead of starting the body. Without
/// `POLL` (no safe points) re-entering fires no event.
///
/// `LEAF`: the body has no loop or call op, so this loop's own events are the only ones while
/// it runs; their fast path then decrements a local budget (a register) taken out of the
/// counter in `ctx` ([`take_local`]), whose rest goes back before anything else looks at the
/// counter (the slow path of an event, and whatever signal leaves the loop). An iteration's
/// event costs one decrement over a build without safe points: the test whether the body
/// restarts this loop (packed `Continue` 0) and whether an event is left is one comparison.
fn loop_run<'m, const POLL: bool, const LEAF: bool>(
    at: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'m>,
    rewinding: bool,
) -> Signal {
    let mut signal = if rewinding && !ctx.rewind.is_empty() {
        rewind_inner(frame, ctx)
    } else {
        // Fresh, or stopped at this loop's event: the body starts now.
        run_chain(at + 1, frame, ctx, 0, 0)
    };
    // The body's code, looked up once for all iterations (every nested call restores
    // `ctx.code` to this function's code before it returns here).
    let body: &'m [Cell] = ctx.code.get(at + 1..).unwrap_or(&[]);
    // `LEAF`: what is left of the local budget, taken out of the counter's (see
    // [`take_local`]). It is at most `CONTINUE_UNIT - 1`, so a packed `Continue` below it is
    // one of this loop (depth 0) with an event left: one comparison for both.
    let mut left = if POLL && LEAF { take_local(ctx) } else { 0 };
    loop {
        if POLL && LEAF {
            if let Signal::Continue(packed) = signal {
                if packed < left {
                    left -= 1;
                    signal = run_body(at, body, frame, ctx);
                    continue;
                }
            }
        }
        match signal {
            Signal::Continue(0) if POLL && LEAF => {
                // The local budget is used up.
                match leaf_loop_event(ctx, at) {
                    Ok(budget) => left = budget,
                    Err(signal) => return signal,
                }
                signal = run_body(at, body, frame, ctx);
            }
            Signal::Continue(0) => {
                if POLL {
                    if let Some(signal) =
                        fire(ctx, EventKind::Loop, |_| Native::Loop { at: at as u32 })
                    {
                        return signal;
                    }
                }
                signal = run_body(at, body, frame, ctx);
            }
            _ if POLL && LEAF && left != 0 => {
                give_back_local(ctx, left);
                left = 0;
            }
            Signal::Continue(packed) => return Signal::Continue(packed - CONTINUE_UNIT),
            Signal::Break(packed) => {
                let (depth, target) = unpack_break(packed);
                if depth == 0 {
                    return Signal::At(u64::from(target));
                }
                return Signal::breaking(depth - 1, target);
            }
            Signal::Unwind => {
                push_record(ctx, Native::Loop { at: at as u32 });
                return Signal::Unwind;
            }
            other => return other,
        }
    }
}

/// Takes a leaf loop's local budget out of the counter's: at most `CONTINUE_UNIT - 1` events
/// (see [`loop_run`]; a loop that uses it up takes another). Until [`give_back_local`] the
/// counter is behind by what is left of it, which nothing looks at: the loop's body fires no
/// events, and every signal leaving the loop gives the rest back first.
#[inline(always)]
fn take_local(ctx: &mut Ctx<'_>) -> u64 {
    let budget = local_share(ctx.events.fast_budget());
    ctx.events.consume_fast(budget);
    budget
}

/// How much of the counter's `budget` a leaf loop takes as its local budget.
#[inline(always)]
fn local_share(budget: u64) -> u64 {
    budget.min(CONTINUE_UNIT - 1)
}

/// Gives the unused rest `left` of a leaf loop's local budget back to the counter (out of
/// line: the loop's registers stay free for its iterations).
#[cold]
#[inline(never)]
fn give_back_local(ctx: &mut Ctx<'_>, left: u64) {
    ctx.events.give_back(left);
}

/// A leaf loop's event when its local budget is used up (the counter is up to date then):
/// fires the event (on the slow path when the counter's budget is used up too); the new local
/// budget, or the signal to leave with.
#[cold]
#[inline(never)]
fn leaf_loop_event(ctx: &mut Ctx<'_>, at: usize) -> Result<u64, Signal> {
    match fire(ctx, EventKind::Loop, |_| Native::Loop { at: at as u32 }) {
        Some(signal) => Err(signal),
        None => Ok(take_local(ctx)),
    }
}

/// Runs the body of the loop op at `at` (`body` is the code from `at + 1` on) once more.
#[cfg(baton_tail_calls)]
#[inline(always)]
fn run_body(_at: usize, body: &[Cell], frame: &mut [u64], ctx: &mut Ctx<'_>) -> Signal {
    super::handlers::dispatch(body, frame, ctx, 0, 0.0)
}

/// Runs the body of the loop op at `at` once more.
#[cfg(not(baton_tail_calls))]
#[inline(always)]
fn run_body(at: usize, _body: &[Cell], frame: &mut [u64], ctx: &mut Ctx<'_>) -> Signal {
    run_chain(at + 1, frame, ctx, 0, 0)
}

/// The fall-through end of a loop body.
pub fn loop_end(ip: &[Cell], _frame: &mut [u64], ctx: &mut Ctx<'_>, _r0: u64, _fp0: f64) -> Signal {
    Signal::breaking(0, (position(ctx, ip) + 1) as u32)
}

/// Leaves loop frames towards a block's end.
pub fn op_break(
    ip: &[Cell],
    _frame: &mut [u64],
    _ctx: &mut Ctx<'_>,
    _r0: u64,
    _fp0: f64,
) -> Signal {
    Signal::breaking(imm(ip, 1) as u32, imm(ip, 2) as u32)
}

/// Leaves loop frames towards a loop's restart (its event fired by [`loop_run`]), as Wasm3's
/// `op_ContinueLoop`: the body is re-entered by the loop op's frame, so every iteration returns
/// through it (handlers that are not tail calls cannot pile up across iterations).
pub fn op_continue<const POLL: bool>(
    ip: &[Cell],
    _frame: &mut [u64],
    _ctx: &mut Ctx<'_>,
    _r0: u64,
    _fp0: f64,
) -> Signal {
    Signal::Continue(imm(ip, 1))
}

/// Returns: copies the result slots to slots `0..m`.
pub fn op_return(
    ip: &[Cell],
    frame: &mut [u64],
    _ctx: &mut Ctx<'_>,
    _r0: u64,
    _fp0: f64,
) -> Signal {
    let m = imm(ip, 1) as usize;
    match m {
        0 => {}
        1 => frame[0] = frame[slot(ip, 2)],
        _ => {
            let values: Vec<u64> = (0..m).map(|i| frame[slot(ip, 2 + i)]).collect();
            frame[..m].copy_from_slice(&values);
        }
    }
    Signal::Return
}

/// `call` (`INDIRECT` false) and `call_indirect`: fire the call event (`POLL`: compiled with
/// safe points), then call.
///
/// With safe points, the call event and the callee's entry event are counted by one
/// decrement of the event budget when neither can stop or run out of fuel (nothing fires
/// between them, see [`perform_call`]); otherwise the cold [`call_slow`] fires them one at a
/// time. The check is in [`perform_call`], so the op itself is the same with and without
/// safe points.
///
/// `CALLEE`: what lowering knew about the callee of a direct call — [`LEAF_CALLEE`] or
/// [`EVENTFUL_CALLEE`] (its [`FuncCode::call_events`], so the call op counts its events
/// with a constant and needs no look at the callee for it), or [`ANY_CALLEE`] (indirect
/// calls, imports: looked up per call).
pub fn op_call<const POLL: bool, const INDIRECT: bool, const CALLEE: u64>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: f64,
) -> Signal {
    match perform_call::<POLL, INDIRECT, ENTER_COUNTED, CALLEE>(ip, frame, ctx, r0, fp0) {
        Signal::At(k) => next!(ip, k as usize, frame, ctx, r0, fp0.to_bits()),
        signal => signal,
    }
}

/// A call op's events one at a time: the call event (a stop records the call not yet made),
/// then the call, whose callee fires its own entry event.
#[cold]
#[inline(never)]
fn call_slow<const INDIRECT: bool>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: f64,
) -> Signal {
    if let Some(signal) = fire(ctx, EventKind::Call, |ctx| Native::Call {
        at: position(ctx, ip) as u32,
        r0,
        fp0: fp0.to_bits(),
    }) {
        return signal;
    }
    perform_call::<true, INDIRECT, ENTER, ANY_CALLEE>(ip, frame, ctx, r0, fp0)
}

/// The `CALLEE` of a call op whose callee is not known at lowering (indirect calls, imports):
/// its [`FuncCode::call_events`] is looked up per call.
pub const ANY_CALLEE: u64 = 0;
/// The `CALLEE` of a direct call of a function whose body fires no events (a *leaf*): the call
/// op counts call, entry and return events at once (`FuncCode::call_events` 3).
pub const LEAF_CALLEE: u64 = 3;
/// The `CALLEE` of a direct call of a function whose body fires events: the call op counts
/// call and entry events at once, the return event after the call (`FuncCode::call_events`
/// 2).
pub const EVENTFUL_CALLEE: u64 = 2;

/// How a call op reaches its callee (the `HOW` parameter of [`perform_call`]): enters it,
/// its entry event already counted when compiled with safe points (see [`op_call`]).
const ENTER_COUNTED: u8 = 0;
/// Enters it; it fires its entry event itself.
const ENTER: u8 = 1;
/// Re-enters it from the rewind record.
const REWIND: u8 = 2;

/// What a call goes to.
enum Target<'m> {
    Own(u32, &'m FuncCode),
    Foreign(FuncRef, &'m baton_runtime::FuncType),
}

/// Performs the call op `ip` starts with, after its call event: resolves the callee, runs it
/// (`HOW`: [`ENTER_COUNTED`] — then this counts the call and entry events first, by one
/// budget decrement or in [`call_slow`] — [`ENTER`], or [`REWIND`] to re-enter it from the
/// rewind record),
/// then fires the return event (`POLL`). [`Signal::At`] gives the number of words to the op
/// after the call. Out of line so that the call op keeps no stack memory and continues by a
/// real tail call. `CALLEE`: the callee's [`FuncCode::call_events`] when known at lowering,
/// else [`ANY_CALLEE`] (see [`op_call`]).
#[inline(never)]
fn perform_call<'m, const POLL: bool, const INDIRECT: bool, const HOW: u8, const CALLEE: u64>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'m>,
    r0: u64,
    fp0: f64,
) -> Signal {
    // `COUNTED`: this call counts its events in advance (call and entry, and the return of a
    // callee that fires no events) when they all fit in the event budget. Whatever does not
    // fit, and every call that does not enter own code (an import, a trap while resolving the
    // callee, the frame limit), takes `call_slow`, which fires the call event first.
    const { assert!(HOW <= REWIND) };
    const {
        assert!(CALLEE == ANY_CALLEE || CALLEE == LEAF_CALLEE || CALLEE == EVENTFUL_CALLEE);
    };
    let counted = POLL && HOW == ENTER_COUNTED;
    let module = ctx.module;
    let rewind_callee = HOW == REWIND;
    let (target, base, next) = if INDIRECT {
        let type_index = imm(ip, 2) as u32;
        let table = slot(ip, 3);
        let base = slot(ip, 4);
        let index = frame.get(slot(ip, 5)).copied().unwrap_or(0) as u32;
        let target = if rewind_callee {
            match ctx.rewind.last() {
                Some(Native::Function { func, .. }) => match module.func(*func) {
                    Some(code) => Target::Own(*func, code),
                    None => return ctx.trap(Trap::Host("bad rewind record".into())),
                },
                _ => return ctx.trap(Trap::Host("bad rewind record".into())),
            }
        } else {
            match own_callee(ctx, table, index, type_index) {
                Some((func, code)) => Target::Own(func, code),
                None if counted => return call_slow::<INDIRECT>(ip, frame, ctx, r0, fp0),
                None => match resolve_indirect(ctx, table, index, type_index) {
                    Ok(target) => target,
                    Err(trap) => return ctx.trap(trap),
                },
            }
        };
        (target, base, 6)
    } else {
        let func = imm(ip, 2) as u32;
        let base = slot(ip, 3);
        let target = match module.func(func) {
            Some(code) => Target::Own(func, code),
            None if counted => return call_slow::<INDIRECT>(ip, frame, ctx, r0, fp0),
            None => match direct_foreign(ctx, func) {
                Ok(target) => target,
                Err(trap) => return ctx.trap(trap),
            },
        };
        (target, base, 4)
    };
    match target {
        Target::Own(func, callee) => {
            let own = OwnCall {
                func,
                callee,
                base,
                next,
            };
            // An indirect call op that counts in advance looks at the callee's event count
            // once and continues with constants. (A direct call op knows it from lowering,
            // unless the callee is an import, which takes `call_slow` above.)
            return if CALLEE != ANY_CALLEE || !counted || !INDIRECT {
                call_own::<POLL, INDIRECT, HOW, CALLEE>(ip, frame, ctx, r0, fp0, own)
            } else if callee.call_events == LEAF_CALLEE {
                call_own::<POLL, INDIRECT, HOW, LEAF_CALLEE>(ip, frame, ctx, r0, fp0, own)
            } else {
                call_own::<POLL, INDIRECT, HOW, EVENTFUL_CALLEE>(ip, frame, ctx, r0, fp0, own)
            };
        }
        Target::Foreign(func, ty) => {
            if let Err(trap) = call_out(ctx, &func, frame, base, ty) {
                return ctx.trap(trap);
            }
        }
    }
    if POLL && !ctx.events.fire_fast() {
        return return_slow(ip, next, ctx, r0, fp0);
    }
    Signal::At(next as u64)
}

/// The callee of a call op that enters own code, resolved by [`perform_call`].
#[derive(Clone, Copy)]
struct OwnCall<'m> {
    /// Function index.
    func: u32,
    /// Its code.
    callee: &'m FuncCode,
    /// The slot its frame starts at.
    base: usize,
    /// Words from the call op to the op after it.
    next: usize,
}

/// [`perform_call`] for a callee of this instance: counts the events (`HOW` and `CALLEE` as
/// there; `CALLEE` is the callee's [`FuncCode::call_events`] or [`ANY_CALLEE`]), runs the
/// callee and fires or counts the return event.
#[inline(always)]
fn call_own<'m, const POLL: bool, const INDIRECT: bool, const HOW: u8, const CALLEE: u64>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'m>,
    r0: u64,
    fp0: f64,
    own: OwnCall<'m>,
) -> Signal {
    let OwnCall {
        func,
        callee,
        base,
        next,
    } = own;
    let counted = POLL && HOW == ENTER_COUNTED;
    // The events counted now (call, entry, and the return of a leaf callee) and after the
    // callee returned (the return of a callee that fires events itself): together always 3.
    let (now, after) = if CALLEE == ANY_CALLEE {
        (callee.call_events, callee.return_events)
    } else {
        (CALLEE, LEAF_CALLEE - CALLEE)
    };
    if counted && (ctx.depth >= ctx.max_frames || !ctx.events.take_fast(now)) {
        return call_slow::<INDIRECT>(ip, frame, ctx, r0, fp0);
    }
    if ctx.depth >= ctx.max_frames {
        return ctx.trap(Trap::CallStackExhausted);
    }
    let code = ctx.code;
    ctx.depth += 1;
    ctx.native_depth += 1;
    let signal = if ctx.native_depth.is_multiple_of(CHECK_EVERY) {
        stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
            run_callee::<POLL, HOW>(ctx, func, callee, frame, base)
        })
    } else {
        run_callee::<POLL, HOW>(ctx, func, callee, frame, base)
    };
    ctx.native_depth -= 1;
    ctx.depth -= 1;
    ctx.code = code;
    match signal {
        // One unconditional subtraction (of 0 after a leaf callee: never short).
        Signal::Return if counted => {
            if !ctx.events.take_fast(after) {
                return return_slow(ip, next, ctx, r0, fp0);
            }
            Signal::At(next as u64)
        }
        Signal::Return => {
            if POLL && !ctx.events.fire_fast() {
                return return_slow(ip, next, ctx, r0, fp0);
            }
            Signal::At(next as u64)
        }
        Signal::Unwind => {
            let at = position(ctx, ip) as u32;
            let fp0 = fp0.to_bits();
            push_record(ctx, Native::Call { at, r0, fp0 });
            Signal::Unwind
        }
        other => {
            if counted && after == 0 {
                // The callee trapped: its return, counted in advance, never happens.
                ctx.events.give_back(1);
            }
            other
        }
    }
}

/// The return event of the call op `ip` starts with on the slow path (a possible stop or the
/// end of the fuel); `next`: the words to the op after the call.
#[cold]
#[inline(never)]
fn return_slow(ip: &[Cell], next: usize, ctx: &mut Ctx<'_>, r0: u64, fp0: f64) -> Signal {
    match fire(ctx, EventKind::Return, |ctx| Native::Resume {
        at: (position(ctx, ip) + next) as u32,
        r0,
        fp0: fp0.to_bits(),
    }) {
        Some(signal) => signal,
        None => Signal::At(next as u64),
    }
}

/// Runs (or rewinds, see [`perform_call`] for `HOW`) own function `func` on `frame[base..]`,
/// or on a new segment when that is too short.
#[inline(always)]
fn run_callee<'m, const POLL: bool, const HOW: u8>(
    ctx: &mut Ctx<'m>,
    func: u32,
    callee: &'m FuncCode,
    frame: &mut [u64],
    base: usize,
) -> Signal {
    match frame.get_mut(base..) {
        Some(callee_frame) if callee_frame.len() >= callee.frame_size => {
            if HOW == REWIND {
                rewind_function(ctx, callee_frame)
            } else if HOW == ENTER_COUNTED {
                enter_code::<POLL, true>(ctx, func, callee, callee_frame)
            } else {
                enter_code::<POLL, false>(ctx, func, callee, callee_frame)
            }
        }
        _ => in_new_segment::<POLL, HOW>(ctx, func, callee, frame, base),
    }
}

/// The target of a direct call of function `func`, which has no code here: an import.
#[cold]
fn direct_foreign<'m>(ctx: &Ctx<'m>, func: u32) -> Result<Target<'m>, Trap> {
    let module = ctx.module;
    let ty = module
        .info
        .func_type(func)
        .ok_or_else(|| Trap::Host("no such function".into()))?;
    let import = ctx
        .inner
        .objects
        .imported_funcs
        .get(func as usize)
        .ok_or_else(|| Trap::Host("missing import".into()))?;
    Ok(Target::Foreign(import.clone(), ty))
}

/// Runs the callee (or rewinds it) on a new slot segment when the caller's frame is too short:
/// arguments copied in, results copied back.
#[cold]
#[inline(never)]
fn in_new_segment<'m, const POLL: bool, const HOW: u8>(
    ctx: &mut Ctx<'m>,
    func: u32,
    callee: &'m FuncCode,
    frame: &mut [u64],
    base: usize,
) -> Signal {
    let ty = &callee.compiled.ty;
    let need = callee.compiled.frame_size as usize;
    let mut segment = vec![0u64; need.max(SEGMENT_SLOTS)];
    let available = frame.len().saturating_sub(base).min(ty.params.len());
    segment[..available].copy_from_slice(&frame[base..base + available]);
    let signal = if HOW == REWIND {
        rewind_function(ctx, &mut segment)
    } else if HOW == ENTER_COUNTED {
        enter_code::<POLL, true>(ctx, func, callee, &mut segment)
    } else {
        enter_code::<POLL, false>(ctx, func, callee, &mut segment)
    };
    if signal == Signal::Return {
        let back = ty.results.len().min(frame.len().saturating_sub(base));
        frame[base..base + back].copy_from_slice(&segment[..back]);
    }
    signal
}

/// The common case of a `call_indirect`: `table[index]` is a function of this instance with
/// exactly the expected signature object. `None` for everything else (and every error), which
/// [`resolve_indirect`] then decides.
#[inline(always)]
fn own_callee<'m>(
    ctx: &Ctx<'m>,
    table: usize,
    index: u32,
    type_index: u32,
) -> Option<(u32, &'m FuncCode)> {
    let module = ctx.module;
    let expected = module.info.types.get(type_index as usize)?;
    let table = ctx.inner.objects.tables.get(table)?.try_borrow().ok()?;
    let Val::FuncRef(Some(FuncRef::Wasm(wasm))) = table.elements().get(index as usize)? else {
        return None;
    };
    if !std::rc::Rc::ptr_eq(&wasm.ty, expected)
        || !std::ptr::addr_eq(std::rc::Rc::as_ptr(&wasm.instance), ctx.inner.handle_addr())
    {
        return None;
    }
    Some((wasm.index, module.func(wasm.index)?))
}

/// The callee of a `call_indirect` of type `type_index` through `table[index]`.
#[cold]
#[inline(never)]
fn resolve_indirect<'m>(
    ctx: &Ctx<'m>,
    table: usize,
    index: u32,
    type_index: u32,
) -> Result<Target<'m>, Trap> {
    let module = ctx.module;
    let expected = module
        .info
        .types
        .get(type_index as usize)
        .ok_or_else(|| Trap::Host("no such type".into()))?;
    let table = ctx
        .inner
        .objects
        .tables
        .get(table)
        .ok_or(Trap::UndefinedElement)?;
    let table = table
        .try_borrow()
        .map_err(|_| Trap::Host("table in use".into()))?;
    let Val::FuncRef(entry) = table.get(index).map_err(|_| Trap::UndefinedElement)? else {
        return Err(Trap::IndirectCallTypeMismatch);
    };
    let func = entry.as_ref().ok_or(Trap::UninitializedElement)?;
    if let FuncRef::Wasm(wasm) = func {
        // Same signature object (this module's own functions share the module's types) or
        // an equal one.
        let same_type = std::rc::Rc::ptr_eq(&wasm.ty, expected) || *wasm.ty == **expected;
        if !same_type {
            return Err(Trap::IndirectCallTypeMismatch);
        }
        if std::ptr::addr_eq(std::rc::Rc::as_ptr(&wasm.instance), ctx.inner.handle_addr()) {
            if let Some(code) = module.func(wasm.index) {
                return Ok(Target::Own(wasm.index, code));
            }
        }
    } else if func.ty() != &**expected {
        return Err(Trap::IndirectCallTypeMismatch);
    }
    Ok(Target::Foreign(func.clone(), expected))
}

/// Calls a host function or another instance's function with the arguments at `base`,
/// writing its results there.
fn call_out(
    ctx: &mut Ctx<'_>,
    func: &FuncRef,
    frame: &mut [u64],
    base: usize,
    ty: &baton_runtime::FuncType,
) -> Result<(), Trap> {
    let args: Vec<Val> = {
        let refs = ctx.inner.refs.borrow();
        ty.params
            .iter()
            .enumerate()
            .map(|(i, t)| from_bits(frame[base + i], *t, &refs))
            .collect()
    };
    ctx.memory = None;
    let outcome = call_foreign(func, &args, ctx.max_frames, ctx.depth);
    ctx.reborrow()?;
    let values = outcome?;
    if values.len() != ty.results.len() {
        return Err(Trap::Host(
            "foreign function returned the wrong number of values".into(),
        ));
    }
    let mut refs = ctx.inner.refs.borrow_mut();
    for (i, value) in values.iter().enumerate() {
        frame[base + i] = to_bits(value, &mut refs);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::pack_continue;
    use super::*;

    /// The leaf loop's one comparison `packed < left`: true exactly for a restart of this loop
    /// (depth 0) with an event left in the local budget, whatever the counter's budget was.
    #[test]
    fn a_packed_continue_is_below_a_local_budget_only_for_depth_zero() {
        for budget in [0, 1, 2, 1000, u64::from(u32::MAX), u64::MAX / 2, u64::MAX] {
            let left = local_share(budget);
            assert!(left <= budget);
            assert_eq!(pack_continue(0) < left, budget > 0, "budget {budget}");
            for depth in [1, 2, 7, u64::from(u32::MAX), u64::MAX] {
                assert!(
                    pack_continue(depth) >= left,
                    "depth {depth}, budget {budget}"
                );
            }
        }
        assert_eq!(pack_continue(3) - CONTINUE_UNIT, pack_continue(2));
    }
}
