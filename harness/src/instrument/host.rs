//! The host side of an instrumented module: the state its imported functions share with the
//! session (stop request, fuel, values being saved during an unwind, values queued for a
//! rewind), and the functions themselves, created once per session in the wrapped engine.
//!
//! Event numbers: the module counts down an events-left counter that the session starts at
//! `threshold - first event number`; `event` receives it after counting its event, so the
//! event's number is `first + (start - left) - 1`.
//!
//! Invariants: `event` answers 1 (stop) only for an event the request matches, and traps with
//! [`OUT_OF_FUEL`] when the event's number reaches the fuel; `frame_done` closes one frame's
//! saved values (saved top first, so reversed they are the locals then the operands, bottom
//! first); `load_*` pops the queue front and traps on a type mismatch or an empty queue.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use baton_checkpoint::EventKind;
use baton_engine::RunOptions;
use baton_engine::{Engine, EngineError, ExternHandle, FuncType, StopRequest, ValType, Value};
use baton_instrument::layout::{
    value_types, CounterLayout, GO_ON, MERGED_CALL, MERGED_NEXT_LOOP, STACK_EXHAUSTED,
    STOP_AT_CALLER, STOP_AT_NEXT, STOP_AT_RETURN, STOP_HERE,
};

/// The trap message `event` uses to end a run that ran out of fuel.
pub const OUT_OF_FUEL: &str = "baton instrumented: out of fuel";

/// One frame saved during an unwind: the site it stopped at and its values (locals, then
/// operands bottom first).
#[derive(Debug, Clone)]
pub struct RawFrame {
    /// The site id passed to `frame_done`.
    pub site: u32,
    /// Locals, then operands.
    pub values: Vec<Value>,
}

/// What the imported functions share with the session.
#[derive(Debug, Default)]
pub struct HostState {
    /// The current run's stop request.
    pub stop: Option<StopRequest>,
    /// The current run's fuel.
    pub fuel: Option<u64>,
    /// Set by `event` when the run stops: the event's kind and number.
    pub stopped: Option<(EventKind, u64)>,
    /// Set by `event` when the run runs out of fuel.
    pub out_of_fuel: bool,
    /// Values saved since the last `frame_done`.
    pub saved: Vec<Value>,
    /// Frames saved by this unwind, innermost first.
    pub frames: Vec<RawFrame>,
    /// Values still to be loaded.
    pub queue: VecDeque<Value>,
    /// The run's first event number and the events-left counter it started (or, rewinding,
    /// goes on) with.
    pub start: (u64, i64),
    /// Every event of this run numbered below this was decided by `event` or could not stop
    /// the run (set to the run's first event number when it starts): an event at or above it
    /// that a merged `entry` reports two events back is a return event its caller left for it
    /// to count (see `baton_instrument`'s `body`).
    pub undecided_from: u64,
    /// The rewritten module's frame limit (`Options::max_frames`), which the counter is
    /// re-armed by (see [`armed_left`]).
    pub frame_limit: Option<u32>,
}

/// The events-left counter a run goes on with from event number `next`, its frames `depth`
/// deep (0: before the host calls the entry), and the slack: together the events to the
/// run's threshold (its stop or fuel); with a frame limit the counter holds fewer than the
/// events before the first entry that could pass it (each frame deeper takes an `entry` event
/// and, but the first, a `call` event), so that entry's check goes cold: the rewrite compares
/// the frames with the limit only there, and re-arms the counter from the slack itself (see
/// `baton_instrument::layout::GO_ON`).
pub fn armed_left(
    options: RunOptions,
    next: u64,
    depth: u32,
    frame_limit: Option<u32>,
) -> (i64, i64) {
    let threshold = options
        .stop
        .map_or(u64::MAX, |stop| stop.at)
        .min(options.fuel.unwrap_or(u64::MAX));
    let to_threshold = i64::try_from(threshold.saturating_sub(next)).unwrap_or(i64::MAX);
    let Some(limit) = frame_limit else {
        return (to_threshold, 0);
    };
    // The next event may be a call's: a frame deeper can enter one event from here, each
    // further frame two more, so a frame `limit + 1` deep can enter 2 * (limit - depth) + 1
    // events from here at the soonest (from the host too: the first entry has no call event);
    // that event must take the counter below 0.
    let soonest = 2 * (i64::from(limit) - i64::from(depth)) + 1;
    let armed = to_threshold.min((soonest - 1).max(0));
    (armed, to_threshold - armed)
}

