//! Checks that run before anything is sent.
//!
//! A wrong secret locks a user out, so everything Authing could not reproduce exactly
//! is rejected: only TOTP with SHA-1, 6 digits and a 30 s period can be carried by
//! `importOtp` (the API has no fields for anything else), and the secret must be
//! canonical RFC 4648 base32 of at least 80 bits (RFC 4226's minimum; 128 or more is
//! recommended and anything less draws a warning).

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::base32;
use crate::record::{IdKind, Identifier, Problem, RawRecord, Secret};

/// RFC 4226 section 4: the shared secret must be at least 128 bits; 160 recommended.
/// Many providers issued 80-bit secrets (16 base32 characters, Google's old default),
/// which still work, so 80 is the hard floor and below 128 is a warning.
pub const MIN_SECRET_BITS: usize = 80;
pub const RECOMMENDED_SECRET_BITS: usize = 128;
/// No authenticator issues more than 512 bits (SHA-512's block); past 1024 the
/// "secret" is a corrupted export, not a key.
pub const MAX_SECRET_BITS: usize = 1024;

/// A record that may be sent.
#[derive(Debug, Clone)]
pub struct ValidRecord {
    pub line: u64,
    pub identifier: Identifier,
    /// Canonical base32: upper case, no spaces, no padding.
    pub secret: Secret,
    pub recovery_code: Option<Secret>,
}

/// The result of validating one record.
#[derive(Debug)]
pub struct Checked {
    pub line: u64,
    /// The identifier to report under, when the record has one.
    pub identifier: Option<Identifier>,
    pub result: Result<ValidRecord, Vec<Problem>>,
    pub warnings: Vec<Problem>,
    pub fatal: bool,
}

/// Validates one record (everything except duplicates, which need the whole file).
pub fn check(raw: RawRecord) -> Checked {
    let RawRecord {
        line,
        identifiers,
        secret,
        recovery_code,
        params,
        mut problems,
        fatal,
    } = raw;
    let mut warnings = Vec::new();
    let identifier = identifiers.first().cloned();

    // Identifier: exactly one.
    let ident = match identifiers.as_slice() {
        [] => {
            problems.push(Problem::new(
                line,
                "userId",
                "no user identifier (set one of userId, email, username, phone, externalId)",
            ));
            None
        }
        [one] => check_identifier(line, one, &mut problems).then(|| one.clone()),
        [first, second, ..] => {
            problems.push(Problem::new(
                line,
                second.kind.field(),
                format!(
                    "more than one user identifier ({} and {}); set exactly one",
                    first.kind.field(),
                    second.kind.field()
                ),
            ));
            None
        }
    };

    // Secret.
    let canonical = match secret {
        None => {
            if !problems.iter().any(|p| p.field == "secret") {
                problems.push(Problem::new(line, "secret", "missing"));
            }
            None
        }
        // Measured before anything is decoded or copied: a 10 MB "secret" must not be.
        Some(secret) if secret.expose_secret().len() > MAX_SECRET_TEXT => {
            problems.push(too_long(line));
            None
        }
        Some(secret) => {
            let normalized = Secret::new(base32::normalize(secret.expose_secret()));
            match base32::decode(normalized.expose_secret()) {
                Err(e) => {
                    problems.push(Problem::new(line, "secret", e.to_string()));
                    None
                }
                Ok(mut bytes) => {
                    let bits = bytes.len() * 8;
                    // The decoded key is a secret too; `zeroize` writes the zeros in a
                    // way the compiler may not remove as a dead store.
                    bytes.zeroize();
                    if bits > MAX_SECRET_BITS {
                        problems.push(too_long(line));
                        None
                    } else if bits < MIN_SECRET_BITS {
                        problems.push(Problem::new(
                            line,
                            "secret",
                            format!("too short: {bits} bits (at least {MIN_SECRET_BITS} required)"),
                        ));
                        None
                    } else {
                        if bits < RECOMMENDED_SECRET_BITS {
                            warnings.push(Problem::new(
                                line,
                                "secret",
                                format!("only {bits} bits ({RECOMMENDED_SECRET_BITS} or more recommended)"),
                            ));
                        }
                        Some(normalized)
                    }
                }
            }
        }
    };

    // TOTP parameters Authing cannot carry: the user's app would keep generating codes
    // that Authing computes differently, i.e. the user is locked out.
    if let Some(kind) = params.kind.as_deref() {
        match kind.to_ascii_lowercase().as_str() {
            "totp" => {}
            "hotp" => problems.push(Problem::new(
                line,
                "type",
                "HOTP (counter-based) cannot be imported: Authing's OTP is TOTP; the user would be locked out",
            )),
            _ => problems.push(Problem::new(line, "type", "unknown OTP type (expected totp)")),
        }
    }
    if let Some(alg) = params.algorithm.as_deref() {
        let norm: String = alg
            .to_ascii_uppercase()
            .replace("HMAC", "")
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect();
        match norm.as_str() {
            "SHA1" => {}
            "SHA256" | "SHA512" => problems.push(Problem::new(
                line,
                "algorithm",
                format!("{norm} cannot be imported: Authing computes TOTP with SHA1; the user would be locked out"),
            )),
            _ => problems.push(Problem::new(line, "algorithm", "unknown (expected SHA1)")),
        }
    }
    check_number(line, "digits", params.digits.as_deref(), 6, &mut problems);
    check_number(line, "period", params.period.as_deref(), 30, &mut problems);

    if let Some(code) = &recovery_code {
        if code.expose_secret().chars().any(char::is_control) {
            problems.push(Problem::new(
                line,
                "recoveryCode",
                "contains control characters",
            ));
        }
    }

    let result = match (ident, canonical) {
        (Some(identifier), Some(secret)) if problems.is_empty() => Ok(ValidRecord {
            line,
            identifier,
            secret,
            recovery_code,
        }),
        _ => Err(problems),
    };
    Checked {
        line,
        identifier,
        result,
        warnings,
        fatal,
    }
}

