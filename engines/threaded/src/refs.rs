//! References in slots: one 64-bit slot per `funcref` or `externref`.
//!
//! Encoding: 0 is null; `n > 0` is entry `n - 1` of the instance's [`RefPool`]. Function
//! references are pooled by identity, extern handles by value, so equal references always get
//! the same number.
//!
//! Invariants: an entry is never removed while the instance lives, so a number written to a
//! slot decodes to the same reference for the instance's whole life (across runs, unwinds and
//! rewinds).

use std::collections::HashMap;

use baton_runtime::{FuncRef, Val, ValType};

/// The per-instance pool of references that slots name by number.
#[derive(Default)]
pub struct RefPool {
    entries: Vec<Val>,
    funcs: HashMap<(usize, u32), u64>,
    externs: HashMap<u64, u64>,
}

impl RefPool {
    /// The slot encoding of a reference value (`Val::FuncRef` or `Val::ExternRef`); 0 for null
    /// and for non-reference values.
    pub fn encode(&mut self, value: &Val) -> u64 {
        match value {
            Val::FuncRef(Some(func)) => self.func(func),
            Val::ExternRef(Some(handle)) => {
                let next = self.entries.len() as u64 + 1;
                match self.externs.get(handle) {
                    Some(&n) => n,
                    None => {
                        self.externs.insert(*handle, next);
                        self.entries.push(value.clone());
                        next
                    }
                }
            }
            _ => 0,
        }
    }

    fn func(&mut self, func: &FuncRef) -> u64 {
        let key = func.identity();
        if let Some(&n) = self.funcs.get(&key) {
            return n;
        }
        let next = self.entries.len() as u64 + 1;
        self.funcs.insert(key, next);
        self.entries.push(Val::FuncRef(Some(func.clone())));
        next
    }

    /// The reference of type `ty` a slot encodes (null for 0 or an unknown number).
    pub fn decode(&self, bits: u64, ty: ValType) -> Val {
        let null = match ty {
            ValType::ExternRef => Val::ExternRef(None),
            _ => Val::FuncRef(None),
        };
        let Some(index) = bits.checked_sub(1) else {
            return null;
        };
        match self.entries.get(index as usize) {
            Some(value) if value.ty() == ty => value.clone(),
            _ => null,
        }
    }
}
