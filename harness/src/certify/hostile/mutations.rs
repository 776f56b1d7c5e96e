//! Hostile images derived from a real one: truncated encodings, single-bit flips, and
//! type-confused images (well-formed messages whose contents contradict the module: wrong
//! value types, pcs inside an instruction or past the body, frames that do not fit their
//! function, too many frames, memories and tables that do not fit, a foreign module hash, ...).
//!
//! Invariants: the mutants of an image are a pure function of the image, its module and the
//! seed, in a fixed order; every type-confused mutant differs from the original (a mutation that
//! does not apply is left out, never offered unchanged).

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::codec::encode;
use baton_checkpoint::image::{
    value::Kind, Chunk, Frame, FuncRef, Image, Label, LabelKind, SafePointKind, Value,
};

use crate::fuzz::rng::SplitMix64;

/// How a hostile image was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// The encoding cut short.
    Truncated,
    /// One bit of the encoding flipped.
    BitFlipped,
    /// A well-formed image whose contents contradict the module.
    TypeConfused,
}

impl Family {
    /// Every family, in report order.
    pub const ALL: [Family; 3] = [Family::Truncated, Family::BitFlipped, Family::TypeConfused];

    /// The family's name.
    pub fn name(self) -> &'static str {
        match self {
            Family::Truncated => "truncated",
            Family::BitFlipped => "bit-flipped",
            Family::TypeConfused => "type-confused",
        }
    }
}

/// What is offered: encoded bytes (decoded by the harness's codec first), or an image.
#[derive(Clone, Debug)]
pub enum Offer {
    /// Bytes of a damaged encoding.
    Bytes(Vec<u8>),
    /// A decoded, well-formed image.
    Image(Box<Image>),
}

/// One hostile image.
#[derive(Clone, Debug)]
pub struct Mutant {
    /// Its family.
    pub family: Family,
    /// What was done (`truncated at 17 of 230 bytes`, `operand type i32 -> i64`, ...).
    pub label: String,
    /// The image or bytes.
    pub offer: Offer,
}

/// Sizes of one image's mutant set.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Truncated copies.
    pub truncations: usize,
    /// Bit-flipped copies.
    pub bit_flips: usize,
}

/// Every mutant of `image` (taken on `analysis`'s module).
pub fn mutants(image: &Image, analysis: &ModuleAnalysis, sizes: Sizes, seed: u64) -> Vec<Mutant> {
    let bytes = encode(image);
    let mut rng = SplitMix64::new(seed);
    let mut out = Vec::new();
    let len = bytes.len();
    for i in 0..sizes.truncations {
        // Evenly spaced cuts, always including the empty and the one-byte-short encoding.
        let cut = match i {
            0 => 0,
            1 => len.saturating_sub(1),
            _ => (i * len) / sizes.truncations.max(1),
        };
        out.push(Mutant {
            family: Family::Truncated,
            label: format!("truncated at {cut} of {len} bytes"),
            offer: Offer::Bytes(bytes[..cut.min(len)].to_vec()),
        });
    }
    for _ in 0..sizes.bit_flips {
        if len == 0 {
            break;
        }
        let bit = rng.below(len as u64 * 8);
        let mut flipped = bytes.clone();
        flipped[(bit / 8) as usize] ^= 1 << (bit % 8);
        out.push(Mutant {
            family: Family::BitFlipped,
            label: format!("bit {} of byte {} flipped", bit % 8, bit / 8),
            offer: Offer::Bytes(flipped),
        });
    }
    for (label, mutate) in CONFUSIONS {
        let mut copy = image.clone();
        if mutate(&mut copy, analysis) && copy != *image {
            out.push(Mutant {
                family: Family::TypeConfused,
                label: (*label).to_string(),
                offer: Offer::Image(Box::new(copy)),
            });
        }
    }
    out
}

/// A type confusion: changes the image, returns whether it applied.
type Confusion = fn(&mut Image, &ModuleAnalysis) -> bool;

