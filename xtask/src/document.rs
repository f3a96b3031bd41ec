//! Reading an OpenAPI document, with errors that say where it went wrong.
//!
//! serde_json alone says "invalid type: integer `3`, expected a string at line 1
//! column 40" for a 2 MB one-line document. These errors name the JSON pointer
//! instead (`/info/version`), the notation of `spec/fixups-applied.txt`, which is what
//! a fix-up rule has to match.

use anyhow::{anyhow, Result};
use openapiv3::{Operation, Parameter, PathItem, ReferenceOr, RequestBody, Response, Schema};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use serde_path_to_error::Segment;
use std::path::Path;

/// Parse the document's text as JSON (a syntax error names its line and column).
pub fn parse_json(text: &str, name: &Path) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| anyhow!("{}: not JSON: {e}", name.display()))
}

/// Read a JSON value as OpenAPI 3.0; the error names the JSON pointer of the first
/// value that does not fit, and why.
pub fn openapi(doc: &Value) -> Result<openapiv3::OpenAPI, PathError> {
    match check::<openapiv3::OpenAPI>(doc, "") {
        Ok(spec) => Ok(spec),
        // openapiv3 reads references, path items and schemas through untagged and
        // flattened types, which buffer their input: a failure inside one is only
        // known as "somewhere in `paths`". Each such part is then read on its own,
        // deepest first, to find the value itself.
        Err(shallow) => Err(locate(doc).unwrap_or(shallow)),
    }
}

/// Where (a JSON pointer) and why a value is not OpenAPI 3.0.
#[derive(Debug)]
pub struct PathError {
    pub pointer: String,
    pub message: String,
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
}

impl std::error::Error for PathError {}

fn check<T: DeserializeOwned>(v: &Value, at: &str) -> Result<T, PathError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let mut pointer = at.to_string();
        for segment in e.path().iter() {
            match segment {
                Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
                Segment::Map { key } | Segment::Enum { variant: key } => {
                    pointer.push('/');
                    pointer.push_str(&escape(key));
                }
                Segment::Unknown => {}
            }
        }
        PathError {
            pointer,
            message: e.into_inner().to_string(),
        }
    })
}

fn fails<T: DeserializeOwned>(v: &Value, at: &str) -> Option<PathError> {
    check::<T>(v, at).err()
}

fn entries(v: &Value) -> impl Iterator<Item = (&String, &Value)> {
    v.as_object().into_iter().flat_map(Map::iter)
}

/// `key` as one token of a JSON pointer (RFC 6901).
pub(crate) fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn locate(doc: &Value) -> Option<PathError> {
    for (path, item) in entries(&doc["paths"]) {
        let at = format!("/paths/{}", escape(path));
        for (method, op) in entries(item).filter(|(m, _)| METHODS.contains(&m.as_str())) {
            if let Some(e) = operation(op, &format!("{at}/{method}")) {
                return Some(e);
            }
        }
        if let Some(e) = fails::<ReferenceOr<PathItem>>(item, &at) {
            return Some(e);
        }
    }
    let components = &doc["components"];
    for (name, s) in entries(&components["schemas"]) {
        if let Some(e) = schema(s, &format!("/components/schemas/{}", escape(name))) {
            return Some(e);
        }
    }
    for (name, p) in entries(&components["parameters"]) {
        let at = format!("/components/parameters/{}", escape(name));
        if let Some(e) = parameter(p, &at) {
            return Some(e);
        }
    }
    None
}

fn operation(op: &Value, at: &str) -> Option<PathError> {
    let parameters = op["parameters"].as_array().into_iter().flatten();
    for (i, p) in parameters.enumerate() {
        if let Some(e) = parameter(p, &format!("{at}/parameters/{i}")) {
            return Some(e);
        }
    }
    if let Some(body) = op.get("requestBody") {
        let at = format!("{at}/requestBody");
        if let Some(e) = content(body, &at) {
            return Some(e);
        }
        if let Some(e) = fails::<ReferenceOr<RequestBody>>(body, &at) {
            return Some(e);
        }
    }
    for (status, response) in entries(&op["responses"]) {
        let at = format!("{at}/responses/{}", escape(status));
        if let Some(e) = content(response, &at) {
            return Some(e);
        }
        if let Some(e) = fails::<ReferenceOr<Response>>(response, &at) {
            return Some(e);
        }
    }
    fails::<Operation>(op, at)
}

fn parameter(p: &Value, at: &str) -> Option<PathError> {
    if let Some(s) = p.get("schema") {
        if let Some(e) = schema(s, &format!("{at}/schema")) {
            return Some(e);
        }
    }
    fails::<ReferenceOr<Parameter>>(p, at)
}

fn content(v: &Value, at: &str) -> Option<PathError> {
    for (media, m) in entries(&v["content"]) {
        if let Some(s) = m.get("schema") {
            let at = format!("{at}/content/{}/schema", escape(media));
            if let Some(e) = schema(s, &at) {
                return Some(e);
            }
        }
    }
    None
}

/// A schema's own subschemas first, then the schema.
fn schema(s: &Value, at: &str) -> Option<PathError> {
    for (name, p) in entries(&s["properties"]) {
        if let Some(e) = schema(p, &format!("{at}/properties/{}", escape(name))) {
            return Some(e);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        match s.get(key) {
            Some(child @ Value::Object(_)) => {
                if let Some(e) = schema(child, &format!("{at}/{key}")) {
                    return Some(e);
                }
            }
            _ => continue,
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, child) in s[key].as_array().into_iter().flatten().enumerate() {
            if let Some(e) = schema(child, &format!("{at}/{key}/{i}")) {
                return Some(e);
            }
        }
    }
    fails::<ReferenceOr<Schema>>(s, at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_number_where_a_string_belongs_is_named_by_its_pointer() {
        let doc = json!({"openapi": "3.0.0", "info": {"title": "t", "version": 3}, "paths": {}});
        let e = openapi(&doc).unwrap_err();
        assert_eq!(e.pointer, "/info/version");
        assert!(e.message.contains("expected a string"), "{e}");
    }

    #[test]
    fn a_bad_value_inside_an_operation_is_found() {
        let doc = json!({"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {
            "/api/v3/get-user": {"get": {
                "parameters": [
                    {"name": "userId", "in": "query", "schema": {"type": "string"}},
                    {"name": "page", "in": "cookie-jar", "schema": {"type": "number"}}
                ],
                "responses": {}}}
        }});
        let e = openapi(&doc).unwrap_err();
        assert_eq!(
            e.pointer, "/paths/~1api~1v3~1get-user/get/parameters/1",
            "{e}"
        );
        assert!(e.message.contains("cookie-jar"), "{e}");
    }

    #[test]
    fn a_bad_value_deep_in_a_component_schema_is_found() {
        let doc = json!({"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {},
        "components": {"schemas": {"UserDto": {"type": "object", "properties": {
            "ok": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string", "nullable": "yes"}}
        }}}}});
        let e = openapi(&doc).unwrap_err();
        assert!(
            e.pointer
                .starts_with("/components/schemas/UserDto/properties/tags/items"),
            "{e}"
        );
        assert!(e.message.contains("expected a boolean"), "{e}");
    }

    #[test]
    fn a_valid_document_reads() {
        let doc = json!({"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {}});
        assert!(openapi(&doc).is_ok());
    }
}
