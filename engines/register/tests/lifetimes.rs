//! Instance lifetimes on the register engine (as `baton-stack`'s `tests/lifetimes.rs`): function
//! references do not keep their instance alive, so an instance whose own table and globals hold
//! its own functions is freed when its `Instance` is dropped (also a restored one), a call through
//! a reference that outlived its instance traps instead of panicking, a function of another
//! engine traps, and a failed instantiation that wrote into an imported table stays callable.

use baton_runtime::Driving;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

use baton_register::{Instance, Module};
use baton_runtime::instance_link::{DROPPED_INSTANCE, FOREIGN_INSTANCE};
use baton_runtime::{Config, Extern, Imports, InstantiationError, Memory, RunOutcome, Trap, Val};

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

/// Calls an imported function.
const CALLER: &str = r#"
(module
  (import "a" "answer" (func $answer (result i32)))
  (func (export "call_import") (result i32) (call $answer)))
"#;

fn module(wat: &str) -> Module {
    let bytes = wat::parse_str(wat).expect("test WAT parses");
    Module::new(&bytes).expect("module validates")
}

fn instantiate(wat: &str, imports: &Imports) -> Instance {
    Instance::instantiate(&module(wat), imports, Config::default()).expect("instantiates")
}

fn memory_of(instance: &Instance) -> Weak<RefCell<Memory>> {
    match instance.export("mem") {
        Some(Extern::Memory(memory)) => Rc::downgrade(&memory),
        other => panic!(
            "expected a memory export, got {:?}",
            other.map(|e| e.kind_name())
        ),
    }
}

fn table_of(instance: &Instance) -> Weak<RefCell<baton_runtime::Table>> {
    match instance.export("tab") {
        Some(Extern::Table(table)) => Rc::downgrade(&table),
        other => panic!(
            "expected a table export, got {:?}",
            other.map(|e| e.kind_name())
        ),
    }
}

fn assert_finished_with(outcome: RunOutcome, expected: i32) {
    match outcome {
        RunOutcome::Finished(values) => assert_eq!(values, vec![Val::I32(expected)]),
        other => panic!("expected Finished([{expected}]), got {other:?}"),
    }
}

fn assert_host_trap(outcome: RunOutcome, expected: &str) {
    match outcome {
        RunOutcome::Trapped(Trap::Host(message)) => assert_eq!(message, expected),
        other => panic!("expected a host trap {expected:?}, got {other:?}"),
    }
}

#[test]
fn self_referential_instance_is_freed_on_drop() {
    let mut instance = instantiate(SELF_REFERENTIAL, &Imports::new());
    // The instance works, including the call through its own table.
    let outcome = instance
        .invoke("via_table", &[], None)
        .expect("invoke starts");
    assert_finished_with(outcome, 42);
    // Its memory and table are owned only by the instance objects: they die exactly when
    // the instance does.
    let memory = memory_of(&instance);
    let table = table_of(&instance);
    assert!(memory.upgrade().is_some());
    assert!(table.upgrade().is_some());
    drop(instance);
    assert!(memory.upgrade().is_none(), "instance objects leaked");
    assert!(table.upgrade().is_none(), "table leaked");
}

#[test]
fn restored_self_referential_instance_is_freed_on_drop() {
    let module = module(SELF_REFERENTIAL);
    let original =
        Instance::instantiate(&module, &Imports::new(), Config::default()).expect("instantiates");
    let image = original.image().expect("idle image");
    let mut restored =
        Instance::restore(&module, &image, &Imports::new(), Config::default()).expect("restores");
    let outcome = restored
        .invoke("via_table", &[], None)
        .expect("invoke starts");
    assert_finished_with(outcome, 42);
    let memory = memory_of(&restored);
    let table = table_of(&restored);
    drop(restored);
    assert!(
        memory.upgrade().is_none(),
        "restored instance objects leaked"
    );
    assert!(table.upgrade().is_none(), "restored table leaked");
    // The original is independent of the restored copy and still alive.
    assert!(memory_of(&original).upgrade().is_some());
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
    assert_finished_with(outcome, 42);
    let memory = memory_of(&provider);
    drop(provider);
    assert!(
        memory.upgrade().is_none(),
        "provider kept alive by a reference"
    );
    // Both ways of calling the dead import trap: from Wasm code, and invoked directly.
    let outcome = caller
        .invoke("call_import", &[], None)
        .expect("invoke starts");
    assert_host_trap(outcome, DROPPED_INSTANCE);
    let outcome = caller.invoke_index(0, &[], None).expect("invoke starts");
    assert_host_trap(outcome, DROPPED_INSTANCE);
}

#[test]
fn function_of_another_engine_traps() {
    let bytes = wat::parse_str(SELF_REFERENTIAL).expect("test WAT parses");
    let stack_module = baton_stack::Module::new(&bytes).expect("module validates");
    let provider =
        baton_stack::Instance::instantiate(&stack_module, &Imports::new(), Config::default())
            .expect("instantiates on stack");
    let mut imports = Imports::new();
    imports.define("a", "answer", provider.export("answer").expect("export"));
    let mut caller = instantiate(CALLER, &imports);
    let outcome = caller
        .invoke("call_import", &[], None)
        .expect("invoke starts");
    assert_host_trap(outcome, FOREIGN_INSTANCE);
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
    let failed = Instance::instantiate(&module(FAILING_WRITER), &imports, Config::default());
    assert!(matches!(
        failed,
        Err(InstantiationError::Trap(Trap::MemoryOutOfBounds))
    ));
    let outcome = owner.invoke("call0", &[], None).expect("invoke starts");
    assert_finished_with(outcome, 7);
}
