//! Users: their records, the index of their unique identifiers, and their creation order.
//!
//! Identifiers (email, username, phone, externalId) change only through [`Users::update`],
//! which keeps the index right; other fields may be changed through [`Users::get_mut`].

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Otp {
    pub secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

impl std::fmt::Debug for Otp {
    // Test failures and logs must not show OTP secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Otp(** redacted **)")
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct User {
    /// Creation order; not saved (the saved list is in order).
    #[serde(skip)]
    pub seq: u64,
    pub user_id: String,
    pub email: Option<String>,
    pub username: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
    pub status: String,
    /// Other profile fields, returned as they were given (name, nickname, gender...).
    pub profile: Map<String, Value>,
    #[serde(default)]
    pub custom_data: Map<String, Value>,
    #[serde(default)]
    pub identities: Vec<Value>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    #[serde(default)]
    pub otp: Option<Otp>,
    /// What `set-mfa-status` stored (`mfaTriggerData`).
    #[serde(default)]
    pub mfa: Option<Value>,
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
    pub custom_data: Map<String, Value>,
    pub identities: Vec<Value>,
    pub otp: Option<Otp>,
}

/// Changes to a user. For identifiers, `Some(None)` removes one.
#[derive(Clone, Debug, Default)]
pub(crate) struct UserUpdate {
    pub email: Option<Option<String>>,
    pub username: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub external_id: Option<Option<String>>,
    pub status: Option<String>,
    /// Profile fields to set (`null` removes one).
    pub profile: Map<String, Value>,
    /// Replaces the custom data when given.
    pub custom_data: Option<Map<String, Value>>,
}

/// Why users could not be created or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Conflict {
    Duplicate { field: &'static str, value: String },
    InvalidUserId(String),
    UnknownUser(String),
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conflict::Duplicate { field, value } => {
                write!(f, "a user with {field} {value:?} already exists")
            }
            Conflict::InvalidUserId(id) => write!(f, "invalid userId {id:?}"),
            Conflict::UnknownUser(id) => write!(f, "no user {id:?}"),
        }
    }
}

/// The identifier kinds, as (field name in messages, userIdType).
const IDENTIFIERS: [(&str, &str); 4] = [
    ("email", "email"),
    ("username", "username"),
    ("phone", "phone"),
    ("externalId", "external_id"),
];