/// Every type confusion, by name.
const CONFUSIONS: &[(&str, Confusion)] = &[
    ("innermost operand of the wrong type", |i, _| {
        innermost(i).is_some_and(|f| f.operands.last_mut().is_some_and(retype))
    }),
    ("first local of the wrong type", |i, _| {
        innermost(i).is_some_and(|f| f.locals.first_mut().is_some_and(retype))
    }),
    ("global of the wrong type", |i, _| {
        i.globals.first_mut().is_some_and(retype)
    }),
    ("entry argument of the wrong type", |i, _| {
        i.execution
            .as_mut()
            .and_then(|e| e.entry.as_mut())
            .is_some_and(|entry| entry.args.first_mut().is_some_and(retype))
    }),
    ("value with no type at all", |i, _| {
        innermost(i).is_some_and(|f| match f.locals.first_mut() {
            Some(local) => {
                local.kind = None;
                true
            }
            None => false,
        })
    }),
    ("pc inside an instruction", pc_inside_instruction),
    ("pc past the end of the body", |i, _| {
        innermost(i).is_some_and(|f| {
            f.pc = f.pc.saturating_add(1_000_000);
            true
        })
    }),
    ("outer frame's pc not at a call", |i, a| {
        let Some(execution) = i.execution.as_mut() else {
            return false;
        };
        let count = execution.frames.len();
        match execution.frames.first_mut() {
            Some(outer) if count > 1 => {
                let first = a.function(outer.func).map_or(0, |f| f.first_pc());
                outer.pc = first;
                true
            }
            _ => false,
        }
    }),
    ("frame of a function that does not exist", |i, _| {
        innermost(i).is_some_and(|f| {
            f.func = 1_000_000;
            true
        })
    }),
    ("frame of an imported function", |i, a| {
        a.imported_func_count() > 0
            && innermost(i).is_some_and(|f| {
                f.func = 0;
                true
            })
    }),
    ("frame of another function", |i, a| {
        let count = a.func_count();
        let first = a.imported_func_count();
        innermost(i).is_some_and(|f| {
            let other = first + (f.func + 1 - first) % (count - first).max(1);
            let changed = other != f.func;
            f.func = other;
            changed
        })
    }),
    ("100000 extra operands", |i, _| {
        innermost(i).is_some_and(|f| {
            f.operands.extend((0..100_000).map(|n| Value {
                kind: Some(Kind::I32(n)),
            }));
            true
        })
    }),
    ("operands missing", |i, _| {
        innermost(i).is_some_and(|f| f.operands.drain(..).count() > 0)
    }),
    ("locals missing", |i, _| {
        innermost(i).is_some_and(|f| f.locals.pop().is_some())
    }),
    ("an extra local", |i, _| {
        innermost(i).is_some_and(|f| {
            f.locals.push(Value {
                kind: Some(Kind::I64(7)),
            });
            true
        })
    }),
    ("no labels", |i, _| {
        innermost(i).is_some_and(|f| f.labels.drain(..).count() > 0)
    }),
    ("a label that does not fit", |i, _| {
        innermost(i).is_some_and(|f| {
            f.labels.push(Label {
                kind: LabelKind::Loop as i32,
                start: u32::MAX,
                height: 10_000,
                arity: 1_000,
            });
            true
        })
    }),
    ("label of an unspecified kind", |i, _| {
        innermost(i).is_some_and(|f| match f.labels.last_mut() {
            Some(label) => {
                label.kind = LabelKind::Unspecified as i32;
                true
            }
            None => false,
        })
    }),
    ("2048 frames (more than max_frames)", |i, _| {
        let Some(execution) = i.execution.as_mut() else {
            return false;
        };
        let Some(last) = execution.frames.last().cloned() else {
            return false;
        };
        while execution.frames.len() < 2048 {
            execution.frames.push(last.clone());
        }
        true
    }),
    ("execution with no frames", |i, _| {
        i.execution
            .as_mut()
            .is_some_and(|e| e.frames.drain(..).count() > 0)
    }),
    ("safe point of an unspecified kind", |i, _| {
        i.execution
            .as_mut()
            .and_then(|e| e.safe_point.as_mut())
            .is_some_and(|p| {
                p.kind = SafePointKind::Unspecified as i32;
                true
            })
    }),
    ("safe point of an unknown kind number", |i, _| {
        i.execution
            .as_mut()
            .and_then(|e| e.safe_point.as_mut())
            .is_some_and(|p| {
                p.kind = 99;
                true
            })
    }),
    ("event number at the end of the counter", |i, _| {
        i.execution
            .as_mut()
            .and_then(|e| e.safe_point.as_mut())
            .is_some_and(|p| {
                p.event = u64::MAX;
                true
            })
    }),
    ("memory larger than its maximum", |i, _| {
        i.memories.first_mut().is_some_and(|m| {
            m.pages = m.max_pages.unwrap_or(65_536).saturating_add(1);
            true
        })
    }),
    ("memory chunk beyond the memory", |i, _| {
        i.memories.first_mut().is_some_and(|m| {
            m.chunks.push(Chunk {
                index: u64::MAX / 2,
                data: vec![1; 4096],
            });
            true
        })
    }),
    ("memory chunk of 3 bytes", |i, _| {
        i.memories.first_mut().is_some_and(|m| {
            m.chunks.insert(
                0,
                Chunk {
                    index: 0,
                    data: vec![1, 2, 3],
                },
            );
            m.chunks.dedup_by_key(|c| c.index);
            true
        })
    }),
    (
        "table element naming a function that does not exist",
        |i, _| {
            i.tables
                .first_mut()
                .is_some_and(|t| match t.elements.first_mut() {
                    Some(element) => {
                        element.kind = Some(Kind::Funcref(FuncRef {
                            index: Some(1_000_000),
                        }));
                        true
                    }
                    None => false,
                })
        },
    ),
    ("table element of a number type", |i, _| {
        i.tables
            .first_mut()
            .is_some_and(|t| match t.elements.first_mut() {
                Some(element) => {
                    element.kind = Some(Kind::I32(1));
                    true
                }
                None => false,
            })
    }),
    ("a global missing", |i, _| i.globals.pop().is_some()),
    ("an extra global", |i, _| {
        i.globals.push(Value {
            kind: Some(Kind::I32(1)),
        });
        true
    }),
    ("an extra table", |i, _| {
        i.tables.push(baton_checkpoint::image::Table {
            elements: vec![Value {
                kind: Some(Kind::Funcref(FuncRef { index: None })),
            }],
            max: Some(1),
        });
        true
    }),
    ("an extra dropped-data flag", |i, _| {
        i.dropped_data.push(true);
        true
    }),
    ("image of another module (hash changed)", |i, _| {
        i.module_sha256.first_mut().is_some_and(|b| {
            *b ^= 0xFF;
            true
        })
    }),
];

