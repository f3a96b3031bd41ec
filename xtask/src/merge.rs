//! Merging spec/management-supplement.json into Authing's document before the
//! fix-ups run, so the same fix-ups (and so the same lenient decoding) apply to both.
//!
//! The supplement only adds: an operation on the same path and method as one of the
//! document's, an operation whose method name could come out equal to one of the
//! document's after the naming fix-up, or a schema of a name the document uses for a
//! different schema, fails generation naming both sides. Silently preferring one
//! would change a method or type that users already call.

use crate::deprecated;
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

pub const SUPPLEMENT: &str = "spec/management-supplement.json";

/// One entry of spec/fixups-applied.txt: what was added or changed, where.
pub type Report = Vec<(&'static str, String)>;

/// Merges the supplement if the repository has one (without one, generation is as
/// before) and marks the document's operations that the SDK no longer calls.
pub fn apply(root: &Path, doc: &mut Value) -> Result<Report> {
    let path = root.join(SUPPLEMENT);
    if !path.exists() {
        return Ok(Report::new());
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {SUPPLEMENT}"))?;
    let supplement: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {SUPPLEMENT}"))?;
    let mut report = merge(doc, &supplement).with_context(|| format!("merging {SUPPLEMENT}"))?;
    report.extend(deprecated::apply(doc, &supplement)?);
    Ok(report)
}

pub fn merge(doc: &mut Value, supplement: &Value) -> Result<Report> {
    let mut report = Report::new();
    let Some(paths) = supplement["paths"].as_object() else {
        bail!("the supplement has no paths");
    };

    // Every name the naming fix-up could give a document operation: its id without
    // the `<Controller>_` prefix, or its path when that name is shared.
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    for (path, method, op) in operations(doc) {
        let id = op["operationId"].as_str().unwrap_or_default();
        let who = format!("{} {path} ({id})", method.to_uppercase());
        taken.insert(loose(short_name(id)), who.clone());
        taken.insert(loose(&path_name(path)), who);
    }

    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            bail!("supplement path {path} is not an object");
        };
        for (method, op) in item {
            let id = op["operationId"].as_str().unwrap_or_default();
            let ours = format!("{} {path} ({id})", method.to_uppercase());
            if let Some(theirs) = doc["paths"].get(path).and_then(|i| i.get(method)) {
                bail!(
                    "supplement operation {ours} collides with the document's {} {path} ({})",
                    method.to_uppercase(),
                    theirs["operationId"].as_str().unwrap_or_default()
                );
            }
            if id.is_empty() || !id.contains('_') {
                bail!(
                    "supplement operation {ours} needs an operationId of the form <Source>_<name>"
                );
            }
            if let Some(theirs) = taken.get(&loose(short_name(id))) {
                bail!(
                    "supplement operation {ours} would get the same method name as {theirs} \
                     after the naming fix-up"
                );
            }
            taken.insert(loose(short_name(id)), ours.clone());
            let doc_item = doc["paths"]
                .as_object_mut()
                .expect("document paths")
                .entry(path.clone())
                .or_insert_with(|| Value::Object(Default::default()));
            doc_item[method] = op.clone();
            report.push(("supplement", format!("{method} {path}: {id}")));
        }
    }

    let doc_schemas = doc["components"]["schemas"]
        .as_object_mut()
        .expect("document schemas");
    let type_names: BTreeMap<String, String> = doc_schemas
        .keys()
        .map(|k| (type_key(k), k.clone()))
        .collect();
    if let Some(schemas) = supplement["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            match doc_schemas.get(name) {
                Some(theirs) if theirs == schema => continue,
                Some(_) => bail!(
                    "supplement schema {name} differs from the document's schema {name}; \
                     refer to the document's or rename it"
                ),
                None => {}
            }
            if let Some(theirs) = type_names.get(&type_key(name)) {
                bail!(
                    "supplement schema {name} and the document's schema {theirs} \
                     would become the same Rust type"
                );
            }
            doc_schemas.insert(name.clone(), schema.clone());
            report.push(("supplement-schema", name.clone()));
        }
    }

    let mut dangling = Vec::new();
    find_refs(supplement, &mut |r| {
        let name = r.trim_start_matches("#/components/schemas/");
        if !doc_schemas.contains_key(name) {
            dangling.push(r.to_string());
        }
    });
    if let Some(r) = dangling.first() {
        bail!("supplement refers to {r}, which neither document defines");
    }
    Ok(report)
}

