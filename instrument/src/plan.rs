//! Pass 1 over one function body: its control levels in opening order, and for each live
//! level the sites in it with the operand types there (from the shared module analysis).
//!
//! Dead code (after `br`, `br_table`, `return` or `unreachable` until its level ends, and every
//! level opened inside it) holds no sites: no event can fire there. A block site is kept only
//! when the nested level (either arm of an `if`) holds sites.

use baton_checkpoint::analysis::{FunctionAnalysis, ModuleAnalysis};
use baton_checkpoint::image::LabelKind;
use wasmparser::{BlockType, FunctionBody, Operator, ValType};

use crate::error::InstrumentError;
use crate::meta::SiteKind;

/// A site found by the plan.
#[derive(Debug, Clone)]
pub(crate) struct PlanSite {
    pub kind: SiteKind,
    pub pc: u32,
    pub types: Vec<ValType>,
    pub consumed: u32,
    pub indirect: bool,
    /// For a `call_indirect` site: its type index.
    pub type_index: u32,
    /// For a direct call site: the callee (original index space).
    pub callee: Option<u32>,
    /// For a call site: whether the return site just before it (the previous site of the
    /// level) can have its event counted by this call's callee instead of a check of its own
    /// (see `body`): only pure instructions come between them, none takes anything from under
    /// the return site's operands, and the operands under this call's arguments are exactly
    /// those.
    pub absorbs_return: bool,
    /// For a return site directly in a loop's level: whether only instructions that cannot
    /// trap and do not branch come before a `br` back to that loop's header (see
    /// [`PlanLevel::precounted_header`]).
    pub precounts_header: bool,
}

/// One control level of the body, in opening order.
#[derive(Debug, Clone)]
pub(crate) struct PlanLevel {
    pub start: u32,
    pub kind: LabelKind,
    /// Operand stack height at the label (block parameters excluded).
    pub height: usize,
    /// The level's parameter types (the block type's parameters).
    pub params: Vec<ValType>,
    pub sites: Vec<PlanSite>,
    pub dead: bool,
    /// Whether every instruction between the level's start and its first site is pure (no
    /// effect, cannot trap, no control flow): then the first site's event check can also be
    /// where a rewind lands in the level (the pure code re-runs harmlessly).
    pub pure_prefix: bool,
    /// Branches (live) that target this level's label.
    pub branches_in: u32,
    /// Of those, the `br`s a return site precounts the loop header for (see
    /// [`PlanSite::precounts_header`]).
    pub precounted: u32,
}

impl PlanLevel {
    /// Whether this is a loop without parameters every branch back to whose header comes
    /// from a return site's check that counts the header event too: then only entering the
    /// loop from before it needs a header check (see `body`).
    pub fn precounted_header(&self) -> bool {
        self.kind == LabelKind::Loop
            && self.params.is_empty()
            && self.precounted > 0
            && self.precounted == self.branches_in
    }
}

/// Whether `op` has no effect on the state, cannot trap and does not branch.
pub(crate) fn is_pure(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::Nop
            | O::Drop
            | O::Select
            | O::TypedSelect { .. }
            | O::LocalGet { .. }
            | O::GlobalGet { .. }
            | O::I32Const { .. }
            | O::I64Const { .. }
            | O::F32Const { .. }
            | O::F64Const { .. }
            | O::RefNull { .. }
            | O::RefIsNull
            | O::RefFunc { .. }
            | O::I32Eqz
            | O::I32Eq
            | O::I32Ne
            | O::I32LtS
            | O::I32LtU
            | O::I32GtS
            | O::I32GtU
            | O::I32LeS
            | O::I32LeU
            | O::I32GeS
            | O::I32GeU
            | O::I64Eqz
            | O::I64Eq
            | O::I64Ne
            | O::I64LtS
            | O::I64LtU
            | O::I64GtS
            | O::I64GtU
            | O::I64LeS
            | O::I64LeU
            | O::I64GeS
            | O::I64GeU
            | O::I32Clz
            | O::I32Ctz
            | O::I32Popcnt
            | O::I32Add
            | O::I32Sub
            | O::I32Mul
            | O::I32And
            | O::I32Or
            | O::I32Xor
            | O::I32Shl
            | O::I32ShrS
            | O::I32ShrU
            | O::I32Rotl
            | O::I32Rotr
            | O::I64Clz
            | O::I64Ctz
            | O::I64Popcnt
            | O::I64Add
            | O::I64Sub
            | O::I64Mul
            | O::I64And
            | O::I64Or
            | O::I64Xor
            | O::I64Shl
            | O::I64ShrS
            | O::I64ShrU
            | O::I64Rotl
            | O::I64Rotr
            | O::I32WrapI64
            | O::I64ExtendI32S
            | O::I64ExtendI32U
            | O::I32Extend8S
            | O::I32Extend16S
            | O::I64Extend8S
            | O::I64Extend16S
            | O::I64Extend32S
    )
}

