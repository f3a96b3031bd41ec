#![doc = include_str!("../README.md")]

mod admin;
mod auth;
mod fault_rules;
mod faults;
mod handlers;
mod idle;
mod js;
pub mod operation;
mod query;
mod request_log;
mod responses;
mod schema_check;
mod seed;
mod server;
mod signature;
mod spec;
mod state;
mod stats;
mod store;
mod synth;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use fault_rules::{FaultRule, ANY_OPERATION};
pub use faults::{Faults, DEFAULT_TOKEN_TTL_SECS, THROTTLE_MESSAGE};
pub use request_log::{LoggedRequest, DEFAULT_REQUEST_LOG_CAPACITY};
pub use responses::EMULATOR_HEADER;
pub use schema_check::{schema_problems, Problem};
pub use seed::{parse_seed, ExportedOtp, ExportedUser, SeedUser};
pub use stats::Stats;
pub use synth::{synthesize_value, Unemulated};

use state::Inner;

/// How the emulator starts. `Config::default()` gives a loopback emulator on a free port with
/// random credentials.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on (default 127.0.0.1; the admin API has no auth, keep it on loopback).
    pub bind: IpAddr,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// Access key id; random when `None`.
    pub access_key_id: Option<String>,
    /// Access key secret; random when `None`.
    pub access_key_secret: Option<String>,
    /// User pool id; random (24 hex characters) when `None`.
    pub userpool_id: Option<String>,
    /// Faults active from the start, latency and token lifetime included.
    pub faults: Faults,
    /// Users present from the start.
    pub seed_users: Vec<SeedUser>,
    /// Largest accepted request body (default 10 MiB); larger ones get a 413 envelope.
    pub max_body_bytes: usize,
    /// Largest accepted difference between a signed request's `date` and the clock
    /// (default 15 min); signature nonces are remembered for twice this long.
    pub signature_skew: Duration,
    /// What operations without emulated behaviour answer (default: a synthesized success).
    pub unemulated: Unemulated,
    /// A connection on which no byte moves for this long while the server waits to
    /// read or write is closed: idle keep-alive connections, requests sent halfway,
    /// answers not read (default 30 s).
    pub idle_timeout: Duration,
    /// Requests the request log keeps (default 1000; 0 turns it off).
    pub request_log_capacity: usize,
    /// Saved state: loaded at start when the file exists, written by [`Emulator::close`] (and
    /// so on SIGINT/SIGTERM by the binary) and by [`Emulator::snapshot`]. It holds OTP
    /// secrets: it is written with mode 0600.
    pub state_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            access_key_id: None,
            access_key_secret: None,
            userpool_id: None,
            faults: Faults::default(),
            seed_users: Vec::new(),
            max_body_bytes: 10 * 1024 * 1024,
            signature_skew: Duration::from_secs(15 * 60),
            unemulated: Unemulated::default(),
            idle_timeout: Duration::from_secs(30),
            request_log_capacity: DEFAULT_REQUEST_LOG_CAPACITY,
            state_file: None,
        }
    }
}

const REDACTED: &str = "** redacted **";

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("port", &self.port)
            .field("access_key_id", &self.access_key_id)
            .field(
                "access_key_secret",
                &self.access_key_secret.as_ref().map(|_| REDACTED),
            )
            .field("userpool_id", &self.userpool_id)
            .field("faults", &self.faults)
            .field("seed_users", &self.seed_users.len())
            .field("max_body_bytes", &self.max_body_bytes)
            .field("signature_skew", &self.signature_skew)
            .field("unemulated", &self.unemulated)
            .field("idle_timeout", &self.idle_timeout)
            .field("request_log_capacity", &self.request_log_capacity)
            .field("state_file", &self.state_file)
            .finish()
    }
}

/// Why the emulator could not start or take a request from its owner.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid faults: {0}")]
    InvalidFaults(String),
    #[error("invalid seed: {0}")]
    InvalidSeed(String),
    #[error("cannot load the state: {0}")]
    InvalidState(String),
    #[error("cannot save the state: {0}")]
    SaveState(String),
    #[error("no state file: start the emulator with a state file (--state FILE)")]
    NoStateFile,
    #[error("invalid fault rule: {0}")]
    InvalidFaultRule(String),
}

