//! What runs around every generated call: common headers, authentication (token or
//! signature), retries with backoff, one re-authentication after a 401, and a
//! tracing span per attempt. Plugged into the generated client through its hooks.

use crate::error::{ApiError, RawEnvelope, TransportKind};
use crate::{AuthMode, Error, RetryConfig};
use authing_management_gen::{self as gen, BoxFuture, Secret};
use base64::Engine as _;
use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, RETRY_AFTER};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// POST operations that are safe to send twice (they set state rather than add to
/// it), besides every GET, PUT and DELETE and every POST named `get_`, `list_`,
/// `check_`, `search_` or `is_`. Only these are retried after a timeout or a 502/504,
/// when the first attempt may have been applied. `import_otp` is here: importing the
/// same secret again leaves the same state.
pub const IDEMPOTENT_POSTS: &[&str] = &["import_otp", "get_management_token"];

/// Whether a call may be repeated after an attempt that may have been applied.
pub fn is_idempotent(method: &str, operation_id: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS")
        || IDEMPOTENT_POSTS.contains(&operation_id)
        || ["get_", "list_", "check_", "search_", "is_"]
            .iter()
            .any(|p| operation_id.starts_with(p))
}

/// Headers, retries and tracing; shared by the authenticated client and the
/// token-fetching one.
#[derive(Clone)]
pub(crate) struct Transport {
    pub retry: RetryConfig,
    pub headers: HeaderMap,
}

/// Hooks for the token endpoint itself: no authentication.
pub(crate) struct Plain(pub Transport);

/// Hooks for every other call.
pub(crate) struct Authed {
    pub transport: Transport,
    pub auth: Auth,
}

pub(crate) struct Auth {
    pub mode: AuthMode,
    pub key_id: String,
    pub secret: Secret,
    pub refresh_margin: Duration,
    pub token: tokio::sync::Mutex<Option<Token>>,
    /// A generated client with [`Plain`] hooks, for `get-management-token`.
    pub token_api: gen::Client,
}

#[derive(Clone)]
pub(crate) struct Token {
    pub value: Secret,
    pub pool_id: String,
    pub refresh_at: Instant,
    pub expires_at: Instant,
}

