//! Prints the threaded code of every function of a `.wat` file (words with positions) and its
//! safe points. Usage: `cargo run --release -p baton-threaded --example threaded-listing FILE.wat`.

use baton_runtime::CompiledModule;
use baton_threaded::Module;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: threaded-listing FILE.wat");
    let bytes = wat::parse_file(&path).expect("parses");
    let module = Module::compile(&bytes).expect("compiles");
    let info = module.info();
    for func in info.num_imported_funcs..info.func_types.len() as u32 {
        let Some(compiled) = module.compiled(func) else {
            continue;
        };
        println!(
            "func {func}: locals {}, consts {:?}, temps from {}, frame {}",
            compiled.locals.len(),
            compiled.consts,
            compiled.temp_base,
            compiled.frame_size
        );
        for (pos, word) in compiled.code.iter().enumerate() {
            println!("  {pos:4} {word:?}");
        }
        for point in compiled.points.all() {
            println!(
                "  point {:?} pos {} pc {} loops {:?} operands {:?}",
                point.kind, point.pos, point.pc, point.loops, point.operands
            );
        }
    }
}
