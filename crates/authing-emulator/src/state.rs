//! What the server task and the [`crate::Emulator`] handle share: credentials, the
//! document, the store, faults and fault rules, the rate limiter and the request log.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::fault_rules::{FaultRule, FaultRules, Firing};
use crate::faults::{Faults, RateLimiter};
use crate::request_log::{LoggedRequest, RequestLog};
use crate::seed::SeedUser;
use crate::spec::{self, Spec};
use crate::store::{read_state_file, write_state_file, NewUser, SavedState, Store};
use crate::synth::Unemulated;
use crate::{Config, Error};

pub(crate) struct Inner {
    pub spec: Arc<Spec>,
    pub access_key_id: String,
    pub access_key_secret: String,
    pub userpool_id: String,
    /// Signs management tokens; random per emulator so tokens of one run fail on another.
    pub jwt_key: [u8; 32],
    pub max_body_bytes: usize,
    pub signature_skew: Duration,
    pub unemulated: Unemulated,
    /// Where `--state` keeps the store between runs.
    pub state_file: Option<PathBuf>,
    store: Mutex<Store>,
    faults: Mutex<Faults>,
    rules: Mutex<FaultRules>,
    limiter: Mutex<RateLimiter>,
    log: Mutex<RequestLog>,
}

/// A poisoned lock only means a handler panicked; the data is still consistent because every
/// handler validates before it mutates.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

impl Inner {
    /// The state `config` describes, seeded; credentials not given are random.
    pub(crate) fn new(config: &Config) -> Result<Inner, Error> {
        config.faults.validate().map_err(Error::InvalidFaults)?;
        let inner = Inner {
            spec: spec::spec(),
            access_key_id: config
                .access_key_id
                .clone()
                .unwrap_or_else(|| random_hex(12)),
            access_key_secret: config
                .access_key_secret
                .clone()
                .unwrap_or_else(|| random_hex(16)),
            userpool_id: config.userpool_id.clone().unwrap_or_else(|| random_hex(12)),
            jwt_key: rand::random(),
            max_body_bytes: config.max_body_bytes,
            signature_skew: config.signature_skew,
            unemulated: config.unemulated,
            state_file: config.state_file.clone(),
            store: Mutex::new(Store::default()),
            faults: Mutex::new(config.faults.clone()),
            rules: Mutex::new(FaultRules::default()),
            limiter: Mutex::new(RateLimiter::new()),
            log: Mutex::new(RequestLog::new(config.request_log_capacity)),
        };
        if let Some(path) = &inner.state_file {
            if let Some(state) = read_state_file(path).map_err(Error::InvalidState)? {
                inner
                    .restore(state)
                    .map_err(|e| Error::InvalidState(format!("{}: {e}", path.display())))?;
            }
        }
        inner.seed(config.seed_users.clone())?;
        Ok(inner)
    }

    /// Replaces users, roles, groups and organisations with a saved state.
    pub(crate) fn restore(&self, state: SavedState) -> Result<(), String> {
        self.lock_store().restore(state)
    }

    pub(crate) fn saved_state(&self) -> SavedState {
        self.lock_store().saved()
    }

    /// Writes the store to the state file; `Ok(None)` without one.
    pub(crate) fn save_state(&self) -> Result<Option<PathBuf>, Error> {
        let Some(path) = &self.state_file else {
            return Ok(None);
        };
        let state = self.saved_state();
        write_state_file(path, &state).map_err(Error::SaveState)?;
        Ok(Some(path.clone()))
    }

    pub(crate) fn log_request(&self, entry: LoggedRequest) {
        lock(&self.log).push(entry);
    }

    pub(crate) fn lock_log(&self) -> MutexGuard<'_, RequestLog> {
        lock(&self.log)
    }

    pub(crate) fn lock_rules(&self) -> MutexGuard<'_, FaultRules> {
        lock(&self.rules)
    }

    /// Checks a rule against the document and adds it; returns its id.
    pub(crate) fn add_rule(&self, rule: FaultRule) -> Result<u64, String> {
        rule.validate(|id| self.spec.operation(id).is_some())?;
        Ok(self.lock_rules().add(rule))
    }

    pub(crate) fn fire_rule(&self, operation: &str) -> Option<Firing> {
        self.lock_rules().fire(operation)
    }

    pub(crate) fn lock_store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub(crate) fn faults(&self) -> Faults {
        lock(&self.faults).clone()
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        *lock(&self.faults) = faults;
    }

    /// Lifetime of the tokens issued from now on.
    pub(crate) fn token_ttl_secs(&self) -> u64 {
        lock(&self.faults).token_ttl()
    }

    /// Whether a request fits under `max_rps` now.
    pub(crate) fn admit(&self, max_rps: Option<u32>) -> bool {
        lock(&self.limiter).try_acquire(max_rps)
    }

    pub(crate) fn seed(&self, users: Vec<SeedUser>) -> Result<usize, Error> {
        let count = users.len();
        let users: Vec<NewUser> = users.into_iter().map(NewUser::from).collect();
        self.lock_store()
            .users
            .insert_all(users, true, crate::store::now_ms())
            .map_err(|c| Error::InvalidSeed(c.to_string()))?;
        Ok(count)
    }

    pub(crate) fn reset(&self) {
        // Credentials, faults and fault rules stay; the store, nonces, statistics and the
        // request log go.
        *self.lock_store() = Store::default();
        *lock(&self.limiter) = RateLimiter::new();
        self.lock_log().clear();
    }
}
