//! Direct-threaded form of the register code: one [`Op`] per [`Instr`] (same index, so every
//! code position, safe-point map and saved `ip` means the same in both), each carrying the
//! address of the handler that executes it and its operands in fixed fields.
//!
//! A handler executes its op and then calls the next op's handler in tail position with the
//! same four arguments. In optimised builds on x86-64 and AArch64 (cfg `baton_tail_calls`, set
//! by `build.rs`) LLVM turns that call into a jump, so each op ends in its own indirect jump and
//! the stack does not grow; this halves the taken branches per op against one central `match`.
//! In other builds a handler returns [`Flow::Next`] instead and [`enter`] loops, so debug builds
//! cannot overflow the stack. Either way the semantics are identical.
//!
//! Two things live only in this form, never in the register code: the accumulator (a producing
//! op hands its result bits to the next op, which may read an operand from it; see [`lower`])
//! and `br`s fused with the conditional branch they jump to ([`fused_branch_handler!`]).
//!
//! Handlers cover everything that touches only the current frame's cells and the memory's
//! bytes. Calls and returns end the chain with [`Flow::Call`] / [`Flow::Return`] for the driver
//! in [`super::fast`] to switch frames; anything else (host objects, events that may stop, the
//! entry and return safe points) ends it with [`Flow::Leave`] for the outer loop.
//!
//! Invariants: `Chain::pc` names the op the chain stopped at (for `Next`: the op to run next;
//! for `Trap`: the trapping op, with the trap in `Chain::trap`); every cell index is a `u16`
//! into a [`Window`], so cell accesses need no bounds checks; an op's fields are exactly those
//! [`lower`] wrote for its instruction.

use baton_runtime::Trap;

use super::run::Window;
use crate::cells::{opaque_high, read_u64, CellValue};
use crate::code::{BranchTarget, CopyList, Instr};
use crate::ops::for_each_numeric;

/// Why a chain of handlers stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Run the op at `Chain::pc` next (only without tail calls).
    Next,
    /// The op at `Chain::pc` is a call or `call_indirect`.
    Call,
    /// The op at `Chain::pc` is a `Return0`/`Return1`/`Return2`.
    Return,
    /// The op at `Chain::pc` needs the outer loop.
    Leave,
    /// The op at `Chain::pc` trapped with `Chain::trap`.
    Trap,
}

/// What handlers share besides the current position and frame.
pub struct Chain<'a> {
    /// The memory's bytes (empty without a memory).
    pub mem: &'a mut [u8],
    /// Events left before the counter's threshold; a fast-path event spends one.
    pub budget: u64,
    /// The current function's copy lists.
    pub copies: &'a [CopyList],
    /// The current function's `br_table` target lists.
    pub tables: &'a [Vec<BranchTarget>],
    /// Where the chain stopped (see the module invariants).
    pub pc: usize,
    /// The accumulator to pass on with [`Flow::Next`] (only without tail calls).
    pub acc: u64,
    /// The trap, when the chain stopped with [`Flow::Trap`].
    pub trap: Option<Trap>,
}

/// A handler: executes `ops[pc]` in `frame`, then continues with the next op. The last
/// argument is the accumulator: the bits of the previous op's result when that op produced one
/// (see [`lower`] for when an op may read it instead of the result's cells).
pub type Handler = fn(&[Op], usize, &mut Window, &mut Chain<'_>, u64) -> Flow;

/// One threaded op: its handler and operand fields (meaning per instruction kind, see
/// [`lower`]).
#[derive(Clone, Copy)]
pub struct Op {
    /// Executes this op.
    pub handler: Handler,
    /// First cell operand (usually the destination).
    pub x: u16,
    /// Second cell operand.
    pub y: u16,
    /// Third cell operand.
    pub z: u16,
    /// Fourth cell operand.
    pub w: u16,
    /// Branch target, immediate or static memory offset.
    pub target: u32,
    /// Side-table index (copy list or branch table).
    pub extra: u32,
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Op")
            .field("x", &self.x)
            .field("y", &self.y)
            .field("z", &self.z)
            .field("w", &self.w)
            .field("target", &self.target)
            .field("extra", &self.extra)
            .finish_non_exhaustive()
    }
}

/// An op with handler `handler` and fields `(x, y, z, w, target, extra)`.
const fn op(handler: Handler, x: u16, y: u16, z: u16, w: u16, target: u32, extra: u32) -> Op {
    Op {
        handler,
        x,
        y,
        z,
        w,
        target,
        extra,
    }
}

/// Continues with the op at `$pc`.
#[cfg(baton_tail_calls)]
macro_rules! next {
    ($ops:ident, $pc:expr, $frame:ident, $ctx:ident, $acc:expr) => {{
        let pc = $pc;
        return match $ops.get(pc) {
            Some(op) => (op.handler)($ops, pc, $frame, $ctx, $acc),
            None => off_end($ctx, pc),
        };
    }};
}

/// Continues with the op at `$pc` (by returning to [`enter`]'s loop).
#[cfg(not(baton_tail_calls))]
macro_rules! next {
    ($ops:ident, $pc:expr, $frame:ident, $ctx:ident, $acc:expr) => {{
        let _ = (&$ops, &$frame);
        $ctx.pc = $pc;
        $ctx.acc = $acc;
        return Flow::Next;
    }};
}

