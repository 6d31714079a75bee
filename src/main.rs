//! `mssr`: command-line front end of masked-ssr.
use masked_ssr::cli;

fn main() {
    let code = cli::run(std::env::args_os().collect());
    std::process::exit(code);
}
