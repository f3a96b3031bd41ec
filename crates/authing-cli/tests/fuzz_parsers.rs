//! Every parser on hostile input: arbitrary bytes, and byte soup made of the
//! format's own fragments (which gets past the first syntax check far more often).
//! No parser may panic, and every problem names the line it is on.
//!
//! `PROPTEST_CASES` sets the cases per parser (default 2000, what CI runs); a long
//! run: `PROPTEST_CASES=1000000 cargo test --release -p authing-cli --test fuzz_parsers`.

use std::io::Cursor;

use authing_cli::input::{self, Format, InputOptions, KeycloakIdentifier};
use authing_cli::journal::{Header, Journal, JournalError};
use authing_cli::record::RawRecord;
use authing_cli::{base32, validate};
use proptest::prelude::*;
use proptest::test_runner::Config;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    Config {
        cases,
        // No regression files written into the tree (CI runs from a clean clone).
        failure_persistence: None,
        ..Config::default()
    }
}

/// Arbitrary bytes, or a soup of the `fragments` lists' words and arbitrary bytes.
fn hostile(fragments: &[&'static [&'static str]]) -> impl Strategy<Value = Vec<u8>> {
    let words: Vec<&'static str> = fragments.concat();
    let piece = prop_oneof![
        3 => proptest::sample::select(words).prop_map(|f| f.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 0..8),
        1 => Just(b"\n".to_vec()),
    ];
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        proptest::collection::vec(piece, 0..64).prop_map(|p| p.concat()),
    ]
}

/// Lines in `bytes`, counting a last line without a newline.
fn lines(bytes: &[u8]) -> u64 {
    let newlines = bytes.iter().filter(|b| **b == b'\n').count() as u64;
    newlines + u64::from(!bytes.ends_with(b"\n"))
}

/// Reads `bytes` as `format`, validates every record, and checks that each problem
/// and warning names a line of the input, its record's line.
fn check_reader(
    bytes: Vec<u8>,
    format: Format,
    options: InputOptions,
) -> Result<(), TestCaseError> {
    let last = lines(&bytes).max(1);
    let records: Vec<RawRecord> = input::from_reader(Cursor::new(bytes), format, options).collect();
    for record in records {
        let line = record.line;
        prop_assert!(
            (1..=last).contains(&line),
            "record line {} of {}",
            line,
            last
        );
        for p in &record.problems {
            prop_assert_eq!(p.line, line);
        }
        let checked = validate::check(record);
        prop_assert_eq!(checked.line, line);
        if let Err(problems) = &checked.result {
            prop_assert!(!problems.is_empty());
            for p in problems {
                prop_assert_eq!(p.line, line, "{:?}", p);
            }
        }
        for w in &checked.warnings {
            prop_assert_eq!(w.line, line);
        }
    }
    Ok(())
}

/// What every JSON-based format is made of.
const JSON: &[&str] = &["{", "}", "[", "]", ":", ",", "null", "\n"];
const CSV: &[&str] = &[
    "userId",
    "email",
    "username",
    "secret",
    "recoveryCode",
    "digits",
    "period",
    "type",
    "algorithm",
    ",",
    "\"",
    "\"\"",
    "\r\n",
    "\n",
    "JBSWY3DPEHPK3PXP",
    "u1",
    "a@b.c",
    "6",
    "30",
    "SHA1",
    "totp",
    " ",
    "line,outcome,field,reason",
];
const JSONL: &[&str] = &[
    "\"userId\"",
    "\"email\"",
    "\"secret\"",
    "\"recoveryCode\"",
    "\"digits\"",
    "\"JBSWY3DPEHPK3PXP\"",
    "\"u1\"",
    "6",
    "null",
    "true",
    "\"\\u0000\"",
    "1e999",
    "\"",
    "\\",
];
const OTPAUTH: &[&str] = &[
    "otpauth://",
    "totp/",
    "hotp/",
    "Issuer:",
    "alice@example.com",
    "?",
    "&",
    "=",
    "secret",
    "SECRET",
    "issuer",
    "digits",
    "period",
    "algorithm",
    "JBSWY3DPEHPK3PXP",
    "%20",
    "%3A",
    "%",
    "#",
    "u1\t",
    " ",
    "\u{1F600}",
];
const KEYCLOAK: &[&str] = &[
    "\"users\"",
    "\"username\"",
    "\"email\"",
    "\"id\"",
    "\"credentials\"",
    "\"type\"",
    "\"otp\"",
    "\"secretData\"",
    "\"credentialData\"",
    "\"{\\\"value\\\":\\\"abc\\\"}\"",
    "\"{\\\"subType\\\":\\\"totp\\\",\\\"digits\\\":6}\"",
    "\"{\\\"secretEncoding\\\":\\\"BASE32\\\"}\"",
    "\"alice\"",
    "null",
    "1",
    "\n",
];
const JOURNAL: &[&str] = &[
    "\"type\"",
    "\"header\"",
    "\"batch\"",
    "\"records\"",
    "\"line\"",
    "\"userId\"",
    "\"fp\"",
    "\"version\"",
    "1",
    "2",
    "\"u1\"",
    "\"00\"",
    "\n",
    HEADER_LINE,
];
/// A header line matching [`header`], so that fuzzed batch lines get parsed.
const HEADER_LINE: &str = r#"{"type":"header","version":1,"input":{"size":10,"sha256":"aa"},"format":"csv","keycloakIdentifier":"username","salt":"00112233","settings":{}}
"#;

fn header() -> Header {
    let mut v: serde_json::Value = serde_json::from_str(HEADER_LINE).unwrap();
    v.as_object_mut().unwrap().remove("type");
    serde_json::from_value(v).unwrap()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn csv(bytes in hostile(&[CSV])) {
        check_reader(bytes, Format::Csv, InputOptions::default())?;
    }

    #[test]
    fn json_lines(bytes in hostile(&[JSON, JSONL])) {
        check_reader(bytes, Format::Jsonl, InputOptions::default())?;
    }

    #[test]
    fn otpauth(bytes in hostile(&[OTPAUTH])) {
        check_reader(bytes, Format::Otpauth, InputOptions::default())?;
    }

    #[test]
    fn keycloak(bytes in hostile(&[JSON, KEYCLOAK]), by_email in any::<bool>()) {
        let ident = if by_email { KeycloakIdentifier::Email } else { KeycloakIdentifier::Username };
        check_reader(bytes, Format::Keycloak, InputOptions { keycloak_identifier: ident })?;
    }

    #[test]
    fn base32(text in "\\PC{0,64}|[A-Za-z2-7= \t]{0,64}") {
        let normalized = base32::normalize(&text);
        if let Ok(bytes) = base32::decode(&normalized) {
            prop_assert_eq!(base32::encode(&bytes), normalized);
        }
    }

    #[test]
    fn journal(bytes in hostile(&[JSON, JOURNAL])) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        std::fs::write(&path, &bytes).unwrap();
        let last = lines(&bytes).max(1) as usize;
        match Journal::resume(&path, header()) {
            Ok(journal) => {
                // Whatever was accepted is whole lines now, ready for appending.
                let text = std::fs::read(journal.path()).unwrap();
                prop_assert!(text.is_empty() || text.ends_with(b"\n"));
            }
            Err(JournalError::Damaged { line, .. }) => {
                prop_assert!((1..=last).contains(&line), "line {} of {}", line, last);
            }
            Err(JournalError::Mismatch { .. }) => {}
            Err(e) => prop_assert!(false, "{}", e),
        }
    }
}
