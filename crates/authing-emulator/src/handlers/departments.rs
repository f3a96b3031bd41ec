//! Departments of an organisation: create, read, update, delete, add and remove members,
//! list a department's members and a user's departments.
//!
//! An organisation's root department (its `departmentId`) is a department too: members can
//! be added to it. An unknown organisation is 404 `organization not found for code: <code>`
//! (Authing's own tests); the rest is assumption, listed in the README.

use serde_json::{json, Value};

use super::orgs::organization;
use super::paging::{paged, Page};
use super::user_json::{members_page, With};
use super::users::{lookup, resolve};
use super::{Call, Reply};
use crate::state::Inner;
use crate::store::{format_time, generate_id, now_ms, Department, Store};

/// The document's `DepartmentDto`.
fn department_json(store: &Store, d: &Department, with_custom_data: bool) -> Value {
    let parent = d
        .parent_id
        .as_deref()
        .and_then(|p| store.orgs.department(p));
    let mut json = json!({
        "organizationCode": d.organization_code,
        "departmentId": d.id,
        "createdAt": format_time(d.created_at_ms),
        "updatedAt": format_time(d.updated_at_ms),
        "name": d.name,
        "leaderUserIds": d.leader_user_ids,
        "description": d.description.clone().unwrap_or_default(),
        "parentDepartmentId": d.parent_id.clone().unwrap_or_default(),
        "parentDepartmentCode": parent.and_then(|p| p.code.clone()).unwrap_or_default(),
        "membersCount": d.members.len(),
        "hasChildren": store.orgs.children(&d.id).next().is_some(),
        "isVirtualNode": d.is_virtual_node,
    });
    if let Some(code) = &d.code {
        json["code"] = json!(code);
    }
    if let Some(open) = &d.open_department_id {
        json["openDepartmentId"] = json!(open);
    }
    if with_custom_data {
        json["customData"] = Value::Object(d.custom_data.clone());
    }
    json
}

/// The department a request names in organisation `org` by `id_type` (default
/// `department_id`; `code` and `open_department_id` work too, the others answer 501).
fn find(store: &Store, org: &str, id_type: Option<&str>, id: &str) -> Result<usize, Reply> {
    organization(store, org)?;
    let id_type = id_type.unwrap_or("department_id");
    if !["department_id", "code", "open_department_id"].contains(&id_type) {
        return Err(Reply::error(
            501,
            None,
            format!("departmentIdType {id_type} is not emulated by authing-emulator"),
        ));
    }
    store
        .orgs
        .department_index(org, id_type, id)
        .ok_or_else(|| Reply::not_found(format!("department not found: {id}")))
}

/// The department named by the body's `organizationCode`, `departmentId` and
/// `departmentIdType`.
fn find_in_body(store: &Store, call: &Call<'_>) -> Result<usize, Reply> {
    let body = call.body;
    find(
        store,
        body["organizationCode"].as_str().unwrap_or_default(),
        body["departmentIdType"].as_str(),
        body["departmentId"].as_str().unwrap_or_default(),
    )
}

fn code_taken(store: &Store, org: &str, code: &str, except: Option<&str>) -> Option<Reply> {
    let taken = store.orgs.departments.iter().any(|d| {
        d.organization_code == org
            && d.code.as_deref() == Some(code)
            && Some(d.id.as_str()) != except
    });
    taken.then(|| Reply::conflict(format!("department code already exists: {code}")))
}

