//! `authing otp import`: arguments to engine settings, credentials or a rehearsal,
//! Ctrl-C to the engine's cancel handle, the engine's events to the terminal, and
//! its report to a summary and an exit code.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use authing::ManagementClient;
use authing_cli::engine::{self, Cancel, Report, Settings, Sink};
use authing_cli::input::{Format, InputOptions};
use authing_cli::lock::{JournalLock, LockError};
use authing_cli::report::Counts;
use authing_cli::service::{Api, Service};

use crate::cli::ImportArgs;
use crate::output::{fail, stderr_line, Output};
use crate::summary::Summary;
use crate::{credentials, exit, rehearsal};

pub async fn run(args: ImportArgs) -> i32 {
    if args.emulator && !rehearsal::AVAILABLE {
        return fail(exit::CONFIG, rehearsal::NOT_BUILT_IN);
    }
    let Some(format) = args.format.or_else(|| Format::from_path(&args.file)) else {
        return fail(
            exit::USAGE,
            format!(
                "cannot tell the format of {} from its extension; pass --format csv|jsonl|otpauth|keycloak",
                args.file.display()
            ),
        );
    };
    if !args.file.is_file() {
        return fail(
            exit::NO_INPUT,
            format!("cannot open {}: not a readable file", args.file.display()),
        );
    }
    // With --emulator the journal is throwaway (the emulator's state is), unless asked.
    let temp_dir = match (args.emulator && args.journal.is_none()).then(TempDir::new) {
        Some(Err(e)) => {
            return fail(
                exit::CONFIG,
                format!("cannot create a temporary directory: {e}"),
            )
        }
        Some(Ok(d)) => Some(d),
        None => None,
    };
    let journal = match (&args.journal, &temp_dir) {
        (Some(j), _) => j.clone(),
        (None, Some(d)) => d.path.join("import.journal"),
        (None, None) => default_journal(&args.file),
    };
    // One run per journal, locked before the input is even read; held to the end.
    let _lock = if args.dry_run {
        None
    } else {
        match JournalLock::acquire(&journal) {
            Ok(lock) => Some(lock),
            Err(e @ LockError::Held { .. }) => return fail(exit::LOCKED, e),
            Err(e) => return fail(exit::CONFIG, e),
        }
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
        allow_empty: args.allow_empty,
        outage_window: engine::OUTAGE_WINDOW,
    };

    let client = if args.emulator {
        None
    } else {
        match credentials::client(&args.connection, Service::client_retry()) {
            Ok(Some(c)) => Some(c),
            Ok(None) if args.dry_run => None,
            Ok(None) => return fail(exit::CONFIG, credentials::MISSING),
            Err(m) => return fail(exit::CONFIG, m),
        }
    };

    let label = args.file.display().to_string();
    let output = match Output::new(&label, args.json, args.report.as_deref()) {
        Ok(o) => Arc::new(o),
        Err(e) => return fail(exit::CONFIG, format!("cannot create the report file: {e}")),
    };
    let sink: Arc<dyn Sink> = output.clone();
    let cancel = Cancel::default();
    spawn_ctrl_c(cancel.clone(), output.clone());

    let scan = engine::scan(
        &settings.file,
        format,
        settings.input,
        args.emulator,
        sink.clone(),
        cancel.clone(),
    )
    .await;
    let scan = match scan {
        Ok(scan) => scan,
        Err(e) => return fail(exit::for_error(e.kind), e.message),
    };
    if cancel.is_cancelled() {
        return fail(
            exit::INTERRUPTED,
            "interrupted during validation; nothing was sent",
        );
    }
    let records = scan.records;

    // The embedded emulator, seeded with the file's users.
    let (emulator, client) = if args.emulator {
        match rehearsal::start(&scan.identifiers, Service::client_retry()).await {
            Ok((emu, client)) => {
                output.note(&format!(
                    "emulator: {} (users seeded from {label})",
                    emu.base_url()
                ));
                (Some(emu), Some(client))
            }
            Err(m) => return fail(exit::CONFIG, m),
        }
    } else {
        (None, client)
    };
    if client.is_none() && settings.dry_run {
        output.note("dry run without credentials: validating only, users are not looked up");
    }
    let api = client.map(|c: ManagementClient| -> Arc<dyn Api> { Arc::new(Service::new(c)) });

    let result = engine::run(settings.clone(), api, scan, sink, cancel).await;
    if let Some(emu) = emulator {
        emu.shutdown().await;
    }
    output.finish_progress();
    if let Err(e) = output.close_report() {
        tracing::error!(error = %e, "cannot write the report");
    }
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            let code = exit::for_error(e.kind);
            if args.json {
                // Machine readers still get their final summary line, with the error.
                let counts = Counts {
                    records,
                    not_sent: records,
                    ..Counts::default()
                };
                let summary = failed_summary(&label, &settings, &counts, &e.message, code);
                summary.print(&output, true);
            }
            return fail(code, e.message);
        }
    };
    let code = exit::for_report(&report, settings.dry_run);
    let summary = Summary {
        label: &label,
        settings: &settings,
        counts: &report.counts,
        stop: report.stop.as_ref(),
        invalid_input: report.invalid_input,
        changed_during_run: report.changed_during_run,
        // A rehearsal's journal is throwaway, removed on exit.
        journal: journal_shown(&report, temp_dir.is_some()),
        error: None,
        exit_code: code,
    };
    summary.print(&output, args.json);
    code
}

fn failed_summary<'a>(
    label: &'a str,
    settings: &'a Settings,
    counts: &'a Counts,
    error: &'a str,
    exit_code: i32,
) -> Summary<'a> {
    Summary {
        label,
        settings,
        counts,
        stop: None,
        invalid_input: false,
        changed_during_run: false,
        journal: None,
        error: Some(error),
        exit_code,
    }
}

fn journal_shown(report: &Report, throwaway: bool) -> Option<String> {
    let journal = report.journal.as_ref().filter(|_| !throwaway)?;
    Some(journal.display().to_string())
}

/// `FILE.journal`, next to the input.
fn default_journal(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".journal");
    PathBuf::from(name)
}

/// A directory removed when dropped.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        let path = std::env::temp_dir().join(format!(
            "authing-otp-{}-{}",
            std::process::id(),
            authing_cli::hex(&rand::random::<[u8; 6]>())
        ));
        std::fs::create_dir(&path)?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// First Ctrl-C: stop sending new batches, let those in flight finish and be
/// journaled. Second Ctrl-C: exit now (the journal is consistent at every point).
fn spawn_ctrl_c(cancel: Cancel, output: Arc<Output>) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        cancel.cancel();
        output.note("interrupted: finishing the batches in flight (Ctrl-C again to abort now)");
        if tokio::signal::ctrl_c().await.is_ok() {
            stderr_line("aborted");
            std::process::exit(exit::INTERRUPTED);
        }
    });
}
