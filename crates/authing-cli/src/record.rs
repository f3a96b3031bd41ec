//! What every input format is turned into before validation, and the problem type
//! every later stage reports with.

use std::fmt;

pub use authing::Secret;

/// How a record names its user. Only [`IdKind::UserId`] can be sent to `importOtp`;
/// the others are resolved to an Authing user id through `get-user` first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdKind {
    UserId,
    Email,
    Username,
    Phone,
    ExternalId,
}

impl IdKind {
    pub const ALL: [IdKind; 5] = [
        IdKind::UserId,
        IdKind::Email,
        IdKind::Username,
        IdKind::Phone,
        IdKind::ExternalId,
    ];

    /// The column / JSON field name used in inputs and reports.
    pub fn field(self) -> &'static str {
        match self {
            IdKind::UserId => "userId",
            IdKind::Email => "email",
            IdKind::Username => "username",
            IdKind::Phone => "phone",
            IdKind::ExternalId => "externalId",
        }
    }

    pub fn from_field(name: &str) -> Option<IdKind> {
        IdKind::ALL.into_iter().find(|k| k.field() == name)
    }
}

/// A user identifier as found in the input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identifier {
    pub kind: IdKind,
    pub value: String,
}

impl Identifier {
    pub fn new(kind: IdKind, value: impl Into<String>) -> Self {
        Self {
            kind,
            value: value.into(),
        }
    }

    /// The key under which two records name the same user. E-mail addresses are
    /// compared case-insensitively (as mail systems and Authing treat them).
    pub fn dedup_key(&self) -> String {
        match self.kind {
            IdKind::Email => format!("{}:{}", self.kind.field(), self.value.to_lowercase()),
            _ => format!("{}:{}", self.kind.field(), self.value),
        }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.kind.field(), self.value)
    }
}

/// TOTP parameters an input may state. `None` means "not stated" (the authenticator
/// default: TOTP, SHA-1, 6 digits, 30 s — the only one Authing can carry).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OtpParams {
    /// `totp` or `hotp`, as written.
    pub kind: Option<String>,
    pub algorithm: Option<String>,
    pub digits: Option<String>,
    pub period: Option<String>,
}

/// One input record before validation. `problems` holds what the reader already
/// found wrong (an unparseable line is still one record, with a problem).
#[derive(Debug, Default)]
pub struct RawRecord {
    /// 1-based line in the input file where the record starts.
    pub line: u64,
    /// Every identifier the record states; validation requires exactly one.
    pub identifiers: Vec<Identifier>,
    /// The secret as written (base32 text; readers of raw-secret formats encode first).
    pub secret: Option<Secret>,
    pub recovery_code: Option<Secret>,
    pub params: OtpParams,
    pub problems: Vec<Problem>,
    /// The file cannot be read past this point (bad header, broken JSON, I/O error):
    /// the run stops even with `--skip-invalid`.
    pub fatal: bool,
}

impl RawRecord {
    pub fn at(line: u64) -> Self {
        Self {
            line,
            ..Self::default()
        }
    }

    pub fn problem(mut self, field: &str, reason: impl Into<String>) -> Self {
        self.problems.push(Problem::new(self.line, field, reason));
        self
    }
}

/// A problem with one record. Never holds a secret or any fragment of one: reasons
/// are written by this crate, never copied from a parser's error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub field: String,
    pub reason: String,
}

impl Problem {
    pub fn new(line: u64, field: &str, reason: impl Into<String>) -> Self {
        Self {
            line,
            field: field.to_string(),
            reason: reason.into(),
        }
    }

    /// `FILE:LINE: field: reason`, the form editors and CI annotate from.
    pub fn display_in<'a>(&'a self, file: &'a str) -> impl fmt::Display + 'a {
        DisplayIn {
            problem: self,
            file,
        }
    }
}

struct DisplayIn<'a> {
    problem: &'a Problem,
    file: &'a str,
}

impl fmt::Display for DisplayIn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.problem.line, self.problem.field, self.problem.reason
        )
    }
}

/// Treats empty or all-blank strings as absent: spreadsheets write empty cells for
/// optional columns.
pub fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}
