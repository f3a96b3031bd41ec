//! Keycloak realm export (`kc.sh export`, or a realm's partial export with users):
//! `{"users":[{"id","username","email","credentials":[{"type":"otp","secretData":"{\"value\":\"…\"}","credentialData":"{\"subType\":\"totp\",…}"}]}]}`.
//!
//! * Each user with an OTP credential is one record, at the line where the user's
//!   object starts; users without one are not records.
//! * The user is named by `--keycloak-identifier`: `username` (default; always set and
//!   unique in a realm), `email`, or `id` (Keycloak's user id, matched against the
//!   Authing user's `externalId`, which is where migrations usually keep it).
//! * The secret: Keycloak stores the shared secret **raw** in `secretData.value` (the
//!   characters themselves are the HMAC key) and base32-encodes it only when it shows
//!   the QR code / `otpauth://` URI. So the raw value's UTF-8 bytes are base32-encoded
//!   here, giving exactly the secret the user's authenticator app holds. When
//!   `credentialData.secretEncoding` is `BASE32` (credentials imported into Keycloak
//!   that way), the value is already base32 and is taken as is.
//! * `credentialData` gives `subType` (totp/hotp), `algorithm` (`HmacSHA1`, …),
//!   `digits` and `period`; validation rejects what Authing cannot carry.
//! * More than one OTP credential for one user is an error: Authing holds one.
//!
//! The document is parsed with a streaming serde visitor on its own thread, handing
//! records over a small bounded channel: one user in memory at a time.

use std::cell::Cell;
use std::fmt;
use std::io::Read;
use std::rc::Rc;
use std::sync::mpsc;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::base32;
use crate::record::{IdKind, Identifier, RawRecord, Secret};

/// Which Keycloak user attribute names the Authing user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeycloakIdentifier {
    /// `username`, resolved as the Authing username.
    Username,
    /// `email`, resolved as the Authing e-mail address.
    Email,
    /// Keycloak's user `id`, resolved as the Authing user's `externalId`.
    Id,
}

impl KeycloakIdentifier {
    pub fn name(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Email => "email",
            Self::Id => "id",
        }
    }
}

pub struct KeycloakRecords {
    rx: mpsc::Receiver<RawRecord>,
}

impl KeycloakRecords {
    pub fn spawn(reader: impl Read + Send + 'static, ident: KeycloakIdentifier) -> Self {
        // Small: the consumer is much slower (network) than the parser.
        let (tx, rx) = mpsc::sync_channel(256);
        std::thread::Builder::new()
            .name("keycloak-reader".into())
            .spawn(move || parse(reader, ident, tx))
            .expect("spawn keycloak reader thread");
        Self { rx }
    }
}

impl Iterator for KeycloakRecords {
    type Item = RawRecord;
    fn next(&mut self) -> Option<RawRecord> {
        self.rx.recv().ok()
    }
}

/// Counts the newlines serde_json has consumed, so records get line numbers.
/// serde_json reads one byte at a time from a `Read` (through our `BufReader`), so
/// the count is exact at any point of the parse.
struct LineCounter<R> {
    inner: R,
    lines: Rc<Cell<u64>>,
    /// Whether the last byte read was a newline.
    ends_with_newline: Rc<Cell<bool>>,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let newlines = buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        self.lines.set(self.lines.get() + newlines);
        if n > 0 {
            self.ends_with_newline.set(buf[n - 1] == b'\n');
        }
        Ok(n)
    }
}

struct Ctx {
    lines: Rc<Cell<u64>>,
    ident: KeycloakIdentifier,
    tx: mpsc::SyncSender<RawRecord>,
    users_seen: Cell<bool>,
}

impl Ctx {
    fn line(&self) -> u64 {
        self.lines.get() + 1
    }
}

/// Marker error text when the consumer went away; not a parse problem.
const STOPPED: &str = "consumer stopped";

