//! How single values are typed: defaults, client-side checks, free-form values,
//! date-times and secrets.

use super::{
    for_each_property, is_schema_like, walk_objects, Report, DATE_TIME_SCHEMA, SECRET_SCHEMA,
};
use serde_json::{json, Map, Value};

/// Drop every `default` from schemas.
///
/// Why: progenitor turns a property with a default into a non-optional field that is
/// always serialised, so an update call would silently resend e.g. `status: "Activated"`;
/// and `default: false` on an object-typed property (`qrcodeLoginStrategy`) makes
/// generation fail outright. Defaults are the server's business, not the client's.
pub fn strip_defaults(doc: &mut Value, report: &mut Report) {
    walk_objects(doc, "", &mut |at, map| {
        if map.contains_key("default") && is_schema_like(map) {
            map.remove("default");
            report.push(("strip-default", at.to_string()));
        }
    });
}

/// Validation keywords the client would enforce before sending.
const CLIENT_CHECKS: &[&str] = &[
    "maxLength",
    "minLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
];

/// Drop length, pattern, range and item-count constraints.
///
/// Why: typify turns them into newtypes that refuse values client-side (a `maxLength`
/// on `check_permission`'s resources refuses Authing's own example path) and into
/// fixed-size arrays when `minItems == maxItems`. The server decides what it accepts;
/// the emulator still enforces the document's constraints, from the vendored copy.
pub fn no_client_side_checks(doc: &mut Value, report: &mut Report) {
    walk_objects(doc, "", &mut |at, map| {
        if map.contains_key("type") || map.contains_key("items") {
            let removed: Vec<&str> = CLIENT_CHECKS
                .iter()
                .copied()
                .filter(|k| map.remove(*k).is_some())
                .collect();
            if !removed.is_empty() {
                report.push(("no-client-check", format!("{at}: {}", removed.join(", "))));
            }
        }
    });
}

/// A `type: object` without declared properties holds any JSON value.
///
/// Why: the document uses a bare `type: object` for values its own examples show as
/// strings, numbers or lists (`list_users`' `advancedFilter[].value`:
/// `"Activated"`), which a `Map` can neither send nor decode. Such a property becomes
/// `serde_json::Value`, which carries objects as well.
pub fn free_form_values(doc: &mut Value, report: &mut Report) {
    walk_objects(doc, "", &mut |at, map| {
        let free_form = map.get("type").and_then(Value::as_str) == Some("object")
            && map
                .get("properties")
                .and_then(Value::as_object)
                .is_none_or(Map::is_empty)
            && map
                .get("additionalProperties")
                .is_none_or(|a| a == &json!(true) || a == &json!({}));
        if free_form {
            for key in ["type", "properties", "additionalProperties", "required"] {
                map.remove(key);
            }
            report.push(("any-value", at.to_string()));
        }
    });
}

/// Point a property at a named schema that the xtask maps to a hand-written type,
/// keeping its description (`allOf` with one member keeps the docs; a bare `$ref`
/// would drop them).
fn point_at(schema: &mut Value, target: &str) {
    let mut replacement = Map::new();
    replacement.insert(
        "allOf".into(),
        json!([{ "$ref": format!("#/components/schemas/{target}") }]),
    );
    if let Some(d) = schema.get("description") {
        replacement.insert("description".into(), d.clone());
    }
    *schema = Value::Object(replacement);
}

/// `format: date-time` strings become `crate::LenientDateTime`.
///
/// Why: chrono's `DateTime` accepts only RFC 3339, while Authing's own examples carry
/// `"birthdate": "2022-06-03"`, `"lastMfaTime": ""`, and epoch milliseconds. The
/// lenient type decodes all of them, keeps the value as sent (so a date-only
/// birthdate goes back out as written) and parses on request.
pub fn lenient_date_times(doc: &mut Value, report: &mut Report) {
    walk_objects(doc, "", &mut |at, map| {
        for_each_property(map, at, |_, here, schema| {
            let target = if schema["type"] == "array" {
                &mut schema["items"]
            } else {
                &mut *schema
            };
            if target["type"] == "string" && target["format"] == "date-time" {
                point_at(target, DATE_TIME_SCHEMA);
                report.push(("lenient-date-time", here.to_string()));
            }
        });
    });
    doc["components"]["schemas"][DATE_TIME_SCHEMA] = json!({
        "type": "string",
        "description": "A date-time in any form Authing sends: RFC 3339, a date, epoch milliseconds or empty."
    });
}

