//! What the translator needs to know about the module: types, function signatures, globals and
//! tables, gathered from the module's sections.
//!
//! Invariant: `func_types` covers the whole function index space (imports first), and every
//! entry names an index of `types`.

use wasmparser::{FuncType, ValType};

/// Module-level facts for translation.
#[derive(Clone, Debug, Default)]
pub struct ModuleInfo {
    /// Function types by type index.
    pub types: Vec<FuncType>,
    /// Type index of each function (imports first).
    pub func_types: Vec<u32>,
    /// Number of imported functions.
    pub imported_funcs: u32,
    /// Type of each global (imports first).
    pub globals: Vec<ValType>,
    /// Element type of each table (imports first).
    pub tables: Vec<ValType>,
}

impl ModuleInfo {
    /// The type of function `func`, if it exists.
    pub fn func_type(&self, func: u32) -> Option<&FuncType> {
        let index = *self.func_types.get(func as usize)?;
        self.types.get(index as usize)
    }

    /// The type with index `index`, if it exists.
    pub fn type_at(&self, index: u32) -> Option<&FuncType> {
        self.types.get(index as usize)
    }
}
