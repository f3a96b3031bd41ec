//! Management tokens (Authing's documented scheme): fetched with the access key,
//! cached, replaced ahead of expiry, sent as `authorization: Bearer` with the pool id
//! read from the token.
//!
//! The cache takes its clock and its jitter from the caller, so that its timing is
//! tested on Tokio's paused time with a fixed jitter instead of by sleeping.

use std::sync::Arc;
use std::time::Duration;

use authing_management_gen::{BoxFuture, Secret};
use base64::Engine as _;
use rand::Rng;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use tokio::time::Instant;

use crate::error::Error;

/// The time now (Tokio's clock, so paused time in tests moves it).
pub(crate) type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;
/// A number in `[0, 1]` drawn for each new token: how much of the jitter allowance
/// to take off its refresh time.
pub(crate) type Jitter = Arc<dyn Fn() -> f64 + Send + Sync>;

/// A token as the token endpoint issued it.
pub(crate) struct Issued {
    pub value: Secret,
    pub expires_in: Duration,
}

/// Where new tokens come from.
pub(crate) trait Source: Send + Sync {
    fn fetch(&self) -> BoxFuture<'_, Result<Issued, Error>>;
}

/// Debug is safe: the value is a [`Secret`].
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub value: Secret,
    pub pool_id: String,
    refresh_at: Instant,
    expires_at: Instant,
}

impl Token {
    /// Put the token and its pool id on a request.
    pub fn apply(&self, request: &mut reqwest::Request) -> Result<(), Error> {
        let mut bearer = HeaderValue::from_str(&format!("Bearer {}", self.value.expose_secret()))
            .map_err(|_| {
            Error::bad_credential("the management token is not a valid header value")
        })?;
        bearer.set_sensitive(true);
        let pool = HeaderValue::from_str(&self.pool_id)
            .map_err(|_| Error::bad_credential("the user pool id is not a valid header value"))?;
        request.headers_mut().insert(AUTHORIZATION, bearer);
        request.headers_mut().insert("x-authing-userpool-id", pool);
        Ok(())
    }
}

/// The bearer token a request carries, if any.
pub(crate) fn bearer_of(request: &reqwest::Request) -> Option<String> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::to_string)
}

/// One cached token for every clone of a client.
pub(crate) struct TokenCache {
    source: Arc<dyn Source>,
    /// How long before expiry to replace a token (at most a quarter of its lifetime);
    /// up to half of it again is taken off as jitter, so clients started together do
    /// not all refresh at once.
    margin: Duration,
    clock: Clock,
    jitter: Jitter,
    slot: tokio::sync::Mutex<Option<Token>>,
}

impl TokenCache {
    /// Tokio's clock and a random jitter.
    pub fn new(source: Arc<dyn Source>, margin: Duration) -> Self {
        Self::with_clock(
            source,
            margin,
            Arc::new(Instant::now),
            Arc::new(|| rand::rng().random_range(0.0..=1.0)),
        )
    }

    pub fn with_clock(
        source: Arc<dyn Source>,
        margin: Duration,
        clock: Clock,
        jitter: Jitter,
    ) -> Self {
        Self {
            source,
            margin,
            clock,
            jitter,
            slot: tokio::sync::Mutex::new(None),
        }
    }

    /// The cached token, fetched or refreshed when due. The lock is held across the
    /// fetch, so however many calls arrive together only one token request is made.
    pub async fn get(&self) -> Result<Token, Error> {
        let mut cached = self.slot.lock().await;
        let now = (self.clock)();
        if let Some(t) = cached.as_ref().filter(|t| now < t.refresh_at) {
            return Ok(t.clone());
        }
        match self.fetch().await {
            Ok(t) => Ok(cached.insert(t).clone()),
            // A failed early refresh keeps using the still-valid token.
            Err(e) => match cached.as_ref().filter(|t| (self.clock)() < t.expires_at) {
                Some(t) => {
                    tracing::warn!(error = %e, "token refresh failed; the current token is still valid");
                    Ok(t.clone())
                }
                None => Err(e),
            },
        }
    }

    /// Forget the token a request was refused with (not a newer one).
    pub async fn invalidate(&self, refused: &str) {
        let mut cached = self.slot.lock().await;
        if cached
            .as_ref()
            .is_some_and(|t| t.value.expose_secret() == refused)
        {
            *cached = None;
        }
    }

    async fn fetch(&self) -> Result<Token, Error> {
        let started = (self.clock)();
        let issued = self.source.fetch().await?;
        let pool_id =
            jwt_claim(issued.value.expose_secret(), "scoped_userpool_id").ok_or_else(|| {
                Error::bad_credential(
                    "get_management_token: the token carries no scoped_userpool_id claim",
                )
            })?;
        let ttl = issued.expires_in.max(Duration::from_secs(1));
        let margin = self.margin.min(ttl / 4);
        let jitter = margin.mul_f64((self.jitter)().clamp(0.0, 1.0) * 0.5);
        tracing::debug!(expires_in = ttl.as_secs(), "fetched a management token");
        Ok(Token {
            value: issued.value,
            pool_id,
            refresh_at: started + ttl - margin - jitter,
            expires_at: started + ttl,
        })
    }
}

