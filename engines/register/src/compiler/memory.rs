//! Translation of memory, table and bulk operators: loads and stores with their static offset,
//! `memory.*`, `data.drop`, `table.*`, `elem.drop` and reference tests.
//!
//! Invariants: operands are popped in Wasm order and read from wherever the operand model says
//! they live; results are pushed as dynamic operands at their home cells.

use wasmparser::{Operator, ValType};

use super::translate::Translator;
use super::CompileError;
use crate::code::{BulkOperands, Instr, LoadKind, StoreKind, TableOp};

impl Translator<'_> {
    /// Translates `op` if it is a memory, table or bulk operator; `false` otherwise.
    pub(super) fn memory_operator(&mut self, op: &Operator<'_>) -> Result<bool, CompileError> {
        match *op {
            Operator::I32Load { memarg } | Operator::F32Load { memarg } => {
                let ty = if matches!(*op, Operator::I32Load { .. }) {
                    ValType::I32
                } else {
                    ValType::F32
                };
                self.load(LoadKind::I32, ty, memarg.offset)?
            }
            Operator::I64Load { memarg } | Operator::F64Load { memarg } => {
                let ty = if matches!(*op, Operator::I64Load { .. }) {
                    ValType::I64
                } else {
                    ValType::F64
                };
                self.load(LoadKind::I64, ty, memarg.offset)?
            }
            Operator::I32Load8S { memarg } => {
                self.load(LoadKind::I32S8, ValType::I32, memarg.offset)?
            }
            Operator::I32Load8U { memarg } => {
                self.load(LoadKind::I32U8, ValType::I32, memarg.offset)?
            }
            Operator::I32Load16S { memarg } => {
                self.load(LoadKind::I32S16, ValType::I32, memarg.offset)?
            }
            Operator::I32Load16U { memarg } => {
                self.load(LoadKind::I32U16, ValType::I32, memarg.offset)?
            }
            Operator::I64Load8S { memarg } => {
                self.load(LoadKind::I64S8, ValType::I64, memarg.offset)?
            }
            Operator::I64Load8U { memarg } => {
                self.load(LoadKind::I64U8, ValType::I64, memarg.offset)?
            }
            Operator::I64Load16S { memarg } => {
                self.load(LoadKind::I64S16, ValType::I64, memarg.offset)?
            }
            Operator::I64Load16U { memarg } => {
                self.load(LoadKind::I64U16, ValType::I64, memarg.offset)?
            }
            Operator::I64Load32S { memarg } => {
                self.load(LoadKind::I64S32, ValType::I64, memarg.offset)?
            }
            Operator::I64Load32U { memarg } => {
                self.load(LoadKind::I64U32, ValType::I64, memarg.offset)?
            }
            Operator::I32Store { memarg }
            | Operator::F32Store { memarg }
            | Operator::I64Store32 { memarg } => self.store(StoreKind::B32, memarg.offset)?,
            Operator::I64Store { memarg } | Operator::F64Store { memarg } => {
                self.store(StoreKind::B64, memarg.offset)?
            }
            Operator::I32Store8 { memarg } | Operator::I64Store8 { memarg } => {
                self.store(StoreKind::B8, memarg.offset)?
            }
            Operator::I32Store16 { memarg } | Operator::I64Store16 { memarg } => {
                self.store(StoreKind::B16, memarg.offset)?
            }
            Operator::MemorySize { .. } => {
                let dst = self.push(ValType::I32, None)?;
                self.emit_result(Instr::MemorySize(dst));
            }
            Operator::MemoryGrow { .. } => {
                let delta = self.pop_cell()?;
                let dst = self.push(ValType::I32, None)?;
                self.emit(Instr::MemoryGrow(dst, delta));
            }
            Operator::MemoryFill { .. } => {
                let c = self.operand_cells(3)?;
                self.emit(Instr::MemoryFill(c[0], c[1], c[2]));
            }
            Operator::MemoryCopy { .. } => {
                let c = self.operand_cells(3)?;
                self.emit(Instr::MemoryCopy(c[0], c[1], c[2]));
            }
            Operator::MemoryInit { data_index, .. } => {
                let c = self.operand_cells(3)?;
                let record = self.bulk_op(BulkOperands {
                    dst: 0,
                    a: c[0],
                    b: c[1],
                    c: c[2],
                    table: data_index,
                    other: 0,
                });
                self.emit(Instr::MemoryInit(record));
            }
            Operator::DataDrop { data_index } => {
                self.emit(Instr::DataDrop(data_index));
            }
            Operator::ElemDrop { elem_index } => {
                self.emit(Instr::ElemDrop(elem_index));
            }
            Operator::RefIsNull => {
                let a = self.pop_cell()?;
                let dst = self.push(ValType::I32, None)?;
                self.emit_result(Instr::RefIsNull(dst, a));
            }
            Operator::TableGet { table } => {
                let ty = self.table_type(table)?;
                self.table_op(TableOp::Get, table, 0, 1, Some(ty))?
            }
            Operator::TableSet { table } => self.table_op(TableOp::Set, table, 0, 2, None)?,
            Operator::TableSize { table } => {
                self.table_op(TableOp::Size, table, 0, 0, Some(ValType::I32))?
            }
            Operator::TableGrow { table } => {
                self.table_op(TableOp::Grow, table, 0, 2, Some(ValType::I32))?
            }
            Operator::TableFill { table } => self.table_op(TableOp::Fill, table, 0, 3, None)?,
            Operator::TableCopy {
                dst_table,
                src_table,
            } => self.table_op(TableOp::Copy, dst_table, src_table, 3, None)?,
            Operator::TableInit { elem_index, table } => {
                self.table_op(TableOp::Init, table, elem_index, 3, None)?
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    pub(super) fn load(
        &mut self,
        kind: LoadKind,
        ty: ValType,
        offset: u64,
    ) -> Result<(), CompileError> {
        let addr = self.pop_cell()?;
        let dst = self.push(ty, None)?;
        let offset =
            u32::try_from(offset).map_err(|_| self.malformed("memory offset too large"))?;
        self.emit_result(kind.instr(dst, addr, offset));
        Ok(())
    }

    pub(super) fn store(&mut self, kind: StoreKind, offset: u64) -> Result<(), CompileError> {
        let cells = self.operand_cells(2)?;
        let offset =
            u32::try_from(offset).map_err(|_| self.malformed("memory offset too large"))?;
        self.emit(kind.instr(cells[1], cells[0], offset));
        Ok(())
    }

    pub(super) fn bulk_op(&mut self, record: BulkOperands) -> u32 {
        self.bulk.push(record);
        self.bulk.len() as u32 - 1
    }

    pub(super) fn table_op(
        &mut self,
        op: TableOp,
        table: u32,
        other: u32,
        inputs: usize,
        result: Option<ValType>,
    ) -> Result<(), CompileError> {
        let cells = self.operand_cells(inputs)?;
        let get = |i: usize| cells.get(i).copied().unwrap_or(0);
        let dst = match result {
            Some(ty) => self.push(ty, None)?,
            None => 0,
        };
        let record = self.bulk_op(BulkOperands {
            dst,
            a: get(0),
            b: get(1),
            c: get(2),
            table,
            other,
        });
        self.emit(Instr::Table(op, record));
        Ok(())
    }

    pub(super) fn table_type(&self, table: u32) -> Result<ValType, CompileError> {
        self.module
            .tables
            .get(table as usize)
            .copied()
            .ok_or_else(|| self.malformed("table index out of range"))
    }
}