/// The fields of `ops[$pc]`, the op whose handler is running.
macro_rules! this {
    ($ops:ident, $pc:ident) => {{
        debug_assert!($pc < $ops.len());
        // SAFETY: a handler runs only as `(ops[pc].handler)(ops, pc, ..)`: the two call sites
        // ([`enter`] and `next!`) fetch the handler with a checked `ops.get(pc)` and pass that
        // same `ops` and `pc` on, handlers are private to this module, and `ops` is a shared
        // borrow that cannot change in between. So `pc < ops.len()` here.
        #[allow(unsafe_code)]
        let op = unsafe { *$ops.get_unchecked($pc) };
        // All fields are read before any cell is touched, so the destination's address is
        // known early. A compiler-only fence: it emits no instruction.
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
        op
    }};
}

/// Unwraps a `Result<_, Trap>` or stops the chain with the trap.
macro_rules! tri {
    ($e:expr, $ctx:ident, $pc:ident) => {
        match $e {
            Ok(value) => value,
            Err(trap) => return trapped($ctx, $pc, trap),
        }
    };
}

/// Continues at `target` when `$cond` holds, else with the next op. The taken side goes through
/// [`jump`], so the compiler keeps a real (predicted) branch here instead of selecting the next
/// position with a conditional move, which would make every later op's operand fetch wait for
/// the condition's inputs.
macro_rules! branch {
    ($cond:expr, $ops:ident, $target:expr, $pc:ident, $frame:ident, $ctx:ident, $acc:ident) => {{
        if $cond {
            return jump($ops, $target, $frame, $ctx, $acc);
        }
        next!($ops, $pc + 1, $frame, $ctx, $acc)
    }};
}

/// Defines `$name::<EVENT, A, B>`, the handler of a `br` fused with the conditional branch it
/// jumps to (see [`fused_branch`]). With `EVENT` the `br` goes back to a loop header and fires
/// its loop event from the budget first (without budget it continues at the header, two ops
/// before `extra`, whose op takes the slow path). Then it evaluates the branch in place and
/// continues at the branch's target (`target`) or after it (`extra`). The branch's operands are
/// cells `x`/`y`, read from the accumulator when `A`/`B`; `$cond` sees them as `$a`/`$b`.
macro_rules! fused_branch_handler {
    ($name:ident, $ty:ty, |$a:ident, $b:ident| $cond:expr) => {
        // `!(a < b)` is intended for floats: an `if` branches away exactly when the compare is
        // false, NaN operands included.
        #[allow(clippy::neg_cmp_op_on_partial_ord, unused_variables)]
        fn $name<const EVENT: bool, const A: bool, const B: bool>(
            ops: &[Op],
            pc: usize,
            frame: &mut Window,
            ctx: &mut Chain<'_>,
            acc: u64,
        ) -> Flow {
            let op = this!(ops, pc);
            if EVENT {
                // One read-modify-write: when the budget was already spent it wraps, and the
                // slow path puts it back to zero.
                let (left, spent) = ctx.budget.overflowing_sub(1);
                ctx.budget = left;
                if spent {
                    ctx.budget = 0;
                    return jump(ops, op.extra as usize - 2, frame, ctx, acc);
                }
            }
            let $a = operand::<$ty, A>(frame, op.x, acc);
            let $b = operand::<$ty, B>(frame, op.y, acc);
            if $cond {
                return jump(ops, op.target as usize, frame, ctx, acc);
            }
            next!(ops, op.extra as usize, frame, ctx, acc)
        }
    };
}

/// Picks the monomorphisation of a [`fused_branch_handler!`] handler for the flags.
macro_rules! pick_fused {
    ($name:ident, $event:expr, $a:expr, $b:expr) => {
        match ($event, $a, $b) {
            (false, false, false) => $name::<false, false, false> as Handler,
            (false, false, true) => $name::<false, false, true>,
            (false, true, false) => $name::<false, true, false>,
            (false, true, true) => $name::<false, true, true>,
            (true, false, false) => $name::<true, false, false>,
            (true, false, true) => $name::<true, false, true>,
            (true, true, false) => $name::<true, true, false>,
            (true, true, true) => $name::<true, true, true>,
        }
    };
}

fused_branch_handler!(fused_br_if, i32, |a, b| a != 0);
fused_branch_handler!(fused_br_unless, i32, |a, b| a == 0);

/// Continues with the op at `pc` (the taken side of [`branch!`]).
#[inline(never)]
fn jump(ops: &[Op], pc: usize, frame: &mut Window, ctx: &mut Chain<'_>, acc: u64) -> Flow {
    next!(ops, pc, frame, ctx, acc)
}

/// Runs the chain starting at `ops[pc]` until it stops for the driver.
#[inline]
pub fn enter(ops: &[Op], mut pc: usize, frame: &mut Window, ctx: &mut Chain<'_>) -> Flow {
    // No op at a chain's entry reads the accumulator (see [`lower`]).
    let mut acc = 0;
    loop {
        let Some(op) = ops.get(pc) else {
            return off_end(ctx, pc);
        };
        match (op.handler)(ops, pc, frame, ctx, acc) {
            Flow::Next => (pc, acc) = (ctx.pc, ctx.acc),
            flow => return flow,
        }
    }
}

