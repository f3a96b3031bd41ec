//! Streaming readers for the supported input formats.
//!
//! Every reader yields one [`RawRecord`] at a time and holds at most one record in
//! memory (the Keycloak reader parses on a thread behind a small bounded channel), so
//! memory stays flat however large the file. While reading, the bytes go through a
//! [`DigestReader`] so the file's size and SHA-256 (its identity in the journal) come
//! for free with the pass.

mod csv;
mod jsonl;
mod keycloak;
mod otpauth;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::record::RawRecord;

pub use keycloak::KeycloakIdentifier;
pub use otpauth::parse_uri;

/// The input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// CSV with a header row: `userId|email|username|phone|externalId, secret, recoveryCode`.
    Csv,
    /// JSON Lines: one object per line with the same field names as the CSV columns.
    Jsonl,
    /// One `otpauth://totp/...` URI per line, optionally preceded by an Authing user id.
    Otpauth,
    /// A Keycloak realm (or users) export: `{"users":[...]}`.
    Keycloak,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Otpauth => "otpauth",
            Format::Keycloak => "keycloak",
        }
    }

    /// The format implied by a file name's extension, if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "txt" | "uri" | "uris" => Some(Format::Otpauth),
            "json" => Some(Format::Keycloak),
            _ => None,
        }
    }
}

/// Reader options that change which user a record names (recorded in the journal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputOptions {
    pub keycloak_identifier: KeycloakIdentifier,
}

impl Default for InputOptions {
    fn default() -> Self {
        Self {
            keycloak_identifier: KeycloakIdentifier::Username,
        }
    }
}

/// Size and SHA-256 of a file, accumulated while it is read.
#[derive(Debug, Default)]
struct DigestState {
    hasher: Sha256,
    size: u64,
    eof: bool,
}

/// The identity of an input file: its size and the SHA-256 of its content.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileIdentity {
    pub size: u64,
    pub sha256: String,
}

/// Handle on the digest of a file being read by a [`RecordStream`].
#[derive(Debug, Clone, Default)]
pub struct DigestHandle(Arc<Mutex<DigestState>>);

impl DigestHandle {
    /// The identity, once the reader has reached the end of the file.
    pub fn identity(&self) -> Option<FileIdentity> {
        let state = self.0.lock().expect("digest lock");
        state.eof.then(|| FileIdentity {
            size: state.size,
            sha256: crate::hex(&state.hasher.clone().finalize()),
        })
    }
}

/// A `Read` adapter feeding every byte read into the file digest.
pub struct DigestReader<R> {
    inner: R,
    state: DigestHandle,
}

impl<R: Read> Read for DigestReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut state = self.state.0.lock().expect("digest lock");
        if n == 0 && !buf.is_empty() {
            state.eof = true;
        }
        state.hasher.update(&buf[..n]);
        state.size += n as u64;
        Ok(n)
    }
}

/// A stream of records from one input file.
pub struct RecordStream {
    inner: Box<dyn Iterator<Item = RawRecord> + Send>,
    digest: DigestHandle,
}

impl RecordStream {
    /// The file's identity; `None` until the stream has been read to its end.
    pub fn identity(&self) -> Option<FileIdentity> {
        self.digest.identity()
    }
}

impl Iterator for RecordStream {
    type Item = RawRecord;
    fn next(&mut self) -> Option<RawRecord> {
        self.inner.next()
    }
}

/// Opens `path` as `format`.
pub fn open(path: &Path, format: Format, options: InputOptions) -> io::Result<RecordStream> {
    let file = File::open(path)?;
    Ok(from_reader(file, format, options))
}

/// Reads records of `format` from any reader (used by tests and by [`open`]).
pub fn from_reader(
    reader: impl Read + Send + 'static,
    format: Format,
    options: InputOptions,
) -> RecordStream {
    let digest = DigestHandle::default();
    let reader = BufReader::with_capacity(
        64 * 1024,
        DigestReader {
            inner: reader,
            state: digest.clone(),
        },
    );
    let inner: Box<dyn Iterator<Item = RawRecord> + Send> = match format {
        Format::Csv => Box::new(csv::CsvRecords::new(reader)),
        Format::Jsonl => Box::new(jsonl::records(reader)),
        Format::Otpauth => Box::new(otpauth::records(reader)),
        Format::Keycloak => Box::new(keycloak::KeycloakRecords::spawn(
            reader,
            options.keycloak_identifier,
        )),
    };
    RecordStream { inner, digest }
}

