//! The WASI host as engines see it: the function table (name, signature, implementation),
//! linking imports into an engine session, and the image host section.
//!
//! Invariants: one [`WasiHost`] is shared by the host functions of one session (its state
//! behind a mutex, as host functions must be `Send + Sync`); a call advances the virtual clock
//! by [`CLOCK_STEP_NS`] and counts itself before running; a `wasi_snapshot_preview1` import
//! this host lacks (or declares with another signature) is linked to a stub that counts it and
//! returns `ENOSYS` (or traps, naming it, when its signature has no `i32` result).

use std::sync::{Arc, Mutex, MutexGuard};

use baton_checkpoint::image::{HostSection, Image};
use baton_engine::{CallerMemory, Engine, EngineError, ExternHandle, MemoryHostFunc};
use baton_engine::{FuncType, ValType, Value};

use super::abi::{Ret, Stop};
use super::config::WasiConfig;
use super::state::{WasiOutput, WasiState, CLOCK_STEP_NS};
use super::{fs, proc, SECTION};
use crate::fuzz::host::{FuncImport, ImportType};

/// A WASI function's implementation.
type Impl = fn(&mut WasiState, &mut dyn CallerMemory, &[Value]) -> Ret;

const I: ValType = ValType::I32;
const L: ValType = ValType::I64;

/// The functions this host implements: name, parameter types, implementation. Every one
/// returns one `i32` errno except `proc_exit`, which returns nothing.
const TABLE: &[(&str, &[ValType], Impl)] = &[
    ("args_get", &[I, I], proc::args_get),
    ("args_sizes_get", &[I, I], proc::args_sizes_get),
    ("environ_get", &[I, I], proc::environ_get),
    ("environ_sizes_get", &[I, I], proc::environ_sizes_get),
    ("clock_res_get", &[I, I], proc::clock_res_get),
    ("clock_time_get", &[I, L, I], proc::clock_time_get),
    ("random_get", &[I, I], proc::random_get),
    ("sched_yield", &[], proc::sched_yield),
    ("proc_exit", &[I], proc::proc_exit),
    ("fd_write", &[I, I, I, I], fs::fd_write),
    ("fd_pwrite", &[I, I, I, L, I], fs::fd_pwrite),
    ("fd_read", &[I, I, I, I], fs::fd_read),
    ("fd_pread", &[I, I, I, L, I], fs::fd_pread),
    ("fd_seek", &[I, L, I, I], fs::fd_seek),
    ("fd_tell", &[I, I], fs::fd_tell),
    ("fd_close", &[I], fs::fd_close),
    ("fd_sync", &[I], fs::fd_sync),
    ("fd_datasync", &[I], fs::fd_sync),
    ("fd_fdstat_get", &[I, I], fs::fd_fdstat_get),
    ("fd_fdstat_set_flags", &[I, I], fs::fd_fdstat_set_flags),
    ("fd_filestat_get", &[I, I], fs::fd_filestat_get),
    ("fd_filestat_set_size", &[I, L], fs::fd_filestat_set_size),
    ("fd_prestat_get", &[I, I], fs::fd_prestat_get),
    ("fd_prestat_dir_name", &[I, I, I], fs::fd_prestat_dir_name),
    ("path_open", &[I, I, I, I, I, L, L, I, I], fs::path_open),
    ("path_filestat_get", &[I, I, I, I, I], fs::path_filestat_get),
    ("path_unlink_file", &[I, I, I], fs::path_unlink_file),
];

/// The signature this host gives function `name`, if it implements it.
pub fn signature(name: &str) -> Option<FuncType> {
    TABLE
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|(n, params, _)| {
            let results = if *n == "proc_exit" { vec![] } else { vec![I] };
            FuncType::new(params.to_vec(), results)
        })
}

/// Why WASI host state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WasiError {
    /// The image's `baton.wasi` section is not a WASI state.
    #[error("image host section {SECTION}: {0}")]
    Section(serde_json::Error),
}

