//! The differences between the Node SDK's requests and ours that are there by choice,
//! each with its reason. Any other difference fails the comparison, and so does a
//! listed one that no longer shows.

use crate::node_cases::Case;
use serde_json::Value;

/// A difference, written as `support/wire.rs` writes it, and why it is there.
pub struct Expected {
    pub difference: String,
    pub why: &'static str,
}

/// `(case, difference, why)`: differences of one case.
const LISTED: &[(&str, &str, &str)] = &[(
    "list_ext_idp, nothing set",
    "signature: Node's does not verify under our rules",
    "with every optional value unset the Node SDK signs `path?` (its parameter object \
     has keys whose values are undefined), while the query it sends is empty: a server \
     rebuilding the string from the parsed request gets `path`, which is what we sign",
)];

pub fn listed(case: &Case) -> Vec<Expected> {
    LISTED
        .iter()
        .filter(|(name, _, _)| *name == case.name)
        .map(|(_, d, why)| Expected {
            difference: d.to_string(),
            why,
        })
        .collect()
}

/// Differences of every case, by how the two clients are configured: each SDK names
/// itself, and the language and tenant headers follow our reading of the document.
pub fn everywhere(case: &Case) -> Vec<Expected> {
    let mut out = vec![Expected {
        difference: format!(
            "header x-authing-sdk-version: Node authing-node-sdk:4.0.1, we authing-rs:{}",
            env!("CARGO_PKG_VERSION")
        ),
        why: "each SDK names itself",
    }];
    if case.client.lang.is_none() {
        out.push(Expected {
            difference: "header x-authing-lang: Node zh-CN, we none".to_string(),
            why: "the Node SDK sends zh-CN when no language is set and the Python SDK an \
                  empty value; we send the header only when the caller sets a language, \
                  so the server's own default applies",
        });
    }
    if let Some(tenant) = &case.client.tenant_id {
        out.push(Expected {
            difference: format!("header x-authing-app-id: Node {tenant}, we none"),
            why: "the Node SDK 4.0.1 sends its `tenantId` option as x-authing-app-id (the \
                  header Authing's authentication clients use for an application id); the \
                  document and the Go SDK name the tenant header x-authing-app-tenant-id, \
                  which we send",
        });
        out.push(Expected {
            difference: format!("header x-authing-app-tenant-id: Node none, we {tenant}"),
            why: "(the same header, as the document names it)",
        });
    }
    out
}

/// Query parameters the Node SDK fills with its method's default when the caller gives
/// none, and that we leave out: tolerated only when the value is the default that
/// Authing's document declares for the parameter, which the server applies itself.
/// (The fix-ups strip defaults so that a value is sent only when the caller sets it.)
pub fn node_defaults(doc: &Value, case: &Case) -> Vec<Expected> {
    let op = case.operation();
    let ours = case.our_args();
    let parameters = doc["paths"][op.path][op.method.to_lowercase()]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    parameters
        .iter()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| {
            let name = p["name"].as_str()?;
            let default = p["schema"].get("default")?;
            if ours.params.contains_key(name) {
                return None;
            }
            // `qs` reads every query value as a string: `String(default)`.
            let text = match default {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some(Expected {
                difference: format!("query {name}: Node {}, we none", Value::String(text)),
                why: "the Node SDK fills the document's default; we leave it to the server",
            })
        })
        .collect()
}
