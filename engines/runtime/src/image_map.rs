//! The store half of the image mapping, shared by every engine: memories, globals, tables,
//! dropped flags, and typed values (references included) to and from image values.
//!
//! Function references map to their index in the instance's function index space
//! ([`InstanceObjects::func_index`]); a reference to any other function cannot be imaged and is an
//! [`ImageError::ForeignFunction`]. Memories are cut into 4096-byte chunks with all-zero chunks
//! left out. Restoring overwrites imported objects too (the image is the instance's whole view);
//! an imported immutable global must already hold the image's value.

use std::any::Any;
use std::rc::Rc;

use baton_checkpoint::image::{self, value::Kind, CHUNK_SIZE};

use crate::config::Config;
use crate::error::ImageError;
use crate::objects::InstanceObjects;
use crate::stop::EventKind;
use crate::store::Memory;
use crate::value::{Val, ValType};

/// An [`ImageError::Mismatch`] at `place` (what of the image: a frame, an operand, ...).
pub fn mismatch(place: impl Into<String>, reason: impl Into<String>) -> ImageError {
    ImageError::Mismatch {
        place: place.into(),
        reason: reason.into(),
    }
}

/// A memory's image: its size, maximum and non-zero chunks.
pub fn memory_to_image(memory: &Memory) -> image::Memory {
    let chunks = memory
        .data()
        .chunks(CHUNK_SIZE)
        .enumerate()
        .filter(|(_, chunk)| chunk.iter().any(|&b| b != 0))
        .map(|(index, chunk)| image::Chunk {
            index: index as u64,
            data: chunk.to_vec(),
        })
        .collect();
    image::Memory {
        pages: memory.pages(),
        max_pages: memory.max(),
        chunks,
    }
}

/// Replaces a memory's contents with an image's. The maximum must match the memory's own.
pub fn memory_from_image(
    source: &image::Memory,
    memory: &mut Memory,
    place: &str,
) -> Result<(), ImageError> {
    if source.max_pages != memory.max() {
        return Err(mismatch(
            place,
            format!(
                "maximum {:?} pages differs from the memory's {:?}",
                source.max_pages,
                memory.max()
            ),
        ));
    }
    memory
        .reset(source.pages, source.max_pages)
        .ok_or_else(|| mismatch(place, format!("cannot allocate {} pages", source.pages)))?;
    for chunk in &source.chunks {
        let addr = chunk
            .index
            .checked_mul(CHUNK_SIZE as u64)
            .ok_or_else(|| mismatch(place, format!("chunk {} out of range", chunk.index)))?;
        memory
            .write(addr, &chunk.data)
            .map_err(|_| mismatch(place, format!("chunk {} out of range", chunk.index)))?;
    }
    Ok(())
}

impl InstanceObjects {
    /// A value's image. `place` names where it was found, for errors.
    pub fn val_to_image(
        &self,
        value: &Val,
        this: &Rc<dyn Any>,
        place: &dyn Fn() -> String,
    ) -> Result<image::Value, ImageError> {
        let kind = match value {
            Val::I32(v) => Kind::I32(*v as u32),
            Val::I64(v) => Kind::I64(*v as u64),
            Val::F32(bits) => Kind::F32(*bits),
            Val::F64(bits) => Kind::F64(*bits),
            Val::ExternRef(handle) => Kind::Externref(image::ExternRef { handle: *handle }),
            Val::FuncRef(None) => Kind::Funcref(image::FuncRef { index: None }),
            Val::FuncRef(Some(func)) => {
                let index =
                    self.func_index(func, this)
                        .ok_or_else(|| ImageError::ForeignFunction {
                            place: place(),
                            func: format!("{func:?}"),
                        })?;
                Kind::Funcref(image::FuncRef { index: Some(index) })
            }
        };
        Ok(image::Value { kind: Some(kind) })
    }

