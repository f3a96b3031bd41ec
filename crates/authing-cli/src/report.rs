//! How each record ended and the counts of a run: what the engine reports and
//! every presentation (terminal, JSON Lines, CSV report) renders.
//!
//! Nothing here ever holds a secret: problems and reasons are built from field
//! names, counts and identifiers only.

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
    pub fn bump(&mut self, outcome: Outcome, n: u64) {
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

    /// A record that counted as `was` fails `--verify`: it moves to failed.
    pub fn verify_failed(&mut self, was: Outcome) {
        match was {
            Outcome::Imported => self.imported -= 1,
            Outcome::AlreadyImported => self.already_imported -= 1,
            _ => {}
        }
        self.verify_failed += 1;
        self.failed += 1;
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
    pub fn field(&self) -> &str {
        self.problems.first().map_or("record", |p| p.field.as_str())
    }

    /// All reasons; the first without its field (that is in `field`).
    pub fn reason(&self) -> String {
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
