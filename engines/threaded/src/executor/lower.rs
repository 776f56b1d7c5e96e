//! Lowering: the compiler's [`Word`]s to [`Cell`]s, every [`Instr`] replaced by its handler's
//! address at the same position (immediates are copied), so code positions are shared.

use super::handlers::{self, R, RR, RS, S, SR, SS};
use super::{bulk, control, Cell, Handler};
use crate::code::{Bulk, Instr, LoadKind, Shape1, Shape2, StoreKind, Word};
use crate::ops::{binop_list, unop_list, BinOp, UnOp};
use crate::values::Class;

macro_rules! bin_table {
    ($(($name:ident, $ta:ty, $tr:ty, $a:ident, $b:ident => $e:expr)),* $(,)?) => {
        /// `[SS, RS, SR]` handlers of every binary operator, in [`BinOp`] order.
        const BIN_HANDLERS: &[[Handler; 3]] = &[$([
            handlers::bin::<{ BinOp::$name as u16 }, SS>,
            handlers::bin::<{ BinOp::$name as u16 }, RS>,
            handlers::bin::<{ BinOp::$name as u16 }, SR>,
        ]),*];
    };
}

macro_rules! un_table {
    ($(($name:ident, $ta:ty, $tr:ty, $a:ident => $e:expr)),* $(,)?) => {
        /// `[S, R]` handlers of every unary operator, in [`UnOp`] order.
        const UN_HANDLERS: &[[Handler; 2]] = &[$([
            handlers::un::<{ UnOp::$name as u16 }, S>,
            handlers::un::<{ UnOp::$name as u16 }, R>,
        ]),*];
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
}

fn load_handler(kind: LoadKind, shape: Shape1) -> Handler {
    let i = LoadKind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u8;
    match shape {
        Shape1::S => by_index!(load, S, i, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]),
        Shape1::R => by_index!(load, R, i, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]),
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

/// The handler of an instruction.
pub fn handler(instr: Instr) -> Handler {
    match instr {
        Instr::Entry => handlers::entry,
        Instr::Unreachable => handlers::unreachable,
        Instr::Bin(op, shape) => {
            let row = BIN_HANDLERS.get(op as usize);
            let column = match shape {
                Shape2::SS => 0,
                Shape2::RS => 1,
                _ => 2,
            };
            row.map_or(handlers::unreachable as Handler, |row| row[column])
        }
        Instr::Un(op, shape) => {
            let row = UN_HANDLERS.get(op as usize);
            let column = usize::from(shape == Shape1::R);
            row.map_or(handlers::unreachable as Handler, |row| row[column])
        }
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
        Instr::Break => control::op_break,
        Instr::Continue => control::op_continue,
        Instr::Loop => control::op_loop,
        Instr::LoopEnd => control::loop_end,
        Instr::Return => control::op_return,
        Instr::Call => control::op_call,
        Instr::CallIndirect => control::op_call_indirect,
        Instr::Select(Class::Int) => handlers::select::<false, false>,
        Instr::Select(Class::Float) => handlers::select::<true, false>,
        Instr::Select(Class::Ref) => handlers::select::<false, true>,
        Instr::GlobalGet(Class::Int) => handlers::global_get::<false, false>,
        Instr::GlobalGet(Class::Float) => handlers::global_get::<true, false>,
        Instr::GlobalGet(Class::Ref) => handlers::global_get::<false, true>,
        Instr::GlobalSet(Shape1::S, _) => handlers::global_set::<S, false>,
        Instr::GlobalSet(Shape1::R, false) => handlers::global_set::<R, false>,
        Instr::GlobalSet(Shape1::R, true) => handlers::global_set::<R, true>,
        Instr::Load(kind, shape) => load_handler(kind, shape),
        Instr::Store(kind, shape) => store_handler(kind, shape),
        Instr::Bulk(kind) => bulk_handler(kind),
    }
}

/// Lowers a function's code.
pub fn lower(code: &[Word]) -> Vec<Cell> {
    code.iter()
        .map(|word| match *word {
            Word::Op(instr) => Cell {
                op: handler(instr),
                imm: 0,
            },
            Word::Imm(value) => Cell {
                op: handlers::not_an_op,
                imm: value,
            },
        })
        .collect()
}
