//! Instance lifetimes: function references do not keep their instance alive, so an instance whose
//! own table and globals hold its own functions is freed when its `Instance` is dropped, and a
//! call through a reference that outlived its instance traps instead of panicking.

use baton_runtime::Driving;
use std::rc::Rc;

use baton_runtime::instance_link::DROPPED_INSTANCE;
use baton_runtime::{Config, Extern, Imports, RunOutcome, Trap, Val};
use baton_stack::{Instance, Module};

/// A module whose table (via an active segment) and global (via `ref.func`) refer to its own
/// function: with owning references this is an `Rc` cycle.
const SELF_REFERENTIAL: &str = r#"
(module
  (memory (export "mem") 1)
  (table (export "tab") 1 funcref)
  (global (export "g") funcref (ref.func $answer))
  (elem (i32.const 0) $answer)
  (func $answer (export "answer") (result i32) (i32.const 42))
  (func (export "via_table") (result i32) (call_indirect (result i32) (i32.const 0))))
"#;

const CALLER: &str = r#"
(module
  (import "a" "answer" (func $answer (result i32)))
  (func (export "call_import") (result i32) (call $answer)))
"#;

fn instantiate(wat: &str, imports: &Imports) -> Instance {
    let bytes = wat::parse_str(wat).expect("test WAT parses");
    let module = Module::new(&bytes).expect("module validates");
    Instance::instantiate(&module, imports, Config::default()).expect("instantiates")
}

fn memory_of(instance: &Instance) -> Rc<std::cell::RefCell<baton_runtime::Memory>> {
    match instance.export("mem") {
        Some(Extern::Memory(memory)) => memory,
        other => panic!(
            "expected a memory export, got {:?}",
            other.map(|e| e.kind_name())
        ),
    }
}

#[test]
fn self_referential_instance_is_freed_on_drop() {
    let mut instance = instantiate(SELF_REFERENTIAL, &Imports::new());
    // The instance works, including the call through its own table.
    let outcome = instance
        .invoke("via_table", &[], None)
        .expect("invoke starts");
    assert!(matches!(outcome, RunOutcome::Finished(ref v) if v == &[Val::I32(42)]));
    // Its memory is owned only by the instance objects: it dies exactly when they do.
    let memory = Rc::downgrade(&memory_of(&instance));
    let table = match instance.export("tab") {
        Some(Extern::Table(table)) => Rc::downgrade(&table),
        _ => panic!("expected a table export"),
    };
    assert!(memory.upgrade().is_some());
    drop(instance);
    assert!(memory.upgrade().is_none(), "instance objects leaked");
    assert!(table.upgrade().is_none(), "table leaked");
}

#[test]
fn reference_outliving_its_instance_traps() {
    let provider = instantiate(SELF_REFERENTIAL, &Imports::new());
    let answer = provider.export("answer").expect("export");
    let mut imports = Imports::new();
    imports.define("a", "answer", answer);
    let mut caller = instantiate(CALLER, &imports);
    // While the provider lives, the import works.
    let outcome = caller
        .invoke("call_import", &[], None)
        .expect("invoke starts");
    assert!(matches!(outcome, RunOutcome::Finished(ref v) if v == &[Val::I32(42)]));
    let memory = Rc::downgrade(&memory_of(&provider));
    drop(provider);
    assert!(
        memory.upgrade().is_none(),
        "provider kept alive by a reference"
    );
    let outcome = caller
        .invoke("call_import", &[], None)
        .expect("invoke starts");
    match outcome {
        RunOutcome::Trapped(Trap::Host(message)) => assert_eq!(message, DROPPED_INSTANCE),
        other => panic!("expected a trap, got {other:?}"),
    }
}

/// Exports a table and calls through slot 0.
const TABLE_OWNER: &str = r#"
(module
  (table (export "tab") 1 funcref)
  (func (export "call0") (result i32) (call_indirect (result i32) (i32.const 0))))
"#;

/// Writes its own function into the imported table, then traps on an out-of-bounds data segment.
const FAILING_WRITER: &str = r#"
(module
  (import "owner" "tab" (table 1 funcref))
  (memory 0)
  (elem (i32.const 0) $seven)
  (data (i32.const 0) "x")
  (func $seven (result i32) (i32.const 7)))
"#;

#[test]
fn failed_instance_stays_callable_through_an_imported_table() {
    let mut owner = instantiate(TABLE_OWNER, &Imports::new());
    let mut imports = Imports::new();
    imports.define("owner", "tab", owner.export("tab").expect("table export"));
    let bytes = wat::parse_str(FAILING_WRITER).expect("test WAT parses");
    let module = Module::new(&bytes).expect("module validates");
    let failed = Instance::instantiate(&module, &imports, Config::default());
    assert!(matches!(
        failed,
        Err(baton_runtime::InstantiationError::Trap(
            Trap::MemoryOutOfBounds
        ))
    ));
    let outcome = owner.invoke("call0", &[], None).expect("invoke starts");
    assert!(matches!(outcome, RunOutcome::Finished(ref v) if v == &[Val::I32(7)]));
}
