//! Users: finding one by any identifier, creating, reading in batches, updating, deleting.

use serde_json::{json, Map, Value};

use super::user_json::{custom_data_of, user_json, With};
use super::{Call, Reply};
use crate::state::Inner;
use crate::store::{now_ms, Conflict, NewUser, Otp, Store, User, UserUpdate};

/// The `userIdType`s the emulator resolves; the document's others (`identity`,
/// `sync_relation`, `custom_field`) answer 501.
const ID_TYPES: &[&str] = &["user_id", "email", "username", "phone", "external_id"];

/// Authing refuses custom data longer than this (its Node SDK's tests), counted here on the
/// JSON text of the object (assumption: how Authing counts is not documented).
const MAX_CUSTOM_DATA_CHARS: usize = 1024;

/// Resolves a user by `userIdType`: a malformed identifier is 400 `参数 userId 格式错误`
/// (an e-mail without `@`), a well-formed unknown one 404 `用户不存在`.
pub(super) fn resolve<'s>(store: &'s Store, id: &str, id_type: &str) -> Result<&'s User, Reply> {
    if !ID_TYPES.contains(&id_type) {
        return Err(Reply::error(
            501,
            None,
            format!("userIdType {id_type} is not emulated by authing-emulator"),
        ));
    }
    if id_type == "email" && !id.contains('@') {
        return Err(Reply::bad_param("userId"));
    }
    store
        .users
        .find(id_type, id)
        .ok_or_else(Reply::user_not_found)
}

/// The user named by the query's `userId` and `userIdType` (default `user_id`).
pub(super) fn lookup<'s>(store: &'s Store, call: &Call<'_>) -> Result<&'s User, Reply> {
    let id = call.query.str("userId").unwrap_or_default();
    let id_type = call.query.str("userIdType").unwrap_or("user_id");
    resolve(store, id, id_type)
}

pub(super) fn get_user(inner: &Inner, call: &Call<'_>) -> Reply {
    let store = inner.lock_store();
    match lookup(&store, call) {
        Ok(user) => Reply::ok(Some(user_json(&store, user, With::from_query(call.query)))),
        Err(reply) => reply,
    }
}

/// Unknown ids are left out of the answer (assumption).
pub(super) fn get_user_batch(inner: &Inner, call: &Call<'_>) -> Reply {
    let ids = call.query.list("userIds");
    if ids.is_empty() {
        return Reply::bad_param("userIds");
    }
    let id_type = call.query.str("userIdType").unwrap_or("user_id");
    let with = With::from_query(call.query);
    let store = inner.lock_store();
    let mut found = Vec::new();
    for id in &ids {
        match resolve(&store, id, id_type) {
            Ok(user) => found.push(user_json(&store, user, with)),
            Err(reply) if reply.body["statusCode"] == 404 => {}
            Err(reply) => return reply,
        }
    }
    Reply::ok(Some(Value::Array(found)))
}

/// A plausible e-mail address: one `@`, something before it, a dotted domain after it, no
/// spaces. Authing refuses `test1@qqq` (its Node SDK's tests).
fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !email.chars().any(char::is_whitespace)
        && domain.contains('.')
        && domain.split('.').all(|part| !part.is_empty())
}

fn check_custom_data(custom_data: &Map<String, Value>) -> Result<(), Reply> {
    let length = Value::Object(custom_data.clone())
        .to_string()
        .chars()
        .count();
    if length > MAX_CUSTOM_DATA_CHARS {
        return Err(Reply::error(
            400,
            None,
            "customData must be less than 1024 characters",
        ));
    }
    Ok(())
}

/// Fields never echoed back in the user object: identifiers and status (kept apart),
/// secrets, options, and what is returned only on request.
const NOT_PROFILE: &[&str] = &[
    "userId",
    "email",
    "username",
    "phone",
    "externalId",
    "status",
    "password",
    "salt",
    "otp",
    "options",
    "identities",
    "customData",
    "departmentIds",
    "tenantIds",
    "metadataSource",
    "metadata",
];

