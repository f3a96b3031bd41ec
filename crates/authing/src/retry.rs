//! Whether a failed attempt is sent again, and how long to wait first.
//!
//! One classification, [`classify`], decides for the client's attempt loop and for
//! [`Error::retry`](crate::Error::retry) and [`Error::is_retryable`](crate::Error::is_retryable),
//! so what the client retries and what an error calls retryable never disagree:
//!
//! | what happened | idempotent call | other call | why |
//! | --- | --- | --- | --- |
//! | no connection (refused, DNS, TLS, connect timeout) | retried | retried | nothing reached Authing |
//! | HTTP 429, or statusCode 429 in the body | retried | retried | throttled before it was applied |
//! | HTTP 503 | retried | retried | turned away before it was applied (gateway, overload) |
//! | timeout or broken connection once sent | retried | not retried | it may have been applied |
//! | HTTP 500, 502, 504 | retried | not retried | it may have been applied behind the gateway |
//! | statusCode 500-503 in an HTTP 2xx body | retried | not retried | Authing's code ran and may have applied part of the call |
//! | statusCode 401 (HTTP or body), token mode | one new attempt with a new token | same | the token may have been revoked early |
//! | anything else | not retried | not retried | the same call would fail the same way |
//!
//! A statusCode 500-503 inside an HTTP 200 is Authing's application answering, not a gateway
//! turning the call away: it may have written before failing, so it is repeated only for calls
//! that are safe to repeat. Idempotent calls are those of [`is_idempotent`]. A call is sent at
//! most [`RetryConfig::with_max_attempts`] times, waiting an exponential backoff with full
//! jitter, or the answer's `Retry-After` when it has one; a `Retry-After` longer than
//! [`RetryConfig::with_max_retry_after`] ends the retries (the error is then returned at once).

use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// When a failed call may be sent again (see the module table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Retry {
    /// Sending the same call again would fail the same way: do not.
    Never,
    /// The call was not applied: sending it again is safe for any operation.
    Always,
    /// The call may have been applied: sending it again is safe only for an idempotent
    /// operation (see [`is_idempotent`]).
    IfIdempotent,
}

impl Retry {
    /// Whether a call that failed this way may be sent again.
    pub fn allows(self, idempotent: bool) -> bool {
        match self {
            Retry::Never => false,
            Retry::Always => true,
            Retry::IfIdempotent => idempotent,
        }
    }
}

/// How an attempt ended, as far as sending it again is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// No connection was made: nothing was sent.
    NotConnected,
    /// Sent, then timed out or the connection broke: it may have been applied.
    Interrupted,
    /// An answer: its HTTP status and the body's statusCode, if it had one.
    Answered { http: u16, status_code: Option<i64> },
}

/// The one retry classification (the module table, row by row).
pub(crate) fn classify(attempt: Attempt) -> Retry {
    match attempt {
        Attempt::NotConnected => Retry::Always,
        Attempt::Interrupted => Retry::IfIdempotent,
        Attempt::Answered { http, status_code } => match (http, status_code) {
            (429 | 503, _) | (_, Some(429)) => Retry::Always,
            (500 | 502 | 504, _) => Retry::IfIdempotent,
            (200..=299, Some(500..=503)) => Retry::IfIdempotent,
            _ => Retry::Never,
        },
    }
}

/// POST operations that are safe to send twice (they set state rather than add to
/// it), besides every GET, PUT and DELETE and every POST named `get_`, `list_`,
/// `check_`, `search_` or `is_`. `import_otp` is here: importing the same secret again
/// leaves the same state.
pub const IDEMPOTENT_POSTS: &[&str] = &["import_otp", "get_management_token"];

/// Whether a call may be repeated after an attempt that may have been applied.
pub fn is_idempotent(method: &str, operation_id: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS")
        || IDEMPOTENT_POSTS.contains(&operation_id)
        || ["get_", "list_", "check_", "search_", "is_"]
            .iter()
            .any(|p| operation_id.starts_with(p))
}

/// Retry policy: bounded attempts, exponential backoff with full jitter, and a
/// server's `Retry-After` honoured up to a cap. Which failures are retried is the
/// module table's business, not the policy's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    pub(crate) max_attempts: u32,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_retry_after: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self::standard()
    }
}

