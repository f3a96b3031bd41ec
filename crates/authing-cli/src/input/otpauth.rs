//! `otpauth://` URI list input (the Key URI format of Google Authenticator).
//!
//! One URI per line; blank lines and lines starting with `#` are skipped. The user is
//! named by one simple rule:
//!
//! * `otpauth://totp/Issuer:alice@example.com?secret=...` — the account part of the
//!   label (after the optional `Issuer:` prefix) is an **e-mail** if it contains `@`,
//!   otherwise a **username**; it is resolved to an Authing user id before import.
//! * `USER_ID otpauth://totp/...` — a leading Authing user id, separated from the URI
//!   by spaces or a tab, names the user explicitly and the label is ignored.

use std::io::BufRead;

use percent_encoding::percent_decode_str;

use super::LineRecords;
use crate::record::{IdKind, Identifier, RawRecord, Secret};

/// Records of an otpauth URI list; blank lines and `#` comments are skipped.
pub fn records<R: BufRead>(reader: R) -> LineRecords<R> {
    LineRecords::new(reader, "uri", |line, text| {
        let trimmed = text.trim();
        (!trimmed.is_empty() && !trimmed.starts_with('#')).then(|| parse_line(line, trimmed))
    })
}

/// The parameters of Google's Key URI format.
const KNOWN_PARAMETERS: [&str; 7] = [
    "secret",
    "issuer",
    "algorithm",
    "digits",
    "period",
    "counter",
    "image",
];

fn parse_line(line: u64, text: &str) -> RawRecord {
    if starts_with_scheme(text) {
        return parse_uri(line, text, None);
    }
    match text.split_once([' ', '\t']) {
        Some((user_id, rest)) if starts_with_scheme(rest.trim_start()) => {
            parse_uri(line, rest.trim_start(), Some(user_id))
        }
        _ => RawRecord::at(line)
            .problem("uri", "expected `otpauth://...` or `USER_ID otpauth://...`"),
    }
}

fn starts_with_scheme(text: &str) -> bool {
    text.get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case("otpauth://"))
}

