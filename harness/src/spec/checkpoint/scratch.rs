//! Scratch sessions for checkpoint copies: the module compiled again, imports rebuilt as
//! private objects or restored provider copies, so nothing a copy does reaches the live session.
//!
//! Every copy gets its own private memories, tables and globals ([`Scratch::imports_for`]): a
//! copy that grew an imported memory or table must not leave it grown for the next copy, since
//! an engine that restores through Wasm (`instrumented:*`) cannot shrink it to the next image's
//! size. Provider copies are shared by the copies of one invocation: the invocation leaves
//! their state unchanged, or it is not checkpointed.

use std::collections::HashMap;
use std::sync::Arc;

use baton_checkpoint::image::Image;

use super::compare::same_state;
use crate::imports::read_imports;
use crate::spec::runner::{ImportSource, InstanceRecord};
use crate::spec::spectest;
use crate::spec::SpecEngine;
use baton_engine::{
    find_export, Engine, EngineConfig, EngineError, ExternHandle, ExternKind, InstanceId, ModuleId,
};
use baton_engine::{GlobalType, MemoryType, TableType, ValType, Value};

/// One scratch session with its own spectest and the copy's module compiled.
pub(super) struct Scratch {
    pub(super) engine: Box<dyn Engine>,
    pub(super) module: ModuleId,
    /// The session's spectest exports.
    spectest: Vec<(String, ExternHandle)>,
    /// The live instance the copies are copies of.
    record: InstanceRecord,
    /// Provider copies by live provider instance.
    restored: HashMap<InstanceId, InstanceId>,
}

/// The scratch sessions of one invocation: the source engine's, where one copy runs from stop
/// to stop, and the target engine's, where images are restored and finished. They are separate
/// even for one engine: a restored copy must not share the suspended copy's private imports.
pub(super) struct Sessions {
    pub(super) source: Scratch,
    pub(super) target: Scratch,
}

impl Sessions {
    pub(super) fn new(
        source: &SpecEngine,
        target: &SpecEngine,
        config: &EngineConfig,
        record: &InstanceRecord,
        providers: &[ProviderImage],
    ) -> Result<Self, String> {
        Ok(Self {
            source: Scratch::new(source, config, record, providers)?,
            target: Scratch::new(target, config, record, providers)?,
        })
    }
}

impl Scratch {
    /// A fresh session of `entry`: the providers restored from their images (providers
    /// first), then the record's module compiled. Each copy gets its imports when it is
    /// restored ([`Scratch::restore`]).
    fn new(
        entry: &SpecEngine,
        config: &EngineConfig,
        record: &InstanceRecord,
        providers: &[ProviderImage],
    ) -> Result<Self, String> {
        let mut engine = (entry.create)(config);
        let spectest = spectest::instantiate(engine.as_mut())
            .map_err(|error| format!("spectest on {}: {error}", entry.name))?;
        let mut restored = HashMap::new();
        for (provider, image) in providers {
            let module = engine
                .compile(&provider.wasm)
                .map_err(|error| format!("compile provider on {}: {error}", entry.name))?;
            let imports = build_imports(engine.as_mut(), &spectest, provider, image, &restored)?;
            let copy = engine
                .restore(module, &imports, image)
                .map_err(|error| format!("restore provider on {}: {error}", entry.name))?;
            restored.insert(provider.id, copy);
        }
        let module = engine
            .compile(&record.wasm)
            .map_err(|error| format!("compile on {}: {error}", entry.name))?;
        Ok(Self {
            engine,
            module,
            spectest,
            record: record.clone(),
            restored,
        })
    }

    /// Imports for one more copy, to restore `image` into: spectest functions and provider
    /// exports as every copy has them, and memories, tables and globals created anew, shaped
    /// like `image`'s, so no earlier copy has grown them.
    fn imports_for(&mut self, image: &Image) -> Result<Vec<ExternHandle>, String> {
        build_imports(
            self.engine.as_mut(),
            &self.spectest,
            &self.record,
            image,
            &self.restored,
        )
    }

    /// Restores `image` into a new copy with its own imports ([`Scratch::imports_for`]).
    pub(super) fn restore(&mut self, image: &Image) -> Result<InstanceId, String> {
        let imports = self.imports_for(image)?;
        self.engine
            .restore(self.module, &imports, image)
            .map_err(|error| format!("restore on {}: {error}", self.engine.name()))
    }
}

