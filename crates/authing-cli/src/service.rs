//! The four Authing calls the import makes, as the [`Api`] the engine talks to, with
//! errors sorted into what the engine does about them ([`classify`]). [`Service`] is
//! the real one: `authing::ManagementClient`.
//!
//! Each call here is **one attempt**: the client is built with its retries off
//! ([`Service::client_retry`]) and the engine runs the attempt loop, because only it
//! can release a request's concurrency slot while the retry waits and slow every
//! request down when Authing throttles one (see `crate::pacing`). Which failures are
//! sent again is still decided by `authing`'s one retry table
//! ([`authing::Error::retry`]) for the call's idempotency ([`authing::is_idempotent`]);
//! every call made here is idempotent (importing the same secret again leaves the same
//! state; the others read).

use std::time::Duration;

use authing::types::GetUserUserIdType;
use authing::{ManagementClient, OtpImport, ResultExt, RetryConfig, Secret};
use futures::future::BoxFuture;

use crate::record::{IdKind, Identifier};

/// Why a call failed, by what the engine should do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A user in the request does not exist (statusCode 404 / apiCode 2004): bisect.
    NotFound(String),
    /// Authing rejected the request's content (statusCode 400/413/422): bisect.
    Rejected(String),
    /// This attempt failed in a way the retry table allows to send again.
    Transient(Transient),
    /// Still transient when the engine's attempts ran out (the message says how
    /// many were made).
    Unavailable(String),
    /// The access key was refused or lacks permission: stop everything.
    Auth(String),
    /// Anything else (unexpected status, undecodable answer).
    Other(String),
}

/// A failed attempt that may be sent again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transient {
    pub message: String,
    /// Refused for the rate limit (HTTP or statusCode 429): nothing was applied, and
    /// everyone should slow down.
    pub throttled: bool,
    /// The answer's `Retry-After`.
    pub retry_after: Option<Duration>,
}

impl Failure {
    pub fn message(&self) -> &str {
        match self {
            Failure::NotFound(m)
            | Failure::Rejected(m)
            | Failure::Unavailable(m)
            | Failure::Auth(m)
            | Failure::Other(m) => m,
            Failure::Transient(t) => &t.message,
        }
    }

    /// True when the failure is about some record(s) of the batch, not the batch.
    pub fn is_record_specific(&self) -> bool {
        matches!(self, Failure::NotFound(_) | Failure::Rejected(_))
    }
}

/// The access key was refused (statusCode or HTTP 401, signature apiCodes) or is not
/// allowed to do this (403): nothing sent with it will go through.
pub fn key_refused(e: &authing::Error) -> bool {
    e.is_auth() || e.status_code() == Some(403) || e.http_status() == Some(403)
}

/// Sorts an error of one attempt of a call (`idempotent`: whether the call may be
/// repeated after an attempt that may have been applied).
pub fn classify(e: &authing::Error, idempotent: bool) -> Failure {
    let message = e.to_string();
    // Transient first: `authing::Error::Auth` also wraps a token request that failed
    // with 503 or a timeout, and `is_auth()` is true for it, but that is Authing being
    // unavailable, not the key being refused.
    if e.retry().allows(idempotent) {
        Failure::Transient(Transient {
            message,
            throttled: e.is_throttled(),
            retry_after: e.retry_after(),
        })
    } else if key_refused(e) {
        Failure::Auth(message)
    } else if e.api_code() == Some(2004) || e.status_code() == Some(404) {
        Failure::NotFound(message)
    } else if matches!(e.status_code(), Some(400 | 413 | 422)) || e.http_status() == Some(413) {
        // 413 too: a smaller batch may pass, so splitting is the right response.
        Failure::Rejected(message)
    } else if e.retry() != authing::Retry::Never {
        // Transient, but not safe to repeat for this call: it may have been applied.
        Failure::Unavailable(format!(
            "{message} (1 attempt; not repeated: it may have been applied)"
        ))
    } else {
        Failure::Other(message)
    }
}

/// What the engine needs from Authing. Object-safe, so tests can stand in for it.
pub trait Api: Send + Sync {
    /// Fetches a token now, so a wrong key fails before anything else.
    fn check_credentials(&self) -> BoxFuture<'_, Result<(), Failure>>;
    /// `POST /api/v3/import-otp` with the whole list.
    fn import<'a>(&'a self, items: &'a [OtpImport]) -> BoxFuture<'a, Result<(), Failure>>;
    /// The Authing user id for an identifier; `Ok(None)` when no such user exists.
    fn resolve<'a>(&'a self, id: &'a Identifier) -> BoxFuture<'a, Result<Option<String>, Failure>>;
    /// Reads back a user's TOTP secret (`None`: Authing holds none).
    fn read_secret<'a>(
        &'a self,
        user_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Secret>, Failure>>;
}

/// The client, shared by all workers.
#[derive(Clone)]
pub struct Service {
    client: ManagementClient,
}

/// Whether each call may be repeated after an attempt that may have been applied,
/// by the SDK's rule.
fn idempotent(method: &str, operation: &str) -> bool {
    authing::is_idempotent(method, operation)
}

impl Service {
    /// `client` should be built with [`Service::client_retry`]: the engine runs the
    /// attempt loop.
    pub fn new(client: ManagementClient) -> Self {
        Self { client }
    }

    /// The client's own retry policy for the import: none (one attempt per call; a
    /// refused token is still renewed once).
    pub fn client_retry() -> RetryConfig {
        RetryConfig::disabled()
    }
}