/// Whether `op` cannot trap or call out (the instrumentation's events-left global need not be
/// up to date before it): pure instructions, local and global writes, non-trapping float
/// arithmetic and conversions, and control flow within the function.
pub(crate) fn cannot_trap(op: &Operator<'_>) -> bool {
    use Operator as O;
    is_pure(op)
        || is_control(op)
        || matches!(
            op,
            O::LocalSet { .. }
                | O::LocalTee { .. }
                | O::GlobalSet { .. }
                | O::MemorySize { .. }
                | O::F32Abs
                | O::F32Neg
                | O::F32Ceil
                | O::F32Floor
                | O::F32Trunc
                | O::F32Nearest
                | O::F32Sqrt
                | O::F32Add
                | O::F32Sub
                | O::F32Mul
                | O::F32Div
                | O::F32Min
                | O::F32Max
                | O::F32Copysign
                | O::F32Eq
                | O::F32Ne
                | O::F32Lt
                | O::F32Gt
                | O::F32Le
                | O::F32Ge
                | O::F64Abs
                | O::F64Neg
                | O::F64Ceil
                | O::F64Floor
                | O::F64Trunc
                | O::F64Nearest
                | O::F64Sqrt
                | O::F64Add
                | O::F64Sub
                | O::F64Mul
                | O::F64Div
                | O::F64Min
                | O::F64Max
                | O::F64Copysign
                | O::F64Eq
                | O::F64Ne
                | O::F64Lt
                | O::F64Gt
                | O::F64Le
                | O::F64Ge
                | O::F32ConvertI32S
                | O::F32ConvertI32U
                | O::F32ConvertI64S
                | O::F32ConvertI64U
                | O::F64ConvertI32S
                | O::F64ConvertI32U
                | O::F64ConvertI64S
                | O::F64ConvertI64U
                | O::F32DemoteF64
                | O::F64PromoteF32
                | O::I32ReinterpretF32
                | O::I64ReinterpretF64
                | O::F32ReinterpretI32
                | O::F64ReinterpretI64
                | O::I32TruncSatF32S
                | O::I32TruncSatF32U
                | O::I32TruncSatF64S
                | O::I32TruncSatF64U
                | O::I64TruncSatF32S
                | O::I64TruncSatF32U
                | O::I64TruncSatF64S
                | O::I64TruncSatF64U
        )
}

/// Whether `op` opens, switches or closes a level, or branches (within the function).
pub(crate) fn is_control(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::Block { .. }
            | O::Loop { .. }
            | O::If { .. }
            | O::Else
            | O::End
            | O::Br { .. }
            | O::BrIf { .. }
            | O::BrTable { .. }
            | O::Return
    )
}

/// Parameters and results of a block type.
pub(crate) fn block_sig(
    analysis: &ModuleAnalysis,
    ty: BlockType,
    offset: u64,
) -> Result<(Vec<ValType>, Vec<ValType>), InstrumentError> {
    Ok(match ty {
        BlockType::Empty => (Vec::new(), Vec::new()),
        BlockType::Type(t) => (Vec::new(), vec![t]),
        BlockType::FuncType(index) => {
            let ty = analysis
                .func_type(index)
                .ok_or_else(|| InstrumentError::at(offset, format!("no type {index}")))?;
            (ty.params().to_vec(), ty.results().to_vec())
        }
    })
}

/// Operand types before the instruction at `pc`.
pub(crate) fn types_at(
    function: &FunctionAnalysis,
    pc: u32,
    offset: u64,
) -> Result<&[ValType], InstrumentError> {
    function
        .at(pc)
        .map(|point| point.operand_types.as_slice())
        .ok_or_else(|| InstrumentError::at(offset, format!("no analysis point at pc {pc}")))
}

/// A call's signature: parameters, results, and whether it is a `call_indirect`.
pub(crate) type CallSig = (Vec<ValType>, Vec<ValType>, bool);

