//! Glue shared by baton's cargo-fuzz targets: [`fuzz_body!`] turns a library target body
//! (`baton::fuzz::targets::<name>::run`) into a libFuzzer target under `cargo fuzz`, and into a
//! plain program that replays the files named on its command line otherwise (so a stable
//! `cargo build --workspace` proves every target builds, and a crash artifact replays without
//! nightly).
//!
//! Invariant: a failing input panics under libFuzzer (that is how libFuzzer sees a crash) and
//! exits 1 in replay mode, naming the file.

#[cfg(fuzzing)]
#[doc(hidden)]
pub use libfuzzer_sys;

/// Replays `body` on each file named on the command line; exit status 1 if any fails.
pub fn replay_files(
    name: &str,
    body: fn(&mut arbitrary::Unstructured<'_>) -> Result<(), baton::fuzz::targets::TargetFailure>,
) -> std::process::ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("{name}: replays fuzz inputs; usage: {name} FILE... (fuzz with `cargo fuzz run {name}`)");
        return std::process::ExitCode::from(2);
    }
    let mut failed = false;
    for file in files {
        match std::fs::read(&file) {
            Ok(data) => match body(&mut arbitrary::Unstructured::new(&data)) {
                Ok(()) => println!("{file}: ok"),
                Err(failure) => {
                    println!("{file}: {failure}");
                    failed = true;
                }
            },
            Err(error) => {
                eprintln!("{file}: {error}");
                failed = true;
            }
        }
    }
    if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}

/// Defines the target's entry point for `baton::fuzz::targets::$name::run`.
#[macro_export]
macro_rules! fuzz_body {
    ($name:ident) => {
        #[cfg(fuzzing)]
        $crate::libfuzzer_sys::fuzz_target!(|data: &[u8]| {
            let mut u = arbitrary::Unstructured::new(data);
            if let Err(failure) = baton::fuzz::targets::$name::run(&mut u) {
                panic!("{}: {failure}", stringify!($name));
            }
        });

        #[cfg(not(fuzzing))]
        fn main() -> std::process::ExitCode {
            $crate::replay_files(stringify!($name), baton::fuzz::targets::$name::run)
        }
    };
}