impl HostState {
    /// The number of the event that brought the events-left counter to `left`.
    pub fn event_number(&self, left: i64) -> u64 {
        self.counted(left).saturating_sub(1)
    }

    /// Whether the run stops at event `count` of `kind` (recorded in `stopped`); the
    /// out-of-fuel trap when the fuel is used up.
    fn decide(&mut self, kind: EventKind, count: u64) -> Result<bool, String> {
        self.undecided_from = self.undecided_from.max(count + 1);
        if self.fuel.is_some_and(|fuel| count >= fuel) {
            self.out_of_fuel = true;
            return Err(OUT_OF_FUEL.into());
        }
        if self.stop.is_some_and(|stop| stop.matches(kind, count)) {
            self.stopped = Some((kind, count));
            return Ok(true);
        }
        Ok(false)
    }

    /// `event`'s answer for an event of `kind` (with the rewrite's flags) that left the
    /// counter at `left`: stop here, at the caller's call or return event merged into it,
    /// or go on; the out-of-fuel trap when the fuel is used up.
    fn answer(&mut self, kind: i32, left: i64) -> Result<i32, String> {
        let count = self.event_number(left);
        // An event two back that nothing decided yet is the return event the caller left
        // unchecked for this entry to count (every other event of this run from its
        // threshold on went to `event`; one before cannot stop it).
        if kind & MERGED_CALL != 0
            && count >= self.undecided_from.saturating_add(2)
            && self.decide(EventKind::Return, count - 2)?
        {
            return Ok(STOP_AT_RETURN);
        }
        // A counter-passing function's entry also counts its caller's call event, the
        // one before (unless a rewind landed on that call: it fired before the stop).
        if kind & MERGED_CALL != 0
            && count > self.start.0
            && self.decide(EventKind::Call, count - 1)?
        {
            return Ok(STOP_AT_CALLER);
        }
        let next_loop = kind & MERGED_NEXT_LOOP != 0;
        let kind = EventKind::from_image_number(kind & !(MERGED_CALL | MERGED_NEXT_LOOP))
            .ok_or_else(|| format!("baton instrumented: event kind {kind}"))?;
        if next_loop {
            // A return check that counted the loop header after it too: `left` is the
            // header's.
            let ret = count
                .checked_sub(1)
                .ok_or("baton instrumented: a merged loop header as the first event")?;
            if self.decide(kind, ret)? {
                return Ok(STOP_HERE);
            }
            if self.decide(EventKind::Loop, count)? {
                return Ok(STOP_AT_NEXT);
            }
            return Ok(GO_ON);
        }
        if self.decide(kind, count)? {
            return Ok(STOP_HERE);
        }
        Ok(GO_ON)
    }

    /// Events counted so far when the events-left counter holds `left`.
    pub fn counted(&self, left: i64) -> u64 {
        let (first, start) = self.start;
        let fired = i128::from(start) - i128::from(left);
        u64::try_from(i128::from(first) + fired).unwrap_or(0)
    }
}

/// Shared host state.
pub type Shared = Arc<Mutex<HostState>>;

/// Locks the shared state (a poisoned lock still holds consistent data: every update is one
/// statement).
pub fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, HostState> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

fn engine_type(ty: wasmparser::ValType) -> ValType {
    ValType::from_wasmparser(ty).unwrap_or(ValType::I32)
}

/// The type a value of `ty` crosses the boundary as (floats as their bits, see
/// `baton_instrument::layout::wire`).
fn wire_type(ty: ValType) -> ValType {
    match ty {
        ValType::F32 => ValType::I32,
        ValType::F64 => ValType::I64,
        other => other,
    }
}

