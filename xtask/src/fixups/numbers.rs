//! Integral numbers as integers.
//!
//! The document types every number `type: number`, which Rust would make `f64`, written
//! as `1000.0`. No Authing SDK sends that: integer parsers refuse it, and in signature
//! mode a Node.js server rebuilds the signed string from the parsed value as `1000`, so
//! a signature over `1000.0` fails. Authing's values are integral by what they are,
//! which their names say; the categories below are matched on the property or
//! parameter name. What no category claims stays `f64` (coordinates, progress rates,
//! the user-defined bounds of a custom field), and the signer writes those as
//! JavaScript's `String(number)` does.

use super::{escape, for_each_operation, for_each_property, walk_objects, Report};
use anyhow::{bail, Result};
use serde_json::{json, Value};

/// Whether a property or parameter name belongs to a category.
type Matcher = fn(&str) -> bool;

/// `(category, matcher)`, in the order they are tried.
const CATEGORIES: &[(&str, Matcher)] = &[
    ("envelope and paging", |n| {
        matches!(
            n,
            "statusCode"
                | "apiCode"
                | "totalCount"
                | "page"
                | "limit"
                | "pageNo"
                | "pageSize"
                | "startIndex"
                | "nextStartIndex"
                | "offset"
        )
    }),
    ("identifiers", |n| {
        // The id lists of a batch result (`successList`, `faildList` [sic]) and the
        // approval numbers of a batch approval too.
        n.ends_with("Id")
            || n.ends_with("Ids")
            || matches!(n, "successList" | "faildList" | "numbers")
    }),
    ("timestamps", |n| {
        ["Time", "At", "Start", "End", "After", "Before"]
            .iter()
            .any(|s| n.ends_with(s))
            || matches!(n, "start" | "end")
    }),
    ("durations", |n| {
        n.ends_with("ExpiresIn")
            || n.ends_with("Interval")
            || n.contains("ExpiredTimeOf")
            || n.starts_with("expiredTimeOf")
            || matches!(n, "expires_in" | "expiresIn" | "timeout" | "timeRange")
    }),
    ("counts and amounts", |n| {
        n.contains("Count")
            || n.ends_with("count")
            // Limits such as `maxOnlineDevices` (a bare `max` is a user-defined bound).
            || n
                .strip_prefix("max")
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
            || ["Amount", "Num", "Number", "Thr"]
                .iter()
                .any(|s| n.ends_with(s))
            || n == "all"
            || ["add", "update"].iter().any(|p| {
                n.strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
            })
    }),
    ("lengths and sizes", |n| {
        ["Length", "Size", "MaxAttempts"]
            .iter()
            .any(|s| n.ends_with(s))
            || n == "size"
    }),
    ("ports", |n| n.ends_with("port") || n.ends_with("Port")),
    ("codes, levels and switches", |n| {
        matches!(
            n,
            "status" | "level" | "type" | "sort" | "format" | "connection" | "enabled"
        ) || ["Code", "Level", "Visible"].iter().any(|s| n.ends_with(s))
            || n.starts_with("enable")
    }),
];

fn category(name: &str) -> Option<&'static str> {
    CATEGORIES.iter().find(|(_, f)| f(name)).map(|(c, _)| *c)
}

/// `type: number` → `type: integer, format: int64` for the named value or, for an
/// array of numbers, its items. Returns whether it changed anything.
fn make_integer(schema: &mut Value) -> bool {
    let target = if schema["type"] == "array" {
        &mut schema["items"]
    } else {
        schema
    };
    if target.get("type").and_then(Value::as_str) == Some("number") {
        target["type"] = json!("integer");
        target["format"] = json!("int64");
        true
    } else {
        false
    }
}

pub fn integers(doc: &mut Value, report: &mut Report) -> Result<()> {
    walk_objects(doc, "", &mut |at, map| {
        for_each_property(map, at, |name, here, schema| {
            if let Some(c) = category(name) {
                if make_integer(schema) {
                    report.push(("integer", format!("{c}: {here}")));
                }
            }
        });
    });
    let mut left = Vec::new();
    for_each_operation(doc, |path, method, op| {
        let parameters = op.get_mut("parameters").and_then(Value::as_array_mut);
        for (i, p) in parameters.into_iter().flatten().enumerate() {
            let name = p["name"].as_str().unwrap_or_default().to_string();
            if let Some(c) = category(&name) {
                if make_integer(&mut p["schema"]) {
                    report.push(("integer", format!("{c}: {method} {path} parameter {name}")));
                }
            }
            // A fractional number in a query or path would go out as `1000.0`, which
            // a server rebuilding the signed string writes `1000`: none may remain.
            let schema = if p["schema"]["type"] == "array" {
                &p["schema"]["items"]
            } else {
                &p["schema"]
            };
            if schema["type"] == "number" {
                let at = format!("/paths/{}/{method}/parameters/{i}", escape(path));
                left.push(format!("{at} ({name})"));
            }
        }
    });
    if !left.is_empty() {
        bail!(
            "fix-up integer: no category claims these number parameters, which would be \
             sent as `1000.0`: {}; add their names to a category in \
             xtask/src/fixups/numbers.rs",
            left.join(", ")
        );
    }
    Ok(())
}

