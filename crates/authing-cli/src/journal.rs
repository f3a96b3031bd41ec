//! The append-only journal that makes an import resumable.
//!
//! JSON Lines. The first line is a header with the input file's identity (size and
//! SHA-256) and the settings that decide which user a record names; every later line
//! is one batch that Authing confirmed, with each record's line number, user id and
//! a fingerprint of its secret: the first 16 hex digits of SHA-256(salt ‖ secret),
//! with a random per-journal salt so the fingerprint cannot be matched against
//! fingerprints from other journals or guessed from known secrets. The secret itself
//! is never written.
//!
//! Each line is written with one `write` call and `fsync`ed before the batch counts
//! as imported. A crash (even `kill -9`) can therefore leave at most a torn last
//! line, which [`Journal::resume`] ignores and truncates away: the batch it described
//! is sent again, which is harmless (importOtp overwrites a user's OTP with the same
//! value).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::input::FileIdentity;
use crate::record::Secret;

pub const VERSION: u32 = 1;

/// What identifies the run: a journal is only valid for the same file read the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    pub version: u32,
    pub input: FileIdentity,
    pub format: String,
    /// `--keycloak-identifier` (it decides which user a Keycloak record names).
    pub keycloak_identifier: String,
    /// Hex salt for the secret fingerprints.
    pub salt: String,
    /// Informational: the settings the journal was started with.
    pub settings: serde_json::Value,
}

/// One confirmed record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub line: u64,
    #[serde(rename = "userId")]
    pub user_id: String,
    /// Secret fingerprint (see the module documentation).
    pub fp: String,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Line {
    Header(Header),
    Batch { records: Vec<Entry> },
}

