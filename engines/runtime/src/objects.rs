//! The engine-independent objects of one instance, and instantiation (linking, allocation,
//! initialisation) over them.
//!
//! An engine builds its instance in four steps: [`InstanceObjects::link`] resolves and type-checks
//! the imports and allocates the defined memories, tables and globals (defined globals hold their
//! type's default for now); the engine wraps the objects in its own `Rc`'d instance; then
//! [`InstanceObjects::initialize`] evaluates global initialisers and applies active segments,
//! given the instance's handle (needed to create references to its own functions); finally the
//! engine runs the start function.
//!
//! Invariants: the vectors cover the whole index spaces (imports first), in the module's order;
//! `dropped_data` / `dropped_elements` have one flag per segment. Element segment items are
//! evaluated on use; this is equivalent to evaluating them at instantiation because their only
//! inputs (imported immutable globals and function indices) never change.

use std::any::Any;
use std::cell::Cell;
use std::rc::Rc;

use crate::error::{InstantiationError, LinkError};
use crate::externs::{Extern, Imports};
use crate::func::{FuncRef, WasmFunc};
use crate::module::{ConstExpr, DataMode, ElemMode, ExportKind, ImportKind, ModuleInfo};
use crate::store::{Global, GlobalHandle, Memory, MemoryHandle, Table, TableHandle};
use crate::trap::Trap;
use crate::value::Val;

/// Memories, tables, globals, imported functions and segment state of one instance.
pub struct InstanceObjects {
    /// The module's description.
    pub info: Rc<ModuleInfo>,
    /// Imported functions, in import order (function indices `0..num_imported_funcs`).
    pub imported_funcs: Vec<FuncRef>,
    /// Memories (imports first).
    pub memories: Vec<MemoryHandle>,
    /// Tables (imports first).
    pub tables: Vec<TableHandle>,
    /// Globals (imports first).
    pub globals: Vec<GlobalHandle>,
    /// One flag per data segment: dropped.
    pub dropped_data: Vec<Cell<bool>>,
    /// One flag per element segment: dropped.
    pub dropped_elements: Vec<Cell<bool>>,
}

fn incompatible(module: &str, name: &str, expected: String, actual: String) -> LinkError {
    LinkError::IncompatibleImportType {
        module: module.to_string(),
        name: name.to_string(),
        expected,
        actual,
    }
}

