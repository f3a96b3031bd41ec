//! What a worker does with one batch: resolve its users, import it (splitting it
//! in halves while Authing refuses it because of some of its records), journal what
//! Authing confirmed, and read the secrets back.

use authing::OtpImport;
use subtle::ConstantTimeEq;

use super::calls::Calls;
use super::shared::Shared;
use super::Stop;
use crate::base32;
use crate::journal::Entry;
use crate::record::{Problem, Secret};
use crate::report::{Outcome, ProblemRecord};
use crate::service::{Failure, Transient};
use crate::validate::ValidRecord;

/// A record with the Authing user id it names.
pub(super) type Resolved = (ValidRecord, String);

/// Resolves, imports (bisecting on record-specific failures), journals and verifies
/// one batch.
pub(super) async fn import(shared: &Shared, records: Vec<ValidRecord>) {
    let Some(calls) = &shared.calls else {
        return; // dry run without credentials: validation only
    };
    let ready = resolve(shared, calls, records).await;
    if shared.settings.dry_run || ready.is_empty() {
        return; // dry run: resolved, never imported
    }
    import_bisecting(shared, calls, ready).await;
}

/// Identifiers to user ids (user-id records pass through without a call). Records
/// that cannot be resolved are reported here and left out. The lookups of a batch
/// are started together; [`Calls`] keeps them within the concurrency limit.
async fn resolve(shared: &Shared, calls: &Calls, records: Vec<ValidRecord>) -> Vec<Resolved> {
    let lookups = records.into_iter().map(|rec| async move {
        let r = calls.resolve(&rec.identifier).await;
        (rec, r)
    });
    let mut ready = Vec::new();
    for (rec, result) in futures::future::join_all(lookups).await {
        let field = rec.identifier.kind.field();
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
                        field,
                        format!("names the same Authing user as line {other}; not sent"),
                    ),
                    None => ready.push((rec, user_id)),
                }
            }
            Ok(None) => shared.fail(
                &rec,
                None,
                Outcome::UserNotFound,
                field,
                "user not found".into(),
            ),
            Err(f @ Failure::Auth(_)) => shared.failed(&f), // not sent
            Err(f) => {
                shared.failed(&f);
                if !matches!(f, Failure::Unavailable(_)) || !shared.halted() {
                    let reason = format!("could not look up the user: {}", f.message());
                    shared.fail(&rec, None, Outcome::Failed, field, reason);
                }
            }
        }
    }
    ready
}

/// Imports `ready`, splitting a batch Authing refuses because of some of its records
/// until those are isolated, so that the others still go in.
async fn import_bisecting(shared: &Shared, calls: &Calls, ready: Vec<Resolved>) {
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
        let result = calls.import(&request).await;
        match result {
            Ok(()) => {
                journal(shared, &items);
                shared.success(Outcome::Imported, items.len() as u64);
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
                shared.failed(&f);
                let (outcome, field, reason) = match &f {
                    // Not sent: the run stops (above), and --resume sends them.
                    Failure::Auth(_) => continue,
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
                    Failure::Unavailable(m) | Failure::Transient(Transient { message: m, .. }) => {
                        if shared.halted() {
                            continue; // not sent: the run stopped; --resume sends them
                        }
                        (
                            Outcome::Failed,
                            "record",
                            format!("Authing unavailable: {}", scrub(m, &items)),
                        )
                    }
                    Failure::Other(m) => (Outcome::Failed, "record", scrub(m, &items)),
                };
                for (rec, user_id) in &items {
                    shared.fail(rec, Some(user_id), outcome, field, reason.clone());
                }
            }
        }
    }
}

/// Appends a confirmed batch to the journal. Authing has it either way, but if the
/// journal cannot record it a resume would not know: the run stops.
fn journal(shared: &Shared, items: &[Resolved]) {
    let Some(journal) = &shared.journal else {
        return;
    };
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
        drop(j);
        shared.halt(Stop::Journal(e.to_string()));
    }
}

/// Removes every secret of the batch from a server message, in case a server ever
/// echoes one back (defence in depth: Authing's documented messages do not).
fn scrub(message: &str, items: &[Resolved]) -> String {
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

/// Reads back each user's secret and compares it, in constant time, with the
/// secret from the file. Neither value is ever printed.
///
/// A read-back that fails is this record's verification outcome (reported as
/// unverified), never a sign of an outage: only a refused key stops the run.
pub(super) async fn verify(shared: &Shared, items: Vec<Resolved>, was: Outcome) {
    let Some(calls) = &shared.calls else {
        return;
    };
    let reads = items.into_iter().map(|(rec, user_id)| async move {
        let r = calls.read_secret(&user_id).await;
        (rec, user_id, r)
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
                    shared.verified(1);
                    continue;
                }
                "verification failed: the secret stored in Authing differs from the file"
                    .to_string()
            }
            Err(f) => {
                if let Failure::Auth(_) = f {
                    shared.failed(&f);
                }
                format!(
                    "verification failed: could not read the secret back: {}",
                    f.message()
                )
            }
        };
        shared.verify_failed(
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
