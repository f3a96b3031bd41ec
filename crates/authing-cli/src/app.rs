//! The `authing` command line: argument parsing, credentials, the embedded emulator,
//! Ctrl-C handling and the summary. The work itself is in [`crate::engine`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use authing::{ManagementClient, Secret};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::engine::{self, Cancel, RunResult, Settings, Stop};
use crate::exit;
use crate::input::{Format, InputOptions, KeycloakIdentifier};
use crate::output::{stderr_line, Counts, Output};
use crate::service::Service;

#[derive(Debug, Parser)]
#[command(
    name = "authing",
    version,
    about = "Command-line tools for the Authing v3 Management API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// TOTP authenticator (MFA) operations.
    #[command(subcommand)]
    Otp(OtpCommand),
}

#[derive(Debug, Subcommand)]
pub enum OtpCommand {
    /// Import users' TOTP secrets into Authing (importOtp), resumably.
    #[command(after_long_help = AFTER_HELP, after_help = AFTER_HELP)]
    Import(ImportArgs),
}

const AFTER_HELP: &str = concat!(
    "Credentials: AUTHING_ACCESS_KEY_ID, AUTHING_ACCESS_KEY_SECRET, AUTHING_HOST (default\n",
    "https://api.authing.cn), AUTHING_AUTH_MODE (token|signature); or --access-key-id,\n",
    "--access-key-secret-file and --host. The secret is never taken on the command line\n",
    "(it would show in `ps` and shell history).\n\n",
    "Exit codes:\n",
    "  0    all records imported (or already imported, on --resume)\n",
    "  1    some records not imported: user not found, rejected, skipped invalid,\n",
    "       failed after retries, or a --verify mismatch (see the report)\n",
    "  2    usage error\n",
    "  65   invalid input: nothing was sent\n",
    "  66   the input file cannot be opened\n",
    "  69   Authing unavailable after retries: stopped, continue with --resume\n",
    "  77   access key rejected by Authing\n",
    "  78   configuration: credentials, host, or journal (exists without --resume,\n",
    "       or written for another file)\n",
    "  130  interrupted (Ctrl-C): confirmed batches are journaled, continue with --resume"
);

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The input file (CSV, JSON Lines, otpauth:// URI list, or Keycloak realm export).
    pub file: PathBuf,

    /// Input format; by default from the extension: .csv, .jsonl/.ndjson,
    /// .txt/.uri (otpauth URIs), .json (Keycloak).
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Keycloak input: which user attribute names the Authing user (`id` is matched
    /// against the Authing user's externalId).
    #[arg(long, value_enum, default_value = "username")]
    pub keycloak_identifier: KeycloakIdentifier,

    /// Records per importOtp request. Authing's other batch endpoints cap lists at 50.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=500))]
    pub batch_size: u16,

    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// Requests per second at most (0: no limit). The default, 20, leaves most of a
    /// free plan's 300 QPS per user pool to live logins while the import runs.
    #[arg(long, default_value_t = 20)]
    pub max_rps: u32,

    /// Validate the file and resolve its users (read-only); import nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Read each imported secret back and compare it (constant time). With --resume
    /// on a finished import, re-verifies everything.
    #[arg(long)]
    pub verify: bool,

    /// Continue an interrupted import from its journal (sends only what Authing has
    /// not confirmed).
    #[arg(long)]
    pub resume: bool,

    /// The journal file [default: FILE.journal].
    #[arg(long)]
    pub journal: Option<PathBuf>,

    /// JSON Lines on stdout: one `problem` object per record not imported, then a
    /// `summary` object.
    #[arg(long)]
    pub json: bool,

    /// Write the records not imported (no secrets) to this CSV file.
    #[arg(long)]
    pub report: Option<PathBuf>,

    /// Import the valid records even if some are invalid (those are reported).
    #[arg(long)]
    pub skip_invalid: bool,

    /// Authing API host.
    #[arg(long, env = "AUTHING_HOST", conflicts_with = "emulator")]
    pub host: Option<String>,

    /// Access key id (user pool id or application key id).
    #[arg(long, env = "AUTHING_ACCESS_KEY_ID", conflicts_with = "emulator")]
    pub access_key_id: Option<String>,

    /// Read the access key secret from this file (else AUTHING_ACCESS_KEY_SECRET).
    #[arg(long, conflicts_with = "emulator")]
    pub access_key_secret_file: Option<PathBuf>,

    /// Import into an embedded local emulator seeded with the file's users, then
    /// verify: a rehearsal that needs no Authing account.
    #[arg(long)]
    pub emulator: bool,
}

/// Parses the command line and runs; returns the exit code.
pub fn main() -> i32 {
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
        Command::Otp(OtpCommand::Import(args)) => runtime.block_on(import(args)),
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

fn fail(code: i32, message: impl std::fmt::Display) -> i32 {
    stderr_line(format!("error: {message}"));
    code
}

/// `FILE.journal`, next to the input.
fn default_journal(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".journal");
    PathBuf::from(name)
}

/// The client from flags and environment (flags win over variables, clap's usual
/// precedence; the secret has two sources and setting both is an error).
fn client_from(args: &ImportArgs) -> Result<Option<ManagementClient>, String> {
    let env_secret = std::env::var("AUTHING_ACCESS_KEY_SECRET")
        .ok()
        .filter(|s| !s.trim().is_empty());
    let secret = match (&args.access_key_secret_file, env_secret) {
        (Some(_), Some(_)) => {
            return Err(
                "both AUTHING_ACCESS_KEY_SECRET and --access-key-secret-file are set; use one"
                    .into(),
            )
        }
        (Some(path), None) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                format!(
                    "cannot read --access-key-secret-file {}: {e}",
                    path.display()
                )
            })?;
            Some(Secret::new(text.trim()))
        }
        (None, env) => env.map(|s| Secret::new(s.trim())),
    };
    let (Some(id), Some(secret)) = (args.access_key_id.as_deref(), secret) else {
        if args.access_key_id.is_none() && args.access_key_secret_file.is_none() {
            return Ok(None);
        }
        return Err("set both AUTHING_ACCESS_KEY_ID (or --access-key-id) and AUTHING_ACCESS_KEY_SECRET (or --access-key-secret-file)".into());
    };
    let mut builder = ManagementClient::builder()
        .access_key_id(id)
        .access_key_secret(secret);
    if let Some(host) = &args.host {
        builder = builder.host(host.clone());
    }
    if let Ok(mode) = std::env::var("AUTHING_AUTH_MODE") {
        builder = builder.auth_mode(
            mode.trim()
                .parse()
                .map_err(|e: authing::Error| e.to_string())?,
        );
    }
    builder.build().map(Some).map_err(|e| e.to_string())
}

