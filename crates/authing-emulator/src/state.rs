//! What the server task and the [`crate::Emulator`] handle share: credentials, the
//! document, users, faults and the rate limiter.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::faults::{Faults, RateLimiter};
use crate::seed::SeedUser;
use crate::spec::{self, Spec};
use crate::store::{NewUser, Store};
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
    store: Mutex<Store>,
    faults: Mutex<Faults>,
    limiter: Mutex<RateLimiter>,
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
            store: Mutex::new(Store::default()),
            faults: Mutex::new(config.faults.clone()),
            limiter: Mutex::new(RateLimiter::new()),
        };
        inner.seed(config.seed_users.clone())?;
        Ok(inner)
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
            .insert_all(users, true)
            .map_err(|c| Error::InvalidSeed(c.to_string()))?;
        Ok(count)
    }

    pub(crate) fn reset(&self) {
        // Credentials and faults stay; users, nonces and statistics go.
        *self.lock_store() = Store::default();
        *lock(&self.limiter) = RateLimiter::new();
    }
}
