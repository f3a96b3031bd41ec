//! In-memory state: users (with OTP and MFA settings), roles, groups, organisations and
//! departments; and, not saved with them, used signature nonces and request statistics.

mod directory;
mod saved;
mod users;

use std::collections::HashMap;
use std::time::Instant;

pub(crate) use directory::{Department, Group, Organization, Role, Roles, DEFAULT_NAMESPACE};
pub(crate) use saved::{read_state_file, write_state_file, SavedState};
pub(crate) use users::{generate_id, Conflict, NewUser, Otp, User, UserUpdate, Users};

use crate::seed::{ExportedOtp, ExportedUser, SeedUser};
use crate::stats::Stats;

#[derive(Debug, Default)]
pub(crate) struct Store {
    pub users: Users,
    pub roles: Roles,
    pub groups: Vec<Group>,
    pub orgs: directory::Orgs,
    /// Signature nonces already used, with the instant after which they may be forgotten.
    pub nonces: HashMap<String, Instant>,
    pub stats: Stats,
}

pub(crate) fn now_ms() -> i64 {
    crate::auth::now_ms() as i64
}

pub(crate) fn format_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
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

impl Store {
    /// Deletes a user and every membership they had.
    pub fn delete_user(&mut self, id: &str) -> bool {
        if self.users.remove(id).is_none() {
            return false;
        }
        for role in &mut self.roles.list {
            role.users.retain(|u| u != id);
        }
        for group in &mut self.groups {
            group.members.retain(|u| u != id);
        }
        for department in &mut self.orgs.departments {
            department.members.retain(|(u, _)| u != id);
            department.leader_user_ids.retain(|u| u != id);
        }
        true
    }

    pub fn group(&self, code: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.code == code)
    }

    pub fn group_mut(&mut self, code: &str) -> Option<&mut Group> {
        self.groups.iter_mut().find(|g| g.code == code)
    }

    pub fn export(&self) -> Vec<ExportedUser> {
        self.users
            .in_order()
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

    /// What `--state` saves: everything but nonces and statistics.
    pub fn saved(&self) -> SavedState {
        SavedState {
            version: saved::VERSION,
            users: self.users.in_order().cloned().collect(),
            roles: self.roles.clone(),
            groups: self.groups.clone(),
            orgs: self.orgs.clone(),
        }
    }

    /// Replaces users, roles, groups and organisations with a saved state.
    pub fn restore(&mut self, state: SavedState) -> Result<(), String> {
        let mut users = Users::default();
        users.restore(state.users).map_err(|c| c.to_string())?;
        self.users = users;
        self.roles = state.roles;
        self.groups = state.groups;
        self.orgs = state.orgs;
        Ok(())
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
