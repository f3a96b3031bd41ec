//! Groups: create, read, list, update, delete, add and remove members, list a group's
//! members and a user's groups.
//!
//! Messages that Authing's own Node SDK tests match are used as they are: `分组标识符已存在`
//! (a duplicate code), `分组不存在`, `参数 code 格式错误`, `参数 userIds 格式错误`. Their
//! statusCodes, and everything else, are assumptions listed in the README.

use serde_json::{json, Value};

use super::paging::{paged, Page};
use super::user_json::{members_page, user_json, With};
use super::users::{lookup, resolve};
use super::{Call, Reply};
use crate::state::Inner;
use crate::store::{generate_id, now_ms, Group, Store};

const MAX_CODE_CHARS: usize = 64;

/// The document's `ResGroupDto`: `members` are the members' user objects (without the
/// fields returned only on request), `metadataSource` is empty.
fn group_json(store: &Store, group: &Group, with_custom_data: bool) -> Value {
    let members: Vec<Value> = group
        .members
        .iter()
        .filter_map(|id| store.users.get(id))
        .map(|user| user_json(store, user, With::default()))
        .collect();
    let mut json = json!({
        "id": group.id,
        "code": group.code,
        "name": group.name,
        "description": group.description,
        "type": group.kind,
        "metadataSource": [],
        "members": members,
    });
    if with_custom_data {
        json["customData"] = Value::Object(group.custom_data.clone());
    }
    json
}

fn group_not_found() -> Reply {
    Reply::not_found("分组不存在")
}

fn check_code(code: &str) -> Result<(), Reply> {
    if code.trim().is_empty() || code.chars().count() > MAX_CODE_CHARS {
        return Err(Reply::bad_param("code"));
    }
    Ok(())
}

/// A group from a `CreateGroupReqDto`, checked against the store (not yet added). Without
/// `type` it is `static` (Authing's own tests create groups without one).
fn new_group(store: &Store, item: &Value) -> Result<Group, Reply> {
    let text = |k: &str| item[k].as_str().unwrap_or_default().to_string();
    let code = text("code");
    check_code(&code)?;
    if store.group(&code).is_some() {
        return Err(Reply::conflict("分组标识符已存在"));
    }
    Ok(Group {
        id: generate_id(),
        name: text("name"),
        description: text("description"),
        kind: item["type"].as_str().unwrap_or("static").to_string(),
        custom_data: item["customData"].as_object().cloned().unwrap_or_default(),
        created_at_ms: now_ms(),
        members: Vec::new(),
        code,
    })
}

pub(super) fn create_group(inner: &Inner, call: &Call<'_>) -> Reply {
    let mut store = inner.lock_store();
    match new_group(&store, call.body) {
        Ok(group) => {
            let json = group_json(&store, &group, true);
            store.groups.push(group);
            Reply::ok(Some(json))
        }
        Err(reply) => reply,
    }
}

/// All or none.
pub(super) fn create_groups_batch(inner: &Inner, call: &Call<'_>) -> Reply {
    let list = call.body["list"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        return Reply::bad_param("list");
    }
    let mut store = inner.lock_store();
    let mut groups: Vec<Group> = Vec::new();
    for item in &list {
        match new_group(&store, item) {
            Ok(group) if groups.iter().any(|g| g.code == group.code) => {
                return Reply::conflict("分组标识符已存在")
            }
            Ok(group) => groups.push(group),
            Err(reply) => return reply,
        }
    }
    let json: Vec<Value> = groups.iter().map(|g| group_json(&store, g, true)).collect();
    store.groups.extend(groups);
    Reply::ok(Some(Value::Array(json)))
}

pub(super) fn get_group(inner: &Inner, call: &Call<'_>) -> Reply {
    let store = inner.lock_store();
    match store.group(call.query.str("code").unwrap_or_default()) {
        Some(group) => Reply::ok(Some(group_json(
            &store,
            group,
            call.query.flag("withCustomData"),
        ))),
        None => group_not_found(),
    }
}

