//! Roles in namespaces: create, read, list, update, delete, assign to and revoke from users
//! (and groups and departments), list a role's members and a user's roles.
//!
//! Messages that Authing's own Node SDK tests match are used as they are: `角色不存在`,
//! `权限组不存在`, `用户不存在`, `参数 targets 格式错误`, `参数 code 格式错误`,
//! `角色 Code 格式不正确！` (apiCode 500). Their statusCodes, and everything else, are
//! assumptions listed in the README.

use serde_json::{json, Value};

use super::paging::{paged, Page};
use super::user_json::{members_page, With};
use super::users::resolve;
use super::{Call, Reply};
use crate::state::Inner;
use crate::store::{generate_id, now_ms, Role, Store, DEFAULT_NAMESPACE};

const MAX_CODE_CHARS: usize = 64;

fn role_json(role: &Role) -> Value {
    let mut json = json!({
        "id": role.id,
        "code": role.code,
        "name": role.name,
        "description": role.description,
        "namespace": role.namespace,
        // Namespaces have no names of their own here (assumption): the code stands in.
        "namespaceName": role.namespace,
        "status": role.status,
    });
    if let Some(time) = &role.disable_time {
        json["disableTime"] = time.clone();
    }
    json
}

fn role_not_found() -> Reply {
    Reply::not_found("角色不存在")
}

/// The namespace a request names (`default` when it names none), if it exists.
fn namespace_of(store: &Store, given: Option<&str>) -> Result<String, Reply> {
    let namespace = given.filter(|n| !n.is_empty()).unwrap_or(DEFAULT_NAMESPACE);
    if store.roles.namespace_exists(namespace) {
        Ok(namespace.to_string())
    } else {
        Err(Reply::not_found("权限组不存在"))
    }
}

/// The namespace a request names to narrow a listing: none, or one that exists.
fn only_namespace(store: &Store, given: Option<&str>) -> Result<Option<String>, Reply> {
    given.map(|n| namespace_of(store, Some(n))).transpose()
}

