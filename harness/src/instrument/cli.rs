//! `baton instrument IN.wasm -o OUT.wasm`: writes the rewritten module (text input accepted).

use std::path::PathBuf;

/// Arguments of `baton instrument`.
#[derive(clap::Args, Debug, Clone)]
pub struct InstrumentArgs {
    /// The module to rewrite (`.wasm` or `.wat`).
    pub input: PathBuf,
    /// Where to write the rewritten module (text format when it ends in `.wat`).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Make the module enforce this many live frames itself (for engines that do not
    /// enforce baton's `max_frames`).
    #[arg(long)]
    pub max_frames: Option<u32>,
    /// Rewrite for an engine without reference types (e.g. Wasm3): no added table, numeric
    /// host imports only; modules using reference types or several tables are refused.
    #[arg(long)]
    pub mvp: bool,
}

/// Rewrites `args.input` into `args.output`; returns a one-line summary.
pub fn run(args: &InstrumentArgs) -> Result<String, String> {
    let bytes =
        std::fs::read(&args.input).map_err(|e| format!("reading {}: {e}", args.input.display()))?;
    let wasm = wat::parse_bytes(&bytes)
        .map_err(|e| format!("{}: {e}", args.input.display()))?
        .into_owned();
    let options = baton_instrument::Options {
        max_frames: args.max_frames,
        mvp: args.mvp,
    };
    let out = baton_instrument::instrument_with(&wasm, &options)
        .map_err(|e| format!("{}: {e}", args.input.display()))?;
    let text = args.output.extension().is_some_and(|e| e == "wat");
    let bytes = if text {
        wasmprinter::print_bytes(&out.wasm)
            .map_err(|e| format!("printing {}: {e}", args.output.display()))?
            .into_bytes()
    } else {
        out.wasm.clone()
    };
    std::fs::write(&args.output, bytes)
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