pub(super) fn create_department(inner: &Inner, call: &Call<'_>) -> Reply {
    let body = call.body;
    let org = body["organizationCode"].as_str().unwrap_or_default();
    let mut store = inner.lock_store();
    let parent = match find(
        &store,
        org,
        body["departmentIdType"].as_str(),
        body["parentDepartmentId"].as_str().unwrap_or_default(),
    ) {
        Ok(i) => store.orgs.departments[i].id.clone(),
        Err(reply) => return reply,
    };
    let code = call.body_str("code");
    if let Some(reply) = code
        .as_deref()
        .and_then(|c| code_taken(&store, org, c, None))
    {
        return reply;
    }
    let now = now_ms();
    let department = Department {
        id: generate_id(),
        organization_code: org.to_string(),
        parent_id: Some(parent),
        name: body["name"].as_str().unwrap_or_default().to_string(),
        code,
        description: call.body_str("description"),
        open_department_id: call.body_str("openDepartmentId"),
        is_virtual_node: body["isVirtualNode"].as_bool().unwrap_or(false),
        leader_user_ids: call.body_strings("leaderUserIds"),
        custom_data: body["customData"].as_object().cloned().unwrap_or_default(),
        created_at_ms: now,
        updated_at_ms: now,
        members: Vec::new(),
    };
    let json = department_json(&store, &department, true);
    store.orgs.departments.push(department);
    Reply::ok(Some(json))
}

/// By `departmentId` (any `departmentIdType`) or `departmentCode`.
pub(super) fn get_department(inner: &Inner, call: &Call<'_>) -> Reply {
    let query = call.query;
    let store = inner.lock_store();
    let org = query.str("organizationCode").unwrap_or_default();
    let found = match (query.str("departmentId"), query.str("departmentCode")) {
        (Some(id), _) => find(&store, org, query.str("departmentIdType"), id),
        (None, Some(code)) => find(&store, org, Some("code"), code),
        (None, None) => Err(Reply::bad_param("departmentId")),
    };
    match found {
        Ok(i) => Reply::ok(Some(department_json(
            &store,
            &store.orgs.departments[i],
            query.flag("withCustomData"),
        ))),
        Err(reply) => reply,
    }
}

pub(super) fn update_department(inner: &Inner, call: &Call<'_>) -> Reply {
    let body = call.body;
    let mut store = inner.lock_store();
    let index = match find_in_body(&store, call) {
        Ok(i) => i,
        Err(reply) => return reply,
    };
    let (id, org) = {
        let d = &store.orgs.departments[index];
        (d.id.clone(), d.organization_code.clone())
    };
    let code = call.body_str("code");
    if let Some(reply) = code
        .as_deref()
        .and_then(|c| code_taken(&store, &org, c, Some(&id)))
    {
        return reply;
    }
    let parent = match call.body_str("parentDepartmentId") {
        Some(parent) => match find(&store, &org, None, &parent) {
            // A department cannot move below itself.
            Ok(_) if store.orgs.subtree(&id).iter().any(|d| d.id == parent) => {
                return Reply::error(400, None, "a department cannot move below itself");
            }
            Ok(_) => Some(parent),
            Err(reply) => return reply,
        },
        None => None,
    };
    let department = &mut store.orgs.departments[index];
    if let Some(name) = call.body_str("name") {
        department.name = name;
    }
    if code.is_some() {
        department.code = code;
    }
    if let Some(description) = body["description"].as_str() {
        department.description = Some(description.to_string());
    }
    if body["leaderUserIds"].is_array() {
        department.leader_user_ids = call.body_strings("leaderUserIds");
    }
    if let Some(custom_data) = body["customData"].as_object() {
        department.custom_data.extend(custom_data.clone());
    }
    if department.parent_id.is_some() && parent.is_some() {
        department.parent_id = parent;
    }
    department.updated_at_ms = now_ms();
    let department = department.clone();
    Reply::ok(Some(department_json(&store, &department, true)))
}

/// Deletes the department and every department below it; an organisation's root
/// department goes only with the organisation.
pub(super) fn delete_department(inner: &Inner, call: &Call<'_>) -> Reply {
    let mut store = inner.lock_store();
    let index = match find_in_body(&store, call) {
        Ok(i) => i,
        Err(reply) => return reply,
    };
    let department = &store.orgs.departments[index];
    if department.parent_id.is_none() {
        return Reply::error(
            400,
            None,
            "an organization's root department is deleted with the organization",
        );
    }
    let gone: Vec<String> = store
        .orgs
        .subtree(&department.id)
        .iter()
        .map(|d| d.id.clone())
        .collect();
    store.orgs.departments.retain(|d| !gone.contains(&d.id));
    Reply::success()
}