impl Api for Service {
    fn check_credentials(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async move {
            let idempotent = idempotent("POST", "get_management_token");
            self.client
                .check_credentials()
                .await
                .map_err(|e| match classify(&e, idempotent) {
                    f @ (Failure::Transient(_) | Failure::Unavailable(_)) => f,
                    Failure::Other(m) if matches!(e, authing::Error::Config(_)) => {
                        Failure::Other(m)
                    }
                    other => Failure::Auth(other.message().to_string()),
                })
        })
    }

    fn import<'a>(&'a self, items: &'a [OtpImport]) -> BoxFuture<'a, Result<(), Failure>> {
        Box::pin(async move {
            tracing::debug!(records = items.len(), "import-otp");
            self.client
                .import_otp(items)
                .await
                .map(drop)
                .map_err(|e| classify(&e, idempotent("POST", "import_otp")))
        })
    }

    fn resolve<'a>(&'a self, id: &'a Identifier) -> BoxFuture<'a, Result<Option<String>, Failure>> {
        Box::pin(async move {
            let kind = match id.kind {
                IdKind::UserId => return Ok(Some(id.value.clone())),
                IdKind::Email => GetUserUserIdType::Email,
                IdKind::Username => GetUserUserIdType::Username,
                IdKind::Phone => GetUserUserIdType::Phone,
                IdKind::ExternalId => GetUserUserIdType::ExternalId,
            };
            let result = self
                .client
                .api()
                .get_user()
                .user_id(id.value.as_str())
                .user_id_type(kind)
                .send()
                .await
                .checked();
            match result {
                Ok(user) => user.data.user_id.map(Some).ok_or_else(|| {
                    Failure::Other("get_user answered a user without userId".to_string())
                }),
                Err(e) => match classify(&e, idempotent("GET", "get_user")) {
                    Failure::NotFound(_) => Ok(None),
                    other => Err(other),
                },
            }
        })
    }

    fn read_secret<'a>(
        &'a self,
        user_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Secret>, Failure>> {
        Box::pin(async move {
            self.client
                .get_otp_secret(user_id)
                .await
                .map_err(|e| classify(&e, idempotent("GET", "get_otp_secret_by_user")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use authing::{ApiError, Error, TransportKind};

    fn api(http_status: u16, status_code: i64, api_code: Option<i64>) -> Error {
        Error::Api(ApiError {
            status_code,
            api_code,
            message: "m".into(),
            request_id: None,
            http_status,
        })
    }

    fn classify_idempotent(e: &Error) -> Failure {
        classify(e, true)
    }

    fn kind(f: Failure) -> &'static str {
        match f {
            Failure::NotFound(_) => "not found",
            Failure::Transient(_) => "transient",
            Failure::Rejected(_) => "rejected",
            Failure::Unavailable(_) => "unavailable",
            Failure::Auth(_) => "auth",
            Failure::Other(_) => "other",
        }
    }

    #[test]
    fn the_sdk_table_decides_what_is_sent_again() {
        // statusCode 500 in an HTTP 200: sent again only for an idempotent call.
        let business_500 = api(200, 500, None);
        assert_eq!(kind(classify(&business_500, true)), "transient");
        let once = classify(&business_500, false);
        assert_eq!(kind(once.clone()), "unavailable");
        assert!(once.message().contains("1 attempt"), "{once:?}");
        assert!(idempotent("POST", "import_otp"));
        // Throttling is flagged, so the pacer slows everyone down.
        match classify(&api(429, 429, None), true) {
            Failure::Transient(t) => assert!(t.throttled),
            other => panic!("{other:?}"),
        }
        match classify(&api(200, 503, None), true) {
            Failure::Transient(t) => assert!(!t.throttled),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn transient_failures_may_be_sent_again() {
        for e in [
            api(200, 429, None),
            api(200, 500, None),
            api(200, 503, None),
            Error::Http {
                status: 502,
                api: None,
                retry_after: None,
            },
            Error::Transport {
                kind: TransportKind::Timeout,
                message: "t".into(),
                cause: None,
            },
        ] {
            assert_eq!(kind(classify_idempotent(&e)), "transient", "{e:?}");
        }
    }

    #[test]
    fn a_token_outage_is_not_a_refused_key() {
        let outage = Error::Auth(Box::new(Error::Http {
            status: 503,
            api: None,
            retry_after: Some(std::time::Duration::from_secs(2)),
        }));
        assert_eq!(
            classify_idempotent(&outage),
            Failure::Transient(Transient {
                message: outage.to_string(),
                throttled: false,
                retry_after: Some(std::time::Duration::from_secs(2)),
            })
        );
        let refused = Error::Auth(Box::new(api(200, 401, Some(2001))));
        assert_eq!(kind(classify_idempotent(&refused)), "auth");
        assert_eq!(kind(classify_idempotent(&api(200, 403, None))), "auth");
        assert_eq!(
            kind(classify_idempotent(&api(200, 400, Some(1302)))),
            "auth",
            "signature apiCode"
        );
    }

    #[test]
    fn record_specific_failures_are_bisected() {
        let not_found = classify_idempotent(&api(200, 404, Some(2004)));
        assert_eq!(kind(not_found.clone()), "not found");
        assert!(not_found.is_record_specific());
        for e in [
            api(200, 400, None),
            api(200, 422, None),
            Error::Http {
                status: 413,
                api: None,
                retry_after: None,
            },
        ] {
            let f = classify_idempotent(&e);
            assert_eq!(kind(f.clone()), "rejected", "{e:?}");
            assert!(f.is_record_specific());
        }
        let other = classify_idempotent(&api(200, 409, None));
        assert_eq!(kind(other.clone()), "other");
        assert!(!other.is_record_specific());
        assert_eq!(other.message(), "Authing answered statusCode 409: m");
    }
}
