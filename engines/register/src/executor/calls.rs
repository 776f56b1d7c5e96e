//! Calls: pushing Wasm frames (argument cells copied into the callee's frame, declared locals
//! zeroed, constant pool copied in), resolving direct and indirect callees, calling host
//! functions and functions of other instances (run to completion as one opaque step), and the
//! store-touching helpers the loop delegates to (globals, tables, bulk memory).
//!
//! Invariants: a frame is pushed only if the live frame count stays within `max_frames`; the
//! cell vector always covers every live frame; results of any call land at the call site's
//! `results` cells in the caller's frame.

use std::rc::Rc;

use baton_runtime::{FuncRef, Memory, Trap, Val};

use super::run::WINDOW;
use super::{Activation, Events, Execution, Exit};
use crate::code::{BulkOperands, TableOp};
use crate::compiler::{CallSite, Callee, CompiledFunc};
use crate::instance::InstanceInner;
use crate::module::ModuleCode;
use crate::values::{cells_of_val, from_wasmparser};

/// A resolved callee.
pub enum Target {
    /// A defined function of this instance.
    Own(u32),
    /// A host function or a function of another instance.
    Other(FuncRef),
}

impl Execution {
    /// Pushes the outermost frame for `func` with `args`.
    pub(super) fn push_entry_frame(&mut self, func: u32, args: &[Val]) -> Result<(), Trap> {
        let module = self.inner.module.clone();
        let callee = module
            .func(func)
            .ok_or_else(|| Trap::Host(format!("function {func} is not defined")))?;
        if self.max_frames == 0 {
            return Err(Trap::CallStackExhausted);
        }
        ensure_cells(&mut self.cells, WINDOW);
        let mut at = 0;
        for arg in args {
            self.inner.write_val(arg, &mut self.cells, at);
            at += cells_of_val(arg.ty());
        }
        init_frame(&mut self.cells, 0, callee);
        self.frames.push(Activation {
            func,
            fp: 0,
            ip: 0,
            ret: 0,
        });
        Ok(())
    }

    /// Pushes a frame for defined function `func` called from `caller` (frame at `fp`) through
    /// `site`; returns the callee's frame base.
    #[inline]
    pub(super) fn push_frame(
        &mut self,
        storage: &mut Vec<u32>,
        caller: &CompiledFunc,
        callee: &CompiledFunc,
        func: u32,
        fp: usize,
        site: &CallSite,
    ) -> Result<usize, Trap> {
        if self.frames.len() >= self.max_frames {
            return Err(Trap::CallStackExhausted);
        }
        let new_fp = fp + caller.frame_cells as usize;
        ensure_cells(storage, new_fp + WINDOW);
        let cells = storage.as_mut_slice();
        for (i, src) in site.args.iter().enumerate() {
            cells[new_fp + i] = cells[fp + *src as usize];
        }
        init_frame(cells, new_fp, callee);
        self.frames.push(Activation {
            func,
            fp: new_fp,
            ip: 0,
            ret: site.results,
        });
        Ok(new_fp)
    }

    /// The entry function's results from their cells' values.
    pub(super) fn results(&self, scratch: &[u32], func: &CompiledFunc) -> Vec<Val> {
        let types: Vec<_> = func
            .results
            .iter()
            .filter_map(|t| from_wasmparser(*t))
            .collect();
        self.inner.read_vals(&types, scratch, 0)
    }