/// A running emulator. Dropping it stops the server; `shutdown` does so gracefully.
pub struct Emulator {
    inner: Arc<Inner>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url())
            .field("access_key_id", &self.inner.access_key_id)
            .field("access_key_secret", &REDACTED)
            .field("userpool_id", &self.inner.userpool_id)
            .finish()
    }
}

impl Emulator {
    /// Binds the listener and spawns the server on the current Tokio runtime.
    pub async fn start(config: Config) -> Result<Emulator, Error> {
        let inner = Arc::new(Inner::new(&config)?);
        let addr = SocketAddr::new(config.bind, config.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?;
        let app = server::router(inner.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let listener = idle::IdleListener {
                inner: listener,
                idle: config.idle_timeout,
            };
            let app = app.into_make_service_with_connect_info::<idle::Busy>();
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = server.await {
                tracing::error!(error = %e, "emulator server stopped");
            }
        });
        tracing::info!(%addr, "authing emulator listening");
        Ok(Emulator {
            inner,
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://HOST:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn access_key_id(&self) -> &str {
        &self.inner.access_key_id
    }

    pub fn access_key_secret(&self) -> &str {
        &self.inner.access_key_secret
    }

    pub fn userpool_id(&self) -> &str {
        &self.inner.userpool_id
    }

    /// Replaces the active faults. Probabilities are clamped into `[0, 1]`; use
    /// [`Emulator::try_set_faults`] to have them rejected instead.
    pub fn set_faults(&self, faults: Faults) {
        self.inner.set_faults(faults.clamped());
    }

    /// Replaces the active faults, rejecting invalid probabilities.
    pub fn try_set_faults(&self, faults: Faults) -> Result<(), Error> {
        faults.validate().map_err(Error::InvalidFaults)?;
        self.inner.set_faults(faults);
        Ok(())
    }

    pub fn faults(&self) -> Faults {
        self.inner.faults()
    }

    pub fn stats(&self) -> Stats {
        self.inner.lock_store().stats.clone()
    }

    /// Every user, in creation order, with OTP secret and recovery code.
    pub fn export(&self) -> Vec<ExportedUser> {
        self.inner.lock_store().export()
    }

    /// Adds users (all or none); a user whose id exists is replaced. Returns how many.
    pub fn seed(&self, users: impl IntoIterator<Item = SeedUser>) -> Result<usize, Error> {
        self.inner.seed(users.into_iter().collect())
    }

    /// Forgets users, roles, groups, organisations, used nonces, statistics and the request
    /// log; credentials, faults and fault rules stay.
    pub fn reset(&self) {
        self.inner.reset()
    }

    /// The last requests (at most [`Config::request_log_capacity`]), oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.inner.lock_log().entries()
    }

    /// Adds a fault rule (checked against the document); returns its id.
    pub fn add_fault_rule(&self, rule: FaultRule) -> Result<u64, Error> {
        self.inner.add_rule(rule).map_err(Error::InvalidFaultRule)
    }

    /// Removes fault rule `id`; `false` if there is none.
    pub fn remove_fault_rule(&self, id: u64) -> bool {
        self.inner.lock_rules().remove(id)
    }

    /// The fault rules, with how often each fired.
    pub fn fault_rules(&self) -> Vec<FaultRule> {
        self.inner.lock_rules().list()
    }

    pub fn clear_fault_rules(&self) {
        self.inner.lock_rules().clear()
    }

    /// Writes the state file now; the path written, or [`Error::NoStateFile`].
    pub fn snapshot(&self) -> Result<PathBuf, Error> {
        self.inner.save_state()?.ok_or(Error::NoStateFile)
    }

    /// Stops accepting connections, waits (at most 5 s) for requests in flight, then writes
    /// the state file if there is one.
    pub async fn close(mut self) -> Result<(), Error> {
        self.stop_server().await;
        self.inner.save_state().map(|_| ())
    }

    /// [`Emulator::close`], with a failure to save logged instead of returned.
    pub async fn shutdown(self) {
        if let Err(e) = self.close().await {
            tracing::error!(error = %e, "emulator state not saved");
        }
    }

    async fn stop_server(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Graceful: requests in flight finish, then the server task ends on its own.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
