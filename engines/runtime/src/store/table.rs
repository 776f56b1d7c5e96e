//! Tables: vectors of references of one type with an optional maximum.
//!
//! Invariants: every element's type is the table's element type; `len <= max.unwrap_or(u32::MAX)`
//! and `len <= MAX_TABLE_ELEMENTS` (an implementation limit: growing beyond it fails like an
//! allocation failure, i.e. `table.grow` returns -1). Accessors return
//! [`Trap::TableOutOfBounds`] instead of panicking.

use std::cell::RefCell;
use std::rc::Rc;

use crate::store::memory::limits_match;
use crate::trap::Trap;
use crate::value::{RefType, Val};

/// The implementation's table size limit (elements).
pub const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// A shared table handle.
pub type TableHandle = Rc<RefCell<Table>>;

/// A table's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableType {
    /// Element type.
    pub elem: RefType,
    /// Initial (or current) size.
    pub min: u64,
    /// Maximum size.
    pub max: Option<u64>,
}

impl TableType {
    /// Whether a table of type `self` can be imported where `required` is declared.
    pub fn matches(&self, required: &TableType) -> bool {
        self.elem == required.elem && limits_match(self.min, self.max, required.min, required.max)
    }
}

/// A table.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    elem: RefType,
    elements: Vec<Val>,
    max: Option<u64>,
}

impl Table {
    /// A table of `ty.min` copies of `init`. `None` if too large.
    pub fn new(ty: TableType, init: Val) -> Option<Table> {
        if ty.min > MAX_TABLE_ELEMENTS || init.ty() != ty.elem.val_type() {
            return None;
        }
        let mut elements = Vec::new();
        elements.try_reserve_exact(ty.min as usize).ok()?;
        elements.resize(ty.min as usize, init);
        Some(Table {
            elem: ty.elem,
            elements,
            max: ty.max,
        })
    }

    /// A new shared handle (see [`Table::new`]).
    pub fn new_handle(ty: TableType, init: Val) -> Option<TableHandle> {
        Table::new(ty, init).map(|table| Rc::new(RefCell::new(table)))
    }

    /// The element type.
    pub fn elem(&self) -> RefType {
        self.elem
    }

    /// The maximum, if declared.
    pub fn max(&self) -> Option<u64> {
        self.max
    }

    /// The current size.
    pub fn size(&self) -> u32 {
        self.elements.len() as u32
    }

    /// The current type.
    pub fn ty(&self) -> TableType {
        TableType {
            elem: self.elem,
            min: self.elements.len() as u64,
            max: self.max,
        }
    }

    /// All elements.
    pub fn elements(&self) -> &[Val] {
        &self.elements
    }

    /// Replaces all elements and the maximum (restore). Elements must have the element type.
    pub fn reset(&mut self, elements: Vec<Val>, max: Option<u64>) {
        self.elements = elements;
        self.max = max;
    }

    /// `table.get`.
    #[inline]
    pub fn get(&self, index: u32) -> Result<&Val, Trap> {
        self.elements
            .get(index as usize)
            .ok_or(Trap::TableOutOfBounds)
    }

    /// `table.set`; `value` must have the element type.
    pub fn set(&mut self, index: u32, value: Val) -> Result<(), Trap> {
        let slot = self
            .elements
            .get_mut(index as usize)
            .ok_or(Trap::TableOutOfBounds)?;
        *slot = value;
        Ok(())
    }

    /// `table.grow`: the old size, or `None` (-1) if the maximum or the implementation limit
    /// would be exceeded.
    pub fn grow(&mut self, delta: u32, init: Val) -> Option<u32> {
        let old = self.elements.len() as u64;
        let new = old.checked_add(u64::from(delta))?;
        let limit = self
            .max
            .unwrap_or(u64::from(u32::MAX))
            .min(MAX_TABLE_ELEMENTS);
        if new > limit {
            return None;
        }
        self.elements.try_reserve(delta as usize).ok()?;
        self.elements.resize(new as usize, init);
        Some(old as u32)
    }

    /// `table.fill`.
    pub fn fill(&mut self, start: u32, value: Val, len: u32) -> Result<(), Trap> {
        let end = (start as usize)
            .checked_add(len as usize)
            .ok_or(Trap::TableOutOfBounds)?;
        self.elements
            .get_mut(start as usize..end)
            .ok_or(Trap::TableOutOfBounds)?
            .fill(value);
        Ok(())
    }

    /// `table.copy` within this table (overlap-safe).
    pub fn copy_within(&mut self, dst: u32, src: u32, len: u32) -> Result<(), Trap> {
        let size = self.elements.len() as u64;
        if u64::from(src) + u64::from(len) > size || u64::from(dst) + u64::from(len) > size {
            return Err(Trap::TableOutOfBounds);
        }
        let (src, dst, len) = (src as usize, dst as usize, len as usize);
        if dst <= src {
            for i in 0..len {
                let value = self.elements[src + i].clone();
                self.elements[dst + i] = value;
            }
        } else {
            for i in (0..len).rev() {
                let value = self.elements[src + i].clone();
                self.elements[dst + i] = value;
            }
        }
        Ok(())
    }

    /// Writes `values` at `dst` (`table.init`, `table.copy` between tables, element segments).
    pub fn write(&mut self, dst: u32, values: &[Val]) -> Result<(), Trap> {
        let end = (dst as usize)
            .checked_add(values.len())
            .ok_or(Trap::TableOutOfBounds)?;
        self.elements
            .get_mut(dst as usize..end)
            .ok_or(Trap::TableOutOfBounds)?
            .clone_from_slice(values);
        Ok(())
    }

    /// Reads `len` elements at `src`.
    pub fn read(&self, src: u32, len: u32) -> Result<&[Val], Trap> {
        let end = (src as usize)
            .checked_add(len as usize)
            .ok_or(Trap::TableOutOfBounds)?;
        self.elements
            .get(src as usize..end)
            .ok_or(Trap::TableOutOfBounds)
    }
}

/// `table.init` / element segment application: copies `segment[offset..offset+len]` to `dst`.
pub fn init_from_segment(
    table: &mut Table,
    segment: &[Val],
    dst: u32,
    offset: u32,
    len: u32,
) -> Result<(), Trap> {
    let end = (offset as usize)
        .checked_add(len as usize)
        .ok_or(Trap::TableOutOfBounds)?;
    let source = segment
        .get(offset as usize..end)
        .ok_or(Trap::TableOutOfBounds)?;
    table.write(dst, source)
}
