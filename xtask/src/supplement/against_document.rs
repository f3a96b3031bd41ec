//! The derivation checked on ground truth: the operations that both the SDK and
//! Authing's document have are derived the same way and compared with the
//! document's (query parameters with their required-ness and types, the body model,
//! the response model). What differs or cannot be derived is listed in
//! spec/SUPPLEMENT-SOURCE.txt; it is information, not a failure, since the document
//! is older than the SDK.

use super::client::Method;
use super::derive::{operation, Source};
use super::models::Models;
use super::schema::{canonical, show, ts_of, SCHEMA_REF};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Default)]
pub struct Outcome {
    pub compared: usize,
    pub identical: usize,
    /// `METHOD path (method): differences`.
    pub differing: Vec<(String, Vec<String>)>,
    /// `METHOD path (method): why it cannot be derived`.
    pub underivable: Vec<(String, String)>,
}

pub fn check(src: &Source, methods: &[&Method], models: &mut Models, document: &Value) -> Outcome {
    let mut out = Outcome::default();
    for m in methods {
        let method = m.request.method.to_lowercase();
        let label = format!("{} {} ({})", m.request.method, m.request.url, m.name);
        let theirs = &document["paths"][&m.request.url][&method];
        out.compared += 1;
        match operation(src, m, models, &mut Vec::new()) {
            Err(e) => out.underivable.push((label, format!("{e:#}"))),
            Ok(ours) => {
                let diffs = differences(&ours, theirs);
                if diffs.is_empty() {
                    out.identical += 1;
                } else {
                    out.differing.push((label, diffs));
                }
            }
        }
    }
    out
}

fn differences(ours: &Value, theirs: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let (a, b) = (params(ours), params(theirs));
    for (name, (req, ty)) in &a {
        match b.get(name) {
            None => out.push(format!("query {name}: only in the SDK")),
            Some((r, t)) => {
                if r != req {
                    out.push(format!(
                        "query {name}: required {req} in the SDK, {r} in the document"
                    ));
                }
                if t != ty {
                    out.push(format!("query {name}: SDK type {ty}, document type {t}"));
                }
            }
        }
    }
    for name in b.keys().filter(|n| !a.contains_key(*n)) {
        out.push(format!("query {name}: only in the document"));
    }
    let body = |op: &Value| model(&op["requestBody"]["content"]["application/json"]["schema"]);
    if body(ours) != body(theirs) {
        out.push(format!(
            "body: SDK {}, document {}",
            body(ours),
            body(theirs)
        ));
    }
    let response = |op: &Value| {
        let r = &op["responses"];
        let ok = if r.get("200").is_some() {
            &r["200"]
        } else {
            &r["201"]
        };
        model(&ok["content"]["application/json"]["schema"])
    };
    if response(ours) != response(theirs) {
        out.push(format!(
            "response: SDK {}, document {}",
            response(ours),
            response(theirs)
        ));
    }
    out
}

fn params(op: &Value) -> BTreeMap<String, (bool, String)> {
    op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let name = p["name"].as_str().unwrap_or_default().to_string();
            let required = p["required"].as_bool().unwrap_or(false);
            (name, (required, show(&canonical(&ts_of(&p["schema"])))))
        })
        .collect()
}

fn model(schema: &Value) -> String {
    match schema {
        Value::Null => "none".into(),
        s => s["$ref"]
            .as_str()
            .map(|r| r.trim_start_matches(SCHEMA_REF).to_string())
            .unwrap_or_else(|| show(&canonical(&ts_of(s)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_what_the_document_says_otherwise() {
        let ours = json!({
            "parameters": [
                {"name": "page", "required": false, "schema": {"type": "number"}},
                {"name": "sortBy", "required": false, "schema": {"type": "string", "enum": ["a", "b"]}}
            ],
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
            "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/IsSuccessRespDto"}}}}}
        });
        let theirs = json!({
            "parameters": [
                {"name": "page", "required": true, "schema": {"type": "number", "default": 1}},
                {"name": "sortBy", "required": false, "schema": {"type": "string", "enum": ["b"]}},
                {"name": "old", "required": false, "schema": {"type": "string"}}
            ],
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
            "responses": {"201": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/CommonResponseDto"}}}}}
        });
        assert_eq!(
            differences(&ours, &theirs),
            vec![
                "query page: required false in the SDK, true in the document",
                "query sortBy: SDK type 'a' | 'b', document type 'b'",
                "query old: only in the document",
                "response: SDK IsSuccessRespDto, document CommonResponseDto",
            ]
        );
        assert_eq!(differences(&ours, &ours), Vec::<String>::new());
    }
}
