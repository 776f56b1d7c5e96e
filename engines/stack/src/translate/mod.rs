//! Translation: validates one function body with wasmparser and turns it into the stack engine's
//! instruction vector, computing every branch's jump descriptor once, at load time.
//!
//! Separate from execution: the executor only reads [`FuncCode`]. Invariants of a [`FuncCode`]
//! built from a body that validated:
//! - `instrs.len() == offsets.len()`, one entry per Wasm instruction; `offsets[i]` is the byte
//!   offset of instruction `i` from the body's pc origin (`FunctionBody::range().start`);
//! - every jump target is `<= instrs.len() - 1`, every `BrTable` range lies inside `jumps`,
//!   and no pc move leaves the vector: checked by [`verify`] before the code is used (the
//!   executor's unchecked instruction fetch rests on it);
//! - executing the code on a value stack of the validated shape never reads below the frame's
//!   locals base (local distances and jump shapes come from the validator's operand heights).

pub mod binop;
pub mod control;
pub mod fuse;
pub mod instr;
mod operators;
pub mod special;
pub mod verify;

use std::rc::Rc;

use baton_runtime::module::{BodyToTranslate, ModuleInfo};
use baton_runtime::value::val_type_from_wasmparser;
use baton_runtime::{FuncType, ModuleError, ValType};
use wasmparser::{
    BlockType, FrameKind, FuncValidator, FuncValidatorAllocations, Operator, ValidatorResources,
};

use control::{ControlKind, ControlStack};
use instr::{Instr, Jump};

/// A translated function.
#[derive(Clone, Debug, PartialEq)]
pub struct FuncCode {
    /// Index in the function index space.
    pub func: u32,
    /// The signature.
    pub ty: Rc<FuncType>,
    /// Types of every local: parameters, then declared locals.
    pub locals: Vec<ValType>,
    /// The instructions, one per Wasm instruction.
    pub instrs: Vec<Instr>,
    /// Byte offset (image pc) of each instruction.
    pub offsets: Vec<u32>,
    /// The superinstruction vector (see [`fuse`]): same length as `instrs`.
    pub fused: Vec<Instr>,
    /// Jump descriptors referenced by branch instructions.
    pub jumps: Vec<Jump>,
    /// The largest operand-stack height the body reaches (slots above the locals).
    pub max_height: u32,
}

impl FuncCode {
    /// Number of locals beyond the parameters.
    pub fn declared_locals(&self) -> usize {
        self.locals.len() - self.ty.params.len()
    }
}

/// Translation state for one function.
struct Translator<'m> {
    info: &'m ModuleInfo,
    validator: FuncValidator<ValidatorResources>,
    num_locals: u32,
    control: ControlStack,
    instrs: Vec<Instr>,
    offsets: Vec<u32>,
    jumps: Vec<Jump>,
    max_height: u32,
}

fn invalid(error: wasmparser::BinaryReaderError) -> ModuleError {
    ModuleError::from_wasmparser(&error)
}

/// Validates and translates one function body. Returns the validator allocations for reuse.
pub fn translate(
    info: &ModuleInfo,
    body: BodyToTranslate<'_>,
    allocs: FuncValidatorAllocations,
) -> Result<(FuncCode, FuncValidatorAllocations), ModuleError> {
    let origin = body.body.range().start;
    let ty = info
        .func_type(body.func)
        .cloned()
        .ok_or_else(|| ModuleError::Unsupported {
            offset: origin,
            what: format!("function {} has no type", body.func),
        })?;
    let mut validator = body.validator.into_validator(allocs);
    let mut locals: Vec<ValType> = ty.params.to_vec();
    let mut locals_reader = body.body.get_locals_reader().map_err(invalid)?;
    for _ in 0..locals_reader.get_count() {
        let offset = locals_reader.original_position();
        let (count, wasm_ty) = locals_reader.read().map_err(invalid)?;
        validator
            .define_locals(offset, count, wasm_ty)
            .map_err(invalid)?;
        let ty = val_type_from_wasmparser(wasm_ty).ok_or_else(|| ModuleError::Unsupported {
            offset,
            what: format!("local type {wasm_ty}"),
        })?;
        locals.extend(std::iter::repeat_n(ty, count as usize));
    }
    let mut translator = Translator {
        info,
        validator,
        num_locals: locals.len() as u32,
        control: ControlStack::default(),
        instrs: Vec::new(),
        offsets: Vec::new(),
        jumps: Vec::new(),
        max_height: 0,
    };
    translator.control.push(ControlKind::Body, 0);
    let mut reader = body.body.get_operators_reader().map_err(invalid)?;
    while !reader.eof() {
        let (op, offset) = reader.read_with_offset().map_err(invalid)?;
        translator.operator(&op, offset, origin)?;
    }
    reader.finish().map_err(invalid)?;
    let fused = fuse::fuse(&translator.instrs);
    let code = FuncCode {
        func: body.func,
        ty,
        locals,
        fused,
        instrs: translator.instrs,
        offsets: translator.offsets,
        jumps: translator.jumps,
        max_height: translator.max_height,
    };
    verify::verify(&code, origin)?;
    Ok((code, translator.validator.into_allocations()))
}

