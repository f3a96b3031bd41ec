//! Route table and request validation, both derived from the vendored OpenAPI document.
//!
//! The emulator does not hand-code its routes: every operation of the document is routable, so a
//! client calling an operation that exists upstream but is not emulated gets a synthesized
//! answer (or an explicit 501) instead of a 404 that would look like a client bug.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use http::Method;
use serde_json::Value;

/// The document is embedded so that the binary is self-contained.
const DOCUMENT: &str = include_str!("../../../spec/management-openapi.json");

/// Validation stops collecting after this many problems; the first few are what a user needs.
const MAX_REPORTED_ERRORS: usize = 5;

#[derive(Debug)]
pub struct Spec {
    doc: Value,
    operations: Vec<Operation>,
    /// Exact (non-templated) paths to the operations on them.
    exact: HashMap<String, Vec<usize>>,
    /// Templated paths such as `/api/v3/ip-list/{id}`, split into segments.
    templated: Vec<(Vec<String>, Vec<usize>)>,
}

#[derive(Debug)]
pub struct Operation {
    pub id: String,
    pub method: Method,
    pub params: Vec<Param>,
    /// Schema of the JSON body; an absent or empty body is validated as `{}`, which is what
    /// Authing's framework sees.
    pub body_schema: Option<Value>,
    /// The documented success status (200 for all but three operations, which say 201).
    pub success_status: u16,
    /// Schema of the success body; `None` where the document describes no body.
    pub success_schema: Option<Value>,
}