/// Creates the imported functions in `engine`, in `baton_instrument::layout::import_names(mvp)`
/// order (`mvp`: the MVP rewrite's, without reference-typed `save_*`/`load_*`, which an engine
/// without reference types could not even create).
pub fn create_imports(
    engine: &mut dyn Engine,
    shared: &Shared,
    mvp: bool,
) -> Result<Vec<ExternHandle>, EngineError> {
    let mut handles = Vec::with_capacity(baton_instrument::layout::import_names(mvp).len());
    let state = shared.clone();
    handles.push(engine.host_func(
        &FuncType::new(
            vec![ValType::I32, ValType::I32, ValType::I64],
            vec![ValType::I32],
        ),
        Arc::new(move |args: &[Value]| {
            let (Some(Value::I32(kind)), Some(Value::I64(counter))) = (args.first(), args.get(2))
            else {
                return Err("baton instrumented: bad event arguments".into());
            };
            let mut st = lock(&state);
            let layout = CounterLayout::new(st.frame_limit);
            let (left, depth) = (layout.left(*counter), layout.depth(*counter));
            let answer = st.answer(*kind, left)?;
            // The counter the code goes on with (see `layout::GO_ON`).
            let go_on_with = if answer == GO_ON {
                let next = st.counted(left);
                let options = RunOptions {
                    stop: st.stop,
                    fuel: st.fuel,
                };
                let (armed, slack) = armed_left(options, next, depth, st.frame_limit);
                st.start = (next, armed + slack);
                (layout.counter(armed, depth), slack)
            } else {
                (*counter, 0)
            };
            st.queue.push_back(Value::I64(go_on_with.0));
            st.queue.push_back(Value::I64(go_on_with.1));
            Ok(vec![Value::I32(answer)])
        }),
    )?);
    let state = shared.clone();
    handles.push(engine.host_func(
        &FuncType::new(vec![ValType::I32], vec![]),
        Arc::new(move |args: &[Value]| {
            let Some(Value::I32(site)) = args.first() else {
                return Err("baton instrumented: bad frame_done argument".into());
            };
            let mut st = lock(&state);
            let mut values = std::mem::take(&mut st.saved);
            values.reverse();
            st.frames.push(RawFrame {
                site: *site as u32,
                values,
            });
            Ok(vec![])
        }),
    )?);
    for ty in value_types(mvp) {
        let state = shared.clone();
        let ty = engine_type(*ty);
        handles.push(engine.host_func(
            &FuncType::new(vec![wire_type(ty)], vec![]),
            Arc::new(move |args: &[Value]| {
                let value = *args
                    .first()
                    .ok_or("baton instrumented: save without a value")?;
                let value = match (ty, value) {
                    (ValType::F32, Value::I32(bits)) => Value::F32(bits as u32),
                    (ValType::F64, Value::I64(bits)) => Value::F64(bits as u64),
                    (_, value) => value,
                };
                lock(&state).saved.push(value);
                Ok(vec![])
            }),
        )?);
    }
    for ty in value_types(mvp) {
        let state = shared.clone();
        let ty = engine_type(*ty);
        handles.push(engine.host_func(
            &FuncType::new(vec![], vec![wire_type(ty)]),
            Arc::new(move |_: &[Value]| {
                let value = lock(&state)
                    .queue
                    .pop_front()
                    .ok_or("baton instrumented: rewind queue empty")?;
                if value.ty() != ty {
                    return Err(format!(
                        "baton instrumented: rewind expected a {ty:?}, the queue holds {value}"
                    ));
                }
                Ok(vec![match value {
                    Value::F32(bits) => Value::I32(bits as i32),
                    Value::F64(bits) => Value::I64(bits as i64),
                    other => other,
                }])
            }),
        )?);
    }
    handles.push(engine.host_func(
        &FuncType::new(vec![], vec![]),
        Arc::new(|_: &[Value]| Err(STACK_EXHAUSTED.into())),
    )?);
    Ok(handles)
}
