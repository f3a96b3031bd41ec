//! Building a client: [`ManagementClientBuilder`] and [`ManagementClient::from_env`].

use crate::{Error, ManagementClient};
use authing_management_gen::Secret;
use std::time::Duration;

/// Authing's public cloud.
pub const DEFAULT_HOST: &str = "https://api.authing.cn";

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

/// Retry policy for rate limits (429), unavailability (502/503/504), connection
/// failures and timeouts: bounded attempts, exponential backoff with full jitter,
/// and a server's `Retry-After` honoured up to a cap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    pub(crate) max_attempts: u32,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_retry_after: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self::standard()
    }
}

impl RetryConfig {
    /// 3 attempts, backoff from 200 ms up to 5 s, `Retry-After` honoured up to 30 s.
    pub fn standard() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }

    /// One attempt, no retry.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::standard()
        }
    }

    /// Total attempts per call, the first included (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff ceiling before the first retry; doubled for each further one.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The largest backoff ceiling.
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest `Retry-After` honoured; a longer one ends the retries.
    pub fn with_max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }
}

/// Builder for [`ManagementClient`]; see [`ManagementClient::builder`].
#[derive(Clone)]
pub struct ManagementClientBuilder {
    pub(crate) access_key_id: Option<String>,
    pub(crate) access_key_secret: Option<Secret>,
    pub(crate) host: String,
    pub(crate) auth_mode: AuthMode,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) lang: Option<String>,
    pub(crate) tenant_id: Option<String>,
    pub(crate) user_agent: String,
    pub(crate) retry: RetryConfig,
    pub(crate) refresh_margin: Duration,
    pub(crate) extra_roots: Vec<Vec<u8>>,
}

impl std::fmt::Debug for ManagementClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagementClientBuilder")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &self.access_key_secret)
            .field("host", &self.host)
            .field("auth_mode", &self.auth_mode)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Default for ManagementClientBuilder {
    fn default() -> Self {
        Self {
            access_key_id: None,
            access_key_secret: None,
            host: DEFAULT_HOST.to_string(),
            auth_mode: AuthMode::Token,
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            lang: None,
            tenant_id: None,
            user_agent: format!("authing-rs/{}", env!("CARGO_PKG_VERSION")),
            retry: RetryConfig::standard(),
            refresh_margin: Duration::from_secs(300),
            extra_roots: Vec::new(),
        }
    }
}

impl ManagementClientBuilder {
    /// The user pool's access key id (console: Settings → Basic → Key).
    pub fn access_key_id(mut self, id: impl Into<String>) -> Self {
        self.access_key_id = Some(id.into());
        self
    }

    /// The access key secret. Kept as a [`Secret`]: never printed.
    pub fn access_key_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.access_key_secret = Some(secret.into());
        self
    }

    /// API host; default `https://api.authing.cn`. Private deployments set theirs.
    /// `http://` is accepted for loopback hosts only (the local emulator).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// Token (default) or request signing.
    pub fn auth_mode(mut self, mode: AuthMode) -> Self {
        self.auth_mode = mode;
        self
    }

    /// Total time for one attempt of a call, connecting included; default 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time to establish a connection; default 5 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Language of Authing's messages: `zh-CN` or `en-US` (`x-authing-lang`).
    pub fn lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = Some(lang.into());
        self
    }

    /// Tenant id sent as `x-authing-app-tenant-id`.
    pub fn tenant_id(mut self, tenant: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant.into());
        self
    }

    /// The `user-agent` header; default `authing-rs/<version>`.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// Retry policy; default [`RetryConfig::standard`].
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// How long before expiry a cached token is replaced (default 5 min, at most a
    /// quarter of the token's lifetime; jittered by up to half of it).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Trust an extra certificate authority (PEM, one or more certificates) on top of
    /// the system's, for a private deployment. Verification stays on.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(pem.into());
        self
    }

    /// Check the settings and build the client. No network call is made.
    pub fn build(self) -> Result<ManagementClient, Error> {
        ManagementClient::from_builder(self)
    }

    pub(crate) fn checked_host(&self) -> Result<url::Url, Error> {
        let url = url::Url::parse(&self.host)
            .map_err(|e| Error::Config(format!("host `{}` is not a URL: {e}", self.host)))?;
        let loopback = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(Error::Config(format!(
                    "host `{}` uses plain http: the access key and tokens would travel in clear; \
                     use https (http is accepted for loopback hosts only)",
                    self.host
                )))
            }
            other => {
                return Err(Error::Config(format!(
                    "host `{}` has scheme `{other}`; expected https",
                    self.host
                )))
            }
        }
        if url.host().is_none() {
            return Err(Error::Config(format!(
                "host `{}` has no host name",
                self.host
            )));
        }
        Ok(url)
    }
}

/// Read one variable: `Ok(None)` when unset, an error naming it when empty or not UTF-8.
fn var(name: &str) -> Result<Option<String>, Error> {
    match std::env::var(name) {
        Ok(v) if v.trim().is_empty() => Err(Error::Config(format!("{name} is set but empty"))),
        Ok(v) => Ok(Some(v.trim().to_string())),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Error::Config(format!("{name} is not valid UTF-8")))
        }
    }
}

impl ManagementClient {
    /// A builder with Authing's defaults.
    pub fn builder() -> ManagementClientBuilder {
        ManagementClientBuilder::default()
    }

    /// Build a client from `AUTHING_ACCESS_KEY_ID`, `AUTHING_ACCESS_KEY_SECRET`
    /// (both required), `AUTHING_HOST` (default `https://api.authing.cn`) and
    /// `AUTHING_AUTH_MODE` (`token`, the default, or `signature`). A missing, empty or
    /// malformed value is an error naming the variable.
    pub fn from_env() -> Result<ManagementClient, Error> {
        Self::builder_from_env()?.build()
    }

    /// Like [`ManagementClient::from_env`] but returns the builder, to adjust further.
    pub fn builder_from_env() -> Result<ManagementClientBuilder, Error> {
        let id = var("AUTHING_ACCESS_KEY_ID")?
            .ok_or_else(|| Error::Config("AUTHING_ACCESS_KEY_ID is not set".into()))?;
        let secret = var("AUTHING_ACCESS_KEY_SECRET")?
            .ok_or_else(|| Error::Config("AUTHING_ACCESS_KEY_SECRET is not set".into()))?;
        let mut builder = Self::builder().access_key_id(id).access_key_secret(secret);
        if let Some(host) = var("AUTHING_HOST")? {
            builder = builder.host(host);
            builder.checked_host().map_err(|e| match e {
                Error::Config(m) => Error::Config(format!("AUTHING_HOST: {m}")),
                other => other,
            })?;
        }
        if let Some(mode) = var("AUTHING_AUTH_MODE")? {
            builder = builder.auth_mode(mode.parse()?);
        }
        Ok(builder)
    }
}
