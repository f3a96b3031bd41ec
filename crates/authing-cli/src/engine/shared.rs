//! The state a run's workers share: settings, the Authing calls, counts, journal,
//! resolved users, and whether (and why) the run stops, including the breaker that
//! stops it when Authing stays unavailable.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Cancel, Event, Settings, Sink, Stop};
use crate::journal::Journal;
use crate::record::Problem;
use crate::report::{Counts, Outcome, ProblemRecord};
use crate::service::{Api, Failure};
use crate::validate::{Dedup, ValidRecord};

/// After this many batches in a row fail with Authing unavailable (each after the
/// client's own retries), the run stops instead of failing every remaining record.
const UNAVAILABLE_STRIKES: u32 = 3;

pub(super) struct Shared {
    pub settings: Settings,
    /// `None` for a dry run without credentials (nothing is looked up).
    pub api: Option<Arc<dyn Api>>,
    pub journal: Option<Mutex<Journal>>,
    /// Authing user ids already used by a record, to catch two records that name one
    /// user in different ways (an e-mail and its user id). `None` when every record
    /// names its user by id: the first pass has already caught those duplicates, and
    /// a million-record import need not hold a second set.
    pub resolved: Option<Mutex<Dedup>>,
    pub cancel: Cancel,
    sink: Arc<dyn Sink>,
    counts: Mutex<Counts>,
    stop: Mutex<Option<Stop>>,
    stopping: AtomicBool,
    strikes: AtomicU32,
}

impl Shared {
    pub fn new(
        settings: Settings,
        api: Option<Arc<dyn Api>>,
        journal: Option<Journal>,
        resolved: Option<Dedup>,
        sink: Arc<dyn Sink>,
        cancel: Cancel,
        records: u64,
    ) -> Self {
        Self {
            settings,
            api,
            journal: journal.map(Mutex::new),
            resolved: resolved.map(Mutex::new),
            cancel,
            sink,
            counts: Mutex::new(Counts {
                records,
                ..Counts::default()
            }),
            stop: Mutex::new(None),
            stopping: AtomicBool::new(false),
            strikes: AtomicU32::new(0),
        }
    }

    pub fn event(&self, event: Event) {
        self.sink.event(event);
    }

    pub fn counts(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().expect("counts lock")
    }

    pub fn halt(&self, stop: Stop) {
        let mut s = self.stop.lock().expect("stop lock");
        if s.is_none() {
            *s = Some(stop);
        }
        self.stopping.store(true, Ordering::SeqCst);
    }

    pub fn halted(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    pub fn stop(&self) -> Option<Stop> {
        self.stop.lock().expect("stop lock").clone()
    }

    /// Records a batch failure for the breaker: a refused key stops the run at once,
    /// unavailability after [`UNAVAILABLE_STRIKES`] batches in a row.
    pub fn strike(&self, failure: &Failure) {
        match failure {
            Failure::Auth(m) => self.halt(Stop::Auth(m.clone())),
            Failure::Unavailable(m) => {
                let strikes = self.strikes.fetch_add(1, Ordering::SeqCst) + 1;
                if strikes >= UNAVAILABLE_STRIKES {
                    self.halt(Stop::Unavailable(m.clone()));
                }
            }
            _ => {}
        }
    }

    /// A call went through: the strikes start over.
    pub fn healthy(&self) {
        self.strikes.store(0, Ordering::SeqCst);
    }

    /// Records that ended as imported or already imported.
    pub fn success(&self, outcome: Outcome, n: u64) {
        self.counts().bump(outcome, n);
        self.event(Event::Succeeded { outcome, n });
    }

    /// A record that ended as something other than imported.
    pub fn problem(&self, record: ProblemRecord) {
        self.counts().bump(record.outcome, 1);
        self.event(Event::Problem(record));
    }

    /// A problem with one valid record.
    pub fn fail(
        &self,
        rec: &ValidRecord,
        user_id: Option<&str>,
        outcome: Outcome,
        field: &str,
        reason: String,
    ) {
        self.problem(ProblemRecord {
            line: rec.line,
            identifier: Some(rec.identifier.clone()),
            user_id: user_id.map(str::to_string),
            outcome,
            problems: vec![Problem::new(rec.line, field, reason)],
        });
    }

    pub fn verified(&self, n: u64) {
        self.counts().verified += n;
        self.event(Event::Verified(n));
    }

    pub fn verify_failed(&self, was: Outcome, record: ProblemRecord) {
        self.counts().verify_failed(was);
        self.event(Event::VerifyFailed { was, record });
    }
}