// The cold exits below return their `Flow` through `black_box`: were the optimiser to see that
// they always return `Flow::Trap`, it would fold the value into their callers, the calls would no
// longer be in tail position, and every handler would need a stack frame for them.

#[cold]
#[inline(never)]
fn off_end(ctx: &mut Chain<'_>, pc: usize) -> Flow {
    trapped(ctx, pc, Trap::Host("ran off the end of the code".into()))
}

#[cold]
#[inline(never)]
fn out_of_bounds(ctx: &mut Chain<'_>, pc: usize) -> Flow {
    trapped(ctx, pc, Trap::MemoryOutOfBounds)
}

#[cold]
#[inline(never)]
fn trapped(ctx: &mut Chain<'_>, pc: usize, trap: Trap) -> Flow {
    ctx.pc = pc;
    ctx.trap = Some(trap);
    std::hint::black_box(Flow::Trap)
}

/// Stops the chain at `pc` with `flow`.
fn stop(ctx: &mut Chain<'_>, pc: usize, flow: Flow) -> Flow {
    ctx.pc = pc;
    flow
}

fn leave(_: &[Op], pc: usize, _: &mut Window, ctx: &mut Chain<'_>, _: u64) -> Flow {
    stop(ctx, pc, Flow::Leave)
}

fn call(_: &[Op], pc: usize, _: &mut Window, ctx: &mut Chain<'_>, _: u64) -> Flow {
    stop(ctx, pc, Flow::Call)
}

fn ret(_: &[Op], pc: usize, _: &mut Window, ctx: &mut Chain<'_>, _: u64) -> Flow {
    stop(ctx, pc, Flow::Return)
}

fn unreachable(_: &[Op], pc: usize, _: &mut Window, ctx: &mut Chain<'_>, _: u64) -> Flow {
    trapped(ctx, pc, Trap::Unreachable)
}

fn loop_head(ops: &[Op], pc: usize, frame: &mut Window, ctx: &mut Chain<'_>, acc: u64) -> Flow {
    if ctx.budget == 0 {
        return stop(ctx, pc, Flow::Leave);
    }
    ctx.budget -= 1;
    next!(ops, pc + 1, frame, ctx, acc)
}

fn br(ops: &[Op], pc: usize, frame: &mut Window, ctx: &mut Chain<'_>, acc: u64) -> Flow {
    let op = this!(ops, pc);
    next!(ops, op.target as usize, frame, ctx, acc)
}

/// `br` back to a loop header, firing its event on the way when the budget allows (otherwise
/// the header's own op takes the slow path).
fn br_loop(ops: &[Op], pc: usize, frame: &mut Window, ctx: &mut Chain<'_>, acc: u64) -> Flow {
    let op = this!(ops, pc);
    if ctx.budget == 0 {
        return jump(ops, op.target as usize, frame, ctx, acc);
    }
    ctx.budget -= 1;
    next!(ops, op.target as usize + 1, frame, ctx, acc)
}

fn br_copy(ops: &[Op], pc: usize, frame: &mut Window, ctx: &mut Chain<'_>, acc: u64) -> Flow {
    let op = this!(ops, pc);
    copies(frame, ctx.copies, op.extra);
    next!(ops, op.target as usize, frame, ctx, acc)
}

/// `BrIf` (`NONZERO`) and `BrUnless`: branch on cell `x` being non-zero or zero.
fn br_on<const NONZERO: bool>(
    ops: &[Op],
    pc: usize,
    frame: &mut Window,
    ctx: &mut Chain<'_>,
    acc: u64,
) -> Flow {
    let op = this!(ops, pc);
    let taken = (frame[op.x as usize] != 0) == NONZERO;
    branch!(taken, ops, op.target as usize, pc, frame, ctx, acc)
}

fn br_if_copy(ops: &[Op], pc: usize, frame: &mut Window, ctx: &mut Chain<'_>, acc: u64) -> Flow {
    let op = this!(ops, pc);
    if frame[op.x as usize] != 0 {
        copies(frame, ctx.copies, op.extra);
        next!(ops, op.target as usize, frame, ctx, acc)
    }
    next!(ops, pc + 1, frame, ctx, acc)
}

fn br_table(ops: &[Op], pc: usize, frame: &mut Window, ctx: &mut Chain<'_>, acc: u64) -> Flow {
    let op = this!(ops, pc);
    let Some(entries) = ctx.tables.get(op.extra as usize) else {
        return trapped(ctx, pc, Trap::Host("missing branch table".into()));
    };
    let chosen = (frame[op.x as usize] as usize).min(entries.len().saturating_sub(1));
    let Some(&entry) = entries.get(chosen) else {
        return trapped(ctx, pc, Trap::Host("empty branch table".into()));
    };
    if let Some(list) = entry.copies {
        copies(frame, ctx.copies, list);
    }
    next!(ops, entry.target as usize, frame, ctx, acc)
}

/// `Copy1`/`Copy2`: copies `CELLS` cells from `y` to `x`.
fn copy<const CELLS: usize>(
    ops: &[Op],
    pc: usize,
    frame: &mut Window,
    ctx: &mut Chain<'_>,
    acc: u64,
) -> Flow {
    let op = this!(ops, pc);
    let value: [u32; CELLS] = std::array::from_fn(|i| frame[op.y as usize + i]);
    for (i, cell) in value.into_iter().enumerate() {
        frame[op.x as usize + i] = cell;
    }
    next!(ops, pc + 1, frame, ctx, acc)
}