/// Checks the department and every user, then adds or removes them: all or nothing.
fn change_members(inner: &Inner, call: &Call<'_>, add: bool) -> Reply {
    let user_ids = call.body_strings("userIds");
    if user_ids.is_empty() {
        return Reply::bad_param("userIds");
    }
    let mut store = inner.lock_store();
    let index = match find_in_body(&store, call) {
        Ok(i) => i,
        Err(reply) => return reply,
    };
    for id in &user_ids {
        if let Err(reply) = resolve(&store, id, "user_id") {
            return reply;
        }
    }
    let now = now_ms();
    let department = &mut store.orgs.departments[index];
    for id in user_ids {
        let present = department.members.iter().any(|(u, _)| *u == id);
        if add && !present {
            department.members.push((id, now));
        } else if !add {
            department.members.retain(|(u, _)| *u != id);
        }
    }
    Reply::success()
}

pub(super) fn add_department_members(inner: &Inner, call: &Call<'_>) -> Reply {
    change_members(inner, call, true)
}

pub(super) fn remove_department_members(inner: &Inner, call: &Call<'_>) -> Reply {
    change_members(inner, call, false)
}

/// In joining order (`orderBy=Desc` reverses it); with `includeChildrenDepartments`, the
/// members of the departments below too, each once.
pub(super) fn list_department_members(inner: &Inner, call: &Call<'_>) -> Reply {
    let query = call.query;
    let page = match Page::from_query(query) {
        Ok(page) => page,
        Err(reply) => return reply,
    };
    let store = inner.lock_store();
    let index = match find(
        &store,
        query.str("organizationCode").unwrap_or_default(),
        query.str("departmentIdType"),
        query.str("departmentId").unwrap_or_default(),
    ) {
        Ok(i) => i,
        Err(reply) => return reply,
    };
    let department = &store.orgs.departments[index];
    let departments = if query.flag("includeChildrenDepartments") {
        store.orgs.subtree(&department.id)
    } else {
        vec![department]
    };
    let mut ids: Vec<String> = Vec::new();
    for (id, _) in departments.iter().flat_map(|d| d.members.iter()) {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    if query.str("orderBy") == Some("Desc") {
        ids.reverse();
    }
    let with = With::from_query(query);
    Reply::ok(Some(members_page(&store, &ids, page, with)))
}

/// The document's `UserDepartmentRespDto` list; the first department a user joined is their
/// main one (assumption).
pub(super) fn get_user_departments(inner: &Inner, call: &Call<'_>) -> Reply {
    let page = match Page::from_query(call.query) {
        Ok(page) => page,
        Err(reply) => return reply,
    };
    let store = inner.lock_store();
    let user = match lookup(&store, call) {
        Ok(user) => user,
        Err(reply) => return reply,
    };
    let with_custom_data = call.query.flag("withCustomData");
    let mut joined: Vec<(&Department, i64)> = store
        .orgs
        .of_user(&user.user_id)
        .filter_map(|d| {
            let (_, at) = d.members.iter().find(|(u, _)| *u == user.user_id)?;
            Some((d, *at))
        })
        .collect();
    joined.sort_by_key(|(_, at)| *at);
    let main = joined.first().map(|(d, _)| d.id.clone());
    let list: Vec<Value> = joined
        .iter()
        .map(|(d, at)| {
            let mut json = json!({
                "organizationCode": d.organization_code,
                "departmentId": d.id,
                "isRoot": d.parent_id.is_none(),
                "createdAt": format_time(d.created_at_ms),
                "name": d.name,
                "description": d.description.clone().unwrap_or_default(),
                "isLeader": d.leader_user_ids.contains(&user.user_id),
                "code": d.code.clone().unwrap_or_default(),
                "isMainDepartment": main.as_deref() == Some(d.id.as_str()),
                "joinedAt": format_time(*at),
                "isVirtualNode": d.is_virtual_node,
            });
            if let Some(open) = &d.open_department_id {
                json["openDepartmentId"] = json!(open);
            }
            if with_custom_data {
                json["customData"] = Value::Object(d.custom_data.clone());
            }
            json
        })
        .collect();
    let total = list.len();
    paged(total, page.of(list.into_iter()))
}
