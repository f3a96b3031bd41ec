//! The attempt loop around every generated call: common headers, send, read the
//! answer whole, decide with the retry classification whether to go again, wait,
//! re-authenticate, and trace each attempt as an `authing.request` span.

use std::time::Instant;

use reqwest::header::HeaderMap;
use tracing::Instrument;

use crate::auth::Auth;
use crate::envelope::RawEnvelope;
use crate::error::{relay, transport_message, ApiError, Error, TransportKind};
use crate::retry::{self, is_idempotent, Attempt, RetryConfig};

/// Headers, retries and tracing; shared by the authenticated client and the
/// token-fetching one.
#[derive(Clone)]
pub(crate) struct Transport {
    pub retry: RetryConfig,
    pub headers: HeaderMap,
}

impl Transport {
    pub fn add_headers(&self, request: &mut reqwest::Request) {
        for (name, value) in &self.headers {
            request.headers_mut().insert(name, value.clone());
        }
    }

    /// Send with retries. `auth` re-authenticates each new attempt (fresh nonce, or a
    /// new token after a 401).
    pub async fn execute(
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
            let credential = auth.and_then(|a| a.credential(&current));
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
                    let kind = TransportKind::of(e);
                    let error = transport_message(e);
                    span.in_scope(|| tracing::debug!(?kind, %error, "request failed"));
                    retry::classify(kind.attempt())
                        .allows(idempotent)
                        .then(|| self.retry.wait_before_next(attempt, &HeaderMap::new()))
                        .flatten()
                }
                Ok(answer) => {
                    answer.record(&span);
                    let refused = answer.is_unauthorized() && !reauthenticated;
                    if refused && refuse(auth, credential.as_deref(), &span).await {
                        reauthenticated = true;
                        attempt -= 1; // the re-authentication does not use up a retry
                        Some(std::time::Duration::ZERO)
                    } else {
                        retry::classify(answer.attempt())
                            .allows(idempotent)
                            .then(|| self.retry.wait_before_next(attempt, &answer.headers))
                            .flatten()
                    }
                }
            };
            let (Some(wait), Some(spare)) = (next, spare) else {
                return outcome.map(Answer::into_response);
            };
            span.in_scope(|| tracing::warn!(wait_ms = wait.as_millis() as u64, "retrying"));
            tokio::time::sleep(wait).await;
            match prepare(spare, auth).await {
                Ok(request) => current = request,
                // The answer in hand is no longer the call's outcome (after a refused
                // token, a 401 would say "the key is wrong" when the token endpoint
                // said "slow down"): the caller gets what stopped the retry.
                Err(e) => return Ok(relay(e)),
            }
        }
    }
}

/// Tell the scheme its credential was refused; true when one more attempt is worth it.
async fn refuse(auth: Option<&Auth>, credential: Option<&str>, span: &tracing::Span) -> bool {
    let Some(auth) = auth else {
        return false;
    };
    let again = auth.refused(credential).await;
    if again {
        span.in_scope(|| tracing::info!("credentials refused; renewing them and retrying once"));
    }
    again
}

/// Re-authenticate a request for a new attempt.
async fn prepare(
    mut request: reqwest::Request,
    auth: Option<&Auth>,
) -> Result<reqwest::Request, Error> {
    if let Some(auth) = auth {
        if let Err(e) = auth.apply(&mut request).await {
            tracing::warn!(error = %e, "could not re-authenticate for a retry");
            return Err(e);
        }
    }
    Ok(request)
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

    fn attempt(&self) -> Attempt {
        Attempt::Answered {
            http: self.status.as_u16(),
            status_code: self.status_code(),
        }
    }

    /// statusCode 401, as an HTTP status or in the body.
    fn is_unauthorized(&self) -> bool {
        self.status.as_u16() == 401 || self.status_code() == Some(401)
    }

    fn record(&self, span: &tracing::Span) {
        span.record("http.status", self.status.as_u16());
        if let Some(code) = self.status_code() {
            span.record("status_code", code);
        }
        if let Some(env) = &self.envelope {
            if let Some(code) = env.api_code() {
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
