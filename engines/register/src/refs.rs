//! References in cells: one cell per `funcref` or `externref`.
//!
//! Encoding: 0 is null. For `funcref`, `n > 0` is function `n - 1` of the instance's function
//! index space when `n - 1 < funcs`, otherwise foreign function `n - 1 - funcs` of the pool (a
//! function of another instance reached through a shared table or global). For `externref`,
//! `n > 0` is pooled extern handle `n - 1`.
//!
//! Invariants: a reference written to a cell always decodes back to an equal reference; pooled
//! entries are never removed while the instance lives (handles stay valid across runs, and a
//! checkpoint can map them back).

use std::any::Any;
use std::collections::HashMap;
use std::rc::Rc;

use baton_runtime::{FuncRef, InstanceObjects, Val};

/// The per-instance pool of references that cells name by number.
#[derive(Default)]
pub struct RefPool {
    foreign: Vec<FuncRef>,
    foreign_ids: HashMap<(usize, u32), u32>,
    externs: Vec<u64>,
    extern_ids: HashMap<u64, u32>,
}

impl RefPool {
    /// The cell encoding of a function reference.
    pub fn func_to_cell(
        &mut self,
        func: Option<&FuncRef>,
        objects: &InstanceObjects,
        this: &Rc<dyn Any>,
    ) -> u32 {
        let Some(func) = func else { return 0 };
        let funcs = objects.info.func_types.len() as u32;
        if let Some(index) = objects.func_index(func, this) {
            return index + 1;
        }
        let key = func.identity();
        let slot = match self.foreign_ids.get(&key) {
            Some(&slot) => slot,
            None => {
                let slot = self.foreign.len() as u32;
                self.foreign.push(func.clone());
                self.foreign_ids.insert(key, slot);
                slot
            }
        };
        funcs + slot + 1
    }

    /// The function reference a cell encodes (`None` for null or an unknown number).
    pub fn cell_to_func(
        &self,
        cell: u32,
        objects: &InstanceObjects,
        this: &Rc<dyn Any>,
    ) -> Option<FuncRef> {
        let index = cell.checked_sub(1)?;
        let funcs = objects.info.func_types.len() as u32;
        if index < funcs {
            objects.func_ref(index, this)
        } else {
            self.foreign.get((index - funcs) as usize).cloned()
        }
    }

    /// The cell encoding of an extern reference.
    pub fn extern_to_cell(&mut self, handle: Option<u64>) -> u32 {
        let Some(handle) = handle else { return 0 };
        let slot = match self.extern_ids.get(&handle) {
            Some(&slot) => slot,
            None => {
                let slot = self.externs.len() as u32;
                self.externs.push(handle);
                self.extern_ids.insert(handle, slot);
                slot
            }
        };
        slot + 1
    }

    /// The extern handle a cell encodes (`None` for null).
    pub fn cell_to_extern(&self, cell: u32) -> Option<u64> {
        self.externs.get(cell.checked_sub(1)? as usize).copied()
    }

    /// A reference value's cell.
    pub fn val_to_cell(&mut self, val: &Val, objects: &InstanceObjects, this: &Rc<dyn Any>) -> u32 {
        match val {
            Val::FuncRef(func) => self.func_to_cell(func.as_ref(), objects, this),
            Val::ExternRef(handle) => self.extern_to_cell(*handle),
            _ => 0,
        }
    }
}
