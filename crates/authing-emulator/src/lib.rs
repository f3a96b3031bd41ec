#![doc = include_str!("../README.md")]

mod admin;
mod auth;
mod faults;
mod handlers;
mod schema_check;
mod spec;
mod store;
mod synth;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, Method, StatusCode};
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use admin::parse_seed;
pub use faults::{Faults, THROTTLE_MESSAGE};
pub use schema_check::{schema_problems, Problem};
pub use store::{ExportedOtp, ExportedUser, SeedUser, Stats};
pub use synth::{synthesize_value, Unemulated};

use auth::{AuthError, POOL_HEADER};
use faults::RateLimiter;
use handlers::Reply;
use spec::{RouteMatch, Spec};
use store::{NewUser, Store};

/// Header on every response, so that a client (or a person with curl) can tell it is talking
/// to the emulator and not to Authing.
pub const EMULATOR_HEADER: &str = "x-authing-emulator";

/// How the emulator starts. `Config::default()` gives a loopback emulator on a free port with
/// random credentials.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on (default 127.0.0.1; the admin API has no auth, keep it on loopback).
    pub bind: IpAddr,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// Access key id; random when `None`.
    pub access_key_id: Option<String>,
    /// Access key secret; random when `None`.
    pub access_key_secret: Option<String>,
    /// User pool id; random (24 hex characters) when `None`.
    pub userpool_id: Option<String>,
    /// Lifetime of management tokens (default 7200 s, Authing's).
    pub token_ttl: Duration,
    /// Base latency of every Management API call (± 50 % jitter). When non-zero it overrides
    /// `faults.latency_ms`.
    pub latency: Duration,
    /// Faults active from the start.
    pub faults: Faults,
    /// Users present from the start.
    pub seed_users: Vec<SeedUser>,
    /// Largest accepted request body (default 10 MiB); larger ones get a 413 envelope.
    pub max_body_bytes: usize,
    /// Largest accepted difference between a signed request's `date` and the clock
    /// (default 15 min); signature nonces are remembered for twice this long.
    pub signature_skew: Duration,
    /// What operations without emulated behaviour answer (default: a synthesized success).
    pub unemulated: Unemulated,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            access_key_id: None,
            access_key_secret: None,
            userpool_id: None,
            token_ttl: Duration::from_secs(7200),
            latency: Duration::ZERO,
            faults: Faults::default(),
            seed_users: Vec::new(),
            max_body_bytes: 10 * 1024 * 1024,
            signature_skew: Duration::from_secs(15 * 60),
            unemulated: Unemulated::default(),
        }
    }
}

const REDACTED: &str = "** redacted **";

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("port", &self.port)
            .field("access_key_id", &self.access_key_id)
            .field(
                "access_key_secret",
                &self.access_key_secret.as_ref().map(|_| REDACTED),
            )
            .field("userpool_id", &self.userpool_id)
            .field("token_ttl", &self.token_ttl)
            .field("latency", &self.latency)
            .field("faults", &self.faults)
            .field("seed_users", &self.seed_users.len())
            .field("max_body_bytes", &self.max_body_bytes)
            .field("signature_skew", &self.signature_skew)
            .field("unemulated", &self.unemulated)
            .finish()
    }
}

/// Why the emulator could not start or take a request from its owner.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid faults: {0}")]
    InvalidFaults(String),
    #[error("invalid seed: {0}")]
    InvalidSeed(String),
}

/// State shared by the server task and the `Emulator` handle.
pub(crate) struct Inner {
    pub spec: Arc<Spec>,
    pub access_key_id: String,
    pub access_key_secret: String,
    pub userpool_id: String,
    /// Signs management tokens; random per emulator so tokens of one run fail on another.
    pub jwt_key: [u8; 32],
    pub token_ttl: Duration,
    pub max_body_bytes: usize,
    pub signature_skew: Duration,
    pub unemulated: Unemulated,
    store: Mutex<Store>,
    faults: Mutex<Faults>,
    limiter: Mutex<RateLimiter>,
}

/// A poisoned lock only means a handler panicked; the data is still consistent because every
/// handler validates before it mutates.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inner {
    pub(crate) fn lock_store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub(crate) fn faults(&self) -> Faults {
        lock(&self.faults).clone()
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        *lock(&self.faults) = faults;
    }

    pub(crate) fn token_ttl_secs(&self) -> u64 {
        lock(&self.faults)
            .token_ttl_secs
            .unwrap_or(self.token_ttl.as_secs())
    }

    pub(crate) fn seed(&self, users: Vec<SeedUser>) -> Result<usize, Error> {
        let count = users.len();
        let users: Vec<NewUser> = users.into_iter().map(NewUser::from).collect();
        self.lock_store()
            .insert_all(users, true)
            .map_err(|c| Error::InvalidSeed(c.to_string()))?;
        Ok(count)
    }

    pub(crate) fn reset(&self) {
        // Credentials and faults stay; users, nonces and statistics go.
        *self.lock_store() = Store::default();
        *lock(&self.limiter) = RateLimiter::new();
    }
}

