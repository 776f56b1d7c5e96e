//! The shared store: memory/table semantics, linking errors, instantiation order, and the store
//! half of the image mapping.

use std::any::Any;
use std::rc::Rc;

use baton_checkpoint::image::{Image, CHUNK_SIZE};
use baton_runtime::image_map::{memory_from_image, memory_to_image};
use baton_runtime::store::{Memory, MemoryType, Table, TableType};
use baton_runtime::{
    Extern, FuncType, HostFunc, ImageError, Imports, InstanceObjects, InstantiationError,
    LinkError, RefType, Trap, Val, ValType,
};

fn info(wat: &str) -> Rc<baton_runtime::ModuleInfo> {
    let bytes = wat::parse_str(wat).expect("WAT");
    Rc::new(baton_runtime::parse_module(&bytes).expect("valid").info)
}

/// A stand-in engine instance handle.
fn handle() -> Rc<dyn Any> {
    Rc::new(0u8)
}

#[test]
fn memory_bounds_and_growth() {
    let mut memory = Memory::new(MemoryType {
        min: 1,
        max: Some(2),
    })
    .expect("alloc");
    assert_eq!(memory.store::<4>(65532, 7u32.to_le_bytes()), Ok(()));
    assert_eq!(memory.load::<4>(65532), Ok(7u32.to_le_bytes()));
    assert_eq!(memory.load::<4>(65533), Err(Trap::MemoryOutOfBounds));
    assert_eq!(memory.load::<8>(u64::MAX - 3), Err(Trap::MemoryOutOfBounds));
    assert_eq!(memory.grow(1), Some(1));
    assert_eq!(memory.grow(1), None, "beyond the maximum");
    assert_eq!(memory.pages(), 2);
    assert_eq!(memory.fill(131070, 1, 3), Err(Trap::MemoryOutOfBounds));
    assert_eq!(memory.copy_within(0, 65532, 4), Ok(()));
    assert_eq!(memory.load::<4>(0), Ok(7u32.to_le_bytes()));
}

#[test]
fn table_bounds_and_growth() {
    let ty = TableType {
        elem: RefType::Extern,
        min: 2,
        max: Some(3),
    };
    let mut table = Table::new(ty, Val::ExternRef(None)).expect("alloc");
    assert_eq!(table.set(1, Val::ExternRef(Some(9))), Ok(()));
    assert_eq!(table.get(2), Err(Trap::TableOutOfBounds));
    assert_eq!(table.grow(1, Val::ExternRef(Some(4))), Some(2));
    assert_eq!(table.grow(1, Val::ExternRef(None)), None);
    assert_eq!(table.copy_within(0, 1, 2), Ok(()));
    assert_eq!(table.get(0), Ok(&Val::ExternRef(Some(9))));
    assert_eq!(table.get(1), Ok(&Val::ExternRef(Some(4))));
    assert_eq!(
        table.fill(2, Val::ExternRef(None), 2),
        Err(Trap::TableOutOfBounds)
    );
}

#[test]
fn memory_image_elides_zero_chunks_and_round_trips() {
    let mut memory = Memory::new(MemoryType { min: 1, max: None }).expect("alloc");
    memory
        .store::<1>(5 * CHUNK_SIZE as u64 + 17, [0xab])
        .expect("store");
    let image = memory_to_image(&memory);
    assert_eq!(image.pages, 1);
    assert_eq!(image.chunks.len(), 1);
    assert_eq!(image.chunks[0].index, 5);
    assert_eq!(image.chunks[0].data[17], 0xab);
    let mut restored = Memory::new(MemoryType { min: 0, max: None }).expect("alloc");
    memory_from_image(&image, &mut restored, "memory 0").expect("restore");
    assert_eq!(restored, memory);
    let mut bounded = Memory::new(MemoryType {
        min: 0,
        max: Some(1),
    })
    .expect("alloc");
    assert!(matches!(
        memory_from_image(&image, &mut bounded, "memory 0"),
        Err(ImageError::Mismatch { .. })
    ));
}

