//! The `knet` binary. All I/O lives here, in [`cli`]; the compiler is the `knetc`
//! library.

mod cli;

fn main() {
    std::process::exit(cli::run());
}