/// Why a journal cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {0} already exists: pass --resume to continue that import, or remove the file to start over")]
    Exists(PathBuf),
    #[error(
        "journal {path} was written for a different input ({reason}); refusing to resume with it"
    )]
    Mismatch { path: PathBuf, reason: String },
    #[error("journal {path} is damaged at line {line}: {reason}")]
    Damaged {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("journal {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// An open journal, positioned for appending.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
    salt: Vec<u8>,
    /// Records confirmed by earlier runs, by input line.
    confirmed: HashMap<u64, Entry>,
}

impl Journal {
    /// Creates a new journal; an existing file is an error (never overwritten).
    pub fn create(path: &Path, mut header: Header) -> Result<Journal, JournalError> {
        let io_err = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        let salt: [u8; 16] = rand::random();
        header.salt = crate::hex(&salt);
        let mut file = match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(JournalError::Exists(path.to_path_buf()))
            }
            Err(e) => return Err(io_err(e)),
        };
        write_line(&mut file, &Line::Header(header)).map_err(io_err)?;
        sync_parent_dir(path);
        Ok(Journal {
            file,
            path: path.to_path_buf(),
            salt: salt.to_vec(),
            confirmed: HashMap::new(),
        })
    }

    /// Opens an existing journal to resume. `expected` is the header this run would
    /// write (its salt is ignored); a journal for another input is refused. A journal
    /// whose header line never completed (crash right after creation) is started over.
    pub fn resume(path: &Path, expected: Header) -> Result<Journal, JournalError> {
        let io_err = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(f) => f,
            // Nothing was ever confirmed: --resume on a fresh run is allowed.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Self::create(path, expected),
            Err(e) => return Err(io_err(e)),
        };
        let mut text = Vec::new();
        file.read_to_end(&mut text).map_err(io_err)?;
        let parsed = parse(&text).map_err(|(line, reason)| JournalError::Damaged {
            path: path.to_path_buf(),
            line,
            reason,
        })?;
        let Some(header) = parsed.header else {
            drop(file);
            std::fs::remove_file(path).map_err(io_err)?;
            return Self::create(path, expected);
        };
        let mismatch = |reason: String| JournalError::Mismatch {
            path: path.to_path_buf(),
            reason,
        };
        if header.version != VERSION {
            return Err(mismatch(format!("journal version {}", header.version)));
        }
        if header.input != expected.input {
            return Err(mismatch(format!(
                "journal: {} bytes, sha256 {}…; file now: {} bytes, sha256 {}…",
                header.input.size,
                &header.input.sha256[..12.min(header.input.sha256.len())],
                expected.input.size,
                &expected.input.sha256[..12.min(expected.input.sha256.len())]
            )));
        }
        if header.format != expected.format {
            return Err(mismatch(format!(
                "journal read it as {}, this run as {}",
                header.format, expected.format
            )));
        }
        if header.keycloak_identifier != expected.keycloak_identifier {
            return Err(mismatch(format!(
                "journal used --keycloak-identifier {}, this run {}",
                header.keycloak_identifier, expected.keycloak_identifier
            )));
        }
        let salt = unhex(&header.salt).ok_or_else(|| JournalError::Damaged {
            path: path.to_path_buf(),
            line: 1,
            reason: "bad salt".into(),
        })?;
        // Drop a torn last line so the next append starts on a line of its own.
        if (parsed.valid_len as usize) < text.len() {
            tracing::warn!(
                journal = %path.display(),
                "ignoring an incomplete last journal line (interrupted write); that batch will be sent again"
            );
            file.set_len(parsed.valid_len).map_err(io_err)?;
            file.sync_all().map_err(io_err)?;
        }
        file.seek(SeekFrom::End(0)).map_err(io_err)?;
        Ok(Journal {
            file,
            path: path.to_path_buf(),
            salt,
            confirmed: parsed.entries.into_iter().map(|e| (e.line, e)).collect(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records confirmed by earlier runs, by input line.
    pub fn confirmed(&self) -> &HashMap<u64, Entry> {
        &self.confirmed
    }

    /// Takes the confirmed records out (the engine keeps its own copy; no need for two).
    pub fn take_confirmed(&mut self) -> HashMap<u64, Entry> {
        std::mem::take(&mut self.confirmed)
    }

    /// The fingerprint of a (canonical) secret under this journal's salt.
    pub fn fingerprint(&self, secret: &Secret) -> String {
        let mut h = Sha256::new();
        h.update(&self.salt);
        h.update(secret.expose_secret().as_bytes());
        crate::hex(&h.finalize()[..8])
    }

    /// Appends one confirmed batch and makes it durable before returning.
    pub fn append(&mut self, records: Vec<Entry>) -> Result<(), JournalError> {
        write_line(&mut self.file, &Line::Batch { records }).map_err(|source| JournalError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// Writes one JSON line with a single `write_all` and `fsync`s it.
fn write_line(file: &mut File, line: &Line) -> io::Result<()> {
    let mut buf = serde_json::to_vec(line).map_err(io::Error::other)?;
    buf.push(b'\n');
    file.write_all(&buf)?;
    file.sync_data()
}

/// Makes the new file's directory entry durable too (best effort: not every file
/// system supports syncing a directory).
fn sync_parent_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

struct Parsed {
    header: Option<Header>,
    entries: Vec<Entry>,
    /// Length of the prefix made of complete, valid lines.
    valid_len: u64,
}

/// Parses journal text. Only the last line may be incomplete or unparseable (a torn
/// write); anything wrong before it is damage, reported with its line number.
fn parse(text: &[u8]) -> Result<Parsed, (usize, String)> {
    let mut parsed = Parsed {
        header: None,
        entries: Vec::new(),
        valid_len: 0,
    };
    let mut offset = 0usize;
    let mut number = 0usize;
    while offset < text.len() {
        number += 1;
        let rest = &text[offset..];
        let (line, complete) = match rest.iter().position(|b| *b == b'\n') {
            Some(end) => (&rest[..end], true),
            None => (rest, false),
        };
        let is_last = offset + line.len() + usize::from(complete) >= text.len();
        let value = serde_json::from_slice::<Line>(line);
        match (value, complete) {
            (Ok(Line::Header(h)), true) if number == 1 => parsed.header = Some(h),
            (Ok(Line::Header(_)), true) => return Err((number, "second header".into())),
            (Ok(Line::Batch { .. }), true) if number == 1 => {
                return Err((number, "no header".into()))
            }
            (Ok(Line::Batch { records }), true) => parsed.entries.extend(records),
            // Torn last line: ignored (its batch will be sent again).
            _ if is_last => break,
            _ => return Err((number, "not a journal line".into())),
        }
        offset += line.len() + 1;
        parsed.valid_len = offset as u64;
    }
    Ok(parsed)
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(sha: &str) -> Header {
        Header {
            version: VERSION,
            input: FileIdentity {
                size: 10,
                sha256: sha.into(),
            },
            format: "csv".into(),
            keycloak_identifier: "username".into(),
            salt: String::new(),
            settings: serde_json::json!({}),
        }
    }

    fn entry(line: u64) -> Entry {
        Entry {
            line,
            user_id: format!("u{line}"),
            fp: "00".into(),
        }
    }

    #[test]
    fn create_refuses_existing_and_resume_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut j = Journal::create(&path, header("aa")).unwrap();
        let fp = j.fingerprint(&Secret::new("JBSWY3DPEHPK3PXP"));
        assert_eq!(fp.len(), 16);
        j.append(vec![entry(2), entry(3)]).unwrap();
        drop(j);
        assert!(matches!(
            Journal::create(&path, header("aa")),
            Err(JournalError::Exists(_))
        ));
        let j = Journal::resume(&path, header("aa")).unwrap();
        assert_eq!(j.confirmed().len(), 2);
        assert_eq!(
            j.fingerprint(&Secret::new("JBSWY3DPEHPK3PXP")),
            fp,
            "salt kept"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("JBSWY3DPEHPK3PXP"));
    }

    #[test]
    fn torn_last_line_is_ignored_and_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut j = Journal::create(&path, header("aa")).unwrap();
        j.append(vec![entry(2)]).unwrap();
        drop(j);
        let good_len = std::fs::metadata(&path).unwrap().len();
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"type":"batch","records":[{"line":3,"us"#)
            .unwrap();
        drop(f);
        let mut j = Journal::resume(&path, header("aa")).unwrap();
        assert_eq!(j.confirmed().keys().copied().collect::<Vec<_>>(), vec![2]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), good_len);
        j.append(vec![entry(3)]).unwrap();
        drop(j);
        let j = Journal::resume(&path, header("aa")).unwrap();
        assert_eq!(j.confirmed().len(), 2);
    }

    #[test]
    fn damage_before_the_last_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut j = Journal::create(&path, header("aa")).unwrap();
        j.append(vec![entry(2)]).unwrap();
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"garbage\n{\"type\":\"batch\",\"records\":[]}\n")
            .unwrap();
        drop(f);
        let err = Journal::resume(&path, header("aa")).unwrap_err();
        assert!(
            matches!(err, JournalError::Damaged { line: 3, .. }),
            "{err}"
        );
    }

    #[test]
    fn journal_for_another_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        Journal::create(&path, header("aa")).unwrap();
        let err = Journal::resume(&path, header("bb")).unwrap_err();
        assert!(matches!(err, JournalError::Mismatch { .. }), "{err}");
    }

    #[test]
    fn torn_header_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        std::fs::write(&path, br#"{"type":"header","vers"#).unwrap();
        let j = Journal::resume(&path, header("aa")).unwrap();
        assert!(j.confirmed().is_empty());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("{\"type\":\"header\"") && text.ends_with('\n'));
    }
}
