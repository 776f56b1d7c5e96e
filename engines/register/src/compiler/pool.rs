//! The per-function constant pool.
//!
//! Built by a pre-scan of the body so its size is known before operand cells are assigned; the
//! pool sits right after the locals and is copied into every new frame, so constants are read
//! like any other cell. Invariant: each distinct `(bits, width)` appears once.

use std::collections::HashMap;

/// A deduplicated pool of constant cells.
#[derive(Clone, Debug, Default)]
pub struct ConstPool {
    cells: Vec<u32>,
    index: HashMap<(u64, u16), u16>,
}

impl ConstPool {
    /// Adds a constant of `width` cells (1 or 2) with bits `bits`; returns its pool offset.
    pub fn intern(&mut self, bits: u64, width: u16) -> u16 {
        if let Some(&offset) = self.index.get(&(bits, width)) {
            return offset;
        }
        let offset = self.cells.len() as u16;
        self.cells.push(bits as u32);
        if width == 2 {
            self.cells.push((bits >> 32) as u32);
        }
        self.index.insert((bits, width), offset);
        offset
    }

    /// The pool offset of a constant already interned.
    pub fn find(&self, bits: u64, width: u16) -> Option<u16> {
        self.index.get(&(bits, width)).copied()
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// The cells.
    pub fn into_cells(self) -> Vec<u32> {
        self.cells
    }
}
