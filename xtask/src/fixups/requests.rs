//! Requests as Authing's server takes them and its own SDKs send them.

use super::{for_each_operation, Report};
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
/// omitted. A listed property that is no longer required (or gone) fails generation,
/// so the list cannot silently outlive the document.
pub fn not_required_by_the_server(doc: &mut Value, report: &mut Report) -> Result<()> {
    for (schema, property, evidence) in NOT_REQUIRED {
        let required = doc["components"]["schemas"][*schema]["required"].as_array_mut();
        let Some(required) = required else {
            bail!("fix-up not-required: {schema} has no required list");
        };
        let before = required.len();
        required.retain(|name| name != property);
        if required.len() == before {
            bail!("fix-up not-required: {schema}.{property} is not required in the document");
        }
        report.push((
            "not-required",
            format!("/components/schemas/{schema}/required {property}: {evidence}"),
        ));
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
