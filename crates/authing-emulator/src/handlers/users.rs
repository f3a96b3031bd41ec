//! Users: `get-user` (by any identifier), `create-user`, `create-users-batch`.

use serde_json::{json, Map, Value};

use super::{Call, Reply, USER_NOT_FOUND};
use crate::state::Inner;
use crate::store::{Conflict, NewUser, Otp, Store, User};

/// Resolves `userId` + `userIdType` from the query to a user, or the error to answer.
pub(super) fn lookup<'s>(store: &'s Store, call: &Call<'_>) -> Result<&'s User, Reply> {
    let id = call.query("userId").unwrap_or_default();
    let id_type = call.query("userIdType").unwrap_or("user_id");
    if !matches!(
        id_type,
        "user_id" | "email" | "username" | "phone" | "external_id"
    ) {
        return Err(Reply::error(
            501,
            None,
            format!("userIdType {id_type} is not emulated by authing-emulator"),
        ));
    }
    store
        .find(id_type, id)
        .ok_or_else(|| Reply::error(404, Some(USER_NOT_FOUND), format!("user not found: {id}")))
}

pub(super) fn get_user(inner: &Inner, call: &Call<'_>) -> Reply {
    let store = inner.lock_store();
    match lookup(&store, call) {
        Ok(user) => Reply::ok(Some(user.to_dto())),
        Err(reply) => reply,
    }
}

/// Turns a `CreateUserReqDto` / `CreateUserInfoDto` into a new user; secrets are not kept.
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
        profile: fields
            .iter()
            .filter(|(k, v)| !v.is_null() && !NOT_PROFILE.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Map<String, Value>>(),
    };
    if user.email.is_none() && user.username.is_none() && user.phone.is_none() {
        return Err(Reply::error(
            400,
            None,
            "one of email, phone or username is required",
        ));
    }
    Ok(user)
}

/// Fields never echoed back in the user object (secrets, options, or stored separately).
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
];

fn conflict_reply(conflict: Conflict) -> Reply {
    match conflict {
        // The document lists no apiCode for duplicates; statusCode 409 is its ConflictError.
        c @ Conflict::Duplicate { .. } => Reply::error(409, None, c.to_string()),
        c @ Conflict::InvalidUserId(_) => Reply::error(400, None, c.to_string()),
    }
}

pub(super) fn create_user(inner: &Inner, call: &Call<'_>) -> Reply {
    let user = match new_user(call.body) {
        Ok(user) => user,
        Err(reply) => return reply,
    };
    let mut store = inner.lock_store();
    match store.insert_all(vec![user], false) {
        Ok(ids) => Reply::ok(Some(store.users[&ids[0]].to_dto())),
        Err(conflict) => conflict_reply(conflict),
    }
}

pub(super) fn create_users_batch(inner: &Inner, call: &Call<'_>) -> Reply {
    let list = call.body["list"].as_array().cloned().unwrap_or_default();
    let mut users = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        match new_user(item) {
            Ok(user) => users.push(user),
            Err(mut reply) => {
                let message = reply.body["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                reply.body["message"] = json!(format!("list[{i}]: {message}"));
                return reply;
            }
        }
    }
    let mut store = inner.lock_store();
    match store.insert_all(users, false) {
        Ok(ids) => Reply::ok(Some(Value::Array(
            ids.iter().map(|id| store.users[id].to_dto()).collect(),
        ))),
        Err(conflict) => conflict_reply(conflict),
    }
}