#[derive(Debug, Default)]
pub(crate) struct Users {
    by_id: HashMap<String, User>,
    /// seq → user id: listing in creation order costs nothing per user.
    order: BTreeMap<u64, String>,
    /// (userIdType, normalised value) → user id.
    index: HashMap<(&'static str, String), String>,
    next_seq: u64,
}

/// Authing user ids are 24 hex characters (MongoDB ObjectId-like).
pub(crate) fn generate_id() -> String {
    let bytes: [u8; 12] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Users {
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn get(&self, id: &str) -> Option<&User> {
        self.by_id.get(id)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// For fields other than the identifiers (see the module docs).
    pub fn get_mut(&mut self, id: &str) -> Option<&mut User> {
        self.by_id.get_mut(id)
    }

    /// Users in creation order.
    pub fn in_order(&self) -> impl DoubleEndedIterator<Item = &User> + '_ {
        self.order.values().filter_map(|id| self.by_id.get(id))
    }

    /// Finds a user by one of the `userIdType`s the emulator supports.
    pub fn find(&self, id_type: &str, value: &str) -> Option<&User> {
        if id_type == "user_id" {
            return self.by_id.get(value);
        }
        let (_, id_type) = IDENTIFIERS.into_iter().find(|(_, t)| *t == id_type)?;
        let id = self.index.get(&(id_type, normalise(id_type, value)?))?;
        self.by_id.get(id)
    }

    /// Creates all users or none. With `replace`, a user whose id exists is replaced
    /// (seeding with fixed ids); without, an existing id is a conflict.
    pub fn insert_all(
        &mut self,
        mut users: Vec<NewUser>,
        replace: bool,
        now: i64,
    ) -> Result<Vec<String>, Conflict> {
        let mut seen = HashSet::new();
        let mut in_batch: HashSet<(&'static str, String)> = HashSet::new();
        // Assign ids and check every conflict before touching anything.
        for user in users.iter_mut() {
            let id = match &user.user_id {
                Some(id) if id.trim().is_empty() || id.len() > 256 => {
                    return Err(Conflict::InvalidUserId(id.clone()))
                }
                Some(id) => id.clone(),
                None => generate_id(),
            };
            user.user_id = Some(id.clone());
            if !seen.insert(id.clone()) || (!replace && self.by_id.contains_key(&id)) {
                return Err(Conflict::Duplicate {
                    field: "userId",
                    value: id,
                });
            }
            for (field, id_type, value) in identifiers(user) {
                let taken = self.find(id_type, value).is_some_and(|o| o.user_id != id);
                let key = normalise(id_type, value).map(|k| (id_type, k));
                if taken || key.is_some_and(|k| !in_batch.insert(k)) {
                    return Err(Conflict::Duplicate {
                        field,
                        value: value.to_string(),
                    });
                }
            }
        }
        let mut ids = Vec::with_capacity(users.len());
        for user in users {
            let id = user.user_id.clone().unwrap_or_default();
            let (seq, created_at_ms) = match self.by_id.get(&id) {
                Some(old) => {
                    let kept = (old.seq, old.created_at_ms);
                    self.unindex(&id);
                    kept
                }
                None => {
                    self.next_seq += 1;
                    (self.next_seq, now)
                }
            };
            let record = User {
                seq,
                user_id: id.clone(),
                email: user.email,
                username: user.username,
                phone: user.phone,
                external_id: user.external_id,
                status: user.status.unwrap_or_else(|| "Activated".to_string()),
                profile: user.profile,
                custom_data: user.custom_data,
                identities: user.identities,
                created_at_ms,
                updated_at_ms: now,
                otp: user.otp,
                mfa: None,
            };
            self.add(record);
            ids.push(id);
        }
        Ok(ids)
    }

    /// Puts back users read from a saved state, in their saved order.
    pub fn restore(&mut self, users: Vec<User>) -> Result<(), Conflict> {
        *self = Users::default();
        for mut user in users {
            if self.by_id.contains_key(&user.user_id) {
                return Err(Conflict::Duplicate {
                    field: "userId",
                    value: user.user_id,
                });
            }
            for (field, id_type, value) in user_identifiers(&user) {
                if self.find(id_type, value).is_some() {
                    return Err(Conflict::Duplicate {
                        field,
                        value: value.to_string(),
                    });
                }
            }
            self.next_seq += 1;
            user.seq = self.next_seq;
            self.add(user);
        }
        Ok(())
    }

    /// Applies `update` to user `id`, all or nothing.
    pub fn update(&mut self, id: &str, update: UserUpdate, now: i64) -> Result<&User, Conflict> {
        if !self.by_id.contains_key(id) {
            return Err(Conflict::UnknownUser(id.to_string()));
        }
        let changes = [
            (IDENTIFIERS[0], update.email),
            (IDENTIFIERS[1], update.username),
            (IDENTIFIERS[2], update.phone),
            (IDENTIFIERS[3], update.external_id),
        ];
        for ((field, id_type), change) in &changes {
            if let Some(Some(value)) = change {
                if self.find(id_type, value).is_some_and(|o| o.user_id != id) {
                    return Err(Conflict::Duplicate {
                        field,
                        value: value.clone(),
                    });
                }
            }
        }
        self.unindex(id);
        let user = self.by_id.get_mut(id).expect("checked above");
        for ((_, id_type), change) in changes {
            let Some(value) = change else { continue };
            let slot = match id_type {
                "email" => &mut user.email,
                "username" => &mut user.username,
                "phone" => &mut user.phone,
                _ => &mut user.external_id,
            };
            *slot = value.filter(|v| !v.is_empty());
        }
        if let Some(status) = update.status {
            user.status = status;
        }
        for (key, value) in update.profile {
            if value.is_null() {
                user.profile.remove(&key);
            } else {
                user.profile.insert(key, value);
            }
        }
        if let Some(custom_data) = update.custom_data {
            user.custom_data = custom_data;
        }
        user.updated_at_ms = now;
        let user = user.clone();
        self.index_user(&user);
        Ok(&self.by_id[id])
    }

    pub fn remove(&mut self, id: &str) -> Option<User> {
        self.unindex(id);
        let user = self.by_id.remove(id)?;
        self.order.remove(&user.seq);
        Some(user)
    }

    fn add(&mut self, user: User) {
        self.index_user(&user);
        self.order.insert(user.seq, user.user_id.clone());
        self.by_id.insert(user.user_id.clone(), user);
    }

    fn index_user(&mut self, user: &User) {
        for (_, id_type, value) in user_identifiers(user) {
            if let Some(key) = normalise(id_type, value) {
                self.index.insert((id_type, key), user.user_id.clone());
            }
        }
    }

    /// Forgets the index entries of user `id` (the record itself stays).
    fn unindex(&mut self, id: &str) {
        let Some(user) = self.by_id.get(id) else {
            return;
        };
        for (_, id_type, value) in user_identifiers(user) {
            if let Some(key) = normalise(id_type, value) {
                if self.index.get(&(id_type, key.clone())).map(String::as_str) == Some(id) {
                    self.index.remove(&(id_type, key));
                }
            }
        }
    }
}

fn with_values(
    values: [&Option<String>; 4],
) -> impl Iterator<Item = (&'static str, &'static str, &str)> {
    IDENTIFIERS
        .into_iter()
        .zip(values)
        .filter_map(|((field, id_type), v)| v.as_deref().map(|v| (field, id_type, v)))
}

/// The unique identifiers a new user has, as (field name in messages, userIdType, value).
fn identifiers(u: &NewUser) -> impl Iterator<Item = (&'static str, &'static str, &str)> {
    with_values([&u.email, &u.username, &u.phone, &u.external_id])
}

fn user_identifiers(u: &User) -> impl Iterator<Item = (&'static str, &'static str, &str)> {
    with_values([&u.email, &u.username, &u.phone, &u.external_id])
}

/// The form an identifier is indexed under: e-mail addresses compare case-insensitively
/// (Authing finds `A@Example.com` by `a@example.com`), other identifiers exactly; an empty one
/// never matches.
fn normalise(id_type: &str, value: &str) -> Option<String> {
    match value {
        "" => None,
        v if id_type == "email" => Some(v.to_lowercase()),
        v => Some(v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, email: &str) -> NewUser {
        NewUser {
            user_id: Some(id.into()),
            email: Some(email.into()),
            ..NewUser::default()
        }
    }

    #[test]
    fn lookups_follow_inserts_replacements_updates_and_removals() {
        let mut users = Users::default();
        users
            .insert_all(vec![user("u1", "A@Example.com")], false, 1)
            .unwrap();
        assert_eq!(users.find("email", "a@example.COM").unwrap().user_id, "u1");
        // Replacing u1 with a new e-mail frees the old one.
        users
            .insert_all(vec![user("u1", "b@example.com")], true, 2)
            .unwrap();
        assert!(users.find("email", "a@example.com").is_none());
        users
            .insert_all(vec![user("u2", "a@example.com")], false, 3)
            .unwrap();
        // Taken by another user, in the store or in the same batch: nothing applied.
        let err = users.insert_all(vec![user("u3", "B@example.com")], false, 4);
        assert!(matches!(
            err,
            Err(Conflict::Duplicate { field: "email", .. })
        ));
        let err = users.insert_all(vec![user("u4", "c@x.io"), user("u5", "C@x.io")], false, 4);
        assert!(matches!(
            err,
            Err(Conflict::Duplicate { field: "email", .. })
        ));
        assert!(users.find("email", "c@x.io").is_none());
        assert_eq!(users.len(), 2);

        let change = |email: &str| UserUpdate {
            email: Some(Some(email.into())),
            ..UserUpdate::default()
        };
        assert!(matches!(
            users.update("u2", change("B@EXAMPLE.com"), 5),
            Err(Conflict::Duplicate { .. })
        ));
        users.update("u2", change("d@x.io"), 5).unwrap();
        assert!(users.find("email", "a@example.com").is_none());
        assert_eq!(users.find("email", "D@x.io").unwrap().user_id, "u2");
        assert_eq!(users.remove("u2").unwrap().user_id, "u2");
        assert!(users.find("email", "d@x.io").is_none());
        let order: Vec<&str> = users.in_order().map(|u| u.user_id.as_str()).collect();
        assert_eq!(order, ["u1"]);
    }

    #[test]
    fn many_users_keep_their_order_and_index() {
        let mut users = Users::default();
        let batch = (0..10_000).map(|i| user(&format!("u{i}"), &format!("user{i}@example.com")));
        users.insert_all(batch.collect(), false, 1).unwrap();
        assert_eq!(
            users.find("email", "user9999@example.com").unwrap().user_id,
            "u9999"
        );
        assert_eq!(users.in_order().nth(5000).unwrap().user_id, "u5000");
        let saved: Vec<User> = users.in_order().cloned().collect();
        let mut restored = Users::default();
        restored.restore(saved).unwrap();
        assert_eq!(restored.in_order().last().unwrap().user_id, "u9999");
        assert_eq!(
            restored.find("email", "user1@example.com").unwrap().user_id,
            "u1"
        );
    }
}
