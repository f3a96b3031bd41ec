//! The state a run's workers share: settings, the Authing calls, counts, journal,
//! resolved users, and whether (and why) the run stops, including the breaker that
//! stops it when Authing is down.
//!
//! The breaker trips on an outage only: a call that gave up (its attempts used up)
//! while no call at all has gone through for [`Settings::outage_window`]. A record
//! Authing refused, a throttled call the pacer adapts to, and a failed read-back are
//! outcomes of single records; they never stop the run, so a resumed run always
//! gets on with what it has not sent.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use std::time::Duration;

use super::calls::Calls;
use super::{Cancel, Event, Settings, Sink, Stop};
use crate::journal::Journal;
use crate::record::Problem;
use crate::report::{Counts, Outcome, ProblemRecord};
use crate::service::Failure;
use crate::validate::{Dedup, ValidRecord};

pub(super) struct Shared {
    pub settings: Settings,
    /// `None` for a dry run without credentials (nothing is looked up).
    pub calls: Option<Calls>,
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
}

impl Shared {
    pub fn new(
        settings: Settings,
        calls: Option<Calls>,
        journal: Option<Journal>,
        resolved: Option<Dedup>,
        sink: Arc<dyn Sink>,
        cancel: Cancel,
        records: u64,
    ) -> Self {
        Self {
            settings,
            calls,
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

    /// A call failed for good. A refused key stops the run at once; a call that gave
    /// up on Authing stops it when Authing has answered nothing (a throttled attempt
    /// is an answer) for the outage window. Other failures are the record's.
    pub fn failed(&self, failure: &Failure) {
        match failure {
            Failure::Auth(m) => self.halt(Stop::Auth(m.clone())),
            Failure::Unavailable(m) => {
                let silent = self
                    .calls
                    .as_ref()
                    .map_or(Duration::ZERO, Calls::silent_for);
                if silent >= self.settings.outage_window {
                    self.halt(Stop::Unavailable(format!(
                        "no call went through for {} s; the last: {m}",
                        silent.as_secs()
                    )));
                }
            }
            _ => {}
        }
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
