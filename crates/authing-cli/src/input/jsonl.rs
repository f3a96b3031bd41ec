//! JSON Lines input: one object per line with the CSV column names as fields
//! (`userId` | `email` | `username` | `phone` | `externalId`, `secret`,
//! `recoveryCode`, optional `type`, `algorithm`, `digits`, `period`). Blank lines are
//! skipped. Unknown fields are an error, for the same reason as unknown CSV columns.
//!
//! Lines are parsed to a `serde_json::Value` and fields extracted by hand: serde's
//! typed errors quote the offending value ("invalid type: string \"JBSW...\""), which
//! would print a secret.

use std::io::BufRead;

use serde_json::Value;

use super::LineRecords;
use crate::record::{IdKind, Identifier, RawRecord, Secret};

/// Records of a JSON Lines file; blank lines are skipped.
pub fn records<R: BufRead>(reader: R) -> LineRecords<R> {
    LineRecords::new(reader, "record", |line, text| {
        (!text.trim().is_empty()).then(|| parse_line(line, text))
    })
}

/// Parses one JSON object line into a record.
pub(crate) fn parse_line(line: u64, text: &str) -> RawRecord {
    let record = RawRecord::at(line);
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        // Syntax errors from serde_json name a position, never content; still, we
        // write our own message so that stays true whatever serde_json does later.
        Err(e) => {
            return record.problem("record", format!("not valid JSON (column {})", e.column()))
        }
    };
    let Value::Object(map) = value else {
        return record.problem("record", "not a JSON object");
    };
    from_object(record, &map)
}

fn from_object(mut record: RawRecord, map: &serde_json::Map<String, Value>) -> RawRecord {
    for (key, value) in map {
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s.trim().to_string(),
            // Numbers are fine for digits/period and for numeric ids or phones.
            Value::Number(n) => n.to_string(),
            _ => {
                let field = field_name(key);
                record = record.problem(field, "must be a string");
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        if let Some(kind) = IdKind::from_field(key) {
            record.identifiers.push(Identifier::new(kind, text));
            continue;
        }
        match key.as_str() {
            "secret" => record.secret = Some(Secret::new(text)),
            "recoveryCode" => record.recovery_code = Some(Secret::new(text)),
            "type" => record.params.kind = Some(text),
            "algorithm" => record.params.algorithm = Some(text),
            "digits" => record.params.digits = Some(text),
            "period" => record.params.period = Some(text),
            // Field names of a --report line, so a report can be turned back into input.
            "line" | "outcome" | "field" | "reason" => {}
            _ => {
                record = record.problem(
                    "record",
                    "unknown field (expected userId|email|username|phone|externalId, secret, recoveryCode)",
                )
            }
        }
    }
    record
}

/// A field name safe to print: one of ours, or a placeholder.
fn field_name(key: &str) -> &'static str {
    if let Some(kind) = IdKind::from_field(key) {
        return kind.field();
    }
    match key {
        "secret" => "secret",
        "recoveryCode" => "recoveryCode",
        "type" => "type",
        "algorithm" => "algorithm",
        "digits" => "digits",
        "period" => "period",
        _ => "record",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_objects_skips_blank_lines_and_numbers_lines() {
        let text = "{\"userId\":\"u1\",\"secret\":\"JBSWY3DPEHPK3PXP\"}\n\n\
                    {\"email\":\"a@b.c\",\"secret\":\"X\",\"recoveryCode\":\"r\",\"digits\":6}\n";
        let recs: Vec<_> = records(text.as_bytes()).collect();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].line, 1);
        assert_eq!(recs[1].line, 3);
        assert_eq!(
            recs[1].identifiers[0],
            Identifier::new(IdKind::Email, "a@b.c")
        );
        assert_eq!(recs[1].params.digits.as_deref(), Some("6"));
        assert!(recs[1].problems.is_empty());
    }

    #[test]
    fn errors_never_quote_values() {
        let secret = "JBSWY3DPEHPK3PXPSECRETSECRET";
        for text in [
            format!("{{\"userId\":\"u\",\"secret\":[\"{secret}\"]}}"),
            format!("{{\"userId\":\"u\",\"secret\":\"{secret}\""),
            format!("{{\"userId\":\"u\",\"{secret}\":\"x\"}}"),
            format!("[\"{secret}\"]"),
        ] {
            let r = parse_line(7, &text);
            assert!(!r.problems.is_empty(), "{text}");
            for p in &r.problems {
                assert_eq!(p.line, 7);
                assert!(!p.reason.contains("SECRET"), "{p:?}");
                assert!(!p.field.contains("SECRET"), "{p:?}");
            }
        }
    }
}
