//! Globals: a typed, possibly mutable value cell.
//!
//! Invariant: the value's type is always the global's declared type (setters are only reached
//! through validated `global.set` or checked embedder/restore paths).

use std::cell::RefCell;
use std::rc::Rc;

use crate::value::{Val, ValType};

/// A shared global handle.
pub type GlobalHandle = Rc<RefCell<Global>>;

/// A global's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalType {
    /// The value type.
    pub content: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
}

/// A global variable.
#[derive(Clone, Debug, PartialEq)]
pub struct Global {
    ty: GlobalType,
    value: Val,
}

impl Global {
    /// A global of type `ty` holding `value`; `None` if the value's type differs.
    pub fn new(ty: GlobalType, value: Val) -> Option<Global> {
        (value.ty() == ty.content).then_some(Global { ty, value })
    }

    /// A new shared handle (see [`Global::new`]).
    pub fn new_handle(ty: GlobalType, value: Val) -> Option<GlobalHandle> {
        Global::new(ty, value).map(|global| Rc::new(RefCell::new(global)))
    }

    /// The type.
    pub fn ty(&self) -> GlobalType {
        self.ty
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> &Val {
        &self.value
    }

    /// Sets the value; returns `false` (and changes nothing) if its type differs.
    #[inline]
    pub fn set(&mut self, value: Val) -> bool {
        if value.ty() == self.ty.content {
            self.value = value;
            true
        } else {
            false
        }
    }
}
