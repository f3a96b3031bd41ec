//! The route table, derived from the vendored OpenAPI document merged with the supplement
//! (see [`merge`]; request validation against the same document is in [`validate`]).
//!
//! The emulator does not hand-code its routes: every operation of the document is routable, so a
//! client calling an operation that exists upstream but is not emulated gets a synthesized
//! answer (or an explicit 501) instead of a 404 that would look like a client bug.

mod merge;
mod validate;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use http::Method;
use serde_json::Value;

/// The documents are embedded so that the binary is self-contained.
const DOCUMENT: &str = include_str!("../../../../spec/management-openapi.json");
const SUPPLEMENT: &str = include_str!("../../../../spec/management-supplement.json");
/// The generator's record of its fix-ups; its `not-required` lines are Authing's server
/// facts that request validation follows.
const FIXUPS_APPLIED: &str = include_str!("../../../../spec/fixups-applied.txt");

#[derive(Debug)]
pub struct Spec {
    /// The whole document, for the `$ref`s that validation and synthesis follow.
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
    SPEC.get_or_init(|| Arc::new(served_document().expect("embedded documents are valid")))
        .clone()
}

/// Authing's document with the supplement merged in and the server's known leniencies applied.
fn served_document() -> Result<Spec, String> {
    let mut doc: Value = serde_json::from_str(DOCUMENT).map_err(|e| e.to_string())?;
    let supplement: Value = serde_json::from_str(SUPPLEMENT).map_err(|e| e.to_string())?;
    merge::merge_supplement(&mut doc, &supplement)?;
    merge::relax_required(&mut doc, FIXUPS_APPLIED)?;
    Spec::from_document(doc)
}

impl Spec {
    #[cfg(test)]
    pub fn parse(text: &str) -> Result<Spec, String> {
        Spec::from_document(serde_json::from_str(text).map_err(|e| e.to_string())?)
    }

    pub fn from_document(doc: Value) -> Result<Spec, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_and_supplement_have_all_operations() {
        let spec = spec();
        assert_eq!(
            spec.operations().len(),
            511,
            "425 documented + 86 supplement"
        );
        let mut ids: Vec<&str> = spec.operations().iter().map(|o| o.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 511, "operationIds are unique");
        assert!(ids.binary_search(&"NodeSdk_addDevice").is_ok());
        assert_eq!(
            Spec::parse(DOCUMENT).unwrap().operations().len(),
            425,
            "the published document alone"
        );
        for id in crate::operation::EMULATED {
            assert!(ids.binary_search(id).is_ok(), "{id} is not in the document");
        }
    }

    #[test]
    fn routes_exact_templated_and_wrong_method() {
        let spec = spec();
        match spec.find(&Method::POST, "/api/v3/import-otp") {
            RouteMatch::Found(op, _) => assert_eq!(op.id, crate::operation::IMPORT_OTP),
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
}