    /// Resolves the callee of a call site.
    pub(super) fn resolve(
        &self,
        cells: &[u32],
        module: &ModuleCode,
        site: &CallSite,
    ) -> Result<Target, Trap> {
        let objects = &self.inner.objects;
        let func = match site.callee {
            Callee::Direct(func) if func >= module.imported_funcs => return Ok(Target::Own(func)),
            Callee::Direct(func) => objects
                .imported_funcs
                .get(func as usize)
                .cloned()
                .ok_or_else(|| Trap::Host(format!("import {func} missing")))?,
            Callee::Indirect { type_index, table } => {
                let slot = cells[site.index as usize];
                let table = objects
                    .tables
                    .get(table as usize)
                    .ok_or(Trap::UndefinedElement)?;
                let element = table
                    .borrow()
                    .get(slot)
                    .map_err(|_| Trap::UndefinedElement)?
                    .clone();
                let Val::FuncRef(Some(func)) = element else {
                    return Err(Trap::UninitializedElement);
                };
                let expected = module.info.types.get(type_index as usize);
                if expected.is_none_or(|ty| **ty != *func.ty()) {
                    return Err(Trap::IndirectCallTypeMismatch);
                }
                func
            }
        };
        if let FuncRef::Wasm(wasm) = &func {
            let own = std::ptr::addr_eq(Rc::as_ptr(&wasm.instance), self.inner.handle_addr());
            if own && wasm.index >= module.imported_funcs {
                return Ok(Target::Own(wasm.index));
            }
        }
        Ok(Target::Other(func))
    }

    /// Calls a host function or another instance's function with the site's arguments and
    /// writes the results to the site's result cells.
    pub(super) fn call_other(
        &mut self,
        cells: &mut [u32],
        func: &FuncRef,
        site: &CallSite,
    ) -> Result<(), Trap> {
        let ty = func.ty().clone();
        let mut scratch = Vec::with_capacity(site.args.len());
        for src in &site.args {
            scratch.push(cells[*src as usize]);
        }
        let args = self.inner.read_vals(&ty.params, &scratch, 0);
        let results = match func {
            FuncRef::Host(host) => host.call(&args)?,
            FuncRef::Wasm(wasm) => {
                let other = InstanceInner::resolve(&wasm.instance)?;
                let budget = self.max_frames.saturating_sub(self.frames.len());
                let mut nested =
                    Execution::start(other, wasm.index, args, Events::disabled(), budget)?;
                match nested.run() {
                    Exit::Finished(results) => results,
                    Exit::Trapped(trap) => return Err(trap),
                    Exit::OutOfFuel | Exit::Stopped(_) => {
                        return Err(Trap::Host("nested run stopped".into()))
                    }
                }
            }
        };
        let mut at = site.results as usize;
        for value in &results {
            self.inner.write_val(value, cells, at);
            at += cells_of_val(value.ty());
        }
        Ok(())
    }

    /// `global.get` into cell `at`.
    pub(super) fn global_get(
        &mut self,
        cells: &mut [u32],
        global: u32,
        at: usize,
    ) -> Result<(), Trap> {
        let handle = self
            .inner
            .objects
            .globals
            .get(global as usize)
            .ok_or_else(|| Trap::Host(format!("global {global} missing")))?;
        let value = handle.borrow().get().clone();
        self.inner.write_val(&value, cells, at);
        Ok(())
    }

    /// `global.set` from cell `at`.
    pub(super) fn global_set(&mut self, cells: &[u32], global: u32, at: usize) -> Result<(), Trap> {
        let handle = self
            .inner
            .objects
            .globals
            .get(global as usize)
            .ok_or_else(|| Trap::Host(format!("global {global} missing")))?;
        let ty = handle.borrow().ty().content;
        let value = self.inner.read_val(ty, cells, at);
        handle.borrow_mut().set(value);
        Ok(())
    }

    /// `memory.init`.
    pub(super) fn memory_init(
        &mut self,
        cells: &[u32],
        memory: Option<&mut Memory>,
        ops: &BulkOperands,
    ) -> Result<(), Trap> {
        let fp = 0;
        let objects = &self.inner.objects;
        let memory = memory.ok_or(Trap::MemoryOutOfBounds)?;
        let (dst, src, len) = (
            cells[fp + ops.a as usize],
            cells[fp + ops.b as usize],
            cells[fp + ops.c as usize],
        );
        let bytes = objects.data_bytes(ops.table);
        baton_runtime::store::memory_init(
            memory,
            bytes,
            u64::from(dst),
            u64::from(src),
            u64::from(len),
        )
    }

