//! The last thing a run prints: the counts and a verdict, as text or as the final
//! `{"type":"summary",…}` line of `--json`.

use authing_cli::engine::{Settings, Stop};
use authing_cli::report::Counts;
use serde::Serialize;

use crate::exit;
use crate::output::Output;

/// What the summary reports.
pub struct Summary<'a> {
    pub label: &'a str,
    pub settings: &'a Settings,
    pub counts: &'a Counts,
    pub stop: Option<&'a Stop>,
    pub invalid_input: bool,
    pub changed_during_run: bool,
    pub journal: Option<String>,
    /// Why the run could not start (credentials refused, Authing unavailable...).
    pub error: Option<&'a str>,
    pub exit_code: i32,
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
    error: Option<&'a str>,
    exit_code: i32,
}

impl Summary<'_> {
    pub fn print(&self, out: &Output, json: bool) {
        if json {
            let line = JsonSummary {
                kind: "summary",
                file: self.label,
                format: self.settings.format.name(),
                counts: self.counts,
                dry_run: self.settings.dry_run,
                verify: self.settings.verify,
                nothing_sent_invalid_input: self.invalid_input,
                stopped: self.stop.map(|s| match s {
                    Stop::Interrupted => "interrupted",
                    Stop::Auth(_) => "auth_rejected",
                    Stop::Unavailable(_) => "unavailable",
                    Stop::Journal(_) => "journal_error",
                    Stop::Internal(_) => "internal_error",
                }),
                journal: self.journal.clone(),
                elapsed_seconds: out.elapsed().as_secs_f64(),
                error: self.error,
                exit_code: self.exit_code,
            };
            out.line(&serde_json::to_string(&line).expect("serializable"));
        } else {
            for line in self.text(out) {
                out.line(&line);
            }
        }
    }

    fn text(&self, out: &Output) -> Vec<String> {
        let (settings, counts) = (self.settings, self.counts);
        let mut lines = vec![format!(
            "{} ({}): {} records in {:.1}s",
            self.label,
            settings.format.name(),
            counts.records,
            out.elapsed().as_secs_f64()
        )];
        let not_sent_label = if settings.dry_run && !self.invalid_input {
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
        if settings.verify && !settings.dry_run && !self.invalid_input {
            lines.push(format!(
                "  {:<18}{:>8} (mismatches or unreadable: {})",
                "verified", counts.verified, counts.verify_failed
            ));
        }
        if let Some(j) = &self.journal {
            lines.push(format!("journal: {j}"));
        }
        lines.push(self.verdict());
        lines
    }

    fn verdict(&self) -> String {
        match self.stop {
            Some(Stop::Interrupted) => {
                "interrupted: confirmed batches are journaled; run again with --resume".to_string()
            }
            Some(Stop::Auth(m)) => format!("stopped: Authing refused the access key ({m})"),
            Some(Stop::Unavailable(m)) => {
                format!("stopped: Authing unavailable ({m}); run again with --resume")
            }
            Some(Stop::Journal(m)) => format!("stopped: cannot write the journal ({m})"),
            Some(Stop::Internal(m)) => format!(
                "stopped: internal error ({m}); confirmed batches are journaled, \
                 run again with --resume"
            ),
            None if self.invalid_input => format!(
                "nothing sent: fix the {} invalid record(s) above, or pass --skip-invalid",
                self.counts.invalid
            ),
            None if self.changed_during_run => {
                "the input file changed during the run: check it and run again with --resume"
                    .to_string()
            }
            None if self.exit_code == exit::OK && self.settings.dry_run => {
                "dry run: the file is valid; nothing was imported".to_string()
            }
            None if self.exit_code == exit::OK => "all records imported".to_string(),
            None => "some records were not imported: see the problems above".to_string(),
        }
    }
}
