//! `authing api`'s arguments to a JSON request: `-F KEY=VALUE` typed by the document,
//! `--data` (inline or `@FILE`), `--query`, and the path parameters of a concrete
//! path. Messages name the flag and the parameter, never the value (it may be a
//! secret).

use std::io::Read;

use authing::json::{Found, JsonRequest, Kind, Location, Operation, Parameter};
use serde_json::{Map, Value};

use crate::cli::ApiArgs;
use crate::exit;

/// Why the arguments make no request, and the exit code that says so.
#[derive(Debug)]
pub struct Refused {
    pub code: i32,
    pub message: String,
}

fn refused(code: i32, message: impl Into<String>) -> Refused {
    Refused {
        code,
        message: message.into(),
    }
}

/// The request `args` describe for the operation `found`.
pub fn build(found: &Found, args: &ApiArgs) -> Result<JsonRequest, Refused> {
    let op = found.operation;
    let mut request = JsonRequest {
        params: found.path_params.clone(),
        ..JsonRequest::default()
    };
    if let Some(data) = &args.data {
        let value = read_data(data)?;
        match (&op.body, value) {
            (Some(_), value) => request.body = Some(value),
            // Without a body, --data holds the parameters.
            (None, Value::Object(params)) => {
                for (key, value) in params {
                    insert_once(&mut request.params, key, value, "--data")?;
                }
            }
            (None, _) => {
                return Err(refused(
                    exit::INVALID_INPUT,
                    format!(
                        "{}: takes no body, so --data must be a JSON object of its parameters",
                        op.name
                    ),
                ))
            }
        }
    }
    for field in &args.fields {
        let (key, text) = split_pair(field, "-F")?;
        let parameter = parameter(op, key)?;
        let value = typed(parameter, text)
            .map_err(|why| refused(exit::INVALID_INPUT, format!("-F {key}: {why}")))?;
        let target = match parameter.location {
            Location::Path | Location::Query => &mut request.params,
            Location::Body => match request.body.get_or_insert_with(|| Map::new().into()) {
                Value::Object(body) => body,
                _ => {
                    return Err(refused(
                        exit::INVALID_INPUT,
                        format!("-F {key}: the --data body is not a JSON object"),
                    ))
                }
            },
        };
        add(target, parameter, value)?;
    }
    warn_unknown_fields(op, request.body.as_ref());
    for pair in &args.query {
        let (key, value) = split_pair(pair, "--query")?;
        request
            .extra_query
            .push((key.to_string(), value.to_string()));
    }
    Ok(request)
}

/// Top-level body fields the document does not know are sent as they are (the server
/// may know them), with a warning: most are typos.
fn warn_unknown_fields(op: &Operation, body: Option<&Value>) {
    let fields: Vec<&str> = op
        .parameters
        .iter()
        .filter(|p| p.location == Location::Body)
        .map(|p| p.name)
        .collect();
    let Some(Value::Object(body)) = body else {
        return;
    };
    if fields.is_empty() {
        return;
    }
    for key in body.keys().filter(|k| !fields.contains(&k.as_str())) {
        let hint = match crate::api_lookup::closest(key, fields.iter().copied()).first() {
            Some(close) => format!(" (did you mean `{close}`?)"),
            None => String::new(),
        };
        crate::output::stderr_line(format!(
            "warning: {}: the document's body has no field `{key}`; sent as it is{hint}",
            op.name
        ));
    }
}

/// `--data JSON`, `--data @FILE` or `--data @-` (stdin).
fn read_data(data: &str) -> Result<Value, Refused> {
    let (text, source) = match data.strip_prefix('@') {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| {
                refused(exit::NO_INPUT, format!("--data @-: cannot read stdin: {e}"))
            })?;
            (text, "--data @- (stdin)".to_string())
        }
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| refused(exit::NO_INPUT, format!("--data @{path}: {e}")))?;
            (text, format!("--data @{path}"))
        }
        None => (data.to_string(), "--data".to_string()),
    };
    serde_json::from_str(&text).map_err(|e| {
        // serde_json's syntax errors give the position, not the text around it.
        refused(
            exit::INVALID_INPUT,
            format!(
                "{source}: not JSON: line {} column {}: {:?} error",
                e.line(),
                e.column(),
                e.classify()
            ),
        )
    })
}

fn split_pair<'a>(pair: &'a str, flag: &str) -> Result<(&'a str, &'a str), Refused> {
    match pair.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key, value)),
        _ => Err(refused(
            exit::USAGE,
            format!("{flag} takes KEY=VALUE (the `=` is missing or the key is empty)"),
        )),
    }
}

