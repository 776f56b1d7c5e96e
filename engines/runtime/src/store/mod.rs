//! Store objects: memories, tables and globals, shared between instances through handles.
//!
//! Each object lives in an `Rc<RefCell<..>>` handle so an exporting instance and every importing
//! instance see one object. Borrows are short (one operation); engines never hold a borrow across
//! a call into a host function or another instance.

mod global;
mod memory;
mod table;

pub use global::{Global, GlobalHandle, GlobalType};
pub use memory::{
    init_from_segment as memory_init, Memory, MemoryHandle, MemoryType, MAX_PAGES, PAGE_SIZE,
};
pub use table::{
    init_from_segment as table_init, Table, TableHandle, TableType, MAX_TABLE_ELEMENTS,
};
