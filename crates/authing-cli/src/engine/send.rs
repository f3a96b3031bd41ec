//! The sending pass: check the key, open the journal, read the file again, report
//! invalid records, group the rest in batches and hand them to workers. Twice as
//! many batches as `concurrency` are worked on at once, so that while some wait to
//! send a request again, others use the free request slots; the requests
//! themselves never exceed `concurrency` (see `calls`).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::batch::{self, Resolved};
use super::calls::Calls;
use super::shared::Shared;
use super::{
    panicked, Cancel, EngineError, ErrorKind, Event, Phase, Report, Scan, Settings, Sink, Stop,
};
use crate::input::{self, FileIdentity};
use crate::journal::{Entry, Header, Journal};
use crate::record::Problem;
use crate::report::{Outcome, ProblemRecord};
use crate::service::{Api, Failure};
use crate::validate::{self, Checked, Dedup, ValidRecord};

/// Runs an import of `settings.file`. `api` may be `None` only for a dry run (then
/// identifiers are not resolved). `scan` is the validation pass's result.
pub async fn run(
    settings: Settings,
    api: Option<Arc<dyn Api>>,
    scan: Scan,
    sink: Arc<dyn Sink>,
    cancel: Cancel,
) -> Result<Report, EngineError> {
    if scan.records == 0 && !scan.fatal && !settings.allow_empty {
        return Err(EngineError::new(
            ErrorKind::Input,
            format!(
                "{}: no records (an empty export is usually a mistake; pass --allow-empty to accept it)",
                settings.file.display()
            ),
        ));
    }
    let invalid_input = scan.fatal || (scan.invalid > 0 && !settings.skip_invalid);
    let sending = !invalid_input && !settings.dry_run;

    // Every request of the run, from the key check on, shares one concurrency limit
    // and one adaptive rate.
    let calls = match api {
        Some(api) if !invalid_input => {
            Some(Calls::new(api, settings.concurrency, settings.max_rps))
        }
        _ => None,
    };
    // Fail fast on a wrong key, before the first batch (and before creating a
    // journal, which would then demand --resume).
    if let Some(calls) = &calls {
        calls.check_credentials().await.map_err(credentials_error)?;
    }

    let mut journal = if sending {
        Some(open_journal(&settings, &scan)?)
    } else {
        None
    };
    let confirmed: HashMap<u64, Entry> = journal
        .as_mut()
        .map(Journal::take_confirmed)
        .unwrap_or_default();
    let resolved = (scan.lookups > 0).then(|| {
        let mut resolved = Dedup::default();
        for e in confirmed.values() {
            resolved.insert_user_id(&e.user_id, e.line);
        }
        resolved
    });
    let journal_path = journal.as_ref().map(|j| j.path().to_path_buf());
    let shared = Arc::new(Shared::new(
        settings.clone(),
        calls,
        journal,
        resolved,
        sink,
        cancel.clone(),
        scan.records,
    ));

    // Second pass: a blocking reader feeding a bounded channel (back-pressure keeps
    // memory flat: the reader waits while the workers are busy).
    let (tx, mut rx) = mpsc::channel::<Checked>(1024);
    let reader = spawn_reader(&settings, scan.duplicates, tx);
    let phase = if sending {
        Phase::Importing
    } else if invalid_input {
        Phase::Checking
    } else {
        Phase::DryRun
    };
    shared.event(Event::Phase {
        phase,
        total: scan.records,
    });

    let mut workers = Workers::new(2 * settings.concurrency);
    let mut imports = Batcher::new(settings.batch_size);
    let mut verifies = Batcher::new(settings.batch_size);
    let mut interrupted = false;
    while let Some(checked) = rx.recv().await {
        if cancel.is_cancelled() {
            interrupted = true;
            break;
        }
        if shared.halted() {
            break;
        }
        for w in &checked.warnings {
            shared.event(Event::Warning(w.clone()));
        }
        let valid = match checked.result {
            Err(problems) => {
                shared.problem(ProblemRecord {
                    line: checked.line,
                    identifier: checked.identifier,
                    user_id: None,
                    outcome: Outcome::Invalid,
                    problems,
                });
                continue;
            }
            Ok(v) => v,
        };
        if invalid_input {
            continue; // counted as not sent
        }
        if let Some(user_id) = already_imported(&shared, &confirmed, &valid) {
            shared.success(Outcome::AlreadyImported, 1);
            if settings.verify {
                if let Some(full) = verifies.push((valid, user_id)) {
                    workers.submit(&shared, Job::Verify(full)).await;
                }
            }
            continue;
        }
        if let Some(full) = imports.push(valid) {
            workers.submit(&shared, Job::Import(full)).await;
        }
    }
    if !interrupted && !shared.halted() {
        if let Some(rest) = imports.rest() {
            workers.submit(&shared, Job::Import(rest)).await;
        }
        if let Some(rest) = verifies.rest() {
            workers.submit(&shared, Job::Verify(rest)).await;
        }
    }
    // Closing the channel ends the reader early when we stopped before the end.
    drop(rx);
    workers.finish(&shared).await;
    let finished = shared.counts().finished();
    interrupted |= cancel.is_cancelled() && finished < scan.records;

    let identity_after = match reader.await {
        Ok(Ok(identity)) => identity,
        Ok(Err(e)) => {
            return Err(EngineError::new(
                ErrorKind::Input,
                format!("cannot read {}: {e}", settings.file.display()),
            ))
        }
        Err(e) => {
            return Err(EngineError::new(
                ErrorKind::Internal,
                panicked("the input reader", &e),
            ))
        }
    };
    let changed_during_run =
        identity_after.is_some() && scan.identity.is_some() && identity_after != scan.identity;

    let mut counts = shared.counts().clone();
    counts.not_sent = counts.records.saturating_sub(counts.finished());
    let stop = if interrupted {
        Some(Stop::Interrupted)
    } else {
        shared.stop()
    };
    Ok(Report {
        counts,
        stop,
        invalid_input,
        journal: journal_path,
        changed_during_run,
    })
}

