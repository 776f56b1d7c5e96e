//! Prints the register code the compiler emits for every defined function of a WAT or Wasm
//! file, one instruction a line with its index, to see what a workload's hot loop compiles to.
//! Usage: `cargo run --release -p baton-register --example dump FILE [nopoll]`.

use baton_register::Module;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: dump FILE [nopoll]");
        std::process::exit(2);
    };
    let polling = args.next().as_deref() != Some("nopoll");
    let bytes = match wat::parse_file(&path) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("{path}: {error}");
            std::process::exit(1);
        }
    };
    let module = match Module::with_polling(&bytes, polling) {
        Ok(module) => module,
        Err(error) => {
            eprintln!("{path}: {error}");
            std::process::exit(1);
        }
    };
    for func in 0..module.info().func_types.len() as u32 {
        if let Some(compiled) = module.compiled(func) {
            println!("func {func}: {} cells", compiled.frame_cells);
            for (index, instr) in compiled.code.iter().enumerate() {
                println!("  {index:4}  {instr:?}");
            }
        }
    }
}