#[derive(Debug)]
pub struct Param {
    pub name: String,
    pub location: ParamIn,
    pub required: bool,
    pub schema: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamIn {
    Query,
    Path,
}

pub enum RouteMatch<'a> {
    Found(&'a Operation, Vec<(String, String)>),
    /// The path exists with other methods; the list is for the error message.
    WrongMethod(Vec<Method>),
    NotFound,
}

/// The parsed document, shared by every emulator in the process (parsing 2 MB of JSON per
/// emulator would slow down test suites that start many of them).
pub fn spec() -> Arc<Spec> {
    static SPEC: OnceLock<Arc<Spec>> = OnceLock::new();
    SPEC.get_or_init(|| {
        Arc::new(Spec::parse(DOCUMENT).expect("embedded OpenAPI document is valid"))
    })
    .clone()
}

impl Spec {
    pub fn parse(text: &str) -> Result<Spec, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("document has no paths")?;
        let mut operations = Vec::new();
        let mut exact: HashMap<String, Vec<usize>> = HashMap::new();
        let mut templated: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            let mut indices = Vec::new();
            for (method, op) in item {
                let method = match method.as_str() {
                    "get" => Method::GET,
                    "post" => Method::POST,
                    "put" => Method::PUT,
                    "delete" => Method::DELETE,
                    "patch" => Method::PATCH,
                    _ => continue,
                };
                let id = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{method} {path} has no operationId"))?
                    .to_string();
                let params = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .map(|list| list.iter().filter_map(parse_param).collect())
                    .unwrap_or_default();
                let body_schema = op
                    .pointer("/requestBody/content/application~1json/schema")
                    .cloned();
                let (success_status, success_schema) = success_response(op);
                indices.push(operations.len());
                operations.push(Operation {
                    id,
                    method,
                    params,
                    body_schema,
                    success_status,
                    success_schema,
                });
            }
            if path.contains('{') {
                templated.push((split(path), indices));
            } else {
                exact.insert(path.clone(), indices);
            }
        }
        Ok(Spec {
            doc,
            operations,
            exact,
            templated,
        })
    }

    #[cfg(test)]
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The whole document, against which `#/...` references resolve.
    pub fn document(&self) -> &Value {
        &self.doc
    }

    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.id == id)
    }

    pub fn find(&self, method: &Method, path: &str) -> RouteMatch<'_> {
        let (indices, params) = if let Some(indices) = self.exact.get(path) {
            (indices, Vec::new())
        } else {
            let segments = split(path);
            let found = self.templated.iter().find_map(|(template, indices)| {
                match_template(template, &segments).map(|params| (indices, params))
            });
            match found {
                Some(found) => found,
                None => return RouteMatch::NotFound,
            }
        };
        match indices
            .iter()
            .map(|&i| &self.operations[i])
            .find(|op| op.method == *method)
        {
            Some(op) => RouteMatch::Found(op, params),
            None => RouteMatch::WrongMethod(
                indices
                    .iter()
                    .map(|&i| self.operations[i].method.clone())
                    .collect(),
            ),
        }
    }

    /// Checks query and path parameters against the operation's declarations.
    pub fn validate_params(
        &self,
        op: &Operation,
        query: &[(String, String)],
        path_params: &[(String, String)],
    ) -> Result<(), String> {
        let mut errors = Vec::new();
        for param in &op.params {
            let values: Vec<&str> = match param.location {
                ParamIn::Query => query
                    .iter()
                    .filter(|(k, _)| *k == param.name || *k == format!("{}[]", param.name))
                    .map(|(_, v)| v.as_str())
                    .collect(),
                ParamIn::Path => path_params
                    .iter()
                    .filter(|(k, _)| *k == param.name)
                    .map(|(_, v)| v.as_str())
                    .collect(),
            };
            let what = match param.location {
                ParamIn::Query => "query parameter",
                ParamIn::Path => "path parameter",
            };
            if values.is_empty() || values.iter().all(|v| v.is_empty()) {
                if param.required {
                    errors.push(format!("{what} {} is required", param.name));
                }
                continue;
            }
            let schema = self.resolve(&param.schema);
            let value = query_value(self, schema, &values);
            self.check(
                schema,
                &value,
                &format!("{what} {}", param.name),
                &mut errors,
            );
        }
        report(errors)
    }

    /// Checks a JSON body against a schema; error messages name the field path, e.g.
    /// `list[3].otp.secret is required`.
    pub fn validate_body(&self, schema: &Value, body: &Value) -> Result<(), String> {
        let mut errors = Vec::new();
        self.check(schema, body, "", &mut errors);
        report(errors)
    }

    fn resolve<'a>(&'a self, mut schema: &'a Value) -> &'a Value {
        // A loop, not recursion: a `$ref` may point at another `$ref`.
        for _ in 0..32 {
            match schema.get("$ref").and_then(Value::as_str) {
                Some(reference) => match reference
                    .strip_prefix('#')
                    .and_then(|pointer| self.doc.pointer(pointer))
                {
                    Some(target) => schema = target,
                    None => return &Value::Null,
                },
                None => return schema,
            }
        }
        schema
    }

    fn check(&self, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
        if errors.len() >= MAX_REPORTED_ERRORS {
            return;
        }
        let schema = self.resolve(schema);
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for part in all {
                self.check(part, value, path, errors);
            }
        }
        let subject = if path.is_empty() {
            "request body".to_string()
        } else {
            path.to_string()
        };
        if value.is_null() {
            // Absent and null optional fields are accepted alike (Authing's validators treat
            // null as "not given"); required ones are reported by the parent object.
            return;
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.is_empty() && !allowed.contains(value) {
                let names: Vec<String> = allowed
                    .iter()
                    .map(|v| v.as_str().map(str::to_string).unwrap_or(v.to_string()))
                    .collect();
                errors.push(format!("{subject} must be one of: {}", names.join(", ")));
                return;
            }
        }
        let Some(kind) = schema.get("type").and_then(Value::as_str) else {
            return;
        };
        match kind {
            "string" if !value.is_string() => {
                errors.push(format!("{subject} must be a string"));
            }
            "boolean" if !value.is_boolean() => {
                errors.push(format!("{subject} must be a boolean"));
            }
            "integer" | "number" => {
                let Some(n) = value.as_f64() else {
                    errors.push(format!("{subject} must be a number"));
                    return;
                };
                if kind == "integer" && n.fract() != 0.0 {
                    errors.push(format!("{subject} must be an integer"));
                }
                if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
                    if n < min {
                        errors.push(format!("{subject} must not be less than {min}"));
                    }
                }
                if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
                    if n > max {
                        errors.push(format!("{subject} must not be greater than {max}"));
                    }
                }
            }
            "array" => {
                let Some(items) = value.as_array() else {
                    errors.push(format!("{subject} must be an array"));
                    return;
                };
                if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
                    if (items.len() as u64) < min {
                        errors.push(format!("{subject} must contain at least {min} elements"));
                    }
                }
                if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
                    if items.len() as u64 > max {
                        errors.push(format!(
                            "{subject} must contain no more than {max} elements"
                        ));
                    }
                }
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        if item.is_null() {
                            errors.push(format!("{path}[{i}] must not be null"));
                            continue;
                        }
                        self.check(item_schema, item, &format!("{path}[{i}]"), errors);
                    }
                }
            }
            "object" => {
                let properties = schema.get("properties").and_then(Value::as_object);
                let required = schema.get("required").and_then(Value::as_array);
                // A bare `type: object` is free-form; the upstream document also uses it for
                // fields whose examples are strings or numbers, so anything is accepted.
                if properties.is_none() && required.is_none() {
                    return;
                }
                let Some(map) = value.as_object() else {
                    errors.push(format!("{subject} must be an object"));
                    return;
                };
                let child = |name: &str| {
                    if path.is_empty() {
                        name.to_string()
                    } else {
                        format!("{path}.{name}")
                    }
                };
                for name in required.into_iter().flatten().filter_map(Value::as_str) {
                    if map.get(name).is_none_or(Value::is_null) {
                        errors.push(format!("{} is required", child(name)));
                    }
                }
                // Unknown extra properties are accepted: clients often send more than declared.
                for (name, prop) in properties.into_iter().flatten() {
                    if let Some(v) = map.get(name) {
                        self.check(prop, v, &child(name), errors);
                    }
                }
            }
            _ => {}
        }
    }
}

