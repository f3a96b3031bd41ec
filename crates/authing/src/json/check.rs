//! A JSON request checked against the operation's table row before it is sent. Errors
//! name the operation and the parameter (or the body's JSON path) and say why; they
//! never quote the value given, which may be a secret.

use serde_json::Value;

use super::{JsonRequest, Kind, Location, Operation};
use crate::error::Error;

/// Check `request` for `operation`: every parameter named is one of the operation's
/// path or query parameters, every required one is given, each value has the
/// document's type (and is one of its listed values, when it lists them), and the
/// body decodes into the generated body type. Query pairs given as extra are not
/// checked.
pub fn check(operation: &Operation, request: &JsonRequest) -> Result<(), Error> {
    let invalid = |what: String| Error::InvalidRequest(format!("{}: {what}", operation.name));
    let sent_as_parameter =
        |p: &&super::Parameter| matches!(p.location, Location::Path | Location::Query);
    for name in request.params.keys() {
        let known = operation
            .parameters
            .iter()
            .filter(sent_as_parameter)
            .any(|p| p.name == name || p.plain_name() == name);
        if !known {
            return Err(invalid(format!("no parameter `{name}`")));
        }
    }
    for p in operation.parameters.iter().filter(sent_as_parameter) {
        match request.param(p) {
            None | Some(Value::Null) if p.required => {
                return Err(invalid(format!(
                    "parameter `{}` is required",
                    p.plain_name()
                )))
            }
            None | Some(Value::Null) => {}
            Some(value) => fits(value, p.kind, p.values)
                .map_err(|why| invalid(format!("parameter `{}`: {why}", p.plain_name())))?,
        }
    }
    match (&operation.body, super::body(operation, request)) {
        (None, Some(_)) => Err(invalid("takes no body".into())),
        (Some(body), Some(value)) => {
            (body.check)(&value).map_err(|why| invalid(format!("body: {why}")))
        }
        _ => Ok(()),
    }
}

/// Whether `value` has the type `kind` (and is among `values`, when listed).
pub(crate) fn fits(value: &Value, kind: Kind, values: &[&str]) -> Result<(), String> {
    let ok = match (kind, value) {
        (Kind::Any, _) => true,
        (Kind::String, Value::String(s)) => {
            if !values.is_empty() && !values.contains(&s.as_str()) {
                return Err(format!(
                    "not an allowed value: expected one of {}",
                    list(values)
                ));
            }
            true
        }
        (Kind::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
        (Kind::Number, Value::Number(_)) => true,
        (Kind::Boolean, Value::Bool(_)) => true,
        (Kind::Object, Value::Object(_)) => true,
        (Kind::Array(items), Value::Array(list)) => {
            for (i, item) in list.iter().enumerate() {
                fits(item, *items, values).map_err(|why| format!("item {i}: {why}"))?;
            }
            true
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {}, not {}", describe(kind), found(value)))
    }
}

/// What a kind is called in messages.
pub fn describe(kind: Kind) -> String {
    match kind {
        Kind::String => "a string".into(),
        Kind::Integer => "an integer".into(),
        Kind::Number => "a number".into(),
        Kind::Boolean => "a boolean (true or false)".into(),
        Kind::Object => "a JSON object".into(),
        Kind::Any => "any JSON value".into(),
        Kind::Array(items) => format!("an array of {}", plural(*items)),
    }
}

fn plural(kind: Kind) -> String {
    match kind {
        Kind::String => "strings".into(),
        Kind::Integer => "integers".into(),
        Kind::Number => "numbers".into(),
        Kind::Boolean => "booleans".into(),
        Kind::Object => "objects".into(),
        Kind::Any => "values".into(),
        Kind::Array(items) => format!("arrays of {}", plural(*items)),
    }
}

/// The type of what was given, not the value.
fn found(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `a`, `b`, `c`
pub fn list(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_and_listed_values() {
        assert!(fits(&json!(5), Kind::Integer, &[]).is_ok());
        let e = fits(&json!(5.5), Kind::Integer, &[]).unwrap_err();
        assert_eq!(e, "expected an integer, not a fractional number");
        let e = fits(&json!("TOPSECRET"), Kind::Boolean, &[]).unwrap_err();
        assert!(!e.contains("TOPSECRET"), "{e}");
        let e = fits(&json!(["a", "x"]), Kind::Array(&Kind::String), &["a", "b"]).unwrap_err();
        assert_eq!(e, "item 1: not an allowed value: expected one of `a`, `b`");
        assert!(fits(&json!({"any": 1}), Kind::Any, &[]).is_ok());
        assert!(fits(&json!([1, 2]), Kind::Array(&Kind::Integer), &[]).is_ok());
    }
}