/// The longest secret text looked at: 1024 bits of base32 with generous room for the
/// spaces and padding `normalize` removes.
const MAX_SECRET_TEXT: usize = 4 * MAX_SECRET_BITS / 5;

fn too_long(line: u64) -> Problem {
    Problem::new(
        line,
        "secret",
        format!("too long: more than {MAX_SECRET_BITS} bits (a corrupted export?)"),
    )
}

fn check_identifier(line: u64, id: &Identifier, problems: &mut Vec<Problem>) -> bool {
    let field = id.kind.field();
    let before = problems.len();
    if id
        .value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        problems.push(Problem::new(line, field, "contains whitespace"));
    }
    match id.kind {
        IdKind::Email if !id.value.contains('@') => {
            problems.push(Problem::new(line, field, "not an e-mail address"))
        }
        IdKind::Phone
            if !id.value.chars().any(|c| c.is_ascii_digit())
                || !id
                    .value
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')')) =>
        {
            problems.push(Problem::new(line, field, "not a phone number"))
        }
        _ => {}
    }
    problems.len() == before
}

fn check_number(
    line: u64,
    field: &str,
    value: Option<&str>,
    required: u32,
    problems: &mut Vec<Problem>,
) {
    let Some(value) = value else { return };
    match value.trim().parse::<u32>() {
        Ok(n) if n == required => {}
        Ok(n) => problems.push(Problem::new(
            line,
            field,
            format!("{n} cannot be imported: Authing's TOTP uses {required}; the user would be locked out"),
        )),
        Err(_) => problems.push(Problem::new(line, field, "not a number")),
    }
}

/// Finds records that name the same user as they come (the sending pass's check of
/// resolved user ids). Remembers a 128-bit hash of each identifier (not the
/// identifier); the validation pass uses [`crate::duplicates`] instead, whose memory
/// does not grow with the file.
#[derive(Debug, Default)]
pub struct Dedup {
    first_line: HashMap<u128, u64>,
}

impl Dedup {
    fn key(text: &str) -> u128 {
        let digest = Sha256::digest(text.as_bytes());
        u128::from_be_bytes(digest[..16].try_into().expect("16 bytes"))
    }

    /// Records `identifier` at `line`; returns the earlier line naming the same user.
    pub fn insert(&mut self, identifier: &Identifier, line: u64) -> Option<u64> {
        self.insert_key(&identifier.dedup_key(), line)
    }

    /// Same for an already-resolved Authing user id.
    pub fn insert_user_id(&mut self, user_id: &str, line: u64) -> Option<u64> {
        self.insert_key(&format!("userId:{user_id}"), line)
    }

