//! The execution half: frames saved by an unwind (raw values, innermost first) become the
//! suspended call (outermost first, original pcs), and a suspended call becomes the queue of
//! values the rewound module loads, in the order it loads them.
//!
//! Rewind queue, per frame (outermost first): its locals; then for each label at its pc, the
//! site number to land on in that level, the mode after it (rewinding, except after the
//! innermost frame's last level: running, followed by the events-left counter the run goes on
//! with, one more when the stop is a call whose counter-passing callee counts it again), and the operands the landing pushes. An enclosing level
//! lands on the block site of the next label (operands under it from the image, its block
//! parameters as zeros, an `if` condition choosing the arm); the last level lands on the stop
//! (innermost) or on the call in progress (outer frames: the callee's arguments as zeros, and
//! for `call_indirect` the callee's index into the private function table).

use std::collections::VecDeque;

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::image::LabelKind;
use baton_checkpoint::EventKind;
use baton_engine::{ValType, Value};
use baton_instrument::{Meta, SiteKind};

use super::host::RawFrame;

/// One suspended frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedFrame {
    /// Function index (original index space).
    pub func: u32,
    /// Original pc, as an image frame's.
    pub pc: u32,
    /// Parameters, then declared locals.
    pub locals: Vec<Value>,
    /// Operands, bottom first (an outer frame's exclude its call's arguments).
    pub operands: Vec<Value>,
}

/// A call suspended at a safe point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspended {
    /// The invoked function (original index space).
    pub entry_func: u32,
    /// Its arguments.
    pub args: Vec<Value>,
    /// The stop's kind.
    pub kind: EventKind,
    /// The stop's event number.
    pub event: u64,
    /// Frames, outermost first.
    pub frames: Vec<SavedFrame>,
}

/// Frames from an unwind's raw frames (innermost first).
pub fn frames_from_raw(
    meta: &Meta,
    analysis: &ModuleAnalysis,
    raw: Vec<RawFrame>,
) -> Result<Vec<SavedFrame>, String> {
    let mut frames = Vec::with_capacity(raw.len());
    for frame in raw.into_iter().rev() {
        let site = meta
            .site(frame.site)
            .ok_or_else(|| format!("unwind named unknown site {}", frame.site))?;
        let locals = analysis
            .function(site.func)
            .map(|f| f.locals().len())
            .ok_or_else(|| format!("no function {}", site.func))?;
        if frame.values.len() < locals {
            return Err(format!(
                "frame of function {} saved too few values",
                site.func
            ));
        }
        let mut locals_values = frame.values;
        let operands = locals_values.split_off(locals);
        frames.push(SavedFrame {
            func: site.func,
            pc: site.pc,
            locals: locals_values,
            operands,
        });
    }
    Ok(frames)
}

fn zero(ty: wasmparser::ValType) -> Value {
    Value::default_for(ValType::from_wasmparser(ty).unwrap_or(ValType::I32))
}

fn site_kind(kind: EventKind) -> Result<SiteKind, String> {
    Ok(match kind {
        EventKind::Entry => SiteKind::Entry,
        EventKind::Loop => SiteKind::Loop,
        EventKind::Call => SiteKind::Call,
        EventKind::Return => SiteKind::Return,
        EventKind::Any => return Err("`any` stops are not instrumented".into()),
    })
}

/// The values the rewound module loads, in order; `left`, `slack`: the events left once the
/// rewind is over, in the innermost frame's counter (in `layout`, with the frames' depth) and
/// held back (see `host::armed_left`).
pub fn rewind_queue(
    meta: &Meta,
    analysis: &ModuleAnalysis,
    suspended: &Suspended,
    (left, slack): (i64, i64),
    layout: baton_instrument::layout::CounterLayout,
) -> Result<VecDeque<Value>, String> {
    let mut queue = VecDeque::new();
    let count = suspended.frames.len();
    for (j, frame) in suspended.frames.iter().enumerate() {
        let place = format!("frame {j} (function {}, pc {})", frame.func, frame.pc);
        let innermost = j + 1 == count;
        let point = analysis
            .function(frame.func)
            .and_then(|f| f.at(frame.pc))
            .ok_or_else(|| format!("{place}: no instruction boundary"))?;
        queue.extend(frame.locals.iter().copied());
        let labels = &point.labels;
        for (k, label) in labels.iter().enumerate() {
            let kind = LabelKind::try_from(label.kind).unwrap_or(LabelKind::Unspecified);
            let level = meta
                .level(frame.func, label.start, kind)
                .ok_or_else(|| format!("{place}: no sites in label {k}"))?;
            let base = label.height as usize;
            let last = k + 1 == labels.len();
            let (site, mut values) = if let Some(child) = labels.get(k + 1) {
                let site = meta
                    .site_in(level, SiteKind::Block, child.start)
                    .ok_or_else(|| format!("{place}: no block site for label {}", k + 1))?;
                let top = (child.height as usize).min(frame.operands.len());
                (site, frame.operands.get(base..top).unwrap_or(&[]).to_vec())
            } else {
                let wanted = if innermost {
                    site_kind(suspended.kind)?
                } else {
                    SiteKind::Call
                };
                let site = meta
                    .site_in(level, wanted, frame.pc)
                    .ok_or_else(|| format!("{place}: no {wanted:?} site"))?;
                (site, frame.operands.get(base..).unwrap_or(&[]).to_vec())
            };
            if values.len() > site.types.len() {
                return Err(format!(
                    "{place}: {} operands in label {k}, the site has {}",
                    values.len(),
                    site.types.len()
                ));
            }
            let filled = values.len();
            values.extend(site.types[filled..].iter().map(|t| zero(*t)));
            if let Some(child) = labels.get(k + 1) {
                let arm = LabelKind::try_from(child.kind).unwrap_or(LabelKind::Unspecified);
                if matches!(arm, LabelKind::If | LabelKind::Else) {
                    if let Some(cond) = values.last_mut() {
                        *cond = Value::I32(i32::from(arm == LabelKind::If));
                    }
                }
            } else if !innermost && site.indirect {
                let callee = suspended.frames.get(j + 1).map_or(0, |f| f.func);
                if let Some(index) = values.last_mut() {
                    *index = Value::I32(callee as i32);
                }
            }
            if innermost && last && filled != site.types.len() {
                return Err(format!("{place}: operands do not fit the stop"));
            }
            if !innermost && last && filled != site.types.len() - site.consumed as usize {
                return Err(format!("{place}: operands do not fit the call in progress"));
            }
            queue.push_back(Value::I32(site.slot as i32));
            if innermost && last {
                queue.push_back(Value::I32(0));
                // Landing on a call whose callee counts the call event too: one more left.
                let left = if site.merged {
                    left.saturating_add(1)
                } else {
                    left
                };
                queue.push_back(Value::I64(layout.counter(left, count as u32)));
                queue.push_back(Value::I64(slack));
            } else {
                queue.push_back(Value::I32(2));
            }
            queue.extend(values);
        }
    }
    Ok(queue)
}