/// The parameter or body field `key` names, by wire or plain name; an unknown key is
/// refused with the likely ones.
fn parameter(op: &'static Operation, key: &str) -> Result<&'static Parameter, Refused> {
    if let Some(p) = op
        .parameters
        .iter()
        .find(|p| p.name == key || p.plain_name() == key)
    {
        return Ok(p);
    }
    let names: Vec<&str> = op.parameters.iter().map(Parameter::plain_name).collect();
    let hint = match crate::api_lookup::closest(key, names.iter().copied()).as_slice() {
        [] if names.is_empty() => " (it takes none)".to_string(),
        [] => format!("; it takes: {}", names.join(", ")),
        close => format!("; did you mean {}?", close.join(", ")),
    };
    Err(refused(
        exit::INVALID_INPUT,
        format!(
            "-F {key}: {} has no parameter or body field `{key}`{hint} (--query sends a pair unchecked)",
            op.name
        ),
    ))
}

/// The JSON value of `-F KEY=TEXT` for `parameter`. Arrays are handled item by item;
/// an array given as JSON is taken whole.
fn typed(parameter: &Parameter, text: &str) -> Result<Value, String> {
    match parameter.kind {
        Kind::Array(items) => {
            if text.trim_start().starts_with('[') {
                return json(text, "a JSON array");
            }
            match items {
                // One item per flag: an object or free value may hold commas.
                Kind::Object | Kind::Any | Kind::Array(_) => {
                    Ok(Value::Array(vec![scalar(*items, text)?]))
                }
                _ if text.is_empty() => Ok(Value::Array(Vec::new())),
                _ => text
                    .split(',')
                    .map(|item| scalar(*items, item.trim()))
                    .collect::<Result<_, _>>()
                    .map(Value::Array),
            }
        }
        kind => scalar(kind, text),
    }
}

fn scalar(kind: Kind, text: &str) -> Result<Value, String> {
    let expected = || format!("expected {}", authing::json::describe(kind));
    match kind {
        Kind::String => Ok(Value::String(text.to_string())),
        Kind::Integer => text.parse::<i64>().map(Value::from).map_err(|_| expected()),
        Kind::Number => match serde_json::from_str::<serde_json::Number>(text) {
            Ok(n) => Ok(Value::Number(n)),
            Err(_) => Err(expected()),
        },
        Kind::Boolean => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(expected()),
        },
        Kind::Object => json(text, "a JSON object").and_then(|v| match v {
            Value::Object(_) => Ok(v),
            _ => Err(expected()),
        }),
        // Free values: JSON when it parses, else the text as a string.
        Kind::Any => Ok(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.into()))),
        Kind::Array(_) => json(text, "a JSON array"),
    }
}

fn json(text: &str, what: &str) -> Result<Value, String> {
    serde_json::from_str(text)
        .map_err(|e| format!("expected {what}: not JSON (column {})", e.column()))
}

/// Put `value` under the parameter's name: arrays grow with each flag, anything else
/// may be given once.
fn add(
    target: &mut Map<String, Value>,
    parameter: &Parameter,
    value: Value,
) -> Result<(), Refused> {
    let key = parameter.plain_name();
    match (target.get_mut(key), value) {
        (Some(Value::Array(have)), Value::Array(more)) => {
            have.extend(more);
            Ok(())
        }
        (_, value) => insert_once(target, key.to_string(), value, "-F"),
    }
}

fn insert_once(
    target: &mut Map<String, Value>,
    key: String,
    value: Value,
    flag: &str,
) -> Result<(), Refused> {
    if target.contains_key(&key) {
        return Err(refused(
            exit::USAGE,
            format!("{flag} {key}: given more than once (by the path, --data or -F)"),
        ));
    }
    target.insert(key, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn param(kind: Kind) -> Parameter {
        Parameter {
            name: "p",
            location: Location::Query,
            required: false,
            kind,
            values: &[],
        }
    }

    #[test]
    fn values_are_typed_as_the_document_types_them() {
        let strings = param(Kind::Array(&Kind::String));
        assert_eq!(typed(&strings, "a,b").unwrap(), json!(["a", "b"]));
        assert_eq!(typed(&strings, r#"["a,b"]"#).unwrap(), json!(["a,b"]));
        let integers = param(Kind::Array(&Kind::Integer));
        assert_eq!(typed(&integers, "1, 2").unwrap(), json!([1, 2]));
        assert!(typed(&integers, "1,x").is_err());
        let objects = param(Kind::Array(&Kind::Object));
        assert_eq!(
            typed(&objects, r#"{"a":1,"b":2}"#).unwrap(),
            json!([{"a": 1, "b": 2}])
        );
        assert_eq!(typed(&param(Kind::Integer), "50").unwrap(), json!(50));
        assert_eq!(
            typed(&param(Kind::Integer), "5.5").unwrap_err(),
            "expected an integer"
        );
        assert_eq!(typed(&param(Kind::Number), "5.5").unwrap(), json!(5.5));
        assert_eq!(typed(&param(Kind::Boolean), "false").unwrap(), json!(false));
        assert!(typed(&param(Kind::Boolean), "yes").is_err());
        assert_eq!(typed(&param(Kind::String), "007").unwrap(), json!("007"));
        assert_eq!(typed(&param(Kind::Any), "7").unwrap(), json!(7));
        assert_eq!(
            typed(&param(Kind::Any), "Activated").unwrap(),
            json!("Activated")
        );
    }

    #[test]
    fn arrays_grow_with_each_flag_and_other_values_are_given_once() {
        let strings = param(Kind::Array(&Kind::String));
        let mut target = Map::new();
        add(&mut target, &strings, json!(["a"])).unwrap();
        add(&mut target, &strings, json!(["b", "c"])).unwrap();
        assert_eq!(target["p"], json!(["a", "b", "c"]));
        let one = param(Kind::String);
        let mut target = Map::new();
        add(&mut target, &one, json!("a")).unwrap();
        assert_eq!(
            add(&mut target, &one, json!("b")).unwrap_err().code,
            exit::USAGE
        );
    }
}