fn copy_list(ops: &[Op], pc: usize, frame: &mut Window, ctx: &mut Chain<'_>, acc: u64) -> Flow {
    let op = this!(ops, pc);
    copies(frame, ctx.copies, op.extra);
    next!(ops, pc + 1, frame, ctx, acc)
}

/// `Select1`/`Select2`: copies `CELLS` cells from `z` when cell `y` is non-zero, else from
/// `w`, to `x`.
fn select<const CELLS: usize>(
    ops: &[Op],
    pc: usize,
    frame: &mut Window,
    ctx: &mut Chain<'_>,
    acc: u64,
) -> Flow {
    let op = this!(ops, pc);
    let pick = if frame[op.y as usize] != 0 {
        op.z
    } else {
        op.w
    };
    let value: [u32; CELLS] = std::array::from_fn(|i| frame[pick as usize + i]);
    for (i, cell) in value.into_iter().enumerate() {
        frame[op.x as usize + i] = cell;
    }
    next!(ops, pc + 1, frame, ctx, acc)
}

fn memory_size(ops: &[Op], pc: usize, frame: &mut Window, ctx: &mut Chain<'_>, acc: u64) -> Flow {
    let op = this!(ops, pc);
    frame[op.x as usize] = (ctx.mem.len() / baton_runtime::store::PAGE_SIZE) as u32;
    next!(ops, pc + 1, frame, ctx, acc)
}

fn ref_null(ops: &[Op], pc: usize, frame: &mut Window, ctx: &mut Chain<'_>, acc: u64) -> Flow {
    let op = this!(ops, pc);
    frame[op.x as usize] = 0;
    next!(ops, pc + 1, frame, ctx, acc)
}

fn ref_is_null(ops: &[Op], pc: usize, frame: &mut Window, ctx: &mut Chain<'_>, acc: u64) -> Flow {
    let op = this!(ops, pc);
    frame[op.x as usize] = u32::from(frame[op.y as usize] == 0);
    next!(ops, pc + 1, frame, ctx, acc)
}

fn ref_func(ops: &[Op], pc: usize, frame: &mut Window, ctx: &mut Chain<'_>, acc: u64) -> Flow {
    let op = this!(ops, pc);
    frame[op.x as usize] = op.target + 1;
    next!(ops, pc + 1, frame, ctx, acc)
}

/// Reads `N` bytes of memory at `at`; `None` when out of bounds.
#[inline(always)]
fn load<const N: usize>(mem: &[u8], at: u64) -> Option<[u8; N]> {
    let start = usize::try_from(at).ok()?;
    mem.get(start..start.checked_add(N)?)?.try_into().ok()
}

/// Writes `N` bytes of memory at `at`; `None` when out of bounds.
#[inline(always)]
fn store<const N: usize>(mem: &mut [u8], at: u64, bytes: [u8; N]) -> Option<()> {
    let start = usize::try_from(at).ok()?;
    mem.get_mut(start..start.checked_add(N)?)?
        .copy_from_slice(&bytes);
    Some(())
}

/// Defines a load handler `$name::<A>`: reads `$n` bytes at the address (from the accumulator
/// when `A`) plus the static offset and writes the `$ty` value `$value` (of `$bytes`).
macro_rules! load_handler {
    ($name:ident, $n:literal, $ty:ty, |$bytes:ident| $value:expr) => {
        fn $name<const A: bool>(
            ops: &[Op],
            pc: usize,
            frame: &mut Window,
            ctx: &mut Chain<'_>,
            acc: u64,
        ) -> Flow {
            let op = this!(ops, pc);
            let address = operand::<i32, A>(frame, op.y, acc) as u32;
            let at = u64::from(address) + u64::from(op.target);
            let Some($bytes) = load::<$n>(ctx.mem, at) else {
                return out_of_bounds(ctx, pc);
            };
            let value: $ty = $value;
            value.write(frame, op.x as usize);
            next!(ops, pc + 1, frame, ctx, value.to_acc())
        }
    };
}

load_handler!(load_i32, 4, i32, |b| i32::from_le_bytes(b));
load_handler!(load_i64, 8, i64, |b| i64::from_le_bytes(b));
load_handler!(load_i32_s8, 1, i32, |b| i32::from(b[0] as i8));
load_handler!(load_i32_u8, 1, i32, |b| i32::from(b[0]));
load_handler!(load_i32_s16, 2, i32, |b| i32::from(i16::from_le_bytes(b)));
load_handler!(load_i32_u16, 2, i32, |b| i32::from(u16::from_le_bytes(b)));
load_handler!(load_i64_s8, 1, i64, |b| i64::from(b[0] as i8));
load_handler!(load_i64_u8, 1, i64, |b| opaque_high(i64::from(b[0])));
load_handler!(load_i64_s16, 2, i64, |b| i64::from(i16::from_le_bytes(b)));
load_handler!(load_i64_u16, 2, i64, |b| opaque_high(i64::from(
    u16::from_le_bytes(b)
)));
load_handler!(load_i64_s32, 4, i64, |b| i64::from(i32::from_le_bytes(b)));
load_handler!(load_i64_u32, 4, i64, |b| opaque_high(i64::from(
    u32::from_le_bytes(b)
)));