impl Auth {
    /// The cached token, fetched or refreshed when due. The lock is held across the
    /// fetch, so however many calls arrive together only one token request is made.
    pub async fn token(&self) -> Result<Token, Error> {
        let mut cached = self.token.lock().await;
        let now = Instant::now();
        if let Some(t) = cached.as_ref().filter(|t| now < t.refresh_at) {
            return Ok(t.clone());
        }
        match self.fetch().await {
            Ok(t) => Ok(cached.insert(t).clone()),
            // A failed early refresh keeps using the still-valid token.
            Err(e) => match cached.as_ref().filter(|t| now < t.expires_at) {
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
        let mut cached = self.token.lock().await;
        if cached
            .as_ref()
            .is_some_and(|t| t.value.expose_secret() == refused)
        {
            *cached = None;
        }
    }

    /// `POST /api/v3/get-management-token` with the access key; a refusal of the key
    /// is [`Error::Auth`].
    pub async fn request_token(&self) -> Result<gen::types::AccessTokenResDto, Error> {
        use crate::ResultExt;
        let body = gen::types::GetManagementAccessTokenDto {
            access_key_id: self.key_id.clone(),
            access_key_secret: self.secret.clone(),
        };
        let resp = self
            .token_api
            .get_management_token()
            .body(body)
            .send()
            .await
            .checked();
        Ok(resp.map_err(token_error)?.data)
    }

    async fn fetch(&self) -> Result<Token, Error> {
        let started = Instant::now();
        let data = self.request_token().await?;
        let malformed = |what: &str| {
            Error::Auth(Box::new(Error::Decode {
                what: format!("get_management_token: {what}"),
                body: None,
            }))
        };
        let token = data
            .access_token
            .ok_or_else(|| malformed("data.access_token is missing"))?;
        let pool_id = jwt_claim(token.expose_secret(), "scoped_userpool_id")
            .ok_or_else(|| malformed("the token carries no scoped_userpool_id claim"))?;
        // Authing documents 7200 s; a missing lifetime is taken as that.
        let expires_in = data.expires_in.unwrap_or(7200);
        let ttl = Duration::from_secs(expires_in.max(1) as u64);
        let margin = self.refresh_margin.min(ttl / 4);
        let jitter = margin.mul_f64(rand::rng().random_range(0.0..=0.5));
        tracing::debug!(expires_in, "fetched a management token");
        Ok(Token {
            value: token,
            pool_id,
            refresh_at: started + ttl - margin - jitter,
            expires_at: started + ttl,
        })
    }

    /// Authenticate `request` for one attempt.
    async fn apply(&self, request: &mut reqwest::Request) -> Result<(), Error> {
        match self.mode {
            AuthMode::Signature => {
                crate::signature::sign_request(request, &self.key_id, self.secret.expose_secret());
            }
            AuthMode::Token => {
                let token = self.token().await?;
                let mut bearer =
                    HeaderValue::from_str(&format!("Bearer {}", token.value.expose_secret()))
                        .map_err(|_| {
                            Error::Auth(Box::new(Error::Decode {
                                what: "the management token is not a valid header value".into(),
                                body: None,
                            }))
                        })?;
                bearer.set_sensitive(true);
                let pool = HeaderValue::from_str(&token.pool_id).map_err(|_| {
                    Error::Auth(Box::new(Error::Decode {
                        what: "the user pool id is not a valid header value".into(),
                        body: None,
                    }))
                })?;
                request.headers_mut().insert(AUTHORIZATION, bearer);
                request.headers_mut().insert("x-authing-userpool-id", pool);
            }
        }
        Ok(())
    }
}

/// A failed token request as the caller should see it: a refusal of the key is
/// [`Error::Auth`]; an outage (5xx, 429, transport) stays what it is, so callers can
/// tell "the key is wrong" from "Authing is down".
fn token_error(e: Error) -> Error {
    let refused = matches!(e, Error::Api(_) | Error::Http { .. })
        && !e.is_retryable()
        && e.status_code().is_none_or(|c| c < 500);
    if refused {
        Error::Auth(Box::new(e))
    } else {
        e
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

impl Transport {
    fn add_headers(&self, request: &mut reqwest::Request) {
        for (name, value) in &self.headers {
            request.headers_mut().insert(name, value.clone());
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .retry
            .initial_backoff
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(self.retry.max_backoff);
        ceiling.mul_f64(rand::rng().random_range(0.0..=1.0))
    }

    /// Send with retries. `auth` re-authenticates each new attempt (fresh nonce, or a
    /// new token after a 401).
    async fn execute(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
        auth: Option<&Auth>,
    ) -> reqwest::Result<reqwest::Response> {
        let idempotent = is_idempotent(request.method().as_str(), operation);
        let mut current = request;
        let mut attempt = 0u32;
        let mut reauthenticated = false;
        loop {
            attempt += 1;
            // A body that cannot be cloned (a stream) is sent once.
            let spare = current.try_clone();
            let sent_token = bearer_token(&current);
            let span = tracing::info_span!(
                "authing.request",
                operation,
                attempt,
                http.status = tracing::field::Empty,
                status_code = tracing::field::Empty,
                api_code = tracing::field::Empty,
                request_id = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            );
            let started = Instant::now();
            let outcome = send_once(client, current).instrument(span.clone()).await;
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            let next = match &outcome {
                Err(e) => {
                    // A refused connection was never applied; a timeout or broken
                    // connection may have been, so only idempotent calls go again.
                    let error = Error::transport(e);
                    span.in_scope(|| tracing::debug!(%error, "request failed"));
                    let safe = e.is_connect() || idempotent;
                    (safe && attempt < self.retry.max_attempts).then(|| self.backoff(attempt))
                }
                Ok(answer) => {
                    answer.record(&span);
                    let token_refused = answer.is_unauthorized()
                        && !reauthenticated
                        && auth.is_some_and(|a| a.mode == AuthMode::Token);
                    if let (true, Some(auth), Some(token)) = (token_refused, auth, &sent_token) {
                        span.in_scope(|| {
                            tracing::info!("token refused; fetching a new one and retrying once")
                        });
                        auth.invalidate(token).await;
                        reauthenticated = true;
                        attempt -= 1; // the re-authentication does not use up a retry
                        Some(Duration::ZERO)
                    } else if answer.is_retryable(idempotent) && attempt < self.retry.max_attempts {
                        match retry_after(&answer.headers) {
                            Some(d) if d > self.retry.max_retry_after => None,
                            Some(d) => Some(d),
                            None => Some(self.backoff(attempt)),
                        }
                    } else {
                        None
                    }
                }
            };
            let retry = match (next, spare) {
                (Some(wait), Some(spare)) => {
                    span.in_scope(|| tracing::warn!(wait_ms = wait.as_millis() as u64, "retrying"));
                    tokio::time::sleep(wait).await;
                    self.prepare(spare, auth).await
                }
                _ => None,
            };
            match retry {
                Some(request) => current = request,
                None => return outcome.map(Answer::into_response),
            }
        }
    }

    /// Re-authenticate a request for a new attempt; `None` when that is impossible
    /// (then the caller returns what it already has).
    async fn prepare(
        &self,
        mut request: reqwest::Request,
        auth: Option<&Auth>,
    ) -> Option<reqwest::Request> {
        if let Some(auth) = auth {
            if let Err(e) = auth.apply(&mut request).await {
                tracing::warn!(error = %e, "could not re-authenticate for a retry");
                return None;
            }
        }
        Some(request)
    }
}

/// The bearer token a request carries, if any.
fn bearer_token(request: &reqwest::Request) -> Option<String> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::to_string)
}

/// One attempt's response, read whole (Authing's answers are small) so that the
/// envelope can be inspected and the response handed on intact.
struct Answer {
    status: reqwest::StatusCode,
    version: http::Version,
    headers: HeaderMap,
    body: bytes::Bytes,
    envelope: Option<RawEnvelope>,
}

async fn send_once(client: &reqwest::Client, request: reqwest::Request) -> reqwest::Result<Answer> {
    let response = client.execute(request).await?;
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = response.bytes().await?;
    let envelope = RawEnvelope::parse(&body);
    Ok(Answer {
        status,
        version,
        headers,
        body,
        envelope,
    })
}

impl Answer {
    fn status_code(&self) -> Option<i64> {
        self.envelope.as_ref().and_then(RawEnvelope::status)
    }

    /// statusCode 401, as an HTTP status or in the body.
    fn is_unauthorized(&self) -> bool {
        self.status.as_u16() == 401 || self.status_code() == Some(401)
    }

    /// Throttled or unavailable before being applied (429, 503) is retried for any
    /// call; a 502 or 504, which may come after the call was applied, only for
    /// idempotent ones.
    fn is_retryable(&self, idempotent: bool) -> bool {
        let http = self.status.as_u16();
        matches!(http, 429 | 503)
            || self.status_code() == Some(429)
            || (matches!(http, 502 | 504) && idempotent)
    }

    fn record(&self, span: &tracing::Span) {
        span.record("http.status", self.status.as_u16());
        if let Some(code) = self.status_code() {
            span.record("status_code", code);
        }
        if let Some(env) = &self.envelope {
            if let Some(code) = env.api_code.as_ref().and_then(serde_json::Number::as_i64) {
                span.record("api_code", code);
            }
            if let Some(id) = &env.request_id {
                span.record("request_id", id.as_str());
            }
        }
        span.in_scope(|| tracing::debug!("response"));
    }

    /// Back to a `reqwest::Response` for the generated code; an error envelope rides
    /// along in the extensions so `Error::Http` can carry Authing's fields.
    fn into_response(self) -> reqwest::Response {
        let mut rebuilt = http::Response::new(self.body);
        *rebuilt.status_mut() = self.status;
        *rebuilt.version_mut() = self.version;
        *rebuilt.headers_mut() = self.headers;
        if !self.status.is_success() {
            if let Some(api) = self
                .envelope
                .and_then(|e| e.into_api_error(self.status.as_u16()))
            {
                rebuilt.extensions_mut().insert::<ApiError>(api);
            }
        }
        reqwest::Response::from(rebuilt)
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
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

impl gen::Hooks for Plain {
    fn pre<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _: &'static str,
    ) -> BoxFuture<'a, Result<(), String>> {
        self.0.add_headers(request);
        Box::pin(async { Ok(()) })
    }

    fn exec<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(self.0.execute(client, request, operation, None))
    }
}

impl gen::Hooks for Authed {
    fn pre<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _: &'static str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.transport.add_headers(request);
            self.auth
                .apply(request)
                .await
                .map_err(|e| encode_hook_error(&e))
        })
    }

    fn exec<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(
            self.transport
                .execute(client, request, operation, Some(&self.auth)),
        )
    }
}

