//! Requests as Authing's server takes them and its own SDKs send them.

use super::{for_each_operation, Absent, Report};
use anyhow::{bail, Result};
use serde_json::Value;

/// Request properties the document marks required but Authing's server does not
/// require: `(schema, property, evidence)`. Evidence is Authing's own SDK test suite,
/// written against the real service (authing-node-sdk 4.0.1 on npm, `test/`).
const NOT_REQUIRED: &[(&str, &str, &str)] = &[
    (
        "CreateGroupReqDto",
        "type",
        "test/groups/getGroup.spec.ts creates groups with code, name and description only",
    ),
    (
        "CreateOrganizationReqDto",
        "metadata",
        "test/organizations/createOrganization.spec.ts succeeds without metadata",
    ),
    (
        "UpdateDepartmentReqDto",
        "metadata",
        "test/tenant/updateDepartment.spec.ts renames a department without metadata",
    ),
    (
        "UpdateRoleDto",
        "name",
        "test/roles/updateRole.spec.ts succeeds with code, newCode, namespace, description",
    ),
    (
        "CreateTenantDto",
        "appIds",
        "test/tenant/createTenant.spec.ts succeeds with a name only",
    ),
    (
        "CreateTenantUserReqDto",
        "tenantId",
        "test/tenant/createTenantUser.spec.ts succeeds without tenantId",
    ),
    (
        "CreateTenantUserReqDto",
        "gender",
        "test/tenant/createTenantUser.spec.ts: requests without gender are refused only for \
         other fields (username/phone/email, email format, customData length)",
    ),
];

/// Drop the `required` marks that [`NOT_REQUIRED`] refutes, so those properties can be
/// omitted.
///
/// A listed property the document does not require (or does not have) has nothing
/// to repair. On the vendored document that fails generation, so the list cannot
/// silently outlive the document: the entry goes, or its evidence is checked again.
/// On another revision (`--spec`) it is noted: older revisions did not yet mark
/// these properties required, and what the rule is for (the property may be
/// omitted) already holds there.
pub fn not_required_by_the_server(
    doc: &mut Value,
    absent: Absent,
    report: &mut Report,
    notes: &mut Vec<String>,
) -> Result<()> {
    for (schema, property, evidence) in NOT_REQUIRED {
        let at = format!("/components/schemas/{schema}");
        // Not `doc[...]`: indexing a missing schema mutably would insert it.
        let target = doc.pointer_mut(&at);
        let missing = target.is_none();
        let required = target.and_then(|t| t.get_mut("required"));
        let why = match required.and_then(Value::as_array_mut) {
            Some(required) => {
                let before = required.len();
                required.retain(|name| name != property);
                if required.len() < before {
                    let change = format!("{at}/required {property}: {evidence}");
                    report.push(("not-required", change));
                    continue;
                }
                format!("{at}/required does not list it")
            }
            None if missing => format!("{at} is absent"),
            None => format!("{at} has no required list"),
        };
        let message =
            format!("fix-up not-required ({schema}.{property}): {why}; nothing to repair");
        match absent {
            Absent::Noted => notes.push(message),
            Absent::Fails => bail!(
                "{message}. Remove the entry from NOT_REQUIRED in xtask/src/fixups/requests.rs \
                 if the document now matches the server"
            ),
        }
    }
    Ok(())
}

/// Array-typed query parameters are sent as `key[]=a&key[]=b`.
///
/// Why: Authing's API is NestJS on Express, whose `qs` parser reads a repeated
/// `key=a&key=b` as an array but a single `key=a` as a string, so a one-element list
/// arrives as the wrong type. Authing's Node SDK (axios) sends `key[]=`, which `qs`
/// reads as an array whatever its length. The Rust parameter keeps its name.
pub fn query_arrays(doc: &mut Value, report: &mut Report) {
    for_each_operation(doc, |path, method, op| {
        for p in op
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if p["in"] == "query" && p["schema"]["type"] == "array" {
                let name = p["name"].as_str().unwrap_or_default().to_string();
                if !name.ends_with("[]") {
                    p["name"] = Value::String(format!("{name}[]"));
                    report.push(("query-array", format!("{method} {path} parameter {name}")));
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc_requiring(create_group: &[&str]) -> Value {
        let mut schemas = serde_json::Map::new();
        for (schema, property, _) in NOT_REQUIRED {
            let entry = schemas
                .entry(schema.to_string())
                .or_insert_with(|| json!({"required": ["name"]}));
            entry["required"]
                .as_array_mut()
                .unwrap()
                .push(json!(property));
        }
        schemas["CreateGroupReqDto"]["required"] = json!(create_group);
        json!({"components": {"schemas": schemas}})
    }

    #[test]
    fn listed_properties_lose_their_mark() {
        let mut doc = doc_requiring(&["code", "type"]);
        let (mut report, mut notes) = (Report::new(), Vec::new());
        not_required_by_the_server(&mut doc, Absent::Fails, &mut report, &mut notes).unwrap();
        assert_eq!(
            doc["components"]["schemas"]["CreateGroupReqDto"]["required"],
            json!(["code"])
        );
        assert_eq!(report.len(), NOT_REQUIRED.len());
        assert!(notes.is_empty());
    }

    #[test]
    fn an_unrequired_target_fails_on_the_vendored_document_and_is_noted_elsewhere() {
        let mut doc = doc_requiring(&["code"]);
        let (mut report, mut notes) = (Report::new(), Vec::new());
        let e = not_required_by_the_server(&mut doc, Absent::Fails, &mut report, &mut notes)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("fix-up not-required (CreateGroupReqDto.type)"),
            "{e}"
        );
        assert!(
            e.contains("/components/schemas/CreateGroupReqDto/required does not list it"),
            "{e}"
        );

        let mut doc = doc_requiring(&["code"]);
        doc["components"]["schemas"]
            .as_object_mut()
            .unwrap()
            .remove("UpdateRoleDto");
        let (mut report, mut notes) = (Report::new(), Vec::new());
        not_required_by_the_server(&mut doc, Absent::Noted, &mut report, &mut notes).unwrap();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("CreateGroupReqDto.type"), "{notes:?}");
        assert!(
            notes[1].contains("/components/schemas/UpdateRoleDto is absent"),
            "{notes:?}"
        );
        assert_eq!(report.len(), NOT_REQUIRED.len() - 2);
    }
}
