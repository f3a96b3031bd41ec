//! Response bodies in the forms a real Authing server may send, built from Authing's own
//! document (the vendored `spec/management-openapi.json`, not our fixed-up copy): the
//! document's examples as written, then one variant per kind of looseness seen in the
//! real service (nulls, absent fields, unknown fields and enum values, other date forms,
//! required fields missing inside `data`).

use serde_json::{json, Map, Value};

/// How optional (or, inside `data`, required) properties appear in a variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Value,
    Null,
    Absent,
}

/// A date-time as Authing's docs and SDK tests show them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateForm {
    Rfc3339,
    DateOnly,
    EpochMillis,
    EpochMillisString,
    Empty,
}

impl DateForm {
    pub const ALL: [DateForm; 5] = [
        DateForm::Rfc3339,
        DateForm::DateOnly,
        DateForm::EpochMillis,
        DateForm::EpochMillisString,
        DateForm::Empty,
    ];

    fn value(self) -> Value {
        match self {
            DateForm::Rfc3339 => json!("2022-07-03T02:20:30.000Z"),
            DateForm::DateOnly => json!("2022-06-03"),
            DateForm::EpochMillis => json!(1_656_815_230_000_i64),
            DateForm::EpochMillisString => json!("1656815230000"),
            DateForm::Empty => json!(""),
        }
    }
}

/// One way of writing a response.
#[derive(Clone, Copy, Debug)]
pub struct Variant {
    pub name: &'static str,
    pub optional: Presence,
    pub required_in_data: Presence,
    pub extra_properties: bool,
    pub unknown_enums: bool,
    pub date: Option<DateForm>,
}

const BASE: Variant = Variant {
    name: "examples as written",
    optional: Presence::Value,
    required_in_data: Presence::Value,
    extra_properties: false,
    unknown_enums: false,
    date: None,
};

/// Every variant the tests decode.
pub fn all() -> Vec<Variant> {
    let mut out = vec![
        BASE,
        Variant {
            name: "optional properties null",
            optional: Presence::Null,
            ..BASE
        },
        Variant {
            name: "optional properties absent",
            optional: Presence::Absent,
            ..BASE
        },
        Variant {
            name: "unknown extra properties",
            extra_properties: true,
            ..BASE
        },
        Variant {
            name: "unknown enum values",
            unknown_enums: true,
            ..BASE
        },
    ];
    for (form, name) in DateForm::ALL.into_iter().zip([
        "dates RFC 3339",
        "dates date-only",
        "dates epoch ms (number)",
        "dates epoch ms (string)",
        "dates empty string",
    ]) {
        out.push(Variant {
            name,
            date: Some(form),
            ..BASE
        });
    }
    out.push(Variant {
        name: "required in data missing",
        required_in_data: Presence::Absent,
        ..BASE
    });
    out.push(Variant {
        name: "required in data null",
        required_in_data: Presence::Null,
        ..BASE
    });
    out
}

/// Builds bodies from one document.
pub struct Generator<'a> {
    doc: &'a Value,
    /// Examples in the document that do not fit their own schema (and were replaced
    /// by a value derived from the type): counted for the report.
    pub invalid_examples: std::cell::Cell<usize>,
    /// For requests: an example must also have its object's required properties and
    /// one of its enum's values (the server refuses a request without them).
    strict: bool,
}

const MAX_DEPTH: usize = 12;

impl<'a> Generator<'a> {
    pub fn new(doc: &'a Value) -> Self {
        Generator {
            doc,
            invalid_examples: Default::default(),
            strict: false,
        }
    }

    /// A generator for requests (see [`Generator::request`]).
    pub fn for_requests(doc: &'a Value) -> Self {
        Generator {
            strict: true,
            ..Generator::new(doc)
        }
    }