async fn import(args: ImportArgs) -> i32 {
    let format = match args.format.or_else(|| Format::from_path(&args.file)) {
        Some(f) => f,
        None => {
            return fail(
                exit::USAGE,
                format!(
                    "cannot tell the format of {} from its extension; pass --format csv|jsonl|otpauth|keycloak",
                    args.file.display()
                ),
            )
        }
    };
    if !args.file.is_file() {
        return fail(
            exit::NO_INPUT,
            format!("cannot open {}: not a readable file", args.file.display()),
        );
    }
    // With --emulator the journal is throwaway (the emulator's state is), unless asked.
    let temp_dir = if args.emulator && args.journal.is_none() {
        match tempdir() {
            Ok(d) => Some(d),
            Err(e) => {
                return fail(
                    exit::CONFIG,
                    format!("cannot create a temporary directory: {e}"),
                )
            }
        }
    } else {
        None
    };
    let journal = match (&args.journal, &temp_dir) {
        (Some(j), _) => j.clone(),
        (None, Some(d)) => d.path.join("import.journal"),
        (None, None) => default_journal(&args.file),
    };
    if !args.dry_run && !args.resume && journal.exists() {
        return fail(
            exit::CONFIG,
            format!(
                "journal {} already exists: pass --resume to continue that import, or remove the file to start over",
                journal.display()
            ),
        );
    }
    let settings = Settings {
        file: args.file.clone(),
        format,
        input: InputOptions {
            keycloak_identifier: args.keycloak_identifier,
        },
        batch_size: usize::from(args.batch_size),
        concurrency: usize::from(args.concurrency),
        max_rps: args.max_rps,
        dry_run: args.dry_run,
        verify: args.verify || args.emulator,
        resume: args.resume,
        journal,
        skip_invalid: args.skip_invalid,
    };

    let client = if args.emulator {
        None
    } else {
        match client_from(&args) {
            Ok(Some(c)) => Some(c),
            Ok(None) if args.dry_run => None,
            Ok(None) => {
                return fail(
                    exit::CONFIG,
                    "no credentials: set AUTHING_ACCESS_KEY_ID and AUTHING_ACCESS_KEY_SECRET (or --access-key-id / --access-key-secret-file), or use --emulator",
                )
            }
            Err(m) => return fail(exit::CONFIG, m),
        }
    };

    let label = args.file.display().to_string();
    let output = match Output::new(&label, args.json, args.report.as_deref()) {
        Ok(o) => Arc::new(Mutex::new(o)),
        Err(e) => return fail(exit::CONFIG, format!("cannot create the report file: {e}")),
    };

    let cancel = Arc::new(Cancel::default());
    spawn_ctrl_c(cancel.clone(), output.clone());

    // Pass 1.
    let bar = output.lock().expect("output lock").progress_bar();
    bar.set_message("checking");
    let (path, options) = (settings.file.clone(), settings.input);
    let collect = args.emulator;
    let scan_cancel = cancel.clone();
    let scan = tokio::task::spawn_blocking(move || {
        engine::scan(&path, format, options, collect, || {
            bar.inc(1);
            !scan_cancel.is_cancelled()
        })
    })
    .await;
    let scan = match scan {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return fail(exit::NO_INPUT, format!("cannot read {label}: {e}")),
        Err(e) => return fail(exit::INVALID_INPUT, format!("validation failed: {e}")),
    };
    if cancel.is_cancelled() {
        return fail(
            exit::INTERRUPTED,
            "interrupted during validation; nothing was sent",
        );
    }

    // The embedded emulator, seeded with the file's users.
    let mut emulator = None;
    let client = if args.emulator {
        match start_emulator(&scan.identifiers).await {
            Ok((emu, client)) => {
                output.lock().expect("output lock").note(&format!(
                    "emulator: {} (users seeded from {label})",
                    emu.base_url()
                ));
                emulator = Some(emu);
                Some(client)
            }
            Err(m) => return fail(exit::CONFIG, m),
        }
    } else {
        client
    };
    if client.is_none() && settings.dry_run {
        output
            .lock()
            .expect("output lock")
            .note("dry run without credentials: validating only, users are not looked up");
    }
    let service = client.map(|c| Service::new(c, settings.max_rps));

    let result = engine::run(settings.clone(), service, output.clone(), scan, cancel).await;
    if let Some(emu) = emulator {
        emu.shutdown().await;
    }
    let mut result = match result {
        Ok(r) => r,
        Err(e) => {
            let mut out = output.lock().expect("output lock");
            out.finish_progress();
            if args.json {
                // Machine readers still get their final summary line, with the error.
                out.counts.not_sent = out.counts.records;
                let result = RunResult {
                    exit_code: e.exit_code,
                    stop: None,
                    invalid_input: false,
                    journal: None,
                    changed_during_run: false,
                };
                summary(&mut out, &settings, &label, &result, Some(&e.message), true);
            }
            return fail(e.exit_code, e.message);
        }
    };
    if temp_dir.is_some() {
        result.journal = None; // throwaway, removed on exit
    }
    let mut out = output.lock().expect("output lock");
    summary(&mut out, &settings, &label, &result, None, args.json);
    result.exit_code
}