/// Defines a store handler: `$name` writes `$bytes(frame, value)` at the address.
macro_rules! store_handler {
    ($name:ident, |$frame:ident, $v:ident| $bytes:expr) => {
        fn $name(
            ops: &[Op],
            pc: usize,
            $frame: &mut Window,
            ctx: &mut Chain<'_>,
            acc: u64,
        ) -> Flow {
            let op = this!(ops, pc);
            let at = u64::from($frame[op.y as usize]) + u64::from(op.target);
            let $v = op.x as usize;
            if store(ctx.mem, at, $bytes).is_none() {
                return out_of_bounds(ctx, pc);
            }
            next!(ops, pc + 1, $frame, ctx, acc)
        }
    };
}

store_handler!(store_b32, |frame, v| frame[v].to_le_bytes());
store_handler!(store_b64, |frame, v| read_u64(frame, v).to_le_bytes());
store_handler!(store_b8, |frame, v| [frame[v] as u8]);
store_handler!(store_b16, |frame, v| (frame[v] as u16).to_le_bytes());

/// An operand of type `T` in `cell`, or the accumulator's bits when `FROM_ACC`.
#[inline(always)]
fn operand<T: CellValue, const FROM_ACC: bool>(frame: &Window, cell: u16, acc: u64) -> T {
    if FROM_ACC {
        T::from_acc(acc)
    } else {
        T::read(frame, cell as usize)
    }
}

/// What the accumulator holds when an op starts (see [`lower`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acc(Option<(u16, u8)>);

impl Acc {
    /// Whether the accumulator holds the value of `cells` cells starting at `cell`.
    fn holds(self, cell: u16, cells: u8) -> bool {
        self.0 == Some((cell, cells))
    }
}

/// Runs copy list `list` of `lists` in the frame.
#[inline(always)]
fn copies(frame: &mut Window, lists: &[CopyList], list: u32) {
    if let Some(list) = lists.get(list as usize) {
        for &(dst, src) in list {
            frame[dst as usize] = frame[src as usize];
        }
    }
}

