//! Lowering: the compiler's [`Word`]s to [`Cell`]s, every [`Instr`] replaced by its handler's
//! address at the same position (immediates are copied), so code positions are shared.

use super::handlers::{self, R, RR, RS, S, SR, SS};
use super::{bulk, control, pack_continue, Cell, Handler};
use crate::code::{Bulk, Instr, LoadKind, Shape1, Shape2, StoreKind, Word};
use crate::ops::{binop_list, unop_list, BinOp, UnOp};
use crate::values::Class;

macro_rules! bin_table {
    ($(($name:ident, $ta:ty, $tr:ty, $a:ident, $b:ident => $e:expr)),* $(,)?) => {
        /// `[SS, RS, SR]` handlers of every binary operator, in [`BinOp`] order, result in a
        /// register (`[0]`) or a slot (`[1]`).
        const BIN_HANDLERS: &[[[Handler; 3]; 2]] = &[$([[
            handlers::bin::<{ BinOp::$name as u16 }, SS, false, false>,
            handlers::bin::<{ BinOp::$name as u16 }, RS, false, false>,
            handlers::bin::<{ BinOp::$name as u16 }, SR, false, false>,
        ], [
            handlers::bin::<{ BinOp::$name as u16 }, SS, true, false>,
            handlers::bin::<{ BinOp::$name as u16 }, RS, true, false>,
            handlers::bin::<{ BinOp::$name as u16 }, SR, true, false>,
        ]]),*];
    };
}

macro_rules! un_table {
    ($(($name:ident, $ta:ty, $tr:ty, $a:ident => $e:expr)),* $(,)?) => {
        /// `[S, R]` handlers of every unary operator, in [`UnOp`] order, result in a register
        /// (`[0]`) or a slot (`[1]`).
        const UN_HANDLERS: &[[[Handler; 2]; 2]] = &[$([[
            handlers::un::<{ UnOp::$name as u16 }, S, false>,
            handlers::un::<{ UnOp::$name as u16 }, R, false>,
        ], [
            handlers::un::<{ UnOp::$name as u16 }, S, true>,
            handlers::un::<{ UnOp::$name as u16 }, R, true>,
        ]]),*];
    };
}

binop_list!(bin_table);
unop_list!(un_table);

macro_rules! by_index {
    ($f:ident, $shape:ident, $i:expr, [$($k:literal),*]) => {
        match $i {
            $($k => handlers::$f::<$k, $shape>,)*
            _ => handlers::unreachable,
        }
    };
    ($f:ident, $shape:ident, $to:literal, $i:expr, [$($k:literal),*]) => {
        match $i {
            $($k => handlers::$f::<$k, $shape, $to>,)*
            _ => handlers::unreachable,
        }
    };
}

