//! The operation table of the generated crate (`generated_operations.rs`): every
//! operation as data, for calls made from JSON (`authing api`).
//!
//! Read off the fixed-up document (method, path, parameters, body properties, with the
//! types the typed client sends), the generated builders (the body type a body is
//! checked against) and what the paging pass found (where a request asks for a page,
//! where the answer has its items and total, the largest page size), so that a call
//! made from JSON sends what the typed builder would and pages the way `Paginate` does.
//!
//! The table is written as text, one parameter a line through short constructors,
//! rather than as struct literals laid out by prettyplease: the same data in about a
//! third of the bytes (the generated crate is already large, and CI compiles it on two
//! cores).

use crate::generated_code::{builders, client_methods, last_ident};
use crate::paging::{resolve, PagedOperation, Request};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Render `generated_operations.rs`.
pub fn render(file: &syn::File, doc: &Value, paged: &[PagedOperation]) -> Result<String> {
    let methods = client_methods(file);
    let builders = builders(file)?;
    let paged: BTreeMap<&str, &PagedOperation> =
        paged.iter().map(|p| (p.name.as_str(), p)).collect();
    let mut rows = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let name = op["operationId"].as_str().unwrap_or_default();
            let builder = methods
                .get(name)
                .and_then(|b| builders.get(b))
                .with_context(|| format!("no generated builder for {name}"))?;
            let operation_id = op["x-authing-operation-id"].as_str().unwrap_or_default();
            let method_upper = method.to_uppercase();
            let summary = op["summary"].as_str().unwrap_or_default().trim();
            let deprecated = op["deprecated"] == true;
            // The typed builder sends path parameters in the path's order, then query
            // parameters sorted by name (progenitor's order); the table keeps that order.
            let mut sent: Vec<&Value> = op["parameters"].as_array().into_iter().flatten().collect();
            sent.sort_by_key(|p| match p["in"].as_str() {
                Some("path") => (0, ""),
                _ => (1, p["name"].as_str().unwrap_or_default()),
            });
            let mut parameters = Vec::new();
            for p in sent {
                let location = match p["in"].as_str() {
                    Some("path") => "P",
                    Some("query") => "Q",
                    other => bail!("{name}: parameter in {other:?}"),
                };
                let required = p["required"] == true || p["in"] == "path";
                parameters.push(parameter(
                    doc,
                    p["name"].as_str(),
                    location,
                    required,
                    &p["schema"],
                ));
            }
            let body_schema = op.pointer("/requestBody/content/application~1json/schema");
            let body = match (
                body_schema,
                builder.fields.iter().find(|(f, _)| f == "body"),
            ) {
                (Some(schema), Some((_, ty))) => {
                    let schema = resolve(doc, schema);
                    let required_fields: Vec<&str> = schema["required"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    for (field, s) in schema["properties"].as_object().into_iter().flatten() {
                        let required = required_fields.contains(&field.as_str());
                        parameters.push(parameter(doc, Some(field), "B", required, s));
                    }
                    let ty = last_ident(ty).context("body type")?;
                    let required = op["requestBody"]["required"] == true;
                    format!("body({required}, check_body::<types::{ty}>)")
                }
                (None, None) => "None".to_string(),
                _ => bail!("{name}: the document's body and the builder's disagree"),
            };
            // Operations documented without a JSON answer send no `accept` header.
            let answers_json = matches!(builder.response, Some(Some(_)));
            let paging = match paged.get(name) {
                Some(p) => paging(p),
                None => "None".to_string(),
            };
            let mut row = format!(
                "    Operation {{\n        name: {name:?}, operation_id: {operation_id:?}, method: {method_upper:?}, path: {path:?},\n        \
                 summary: {summary:?}, deprecated: {deprecated}, answers_json: {answers_json},\n        parameters: &["
            );
            if !parameters.is_empty() {
                row.push('\n');
                for p in &parameters {
                    let _ = writeln!(row, "            {p},");
                }
                row.push_str("        ");
            }
            let _ = write!(
                row,
                "],\n        body: {body},\n        paging: {paging},\n    }},\n"
            );
            rows.push(row);
        }
    }
    Ok(format!(
        "// @generated by `cargo xtask generate` from the fixed-up document and the generated\n\
         // client. DO NOT EDIT.\n\n\
         // Not every kind's short name is used by every document.\n\
         #![allow(dead_code)]\n\n\
         use crate::operations::Location::{{Body as B, Path as P, Query as Q}};\n\
         use crate::operations::{{check_body, Body, Kind, Location, Operation, PageAt, Paging, Parameter}};\n\
         use crate::types;\n\n\
         const S: Kind = Kind::String;\n\
         const I: Kind = Kind::Integer;\n\
         const N: Kind = Kind::Number;\n\
         const T: Kind = Kind::Boolean;\n\
         const O: Kind = Kind::Object;\n\
         const X: Kind = Kind::Any;\n\n\
         const fn p(name: &'static str, location: Location, required: bool, kind: Kind, values: &'static [&'static str]) -> Parameter {{\n    \
             Parameter {{ name, location, required, kind, values }}\n}}\n\n\
         const fn body(required: bool, check: fn(&serde_json::Value) -> Result<(), String>) -> Option<Body> {{\n    \
             Some(Body {{ required, check }})\n}}\n\n\
         /// Every operation, in the document's order.\n\
         pub static OPERATIONS: &[Operation] = &[\n{}];\n",
        rows.concat()
    ))
}

fn parameter(
    doc: &Value,
    name: Option<&str>,
    location: &str,
    required: bool,
    schema: &Value,
) -> String {
    let name = name.unwrap_or_default();
    let schema = resolve(doc, schema);
    let kind = kind(doc, schema);
    let listed = if schema["type"] == "array" {
        &resolve(doc, &schema["items"])["enum"]
    } else {
        &schema["enum"]
    };
    let values: Vec<String> = listed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|v| format!("{v:?}"))
        .collect();
    format!(
        "p({name:?}, {location}, {required}, {kind}, &[{}])",
        values.join(", ")
    )
}

fn kind(doc: &Value, schema: &Value) -> String {
    match schema["type"].as_str() {
        Some("string") => "S".into(),
        Some("integer") => "I".into(),
        Some("number") => "N".into(),
        Some("boolean") => "T".into(),
        Some("object") => "O".into(),
        Some("array") => format!(
            "Kind::Array(&{})",
            kind(doc, resolve(doc, &schema["items"]))
        ),
        _ if schema.get("properties").is_some() => "O".into(),
        _ if schema["enum"]
            .as_array()
            .is_some_and(|e| e.iter().all(Value::is_string)) =>
        {
            "S".into()
        }
        _ => "X".into(),
    }
}

fn paging(p: &PagedOperation) -> String {
    let at = match p.request {
        Request::Query => r#"PageAt::Query { page: "page", limit: "limit" }"#,
        Request::QueryPageNo => r#"PageAt::Query { page: "pageNo", limit: "pageSize" }"#,
        Request::Body => "PageAt::Body { at: &[] }",
        Request::BodyPagination => r#"PageAt::Body { at: &["pagination"] }"#,
        Request::BodyOptionsPagination => r#"PageAt::Body { at: &["options", "pagination"] }"#,
    };
    let items = p.items;
    let total = match p.total {
        Some(t) => format!("Some({t:?})"),
        None => "None".into(),
    };
    let max = match p.max_page_size {
        Some(m) => format!("Some({m})"),
        None => "None".into(),
    };
    format!("Some(Paging {{ at: {at}, items: {items:?}, total: {total}, max_page_size: {max} }})")
}
