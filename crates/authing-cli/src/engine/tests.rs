//! The engine against a stand-in for Authing, on Tokio's paused time: batching,
//! bisection, concurrency over every kind of request, the breaker and panics,
//! without a server or real sleeps.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use authing::{OtpImport, Secret};
use futures::future::BoxFuture;

use super::send::Batcher;
use super::*;
use crate::record::{IdKind, Identifier};
use crate::service::{Api, Failure, Transient};

const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

#[derive(Clone, Copy, PartialEq)]
enum Answer {
    /// Refuse a batch holding a user id starting with `ghost`, import the rest.
    Normal,
    /// Every import fails with a 503.
    Unavailable,
    /// Every import is throttled (429).
    Throttled,
    /// Imports succeed, read-backs fail with a 503.
    ReadsFail,
    Panic,
}

fn unavailable() -> Failure {
    Failure::Transient(Transient {
        message: "unexpected HTTP status 503".into(),
        throttled: false,
        retry_after: None,
    })
}

fn throttled() -> Failure {
    Failure::Transient(Transient {
        message: "unexpected HTTP status 429".into(),
        throttled: true,
        retry_after: None,
    })
}

/// Records every import call's user ids; each request (of any kind) takes one
/// second.
struct Fake {
    answer: Answer,
    calls: Mutex<Vec<Vec<String>>>,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

impl Fake {
    /// One request of any kind: counted in flight for a second.
    async fn request(&self) {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(1)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Fake {
    fn new(answer: Answer) -> Arc<Fake> {
        Arc::new(Fake {
            answer,
            calls: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
        })
    }

    fn call_sizes(&self) -> Vec<usize> {
        self.calls.lock().unwrap().iter().map(Vec::len).collect()
    }
}

impl Api for Fake {
    fn check_credentials(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async { Ok(()) })
    }

    fn import<'a>(&'a self, items: &'a [OtpImport]) -> BoxFuture<'a, Result<(), Failure>> {
        Box::pin(async move {
            let ids: Vec<String> = items.iter().map(|i| i.user_id.clone()).collect();
            self.calls.lock().unwrap().push(ids.clone());
            self.request().await;
            match self.answer {
                Answer::Panic => panic!("a bug in a worker"),
                Answer::Unavailable => Err(unavailable()),
                Answer::Throttled => Err(throttled()),
                _ if ids.iter().any(|id| id.starts_with("ghost")) => {
                    Err(Failure::NotFound("user not found".into()))
                }
                _ => Ok(()),
            }
        })
    }

    fn resolve<'a>(&'a self, id: &'a Identifier) -> BoxFuture<'a, Result<Option<String>, Failure>> {
        Box::pin(async move {
            if id.kind == IdKind::UserId {
                return Ok(Some(id.value.clone()));
            }
            self.request().await;
            Ok(Some(format!("id-of-{}", id.value)))
        })
    }

    fn read_secret<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Option<Secret>, Failure>> {
        Box::pin(async {
            self.request().await;
            match self.answer {
                Answer::ReadsFail => Err(unavailable()),
                _ => Ok(Some(Secret::new(SECRET))),
            }
        })
    }
}

#[derive(Default)]
struct Events(Mutex<Vec<Event>>);

impl Sink for Events {
    fn event(&self, event: Event) {
        self.0.lock().unwrap().push(event);
    }
}

struct Run {
    /// Holds the input and the journal.
    _dir: tempfile::TempDir,
    report: Report,
    events: Arc<Events>,
    elapsed: Duration,
}

impl Run {
    /// What `pick` takes from the events the run reported, in order.
    fn events<T>(&self, pick: impl Fn(&Event) -> Option<T>) -> Vec<T> {
        self.events
            .0
            .lock()
            .unwrap()
            .iter()
            .filter_map(pick)
            .collect()
    }
}

/// `u0`, `u1`, ...
fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("u{i}")).collect()
}

/// Imports the users `ids` (one record each) with the stand-in.
async fn import(
    ids: &[impl AsRef<str>],
    batch_size: usize,
    concurrency: usize,
    api: Arc<Fake>,
) -> Run {
    import_with(ids, "userId", batch_size, concurrency, false, api).await
}

/// The same, naming users by `column`, with `--verify` or not.
async fn import_with(
    ids: &[impl AsRef<str>],
    column: &str,
    batch_size: usize,
    concurrency: usize,
    verify: bool,
    api: Arc<Fake>,
) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.csv");
    let mut csv = format!("{column},secret\n");
    for id in ids {
        csv.push_str(&format!("{},{SECRET}\n", id.as_ref()));
    }
    std::fs::write(&file, csv).unwrap();
    let settings = Settings {
        file: file.clone(),
        format: Format::Csv,
        input: InputOptions::default(),
        batch_size,
        concurrency,
        max_rps: 0,
        dry_run: false,
        verify,
        resume: false,
        journal: dir.path().join("users.csv.journal"),
        skip_invalid: false,
        allow_empty: false,
        outage_window: OUTAGE_WINDOW,
    };
    let events = Arc::new(Events::default());
    let sink: Arc<dyn Sink> = events.clone();
    let scanned = scan(
        &file,
        Format::Csv,
        InputOptions::default(),
        false,
        sink.clone(),
        Cancel::default(),
    )
    .await
    .unwrap();
    let started = tokio::time::Instant::now();
    let report = run(settings, Some(api), scanned, sink, Cancel::default())
        .await
        .unwrap();
    Run {
        _dir: dir,
        report,
        events,
        elapsed: started.elapsed(),
    }
}

