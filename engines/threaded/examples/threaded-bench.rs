//! Times `run(size)` of each corpus/bench workload on the threaded engine, with safe-point
//! polling compiled in (checkpointable) and without it, to measure the cost of checkpoint
//! support (see `baton_runtime::polling_bench`). Usage: `cargo run --release -p baton-threaded
//! --example threaded-bench [DIR] [ITERATIONS] [both|poll|nopoll]`.

fn main() {
    baton_runtime::polling_bench::main::<baton_threaded::Instance>(
        baton_threaded::Module::with_polling,
        |path| wat::parse_file(path).map_err(|e| e.to_string()),
    );
}
