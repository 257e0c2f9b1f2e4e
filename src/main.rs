//! The `knet` binary. All I/O lives here, in [`cli`] and the language server [`lsp`];
//! the compiler is the `knetc` library.

mod cli;
mod lsp;
mod memory;

/// mimalloc instead of the system allocator: knet builds millions of small strings,
/// vectors and maps for a large model, and with mimalloc `check`, `build` and `preview`
/// take about a quarter less CPU time (`cargo bench --bench scale`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cli::run());
}
