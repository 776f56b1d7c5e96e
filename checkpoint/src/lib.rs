//! baton's engine-neutral checkpoint image of one WebAssembly instance.
//!
//! The schema lives in `proto/baton.proto`; [`image`] mirrors it in Rust.

pub mod image;

pub use image::*;
