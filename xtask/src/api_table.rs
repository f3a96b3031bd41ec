//! The operation table of the generated crate (`generated_operations.rs`): every
//! operation as data, for calls made from JSON (`authing api`).
//!
//! Read off the fixed-up document (method, path, parameters, body properties, with the
//! types the typed client sends), the generated builders (the body type a body is
//! checked against) and what the paging pass found (where a request asks for a page,
//! where the answer has its items and total, the largest page size), so that a call
//! made from JSON sends what the typed builder would and pages the way `Paginate` does.

use crate::generated_code::{builders, client_methods, last_ident};
use crate::paging::{resolve, PagedOperation, Request};
use anyhow::{bail, Context, Result};
use quote::{format_ident, quote};
use serde_json::Value;
use std::collections::BTreeMap;

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
                    Some("path") => quote!(Path),
                    Some("query") => quote!(Query),
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
                        parameters.push(parameter(doc, Some(field), quote!(Body), required, s));
                    }
                    let ty = format_ident!("{}", last_ident(ty).context("body type")?);
                    let required = op["requestBody"]["required"] == true;
                    quote!(Some(Body {
                        required: #required,
                        check: check_body::<types::#ty>,
                    }))
                }
                (None, None) => quote!(None),
                _ => bail!("{name}: the document's body and the builder's disagree"),
            };
            // Operations documented without a JSON answer send no `accept` header.
            let answers_json = matches!(builder.response, Some(Some(_)));
            let paging = match paged.get(name) {
                Some(p) => paging(p)?,
                None => quote!(None),
            };
            rows.push(quote! {
                Operation {
                    name: #name,
                    operation_id: #operation_id,
                    method: #method_upper,
                    path: #path,
                    summary: #summary,
                    deprecated: #deprecated,
                    parameters: &[#(#parameters),*],
                    body: #body,
                    answers_json: #answers_json,
                    paging: #paging,
                }
            });
        }
    }
    let tokens = quote! {
        use crate::operations::{check_body, Body, Kind, Location, Operation, PageAt, Paging, Parameter};
        use crate::types;

        /// Every operation, in the document's order.
        pub static OPERATIONS: &[Operation] = &[#(#rows),*];
    };
    let file: syn::File = syn::parse2(tokens).context("parsing the operation table")?;
    Ok(format!(
        "// @generated by `cargo xtask generate` from the fixed-up document and the generated\n\
         // client. DO NOT EDIT.\n\n{}",
        prettyplease::unparse(&file)
    ))
}

fn parameter(
    doc: &Value,
    name: Option<&str>,
    location: proc_macro2::TokenStream,
    required: bool,
    schema: &Value,
) -> proc_macro2::TokenStream {
    let name = name.unwrap_or_default();
    let schema = resolve(doc, schema);
    let kind = kind(doc, schema);
    let listed = if schema["type"] == "array" {
        &resolve(doc, &schema["items"])["enum"]
    } else {
        &schema["enum"]
    };
    let values: Vec<&str> = listed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    quote! {
        Parameter {
            name: #name,
            location: Location::#location,
            required: #required,
            kind: #kind,
            values: &[#(#values),*],
        }
    }
}

fn kind(doc: &Value, schema: &Value) -> proc_macro2::TokenStream {
    match schema["type"].as_str() {
        Some("string") => quote!(Kind::String),
        Some("integer") => quote!(Kind::Integer),
        Some("number") => quote!(Kind::Number),
        Some("boolean") => quote!(Kind::Boolean),
        Some("object") => quote!(Kind::Object),
        Some("array") => {
            let items = kind(doc, resolve(doc, &schema["items"]));
            quote!(Kind::Array(&#items))
        }
        _ if schema.get("properties").is_some() => quote!(Kind::Object),
        _ if schema["enum"]
            .as_array()
            .is_some_and(|e| e.iter().all(Value::is_string)) =>
        {
            quote!(Kind::String)
        }
        _ => quote!(Kind::Any),
    }
}

fn paging(p: &PagedOperation) -> Result<proc_macro2::TokenStream> {
    let at = match p.request {
        Request::Query => quote!(PageAt::Query {
            page: "page",
            limit: "limit"
        }),
        Request::QueryPageNo => quote!(PageAt::Query {
            page: "pageNo",
            limit: "pageSize"
        }),
        Request::Body => quote!(PageAt::Body { at: &[] }),
        Request::BodyPagination => quote!(PageAt::Body {
            at: &["pagination"]
        }),
        Request::BodyOptionsPagination => {
            quote!(PageAt::Body {
                at: &["options", "pagination"]
            })
        }
    };
    // The paging pass describes the answer's shape in words; each is one pair of places.
    let (items, total) = match p.answer {
        "data: [items]" => ("/data", None),
        "data: {list, totalCount}" => ("/data/list", Some("/data/totalCount")),
        "data: {list, count}" => ("/data/list", Some("/data/count")),
        "data: {list}" => ("/data/list", None),
        "data: {data, totalCount}" => ("/data/data", Some("/data/totalCount")),
        other => bail!(
            "{}: an answer shape the table does not know: {other}",
            p.name
        ),
    };
    let total = match total {
        Some(t) => quote!(Some(#t)),
        None => quote!(None),
    };
    let max = match p.max_page_size {
        Some(m) => quote!(Some(#m)),
        None => quote!(None),
    };
    Ok(quote!(Some(Paging {
        at: #at,
        items: #items,
        total: #total,
        max_page_size: #max,
    })))
}
