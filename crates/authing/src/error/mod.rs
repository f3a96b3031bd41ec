//! One error type for every call. It never carries a secret: response bodies are
//! kept (for [`Error::raw_body`]) but never printed, and decode errors keep only the
//! position, since serde's messages may quote a value from the body.
//!
//! `Display` is complete on its own (it includes the cause's text, which is what a
//! person reading one line needs); [`std::error::Error::source`] also hands out the
//! cause as a value: the inner error of [`Error::Auth`], reqwest's error (without
//! the URL) of a [`Error::Transport`].

mod hook;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::retry::{self, Attempt, Retry};

pub(crate) use hook::{decode_hook_error, encode_hook_error, relay, unexpected_response};

/// Authing's business error: HTTP 2xx (or an error status) whose body says
/// `statusCode != 200`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Authing's `statusCode` (400 bad argument, 401 not authenticated, 403, 404, 429...).
    pub status_code: i64,
    /// Authing's finer `apiCode` (2004 user not found, 1300-1306 signature errors...).
    pub api_code: Option<i64>,
    /// Authing's `message`.
    pub message: String,
    /// Authing's `requestId`, to quote to their support.
    pub request_id: Option<String>,
    /// The HTTP status the envelope came with.
    pub http_status: u16,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Authing answered statusCode {}", self.status_code)?;
        if let Some(code) = self.api_code {
            write!(f, " (apiCode {code})")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " [requestId {id}]")?;
        }
        Ok(())
    }
}

/// What went wrong in the transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The call took longer than the configured timeout once sent.
    Timeout,
    /// No connection could be made (refused, DNS, TLS handshake, connect timeout):
    /// nothing was sent.
    Connect,
    /// The connection broke while sending or receiving.
    Other,
}

impl TransportKind {
    pub(crate) fn of(e: &reqwest::Error) -> Self {
        // Connect first: a connect timeout never reached the server.
        if e.is_connect() {
            TransportKind::Connect
        } else if e.is_timeout() {
            TransportKind::Timeout
        } else {
            TransportKind::Other
        }
    }

    pub(crate) fn attempt(self) -> Attempt {
        match self {
            TransportKind::Connect => Attempt::NotConnected,
            TransportKind::Timeout | TransportKind::Other => Attempt::Interrupted,
        }
    }
}

/// reqwest's description and its cause, with the URL cut down to its path: the URL is
/// ours, but query strings are the caller's data.
pub(crate) fn transport_message(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    if let Some(url) = e.url() {
        message = message.replace(url.as_str(), url.path());
    }
    if let Some(source) = std::error::Error::source(e) {
        message = format!("{message}: {source}");
    }
    message
}

/// Every error the client returns.
#[derive(Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client's configuration is missing or malformed (names the setting).
    #[error("configuration: {0}")]
    Config(String),
    /// The request could not be built (names what is wrong).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The request did not complete: timeout, connection refused or reset.
    #[error("transport ({kind:?}): {message}")]
    Transport {
        /// Timeout, connect or other.
        kind: TransportKind,
        /// reqwest's description (no body, no header values, the URL without its query).
        message: String,
        /// reqwest's error, without the URL; absent when the error crossed the hook
        /// channel as text.
        #[source]
        cause: Option<Arc<reqwest::Error>>,
    },
    /// An HTTP status the API does not document.
    #[error("unexpected HTTP status {status}{}", api.as_ref().map(|a| format!(": {a}")).unwrap_or_default())]
    Http {
        /// The HTTP status.
        status: u16,
        /// Authing's envelope, when the body carried one.
        api: Option<ApiError>,
        /// The answer's `Retry-After` (seconds or an HTTP date), when it had one.
        retry_after: Option<std::time::Duration>,
    },
    /// Authing answered with a business error (`statusCode != 200`).
    #[error("{0}")]
    Api(ApiError),
    /// The access key was refused, or no management token could be had.
    #[error("authentication failed: {0}")]
    Auth(#[source] Box<Error>),
    /// A response that does not match the API document.
    #[error("could not decode the response ({what})")]
    Decode {
        /// Where decoding stopped; never the offending value.
        what: String,
        /// The body, kept for diagnosis; never printed.
        body: Option<bytes::Bytes>,
    },
}

