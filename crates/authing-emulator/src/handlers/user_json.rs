//! A user as Authing's API shows one (the document's `UserDto`), and single fields of it for
//! filtering and sorting without building the whole object.

use serde_json::{json, Map, Value};

use super::paging::Page;
use crate::query::Query;
use crate::store::{format_time, Store, User};

/// Authing's default avatar: a new user's `photo` (Authing's own test checks that a new user
/// has one; this URL is the document's example of it).
pub const DEFAULT_PHOTO: &str = "https://files.authing.co/authing-console/default-user-avatar.png";

/// Which of the fields Authing returns only on request to include. When a flag is set the
/// field is always there, empty if nothing is stored; when not, it is absent.
#[derive(Debug, Clone, Copy, Default)]
pub struct With {
    pub custom_data: bool,
    pub identities: bool,
    pub department_ids: bool,
    /// Custom data also as top-level fields (`flatCustomData`); never over a user field.
    pub flat_custom_data: bool,
}

impl With {
    /// From `withCustomData`, `withIdentities`, `withDepartmentIds`, `flatCustomData` in a
    /// query (`get-user`, `get-user-batch`, member listings).
    pub fn from_query(query: &Query) -> With {
        With {
            custom_data: query.flag("withCustomData"),
            identities: query.flag("withIdentities"),
            department_ids: query.flag("withDepartmentIds"),
            flat_custom_data: query.flag("flatCustomData"),
        }
    }

    /// From the same flags in a JSON object (`list-users`' `options`).
    pub fn from_object(options: &Value) -> With {
        let flag = |name: &str| options[name].as_bool() == Some(true);
        With {
            custom_data: flag("withCustomData"),
            identities: flag("withIdentities"),
            department_ids: flag("withDepartmentIds"),
            flat_custom_data: flag("flatCustomData"),
        }
    }

    /// What create and update answers include: the custom data (Authing's own test reads
    /// `customData` back from `create-user` without asking for it).
    pub fn written() -> With {
        With {
            custom_data: true,
            ..With::default()
        }
    }
}

/// The user as `UserDto`: every field the document requires, Authing's defaults for a new
/// user, and the optional fields `with` asks for.
pub fn user_json(store: &Store, user: &User, with: With) -> Value {
    let mut dto = user.profile.clone();
    let mut set = |k: &str, v: Value| {
        dto.insert(k.to_string(), v);
    };
    set("userId", json!(user.user_id));
    set("createdAt", json!(format_time(user.created_at_ms)));
    set("updatedAt", json!(format_time(user.updated_at_ms)));
    set("status", json!(user.status));
    for (k, v) in [
        ("email", &user.email),
        ("username", &user.username),
        ("phone", &user.phone),
        ("externalId", &user.external_id),
    ] {
        if let Some(v) = v {
            set(k, json!(v));
        }
    }
    for (k, default) in [
        ("workStatus", json!("Active")),
        ("gender", json!("U")),
        ("emailVerified", json!(false)),
        ("phoneVerified", json!(false)),
        ("userSourceType", json!("adminCreated")),
        ("photo", json!(DEFAULT_PHOTO)),
        ("loginsCount", json!(0)),
        // Present as null on a user who never logged in, as Authing sends them.
        ("lastLogin", Value::Null),
        ("lastIp", Value::Null),
    ] {
        dto.entry(k.to_string()).or_insert(default);
    }
    if with.custom_data {
        if with.flat_custom_data {
            for (k, v) in &user.custom_data {
                dto.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        dto.insert("customData".into(), Value::Object(user.custom_data.clone()));
    }
    if with.identities {
        dto.insert("identities".into(), Value::Array(user.identities.clone()));
    }
    if with.department_ids {
        let ids: Vec<Value> = store
            .orgs
            .of_user(&user.user_id)
            .map(|d| json!(d.id))
            .collect();
        dto.insert("departmentIds".into(), Value::Array(ids));
    }
    Value::Object(dto)
}

/// One top-level field of [`user_json`] without the `with*` ones (`null` when absent):
/// what filters and sorting compare.
pub fn user_field(user: &User, name: &str) -> Value {
    let text = |v: &Option<String>| v.as_ref().map_or(Value::Null, |s| json!(s));
    match name {
        "userId" | "id" => json!(user.user_id),
        "email" => text(&user.email),
        "username" => text(&user.username),
        "phone" => text(&user.phone),
        "externalId" => text(&user.external_id),
        "status" => json!(user.status),
        // Times compare as milliseconds.
        "createdAt" => json!(user.created_at_ms),
        "updatedAt" => json!(user.updated_at_ms),
        "loginsCount" => user.profile.get(name).cloned().unwrap_or(json!(0)),
        "gender" => user.profile.get(name).cloned().unwrap_or(json!("U")),
        "userSourceType" => user
            .profile
            .get(name)
            .cloned()
            .unwrap_or(json!("adminCreated")),
        _ => user.profile.get(name).cloned().unwrap_or(Value::Null),
    }
}

/// A page of users in the document's paged shape.
pub fn users_page(store: &Store, total: usize, users: &[&User], with: With) -> Value {
    let list: Vec<Value> = users.iter().map(|u| user_json(store, u, with)).collect();
    json!({"totalCount": total, "list": list})
}

/// A page of the users whose ids are given (in that order), as the document's paged shape.
pub fn members_page(store: &Store, ids: &[String], page: Page, with: With) -> Value {
    let members: Vec<&User> = ids.iter().filter_map(|id| store.users.get(id)).collect();
    let users = page.of(members.iter().copied());
    users_page(store, members.len(), &users, with)
}

/// Custom data as given in a request: an object, or nothing.
pub fn custom_data_of(value: &Value) -> Option<Map<String, Value>> {
    value.as_object().cloned()
}
