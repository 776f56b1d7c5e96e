//! Function references: host functions and Wasm functions of any instance of one engine.
//!
//! A [`FuncRef`] is what tables, globals, values and imports hold. It is either a [`HostFunc`]
//! (an embedder closure with a signature) or a [`WasmFunc`]: an engine-specific instance handle
//! (`Rc<dyn Any>`, which the owning engine downcasts to its own instance type) plus the function's
//! index in that instance's function index space.
//!
//! Identity: two references are equal when they denote the same function: the same host closure
//! allocation, or the same instance allocation and index. Every engine must create its
//! [`WasmFunc`]s with one shared instance handle per instance so that identity is stable.
//!
//! Ownership: a `WasmFunc` owns whatever its engine's handle is. An engine whose handle is the
//! instance itself keeps the instance alive through every reference, so an instance whose own
//! tables or globals hold its own functions forms an `Rc` cycle and is never freed. Engines avoid
//! that by using an [`crate::InstanceLink`] (a weak link) as the handle; then the embedder keeps
//! instances alive (as the spec's store does: a session keeps every instance it created) and a
//! call through a reference that outlived its instance traps with [`Trap::Host`].

use std::any::Any;
use std::fmt;
use std::rc::Rc;

use crate::trap::Trap;
use crate::value::{FuncType, Val};

/// The closure type of a host function.
pub type HostCallback = dyn Fn(&[Val]) -> Result<Vec<Val>, Trap>;

/// A host function: a signature and a closure. Cloning shares the closure.
#[derive(Clone)]
pub struct HostFunc {
    ty: Rc<FuncType>,
    callback: Rc<HostCallback>,
}

impl HostFunc {
    /// A host function of type `ty` running `callback`. The callback receives arguments of the
    /// signature's parameter types and must return values of its result types (engines trap with
    /// [`Trap::Host`] otherwise).
    pub fn new(
        ty: FuncType,
        callback: impl Fn(&[Val]) -> Result<Vec<Val>, Trap> + 'static,
    ) -> HostFunc {
        HostFunc {
            ty: Rc::new(ty),
            callback: Rc::new(callback),
        }
    }

    /// The signature.
    pub fn ty(&self) -> &FuncType {
        &self.ty
    }

    /// Calls the closure and checks its results against the signature.
    pub fn call(&self, args: &[Val]) -> Result<Vec<Val>, Trap> {
        let results = (self.callback)(args)?;
        let ok = results.len() == self.ty.results.len()
            && results
                .iter()
                .zip(self.ty.results.iter())
                .all(|(value, ty)| value.ty() == *ty);
        if ok {
            Ok(results)
        } else {
            Err(Trap::Host(format!(
                "host function returned values that do not match its type {}",
                self.ty
            )))
        }
    }

    fn same(&self, other: &HostFunc) -> bool {
        Rc::ptr_eq(&self.callback, &other.callback) && Rc::ptr_eq(&self.ty, &other.ty)
    }
}

/// A Wasm function of some engine's instance.
#[derive(Clone)]
pub struct WasmFunc {
    /// The engine's instance handle; the engine downcasts it to its own type.
    pub instance: Rc<dyn Any>,
    /// Index in that instance's function index space (never an import of that instance).
    pub index: u32,
    /// The function's signature.
    pub ty: Rc<FuncType>,
}

impl WasmFunc {
    /// Whether this function belongs to the instance whose handle is `instance`.
    pub fn belongs_to(&self, instance: &Rc<dyn Any>) -> bool {
        same_instance(&self.instance, instance)
    }
}

/// Whether two instance handles denote the same instance (address equality, vtables ignored).
pub fn same_instance(a: &Rc<dyn Any>, b: &Rc<dyn Any>) -> bool {
    std::ptr::addr_eq(Rc::as_ptr(a), Rc::as_ptr(b))
}

/// A non-null function reference.
#[derive(Clone)]
pub enum FuncRef {
    /// An embedder function.
    Host(HostFunc),
    /// A Wasm function of an instance.
    Wasm(WasmFunc),
}

impl FuncRef {
    /// Calls the function to completion as one opaque step, as every engine calls a function
    /// that is not its own (an import, or another instance's function reached through a table
    /// or global): a host function directly, a Wasm function through `wasm` (the engine runs
    /// it in the instance the reference names).
    pub fn call_with(
        &self,
        args: &[Val],
        wasm: impl FnOnce(&WasmFunc) -> Result<Vec<Val>, Trap>,
    ) -> Result<Vec<Val>, Trap> {
        match self {
            FuncRef::Host(host) => host.call(args),
            FuncRef::Wasm(func) => wasm(func),
        }
    }

    /// The function's signature.
    pub fn ty(&self) -> &FuncType {
        match self {
            FuncRef::Host(host) => host.ty(),
            FuncRef::Wasm(wasm) => &wasm.ty,
        }
    }

    /// A key identifying the function: equal keys iff equal references (while both are alive).
    pub fn identity(&self) -> (usize, u32) {
        match self {
            FuncRef::Host(host) => (Rc::as_ptr(&host.callback) as *const () as usize, u32::MAX),
            FuncRef::Wasm(wasm) => (Rc::as_ptr(&wasm.instance) as *const () as usize, wasm.index),
        }
    }
}

impl PartialEq for FuncRef {
    fn eq(&self, other: &FuncRef) -> bool {
        match (self, other) {
            (FuncRef::Host(a), FuncRef::Host(b)) => a.same(b),
            (FuncRef::Wasm(a), FuncRef::Wasm(b)) => {
                a.index == b.index && same_instance(&a.instance, &b.instance)
            }
            _ => false,
        }
    }
}

impl fmt::Debug for FuncRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FuncRef::Host(host) => write!(f, "host{}", host.ty()),
            FuncRef::Wasm(wasm) => write!(
                f,
                "wasm#{}@{:p}{}",
                wasm.index,
                Rc::as_ptr(&wasm.instance) as *const (),
                wasm.ty
            ),
        }
    }
}