struct TempDir {
    path: PathBuf,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn tempdir() -> std::io::Result<TempDir> {
    let path = std::env::temp_dir().join(format!(
        "authing-otp-{}-{}",
        std::process::id(),
        crate::hex(&rand::random::<[u8; 6]>())
    ));
    std::fs::create_dir(&path)?;
    Ok(TempDir { path })
}

/// Starts the emulator on loopback and creates one user per distinct identifier:
/// user ids as given, other identifiers on users with generated ids.
async fn start_emulator(
    identifiers: &[crate::record::Identifier],
) -> Result<(authing_emulator::Emulator, ManagementClient), String> {
    use crate::record::IdKind;
    use authing_emulator::SeedUser;
    let emu = authing_emulator::Emulator::start(authing_emulator::Config::default())
        .await
        .map_err(|e| format!("cannot start the emulator: {e}"))?;
    let mut seen = std::collections::HashSet::new();
    let mut users = Vec::new();
    for id in identifiers {
        if id.value.trim().is_empty() || !seen.insert(id.dedup_key()) {
            continue;
        }
        let generated = || crate::hex(&rand::random::<[u8; 12]>());
        let user = match id.kind {
            IdKind::UserId => SeedUser::new(id.value.clone()),
            IdKind::Email => SeedUser::new(generated()).email(id.value.clone()),
            IdKind::Username => SeedUser::new(generated()).username(id.value.clone()),
            IdKind::Phone => SeedUser::new(generated()).phone(id.value.clone()),
            IdKind::ExternalId => SeedUser::new(generated()).external_id(id.value.clone()),
        };
        users.push(user);
    }
    emu.seed(users)
        .map_err(|e| format!("cannot seed the emulator: {e}"))?;
    let client = ManagementClient::builder()
        .access_key_id(emu.access_key_id())
        .access_key_secret(emu.access_key_secret())
        .host(emu.base_url())
        .build()
        .map_err(|e| format!("cannot build a client for the emulator: {e}"))?;
    Ok((emu, client))
}

/// First Ctrl-C: stop sending new batches, let those in flight finish and be
/// journaled. Second Ctrl-C: exit now (the journal is consistent at every point).
fn spawn_ctrl_c(cancel: Arc<Cancel>, output: Arc<Mutex<Output>>) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        cancel.cancel();
        if let Ok(out) = output.try_lock() {
            out.note("interrupted: finishing the batches in flight (Ctrl-C again to abort now)");
        } else {
            stderr_line("interrupted: finishing the batches in flight (Ctrl-C again to abort now)");
        }
        if tokio::signal::ctrl_c().await.is_ok() {
            stderr_line("aborted");
            std::process::exit(exit::INTERRUPTED);
        }
    });
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSummary<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    file: &'a str,
    format: &'static str,
    #[serde(flatten)]
    counts: &'a Counts,
    dry_run: bool,
    verify: bool,
    nothing_sent_invalid_input: bool,
    stopped: Option<&'static str>,
    journal: Option<String>,
    elapsed_seconds: f64,
    /// Why the run could not start (credentials refused, Authing unavailable...).
    error: Option<&'a str>,
    exit_code: i32,
}

