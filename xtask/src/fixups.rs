//! The reviewed repairs applied to Authing's OpenAPI document before generation.
//!
//! The vendored `spec/management-openapi.json` is never edited. Each fix-up below is a
//! rule over the parsed JSON, has a reason, and reports every location it changed; the
//! full list is written to `spec/fixups-applied.txt` so a change of upstream document or
//! of a rule shows up as a reviewable diff (and `generate --check` catches it stale).

use anyhow::{bail, Result};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// One entry of the report: which fix-up touched which JSON location.
pub type Report = Vec<(&'static str, String)>;

/// Number-typed properties whose values are always integral in Authing's answers.
/// Kept to an explicit list: a timestamp or coordinate that might carry a fraction
/// stays `f64` rather than failing to decode.
const INTEGER_FIELDS: &[&str] = &[
    "statusCode",
    "apiCode",
    "totalCount",
    "page",
    "limit",
    "expires_in",
    "expiresIn",
    "loginsCount",
    "membersCount",
    "userCount",
    "departmentCount",
];

/// String properties that carry a credential or second factor. They become
/// `authing_management_gen::Secret`, whose `Debug` prints `[REDACTED]`.
const SECRET_FIELDS: &[&str] = &[
    "accessKeySecret",
    "accessToken",
    "access_token",
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

/// Name of the schema that the secret-bearing properties are pointed at; the xtask
/// replaces its generated type by the hand-written `crate::Secret`.
pub const SECRET_SCHEMA: &str = "AuthingSecret";

pub fn apply(doc: &mut Value) -> Result<Report> {
    let mut report = Report::new();
    strip_defaults(doc, &mut report);
    integer_fields(doc, &mut report);
    open_response_enums(doc, &mut report)?;
    secret_fields(doc, &mut report);
    accept_200_where_201_declared(doc, &mut report);
    method_names(doc, &mut report)?;
    Ok(report)
}

fn for_each_operation(doc: &mut Value, mut f: impl FnMut(&str, &str, &mut Map<String, Value>)) {
    let paths = doc["paths"].as_object_mut().expect("paths is an object");
    for (path, item) in paths.iter_mut() {
        for (method, op) in item.as_object_mut().expect("path item is an object") {
            if let Some(op) = op.as_object_mut() {
                f(path, method, op);
            }
        }
    }
}

/// Visit every JSON object in `v`, with its JSON pointer.
fn walk_objects(v: &mut Value, at: &str, f: &mut impl FnMut(&str, &mut Map<String, Value>)) {
    match v {
        Value::Object(map) => {
            f(at, map);
            for (k, child) in map.iter_mut() {
                walk_objects(child, &format!("{at}/{}", escape(k)), f);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                walk_objects(child, &format!("{at}/{i}"), f);
            }
        }
        _ => {}
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn is_schema_like(map: &Map<String, Value>) -> bool {
    [
        "type",
        "$ref",
        "enum",
        "allOf",
        "oneOf",
        "anyOf",
        "properties",
        "items",
    ]
    .iter()
    .any(|k| map.contains_key(*k))
}

/// 1. Drop every `default` from schemas.
///
/// Why: progenitor turns a property with a default into a non-optional field that is
/// always serialised, so an update call would silently resend e.g. `status: "Activated"`;
/// and `default: false` on an object-typed property (`qrcodeLoginStrategy`) makes
/// generation fail outright. Defaults are the server's business, not the client's.
fn strip_defaults(doc: &mut Value, report: &mut Report) {
    walk_objects(doc, "", &mut |at, map| {
        if map.contains_key("default") && is_schema_like(map) {
            map.remove("default");
            report.push(("strip-default", at.to_string()));
        }
    });
}

/// 2. `type: number` → `type: integer, format: int64` for integral fields.
///
/// Why: the document types every number as `number`, which would make status codes,
/// api codes, counts and paging parameters `f64` in Rust.
fn integer_fields(doc: &mut Value, report: &mut Report) {
    let make_int = |schema: &mut Value| -> bool {
        if schema.get("type").and_then(Value::as_str) == Some("number") {
            schema["type"] = json!("integer");
            schema["format"] = json!("int64");
            true
        } else {
            false
        }
    };
    walk_objects(doc, "", &mut |at, map| {
        if let Some(Value::Object(props)) = map.get_mut("properties") {
            for (name, schema) in props.iter_mut() {
                if INTEGER_FIELDS.contains(&name.as_str()) && make_int(schema) {
                    report.push(("integer", format!("{at}/properties/{}", escape(name))));
                }
            }
        }
    });
    for_each_operation(doc, |path, method, op| {
        if let Some(Value::Array(params)) = op.get_mut("parameters") {
            for p in params {
                let name = p["name"].as_str().unwrap_or_default().to_string();
                if INTEGER_FIELDS.contains(&name.as_str()) && make_int(&mut p["schema"]) {
                    report.push(("integer", format!("{method} {path} parameter {name}")));
                }
            }
        }
    });
}

/// 3. Open the enums that appear in responses.
///
/// Why: generated enums are closed, so one value Authing adds later would make a whole
/// response fail to decode. Every schema reachable from a response loses its `enum`
/// (the known values move into the description); request-only enums stay typed.
fn open_response_enums(doc: &mut Value, report: &mut Report) -> Result<()> {
    // Component schemas reachable from any response.
    let mut reachable = BTreeSet::new();
    let mut todo: Vec<String> = Vec::new();
    let collect_refs = |v: &Value, todo: &mut Vec<String>| {
        fn refs(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        if let Some(name) = r.strip_prefix("#/components/schemas/") {
                            out.push(name.to_string());
                        }
                    }
                    m.values().for_each(|c| refs(c, out));
                }
                Value::Array(a) => a.iter().for_each(|c| refs(c, out)),
                _ => {}
            }
        }
        refs(v, todo);
    };
    let mut inline_response_schemas = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths").iter() {
        for (method, op) in item.as_object().expect("path item") {
            if let Some(responses) = op.get("responses") {
                collect_refs(responses, &mut todo);
                inline_response_schemas.push((path.clone(), method.clone()));
            }
        }
    }
    let schemas = doc["components"]["schemas"].clone();
    while let Some(name) = todo.pop() {
        if reachable.insert(name.clone()) {
            let Some(s) = schemas.get(&name) else {
                bail!("response refers to missing schema {name}");
            };
            collect_refs(s, &mut todo);
        }
    }
    let open = |v: &mut Value, at: String, report: &mut Report| {
        walk_objects(v, &at, &mut |at, map| {
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
    };
    for name in &reachable {
        let at = format!("/components/schemas/{}", escape(name));
        open(&mut doc["components"]["schemas"][name], at, report);
    }
    for (path, method) in inline_response_schemas {
        let at = format!("/paths/{}/{method}/responses", escape(&path));
        open(&mut doc["paths"][&path][&method]["responses"], at, report);
    }
    Ok(())
}

/// 4. Secret-bearing string properties point at `AuthingSecret`.
///
/// Why: OTP secrets, recovery codes, access key secrets, passwords and tokens must
/// never appear in `Debug` output, including inside the request values users build.
fn secret_fields(doc: &mut Value, report: &mut Report) {
    let target = format!("#/components/schemas/{SECRET_SCHEMA}");
    walk_objects(doc, "", &mut |at, map| {
        if let Some(Value::Object(props)) = map.get_mut("properties") {
            for (name, schema) in props.iter_mut() {
                let is_string = schema.get("type").and_then(Value::as_str) == Some("string");
                if is_string && SECRET_FIELDS.contains(&name.as_str()) {
                    let mut replacement = Map::new();
                    replacement.insert("$ref".into(), json!(target));
                    *schema = Value::Object(replacement);
                    report.push(("secret", format!("{at}/properties/{}", escape(name))));
                }
            }
        }
    });
    doc["components"]["schemas"][SECRET_SCHEMA] = json!({
        "type": "string",
        "description": "A credential or second factor; redacted in Debug output."
    });
}

/// 5. Operations declaring only `201` also accept `200`.
///
/// Why: Authing answers its POSTs with HTTP 200; the three internal metadata
/// operations declaring `201` would otherwise turn every success into an
/// `UnexpectedResponse`.
fn accept_200_where_201_declared(doc: &mut Value, report: &mut Report) {
    for_each_operation(doc, |path, method, op| {
        let responses = op["responses"].as_object_mut().expect("responses");
        if !responses.contains_key("200") {
            if let Some(created) = responses.remove("201") {
                responses.insert("2XX".into(), created);
                report.push(("accept-2xx", format!("{method} {path}")));
            }
        }
    });
}

/// 6. Method names without the `<Controller>_` prefix.
///
/// Why: `UsersManagementController_importOtp` would become
/// `users_management_controller_import_otp`. The prefix is dropped; where two
/// operations would then share a name (six pairs), each of them is named after its
/// path instead (`/api/v3/delete-device-by-user` → `delete_device_by_user`,
/// `/api/internal/v1/metadata/update-row` → `internal_metadata_update_row`), which is
/// deterministic and says what the call does. Any remaining clash fails generation.
fn method_names(doc: &mut Value, report: &mut Report) -> Result<()> {
    let mut by_short: BTreeMap<String, usize> = BTreeMap::new();
    for_each_operation(doc, |_, _, op| {
        *by_short.entry(short_name(op)).or_default() += 1;
    });
    let mut seen = BTreeMap::new();
    let mut clash = None;
    for_each_operation(doc, |path, method, op| {
        let original = op["operationId"].as_str().unwrap_or_default().to_string();
        let short = short_name(op);
        let name = if by_short[&short] > 1 {
            path_name(path)
        } else {
            short
        };
        let snake = to_snake(&name);
        if let Some(other) = seen.insert(snake.clone(), original.clone()) {
            clash = Some(format!("{original} and {other} both map to {snake}"));
        }
        op.insert("x-authing-operation-id".into(), json!(original));
        op.insert("operationId".into(), json!(snake));
        report.push((
            "method-name",
            format!("{method} {path}: {original} -> {snake}"),
        ));
    });
    match clash {
        Some(c) => bail!("method name clash after fix-ups: {c}"),
        None => Ok(()),
    }
}

fn short_name(op: &Map<String, Value>) -> String {
    let id = op["operationId"].as_str().unwrap_or_default();
    id.split_once('_').map_or(id, |(_, name)| name).to_string()
}

fn path_name(path: &str) -> String {
    let rest = path
        .strip_prefix("/api/v3/")
        .map(str::to_string)
        .or_else(|| {
            path.strip_prefix("/api/internal/v1/")
                .map(|r| format!("internal/{r}"))
        })
        .unwrap_or_else(|| path.trim_start_matches('/').to_string());
    rest.replace(['/', '-'], "_")
}

/// `importOtp` → `import_otp`, `getUserMFAInfo` → `get_user_mfa_info`.
pub fn to_snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if c == '-' || c == ' ' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_names() {
        assert_eq!(to_snake("importOtp"), "import_otp");
        assert_eq!(to_snake("getManagementToken"), "get_management_token");
        assert_eq!(to_snake("getUserMFAInfo"), "get_user_mfa_info");
        assert_eq!(to_snake("delete_device_by_user"), "delete_device_by_user");
    }

    #[test]
    fn colliding_names_come_from_the_path() {
        assert_eq!(
            path_name("/api/v3/delete-device-by-user"),
            "delete_device_by_user"
        );
        assert_eq!(
            path_name("/api/internal/v1/metadata/update-row"),
            "internal_metadata_update_row"
        );
        assert_eq!(path_name("/get-row-batch"), "get_row_batch");
    }
}
