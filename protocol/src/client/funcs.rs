//! Function identities of an adapter's instances (protocol revision 1.2,
//! `Capabilities.funcref_ids_are_handles`): a funcref id is the function's handle id, so a
//! funcref is identified by comparing it with the handles of the instance's imported functions
//! and of its function exports ([`baton_engine::Identities`]).
//!
//! Invariant: without the capability nothing is recorded and every answer is `None` (the
//! harness then compares function references by null-ness only, as before revision 1.2).

use std::cell::RefCell;
use std::collections::HashMap;

use baton_engine::{
    EngineError, ExternHandle, ExternKind, FuncIdentity, FuncSpace, Identities, InstanceId,
    ModuleId, Value,
};

/// What one session knows of its modules' and instances' functions.
#[derive(Default)]
pub struct FuncIds {
    enabled: bool,
    spaces: HashMap<u32, FuncSpace>,
    /// Per instance: its module and the handle ids of its imported functions.
    instances: HashMap<u32, (u32, Vec<u32>)>,
    identities: RefCell<HashMap<u32, Identities<u32>>>,
}

impl FuncIds {
    /// Records identities only when the adapter declared the capability.
    pub fn new(enabled: bool) -> FuncIds {
        FuncIds {
            enabled,
            ..FuncIds::default()
        }
    }

    /// A module was compiled from `wasm` (the adapter accepted it; unreadable shapes record
    /// nothing, so its instances get no identities).
    pub fn compiled(&mut self, module: ModuleId, wasm: &[u8]) {
        if let (true, Ok(space)) = (self.enabled, FuncSpace::read(wasm)) {
            self.spaces.insert(module.0, space);
        }
    }

    /// An instance of `module` was created (instantiated or restored) with `imports`.
    pub fn instantiated(
        &mut self,
        instance: InstanceId,
        module: ModuleId,
        imports: &[ExternHandle],
    ) {
        if self.enabled {
            let funcs = imports
                .iter()
                .filter(|handle| handle.kind == ExternKind::Func)
                .map(|handle| handle.id)
                .collect();
            self.instances.insert(instance.0, (module.0, funcs));
        }
    }

    /// Which function of `instance` the funcref `value` is; `exports` lists the instance's
    /// exports (asked once per instance).
    pub fn identify(
        &self,
        instance: InstanceId,
        value: &Value,
        exports: impl FnOnce() -> Result<Vec<(String, ExternHandle)>, EngineError>,
    ) -> Option<FuncIdentity> {
        let Value::FuncRef(Some(id)) = value else {
            return None;
        };
        let mut identities = self.identities.borrow_mut();
        if let std::collections::hash_map::Entry::Vacant(slot) = identities.entry(instance.0) {
            let (module, imports) = self.instances.get(&instance.0)?;
            let space = self.spaces.get(module)?;
            let exports = exports().ok()?;
            let funcs = exports
                .iter()
                .filter(|(_, handle)| handle.kind == ExternKind::Func)
                .map(|(name, handle)| (name.as_str(), handle.id));
            slot.insert(Identities::new(space, imports.iter().copied(), funcs));
        }
        identities.get(&instance.0)?.identify(id)
    }
}
