//! The build script of the engines with threaded handlers (`register`, `threaded`: their
//! manifests name this file as `build`). Sets cfg `baton_tail_calls` when the build optimises
//! (opt-level 2, 3, "s" or "z") for a target where LLVM turns a call in tail position with the caller's own signature into a jump
//! (x86-64, AArch64). The executor's threaded handlers then chain by tail calls; otherwise
//! they return to a loop, so an unoptimised build cannot grow the stack per instruction.
//! Setting `BATON_NO_TAIL_CALLS` in the environment forces the loop (for comparisons).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(baton_tail_calls)");
    println!("cargo::rerun-if-changed=../runtime/build-support/tail_calls.rs");
    println!("cargo::rerun-if-env-changed=BATON_NO_TAIL_CALLS");
    let optimised = matches!(
        std::env::var("OPT_LEVEL").as_deref(),
        Ok("2" | "3" | "s" | "z")
    );
    let arch_ok = matches!(
        std::env::var("CARGO_CFG_TARGET_ARCH").as_deref(),
        Ok("x86_64" | "aarch64")
    );
    if optimised && arch_ok && std::env::var_os("BATON_NO_TAIL_CALLS").is_none() {
        println!("cargo::rustc-cfg=baton_tail_calls");
    }
}