/// `keywords` matches code, name and description.
pub(super) fn list_groups(inner: &Inner, call: &Call<'_>) -> Reply {
    let page = match Page::from_query(call.query) {
        Ok(page) => page,
        Err(reply) => return reply,
    };
    let keywords = call
        .query
        .str("keywords")
        .unwrap_or_default()
        .to_lowercase();
    let store = inner.lock_store();
    let groups: Vec<&Group> = store
        .groups
        .iter()
        .filter(|g| {
            [&g.code, &g.name, &g.description]
                .iter()
                .any(|t| t.to_lowercase().contains(&keywords))
        })
        .collect();
    let with_custom_data = call.query.flag("withCustomData");
    let list = page
        .of(groups.iter())
        .into_iter()
        .map(|g| group_json(&store, g, with_custom_data))
        .collect();
    paged(groups.len(), list)
}

pub(super) fn update_group(inner: &Inner, call: &Call<'_>) -> Reply {
    let body = call.body;
    let code = body["code"].as_str().unwrap_or_default();
    let new_code = call.body_str("newCode");
    let mut store = inner.lock_store();
    if store.group(code).is_none() {
        return group_not_found();
    }
    if let Some(new_code) = new_code.as_deref().filter(|c| *c != code) {
        if let Err(reply) = check_code(new_code) {
            return reply;
        }
        if store.group(new_code).is_some() {
            return Reply::conflict("分组标识符已存在");
        }
    }
    let group = store.group_mut(code).expect("checked above");
    if let Some(new_code) = new_code {
        group.code = new_code;
    }
    if let Some(name) = call.body_str("name") {
        group.name = name;
    }
    if let Some(description) = body["description"].as_str() {
        group.description = description.to_string();
    }
    if let Some(custom_data) = body["customData"].as_object() {
        group.custom_data.extend(custom_data.clone());
    }
    let group = group.clone();
    Reply::ok(Some(group_json(&store, &group, true)))
}

/// Codes that name no group are skipped (assumption, as for users).
pub(super) fn delete_groups_batch(inner: &Inner, call: &Call<'_>) -> Reply {
    let codes = call.body_strings("codeList");
    if codes.is_empty() {
        return Reply::bad_param("codeList");
    }
    inner
        .lock_store()
        .groups
        .retain(|g| !codes.contains(&g.code));
    Reply::success()
}

/// Checks the group and every user, then adds or removes them: all or nothing.
fn change_members(inner: &Inner, call: &Call<'_>, add: bool) -> Reply {
    let code = call.body["code"].as_str().unwrap_or_default();
    if code.is_empty() {
        return Reply::bad_param("code");
    }
    let user_ids = call.body_strings("userIds");
    if user_ids.is_empty() {
        return Reply::bad_param("userIds");
    }
    let mut store = inner.lock_store();
    if store.group(code).is_none() {
        return group_not_found();
    }
    for id in &user_ids {
        if let Err(reply) = resolve(&store, id, "user_id") {
            return reply;
        }
    }
    let group = store.group_mut(code).expect("checked above");
    for id in user_ids {
        group.members.retain(|m| *m != id);
        if add {
            group.members.push(id);
        }
    }
    Reply::success()
}

pub(super) fn add_group_members(inner: &Inner, call: &Call<'_>) -> Reply {
    change_members(inner, call, true)
}

pub(super) fn remove_group_members(inner: &Inner, call: &Call<'_>) -> Reply {
    change_members(inner, call, false)
}

pub(super) fn list_group_members(inner: &Inner, call: &Call<'_>) -> Reply {
    let page = match Page::from_query(call.query) {
        Ok(page) => page,
        Err(reply) => return reply,
    };
    let store = inner.lock_store();
    let Some(group) = store.group(call.query.str("code").unwrap_or_default()) else {
        return group_not_found();
    };
    let with = With::from_query(call.query);
    Reply::ok(Some(members_page(&store, &group.members, page, with)))
}

pub(super) fn get_user_groups(inner: &Inner, call: &Call<'_>) -> Reply {
    let store = inner.lock_store();
    let user = match lookup(&store, call) {
        Ok(user) => user,
        Err(reply) => return reply,
    };
    let groups: Vec<Value> = store
        .groups
        .iter()
        .filter(|g| g.members.contains(&user.user_id))
        .map(|g| group_json(&store, g, false))
        .collect();
    paged(groups.len(), groups)
}