fn parse_param(p: &Value) -> Option<Param> {
    let location = match p.get("in")?.as_str()? {
        "query" => ParamIn::Query,
        "path" => ParamIn::Path,
        _ => return None,
    };
    Some(Param {
        name: p.get("name")?.as_str()?.to_string(),
        location,
        required: p.get("required").and_then(Value::as_bool).unwrap_or(false)
            || location == ParamIn::Path,
        schema: p.get("schema").cloned().unwrap_or(Value::Null),
    })
}

/// The first 2xx response the operation documents, and its JSON schema if it has one.
fn success_response(op: &Value) -> (u16, Option<Value>) {
    let responses = op.get("responses").and_then(Value::as_object);
    let found = responses
        .into_iter()
        .flatten()
        .find_map(|(code, response)| {
            let status = match code.as_str() {
                "2XX" | "2xx" => 200,
                code => code
                    .parse::<u16>()
                    .ok()
                    .filter(|c| (200..300).contains(c))?,
            };
            Some((status, response))
        });
    match found {
        Some((status, response)) => (
            status,
            response
                .pointer("/content/application~1json/schema")
                .cloned(),
        ),
        None => (200, None),
    }
}

fn split(path: &str) -> Vec<String> {
    path.split('/').map(str::to_string).collect()
}

fn match_template(template: &[String], segments: &[String]) -> Option<Vec<(String, String)>> {
    if template.len() != segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (t, s) in template.iter().zip(segments) {
        if let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            if s.is_empty() {
                return None;
            }
            params.push((name.to_string(), s.clone()));
        } else if t != s {
            return None;
        }
    }
    Some(params)
}

/// Turns query strings into the JSON value the schema describes, so that one checker serves
/// bodies and queries. Unparseable scalars stay strings and fail the type check.
fn query_value(spec: &Spec, schema: &Value, values: &[&str]) -> Value {
    let scalar = |schema: &Value, raw: &str| -> Value {
        match spec.resolve(schema).get("type").and_then(Value::as_str) {
            Some("number") | Some("integer") => raw
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(raw.to_string())),
            // Any ASCII case: Authing's official Python SDK sends `str(True)` = "True" (its
            // requests call gets Python booleans), and .NET's bool.ToString() is "True" too.
            Some("boolean") if raw.eq_ignore_ascii_case("true") => Value::Bool(true),
            Some("boolean") if raw.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => Value::String(raw.to_string()),
        }
    };
    if schema.get("type").and_then(Value::as_str) == Some("array") {
        // Arrays arrive as repeated keys (`ids=a&ids=b`) or comma-separated (`ids=a,b`).
        let item = schema.get("items").unwrap_or(&Value::Null);
        Value::Array(
            values
                .iter()
                .flat_map(|v| v.split(','))
                .filter(|v| !v.is_empty())
                .map(|v| scalar(item, v))
                .collect(),
        )
    } else {
        scalar(schema, values[values.len() - 1])
    }
}

fn report(errors: Vec<String>) -> Result<(), String> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn document_has_all_operations() {
        let spec = spec();
        assert_eq!(spec.operations().len(), 425);
        let mut ids: Vec<&str> = spec.operations().iter().map(|o| o.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 425, "operationIds are unique");
    }

    #[test]
    fn routes_exact_templated_and_wrong_method() {
        let spec = spec();
        match spec.find(&Method::POST, "/api/v3/import-otp") {
            RouteMatch::Found(op, _) => assert_eq!(op.id, "UsersManagementController_importOtp"),
            _ => panic!("import-otp not found"),
        }
        match spec.find(&Method::DELETE, "/api/v3/ip-list/abc") {
            RouteMatch::Found(_, params) => {
                assert_eq!(params, vec![("id".to_string(), "abc".to_string())])
            }
            _ => panic!("templated path not found"),
        }
        assert!(matches!(
            spec.find(&Method::GET, "/api/v3/import-otp"),
            RouteMatch::WrongMethod(_)
        ));
        assert!(matches!(
            spec.find(&Method::GET, "/api/v3/nope"),
            RouteMatch::NotFound
        ));
    }

    #[test]
    fn body_errors_name_the_field_path() {
        let spec = spec();
        let schema = json!({"$ref": "#/components/schemas/ImportOtpReqDto"});
        let body = json!({"list": [{"userId": "u", "otp": {}}]});
        assert_eq!(
            spec.validate_body(&schema, &body).unwrap_err(),
            "list[0].otp.secret is required"
        );
        let body = json!({"list": [{"userId": 5, "otp": {"secret": "S"}}]});
        assert_eq!(
            spec.validate_body(&schema, &body).unwrap_err(),
            "list[0].userId must be a string"
        );
        assert_eq!(
            spec.validate_body(&schema, &json!([])).unwrap_err(),
            "request body must be an object"
        );
    }
}
