//! `authing`: see `authing otp import --help` and the crate README.

fn main() {
    std::process::exit(authing_cli::app::main());
}