    /// The success response schema of `method path`, if it is JSON.
    pub fn response_schema(&self, method: &str, path: &str) -> Option<&'a Value> {
        let responses = &self.doc["paths"][path][method.to_lowercase()]["responses"];
        ["200", "201", "2XX"]
            .iter()
            .find_map(|code| responses.get(code))
            .and_then(|r| r.pointer("/content/application~1json/schema"))
    }

    /// A response body for `schema` written as `variant` asks.
    pub fn body(&self, schema: &Value, variant: &Variant) -> Value {
        self.value(schema, variant, Context::Root, 0)
    }

    /// A request built from the document's examples (where they fit their types):
    /// every parameter and every body property, by wire name.
    pub fn request(&self, method: &str, path: &str) -> (Vec<(String, Value)>, Option<Value>) {
        let op = &self.doc["paths"][path][method.to_lowercase()];
        let params = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let schema = &p["schema"];
                let value = match p.get("example") {
                    Some(e)
                        if self.fits(e, self.resolve(schema), kind_of(self.resolve(schema))) =>
                    {
                        e.clone()
                    }
                    _ => self.value(schema, &BASE, Context::Other, 0),
                };
                (p["name"].as_str().unwrap_or_default().to_string(), value)
            })
            .collect();
        let body = op
            .pointer("/requestBody/content/application~1json/schema")
            .map(|schema| self.value(schema, &BASE, Context::Other, 0));
        (params, body)
    }

    pub fn resolve(&self, mut schema: &'a Value) -> &'a Value {
        while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            schema = self
                .doc
                .pointer(r.trim_start_matches('#'))
                .unwrap_or(&Value::Null);
        }
        schema
    }

    /// Properties and required names of an object schema, `allOf` parts merged.
    fn object_parts(&self, schema: &'a Value) -> (Vec<(&'a str, &'a Value)>, Vec<&'a str>) {
        let schema = self.resolve(schema);
        let mut props = Vec::new();
        let mut required = Vec::new();
        for part in schema["allOf"].as_array().into_iter().flatten() {
            let (p, r) = self.object_parts(part);
            props.extend(p);
            required.extend(r);
        }
        for (k, v) in schema["properties"].as_object().into_iter().flatten() {
            props.push((k.as_str(), v));
        }
        required.extend(
            schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str),
        );
        (props, required)
    }

    fn value(&self, schema: &'a Value, variant: &Variant, ctx: Context, depth: usize) -> Value {
        let schema = self.resolve(schema);
        if let Some(first) = ["oneOf", "anyOf"]
            .iter()
            .find_map(|k| schema[*k].as_array().and_then(|a| a.first()))
        {
            return self.value(first, variant, ctx, depth);
        }
        let kind = kind_of(schema);
        if variant.unknown_enums
            && schema["enum"]
                .as_array()
                .is_some_and(|e| e.iter().any(Value::is_string))
        {
            return json!("A_VALUE_ADDED_LATER");
        }
        if kind == "string" && schema["format"] == "date-time" {
            if let Some(form) = variant.date {
                return form.value();
            }
        }
        if let Some(example) = schema.get("example") {
            if kind != "object" || schema.get("properties").is_none() {
                if self.fits(example, schema, kind) {
                    return example.clone();
                }
                self.invalid_examples.set(self.invalid_examples.get() + 1);
            }
        }
        match kind {
            "string" => match schema["enum"].as_array().and_then(|e| e.first()) {
                Some(v) => v.clone(),
                None if schema["format"] == "date-time" => DateForm::Rfc3339.value(),
                None => json!("text"),
            },
            "number" | "integer" => json!(1),
            "boolean" => json!(true),
            "array" if depth < MAX_DEPTH => {
                let item = self.value(&schema["items"], variant, ctx.below(), depth + 1);
                json!([item])
            }
            "array" => json!([]),
            "object" if depth < MAX_DEPTH => self.object(schema, variant, ctx, depth),
            "object" => json!({}),
            _ => json!("any"),
        }
    }

    fn object(&self, schema: &'a Value, variant: &Variant, ctx: Context, depth: usize) -> Value {
        let (props, required) = self.object_parts(schema);
        let mut out = Map::new();
        if props.is_empty() {
            out.insert("key".into(), json!("value"));
        }
        for (name, prop) in props {
            let is_required = required.contains(&name);
            let presence = match (is_required, ctx) {
                (false, _) => variant.optional,
                (true, Context::Data | Context::InsideData) => variant.required_in_data,
                (true, _) => Presence::Value,
            };
            let value = match presence {
                Presence::Absent => continue,
                Presence::Null => Value::Null,
                Presence::Value if ctx == Context::Root && name == "statusCode" => json!(200),
                Presence::Value if ctx == Context::Root && name == "message" => json!(""),
                Presence::Value => {
                    let child = if ctx == Context::Root && name == "data" {
                        Context::Data
                    } else {
                        ctx.below()
                    };
                    self.value(prop, variant, child, depth + 1)
                }
            };
            out.insert(name.to_string(), value);
        }
        if variant.extra_properties {
            out.insert(
                "aPropertyAddedLater".into(),
                json!({"nested": [1, "two", null], "flag": false}),
            );
        }
        Value::Object(out)
    }

    /// Whether an example is a value of its schema's type, under the lenient rules
    /// (date-times may be any of the forms Authing uses).
    fn fits(&self, example: &Value, schema: &'a Value, kind: &str) -> bool {
        match kind {
            "string" if schema["format"] == "date-time" => {
                example.is_string() || example.is_i64() || example.is_u64()
            }
            "string" if self.strict => {
                example.is_string()
                    && schema["enum"]
                        .as_array()
                        .is_none_or(|values| values.contains(example))
            }
            "string" => example.is_string(),
            "number" | "integer" => example.is_number(),
            "boolean" => example.is_boolean(),
            "array" => example.as_array().is_some_and(|items| {
                let item = self.resolve(&schema["items"]);
                let kind = item["type"].as_str().unwrap_or("object");
                items.iter().all(|i| self.fits(i, item, kind))
            }),
            // A structured object must be one (with its required properties, for a
            // request); a free-form one may hold anything.
            "object" if schema.get("properties").is_some() || schema.get("allOf").is_some() => {
                let (props, required) = self.object_parts(schema);
                let Some(object) = example.as_object() else {
                    return false;
                };
                !self.strict
                    || (required.iter().all(|r| object.contains_key(*r))
                        && props.iter().all(|(name, prop)| {
                            let prop = self.resolve(prop);
                            object
                                .get(*name)
                                .is_none_or(|v| v.is_null() || self.fits(v, prop, kind_of(prop)))
                        }))
            }
            "object" => true,
            _ => true,
        }
    }
}

/// Where in the body a value sits: the envelope, `data` itself, or below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context {
    Root,
    Data,
    InsideData,
    /// Below an envelope property other than `data`.
    Other,
}

impl Context {
    fn below(self) -> Context {
        match self {
            Context::Data | Context::InsideData => Context::InsideData,
            Context::Root | Context::Other => Context::Other,
        }
    }
}

/// A schema's type, `object` when it only lists properties or parts.
fn kind_of(schema: &Value) -> &str {
    schema["type"].as_str().unwrap_or(
        if schema.get("properties").is_some() || schema.get("allOf").is_some() {
            "object"
        } else {
            ""
        },
    )
}
