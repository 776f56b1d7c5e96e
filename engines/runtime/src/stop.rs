//! The driving contract's event and outcome types (see `docs/safe-points.md`).
//!
//! Events of the four main kinds (entry, loop, call, return) share one counter per invocation;
//! `any` events fire at every instruction boundary and do not consume numbers.

use baton_checkpoint::SafePointKind;

use crate::trap::Trap;
use crate::value::Val;

/// A kind of safe-point event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// A function's locals are initialised, before its first instruction.
    Entry,
    /// At the first instruction of a loop body (after `loop`, and on every branch back to it).
    Loop,
    /// Before a `call`/`call_indirect` executes, its operands on the stack.
    Call,
    /// In the caller, just after a callee returned.
    Return,
    /// Any instruction boundary (does not consume an event number).
    Any,
}

impl EventKind {
    /// All kinds, in declaration order.
    pub const ALL: [EventKind; 5] = [
        EventKind::Entry,
        EventKind::Loop,
        EventKind::Call,
        EventKind::Return,
        EventKind::Any,
    ];

    /// This kind's bit in a [`KindSet`].
    pub const fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The image's enum value for this kind.
    pub fn to_image(self) -> SafePointKind {
        match self {
            EventKind::Entry => SafePointKind::Entry,
            EventKind::Loop => SafePointKind::Loop,
            EventKind::Call => SafePointKind::Call,
            EventKind::Return => SafePointKind::Return,
            EventKind::Any => SafePointKind::Any,
        }
    }

    /// The kind for an image enum value; `None` for `Unspecified`.
    pub fn from_image(kind: SafePointKind) -> Option<EventKind> {
        match kind {
            SafePointKind::Unspecified => None,
            SafePointKind::Entry => Some(EventKind::Entry),
            SafePointKind::Loop => Some(EventKind::Loop),
            SafePointKind::Call => Some(EventKind::Call),
            SafePointKind::Return => Some(EventKind::Return),
            SafePointKind::Any => Some(EventKind::Any),
        }
    }

    /// The kind's lowercase name, as used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Entry => "entry",
            EventKind::Loop => "loop",
            EventKind::Call => "call",
            EventKind::Return => "return",
            EventKind::Any => "any",
        }
    }
}

/// A set of event kinds (a bit set).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct KindSet(u8);

impl KindSet {
    /// No kinds.
    pub const EMPTY: KindSet = KindSet(0);
    /// The four main kinds (entry, loop, call, return).
    pub const MAIN: KindSet = KindSet(
        EventKind::Entry.bit()
            | EventKind::Loop.bit()
            | EventKind::Call.bit()
            | EventKind::Return.bit(),
    );
    /// All five kinds.
    pub const ALL: KindSet = KindSet(KindSet::MAIN.0 | EventKind::Any.bit());

    /// The set holding exactly `kinds`.
    pub fn of(kinds: &[EventKind]) -> KindSet {
        KindSet(kinds.iter().fold(0, |acc, kind| acc | kind.bit()))
    }

    /// Whether `kind` is in the set.
    pub const fn contains(self, kind: EventKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// This set plus `kind`.
    pub const fn with(self, kind: EventKind) -> KindSet {
        KindSet(self.0 | kind.bit())
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// A stop request: stop at the first event whose number is `>= event` and whose kind is in
/// `kinds` (for `any`, its number is the one the next main event would get).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopAt {
    /// Kinds to stop at.
    pub kinds: KindSet,
    /// The smallest event number to stop at.
    pub event: u64,
}

/// Where a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopInfo {
    /// The event's kind.
    pub kind: EventKind,
    /// The event's number (for `any`: the number the next main event would get).
    pub event: u64,
    /// The innermost frame's function (index in the instance's function index space).
    pub func: u32,
    /// The innermost frame's pc, as an image offset (see the image's `Frame.pc`).
    pub pc: u32,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum RunOutcome {
    /// The invocation returned these results; the instance is idle again.
    Finished(Vec<Val>),
    /// The invocation trapped; the instance is idle again (memories etc. keep their writes).
    Trapped(Trap),
    /// The next event's number reached the fuel limit; the invocation is abandoned.
    OutOfFuel,
    /// Stopped at a requested event; the instance can be imaged, then continued.
    Stopped(StopInfo),
}
