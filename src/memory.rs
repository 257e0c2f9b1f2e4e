//! How the allocator treats the memory a command frees before it ends.

/// mimalloc's `purge_delay` option (`mi_option_purge_delay` in `mimalloc.h`, which the
/// Rust bindings do not name): how long freed memory waits before it goes back to the
/// operating system. `-1` keeps it.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps the memory freed from here on for the rest of the run, instead of handing it
/// back to the operating system.
///
/// Why: `build` and the commands that print a model free the syntax trees (hundreds of
/// megabytes at 100,000 apps) before they make their output. By default mimalloc
/// purges freed pages after 10 ms, and the output's own structures then fault in fresh
/// pages, which the kernel zeroes again. Kept, the same pages are reused: at 100,000
/// apps `build` and `preview` spend a third to two thirds less time in the kernel.
/// `check` frees less, but still 164 MiB over a 100k run (lists outgrown as they fill,
/// the parser's pieces, the lints' indices), and with it purged a 100k `check` took
/// 3,000 to 4,000 page faults; kept, 350, and its system time fell by a fifth to a
/// half in paired runs. Not for the language server, which runs for hours and should
/// give memory back.
#[allow(unsafe_code)] // The binary's one unsafe call (Cargo.toml's lints).
pub fn keep_freed_memory() {
    // SAFETY: `mi_option_set` stores an option's value; mimalloc reads it when it next
    // decides whether to purge. Any value is valid for this option.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option number is mimalloc's `purge_delay`: it starts at mimalloc's documented
    /// default (10 ms, unless `MIMALLOC_PURGE_DELAY` says otherwise), and is -1 once
    /// memory is kept.
    #[test]
    #[allow(unsafe_code)]
    fn the_option_is_the_purge_delay() {
        let from_environment = std::env::var("MIMALLOC_PURGE_DELAY").ok();
        // SAFETY: reading an option has no precondition.
        let get = || unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        if from_environment.is_none() {
            assert_eq!(get(), 10);
        }
        keep_freed_memory();
        assert_eq!(get(), -1);
    }
}