impl Translator<'_> {
    fn operand_height(&self) -> u32 {
        self.validator.operand_stack_height()
    }

    /// Slot distance of local `index` from the top of the stack, at the current height.
    fn local_distance(&self, index: u32) -> u32 {
        (self.num_locals + self.operand_height()).saturating_sub(index)
    }

    fn block_arity(&self, ty: BlockType) -> (u32, u32) {
        match ty {
            BlockType::Empty => (0, 0),
            BlockType::Type(_) => (0, 1),
            BlockType::FuncType(index) => self
                .info
                .types
                .get(index as usize)
                .map(|t| (t.params.len() as u32, t.results.len() as u32))
                .unwrap_or((0, 0)),
        }
    }

    /// Adds the jump descriptor for a branch to relative depth `depth`, taken when the operand
    /// height (after popping the branch's own operands) is `height`. Returns its index.
    fn jump(&mut self, depth: u32, popped: u32) -> u32 {
        let height = self.operand_height().saturating_sub(popped);
        let index = self.jumps.len() as u32;
        let (label_height, kind, block_type) =
            match self.validator.get_control_frame(depth as usize) {
                Some(frame) => (frame.height as u32, frame.kind, frame.block_type),
                // Invalid depth: validation of this operator fails right after.
                None => (0, FrameKind::Block, BlockType::Empty),
            };
        let (params, results) = self.block_arity(block_type);
        let is_loop = kind == FrameKind::Loop;
        let keep = if is_loop { params } else { results };
        let mut jump = Jump {
            target: 0,
            keep,
            erase: height.saturating_sub(label_height + keep),
            to_loop: is_loop,
            to_body: false,
        };
        if let Some(entry) = self.control.get_mut(depth) {
            jump.to_body = entry.kind == ControlKind::Body;
            if is_loop {
                jump.target = entry.start + 1;
            } else {
                entry.pending_jumps.push(index);
            }
        }
        self.jumps.push(jump);
        index
    }

    fn operator(&mut self, op: &Operator<'_>, offset: u64, origin: u64) -> Result<(), ModuleError> {
        let pos = self.instrs.len() as u32;
        let instr = match op {
            Operator::Block { .. } => Instr::Block,
            Operator::Loop { .. } => Instr::Loop,
            Operator::If { .. } => Instr::If { else_target: 0 },
            Operator::Else => Instr::Else { end_target: 0 },
            Operator::End => Instr::End,
            Operator::Br { relative_depth } => Instr::Br(self.jump(*relative_depth, 0)),
            Operator::BrIf { relative_depth } => Instr::BrIf(self.jump(*relative_depth, 1)),
            Operator::BrTable { targets } => {
                let start = self.jumps.len() as u32;
                let depths = targets
                    .targets()
                    .chain(std::iter::once(Ok(targets.default())))
                    .collect::<Result<Vec<u32>, _>>()
                    .map_err(invalid)?;
                for depth in &depths {
                    self.jump(*depth, 1);
                }
                Instr::BrTable {
                    start,
                    len: depths.len() as u32,
                }
            }
            Operator::LocalGet { local_index } => {
                Instr::LocalGet(self.local_distance(*local_index))
            }
            Operator::LocalSet { local_index } => {
                Instr::LocalSet(self.local_distance(*local_index))
            }
            Operator::LocalTee { local_index } => {
                Instr::LocalTee(self.local_distance(*local_index))
            }
            other => operators::plain(other).ok_or_else(|| ModuleError::Unsupported {
                offset,
                what: format!("instruction {other:?}"),
            })?,
        };
        self.validator.op(offset, op).map_err(invalid)?;
        self.max_height = self.max_height.max(self.operand_height());
        self.instrs.push(instr);
        self.offsets.push(offset.saturating_sub(origin) as u32);
        match op {
            Operator::Block { .. } => self.control.push(ControlKind::Block, pos),
            Operator::Loop { .. } => self.control.push(ControlKind::Loop, pos),
            Operator::If { .. } => {
                self.control.push(ControlKind::If, pos);
                if let Some(entry) = self.control.last_mut() {
                    entry.pending_instr = Some(pos);
                }
            }
            Operator::Else => self.control.on_else(pos, &mut self.instrs),
            Operator::End => self.control.close(pos, &mut self.instrs, &mut self.jumps),
            _ => {}
        }
        Ok(())
    }
}