/// A value that may be a string or any number (`oneOf` with a bare `type: number`
/// alternative: the supplement's filter values, `string | number` in the Node SDK) gets
/// an `integer` alternative before the `number` one.
///
/// Why: no name says such a value is integral (a filter may compare a fractional custom
/// field), so the `number` alternative stays; but typify would hold `1700000000000` as
/// `f64` and send `1700000000000.0`, where the Node SDK sends `1700000000000`. The
/// untagged enum tries `i64` before `f64`, so an integral value is held and sent as an
/// integer, a fractional one as before. (The emulator checks requests against the
/// vendored documents, where the two alternatives do not overlap.)
pub fn integral_alternatives(doc: &mut Value, report: &mut Report) {
    walk_objects(doc, "", &mut |at, map| {
        for key in ["oneOf", "anyOf"] {
            let Some(Value::Array(alternatives)) = map.get_mut(key) else {
                continue;
            };
            let bare_number = json!({"type": "number"});
            let has_integer = alternatives.iter().any(|a| a["type"] == "integer");
            if let Some(i) = alternatives.iter().position(|a| *a == bare_number) {
                if !has_integer {
                    alternatives.insert(i, json!({"type": "integer", "format": "int64"}));
                    report.push(("integer", format!("string or number: {at}/{key}")));
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_names_by_category() {
        for (name, want) in [
            ("syncTaskId", "identifiers"),
            ("successList", "identifiers"),
            ("endTime", "timestamps"),
            ("updatedAtStart", "timestamps"),
            ("start", "timestamps"),
            ("cookieExpiresIn", "durations"),
            ("loginsCount", "counts and amounts"),
            ("addUser", "counts and amounts"),
            ("verifyCodeLength", "lengths and sizes"),
            ("smtp_port", "ports"),
            ("createdAfter", "timestamps"),
            ("linkExpiredTimeOfSecond", "durations"),
            ("expiredTimeOfDay", "durations"),
            ("maxOnlineIPs", "counts and amounts"),
            ("pageNo", "envelope and paging"),
            ("passwordSecurityLevel", "codes, levels and switches"),
            ("enableSsl", "codes, levels and switches"),
        ] {
            assert_eq!(category(name), Some(want), "{name}");
        }
        for fractional in ["lon", "lat", "lastSyncRate", "min", "max", "dropDown"] {
            assert_eq!(category(fractional), None, "{fractional}");
        }
    }

    #[test]
    fn arrays_of_integers_and_parameters() {
        let mut doc = json!({
            "paths": {"/x": {"get": {"parameters": [
                {"name": "start", "in": "query", "schema": {"type": "number"}}
            ]}}},
            "components": {"schemas": {"A": {"properties": {
                "syncRiskOperationIds": {"type": "array", "items": {"type": "number"}},
                "lon": {"type": "number"}
            }}}}
        });
        let mut report = Report::new();
        integers(&mut doc, &mut report).unwrap();
        let a = &doc["components"]["schemas"]["A"]["properties"];
        assert_eq!(a["syncRiskOperationIds"]["items"]["type"], "integer");
        assert_eq!(a["lon"]["type"], "number");
        assert_eq!(
            doc["paths"]["/x"]["get"]["parameters"][0]["schema"]["type"],
            "integer"
        );
        assert_eq!(report.len(), 2);
    }

    #[test]
    fn a_string_or_number_gets_an_integer_alternative_first() {
        let mut doc = json!({"components": {"schemas": {"F": {"properties": {
            "value": {"oneOf": [{"type": "string"}, {"type": "number"}]},
            "range": {"oneOf": [{"type": "integer"}, {"type": "number"}]}
        }}}}});
        let mut report = Report::new();
        integral_alternatives(&mut doc, &mut report);
        let f = &doc["components"]["schemas"]["F"]["properties"];
        assert_eq!(
            f["value"]["oneOf"],
            json!([{"type": "string"}, {"type": "integer", "format": "int64"}, {"type": "number"}])
        );
        assert_eq!(f["range"]["oneOf"].as_array().unwrap().len(), 2);
        assert_eq!(report.len(), 1);
    }

    #[test]
    fn a_fractional_query_parameter_fails_generation() {
        let mut doc = json!({"paths": {"/x": {"get": {"parameters": [
            {"name": "lat", "in": "query", "schema": {"type": "number"}}
        ]}}}});
        let e = integers(&mut doc, &mut Report::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("fix-up integer"), "{e}");
        assert!(e.contains("/paths/~1x/get/parameters/0 (lat)"), "{e}");
    }
}