/// The WASI host of one engine session.
#[derive(Clone, Debug)]
pub struct WasiHost {
    state: Arc<Mutex<WasiState>>,
}

impl WasiHost {
    /// A host starting a run configured by `config`.
    pub fn new(config: &WasiConfig) -> Self {
        Self::with_state(WasiState::new(config))
    }

    /// A host continuing `state`.
    pub fn with_state(state: WasiState) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// The host an image carries (its [`SECTION`]); without the section, a fresh run of
    /// `config`.
    pub fn from_image(config: &WasiConfig, image: &Image) -> Result<Self, WasiError> {
        match image.host_sections.iter().find(|s| s.name == SECTION) {
            None => Ok(Self::new(config)),
            Some(section) => serde_json::from_slice(&section.data)
                .map(Self::with_state)
                .map_err(WasiError::Section),
        }
    }

    fn lock(&self) -> MutexGuard<'_, WasiState> {
        // A panic while holding the lock cannot leave the state half-written in a way the
        // comparison would miss: every observer compares the whole state.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A copy of the state.
    pub fn state(&self) -> WasiState {
        self.lock().clone()
    }

    /// What an observer compares.
    pub fn output(&self) -> WasiOutput {
        self.lock().output()
    }

    /// The host section recording the state.
    pub fn section(&self) -> HostSection {
        HostSection {
            name: SECTION.to_string(),
            data: serde_json::to_vec(&*self.lock()).unwrap_or_default(),
        }
    }

    /// Adds (or replaces) this host's section in `image`, keeping sections sorted by name.
    pub fn store_into(&self, image: &mut Image) {
        image.host_sections.retain(|s| s.name != SECTION);
        image.host_sections.push(self.section());
        image.host_sections.sort_by(|a, b| a.name.cmp(&b.name));
    }

    /// Runs function `name` (found in [`TABLE`] as `implementation`, or `None` for a stub).
    fn call(
        &self,
        name: &str,
        implementation: Option<Impl>,
        memory: &mut dyn CallerMemory,
        args: &[Value],
    ) -> Result<Vec<Value>, String> {
        let mut state = self.lock();
        state.calls += 1;
        state.clock_ns = state.clock_ns.wrapping_add(CLOCK_STEP_NS);
        let Some(implementation) = implementation else {
            *state.unsupported.entry(name.to_string()).or_default() += 1;
            return Ok(vec![Value::I32(super::abi::errno::NOSYS)]);
        };
        match implementation(&mut state, memory, args) {
            Ok(errno) | Err(Stop::Errno(errno)) if name != "proc_exit" => {
                Ok(vec![Value::I32(errno)])
            }
            Ok(_) | Err(Stop::Errno(_)) => Ok(vec![]),
            Err(Stop::Trap(message)) => Err(message),
        }
    }

