//! Every request the import makes goes through [`Calls`]: a slot among the
//! `concurrency` in flight and a turn at the adaptive rate (`crate::pacing`) for
//! each attempt, then the attempt loop.
//!
//! A failure the retry table allows to repeat ([`Failure::Transient`]) is sent
//! again after a backoff, waited without holding a concurrency slot. Throttling is
//! not an outage: a 429 slows every request down, and the throttled call is sent
//! again; throttled attempts have their own, larger budget ([`MAX_THROTTLED`]), so a
//! rate limit the pacer adapts to never fails a record. When the attempts run out,
//! the failure becomes [`Failure::Unavailable`] with the number of attempts made.
//!
//! It also keeps the breaker's heartbeat: when Authing last answered an attempt,
//! whatever it said. A throttled attempt is an answer (Authing is up and says "slow
//! down"), so throttling alone never stops a run.

use authing::{OtpImport, RetryConfig, Secret};
use futures::future::BoxFuture;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

use crate::pacing::Pacer;
use crate::record::{IdKind, Identifier};
use crate::service::{Api, Failure};

/// Attempts per call for failures other than throttling, the first included.
pub const MAX_ATTEMPTS: u32 = 5;
/// Throttled attempts per call before it counts as unavailable.
pub const MAX_THROTTLED: u32 = 20;
/// The longest `Retry-After` a throttled call waits for (the SDK's cap, 30 s, is for
/// interactive calls; a migration would rather wait than fail the batch).
const MAX_THROTTLED_WAIT: Duration = Duration::from_secs(300);

/// The paced, retrying front of an [`Api`].
pub(super) struct Calls {
    api: Arc<dyn Api>,
    pacer: Pacer,
    /// Backoff for failures; its attempt count is [`MAX_ATTEMPTS`].
    retry: RetryConfig,
    /// Backoff for throttled attempts; its attempt count is [`MAX_THROTTLED`].
    throttled: RetryConfig,
    /// When Authing last answered an attempt.
    last_answer: Mutex<Instant>,
}

impl Calls {
    pub fn new(api: Arc<dyn Api>, concurrency: usize, max_rps: u32) -> Self {
        // The SDK's policy: backoff from 200 ms up to 5 s with full jitter, and a
        // server's Retry-After honoured up to 30 s.
        let policy = RetryConfig::standard();
        Self {
            api,
            pacer: Pacer::new(concurrency, max_rps),
            retry: policy.clone().with_max_attempts(MAX_ATTEMPTS),
            throttled: policy
                .with_max_attempts(MAX_THROTTLED)
                .with_max_retry_after(MAX_THROTTLED_WAIT),
            last_answer: Mutex::new(Instant::now()),
        }
    }

    /// How long since Authing last answered an attempt (or since the start).
    pub fn silent_for(&self) -> Duration {
        self.last_answer.lock().expect("heartbeat lock").elapsed()
    }

    pub async fn check_credentials(&self) -> Result<(), Failure> {
        self.call(|| self.api.check_credentials()).await
    }

    pub async fn import(&self, items: &[OtpImport]) -> Result<(), Failure> {
        self.call(|| self.api.import(items)).await
    }

    pub async fn resolve(&self, id: &Identifier) -> Result<Option<String>, Failure> {
        if id.kind == IdKind::UserId {
            return Ok(Some(id.value.clone())); // no request: neither a slot nor a turn
        }
        self.call(|| self.api.resolve(id)).await
    }

    pub async fn read_secret(&self, user_id: &str) -> Result<Option<Secret>, Failure> {
        self.call(|| self.api.read_secret(user_id)).await
    }

