//! The import: a validation pass, then a sending pass, both streaming.
//!
//! 1. **Validation pass.** Every record is parsed and checked, duplicates are found
//!    (by a hash of the identifier), and the file's size and SHA-256 are computed.
//!    Nothing is kept but counts, the duplicate line numbers and those hashes.
//! 2. **Sending pass.** The file is read again. Invalid records are reported; valid
//!    ones the journal already confirms are "already imported"; the rest are
//!    grouped in batches, which `concurrency` workers resolve (e-mail, username,
//!    phone, external id → user id), import and, with `--verify`, read back. A batch
//!    Authing refuses because of one of its records (user not found, bad request) is
//!    split in halves until the bad records are isolated, so the others still go in.
//!    Each confirmed batch is appended to the journal and fsync'd before it counts.
//!
//! If the file has invalid records and `--skip-invalid` is not given, the second
//! pass only reports them and nothing is sent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use authing::OtpImport;
use subtle::ConstantTimeEq;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::base32;
use crate::exit;
use crate::input::{self, FileIdentity, Format, InputOptions};
use crate::journal::{Entry, Header, Journal, JournalError};
use crate::output::{Outcome, Output, ProblemRecord};
use crate::record::{IdKind, Identifier, Problem, Secret};
use crate::service::{Failure, Service};
use crate::validate::{self, Checked, Dedup, ValidRecord};

/// After this many batches in a row fail with Authing unavailable (each after the
/// client's own retries), the run stops instead of failing every remaining record.
const UNAVAILABLE_STRIKES: u32 = 3;

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
}

/// Why a run stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    Interrupted,
    Auth(String),
    Unavailable(String),
    Journal(String),
}

/// The first pass's findings.
#[derive(Debug, Default)]
pub struct Scan {
    pub records: u64,
    pub invalid: u64,
    pub fatal: bool,
    pub identity: Option<FileIdentity>,
    /// Lines naming the same user as another line, with that other line.
    pub duplicates: HashMap<u64, u64>,
    /// Identifiers of all records (only when asked for: `--emulator` seeds them).
    pub identifiers: Vec<Identifier>,
    /// Records named by e-mail, username, phone or external id, to be looked up.
    pub lookups: u64,
}

/// A run's result.
#[derive(Debug)]
pub struct RunResult {
    pub exit_code: i32,
    pub stop: Option<Stop>,
    /// Nothing was sent because the input has invalid records (or is unreadable).
    pub invalid_input: bool,
    pub journal: Option<PathBuf>,
    /// Set when the file changed between the two passes.
    pub changed_during_run: bool,
}

/// Cancellation shared with the Ctrl-C handler.
#[derive(Debug, Default)]
pub struct Cancel(AtomicBool);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// An error that prevents the run (exit code attached).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct RunError {
    pub exit_code: i32,
    pub message: String,
}

impl RunError {
    fn new(exit_code: i32, message: impl Into<String>) -> Self {
        Self {
            exit_code,
            message: message.into(),
        }
    }
}

impl From<JournalError> for RunError {
    fn from(e: JournalError) -> Self {
        // Every journal problem is the operator's to settle (remove, --resume, or
        // point --journal elsewhere): a configuration error.
        RunError::new(exit::CONFIG, e.to_string())
    }
}

/// The validation pass. Blocking: run it on a blocking thread. `on_record` is
/// called before each record; returning `false` stops the pass (Ctrl-C).
pub fn scan(
    path: &Path,
    format: Format,
    options: InputOptions,
    collect_identifiers: bool,
    mut on_record: impl FnMut() -> bool,
) -> std::io::Result<Scan> {
    let mut stream = input::open(path, format, options)?;
    let mut scan = Scan::default();
    // identifier hash -> the first line naming that user
    let mut dedup = Dedup::default();
    // Lines of invalid records: usually few, unlike a map over every line.
    let mut invalid_lines: std::collections::HashSet<u64> = std::collections::HashSet::new();
    for raw in stream.by_ref() {
        if !on_record() {
            break; // interrupted
        }
        scan.records += 1;
        if collect_identifiers {
            scan.identifiers.extend(raw.identifiers.iter().cloned());
        }
        let checked = validate::check(raw);
        let valid = checked.result.is_ok();
        if !valid {
            scan.invalid += 1;
            invalid_lines.insert(checked.line);
        }
        scan.fatal |= checked.fatal;
        if checked
            .identifier
            .as_ref()
            .is_some_and(|id| id.kind != IdKind::UserId)
        {
            scan.lookups += 1;
        }
        let first = checked
            .identifier
            .as_ref()
            .and_then(|id| dedup.insert(id, checked.line));
        if let Some(first) = first {
            if valid {
                scan.invalid += 1;
            }
            scan.duplicates.insert(checked.line, first);
            if let std::collections::hash_map::Entry::Vacant(v) = scan.duplicates.entry(first) {
                // The first line becomes invalid too (unless it already was).
                v.insert(checked.line);
                if !invalid_lines.contains(&first) {
                    scan.invalid += 1;
                }
            }
        }
        if checked.fatal {
            break;
        }
    }
    if !scan.fatal {
        scan.identity = stream.identity();
    }
    Ok(scan)
}