/// `(params consumed, results produced, indirect)` of a call instruction.
pub(crate) fn call_sig(
    analysis: &ModuleAnalysis,
    op: &Operator<'_>,
    offset: u64,
) -> Result<Option<CallSig>, InstrumentError> {
    let (ty, indirect) = match *op {
        Operator::Call { function_index } => (analysis.func_type_of(function_index), false),
        Operator::CallIndirect { type_index, .. } => (analysis.func_type(type_index), true),
        _ => return Ok(None),
    };
    let ty = ty.ok_or_else(|| InstrumentError::at(offset, "call of an unknown type"))?;
    Ok(Some((
        ty.params().to_vec(),
        ty.results().to_vec(),
        indirect,
    )))
}

/// Runs pass 1 over `body` (function `func`).
pub(crate) fn plan(
    analysis: &ModuleAnalysis,
    function: &FunctionAnalysis,
    body: &FunctionBody<'_>,
) -> Result<Vec<PlanLevel>, InstrumentError> {
    let base = body.range().start;
    let mut levels: Vec<PlanLevel> = Vec::new();
    // Open levels: index into `levels`, and (for an if) whether the then-arm had sites.
    let mut open: Vec<(usize, bool)> = Vec::new();
    let mut reader = body.get_operators_reader()?;
    let mut first = true;
    // A site to record at the next instruction: (kind, consumed, indirect).
    let mut pending: Option<(SiteKind, u32, bool)> = None;
    // A return site whose event a following call could absorb: its level, the operand height
    // there, and whether the last pure instruction since pushed a value.
    let mut absorbable: Option<(usize, usize, Option<bool>)> = None;
    // A return site (its level, its index there) whose check could count the header event of
    // the loop it is directly in: only instructions that cannot trap and do not branch so far.
    let mut precounting: Option<(usize, usize)> = None;
    while !reader.eof() {
        let (op, offset) = reader.read_with_offset()?;
        let pc = u32::try_from(offset - base).unwrap_or(u32::MAX);
        if first {
            first = false;
            levels.push(PlanLevel {
                start: 0,
                kind: LabelKind::Block,
                height: 0,
                params: Vec::new(),
                sites: vec![PlanSite {
                    kind: SiteKind::Entry,
                    pc,
                    types: Vec::new(),
                    consumed: 0,
                    indirect: false,
                    type_index: 0,
                    callee: None,
                    absorbs_return: false,
                    precounts_header: false,
                }],
                dead: false,
                pure_prefix: true,
                branches_in: 0,
                precounted: 0,
            });
            open.push((0, false));
        }
        let Some(&(current, _)) = open.last() else {
            return Err(InstrumentError::at(
                offset,
                "instruction after the body's end",
            ));
        };
        let live = !levels[current].dead;
        let call = matches!(op, Operator::Call { .. } | Operator::CallIndirect { .. });
        if levels[current].sites.is_empty() && pending.is_none() && !call && !is_pure(&op) {
            levels[current].pure_prefix = false;
        }
        if let Some((kind, consumed, indirect)) = pending.take() {
            let height = levels[current].height;
            let types = types_at(function, pc, offset)?
                .get(height..)
                .unwrap_or(&[])
                .to_vec();
            if kind == SiteKind::Return {
                let height = types_at(function, pc, offset)?.len();
                absorbable = Some((current, height, None));
                precounting = Some((current, levels[current].sites.len()));
            }
            levels[current].sites.push(PlanSite {
                kind,
                pc,
                types,
                consumed,
                indirect,
                type_index: 0,
                callee: None,
                absorbs_return: false,
                precounts_header: false,
            });
        }
        // What the instruction before this one left of the return site's operands: all of them.
        if let Some((level, height, pushed)) = absorbable {
            let here = types_at(function, pc, offset)?.len();
            let kept = pushed.is_none_or(|pushed| {
                here.checked_sub(usize::from(pushed))
                    .is_some_and(|kept| kept >= height)
            });
            absorbable = (kept && level == current).then_some((level, height, pushed));
        }
        let absorbs_return = match (absorbable.take(), call_sig(analysis, &op, offset)?) {
            (Some((_, height, _)), Some((params, _, indirect))) if live => {
                let here = types_at(function, pc, offset)?.len();
                here.checked_sub(params.len() + usize::from(indirect)) == Some(height)
            }
            (Some((level, height, _)), None) if is_pure(&op) => {
                let pushes = !matches!(op, Operator::Nop | Operator::Drop);
                absorbable = Some((level, height, Some(pushes)));
                false
            }
            _ => false,
        };
        if live {
            let targets: Vec<u32> = match &op {
                Operator::Br { relative_depth } | Operator::BrIf { relative_depth } => {
                    vec![*relative_depth]
                }
                Operator::BrTable { targets } => {
                    let mut all = targets.targets().collect::<Result<Vec<u32>, _>>()?;
                    all.push(targets.default());
                    all.sort_unstable();
                    all.dedup();
                    all
                }
                _ => Vec::new(),
            };
            for depth in targets {
                if let Some(&(level, _)) = open
                    .len()
                    .checked_sub(1 + depth as usize)
                    .and_then(|i| open.get(i))
                {
                    levels[level].branches_in += 1;
                }
            }
        }
        precounting = match (precounting, &op) {
            (Some((level, site)), Operator::Br { relative_depth: 0 })
                if level == current && levels[current].kind == LabelKind::Loop =>
            {
                levels[current].sites[site].precounts_header = true;
                levels[current].precounted += 1;
                None
            }
            (Some(p), op) if cannot_trap(op) && !is_control(op) => Some(p),
            _ => None,
        };
        match op {
            Operator::Block { blockty } | Operator::Loop { blockty } | Operator::If { blockty } => {
                let (params, _) = block_sig(analysis, blockty, offset)?;
                let cond = usize::from(matches!(op, Operator::If { .. }));
                let kind = match op {
                    Operator::Loop { .. } => LabelKind::Loop,
                    Operator::If { .. } => LabelKind::If,
                    _ => LabelKind::Block,
                };
                let types = if live {
                    types_at(function, pc, offset)?.to_vec()
                } else {
                    Vec::new()
                };
                let height = types.len().saturating_sub(params.len() + cond);
                if live {
                    let parent_height = levels[current].height;
                    levels[current].sites.push(PlanSite {
                        kind: SiteKind::Block,
                        pc,
                        types: types.get(parent_height..).unwrap_or(&[]).to_vec(),
                        consumed: 0,
                        indirect: false,
                        type_index: 0,
                        callee: None,
                        absorbs_return: false,
                        precounts_header: false,
                    });
                }
                levels.push(PlanLevel {
                    start: pc,
                    kind,
                    height,
                    params,
                    sites: Vec::new(),
                    dead: !live,
                    pure_prefix: true,
                    branches_in: 0,
                    precounted: 0,
                });
                open.push((levels.len() - 1, false));
                if live && kind == LabelKind::Loop {
                    pending = Some((SiteKind::Loop, 0, false));
                }
            }
            Operator::Else => {
                let (then, _) = open
                    .pop()
                    .ok_or_else(|| InstrumentError::at(offset, "else outside an if"))?;
                let had = !levels[then].sites.is_empty();
                let parent_dead = open.last().is_none_or(|&(p, _)| levels[p].dead);
                let level = PlanLevel {
                    start: levels[then].start,
                    kind: LabelKind::Else,
                    height: levels[then].height,
                    params: levels[then].params.clone(),
                    sites: Vec::new(),
                    dead: parent_dead,
                    pure_prefix: true,
                    branches_in: 0,
                    precounted: 0,
                };
                levels.push(level);
                open.push((levels.len() - 1, had));
            }
            Operator::End => {
                let (done, had) = open
                    .pop()
                    .ok_or_else(|| InstrumentError::at(offset, "end without an open block"))?;
                if let Some(&(parent, _)) = open.last() {
                    let used = had || !levels[done].sites.is_empty();
                    if !used && !levels[parent].dead {
                        // The block site for this level is the parent's last site.
                        if levels[parent].sites.last().map(|s| s.kind) == Some(SiteKind::Block) {
                            levels[parent].sites.pop();
                        }
                    }
                }
            }
            Operator::Br { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Unreachable => {
                levels[current].dead = true;
            }
            ref call @ (Operator::Call { .. } | Operator::CallIndirect { .. }) if live => {
                let Some((params, _, indirect)) = call_sig(analysis, call, offset)? else {
                    continue;
                };
                let height = levels[current].height;
                let types = types_at(function, pc, offset)?
                    .get(height..)
                    .unwrap_or(&[])
                    .to_vec();
                let consumed = u32::try_from(params.len() + usize::from(indirect)).unwrap_or(0);
                let (type_index, callee) = match *call {
                    Operator::CallIndirect { type_index, .. } => (type_index, None),
                    Operator::Call { function_index } => (0, Some(function_index)),
                    _ => (0, None),
                };
                levels[current].sites.push(PlanSite {
                    kind: SiteKind::Call,
                    pc,
                    types,
                    consumed,
                    indirect,
                    type_index,
                    callee,
                    absorbs_return,
                    precounts_header: false,
                });
                pending = Some((SiteKind::Return, consumed, indirect));
            }
            _ => {}
        }
    }
    Ok(levels)
}