fn load_handler(kind: LoadKind, shape: Shape1, to_slot: bool) -> Handler {
    let i = LoadKind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u8;
    match (shape, to_slot) {
        (Shape1::S, false) => {
            by_index!(
                load,
                S,
                false,
                i,
                [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
            )
        }
        (Shape1::R, false) => {
            by_index!(
                load,
                R,
                false,
                i,
                [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
            )
        }
        (Shape1::S, true) => {
            by_index!(
                load,
                S,
                true,
                i,
                [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
            )
        }
        (Shape1::R, true) => {
            by_index!(
                load,
                R,
                true,
                i,
                [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
            )
        }
    }
}

fn store_handler(kind: StoreKind, shape: Shape2) -> Handler {
    let i = StoreKind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u8;
    match shape {
        Shape2::SS => by_index!(store, SS, i, [0, 1, 2, 3, 4, 5]),
        Shape2::RS => by_index!(store, RS, i, [0, 1, 2, 3, 4, 5]),
        Shape2::SR => by_index!(store, SR, i, [0, 1, 2, 3, 4, 5]),
        Shape2::RR => by_index!(store, RR, i, [0, 1, 2, 3, 4, 5]),
    }
}

/// The handler of a [`Instr::BinContinue`].
fn bin_continue_handler(op: BinOp, shape: Shape2) -> Handler {
    macro_rules! row {
        ($op:ident) => {
            match shape {
                Shape2::SS => handlers::bin::<{ BinOp::$op as u16 }, SS, true, true>,
                Shape2::RS => handlers::bin::<{ BinOp::$op as u16 }, RS, true, true>,
                Shape2::SR => handlers::bin::<{ BinOp::$op as u16 }, SR, true, true>,
                Shape2::RR => handlers::unreachable,
            }
        };
    }
    match op {
        BinOp::I32Add => row!(I32Add),
        BinOp::I32Sub => row!(I32Sub),
        BinOp::I64Add => row!(I64Add),
        BinOp::I64Sub => row!(I64Sub),
        _ => handlers::unreachable,
    }
}

/// The handler of a fused compare and branch (`brk`: and break, [`Instr::BrCmpBreak`], which
/// breaks when the comparison holds).
fn br_cmp_handler(op: BinOp, shape: Shape2, if_: bool, brk: bool) -> Handler {
    macro_rules! table {
        ($shape:ident, $if:literal, $brk:literal) => {
            table!(@ $shape, $if, $brk,
                [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19])
        };
        (@ $shape:ident, $if:literal, $brk:literal, [$($k:literal),*]) => {
            match op as u16 {
                $($k => handlers::br_cmp::<$k, $shape, $if, $brk>,)*
                _ => handlers::unreachable,
            }
        };
    }
    if !op.fusable_compare() {
        return handlers::unreachable;
    }
    match (shape, if_ || brk, brk) {
        (Shape2::SS, true, false) => table!(SS, true, false),
        (Shape2::RS, true, false) => table!(RS, true, false),
        (Shape2::SR, true, false) => table!(SR, true, false),
        (Shape2::SS, false, _) => table!(SS, false, false),
        (Shape2::RS, false, _) => table!(RS, false, false),
        (Shape2::SR, false, _) => table!(SR, false, false),
        (Shape2::SS, true, true) => table!(SS, true, true),
        (Shape2::RS, true, true) => table!(RS, true, true),
        (Shape2::SR, true, true) => table!(SR, true, true),
        (Shape2::RR, _, _) => handlers::unreachable,
    }
}

fn bulk_handler(kind: Bulk) -> Handler {
    let i = bulk::KINDS.iter().position(|k| *k == kind).unwrap_or(0);
    macro_rules! table {
        ($($k:literal),*) => {
            match i {
                $($k => bulk::bulk::<$k>,)*
                _ => handlers::unreachable,
            }
        };
    }
    table!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
}

/// The handler of an instruction; without `polling` (code compiled without safe points) loop
/// and call ops fire no events at all.
pub fn handler(instr: Instr, polling: bool) -> Handler {
    match instr {
        Instr::Unreachable => handlers::unreachable,
        Instr::Bin(op, shape, to_slot) => {
            let row = BIN_HANDLERS
                .get(op as usize)
                .map(|r| &r[usize::from(to_slot)]);
            let column = match shape {
                Shape2::SS => 0,
                Shape2::RS => 1,
                _ => 2,
            };
            row.map_or(handlers::unreachable as Handler, |row| row[column])
        }
        Instr::Un(op, shape, to_slot) => {
            let row = UN_HANDLERS
                .get(op as usize)
                .map(|r| &r[usize::from(to_slot)]);
            let column = usize::from(shape == Shape1::R);
            row.map_or(handlers::unreachable as Handler, |row| row[column])
        }
        Instr::BinContinue(op, shape) => bin_continue_handler(op, shape),
        Instr::Spill(Class::Float) => handlers::spill::<true>,
        Instr::Spill(_) => handlers::spill::<false>,
        Instr::Copy => handlers::copy,
        Instr::Br => handlers::br,
        Instr::BrIf(Shape1::S) => handlers::br_cond::<true, S>,
        Instr::BrIf(Shape1::R) => handlers::br_cond::<true, R>,
        Instr::BrUnless(Shape1::S) => handlers::br_cond::<false, S>,
        Instr::BrUnless(Shape1::R) => handlers::br_cond::<false, R>,
        Instr::BrTable(Shape1::S) => handlers::br_table::<S>,
        Instr::BrTable(Shape1::R) => handlers::br_table::<R>,
        Instr::BrCmp(op, shape, if_) => br_cmp_handler(op, shape, if_, false),
        Instr::BrCmpBreak(op, shape) => br_cmp_handler(op, shape, true, true),
        Instr::Break => control::op_break,
        Instr::Continue if polling => control::op_continue::<true>,
        Instr::Continue => control::op_continue::<false>,
        Instr::Loop if polling => control::op_loop::<true, false>,
        Instr::Loop => control::op_loop::<false, false>,
        Instr::LoopEnd => control::loop_end,
        Instr::Return => control::op_return,
        Instr::Call if polling => control::op_call::<true, false, { control::ANY_CALLEE }>,
        Instr::Call => control::op_call::<false, false, { control::ANY_CALLEE }>,
        Instr::CallIndirect if polling => control::op_call::<true, true, { control::ANY_CALLEE }>,
        Instr::CallIndirect => control::op_call::<false, true, { control::ANY_CALLEE }>,
        Instr::Select(Class::Int) => handlers::select::<false, false>,
        Instr::Select(Class::Float) => handlers::select::<true, false>,
        Instr::Select(Class::Ref) => handlers::select::<false, true>,
        Instr::GlobalGet(Class::Int) => handlers::global_get::<false, false>,
        Instr::GlobalGet(Class::Float) => handlers::global_get::<true, false>,
        Instr::GlobalGet(Class::Ref) => handlers::global_get::<false, true>,
        Instr::GlobalSet(Shape1::S, _) => handlers::global_set::<S, false>,
        Instr::GlobalSet(Shape1::R, false) => handlers::global_set::<R, false>,
        Instr::GlobalSet(Shape1::R, true) => handlers::global_set::<R, true>,
        Instr::Load(kind, shape, to_slot) => load_handler(kind, shape, to_slot),
        Instr::Store(kind, shape) => store_handler(kind, shape),
        Instr::Bulk(kind) => bulk_handler(kind),
    }
}

/// Lowers a function's code (compiled with safe points if `polling`). Loops whose bodies
/// contain no loop or call op (*leaf* loops: their loop events are the only events while they
/// run) get the loop handler that keeps the event budget in a local ([`leaf_loops`]).
///
/// `call_events` gives, for a function index, the callee's
/// [`FuncCode::call_events`](crate::module::FuncCode::call_events) when it is a function of
/// the module (`None` for imports): a direct call of it gets the call op specialised for that
/// count ([`control::op_call`]'s `CALLEE`), which counts the call's events with a constant.
///
/// The `depth` immediates of `Continue` and `BinContinue` ops are packed for
/// [`Signal::Continue`](super::Signal::Continue) ([`pack_continue`]).
pub fn lower(code: &[Word], polling: bool, call_events: impl Fn(u32) -> Option<u64>) -> Vec<Cell> {
    let leaf = leaf_loops(code);
    let mut cells: Vec<Cell> = code
        .iter()
        .enumerate()
        .map(|(at, word)| match *word {
            Word::Op(Instr::Loop) if polling && leaf.contains(&at) => Cell {
                op: control::op_loop::<true, true>,
                imm: 0,
            },
            Word::Op(Instr::Call) if polling => Cell {
                op: direct_call_handler(code, at, &call_events),
                imm: 0,
            },
            Word::Op(instr) => Cell {
                op: handler(instr, polling),
                imm: 0,
            },
            Word::Imm(value) => Cell {
                op: handlers::not_an_op,
                imm: value,
            },
        })
        .collect();
    for (at, word) in code.iter().enumerate() {
        let depth_at = match word {
            Word::Op(Instr::Continue) => at + 1,
            Word::Op(Instr::BinContinue(_, shape)) => {
                at + if *shape == Shape2::SS { 2 } else { 1 } + 2
            }
            _ => continue,
        };
        if let Some(cell) = cells.get_mut(depth_at) {
            cell.imm = pack_continue(cell.imm);
        }
    }
    cells
}

/// The call op (with safe points) of the direct call at `at`: specialised for its callee's
/// event count when that is a function of the module.
fn direct_call_handler(
    code: &[Word],
    at: usize,
    call_events: impl Fn(u32) -> Option<u64>,
) -> Handler {
    let callee = match code.get(at + 2) {
        Some(Word::Imm(func)) => u32::try_from(*func).ok().and_then(&call_events),
        _ => None,
    };
    match callee {
        Some(control::LEAF_CALLEE) => control::op_call::<true, false, { control::LEAF_CALLEE }>,
        Some(control::EVENTFUL_CALLEE) => {
            control::op_call::<true, false, { control::EVENTFUL_CALLEE }>
        }
        _ => control::op_call::<true, false, { control::ANY_CALLEE }>,
    }
}

/// Whether a function body has no op that fires an event (`Loop`, `Call`, `CallIndirect`; the
/// entry event is fired by the activation, or counted by the call op).
pub fn fires_no_events(code: &[Word]) -> bool {
    !code.iter().any(|word| {
        matches!(
            word,
            Word::Op(Instr::Loop | Instr::Call | Instr::CallIndirect)
        )
    })
}

/// Positions of the `Loop` ops whose body (up to the matching `LoopEnd`) has no `Loop`, `Call`
/// or `CallIndirect` op, so nothing in it fires an event.
pub fn leaf_loops(code: &[Word]) -> Vec<usize> {
    let mut open: Vec<(usize, bool)> = Vec::new();
    let mut leaf = Vec::new();
    for (at, word) in code.iter().enumerate() {
        match word {
            Word::Op(Instr::Loop) => {
                if let Some(outer) = open.last_mut() {
                    outer.1 = false;
                }
                open.push((at, true));
            }
            Word::Op(Instr::Call | Instr::CallIndirect) => {
                if let Some(inner) = open.last_mut() {
                    inner.1 = false;
                }
            }
            Word::Op(Instr::LoopEnd) => {
                if let Some((loop_at, is_leaf)) = open.pop() {
                    if let Some(outer) = open.last_mut() {
                        outer.1 &= is_leaf;
                    }
                    if is_leaf {
                        leaf.push(loop_at);
                    }
                }
            }
            _ => {}
        }
    }
    leaf
}
