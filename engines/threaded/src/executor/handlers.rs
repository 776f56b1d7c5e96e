//! The straight-line handlers: numeric operations, moves, jumps, `select`, globals, loads and
//! stores. Each reads its immediates after its own position and continues with [`next!`].

use baton_runtime::Trap;

use super::{Cell, Ctx, Signal};
use crate::ops::{eval_bin, eval_un, BIN_OPS, UN_OPS};

/// Continues with the op `$k` words after the current one (`$ip`): a tail call with
/// `baton_tail_calls`, a return to the driver loop otherwise.
#[cfg(baton_tail_calls)]
macro_rules! next {
    ($ip:expr, $k:expr, $frame:expr, $ctx:expr, $r0:expr, $fp0:expr) => {
        return $crate::executor::handlers::step($ip, $k, $frame, $ctx, $r0, f64::from_bits($fp0))
    };
}

/// Continues with the op `$k` words after the current one (`$ip`): a tail call with
/// `baton_tail_calls`, a return to the driver loop otherwise.
#[cfg(not(baton_tail_calls))]
macro_rules! next {
    ($ip:expr, $k:expr, $frame:expr, $ctx:expr, $r0:expr, $fp0:expr) => {{
        let _ = &$frame;
        let at = $crate::executor::handlers::position($ctx, $ip) + $k;
        $ctx.next = (at, $r0, $fp0);
        return $crate::executor::Signal::Next;
    }};
}

/// Continues at code position `$target` of the current function.
#[cfg(baton_tail_calls)]
macro_rules! jump {
    ($target:expr, $frame:expr, $ctx:expr, $r0:expr, $fp0:expr) => {
        return $crate::executor::handlers::goto($target, $frame, $ctx, $r0, f64::from_bits($fp0))
    };
}

/// Continues at code position `$target` of the current function.
#[cfg(not(baton_tail_calls))]
macro_rules! jump {
    ($target:expr, $frame:expr, $ctx:expr, $r0:expr, $fp0:expr) => {{
        let _ = &$frame;
        $ctx.next = ($target, $r0, $fp0);
        return $crate::executor::Signal::Next;
    }};
}

/// Ends the handler with a broken-code trap unless the code from the current op on has more
/// than `$words` words (the op's own words and at least the next op): one length check, after
/// which every immediate read and the step to the next op need none.
macro_rules! guard {
    ($ip:expr, $ctx:expr, $words:expr) => {
        if $ip.len() <= $words {
            return $crate::executor::handlers::broken($ctx);
        }
    };
}

/// Slot `$i` of the frame, read without a bounds check. Only for slot immediates of the ops
/// [`crate::executor::check_slots`] checks (`$ctx` is unused, kept for the call shape).
macro_rules! get {
    ($frame:expr, $ctx:expr, $i:expr) => {{
        let _ = &$ctx;
        let (frame, i): (&[u64], usize) = (&*$frame, $i);
        debug_assert!(
            i < frame.len(),
            "slot {i} outside a frame of {}",
            frame.len()
        );
        // SAFETY: `i` is a slot immediate of the running op, one `check_slots` verified to be
        // below the function's `frame_size` (`FuncCode::new` refuses code that fails the
        // check, and lowering keeps every immediate at its position). Every activation runs
        // its handlers with a frame of at least `frame_size` slots: `enter_code` and
        // `rewind_function` check that before the first handler (and set `ctx.code`, through
        // which jumps go, to that same function's code), `run_in` and `in_new_segment`
        // allocate at least that many, and loop bodies run on their function's frame.
        #[allow(unsafe_code)]
        let value = unsafe { *frame.get_unchecked(i) };
        value
    }};
}

/// Writes slot `$i` of the frame without a bounds check (the argument of [`get!`]).
macro_rules! set {
    ($frame:expr, $ctx:expr, $i:expr, $v:expr) => {{
        let _ = &$ctx;
        let (value, i) = ($v, $i);
        let frame: &mut [u64] = &mut *$frame;
        debug_assert!(
            i < frame.len(),
            "slot {i} outside a frame of {}",
            frame.len()
        );
        // SAFETY: as in `get!`: a verified slot immediate, below `frame_size`, and the frame
        // is at least that long.
        #[allow(unsafe_code)]
        unsafe {
            *frame.get_unchecked_mut(i) = value
        };
    }};
}

