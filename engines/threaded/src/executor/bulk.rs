//! Table, bulk-memory and reference operations. Their operands are all in slots; they are
//! rare, so one handler per [`Bulk`] kind works through the store objects of `baton-runtime`.

use baton_runtime::{Trap, Val, ValType};

use super::handlers::{imm, next, slot};
use super::{Cell, Ctx, Signal};
use crate::code::Bulk;
use crate::values::{from_bits, to_bits};

/// Every kind, in the order of their const parameter.
pub const KINDS: [Bulk; 16] = [
    Bulk::MemorySize,
    Bulk::MemoryGrow,
    Bulk::MemoryFill,
    Bulk::MemoryCopy,
    Bulk::MemoryInit,
    Bulk::DataDrop,
    Bulk::TableGet,
    Bulk::TableSet,
    Bulk::TableSize,
    Bulk::TableGrow,
    Bulk::TableFill,
    Bulk::TableCopy,
    Bulk::TableInit,
    Bulk::ElemDrop,
    Bulk::RefFunc,
    Bulk::RefIsNull,
];

/// Number of immediates after each kind's op.
pub fn imm_count(kind: Bulk) -> usize {
    match kind {
        Bulk::MemorySize => 1,
        Bulk::MemoryGrow => 2,
        Bulk::MemoryFill | Bulk::MemoryCopy => 3,
        Bulk::MemoryInit => 4,
        Bulk::DataDrop | Bulk::ElemDrop | Bulk::RefIsNull => 1,
        Bulk::TableGet | Bulk::TableSet => 3,
        Bulk::TableSize | Bulk::RefFunc => 2,
        Bulk::TableGrow | Bulk::TableFill => 4,
        Bulk::TableCopy | Bulk::TableInit => 5,
    }
}

/// The handler of bulk kind `KINDS[K]`.
pub fn bulk<const K: u8>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: f64,
) -> Signal {
    let fp0 = fp0.to_bits();
    let Some(&kind) = KINDS.get(K as usize) else {
        return ctx.trap(Trap::Host("internal engine error: bulk kind".into()));
    };
    let mut r0 = r0;
    let result = execute(kind, ip, frame, ctx, &mut r0);
    match result {
        Ok(()) => next!(ip, 1 + imm_count(kind), frame, ctx, r0, fp0),
        Err(trap) => ctx.trap(trap),
    }
}

fn table<'a>(ctx: &'a Ctx<'_>, index: u64) -> Result<&'a baton_runtime::store::TableHandle, Trap> {
    ctx.inner
        .objects
        .tables
        .get(index as usize)
        .ok_or(Trap::TableOutOfBounds)
}

fn busy() -> Trap {
    Trap::Host("table in use".into())
}

