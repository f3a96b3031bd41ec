//! `--emulator`: a rehearsal against an embedded emulator seeded with the file's
//! users. Only builds with the `rehearsal` feature (the default) carry the emulator;
//! without it `--emulator` is refused.

use authing::ManagementClient;
use authing_cli::record::Identifier;

/// Whether this build can rehearse.
pub const AVAILABLE: bool = cfg!(feature = "rehearsal");

#[cfg(feature = "rehearsal")]
pub use authing_emulator::Emulator as Rehearsal;

#[cfg(feature = "rehearsal")]
/// Starts the emulator on loopback and creates one user per distinct identifier:
/// user ids as given, other identifiers on users with generated ids.
pub async fn start(identifiers: &[Identifier]) -> Result<(Rehearsal, ManagementClient), String> {
    use authing_cli::record::IdKind;
    use authing_emulator::{Config, SeedUser};
    let emu = Rehearsal::start(Config::default())
        .await
        .map_err(|e| format!("cannot start the emulator: {e}"))?;
    let mut seen = std::collections::HashSet::new();
    let mut users = Vec::new();
    for id in identifiers {
        if id.value.trim().is_empty() || !seen.insert(id.dedup_key()) {
            continue;
        }
        let generated = || authing_cli::hex(&rand::random::<[u8; 12]>());
        let user = match id.kind {
            IdKind::UserId => SeedUser::new(id.value.clone()),
            IdKind::Email => SeedUser::new(generated()).email(id.value.clone()),
            IdKind::Username => SeedUser::new(generated()).username(id.value.clone()),
            IdKind::Phone => SeedUser::new(generated()).phone(id.value.clone()),
            IdKind::ExternalId => SeedUser::new(generated()).external_id(id.value.clone()),
        };
        users.push(user);
    }
    emu.seed(users)
        .map_err(|e| format!("cannot seed the emulator: {e}"))?;
    let client = ManagementClient::builder()
        .access_key_id(emu.access_key_id())
        .access_key_secret(emu.access_key_secret())
        .host(emu.base_url())
        .retry(authing_cli::service::Service::client_retry())
        .build()
        .map_err(|e| format!("cannot build a client for the emulator: {e}"))?;
    Ok((emu, client))
}

/// Stands for the emulator in a build without one; never exists.
#[cfg(not(feature = "rehearsal"))]
pub enum Rehearsal {}

#[cfg(not(feature = "rehearsal"))]
impl Rehearsal {
    pub fn base_url(&self) -> String {
        match *self {}
    }

    pub async fn shutdown(self) {
        match self {}
    }
}

#[cfg(not(feature = "rehearsal"))]
pub async fn start(_: &[Identifier]) -> Result<(Rehearsal, ManagementClient), String> {
    Err(NOT_BUILT_IN.to_string())
}

/// Why `--emulator` is refused by a build without the feature.
pub const NOT_BUILT_IN: &str = "--emulator: this build of authing has no embedded emulator \
     (it was built without the `rehearsal` feature)";