fn summary(
    out: &mut Output,
    settings: &Settings,
    label: &str,
    result: &RunResult,
    error: Option<&str>,
    json: bool,
) {
    let counts = out.counts.clone();
    let stopped = result.stop.as_ref().map(|s| match s {
        Stop::Interrupted => "interrupted",
        Stop::Auth(_) => "auth_rejected",
        Stop::Unavailable(_) => "unavailable",
        Stop::Journal(_) => "journal_error",
    });
    let elapsed = out.elapsed();
    if json {
        let line = JsonSummary {
            kind: "summary",
            file: label,
            format: settings.format.name(),
            counts: &counts,
            dry_run: settings.dry_run,
            verify: settings.verify,
            nothing_sent_invalid_input: result.invalid_input,
            stopped,
            journal: result.journal.as_ref().map(|p| p.display().to_string()),
            elapsed_seconds: elapsed.as_secs_f64(),
            error,
            exit_code: result.exit_code,
        };
        let text = serde_json::to_string(&line).expect("serializable");
        out.stdout.line(&text);
    } else {
        let mut lines = vec![format!(
            "{label} ({}): {} records in {:.1}s",
            settings.format.name(),
            counts.records,
            elapsed.as_secs_f64()
        )];
        let not_sent_label = if settings.dry_run && !result.invalid_input {
            "would import"
        } else {
            "not sent"
        };
        for (name, n) in [
            ("imported", counts.imported),
            ("already imported", counts.already_imported),
            ("invalid", counts.invalid),
            ("user not found", counts.user_not_found),
            ("failed", counts.failed),
            (not_sent_label, counts.not_sent),
        ] {
            lines.push(format!("  {name:<18}{n:>8}"));
        }
        if settings.verify && !settings.dry_run && !result.invalid_input {
            lines.push(format!(
                "  {:<18}{:>8} (mismatches or unreadable: {})",
                "verified", counts.verified, counts.verify_failed
            ));
        }
        if let Some(j) = &result.journal {
            lines.push(format!("journal: {}", j.display()));
        }
        let verdict = match &result.stop {
            Some(Stop::Interrupted) => {
                "interrupted: confirmed batches are journaled; run again with --resume".to_string()
            }
            Some(Stop::Auth(m)) => format!("stopped: Authing refused the access key ({m})"),
            Some(Stop::Unavailable(m)) => {
                format!("stopped: Authing unavailable after retries ({m}); run again with --resume")
            }
            Some(Stop::Journal(m)) => format!("stopped: cannot write the journal ({m})"),
            None if result.invalid_input => format!(
                "nothing sent: fix the {} invalid record(s) above, or pass --skip-invalid",
                counts.invalid
            ),
            None if result.changed_during_run => {
                "the input file changed during the run: check it and run again with --resume"
                    .to_string()
            }
            None if result.exit_code == exit::OK && settings.dry_run => {
                "dry run: the file is valid; nothing was imported".to_string()
            }
            None if result.exit_code == exit::OK => "all records imported".to_string(),
            None => "some records were not imported: see the problems above".to_string(),
        };
        lines.push(verdict);
        for line in lines {
            out.stdout.line(&line);
        }
    }
}
