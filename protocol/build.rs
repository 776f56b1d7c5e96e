//! Generates the protocol's Rust types from `proto/adapter.proto` into
//! `$OUT_DIR/baton.adapter.v1.rs`, which `src/pb.rs` includes.
//!
//! As in `checkpoint/build.rs`, protox parses the schema in pure Rust (no `protoc` binary) and
//! keeps its comments as the types' docs. `adapter.proto` imports the image schema
//! (`checkpoint/proto/baton.proto`) for the safe-point kinds; those types are not generated
//! again but mapped to `baton_checkpoint::image`.

use std::error::Error;

const PROTO: &str = "proto/adapter.proto";
const INCLUDES: [&str; 2] = ["proto", "../checkpoint/proto"];

fn main() -> Result<(), Box<dyn Error>> {
    for include in INCLUDES {
        println!("cargo:rerun-if-changed={include}");
    }
    let mut compiler = protox::Compiler::new(INCLUDES)?;
    compiler.include_source_info(true).open_file(PROTO)?;
    let mut config = prost_build::Config::new();
    config.extern_path(".baton.v1", "::baton_checkpoint::image");
    config.compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}
