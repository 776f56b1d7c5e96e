//! Store instructions (tables, bulk memory, segments) and cross-instance/host calls: the
//! executor's out-of-line helpers. Each takes exactly the state it touches and returns traps as
//! `Err`; none holds a `RefCell` borrow across a call into other code.

use std::any::Any;
use std::rc::Rc;

use baton_runtime::store::{memory_init, table_init, MemoryHandle, TableHandle};
use baton_runtime::{Config, FuncRef, InstanceLink, InstanceObjects, RunOutcome, Trap, Val};

use crate::exec::slot::{from_slot, to_slot, RefArena, Slot};
use crate::exec::slot_stack::SlotStack;
use crate::exec::thread::Thread;
use crate::instance::Core;

/// An engine invariant was violated (a bug, never caused by a valid module).
#[cold]
pub fn internal(what: &str) -> Trap {
    Trap::Host(format!("internal engine error: {what}"))
}

fn table(objects: &InstanceObjects, index: u32) -> Result<&TableHandle, Trap> {
    objects
        .tables
        .get(index as usize)
        .ok_or_else(|| internal("table index"))
}

/// Memory 0.
#[inline]
pub fn memory0(objects: &InstanceObjects) -> Result<&MemoryHandle, Trap> {
    objects
        .memories
        .first()
        .ok_or_else(|| internal("no memory"))
}

fn borrow_err(_: std::cell::BorrowError) -> Trap {
    internal("store object borrowed")
}

fn borrow_mut_err(_: std::cell::BorrowMutError) -> Trap {
    internal("store object borrowed")
}

/// `table.get`.
pub fn table_get(
    objects: &InstanceObjects,
    t: u32,
    stack: &mut SlotStack<'_>,
    refs: &mut RefArena,
) -> Result<(), Trap> {
    let index = stack.pop()? as u32;
    let value = table(objects, t)?
        .try_borrow()
        .map_err(borrow_err)?
        .get(index)?
        .clone();
    stack.push(to_slot(&value, refs))?;
    Ok(())
}

/// `table.set`.
pub fn table_set(
    objects: &InstanceObjects,
    t: u32,
    stack: &mut SlotStack<'_>,
    refs: &RefArena,
) -> Result<(), Trap> {
    let value = stack.pop()?;
    let index = stack.pop()? as u32;
    let mut table = table(objects, t)?
        .try_borrow_mut()
        .map_err(borrow_mut_err)?;
    let value = from_slot(value, table.elem().val_type(), refs);
    table.set(index, value)
}

/// `table.size`.
pub fn table_size(
    objects: &InstanceObjects,
    t: u32,
    stack: &mut SlotStack<'_>,
) -> Result<(), Trap> {
    let size = table(objects, t)?.try_borrow().map_err(borrow_err)?.size();
    stack.push(Slot::from(size))?;
    Ok(())
}

/// `table.grow`.
pub fn table_grow(
    objects: &InstanceObjects,
    t: u32,
    stack: &mut SlotStack<'_>,
    refs: &RefArena,
) -> Result<(), Trap> {
    let delta = stack.pop()? as u32;
    let init = stack.pop()?;
    let mut table = table(objects, t)?
        .try_borrow_mut()
        .map_err(borrow_mut_err)?;
    let init = from_slot(init, table.elem().val_type(), refs);
    let result = table.grow(delta, init).unwrap_or(u32::MAX);
    stack.push(Slot::from(result))?;
    Ok(())
}

/// `table.fill`.
pub fn table_fill(
    objects: &InstanceObjects,
    t: u32,
    stack: &mut SlotStack<'_>,
    refs: &RefArena,
) -> Result<(), Trap> {
    let len = stack.pop()? as u32;
    let value = stack.pop()?;
    let start = stack.pop()? as u32;
    let mut table = table(objects, t)?
        .try_borrow_mut()
        .map_err(borrow_mut_err)?;
    let value = from_slot(value, table.elem().val_type(), refs);
    table.fill(start, value, len)
}

/// `table.copy`.
pub fn table_copy(
    objects: &InstanceObjects,
    dst: u32,
    src: u32,
    stack: &mut SlotStack<'_>,
) -> Result<(), Trap> {
    let len = stack.pop()? as u32;
    let s = stack.pop()? as u32;
    let d = stack.pop()? as u32;
    let dst_table = table(objects, dst)?;
    let src_table = table(objects, src)?;
    if Rc::ptr_eq(dst_table, src_table) {
        return dst_table
            .try_borrow_mut()
            .map_err(borrow_mut_err)?
            .copy_within(d, s, len);
    }
    let values = src_table
        .try_borrow()
        .map_err(borrow_err)?
        .read(s, len)?
        .to_vec();
    let mut dst_table = dst_table.try_borrow_mut().map_err(borrow_mut_err)?;
    if u64::from(d) + u64::from(len) > u64::from(dst_table.size()) {
        return Err(Trap::TableOutOfBounds);
    }
    dst_table.write(d, &values)
}