// The generated code carries a hook's error as `Error::Custom(String)`; these two
// functions carry our typed error through that string and back.
const HOOK_ERROR: &str = "authing-hook-error:";

#[derive(serde::Serialize, serde::Deserialize)]
enum WireError {
    Config(String),
    InvalidRequest(String),
    Transport(u8, String),
    Http(u16, Option<ApiError>),
    Api(ApiError),
    Auth(Box<WireError>),
    Decode(String),
}

fn to_wire(e: &Error) -> WireError {
    match e {
        Error::Config(m) => WireError::Config(m.clone()),
        Error::InvalidRequest(m) => WireError::InvalidRequest(m.clone()),
        Error::Transport { kind, message } => WireError::Transport(
            match kind {
                TransportKind::Timeout => 0,
                TransportKind::Connect => 1,
                _ => 2,
            },
            message.clone(),
        ),
        Error::Http { status, api } => WireError::Http(*status, api.clone()),
        Error::Api(a) => WireError::Api(a.clone()),
        Error::Auth(inner) => WireError::Auth(Box::new(to_wire(inner))),
        Error::Decode { what, .. } => WireError::Decode(what.clone()),
    }
}

fn from_wire(w: WireError) -> Error {
    match w {
        WireError::Config(m) => Error::Config(m),
        WireError::InvalidRequest(m) => Error::InvalidRequest(m),
        WireError::Transport(k, message) => Error::Transport {
            kind: match k {
                0 => TransportKind::Timeout,
                1 => TransportKind::Connect,
                _ => TransportKind::Other,
            },
            message,
        },
        WireError::Http(status, api) => Error::Http { status, api },
        WireError::Api(a) => Error::Api(a),
        WireError::Auth(inner) => Error::Auth(Box::new(from_wire(*inner))),
        WireError::Decode(what) => Error::Decode { what, body: None },
    }
}

fn encode_hook_error(e: &Error) -> String {
    format!(
        "{HOOK_ERROR}{}",
        serde_json::to_string(&to_wire(e)).unwrap_or_default()
    )
}

pub(crate) fn decode_hook_error(s: &str) -> Error {
    s.strip_prefix(HOOK_ERROR)
        .and_then(|json| serde_json::from_str(json).ok())
        .map(from_wire)
        .unwrap_or_else(|| Error::InvalidRequest(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_rules() {
        assert!(is_idempotent("POST", "import_otp"));
        assert!(is_idempotent("GET", "anything"));
        assert!(is_idempotent("POST", "list_users"));
        assert!(!is_idempotent("POST", "create_user"));
        assert!(!is_idempotent("POST", "create_users_batch"));
    }

    #[test]
    fn hook_errors_survive_the_string_channel() {
        let e = Error::Auth(Box::new(Error::Api(ApiError {
            status_code: 401,
            api_code: Some(2001),
            message: "bad key".into(),
            request_id: Some("r1".into()),
            http_status: 200,
        })));
        let back = decode_hook_error(&encode_hook_error(&e));
        assert!(back.is_auth());
        assert_eq!(back.api_code(), Some(2001));
        assert_eq!(back.request_id(), Some("r1"));
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
}