/// State shared by the workers.
struct Shared {
    settings: Settings,
    service: Option<Service>,
    output: Arc<Mutex<Output>>,
    journal: Option<Mutex<Journal>>,
    /// Authing user ids already used by a record, to catch two records that name one
    /// user in different ways (an e-mail and its user id). `None` when every record
    /// names its user by id: the first pass has already caught those duplicates, and
    /// a million-record import need not hold a second set.
    resolved: Option<Mutex<Dedup>>,
    stop: Mutex<Option<Stop>>,
    stopping: AtomicBool,
    strikes: AtomicU32,
    cancel: Arc<Cancel>,
}

impl Shared {
    fn out(&self) -> std::sync::MutexGuard<'_, Output> {
        self.output.lock().expect("output lock")
    }

    fn halt(&self, stop: Stop) {
        let mut s = self.stop.lock().expect("stop lock");
        if s.is_none() {
            *s = Some(stop);
        }
        self.stopping.store(true, Ordering::SeqCst);
    }

    fn halted(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Records a batch failure for the circuit breaker.
    fn strike(&self, failure: &Failure) {
        if let Failure::Auth(m) = failure {
            self.halt(Stop::Auth(m.clone()));
        }
        if let Failure::Unavailable(m) = failure {
            let strikes = self.strikes.fetch_add(1, Ordering::SeqCst) + 1;
            if strikes >= UNAVAILABLE_STRIKES {
                self.halt(Stop::Unavailable(m.clone()));
            }
        }
    }

    fn fail(
        &self,
        rec: &ValidRecord,
        user_id: Option<&str>,
        outcome: Outcome,
        field: &str,
        reason: String,
    ) {
        self.out().problem(ProblemRecord {
            line: rec.line,
            identifier: Some(rec.identifier.clone()),
            user_id: user_id.map(str::to_string),
            outcome,
            problems: vec![Problem::new(rec.line, field, reason)],
        });
    }
}

/// Removes every secret of the batch from a server message, in case a server ever
/// echoes one back (defence in depth: Authing's documented messages do not).
fn scrub(message: &str, items: &[(ValidRecord, String)]) -> String {
    let mut out = message.to_string();
    for (rec, _) in items {
        for s in std::iter::once(&rec.secret).chain(rec.recovery_code.as_ref()) {
            if !s.expose_secret().is_empty() && out.contains(s.expose_secret()) {
                out = out.replace(s.expose_secret(), "[REDACTED]");
            }
        }
    }
    out
}

enum Job {
    Import(Vec<ValidRecord>),
    Verify(Vec<(ValidRecord, String)>),
}

