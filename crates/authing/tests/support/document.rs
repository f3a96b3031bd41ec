//! Authing's document with the supplement's operations and schemas added, as the xtask
//! merges them before its fix-ups: the raw description of what the server sends and
//! takes, before any of our repairs.

use serde_json::Value;

pub fn document() -> Value {
    let read = |name: &str| -> Value {
        let path = format!("{}/../../spec/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let mut doc = read("management-openapi.json");
    let supplement = read("management-supplement.json");
    for (path, item) in supplement["paths"].as_object().unwrap() {
        // A path may be in both, with other methods.
        let methods = item.as_object().unwrap().clone();
        match doc["paths"][path].as_object_mut() {
            Some(existing) => existing.extend(methods),
            None => doc["paths"][path] = Value::Object(methods),
        }
    }
    for (name, schema) in supplement["components"]["schemas"].as_object().unwrap() {
        doc["components"]["schemas"][name] = schema.clone();
    }
    doc
}
