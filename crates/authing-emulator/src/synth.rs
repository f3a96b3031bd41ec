//! Answers for operations the emulator keeps no state for: a body valid under the document's
//! success schema, derived from the request so that the same request always gets the same
//! answer.
//!
//! Values come from the document where it can be trusted: an `example` (or `default`) is used
//! only when it is valid for its own schema, because some are not (`totalCount: true`, a date
//! string in a number field, `2022-06-03` in a date-time field). Everything else is derived
//! from the types, seeded by a hash of the request and the value's JSON path.

use std::cell::Cell;
use std::fmt;
use std::str::FromStr;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::query::Query;
use crate::schema_check::{resolve, strictly_valid};

/// What the emulator answers for an operation it has no behaviour for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unemulated {
    /// HTTP 200 (or the document's 2xx), a body valid under the document's success schema,
    /// header `x-authing-emulator: synthesized`.
    #[default]
    Synthesize,
    /// `{"statusCode":501,"message":"operation … is not emulated by authing-emulator"}`.
    Status501,
}

impl FromStr for Unemulated {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "synthesize" => Ok(Unemulated::Synthesize),
            "501" => Ok(Unemulated::Status501),
            other => Err(format!("expected synthesize or 501, got {other:?}")),
        }
    }
}

impl fmt::Display for Unemulated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unemulated::Synthesize => "synthesize",
            Unemulated::Status501 => "501",
        })
    }
}

/// Beyond this nesting, arrays get their minimum of items and objects only their required
/// properties: the document has recursive schemas (trees of resources and departments).
const MAX_DEPTH: usize = 16;
/// Beyond this nesting or this many values, objects and arrays are empty, so that even a
/// schema whose required properties recurse forever gets an answer, and a small one (invalid,
/// as any finite answer to such a schema would be).
const HARD_DEPTH: usize = 2 * MAX_DEPTH;
const HARD_NODES: usize = 4 * NODE_BUDGET;
/// Values generated per answer before arrays shrink to their minimum and optional properties
/// are left out, so that wide schemas with 1-2 items per array stay small.
const NODE_BUDGET: usize = 2_000;
/// Derived date-times fall between 2020-09-13 and 2023-11-14: plausible, and RFC 3339.
const EPOCH_SECS: i64 = 1_600_000_000;
const SPAN_SECS: u64 = 100_000_000;

/// A value valid under `schema` (strictly: date-times are RFC 3339), the same for the same
/// `seed`. `root` is the whole document, against which `#/...` references resolve.
///
/// Objects get every required property plus the optional ones the document gives a valid
/// example for; arrays 1-2 items within `minItems`/`maxItems`; strings the example, else a
/// stable string derived from the property name within `minLength`/`maxLength`; numbers an
/// integer within `minimum`/`maximum` (1-50 when unbounded: counts, pages and limits stay
/// plausible); enums one of their values.
pub fn synthesize_value(root: &Value, schema: &Value, seed: u64) -> Value {
    Synth::new(root, seed).value(schema, "$", 0)
}

/// The body of a synthesized success: Authing's envelope (`statusCode` 200, `message` "", the
/// request id is added by the server) around the document's `data`. For the few operations
/// whose documented body is not an envelope, the documented body gets the envelope's fields
/// added, which keeps it valid under the schema (extra properties are allowed) while clients
/// that check `statusCode`, as every Authing SDK does, see a success.
pub(crate) fn success_body(root: &Value, schema: Option<&Value>, seed: u64) -> Value {
    let synth = Synth::new(root, seed);
    let mut body = match schema {
        Some(schema) => synth.value(schema, "$", 0),
        None => json!({}),
    };
    let Some(map) = body.as_object_mut() else {
        return json!({"statusCode": 200, "message": "", "data": body});
    };
    // `data` is what a caller came for, so it is there even where the schema calls it optional.
    if let Some(data) = schema.and_then(|s| property(root, s, "data", 0)) {
        if !map.contains_key("data") {
            map.insert("data".into(), synth.value(data, "$.data", 1));
        }
    }
    map.insert("statusCode".into(), json!(200));
    // Authing's successes carry an empty message; the document's example says 操作成功.
    map.insert("message".into(), json!(""));
    map.remove("apiCode");
    map.remove("requestId");
    body
}

/// A stable hash of the request: operation, parsed query, and the body. The body is
/// the parsed value re-serialised, so it does not depend on the client's whitespace.
pub(crate) fn request_seed(operation_id: &str, query: &Query, body: &Value) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(operation_id.as_bytes());
    hasher.update(b"\n");
    hasher.update(query.to_json().as_bytes());
    hasher.update(b"\n\n");
    hasher.update(body.to_string().as_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// The schema of property `name` of an object schema, looking through `allOf`.
fn property<'a>(root: &'a Value, schema: &'a Value, name: &str, depth: usize) -> Option<&'a Value> {
    let schema = resolve(root, schema)?;
    if let Some(found) = schema.get("properties").and_then(|p| p.get(name)) {
        return Some(found);
    }
    if depth > MAX_DEPTH {
        return None;
    }
    schema["allOf"]
        .as_array()?
        .iter()
        .find_map(|part| property(root, part, name, depth + 1))
}

struct Synth<'a> {
    root: &'a Value,
    seed: u64,
    nodes: Cell<usize>,
}

