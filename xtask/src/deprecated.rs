//! The document's operations that Authing's newest SDK no longer calls.
//!
//! They stay generated (a user pool may still answer them) but are marked: the
//! operation gets `deprecated: true` and its description a note with the reason. The
//! generated method carries the note in its docs; progenitor 0.15 emits no
//! `#[deprecated]` attribute for operations, so no warning reaches code that calls
//! them. The supplement lists the operations no SDK method calls
//! (`x-authing-document-only`); this list must account for each of them, so a new SDK
//! version that stops or starts calling one fails generation until it is reviewed.

use crate::merge::Report;
use anyhow::{bail, Result};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// `(method, path, why)`.
type Entry = (&'static str, &'static str, &'static str);

/// Not called by the Node SDK, yet not deprecated.
pub const KEPT: &[Entry] = &[(
    "post",
    "/api/v3/get-management-token",
    "the token flow of the Python, Go, Java and PHP SDKs (and of this crate) calls it; \
     the Node SDK signs each request instead",
)];

pub const DEPRECATED: &[Entry] = &[
    ("post", "/api/internal/v1/metadata/list-fields", "an internal endpoint (/api/internal/v1); the SDK lists fields with /api/v3/metadata/list-field"),
    ("post", "/api/internal/v1/metadata/update-row", "an internal endpoint (/api/internal/v1); the SDK uses /api/v3/metadata/update-row"),
    ("post", "/api/internal/v1/metadata/get-row-batch", "an internal endpoint (/api/internal/v1); the SDK uses /get-row-batch"),
    ("post", "/api/v3/delete-device", "the SDK uses /api/v3/delete-device-by-user"),
    ("post", "/api/v3/suspend-device", "the SDK uses /api/v3/suspend-device-by-user"),
    ("post", "/api/v3/disable-device", "the SDK uses /api/v3/disable-device-by-user"),
    ("post", "/api/v3/enable-device", "the SDK uses /api/v3/enable-device-by-user"),
    ("post", "/api/v3/update-multiple-tenant-admin", "the SDK only lists, creates and reads multi-tenant admins"),
    ("post", "/api/v3/delete-multiple-tenant-admin", "the SDK only lists, creates and reads multi-tenant admins"),
    ("post", "/api/v3/update-tenant-cooperator", "the SDK only lists, creates and reads tenant cooperators"),
    ("post", "/api/v3/delete-tenant-cooperator", "the SDK only lists, creates and reads tenant cooperators"),
    ("post", "/api/v3/click-cost-contact", "it records a console click on \"contact us\", not a management action"),
    ("get", "/api/v3/verify-config", "the SDK reads Authing Verify settings with /api/v3/verify-config-app"),
    ("put", "/api/v3/verify-config", "the SDK has no call that changes Authing Verify settings"),
];

pub fn apply(doc: &mut Value, supplement: &Value) -> Result<Report> {
    let source = &supplement["x-authing-source"];
    let sdk = format!(
        "{} {}",
        source["package"].as_str().unwrap_or("the Node SDK"),
        source["version"].as_str().unwrap_or_default()
    );
    let listed: BTreeSet<(String, String)> = supplement["x-authing-document-only"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["method"].as_str().unwrap_or_default().to_string(),
                e["path"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let known: BTreeSet<(String, String)> = DEPRECATED
        .iter()
        .chain(KEPT)
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let unreviewed: Vec<_> = listed.difference(&known).collect();
    let called_again: Vec<_> = known.difference(&listed).collect();
    if !unreviewed.is_empty() || !called_again.is_empty() {
        bail!(
            "the document operations {sdk} does not call changed: not yet reviewed {unreviewed:?}; \
             called again {called_again:?}. Update xtask/src/deprecated.rs"
        );
    }

    let mut report = Report::new();
    for (method, path, why) in DEPRECATED {
        let Some(op) = doc["paths"].get_mut(*path).and_then(|i| i.get_mut(*method)) else {
            bail!("deprecated operation {method} {path} is not in the document");
        };
        let note = format!("Deprecated: not called by {sdk}, Authing's newest SDK: {why}.");
        let description = match op["description"].as_str() {
            Some(d) if !d.is_empty() => format!("{d}\n\n{note}"),
            _ => note,
        };
        op["description"] = json!(description);
        op["deprecated"] = json!(true);
        report.push(("deprecated", format!("{method} {path}")));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Value {
        let mut paths = serde_json::Map::new();
        for (m, p, _) in DEPRECATED.iter().chain(KEPT) {
            let item = paths.entry(p.to_string()).or_insert_with(|| json!({}));
            item[*m] = json!({"operationId": "X_y", "description": "原描述"});
        }
        json!({"paths": paths})
    }

    fn supplement(only: &[Entry]) -> Value {
        let list: Vec<Value> = only
            .iter()
            .map(|(m, p, _)| json!({"method": m, "path": p}))
            .collect();
        json!({
            "x-authing-source": {"package": "authing-node-sdk", "version": "4.0.1"},
            "x-authing-document-only": list,
        })
    }

    #[test]
    fn marks_what_the_sdk_no_longer_calls_and_keeps_the_token_call() {
        let mut doc = document();
        let all: Vec<Entry> = DEPRECATED.iter().chain(KEPT).copied().collect();
        let report = apply(&mut doc, &supplement(&all)).unwrap();
        assert_eq!(report.len(), DEPRECATED.len());
        let op = &doc["paths"]["/api/v3/delete-device"]["post"];
        assert_eq!(op["deprecated"], json!(true));
        assert_eq!(
            op["description"],
            "原描述\n\nDeprecated: not called by authing-node-sdk 4.0.1, Authing's newest SDK: \
             the SDK uses /api/v3/delete-device-by-user."
        );
        let token = &doc["paths"]["/api/v3/get-management-token"]["post"];
        assert!(token.get("deprecated").is_none());
        assert_eq!(token["description"], "原描述");
    }

    #[test]
    fn a_changed_list_fails_until_reviewed() {
        let mut doc = document();
        let mut only: Vec<Entry> = DEPRECATED[1..].iter().chain(KEPT).copied().collect();
        only.push(("get", "/api/v3/new-thing", ""));
        let e = apply(&mut doc, &supplement(&only)).unwrap_err().to_string();
        assert!(
            e.contains(r#"not yet reviewed [("get", "/api/v3/new-thing")]"#),
            "{e}"
        );
        assert!(
            e.contains(r#"called again [("post", "/api/internal/v1/metadata/list-fields")]"#),
            "{e}"
        );
    }
}