/// A running emulator. Dropping it stops the server; `shutdown` does so gracefully.
pub struct Emulator {
    inner: Arc<Inner>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url())
            .field("access_key_id", &self.inner.access_key_id)
            .field("access_key_secret", &REDACTED)
            .field("userpool_id", &self.inner.userpool_id)
            .finish()
    }
}

fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

impl Emulator {
    /// Binds the listener and spawns the server on the current Tokio runtime.
    pub async fn start(config: Config) -> Result<Emulator, Error> {
        let mut faults = config.faults.clone();
        if !config.latency.is_zero() {
            faults.latency_ms = config.latency.as_millis() as u64;
        }
        faults.validate().map_err(Error::InvalidFaults)?;
        let inner = Arc::new(Inner {
            spec: spec::spec(),
            access_key_id: config
                .access_key_id
                .clone()
                .unwrap_or_else(|| random_hex(12)),
            access_key_secret: config
                .access_key_secret
                .clone()
                .unwrap_or_else(|| random_hex(16)),
            userpool_id: config.userpool_id.clone().unwrap_or_else(|| random_hex(12)),
            jwt_key: rand::random(),
            token_ttl: config.token_ttl,
            max_body_bytes: config.max_body_bytes,
            signature_skew: config.signature_skew,
            unemulated: config.unemulated,
            store: Mutex::new(Store::default()),
            faults: Mutex::new(faults),
            limiter: Mutex::new(RateLimiter::new()),
        });
        inner.seed(config.seed_users.clone())?;
        let addr = SocketAddr::new(config.bind, config.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?;
        let app = axum::Router::new()
            .fallback(entry)
            .with_state(inner.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = server.await {
                tracing::error!(error = %e, "emulator server stopped");
            }
        });
        tracing::info!(%addr, "authing emulator listening");
        Ok(Emulator {
            inner,
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://HOST:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn access_key_id(&self) -> &str {
        &self.inner.access_key_id
    }

    pub fn access_key_secret(&self) -> &str {
        &self.inner.access_key_secret
    }

    pub fn userpool_id(&self) -> &str {
        &self.inner.userpool_id
    }

    /// Replaces the active faults. Probabilities are clamped into `[0, 1]`; use
    /// [`Emulator::try_set_faults`] to have them rejected instead.
    pub fn set_faults(&self, faults: Faults) {
        self.inner.set_faults(faults.clamped());
    }

    /// Replaces the active faults, rejecting invalid probabilities.
    pub fn try_set_faults(&self, faults: Faults) -> Result<(), Error> {
        faults.validate().map_err(Error::InvalidFaults)?;
        self.inner.set_faults(faults);
        Ok(())
    }

    pub fn faults(&self) -> Faults {
        self.inner.faults()
    }

    pub fn stats(&self) -> Stats {
        self.inner.lock_store().stats.clone()
    }

    /// Every user, in creation order, with OTP secret and recovery code.
    pub fn export(&self) -> Vec<ExportedUser> {
        self.inner.lock_store().export()
    }

    /// Adds users (all or none); a user whose id exists is replaced. Returns how many.
    pub fn seed(&self, users: impl IntoIterator<Item = SeedUser>) -> Result<usize, Error> {
        self.inner.seed(users.into_iter().collect())
    }

    /// Forgets users, used nonces and statistics; credentials and faults stay.
    pub fn reset(&self) {
        self.inner.reset()
    }

    /// Stops accepting connections and waits (at most 5 s) for requests in flight.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Graceful: requests in flight finish, then the server task ends on its own.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Every request enters here; panics become a 500 envelope instead of a reset connection.
async fn entry(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut response = catch_panics(dispatch(&inner, request, &request_id), &request_id).await;
    response
        .headers_mut()
        .entry(EMULATOR_HEADER)
        .or_insert(HeaderValue::from_static("1"));
    response
}

async fn catch_panics(
    handler: impl std::future::Future<Output = Response>,
    request_id: &str,
) -> Response {
    AssertUnwindSafe(handler)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            tracing::error!(%request_id, "handler panicked");
            respond(
                &Reply::with_http(500, 500, None, "internal emulator error"),
                request_id,
            )
        })
}

async fn dispatch(inner: &Arc<Inner>, request: Request, request_id: &str) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        return admin::handle(inner, &parts, body, request_id).await;
    }
    let (op, path_params) = match inner.spec.find(&parts.method, &path) {
        RouteMatch::Found(op, params) => (op, params),
        RouteMatch::WrongMethod(allowed) => {
            record(inner, None, "405");
            let allow: Vec<&str> = allowed.iter().map(Method::as_str).collect();
            let mut response = respond(
                &Reply::with_http(
                    405,
                    405,
                    None,
                    format!(
                        "method {} is not allowed on {path} (allowed: {})",
                        parts.method,
                        allow.join(", ")
                    ),
                ),
                request_id,
            );
            if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                response.headers_mut().insert(http::header::ALLOW, v);
            }
            return response;
        }
        RouteMatch::NotFound => {
            record(inner, None, "404");
            return respond(
                &Reply::with_http(404, 404, None, format!("no operation at {path}")),
                request_id,
            );
        }
    };

    // Faults come first so that a faulted request changes nothing.
    let faults = inner.faults();
    let latency = faults.jittered_latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let admitted = lock(&inner.limiter).try_acquire(faults.max_rps);
    let failure = if admitted {
        faults.roll_failure()
    } else {
        Some(429)
    };
    if let Some(status) = failure {
        record(inner, Some(&op.id), &status.to_string());
        return fault_response(status, &faults, request_id);
    }
    let drop_connection = faults.roll_drop();

    let reply = process(inner, op, &parts, body, &path_params).await;
    let outcome = reply.body["statusCode"]
        .as_u64()
        .map(|s| s.to_string())
        .unwrap_or_else(|| reply.http.to_string());
    if drop_connection {
        // The state change above has happened; only the answer is lost, as when a connection
        // breaks on the way back. Clients must make retries of such requests idempotent.
        record(inner, Some(&op.id), "dropped");
        return dropped_response(&reply, request_id);
    }
    record(inner, Some(&op.id), &outcome);
    respond(&reply, request_id)
}