/// Runs an import of `settings.file`. `service` may be `None` only for a dry run
/// (then identifiers are not resolved). `scan` is the validation pass's result.
pub async fn run(
    settings: Settings,
    service: Option<Service>,
    output: Arc<Mutex<Output>>,
    scan: Scan,
    cancel: Arc<Cancel>,
) -> Result<RunResult, RunError> {
    let invalid_input = scan.fatal || (scan.invalid > 0 && !settings.skip_invalid);
    let sending = !invalid_input && !settings.dry_run;
    {
        let mut out = output.lock().expect("output lock");
        out.counts.records = scan.records;
    }

    // Fail fast on a wrong key, before the first batch (and before creating a
    // journal, which would then demand --resume).
    let resolving = !invalid_input && service.is_some();
    if resolving {
        let svc = service.as_ref().expect("service");
        if let Err(f) = svc.check_credentials().await {
            let code = match f {
                Failure::Auth(_) => exit::AUTH,
                Failure::Unavailable(_) => exit::UNAVAILABLE,
                _ => exit::CONFIG,
            };
            let what = match f {
                Failure::Unavailable(_) => "Authing is unavailable (after retries)",
                _ => "cannot authenticate to Authing",
            };
            return Err(RunError::new(code, format!("{what}: {}", f.message())));
        }
    }

    // The journal, for a run that sends.
    let journal = if sending {
        let identity = scan.identity.clone().ok_or_else(|| {
            RunError::new(
                exit::INVALID_INPUT,
                "the input could not be read to its end",
            )
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
        let j = if settings.resume {
            Journal::resume(&settings.journal, header)?
        } else {
            Journal::create(&settings.journal, header)?
        };
        Some(j)
    } else {
        None
    };

    let mut journal = journal;
    let confirmed: HashMap<u64, Entry> = journal
        .as_mut()
        .map(Journal::take_confirmed)
        .unwrap_or_default();
    let resolved = (scan.lookups > 0).then(|| {
        let mut resolved = Dedup::default();
        for e in confirmed.values() {
            resolved.insert_user_id(&e.user_id, e.line);
        }
        Mutex::new(resolved)
    });
    let journal_path = journal.as_ref().map(|j| j.path().to_path_buf());

    let shared = Arc::new(Shared {
        settings: settings.clone(),
        service: if resolving { service } else { None },
        output: output.clone(),
        journal: journal.map(Mutex::new),
        resolved,
        stop: Mutex::new(None),
        stopping: AtomicBool::new(false),
        strikes: AtomicU32::new(0),
        cancel: cancel.clone(),
    });

    // Second pass: a blocking reader feeding a bounded channel (back-pressure keeps
    // memory flat: the reader waits while the workers are busy).
    let (tx, mut rx) = mpsc::channel::<Checked>(1024);
    let path = settings.file.clone();
    let (format, options) = (settings.format, settings.input);
    let duplicates = scan.duplicates;
    let reader = tokio::task::spawn_blocking(move || -> std::io::Result<Option<FileIdentity>> {
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
            if tx.blocking_send(checked).is_err() {
                return Ok(None);
            }
            if fatal {
                return Ok(None);
            }
        }
        Ok(stream.identity())
    });

    output.lock().expect("output lock").start_progress(
        if sending {
            "importing"
        } else if invalid_input {
            "checking"
        } else {
            "dry run"
        },
        scan.records,
    );

    let mut tasks: JoinSet<()> = JoinSet::new();
    let mut batch: Vec<ValidRecord> = Vec::with_capacity(settings.batch_size);
    let mut to_verify: Vec<(ValidRecord, String)> = Vec::new();
    let mut interrupted = false;

    while let Some(checked) = rx.recv().await {
        if cancel.is_cancelled() {
            interrupted = true;
            break;
        }
        if shared.halted() {
            break;
        }
        {
            let mut out = shared.out();
            for w in &checked.warnings {
                out.warning(w);
            }
        }
        let valid = match checked.result {
            Err(problems) => {
                shared.out().problem(ProblemRecord {
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
        if let (Some(entry), Some(journal)) = (confirmed.get(&valid.line), &shared.journal) {
            let fp = journal
                .lock()
                .expect("journal lock")
                .fingerprint(&valid.secret);
            if fp == entry.fp {
                shared.out().success(Outcome::AlreadyImported, 1);
                if settings.verify {
                    to_verify.push((valid, entry.user_id.clone()));
                    if to_verify.len() >= settings.batch_size {
                        let job = Job::Verify(std::mem::take(&mut to_verify));
                        submit(&mut tasks, &shared, job, settings.concurrency).await;
                    }
                }
                continue;
            }
            tracing::warn!(
                line = valid.line,
                "journal fingerprint differs from the file; sending again"
            );
        }
        batch.push(valid);
        if batch.len() >= settings.batch_size {
            let job = Job::Import(std::mem::take(&mut batch));
            submit(&mut tasks, &shared, job, settings.concurrency).await;
        }
    }
    if !interrupted && !shared.halted() {
        if !batch.is_empty() {
            submit(
                &mut tasks,
                &shared,
                Job::Import(std::mem::take(&mut batch)),
                settings.concurrency,
            )
            .await;
        }
        if !to_verify.is_empty() {
            submit(
                &mut tasks,
                &shared,
                Job::Verify(std::mem::take(&mut to_verify)),
                settings.concurrency,
            )
            .await;
        }
    }
    // Closing the channel ends the reader early when we stopped before the end.
    drop(rx);
    while tasks.join_next().await.is_some() {}
    interrupted |= cancel.is_cancelled() && shared.out().counts.finished() < scan.records;

    let identity_after = reader
        .await
        .map_err(|e| RunError::new(exit::SOME_FAILED, format!("reader task failed: {e}")))?
        .map_err(|e| {
            RunError::new(
                exit::INVALID_INPUT,
                format!("cannot read {}: {e}", settings.file.display()),
            )
        })?;
    let changed_during_run =
        identity_after.is_some() && scan.identity.is_some() && identity_after != scan.identity;

    let mut out = shared.out();
    out.finish_progress();
    let _ = out.close_report();
    let counts = &mut out.counts;
    counts.not_sent = counts.records.saturating_sub(counts.finished());

    let stop = if interrupted {
        Some(Stop::Interrupted)
    } else {
        shared.stop.lock().expect("stop lock").clone()
    };
    let exit_code = match &stop {
        Some(Stop::Interrupted) => exit::INTERRUPTED,
        Some(Stop::Auth(_)) => exit::AUTH,
        Some(Stop::Unavailable(_)) => exit::UNAVAILABLE,
        Some(Stop::Journal(_)) => exit::CONFIG,
        None if invalid_input => exit::INVALID_INPUT,
        None if changed_during_run => exit::SOME_FAILED,
        None if settings.dry_run => {
            if counts.invalid + counts.user_not_found + counts.failed == 0 {
                exit::OK
            } else {
                exit::SOME_FAILED
            }
        }
        None if counts.imported + counts.already_imported == counts.records => exit::OK,
        None => exit::SOME_FAILED,
    };
    Ok(RunResult {
        exit_code,
        stop,
        invalid_input,
        journal: journal_path,
        changed_during_run,
    })
}

/// Starts a job, first waiting for a free worker slot.
async fn submit(tasks: &mut JoinSet<()>, shared: &Arc<Shared>, job: Job, concurrency: usize) {
    while tasks.len() >= concurrency.max(1) {
        if let Some(Err(e)) = tasks.join_next().await {
            tracing::error!(error = %e, "worker failed");
        }
    }
    // Ctrl-C or a stop while we waited for the slot: this batch stays unsent.
    if shared.halted() || shared.cancel.is_cancelled() {
        return;
    }
    let shared = shared.clone();
    tasks.spawn(async move {
        match job {
            Job::Import(records) => import_job(&shared, records).await,
            Job::Verify(items) => verify(&shared, items, Outcome::AlreadyImported).await,
        }
    });
}

/// Resolves, imports (bisecting on record-specific failures), journals and verifies
/// one batch.
async fn import_job(shared: &Shared, records: Vec<ValidRecord>) {
    let Some(service) = shared.service.clone() else {
        return; // dry run without credentials: validation only
    };

    // 1. Identifiers to user ids (user-id records pass through without a call).
    let lookups = records.into_iter().map(|rec| {
        let service = service.clone();
        async move {
            let r = service.resolve(&rec.identifier).await;
            (rec, r)
        }
    });
    let mut ready: Vec<(ValidRecord, String)> = Vec::new();
    for (rec, result) in futures::future::join_all(lookups).await {
        match result {
            Ok(Some(user_id)) => {
                let earlier = shared.resolved.as_ref().and_then(|r| {
                    r.lock()
                        .expect("dedup lock")
                        .insert_user_id(&user_id, rec.line)
                });
                match earlier {
                    Some(other) => shared.fail(
                        &rec,
                        Some(&user_id),
                        Outcome::Invalid,
                        rec.identifier.kind.field(),
                        format!("names the same Authing user as line {other}; not sent"),
                    ),
                    None => ready.push((rec, user_id)),
                }
            }
            Ok(None) => shared.fail(
                &rec,
                None,
                Outcome::UserNotFound,
                rec.identifier.kind.field(),
                "user not found".into(),
            ),
            Err(f @ Failure::Auth(_)) => shared.strike(&f), // not sent
            Err(f) => {
                shared.strike(&f);
                if !matches!(f, Failure::Unavailable(_)) || !shared.halted() {
                    let reason = format!("could not look up the user: {}", f.message());
                    shared.fail(
                        &rec,
                        None,
                        Outcome::Failed,
                        rec.identifier.kind.field(),
                        reason,
                    );
                }
            }
        }
    }
    if shared.settings.dry_run || ready.is_empty() {
        return; // dry run: resolved, never imported
    }

    // 2. Import, splitting batches that fail because of one of their records.
    let mut pending = vec![ready];
    while let Some(items) = pending.pop() {
        if shared.halted() {
            // Auth refused or Authing down: leave the rest unsent (resume later).
            continue;
        }
        let request: Vec<OtpImport> = items
            .iter()
            .map(|(rec, user_id)| OtpImport {
                user_id: user_id.clone(),
                secret: rec.secret.clone(),
                recovery_code: rec.recovery_code.clone(),
            })
            .collect();
        match service.import(&request).await {
            Ok(()) => {
                shared.strikes.store(0, Ordering::SeqCst);
                if let Some(journal) = &shared.journal {
                    let mut j = journal.lock().expect("journal lock");
                    let entries = items
                        .iter()
                        .map(|(rec, user_id)| Entry {
                            line: rec.line,
                            user_id: user_id.clone(),
                            fp: j.fingerprint(&rec.secret),
                        })
                        .collect();
                    if let Err(e) = j.append(entries) {
                        // Authing has them, but a resume would not know: stop now.
                        drop(j);
                        shared.halt(Stop::Journal(e.to_string()));
                    }
                }
                shared.out().success(Outcome::Imported, items.len() as u64);
                if shared.settings.verify {
                    verify(shared, items, Outcome::Imported).await;
                }
            }
            Err(f) if f.is_record_specific() && items.len() > 1 => {
                tracing::debug!(
                    records = items.len(),
                    "batch refused for a record; splitting"
                );
                let mut first = items;
                let second = first.split_off(first.len() / 2);
                pending.push(second);
                pending.push(first);
            }
            Err(f) => {
                shared.strike(&f);
                if matches!(f, Failure::Auth(_)) {
                    continue;
                }
                let (outcome, field, reason) = match &f {
                    Failure::NotFound(_) => (
                        Outcome::UserNotFound,
                        "userId",
                        "user not found".to_string(),
                    ),
                    Failure::Rejected(m) => (
                        Outcome::Failed,
                        "record",
                        format!("rejected by Authing: {}", scrub(m, &items)),
                    ),
                    Failure::Unavailable(m) => (
                        Outcome::Failed,
                        "record",
                        format!("failed after retries: {}", scrub(m, &items)),
                    ),
                    Failure::Other(m) | Failure::Auth(m) => {
                        (Outcome::Failed, "record", scrub(m, &items))
                    }
                };
                for (rec, user_id) in &items {
                    shared.fail(rec, Some(user_id), outcome, field, reason.clone());
                }
            }
        }
    }
}

/// Reads back each user's secret and compares it, in constant time, with the
/// secret from the file. Neither value is ever printed.
async fn verify(shared: &Shared, items: Vec<(ValidRecord, String)>, was: Outcome) {
    let Some(service) = shared.service.clone() else {
        return;
    };
    let reads = items.into_iter().map(|(rec, user_id)| {
        let service = service.clone();
        async move {
            let r = service.read_secret(&user_id).await;
            (rec, user_id, r)
        }
    });
    for (rec, user_id, result) in futures::future::join_all(reads).await {
        let reason = match result {
            Ok(None) => {
                "verification failed: Authing holds no TOTP secret for this user".to_string()
            }
            Ok(Some(stored)) => {
                let stored = Secret::new(base32::normalize(stored.expose_secret()));
                let equal: bool = stored
                    .expose_secret()
                    .as_bytes()
                    .ct_eq(rec.secret.expose_secret().as_bytes())
                    .into();
                if equal {
                    shared.out().verified(1);
                    continue;
                }
                "verification failed: the secret stored in Authing differs from the file"
                    .to_string()
            }
            Err(f) => {
                shared.strike(&f);
                format!(
                    "verification failed: could not read the secret back: {}",
                    f.message()
                )
            }
        };
        shared.out().verify_failed(
            was,
            ProblemRecord {
                line: rec.line,
                identifier: Some(rec.identifier.clone()),
                user_id: Some(user_id),
                outcome: Outcome::Failed,
                problems: vec![Problem::new(rec.line, "secret", reason)],
            },
        );
    }
}
