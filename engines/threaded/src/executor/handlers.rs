//! The straight-line handlers: numeric operations, moves, jumps, `select`, globals, loads and
//! stores. Each reads its immediates after its own position and continues with [`next!`].

use baton_runtime::{EventKind, Trap};

use super::events::Fired;
use super::{Cell, Ctx, Native, Signal};
use crate::ops::{eval_bin, eval_un, BIN_OPS, UN_OPS};

/// Continues with the op at `$pc`: a tail call with `baton_tail_calls`, a return to the
/// driver loop otherwise.
#[cfg(baton_tail_calls)]
macro_rules! next {
    ($code:expr, $pc:expr, $frame:expr, $ctx:expr, $r0:expr, $fp0:expr) => {
        return $crate::executor::handlers::dispatch($code, $pc, $frame, $ctx, $r0, $fp0)
    };
}

/// Continues with the op at `$pc`: a tail call with `baton_tail_calls`, a return to the
/// driver loop otherwise.
#[cfg(not(baton_tail_calls))]
macro_rules! next {
    ($code:expr, $pc:expr, $frame:expr, $ctx:expr, $r0:expr, $fp0:expr) => {{
        let _ = $code;
        let _ = &$frame;
        $ctx.next = ($pc, $r0, $fp0);
        return $crate::executor::Signal::Next;
    }};
}

pub(super) use next;

/// Runs the handler of the op at `pc`.
#[inline(always)]
pub fn dispatch(
    code: &[Cell],
    pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: u64,
) -> Signal {
    match code.get(pc) {
        Some(cell) => (cell.op)(code, pc, frame, ctx, r0, fp0),
        None => broken(ctx, pc),
    }
}

/// The handler of immediate words: reaching one is a broken-code trap.
pub fn not_an_op(
    _code: &[Cell],
    pc: usize,
    _frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    _r0: u64,
    _fp0: u64,
) -> Signal {
    broken(ctx, pc)
}

#[cold]
#[inline(never)]
fn broken(ctx: &mut Ctx<'_>, pc: usize) -> Signal {
    ctx.trap(Trap::Host(format!(
        "internal engine error: no operation at code position {pc}"
    )))
}

/// Runs a chain of handlers from `pc` until it ends with a non-`Next` signal.
#[cfg(baton_tail_calls)]
#[inline(always)]
pub fn run_chain(
    code: &[Cell],
    pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: u64,
) -> Signal {
    dispatch(code, pc, frame, ctx, r0, fp0)
}

/// Runs a chain of handlers from `pc` until it ends with a non-`Next` signal.
#[cfg(not(baton_tail_calls))]
pub fn run_chain(
    code: &[Cell],
    mut pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    mut r0: u64,
    mut fp0: u64,
) -> Signal {
    loop {
        match dispatch(code, pc, frame, ctx, r0, fp0) {
            Signal::Next => (pc, r0, fp0) = ctx.next,
            other => return other,
        }
    }
}

/// The immediate at `at` (0 if there is none: only a compiler bug could cause that).
#[inline(always)]
pub fn imm(code: &[Cell], at: usize) -> u64 {
    match code.get(at) {
        Some(cell) => cell.imm,
        None => 0,
    }
}

/// The slot named by the immediate at `at`.
#[inline(always)]
pub fn slot(code: &[Cell], at: usize) -> usize {
    imm(code, at) as usize
}

/// Shape numbers of [`crate::code::Shape2`] / [`crate::code::Shape1`] as const parameters.
pub const SS: u8 = 0;
/// First operand in a register.
pub const RS: u8 = 1;
/// Second operand in a register.
pub const SR: u8 = 2;
/// Both in registers.
pub const RR: u8 = 3;
/// One operand in a slot.
pub const S: u8 = 0;
/// One operand in a register.
pub const R: u8 = 1;

/// A binary numeric operation of shape `SHAPE`.
pub fn bin<const OP: u16, const SHAPE: u8>(
    code: &[Cell],
    pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: u64,
) -> Signal {
    let (float_in, float_out) = match BIN_OPS.get(OP as usize) {
        Some(op) => (op.float_in(), op.float_out()),
        None => (false, false),
    };
    let reg = if float_in { fp0 } else { r0 };
    let (a, b, next) = match SHAPE {
        SS => (frame[slot(code, pc + 1)], frame[slot(code, pc + 2)], pc + 3),
        RS => (reg, frame[slot(code, pc + 1)], pc + 2),
        _ => (frame[slot(code, pc + 1)], reg, pc + 2),
    };
    match eval_bin::<OP>(a, b) {
        Ok(v) if float_out => next!(code, next, frame, ctx, r0, v),
        Ok(v) => next!(code, next, frame, ctx, v, fp0),
        Err(trap) => ctx.trap(trap),
    }
}