    /// A value from its image, which must have type `expected`.
    pub fn val_from_image(
        &self,
        value: &image::Value,
        expected: ValType,
        this: &Rc<dyn Any>,
        place: &dyn Fn() -> String,
    ) -> Result<Val, ImageError> {
        let val = match (&value.kind, expected) {
            (Some(Kind::I32(v)), ValType::I32) => Val::I32(*v as i32),
            (Some(Kind::I64(v)), ValType::I64) => Val::I64(*v as i64),
            (Some(Kind::F32(v)), ValType::F32) => Val::F32(*v),
            (Some(Kind::F64(v)), ValType::F64) => Val::F64(*v),
            (Some(Kind::Externref(r)), ValType::ExternRef) => Val::ExternRef(r.handle),
            (Some(Kind::Funcref(r)), ValType::FuncRef) => match r.index {
                None => Val::FuncRef(None),
                Some(index) => Val::FuncRef(Some(self.func_ref(index, this).ok_or_else(|| {
                    mismatch(place(), format!("function index {index} out of range"))
                })?)),
            },
            (kind, _) => {
                return Err(mismatch(
                    place(),
                    format!("expected a {expected} value, found {kind:?}"),
                ))
            }
        };
        Ok(val)
    }

    /// Fills the image's memories, globals, tables and dropped flags from the store.
    pub fn store_to_image(
        &self,
        image: &mut image::Image,
        this: &Rc<dyn Any>,
    ) -> Result<(), ImageError> {
        image.memories = self
            .memories
            .iter()
            .map(|memory| memory_to_image(&memory.borrow()))
            .collect();
        image.globals = self
            .globals
            .iter()
            .enumerate()
            .map(|(i, global)| {
                self.val_to_image(global.borrow().get(), this, &|| format!("global {i}"))
            })
            .collect::<Result<_, _>>()?;
        image.tables = Vec::with_capacity(self.tables.len());
        for (t, table) in self.tables.iter().enumerate() {
            let table = table.borrow();
            let elements = table
                .elements()
                .iter()
                .enumerate()
                .map(|(e, value)| {
                    self.val_to_image(value, this, &|| format!("table {t} element {e}"))
                })
                .collect::<Result<_, _>>()?;
            image.tables.push(image::Table {
                elements,
                max: table.max(),
            });
        }
        image.dropped_data = self.dropped_data.iter().map(|f| f.get()).collect();
        image.dropped_elements = self.dropped_elements.iter().map(|f| f.get()).collect();
        Ok(())
    }

