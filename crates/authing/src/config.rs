//! The settings of a client: [`ManagementClientBuilder`], by hand or from the
//! `AUTHING_*` environment variables (one reader of them, for the SDK and the CLI).

use std::time::Duration;

use authing_management_gen::Secret;

use crate::auth::AuthMode;
use crate::error::Error;
use crate::retry::RetryConfig;

/// Authing's public cloud.
pub const DEFAULT_HOST: &str = "https://api.authing.cn";

/// Builder for [`crate::ManagementClient`]; see [`crate::ManagementClient::builder`].
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

    /// Apply the `AUTHING_*` variables that are set: `AUTHING_ACCESS_KEY_ID`,
    /// `AUTHING_ACCESS_KEY_SECRET`, `AUTHING_HOST`, `AUTHING_AUTH_MODE`. A variable
    /// that is set but empty, not UTF-8 or malformed is an error naming it; one that
    /// is not set leaves the setting as it was. Setters called afterwards override.
    pub fn with_env(mut self) -> Result<Self, Error> {
        if let Some(id) = var(ACCESS_KEY_ID)? {
            self = self.access_key_id(id);
        }
        if let Some(secret) = var(ACCESS_KEY_SECRET)? {
            self = self.access_key_secret(secret);
        }
        if let Some(host) = var("AUTHING_HOST")? {
            self = self.host(host);
            self.checked_host().map_err(|e| match e {
                Error::Config(m) => Error::Config(format!("AUTHING_HOST: {m}")),
                other => other,
            })?;
        }
        if let Some(mode) = var("AUTHING_AUTH_MODE")? {
            self = self.auth_mode(mode.parse()?);
        }
        Ok(self)
    }

    /// Like [`ManagementClientBuilder::with_env`], and the access key must be complete:
    /// a missing variable is an error naming it.
    pub(crate) fn with_required_env(self) -> Result<Self, Error> {
        let builder = self.with_env()?;
        for (name, missing) in [
            (ACCESS_KEY_ID, builder.access_key_id.is_none()),
            (ACCESS_KEY_SECRET, builder.access_key_secret.is_none()),
        ] {
            if missing {
                return Err(Error::Config(format!("{name} is not set")));
            }
        }
        Ok(builder)
    }

    /// Whether an access key id or secret has been given (by a setter or the
    /// environment): a program that can also run without Authing asks this first.
    pub fn has_credentials(&self) -> bool {
        self.access_key_id.is_some() || self.access_key_secret.is_some()
    }
}

const ACCESS_KEY_ID: &str = "AUTHING_ACCESS_KEY_ID";
const ACCESS_KEY_SECRET: &str = "AUTHING_ACCESS_KEY_SECRET";

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
