//! Compact storage of a function's [`PointInfo`]s.
//!
//! Neighbouring instruction boundaries share most of their operand and label stacks, so storing a
//! full copy per boundary costs O(instructions × depth) memory. Here both stacks are persistent
//! linked lists (each node: a value and its parent's index) and a boundary stores only its two
//! top-of-stack node indices, so memory is O(instructions + pushes). A boundary's [`PointInfo`] is
//! materialised on first request and cached, so [`PointStore::get`] can hand out references.
//!
//! Invariants: points are pushed in strictly ascending pc order; a node's parent index is always
//! smaller than its own (or [`ROOT`]), so walking parents terminates.

use std::sync::OnceLock;

use wasmparser::ValType;

use crate::analysis::{InstrKind, PointInfo};
use crate::image::Label;

/// Parent index of a stack's bottom node.
const ROOT: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Node<T> {
    value: T,
    parent: u32,
}

#[derive(Debug, Clone, Copy)]
struct CompactPoint {
    pc: u32,
    reachable: bool,
    instr: InstrKind,
    operands: u32,
    labels: u32,
}

/// Every boundary of one function, compactly.
#[derive(Debug, Clone, Default)]
pub(crate) struct PointStore {
    points: Vec<CompactPoint>,
    operand_nodes: Vec<Node<ValType>>,
    label_nodes: Vec<Node<Label>>,
    materialized: Vec<OnceLock<Box<PointInfo>>>,
}

/// The function has more stack nodes than a `u32` can index.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TooManyNodes;

/// Builds a [`PointStore`] one boundary at a time.
#[derive(Debug, Default)]
pub(crate) struct PointStoreBuilder {
    store: PointStore,
    /// The previous boundary's operand stack: (type, node index), bottom first.
    operands: Vec<(ValType, u32)>,
    /// The previous boundary's label stack: (label, node index), outermost first.
    labels: Vec<(Label, u32)>,
}

/// Makes `stack` hold `values`, reusing its longest equal prefix and adding nodes for the rest;
/// returns the top node's index.
fn share<T: Copy + PartialEq>(
    nodes: &mut Vec<Node<T>>,
    stack: &mut Vec<(T, u32)>,
    values: &[T],
) -> Result<u32, TooManyNodes> {
    let common = stack
        .iter()
        .zip(values)
        .take_while(|((old, _), new)| old == *new)
        .count();
    stack.truncate(common);
    for &value in values.get(common..).unwrap_or_default() {
        let parent = stack.last().map_or(ROOT, |&(_, node)| node);
        let index = u32::try_from(nodes.len())
            .ok()
            .filter(|&index| index != ROOT)
            .ok_or(TooManyNodes)?;
        nodes.push(Node { value, parent });
        stack.push((value, index));
    }
    Ok(stack.last().map_or(ROOT, |&(_, node)| node))
}

/// The values from the bottom node to `top`, bottom first.
fn unwind<T: Copy>(nodes: &[Node<T>], mut top: u32) -> Vec<T> {
    let mut values = Vec::new();
    while let Some(node) = nodes.get(top as usize) {
        values.push(node.value);
        top = node.parent;
    }
    values.reverse();
    values
}

impl PointStoreBuilder {
    /// Records the boundary at `pc` (which must be above every pc recorded so far).
    pub fn push(
        &mut self,
        pc: u32,
        reachable: bool,
        instr: InstrKind,
        operand_types: &[ValType],
        labels: &[Label],
    ) -> Result<(), TooManyNodes> {
        let operands = share(
            &mut self.store.operand_nodes,
            &mut self.operands,
            operand_types,
        )?;
        let labels = share(&mut self.store.label_nodes, &mut self.labels, labels)?;
        self.store.points.push(CompactPoint {
            pc,
            reachable,
            instr,
            operands,
            labels,
        });
        Ok(())
    }

    /// The finished store.
    pub fn finish(mut self) -> PointStore {
        self.store.operand_nodes.shrink_to_fit();
        self.store.label_nodes.shrink_to_fit();
        self.store.points.shrink_to_fit();
        self.store.materialized = (0..self.store.points.len())
            .map(|_| OnceLock::new())
            .collect();
        self.store
    }
}

impl PointStore {
    /// Number of boundaries.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// The pc of boundary `index`.
    pub fn pc(&self, index: usize) -> Option<u32> {
        self.points.get(index).map(|point| point.pc)
    }

    /// The position of the boundary at `pc`.
    pub fn index_of(&self, pc: u32) -> Option<usize> {
        self.points.binary_search_by_key(&pc, |point| point.pc).ok()
    }

    /// Boundary `index`, materialised on first use.
    pub fn get(&self, index: usize) -> Option<&PointInfo> {
        let point = self.points.get(index)?;
        let cell = self.materialized.get(index)?;
        Some(cell.get_or_init(|| {
            Box::new(PointInfo {
                pc: point.pc,
                reachable: point.reachable,
                operand_types: unwind(&self.operand_nodes, point.operands),
                labels: unwind(&self.label_nodes, point.labels),
                instr: point.instr,
            })
        }))
    }
}
