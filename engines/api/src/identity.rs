//! Function identities an embedder can tell from outside an instance: the functions it imported
//! and the ones it exports. An adapter whose engine compares function references (by a key the
//! adapter chooses: an id, a handle) but cannot ask the engine for a function's index implements
//! [`Engine::func_identity`](crate::Engine::func_identity) with [`Identities`]: a reference equal
//! to an import or an export of the instance has that index; when every function of the index
//! space is exported (modules rewritten by `baton instrument` export all of them, imports
//! included), a reference equal to none of them belongs to another instance or the host
//! (`Foreign`); otherwise the adapter cannot tell (`None`). Imports count as visible only through
//! exports for that rule: an engine may show an imported host function inside the instance
//! under another key than the one it was imported with (V8 wraps JS functions).
//!
//! Invariant: an index is only ever reported for a key the adapter proved equal to a function of
//! that index; when a function sits at several indices the lowest *defined* index wins, else the
//! first import (as baton's own engines report it).

use std::collections::HashMap;
use std::hash::Hash;

use wasmparser::{ExternalKind, Parser, Payload, TypeRef};

use crate::engine::FuncIdentity;

/// The shape of a module's function index space: how many functions it imports and defines,
/// and which index each function export names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FuncSpace {
    /// Imported functions (indices `0..imported`).
    pub imported: u32,
    /// Defined functions (indices `imported..imported + defined`).
    pub defined: u32,
    /// Function exports: name and function index, in export order.
    pub exports: Vec<(String, u32)>,
}

impl FuncSpace {
    /// Reads the import, function and export sections of `wasm`.
    pub fn read(wasm: &[u8]) -> Result<FuncSpace, String> {
        let mut space = FuncSpace::default();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(|error| format!("reading functions: {error}"))? {
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import.map_err(|error| format!("reading imports: {error}"))?;
                        if matches!(import.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                            space.imported += 1;
                        }
                    }
                }
                Payload::FunctionSection(reader) => space.defined = reader.count(),
                Payload::ExportSection(reader) => {
                    for export in reader {
                        let export = export.map_err(|error| format!("reading exports: {error}"))?;
                        if matches!(export.kind, ExternalKind::Func | ExternalKind::FuncExact) {
                            space.exports.push((export.name.to_string(), export.index));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(space)
    }

    /// Whether every function of the index space, imported or defined, is exported.
    pub fn all_exported(&self) -> bool {
        let exported: std::collections::HashSet<u32> =
            self.exports.iter().map(|(_, index)| *index).collect();
        (0..self.imported.saturating_add(self.defined)).all(|index| exported.contains(&index))
    }
}

/// The identities of one instance's visible functions, by the adapter's key.
#[derive(Clone, Debug)]
pub struct Identities<K> {
    known: HashMap<K, u32>,
    complete: bool,
}

impl<K: Hash + Eq> Identities<K> {
    /// Collects the keys of an instance of a module shaped `space`: `imports` are the keys of its
    /// imported functions in import order, `exports` the key of each function export by name
    /// (exports not in `space` are ignored).
    pub fn new<'a>(
        space: &FuncSpace,
        imports: impl IntoIterator<Item = K>,
        exports: impl IntoIterator<Item = (&'a str, K)>,
    ) -> Identities<K> {
        let mut known = HashMap::new();
        for (index, key) in (0..space.imported).zip(imports) {
            known.entry(key).or_insert(index);
        }
        for (name, key) in exports {
            let Some(&(_, index)) = space.exports.iter().find(|(n, _)| n == name) else {
                continue;
            };
            if index >= space.imported {
                let slot = known.entry(key).or_insert(index);
                if *slot < space.imported || index < *slot {
                    *slot = index;
                }
            } else {
                known.entry(key).or_insert(index);
            }
        }
        Identities {
            known,
            complete: space.all_exported(),
        }
    }

    /// The identity of the function with `key`: its index when it is a visible function of the
    /// instance, `Foreign` when every function is exported and it is none of them, else `None`.
    pub fn identify(&self, key: &K) -> Option<FuncIdentity> {
        match self.known.get(key) {
            Some(index) => Some(FuncIdentity::Index(*index)),
            None if self.complete => Some(FuncIdentity::Foreign),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> FuncSpace {
        // Imports 0 and 1, defines 2, 3 and 4.
        FuncSpace {
            imported: 2,
            defined: 3,
            exports: vec![
                ("two".into(), 2),
                ("three".into(), 3),
                ("again".into(), 3),
                ("reexport".into(), 1),
            ],
        }
    }

    #[test]
    fn visible_functions_have_their_index_and_invisible_ones_no_answer() {
        let ids = Identities::new(
            &space(),
            ["a", "b"],
            [
                ("two", "x"),
                ("three", "y"),
                ("again", "y"),
                ("reexport", "b"),
            ],
        );
        assert_eq!(ids.identify(&"a"), Some(FuncIdentity::Index(0)));
        assert_eq!(ids.identify(&"b"), Some(FuncIdentity::Index(1)));
        assert_eq!(ids.identify(&"x"), Some(FuncIdentity::Index(2)));
        assert_eq!(ids.identify(&"y"), Some(FuncIdentity::Index(3)));
        // Function 4 is not exported: an unknown key may be it, so no answer.
        assert_eq!(ids.identify(&"z"), None);
    }

    #[test]
    fn with_every_function_visible_unknown_keys_are_foreign() {
        let mut space = space();
        space.exports.push(("four".into(), 4));
        // Import 0 is not exported: not every function is visible from outside yet.
        assert!(!space.all_exported());
        let ids = Identities::new(&space, ["a", "b"], [("two", "x"), ("four", "w")]);
        assert_eq!(ids.identify(&"z"), None);
        space.exports.push(("zero".into(), 0));
        assert!(space.all_exported());
        let ids = Identities::new(&space, ["a", "b"], [("two", "x"), ("four", "w")]);
        assert_eq!(ids.identify(&"w"), Some(FuncIdentity::Index(4)));
        assert_eq!(ids.identify(&"z"), Some(FuncIdentity::Foreign));
    }

    #[test]
    fn a_defined_index_wins_over_an_import_of_the_same_function() {
        // The instance's own function 2 was also given to it as import 1.
        let ids = Identities::new(&space(), ["a", "x"], [("two", "x")]);
        assert_eq!(ids.identify(&"x"), Some(FuncIdentity::Index(2)));
        let ids = Identities::new(&space(), ["x", "x"], []);
        assert_eq!(ids.identify(&"x"), Some(FuncIdentity::Index(0)));
    }

    #[test]
    fn reads_the_function_space_of_a_module() {
        let wasm = [
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
            0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type 0: [] -> []
            0x02, 0x07, 0x01, 0x01, b'm', 0x01, b'f', 0x00, 0x00, // import m.f: type 0
            0x03, 0x03, 0x02, 0x00, 0x00, // two functions of type 0
            0x07, 0x05, 0x01, 0x01, b'g', 0x00, 0x02, // export "g" = func 2
            0x0a, 0x07, 0x02, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, // bodies
        ];
        let space = FuncSpace::read(&wasm).unwrap();
        assert_eq!(space.imported, 1);
        assert_eq!(space.defined, 2);
        assert_eq!(space.exports, vec![("g".to_string(), 2)]);
        assert!(!space.all_exported());
        assert!(FuncSpace::read(&wasm[..12]).is_err());
    }
}