impl<'a> Synth<'a> {
    fn new(root: &'a Value, seed: u64) -> Self {
        Synth {
            root,
            seed,
            nodes: Cell::new(0),
        }
    }

    fn exhausted(&self) -> bool {
        self.nodes.get() >= NODE_BUDGET
    }

    /// The document's own value for this schema, if it is valid: `example`, then `default`,
    /// on the schema as written and then on what its `$ref` points at.
    fn documented(&self, schema: &'a Value) -> Option<Value> {
        let target = resolve(self.root, schema)?;
        [schema, target]
            .into_iter()
            .flat_map(|s| [s.get("example"), s.get("default")])
            .flatten()
            .find(|candidate| !candidate.is_null() && strictly_valid(self.root, schema, candidate))
            .cloned()
    }

    /// splitmix64 over the seed and the path: a different, stable number for every value.
    fn hash(&self, path: &str) -> u64 {
        let mut h = self.seed ^ 0xcbf2_9ce4_8422_2325;
        for byte in path.bytes() {
            h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^ (h >> 31)
    }

    fn value(&self, schema: &'a Value, path: &str, depth: usize) -> Value {
        self.nodes.set(self.nodes.get() + 1);
        if let Some(value) = self.documented(schema) {
            return value;
        }
        let Some(s) = resolve(self.root, schema) else {
            return Value::Null;
        };
        let h = self.hash(path);
        if depth > HARD_DEPTH || self.nodes.get() > HARD_NODES {
            return match s["type"].as_str() {
                Some("array") => json!([]),
                Some("object") | None => json!({}),
                Some("number" | "integer") => derived_number(s, h),
                Some("boolean") => Value::Bool(h & 1 == 1),
                Some(_) => derived_string(s, path, h),
            };
        }
        if let Some(parts) = s["allOf"].as_array() {
            return self.all_of(s, parts, path, depth);
        }
        if let Some(branches) = s["oneOf"].as_array().or(s["anyOf"].as_array()) {
            return self.one_of(s, branches, path, depth, h);
        }
        if let Some(values) = s["enum"].as_array().filter(|v| !v.is_empty()) {
            let start = (h % values.len() as u64) as usize;
            let valid = (0..values.len())
                .map(|k| &values[(start + k) % values.len()])
                .find(|v| strictly_valid(self.root, s, v));
            if let Some(v) = valid {
                return v.clone();
            }
        }
        match s["type"].as_str() {
            Some("string") => derived_string(s, path, h),
            Some("number" | "integer") => derived_number(s, h),
            Some("boolean") => Value::Bool(h & 1 == 1),
            Some("array") => self.array(s, path, depth, h),
            Some("object") => self.object(s, path, depth),
            None if s.get("properties").is_some() => self.object(s, path, depth),
            _ => derived_string(s, path, h),
        }
    }

    fn all_of(&self, s: &'a Value, parts: &'a [Value], path: &str, depth: usize) -> Value {
        let mut merged = if s.get("properties").is_some() {
            self.object(s, path, depth)
        } else {
            Value::Null
        };
        for part in parts {
            let value = self.value(part, path, depth + 1);
            merged = match (merged, value) {
                (Value::Object(mut a), Value::Object(b)) => {
                    a.extend(b);
                    Value::Object(a)
                }
                (_, value) => value,
            };
        }
        merged
    }

    /// Tries the branches from a seed-chosen one on and keeps the first value that matches
    /// exactly one branch, which is what `oneOf` requires.
    fn one_of(
        &self,
        s: &'a Value,
        branches: &'a [Value],
        path: &str,
        depth: usize,
        h: u64,
    ) -> Value {
        let start = (h % branches.len() as u64) as usize;
        let mut first = None;
        for k in 0..branches.len() {
            let value = self.value(&branches[(start + k) % branches.len()], path, depth + 1);
            if strictly_valid(self.root, s, &value) {
                return value;
            }
            first.get_or_insert(value);
        }
        first.unwrap_or(Value::Null)
    }

    fn array(&self, s: &'a Value, path: &str, depth: usize, h: u64) -> Value {
        let min = s["minItems"].as_u64().unwrap_or(0) as usize;
        let max = s["maxItems"].as_u64().map_or(usize::MAX, |m| m as usize);
        let wanted = if depth >= MAX_DEPTH || self.exhausted() {
            min
        } else {
            1 + (h % 2) as usize
        };
        let count = wanted.max(min).min(max);
        let Some(item) = s.get("items") else {
            return Value::Array(Vec::new());
        };
        let unique = s["uniqueItems"].as_bool() == Some(true);
        let mut items: Vec<Value> = Vec::with_capacity(count);
        // Duplicates are retried under other paths (a few times) when items must be unique.
        let mut attempt = 0;
        while items.len() < count && attempt < count + 8 {
            let value = self.value(item, &format!("{path}[{attempt}]"), depth + 1);
            attempt += 1;
            if unique
                && items
                    .iter()
                    .any(|v| crate::schema_check::json_eq(v, &value))
            {
                continue;
            }
            items.push(value);
        }
        Value::Array(items)
    }

    fn object(&self, s: &'a Value, path: &str, depth: usize) -> Value {
        let mut map = Map::new();
        let required: Vec<&str> = s["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let shallow = depth < MAX_DEPTH;
        for (name, property) in s["properties"].as_object().into_iter().flatten() {
            if required.contains(&name.as_str()) {
                let value = self.value(property, &format!("{path}.{name}"), depth + 1);
                map.insert(name.clone(), value);
            } else if shallow && !self.exhausted() {
                if let Some(example) = self.documented(property) {
                    self.nodes.set(self.nodes.get() + 1);
                    map.insert(name.clone(), example);
                }
            }
        }
        // A required name without a declared schema can hold anything; a string will do.
        for name in required {
            if !map.contains_key(name) {
                let child = format!("{path}.{name}");
                map.insert(
                    name.to_string(),
                    derived_string(&Value::Null, &child, self.hash(&child)),
                );
            }
        }
        Value::Object(map)
    }
}

fn derived_string(s: &Value, path: &str, h: u64) -> Value {
    if s["format"].as_str() == Some("date-time") {
        let at = chrono::DateTime::from_timestamp(EPOCH_SECS + (h % SPAN_SECS) as i64, 0)
            .unwrap_or_default();
        return json!(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    }
    let name = path
        .rsplit('.')
        .next()
        .map(|n| n.split('[').next().unwrap_or(n))
        .filter(|n| !n.is_empty() && *n != "$")
        .unwrap_or("value");
    let mut text: String = format!("{name}-{:08x}", h as u32);
    if let Some(max) = s["maxLength"].as_u64() {
        text = text.chars().take(max as usize).collect();
    }
    if let Some(min) = s["minLength"].as_u64() {
        while (text.chars().count() as u64) < min {
            text.push('x');
        }
    }
    json!(text)
}

fn derived_number(s: &Value, h: u64) -> Value {
    let (lo, hi) = match (s["minimum"].as_f64(), s["maximum"].as_f64()) {
        (Some(min), Some(max)) => (min.ceil(), max.floor().max(min.ceil())),
        (Some(min), None) => (min.ceil(), min.ceil() + 49.0),
        (None, Some(max)) => (max.floor() - 49.0, max.floor()),
        (None, None) => (1.0, 50.0),
    };
    let span = (hi - lo) as u64 + 1;
    json!((lo as i64).saturating_add((h % span) as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema_check::strict_problems;
    use crate::spec::spec;

    fn reference(name: &str) -> Value {
        json!({"$ref": format!("#/components/schemas/{name}")})
    }

    /// Every schema node of `schema` (properties, items, compositions), outside `$ref`s.
    fn nodes<'a>(schema: &'a Value, found: &mut Vec<&'a Value>) {
        found.push(schema);
        for property in schema["properties"].as_object().into_iter().flatten() {
            nodes(property.1, found);
        }
        if let Some(items) = schema.get("items") {
            nodes(items, found);
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for part in schema[key].as_array().into_iter().flatten() {
                nodes(part, found);
            }
        }
    }

    #[test]
    fn every_schema_of_the_document_gets_a_valid_value() {
        let spec = spec();
        let root = spec.document();
        let names = root["components"]["schemas"].as_object().unwrap().keys();
        for name in names {
            for seed in [0, 1, 2] {
                let value = synthesize_value(root, &reference(name), seed);
                let problems = strict_problems(root, &reference(name), &value);
                assert!(problems.is_empty(), "{name} (seed {seed}): {problems:?}");
            }
        }
    }

    #[test]
    fn examples_invalid_for_their_schema_are_not_used() {
        let spec = spec();
        let root = spec.document();
        let mut all = Vec::new();
        for schema in root["components"]["schemas"].as_object().unwrap().values() {
            nodes(schema, &mut all);
        }
        let mut invalid = 0;
        for node in all {
            let Some(example) = node.get("example") else {
                continue;
            };
            if strictly_valid(root, node, example) {
                continue;
            }
            invalid += 1;
            let value = synthesize_value(root, node, 0);
            assert_ne!(&value, example);
            assert!(strictly_valid(root, node, &value), "{node} gave {value}");
        }
        // The document has dozens (`totalCount: true`, "2022-06-03" as a date-time, ...).
        assert!(invalid > 50, "only {invalid} invalid examples found");

        let history = synthesize_value(root, &reference("ImportTenantHistoryDataDto"), 0);
        assert!(history["totalCount"].is_number(), "{history}");
    }

    #[test]
    fn derived_values_respect_their_bounds_and_follow_the_seed() {
        let root = json!({});
        let schema = json!({"type": "object", "required": ["id", "n", "at", "tags", "kind"],
        "properties": {
            "id": {"type": "string", "maxLength": 6},
            "code": {"type": "string", "minLength": 30},
            "n": {"type": "number", "minimum": 3, "maximum": 5},
            "at": {"type": "string", "format": "date-time"},
            "tags": {"type": "array", "maxItems": 1, "items": {"type": "string", "minLength": 30}},
            "kind": {"type": "string", "enum": ["a", "b", "c"], "example": "z"},
            "note": {"type": "string", "example": "kept"},
            "skipped": {"type": "string"}
        }});
        let mut seen = Vec::new();
        for seed in 0..20 {
            let value = synthesize_value(&root, &schema, seed);
            assert!(strictly_valid(&root, &schema, &value), "{value}");
            assert_eq!(value, synthesize_value(&root, &schema, seed));
            assert_eq!(value["note"], "kept", "optional with an example");
            assert!(
                value.get("skipped").is_none(),
                "optional without an example"
            );
            assert!(value.get("code").is_none());
            let at = value["at"].as_str().unwrap();
            assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
            assert_eq!(value["tags"].as_array().unwrap().len(), 1);
            seen.push(value);
        }
        seen.sort_by_key(Value::to_string);
        seen.dedup();
        assert!(seen.len() > 10, "seeds give different values");
    }

    #[test]
    fn recursive_schemas_end() {
        let root = json!({"components": {"schemas": {
            "Node": {"type": "object", "required": ["name", "children", "left", "right"], "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                "left": {"$ref": "#/components/schemas/Node"},
                "right": {"$ref": "#/components/schemas/Node"}
            }}
        }}});
        let value = synthesize_value(&root, &reference("Node"), 3);
        let text = value.to_string();
        assert!(text.len() < 250_000, "{} bytes", text.len());
        assert_eq!(value, synthesize_value(&root, &reference("Node"), 3));
        // A tree that only recurses through an optional array is answered in full.
        let root = json!({"components": {"schemas": {
            "Tree": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string", "example": "root"},
                "children": {"type": "array", "example": [], "items": {"$ref": "#/components/schemas/Tree"}}
            }}
        }}});
        let value = synthesize_value(&root, &reference("Tree"), 3);
        assert_eq!(value, json!({"name": "root", "children": []}));
    }

    #[test]
    fn success_bodies_are_authing_envelopes() {
        let spec = spec();
        let root = spec.document();
        let common = success_body(root, Some(&reference("CommonResponseDto")), 1);
        assert_eq!(common, json!({"statusCode": 200, "message": ""}));
        let user = success_body(root, Some(&reference("UserSingleRespDto")), 1);
        assert_eq!(user["statusCode"], 200);
        assert_eq!(user["message"], "");
        assert_eq!(user["data"]["userId"], "6229ffaxxxxxxxxcade3e3d9");
        assert!(user.get("requestId").is_none(), "the server adds it");
        // A documented body without envelope keeps its fields and gains the envelope's.
        let bare = success_body(root, Some(&reference("IsSuccessDto")), 1);
        assert_eq!(
            bare,
            json!({"success": true, "statusCode": 200, "message": ""})
        );
        assert_eq!(
            success_body(root, None, 1),
            json!({"statusCode": 200, "message": ""})
        );
    }

    #[test]
    fn the_seed_covers_operation_query_and_body() {
        let query = Query::parse("page=1");
        let seed = request_seed("op", &query, &json!({"a": 1}));
        assert_eq!(seed, request_seed("op", &query, &json!({"a": 1})));
        assert_ne!(seed, request_seed("other", &query, &json!({"a": 1})));
        assert_ne!(
            seed,
            request_seed("op", &Query::default(), &json!({"a": 1}))
        );
        assert_ne!(seed, request_seed("op", &query, &json!({"a": 2})));
    }

    #[test]
    fn the_option_parses_both_spellings() {
        assert_eq!("synthesize".parse(), Ok(Unemulated::Synthesize));
        assert_eq!("501".parse(), Ok(Unemulated::Status501));
        assert!("502"
            .parse::<Unemulated>()
            .unwrap_err()
            .contains("synthesize or 501"));
        assert_eq!(Unemulated::Status501.to_string(), "501");
    }
}
