//! The `knet` binary. All I/O lives here, in [`cli`] and the language server [`lsp`];
//! the compiler is the `knetc` library.

mod cli;
mod lsp;

fn main() {
    std::process::exit(cli::run());
}
