//! Externs (what an instance imports and exports) and the import map used for linking.

use std::collections::HashMap;

use crate::func::FuncRef;
use crate::store::{GlobalHandle, MemoryHandle, TableHandle};

/// An importable/exportable object.
#[derive(Clone, Debug)]
pub enum Extern {
    /// A function (host or Wasm).
    Func(FuncRef),
    /// A table.
    Table(TableHandle),
    /// A memory.
    Memory(MemoryHandle),
    /// A global.
    Global(GlobalHandle),
}

impl Extern {
    /// The kind's name, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Extern::Func(_) => "function",
            Extern::Table(_) => "table",
            Extern::Memory(_) => "memory",
            Extern::Global(_) => "global",
        }
    }
}

/// Externs by (module, name): what an instantiation may import.
#[derive(Clone, Debug, Default)]
pub struct Imports {
    entries: HashMap<(String, String), Extern>,
}

impl Imports {
    /// An empty map.
    pub fn new() -> Imports {
        Imports::default()
    }

    /// Defines (or replaces) `module.name`.
    pub fn define(&mut self, module: &str, name: &str, value: Extern) {
        self.entries
            .insert((module.to_string(), name.to_string()), value);
    }

    /// Looks up `module.name`.
    pub fn get(&self, module: &str, name: &str) -> Option<&Extern> {
        self.entries.get(&(module.to_string(), name.to_string()))
    }
}