    /// Overwrites the store from the image's memories, globals, tables and dropped flags.
    pub fn store_from_image(
        &self,
        image: &image::Image,
        this: &Rc<dyn Any>,
    ) -> Result<(), ImageError> {
        let counts = [
            ("memories", image.memories.len(), self.memories.len()),
            ("globals", image.globals.len(), self.globals.len()),
            ("tables", image.tables.len(), self.tables.len()),
            (
                "data segments",
                image.dropped_data.len(),
                self.dropped_data.len(),
            ),
            (
                "element segments",
                image.dropped_elements.len(),
                self.dropped_elements.len(),
            ),
        ];
        for (what, found, expected) in counts {
            if found != expected {
                return Err(mismatch(
                    "image",
                    format!("{found} {what}, the module has {expected}"),
                ));
            }
        }
        for (i, (source, memory)) in image.memories.iter().zip(&self.memories).enumerate() {
            memory_from_image(source, &mut memory.borrow_mut(), &format!("memory {i}"))?;
        }
        for (i, (source, global)) in image.globals.iter().zip(&self.globals).enumerate() {
            let place = || format!("global {i}");
            let ty = global.borrow().ty();
            let value = self.val_from_image(source, ty.content, this, &place)?;
            let imported = i < self.info.num_imported_globals as usize;
            if imported && !ty.mutable {
                if *global.borrow().get() != value {
                    return Err(mismatch(
                        place(),
                        "differs from the imported immutable global",
                    ));
                }
            } else {
                global.borrow_mut().set(value);
            }
        }
        for (t, (source, table)) in image.tables.iter().zip(&self.tables).enumerate() {
            let elem = table.borrow().elem();
            if source.max != table.borrow().max() {
                return Err(mismatch(
                    format!("table {t}"),
                    "maximum differs from the table's",
                ));
            }
            let elements = source
                .elements
                .iter()
                .enumerate()
                .map(|(e, value)| {
                    self.val_from_image(value, elem.val_type(), this, &|| {
                        format!("table {t} element {e}")
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            table.borrow_mut().reset(elements, source.max);
        }
        for (flag, &dropped) in self.dropped_data.iter().zip(&image.dropped_data) {
            flag.set(dropped);
        }
        for (flag, &dropped) in self.dropped_elements.iter().zip(&image.dropped_elements) {
            flag.set(dropped);
        }
        Ok(())
    }
}

/// What every engine's rebuild of an image's execution starts from, after the checks every
/// engine makes: the stop, the invoked function and its arguments.
#[derive(Clone, Debug)]
pub struct ExecutionEntry {
    /// The stop's kind (never [`EventKind::Any`] from [`execution_entry`]).
    pub kind: EventKind,
    /// The stop's event number.
    pub event: u64,
    /// The invoked function.
    pub func: u32,
    /// Its arguments.
    pub args: Vec<Val>,
}

/// Checks the parts of an image's execution that do not depend on an engine's native state
/// and decodes them: a safe point of a main kind (`engine`, which restores only those, is
/// named in the error), an entry function of the module with arguments of its parameter
/// types, and 1 to `config.max_frames` frames of which the outermost is the entry function's.
pub fn execution_entry(
    objects: &InstanceObjects,
    this: &Rc<dyn Any>,
    source: &image::Execution,
    config: Config,
    engine: &str,
) -> Result<ExecutionEntry, ImageError> {
    let entry = any_execution_entry(objects, this, source, config)?;
    if entry.kind == EventKind::Any {
        return Err(mismatch(
            "execution",
            format!("{engine} restores only at entry, loop, call and return safe points"),
        ));
    }
    Ok(entry)
}

/// [`execution_entry`] for an engine that also restores at [`EventKind::Any`] safe points:
/// the same checks (frame count within `config.max_frames` included) on a stop of any kind.
pub fn any_execution_entry(
    objects: &InstanceObjects,
    this: &Rc<dyn Any>,
    source: &image::Execution,
    config: Config,
) -> Result<ExecutionEntry, ImageError> {
    let safe_point = source
        .safe_point
        .ok_or_else(|| mismatch("execution", "no safe point"))?;
    let kind = EventKind::from_image_number(safe_point.kind)
        .ok_or_else(|| mismatch("execution", "unknown safe-point kind"))?;
    let entry = source
        .entry
        .as_ref()
        .ok_or_else(|| mismatch("execution", "no entry"))?;
    let entry_type = objects
        .info
        .func_type(entry.func)
        .ok_or_else(|| mismatch("entry", format!("no function {}", entry.func)))?;
    if entry.args.len() != entry_type.params.len() {
        return Err(mismatch("entry", "wrong number of arguments"));
    }
    let args = entry
        .args
        .iter()
        .zip(entry_type.params.iter())
        .enumerate()
        .map(|(i, (value, ty))| {
            objects.val_from_image(value, *ty, this, &|| format!("entry argument {i}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if source.frames.is_empty() {
        return Err(mismatch("execution", "no frames"));
    }
    if source.frames.len() > config.max_frames {
        return Err(mismatch("execution", "more frames than max_frames"));
    }
    if source.frames.first().map(|f| f.func) != Some(entry.func) {
        return Err(mismatch("frame 0", "is not the entry function"));
    }
    Ok(ExecutionEntry {
        kind,
        event: safe_point.event,
        func: entry.func,
        args,
    })
}
