//! Weak instance handles: the `Rc<dyn Any>` an engine puts into [`crate::WasmFunc::instance`]
//! without keeping the instance alive.
//!
//! Why: an instance's own tables and globals may hold references to its own functions. If those
//! references owned the instance (`Rc`), every such instance would be an `Rc` cycle and never be
//! freed. An engine that adopts [`InstanceLink`] gives each instance one link (created with
//! [`InstanceLink::handle`], typically inside `Rc::new_cyclic`) and stores that link's `Rc` in every
//! `WasmFunc` it creates; the link only holds a `Weak` to the instance.
//!
//! Invariants: the instance owns its link strongly and the link refers to the instance weakly, so
//! no cycle passes through a function reference. Whoever owns the instance (the embedder's
//! instance value, e.g. a harness session that keeps all of its instances) keeps it alive;
//! references that outlive it resolve to [`Trap::Host`] ("instance was dropped") instead of
//! panicking. Identity is the link's allocation, which is unique per instance and lives as long
//! as any reference to it, so `FuncRef` equality stays well-defined even after the instance is gone.

use std::any::Any;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

use crate::trap::Trap;

/// The trap message of a call through a reference whose instance was dropped.
pub const DROPPED_INSTANCE: &str = "call to a function whose instance was dropped";

/// The trap message of a call through a reference to another engine's instance.
pub const FOREIGN_INSTANCE: &str = "function of another engine";

/// A weak link from function references to an instance of type `T`.
pub struct InstanceLink<T: 'static> {
    target: Weak<T>,
    /// Set by [`InstanceLink::pin`]: the instance then lives as long as its link (forever, as
    /// the instance owns its link: a deliberate, bounded leak).
    pinned: RefCell<Option<Rc<T>>>,
}

impl<T: 'static> InstanceLink<T> {
    /// The handle (for [`crate::WasmFunc::instance`]) of the instance `target` points to.
    pub fn handle(target: Weak<T>) -> Rc<dyn Any> {
        Rc::new(InstanceLink {
            target,
            pinned: RefCell::new(None),
        })
    }

    /// Keeps `target` (the instance behind `handle`) alive for good. For an instance that failed
    /// to instantiate after its references may have escaped (an element segment wrote its
    /// functions into an imported table, or its start function ran with imports in reach): the
    /// spec keeps such an instance's functions callable, and no embedder owns it. Does nothing
    /// if `handle` is not an `InstanceLink<T>`.
    pub fn pin(handle: &Rc<dyn Any>, target: Rc<T>) {
        if let Some(link) = handle.downcast_ref::<InstanceLink<T>>() {
            *link.pinned.borrow_mut() = Some(target);
        }
    }

    /// The live instance behind `handle`: a [`Trap::Host`] if the handle is not an
    /// `InstanceLink<T>` (another engine's function) or the instance has been dropped.
    pub fn resolve(handle: &Rc<dyn Any>) -> Result<Rc<T>, Trap> {
        let link = handle
            .downcast_ref::<InstanceLink<T>>()
            .ok_or_else(|| Trap::Host(FOREIGN_INSTANCE.to_string()))?;
        link.target
            .upgrade()
            .ok_or_else(|| Trap::Host(DROPPED_INSTANCE.to_string()))
    }
}