macro_rules! define_lower {
    (
        binary: [$(($bn:ident, $bi:ty, $bo:ty, $bvi:ident, $bvo:ident, $ba:ident, $bb:ident => $be:expr)),* $(,)?],
        binary_trap: [$(($tn:ident, $ti:ty, $to:ty, $tvi:ident, $tvo:ident, $ta:ident, $tb:ident => $te:expr)),* $(,)?],
        unary: [$(($un:ident, $ui:ty, $uo:ty, $uvi:ident, $uvo:ident, $ua:ident => $ue:expr)),* $(,)?],
        unary_trap: [$(($vn:ident, $vi:ty, $vo:ty, $vvi:ident, $vvo:ident, $va:ident => $ve:expr)),* $(,)?],
        imm: [$(($in:ident, $iname:ident, $it:ty, $ia:ident, $ib:ident => $ie:expr)),* $(,)?],
        cmp_branch: [$(($cn:ident, $cif:ident, $cunless:ident, $ct:ty, $ca:ident, $cb:ident => $ce:expr)),* $(,)?],
        eqz_branch: [$(($en:ident, $eif:ident, $eunless:ident, $et:ty)),* $(,)?],
    ) => {
        /// The threaded op of `instr` (numeric handlers are generated here from the one
        /// numeric table, as non-capturing closures).
        // `!(a < b)` is intended for floats: a fused `if` branches away exactly when the
        // compare is false, NaN operands included.
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        fn lower_one(instr: Instr, acc_in: Acc) -> Op {
            match instr {
                Instr::Entry | Instr::AfterCall | Instr::ReturnN(_)
                | Instr::GlobalGet(..) | Instr::GlobalSet(..)
                | Instr::MemoryGrow(..) | Instr::MemoryFill(..) | Instr::MemoryCopy(..)
                | Instr::MemoryInit(_) | Instr::DataDrop(_) | Instr::Table(..)
                | Instr::ElemDrop(_) => op(leave, 0, 0, 0, 0, 0, 0),
                Instr::Call(_) | Instr::CallIndirect(_) => op(call, 0, 0, 0, 0, 0, 0),
                Instr::Return0 | Instr::Return1(_) | Instr::Return2(_) => op(ret, 0, 0, 0, 0, 0, 0),
                Instr::Unreachable => op(unreachable, 0, 0, 0, 0, 0, 0),
                Instr::LoopHead => op(loop_head, 0, 0, 0, 0, 0, 0),
                Instr::Br(target) => op(br, 0, 0, 0, 0, target, 0),
                Instr::BrLoop(header) => op(br_loop, 0, 0, 0, 0, header, 0),
                Instr::BrCopy(list, target) => op(br_copy, 0, 0, 0, 0, target, list),
                Instr::BrIf(cond, target) => op(br_on::<true>, cond, 0, 0, 0, target, 0),
                Instr::BrUnless(cond, target) => op(br_on::<false>, cond, 0, 0, 0, target, 0),
                Instr::BrIfCopy(cond, list, target) => op(br_if_copy, cond, 0, 0, 0, target, list),
                Instr::BrTable(index, table) => op(br_table, index, 0, 0, 0, 0, table),
                Instr::Copy1(dst, src) => op(copy::<1>, dst, src, 0, 0, 0, 0),
                Instr::Copy2(dst, src) => op(copy::<2>, dst, src, 0, 0, 0, 0),
                Instr::CopyList(list) => op(copy_list, 0, 0, 0, 0, 0, list),
                Instr::Select1(dst, cond, a, b) => op(select::<1>, dst, cond, a, b, 0, 0),
                Instr::Select2(dst, cond, a, b) => op(select::<2>, dst, cond, a, b, 0, 0),
                Instr::LoadI32(d, a, o) => op(if acc_in.holds(a, 1) { load_i32::<true> } else { load_i32::<false> }, d, a, 0, 0, o, 0),
                Instr::LoadI64(d, a, o) => op(if acc_in.holds(a, 1) { load_i64::<true> } else { load_i64::<false> }, d, a, 0, 0, o, 0),
                Instr::LoadI32S8(d, a, o) => op(if acc_in.holds(a, 1) { load_i32_s8::<true> } else { load_i32_s8::<false> }, d, a, 0, 0, o, 0),
                Instr::LoadI32U8(d, a, o) => op(if acc_in.holds(a, 1) { load_i32_u8::<true> } else { load_i32_u8::<false> }, d, a, 0, 0, o, 0),
                Instr::LoadI32S16(d, a, o) => op(if acc_in.holds(a, 1) { load_i32_s16::<true> } else { load_i32_s16::<false> }, d, a, 0, 0, o, 0),
                Instr::LoadI32U16(d, a, o) => op(if acc_in.holds(a, 1) { load_i32_u16::<true> } else { load_i32_u16::<false> }, d, a, 0, 0, o, 0),
                Instr::LoadI64S8(d, a, o) => op(if acc_in.holds(a, 1) { load_i64_s8::<true> } else { load_i64_s8::<false> }, d, a, 0, 0, o, 0),
                Instr::LoadI64U8(d, a, o) => op(if acc_in.holds(a, 1) { load_i64_u8::<true> } else { load_i64_u8::<false> }, d, a, 0, 0, o, 0),
                Instr::LoadI64S16(d, a, o) => op(if acc_in.holds(a, 1) { load_i64_s16::<true> } else { load_i64_s16::<false> }, d, a, 0, 0, o, 0),
                Instr::LoadI64U16(d, a, o) => op(if acc_in.holds(a, 1) { load_i64_u16::<true> } else { load_i64_u16::<false> }, d, a, 0, 0, o, 0),
                Instr::LoadI64S32(d, a, o) => op(if acc_in.holds(a, 1) { load_i64_s32::<true> } else { load_i64_s32::<false> }, d, a, 0, 0, o, 0),
                Instr::LoadI64U32(d, a, o) => op(if acc_in.holds(a, 1) { load_i64_u32::<true> } else { load_i64_u32::<false> }, d, a, 0, 0, o, 0),
                Instr::StoreB32(v, a, o) => op(store_b32, v, a, 0, 0, o, 0),
                Instr::StoreB64(v, a, o) => op(store_b64, v, a, 0, 0, o, 0),
                Instr::StoreB8(v, a, o) => op(store_b8, v, a, 0, 0, o, 0),
                Instr::StoreB16(v, a, o) => op(store_b16, v, a, 0, 0, o, 0),
                Instr::MemorySize(dst) => op(memory_size, dst, 0, 0, 0, 0, 0),
                Instr::RefNull(dst) => op(ref_null, dst, 0, 0, 0, 0, 0),
                Instr::RefIsNull(dst, src) => op(ref_is_null, dst, src, 0, 0, 0, 0),
                Instr::RefFunc(dst, func) => op(ref_func, dst, 0, 0, 0, func, 0),
                $(
                    Instr::$bn(dst, a, b) => {
                        fn handler<const A: bool, const B: bool>(
                            ops: &[Op], pc: usize, frame: &mut Window, ctx: &mut Chain<'_>, acc: u64,
                        ) -> Flow {
                            let op = this!(ops, pc);
                            let $ba = operand::<$bi, A>(frame, op.y, acc);
                            let $bb = operand::<$bi, B>(frame, op.z, acc);
                            let result: $bo = $be;
                            result.write(frame, op.x as usize);
                            next!(ops, pc + 1, frame, ctx, result.to_acc())
                        }
                        let width = <$bi as CellValue>::CELLS;
                        let handler: Handler = match (acc_in.holds(a, width), acc_in.holds(b, width)) {
                            (false, false) => handler::<false, false>,
                            (true, false) => handler::<true, false>,
                            (false, true) => handler::<false, true>,
                            (true, true) => handler::<true, true>,
                        };
                        op(handler, dst, a, b, 0, 0, 0)
                    }
                )*
                $(
                    Instr::$tn(dst, a, b) => op(
                        |ops, pc, frame, ctx, _| {
                            let op = this!(ops, pc);
                            let $ta = <$ti as CellValue>::read(frame, op.y as usize);
                            let $tb = <$ti as CellValue>::read(frame, op.z as usize);
                            let result: $to = tri!($te, ctx, pc);
                            result.write(frame, op.x as usize);
                            next!(ops, pc + 1, frame, ctx, result.to_acc())
                        },
                        dst, a, b, 0, 0, 0,
                    ),
                )*
                $(
                    Instr::$un(dst, a) => {
                        fn handler<const A: bool>(
                            ops: &[Op], pc: usize, frame: &mut Window, ctx: &mut Chain<'_>, acc: u64,
                        ) -> Flow {
                            let op = this!(ops, pc);
                            let $ua = operand::<$ui, A>(frame, op.y, acc);
                            let result: $uo = $ue;
                            result.write(frame, op.x as usize);
                            next!(ops, pc + 1, frame, ctx, result.to_acc())
                        }
                        let handler: Handler = if acc_in.holds(a, <$ui as CellValue>::CELLS) {
                            handler::<true>
                        } else {
                            handler::<false>
                        };
                        op(handler, dst, a, 0, 0, 0, 0)
                    }
                )*
                $(
                    Instr::$vn(dst, a) => op(
                        |ops, pc, frame, ctx, _| {
                            let op = this!(ops, pc);
                            let $va = <$vi as CellValue>::read(frame, op.y as usize);
                            let result: $vo = tri!($ve, ctx, pc);
                            result.write(frame, op.x as usize);
                            next!(ops, pc + 1, frame, ctx, result.to_acc())
                        },
                        dst, a, 0, 0, 0, 0,
                    ),
                )*
                $(
                    Instr::$iname(dst, a, imm) => {
                        fn handler<const A: bool>(
                            ops: &[Op], pc: usize, frame: &mut Window, ctx: &mut Chain<'_>, acc: u64,
                        ) -> Flow {
                            let op = this!(ops, pc);
                            let $ia = operand::<$it, A>(frame, op.y, acc);
                            let $ib = op.target as i32 as $it;
                            let result: $it = $ie;
                            result.write(frame, op.x as usize);
                            next!(ops, pc + 1, frame, ctx, result.to_acc())
                        }
                        let handler: Handler = if acc_in.holds(a, <$it as CellValue>::CELLS) {
                            handler::<true>
                        } else {
                            handler::<false>
                        };
                        op(handler, dst, a, 0, 0, imm as u32, 0)
                    }
                )*
                $(
                    Instr::$cif(a, b, target) => op(
                        |ops, pc, frame, ctx, acc| {
                            let op = this!(ops, pc);
                            let $ca = <$ct as CellValue>::read(frame, op.x as usize);
                            let $cb = <$ct as CellValue>::read(frame, op.y as usize);
                            branch!($ce, ops, op.target as usize, pc, frame, ctx, acc)
                        },
                        a, b, 0, 0, target, 0,
                    ),
                    Instr::$cunless(a, b, target) => op(
                        |ops, pc, frame, ctx, acc| {
                            let op = this!(ops, pc);
                            let $ca = <$ct as CellValue>::read(frame, op.x as usize);
                            let $cb = <$ct as CellValue>::read(frame, op.y as usize);
                            branch!(!($ce), ops, op.target as usize, pc, frame, ctx, acc)
                        },
                        a, b, 0, 0, target, 0,
                    ),
                )*
                $(
                    Instr::$eif(a, target) => op(
                        |ops, pc, frame, ctx, acc| {
                            let op = this!(ops, pc);
                            let zero = <$et as CellValue>::read(frame, op.x as usize) == 0;
                            branch!(zero, ops, op.target as usize, pc, frame, ctx, acc)
                        },
                        a, 0, 0, 0, target, 0,
                    ),
                    Instr::$eunless(a, target) => op(
                        |ops, pc, frame, ctx, acc| {
                            let op = this!(ops, pc);
                            let zero = <$et as CellValue>::read(frame, op.x as usize) == 0;
                            branch!(!zero, ops, op.target as usize, pc, frame, ctx, acc)
                        },
                        a, 0, 0, 0, target, 0,
                    ),
                )*
            }
        }
        /// The cell and width an op's result leaves in the accumulator, if it leaves one.
        fn produces(instr: Instr) -> Option<(u16, u8)> {
            Some(match instr {
                $(Instr::$bn(dst, ..) => (dst, <$bo as CellValue>::CELLS),)*
                $(Instr::$tn(dst, ..) => (dst, <$to as CellValue>::CELLS),)*
                $(Instr::$un(dst, ..) => (dst, <$uo as CellValue>::CELLS),)*
                $(Instr::$vn(dst, ..) => (dst, <$vo as CellValue>::CELLS),)*
                $(Instr::$iname(dst, ..) => (dst, <$it as CellValue>::CELLS),)*
                Instr::LoadI32(dst, ..)
                | Instr::LoadI32S8(dst, ..)
                | Instr::LoadI32U8(dst, ..)
                | Instr::LoadI32S16(dst, ..)
                | Instr::LoadI32U16(dst, ..) => (dst, 1),
                Instr::LoadI64(dst, ..)
                | Instr::LoadI64S8(dst, ..)
                | Instr::LoadI64U8(dst, ..)
                | Instr::LoadI64S16(dst, ..)
                | Instr::LoadI64U16(dst, ..)
                | Instr::LoadI64S32(dst, ..)
                | Instr::LoadI64U32(dst, ..) => (dst, 2),
                _ => return None,
            })
        }

        /// Marks every position an op can jump to (not counting falling through).
        fn mark_targets(instr: Instr, tables: &[Vec<BranchTarget>], targets: &mut [bool]) {
            let mut mark = |target: u32| {
                if let Some(slot) = targets.get_mut(target as usize) {
                    *slot = true;
                }
            };
            match instr {
                // The target and, for the fused form, the op after the target's branch.
                Instr::Br(target) => {
                    mark(target);
                    mark(target.saturating_add(1));
                }
                Instr::BrCopy(_, target)
                | Instr::BrIf(_, target)
                | Instr::BrUnless(_, target)
                | Instr::BrIfCopy(_, _, target) => mark(target),
                // The header, the op after it (event fired on the way) and, for the fused form,
                // the op after the body's first branch.
                Instr::BrLoop(header) => {
                    mark(header);
                    mark(header.saturating_add(1));
                    mark(header.saturating_add(2));
                }
                Instr::BrTable(_, table) => {
                    for entry in tables.get(table as usize).into_iter().flatten() {
                        mark(entry.target);
                    }
                }
                $(Instr::$cif(_, _, target) | Instr::$cunless(_, _, target) => mark(target),)*
                $(Instr::$eif(_, target) | Instr::$eunless(_, target) => mark(target),)*
                _ => {}
            }
        }

        /// The fused op for a `br` whose target's op is a conditional branch `first`: with
        /// `event` a `BrLoop(header)` (the branch at `header + 1`, right after the header's
        /// `LoopHead`), else a `Br` to it. `continue_at` is the op after the branch, `acc_in`
        /// what the accumulator holds at the `br`. The register code keeps both instructions,
        /// so positions, events and images are unchanged; only the threaded form skips a
        /// dispatch.
        fn fused_branch(first: Instr, event: bool, continue_at: u32, acc_in: Acc) -> Option<Op> {
            Some(match first {
                Instr::BrIf(cond, target) => op(
                    pick_fused!(fused_br_if, event, acc_in.holds(cond, 1), false),
                    cond, 0, 0, 0, target, continue_at,
                ),
                Instr::BrUnless(cond, target) => op(
                    pick_fused!(fused_br_unless, event, acc_in.holds(cond, 1), false),
                    cond, 0, 0, 0, target, continue_at,
                ),
                $(
                    Instr::$cif(a, b, target) => {
                        fused_branch_handler!(when, $ct, |$ca, $cb| $ce);
                        let width = <$ct as CellValue>::CELLS;
                        op(
                            pick_fused!(when, event, acc_in.holds(a, width), acc_in.holds(b, width)),
                            a, b, 0, 0, target, continue_at,
                        )
                    }
                    Instr::$cunless(a, b, target) => {
                        fused_branch_handler!(unless, $ct, |$ca, $cb| !($ce));
                        let width = <$ct as CellValue>::CELLS;
                        op(
                            pick_fused!(unless, event, acc_in.holds(a, width), acc_in.holds(b, width)),
                            a, b, 0, 0, target, continue_at,
                        )
                    }
                )*
                $(
                    Instr::$eif(a, target) => {
                        fused_branch_handler!(when, $et, |x, y| x == 0);
                        let width = <$et as CellValue>::CELLS;
                        op(pick_fused!(when, event, acc_in.holds(a, width), false), a, 0, 0, 0, target, continue_at)
                    }
                    Instr::$eunless(a, target) => {
                        fused_branch_handler!(unless, $et, |x, y| x != 0);
                        let width = <$et as CellValue>::CELLS;
                        op(pick_fused!(unless, event, acc_in.holds(a, width), false), a, 0, 0, 0, target, continue_at)
                    }
                )*
                _ => return None,
            })
        }
    };
}