fn record(inner: &Inner, operation_id: Option<&str>, outcome: &str) {
    inner.lock_store().stats.record(operation_id, outcome);
}

/// Reads the body, authenticates, validates, and runs the operation's handler.
async fn process(
    inner: &Inner,
    op: &spec::Operation,
    parts: &http::request::Parts,
    body: Body,
    path_params: &[(String, String)],
) -> Reply {
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let bytes = match read_body(body, &parts.headers, inner.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(reply) => return reply,
    };
    let (json, text) = if op.method == Method::GET {
        (Value::Null, None)
    } else {
        match parse_json_body(&parts.headers, &bytes) {
            Ok(parsed) => parsed,
            Err(reply) => return reply,
        }
    };

    if op.id != handlers::GET_MANAGEMENT_TOKEN {
        if let Err(e) = authenticate(inner, parts, &query, text) {
            let mut reply = Reply::with_http(e.status, e.status, e.api_code, e.message);
            reply.http = e.status;
            return reply;
        }
    }

    if let Err(message) = inner.spec.validate_params(op, &query, path_params) {
        return Reply::error(400, None, message);
    }
    if let Some(schema) = &op.body_schema {
        if let Err(message) = inner.spec.validate_body(schema, &json) {
            return Reply::error(400, None, message);
        }
    }
    handlers::handle(
        inner,
        &handlers::Call {
            operation_id: &op.id,
            query: &query,
            body: &json,
        },
    )
}

/// Reads at most `limit` bytes. A larger body is still drained (up to a bound) so that the
/// client, which is still sending, gets to read the 413 instead of a reset connection.
async fn read_body(body: Body, headers: &http::HeaderMap, limit: usize) -> Result<Bytes, Reply> {
    let too_large = || {
        Reply::with_http(
            413,
            413,
            None,
            format!("request body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let drain_limit = limit.saturating_mul(8);
    let mut stream = body.into_data_stream();
    let mut buffer: Vec<u8> = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return Err(Reply::error(400, None, "request body could not be read"));
        };
        seen = seen.saturating_add(chunk.len());
        if seen <= limit && declared.is_none_or(|d| d <= limit as u64) {
            buffer.extend_from_slice(&chunk);
        } else if seen > drain_limit {
            break;
        }
    }
    if seen > limit || declared.is_some_and(|d| d > limit as u64) {
        return Err(too_large());
    }
    Ok(Bytes::from(buffer))
}

/// Parses a JSON request body; an empty body counts as `{}` (what Authing's framework sees).
/// Also returns the text, which the HMAC verifier needs verbatim.
fn parse_json_body<'a>(
    headers: &http::HeaderMap,
    bytes: &'a [u8],
) -> Result<(Value, Option<&'a str>), Reply> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok((json!({}), None));
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(Reply::error(
            400,
            None,
            format!(
                "content-type must be application/json, got {:?}",
                if essence.is_empty() { "none" } else { essence }
            ),
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Reply::error(400, None, format!("request body is not valid UTF-8: {e}")))?;
    // serde_json's recursion limit (128) turns deep nesting into an error, not a stack overflow.
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Reply::error(400, None, format!("malformed JSON body: {e}")))?;
    Ok((value, Some(text)))
}

