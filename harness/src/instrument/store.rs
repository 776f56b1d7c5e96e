//! The store half of an instrumented instance's image, read and written through the state
//! helpers the instrumentation exports (never through the module's own code or memory), and
//! value conversions between the wrapped engine and the image.

use baton_checkpoint::analysis::ModuleAnalysis;
use baton_checkpoint::image::{self, value::Kind, Chunk, Execution, Image, CHUNK_SIZE};
use baton_checkpoint::EventKind;
use baton_engine::{EngineError, ExternKind, InstanceId, Value};
use baton_instrument::{names, Meta, SegmentOffset};
use wasmparser::{ExternalKind, Parser, Payload};

use super::frames::{SavedFrame, Suspended};
use super::Session;

const PAGE: usize = 65536;

/// The original module's exports: name, kind, index.
pub fn read_exports(wasm: &[u8]) -> Result<Vec<(String, ExternKind, u32)>, String> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::ExportSection(reader) = payload.map_err(|e| e.to_string())? {
            for export in reader {
                let export = export.map_err(|e| e.to_string())?;
                let kind = match export.kind {
                    ExternalKind::Func | ExternalKind::FuncExact => ExternKind::Func,
                    ExternalKind::Table => ExternKind::Table,
                    ExternalKind::Memory => ExternKind::Memory,
                    ExternalKind::Global => ExternKind::Global,
                    ExternalKind::Tag => continue,
                };
                out.push((export.name.to_string(), kind, export.index));
            }
        }
    }
    Ok(out)
}

/// A value's image; function references through `index` (none: not imageable).
pub fn value_to_image(
    value: &Value,
    index: impl Fn(&Value) -> Option<u32>,
) -> Result<image::Value, EngineError> {
    let kind = match value {
        Value::I32(v) => Kind::I32(*v as u32),
        Value::I64(v) => Kind::I64(*v as u64),
        Value::F32(bits) => Kind::F32(*bits),
        Value::F64(bits) => Kind::F64(*bits),
        Value::ExternRef(handle) => Kind::Externref(image::ExternRef { handle: *handle }),
        Value::FuncRef(None) => Kind::Funcref(image::FuncRef { index: None }),
        Value::FuncRef(Some(_)) => {
            let index = index(value).ok_or_else(|| {
                EngineError::NotImageable(
                    "a function reference (the wrapped engine does not tell function identities)"
                        .into(),
                )
            })?;
            Kind::Funcref(image::FuncRef { index: Some(index) })
        }
    };
    Ok(image::Value { kind: Some(kind) })
}

/// A value from its image; function `k` is the instance's export of it.
fn value_from_image(
    session: &Session,
    id: InstanceId,
    value: &image::Value,
) -> Result<Value, EngineError> {
    Ok(match &value.kind {
        Some(Kind::I32(v)) => Value::I32(*v as i32),
        Some(Kind::I64(v)) => Value::I64(*v as i64),
        Some(Kind::F32(v)) => Value::F32(*v),
        Some(Kind::F64(v)) => Value::F64(*v),
        Some(Kind::Externref(r)) => Value::ExternRef(r.handle),
        Some(Kind::Funcref(image::FuncRef { index: None })) => Value::FuncRef(None),
        Some(Kind::Funcref(image::FuncRef { index: Some(k) })) => {
            let handle = session.helper_handle(id, &names::func(*k))?;
            Value::FuncRef(Some(handle.id))
        }
        other => {
            return Err(EngineError::Restore(format!(
                "unsupported image value {other:?}"
            )))
        }
    })
}

fn values_from_image(
    session: &Session,
    id: InstanceId,
    values: &[image::Value],
) -> Result<Vec<Value>, EngineError> {
    values
        .iter()
        .map(|v| value_from_image(session, id, v))
        .collect()
}

