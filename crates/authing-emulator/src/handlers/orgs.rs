//! Organisations: create (with their root department), read, list, delete.
//!
//! Known from Authing's own Node SDK tests and used as they are: an unknown code is 404
//! `organization not found for code: <code>`; a code over 64 characters is 400
//! `参数 organizationCode 格式错误`; a code with characters such as `额`, `！` or a space is
//! 499 `部门标识符格式不正确！`; an empty code succeeds. Everything else is an assumption
//! listed in the README.

use serde_json::{json, Value};

use super::paging::{paged, Page};
use super::{Call, Reply};
use crate::state::Inner;
use crate::store::{format_time, generate_id, now_ms, Department, Organization, Store};

const MAX_CODE_CHARS: usize = 64;

/// Properties of `CreateOrganizationReqDto` kept and returned as given.
const KEPT: &[&str] = &["openDepartmentId", "tenantId", "i18n", "postIdList"];

pub(super) fn organization_not_found(code: &str) -> Reply {
    Reply::not_found(format!("organization not found for code: {code}"))
}

pub(super) fn organization<'s>(store: &'s Store, code: &str) -> Result<&'s Organization, Reply> {
    store
        .orgs
        .organization(code)
        .ok_or_else(|| organization_not_found(code))
}

/// The document's `OrganizationDto`. `membersCount` counts the users in any of the
/// organisation's departments, each once (assumption).
pub(super) fn organization_json(store: &Store, org: &Organization) -> Value {
    let departments: Vec<&Department> = store
        .orgs
        .departments
        .iter()
        .filter(|d| d.organization_code == org.code)
        .collect();
    let mut members: Vec<&str> = departments
        .iter()
        .flat_map(|d| d.members.iter().map(|(u, _)| u.as_str()))
        .collect();
    members.sort_unstable();
    members.dedup();
    let mut json = json!({
        "organizationCode": org.code,
        "organizationName": org.name,
        "createdAt": format_time(org.created_at_ms),
        "updatedAt": format_time(org.updated_at_ms),
        "departmentId": org.department_id,
        "hasChildren": departments.len() > 1,
        "leaderUserIds": [],
        "membersCount": members.len(),
        "isVirtualNode": false,
    });
    if let Some(description) = &org.description {
        json["description"] = json!(description);
    }
    for (key, value) in &org.extra {
        json[key] = value.clone();
    }
    json
}

pub(super) fn create_organization(inner: &Inner, call: &Call<'_>) -> Reply {
    let body = call.body;
    let given = body["organizationCode"].as_str().unwrap_or_default();
    if given.chars().count() > MAX_CODE_CHARS {
        return Reply::bad_param("organizationCode");
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_-:.".contains(c);
    if !given.chars().all(allowed) {
        return Reply::error(499, None, "部门标识符格式不正确！");
    }
    // Authing accepts an empty code (its own test); the emulator then makes one up.
    let code = if given.is_empty() {
        generate_id()
    } else {
        given.to_string()
    };
    let mut store = inner.lock_store();
    if store.orgs.organization(&code).is_some() {
        return Reply::conflict(format!("organization code already exists: {code}"));
    }
    let now = now_ms();
    let name = body["organizationName"].as_str().unwrap_or_default();
    let org = Organization {
        code: code.clone(),
        name: name.to_string(),
        description: call.body_str("description"),
        department_id: generate_id(),
        created_at_ms: now,
        updated_at_ms: now,
        extra: KEPT
            .iter()
            .filter_map(|k| {
                Some((
                    k.to_string(),
                    body.get(*k).filter(|v| !v.is_null())?.clone(),
                ))
            })
            .collect(),
    };
    store.orgs.departments.push(Department {
        id: org.department_id.clone(),
        organization_code: code,
        parent_id: None,
        name: name.to_string(),
        code: None,
        description: org.description.clone(),
        open_department_id: call.body_str("openDepartmentId"),
        is_virtual_node: false,
        leader_user_ids: Vec::new(),
        custom_data: Default::default(),
        created_at_ms: now,
        updated_at_ms: now,
        members: Vec::new(),
    });
    let json = organization_json(&store, &org);
    store.orgs.organizations.push(org);
    Reply::ok(Some(json))
}

pub(super) fn get_organization(inner: &Inner, call: &Call<'_>) -> Reply {
    let store = inner.lock_store();
    match organization(
        &store,
        call.query.str("organizationCode").unwrap_or_default(),
    ) {
        Ok(org) => Reply::ok(Some(organization_json(&store, org))),
        Err(reply) => reply,
    }
}

/// `fetchAll=true` answers every organisation in one page.
pub(super) fn list_organizations(inner: &Inner, call: &Call<'_>) -> Reply {
    let store = inner.lock_store();
    let all = store.orgs.organizations.iter();
    let list: Vec<Value> = if call.query.flag("fetchAll") {
        all.map(|o| organization_json(&store, o)).collect()
    } else {
        match Page::from_query(call.query) {
            Ok(page) => page
                .of(all)
                .into_iter()
                .map(|o| organization_json(&store, o))
                .collect(),
            Err(reply) => return reply,
        }
    };
    paged(store.orgs.organizations.len(), list)
}

/// Deletes the organisation and all its departments.
pub(super) fn delete_organization(inner: &Inner, call: &Call<'_>) -> Reply {
    let code = call.body["organizationCode"].as_str().unwrap_or_default();
    let mut store = inner.lock_store();
    if let Err(reply) = organization(&store, code) {
        return reply;
    }
    store.orgs.organizations.retain(|o| o.code != code);
    store
        .orgs
        .departments
        .retain(|d| d.organization_code != code);
    Reply::success()
}
