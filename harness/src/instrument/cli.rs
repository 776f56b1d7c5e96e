//! `baton instrument IN.wasm -o OUT.wasm`: writes the rewritten module (text input accepted).

use std::path::PathBuf;

/// Arguments of `baton instrument`.
#[derive(clap::Args, Debug, Clone)]
pub struct InstrumentArgs {
    /// The module to rewrite (`.wasm` or `.wat`).
    pub input: PathBuf,
    /// Where to write the rewritten module.
    #[arg(short, long)]
    pub output: PathBuf,
}

/// Rewrites `args.input` into `args.output`; returns a one-line summary.
pub fn run(args: &InstrumentArgs) -> Result<String, String> {
    let bytes =
        std::fs::read(&args.input).map_err(|e| format!("reading {}: {e}", args.input.display()))?;
    let wasm = wat::parse_bytes(&bytes)
        .map_err(|e| format!("{}: {e}", args.input.display()))?
        .into_owned();
    let out = baton_instrument::instrument(&wasm)
        .map_err(|e| format!("{}: {e}", args.input.display()))?;
    std::fs::write(&args.output, &out.wasm)
        .map_err(|e| format!("writing {}: {e}", args.output.display()))?;
    Ok(format!(
        "{} -> {}: {} -> {} bytes ({:.2}x), {} sites in {} levels",
        args.input.display(),
        args.output.display(),
        wasm.len(),
        out.wasm.len(),
        out.wasm.len() as f64 / wasm.len().max(1) as f64,
        out.meta.sites.len(),
        out.meta.levels.len()
    ))
}