/// Memories, globals, tables and dropped flags of the instance.
pub fn store_image(session: &mut Session, id: InstanceId) -> Result<Image, EngineError> {
    let module = session.module_of(id)?;
    let analysis = module.analysis.clone();
    let meta = module.meta.clone();
    let mut image = Image {
        module_sha256: analysis.module_sha256().to_vec(),
        ..Image::default()
    };
    for i in 0..analysis.memories().len() {
        let handle = session.helper_handle(id, &names::memory(i))?;
        let data = session.inner.memory_data(handle)?;
        let chunks = data
            .chunks(CHUNK_SIZE)
            .enumerate()
            .filter(|(_, chunk)| chunk.iter().any(|b| *b != 0))
            .map(|(index, chunk)| Chunk {
                index: index as u64,
                data: chunk.to_vec(),
            })
            .collect();
        image.memories.push(image::Memory {
            pages: (data.len() / PAGE) as u64,
            max_pages: session.instance(id)?.memory_max.get(i).copied().flatten(),
            chunks,
        });
    }
    let (globals, _) = session.helper(id, names::GLOBALS_SAVE, &[], Vec::new())?;
    image.globals = session.values_to_image(id, &globals)?;
    if meta.mvp {
        image.tables = mvp_tables(&analysis, &meta, &globals, |t| {
            session
                .instance(id)
                .map(|i| i.table_max.get(t).copied().flatten())
        })?;
    }
    let tables = if meta.mvp { 0 } else { analysis.tables().len() };
    for t in 0..tables {
        let (elements, _) = session.helper(id, &names::table_save(t), &[], Vec::new())?;
        image.tables.push(image::Table {
            elements: session.values_to_image(id, &elements)?,
            max: session.instance(id)?.table_max.get(t).copied().flatten(),
        });
    }
    let (flags, _) = session.helper(id, names::DROPPED_SAVE, &[], Vec::new())?;
    let mut flags = flags.into_iter().map(|v| v != Value::I32(0));
    image.dropped_data = meta
        .data_passive
        .iter()
        .map(|passive| !passive || flags.next().unwrap_or(false))
        .collect();
    image.dropped_elements = meta
        .elem_passive
        .iter()
        .map(|passive| !passive || flags.next().unwrap_or(false))
        .collect();
    Ok(image)
}

/// The tables of an instance of an MVP-rewritten module: nothing in it can change a table
/// after instantiation (`Options::mvp` refuses every module where something could), so each
/// table holds its declared minimum of nulls overwritten by the active element segments, in
/// order (`globals`: the instance's globals, for segment offsets read from a global).
fn mvp_tables(
    analysis: &ModuleAnalysis,
    meta: &Meta,
    globals: &[Value],
    max: impl Fn(usize) -> Result<Option<u64>, EngineError>,
) -> Result<Vec<image::Table>, EngineError> {
    let null = image::Value {
        kind: Some(Kind::Funcref(image::FuncRef { index: None })),
    };
    let mut tables = Vec::new();
    for (t, table) in analysis.tables().iter().enumerate() {
        let size = usize::try_from(table.initial).map_err(restore_error)?;
        tables.push(image::Table {
            elements: vec![null.clone(); size],
            max: max(t)?,
        });
    }
    for (s, segment) in meta.table_segments.iter().enumerate() {
        let start = match segment.offset {
            SegmentOffset::Const(offset) => offset,
            SegmentOffset::Global(g) => match globals.get(g as usize) {
                Some(Value::I32(offset)) => *offset as u32,
                other => {
                    return Err(EngineError::Other(format!(
                        "element segment {s}: offset global {g} holds {other:?}"
                    )))
                }
            },
        };
        let elements = tables
            .get_mut(segment.table as usize)
            .map(|table| &mut table.elements)
            .ok_or_else(|| {
                EngineError::Other(format!("element segment {s}: no table {}", segment.table))
            })?;
        for (i, func) in segment.funcs.iter().enumerate() {
            let slot = (start as usize)
                .checked_add(i)
                .and_then(|at| elements.get_mut(at))
                .ok_or_else(|| {
                    EngineError::Other(format!(
                        "element segment {s} does not fit table {} (instantiation would trap)",
                        segment.table
                    ))
                })?;
            *slot = image::Value {
                kind: Some(Kind::Funcref(image::FuncRef { index: Some(*func) })),
            };
        }
    }
    Ok(tables)
}

fn restore_error(what: impl std::fmt::Display) -> EngineError {
    EngineError::Restore(what.to_string())
}