impl std::fmt::Debug for Error {
    // Display already holds only safe parts; Debug must not add the raw body.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Decode { what, body } => f
                .debug_struct("Decode")
                .field("what", what)
                .field("body_len", &body.as_ref().map(|b| b.len()))
                .finish(),
            other => write!(f, "{}({other})", other.variant()),
        }
    }
}

impl Error {
    fn variant(&self) -> &'static str {
        match self {
            Error::Config(_) => "Config",
            Error::InvalidRequest(_) => "InvalidRequest",
            Error::Transport { .. } => "Transport",
            Error::Http { .. } => "Http",
            Error::Api(_) => "Api",
            Error::Auth(_) => "Auth",
            Error::Decode { .. } => "Decode",
        }
    }

    /// Authing's envelope, if this error carries one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(a) => Some(a),
            Error::Http { api, .. } => api.as_ref(),
            Error::Auth(inner) => inner.api_error(),
            _ => None,
        }
    }

    /// Authing's `statusCode`, when it answered one.
    pub fn status_code(&self) -> Option<i64> {
        self.api_error().map(|a| a.status_code)
    }

    /// Authing's `apiCode`, when it answered one.
    pub fn api_code(&self) -> Option<i64> {
        self.api_error().and_then(|a| a.api_code)
    }

    /// Authing's `message`, when it answered one.
    pub fn message(&self) -> Option<&str> {
        self.api_error().map(|a| a.message.as_str())
    }

    /// Authing's `requestId`, when it answered one.
    pub fn request_id(&self) -> Option<&str> {
        self.api_error().and_then(|a| a.request_id.as_deref())
    }

    /// The HTTP status, when a response was received.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Http { status, .. } => Some(*status),
            other => other.api_error().map(|a| a.http_status),
        }
    }

    /// True for authentication failures: a refused access key or token
    /// (statusCode 401, signature apiCodes 1300-1306).
    pub fn is_auth(&self) -> bool {
        matches!(self, Error::Auth(_))
            || self.status_code() == Some(401)
            || self.http_status() == Some(401)
            || self.api_code().is_some_and(|c| (1300..=1306).contains(&c))
    }

    /// When the call that failed this way may be sent again: the classification the
    /// client's own retries follow (the table in the crate's README and in the
    /// `retry` module). [`Retry::IfIdempotent`] failures were retried by the client
    /// only for idempotent calls ([`crate::is_idempotent`]).
    pub fn retry(&self) -> Retry {
        let attempt = match self {
            Error::Transport { kind, .. } => kind.attempt(),
            Error::Http { status, api, .. } => Attempt::Answered {
                http: *status,
                status_code: api.as_ref().map(|a| a.status_code),
            },
            Error::Api(a) => Attempt::Answered {
                http: a.http_status,
                status_code: Some(a.status_code),
            },
            Error::Auth(inner) => return inner.retry(),
            _ => return Retry::Never,
        };
        retry::classify(attempt)
    }

    /// How long the server asked to wait before the call is sent again (`Retry-After`).
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Error::Http { retry_after, .. } => *retry_after,
            Error::Auth(inner) => inner.retry_after(),
            _ => None,
        }
    }

    /// True when Authing refused the call for its rate limit: HTTP 429 or statusCode
    /// 429. Nothing was applied; a client sharing the limit should slow down.
    pub fn is_throttled(&self) -> bool {
        match self {
            Error::Auth(inner) => inner.is_throttled(),
            other => other.http_status() == Some(429) || other.status_code() == Some(429),
        }
    }

    /// True when sending the same call again later is safe whatever the operation and
    /// may succeed: nothing was applied (no connection, throttled, 503). The client has
    /// already retried it as far as its [`crate::RetryConfig`] allows. A failure that
    /// may have been applied (a timeout, a 502, a statusCode 500) is not retryable in
    /// this sense; [`Error::retry`] tells whether it is for an idempotent call.
    pub fn is_retryable(&self) -> bool {
        self.retry() == Retry::Always
    }

    /// The response body of a [`Error::Decode`], for diagnosis. It may hold secrets:
    /// do not log it.
    pub fn raw_body(&self) -> Option<&[u8]> {
        match self {
            Error::Decode { body, .. } => body.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn transport(e: reqwest::Error) -> Self {
        Error::Transport {
            kind: TransportKind::of(&e),
            message: transport_message(&e),
            cause: Some(Arc::new(e.without_url())),
        }
    }

    /// The one place a decoding failure becomes an error. The generated decoder's
    /// errors name the operation and JSON path and never quote a value
    /// (`authing_management_gen::decode_response`), so their text is kept; any other
    /// serde error keeps only its position, since serde's messages quote values.
    pub(crate) fn decode(e: &serde_json::Error, body: Option<bytes::Bytes>) -> Self {
        let what = if e.line() == 0 {
            e.to_string()
        } else {
            format!(
                "{:?} error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            )
        };
        Error::Decode { what, body }
    }

    /// An error about the token or pool id this client was given to send.
    pub(crate) fn bad_credential(what: &str) -> Self {
        Error::Auth(Box::new(Error::Decode {
            what: what.to_string(),
            body: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_errors_chain_to_their_cause() {
        use std::error::Error as _;
        let inner = Error::Api(ApiError {
            status_code: 401,
            api_code: Some(2001),
            message: "bad key".into(),
            request_id: None,
            http_status: 200,
        });
        let e = Error::Auth(Box::new(inner));
        let source = e.source().expect("a source");
        assert_eq!(
            source.to_string(),
            "Authing answered statusCode 401 (apiCode 2001): bad key"
        );
        assert!(Error::Config("x".into()).source().is_none());
    }

    #[test]
    fn throttling_and_retry_after_are_read_through_an_auth_error() {
        let wait = std::time::Duration::from_secs(3);
        let throttled = Error::Http {
            status: 429,
            api: None,
            retry_after: Some(wait),
        };
        assert!(throttled.is_throttled());
        assert_eq!(throttled.retry_after(), Some(wait));
        // A token request that was throttled: still throttling, still the same wait.
        let wrapped = Error::Auth(Box::new(throttled));
        assert!(wrapped.is_throttled());
        assert_eq!(wrapped.retry_after(), Some(wait));
        let back = decode_hook_error(&encode_hook_error(&wrapped));
        assert_eq!(back.retry_after(), Some(wait), "survives the hook channel");
        let body_429 = Error::Api(ApiError {
            status_code: 429,
            api_code: None,
            message: String::new(),
            request_id: None,
            http_status: 200,
        });
        assert!(body_429.is_throttled());
        assert_eq!(body_429.retry_after(), None);
    }

    #[test]
    fn retryable_means_safe_for_any_call() {
        let api = |http_status, status_code| {
            Error::Api(ApiError {
                status_code,
                api_code: None,
                message: String::new(),
                request_id: None,
                http_status,
            })
        };
        // A statusCode 500 in an HTTP 200 may have been applied.
        assert_eq!(api(200, 500).retry(), Retry::IfIdempotent);
        assert!(!api(200, 500).is_retryable());
        assert!(api(200, 429).is_retryable());
        assert!(!api(200, 404).retry().allows(true));
        let transport = |kind| Error::Transport {
            kind,
            message: String::new(),
            cause: None,
        };
        assert!(transport(TransportKind::Connect).is_retryable());
        assert_eq!(
            transport(TransportKind::Timeout).retry(),
            Retry::IfIdempotent
        );
        let http = |status| Error::Http {
            status,
            api: None,
            retry_after: None,
        };
        assert!(http(503).is_retryable());
        assert_eq!(http(502).retry(), Retry::IfIdempotent);
        assert_eq!(http(400).retry(), Retry::Never);
    }
}
