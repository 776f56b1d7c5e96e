//! Out-of-process engines: `proc:NAME` runs the adapter command registered as `NAME` and drives
//! it over the adapter protocol ([`baton_protocol::client::ProcessEngine`],
//! `docs/adapter-protocol.md`).
//!
//! The adapter registry maps names to command lines. It is read from `--adapters FILE`, or else
//! from the first `adapters.toml` found in the current directory or its ancestors (the
//! repository root ships one), or else from the one in the workspace baton was built from; each
//! `--adapter 'NAME=COMMAND'` adds or replaces one entry. In a command, `{baton}` stands for the
//! `baton` executable (see [`baton_executable`]), and a relative program path containing `/` is
//! relative to the registry file's directory.
//!
//! ```toml
//! [adapters]
//! stack = "{baton} serve --engine stack"
//! wasm3 = { command = ["python3", "adapters/wasm3/adapter.py"], timeout_ms = 5000 }
//! ```
//!
//! Invariants: a name resolves to the same entry for the life of the process (entries are
//! created once and leaked, as [`EngineEntry`] is `'static`); resolving never panics, whatever
//! the file holds.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use baton_engine::{Engine, EngineConfig};
use baton_protocol::client::{AdapterCommand, ProcessEngine, DEFAULT_TIMEOUT};
use baton_protocol::handshake::AdapterInfo;
use serde::Deserialize;
use thiserror::Error;

use super::EngineEntry;

/// The prefix of out-of-process engine names.
pub const PREFIX: &str = "proc:";

/// The registry file's name.
pub const FILE_NAME: &str = "adapters.toml";

/// Why the adapter registry could not be read.
#[derive(Debug, Error)]
pub enum RegistryError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid registry.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A `--adapter` argument is not `NAME=COMMAND`, or an entry's command is empty or badly
    /// quoted.
    #[error("adapter {name:?}: {message}")]
    Entry {
        /// The entry's name (or the whole argument).
        name: String,
        /// What is wrong.
        message: String,
    },
}

