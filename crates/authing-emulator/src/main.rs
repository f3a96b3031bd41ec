//! `authing-emulator`: runs the emulator until SIGINT or SIGTERM.
//!
//! The first line on stdout is exactly `listening on http://HOST:PORT`, so scripts can wait for
//! it and read the address; generated credentials follow, the secret only there and only once.

use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;

use authing_emulator::{Config, Emulator, Faults, Unemulated};
use clap::Parser;

/// sysexits: bad input data (the seed or state file), configuration error, OS error (cannot
/// listen), I/O error (the state could not be saved on exit).
const EXIT_DATA: u8 = 65;
const EXIT_CONFIG: u8 = 78;
const EXIT_OS: u8 = 71;
const EXIT_IO: u8 = 74;

#[derive(Parser, Debug)]
#[command(
    name = "authing-emulator",
    version,
    about = "Local emulator of the Authing v3 Management API"
)]
struct Args {
    /// Address to listen on. The admin API (/_emulator/*) has no auth: keep it on loopback.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Port to listen on; 0 picks a free port.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Access key id (random when absent).
    #[arg(long, env = "AUTHING_EMULATOR_ACCESS_KEY_ID")]
    access_key_id: Option<String>,
    /// Access key secret (random when absent, then printed once).
    #[arg(
        long,
        env = "AUTHING_EMULATOR_ACCESS_KEY_SECRET",
        hide_env_values = true
    )]
    access_key_secret: Option<String>,
    /// User pool id (random when absent).
    #[arg(long, env = "AUTHING_EMULATOR_USERPOOL_ID")]
    userpool_id: Option<String>,
    /// Users to preload: a JSON Lines file (or a JSON array) of {"userId","email",...}.
    #[arg(long, value_name = "FILE")]
    seed: Option<std::path::PathBuf>,
    /// Lifetime of management tokens in seconds.
    #[arg(long, default_value_t = authing_emulator::DEFAULT_TOKEN_TTL_SECS, value_name = "SECS")]
    token_ttl: u64,
    /// Base latency of every Management API call (± 50 % jitter).
    #[arg(long, default_value_t = 0, value_name = "MS")]
    latency_ms: u64,
    /// Probability (0-1) of answering HTTP 429 with Authing's throttling body.
    #[arg(long = "fail-429", default_value_t = 0.0, value_name = "P")]
    fail_429: f64,
    /// Probability (0-1) of answering HTTP 500.
    #[arg(long = "fail-500", default_value_t = 0.0, value_name = "P")]
    fail_500: f64,
    /// Probability (0-1) of answering HTTP 502.
    #[arg(long = "fail-502", default_value_t = 0.0, value_name = "P")]
    fail_502: f64,
    /// Probability (0-1) of answering HTTP 503.
    #[arg(long = "fail-503", default_value_t = 0.0, value_name = "P")]
    fail_503: f64,
    /// Probability (0-1) of applying a request and then dropping the connection mid-response.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    fail_drop: f64,
    /// Requests per second allowed; beyond it, Authing's HTTP 429. 0: unlimited.
    #[arg(long, default_value_t = 0, value_name = "N")]
    max_rps: u32,
    /// Add `retry-after: SECS` to 429 answers (Authing documents none).
    #[arg(long, value_name = "SECS")]
    retry_after: Option<u64>,
    /// Answer of operations without emulated behaviour: `synthesize` (a success valid under the
    /// document, header `x-authing-emulator: synthesized`) or `501` (statusCode 501).
    #[arg(long, default_value_t = Unemulated::Synthesize, value_name = "synthesize|501")]
    unemulated: Unemulated,
    /// Keep users, roles, groups and organisations in FILE: loaded at start if it exists,
    /// written on SIGINT/SIGTERM and on `POST /_emulator/snapshot`. It holds OTP secrets and is
    /// written with mode 0600.
    #[arg(long, value_name = "FILE")]
    state: Option<std::path::PathBuf>,
    /// Requests kept by the request log (`GET /_emulator/requests`); 0 turns it off.
    #[arg(long, default_value_t = authing_emulator::DEFAULT_REQUEST_LOG_CAPACITY, value_name = "N")]
    request_log: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args = Args::parse();
    let mut signals = match StopSignals::install() {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("error: cannot install signal handlers: {e}");
            return ExitCode::from(EXIT_OS);
        }
    };

    let seed_users = match &args.seed {
        None => Vec::new(),
        Some(path) => {
            let parsed = std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| authing_emulator::parse_seed(&bytes));
            match parsed {
                Ok(users) => users,
                Err(e) => {
                    eprintln!("error: seed file {}: {e}", path.display());
                    return ExitCode::from(EXIT_DATA);
                }
            }
        }
    };
    let generated_id = args.access_key_id.is_none();
    let generated_secret = args.access_key_secret.is_none();
    let generated_pool = args.userpool_id.is_none();
    let config = Config {
        bind: args.bind,
        port: args.port,
        access_key_id: args.access_key_id,
        access_key_secret: args.access_key_secret,
        userpool_id: args.userpool_id,
        faults: Faults {
            latency_ms: args.latency_ms,
            fail_429: args.fail_429,
            fail_500: args.fail_500,
            fail_502: args.fail_502,
            fail_503: args.fail_503,
            fail_drop: args.fail_drop,
            max_rps: (args.max_rps > 0).then_some(args.max_rps),
            retry_after_secs: args.retry_after,
            token_ttl_secs: Some(args.token_ttl),
        },
        seed_users,
        unemulated: args.unemulated,
        request_log_capacity: args.request_log,
        state_file: args.state,
        ..Config::default()
    };
    let emulator = match Emulator::start(config).await {
        Ok(emulator) => emulator,
        Err(e @ authing_emulator::Error::Bind { .. }) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_OS);
        }
        Err(e @ authing_emulator::Error::InvalidState(_)) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_DATA);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };

    let mut out = std::io::stdout().lock();
    // A closed stdout must not stop the emulator, hence the ignored write errors.
    let _ = writeln!(out, "listening on {}", emulator.base_url());
    if generated_id {
        let _ = writeln!(out, "access key id: {}", emulator.access_key_id());
    }
    if generated_secret {
        let _ = writeln!(out, "access key secret: {}", emulator.access_key_secret());
    }
    if generated_pool {
        let _ = writeln!(out, "userpool id: {}", emulator.userpool_id());
    }
    let _ = out.flush();
    drop(out);

    signals.wait().await;
    match emulator.close().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_IO)
        }
    }
}

/// Stop signals, installed before the first line is printed: a supervisor that reads the line
/// and immediately sends SIGTERM must get a clean stop, not the default "killed by signal".
struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> std::io::Result<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(StopSignals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(StopSignals {})
        }
    }

    async fn wait(&mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => {}
                _ = self.terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