fn credentials_error(f: Failure) -> EngineError {
    let kind = match f {
        Failure::Auth(_) => ErrorKind::Auth,
        Failure::Unavailable(_) | Failure::Transient(_) => ErrorKind::Unavailable,
        _ => ErrorKind::Config,
    };
    let what = match f {
        Failure::Unavailable(_) | Failure::Transient(_) => "Authing is unavailable",
        _ => "cannot authenticate to Authing",
    };
    EngineError::new(kind, format!("{what}: {}", f.message()))
}

/// The journal of a run that sends: created, or reopened with `--resume`.
fn open_journal(settings: &Settings, scan: &Scan) -> Result<Journal, EngineError> {
    let identity = scan.identity.clone().ok_or_else(|| {
        EngineError::new(ErrorKind::Input, "the input could not be read to its end")
    })?;
    let header = Header {
        version: crate::journal::VERSION,
        input: identity,
        format: settings.format.name().to_string(),
        keycloak_identifier: settings.input.keycloak_identifier.name().to_string(),
        salt: String::new(),
        settings: serde_json::json!({
            "file": settings.file.display().to_string(),
            "batchSize": settings.batch_size,
            "concurrency": settings.concurrency,
            "maxRps": settings.max_rps,
            "skipInvalid": settings.skip_invalid,
            "tool": concat!("authing-cli ", env!("CARGO_PKG_VERSION")),
        }),
    };
    Ok(if settings.resume {
        Journal::resume(&settings.journal, header)?
    } else {
        Journal::create(&settings.journal, header)?
    })
}

