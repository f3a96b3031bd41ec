//! The three Authing calls the import makes, paced by the rate limiter, with errors
//! sorted into what the engine does about them.
//!
//! Retries (429, 502-504, timeouts, connection errors) already happen inside
//! `authing::ManagementClient`; an error that reaches this module has survived them.

use std::sync::Arc;

use authing::types::GetUserUserIdType;
use authing::{ManagementClient, OtpImport, ResultExt, Secret};

use crate::ratelimit::RateLimiter;
use crate::record::{IdKind, Identifier};

/// Why a call failed, by what the engine should do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A user in the request does not exist (statusCode 404 / apiCode 2004): bisect.
    NotFound(String),
    /// Authing rejected the request's content (statusCode 400/413/422): bisect.
    Rejected(String),
    /// Still rate-limited, unavailable or unreachable after the client's retries.
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

pub fn classify(e: &authing::Error) -> Failure {
    let message = e.to_string();
    // Retryable first: `authing::Error::Auth` also wraps a token request that failed
    // with 503 or a timeout, and `is_auth()` is true for it, but that is Authing being
    // unavailable, not the key being refused.
    if e.is_retryable() {
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

    pub fn client(&self) -> &ManagementClient {
        &self.client
    }

    /// Fetches a token now, so a wrong key fails before anything else.
    pub async fn check_credentials(&self) -> Result<(), Failure> {
        self.limiter.acquire().await;
        self.client
            .check_credentials()
            .await
            .map_err(|e| match classify(&e) {
                Failure::Unavailable(m) => Failure::Unavailable(m),
                Failure::Other(m) if matches!(e, authing::Error::Config(_)) => Failure::Other(m),
                other => Failure::Auth(other.message().to_string()),
            })
    }

    /// `POST /api/v3/import-otp` with the whole list.
    pub async fn import(&self, items: &[OtpImport]) -> Result<(), Failure> {
        self.limiter.acquire().await;
        tracing::debug!(records = items.len(), "import-otp");
        self.client
            .import_otp(items)
            .await
            .map(drop)
            .map_err(|e| classify(&e))
    }

    /// The Authing user id for an identifier; `Ok(None)` when no such user exists.
    pub async fn resolve(&self, id: &Identifier) -> Result<Option<String>, Failure> {
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
    }

    /// Reads back a user's TOTP secret (`None`: Authing holds none).
    pub async fn read_secret(&self, user_id: &str) -> Result<Option<Secret>, Failure> {
        self.limiter.acquire().await;
        self.client
            .get_otp_secret(user_id)
            .await
            .map_err(|e| classify(&e))
    }
}