fn execute(
    kind: Bulk,
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: &mut u64,
) -> Result<(), Trap> {
    let at = |i: usize| imm(ip, 1 + i);
    let val = |i: usize| frame[slot(ip, 1 + i)];
    let inner = ctx.inner;
    let this = inner.this();
    match kind {
        Bulk::MemorySize => {
            let pages = ctx.with_memory(|m| m.pages())?.unwrap_or(0);
            frame[at(0) as usize] = pages;
        }
        Bulk::MemoryGrow => {
            let delta = u64::from(val(1) as u32);
            let old = ctx.with_memory(|m| m.grow(delta))?.flatten();
            frame[at(0) as usize] = u64::from(old.map_or(u32::MAX, |pages| pages as u32));
        }
        Bulk::MemoryFill => {
            let (d, v, n) = (val(0) as u32, val(1) as u8, val(2) as u32);
            ctx.with_memory(|m| m.fill(u64::from(d), v, u64::from(n)))?
                .ok_or(Trap::MemoryOutOfBounds)??;
        }
        Bulk::MemoryCopy => {
            let (d, s, n) = (val(0) as u32, val(1) as u32, val(2) as u32);
            ctx.with_memory(|m| m.copy_within(u64::from(d), u64::from(s), u64::from(n)))?
                .ok_or(Trap::MemoryOutOfBounds)??;
        }
        Bulk::MemoryInit => {
            let segment = at(0) as u32;
            let (d, s, n) = (val(1) as u32, val(2) as u32, val(3) as u32);
            let bytes = inner.objects.data_bytes(segment);
            ctx.with_memory(|m| {
                baton_runtime::store::memory_init(
                    m,
                    bytes,
                    u64::from(d),
                    u64::from(s),
                    u64::from(n),
                )
            })?
            .ok_or(Trap::MemoryOutOfBounds)??;
        }
        Bulk::DataDrop => {
            if let Some(flag) = inner.objects.dropped_data.get(at(0) as usize) {
                flag.set(true);
            }
        }
        Bulk::ElemDrop => {
            if let Some(flag) = inner.objects.dropped_elements.get(at(0) as usize) {
                flag.set(true);
            }
        }
        Bulk::TableGet => {
            let t = table(ctx, at(0))?.try_borrow().map_err(|_| busy())?;
            let value = t.get(val(2) as u32)?.clone();
            drop(t);
            frame[at(1) as usize] = to_bits(&value, &mut inner.refs.borrow_mut());
        }
        Bulk::TableSet => {
            let mut t = table(ctx, at(0))?.try_borrow_mut().map_err(|_| busy())?;
            let value = from_bits(val(2), t.elem().val_type(), &inner.refs.borrow());
            t.set(val(1) as u32, value)?;
        }
        Bulk::TableSize => {
            let t = table(ctx, at(0))?.try_borrow().map_err(|_| busy())?;
            frame[at(1) as usize] = u64::from(t.size());
        }
        Bulk::TableGrow => {
            let mut t = table(ctx, at(0))?.try_borrow_mut().map_err(|_| busy())?;
            let init = from_bits(val(2), t.elem().val_type(), &inner.refs.borrow());
            let old = t.grow(val(3) as u32, init);
            frame[at(1) as usize] = u64::from(old.unwrap_or(u32::MAX));
        }
        Bulk::TableFill => {
            let mut t = table(ctx, at(0))?.try_borrow_mut().map_err(|_| busy())?;
            let value = from_bits(val(2), t.elem().val_type(), &inner.refs.borrow());
            t.fill(val(1) as u32, value, val(3) as u32)?;
        }
        Bulk::TableCopy => {
            let (dst_t, src_t) = (at(0), at(1));
            let (d, s, n) = (val(2) as u32, val(3) as u32, val(4) as u32);
            if dst_t == src_t {
                table(ctx, dst_t)?
                    .try_borrow_mut()
                    .map_err(|_| busy())?
                    .copy_within(d, s, n)?;
            } else {
                let values: Vec<Val> = table(ctx, src_t)?
                    .try_borrow()
                    .map_err(|_| busy())?
                    .read(s, n)?
                    .to_vec();
                let mut dst = table(ctx, dst_t)?.try_borrow_mut().map_err(|_| busy())?;
                if u64::from(d) + u64::from(n) > u64::from(dst.size()) {
                    return Err(Trap::TableOutOfBounds);
                }
                dst.write(d, &values)?;
            }
        }
        Bulk::TableInit => {
            let (t, segment) = (at(0), at(1) as u32);
            let (d, s, n) = (val(2) as u32, val(3) as u32, val(4) as u32);
            let items = inner.objects.element_items(segment, &this);
            let mut t = table(ctx, t)?.try_borrow_mut().map_err(|_| busy())?;
            baton_runtime::store::table_init(&mut t, &items, d, s, n)?;
        }
        Bulk::RefFunc => {
            let func = inner
                .objects
                .func_ref(at(0) as u32, &this)
                .ok_or(Trap::Host("ref.func of an unknown function".into()))?;
            frame[at(1) as usize] =
                to_bits(&Val::FuncRef(Some(func)), &mut inner.refs.borrow_mut());
        }
        Bulk::RefIsNull => {
            *r0 = u64::from(val(0) == 0);
        }
    }
    let _ = ValType::I32;
    Ok(())
}