    /// Table instructions.
    pub(super) fn table_op(
        &mut self,
        cells: &mut [u32],
        op: TableOp,
        ops: &BulkOperands,
    ) -> Result<(), Trap> {
        let fp = 0;
        let inner = self.inner.clone();
        let objects = &inner.objects;
        let table = objects
            .tables
            .get(ops.table as usize)
            .ok_or(Trap::TableOutOfBounds)?;
        let cell = |c: u16| cells[fp + c as usize];
        let (a, b, c) = (cell(ops.a), cell(ops.b), cell(ops.c));
        let elem = table.borrow().elem().val_type();
        match op {
            TableOp::Get => {
                let value = table.borrow().get(a)?.clone();
                inner.write_val(&value, cells, fp + ops.dst as usize);
            }
            TableOp::Set => {
                let value = inner.read_val(elem, cells, fp + ops.b as usize);
                table.borrow_mut().set(a, value)?;
            }
            TableOp::Size => cells[fp + ops.dst as usize] = table.borrow().size(),
            TableOp::Grow => {
                let init = inner.read_val(elem, cells, fp + ops.a as usize);
                let old = table.borrow_mut().grow(b, init);
                cells[fp + ops.dst as usize] = old.unwrap_or(u32::MAX);
            }
            TableOp::Fill => {
                let value = inner.read_val(elem, cells, fp + ops.b as usize);
                table.borrow_mut().fill(a, value, c)?;
            }
            TableOp::Copy => {
                if ops.table == ops.other {
                    table.borrow_mut().copy_within(a, b, c)?;
                } else {
                    let source = objects
                        .tables
                        .get(ops.other as usize)
                        .ok_or(Trap::TableOutOfBounds)?;
                    let values = source.borrow().read(b, c)?.to_vec();
                    table.borrow_mut().write(a, &values)?;
                }
            }
            TableOp::Init => {
                let items = objects.element_items(ops.other, &inner.this());
                baton_runtime::store::table_init(&mut table.borrow_mut(), &items, a, b, c)?;
            }
        }
        Ok(())
    }
}

/// Zeroes a new frame's declared locals and copies in the constant pool. Short runs (the common
/// case) are written inline: a `memset`/`memcpy` call would cost more than the copy.
#[inline]
pub(super) fn init_frame(cells: &mut [u32], fp: usize, func: &CompiledFunc) {
    let params = fp + func.param_cells as usize;
    let locals = fp + func.local_cells as usize;
    let zeroed = &mut cells[params..locals];
    match zeroed {
        [] => {}
        [a] => *a = 0,
        [a, b] => (*a, *b) = (0, 0),
        [a, b, c, d] => (*a, *b, *c, *d) = (0, 0, 0, 0),
        _ => zeroed.fill(0),
    }
    let pool = &mut cells[locals..locals + func.consts.len()];
    match (pool, func.consts.as_slice()) {
        ([], _) => {}
        ([a], [x]) => *a = *x,
        ([a, b], [x, y]) => (*a, *b) = (*x, *y),
        ([a, b, c], [x, y, z]) => (*a, *b, *c) = (*x, *y, *z),
        ([a, b, c, d], [x, y, z, w]) => (*a, *b, *c, *d) = (*x, *y, *z, *w),
        (pool, consts) => pool.copy_from_slice(consts),
    }
}

/// Grows the cell vector to at least `len` cells.
#[inline]
pub(super) fn ensure_cells(cells: &mut Vec<u32>, len: usize) {
    if cells.is_empty() {
        // A fresh zeroed allocation (the allocator hands out zero pages lazily).
        *cells = vec![0; len.max(1024)];
    } else if cells.len() < len {
        let target = len.max(cells.len() * 2);
        cells.resize(target, 0);
    }
}
