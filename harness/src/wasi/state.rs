//! Everything the WASI host holds, as one serializable value: what goes into the image's host
//! section, so a restored host continues exactly where the checkpointed one was.
//!
//! Invariants: maps are ordered (`BTreeMap`), so equal states encode to equal bytes; byte
//! buffers are bounded by [`MAX_OUTPUT`] and [`MAX_FILE`] (a write past them is `EFBIG`);
//! descriptors 0-2 are stdio and [`PREOPEN_FD`] is the preopened directory, always open.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::config::WasiConfig;

/// The preopened directory's descriptor.
pub const PREOPEN_FD: u32 = 3;

/// The preopened directory's name.
pub const PREOPEN_NAME: &str = ".";

/// Largest stdout or stderr the host keeps.
pub const MAX_OUTPUT: usize = 64 << 20;

/// Largest virtual file.
pub const MAX_FILE: usize = 64 << 20;

/// Most descriptors open at once.
pub const MAX_FDS: usize = 1024;

/// Virtual nanoseconds each host call advances the clock by.
pub const CLOCK_STEP_NS: u64 = 1_000;

/// Bytes serialized as a lowercase hex string.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HexBytes(pub Vec<u8>);

impl Serialize for HexBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        hex::decode(text)
            .map(HexBytes)
            .map_err(serde::de::Error::custom)
    }
}

/// An open descriptor of a virtual file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenFile {
    /// The file's name in the preopened directory.
    pub path: String,
    /// The current offset.
    pub offset: u64,
    /// Writes go to the end (`O_APPEND`).
    pub append: bool,
}

/// The host's whole state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WasiState {
    /// Program arguments (from the configuration).
    pub args: Vec<String>,
    /// Environment entries (from the configuration).
    pub env: Vec<String>,
    /// Standard input.
    pub stdin: HexBytes,
    /// How much of stdin was read.
    pub stdin_offset: u64,
    /// Everything written to stdout.
    pub stdout: HexBytes,
    /// Everything written to stderr.
    pub stderr: HexBytes,
    /// The preopened directory's files.
    pub files: BTreeMap<String, HexBytes>,
    /// Open file descriptors (beyond stdio and the preopen).
    pub fds: BTreeMap<u32, OpenFile>,
    /// Virtual time in nanoseconds since the start.
    pub clock_ns: u64,
    /// The random generator's state (splitmix64).
    pub rng: u64,
    /// Host calls made.
    pub calls: u64,
    /// Unsupported functions called, with counts.
    pub unsupported: BTreeMap<String, u64>,
    /// The code given to `proc_exit`, once called.
    pub exit_code: Option<u32>,
}

impl WasiState {
    /// The initial state of a run configured by `config`.
    pub fn new(config: &WasiConfig) -> Self {
        Self {
            args: config.args.clone(),
            env: config.env.clone(),
            stdin: config.stdin.clone(),
            files: config.files.clone(),
            rng: config.seed,
            ..Self::default()
        }
    }

    /// The next 64 random bits.
    pub fn next_random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// What an observer compares: output, files, exit code and unsupported calls.
    pub fn output(&self) -> WasiOutput {
        WasiOutput {
            stdout: self.stdout.clone(),
            stderr: self.stderr.clone(),
            files: self.files.clone(),
            exit_code: self.exit_code,
            unsupported: self.unsupported.clone(),
        }
    }
}

/// The externally visible result of a WASI run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WasiOutput {
    /// Everything written to stdout.
    pub stdout: HexBytes,
    /// Everything written to stderr.
    pub stderr: HexBytes,
    /// The preopened directory's files at the end.
    pub files: BTreeMap<String, HexBytes>,
    /// The code given to `proc_exit`, if called.
    pub exit_code: Option<u32>,
    /// Unsupported functions called, with counts.
    pub unsupported: BTreeMap<String, u64>,
}

/// The first difference between two runs' WASI outputs: `(place, description)`.
pub fn first_difference(
    expected: Option<&WasiOutput>,
    actual: Option<&WasiOutput>,
) -> Option<(String, String)> {
    let (a, b) = match (expected, actual) {
        (None, None) => return None,
        (Some(a), Some(b)) => (a, b),
        _ => {
            return Some((
                "wasi presence".into(),
                "one run has WASI output, the other none".into(),
            ))
        }
    };
    for (stream, x, y) in [
        ("stdout", &a.stdout, &b.stdout),
        ("stderr", &a.stderr, &b.stderr),
    ] {
        if x != y {
            let at = x.0.iter().zip(&y.0).position(|(p, q)| p != q);
            let at = at.unwrap_or(x.0.len().min(y.0.len()));
            let show = |bytes: &[u8]| String::from_utf8_lossy(slice(bytes, at)).into_owned();
            return Some((
                format!("wasi {stream}"),
                format!(
                    "{stream} differs at byte {at} ({} vs {} bytes): expected {:?}, got {:?}",
                    x.0.len(),
                    y.0.len(),
                    show(&x.0),
                    show(&y.0)
                ),
            ));
        }
    }
    if a.exit_code != b.exit_code {
        return Some((
            "wasi exit code".into(),
            format!(
                "exit code: expected {:?}, got {:?}",
                a.exit_code, b.exit_code
            ),
        ));
    }
    if a.files != b.files {
        let names: std::collections::BTreeSet<&String> =
            a.files.keys().chain(b.files.keys()).collect();
        let name = names
            .into_iter()
            .find(|name| a.files.get(*name) != b.files.get(*name))
            .cloned()
            .unwrap_or_default();
        return Some((
            "wasi files".into(),
            format!("file {name:?} differs in the preopened directory"),
        ));
    }
    if a.unsupported != b.unsupported {
        return Some((
            "wasi unsupported calls".into(),
            format!(
                "unsupported calls: expected {:?}, got {:?}",
                a.unsupported, b.unsupported
            ),
        ));
    }
    None
}

/// Up to 40 bytes of `bytes` around `at`.
fn slice(bytes: &[u8], at: usize) -> &[u8] {
    let start = at.saturating_sub(20).min(bytes.len());
    &bytes[start..(at + 20).min(bytes.len())]
}

/// The output as text lines for unified diffs (stdout and stderr line by line).
pub fn text_view(output: &WasiOutput) -> String {
    let mut out = String::new();
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        for line in String::from_utf8_lossy(&bytes.0).lines() {
            out.push_str(&format!("{stream}: {line}\n"));
        }
    }
    if let Some(code) = output.exit_code {
        out.push_str(&format!("exit code: {code}\n"));
    }
    for (name, data) in &output.files {
        out.push_str(&format!("file {name}: {} bytes\n", data.0.len()));
    }
    for (name, count) in &output.unsupported {
        out.push_str(&format!("unsupported {name}: {count} calls\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_through_json_and_generator_is_seeded() {
        let config = WasiConfig {
            seed: 7,
            ..WasiConfig::command("p", &["a".into()])
        };
        let mut a = WasiState::new(&config);
        let mut b = WasiState::new(&config);
        assert_eq!(a.next_random(), b.next_random());
        a.stdout.0.extend_from_slice(b"hello");
        a.files.insert("f".into(), HexBytes(vec![0, 255]));
        let json = serde_json::to_vec(&a).expect("serializes");
        let back: WasiState = serde_json::from_slice(&json).expect("parses");
        assert_eq!(back, a);
        assert_ne!(back, b);
    }
}
