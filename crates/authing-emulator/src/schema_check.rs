//! Checks a JSON value against a schema of the OpenAPI document and names the JSON path of every
//! problem (`$.data.list[0].status: must be one of: Activated, Suspended`).
//!
//! It covers the JSON-schema subset the document uses: `$ref`, `type`, `properties`,
//! `required`, `items`, `enum`, `allOf`/`oneOf`/`anyOf`, `nullable`, `minimum`/`maximum`,
//! `minItems`/`maxItems`, `uniqueItems`, `minLength`/`maxLength` (and, on request,
//! `format: date-time`). `pattern` and `additionalProperties` appear nowhere in the document and
//! are not checked; extra properties are accepted, as OpenAPI 3.0 allows by default.
//!
//! This is the response-side checker: it holds values to the document's contract. The request
//! checker in `spec.rs` is deliberately looser (it follows what Authing's server accepts), so
//! the two are kept apart.

use std::fmt;

use serde_json::Value;

/// Stop after this many problems: a broken generator would otherwise report thousands.
const MAX_PROBLEMS: usize = 50;
/// `$ref` chains and schema nesting deeper than this are reported, not followed.
const MAX_DEPTH: usize = 64;

/// One way in which a value breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON path of the offending value, `$` being the checked value itself.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem of `value` under `schema`; empty when it is valid. `root` is the whole
/// document, against which `#/...` references resolve.
///
/// `null` is accepted for an optional property even without `nullable`: Authing's server sends
/// optional properties as `null` as well as absent (a new user's `lastLogin`), and this checker
/// must accept what the real service sends. A `null` anywhere else needs `nullable: true`.
/// `format` is not checked here, for the same reason (the service sends `2022-06-03` in
/// date-time fields).
pub fn schema_problems(root: &Value, schema: &Value, value: &Value) -> Vec<Problem> {
    run(root, schema, value, false)
}

/// Like [`schema_problems`], but also holds `format: date-time` strings to RFC 3339: what the
/// synthesizer requires of a document example before it sends it, and of its own values.
pub(crate) fn strict_problems(root: &Value, schema: &Value, value: &Value) -> Vec<Problem> {
    run(root, schema, value, true)
}

pub(crate) fn strictly_valid(root: &Value, schema: &Value, value: &Value) -> bool {
    strict_problems(root, schema, value).is_empty()
}

fn run(root: &Value, schema: &Value, value: &Value, check_formats: bool) -> Vec<Problem> {
    let mut checker = Checker {
        root,
        check_formats,
        problems: Vec::new(),
    };
    checker.check(schema, value, &mut "$".to_string(), 0);
    checker.problems
}

/// Follows `$ref`s (siblings of a `$ref` are ignored, as OpenAPI 3.0 says). `None` when a
/// reference does not resolve or the chain is too long.
pub(crate) fn resolve<'a>(root: &'a Value, mut schema: &'a Value) -> Option<&'a Value> {
    for _ in 0..MAX_DEPTH {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                schema = reference
                    .strip_prefix('#')
                    .and_then(|pointer| root.pointer(pointer))?;
            }
            None => return Some(schema),
        }
    }
    None
}

/// Numbers compare by value: the document's enums say `1` where a client may send `1.0`.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

