//! The cases the Node SDK comparison sends: the hand-written ones of
//! `node_sdk_cases.json` (chosen arguments: defaults, arrays, nested filters, numbers,
//! non-ASCII text, client options), then one per operation that has none (every
//! supplement operation, and every document operation the Node SDK calls in a form
//! we can give it), with the arguments built from the document's examples.

use crate::node_methods::{Form, NodeMethod};
use crate::operation_table::{Args, Operation, OPERATIONS};
use crate::variants::Generator;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The supplement's operations are named `NodeSdk_<the Node SDK's method>`.
const SUPPLEMENT_PREFIX: &str = "NodeSdk_";

#[derive(Deserialize, Serialize)]
pub struct Case {
    pub name: String,
    /// Our method (`authing::generated::Client`).
    pub rust: String,
    /// The Node SDK's `ManagementClient` method.
    pub node: String,
    /// The Node SDK's arguments, as its method takes them.
    pub args: Vec<Value>,
    /// Our arguments where they are not the Node SDK's first argument (the query of a
    /// GET or DELETE, the body otherwise): a positional or renamed parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust_args: Option<RustArgs>,
    #[serde(default)]
    pub client: ClientOptions,
}

#[derive(Deserialize, Serialize)]
pub struct RustArgs {
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
    pub body: Option<Value>,
}

#[derive(Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ClientOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

impl Case {
    pub fn operation(&self) -> &'static Operation {
        OPERATIONS
            .iter()
            .find(|op| op.name == self.rust)
            .unwrap_or_else(|| panic!("{}: no operation {}", self.name, self.rust))
    }

    /// Our arguments: the Node SDK's first argument is the query of a GET or DELETE and
    /// the body otherwise, unless the case says them itself.
    pub fn our_args(&self) -> Args {
        if let Some(a) = &self.rust_args {
            return Args {
                params: a.params.clone(),
                body: a.body.clone(),
            };
        }
        let first = self.args.first().cloned();
        match self.operation().method {
            "GET" | "DELETE" => Args {
                params: first
                    .and_then(|v| serde_json::from_value(v).ok())
                    .unwrap_or_default(),
                body: None,
            },
            _ => Args {
                params: BTreeMap::new(),
                body: first,
            },
        }
    }
}

pub fn is_supplement(op: &Operation) -> bool {
    op.operation_id.starts_with(SUPPLEMENT_PREFIX)
}

pub fn hand_written_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/node_sdk_cases.json")
}

/// The hand-written cases, then one from the document's examples for every supplement
/// operation without one, then for every document operation without one that the Node
/// SDK calls with a body, a query object or nothing (by its path, not its name).
/// Returns the cases and the document operations left out, with why.
pub fn all(generator: &Generator<'_>, methods: &[NodeMethod]) -> (Vec<Case>, Vec<String>) {
    let file = hand_written_path();
    let text = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut cases: Vec<Case> = serde_json::from_slice(&text)
        .unwrap_or_else(|e| panic!("{}:{}: {e}", file.display(), e.line()));
    let mut left_out = Vec::new();
    let (supplement, document): (Vec<&Operation>, Vec<&Operation>) =
        OPERATIONS.iter().partition(|op| is_supplement(op));
    for op in supplement.into_iter().chain(document) {
        if cases.iter().any(|c| c.rust == op.name) {
            continue;
        }
        let node = methods
            .iter()
            .find(|m| m.http == op.method && m.path == op.path);
        match from_examples(op, generator, node) {
            Ok(case) => cases.push(case),
            Err(why) if !is_supplement(op) => left_out.push(format!("{}: {why}", op.name)),
            Err(why) => panic!("supplement operation {}: {why}", op.name),
        }
    }
    (cases, left_out)
}

/// A case with the document's example arguments, as the Node method takes them.
fn from_examples(
    op: &Operation,
    generator: &Generator<'_>,
    node: Option<&NodeMethod>,
) -> Result<Case, String> {
    let node = node.ok_or("no Node SDK method calls its path")?;
    let (params, body) = generator.request(op.method, op.path);
    let args = match (&node.form, body, params.is_empty()) {
        (Form::Body, Some(body), true) => vec![body],
        (Form::Query, None, _) => {
            // Under the Node method's own names where they are not the wire's.
            let named = params
                .into_iter()
                .map(|(wire, v)| (node.renamed.get(&wire).cloned().unwrap_or(wire), v));
            vec![Value::Object(named.collect())]
        }
        (Form::Nothing, None, true) => vec![],
        (form, body, _) => {
            return Err(format!(
                "the Node SDK's {} takes {form:?}, the document has {} parameters{}",
                node.name,
                params.len(),
                if body.is_some() { " and a body" } else { "" }
            ))
        }
    };
    let renamed = !node.renamed.is_empty();
    let (params, _) = generator.request(op.method, op.path);
    Ok(Case {
        name: format!("{}, the document's example", op.name),
        rust: op.name.to_string(),
        node: node.name.clone(),
        args,
        // Our parameters by their wire names when the Node method renames some.
        rust_args: renamed.then(|| RustArgs {
            params: params.into_iter().collect(),
            body: None,
        }),
        client: ClientOptions::default(),
    })
}