/// The imports of a copy of `record` in a scratch session, in import order: spectest
/// functions from the session's own spectest; anything exported by a provider restored in the
/// session from that copy; other memories, tables and globals as private host objects shaped
/// like `image`'s (restoring fills them).
fn build_imports(
    engine: &mut dyn Engine,
    spectest: &[(String, ExternHandle)],
    record: &InstanceRecord,
    image: &Image,
    restored: &HashMap<InstanceId, InstanceId>,
) -> Result<Vec<ExternHandle>, String> {
    let decls = read_imports(&record.wasm)?;
    let mut counts = ImportCounts::default();
    let mut imports = Vec::with_capacity(decls.len());
    for (decl, source) in decls.iter().zip(&record.sources) {
        let at = |what: &str| format!("import {}.{}: {what}", decl.module, decl.name);
        // Position among the imports of this kind (= index in the image's lists).
        let position = counts.next(decl.kind);
        if let ImportSource::Instance(provider, name) = source {
            if let Some(copy) = restored.get(&provider.id) {
                let handle = find_export(engine, *copy, name)
                    .map_err(|error| at(&error.to_string()))?
                    .ok_or_else(|| at("not exported by the restored provider"))?;
                imports.push(handle);
                continue;
            }
        }
        let handle = match decl.kind {
            ExternKind::Func => match source {
                ImportSource::Spectest => spectest
                    .iter()
                    .find(|(name, _)| *name == decl.name)
                    .map(|(_, handle)| *handle)
                    .ok_or_else(|| at("not in spectest"))?,
                ImportSource::Instance(..) => return Err(at("provider not restored")),
            },
            ExternKind::Memory => {
                let memory = image
                    .memories
                    .get(position)
                    .ok_or_else(|| at("missing from the image"))?;
                let ty = MemoryType {
                    min: u32::try_from(memory.pages).map_err(|_| at("too many pages"))?,
                    max: memory.max_pages.and_then(|max| u32::try_from(max).ok()),
                };
                engine
                    .host_memory(ty)
                    .map_err(|error| at(&error.to_string()))?
            }
            ExternKind::Table => {
                let table = image
                    .tables
                    .get(position)
                    .ok_or_else(|| at("missing from the image"))?;
                let ty = TableType {
                    element: decl.value_type.ok_or_else(|| at("unknown element type"))?,
                    min: u32::try_from(table.elements.len()).map_err(|_| at("too large"))?,
                    max: table.max.and_then(|max| u32::try_from(max).ok()),
                };
                engine
                    .host_table(ty)
                    .map_err(|error| at(&error.to_string()))?
            }
            ExternKind::Global => {
                let content = decl.value_type.ok_or_else(|| at("unknown type"))?;
                let value = image
                    .globals
                    .get(position)
                    .and_then(|value| number(value, content))
                    .unwrap_or_else(|| Value::default_for(content));
                let ty = GlobalType {
                    content,
                    mutable: decl.mutable_global,
                };
                engine
                    .host_global(ty, value)
                    .map_err(|error| at(&error.to_string()))?
            }
        };
        imports.push(handle);
    }
    Ok(imports)
}

/// A provider instance and its idle image before the invocation.
pub(super) type ProviderImage = (Arc<InstanceRecord>, Image);

/// Every instance whose functions `record` imports, transitively, each once, providers before
/// the instances that import from them. (Memories, tables and globals imported from other
/// instances are not followed: copies get private ones.)
pub(super) fn function_providers(record: &InstanceRecord) -> Vec<Arc<InstanceRecord>> {
    fn visit(record: &InstanceRecord, out: &mut Vec<Arc<InstanceRecord>>) {
        let decls = read_imports(&record.wasm).unwrap_or_default();
        for (decl, source) in decls.iter().zip(&record.sources) {
            let ImportSource::Instance(provider, _) = source else {
                continue;
            };
            if decl.kind != ExternKind::Func || out.iter().any(|known| known.id == provider.id) {
                continue;
            }
            visit(provider, out);
            out.push(provider.clone());
        }
    }
    let mut out = Vec::new();
    visit(record, &mut out);
    out
}

/// The providers' current idle images.
pub(super) fn provider_images(
    live: &mut dyn Engine,
    providers: &[Arc<InstanceRecord>],
) -> Result<Vec<ProviderImage>, EngineError> {
    providers
        .iter()
        .map(|provider| Ok((provider.clone(), live.take_image(provider.id)?)))
        .collect()
}

pub(super) fn same_images(before: &[ProviderImage], after: &[ProviderImage]) -> bool {
    before.len() == after.len()
        && before
            .iter()
            .zip(after)
            .all(|((_, a), (_, b))| same_state(a, b))
}

/// Position of the next imported memory/table/global in the image's lists.
#[derive(Default)]
struct ImportCounts {
    memories: usize,
    tables: usize,
    globals: usize,
}

impl ImportCounts {
    fn next(&mut self, kind: ExternKind) -> usize {
        let counter = match kind {
            ExternKind::Memory => &mut self.memories,
            ExternKind::Table => &mut self.tables,
            ExternKind::Global => &mut self.globals,
            ExternKind::Func => return 0,
        };
        let index = *counter;
        *counter += 1;
        index
    }
}

/// A numeric image value as a harness value of type `ty`; `None` for references (a private
/// global starts null and restoring sets it) or a type mismatch.
fn number(value: &baton_checkpoint::image::Value, ty: ValType) -> Option<Value> {
    use baton_checkpoint::image::value::Kind;
    match (value.kind.as_ref()?, ty) {
        (Kind::I32(bits), ValType::I32) => Some(Value::I32(i32::from_ne_bytes(bits.to_ne_bytes()))),
        (Kind::I64(bits), ValType::I64) => Some(Value::I64(i64::from_ne_bytes(bits.to_ne_bytes()))),
        (Kind::F32(bits), ValType::F32) => Some(Value::F32(*bits)),
        (Kind::F64(bits), ValType::F64) => Some(Value::F64(*bits)),
        _ => None,
    }
}