#[test]
fn batches_are_full_but_the_last() {
    let mut b = Batcher::new(3);
    let full: Vec<Vec<u32>> = (1..=7).filter_map(|i| b.push(i)).collect();
    assert_eq!(full, vec![vec![1, 2, 3], vec![4, 5, 6]]);
    assert_eq!(b.rest(), Some(vec![7]));
    assert_eq!(b.rest(), None);
}

#[tokio::test(start_paused = true)]
async fn batches_run_at_most_concurrency_at_a_time() {
    let api = Fake::new(Answer::Normal);
    let run = import(&users(10), 2, 2, api.clone()).await;
    assert_eq!(api.call_sizes(), vec![2; 5]);
    assert_eq!(api.most_in_flight.load(Ordering::SeqCst), 2);
    // Five one-second batches, two at a time.
    assert_eq!(run.elapsed, Duration::from_secs(3));
    assert_eq!(run.report.counts.imported, 10);
    assert_eq!(run.report.stop, None);
    let journal = std::fs::read_to_string(run.report.journal.unwrap()).unwrap();
    assert_eq!(
        journal.lines().count(),
        1 + 5,
        "header and one line per batch"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_batch_is_halved_until_the_unknown_users_are_isolated() {
    let ids = ["u0", "u1", "u2", "ghost3", "u4", "u5", "ghost6", "u7"];
    let api = Fake::new(Answer::Normal);
    let run = import(&ids, 8, 1, api.clone()).await;
    assert_eq!(api.call_sizes(), vec![8, 4, 2, 2, 1, 1, 4, 2, 2, 1, 1]);
    let counts = &run.report.counts;
    assert_eq!((counts.imported, counts.user_not_found), (6, 2));
    let not_found = run.events(|e| match e {
        Event::Problem(p) if p.outcome == Outcome::UserNotFound => Some(p.line),
        _ => None,
    });
    assert_eq!(not_found, vec![5, 8], "the ghosts' lines");
    assert_eq!(run.elapsed, Duration::from_secs(11), "one call at a time");
}

#[tokio::test(start_paused = true)]
async fn the_breaker_stops_only_when_nothing_has_gone_through_for_the_outage_window() {
    let api = Fake::new(Answer::Unavailable);
    let run = import(&users(100), 1, 1, api.clone()).await;
    assert!(
        matches!(&run.report.stop, Some(Stop::Unavailable(m)) if m.contains("5 attempts")),
        "{:?}",
        run.report.stop
    );
    // Each batch was tried MAX_ATTEMPTS times; the run went on for the whole window.
    let calls = api.call_sizes().len();
    assert_eq!(calls % MAX_ATTEMPTS as usize, 0);
    assert!(run.elapsed >= OUTAGE_WINDOW, "{:?}", run.elapsed);
    assert!(run.elapsed < OUTAGE_WINDOW * 2, "{:?}", run.elapsed);
    let counts = &run.report.counts;
    assert_eq!(counts.imported, 0);
    assert_eq!(counts.failed + counts.not_sent, 100);
}

#[tokio::test(start_paused = true)]
async fn throttling_alone_never_stops_the_run() {
    // Each batch is throttled MAX_THROTTLED times (about a minute of attempts and
    // backoff, twice the outage window) and then fails; Authing answered every
    // attempt, so the run goes on to the end.
    let api = Fake::new(Answer::Throttled);
    let run = import(&users(20), 10, 1, api.clone()).await;
    assert_eq!(run.report.stop, None);
    assert!(run.elapsed >= OUTAGE_WINDOW * 2, "{:?}", run.elapsed);
    assert_eq!(api.call_sizes().len(), 2 * MAX_THROTTLED as usize);
    let counts = &run.report.counts;
    assert_eq!(
        (counts.imported, counts.failed, counts.not_sent),
        (0, 20, 0)
    );
}

#[tokio::test(start_paused = true)]
async fn failed_read_backs_are_outcomes_not_an_outage() {
    let api = Fake::new(Answer::ReadsFail);
    let run = import_with(&users(40), "userId", 10, 2, true, api).await;
    assert_eq!(run.report.stop, None, "read-backs never stop the run");
    let counts = &run.report.counts;
    assert_eq!((counts.imported, counts.failed), (0, 40));
    assert_eq!(counts.verify_failed, 40);
    let reasons = run.events(|e| match e {
        Event::VerifyFailed { record, .. } => Some(record.reason()),
        _ => None,
    });
    assert_eq!(reasons.len(), 40);
    assert!(reasons[0].contains("5 attempts"), "{}", reasons[0]);
}

#[tokio::test(start_paused = true)]
async fn concurrency_bounds_every_request_lookups_and_read_backs_included() {
    let api = Fake::new(Answer::Normal);
    let emails: Vec<String> = (0..60).map(|i| format!("user{i}@example.com")).collect();
    let run = import_with(&emails, "email", 30, 2, true, api.clone()).await;
    assert_eq!(run.report.counts.imported, 60);
    assert_eq!(run.report.counts.verified, 60);
    // A batch's 30 lookups and 30 read-backs are started together; at most two
    // requests are ever in flight.
    assert_eq!(api.most_in_flight.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_worker_stops_the_run_as_a_bug() {
    let api = Fake::new(Answer::Panic);
    let run = import(&users(2), 1, 1, api).await;
    assert!(
        matches!(&run.report.stop, Some(Stop::Internal(m)) if m.contains("panicked")),
        "{:?}",
        run.report.stop
    );
    assert_eq!(run.report.counts.imported, 0);
}