/// Enforces a management token (with `x-authing-userpool-id`) or an HMAC signature.
fn authenticate(
    inner: &Inner,
    parts: &http::request::Parts,
    query: &[(String, String)],
    body_text: Option<&str>,
) -> Result<(), AuthError> {
    let unauthorized = |message: String| AuthError {
        status: 401,
        api_code: None,
        message,
    };
    let pool = parts
        .headers
        .get(POOL_HEADER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string());
    let check_pool = |expected: &str| match &pool {
        Some(p) if p != expected => Err(AuthError {
            status: 403,
            api_code: None,
            message: format!(
                "{POOL_HEADER} header {p:?} does not match the user pool of the credentials"
            ),
        }),
        _ => Ok(()),
    };
    let authorization = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    if authorization.is_empty() {
        return Err(unauthorized(
            "missing authorization header: send a management token or an HMAC signature"
                .to_string(),
        ));
    }
    if let Some(credentials) = strip_prefix_ignore_case(authorization, "authing ") {
        let params = auth::signature_params(&parts.method, query, body_text);
        let verified = auth::verify_signature(
            &auth::SignatureContext {
                access_key_id: &inner.access_key_id,
                access_key_secret: &inner.access_key_secret,
                max_skew: inner.signature_skew,
            },
            credentials,
            &parts.method,
            parts.uri.path(),
            &parts.headers,
            &params,
        )?;
        check_pool(&inner.userpool_id)?;
        let keep_until = Instant::now() + inner.signature_skew * 2;
        if !inner.lock_store().use_nonce(&verified.nonce, keep_until) {
            return Err(auth::replay_error());
        }
        return Ok(());
    }
    // Java and Authing's curl examples send the bare token, the others `Bearer <token>`.
    let token = strip_prefix_ignore_case(authorization, "bearer ")
        .unwrap_or(authorization)
        .trim();
    let claims = auth::verify_token(&inner.jwt_key, token)?;
    if pool.is_none() {
        return Err(unauthorized(format!(
            "missing {POOL_HEADER} header (required with a management token)"
        )));
    }
    check_pool(&claims.scoped_userpool_id)
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Serialises a reply; every envelope gets the request id.
pub(crate) fn respond(reply: &Reply, request_id: &str) -> Response {
    let mut body = reply.body.clone();
    if let Some(object) = body.as_object_mut() {
        object
            .entry("requestId")
            .or_insert_with(|| json!(request_id));
    }
    let mut response = json_response(reply.http, &body);
    if reply.synthesized {
        response
            .headers_mut()
            .insert(EMULATOR_HEADER, HeaderValue::from_static("synthesized"));
    }
    response
}

pub(crate) fn json_response(http: u16, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::from_u16(http).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

fn fault_response(status: u16, faults: &Faults, request_id: &str) -> Response {
    let message = match status {
        429 => THROTTLE_MESSAGE,
        500 => "injected fault: internal server error",
        502 => "injected fault: bad gateway",
        _ => "injected fault: service unavailable",
    };
    let mut response = respond(&Reply::with_http(status, status, None, message), request_id);
    if status == 429 {
        if let Some(secs) = faults.retry_after_secs {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
        }
    }
    response
}

/// Offers the status line and half of the body, then fails the body stream, which makes hyper
/// abort the connection. Depending on buffering the client gets nothing or a truncated body;
/// either way it sees a transport error, never a complete answer.
fn dropped_response(reply: &Reply, request_id: &str) -> Response {
    let mut body = reply.body.clone();
    body["requestId"] = json!(request_id);
    let text = body.to_string().into_bytes();
    let prefix = Bytes::from(text[..text.len() / 2].to_vec());
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(prefix),
        Err(std::io::Error::other("emulated dropped connection")),
    ];
    let mut response = Response::new(Body::from_stream(futures::stream::iter(chunks)));
    *response.status_mut() = StatusCode::from_u16(reply.http).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_becomes_a_500_envelope() {
        let response = catch_panics(async { panic!("boom") }, "rid-1").await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["statusCode"], 500);
        assert_eq!(body["requestId"], "rid-1");
    }
}