impl InstanceObjects {
    /// Resolves the imports of `info` from `imports` and allocates the defined objects.
    pub fn link(
        info: Rc<ModuleInfo>,
        imports: &Imports,
    ) -> Result<InstanceObjects, InstantiationError> {
        let mut objects = InstanceObjects {
            imported_funcs: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            dropped_data: info.data.iter().map(|_| Cell::new(false)).collect(),
            dropped_elements: info.elements.iter().map(|_| Cell::new(false)).collect(),
            info: info.clone(),
        };
        for import in &info.imports {
            let (module, name) = (import.module.as_str(), import.name.as_str());
            let provided = imports
                .get(module, name)
                .ok_or_else(|| LinkError::UnknownImport {
                    module: module.to_string(),
                    name: name.to_string(),
                })?;
            match (&import.kind, provided) {
                (ImportKind::Func(type_index), Extern::Func(func)) => {
                    let expected = info.types.get(*type_index as usize);
                    if expected.map(|t| **t != *func.ty()).unwrap_or(true) {
                        return Err(incompatible(
                            module,
                            name,
                            expected.map(|t| format!("func {t}")).unwrap_or_default(),
                            format!("func {}", func.ty()),
                        )
                        .into());
                    }
                    objects.imported_funcs.push(func.clone());
                }
                (ImportKind::Table(ty), Extern::Table(table)) => {
                    let actual = table.borrow().ty();
                    if !actual.matches(ty) {
                        return Err(incompatible(
                            module,
                            name,
                            format!("{ty:?}"),
                            format!("{actual:?}"),
                        )
                        .into());
                    }
                    objects.tables.push(table.clone());
                }
                (ImportKind::Memory(ty), Extern::Memory(memory)) => {
                    let actual = memory.borrow().ty();
                    if !actual.matches(ty) {
                        return Err(incompatible(
                            module,
                            name,
                            format!("{ty:?}"),
                            format!("{actual:?}"),
                        )
                        .into());
                    }
                    objects.memories.push(memory.clone());
                }
                (ImportKind::Global(ty), Extern::Global(global)) => {
                    let actual = global.borrow().ty();
                    if actual != *ty {
                        return Err(incompatible(
                            module,
                            name,
                            format!("{ty:?}"),
                            format!("{actual:?}"),
                        )
                        .into());
                    }
                    objects.globals.push(global.clone());
                }
                (expected, other) => {
                    return Err(incompatible(
                        module,
                        name,
                        format!("{expected:?}"),
                        other.kind_name().to_string(),
                    )
                    .into())
                }
            }
        }
        for (i, ty) in info
            .memories
            .iter()
            .enumerate()
            .skip(objects.memories.len())
        {
            let memory = Memory::new_handle(*ty).ok_or_else(|| InstantiationError::Allocation {
                what: format!("memory {i} ({} pages)", ty.min),
            })?;
            objects.memories.push(memory);
        }
        for (i, ty) in info.tables.iter().enumerate().skip(objects.tables.len()) {
            let table = Table::new_handle(*ty, ty.elem.null()).ok_or_else(|| {
                InstantiationError::Allocation {
                    what: format!("table {i} ({} elements)", ty.min),
                }
            })?;
            objects.tables.push(table);
        }
        for ty in info.globals.iter().skip(objects.globals.len()) {
            let global =
                Global::new_handle(*ty, Val::default_for(ty.content)).ok_or_else(|| {
                    InstantiationError::Allocation {
                        what: "global".to_string(),
                    }
                })?;
            objects.globals.push(global);
        }
        Ok(objects)
    }

    /// The function import `func` resolves to: `None` when `func` is not an import, a trap
    /// when the import is missing.
    pub fn import_target(&self, func: u32) -> Option<Result<&FuncRef, Trap>> {
        if func >= self.info.num_imported_funcs {
            return None;
        }
        Some(
            self.imported_funcs
                .get(func as usize)
                .ok_or_else(|| Trap::Host(format!("import {func} missing"))),
        )
    }

    /// A reference to function `index` of this instance, whose engine handle is `this`.
    /// `None` if the index is out of range.
    pub fn func_ref(&self, index: u32, this: &Rc<dyn Any>) -> Option<FuncRef> {
        if let Some(imported) = self.imported_funcs.get(index as usize) {
            return Some(imported.clone());
        }
        let ty = self.info.func_type(index)?.clone();
        Some(FuncRef::Wasm(WasmFunc {
            instance: this.clone(),
            index,
            ty,
        }))
    }

    /// The index of `func` in this instance's function index space, if it has one: a function of
    /// this instance itself, or an imported one (the first import equal to it).
    pub fn func_index(&self, func: &FuncRef, this: &Rc<dyn Any>) -> Option<u32> {
        if let FuncRef::Wasm(wasm) = func {
            if wasm.belongs_to(this) {
                return Some(wasm.index);
            }
        }
        self.imported_funcs
            .iter()
            .position(|imported| imported == func)
            .map(|i| i as u32)
    }

    /// Evaluates a constant expression.
    pub fn eval_const(&self, expr: &ConstExpr, this: &Rc<dyn Any>) -> Val {
        match *expr {
            ConstExpr::I32(v) => Val::I32(v),
            ConstExpr::I64(v) => Val::I64(v),
            ConstExpr::F32(v) => Val::F32(v),
            ConstExpr::F64(v) => Val::F64(v),
            ConstExpr::RefNull(ty) => ty.null(),
            ConstExpr::RefFunc(index) => Val::FuncRef(self.func_ref(index, this)),
            ConstExpr::GlobalGet(index) => self
                .globals
                .get(index as usize)
                .map(|g| g.borrow().get().clone())
                .unwrap_or(Val::I32(0)),
        }
    }