fn operations(doc: &Value) -> Vec<(&str, &str, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            out.push((path.as_str(), method.as_str(), op));
        }
    }
    out
}

/// `UsersManagementController_importOtp` → `importOtp`, as the naming fix-up does.
fn short_name(id: &str) -> &str {
    id.split_once('_').map_or(id, |(_, name)| name)
}

/// `/api/v3/delete-device-by-user` → `delete_device_by_user`, as the naming fix-up
/// names operations whose short names clash. Repeated here because the collision
/// check must predict the fix-up's names before it runs, and the fix-up keeps its rule
/// private.
fn path_name(path: &str) -> String {
    let rest = path
        .strip_prefix("/api/v3/")
        .map(str::to_string)
        .or_else(|| {
            path.strip_prefix("/api/internal/v1/")
                .map(|r| format!("internal/{r}"))
        })
        .unwrap_or_else(|| path.trim_start_matches('/').to_string());
    rest.replace(['/', '-'], "_")
}

/// Names compared without case and separators, so that `getRowBatch`,
/// `get_row_batch` and `get-row-batch` all count as one name whatever the fix-up's
/// snake-casing does with acronyms.
fn loose(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The key of the Rust type typify derives from a schema name (`CreateUEBARespDto`
/// and `CreateUebaRespDto` are one type).
fn type_key(name: &str) -> String {
    loose(name)
}

fn find_refs(v: &Value, f: &mut impl FnMut(&str)) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                f(r);
            }
            m.values().for_each(|c| find_refs(c, f));
        }
        Value::Array(a) => a.iter().for_each(|c| find_refs(c, f)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document() -> Value {
        json!({
            "paths": {
                "/api/v3/create-device": {"post": {"operationId": "TerminalManagementController_createDevice"}},
                "/api/v3/delete-device": {"post": {"operationId": "TerminalManagementController_deleteDevice"}},
                "/api/v3/delete-device-by-user": {"post": {"operationId": "TerminalManagementController_deleteDevice"}},
                "/api/v3/list-post": {"get": {"operationId": "PostManageManagementController_postList"}}
            },
            "components": {"schemas": {
                "CreateTerminalDto": {"type": "object", "properties": {"name": {"type": "string"}}},
                "CreateUEBARespDto": {"type": "object"}
            }}
        })
    }

    fn supplement(path: &str, method: &str, id: &str, schemas: Value) -> Value {
        json!({
            "paths": {path: {method: {
                "operationId": id,
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreateTerminalDto"}}}}
            }}},
            "components": {"schemas": schemas}
        })
    }

    fn merged(s: &Value) -> Result<(Value, Report)> {
        let mut doc = document();
        let report = merge(&mut doc, s)?;
        Ok((doc, report))
    }

    #[test]
    fn adds_operations_and_schemas() {
        let s = supplement(
            "/api/v3/add-device",
            "post",
            "NodeSdk_addDevice",
            json!({"AddDeviceDto": {"type": "object"}}),
        );
        let (doc, report) = merged(&s).unwrap();
        assert_eq!(
            doc["paths"]["/api/v3/add-device"]["post"]["operationId"],
            "NodeSdk_addDevice"
        );
        assert_eq!(
            doc["components"]["schemas"]["AddDeviceDto"],
            json!({"type": "object"})
        );
        assert_eq!(
            report,
            vec![
                (
                    "supplement",
                    "post /api/v3/add-device: NodeSdk_addDevice".to_string()
                ),
                ("supplement-schema", "AddDeviceDto".to_string()),
            ]
        );
        // Another method on a path the document has.
        let s = supplement(
            "/api/v3/list-post",
            "post",
            "NodeSdk_postListBatch",
            json!({}),
        );
        let (doc, _) = merged(&s).unwrap();
        assert!(doc["paths"]["/api/v3/list-post"]["get"].is_object());
        assert!(doc["paths"]["/api/v3/list-post"]["post"].is_object());
    }

    #[test]
    fn same_path_and_method_fails_naming_both() {
        let s = supplement(
            "/api/v3/create-device",
            "post",
            "NodeSdk_addDevice",
            json!({}),
        );
        let e = merged(&s).unwrap_err().to_string();
        assert_eq!(
            e,
            "supplement operation POST /api/v3/create-device (NodeSdk_addDevice) collides with \
             the document's POST /api/v3/create-device (TerminalManagementController_createDevice)"
        );
    }

    #[test]
    fn same_method_name_after_the_fixup_fails_naming_both() {
        let s = supplement(
            "/api/v3/new-device",
            "post",
            "NodeSdk_createDevice",
            json!({}),
        );
        let e = merged(&s).unwrap_err().to_string();
        assert_eq!(
            e,
            "supplement operation POST /api/v3/new-device (NodeSdk_createDevice) would get the same \
             method name as POST /api/v3/create-device (TerminalManagementController_createDevice) \
             after the naming fix-up"
        );
        // The fix-up names clashing document operations after their paths: those
        // names are taken too, in any casing.
        let s = supplement("/api/v3/x", "post", "NodeSdk_DeleteDeviceByUser", json!({}));
        let e = merged(&s).unwrap_err().to_string();
        assert!(e.contains("POST /api/v3/delete-device-by-user"), "{e}");
        // And two supplement operations cannot share one either.
        let mut s = supplement("/api/v3/a", "post", "NodeSdk_doIt", json!({}));
        s["paths"]["/api/v3/b"] = json!({"get": {"operationId": "Other_do_it"}});
        let e = merged(&s).unwrap_err().to_string();
        assert!(e.contains("GET /api/v3/b (Other_do_it) would get the same method name as POST /api/v3/a (NodeSdk_doIt)"), "{e}");
    }

    #[test]
    fn schemas_may_repeat_only_identically() {
        let same = json!({"CreateTerminalDto": {"type": "object", "properties": {"name": {"type": "string"}}}});
        let s = supplement("/api/v3/add-device", "post", "NodeSdk_addDevice", same);
        let (_, report) = merged(&s).unwrap();
        assert_eq!(report.len(), 1, "the identical schema is not added again");

        let other = json!({"CreateTerminalDto": {"type": "object"}});
        let s = supplement("/api/v3/add-device", "post", "NodeSdk_addDevice", other);
        let e = merged(&s).unwrap_err().to_string();
        assert_eq!(
            e,
            "supplement schema CreateTerminalDto differs from the document's schema \
             CreateTerminalDto; refer to the document's or rename it"
        );

        let s = supplement(
            "/api/v3/add-device",
            "post",
            "NodeSdk_addDevice",
            json!({"CreateUebaRespDto": {"type": "object"}}),
        );
        let e = merged(&s).unwrap_err().to_string();
        assert_eq!(
            e,
            "supplement schema CreateUebaRespDto and the document's schema CreateUEBARespDto \
             would become the same Rust type"
        );
    }

    #[test]
    fn dangling_references_fail() {
        let mut s = supplement("/api/v3/add-device", "post", "NodeSdk_addDevice", json!({}));
        s["paths"]["/api/v3/add-device"]["post"]["responses"] = json!({"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}}}});
        let e = merged(&s).unwrap_err().to_string();
        assert_eq!(
            e,
            "supplement refers to #/components/schemas/Nope, which neither document defines"
        );
    }

    #[test]
    fn no_supplement_file_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut doc = document();
        assert!(apply(dir.path(), &mut doc).unwrap().is_empty());
        assert_eq!(doc, document());
    }
}