/// The adapter registry: name → command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    /// The file it was read from, if any.
    pub file: Option<PathBuf>,
    /// The commands by name.
    pub commands: BTreeMap<String, AdapterCommand>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    #[serde(default)]
    adapters: BTreeMap<String, EntryFormat>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum EntryFormat {
    Line(String),
    Table(TableFormat),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFormat {
    command: Words,
    timeout_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Words {
    Line(String),
    List(Vec<String>),
}

impl Registry {
    /// Reads a registry file.
    pub fn load(path: &Path) -> Result<Registry, RegistryError> {
        let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Registry::parse(&text, Some(path))
    }

    /// Parses a registry; relative program paths are resolved against `path`'s directory.
    pub fn parse(text: &str, path: Option<&Path>) -> Result<Registry, RegistryError> {
        let shown = path.map_or_else(|| PathBuf::from("<registry>"), Path::to_path_buf);
        let format: FileFormat = toml::from_str(text).map_err(|error| RegistryError::Parse {
            path: shown.clone(),
            message: error.to_string(),
        })?;
        let base = path.and_then(Path::parent);
        let mut commands = BTreeMap::new();
        for (name, entry) in format.adapters {
            let (words, timeout) = match entry {
                EntryFormat::Line(line) => (Words::Line(line), None),
                EntryFormat::Table(table) => (table.command, table.timeout_ms),
            };
            let words = match words {
                Words::Line(line) => split(&name, &line)?,
                Words::List(list) => list,
            };
            let mut command = command_from(&name, words, base)?;
            if let Some(ms) = timeout {
                command.timeout = Duration::from_millis(ms);
            }
            commands.insert(name, command);
        }
        Ok(Registry {
            file: path.map(Path::to_path_buf),
            commands,
        })
    }

    /// Adds or replaces an entry from a `NAME=COMMAND` argument.
    pub fn add_argument(&mut self, argument: &str) -> Result<(), RegistryError> {
        let (name, line) = argument
            .split_once('=')
            .filter(|(name, _)| !name.trim().is_empty())
            .ok_or_else(|| RegistryError::Entry {
                name: argument.to_string(),
                message: "expected NAME=COMMAND".into(),
            })?;
        let name = name.trim().to_string();
        let command = command_from(&name, split(&name, line)?, None)?;
        self.commands.insert(name, command);
        Ok(())
    }
}

fn split(name: &str, line: &str) -> Result<Vec<String>, RegistryError> {
    shlex::split(line).ok_or_else(|| RegistryError::Entry {
        name: name.to_string(),
        message: format!("unbalanced quotes in {line:?}"),
    })
}

/// Builds a command: expands `{baton}` and resolves a relative program path against `base`.
fn command_from(
    name: &str,
    words: Vec<String>,
    base: Option<&Path>,
) -> Result<AdapterCommand, RegistryError> {
    let baton = baton_executable().to_string_lossy().into_owned();
    let words: Vec<String> = words
        .into_iter()
        .map(|word| word.replace("{baton}", &baton))
        .collect();
    let mut command = AdapterCommand::from_words(words).ok_or_else(|| RegistryError::Entry {
        name: name.to_string(),
        message: "empty command".into(),
    })?;
    let program = Path::new(&command.program);
    if let Some(base) = base.filter(|_| program.is_relative() && command.program.contains('/')) {
        command.program = base.join(program).to_string_lossy().into_owned();
    }
    command.timeout = DEFAULT_TIMEOUT;
    Ok(command)
}

/// The `baton` executable that `{baton}` stands for: `$BATON_BIN` if set; else this process's
/// executable when it is `baton`; else a `baton` next to it or one directory up (test binaries
/// live in `target/<profile>/deps/`); else `baton` on the `PATH`.
pub fn baton_executable() -> PathBuf {
    if let Some(path) = std::env::var_os("BATON_BIN") {
        return PathBuf::from(path);
    }
    let name = format!("baton{}", std::env::consts::EXE_SUFFIX);
    if let Ok(current) = std::env::current_exe() {
        if current
            .file_name()
            .is_some_and(|file| file == name.as_str())
        {
            return current;
        }
        let beside = current.parent().map(|dir| dir.join(&name));
        let above = current
            .parent()
            .and_then(Path::parent)
            .map(|dir| dir.join(&name));
        if let Some(found) = [beside, above].into_iter().flatten().find(|p| p.is_file()) {
            return found;
        }
    }
    PathBuf::from(name)
}

/// The first `adapters.toml` in the current directory or its ancestors, else the workspace's.
pub fn default_file() -> Option<PathBuf> {
    let from_cwd = std::env::current_dir().ok().and_then(|dir| {
        dir.ancestors()
            .map(|dir| dir.join(FILE_NAME))
            .find(|path| path.is_file())
    });
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(FILE_NAME);
    from_cwd.or_else(|| built.is_file().then_some(built))
}

/// The process-wide registry (set by [`configure`], else the default file's, else empty).
static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// Entries created so far, by full name.
static ENTRIES: Mutex<Option<HashMap<String, &'static EngineEntry>>> = Mutex::new(None);

/// Sets the process-wide registry from `--adapters` and `--adapter` arguments (call once, before
/// any engine is resolved). Without a file, the default file is read if there is one.
pub fn configure(file: Option<&Path>, arguments: &[String]) -> Result<(), RegistryError> {
    let mut registry = match file.map(Path::to_path_buf).or_else(default_file) {
        Some(path) => Registry::load(&path)?,
        None => Registry::default(),
    };
    for argument in arguments {
        registry.add_argument(argument)?;
    }
    let _ = REGISTRY.set(registry);
    Ok(())
}

fn registry() -> &'static Registry {
    REGISTRY.get_or_init(|| {
        default_file()
            .and_then(|path| Registry::load(&path).ok())
            .unwrap_or_default()
    })
}

/// The `proc:` names of the registry.
pub fn names() -> Vec<String> {
    registry()
        .commands
        .keys()
        .map(|name| format!("{PREFIX}{name}"))
        .collect()
}

/// The command registered for `name` (without the prefix).
pub fn command(name: &str) -> Option<&'static AdapterCommand> {
    registry().commands.get(name)
}

