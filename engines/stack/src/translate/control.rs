//! The translator's control stack: one entry per open block/loop/if, used to resolve branch
//! targets once the block's `end` (or `else`) position is known.
//!
//! Invariant: `entries[0]` is the function body; forward jumps to a block are patched to the
//! position after its `end` (for the body: to the final `end` itself, which is translated to
//! `Return`; such jumps are marked `to_body`, and the executor runs that `Return` without an
//! instruction boundary of its own, since the final `end` is dead code when nothing falls through).

use crate::translate::instr::{Instr, Jump};

/// What opened a control entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlKind {
    /// The function body.
    Body,
    /// `block`.
    Block,
    /// `loop` (branches go back to its body).
    Loop,
    /// `if`, possibly with an `else` already seen.
    If,
}

/// One open control construct.
#[derive(Debug)]
pub struct ControlEntry {
    /// Kind.
    pub kind: ControlKind,
    /// Position of the `block`/`loop`/`if` instruction (0 for the body).
    pub start: u32,
    /// Jump table entries whose target is this entry's exit, to patch at `end`.
    pub pending_jumps: Vec<u32>,
    /// Position of the `if` or `else` instruction whose target is patched at `else`/`end`.
    pub pending_instr: Option<u32>,
}

/// The stack of open control constructs.
#[derive(Debug, Default)]
pub struct ControlStack {
    entries: Vec<ControlEntry>,
}

impl ControlStack {
    /// Opens a construct starting at instruction `start`.
    pub fn push(&mut self, kind: ControlKind, start: u32) {
        self.entries.push(ControlEntry {
            kind,
            start,
            pending_jumps: Vec::new(),
            pending_instr: None,
        });
    }

    /// The entry `depth` levels out (0 = innermost).
    pub fn get_mut(&mut self, depth: u32) -> Option<&mut ControlEntry> {
        let len = self.entries.len();
        let index = len.checked_sub(1)?.checked_sub(depth as usize)?;
        self.entries.get_mut(index)
    }

    /// The innermost entry.
    pub fn last_mut(&mut self) -> Option<&mut ControlEntry> {
        self.entries.last_mut()
    }

    /// Closes the innermost construct, whose `end` is at `end_pos`, patching everything that
    /// targeted its exit.
    pub fn close(&mut self, end_pos: u32, instrs: &mut [Instr], jumps: &mut [Jump]) {
        let Some(entry) = self.entries.pop() else {
            return;
        };
        let exit = if entry.kind == ControlKind::Body {
            // The body's final `end` returns from the function.
            if let Some(instr) = instrs.get_mut(end_pos as usize) {
                *instr = Instr::Return;
            }
            end_pos
        } else {
            end_pos + 1
        };
        for jump in entry.pending_jumps {
            if let Some(jump) = jumps.get_mut(jump as usize) {
                jump.target = exit;
            }
        }
        if let Some(pos) = entry.pending_instr {
            match instrs.get_mut(pos as usize) {
                Some(Instr::If { else_target }) => *else_target = exit,
                Some(Instr::Else { end_target }) => *end_target = exit,
                _ => {}
            }
        }
    }

    /// Records an `else` at `else_pos` for the innermost `if`: the `if`'s false branch continues
    /// after it, and the `else` instruction itself is patched at `end`.
    pub fn on_else(&mut self, else_pos: u32, instrs: &mut [Instr]) {
        let Some(entry) = self.entries.last_mut() else {
            return;
        };
        if let Some(pos) = entry.pending_instr.take() {
            if let Some(Instr::If { else_target }) = instrs.get_mut(pos as usize) {
                *else_target = else_pos + 1;
            }
        }
        entry.pending_instr = Some(else_pos);
    }
}
