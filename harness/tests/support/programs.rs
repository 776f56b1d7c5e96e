//! The C programs of `corpus/programs/`, built once per test binary with
//! `scripts/build-programs.sh` (clang --target=wasm32-wasi; `scripts/setup.sh` installs it).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds every program once per test binary; returns the output directory.
pub fn built() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("programs-{}", std::process::id()));
        let status = std::process::Command::new("bash")
            .arg(root().join("scripts/build-programs.sh"))
            .env("OUT", &out)
            .status()
            .expect("bash runs");
        assert!(
            status.success(),
            "scripts/build-programs.sh failed: run scripts/setup.sh to install clang, lld, wasi-libc and libclang-rt-14-dev-wasm32"
        );
        out
    })
}