/// The innermost frame of a suspended image.
fn innermost(image: &mut Image) -> Option<&mut Frame> {
    image.execution.as_mut().and_then(|e| e.frames.last_mut())
}

/// Gives a value another type with the same bits (references become i32).
fn retype(value: &mut Value) -> bool {
    let next = match value.kind.take() {
        Some(Kind::I32(v)) => Kind::I64(u64::from(v)),
        Some(Kind::I64(v)) => Kind::F64(v),
        Some(Kind::F32(v)) => Kind::I32(v),
        Some(Kind::F64(v)) => Kind::I64(v),
        Some(Kind::Funcref(_) | Kind::Externref(_) | Kind::V128(_)) | None => Kind::I32(0),
    };
    value.kind = Some(next);
    true
}

/// Moves the innermost pc one byte into a multi-byte instruction of its function (the first one
/// at or after the pc, else the first in the body).
fn pc_inside_instruction(image: &mut Image, analysis: &ModuleAnalysis) -> bool {
    let Some(frame) = innermost(image) else {
        return false;
    };
    let Some(function) = analysis.function(frame.func) else {
        return false;
    };
    let pcs: Vec<u32> = function.points().map(|p| p.pc).collect();
    let multi_byte: Vec<u32> = pcs
        .windows(2)
        .filter(|w| w[1] > w[0] + 1)
        .map(|w| w[0] + 1)
        .collect();
    let inside = multi_byte
        .iter()
        .find(|pc| **pc > frame.pc)
        .or(multi_byte.first());
    match inside {
        Some(pc) => {
            frame.pc = *pc;
            true
        }
        None => false,
    }
}
