//! One run per journal: an OS lock held from before the input is read until the
//! run ends.
//!
//! Two runs appending to one journal (two terminals, cron and a person) would both
//! send everything and interleave their lines. So a run first locks `JOURNAL.lock`
//! (an advisory lock of the operating system, `flock` on Unix, `LockFileEx` on
//! Windows) and a second run fails at once, naming the holder the file describes
//! (process id, host, start time). The operating system drops the lock when the
//! holder exits, however it exits: a killed run never blocks the next one. The file
//! is removed when the run ends, while still locked; a run that opened it just
//! before checks, once it has the lock, that it holds the file now at that path.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// A held journal lock; released (and its file removed) on drop.
#[derive(Debug)]
pub struct JournalLock {
    file: File,
    path: PathBuf,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "journal {journal} is in use by another import run ({holder}); \
         wait for it to finish, or stop it"
    )]
    Held { journal: PathBuf, holder: String },
    #[error("cannot lock journal {journal} with {path}: {source}")]
    Io {
        journal: PathBuf,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl JournalLock {
    /// Locks `journal` for this process, or says who holds it.
    pub fn acquire(journal: &Path) -> Result<JournalLock, LockError> {
        let mut name = journal.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        let io_err = |source| LockError::Io {
            journal: journal.to_path_buf(),
            path: path.clone(),
            source,
        };
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io_err)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let holder = holder.trim();
                    return Err(LockError::Held {
                        journal: journal.to_path_buf(),
                        holder: if holder.is_empty() {
                            "holder unknown".to_string()
                        } else {
                            holder.to_string()
                        },
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io_err(e)),
            }
            if !is_at(&file, &path) {
                continue; // removed by the run that just ended: lock the new one
            }
            file.set_len(0).map_err(io_err)?;
            file.write_all(holder().as_bytes()).map_err(io_err)?;
            file.sync_data().map_err(io_err)?;
            return Ok(JournalLock { file, path });
        }
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for JournalLock {
    fn drop(&mut self) {
        // Removed while still locked (see the module documentation); only where the
        // check in `acquire` can tell files apart.
        if cfg!(unix) {
            let _ = std::fs::remove_file(&self.path);
        }
        let _ = self.file.unlock();
    }
}

/// Whether `file` is the file at `path` now.
#[cfg(unix)]
fn is_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_at(_: &File, _: &Path) -> bool {
    true
}

/// "pid 4242 on host build-7, since Mon, 30 Nov 2026 06:00:00 GMT".
fn holder() -> String {
    let host = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    format!(
        "pid {} on host {host}, since {}",
        std::process::id(),
        httpdate::fmt_http_date(std::time::SystemTime::now())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_fails_naming_the_holder_and_the_first_release_frees_it() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("users.csv.journal");
        let first = JournalLock::acquire(&journal).unwrap();
        assert!(first.path().exists());
        let err = JournalLock::acquire(&journal).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        assert!(
            message.contains("in use by another import run"),
            "{message}"
        );
        drop(first);
        let again = JournalLock::acquire(&journal).unwrap();
        drop(again);
        assert!(!dir.path().join("users.csv.journal.lock").exists());
    }

    #[test]
    fn a_stale_lock_file_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j");
        // Left by a killed run: the file is there, the OS lock died with its process.
        std::fs::write(dir.path().join("j.lock"), "pid 1 on host gone, since then").unwrap();
        let lock = JournalLock::acquire(&journal).unwrap();
        let text = std::fs::read_to_string(lock.path()).unwrap();
        assert!(
            text.starts_with(&format!("pid {} ", std::process::id())),
            "{text}"
        );
    }
}