pub(super) use jump;
pub(super) use next;

/// The code position of `ip` (a suffix of the current function's code).
#[inline(always)]
pub fn position(ctx: &Ctx<'_>, ip: &[Cell]) -> usize {
    ctx.code.len().saturating_sub(ip.len())
}

/// Runs the handler of the op `ip` starts with.
#[inline(always)]
pub fn dispatch(ip: &[Cell], frame: &mut [u64], ctx: &mut Ctx<'_>, r0: u64, fp0: f64) -> Signal {
    match ip.first() {
        Some(cell) => (cell.op)(ip, frame, ctx, r0, fp0),
        None => broken(ctx),
    }
}

/// Runs the handler of the op `k` words after the current one.
#[cfg(baton_tail_calls)]
#[inline(always)]
pub fn step(
    ip: &[Cell],
    k: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: f64,
) -> Signal {
    match ip.get(k..) {
        Some(rest) => dispatch(rest, frame, ctx, r0, fp0),
        None => broken(ctx),
    }
}

/// Runs the handler of the op at code position `target` of the current function.
#[inline(always)]
pub fn goto(target: usize, frame: &mut [u64], ctx: &mut Ctx<'_>, r0: u64, fp0: f64) -> Signal {
    let code = ctx.code;
    match code.get(target..) {
        Some(rest) => dispatch(rest, frame, ctx, r0, fp0),
        None => broken(ctx),
    }
}

/// The handler of immediate words: reaching one is a broken-code trap.
pub fn not_an_op(
    _ip: &[Cell],
    _frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    _r0: u64,
    _fp0: f64,
) -> Signal {
    broken(ctx)
}

/// The broken-code trap (out of line).
#[cold]
#[inline(never)]
pub fn broken(ctx: &mut Ctx<'_>) -> Signal {
    ctx.trap(Trap::Host(
        "internal engine error: no operation at a code position".into(),
    ))
}

/// Runs a chain of handlers from code position `at` until it ends with a non-`Next` signal.
#[cfg(baton_tail_calls)]
#[inline(always)]
pub fn run_chain(at: usize, frame: &mut [u64], ctx: &mut Ctx<'_>, r0: u64, fp0: u64) -> Signal {
    goto(at, frame, ctx, r0, f64::from_bits(fp0))
}

/// Runs a chain of handlers from code position `at` until it ends with a non-`Next` signal.
#[cfg(not(baton_tail_calls))]
pub fn run_chain(
    mut at: usize,
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    mut r0: u64,
    mut fp0: u64,
) -> Signal {
    loop {
        match goto(at, frame, ctx, r0, f64::from_bits(fp0)) {
            Signal::Next => (at, r0, fp0) = ctx.next,
            other => return other,
        }
    }
}

/// The immediate `k` words after the current op (0 if there is none: only a compiler bug could
/// cause that).
#[inline(always)]
pub fn imm(ip: &[Cell], k: usize) -> u64 {
    match ip.get(k) {
        Some(cell) => cell.imm,
        None => 0,
    }
}

/// The slot named by the immediate `k` words after the current op.
#[inline(always)]
pub fn slot(ip: &[Cell], k: usize) -> usize {
    imm(ip, k) as usize
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

/// A binary numeric operation of shape `SHAPE`, result in its register or (`TO_SLOT`) a slot;
/// `CONT` (with `TO_SLOT`, [`crate::code::Instr::BinContinue`]): then restarts a loop like
/// [`super::control::op_continue`] (immediates `depth`, loop position after the operation's).
pub fn bin<const OP: u16, const SHAPE: u8, const TO_SLOT: bool, const CONT: bool>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: f64,
) -> Signal {
    let fp0 = fp0.to_bits();
    let (float_in, float_out) = match BIN_OPS.get(OP as usize) {
        Some(op) => (op.float_in(), op.float_out()),
        None => (false, false),
    };
    let reg = if float_in { fp0 } else { r0 };
    guard!(
        ip,
        ctx,
        if SHAPE == SS { 3 } else { 2 } + usize::from(TO_SLOT) + 2 * usize::from(CONT)
    );
    let (a, b, next) = match SHAPE {
        SS => (
            get!(frame, ctx, slot(ip, 1)),
            get!(frame, ctx, slot(ip, 2)),
            3,
        ),
        RS => (reg, get!(frame, ctx, slot(ip, 1)), 2),
        _ => (get!(frame, ctx, slot(ip, 1)), reg, 2),
    };
    match eval_bin::<OP>(a, b) {
        Ok(v) if TO_SLOT => {
            set!(frame, ctx, slot(ip, next), v);
            if CONT {
                return Signal::Continue(imm(ip, next + 1));
            }
            next!(ip, next + 1, frame, ctx, r0, fp0)
        }
        Ok(v) if float_out => next!(ip, next, frame, ctx, r0, v),
        Ok(v) => next!(ip, next, frame, ctx, v, fp0),
        Err(trap) => ctx.trap(trap),
    }
}