#[test]
fn linking_reports_unknown_and_incompatible_imports() {
    let module =
        info(r#"(module (import "m" "f" (func (param i32))) (import "m" "mem" (memory 2)))"#);
    let error = InstanceObjects::link(module.clone(), &Imports::new()).err();
    assert_eq!(
        error,
        Some(InstantiationError::Link(LinkError::UnknownImport {
            module: "m".into(),
            name: "f".into()
        }))
    );
    let mut imports = Imports::new();
    let wrong = HostFunc::new(FuncType::new([ValType::I64], []), |_| Ok(vec![]));
    imports.define("m", "f", Extern::Func(baton_runtime::FuncRef::Host(wrong)));
    let small = Memory::new_handle(MemoryType { min: 1, max: None }).expect("alloc");
    imports.define("m", "mem", Extern::Memory(small));
    assert!(matches!(
        InstanceObjects::link(module.clone(), &imports),
        Err(InstantiationError::Link(
            LinkError::IncompatibleImportType { .. }
        ))
    ));
    let right = HostFunc::new(FuncType::new([ValType::I32], []), |_| Ok(vec![]));
    imports.define("m", "f", Extern::Func(baton_runtime::FuncRef::Host(right)));
    assert!(
        matches!(
            InstanceObjects::link(module.clone(), &imports),
            Err(InstantiationError::Link(
                LinkError::IncompatibleImportType { .. }
            )),
        ),
        "a 1-page memory does not satisfy a 2-page minimum"
    );
    let big = Memory::new_handle(MemoryType { min: 3, max: None }).expect("alloc");
    imports.define("m", "mem", Extern::Memory(big.clone()));
    let objects = InstanceObjects::link(module, &imports).expect("links");
    assert!(
        Rc::ptr_eq(&objects.memories[0], &big),
        "imports are shared, not copied"
    );
}

#[test]
fn initialization_keeps_writes_before_a_failing_segment() {
    let module = info(
        r#"(module
          (memory 1)
          (global $g (mut i32) (i32.const 5))
          (data (i32.const 0) "ok")
          (data (i32.const 65535) "too long")
          (data "passive"))"#,
    );
    let objects = InstanceObjects::link(module, &Imports::new()).expect("links");
    let this = handle();
    assert_eq!(objects.initialize(&this), Err(Trap::MemoryOutOfBounds));
    let memory = objects.memories[0].borrow();
    assert_eq!(&memory.data()[..2], b"ok");
    assert_eq!(*objects.globals[0].borrow().get(), Val::I32(5));
    let dropped: Vec<bool> = objects.dropped_data.iter().map(|f| f.get()).collect();
    assert_eq!(
        dropped,
        [true, false, false],
        "only the applied active segment is dropped"
    );
}

#[test]
fn store_image_round_trips_and_rejects_foreign_functions() {
    let module = info(
        r#"(module
          (import "m" "f" (func $f))
          (func $own)
          (table 3 funcref)
          (global (mut funcref) (ref.func $own))
          (memory 1)
          (elem (i32.const 0) $f $own)
          (elem declare func $own))"#,
    );
    let host = HostFunc::new(FuncType::default(), |_| Ok(vec![]));
    let mut imports = Imports::new();
    imports.define("m", "f", Extern::Func(baton_runtime::FuncRef::Host(host)));
    let objects = InstanceObjects::link(module.clone(), &imports).expect("links");
    let this = handle();
    objects.initialize(&this).expect("initializes");
    let mut image = Image::default();
    objects
        .store_to_image(&mut image, &this)
        .expect("imageable");
    assert_eq!(image.dropped_elements, [true, true]);
    let copy = InstanceObjects::link(module, &imports).expect("links");
    let other = handle();
    copy.store_from_image(&image, &other).expect("restores");
    let mut again = Image::default();
    copy.store_to_image(&mut again, &other).expect("imageable");
    assert_eq!(again, image);
    // A function of another instance has no index here.
    let stranger = copy.func_ref(1, &handle()).expect("function 1");
    copy.tables[0]
        .borrow_mut()
        .set(2, Val::FuncRef(Some(stranger)))
        .expect("set");
    assert!(matches!(
        copy.store_to_image(&mut again, &other),
        Err(ImageError::ForeignFunction { .. })
    ));
}
