//! Prints the register code of every function of a WAT or Wasm file.
//! Usage: `cargo run --release -p baton-register --example listing FILE`.

use baton_register::Module;

fn main() {
    let path = std::env::args().nth(1).expect("a file");
    let bytes = wat::parse_file(&path).expect("parses");
    let module = Module::new(&bytes).expect("compiles");
    let imported = module.info().num_imported_funcs;
    for func in imported..module.info().func_types.len() as u32 {
        if let Some(code) = module.compiled(func) {
            println!("func {func}:\n{}", code.listing());
        }
    }
}
