//! What a run shows and writes besides the journal: the engine's events rendered as
//! per-record problems (stderr as `FILE:LINE: field: reason`, or JSON Lines on
//! stdout with `--json`), the CSV `--report` and the progress bar.
//!
//! Nothing here ever receives a secret: problems and reasons are built from field
//! names, counts and identifiers only.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use authing_cli::engine::{Event, Sink};
use authing_cli::record::{IdKind, Problem};
use authing_cli::report::{ProblemRecord, REPORT_HEADER};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

/// Print `error: MESSAGE` on stderr and return `code`, for a command that ends here.
pub fn fail(code: i32, message: impl std::fmt::Display) -> i32 {
    stderr_line(format!("error: {message}"));
    code
}

/// Writes a line on stderr; a closed stderr is ignored (`eprintln!` would panic).
pub fn stderr_line(text: impl std::fmt::Display) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// Stdout that tolerates a closed pipe (`authing ... | head`): writing stops
/// quietly instead of panicking, and the run goes on to its end (journal intact).
#[derive(Debug, Default)]
pub struct Stdout {
    closed: bool,
}

impl Stdout {
    /// Whether a write found stdout closed (nothing more is written).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    pub fn line(&mut self, text: &str) {
        if self.closed {
            return;
        }
        let mut out = io::stdout().lock();
        let result = out
            .write_all(text.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        if let Err(e) = result {
            if e.kind() != io::ErrorKind::BrokenPipe {
                tracing::warn!(error = %e, "cannot write to stdout");
            }
            self.closed = true;
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonProblem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    line: u64,
    user_id: Option<&'a str>,
    identifier: Option<String>,
    field: &'a str,
    reason: String,
    outcome: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonWarning<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    line: u64,
    field: &'a str,
    reason: &'a str,
}

struct Writers {
    stdout: Stdout,
    report: Option<(PathBuf, csv::Writer<File>)>,
}

/// The terminal (and report file) side of a run; the engine's [`Sink`].
pub struct Output {
    file_label: String,
    json: bool,
    progress: ProgressBar,
    writers: Mutex<Writers>,
    started: Instant,
}

impl Output {
    /// `file_label` prefixes problem lines; `report` is created (truncated) now.
    pub fn new(file_label: &str, json: bool, report: Option<&Path>) -> io::Result<Output> {
        let report = match report {
            Some(path) => {
                let mut w = csv::Writer::from_path(path).map_err(csv_io)?;
                w.write_record(REPORT_HEADER).map_err(csv_io)?;
                w.flush()?;
                Some((path.to_path_buf(), w))
            }
            None => None,
        };
        // indicatif hides the bar by itself when stderr is not a terminal.
        let progress = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        Ok(Output {
            file_label: file_label.to_string(),
            json,
            progress,
            writers: Mutex::new(Writers {
                stdout: Stdout::default(),
                report,
            }),
            started: Instant::now(),
        })
    }

    fn writers(&self) -> MutexGuard<'_, Writers> {
        self.writers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A progress bar for a pass over `total` records.
    fn start_progress(&self, message: &'static str, total: u64) {
        self.progress.set_length(total);
        self.progress.set_position(0);
        self.progress.set_style(
            ProgressStyle::with_template(
                "{msg:>10} [{bar:30}] {pos}/{len} records, {per_sec}, ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        self.progress.set_message(message);
        self.progress.enable_steady_tick(Duration::from_millis(200));
    }

    pub fn finish_progress(&self) {
        self.progress.finish_and_clear();
    }

    /// Prints a line on stderr without garbling the progress bar.
    pub fn note(&self, text: &str) {
        self.progress.suspend(|| stderr_line(text));
    }

    /// A line on stdout (the summary).
    pub fn line(&self, text: &str) {
        self.writers().stdout.line(text);
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Flushes the report. Called once at the end.
    pub fn close_report(&self) -> io::Result<()> {
        if let Some((_, w)) = &mut self.writers().report {
            w.flush()?;
        }
        Ok(())
    }

    /// A record that did not end as imported: on stderr or stdout, and in the report.
    fn emit(&self, record: &ProblemRecord) {
        let mut writers = self.writers();
        if self.json {
            let line = JsonProblem {
                kind: "problem",
                line: record.line,
                // A record named by user id has one even before any lookup.
                user_id: record.user_id.as_deref().or_else(|| {
                    record
                        .identifier
                        .as_ref()
                        .filter(|id| id.kind == IdKind::UserId)
                        .map(|id| id.value.as_str())
                }),
                identifier: record.identifier.as_ref().map(ToString::to_string),
                field: record.field(),
                reason: record.reason(),
                outcome: record.outcome.as_str(),
            };
            let text = serde_json::to_string(&line).expect("serializable");
            writers.stdout.line(&text);
        } else {
            self.progress.suspend(|| {
                for p in &record.problems {
                    stderr_line(p.display_in(&self.file_label));
                }
            });
        }
        if let Some((path, w)) = &mut writers.report {
            let mut row: Vec<String> = vec![record.line.to_string()];
            for kind in IdKind::ALL {
                let value = match &record.identifier {
                    Some(id) if id.kind == kind => id.value.clone(),
                    _ => String::new(),
                };
                row.push(value);
            }
            row.push(record.outcome.as_str().to_string());
            row.push(record.field().to_string());
            row.push(record.reason());
            if let Err(e) = w.write_record(&row) {
                tracing::error!(report = %path.display(), error = %e, "cannot write the report");
            }
        }
    }

    /// A validation warning (the record is still sent).
    fn warning(&self, p: &Problem) {
        if self.json {
            let line = JsonWarning {
                kind: "warning",
                line: p.line,
                field: &p.field,
                reason: &p.reason,
            };
            let text = serde_json::to_string(&line).expect("serializable");
            self.writers().stdout.line(&text);
        } else {
            let text = format!(
                "{}:{}: warning: {}: {}",
                self.file_label, p.line, p.field, p.reason
            );
            self.note(&text);
        }
    }
}

impl Sink for Output {
    fn event(&self, event: Event) {
        match event {
            // The validation pass does not know its length.
            Event::Phase { phase, total: 0 } => self.progress.set_message(phase.name()),
            Event::Phase { phase, total } => self.start_progress(phase.name(), total),
            Event::Scanned => self.progress.inc(1),
            Event::Warning(p) => self.warning(&p),
            Event::Problem(record) => {
                self.progress.inc(1);
                self.emit(&record);
            }
            Event::Succeeded { n, .. } => self.progress.inc(n),
            Event::Verified(_) => {}
            Event::VerifyFailed { record, .. } => self.emit(&record),
        }
    }
}

fn csv_io(e: csv::Error) -> io::Error {
    io::Error::other(e.to_string())
}