    async fn call<'a, T>(
        &'a self,
        attempt: impl Fn() -> BoxFuture<'a, Result<T, Failure>>,
    ) -> Result<T, Failure> {
        let (mut failed, mut throttled) = (0u32, 0u32);
        loop {
            let result = {
                let _slot = self.pacer.acquire().await;
                attempt().await
            };
            let answered = match &result {
                Err(Failure::Transient(t)) => t.throttled,
                Err(Failure::Unavailable(_)) => false,
                _ => true,
            };
            if answered {
                *self.last_answer.lock().expect("heartbeat lock") = Instant::now();
            }
            let transient = match result {
                Err(Failure::Transient(t)) => t,
                other => {
                    self.pacer.record(false);
                    return other;
                }
            };
            self.pacer.record(transient.throttled);
            let wait = if transient.throttled {
                throttled += 1;
                self.throttled.wait_before(throttled, transient.retry_after)
            } else {
                failed += 1;
                self.retry.wait_before(failed, transient.retry_after)
            };
            let Some(wait) = wait else {
                return Err(Failure::Unavailable(format!(
                    "{} ({})",
                    transient.message,
                    attempts(failed, throttled)
                )));
            };
            tracing::debug!(
                wait_ms = wait.as_millis() as u64,
                failed,
                throttled,
                "sending again"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

/// "3 attempts", "1 attempt", "21 attempts, 20 throttled".
fn attempts(failed: u32, throttled: u32) -> String {
    let total = failed + throttled;
    let plural = if total == 1 { "" } else { "s" };
    if throttled == 0 {
        format!("{total} attempt{plural}")
    } else {
        format!("{total} attempt{plural}, {throttled} throttled")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    use super::*;
    use crate::service::Transient;

    /// Fails each import with the next scripted failure, then succeeds.
    struct Script {
        failures: Mutex<Vec<Failure>>,
        calls: AtomicU32,
    }

    fn transient(throttled: bool) -> Failure {
        Failure::Transient(Transient {
            message: if throttled {
                "Authing answered statusCode 429: slow down".into()
            } else {
                "Authing answered statusCode 500: oops".into()
            },
            throttled,
            retry_after: None,
        })
    }

    impl Api for Script {
        fn check_credentials(&self) -> BoxFuture<'_, Result<(), Failure>> {
            Box::pin(async { Ok(()) })
        }
        fn import<'a>(&'a self, _: &'a [OtpImport]) -> BoxFuture<'a, Result<(), Failure>> {
            Box::pin(async move {
                self.calls.fetch_add(1, Ordering::SeqCst);
                let mut failures = self.failures.lock().unwrap();
                if failures.is_empty() {
                    Ok(())
                } else {
                    Err(failures.remove(0))
                }
            })
        }
        fn resolve<'a>(
            &'a self,
            _: &'a Identifier,
        ) -> BoxFuture<'a, Result<Option<String>, Failure>> {
            unreachable!()
        }
        fn read_secret<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Option<Secret>, Failure>> {
            unreachable!()
        }
    }

    fn calls(failures: Vec<Failure>) -> (Calls, Arc<Script>) {
        let script = Arc::new(Script {
            failures: Mutex::new(failures),
            calls: AtomicU32::new(0),
        });
        (Calls::new(script.clone(), 2, 0), script)
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_sent_again_and_counted_truthfully() {
        let (c, script) = calls(vec![transient(false); 4]);
        assert_eq!(c.import(&[]).await, Ok(()));
        assert_eq!(script.calls.load(Ordering::SeqCst), 5);

        let (c, script) = calls(vec![transient(false); 5]);
        let err = c.import(&[]).await.unwrap_err();
        assert_eq!(script.calls.load(Ordering::SeqCst), MAX_ATTEMPTS);
        assert_eq!(
            err,
            Failure::Unavailable("Authing answered statusCode 500: oops (5 attempts)".into())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_has_its_own_budget_and_slows_the_pacer() {
        let mut script = vec![transient(true); 12];
        script.extend(vec![transient(false); 4]);
        let (c, calls_made) = calls(script);
        assert_eq!(c.import(&[]).await, Ok(()));
        assert_eq!(calls_made.calls.load(Ordering::SeqCst), 17);
        assert!(c.pacer.current_rps().is_some(), "throttling set a rate");

        let (c, _) = calls(vec![transient(true); MAX_THROTTLED as usize]);
        let err = c.import(&[]).await.unwrap_err();
        assert!(
            err.message().ends_with("(20 attempts, 20 throttled)"),
            "{err:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_retry_after_on_throttling_is_waited_and_counts_as_an_answer() {
        let slow_down = Failure::Transient(Transient {
            message: "Authing answered statusCode 429: slow down".into(),
            throttled: true,
            retry_after: Some(Duration::from_secs(120)),
        });
        let (c, script) = calls(vec![slow_down]);
        let started = Instant::now();
        assert_eq!(c.import(&[]).await, Ok(()));
        assert_eq!(script.calls.load(Ordering::SeqCst), 2);
        assert!(started.elapsed() >= Duration::from_secs(120));
        assert!(c.silent_for() < Duration::from_secs(1));

        // A 503 is not an answer: the heartbeat stays where it was.
        let (c, _) = calls(vec![transient(false); MAX_ATTEMPTS as usize]);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(c.import(&[]).await.is_err());
        assert!(c.silent_for() >= Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn final_failures_are_not_sent_again() {
        let (c, script) = calls(vec![Failure::NotFound("user not found".into())]);
        assert_eq!(
            c.import(&[]).await,
            Err(Failure::NotFound("user not found".into()))
        );
        assert_eq!(script.calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn attempt_counts_read_well() {
        assert_eq!(attempts(1, 0), "1 attempt");
        assert_eq!(attempts(3, 0), "3 attempts");
        assert_eq!(attempts(1, 2), "3 attempts, 2 throttled");
    }
}