fn parse(reader: impl Read, ident: KeycloakIdentifier, tx: mpsc::SyncSender<RawRecord>) {
    let lines = Rc::new(Cell::new(0));
    let ctx = Ctx {
        lines: lines.clone(),
        ident,
        tx: tx.clone(),
        users_seen: Cell::new(false),
    };
    let ends_with_newline = Rc::new(Cell::new(false));
    let mut de = serde_json::Deserializer::from_reader(LineCounter {
        inner: reader,
        lines: lines.clone(),
        ends_with_newline: ends_with_newline.clone(),
    });
    // `end` reads the trailing whitespace to the end of the file (and so completes
    // the file digest) and rejects trailing garbage.
    let result = Root { ctx: &ctx }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    let fatal = match result {
        Err(e) if e.to_string().starts_with(STOPPED) => return,
        // Our own message: serde_json's would quote the offending value.
        // An end of file after a final newline is reported on the line after it,
        // which no editor shows: name the last line instead.
        Err(e) if e.is_eof() && ends_with_newline.get() => Some((
            lines.get(),
            format!(
                "not a valid Keycloak export (the file ends at line {} inside the JSON)",
                lines.get()
            ),
        )),
        // serde_json may have read past a line's end before it fails (the newline
        // ending a number), and then names a line after the last one: name the
        // last line the file has.
        Err(e) if e.line() as u64 > lines.get() + u64::from(!ends_with_newline.get()) => {
            let last = (lines.get() + u64::from(!ends_with_newline.get())).max(1);
            Some((
                last,
                format!("not a valid Keycloak export (JSON error at the end of line {last})"),
            ))
        }
        Err(e) => Some((
            e.line() as u64,
            format!(
                "not a valid Keycloak export (JSON error at line {}, column {})",
                e.line(),
                e.column()
            ),
        )),
        Ok(()) if !ctx.users_seen.get() => Some((
            1,
            "no `users` array (is this a Keycloak realm export?)".to_string(),
        )),
        Ok(()) => None,
    };
    if let Some((line, reason)) = fatal {
        let mut r = RawRecord::at(line.max(1)).problem("file", reason);
        r.fatal = true;
        let _ = tx.send(r);
    }
}

struct Root<'a> {
    ctx: &'a Ctx,
}

impl<'de> DeserializeSeed<'de> for Root<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Root<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Keycloak realm export object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "users" {
                self.ctx.users_seen.set(true);
                map.next_value_seed(Users { ctx: self.ctx })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Users<'a> {
    ctx: &'a Ctx,
}

impl<'de> DeserializeSeed<'de> for Users<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Users<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of users")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(User { ctx: self.ctx })?.is_some() {}
        Ok(())
    }
}

struct User<'a> {
    ctx: &'a Ctx,
}

#[derive(Deserialize)]
struct Credential {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "secretData")]
    secret_data: Option<String>,
    #[serde(rename = "credentialData")]
    credential_data: Option<String>,
}

impl<'de> DeserializeSeed<'de> for User<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for User<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a user object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // The opening brace has been consumed: this is the user's line.
        let line = self.ctx.line();
        let (mut id, mut username, mut email) = (None, None, None);
        let mut otp = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "id" => id = map.next_value::<Option<String>>()?,
                "username" => username = map.next_value::<Option<String>>()?,
                "email" => email = map.next_value::<Option<String>>()?,
                "credentials" => {
                    let creds = map.next_value::<Option<Vec<Credential>>>()?;
                    otp.extend(creds.into_iter().flatten().filter(|c| {
                        matches!(
                            c.kind.as_deref().map(str::to_ascii_lowercase).as_deref(),
                            Some("otp" | "totp" | "hotp")
                        )
                    }));
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if otp.is_empty() {
            return Ok(());
        }
        let (kind, value) = match self.ctx.ident {
            KeycloakIdentifier::Username => (IdKind::Username, username),
            KeycloakIdentifier::Email => (IdKind::Email, email),
            KeycloakIdentifier::Id => (IdKind::ExternalId, id),
        };
        let mut record = RawRecord::at(line);
        match value
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
        {
            Some(v) => record.identifiers.push(Identifier::new(kind, v)),
            None => {
                record = record.problem(
                    self.ctx.ident.name(),
                    "missing on this user (see --keycloak-identifier)",
                )
            }
        }
        if otp.len() > 1 {
            record = record.problem(
                "credentials",
                format!(
                    "{} OTP credentials; Authing holds one per user (remove all but the one in use)",
                    otp.len()
                ),
            );
        } else {
            record = credential(record, &otp[0]);
        }
        self.ctx
            .tx
            .send(record)
            .map_err(|_| de::Error::custom(STOPPED))
    }
}

