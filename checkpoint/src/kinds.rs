//! The safe-point kinds of `docs/safe-points.md` and sets of them: the one kind vocabulary every
//! crate shares (engines, the adapter API, the harness, case files).
//!
//! [`EventKind`] is the kind as programs use it (five values, no "unspecified");
//! [`SafePointKind`] is its wire form in the image (protobuf enum with a zero value), converted
//! only at the image's edge ([`EventKind::to_image`], [`EventKind::from_image`]).
//!
//! Invariant: the four main kinds (entry, loop, call, return) consume event numbers; `any` does
//! not.

use serde::{Deserialize, Serialize};

use crate::image::SafePointKind;

/// A kind of safe-point event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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

    /// The four kinds that consume event numbers, in declaration order.
    pub const MAIN: [EventKind; 4] = [
        EventKind::Entry,
        EventKind::Loop,
        EventKind::Call,
        EventKind::Return,
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

    /// The kind for an image's raw enum number (`SafePoint.kind`); `None` for unknown numbers
    /// and `Unspecified`.
    pub fn from_image_number(number: i32) -> Option<EventKind> {
        SafePointKind::try_from(number)
            .ok()
            .and_then(EventKind::from_image)
    }

    /// The kind's lowercase name, as used on the command line and in case files.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Entry => "entry",
            EventKind::Loop => "loop",
            EventKind::Call => "call",
            EventKind::Return => "return",
            EventKind::Any => "any",
        }
    }

    /// The kind named `name` (see [`EventKind::name`]).
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of event kinds (a bit set).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
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

    /// Whether the set holds a main kind (one that consumes event numbers).
    pub const fn has_main(self) -> bool {
        self.0 & KindSet::MAIN.0 != 0
    }

    /// The kinds in the set, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = EventKind> {
        EventKind::ALL
            .into_iter()
            .filter(move |kind| self.contains(*kind))
    }
}

impl std::fmt::Debug for KindSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<EventKind> for KindSet {
    fn from_iter<I: IntoIterator<Item = EventKind>>(iter: I) -> Self {
        iter.into_iter().fold(KindSet::EMPTY, KindSet::with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_conversion_round_trips_and_rejects_unspecified() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_image(kind.to_image()), Some(kind));
            assert_eq!(
                EventKind::from_image_number(kind.to_image() as i32),
                Some(kind)
            );
            assert_eq!(EventKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(EventKind::from_image(SafePointKind::Unspecified), None);
        assert_eq!(EventKind::from_image_number(99), None);
    }

    #[test]
    fn sets_hold_exactly_their_members() {
        let set = KindSet::of(&[EventKind::Loop, EventKind::Any]);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [EventKind::Loop, EventKind::Any]
        );
        assert!(!set.contains(EventKind::Entry));
        assert!(set.has_main());
        assert!(!KindSet::EMPTY.with(EventKind::Any).has_main());
        assert_eq!(KindSet::MAIN.iter().collect::<Vec<_>>(), EventKind::MAIN);
        assert_eq!(KindSet::ALL, EventKind::ALL.into_iter().collect());
    }
}
