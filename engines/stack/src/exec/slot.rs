//! Untyped 128-bit value slots and the conversions between them and typed [`Val`]s.
//!
//! Encoding (a slot carries no type; the reader must know it): `i32`/`f32` are their 32 bits
//! zero-extended, `i64`/`f64` their 64 bits zero-extended; a `funcref` is 0 for null or `1 + i`
//! where `i` indexes the thread's [`RefArena`]; an `externref` is 0 for null or `1 + handle`.
//! Invariant: every non-null funcref slot on a thread's stack indexes that thread's arena.

use std::collections::HashMap;

use baton_runtime::{FuncRef, Val, ValType};

/// A value slot.
pub type Slot = u128;

/// The function references that appear in slots of one thread, interned by identity.
#[derive(Clone, Default)]
pub struct RefArena {
    funcs: Vec<FuncRef>,
    index: HashMap<(usize, u32), u32>,
}

impl RefArena {
    /// The slot encoding of a function reference.
    pub fn intern(&mut self, func: &FuncRef) -> Slot {
        let key = func.identity();
        let next = self.funcs.len() as u32;
        let index = *self.index.entry(key).or_insert_with(|| {
            self.funcs.push(func.clone());
            next
        });
        Slot::from(index) + 1
    }

    /// The function reference a non-null funcref slot denotes.
    pub fn get(&self, slot: Slot) -> Option<&FuncRef> {
        let index = usize::try_from(slot.checked_sub(1)?).ok()?;
        self.funcs.get(index)
    }
}

/// Encodes a value into a slot.
#[inline]
pub fn to_slot(value: &Val, refs: &mut RefArena) -> Slot {
    match value {
        Val::I32(v) => Slot::from(*v as u32),
        Val::I64(v) => Slot::from(*v as u64),
        Val::F32(bits) => Slot::from(*bits),
        Val::F64(bits) => Slot::from(*bits),
        Val::FuncRef(None) | Val::ExternRef(None) => 0,
        Val::FuncRef(Some(func)) => refs.intern(func),
        Val::ExternRef(Some(handle)) => Slot::from(*handle) + 1,
    }
}

/// Decodes a slot known to hold a value of type `ty`.
#[inline]
pub fn from_slot(slot: Slot, ty: ValType, refs: &RefArena) -> Val {
    match ty {
        ValType::I32 => Val::I32(slot as u32 as i32),
        ValType::I64 => Val::I64(slot as u64 as i64),
        ValType::F32 => Val::F32(slot as u32),
        ValType::F64 => Val::F64(slot as u64),
        ValType::FuncRef => Val::FuncRef(refs.get(slot).cloned()),
        ValType::ExternRef => Val::ExternRef(slot.checked_sub(1).map(|h| h as u64)),
    }
}