    fn insert_key(&mut self, key: &str, line: u64) -> Option<u64> {
        match self.first_line.entry(Self::key(key)) {
            std::collections::hash_map::Entry::Occupied(e) if *e.get() != line => Some(*e.get()),
            std::collections::hash_map::Entry::Occupied(_) => None,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(line);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::OtpParams;

    fn raw(line: u64, id: Option<(IdKind, &str)>, secret: Option<&str>) -> RawRecord {
        RawRecord {
            line,
            identifiers: id.map(|(k, v)| Identifier::new(k, v)).into_iter().collect(),
            secret: secret.map(Secret::new),
            ..RawRecord::default()
        }
    }

    const GOOD: &str = "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp===="; // 160 bits

    #[test]
    fn valid_record_gets_canonical_secret() {
        let c = check(raw(2, Some((IdKind::UserId, "u1")), Some(GOOD)));
        let v = c.result.unwrap();
        assert_eq!(v.secret.expose_secret(), "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn secret_length_rules() {
        // 80 bits: accepted with a warning.
        let c = check(raw(
            2,
            Some((IdKind::UserId, "u1")),
            Some("HZ2F6J3AGNAVSOTV"),
        ));
        assert!(c.result.is_ok());
        assert_eq!(c.warnings[0].field, "secret");
        assert!(c.warnings[0].reason.contains("80 bits"));
        // 40 bits: rejected.
        let c = check(raw(2, Some((IdKind::UserId, "u1")), Some("HZ2F6J3A")));
        let p = c.result.unwrap_err();
        assert!(p[0].reason.contains("too short"), "{p:?}");
        // Not base32 at all.
        let c = check(raw(
            3,
            Some((IdKind::UserId, "u1")),
            Some("JBSWY3DPEHPK3PX1"),
        ));
        let p = c.result.unwrap_err();
        assert_eq!(p[0].field, "secret");
        assert!(!p[0].reason.contains("JBSW"));
        let c = check(raw(3, Some((IdKind::UserId, "u1")), None));
        assert_eq!(c.result.unwrap_err()[0].reason, "missing");
        // 1024 bits pass, more do not, and a 10 MB "secret" is refused unread.
        let max = crate::base32::encode(&[7u8; MAX_SECRET_BITS / 8]);
        assert!(check(raw(3, Some((IdKind::UserId, "u1")), Some(&max)))
            .result
            .is_ok());
        let over = crate::base32::encode(&[7u8; MAX_SECRET_BITS / 8 + 5]);
        for text in [over, "A".repeat(10 << 20)] {
            let p = check(raw(3, Some((IdKind::UserId, "u1")), Some(&text)))
                .result
                .unwrap_err();
            assert_eq!((p[0].line, p[0].field.as_str()), (3, "secret"));
            assert!(p[0].reason.starts_with("too long"), "{p:?}");
        }
    }

    #[test]
    fn identifier_rules() {
        let c = check(raw(4, None, Some(GOOD)));
        assert_eq!(c.result.unwrap_err()[0].field, "userId");
        let mut r = raw(4, Some((IdKind::UserId, "u1")), Some(GOOD));
        r.identifiers.push(Identifier::new(IdKind::Email, "a@b.c"));
        assert!(c_err(r).contains("more than one"));
        assert!(c_err(raw(4, Some((IdKind::Email, "nope")), Some(GOOD))).contains("e-mail"));
        assert!(c_err(raw(4, Some((IdKind::Phone, "abc")), Some(GOOD))).contains("phone"));
        assert!(
            check(raw(4, Some((IdKind::Phone, "+86-13800000000")), Some(GOOD)))
                .result
                .is_ok()
        );
    }

    fn c_err(r: RawRecord) -> String {
        check(r).result.unwrap_err()[0].reason.clone()
    }

    #[test]
    fn parameters_authing_cannot_carry_are_rejected() {
        let with = |params: OtpParams| {
            let mut r = raw(5, Some((IdKind::UserId, "u")), Some(GOOD));
            r.params = params;
            check(r).result.map(|_| ()).map_err(|p| p[0].field.clone())
        };
        let ok = OtpParams {
            kind: Some("TOTP".into()),
            algorithm: Some("HmacSHA1".into()),
            digits: Some("6".into()),
            period: Some("30".into()),
        };
        assert_eq!(with(ok.clone()), Ok(()));
        assert_eq!(
            with(OtpParams {
                algorithm: Some("SHA-1".into()),
                ..ok.clone()
            }),
            Ok(())
        );
        assert_eq!(
            with(OtpParams {
                kind: Some("hotp".into()),
                ..ok.clone()
            }),
            Err("type".into())
        );
        assert_eq!(
            with(OtpParams {
                algorithm: Some("SHA256".into()),
                ..ok.clone()
            }),
            Err("algorithm".into())
        );
        assert_eq!(
            with(OtpParams {
                digits: Some("8".into()),
                ..ok.clone()
            }),
            Err("digits".into())
        );
        assert_eq!(
            with(OtpParams {
                period: Some("60".into()),
                ..ok
            }),
            Err("period".into())
        );
    }

    #[test]
    fn dedup_names_the_first_line_and_folds_email_case() {
        let mut d = Dedup::default();
        assert_eq!(d.insert(&Identifier::new(IdKind::Email, "A@x.io"), 2), None);
        assert_eq!(
            d.insert(&Identifier::new(IdKind::UserId, "A@x.io"), 3),
            None
        );
        assert_eq!(
            d.insert(&Identifier::new(IdKind::Email, "a@X.io"), 9),
            Some(2)
        );
        assert_eq!(d.insert_user_id("u1", 4), None);
        assert_eq!(
            d.insert_user_id("u1", 4),
            None,
            "same line is not a duplicate"
        );
        assert_eq!(d.insert_user_id("u1", 5), Some(4));
    }
}