fn profile_of(fields: &Map<String, Value>) -> Map<String, Value> {
    fields
        .iter()
        .filter(|(k, v)| !v.is_null() && !NOT_PROFILE.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Turns a `CreateUserReqDto` / `CreateUserInfoDto` into a new user, refusing what Authing
/// refuses, with its messages; secrets are not kept.
fn new_user(item: &Value) -> Result<NewUser, Reply> {
    let Some(fields) = item.as_object() else {
        return Err(Reply::error(400, None, "user must be an object"));
    };
    let text = |k: &str| {
        fields
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let user = NewUser {
        // Not in the document: an emulator extension so tests can create users with known ids.
        user_id: text("userId"),
        email: text("email"),
        username: text("username"),
        phone: text("phone"),
        external_id: text("externalId"),
        status: text("status"),
        otp: fields.get("otp").and_then(|otp| {
            Some(Otp {
                secret: otp.get("secret")?.as_str()?.to_string(),
                recovery_code: otp
                    .get("recoveryCode")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            })
        }),
        profile: profile_of(fields),
        custom_data: custom_data_of(&item["customData"]).unwrap_or_default(),
        identities: item["identities"].as_array().cloned().unwrap_or_default(),
    };
    if user.email.is_none() && user.username.is_none() && user.phone.is_none() {
        return Err(Reply::error(
            400,
            None,
            "Must contain one of the following fields: username, phone, email",
        ));
    }
    if user.email.as_deref().is_some_and(|e| !valid_email(e)) {
        return Err(Reply::bad_param("email"));
    }
    check_custom_data(&user.custom_data)?;
    if text("phoneCountryCode").is_some() && user.phone.is_none() {
        return Err(Reply::error(400, None, "phone cannot be empty"));
    }
    Ok(user)
}

fn conflict_reply(conflict: Conflict) -> Reply {
    match conflict {
        // The document lists no apiCode for duplicates; statusCode 409 is its ConflictError.
        c @ Conflict::Duplicate { .. } => Reply::conflict(c.to_string()),
        c @ Conflict::InvalidUserId(_) => Reply::error(400, None, c.to_string()),
        Conflict::UnknownUser(_) => Reply::user_not_found(),
    }
}

pub(super) fn create_user(inner: &Inner, call: &Call<'_>) -> Reply {
    create(inner, std::slice::from_ref(call.body), false)
}

pub(super) fn create_users_batch(inner: &Inner, call: &Call<'_>) -> Reply {
    let list = call.body["list"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        return Reply::bad_param("list");
    }
    create(inner, &list, true)
}

/// Creates all users or none; a batch's messages say which item was refused.
fn create(inner: &Inner, items: &[Value], batch: bool) -> Reply {
    let mut users = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match new_user(item) {
            Ok(user) => users.push(user),
            Err(mut reply) if batch => {
                let message = reply.body["message"].as_str().unwrap_or_default();
                reply.body["message"] = json!(format!("list[{i}]: {message}"));
                return reply;
            }
            Err(reply) => return reply,
        }
    }
    let mut store = inner.lock_store();
    let ids = match store.users.insert_all(users, false, now_ms()) {
        Ok(ids) => ids,
        Err(conflict) => return conflict_reply(conflict),
    };
    let mut created: Vec<Value> = ids
        .iter()
        .filter_map(|id| store.users.get(id))
        .map(|user| user_json(&store, user, With::written()))
        .collect();
    if batch {
        Reply::ok(Some(Value::Array(created)))
    } else {
        Reply::ok(created.pop())
    }
}

/// Fields of `UpdateUserReqDto` that are not profile fields to store as given.
const NOT_UPDATED_PROFILE: &[&str] = &["phoneCountryCode"];

pub(super) fn update_user(inner: &Inner, call: &Call<'_>) -> Reply {
    let body = call.body;
    let id = call.body_str("userId").unwrap_or_default();
    let id_type = body["options"]["userIdType"].as_str().unwrap_or("user_id");
    let identifier = |k: &str| call.body_str(k).map(Some);
    if identifier("email")
        .flatten()
        .is_some_and(|e| !valid_email(&e))
    {
        return Reply::bad_param("email");
    }
    let mut store = inner.lock_store();
    let user = match resolve(&store, &id, id_type) {
        Ok(user) => user,
        Err(reply) => return reply,
    };
    let fields = body.as_object().cloned().unwrap_or_default();
    let mut profile = profile_of(&fields);
    for key in NOT_UPDATED_PROFILE {
        if let Some(value) = fields.get(*key).filter(|v| !v.is_null()) {
            profile.insert(key.to_string(), value.clone());
        }
    }
    if profile.contains_key("phoneCountryCode")
        && call.body_str("phone").is_none()
        && user.phone.is_none()
    {
        return Reply::error(400, None, "phone cannot be empty");
    }
    // Custom data is merged key by key (assumption: Authing's update sets the given keys).
    let custom_data = custom_data_of(&body["customData"]).map(|given| {
        let mut merged = user.custom_data.clone();
        merged.extend(given);
        merged
    });
    if let Some(custom_data) = &custom_data {
        if let Err(reply) = check_custom_data(custom_data) {
            return reply;
        }
    }
    let user_id = user.user_id.clone();
    let update = UserUpdate {
        email: identifier("email"),
        username: identifier("username"),
        phone: identifier("phone"),
        external_id: identifier("externalId"),
        status: call.body_str("status"),
        profile,
        custom_data,
    };
    match store.users.update(&user_id, update, now_ms()) {
        Ok(_) => {}
        Err(conflict) => return conflict_reply(conflict),
    }
    let user = &store.users.get(&user_id).expect("just updated");
    Reply::ok(Some(user_json(&store, user, With::written())))
}

/// Unknown ids are skipped, so that a retried or repeated clean-up succeeds (assumption).
pub(super) fn delete_users_batch(inner: &Inner, call: &Call<'_>) -> Reply {
    let ids = call.body_strings("userIds");
    if ids.is_empty() {
        return Reply::bad_param("userIds");
    }
    let id_type = call.body["options"]["userIdType"]
        .as_str()
        .unwrap_or("user_id");
    let mut store = inner.lock_store();
    let mut found = Vec::new();
    for id in &ids {
        match resolve(&store, id, id_type) {
            Ok(user) => found.push(user.user_id.clone()),
            Err(reply) if reply.body["statusCode"] == 404 => {}
            Err(reply) => return reply,
        }
    }
    for id in found {
        store.delete_user(&id);
    }
    Reply::success()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shapes() {
        for ok in ["a@b.co", "first.last+tag@mail.example.com"] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in [
            "test1@qqq",
            "a.b.c",
            "@x.io",
            "a@@x.io",
            "a b@x.io",
            "a@x.",
            "a@.io",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
