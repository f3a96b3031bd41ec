//! Everything the run prints or writes besides the journal: per-record problems
//! (stderr as `FILE:LINE: field: reason`, or JSON Lines on stdout with `--json`),
//! the CSV `--report`, the progress bar and the final summary.
//!
//! Nothing here ever receives a secret: problems and reasons are built from field
//! names, counts and identifiers only.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::record::{Identifier, Problem};

/// How one input record ended the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Confirmed by Authing in this run.
    Imported,
    /// Confirmed in an earlier run (found in the journal on `--resume`).
    AlreadyImported,
    /// Failed validation; never sent.
    Invalid,
    /// Its identifier names no Authing user.
    UserNotFound,
    /// Rejected by Authing, failed after retries, or failed `--verify`.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Imported => "imported",
            Outcome::AlreadyImported => "already_imported",
            Outcome::Invalid => "invalid",
            Outcome::UserNotFound => "user_not_found",
            Outcome::Failed => "failed",
        }
    }
}

/// Counts per outcome. `not_sent` is whatever is left when the run stopped early
/// (`--dry-run`, invalid input, Ctrl-C, or Authing refusing/unavailable), so the
/// counts always add up to the number of records in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub records: u64,
    pub imported: u64,
    pub already_imported: u64,
    pub invalid: u64,
    pub user_not_found: u64,
    pub failed: u64,
    pub not_sent: u64,
    /// Read back and equal (`--verify`).
    pub verified: u64,
    /// Read back and different, or could not be read back (`--verify`); these are
    /// counted in `failed`.
    pub verify_failed: u64,
}

impl Counts {
    fn bump(&mut self, outcome: Outcome, n: u64) {
        let slot = match outcome {
            Outcome::Imported => &mut self.imported,
            Outcome::AlreadyImported => &mut self.already_imported,
            Outcome::Invalid => &mut self.invalid,
            Outcome::UserNotFound => &mut self.user_not_found,
            Outcome::Failed => &mut self.failed,
        };
        *slot += n;
    }

    pub fn finished(&self) -> u64 {
        self.imported + self.already_imported + self.invalid + self.user_not_found + self.failed
    }
}

/// One record that did not end as imported, for the report and `--json`.
#[derive(Debug, Clone)]
pub struct ProblemRecord {
    pub line: u64,
    pub identifier: Option<Identifier>,
    /// The Authing user id, when known (given, resolved, or from the journal).
    pub user_id: Option<String>,
    pub outcome: Outcome,
    pub problems: Vec<Problem>,
}

impl ProblemRecord {
    fn field(&self) -> &str {
        self.problems.first().map_or("record", |p| p.field.as_str())
    }

    /// All reasons; the first without its field (that is in `field`).
    fn reason(&self) -> String {
        let mut out = String::new();
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                out.push_str("; ");
                out.push_str(&p.field);
                out.push_str(": ");
            }
            out.push_str(&p.reason);
        }
        out
    }
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
            if e.kind() == io::ErrorKind::BrokenPipe {
                self.closed = true;
            } else {
                tracing::warn!(error = %e, "cannot write to stdout");
                self.closed = true;
            }
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

/// Columns of the `--report` CSV. The identifier columns have the input's names, so
/// adding a `secret` column back gives a file the importer accepts (it ignores
/// `line`, `outcome`, `field` and `reason`).
pub const REPORT_HEADER: [&str; 9] = [
    "line",
    "userId",
    "email",
    "username",
    "phone",
    "externalId",
    "outcome",
    "field",
    "reason",
];

pub struct Output {
    file_label: String,
    json: bool,
    pub stdout: Stdout,
    report: Option<(PathBuf, csv::Writer<File>)>,
    progress: ProgressBar,
    pub counts: Counts,
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
            stdout: Stdout::default(),
            report,
            progress,
            counts: Counts::default(),
            started: Instant::now(),
        })
    }

    /// A progress bar for a pass over `total` records.
    pub fn start_progress(&mut self, message: &'static str, total: u64) {
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

    /// The bar itself (cheap clone), for the validation pass's thread.
    pub fn progress_bar(&self) -> ProgressBar {
        self.progress.clone()
    }

    pub fn finish_progress(&self) {
        self.progress.finish_and_clear();
    }

    /// Prints a line on stderr without garbling the progress bar.
    pub fn note(&self, text: &str) {
        self.progress.suspend(|| stderr_line(text));
    }

    /// Records ended as imported / already imported.
    pub fn success(&mut self, outcome: Outcome, n: u64) {
        self.counts.bump(outcome, n);
        self.progress.inc(n);
    }

    pub fn verified(&mut self, n: u64) {
        self.counts.verified += n;
    }

    /// A record that was imported but fails `--verify`: it moves to failed.
    pub fn verify_failed(&mut self, was: Outcome, record: ProblemRecord) {
        match was {
            Outcome::Imported => self.counts.imported -= 1,
            Outcome::AlreadyImported => self.counts.already_imported -= 1,
            _ => {}
        }
        self.counts.verify_failed += 1;
        self.counts.failed += 1;
        self.emit(&record);
    }

    /// A record that ended as something other than imported.
    pub fn problem(&mut self, record: ProblemRecord) {
        self.counts.bump(record.outcome, 1);
        self.progress.inc(1);
        self.emit(&record);
    }

    fn emit(&mut self, record: &ProblemRecord) {
        if self.json {
            let line = JsonProblem {
                kind: "problem",
                line: record.line,
                // A record named by user id has one even before any lookup.
                user_id: record.user_id.as_deref().or_else(|| {
                    record
                        .identifier
                        .as_ref()
                        .filter(|id| id.kind == crate::record::IdKind::UserId)
                        .map(|id| id.value.as_str())
                }),
                identifier: record.identifier.as_ref().map(ToString::to_string),
                field: record.field(),
                reason: record.reason(),
                outcome: record.outcome.as_str(),
            };
            let text = serde_json::to_string(&line).expect("serializable");
            self.stdout.line(&text);
        } else {
            let file = self.file_label.clone();
            self.progress.suspend(|| {
                for p in &record.problems {
                    stderr_line(p.display_in(&file));
                }
            });
        }
        if let Some((path, w)) = &mut self.report {
            let mut row: Vec<String> = vec![record.line.to_string()];
            for kind in crate::record::IdKind::ALL {
                let value = match (&record.identifier, kind) {
                    (Some(id), k) if id.kind == k => id.value.clone(),
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
    pub fn warning(&mut self, p: &Problem) {
        if self.json {
            let line = JsonWarning {
                kind: "warning",
                line: p.line,
                field: &p.field,
                reason: &p.reason,
            };
            let text = serde_json::to_string(&line).expect("serializable");
            self.stdout.line(&text);
        } else {
            let text = format!(
                "{}:{}: warning: {}: {}",
                self.file_label, p.line, p.field, p.reason
            );
            self.note(&text);
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Flushes the report. Called once at the end.
    pub fn close_report(&mut self) -> io::Result<()> {
        if let Some((_, w)) = &mut self.report {
            w.flush()?;
        }
        Ok(())
    }
}

fn csv_io(e: csv::Error) -> io::Error {
    io::Error::other(e.to_string())
}