/// Fills a record from one OTP credential.
fn credential(mut record: RawRecord, cred: &Credential) -> RawRecord {
    let data: serde_json::Map<String, Value> = match cred.credential_data.as_deref() {
        None => Default::default(),
        Some(text) => match serde_json::from_str(text) {
            Ok(Value::Object(m)) => m,
            _ => return record.problem("credentialData", "not a JSON object"),
        },
    };
    let text = |key: &str| match data.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    record.params.kind = text("subType").or_else(|| {
        cred.kind
            .as_deref()
            .filter(|k| !k.eq_ignore_ascii_case("otp"))
            .map(str::to_ascii_lowercase)
    });
    record.params.algorithm = text("algorithm");
    record.params.digits = text("digits");
    record.params.period = text("period");
    let base32_encoded = text("secretEncoding").is_some_and(|e| e.eq_ignore_ascii_case("BASE32"));

    let Some(secret_data) = cred.secret_data.as_deref() else {
        return record.problem(
            "secretData",
            "missing (Keycloak 12 or later export expected)",
        );
    };
    let raw = match serde_json::from_str::<Value>(secret_data) {
        Ok(Value::Object(mut m)) => match m.remove("value") {
            Some(Value::String(s)) => Secret::new(s),
            _ => return record.problem("secretData", "no string `value`"),
        },
        _ => return record.problem("secretData", "not a JSON object"),
    };
    if raw.expose_secret().is_empty() {
        return record.problem("secret", "is empty");
    }
    record.secret = Some(if base32_encoded {
        raw
    } else {
        Secret::new(base32::encode(raw.expose_secret().as_bytes()))
    });
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, ident: KeycloakIdentifier) -> Vec<RawRecord> {
        KeycloakRecords::spawn(std::io::Cursor::new(text.to_string()), ident).collect()
    }

    const EXPORT: &str = r#"{
  "realm": "acme",
  "users": [
    {
      "id": "kc-1",
      "username": "alice",
      "email": "alice@example.com",
      "attributes": {"x": ["y"]},
      "credentials": [
        {"type": "password", "secretData": "{\"value\":\"hash\"}", "credentialData": "{}"},
        {"type": "otp", "userLabel": "phone",
         "secretData": "{\"value\":\"Ab3dEf6hIj9kLm2nOp4q\"}",
         "credentialData": "{\"subType\":\"totp\",\"digits\":6,\"counter\":0,\"period\":30,\"algorithm\":\"HmacSHA1\"}"}
      ]
    },
    {"id": "kc-2", "username": "nootp", "credentials": []},
    {
      "id": "kc-3",
      "username": "bob",
      "credentials": [
        {"type": "otp", "secretData": "{\"value\":\"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\"}",
         "credentialData": "{\"subType\":\"totp\",\"digits\":8,\"period\":30,\"algorithm\":\"HmacSHA256\",\"secretEncoding\":\"BASE32\"}"}
      ]
    }
  ]
}
"#;

    #[test]
    fn raw_secret_is_base32_encoded_and_lines_point_at_users() {
        let recs = read(EXPORT, KeycloakIdentifier::Username);
        assert_eq!(recs.len(), 2, "the user without OTP is not a record");
        assert_eq!(recs[0].line, 4);
        assert_eq!(
            recs[0].identifiers,
            vec![Identifier::new(IdKind::Username, "alice")]
        );
        assert_eq!(
            recs[0].secret.as_ref().unwrap().expose_secret(),
            base32::encode(b"Ab3dEf6hIj9kLm2nOp4q")
        );
        assert_eq!(recs[0].params.kind.as_deref(), Some("totp"));
        assert_eq!(recs[0].params.algorithm.as_deref(), Some("HmacSHA1"));
        assert_eq!(recs[0].params.digits.as_deref(), Some("6"));
        assert_eq!(recs[1].line, 17);
        assert_eq!(
            recs[1].secret.as_ref().unwrap().expose_secret(),
            "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        );
        assert_eq!(recs[1].params.digits.as_deref(), Some("8"));
    }

    #[test]
    fn identifier_choice_and_missing_identifier() {
        let recs = read(EXPORT, KeycloakIdentifier::Email);
        assert_eq!(
            recs[0].identifiers,
            vec![Identifier::new(IdKind::Email, "alice@example.com")]
        );
        assert_eq!(recs[1].problems[0].field, "email");
        let recs = read(EXPORT, KeycloakIdentifier::Id);
        assert_eq!(
            recs[1].identifiers,
            vec![Identifier::new(IdKind::ExternalId, "kc-3")]
        );
    }

    #[test]
    fn broken_json_is_fatal_and_not_echoed() {
        let text = r#"{"users":[{"username":"a","credentials":[{"type":"otp","secretData":"{\"value\":\"TOPSECRETVALUE\"}"}]}, {"username": 5 SECRETTAIL"#;
        let recs = read(text, KeycloakIdentifier::Username);
        let last = recs.last().unwrap();
        assert!(last.fatal);
        assert!(!last.problems[0].reason.contains("SECRET"));
        let recs = read("{\"realm\":\"x\"}", KeycloakIdentifier::Username);
        assert!(recs[0].fatal);
        // serde_json reads the newline ending `1` before it fails, and names line 2.
        let recs = read("1\n", KeycloakIdentifier::Username);
        assert_eq!((recs[0].line, recs[0].fatal), (1, true));
        assert!(recs[0].problems[0].reason.contains("end of line 1"));
    }

    #[test]
    fn two_otp_credentials_is_a_problem() {
        let text = r#"{"users":[{"username":"a","credentials":[
            {"type":"otp","secretData":"{\"value\":\"x\"}","credentialData":"{}"},
            {"type":"otp","secretData":"{\"value\":\"y\"}","credentialData":"{}"}]}]}"#;
        let recs = read(text, KeycloakIdentifier::Username);
        assert_eq!(recs[0].problems[0].field, "credentials");
        assert!(recs[0].secret.is_none());
    }
}
