//! The four Authing calls the import makes, as the [`Api`] the engine talks to, with
//! errors sorted into what the engine does about them ([`classify`]). [`Service`] is
//! the real one: `authing::ManagementClient` paced by the rate limiter.
//!
//! Retries happen inside the client, by `authing`'s one retry table. Every call made
//! here is idempotent (importing the same secret again leaves the same state; the
//! others read), so the client retries every transient failure: an error classified
//! [`Failure::Unavailable`] has been retried as far as the client's retry policy
//! allows.

use std::sync::Arc;

use authing::types::GetUserUserIdType;
use authing::{ManagementClient, OtpImport, ResultExt, Retry, Secret};
use futures::future::BoxFuture;

use crate::ratelimit::RateLimiter;
use crate::record::{IdKind, Identifier};

/// Why a call failed, by what the engine should do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A user in the request does not exist (statusCode 404 / apiCode 2004): bisect.
    NotFound(String),
    /// Authing rejected the request's content (statusCode 400/413/422): bisect.
    Rejected(String),
    /// Throttled, unavailable or unreachable, and still so once the client's retries
    /// gave up.
    Unavailable(String),
    /// The access key was refused or lacks permission: stop everything.
    Auth(String),
    /// Anything else (unexpected status, undecodable answer).
    Other(String),
}

impl Failure {
    pub fn message(&self) -> &str {
        match self {
            Failure::NotFound(m)
            | Failure::Rejected(m)
            | Failure::Unavailable(m)
            | Failure::Auth(m)
            | Failure::Other(m) => m,
        }
    }

    /// True when the failure is about some record(s) of the batch, not the batch.
    pub fn is_record_specific(&self) -> bool {
        matches!(self, Failure::NotFound(_) | Failure::Rejected(_))
    }
}

/// Sorts an error of one of this module's (idempotent) calls.
pub fn classify(e: &authing::Error) -> Failure {
    let message = e.to_string();
    // Transient first: `authing::Error::Auth` also wraps a token request that failed
    // with 503 or a timeout, and `is_auth()` is true for it, but that is Authing being
    // unavailable, not the key being refused.
    if e.retry() != Retry::Never {
        Failure::Unavailable(message)
    } else if e.is_auth() || e.status_code() == Some(403) || e.http_status() == Some(403) {
        Failure::Auth(message)
    } else if e.api_code() == Some(2004) || e.status_code() == Some(404) {
        Failure::NotFound(message)
    } else if matches!(e.status_code(), Some(400 | 413 | 422)) || e.http_status() == Some(413) {
        // 413 too: a smaller batch may pass, so splitting is the right response.
        Failure::Rejected(message)
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

/// The client and the pacer, shared by all workers.
#[derive(Clone)]
pub struct Service {
    client: ManagementClient,
    limiter: Arc<RateLimiter>,
}

impl Service {
    pub fn new(client: ManagementClient, max_rps: u32) -> Self {
        Self {
            client,
            limiter: Arc::new(RateLimiter::new(max_rps)),
        }
    }
}

impl Api for Service {
    fn check_credentials(&self) -> BoxFuture<'_, Result<(), Failure>> {
        Box::pin(async move {
            self.limiter.acquire().await;
            self.client
                .check_credentials()
                .await
                .map_err(|e| match classify(&e) {
                    Failure::Unavailable(m) => Failure::Unavailable(m),
                    Failure::Other(m) if matches!(e, authing::Error::Config(_)) => {
                        Failure::Other(m)
                    }
                    other => Failure::Auth(other.message().to_string()),
                })
        })
    }

    fn import<'a>(&'a self, items: &'a [OtpImport]) -> BoxFuture<'a, Result<(), Failure>> {
        Box::pin(async move {
            self.limiter.acquire().await;
            tracing::debug!(records = items.len(), "import-otp");
            self.client
                .import_otp(items)
                .await
                .map(drop)
                .map_err(|e| classify(&e))
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
            self.limiter.acquire().await;
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
                Err(e) => match classify(&e) {
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
            self.limiter.acquire().await;
            self.client
                .get_otp_secret(user_id)
                .await
                .map_err(|e| classify(&e))
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

    fn kind(f: Failure) -> &'static str {
        match f {
            Failure::NotFound(_) => "not found",
            Failure::Rejected(_) => "rejected",
            Failure::Unavailable(_) => "unavailable",
            Failure::Auth(_) => "auth",
            Failure::Other(_) => "other",
        }
    }

    #[test]
    fn transient_failures_are_unavailability() {
        for e in [
            api(200, 429, None),
            api(200, 500, None),
            api(200, 503, None),
            Error::Http {
                status: 502,
                api: None,
            },
            Error::Transport {
                kind: TransportKind::Timeout,
                message: "t".into(),
                cause: None,
            },
        ] {
            assert_eq!(kind(classify(&e)), "unavailable", "{e:?}");
        }
    }

    #[test]
    fn a_token_outage_is_not_a_refused_key() {
        let outage = Error::Auth(Box::new(Error::Http {
            status: 503,
            api: None,
        }));
        assert_eq!(kind(classify(&outage)), "unavailable");
        let refused = Error::Auth(Box::new(api(200, 401, Some(2001))));
        assert_eq!(kind(classify(&refused)), "auth");
        assert_eq!(kind(classify(&api(200, 403, None))), "auth");
        assert_eq!(
            kind(classify(&api(200, 400, Some(1302)))),
            "auth",
            "signature apiCode"
        );
    }

    #[test]
    fn record_specific_failures_are_bisected() {
        let not_found = classify(&api(200, 404, Some(2004)));
        assert_eq!(kind(not_found.clone()), "not found");
        assert!(not_found.is_record_specific());
        for e in [
            api(200, 400, None),
            api(200, 422, None),
            Error::Http {
                status: 413,
                api: None,
            },
        ] {
            let f = classify(&e);
            assert_eq!(kind(f.clone()), "rejected", "{e:?}");
            assert!(f.is_record_specific());
        }
        let other = classify(&api(200, 409, None));
        assert_eq!(kind(other.clone()), "other");
        assert!(!other.is_record_specific());
        assert_eq!(other.message(), "Authing answered statusCode 409: m");
    }
}
