//! The validation pass: every record parsed and checked, duplicates found, the
//! file's identity computed, before anything is sent.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use super::{panicked, Cancel, EngineError, ErrorKind, Event, Phase, Sink};
use crate::duplicates::DuplicateIndex;
use crate::input::{self, FileIdentity, Format, InputOptions};
use crate::record::{IdKind, Identifier};
use crate::validate;

/// The first pass's findings.
#[derive(Debug, Default)]
pub struct Scan {
    pub records: u64,
    pub invalid: u64,
    pub fatal: bool,
    pub identity: Option<FileIdentity>,
    /// Lines naming the same user as another line, with that other line.
    pub duplicates: HashMap<u64, u64>,
    /// Identifiers of all records (only when asked for: a rehearsal seeds them).
    pub identifiers: Vec<Identifier>,
    /// Records named by e-mail, username, phone or external id, to be looked up.
    pub lookups: u64,
}

/// The validation pass, on a blocking thread. Reports [`Event::Scanned`] per record;
/// stops early once `cancel` is set (the caller checks it afterwards).
pub async fn scan(
    path: &Path,
    format: Format,
    options: InputOptions,
    collect_identifiers: bool,
    sink: Arc<dyn Sink>,
    cancel: Cancel,
) -> Result<Scan, EngineError> {
    sink.event(Event::Phase {
        phase: Phase::Checking,
        total: 0,
    });
    let path = path.to_path_buf();
    let label = path.display().to_string();
    let pass = tokio::task::spawn_blocking(move || {
        scan_blocking(&path, format, options, collect_identifiers, || {
            sink.event(Event::Scanned);
            !cancel.is_cancelled()
        })
    });
    match pass.await {
        Ok(Ok(scan)) => Ok(scan),
        Ok(Err(e)) => Err(EngineError::new(
            ErrorKind::NoInput,
            format!("cannot read {label}: {e}"),
        )),
        Err(e) => Err(EngineError::new(
            ErrorKind::Internal,
            panicked("the validation pass", &e),
        )),
    }
}

/// `on_record` is called before each record; returning `false` stops the pass.
fn scan_blocking(
    path: &Path,
    format: Format,
    options: InputOptions,
    collect_identifiers: bool,
    mut on_record: impl FnMut() -> bool,
) -> std::io::Result<Scan> {
    let mut stream = input::open(path, format, options)?;
    let mut scan = Scan::default();
    // The users the records name, for duplicates: flat memory, exact answers.
    let mut index = DuplicateIndex::default();
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
        }
        scan.fatal |= checked.fatal;
        if let Some(id) = &checked.identifier {
            if id.kind != IdKind::UserId {
                scan.lookups += 1;
            }
            index.add(&id.dedup_key(), checked.line, valid)?;
        }
        if checked.fatal {
            break;
        }
    }
    if !scan.fatal {
        scan.identity = stream.identity();
    }
    drop(stream);
    let duplicates = index.finish(|lines| keys_at(path, format, options, lines))?;
    // Every line of a duplicate pair is invalid; the valid ones were not counted yet.
    scan.invalid += duplicates.were_valid;
    scan.duplicates = duplicates.lines;
    Ok(scan)
}

/// The user keys of the records at `lines`, read again (only when records' hashes
/// collide, i.e. when the file names some user twice).
fn keys_at(
    path: &Path,
    format: Format,
    options: InputOptions,
    lines: &HashSet<u64>,
) -> std::io::Result<HashMap<u64, String>> {
    let mut keys = HashMap::with_capacity(lines.len());
    for raw in input::open(path, format, options)? {
        if lines.contains(&raw.line) {
            if let Some(id) = raw.identifiers.first() {
                keys.insert(raw.line, id.dedup_key());
            }
        }
        if keys.len() == lines.len() {
            break;
        }
    }
    Ok(keys)
}
