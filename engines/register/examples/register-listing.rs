//! Prints the register code of every function of a WAT or Wasm file, one instruction a line with
//! its index, then the constant pool. `nopoll` compiles without safe-point polling.
//! Usage: `cargo run --release -p baton-register --example register-listing FILE [nopoll]`.

use baton_register::Module;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: register-listing FILE [nopoll]");
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
    let imported = module.info().num_imported_funcs;
    for func in imported..module.info().func_types.len() as u32 {
        if let Some(code) = module.compiled(func) {
            println!("func {func}:\n{}", code.listing());
        }
    }
}