/// The user id the journal confirms `valid` was imported with, if the secret is the
/// same as then.
fn already_imported(
    shared: &Shared,
    confirmed: &HashMap<u64, Entry>,
    valid: &ValidRecord,
) -> Option<String> {
    let entry = confirmed.get(&valid.line)?;
    let journal = shared.journal.as_ref()?;
    let fp = journal
        .lock()
        .expect("journal lock")
        .fingerprint(&valid.secret);
    if fp == entry.fp {
        return Some(entry.user_id.clone());
    }
    tracing::warn!(
        line = valid.line,
        "journal fingerprint differs from the file; sending again"
    );
    None
}

/// Reads the file again on a blocking thread, marking the duplicates the first pass
/// found; returns the file's identity once read to its end.
fn spawn_reader(
    settings: &Settings,
    duplicates: HashMap<u64, u64>,
    tx: mpsc::Sender<Checked>,
) -> tokio::task::JoinHandle<std::io::Result<Option<FileIdentity>>> {
    let path = settings.file.clone();
    let (format, options) = (settings.format, settings.input);
    tokio::task::spawn_blocking(move || {
        let mut stream = input::open(&path, format, options)?;
        for raw in stream.by_ref() {
            let mut checked = validate::check(raw);
            if let Some(other) = duplicates.get(&checked.line) {
                let field = checked
                    .identifier
                    .as_ref()
                    .map_or("userId", |i| i.kind.field());
                let problem = Problem::new(
                    checked.line,
                    field,
                    format!("same user as line {other}; which secret is right is ambiguous, fix one of the two"),
                );
                match &mut checked.result {
                    Ok(_) => checked.result = Err(vec![problem]),
                    Err(problems) => problems.push(problem),
                }
            }
            let fatal = checked.fatal;
            if tx.blocking_send(checked).is_err() || fatal {
                return Ok(None);
            }
        }
        Ok(stream.identity())
    })
}

/// Groups items in batches of a fixed size.
pub(super) struct Batcher<T> {
    size: usize,
    items: Vec<T>,
}

impl<T> Batcher<T> {
    pub fn new(size: usize) -> Self {
        let size = size.max(1);
        Self {
            size,
            items: Vec::with_capacity(size),
        }
    }

    /// Adds an item; returns a full batch when this one completes it.
    pub fn push(&mut self, item: T) -> Option<Vec<T>> {
        self.items.push(item);
        (self.items.len() >= self.size).then(|| std::mem::take(&mut self.items))
    }

    /// The last, partial batch, if any.
    pub fn rest(&mut self) -> Option<Vec<T>> {
        (!self.items.is_empty()).then(|| std::mem::take(&mut self.items))
    }
}

enum Job {
    Import(Vec<ValidRecord>),
    Verify(Vec<Resolved>),
}

/// At most so many jobs at once; a job that panics stops the run.
struct Workers {
    concurrency: usize,
    tasks: JoinSet<()>,
}

impl Workers {
    fn new(concurrency: usize) -> Self {
        Self {
            concurrency: concurrency.max(1),
            tasks: JoinSet::new(),
        }
    }

    /// Starts a job, first waiting for a free worker slot.
    async fn submit(&mut self, shared: &Arc<Shared>, job: Job) {
        while self.tasks.len() >= self.concurrency {
            self.join_one(shared).await;
        }
        // Ctrl-C or a stop while we waited for the slot: this batch stays unsent.
        if shared.halted() || shared.cancel.is_cancelled() {
            return;
        }
        let shared = shared.clone();
        self.tasks.spawn(async move {
            match job {
                Job::Import(records) => batch::import(&shared, records).await,
                Job::Verify(items) => batch::verify(&shared, items, Outcome::AlreadyImported).await,
            }
        });
    }

    /// Waits for every job in flight.
    async fn finish(&mut self, shared: &Shared) {
        while !self.tasks.is_empty() {
            self.join_one(shared).await;
        }
    }

    async fn join_one(&mut self, shared: &Shared) {
        if let Some(Err(e)) = self.tasks.join_next().await {
            let message = panicked("an import worker", &e);
            tracing::error!(%message);
            shared.halt(Stop::Internal(message));
        }
    }
}
