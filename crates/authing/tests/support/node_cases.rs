//! The cases the Node SDK comparison sends: the hand-written ones of
//! `node_sdk_cases.json` (chosen arguments: defaults, arrays, nested filters, numbers,
//! non-ASCII text, client options), then one per supplement operation that has none,
//! with the arguments built from the document's examples.

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
/// operation without one.
pub fn all(generator: &Generator<'_>) -> Vec<Case> {
    let file = hand_written_path();
    let text = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut cases: Vec<Case> = serde_json::from_slice(&text)
        .unwrap_or_else(|e| panic!("{}:{}: {e}", file.display(), e.line()));
    for op in OPERATIONS.iter().filter(|op| is_supplement(op)) {
        if cases.iter().any(|c| c.rust == op.name) {
            continue;
        }
        cases.push(from_examples(op, generator));
    }
    cases
}

/// The Node SDK's supplement methods take the request body, or the query parameters as
/// one object under their wire names, or nothing; the two that take a positional or
/// renamed parameter (`upload`, `getTenantEnterpriseCertification`) have hand-written
/// cases, and a new one would show as a difference.
fn from_examples(op: &Operation, generator: &Generator<'_>) -> Case {
    let (params, body) = generator.request(op.method, op.path);
    let args = match (body, params.is_empty()) {
        (Some(body), true) => vec![body],
        (None, false) => vec![Value::Object(params.into_iter().collect())],
        (None, true) => vec![],
        (Some(_), false) => panic!(
            "{}: parameters and a body; the Node SDK's arguments need a hand-written case",
            op.name
        ),
    };
    Case {
        name: format!("{}, the document's example", op.name),
        rust: op.name.to_string(),
        node: op.operation_id[SUPPLEMENT_PREFIX.len()..].to_string(),
        args,
        rust_args: None,
        client: ClientOptions::default(),
    }
}