for_each_numeric!(define_lower);

/// The threaded ops of a function's register code (`tables`: its `br_table` lists),
/// index-aligned with it.
///
/// The accumulator: an op that produces a value (numeric ops, loads) passes its bits on to the
/// next op, besides writing them to its cells. The next op reads an operand from the accumulator
/// instead of its cells exactly when the operand is that value (same first cell, same width) and
/// the op can only be reached by falling through from the producer: it is no branch target, and
/// no chain starts at it. Chains start only at a function's first op, right after a call, after
/// a safe point or after an op the outer loop ran; none of those follows a producer, because
/// producers always continue their chain. This removes a store-to-load round trip through
/// memory from the critical path of chained arithmetic; the cells still get every value, so the
/// frame (and so every image) is exactly as without it.
pub fn lower(code: &[Instr], tables: &[Vec<BranchTarget>]) -> Vec<Op> {
    let mut targets = vec![false; code.len()];
    for &instr in code {
        mark_targets(instr, tables, &mut targets);
    }
    let mut previous = None;
    let mut ops = Vec::with_capacity(code.len());
    for (index, &instr) in code.iter().enumerate() {
        let acc_in = Acc(if targets[index] { None } else { previous });
        let fused = match instr {
            Instr::BrLoop(header) => match code.get(header as usize..header as usize + 2) {
                Some(&[Instr::LoopHead, first]) => {
                    fused_branch(first, true, header.saturating_add(2), acc_in)
                }
                _ => None,
            },
            Instr::Br(target) => code
                .get(target as usize)
                .and_then(|&first| fused_branch(first, false, target.saturating_add(1), acc_in)),
            _ => None,
        };
        let op = fused.unwrap_or_else(|| lower_one(instr, acc_in));
        ops.push(op);
        previous = produces(instr);
    }
    ops
}