    /// Creates the host function for one `wasi_snapshot_preview1` import in `engine`'s session.
    pub fn link_import(
        &self,
        engine: &mut dyn Engine,
        import: &FuncImport,
    ) -> Result<ExternHandle, EngineError> {
        let host = self.clone();
        let name = import.name.clone();
        let ImportType::Func(ty) = &import.ty else {
            return Err(EngineError::Link(format!(
                "wasi_snapshot_preview1.{name} is not a function; WASI exports only functions"
            )));
        };
        let known = TABLE
            .iter()
            .find(|(n, ..)| *n == name)
            .filter(|_| signature(&name).as_ref() == Some(ty))
            .map(|(_, _, implementation)| *implementation);
        let stub_returns_errno = ty.results == [I];
        let func: MemoryHostFunc = Arc::new(move |memory, args| {
            if known.is_none() && !stub_returns_errno {
                host.lock()
                    .unsupported
                    .entry(name.clone())
                    .and_modify(|n| *n += 1)
                    .or_insert(1);
                return Err(format!("wasi: unsupported function {name} called"));
            }
            host.call(&name, known, memory, args)
        });
        engine.host_func_with_memory(ty, func)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_engine::SliceMemory;

    fn call(host: &WasiHost, name: &str, bytes: &mut [u8], args: &[Value]) -> Vec<Value> {
        let implementation = TABLE.iter().find(|(n, ..)| *n == name).map(|t| t.2);
        host.call(name, implementation, &mut SliceMemory(bytes), args)
            .expect("no trap")
    }

    #[test]
    fn writes_reach_stdout_and_files_and_the_state_round_trips() {
        let host = WasiHost::new(&WasiConfig::command("p", &[]));
        let mut memory = vec![0u8; 64];
        memory[16..21].copy_from_slice(b"hello");
        memory[0..4].copy_from_slice(&16u32.to_le_bytes());
        memory[4..8].copy_from_slice(&5u32.to_le_bytes());
        let ok = call(
            &host,
            "fd_write",
            &mut memory,
            &[Value::I32(1), Value::I32(0), Value::I32(1), Value::I32(8)],
        );
        assert_eq!(ok, vec![Value::I32(0)]);
        assert_eq!(host.output().stdout.0, b"hello");
        memory[32..37].copy_from_slice(b"f.txt");
        let args = [3, 0, 32, 5, 1, 0, 0, 0, 40].map(Value::I32);
        let mut args = args.to_vec();
        args[5] = Value::I64(0);
        args[6] = Value::I64(0);
        assert_eq!(
            call(&host, "path_open", &mut memory, &args),
            vec![Value::I32(0)]
        );
        let fd = u32::from_le_bytes(memory[40..44].try_into().expect("4 bytes"));
        assert_eq!(fd, 4);
        call(
            &host,
            "fd_write",
            &mut memory,
            &[Value::I32(4), Value::I32(0), Value::I32(1), Value::I32(8)],
        );
        assert_eq!(host.output().files["f.txt"].0, b"hello");
        let bad = call(
            &host,
            "fd_write",
            &mut memory,
            &[Value::I32(1), Value::I32(60), Value::I32(1), Value::I32(8)],
        );
        assert_eq!(bad, vec![Value::I32(super::super::abi::errno::FAULT)]);
        let stub = host.call("poll_oneoff", None, &mut SliceMemory(&mut memory), &[]);
        assert_eq!(stub, Ok(vec![Value::I32(super::super::abi::errno::NOSYS)]));
        assert_eq!(host.output().unsupported["poll_oneoff"], 1);
        let mut image = Image::default();
        host.store_into(&mut image);
        let back = WasiHost::from_image(&WasiConfig::default(), &image).expect("decodes");
        assert_eq!(back.state(), host.state());
        image.host_sections[0].data = b"{".to_vec();
        assert!(WasiHost::from_image(&WasiConfig::default(), &image).is_err());
    }

    #[test]
    fn stdin_is_read_once_then_end_of_file() {
        let config = WasiConfig {
            stdin: crate::wasi::state::HexBytes(b"abc".to_vec()),
            ..WasiConfig::default()
        };
        let host = WasiHost::new(&config);
        let mut memory = vec![0u8; 32];
        memory[0..4].copy_from_slice(&16u32.to_le_bytes());
        memory[4..8].copy_from_slice(&8u32.to_le_bytes());
        let args = [0, 0, 1, 8].map(Value::I32);
        assert_eq!(
            call(&host, "fd_read", &mut memory, &args),
            vec![Value::I32(0)]
        );
        assert_eq!(&memory[8..12], &3u32.to_le_bytes());
        assert_eq!(&memory[16..19], b"abc");
        call(&host, "fd_read", &mut memory, &args);
        assert_eq!(&memory[8..12], &0u32.to_le_bytes(), "end of file");
    }

    #[test]
    fn proc_exit_traps_with_its_code() {
        let host = WasiHost::new(&WasiConfig::default());
        let result = host.call(
            "proc_exit",
            Some(proc::proc_exit),
            &mut SliceMemory(&mut []),
            &[Value::I32(3)],
        );
        assert_eq!(result, Err(super::super::exit_message(3)));
        assert_eq!(host.output().exit_code, Some(3));
    }
}