/// Overwrites the instance's store from the image (already validated against the module).
pub fn restore_store(
    session: &mut Session,
    id: InstanceId,
    image: &Image,
) -> Result<(), EngineError> {
    let module = session.module_of(id)?;
    let analysis = module.analysis.clone();
    let meta = module.meta.clone();
    for (i, memory) in image.memories.iter().enumerate() {
        let max = session.instance(id)?.memory_max.get(i).copied().flatten();
        if memory.max_pages != max {
            return Err(restore_error(format!("memory {i}: maximum differs")));
        }
        let pages = i32::try_from(memory.pages).map_err(restore_error)?;
        let (_, result) = session.helper(
            id,
            &names::memory_resize(i),
            &[Value::I32(pages)],
            Vec::new(),
        )?;
        if result != [Value::I32(0)] {
            return Err(restore_error(format!(
                "memory {i}: cannot resize to {pages} pages"
            )));
        }
        for chunk in &memory.chunks {
            let words = chunk
                .data
                .chunks(8)
                .map(|w| Value::I64(i64::from_le_bytes(w.try_into().unwrap_or([0; 8]))))
                .collect();
            let addr = i32::try_from(chunk.index * CHUNK_SIZE as u64).map_err(restore_error)?;
            session.helper(id, &names::memory_fill(i), &[Value::I32(addr)], words)?;
        }
    }
    let (current, _) = session.helper(id, names::GLOBALS_SAVE, &[], Vec::new())?;
    let mut queue = Vec::new();
    for (g, (ty, value)) in analysis.globals().iter().zip(&image.globals).enumerate() {
        let value = value_from_image(session, id, value)?;
        if ty.mutable {
            queue.push(value);
        } else if current
            .get(g)
            .is_some_and(|c| !c.same_across_engines(&value))
        {
            return Err(restore_error(format!("immutable global {g} differs")));
        }
    }
    session.helper(id, names::GLOBALS_LOAD, &[], queue)?;
    if meta.mvp {
        // The rewrite cannot write tables: the image's must be the ones the segments built.
        let expected = mvp_tables(&analysis, &meta, &current, |t| {
            session
                .instance(id)
                .map(|i| i.table_max.get(t).copied().flatten())
        })?;
        for (t, (table, expected)) in image.tables.iter().zip(&expected).enumerate() {
            if table != expected {
                return Err(restore_error(format!(
                    "table {t}: the image's elements or maximum differ from what the element \
                     segments put there (the MVP rewrite cannot write tables)"
                )));
            }
        }
    }
    let tables = if meta.mvp { &[][..] } else { &image.tables[..] };
    for (t, table) in tables.iter().enumerate() {
        let max = session.instance(id)?.table_max.get(t).copied().flatten();
        if table.max != max {
            return Err(restore_error(format!("table {t}: maximum differs")));
        }
        let elements = values_from_image(session, id, &table.elements)?;
        let size = i32::try_from(elements.len()).map_err(restore_error)?;
        let (_, result) =
            session.helper(id, &names::table_load(t), &[Value::I32(size)], elements)?;
        if result != [Value::I32(0)] {
            return Err(restore_error(format!(
                "table {t}: cannot resize to {size} (a table cannot shrink)"
            )));
        }
    }
    let mut flags = Vec::new();
    for (passive, dropped) in meta.data_passive.iter().zip(&image.dropped_data) {
        if *passive {
            flags.push(Value::I32(i32::from(*dropped)));
        }
    }
    for (passive, dropped) in meta.elem_passive.iter().zip(&image.dropped_elements) {
        if *passive {
            flags.push(Value::I32(i32::from(*dropped)));
        }
    }
    session.helper(id, names::DROPPED_LOAD, &[], flags)?;
    Ok(())
}

/// The suspended call an image's execution describes.
pub fn suspended_from_image(
    session: &Session,
    id: InstanceId,
    execution: &Execution,
) -> Result<Suspended, EngineError> {
    let entry = execution
        .entry
        .as_ref()
        .ok_or_else(|| restore_error("no entry"))?;
    let point = execution
        .safe_point
        .as_ref()
        .ok_or_else(|| restore_error("no safe point"))?;
    let kind = EventKind::from_image_number(point.kind).ok_or_else(|| restore_error("bad kind"))?;
    if kind == EventKind::Any {
        return Err(restore_error("`any` stops are not instrumented"));
    }
    let frames = execution
        .frames
        .iter()
        .map(|f| {
            Ok(SavedFrame {
                func: f.func,
                pc: f.pc,
                locals: values_from_image(session, id, &f.locals)?,
                operands: values_from_image(session, id, &f.operands)?,
            })
        })
        .collect::<Result<Vec<_>, EngineError>>()?;
    Ok(Suspended {
        entry_func: entry.func,
        args: values_from_image(session, id, &entry.args)?,
        kind,
        event: point.event,
        frames,
    })
}
