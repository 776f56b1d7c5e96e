//! A line-oriented text view of an image, for people and diffs.
//!
//! One item per line, in image order, with no maps, timestamps or floating-point formatting, so
//! the same image always prints the same text. Memory and host-section bytes are shown as rows of
//! 32 bytes (`0x<address> <64 hex digits>`); rows whose bytes are all zero are omitted. Example:
//!
//! ```text
//! baton image format 1
//! module sha256 9f86d081...
//! memory 0 pages 1 max none chunks 1
//!   chunk 0
//!     0x00000000 2a00000000000000000000000000000000000000000000000000000000000000
//! global[0] i32 0x0000002a
//! execution
//! entry func 1 args 1
//!   arg[0] i32 0x00000005
//! safe point call event 3
//! frame 0 func 1 pc 0x1c
//!   local[0] i32 0x00000005
//!   operand[0] i64 0x0000000000000007
//!   label[0] block start 0x0 height 0 arity 1
//! ```

use std::fmt::Write;

use crate::codec::FORMAT_VERSION;
use crate::image::{Image, SafePointKind, CHUNK_SIZE};
use crate::memory::is_zero;
use crate::validate::label_text;

/// Bytes per hex row.
const ROW: usize = 32;

/// The text view of `image`.
pub fn to_text(image: &Image) -> String {
    let mut out = String::new();
    // Writing to a `String` cannot fail, so the results of `writeln!` are ignored below.
    let _ = writeln!(out, "baton image format {FORMAT_VERSION}");
    let _ = writeln!(out, "module sha256 {}", hex::encode(&image.module_sha256));
    for (index, memory) in image.memories.iter().enumerate() {
        let _ = writeln!(
            out,
            "memory {index} pages {} max {} chunks {}",
            memory.pages,
            optional(memory.max_pages),
            memory.chunks.len()
        );
        for chunk in &memory.chunks {
            let _ = writeln!(out, "  chunk {}", chunk.index);
            let base = chunk.index.saturating_mul(CHUNK_SIZE as u64);
            hex_rows(&mut out, "    ", base, &chunk.data);
        }
    }
    for (index, value) in image.globals.iter().enumerate() {
        let _ = writeln!(out, "global[{index}] {value}");
    }
    for (index, table) in image.tables.iter().enumerate() {
        let _ = writeln!(
            out,
            "table {index} size {} max {}",
            table.elements.len(),
            optional(table.max)
        );
        for (element, value) in table.elements.iter().enumerate() {
            let _ = writeln!(out, "  element[{element}] {value}");
        }
    }
    for (index, dropped) in image.dropped_data.iter().enumerate() {
        let _ = writeln!(out, "data[{index}] {}", dropped_text(*dropped));
    }
    for (index, dropped) in image.dropped_elements.iter().enumerate() {
        let _ = writeln!(out, "elem[{index}] {}", dropped_text(*dropped));
    }
    for section in &image.host_sections {
        let _ = writeln!(
            out,
            "host section {:?} bytes {}",
            section.name,
            section.data.len()
        );
        hex_rows(&mut out, "  ", 0, &section.data);
    }
    let Some(execution) = &image.execution else {
        let _ = writeln!(out, "idle");
        return out;
    };
    let _ = writeln!(out, "execution");
    if let Some(entry) = &execution.entry {
        let _ = writeln!(out, "entry func {} args {}", entry.func, entry.args.len());
        for (index, value) in entry.args.iter().enumerate() {
            let _ = writeln!(out, "  arg[{index}] {value}");
        }
    }
    if let Some(safe_point) = &execution.safe_point {
        let kind = match SafePointKind::try_from(safe_point.kind) {
            Ok(SafePointKind::Entry) => "entry".to_string(),
            Ok(SafePointKind::Loop) => "loop".to_string(),
            Ok(SafePointKind::Call) => "call".to_string(),
            Ok(SafePointKind::Return) => "return".to_string(),
            Ok(SafePointKind::Any) => "any".to_string(),
            _ => format!("kind({})", safe_point.kind),
        };
        let _ = writeln!(out, "safe point {kind} event {}", safe_point.event);
    }
    for (index, frame) in execution.frames.iter().enumerate() {
        let _ = writeln!(out, "frame {index} func {} pc {:#x}", frame.func, frame.pc);
        for (slot, value) in frame.locals.iter().enumerate() {
            let _ = writeln!(out, "  local[{slot}] {value}");
        }
        for (slot, value) in frame.operands.iter().enumerate() {
            let _ = writeln!(out, "  operand[{slot}] {value}");
        }
        for (slot, label) in frame.labels.iter().enumerate() {
            let _ = writeln!(out, "  label[{slot}] {}", label_text(label));
        }
    }
    out
}

fn optional(value: Option<u64>) -> String {
    value.map_or_else(|| "none".to_string(), |value| value.to_string())
}

fn dropped_text(dropped: bool) -> &'static str {
    if dropped {
        "dropped"
    } else {
        "kept"
    }
}

/// Appends `bytes` as rows of [`ROW`] bytes labelled with their address (`base` + offset),
/// skipping all-zero rows.
fn hex_rows(out: &mut String, indent: &str, base: u64, bytes: &[u8]) {
    for (row, piece) in bytes.chunks(ROW).enumerate() {
        if is_zero(piece) {
            continue;
        }
        let address = base.saturating_add((row * ROW) as u64);
        let _ = writeln!(out, "{indent}{address:#010x} {}", hex::encode(piece));
    }
}
