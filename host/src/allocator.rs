//! The host allocates with mimalloc (see `main.rs`). While the components compile at
//! start-up it gives freed memory back to the system at once; afterwards it keeps freed
//! memory a while for reuse, which is what makes it fast on the request path.

use std::ffi::{c_int, c_long};

// Links mimalloc also where it is not the global allocator (this crate's tests).
extern crate libmimalloc_sys;

// mimalloc's options are an enum in `mimalloc.h`; the bindings expose their getter and
// setter only behind a feature this workspace does not build.
const PURGE_DELAY: c_int = 15;

unsafe extern "C" {
    fn mi_option_get(option: c_int) -> c_long;
    fn mi_option_set(option: c_int, value: c_long);
}

/// Runs `f` with freed memory going back to the system at once, then restores mimalloc's
/// delay. Compiling the components with a cold cache frees hundreds of MiB on compiler
/// threads that then sit idle, and would otherwise keep it resident: 129 → 88 MiB peak
/// after compiling the project's components.
pub fn purging_at_once<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: reads and sets one of mimalloc's options, which it keeps in atomics.
    let delay = unsafe { mi_option_get(PURGE_DELAY) };
    unsafe { mi_option_set(PURGE_DELAY, 0) };
    let out = f();
    unsafe { mi_option_set(PURGE_DELAY, delay) };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_is_the_purge_delay_and_comes_back() {
        // SAFETY: reads one of mimalloc's options.
        let get = || unsafe { mi_option_get(PURGE_DELAY) };
        // mimalloc 3's default purge delay, in milliseconds.
        assert_eq!(get(), 1000, "option {PURGE_DELAY} is not the purge delay");
        assert_eq!(purging_at_once(get), 0);
        assert_eq!(get(), 1000);
    }
}