/// What the adapter registered as `proc:NAME` says in its handshake (engine name and version,
/// capabilities, trap aliases; e.g. for a certificate), or why it could not be asked; `None` for
/// names that are not registered `proc:` adapters.
pub fn adapter_info(name: &str) -> Option<Result<AdapterInfo, baton_engine::EngineError>> {
    let command = command(name.strip_prefix(PREFIX)?)?;
    Some(ProcessEngine::new(name, command, &EngineConfig::default()).info())
}

/// Resolves `proc:NAME`: `None` for other names and unregistered adapters. The first
/// resolution starts the adapter once to read its capabilities from the handshake (whether it
/// checkpoints); an adapter that cannot be started is assumed to checkpoint, so that its
/// failures show up in runs rather than as an unknown engine.
pub fn find(name: &str) -> Option<&'static EngineEntry> {
    let adapter = name.strip_prefix(PREFIX)?;
    let mut entries = ENTRIES.lock().unwrap_or_else(PoisonError::into_inner);
    let entries = entries.get_or_insert_with(HashMap::new);
    if let Some(entry) = entries.get(name) {
        return Some(entry);
    }
    let command = command(adapter)?;
    let full: &'static str = Box::leak(name.to_string().into_boxed_str());
    let checkpoints = ProcessEngine::new(full, command, &EngineConfig::default())
        .info()
        .map_or(true, |info| info.checkpoints());
    let create: &'static super::Create = Box::leak(Box::new(move |config: &EngineConfig| {
        Box::new(ProcessEngine::new(full, command, config)) as Box<dyn Engine>
    }));
    let entry: &'static EngineEntry = Box::leak(Box::new(EngineEntry {
        name: full,
        checkpoints,
        default: false,
        create,
    }));
    entries.insert(name.to_string(), entry);
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_tables_and_arguments() {
        let text = r#"
[adapters]
stack = "{baton} serve --engine stack"
py = { command = ["python3", "adapters/py/adapter.py", "--x"], timeout_ms = 1500 }
quoted = "sh -c 'exit 3'"
"#;
        let mut registry = Registry::parse(text, Some(Path::new("/repo/adapters.toml"))).unwrap();
        let stack = &registry.commands["stack"];
        assert_eq!(stack.args, ["serve", "--engine", "stack"]);
        assert!(!stack.program.contains("{baton}"));
        let py = &registry.commands["py"];
        assert_eq!(py.program, "python3");
        assert_eq!(py.timeout, Duration::from_millis(1500));
        assert_eq!(registry.commands["quoted"].args, ["-c", "exit 3"]);
        registry.add_argument("stack=./my-adapter --fast").unwrap();
        assert_eq!(registry.commands["stack"].program, "./my-adapter");
        assert!(registry.add_argument("no-equals-sign").is_err());
        assert!(registry.add_argument("x='unbalanced").is_err());
        assert!(registry.add_argument("x=").is_err());
    }

    #[test]
    fn relative_programs_resolve_against_the_file() {
        let text = "[adapters]\nlocal = \"bin/adapter --x\"\n";
        let registry = Registry::parse(text, Some(Path::new("/repo/adapters.toml"))).unwrap();
        assert_eq!(registry.commands["local"].program, "/repo/bin/adapter");
    }

    #[test]
    fn malformed_files_are_typed_errors() {
        for text in [
            "[adapters]\nx = 3\n",
            "[adapters]\nx = { command = \"a\", colour = 1 }\n",
            "adapters = [",
            "[other]\n",
        ] {
            assert!(Registry::parse(text, None).is_err(), "{text}");
        }
    }
}