/// Authing refuses an empty or over-long code with 400 `参数 code 格式错误`, and a blank
/// one or one with characters such as `额` or `!` with apiCode 500 `角色 Code 格式不正确！`
/// (assumption: which characters it allows is not documented; here ASCII letters, digits and
/// `_ - : .`).
fn check_code(code: &str) -> Result<(), Reply> {
    if code.is_empty() || code.chars().count() > MAX_CODE_CHARS {
        return Err(Reply::bad_param("code"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_-:.".contains(c);
    if !code.chars().all(allowed) {
        return Err(Reply::error(400, Some(500), "角色 Code 格式不正确！"));
    }
    Ok(())
}

/// A role from a `CreateRoleDto`, checked against the store (not yet added).
fn new_role(store: &Store, item: &Value) -> Result<Role, Reply> {
    let text = |k: &str| item[k].as_str().filter(|s| !s.is_empty());
    let code = item["code"].as_str().unwrap_or_default();
    check_code(code)?;
    // Creating a role in a namespace makes the namespace exist (assumption).
    let namespace = text("namespace").unwrap_or(DEFAULT_NAMESPACE);
    if store.roles.find(namespace, code).is_some() {
        return Err(Reply::conflict(format!(
            "role code already exists: {code} (namespace {namespace})"
        )));
    }
    Ok(Role {
        id: generate_id(),
        code: code.to_string(),
        // Without a name, the code is the name (assumption).
        name: text("name").unwrap_or(code).to_string(),
        description: text("description").unwrap_or_default().to_string(),
        namespace: namespace.to_string(),
        status: "ENABLE".into(),
        disable_time: disable_time(&item["disableTime"]),
        created_at_ms: now_ms(),
        users: Vec::new(),
        others: Vec::new(),
    })
}

/// The requests carry `disableTime` as a string of milliseconds, the answers as a number.
fn disable_time(given: &Value) -> Option<Value> {
    match given {
        Value::Number(_) => Some(given.clone()),
        Value::String(s) => s.trim().parse::<i64>().ok().map(Value::from),
        _ => None,
    }
}

fn add(store: &mut Store, role: Role) {
    store.roles.namespaces.insert(role.namespace.clone());
    store.roles.list.push(role);
}

pub(super) fn create_role(inner: &Inner, call: &Call<'_>) -> Reply {
    let mut store = inner.lock_store();
    match new_role(&store, call.body) {
        Ok(role) => {
            let json = role_json(&role);
            add(&mut store, role);
            Reply::ok(Some(json))
        }
        Err(reply) => reply,
    }
}

/// All or none.
pub(super) fn create_roles_batch(inner: &Inner, call: &Call<'_>) -> Reply {
    let list = call.body["list"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        return Reply::bad_param("list");
    }
    let mut store = inner.lock_store();
    let mut roles: Vec<Role> = Vec::new();
    for item in &list {
        match new_role(&store, item) {
            Ok(role)
                if roles
                    .iter()
                    .any(|r| r.namespace == role.namespace && r.code == role.code) =>
            {
                return Reply::conflict(format!("role code {} is given twice", role.code))
            }
            Ok(role) => roles.push(role),
            Err(reply) => return reply,
        }
    }
    for role in roles {
        add(&mut store, role);
    }
    Reply::success()
}

pub(super) fn get_role(inner: &Inner, call: &Call<'_>) -> Reply {
    let store = inner.lock_store();
    let namespace = match namespace_of(&store, call.query.str("namespace")) {
        Ok(namespace) => namespace,
        Err(reply) => return reply,
    };
    let code = call.query.str("code").unwrap_or_default();
    match store.roles.find(&namespace, code) {
        Some(role) => Reply::ok(Some(role_json(role))),
        None => role_not_found(),
    }
}

/// Without `namespace`, roles of every namespace (assumption); `keywords` matches code, name
/// and description.
pub(super) fn list_roles(inner: &Inner, call: &Call<'_>) -> Reply {
    let page = match Page::from_query(call.query) {
        Ok(page) => page,
        Err(reply) => return reply,
    };
    let store = inner.lock_store();
    let namespace = match only_namespace(&store, call.query.str("namespace")) {
        Ok(namespace) => namespace,
        Err(reply) => return reply,
    };
    let keywords = call
        .query
        .str("keywords")
        .unwrap_or_default()
        .to_lowercase();
    let roles: Vec<&Role> = store
        .roles
        .list
        .iter()
        .filter(|r| namespace.as_ref().is_none_or(|n| &r.namespace == n))
        .filter(|r| {
            [&r.code, &r.name, &r.description]
                .iter()
                .any(|t| t.to_lowercase().contains(&keywords))
        })
        .collect();
    let total = roles.len();
    paged(
        total,
        page.of(roles.into_iter())
            .into_iter()
            .map(role_json)
            .collect(),
    )
}

pub(super) fn update_role(inner: &Inner, call: &Call<'_>) -> Reply {
    let body = call.body;
    let mut store = inner.lock_store();
    let namespace = match namespace_of(&store, body["namespace"].as_str()) {
        Ok(namespace) => namespace,
        Err(reply) => return reply,
    };
    let code = body["code"].as_str().unwrap_or_default();
    let new_code = call.body_str("newCode").unwrap_or_else(|| code.to_string());
    if let Err(reply) = check_code(&new_code) {
        return reply;
    }
    if store.roles.find(&namespace, code).is_none() {
        return role_not_found();
    }
    if new_code != code && store.roles.find(&namespace, &new_code).is_some() {
        return Reply::conflict(format!("role code already exists: {new_code}"));
    }
    let role = store
        .roles
        .find_mut(&namespace, code)
        .expect("checked above");
    role.code = new_code;
    if let Some(name) = call.body_str("name") {
        role.name = name;
    }
    if let Some(description) = body["description"].as_str() {
        role.description = description.to_string();
    }
    if let Some(status) = call.body_str("status") {
        role.status = status.to_ascii_uppercase();
    }
    if body.get("disableTime").is_some() {
        role.disable_time = disable_time(&body["disableTime"]);
    }
    Reply::success()
}

/// Codes that name no role are skipped (assumption, as for users).
pub(super) fn delete_roles_batch(inner: &Inner, call: &Call<'_>) -> Reply {
    let codes = call.body_strings("codeList");
    if codes.is_empty() {
        return Reply::bad_param("codeList");
    }
    let mut store = inner.lock_store();
    let namespace = match namespace_of(&store, call.body["namespace"].as_str()) {
        Ok(namespace) => namespace,
        Err(reply) => return reply,
    };
    store
        .roles
        .list
        .retain(|r| r.namespace != namespace || !codes.contains(&r.code));
    Reply::success()
}

/// Checks the role and every target, then adds (`assign`) or removes them: all or nothing.
fn change_targets(inner: &Inner, call: &Call<'_>, assign: bool) -> Reply {
    let body = call.body;
    let targets = body["targets"].as_array().cloned().unwrap_or_default();
    if targets.is_empty() {
        return Reply::bad_param("targets");
    }
    let mut store = inner.lock_store();
    let namespace = match namespace_of(&store, body["namespace"].as_str()) {
        Ok(namespace) => namespace,
        Err(reply) => return reply,
    };
    let code = body["code"].as_str().unwrap_or_default();
    if store.roles.find(&namespace, code).is_none() {
        return role_not_found();
    }
    let mut checked: Vec<(String, String)> = Vec::new();
    for target in &targets {
        let kind = target["targetType"].as_str().unwrap_or_default();
        let id = target["targetIdentifier"].as_str().unwrap_or_default();
        let id = match kind {
            "USER" => match resolve(&store, id, "user_id") {
                Ok(user) => user.user_id.clone(),
                Err(reply) => return reply,
            },
            "GROUP" if store.group(id).is_none() => return Reply::not_found("分组不存在"),
            "DEPARTMENT" if store.orgs.department(id).is_none() => {
                return Reply::not_found(format!("department not found: {id}"))
            }
            _ => id.to_string(),
        };
        checked.push((kind.to_string(), id));
    }
    let role = store
        .roles
        .find_mut(&namespace, code)
        .expect("checked above");
    for (kind, id) in checked {
        if kind == "USER" {
            role.users.retain(|u| *u != id);
            if assign {
                role.users.push(id);
            }
        } else {
            role.others.retain(|(k, i)| !(*k == kind && *i == id));
            if assign {
                role.others.push((kind, id));
            }
        }
    }
    Reply::success()
}

pub(super) fn assign_role(inner: &Inner, call: &Call<'_>) -> Reply {
    change_targets(inner, call, true)
}

/// Revoking what was not assigned succeeds (Authing's own test revokes twice).
pub(super) fn revoke_role(inner: &Inner, call: &Call<'_>) -> Reply {
    change_targets(inner, call, false)
}

pub(super) fn list_role_members(inner: &Inner, call: &Call<'_>) -> Reply {
    let page = match Page::from_query(call.query) {
        Ok(page) => page,
        Err(reply) => return reply,
    };
    let store = inner.lock_store();
    let namespace = match namespace_of(&store, call.query.str("namespace")) {
        Ok(namespace) => namespace,
        Err(reply) => return reply,
    };
    let Some(role) = store
        .roles
        .find(&namespace, call.query.str("code").unwrap_or_default())
    else {
        return role_not_found();
    };
    let with = With::from_query(call.query);
    Reply::ok(Some(members_page(&store, &role.users, page, with)))
}

/// The roles assigned to the user directly, optionally of one namespace.
pub(super) fn get_user_roles(inner: &Inner, call: &Call<'_>) -> Reply {
    let store = inner.lock_store();
    let user = match super::users::lookup(&store, call) {
        Ok(user) => user,
        Err(reply) => return reply,
    };
    let namespace = match only_namespace(&store, call.query.str("namespace")) {
        Ok(namespace) => namespace,
        Err(reply) => return reply,
    };
    let roles: Vec<Value> = store
        .roles
        .of_user(&user.user_id)
        .filter(|r| namespace.as_ref().is_none_or(|n| &r.namespace == n))
        .map(role_json)
        .collect();
    paged(roles.len(), roles)
}