/// A unary numeric operation of shape `SHAPE`.
pub fn un<const OP: u16, const SHAPE: u8>(
    code: &[Cell],
    pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: u64,
) -> Signal {
    let (float_in, float_out) = match UN_OPS.get(OP as usize) {
        Some(op) => (op.float_in(), op.float_out()),
        None => (false, false),
    };
    let (a, next) = match SHAPE {
        S => (frame[slot(code, pc + 1)], pc + 2),
        _ => (if float_in { fp0 } else { r0 }, pc + 1),
    };
    match eval_un::<OP>(a) {
        Ok(v) if float_out => next!(code, next, frame, ctx, r0, v),
        Ok(v) => next!(code, next, frame, ctx, v, fp0),
        Err(trap) => ctx.trap(trap),
    }
}

/// `slot = r0` (`FLOAT` false) or `slot = fp0`.
pub fn spill<const FLOAT: bool>(
    code: &[Cell],
    pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: u64,
) -> Signal {
    frame[slot(code, pc + 1)] = if FLOAT { fp0 } else { r0 };
    next!(code, pc + 2, frame, ctx, r0, fp0)
}

/// `slot[dst] = slot[src]`.
pub fn copy(
    code: &[Cell],
    pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: u64,
) -> Signal {
    frame[slot(code, pc + 1)] = frame[slot(code, pc + 2)];
    next!(code, pc + 3, frame, ctx, r0, fp0)
}

/// Traps with `unreachable`.
pub fn unreachable(
    _code: &[Cell],
    _pc: usize,
    _frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    _r0: u64,
    _fp0: u64,
) -> Signal {
    ctx.trap(Trap::Unreachable)
}

/// The entry safe point.
pub fn entry(
    code: &[Cell],
    pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: u64,
) -> Signal {
    match ctx.events.fire(EventKind::Entry) {
        Fired::Continue => next!(code, pc + 1, frame, ctx, r0, fp0),
        Fired::Stop(event) => {
            ctx.stopped = Some((EventKind::Entry, event));
            super::control::push_record(
                ctx,
                Native::Resume {
                    at: (pc + 1) as u32,
                    r0,
                    fp0,
                },
            );
            Signal::Unwind
        }
        Fired::OutOfFuel => {
            ctx.abort = Some(super::Exit::OutOfFuel);
            Signal::Abort
        }
    }
}

/// Jump.
pub fn br(
    code: &[Cell],
    pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: u64,
) -> Signal {
    next!(code, slot(code, pc + 1), frame, ctx, r0, fp0)
}

/// Jump when the condition is non-zero (`IF`) or zero (`!IF`); condition of shape `SHAPE`.
pub fn br_cond<const IF: bool, const SHAPE: u8>(
    code: &[Cell],
    pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: u64,
) -> Signal {
    let (cond, at) = match SHAPE {
        S => (frame[slot(code, pc + 1)], pc + 2),
        _ => (r0, pc + 1),
    };
    if (cond as u32 != 0) == IF {
        next!(code, slot(code, at), frame, ctx, r0, fp0)
    } else {
        next!(code, at + 1, frame, ctx, r0, fp0)
    }
}

/// Branch table; index of shape `SHAPE`.
pub fn br_table<const SHAPE: u8>(
    code: &[Cell],
    pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: u64,
) -> Signal {
    let (index, at) = match SHAPE {
        S => (frame[slot(code, pc + 1)], pc + 2),
        _ => (r0, pc + 1),
    };
    let n = imm(code, at);
    let choice = u64::from(index as u32).min(n);
    next!(
        code,
        slot(code, at + 1 + choice as usize),
        frame,
        ctx,
        r0,
        fp0
    )
}

/// `select` into the register of class `FLOAT` (or a slot when `REF`).
pub fn select<const FLOAT: bool, const REF: bool>(
    code: &[Cell],
    pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: u64,
) -> Signal {
    let cond = frame[slot(code, pc + 1)] as u32;
    let value = if cond != 0 {
        frame[slot(code, pc + 2)]
    } else {
        frame[slot(code, pc + 3)]
    };
    if REF {
        frame[slot(code, pc + 4)] = value;
        next!(code, pc + 5, frame, ctx, r0, fp0)
    } else if FLOAT {
        next!(code, pc + 4, frame, ctx, r0, value)
    } else {
        next!(code, pc + 4, frame, ctx, value, fp0)
    }
}

/// `global.get` into `r0`, `fp0` or (for references) a slot.
pub fn global_get<const FLOAT: bool, const REF: bool>(
    code: &[Cell],
    pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: u64,
) -> Signal {
    let index = slot(code, pc + 1);
    let Some(global) = ctx.inner.objects.globals.get(index) else {
        return ctx.trap(Trap::Host("no such global".into()));
    };
    let bits = {
        let Ok(global) = global.try_borrow() else {
            return ctx.trap(Trap::Host("global in use".into()));
        };
        crate::values::to_bits(global.get(), &mut ctx.inner.refs.borrow_mut())
    };
    if REF {
        frame[slot(code, pc + 2)] = bits;
        next!(code, pc + 3, frame, ctx, r0, fp0)
    } else if FLOAT {
        next!(code, pc + 2, frame, ctx, r0, bits)
    } else {
        next!(code, pc + 2, frame, ctx, bits, fp0)
    }
}

