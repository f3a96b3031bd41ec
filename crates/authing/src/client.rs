//! [`ManagementClient`]: the generated client wired to this crate's hooks, built
//! from a [`ManagementClientBuilder`].

use std::sync::Arc;

use authing_management_gen::Inner;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::auth::{Auth, TokenEndpoint};
use crate::config::ManagementClientBuilder;
use crate::error::Error;
use crate::hooks::{Authed, Plain};
use crate::transport::Transport;

/// A client for one user pool. Cheap to clone; clones share the token cache.
#[derive(Clone)]
pub struct ManagementClient {
    api: authing_management_gen::Client,
    hooks: Arc<Authed>,
    host: String,
}

impl std::fmt::Debug for ManagementClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagementClient")
            .field("host", &self.host)
            .field("access_key_id", &self.hooks.auth.key_id())
            .field("auth_mode", &self.hooks.auth.mode())
            .finish_non_exhaustive()
    }
}

impl ManagementClientBuilder {
    /// Check the settings and build the client. No network call is made.
    pub fn build(self) -> Result<ManagementClient, Error> {
        let key_id = self
            .access_key_id
            .clone()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| Error::Config("access_key_id is missing or empty".into()))?;
        let secret = self
            .access_key_secret
            .clone()
            .filter(|s| !s.expose_secret().trim().is_empty())
            .ok_or_else(|| Error::Config("access_key_secret is missing or empty".into()))?;
        let host = self
            .checked_host()?
            .as_str()
            .trim_end_matches('/')
            .to_string();
        let http = self.http_client()?;
        let transport = Transport {
            retry: self.retry.clone(),
            headers: self.common_headers()?,
        };
        let token_api = authing_management_gen::Client::new_with_client(
            &host,
            http.clone(),
            Inner(Some(Arc::new(Plain(transport.clone())))),
        );
        let endpoint = TokenEndpoint {
            key_id,
            secret,
            api: token_api,
        };
        let hooks = Arc::new(Authed {
            transport,
            auth: Auth::new(self.auth_mode, endpoint, self.refresh_margin),
        });
        let api = authing_management_gen::Client::new_with_client(
            &host,
            http,
            Inner(Some(hooks.clone())),
        );
        Ok(ManagementClient { api, hooks, host })
    }

    fn http_client(&self) -> Result<reqwest::Client, Error> {
        let mut http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent.clone());
        for (i, pem) in self.extra_roots.iter().enumerate() {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                Error::Config(format!(
                    "extra root certificate #{} is not valid PEM: {e}",
                    i + 1
                ))
            })?;
            if certs.is_empty() {
                return Err(Error::Config(format!(
                    "extra root certificate #{} holds no certificate",
                    i + 1
                )));
            }
            for cert in certs {
                http = http.add_root_certificate(cert);
            }
        }
        http.build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
    }

    /// The headers every call carries, as Authing's own SDKs send them.
    fn common_headers(&self) -> Result<HeaderMap, Error> {
        let mut headers = HeaderMap::new();
        let sdk = format!("authing-rs:{}", env!("CARGO_PKG_VERSION"));
        for (name, value) in [
            ("x-authing-sdk-version", Some(sdk.as_str())),
            ("x-authing-lang", self.lang.as_deref()),
            ("x-authing-app-tenant-id", self.tenant_id.as_deref()),
        ] {
            if let Some(value) = value {
                let value = HeaderValue::from_str(value).map_err(|_| {
                    Error::Config(format!("{name} `{value}` is not a valid header value"))
                })?;
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        Ok(headers)
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
        Self::builder().with_required_env()
    }

    /// The generated client: every operation of the Management API, authenticated
    /// and retried by this client. Use [`crate::ResultExt::checked`] on what it returns.
    pub fn api(&self) -> &authing_management_gen::Client {
        &self.api
    }

    /// The host calls go to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Check the access key now: fetch a management token (both auth modes; in
    /// signature mode nothing is cached). Errors are [`Error::Auth`] when Authing
    /// refuses the key.
    pub async fn check_credentials(&self) -> Result<(), Error> {
        self.hooks.auth.check().await
    }
}
