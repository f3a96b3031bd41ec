//! `authing`: see `authing otp import --help` and the crate README. One file per
//! command (`cmd_*.rs`); the engine behind them is the `authing_cli` library, which
//! prints nothing: presentation, exit codes and the progress bar live here.

mod cli;
mod cmd_otp_import;
mod credentials;
mod exit;
mod output;
mod rehearsal;
mod summary;

use std::time::Duration;

use clap::Parser;

use cli::{Cli, Command, OtpCommand};
use output::stderr_line;

fn main() {
    std::process::exit(exit::guarded(run));
}

/// Parses the command line and runs; returns the exit code.
fn run() -> i32 {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            stderr_line(format!("error: cannot start the async runtime: {e}"));
            return exit::CONFIG;
        }
    };
    let code = match cli.command {
        Command::Otp(OtpCommand::Import(args)) => runtime.block_on(cmd_otp_import::run(args)),
    };
    // Do not wait for stray blocking readers (e.g. a Keycloak parser) on the way out.
    runtime.shutdown_timeout(Duration::from_millis(100));
    code
}

/// Logs go to stderr, filtered by RUST_LOG (default: warnings).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}