/// String properties that carry a credential or second factor.
const SECRET_FIELDS: &[&str] = &[
    "accessKeySecret",
    "accessToken",
    "access_token",
    "encryptedPassword",
    "appSecret",
    "app_secret",
    "client_secret",
    "mfaToken",
    "password",
    "privateKey",
    "recoveryCode",
    "refreshToken",
    "secret",
    "token",
    "verification_token",
];

/// Properties whose name alone says nothing but which hold a credential:
/// `(schema, property)`. `DefaultPasswordConfigDto.custom` is the fixed initial
/// password given to new users.
const SECRET_PROPERTIES: &[(&str, &str)] = &[("DefaultPasswordConfigDto", "custom")];

/// Secret-bearing string properties become `crate::Secret`.
///
/// Why: OTP secrets, recovery codes, access key secrets, passwords and tokens must
/// never appear in `Debug` output, including inside the request values users build.
pub fn secret_fields(doc: &mut Value, report: &mut Report) {
    walk_objects(doc, "", &mut |at, map| {
        let schema_name = at.strip_prefix("/components/schemas/").unwrap_or_default();
        for_each_property(map, at, |name, here, schema| {
            let named =
                SECRET_FIELDS.contains(&name) || SECRET_PROPERTIES.contains(&(schema_name, name));
            if schema["type"] == "string" && named {
                point_at(schema, SECRET_SCHEMA);
                report.push(("secret", here.to_string()));
            }
        });
    });
    doc["components"]["schemas"][SECRET_SCHEMA] = json!({
        "type": "string",
        "description": "A credential or second factor; redacted in Debug output."
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_form_objects_hold_any_value() {
        let mut doc = json!({"components": {"schemas": {"F": {"properties": {
            "value": {"type": "object", "description": "d", "example": "Activated"},
            "typed": {"type": "object", "properties": {"a": {"type": "string"}}},
            "map": {"type": "object", "additionalProperties": {"type": "string"}}
        }}}}});
        let mut report = Report::new();
        free_form_values(&mut doc, &mut report);
        let props = &doc["components"]["schemas"]["F"]["properties"];
        assert_eq!(
            props["value"],
            json!({"description": "d", "example": "Activated"})
        );
        assert_eq!(props["typed"]["type"], "object");
        assert_eq!(props["map"]["type"], "object");
        assert_eq!(report.len(), 1);
    }

    #[test]
    fn date_times_keep_their_description() {
        let mut doc = json!({"components": {"schemas": {"U": {"properties": {
            "birthdate": {"type": "string", "format": "date-time", "description": "生日"},
            "logins": {"type": "array", "items": {"type": "string", "format": "date-time"}}
        }}}}});
        let mut report = Report::new();
        lenient_date_times(&mut doc, &mut report);
        let props = &doc["components"]["schemas"]["U"]["properties"];
        assert_eq!(
            props["birthdate"],
            json!({"allOf": [{"$ref": "#/components/schemas/AuthingDateTime"}], "description": "生日"})
        );
        assert!(props["logins"]["items"]["allOf"].is_array());
        assert_eq!(report.len(), 2);
    }

    #[test]
    fn client_checks_go_but_types_stay() {
        let mut doc = json!({"s": {"type": "string", "maxLength": 5, "pattern": "^a$"}});
        let mut report = Report::new();
        no_client_side_checks(&mut doc, &mut report);
        assert_eq!(doc["s"], json!({"type": "string"}));
        assert_eq!(report[0].1, "/s: maxLength, pattern");
    }
}
