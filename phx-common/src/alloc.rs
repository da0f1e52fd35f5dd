//! The one setting of mimalloc, the allocator each Phoenix binary declares in
//! its own main.rs (a library choosing it would choose it for every program
//! that links it, tests and benchmarks included; why mimalloc: the workspace
//! Cargo.toml). Under another allocator the setting is harmless: it only
//! tunes mimalloc's own heap.

use std::os::raw::c_int;

/// `mi_option_purge_delay` in mimalloc v2's `mi_option_e` (libmimalloc-sys
/// does not name it; the version is pinned by Cargo.lock and the test below
/// checks the index against the option's documented default).
const PURGE_DELAY: c_int = 15;

/// Makes freed memory go back to the system at once instead of 10 ms later.
/// Loading frees each document's text and raw entries just before the next
/// is read; with the delay, whether those pages were back by then depended on
/// the machine's speed and load: phx-net's peak at 10,000 guests was 58 to
/// 70 MB from run to run, and is 48 MB without it, in the same time.
/// Called before loading, while the program runs one thread (mimalloc's
/// option setter is not thread-safe).
pub fn return_freed_memory_at_once() {
    // SAFETY: sets a plain integer option of the linked mimalloc; it takes
    // any value, and the caller runs before any second thread exists.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // SAFETY: reads a plain integer option.
        let get = || unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) };
        // v2's documented default for purge_delay; no other option of its
        // enum defaults to 10, so a shifted index shows here.
        assert_eq!(get(), 10);
        super::return_freed_memory_at_once();
        assert_eq!(get(), 0);
    }
}
