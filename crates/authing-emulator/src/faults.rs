//! Injected faults and the request-rate limit: the conditions a test sets, at start
//! ([`crate::Config::faults`]) or at run time (`PUT /_emulator/faults`). Latency and the
//! token lifetime are set here and nowhere else.
//!
//! Faults exist so that clients can prove their retry and idempotency logic against something
//! that refuses the way Authing does: real HTTP 429 with Authing's body, 5xx, latency, and
//! dropped connections.

use std::time::{Duration, Instant};

use rand::Rng;
use serde::{Deserialize, Serialize};

/// Lifetime of management tokens unless `token_ttl_secs` says otherwise: Authing's.
pub const DEFAULT_TOKEN_TTL_SECS: u64 = 7200;

/// Authing's throttling message, byte for byte.
pub const THROTTLE_MESSAGE: &str = "您的请求已超过最大数量限制，请稍后重试";

/// Fault settings. Probabilities are per request, in `[0, 1]`; the four failure kinds are drawn
/// from one roll, so their sum must not exceed 1. `failDrop` is rolled separately.
///
/// JSON form (admin API `/_emulator/faults`): `{"latencyMs":0,"fail429":0.0,"fail500":0.0,
/// "fail502":0.0,"fail503":0.0,"failDrop":0.0,"maxRps":null,"retryAfterSecs":null,
/// "tokenTtlSecs":null}`; missing fields take these defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Faults {
    /// Base latency added to every Management API request, with ±50 % jitter.
    pub latency_ms: u64,
    /// Probability of a real HTTP 429 with Authing's throttling body.
    pub fail_429: f64,
    /// Probability of HTTP 500 with a statusCode 500 envelope.
    pub fail_500: f64,
    /// Probability of HTTP 502 with a statusCode 502 envelope.
    pub fail_502: f64,
    /// Probability of HTTP 503 with a statusCode 503 envelope.
    pub fail_503: f64,
    /// Probability that the response is lost: the request is fully applied, then the connection
    /// breaks in the middle of the response body.
    pub fail_drop: f64,
    /// Requests per second allowed (token bucket of the same size); `None` or 0: unlimited.
    pub max_rps: Option<u32>,
    /// When set, 429 answers carry `retry-after: <secs>` (Authing documents none).
    pub retry_after_secs: Option<u64>,
    /// Lifetime of the tokens issued from now on; `None`: [`DEFAULT_TOKEN_TTL_SECS`].
    pub token_ttl_secs: Option<u64>,
}

impl Faults {
    /// Rejects probabilities outside `[0, 1]` and failure kinds that add up to more than 1.
    pub fn validate(&self) -> Result<(), String> {
        for (name, p) in [
            ("fail429", self.fail_429),
            ("fail500", self.fail_500),
            ("fail502", self.fail_502),
            ("fail503", self.fail_503),
            ("failDrop", self.fail_drop),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!(
                    "{name} must be a probability between 0 and 1, got {p}"
                ));
            }
        }
        let sum = self.fail_429 + self.fail_500 + self.fail_502 + self.fail_503;
        if sum > 1.0 + 1e-9 {
            return Err(format!(
                "fail429 + fail500 + fail502 + fail503 must not exceed 1, got {sum}"
            ));
        }
        Ok(())
    }

    /// Brings every probability into `[0, 1]` (used where no error can be returned).
    pub fn clamped(mut self) -> Faults {
        for p in [
            &mut self.fail_429,
            &mut self.fail_500,
            &mut self.fail_502,
            &mut self.fail_503,
            &mut self.fail_drop,
        ] {
            *p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        }
        self
    }

    /// Lifetime of the tokens issued now, in seconds.
    pub fn token_ttl(&self) -> u64 {
        self.token_ttl_secs.unwrap_or(DEFAULT_TOKEN_TTL_SECS)
    }

    /// The latency for one request: the base ± up to 50 %.
    pub(crate) fn jittered_latency(&self) -> Duration {
        if self.latency_ms == 0 {
            return Duration::ZERO;
        }
        let factor: f64 = rand::rng().random_range(0.5..=1.5);
        Duration::from_secs_f64(self.latency_ms as f64 * factor / 1000.0)
    }

    /// Rolls the dice for the failure kinds; returns the HTTP status to fail with, if any.
    pub(crate) fn roll_failure(&self) -> Option<u16> {
        let roll: f64 = rand::rng().random();
        let mut threshold = 0.0;
        for (status, p) in [
            (429, self.fail_429),
            (500, self.fail_500),
            (502, self.fail_502),
            (503, self.fail_503),
        ] {
            threshold += p;
            // `p > 0` keeps a probability of 0 from ever firing, even on a roll of exactly 0.
            if p > 0.0 && roll < threshold {
                return Some(status);
            }
        }
        None
    }

    pub(crate) fn roll_drop(&self) -> bool {
        self.fail_drop > 0.0 && rand::rng().random::<f64>() < self.fail_drop
    }
}

/// Token bucket: `max_rps` tokens, refilled continuously at `max_rps` per second.
#[derive(Debug)]
pub struct RateLimiter {
    rate: u32,
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    pub fn new() -> Self {
        RateLimiter {
            rate: 0,
            tokens: 0.0,
            last: Instant::now(),
        }
    }

    /// Takes one token; `false` means the request must be throttled.
    pub fn try_acquire(&mut self, max_rps: Option<u32>) -> bool {
        let rate = max_rps.unwrap_or(0);
        if rate == 0 {
            self.rate = 0;
            return true;
        }
        let now = Instant::now();
        if rate != self.rate {
            // A new limit starts with a full bucket.
            self.rate = rate;
            self.tokens = f64::from(rate);
        } else {
            let refill = now.duration_since(self.last).as_secs_f64() * f64::from(rate);
            self.tokens = (self.tokens + refill).min(f64::from(rate));
        }
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_are_checked() {
        assert!(Faults::default().validate().is_ok());
        let f = Faults {
            fail_429: 1.5,
            ..Faults::default()
        };
        assert!(f.validate().is_err());
        assert_eq!(f.clamped().fail_429, 1.0);
        let f = Faults {
            fail_429: 0.6,
            fail_503: 0.6,
            ..Faults::default()
        };
        assert!(f.validate().is_err());
    }

    #[test]
    fn certain_and_impossible_faults() {
        let f = Faults {
            fail_503: 1.0,
            ..Faults::default()
        };
        assert!((0..100).all(|_| f.roll_failure() == Some(503)));
        assert!((0..100).all(|_| Faults::default().roll_failure().is_none()));
    }

    #[test]
    fn bucket_limits_bursts() {
        let mut limiter = RateLimiter::new();
        let granted = (0..10).filter(|_| limiter.try_acquire(Some(3))).count();
        assert_eq!(granted, 3);
        assert!(limiter.try_acquire(None));
    }

    #[test]
    fn json_names() {
        let f: Faults = serde_json::from_str(r#"{"fail429":1,"maxRps":5}"#).unwrap();
        assert_eq!(f.fail_429, 1.0);
        assert_eq!(f.max_rps, Some(5));
        assert!(serde_json::from_str::<Faults>(r#"{"fail_429":1}"#).is_err());
    }
}