/// A unary numeric operation of shape `SHAPE`, result in its register or (`TO_SLOT`) a slot.
pub fn un<const OP: u16, const SHAPE: u8, const TO_SLOT: bool>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: f64,
) -> Signal {
    let fp0 = fp0.to_bits();
    let (float_in, float_out) = match UN_OPS.get(OP as usize) {
        Some(op) => (op.float_in(), op.float_out()),
        None => (false, false),
    };
    guard!(
        ip,
        ctx,
        if SHAPE == S { 2 } else { 1 } + usize::from(TO_SLOT)
    );
    let (a, next) = match SHAPE {
        S => (get!(frame, ctx, slot(ip, 1)), 2),
        _ => (if float_in { fp0 } else { r0 }, 1),
    };
    match eval_un::<OP>(a) {
        Ok(v) if TO_SLOT => {
            set!(frame, ctx, slot(ip, next), v);
            next!(ip, next + 1, frame, ctx, r0, fp0)
        }
        Ok(v) if float_out => next!(ip, next, frame, ctx, r0, v),
        Ok(v) => next!(ip, next, frame, ctx, v, fp0),
        Err(trap) => ctx.trap(trap),
    }
}

/// `slot = r0` (`FLOAT` false) or `slot = fp0`.
pub fn spill<const FLOAT: bool>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: f64,
) -> Signal {
    let fp0 = fp0.to_bits();
    guard!(ip, ctx, 2);
    set!(frame, ctx, slot(ip, 1), if FLOAT { fp0 } else { r0 });
    next!(ip, 2, frame, ctx, r0, fp0)
}

/// `slot[dst] = slot[src]`.
pub fn copy(ip: &[Cell], frame: &mut [u64], ctx: &mut Ctx<'_>, r0: u64, fp0: f64) -> Signal {
    let fp0 = fp0.to_bits();
    guard!(ip, ctx, 3);
    let value = get!(frame, ctx, slot(ip, 2));
    set!(frame, ctx, slot(ip, 1), value);
    next!(ip, 3, frame, ctx, r0, fp0)
}

/// Traps with `unreachable`.
pub fn unreachable(
    _ip: &[Cell],
    _frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    _r0: u64,
    _fp0: f64,
) -> Signal {
    ctx.trap(Trap::Unreachable)
}

/// Jump.
pub fn br(ip: &[Cell], frame: &mut [u64], ctx: &mut Ctx<'_>, r0: u64, fp0: f64) -> Signal {
    let fp0 = fp0.to_bits();
    jump!(slot(ip, 1), frame, ctx, r0, fp0)
}

/// Jump when the condition is non-zero (`IF`) or zero (`!IF`); condition of shape `SHAPE`.
pub fn br_cond<const IF: bool, const SHAPE: u8>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: f64,
) -> Signal {
    let fp0 = fp0.to_bits();
    guard!(ip, ctx, if SHAPE == S { 3 } else { 2 });
    let (cond, at) = match SHAPE {
        S => (get!(frame, ctx, slot(ip, 1)), 2),
        _ => (r0, 1),
    };
    if (cond as u32 != 0) == IF {
        jump!(slot(ip, at), frame, ctx, r0, fp0)
    } else {
        next!(ip, at + 1, frame, ctx, r0, fp0)
    }
}