struct Checker<'a> {
    root: &'a Value,
    check_formats: bool,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn report(&mut self, path: &str, message: impl Into<String>) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                path: path.to_string(),
                message: message.into(),
            });
        }
    }

    /// `path` is a buffer that children extend and truncate back, to avoid one allocation per
    /// node on large responses.
    fn check(&mut self, schema: &Value, value: &Value, path: &mut String, depth: usize) {
        if self.problems.len() >= MAX_PROBLEMS {
            return;
        }
        if depth > MAX_DEPTH {
            self.report(path, "schema nesting too deep to check");
            return;
        }
        let Some(schema) = resolve(self.root, schema) else {
            let reference = schema["$ref"].as_str().unwrap_or_default();
            self.report(path, format!("unresolvable $ref {reference}"));
            return;
        };
        if value.is_null() {
            if schema.get("nullable").and_then(Value::as_bool) != Some(true) {
                self.report(path, "must not be null");
            }
            return;
        }
        for part in schema["allOf"].as_array().into_iter().flatten() {
            self.check(part, value, path, depth + 1);
        }
        if let Some(branches) = schema["oneOf"].as_array() {
            let matching = self.matching_branches(branches, value, depth);
            if matching != 1 {
                self.report(
                    path,
                    format!(
                        "must match exactly one of {} oneOf schemas, matches {matching}",
                        branches.len()
                    ),
                );
            }
        }
        if let Some(branches) = schema["anyOf"].as_array() {
            if self.matching_branches(branches, value, depth) == 0 {
                self.report(path, "matches none of the anyOf schemas");
            }
        }
        if let Some(allowed) = schema["enum"].as_array() {
            if !allowed.is_empty() && !allowed.iter().any(|a| json_eq(a, value)) {
                let names: Vec<String> = allowed
                    .iter()
                    .map(|v| v.as_str().map(str::to_string).unwrap_or(v.to_string()))
                    .collect();
                self.report(path, format!("must be one of: {}", names.join(", ")));
                return;
            }
        }
        match schema["type"].as_str() {
            Some("string") => self.check_string(schema, value, path),
            Some(kind @ ("number" | "integer")) => self.check_number(schema, value, path, kind),
            Some("boolean") if !value.is_boolean() => self.report(path, "must be a boolean"),
            Some("array") => self.check_array(schema, value, path, depth),
            Some("object") => self.check_object(schema, value, path, depth),
            // No type: only the keywords above apply, or properties imply an object.
            None if schema.get("properties").is_some() => {
                self.check_object(schema, value, path, depth)
            }
            _ => {}
        }
    }

    fn matching_branches(&self, branches: &[Value], value: &Value, depth: usize) -> usize {
        branches
            .iter()
            .filter(|branch| {
                let mut trial = Checker {
                    root: self.root,
                    check_formats: self.check_formats,
                    problems: Vec::new(),
                };
                trial.check(branch, value, &mut String::from("$"), depth + 1);
                trial.problems.is_empty()
            })
            .count()
    }

    fn check_string(&mut self, schema: &Value, value: &Value, path: &str) {
        let Some(text) = value.as_str() else {
            self.report(path, "must be a string");
            return;
        };
        let length = text.chars().count() as u64;
        if let Some(min) = schema["minLength"].as_u64() {
            if length < min {
                self.report(path, format!("must be at least {min} characters long"));
            }
        }
        if let Some(max) = schema["maxLength"].as_u64() {
            if length > max {
                self.report(path, format!("must be at most {max} characters long"));
            }
        }
        if self.check_formats
            && schema["format"].as_str() == Some("date-time")
            && chrono::DateTime::parse_from_rfc3339(text).is_err()
        {
            self.report(path, "must be an RFC 3339 date-time");
        }
    }

    fn check_number(&mut self, schema: &Value, value: &Value, path: &str, kind: &str) {
        let Some(n) = value.as_f64() else {
            self.report(path, format!("must be a {kind}"));
            return;
        };
        if kind == "integer" && n.fract() != 0.0 {
            self.report(path, "must be an integer");
        }
        if let Some(min) = schema["minimum"].as_f64() {
            if n < min {
                self.report(path, format!("must not be less than {min}"));
            }
        }
        if let Some(max) = schema["maximum"].as_f64() {
            if n > max {
                self.report(path, format!("must not be greater than {max}"));
            }
        }
    }

    fn check_array(&mut self, schema: &Value, value: &Value, path: &mut String, depth: usize) {
        let Some(items) = value.as_array() else {
            self.report(path, "must be an array");
            return;
        };
        let count = items.len() as u64;
        if let Some(min) = schema["minItems"].as_u64() {
            if count < min {
                self.report(path, format!("must have at least {min} items"));
            }
        }
        if let Some(max) = schema["maxItems"].as_u64() {
            if count > max {
                self.report(path, format!("must have at most {max} items"));
            }
        }
        if schema["uniqueItems"].as_bool() == Some(true) {
            let duplicate = items
                .iter()
                .enumerate()
                .any(|(i, a)| items[..i].iter().any(|b| json_eq(a, b)));
            if duplicate {
                self.report(path, "must not contain duplicate items");
            }
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                self.check(item_schema, item, path, depth + 1);
                path.truncate(len);
            }
        }
    }

    fn check_object(&mut self, schema: &Value, value: &Value, path: &mut String, depth: usize) {
        let Some(map) = value.as_object() else {
            self.report(path, "must be an object");
            return;
        };
        for name in schema["required"].as_array().into_iter().flatten() {
            let Some(name) = name.as_str() else { continue };
            if !map.contains_key(name) {
                self.report(path, format!("required property {name} is missing"));
            }
        }
        let required = |name: &str| {
            schema["required"]
                .as_array()
                .is_some_and(|r| r.iter().any(|n| n == name))
        };
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            let Some(v) = map.get(name) else { continue };
            if v.is_null() && !required(name) {
                continue;
            }
            let len = path.len();
            path.push('.');
            path.push_str(name);
            self.check(property, v, path, depth + 1);
            path.truncate(len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn root() -> Value {
        json!({"components": {"schemas": {
            "Page": {"type": "object", "required": ["totalCount", "list"], "properties": {
                "totalCount": {"type": "number", "minimum": 0},
                "list": {"type": "array", "maxItems": 2, "items": {"$ref": "#/components/schemas/Item"}}
            }},
            "Item": {"type": "object", "required": ["status"], "properties": {
                "status": {"type": "string", "enum": ["Activated", "Suspended"]},
                "name": {"type": "string", "maxLength": 3},
                "at": {"type": "string", "format": "date-time"},
                "note": {"type": "string", "nullable": true}
            }},
            "Either": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "Loop": {"$ref": "#/components/schemas/Loop"}
        }}})
    }

    /// Sorted: the order of properties depends on serde_json's map features.
    fn problems(schema: &str, value: Value) -> Vec<String> {
        let root = root();
        let schema = json!({"$ref": format!("#/components/schemas/{schema}")});
        let mut found: Vec<String> = schema_problems(&root, &schema, &value)
            .iter()
            .map(Problem::to_string)
            .collect();
        found.sort();
        found
    }

    #[test]
    fn a_valid_value_has_no_problems() {
        let page = json!({"totalCount": 1, "list": [{"status": "Activated", "name": null}]});
        assert_eq!(problems("Page", page), Vec::<String>::new());
    }

    #[test]
    fn problems_name_their_json_path() {
        let page = json!({"totalCount": true, "list": [
            {"status": "Activated"},
            {"status": "Gone", "name": "long name", "note": null}
        ]});
        assert_eq!(
            problems("Page", page),
            [
                "$.list[1].name: must be at most 3 characters long",
                "$.list[1].status: must be one of: Activated, Suspended",
                "$.totalCount: must be a number",
            ]
        );
        let page =
            json!({"totalCount": -1, "list": [{}, {"status": null}, {"status": "Suspended"}]});
        assert_eq!(
            problems("Page", page),
            [
                "$.list: must have at most 2 items",
                "$.list[0]: required property status is missing",
                "$.list[1].status: must not be null",
                "$.totalCount: must not be less than 0",
            ]
        );
    }

    #[test]
    fn one_of_needs_exactly_one_branch() {
        assert!(problems("Either", json!("a")).is_empty());
        assert!(problems("Either", json!(["a"])).is_empty());
        assert_eq!(
            problems("Either", json!(5)),
            ["$: must match exactly one of 2 oneOf schemas, matches 0"]
        );
    }

    #[test]
    fn formats_only_in_strict_mode_and_cycles_end() {
        let root = root();
        let item = json!({"$ref": "#/components/schemas/Item"});
        let value = json!({"status": "Activated", "at": "2022-06-03"});
        assert!(schema_problems(&root, &item, &value).is_empty());
        assert!(!strictly_valid(&root, &item, &value));
        let value = json!({"status": "Activated", "at": "2022-07-03T02:20:30.000Z"});
        assert!(strictly_valid(&root, &item, &value));
        assert_eq!(
            problems("Loop", json!(1)),
            ["$: unresolvable $ref #/components/schemas/Loop"]
        );
    }
}