    /// The items of element segment `index` (empty once dropped).
    pub fn element_items(&self, index: u32, this: &Rc<dyn Any>) -> Vec<Val> {
        let dropped = self
            .dropped_elements
            .get(index as usize)
            .map(Cell::get)
            .unwrap_or(true);
        match self.info.elements.get(index as usize) {
            Some(segment) if !dropped => segment
                .items
                .iter()
                .map(|item| self.eval_const(item, this))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The bytes of data segment `index` (empty once dropped).
    pub fn data_bytes(&self, index: u32) -> &[u8] {
        let dropped = self
            .dropped_data
            .get(index as usize)
            .map(Cell::get)
            .unwrap_or(true);
        match self.info.data.get(index as usize) {
            Some(segment) if !dropped => &segment.bytes,
            _ => &[],
        }
    }

    /// Evaluates the defined globals' initialisers, then applies the active element and data
    /// segments in order, dropping active and declared segments. Stops at the first trap; writes
    /// made before it stay, as the spec requires.
    pub fn initialize(&self, this: &Rc<dyn Any>) -> Result<(), Trap> {
        let first_defined = self.info.num_imported_globals as usize;
        for (i, init) in self.info.global_inits.iter().enumerate() {
            let value = self.eval_const(init, this);
            if let Some(global) = self.globals.get(first_defined + i) {
                global.borrow_mut().set(value);
            }
        }
        for (index, segment) in self.info.elements.iter().enumerate() {
            match &segment.mode {
                ElemMode::Active { table, offset } => {
                    let items = self.element_items(index as u32, this);
                    let offset = const_i32(&self.eval_const(offset, this));
                    let table = self
                        .tables
                        .get(*table as usize)
                        .ok_or(Trap::TableOutOfBounds)?;
                    crate::store::table_init(
                        &mut table.borrow_mut(),
                        &items,
                        offset,
                        0,
                        items.len() as u32,
                    )?;
                }
                ElemMode::Declared => {}
                ElemMode::Passive => continue,
            }
            if let Some(flag) = self.dropped_elements.get(index) {
                flag.set(true);
            }
        }
        for (index, segment) in self.info.data.iter().enumerate() {
            if let DataMode::Active { memory, offset } = &segment.mode {
                let offset = const_i32(&self.eval_const(offset, this));
                let memory = self
                    .memories
                    .get(*memory as usize)
                    .ok_or(Trap::MemoryOutOfBounds)?;
                crate::store::memory_init(
                    &mut memory.borrow_mut(),
                    &segment.bytes,
                    u64::from(offset),
                    0,
                    segment.bytes.len() as u64,
                )?;
                if let Some(flag) = self.dropped_data.get(index) {
                    flag.set(true);
                }
            }
        }
        Ok(())
    }

    /// Whether references to this instance's functions may be held outside its own objects after
    /// a failed instantiation: it imports a table or global (segments and the start function can
    /// write references there) or a function (the start function can pass references to it).
    /// Such an instance must be kept alive ([`crate::InstanceLink::pin`]).
    pub fn references_may_escape(&self) -> bool {
        self.info
            .imports
            .iter()
            .any(|import| !matches!(import.kind, ImportKind::Memory(_)))
    }

    /// The extern an export refers to.
    pub fn export_extern(&self, kind: ExportKind, this: &Rc<dyn Any>) -> Option<Extern> {
        Some(match kind {
            ExportKind::Func(index) => Extern::Func(self.func_ref(index, this)?),
            ExportKind::Table(index) => Extern::Table(self.tables.get(index as usize)?.clone()),
            ExportKind::Memory(index) => Extern::Memory(self.memories.get(index as usize)?.clone()),
            ExportKind::Global(index) => Extern::Global(self.globals.get(index as usize)?.clone()),
        })
    }
}

/// An offset expression's value as an unsigned 32-bit offset.
fn const_i32(value: &Val) -> u32 {
    match value {
        Val::I32(v) => *v as u32,
        _ => 0,
    }
}