/// Parses one `otpauth://` URI. With `user_id`, that names the user; otherwise the
/// label's account part does (see the module documentation).
pub fn parse_uri(line: u64, uri: &str, user_id: Option<&str>) -> RawRecord {
    let mut record = RawRecord::at(line);
    // url's errors are fixed strings that never quote the input.
    let Ok(url) = url::Url::parse(uri) else {
        return record.problem("uri", "not a valid URI");
    };
    if !url.scheme().eq_ignore_ascii_case("otpauth") {
        return record.problem("uri", "not an otpauth:// URI");
    }
    match url.host_str() {
        Some(kind) if !kind.is_empty() => record.params.kind = Some(kind.to_ascii_lowercase()),
        _ => return record.problem("type", "missing (expected otpauth://totp/...)"),
    }

    if let Some(id) = user_id {
        record.identifiers.push(Identifier::new(IdKind::UserId, id));
    } else {
        let label = percent_decode_str(url.path().trim_start_matches('/')).decode_utf8_lossy();
        let account = match label.split_once(':') {
            Some((_issuer, account)) => account.trim(),
            None => label.trim(),
        };
        if account.is_empty() {
            record = record.problem("label", "no account name in the label");
        } else if account.contains('@') {
            record
                .identifiers
                .push(Identifier::new(IdKind::Email, account));
        } else {
            record
                .identifiers
                .push(Identifier::new(IdKind::Username, account));
        }
    }

    let mut seen: Vec<String> = Vec::new();
    for (key, value) in url.query_pairs() {
        let value = value.trim();
        let key = key.to_ascii_lowercase();
        if seen.contains(&key) {
            // Which of two values an app used is unknowable: refuse rather than pick.
            // Only known names are echoed (an unknown one may be a pasted secret).
            let name = KNOWN_PARAMETERS
                .iter()
                .find(|k| **k == key)
                .map_or("a parameter".to_string(), |k| format!("`{k}`"));
            record.secret = None;
            return record.problem(
                "uri",
                format!("{name} appears more than once; which one the app used is ambiguous"),
            );
        }
        seen.push(key.clone());
        match key.as_str() {
            "secret" => record.secret = Some(Secret::new(value)),
            "algorithm" => record.params.algorithm = Some(value.to_string()),
            "digits" => record.params.digits = Some(value.to_string()),
            "period" => record.params.period = Some(value.to_string()),
            // issuer, image, counter (HOTP, rejected via the type) and others carry
            // nothing Authing can store.
            _ => {}
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_account_is_email_or_username() {
        let r = parse_line(
            3,
            "otpauth://totp/ACME%20Co:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30",
        );
        assert!(r.problems.is_empty());
        assert_eq!(r.line, 3);
        assert_eq!(
            r.identifiers,
            vec![Identifier::new(IdKind::Email, "alice@example.com")]
        );
        assert_eq!(r.secret.unwrap().expose_secret(), "JBSWY3DPEHPK3PXP");
        assert_eq!(r.params.kind.as_deref(), Some("totp"));
        assert_eq!(r.params.algorithm.as_deref(), Some("SHA1"));
        assert_eq!(r.params.digits.as_deref(), Some("6"));
        assert_eq!(r.params.period.as_deref(), Some("30"));

        let r = parse_line(1, "otpauth://totp/bob?secret=JBSWY3DPEHPK3PXP");
        assert_eq!(
            r.identifiers,
            vec![Identifier::new(IdKind::Username, "bob")]
        );
        let r = parse_line(1, "otpauth://totp/Issuer%3A%20carol?secret=X");
        assert_eq!(
            r.identifiers,
            vec![Identifier::new(IdKind::Username, "carol")]
        );
    }

    #[test]
    fn leading_user_id_wins_over_label() {
        let r = parse_line(
            1,
            "64f0c0ffee\totpauth://totp/X:alice@example.com?secret=AAAA",
        );
        assert_eq!(
            r.identifiers,
            vec![Identifier::new(IdKind::UserId, "64f0c0ffee")]
        );
    }

    #[test]
    fn hotp_and_parameters_are_carried_for_validation() {
        let r = parse_line(1, "otpauth://HOTP/a?secret=AAAA&counter=3&digits=8");
        assert_eq!(r.params.kind.as_deref(), Some("hotp"));
        assert_eq!(r.params.digits.as_deref(), Some("8"));
    }

    #[test]
    fn garbage_is_a_problem_without_echo() {
        let r = parse_line(9, "JBSWY3DPEHPK3PXPSECRET");
        assert_eq!(r.problems[0].field, "uri");
        assert!(!r.problems[0].reason.contains("SECRET"));
        let r = parse_line(9, "https://example.com/?secret=JBSWY3DPEHPK3PXPSECRET");
        assert!(r.problems[0].reason.contains("otpauth"));
        assert!(!r.problems[0].reason.contains("SECRET"));
        let r = parse_line(9, "otpauth://totp/?secret=AAAA");
        assert_eq!(r.problems[0].field, "label");
    }

    #[test]
    fn a_repeated_parameter_is_refused_without_echo() {
        let r = parse_line(
            4,
            "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&SECRET=KRSXG5CTMVRXEZLU",
        );
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].line, 4);
        assert!(r.problems[0]
            .reason
            .contains("`secret` appears more than once"));
        assert!(r.secret.is_none());
        let r = parse_line(4, "otpauth://totp/a?secret=AAAA&digits=6&digits=8");
        assert!(r.problems[0].reason.contains("`digits`"));
        let r = parse_line(4, "otpauth://totp/a?secret=AAAA&JBSWY3DP=1&JBSWY3DP=2");
        assert!(r.problems[0].reason.starts_with("a parameter appears"));
        assert!(!r.problems[0].reason.contains("JBSW"));
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let text = "# exported\n\notpauth://totp/a?secret=AAAA\n";
        let recs: Vec<_> = records(text.as_bytes()).collect();
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].line, 3);
    }
}
