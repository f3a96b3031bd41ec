//! Responses decode whenever their data is usable.

use super::{for_each_property, walk_objects, walk_side, Report, Sides};
use serde_json::{json, Value};

/// Open the enums that appear in responses.
///
/// Why: generated enums are closed, so one value Authing adds later would make a whole
/// response fail to decode. Every schema reachable from a response loses its `enum`
/// (the known values move into the description); request-only enums stay typed.
pub fn open_enums(doc: &mut Value, sides: &Sides, report: &mut Report) {
    walk_side(doc, &sides.responses, &["responses"], &mut |at, map| {
        if let Some(Value::Array(values)) = map.remove("enum") {
            let known: Vec<String> = values
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect();
            let note = format!("Known values: {}.", known.join(", "));
            let desc = match map.get("description").and_then(Value::as_str) {
                Some(d) if !d.is_empty() => format!("{d}\n\n{note}"),
                _ => note,
            };
            map.insert("description".into(), json!(desc));
            report.push(("open-enum", at.to_string()));
        }
    });
}

/// The envelope's own properties, which stay as the document requires them.
const ENVELOPE: &[&str] = &["statusCode", "message", "data"];

/// Properties the document marks required are optional in responses, at every depth
/// below the envelope (`data.list`, `data.totalCount` included).
///
/// Why: the real service omits them: `customData`, `identities` and `departmentIds`
/// come only when the matching `with*` flag is set, a new user has `lastLogin: null`,
/// and one such user would otherwise fail a whole `list_users` page. The envelope
/// stays strict: `statusCode` and `message` decide success, and `data` is what a
/// success is for (an error envelope without it is reported as the error it is). A
/// schema that requests use as well (34 in the 2023-11 document) becomes optional on
/// both sides, which only lets a caller send less; the server decides.
pub fn optional_inside_data(doc: &mut Value, sides: &Sides, report: &mut Report) {
    walk_side(doc, &sides.responses, &["responses"], &mut |at, map| {
        let Some(Value::Array(required)) = map.get("required").cloned() else {
            return;
        };
        // The top of what an operation answers; an envelope-shaped schema nested
        // inside `data` (a paging DTO repeating `statusCode`) is data like any other.
        let is_envelope = at.ends_with("/content/application~1json/schema")
            || at
                .strip_prefix("/components/schemas/")
                .is_some_and(|name| sides.envelopes.contains(name));
        let (kept, dropped): (Vec<Value>, Vec<Value>) = required
            .into_iter()
            .partition(|name| is_envelope && ENVELOPE.iter().any(|e| name == e));
        if dropped.is_empty() {
            return;
        }
        let names: Vec<&str> = dropped.iter().filter_map(Value::as_str).collect();
        let side =
            if at.starts_with("/components/schemas/") && sides.requests.contains(schema_name(at)) {
                " (a request schema too)"
            } else {
                ""
            };
        report.push((
            "response-optional",
            format!("{at}{side}: {}", names.join(", ")),
        ));
        if kept.is_empty() {
            map.remove("required");
        } else {
            map.insert("required".into(), Value::Array(kept));
        }
    });
}

fn schema_name(at: &str) -> &str {
    at.trim_start_matches("/components/schemas/")
        .split('/')
        .next()
        .unwrap_or_default()
}

/// Optional arrays and maps are `nullable`: `Option<Vec<T>>` rather than `Vec<T>`.
///
/// Why: typify gives an optional array `#[serde(default)] Vec<T>`, whose `default`
/// covers a missing property but not `null`, which Authing sends for empty lists
/// (`departmentIds: null`); and it skips an empty `Vec` when serialising, so a list
/// such as `allowedOrigins` could never be cleared. As `Option<Vec<T>>`, `null` and
/// absent decode to `None`, and `Some(vec![])` is sent as `[]`.
pub fn nullable_optional_containers(doc: &mut Value, report: &mut Report) {
    walk_objects(doc, "", &mut |at, map| {
        let required: Vec<String> = map
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        for_each_property(map, at, |name, here, schema| {
            let is_array = schema["type"] == "array";
            let is_map = schema["type"] == "object"
                && schema.get("properties").is_none()
                && schema["additionalProperties"].is_object();
            if (is_array || is_map) && !required.iter().any(|r| r == name) {
                schema["nullable"] = json!(true);
                report.push(("nullable", here.to_string()));
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn sides(requests: &[&str], responses: &[&str]) -> Sides {
        let set = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>();
        Sides {
            requests: set(requests),
            responses: set(responses),
            envelopes: set(&responses[..1]),
        }
    }

    #[test]
    fn required_goes_inside_data_but_not_from_the_envelope() {
        let mut doc = json!({"paths": {}, "components": {"schemas": {
            "UserSingleRespDto": {
                "properties": {"statusCode": {}, "message": {}, "apiCode": {}, "data": {}},
                "required": ["statusCode", "message", "apiCode", "data"]
            },
            "UserDto": {"properties": {"userId": {}, "lastLogin": {}}, "required": ["userId", "lastLogin"]},
            "CreateUserReqDto": {"properties": {"email": {}}, "required": ["email"]}
        }}});
        let mut report = Report::new();
        optional_inside_data(
            &mut doc,
            &sides(&["CreateUserReqDto"], &["UserSingleRespDto", "UserDto"]),
            &mut report,
        );
        let s = &doc["components"]["schemas"];
        assert_eq!(
            s["UserSingleRespDto"]["required"],
            json!(["statusCode", "message", "data"])
        );
        assert!(s["UserDto"].get("required").is_none());
        assert_eq!(s["CreateUserReqDto"]["required"], json!(["email"]));
        assert_eq!(report.len(), 2);
    }

    #[test]
    fn optional_lists_and_maps_take_null() {
        let mut doc = json!({"properties": {
            "ids": {"type": "array", "items": {"type": "string"}},
            "must": {"type": "array", "items": {"type": "string"}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "name": {"type": "string"}
        }, "required": ["must"]});
        let mut report = Report::new();
        nullable_optional_containers(&mut doc, &mut report);
        assert_eq!(doc["properties"]["ids"]["nullable"], true);
        assert_eq!(doc["properties"]["labels"]["nullable"], true);
        assert!(doc["properties"]["must"].get("nullable").is_none());
        assert!(doc["properties"]["name"].get("nullable").is_none());
    }
}
