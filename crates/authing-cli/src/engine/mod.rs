//! The import: a validation pass ([`scan`]), then a sending pass ([`run`]), both
//! streaming.
//!
//! 1. **Validation pass.** Every record is parsed and checked, duplicates are found
//!    exactly in flat memory (sorted runs of hashes in temporary files, then the
//!    colliding lines compared by their keys: [`crate::duplicates`]), and the file's
//!    size and SHA-256 are computed. Nothing is kept but counts and the duplicate
//!    line numbers.
//! 2. **Sending pass.** The file is read again. Invalid records are reported; valid
//!    ones the journal already confirms are "already imported"; the rest are
//!    grouped in batches, which workers resolve (e-mail, username, phone, external
//!    id → user id), import and, with `--verify`, read back, every request within
//!    one concurrency limit and one adaptive rate (`calls`, `crate::pacing`). A batch
//!    Authing refuses because of one of its records (user not found, bad request) is
//!    split in halves until the bad records are isolated, so the others still go in.
//!    Each confirmed batch is appended to the journal and fsync'd before it counts.
//!
//! If the file has invalid records and `--skip-invalid` is not given, the second
//! pass only reports them and nothing is sent.
//!
//! The engine prints nothing and decides no exit code: it reports what happens as
//! [`Event`]s to a [`Sink`], stops when its [`Cancel`] handle is set, and returns a
//! [`Report`] (or an [`EngineError`]) for the caller to present.

mod batch;
mod calls;
mod scan;
mod send;
mod shared;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use calls::{MAX_ATTEMPTS, MAX_THROTTLED};
pub use scan::{scan, Scan};
pub use send::run;

/// How long no call may go through before a call that gives up stops the run as an
/// outage ([`Settings::outage_window`]'s default).
pub const OUTAGE_WINDOW: Duration = Duration::from_secs(30);

use crate::input::{Format, InputOptions};
use crate::journal::JournalError;
use crate::record::Problem;
use crate::report::{Counts, Outcome, ProblemRecord};

/// What to do with a file.
#[derive(Debug, Clone)]
pub struct Settings {
    pub file: PathBuf,
    pub format: Format,
    pub input: InputOptions,
    pub batch_size: usize,
    pub concurrency: usize,
    pub max_rps: u32,
    pub dry_run: bool,
    pub verify: bool,
    pub resume: bool,
    pub journal: PathBuf,
    pub skip_invalid: bool,
    /// An input without records is an error unless this is set.
    pub allow_empty: bool,
    /// The breaker: how long no call may go through before a call that gives up
    /// stops the run ([`OUTAGE_WINDOW`] by default).
    pub outage_window: Duration,
}

/// What the engine is doing, for a progress display and the per-record output.
#[derive(Debug, Clone)]
pub enum Event {
    /// A pass over `total` records begins (`total` is 0 while still unknown).
    Phase { phase: Phase, total: u64 },
    /// The validation pass read one more record.
    Scanned,
    /// A validation warning; the record is still sent.
    Warning(Problem),
    /// A record ended as something other than imported.
    Problem(ProblemRecord),
    /// `n` records ended as `outcome` (imported or already imported).
    Succeeded { outcome: Outcome, n: u64 },
    /// `n` records were read back and matched (`--verify`).
    Verified(u64),
    /// A record counted as `was` failed `--verify`; it now counts as failed.
    VerifyFailed { was: Outcome, record: ProblemRecord },
}

/// The passes a run goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Validation (first pass, or a second pass that only reports invalid input).
    Checking,
    /// Sending.
    Importing,
    /// A dry run's second pass: users looked up, nothing imported.
    DryRun,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Checking => "checking",
            Phase::Importing => "importing",
            Phase::DryRun => "dry run",
        }
    }
}

/// Where the engine reports [`Event`]s. Called from the engine's tasks and threads,
/// so it must not block for long.
pub trait Sink: Send + Sync {
    fn event(&self, event: Event);
}

/// A sink that drops every event.
impl Sink for () {
    fn event(&self, _: Event) {}
}

/// Cancellation handle: once set, no new batch starts; those in flight finish and
/// are journaled. Clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Why a run stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    Interrupted,
    Auth(String),
    Unavailable(String),
    Journal(String),
    /// A bug: a worker or reader panicked.
    Internal(String),
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Report {
    /// Every record counted once; `not_sent` holds what the run did not get to.
    pub counts: Counts,
    pub stop: Option<Stop>,
    /// Nothing was sent because the input has invalid records (or is unreadable).
    pub invalid_input: bool,
    /// The journal this run wrote, when it sent anything.
    pub journal: Option<PathBuf>,
    /// Set when the file changed between the two passes.
    pub changed_during_run: bool,
}

/// Why a run could not be done at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The access key was refused.
    Auth,
    /// Authing stayed unavailable.
    Unavailable,
    /// Credentials or journal: the operator's to settle.
    Config,
    /// The input file cannot be opened or read in the validation pass.
    NoInput,
    /// The input could not be read again in the sending pass.
    Input,
    /// A bug: a task panicked.
    Internal,
}

/// An error that prevents the run.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct EngineError {
    pub kind: ErrorKind,
    pub message: String,
}

impl EngineError {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl From<JournalError> for EngineError {
    fn from(e: JournalError) -> Self {
        // Every journal problem is the operator's to settle (remove, --resume, or
        // point --journal elsewhere): a configuration error.
        EngineError::new(ErrorKind::Config, e.to_string())
    }
}

/// A task's panic as the run reports it (the panic hook has printed the details).
fn panicked(what: &str, e: &tokio::task::JoinError) -> String {
    if e.is_panic() {
        format!("{what} panicked (a bug; the message is above)")
    } else {
        format!("{what} was cancelled")
    }
}

#[cfg(test)]
mod tests;