/// A fused integer compare and branch (`cmp; br_if` or `cmp; br_unless`): operands of shape
/// `SHAPE` as for [`bin`], then the target; jumps when the comparison's truth is `IF`. The
/// comparison's result never reaches `r0` (nothing else reads it). With `BREAK`
/// ([`crate::code::Instr::BrCmpBreak`], `IF` true) the target is two immediates, `depth` and
/// `target`, and the branch leaves native loop frames.
pub fn br_cmp<const OP: u16, const SHAPE: u8, const IF: bool, const BREAK: bool>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: f64,
) -> Signal {
    let fp0 = fp0.to_bits();
    guard!(
        ip,
        ctx,
        if SHAPE == SS { 4 } else { 3 } + usize::from(BREAK)
    );
    let (a, b, at) = match SHAPE {
        SS => (
            get!(frame, ctx, slot(ip, 1)),
            get!(frame, ctx, slot(ip, 2)),
            3,
        ),
        RS => (r0, get!(frame, ctx, slot(ip, 1)), 2),
        _ => (get!(frame, ctx, slot(ip, 1)), r0, 2),
    };
    match eval_bin::<OP>(a, b) {
        Ok(v) if (v as u32 != 0) == IF => {
            if BREAK {
                Signal::breaking(imm(ip, at) as u32, imm(ip, at + 1) as u32)
            } else {
                jump!(slot(ip, at), frame, ctx, r0, fp0)
            }
        }
        Ok(_) => next!(ip, at + 1 + usize::from(BREAK), frame, ctx, r0, fp0),
        Err(trap) => ctx.trap(trap),
    }
}

/// Branch table; index of shape `SHAPE`.
pub fn br_table<const SHAPE: u8>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: f64,
) -> Signal {
    let fp0 = fp0.to_bits();
    let (index, at) = match SHAPE {
        S => (frame[slot(ip, 1)], 2),
        _ => (r0, 1),
    };
    let n = imm(ip, at);
    let choice = u64::from(index as u32).min(n);
    jump!(slot(ip, at + 1 + choice as usize), frame, ctx, r0, fp0)
}

/// `select` into the register of class `FLOAT` (or a slot when `REF`).
pub fn select<const FLOAT: bool, const REF: bool>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: f64,
) -> Signal {
    let fp0 = fp0.to_bits();
    guard!(ip, ctx, if REF { 5 } else { 4 });
    let cond = get!(frame, ctx, slot(ip, 1)) as u32;
    let value = if cond != 0 {
        get!(frame, ctx, slot(ip, 2))
    } else {
        get!(frame, ctx, slot(ip, 3))
    };
    if REF {
        set!(frame, ctx, slot(ip, 4), value);
        next!(ip, 5, frame, ctx, r0, fp0)
    } else if FLOAT {
        next!(ip, 4, frame, ctx, r0, value)
    } else {
        next!(ip, 4, frame, ctx, value, fp0)
    }
}

/// `global.get` into `r0`, `fp0` or (for references) a slot.
pub fn global_get<const FLOAT: bool, const REF: bool>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: f64,
) -> Signal {
    let fp0 = fp0.to_bits();
    let index = slot(ip, 1);
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
        frame[slot(ip, 2)] = bits;
        next!(ip, 3, frame, ctx, r0, fp0)
    } else if FLOAT {
        next!(ip, 2, frame, ctx, r0, bits)
    } else {
        next!(ip, 2, frame, ctx, bits, fp0)
    }
}