/// Records of a line-based format (JSON Lines, otpauth URIs): `parse` turns a line
/// into a record, or `None` to skip it; a line that is not UTF-8 becomes a problem
/// on `field`, and a read error a fatal problem that ends the stream.
pub(crate) struct LineRecords<R> {
    lines: Lines<R>,
    field: &'static str,
    parse: fn(u64, &str) -> Option<RawRecord>,
}

impl<R: io::BufRead> LineRecords<R> {
    pub fn new(reader: R, field: &'static str, parse: fn(u64, &str) -> Option<RawRecord>) -> Self {
        Self {
            lines: Lines::new(reader),
            field,
            parse,
        }
    }
}

impl<R: io::BufRead> Iterator for LineRecords<R> {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        loop {
            match self.lines.next()? {
                LineItem::NotUtf8(line) => {
                    return Some(RawRecord::at(line).problem(self.field, "not valid UTF-8"))
                }
                LineItem::TooLong(line) => {
                    return Some(RawRecord::at(line).problem(
                        self.field,
                        format!("longer than {} KiB; not read", MAX_LINE / 1024),
                    ))
                }
                LineItem::IoError(line, kind) => {
                    let mut r = RawRecord::at(line).problem("file", format!("read error: {kind}"));
                    r.fatal = true;
                    return Some(r);
                }
                LineItem::Text(line, text) => {
                    if let Some(record) = (self.parse)(line, &text) {
                        return Some(record);
                    }
                }
            }
        }
    }
}

/// Reads text lines as bytes so invalid UTF-8 becomes a problem on that line
/// instead of an I/O error that ends the stream (shared by the line-based formats).
struct Lines<R> {
    reader: R,
    line: u64,
    buf: Vec<u8>,
    failed: bool,
}

/// The longest line the line-based formats read; a record is a few hundred bytes,
/// and a longer line (a corrupted export) is skipped, not held in memory.
pub const MAX_LINE: usize = 64 * 1024;

/// One line from [`Lines`]: its number and text, or an error kind without content.
enum LineItem {
    Text(u64, String),
    NotUtf8(u64),
    TooLong(u64),
    IoError(u64, io::ErrorKind),
}

impl<R: io::BufRead> Lines<R> {
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            line: 0,
            buf: Vec::new(),
            failed: false,
        }
    }
}

impl<R: io::BufRead> Iterator for Lines<R> {
    type Item = LineItem;
    fn next(&mut self) -> Option<LineItem> {
        if self.failed {
            return None;
        }
        self.buf.clear();
        match read_line(&mut self.reader, &mut self.buf) {
            Ok((0, _)) => None,
            Ok((_, true)) => {
                self.line += 1;
                self.buf.clear();
                Some(LineItem::TooLong(self.line))
            }
            Ok(_) => {
                self.line += 1;
                let bytes = std::mem::take(&mut self.buf);
                match String::from_utf8(bytes) {
                    Ok(mut text) => {
                        // The line may hold a secret: keep it in memory only as long as needed.
                        while text.ends_with(['\n', '\r']) {
                            text.pop();
                        }
                        Some(LineItem::Text(self.line, text))
                    }
                    Err(_) => Some(LineItem::NotUtf8(self.line)),
                }
            }
            Err(e) => {
                // A read error ends the stream: nothing after it can be trusted.
                self.failed = true;
                self.line += 1;
                Some(LineItem::IoError(self.line, e.kind()))
            }
        }
    }
}

/// Reads up to and including the next `\n` into `buf`, keeping at most [`MAX_LINE`]
/// bytes; returns the bytes consumed and whether the line was longer.
fn read_line(reader: &mut impl io::BufRead, buf: &mut Vec<u8>) -> io::Result<(usize, bool)> {
    let (mut consumed, mut long) = (0usize, false);
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((consumed, long));
        }
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let n = chunk.len();
        if buf.len() + n > MAX_LINE {
            long = true;
            buf.clear();
        } else if !long {
            buf.extend_from_slice(chunk);
        }
        reader.consume(n);
        consumed += n;
        if done {
            return Ok((consumed, long));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlong_line_is_a_problem_on_its_line_and_the_next_line_is_read() {
        let text = format!(
            "{{\"userId\":\"u1\",\"secret\":\"{}\"}}\n{{\"userId\":\"u2\",\"secret\":\"AAAA\"}}\n",
            "A".repeat(3 * MAX_LINE)
        );
        let recs: Vec<RawRecord> = from_reader(
            io::Cursor::new(text),
            Format::Jsonl,
            InputOptions::default(),
        )
        .collect();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].line, 1);
        assert!(recs[0].problems[0].reason.starts_with("longer than 64 KiB"));
        assert_eq!(recs[1].line, 2);
        assert!(recs[1].problems.is_empty());
    }
}
