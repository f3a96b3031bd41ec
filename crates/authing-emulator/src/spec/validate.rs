//! Request validation against the document: query and path parameters, and JSON
//! bodies, with messages that name the field path.

use serde_json::Value;

use super::{Operation, ParamIn, Spec};

/// Validation stops collecting after this many problems; the first few are what a user needs.
const MAX_REPORTED_ERRORS: usize = 5;

impl Spec {
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
    use crate::spec::spec;
    use serde_json::json;

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
