//! Request validation against the document: query and path parameters, and JSON
//! bodies, with messages that name the field path.

use serde_json::Value;

use super::{Operation, ParamIn, Spec};
use crate::js::Js;
use crate::query::Query;

/// Validation stops collecting after this many problems; the first few are what a user needs.
const MAX_REPORTED_ERRORS: usize = 5;

impl Spec {
    /// Checks query and path parameters against the operation's declarations. The query is
    /// Express's parse of it, so `ids[]=a` is the array `ids`.
    pub fn validate_params(
        &self,
        op: &Operation,
        query: &Query,
        path_params: &[(String, String)],
    ) -> Result<(), String> {
        let mut errors = Vec::new();
        for param in &op.params {
            let (what, given) = match param.location {
                ParamIn::Query => ("query parameter", query.get(&param.name).cloned()),
                ParamIn::Path => (
                    "path parameter",
                    path_params
                        .iter()
                        .find(|(k, _)| *k == param.name)
                        .map(|(_, v)| Js::Str(v.clone())),
                ),
            };
            let Some(given) = given.filter(|v| !blank(v)) else {
                if param.required {
                    errors.push(format!("{what} {} is required", param.name));
                }
                continue;
            };
            let schema = self.resolve(&param.schema);
            let value = query_value(self, schema, &given);
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
                if schema["minimum"].as_f64().is_some_and(|min| n < min) {
                    errors.push(out_of_range(path));
                }
                if let Some(max) = schema["maximum"].as_f64().filter(|max| n > *max) {
                    // Authing's message for `limit` above 50 (its Node SDK's tests); the same
                    // wording is assumed for other bounded numbers.
                    errors.push(format!("{} must less than {max}", leaf(path)));
                }
            }
            "array" => {
                let Some(items) = value.as_array() else {
                    errors.push(format!("{subject} must be an array"));
                    return;
                };
                let min = schema.get("minItems").and_then(Value::as_u64);
                let max = schema.get("maxItems").and_then(Value::as_u64);
                let count = items.len() as u64;
                if min.is_some_and(|min| count < min) || max.is_some_and(|max| count > max) {
                    errors.push(out_of_range(path));
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

/// An empty string, or an array of nothing but empty strings, counts as not given.
fn blank(value: &Js) -> bool {
    match value {
        Js::Str(s) => s.is_empty(),
        Js::Arr(items) => items.iter().all(blank),
        _ => false,
    }
}

/// Turns query strings into the JSON value the schema describes, so that one checker serves
/// bodies and queries. Unparseable scalars stay strings and fail the type check; an array or
/// object where a scalar is declared stays what it is and fails too.
fn query_value(spec: &Spec, schema: &Value, given: &Js) -> Value {
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
    let item_value = |schema: &Value, item: &Js| match item {
        Js::Str(s) => scalar(schema, s),
        other => other.to_value(),
    };
    if schema.get("type").and_then(Value::as_str) == Some("array") {
        let item = schema.get("items").unwrap_or(&Value::Null);
        match given {
            // `ids[]=a&ids[]=b` (the Node SDK) and `ids=a&ids=b` (the Python SDK).
            Js::Arr(items) => Value::Array(items.iter().map(|v| item_value(item, v)).collect()),
            // A single `ids=a`, which Express reads as a string; `ids=a,b` split (assumption).
            Js::Str(s) => Value::Array(
                s.split(',')
                    .filter(|v| !v.is_empty())
                    .map(|v| scalar(item, v))
                    .collect(),
            ),
            other => other.to_value(),
        }
    } else {
        item_value(schema, given)
    }
}

/// Authing's message for a value outside its bounds (a number below `minimum`, a list with
/// too few items...), as its Node SDK's tests show it: `参数 <property> 格式错误`, naming
/// the property (`limit` for `options.pagination.limit`, `page` for the query parameter).
fn out_of_range(path: &str) -> String {
    format!("参数 {} 格式错误", leaf(path))
}

/// The property a path ends with: `limit` for `options.pagination.limit`, `userIds` for
/// `query parameter userIds`, `list` for `list[3]`.
fn leaf(path: &str) -> &str {
    path.rsplit(['.', ' '])
        .next()
        .unwrap_or(path)
        .split('[')
        .next()
        .unwrap_or_default()
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

    #[test]
    fn array_parameters_in_every_form_express_reads() {
        let spec = spec();
        let op = spec
            .operation("UsersManagementController_getUserBatch")
            .unwrap();
        for query in [
            "userIds%5B%5D=a",
            "userIds[]=a&userIds[]=b",
            "userIds=a&userIds=b",
            "userIds=a",
            "userIds=a,b",
        ] {
            let query = crate::query::Query::parse(query);
            assert_eq!(spec.validate_params(op, &query, &[]), Ok(()), "{query:?}");
        }
        let missing = crate::query::Query::parse("userIds[]=");
        assert_eq!(
            spec.validate_params(op, &missing, &[]).unwrap_err(),
            "query parameter userIds is required"
        );
        let get_user = spec.operation("UsersManagementController_getUser").unwrap();
        let array_for_string = crate::query::Query::parse("userId[]=a");
        assert_eq!(
            spec.validate_params(get_user, &array_for_string, &[])
                .unwrap_err(),
            "query parameter userId must be a string"
        );
    }

    #[test]
    fn properties_the_server_does_not_require_may_be_left_out() {
        let spec = spec();
        for (schema, body) in [
            (
                "CreateGroupReqDto",
                json!({"code": "g", "name": "G", "description": "d"}),
            ),
            (
                "CreateOrganizationReqDto",
                json!({"organizationCode": "o", "organizationName": "O"}),
            ),
            (
                "UpdateDepartmentReqDto",
                json!({"organizationCode": "o", "departmentId": "d", "name": "n"}),
            ),
            ("UpdateRoleDto", json!({"code": "r", "newCode": "r2"})),
            ("CreateTenantDto", json!({"name": "t"})),
            ("CreateTenantUserReqDto", json!({"username": "u"})),
        ] {
            let schema = json!({"$ref": format!("#/components/schemas/{schema}")});
            assert_eq!(spec.validate_body(&schema, &body), Ok(()), "{schema}");
        }
        // What stays required is still checked.
        let schema = json!({"$ref": "#/components/schemas/CreateGroupReqDto"});
        assert_eq!(
            spec.validate_body(&schema, &json!({"code": "g", "description": "d"}))
                .unwrap_err(),
            "name is required"
        );
    }
}
