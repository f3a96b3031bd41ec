//! One error type for every call. It never carries a secret: response bodies are
//! kept (for [`Error::raw_body`]) but never printed, and decode errors keep only the
//! position, since serde's messages may quote a value from the body.

use authing_management_gen::{progenitor_client, Envelope, ResponseValue};
use serde::{Deserialize, Serialize};

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
    /// The call (or connecting) took longer than the configured timeout.
    Timeout,
    /// No connection could be made (refused, DNS, TLS handshake).
    Connect,
    /// The connection broke while sending or receiving.
    Other,
}

/// Every error the client returns.
#[derive(thiserror::Error)]
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
        /// reqwest's description (no body, no header values).
        message: String,
    },
    /// An HTTP status the API does not document (after retries, where retried).
    #[error("unexpected HTTP status {status}{}", api.as_ref().map(|a| format!(": {a}")).unwrap_or_default())]
    Http {
        /// The HTTP status.
        status: u16,
        /// Authing's envelope, when the body carried one.
        api: Option<ApiError>,
    },
    /// Authing answered with a business error (`statusCode != 200`).
    #[error("{0}")]
    Api(ApiError),
    /// The access key was refused, or no management token could be had.
    #[error("authentication failed: {0}")]
    Auth(Box<Error>),
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

    /// True when trying the same call later may succeed (the client has already
    /// retried it as configured): rate limits, unavailability, transport failures.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } => true,
            Error::Http { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            Error::Api(a) => matches!(a.status_code, 429 | 500..=503),
            Error::Auth(inner) => inner.is_retryable(),
            _ => false,
        }
    }

    /// The response body of a [`Error::Decode`], for diagnosis. It may hold secrets:
    /// do not log it.
    pub fn raw_body(&self) -> Option<&[u8]> {
        match self {
            Error::Decode { body, .. } => body.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn transport(e: &reqwest::Error) -> Self {
        let kind = if e.is_timeout() {
            TransportKind::Timeout
        } else if e.is_connect() {
            TransportKind::Connect
        } else {
            TransportKind::Other
        };
        // Without the URL: it is ours, but query strings are the caller's data.
        let mut message = e.to_string();
        if let Some(url) = e.url() {
            message = message.replace(url.as_str(), url.path());
        }
        if let Some(source) = std::error::Error::source(e) {
            message = format!("{message}: {source}");
        }
        Error::Transport { kind, message }
    }

    pub(crate) fn decode(e: &serde_json::Error, body: Option<bytes::Bytes>) -> Self {
        Error::Decode {
            what: format!(
                "{:?} error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            ),
            body,
        }
    }
}

/// The minimal envelope every Authing answer has, read leniently.
#[derive(Deserialize)]
pub(crate) struct RawEnvelope {
    #[serde(rename = "statusCode")]
    pub status_code: Option<serde_json::Number>,
    #[serde(rename = "apiCode")]
    pub api_code: Option<serde_json::Number>,
    pub message: Option<serde_json::Value>,
    #[serde(rename = "requestId")]
    pub request_id: Option<String>,
}

impl RawEnvelope {
    pub(crate) fn parse(body: &[u8]) -> Option<Self> {
        serde_json::from_slice(body).ok()
    }

    pub(crate) fn status(&self) -> Option<i64> {
        self.status_code.as_ref().and_then(number)
    }

    pub(crate) fn into_api_error(self, http_status: u16) -> Option<ApiError> {
        Some(ApiError {
            status_code: self.status()?,
            api_code: self.api_code.as_ref().and_then(number),
            message: match self.message {
                Some(serde_json::Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => String::new(),
            },
            request_id: self.request_id,
            http_status,
        })
    }
}

fn number(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))
}

/// Turn the result of any generated call into `Result<T, Error>`, treating
/// `statusCode != 200` as [`Error::Api`].
///
/// ```no_run
/// # async fn f(client: authing::ManagementClient) -> Result<(), authing::Error> {
/// use authing::ResultExt;
/// let user = client.api().get_user().user_id("6352...").send().await.checked()?;
/// println!("{:?}", user.data.email);
/// # Ok(()) }
/// ```
pub trait ResultExt<T> {
    /// Check the HTTP outcome and Authing's `statusCode`.
    fn checked(self) -> Result<T, Error>;
}

impl<T: Envelope> ResultExt<T> for Result<ResponseValue<T>, progenitor_client::Error<()>> {
    fn checked(self) -> Result<T, Error> {
        match self {
            Ok(value) => {
                let http_status = value.status().as_u16();
                let body = value.into_inner();
                if body.status_code() == 200 {
                    Ok(body)
                } else {
                    Err(Error::Api(ApiError {
                        status_code: body.status_code(),
                        api_code: body.api_code(),
                        message: body.message().to_string(),
                        request_id: body.request_id().map(str::to_string),
                        http_status,
                    }))
                }
            }
            Err(e) => Err(Error::from(e)),
        }
    }
}

impl From<progenitor_client::Error<()>> for Error {
    fn from(e: progenitor_client::Error<()>) -> Self {
        use progenitor_client::Error as P;
        match e {
            P::InvalidRequest(s) => Error::InvalidRequest(s),
            P::CommunicationError(e) | P::InvalidUpgrade(e) | P::ResponseBodyError(e) => {
                Error::transport(&e)
            }
            P::ErrorResponse(rv) => Error::Http {
                status: rv.status().as_u16(),
                api: None,
            },
            P::InvalidResponsePayload(body, err) => {
                // Error envelopes lack the `data` a success has: report them as what
                // they are rather than as a decoding failure.
                match RawEnvelope::parse(&body).and_then(|env| env.into_api_error(200)) {
                    Some(api) if api.status_code != 200 => Error::Api(api),
                    _ => Error::decode(&err, Some(body)),
                }
            }
            P::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                let api = response.extensions().get::<ApiError>().cloned();
                Error::Http { status, api }
            }
            P::Custom(s) => crate::hooks::decode_hook_error(&s),
        }
    }
}