/// `global.set` from `r0`/`fp0` (`SHAPE` R, `FLOAT`) or a slot.
pub fn global_set<const SHAPE: u8, const FLOAT: bool>(
    code: &[Cell],
    pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: u64,
) -> Signal {
    let index = slot(code, pc + 1);
    let (bits, next) = match SHAPE {
        S => (frame[slot(code, pc + 2)], pc + 3),
        _ => (if FLOAT { fp0 } else { r0 }, pc + 2),
    };
    let Some(global) = ctx.inner.objects.globals.get(index) else {
        return ctx.trap(Trap::Host("no such global".into()));
    };
    let Ok(mut global) = global.try_borrow_mut() else {
        return ctx.trap(Trap::Host("global in use".into()));
    };
    let ty = global.ty().content;
    let value = crate::values::from_bits(bits, ty, &ctx.inner.refs.borrow());
    global.set(value);
    drop(global);
    next!(code, next, frame, ctx, r0, fp0)
}

/// The effective address `addr + offset`, or a trap when `len` bytes there are out of bounds.
#[inline(always)]
fn range(mem_len: usize, addr: u64, offset: u64, len: usize) -> Option<std::ops::Range<usize>> {
    let start = (addr as u32 as u64).checked_add(offset)?;
    let end = start.checked_add(len as u64)?;
    if end > mem_len as u64 {
        return None;
    }
    Some(start as usize..end as usize)
}

/// Reads `N` bytes little-endian.
#[inline(always)]
fn read<const N: usize>(mem: &[u8], r: std::ops::Range<usize>) -> Option<[u8; N]> {
    mem.get(r)?.try_into().ok()
}

/// A load of kind `KIND` (a [`crate::code::LoadKind`] index), address of shape `SHAPE`.
pub fn load<const KIND: u8, const SHAPE: u8>(
    code: &[Cell],
    pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: u64,
) -> Signal {
    use crate::code::LoadKind as K;
    let offset = imm(code, pc + 1);
    let (addr, next) = match SHAPE {
        S => (frame[slot(code, pc + 2)], pc + 3),
        _ => (r0, pc + 2),
    };
    let kind = K::ALL.get(KIND as usize).copied().unwrap_or(K::I32);
    let width = match kind {
        K::I64 | K::F64 => 8,
        K::I32 | K::F32 | K::I64S32 | K::I64U32 => 4,
        K::I32S16 | K::I32U16 | K::I64S16 | K::I64U16 => 2,
        _ => 1,
    };
    let mem = ctx.mem();
    let Some(r) = range(mem.len(), addr, offset, width) else {
        return ctx.trap(Trap::MemoryOutOfBounds);
    };
    let value = match width {
        8 => read::<8>(mem, r).map(u64::from_le_bytes),
        4 => read::<4>(mem, r).map(|b| {
            let v = u32::from_le_bytes(b);
            if kind == K::I64S32 {
                v as i32 as i64 as u64
            } else {
                u64::from(v)
            }
        }),
        2 => read::<2>(mem, r).map(|b| {
            let v = u16::from_le_bytes(b);
            match kind {
                K::I32S16 => u64::from(v as i16 as i32 as u32),
                K::I64S16 => v as i16 as i64 as u64,
                _ => u64::from(v),
            }
        }),
        _ => read::<1>(mem, r).map(|b| {
            let v = b[0];
            match kind {
                K::I32S8 => u64::from(v as i8 as i32 as u32),
                K::I64S8 => v as i8 as i64 as u64,
                _ => u64::from(v),
            }
        }),
    };
    let Some(value) = value else {
        return ctx.trap(Trap::MemoryOutOfBounds);
    };
    if kind.float() {
        next!(code, next, frame, ctx, r0, value)
    } else {
        next!(code, next, frame, ctx, value, fp0)
    }
}

/// A store of kind `KIND` (a [`crate::code::StoreKind`] index), value and address of shape
/// `SHAPE`.
pub fn store<const KIND: u8, const SHAPE: u8>(
    code: &[Cell],
    pc: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: u64,
) -> Signal {
    use crate::code::StoreKind as K;
    let kind = K::ALL.get(KIND as usize).copied().unwrap_or(K::B32);
    let reg = if kind.float() { fp0 } else { r0 };
    let offset = imm(code, pc + 1);
    let (value, addr, next) = match SHAPE {
        SS => (frame[slot(code, pc + 2)], frame[slot(code, pc + 3)], pc + 4),
        RS => (reg, frame[slot(code, pc + 2)], pc + 3),
        SR => (frame[slot(code, pc + 2)], r0, pc + 3),
        _ => (fp0, r0, pc + 2),
    };
    let width = match kind {
        K::B64 | K::F64 => 8,
        K::B32 | K::F32 => 4,
        K::B16 => 2,
        K::B8 => 1,
    };
    let mem = ctx.mem();
    let Some(r) = range(mem.len(), addr, offset, width) else {
        return ctx.trap(Trap::MemoryOutOfBounds);
    };
    let bytes = value.to_le_bytes();
    if let (Some(dst), Some(src)) = (mem.get_mut(r), bytes.get(..width)) {
        dst.copy_from_slice(src);
    }
    next!(code, next, frame, ctx, r0, fp0)
}
