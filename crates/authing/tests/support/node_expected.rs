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

const NODE_SIGNATURE: &str = "signature: Node's does not verify under our rules";
const BOUNDS: &str = "the bounds of a custom number field may be fractional, so `min` \
     and `max` stay f64 (xtask/src/fixups/numbers.rs) and serde writes an integral one as \
     1.0; a Node.js server parses the same number and our signature covers it as \
     JavaScript writes it. Left as is: an integer alternative, as for the filter value, \
     would make these public f64 fields enums";
const EXAMPLE_KEY: &str = "the document's example puts `resetPasswordOnFirstLogin` in \
     the batch options, whose schema (and the Node SDK's type) has \
     `resetPasswordOnNextLogin` instead: the Node SDK passes the unknown key through, our \
     typed options cannot hold it";

const NO_PATH_VALUE: &str = "the Node SDK 4.0.1 ignores the id it is given and requests \
     the path template itself (`{id}`, encoded as %7Bid%7D), so these three operations \
     cannot work through it; we put the id in the path, as the document says";
const NO_PATH_VALUE_SIGNED: &str = "(the same: the Node SDK signs `{id}` unencoded, a \
     server reads %7Bid%7D)";

/// `(case, difference, why)`: differences of one case.
const LISTED: &[(&str, &str, &str)] = &[
    (
        "delete_by_id, a path value",
        "path: Node /api/v3/ip-list/%7Bid%7D, we /api/v3/ip-list/ip-1",
        NO_PATH_VALUE,
    ),
    (
        "delete_user_list_by_id, a path value",
        "path: Node /api/v3/user-list/%7Bid%7D, we /api/v3/user-list/list-1",
        NO_PATH_VALUE,
    ),
    (
        "delete_risk_list_policy_by_id, a path value",
        "path: Node /api/v3/risk-list-policy/%7Bid%7D, we /api/v3/risk-list-policy/policy-1",
        NO_PATH_VALUE,
    ),
    (
        "delete_by_id, a path value",
        NODE_SIGNATURE,
        NO_PATH_VALUE_SIGNED,
    ),
    (
        "delete_user_list_by_id, a path value",
        NODE_SIGNATURE,
        NO_PATH_VALUE_SIGNED,
    ),
    (
        "delete_risk_list_policy_by_id, a path value",
        NODE_SIGNATURE,
        NO_PATH_VALUE_SIGNED,
    ),
    (
        "create_field, the document's example",
        "body /max: Node 1, we 1.0",
        BOUNDS,
    ),
    (
        "create_field, the document's example",
        "body /min: Node 1, we 1.0",
        BOUNDS,
    ),
    (
        "update_field, the document's example",
        "body /max: Node 1, we 1.0",
        BOUNDS,
    ),
    (
        "update_field, the document's example",
        "body /min: Node 1, we 1.0",
        BOUNDS,
    ),
    (
        "update_user_batch, the document's example",
        "body /options/resetPasswordOnFirstLogin: Node true, we none",
        EXAMPLE_KEY,
    ),
    (
        "update_public_account_batch, the document's example",
        "body /options/resetPasswordOnFirstLogin: Node true, we none",
        EXAMPLE_KEY,
    ),
    (
        "list_ext_idp, nothing set",
        NODE_SIGNATURE,
        "with every optional value unset the Node SDK signs `path?` (its parameter object \
     has keys whose values are undefined), while the query it sends is empty: a server \
     rebuilding the string from the parsed request gets `path`, which is what we sign",
    ),
];

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
            why: "the same header, under the name the document gives it",
        });
    }
    out
}

/// Query parameters the Node SDK fills with its method's default when the caller gives
/// none, and that we leave out: tolerated only when the value is the default that
/// Authing's document declares for the parameter, which the server applies itself.
/// (The fix-ups strip defaults so that a value is sent only when the caller sets it.)
///
/// Also tolerated: a query parameter the Node SDK sends that Authing's 2023 document
/// does not have at all (the SDK fills its default; our types cannot say it).
pub fn node_defaults(doc: &Value, case: &Case, found: &[String]) -> Vec<Expected> {
    let op = case.operation();
    let ours = case.our_args();
    let parameters = doc["paths"][op.path][op.method.to_lowercase()]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let undocumented = found.iter().filter_map(|d| {
        let (name, _) = d.strip_prefix("query ")?.split_once(": Node ")?;
        let absent = d.ends_with(", we none") && !parameters.iter().any(|p| p["name"] == name);
        absent.then(|| Expected {
            difference: d.clone(),
            why: "a parameter the Node SDK sends and the 2023 document lacks: our types \
                  cannot send it",
        })
    });
    let undocumented: Vec<Expected> = undocumented.collect();
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
        .chain(undocumented)
        .collect()
}