/// A claim of a JWT's payload, read without verifying it (the server does that).
fn jwt_claim(token: &str, claim: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get(claim)?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    /// Issues `t0`, `t1`, ... with the given lifetime, after `delay`; fails on demand.
    struct Fake {
        expires_in: Duration,
        delay: Duration,
        issued: AtomicU32,
        failing: AtomicBool,
    }

    impl Fake {
        fn new(expires_in: u64) -> Arc<Fake> {
            Arc::new(Fake {
                expires_in: Duration::from_secs(expires_in),
                delay: Duration::from_millis(20),
                issued: AtomicU32::new(0),
                failing: AtomicBool::new(false),
            })
        }
    }

    impl Source for Fake {
        fn fetch(&self) -> BoxFuture<'_, Result<Issued, Error>> {
            Box::pin(async move {
                tokio::time::sleep(self.delay).await;
                if self.failing.load(Ordering::SeqCst) {
                    return Err(Error::Http {
                        status: 503,
                        api: None,
                        retry_after: None,
                    });
                }
                let n = self.issued.fetch_add(1, Ordering::SeqCst);
                let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(br#"{"scoped_userpool_id":"pool-1"}"#);
                Ok(Issued {
                    value: Secret::new(format!("h.{claims}.t{n}")),
                    expires_in: self.expires_in,
                })
            })
        }
    }

    fn cache(source: &Arc<Fake>, margin: u64, jitter: f64) -> TokenCache {
        TokenCache::with_clock(
            source.clone(),
            Duration::from_secs(margin),
            Arc::new(Instant::now),
            Arc::new(move || jitter),
        )
    }

    fn serial(t: &Token) -> &str {
        t.value.expose_secret().rsplit('.').next().unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn refreshed_a_margin_before_expiry() {
        // 4 s lifetime: the margin is capped at a quarter (1 s); no jitter.
        let source = Fake::new(4);
        let cache = cache(&source, 300, 0.0);
        let first = cache.get().await.unwrap();
        assert_eq!(first.pool_id, "pool-1");
        // Fetched at 0 (answered at 20 ms): due for refresh at 3 s.
        tokio::time::advance(Duration::from_millis(2900)).await;
        assert_eq!(serial(&cache.get().await.unwrap()), "t0");
        tokio::time::advance(Duration::from_millis(100)).await;
        assert_eq!(serial(&cache.get().await.unwrap()), "t1");
        assert_eq!(source.issued.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn jitter_takes_up_to_half_the_margin_off() {
        let source = Fake::new(7200);
        // Margin 300 s, full jitter: refresh 450 s before expiry.
        let cache = cache(&source, 300, 1.0);
        cache.get().await.unwrap();
        tokio::time::advance(Duration::from_secs(7200 - 451)).await;
        assert_eq!(serial(&cache.get().await.unwrap()), "t0");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(serial(&cache.get().await.unwrap()), "t1");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_early_refresh_keeps_the_valid_token() {
        let source = Fake::new(4);
        let cache = cache(&source, 300, 0.0);
        cache.get().await.unwrap();
        source.failing.store(true, Ordering::SeqCst);
        tokio::time::advance(Duration::from_millis(3500)).await;
        assert_eq!(serial(&cache.get().await.unwrap()), "t0", "still valid");
        tokio::time::advance(Duration::from_secs(1)).await;
        let err = cache.get().await.unwrap_err();
        assert_eq!(err.http_status(), Some(503), "expired: the error shows");
    }

    #[tokio::test(start_paused = true)]
    async fn fifty_callers_on_a_cold_cache_make_one_request() {
        let source = Fake::new(7200);
        let cache = Arc::new(cache(&source, 300, 0.5));
        let calls = (0..50).map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get().await.map(|t| serial(&t).to_string()) })
        });
        for call in futures::future::join_all(calls).await {
            assert_eq!(call.unwrap().unwrap(), "t0");
        }
        assert_eq!(source.issued.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn only_the_refused_token_is_forgotten() {
        let source = Fake::new(7200);
        let cache = cache(&source, 300, 0.0);
        let t0 = cache.get().await.unwrap();
        cache.invalidate("some older token").await;
        assert_eq!(serial(&cache.get().await.unwrap()), "t0");
        cache.invalidate(t0.value.expose_secret()).await;
        assert_eq!(serial(&cache.get().await.unwrap()), "t1");
    }
}