impl RetryConfig {
    /// 3 attempts, backoff from 200 ms up to 5 s, `Retry-After` honoured up to 30 s.
    pub fn standard() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }

    /// One attempt, no retry.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::standard()
        }
    }

    /// Total attempts per call, the first included (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Total attempts per call, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff ceiling before the first retry; doubled for each further one.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The largest backoff ceiling.
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest `Retry-After` honoured; a longer one ends the retries.
    pub fn with_max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// How long to wait before attempt `attempt + 1`, or `None` when the policy says
    /// stop: attempts used up, or the server asks for a longer wait than the cap.
    pub(crate) fn wait_before_next(&self, attempt: u32, headers: &HeaderMap) -> Option<Duration> {
        self.wait_before(attempt, retry_after(headers))
    }

    /// How long to wait after attempt number `attempt` (1 for the first) failed in a
    /// way the table allows to retry, given the answer's `Retry-After` if it had one;
    /// `None` when this policy says stop. For callers that run their own attempt loop
    /// (with [`RetryConfig::disabled`] on the client) and want the client's policy.
    pub fn wait_before(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        match retry_after {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait),
            None => Some(self.backoff(attempt)),
        }
    }

    /// Full jitter over an exponentially growing ceiling.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(self.max_backoff);
        ceiling.mul_f64(rand::rng().random_range(0.0..=1.0))
    }
}

/// `Retry-After` in seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn answer(http: u16, status_code: Option<i64>) -> Retry {
        classify(Attempt::Answered { http, status_code })
    }

    #[test]
    fn the_table_row_by_row() {
        assert_eq!(classify(Attempt::NotConnected), Retry::Always);
        assert_eq!(classify(Attempt::Interrupted), Retry::IfIdempotent);
        assert_eq!(answer(429, Some(429)), Retry::Always);
        assert_eq!(answer(200, Some(429)), Retry::Always);
        assert_eq!(answer(503, None), Retry::Always);
        for http in [500, 502, 504] {
            assert_eq!(answer(http, None), Retry::IfIdempotent, "{http}");
        }
        for code in [500, 501, 502, 503] {
            assert_eq!(answer(200, Some(code)), Retry::IfIdempotent, "{code}");
        }
        for (http, code) in [
            (200, Some(200)),
            (200, Some(404)),
            (400, None),
            (401, Some(401)),
        ] {
            assert_eq!(answer(http, code), Retry::Never, "{http} {code:?}");
        }
        assert_eq!(answer(501, None), Retry::Never);
    }

    #[test]
    fn idempotent_calls_are_retried_more() {
        assert!(Retry::Always.allows(false));
        assert!(Retry::IfIdempotent.allows(true));
        assert!(!Retry::IfIdempotent.allows(false));
        assert!(!Retry::Never.allows(true));
    }

    #[test]
    fn idempotency_rules() {
        assert!(is_idempotent("POST", "import_otp"));
        assert!(is_idempotent("GET", "anything"));
        assert!(is_idempotent("POST", "list_users"));
        assert!(!is_idempotent("POST", "create_user"));
        assert!(!is_idempotent("POST", "create_users_batch"));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_str(&httpdate::fmt_http_date(later)).unwrap(),
        );
        assert!(retry_after(&h).unwrap() > Duration::from_secs(100));
    }

    #[test]
    fn the_policy_stops_at_its_bounds() {
        let policy = RetryConfig::standard().with_max_retry_after(Duration::from_secs(10));
        let mut h = HeaderMap::new();
        assert!(policy.wait_before_next(1, &h).unwrap() <= Duration::from_millis(200));
        assert_eq!(policy.wait_before_next(3, &h), None, "3 attempts at most");
        h.insert(RETRY_AFTER, HeaderValue::from_static("9"));
        assert_eq!(policy.wait_before_next(1, &h), Some(Duration::from_secs(9)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("11"));
        assert_eq!(policy.wait_before_next(1, &h), None, "longer than the cap");
        // The same policy for callers with their own loop.
        assert_eq!(
            policy.wait_before(2, Some(Duration::from_secs(4))),
            Some(Duration::from_secs(4))
        );
        assert!(policy.wait_before(2, None).unwrap() <= Duration::from_millis(400));
        assert_eq!(policy.wait_before(3, None), None);
    }
}
