//! The `--state FILE` format: users (OTP secrets included), roles, groups, organisations and
//! departments as one JSON document. The file is written with mode 0600, since it holds
//! secrets, and replaced atomically, so a crash mid-write leaves the previous state.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::directory::{Group, Orgs, Roles};
use super::users::User;

pub(crate) const VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SavedState {
    pub version: u32,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub roles: Roles,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub orgs: Orgs,
}

/// Reads a state file; `Ok(None)` when there is none yet (the first run with `--state`).
pub(crate) fn read_state_file(path: &Path) -> Result<Option<SavedState>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let state: SavedState = serde_json::from_str(&text).map_err(|e| {
        // serde_json's message names line and column, never the value.
        format!("{}: not an emulator state file: {e}", path.display())
    })?;
    if state.version != VERSION {
        return Err(format!(
            "{}: state version {} is not supported (expected {VERSION})",
            path.display(),
            state.version
        ));
    }
    Ok(Some(state))
}

/// Writes the state next to `path` and renames it into place; the file is readable and
/// writable by its owner only.
pub(crate) fn write_state_file(path: &Path, state: &SavedState) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let text = serde_json::to_vec_pretty(state).map_err(|e| e.to_string())?;
    let file_name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file path", path.display()))?;
    let mut temporary = file_name.to_os_string();
    temporary.push(format!(".tmp-{}", std::process::id()));
    let temporary = path.with_file_name(temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(&text)?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(fail(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_private_file_and_clear_errors() {
        let dir = std::env::temp_dir().join(format!("emu-state-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        assert!(read_state_file(&path).unwrap().is_none(), "no file yet");
        let state = SavedState {
            version: VERSION,
            ..SavedState::default()
        };
        write_state_file(&path, &state).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(read_state_file(&path).unwrap().is_some());
        std::fs::write(&path, "{\"version\": 9}").unwrap();
        assert!(read_state_file(&path).unwrap_err().contains("version 9"));
        std::fs::write(&path, "not json").unwrap();
        let err = read_state_file(&path).unwrap_err();
        assert!(
            err.contains("state.json") && err.contains("line 1"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