/// `table.init`.
pub fn table_init_op(
    objects: &InstanceObjects,
    this: &Rc<dyn Any>,
    elem: u32,
    t: u32,
    stack: &mut SlotStack<'_>,
) -> Result<(), Trap> {
    let len = stack.pop()? as u32;
    let s = stack.pop()? as u32;
    let d = stack.pop()? as u32;
    let items = objects.element_items(elem, this);
    let mut table = table(objects, t)?
        .try_borrow_mut()
        .map_err(borrow_mut_err)?;
    table_init(&mut table, &items, d, s, len)
}

/// `memory.grow`.
pub fn memory_grow(objects: &InstanceObjects, stack: &mut SlotStack<'_>) -> Result<(), Trap> {
    let delta = stack.pop()? as u32;
    let result = memory0(objects)?
        .try_borrow_mut()
        .map_err(borrow_mut_err)?
        .grow(u64::from(delta))
        .map(|old| old as u32)
        .unwrap_or(u32::MAX);
    stack.push(Slot::from(result))?;
    Ok(())
}

/// `memory.fill`.
pub fn memory_fill(objects: &InstanceObjects, stack: &mut SlotStack<'_>) -> Result<(), Trap> {
    let len = stack.pop()? as u32;
    let value = stack.pop()? as u8;
    let dst = stack.pop()? as u32;
    memory0(objects)?
        .try_borrow_mut()
        .map_err(borrow_mut_err)?
        .fill(u64::from(dst), value, u64::from(len))
}

/// `memory.copy`.
pub fn memory_copy(objects: &InstanceObjects, stack: &mut SlotStack<'_>) -> Result<(), Trap> {
    let len = stack.pop()? as u32;
    let src = stack.pop()? as u32;
    let dst = stack.pop()? as u32;
    memory0(objects)?
        .try_borrow_mut()
        .map_err(borrow_mut_err)?
        .copy_within(u64::from(dst), u64::from(src), u64::from(len))
}

/// `memory.init`.
pub fn memory_init_op(
    objects: &InstanceObjects,
    data: u32,
    stack: &mut SlotStack<'_>,
) -> Result<(), Trap> {
    let len = stack.pop()? as u32;
    let src = stack.pop()? as u32;
    let dst = stack.pop()? as u32;
    let bytes = objects.data_bytes(data);
    let mut memory = memory0(objects)?.try_borrow_mut().map_err(borrow_mut_err)?;
    memory_init(
        &mut memory,
        bytes,
        u64::from(dst),
        u64::from(src),
        u64::from(len),
    )
}

/// Calls a function opaquely (a host function, or a Wasm function of another instance run to
/// completion without events): pops its arguments from `stack`, pushes its results.
pub fn call_opaque(
    func: &FuncRef,
    stack: &mut SlotStack<'_>,
    refs: &mut RefArena,
    live_frames: usize,
    config: &Config,
) -> Result<(), Trap> {
    let ty = func.ty();
    let args: Vec<Val> = stack
        .pop_n(ty.params.len())?
        .into_iter()
        .zip(ty.params.iter())
        .map(|(slot, ty)| from_slot(slot, *ty, refs))
        .collect();
    let results = call_function(func, args, live_frames, config)?;
    for value in &results {
        let slot = to_slot(value, refs);
        stack.push(slot)?;
    }
    Ok(())
}

/// Runs `func` to completion with `args` (no events). `live_frames` Wasm frames are already live.
pub fn call_function(
    func: &FuncRef,
    args: Vec<Val>,
    live_frames: usize,
    config: &Config,
) -> Result<Vec<Val>, Trap> {
    match func {
        FuncRef::Host(host) => host.call(&args),
        FuncRef::Wasm(wasm) => {
            let core = InstanceLink::<Core>::resolve(&wasm.instance)?;
            let mut thread = Thread::new(wasm.index, args, false, live_frames);
            match crate::exec::run(&core, &mut thread, None, config) {
                RunOutcome::Finished(results) => Ok(results),
                RunOutcome::Trapped(trap) => Err(trap),
                RunOutcome::OutOfFuel | RunOutcome::Stopped(_) => {
                    Err(internal("nested call stopped"))
                }
            }
        }
    }
}
