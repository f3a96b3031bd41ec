//! In-memory state: users (with their OTP), used signature nonces, and request statistics.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{json, Map, Value};

use crate::seed::{ExportedOtp, ExportedUser, SeedUser};
use crate::stats::Stats;

#[derive(Clone, Debug)]
pub(crate) struct Otp {
    pub secret: String,
    pub recovery_code: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct User {
    pub seq: u64,
    pub user_id: String,
    pub email: Option<String>,
    pub username: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
    pub status: String,
    /// Other profile fields given at creation, returned as they were given.
    pub profile: Map<String, Value>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub otp: Option<Otp>,
}

/// A user about to be created (by the API or by seeding).
#[derive(Clone, Debug, Default)]
pub(crate) struct NewUser {
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub username: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
    pub status: Option<String>,
    pub profile: Map<String, Value>,
    pub otp: Option<Otp>,
}

impl From<SeedUser> for NewUser {
    fn from(s: SeedUser) -> Self {
        NewUser {
            user_id: Some(s.user_id),
            email: s.email,
            username: s.username,
            phone: s.phone,
            external_id: s.external_id,
            ..NewUser::default()
        }
    }
}

/// Why a set of users could not be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Conflict {
    Duplicate { field: &'static str, value: String },
    InvalidUserId(String),
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conflict::Duplicate { field, value } => {
                write!(f, "a user with {field} {value:?} already exists")
            }
            Conflict::InvalidUserId(id) => write!(f, "invalid userId {id:?}"),
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    pub users: HashMap<String, User>,
    /// (userIdType, normalised value) → user id, so lookups and seeding stay linear
    /// however many users there are.
    index: HashMap<(&'static str, String), String>,
    next_seq: u64,
    /// Signature nonces already used, with the instant after which they may be forgotten.
    pub nonces: HashMap<String, Instant>,
    pub stats: Stats,
}

fn now_ms() -> i64 {
    crate::auth::now_ms() as i64
}

pub(crate) fn format_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Authing user ids are 24 hex characters (MongoDB ObjectId-like).
fn generate_user_id() -> String {
    let bytes: [u8; 12] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Users in creation order.
    pub fn users_in_order(&self) -> Vec<&User> {
        let mut users: Vec<&User> = self.users.values().collect();
        users.sort_by_key(|u| u.seq);
        users
    }

    /// Finds a user by one of the `userIdType`s the emulator supports.
    pub fn find(&self, id_type: &str, value: &str) -> Option<&User> {
        match id_type {
            "user_id" => self.users.get(value),
            _ => {
                let id_type = ["email", "username", "phone", "external_id"]
                    .into_iter()
                    .find(|t| *t == id_type)?;
                let id = self.index.get(&(id_type, normalise(id_type, value)?))?;
                self.users.get(id)
            }
        }
    }

    /// Creates all users or none. With `replace`, a user whose id already exists is replaced
    /// (seeding with fixed ids); without, an existing id is a conflict.
    pub fn insert_all(
        &mut self,
        users: Vec<NewUser>,
        replace: bool,
    ) -> Result<Vec<String>, Conflict> {
        let mut ids: Vec<String> = Vec::with_capacity(users.len());
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut users = users;
        // Assign ids and check every conflict before touching anything.
        for user in users.iter_mut() {
            let id = match &user.user_id {
                Some(id) if id.trim().is_empty() || id.len() > 256 => {
                    return Err(Conflict::InvalidUserId(id.clone()))
                }
                Some(id) => id.clone(),
                None => generate_user_id(),
            };
            user.user_id = Some(id.clone());
            if !seen.insert(id.clone()) || (!replace && self.users.contains_key(&id)) {
                return Err(Conflict::Duplicate {
                    field: "userId",
                    value: id,
                });
            }
            for (field, id_type, value) in identifiers(user) {
                if self
                    .find(id_type, value)
                    .is_some_and(|other| other.user_id != id)
                {
                    return Err(Conflict::Duplicate {
                        field,
                        value: value.to_string(),
                    });
                }
            }
            ids.push(id);
        }
        // Duplicates inside the batch itself.
        let mut in_batch: HashMap<(&'static str, String), usize> = HashMap::new();
        for (i, user) in users.iter().enumerate() {
            for (field, id_type, value) in identifiers(user) {
                let Some(key) = normalise(id_type, value) else {
                    continue;
                };
                if in_batch.insert((id_type, key), i).is_some() {
                    return Err(Conflict::Duplicate {
                        field,
                        value: value.to_string(),
                    });
                }
            }
        }
        let now = now_ms();
        for user in users {
            let id = user.user_id.clone().unwrap_or_default();
            for (_, id_type, value) in identifiers(&user) {
                if let Some(key) = normalise(id_type, value) {
                    self.index.insert((id_type, key), id.clone());
                }
            }
            let (seq, created) = match self.users.get(&id) {
                Some(old) => {
                    for (id_type, value) in [
                        ("email", &old.email),
                        ("username", &old.username),
                        ("phone", &old.phone),
                        ("external_id", &old.external_id),
                    ] {
                        let key = value.as_deref().and_then(|v| normalise(id_type, v));
                        if let Some(key) = key {
                            if self.index.get(&(id_type, key.clone())) == Some(&id) {
                                let new = identifiers(&user).any(|(_, t, v)| {
                                    t == id_type && normalise(t, v).as_ref() == Some(&key)
                                });
                                if !new {
                                    self.index.remove(&(id_type, key));
                                }
                            }
                        }
                    }
                    (old.seq, old.created_at_ms)
                }
                None => {
                    self.next_seq += 1;
                    (self.next_seq, now)
                }
            };
            self.users.insert(
                id.clone(),
                User {
                    seq,
                    user_id: id,
                    email: user.email,
                    username: user.username,
                    phone: user.phone,
                    external_id: user.external_id,
                    status: user.status.unwrap_or_else(|| "Activated".to_string()),
                    profile: user.profile,
                    created_at_ms: created,
                    updated_at_ms: now,
                    otp: user.otp,
                },
            );
        }
        Ok(ids)
    }

    pub fn export(&self) -> Vec<ExportedUser> {
        self.users_in_order()
            .into_iter()
            .map(|u| ExportedUser {
                user_id: u.user_id.clone(),
                email: u.email.clone(),
                username: u.username.clone(),
                phone: u.phone.clone(),
                external_id: u.external_id.clone(),
                otp: u.otp.as_ref().map(|o| ExportedOtp {
                    secret: o.secret.clone(),
                    recovery_code: o.recovery_code.clone(),
                }),
                mfa_enabled: u.otp.is_some(),
            })
            .collect()
    }

    /// Remembers a nonce; `false` if it was already used. Expired nonces are pruned as we go.
    pub fn use_nonce(&mut self, nonce: &str, keep_until: Instant) -> bool {
        let now = Instant::now();
        if self.nonces.len() >= 1024 && self.nonces.len().is_power_of_two() {
            self.nonces.retain(|_, until| *until > now);
        }
        match self.nonces.get(nonce) {
            Some(until) if *until > now => false,
            _ => {
                self.nonces.insert(nonce.to_string(), keep_until);
                true
            }
        }
    }
}

/// The unique identifiers a user has, as (field name in messages, userIdType, value).
fn identifiers(u: &NewUser) -> impl Iterator<Item = (&'static str, &'static str, &str)> {
    [
        ("email", "email", &u.email),
        ("username", "username", &u.username),
        ("phone", "phone", &u.phone),
        ("externalId", "external_id", &u.external_id),
    ]
    .into_iter()
    .filter_map(|(field, id_type, v)| v.as_deref().map(|v| (field, id_type, v)))
}

/// The form an identifier is indexed under: e-mail addresses compare
/// case-insensitively, other identifiers exactly; an empty one never matches.
fn normalise(id_type: &str, value: &str) -> Option<String> {
    match value {
        "" => None,
        v if id_type == "email" => Some(v.to_ascii_lowercase()),
        v => Some(v.to_string()),
    }
}

impl User {
    /// The user as the document's `UserDto` describes it (required fields always present).
    pub fn to_dto(&self) -> Value {
        let mut dto = self.profile.clone();
        let mut set = |k: &str, v: Value| {
            dto.insert(k.to_string(), v);
        };
        set("userId", json!(self.user_id));
        set("createdAt", json!(format_time(self.created_at_ms)));
        set("updatedAt", json!(format_time(self.updated_at_ms)));
        set("status", json!(self.status));
        for (k, v) in [
            ("email", &self.email),
            ("username", &self.username),
            ("phone", &self.phone),
            ("externalId", &self.external_id),
        ] {
            if let Some(v) = v {
                set(k, json!(v));
            }
        }
        for (k, default) in [
            ("workStatus", json!("Active")),
            ("gender", json!("U")),
            ("emailVerified", json!(false)),
            ("phoneVerified", json!(false)),
            ("userSourceType", json!("adminCreated")),
            ("loginsCount", json!(0)),
        ] {
            dto.entry(k.to_string()).or_insert(default);
        }
        Value::Object(dto)
    }
}

#[cfg(test)]
mod index_tests {
    use super::*;

    fn seed(id: &str, email: &str) -> NewUser {
        SeedUser::new(id).email(email).into()
    }

    #[test]
    fn lookups_follow_inserts_and_replacements() {
        let mut store = Store::default();
        store
            .insert_all(vec![seed("u1", "A@Example.com")], false)
            .unwrap();
        assert_eq!(store.find("email", "a@example.COM").unwrap().user_id, "u1");
        // Replacing u1 with a new e-mail frees the old one.
        store
            .insert_all(vec![seed("u1", "b@example.com")], true)
            .unwrap();
        assert!(store.find("email", "a@example.com").is_none());
        assert_eq!(store.find("email", "b@example.com").unwrap().user_id, "u1");
        store
            .insert_all(vec![seed("u2", "a@example.com")], false)
            .unwrap();
        // Taken by another user, in the store or in the same batch: nothing applied.
        let err = store.insert_all(vec![seed("u3", "B@example.com")], false);
        assert!(matches!(
            err,
            Err(Conflict::Duplicate { field: "email", .. })
        ));
        let err = store.insert_all(vec![seed("u4", "c@x.io"), seed("u5", "C@x.io")], false);
        assert!(matches!(
            err,
            Err(Conflict::Duplicate { field: "email", .. })
        ));
        assert!(store.find("email", "c@x.io").is_none());
        assert_eq!(store.users.len(), 2);
    }

    #[test]
    fn seeding_many_users_indexes_every_identifier() {
        let mut store = Store::default();
        let users = (0..10_000).map(|i| seed(&format!("u{i}"), &format!("user{i}@example.com")));
        store.insert_all(users.collect(), false).unwrap();
        assert_eq!(
            store.find("email", "user9999@example.com").unwrap().user_id,
            "u9999"
        );
    }
}
