//! How calls are authenticated. Each scheme is a module ([`token`], [`signature`])
//! and a variant of [`AuthMode`]; [`Auth`] is the one place that dispatches on it.
//! Both schemes share the management-token request, which also checks a key.

mod js;
pub mod signature;
mod token;

use std::sync::Arc;
use std::time::Duration;

use authing_management_gen::{self as gen, BoxFuture, Secret};

use crate::checked::ResultExt;
use crate::error::Error;
use crate::retry::Retry;

/// How calls are authenticated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthMode {
    /// Fetch a management token with the access key, cache it, refresh it ahead of
    /// expiry, and send it as `authorization: Bearer` (Authing's documented scheme).
    #[default]
    Token,
    /// Sign every request with HMAC-SHA1, byte-compatible with Authing's Node SDK 4.x.
    /// No token is fetched.
    Signature,
}

impl std::str::FromStr for AuthMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "token" => Ok(AuthMode::Token),
            "signature" => Ok(AuthMode::Signature),
            other => Err(Error::Config(format!(
                "AUTHING_AUTH_MODE must be `token` or `signature`, not `{other}`"
            ))),
        }
    }
}

/// `POST /api/v3/get-management-token` with the access key, through a generated
/// client whose hooks add no authentication.
pub(crate) struct TokenEndpoint {
    pub key_id: String,
    pub secret: Secret,
    pub api: gen::Client,
}

impl TokenEndpoint {
    /// A refusal of the key is [`Error::Auth`]; an outage (5xx, 429, transport) stays
    /// what it is, so callers can tell "the key is wrong" from "Authing is down".
    async fn request(&self) -> Result<gen::types::AccessTokenResDto, Error> {
        let body = gen::types::GetManagementAccessTokenDto {
            access_key_id: self.key_id.clone(),
            access_key_secret: self.secret.clone(),
        };
        let resp = self
            .api
            .get_management_token()
            .body(body)
            .send()
            .await
            .checked();
        Ok(resp.map_err(refusal_is_auth)?.data)
    }
}

fn refusal_is_auth(e: Error) -> Error {
    let refused = matches!(e, Error::Api(_) | Error::Http { .. })
        && e.retry() == Retry::Never
        && e.status_code().is_none_or(|c| c < 500);
    if refused {
        Error::Auth(Box::new(e))
    } else {
        e
    }
}

impl token::Source for TokenEndpoint {
    fn fetch(&self) -> BoxFuture<'_, Result<token::Issued, Error>> {
        Box::pin(async move {
            let data = self.request().await?;
            let value = data.access_token.ok_or_else(|| {
                Error::bad_credential("get_management_token: data.access_token is missing")
            })?;
            // Authing documents 7200 s; a missing lifetime is taken as that.
            let expires_in = data.expires_in.unwrap_or(7200);
            Ok(token::Issued {
                value,
                expires_in: Duration::from_secs(expires_in.max(1) as u64),
            })
        })
    }
}

enum Scheme {
    Token(token::TokenCache),
    Signature,
}

/// The authentication of one client (shared by its clones).
pub(crate) struct Auth {
    mode: AuthMode,
    endpoint: Arc<TokenEndpoint>,
    scheme: Scheme,
}

impl Auth {
    pub fn new(mode: AuthMode, endpoint: TokenEndpoint, refresh_margin: Duration) -> Self {
        let endpoint = Arc::new(endpoint);
        let scheme = match mode {
            AuthMode::Token => {
                Scheme::Token(token::TokenCache::new(endpoint.clone(), refresh_margin))
            }
            AuthMode::Signature => Scheme::Signature,
        };
        Self {
            mode,
            endpoint,
            scheme,
        }
    }

    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    pub fn key_id(&self) -> &str {
        &self.endpoint.key_id
    }

    /// Authenticate `request` for one attempt.
    pub async fn apply(&self, request: &mut reqwest::Request) -> Result<(), Error> {
        match &self.scheme {
            Scheme::Token(cache) => cache.get().await?.apply(request),
            Scheme::Signature => {
                signature::sign_request(
                    request,
                    &self.endpoint.key_id,
                    self.endpoint.secret.expose_secret(),
                );
                Ok(())
            }
        }
    }

    /// What a request carries that a 401 would be refusing, read before it is sent.
    pub fn credential(&self, request: &reqwest::Request) -> Option<String> {
        match self.scheme {
            Scheme::Token(_) => token::bearer_of(request),
            Scheme::Signature => None,
        }
    }

    /// An answer refused `credential` (statusCode 401): forget it. True when one new
    /// attempt with fresh credentials may succeed (a token revoked before its time);
    /// a signature made with the key would be refused again.
    pub async fn refused(&self, credential: Option<&str>) -> bool {
        match (&self.scheme, credential) {
            (Scheme::Token(cache), Some(token)) => {
                cache.invalidate(token).await;
                true
            }
            _ => false,
        }
    }

    /// Check the access key now with a token request (both schemes; a token fetched
    /// here is cached in token mode).
    pub async fn check(&self) -> Result<(), Error> {
        match &self.scheme {
            Scheme::Token(cache) => cache.get().await.map(drop),
            Scheme::Signature => self.endpoint.request().await.map(drop),
        }
    }
}