/// `global.set` from `r0`/`fp0` (`SHAPE` R, `FLOAT`) or a slot.
pub fn global_set<const SHAPE: u8, const FLOAT: bool>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: f64,
) -> Signal {
    let fp0 = fp0.to_bits();
    let index = slot(ip, 1);
    let (bits, next) = match SHAPE {
        S => (frame[slot(ip, 2)], 3),
        _ => (if FLOAT { fp0 } else { r0 }, 2),
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
    next!(ip, next, frame, ctx, r0, fp0)
}

/// The bytes `addr + offset ..+ N` of `mem`, or `None` when out of bounds. `addr` is an `i32`
/// and `offset` a 32-bit memory's memarg offset (validated to fit in 32 bits, which the
/// compiler's immediate keeps), so `start + N` cannot overflow and one comparison with the
/// length checks the whole range.
#[inline(always)]
fn at<const N: usize>(mem: &mut [u8], addr: u64, offset: u64) -> Option<&mut [u8; N]> {
    let start = u64::from(addr as u32) + u64::from(offset as u32);
    let end = start + N as u64;
    mem.get_mut(start as usize..end as usize)?
        .first_chunk_mut::<N>()
}

/// A load of kind `KIND` (a [`crate::code::LoadKind`] index), address of shape `SHAPE`.
pub fn load<const KIND: u8, const SHAPE: u8, const TO_SLOT: bool>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: f64,
) -> Signal {
    let fp0 = fp0.to_bits();
    use crate::code::LoadKind as K;
    guard!(
        ip,
        ctx,
        if SHAPE == S { 3 } else { 2 } + usize::from(TO_SLOT)
    );
    let offset = imm(ip, 1);
    let (addr, next) = match SHAPE {
        S => (get!(frame, ctx, slot(ip, 2)), 3),
        _ => (r0, 2),
    };
    let kind = K::ALL.get(KIND as usize).copied().unwrap_or(K::I32);
    let width = match kind {
        K::I64 | K::F64 => 8,
        K::I32 | K::F32 | K::I64S32 | K::I64U32 => 4,
        K::I32S16 | K::I32U16 | K::I64S16 | K::I64U16 => 2,
        _ => 1,
    };
    let mem = ctx.mem();
    let value = match width {
        8 => at::<8>(mem, addr, offset).map(|b| u64::from_le_bytes(*b)),
        4 => at::<4>(mem, addr, offset).map(|b| {
            let v = u32::from_le_bytes(*b);
            if kind == K::I64S32 {
                v as i32 as i64 as u64
            } else {
                u64::from(v)
            }
        }),
        2 => at::<2>(mem, addr, offset).map(|b| {
            let v = u16::from_le_bytes(*b);
            match kind {
                K::I32S16 => u64::from(v as i16 as i32 as u32),
                K::I64S16 => v as i16 as i64 as u64,
                _ => u64::from(v),
            }
        }),
        _ => at::<1>(mem, addr, offset).map(|b| {
            let v = b[0];
            match kind {
                K::I32S8 => u64::from(v as i8 as i32 as u32),
                K::I64S8 => v as i8 as i64 as u64,
                _ => u64::from(v),
            }
        }),
    };
    let Some(value) = value else {
        return ctx.trap_oob();
    };
    if TO_SLOT {
        set!(frame, ctx, slot(ip, next), value);
        next!(ip, next + 1, frame, ctx, r0, fp0)
    } else if kind.float() {
        next!(ip, next, frame, ctx, r0, value)
    } else {
        next!(ip, next, frame, ctx, value, fp0)
    }
}

/// A store of kind `KIND` (a [`crate::code::StoreKind`] index), value and address of shape
/// `SHAPE`.
pub fn store<const KIND: u8, const SHAPE: u8>(
    ip: &[Cell],
    frame: &mut [u64],
    ctx: &mut Ctx<'_>,
    r0: u64,
    fp0: f64,
) -> Signal {
    let fp0 = fp0.to_bits();
    use crate::code::StoreKind as K;
    let kind = K::ALL.get(KIND as usize).copied().unwrap_or(K::B32);
    let reg = if kind.float() { fp0 } else { r0 };
    guard!(
        ip,
        ctx,
        match SHAPE {
            SS => 4,
            RS | SR => 3,
            _ => 2,
        }
    );
    let offset = imm(ip, 1);
    let (value, addr, next) = match SHAPE {
        SS => (
            get!(frame, ctx, slot(ip, 2)),
            get!(frame, ctx, slot(ip, 3)),
            4,
        ),
        RS => (reg, get!(frame, ctx, slot(ip, 2)), 3),
        SR => (get!(frame, ctx, slot(ip, 2)), r0, 3),
        _ => (fp0, r0, 2),
    };
    let width = match kind {
        K::B64 | K::F64 => 8,
        K::B32 | K::F32 => 4,
        K::B16 => 2,
        K::B8 => 1,
    };
    let mem = ctx.mem();
    let stored = match width {
        8 => at::<8>(mem, addr, offset).map(|d| *d = value.to_le_bytes()),
        4 => at::<4>(mem, addr, offset).map(|d| *d = (value as u32).to_le_bytes()),
        2 => at::<2>(mem, addr, offset).map(|d| *d = (value as u16).to_le_bytes()),
        _ => at::<1>(mem, addr, offset).map(|d| *d = [value as u8]),
    };
    if stored.is_none() {
        return ctx.trap_oob();
    }
    next!(ip, next, frame, ctx, r0, fp0)
}
