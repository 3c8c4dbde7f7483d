//! Build script of the API and provider components (each crate's `build` points here):
//! the component starts with enough linear memory for a request, so a request does not
//! grow memory. Growing, and resetting the pooled slot for the next instance, costs an
//! `mprotect` with a TLB shootdown on every core. Pages never touched cost nothing: the
//! host maps memory lazily and keeps up to `KEEP_RESIDENT` touched bytes per pooled slot
//! (host/src/runtime.rs).

/// Initial linear memory of the component, in bytes (a multiple of the 64 KiB wasm page).
const INITIAL_MEMORY: usize = 2 << 20;

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg=--initial-memory={INITIAL_MEMORY}");
    }
    // Cargo reruns a build script when the script itself changes.
}
