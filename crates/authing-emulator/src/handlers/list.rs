//! User listings: `POST /api/v3/list-users` and the legacy `GET /api/v3/list-users`.

use std::cmp::Ordering;

use serde_json::{json, Value};

use super::{Call, Reply};
use crate::state::Inner;
use crate::store::User;

/// `POST /api/v3/list-users`: keyword search, sorting and paging; the advanced filters are not
/// emulated and say so rather than returning unfiltered users.
pub(super) fn list_users(inner: &Inner, call: &Call<'_>) -> Reply {
    let body = call.body;
    let non_empty = |v: &Value| match v {
        Value::Null => false,
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    };
    for unsupported in ["advancedFilter", "searchQuery"] {
        if non_empty(&body[unsupported]) {
            return Reply::error(
                501,
                None,
                format!("list-users with {unsupported} is not emulated by authing-emulator"),
            );
        }
    }
    let options = &body["options"];
    let page = options["pagination"]["page"].as_f64().unwrap_or(1.0);
    let limit = options["pagination"]["limit"].as_f64().unwrap_or(10.0);
    let keywords = body["keywords"].as_str().unwrap_or_default().to_lowercase();
    let fuzzy_fields: Vec<String> = match options["fuzzySearchOn"].as_array() {
        Some(fields) if !fields.is_empty() => fields
            .iter()
            .filter_map(Value::as_str)
            .map(|f| if f == "id" { "userId" } else { f }.to_string())
            .collect(),
        _ => [
            "phone",
            "email",
            "name",
            "username",
            "nickname",
            "identityNumber",
        ]
        .map(str::to_string)
        .to_vec(),
    };
    let store = inner.lock_store();
    let mut users: Vec<Value> = store
        .users_in_order()
        .into_iter()
        .map(User::to_dto)
        .filter(|dto| {
            keywords.is_empty()
                || fuzzy_fields.iter().any(|f| {
                    dto[f.as_str()]
                        .as_str()
                        .is_some_and(|v| v.to_lowercase().contains(&keywords))
                })
        })
        .collect();
    if let Some(sort) = options["sort"].as_array() {
        // Sort by the last key first so that earlier keys take precedence (stable sort).
        for key in sort.iter().rev() {
            let field = key["field"].as_str().unwrap_or_default();
            let desc = key["order"].as_str() == Some("desc");
            users.sort_by(|a, b| compare(&a[field], &b[field], desc));
        }
    }
    page_of(users, page, limit)
}

/// `GET /api/v3/list-users` (the document's "legacy" listing): paging and simple filters.
pub(super) fn list_users_legacy(inner: &Inner, call: &Call<'_>) -> Reply {
    let number = |name: &str| call.query(name).and_then(|v| v.parse::<f64>().ok());
    let page = number("page").unwrap_or(1.0);
    let limit = number("limit").unwrap_or(10.0);
    let status = call.query("status");
    let (start, end) = (number("updatedAtStart"), number("updatedAtEnd"));
    let store = inner.lock_store();
    let users = store
        .users_in_order()
        .into_iter()
        .filter(|u| status.is_none_or(|s| u.status == s))
        .filter(|u| start.is_none_or(|s| u.updated_at_ms as f64 >= s))
        .filter(|u| end.is_none_or(|e| u.updated_at_ms as f64 <= e))
        .map(User::to_dto)
        .collect();
    page_of(users, page, limit)
}

fn page_of(users: Vec<Value>, page: f64, limit: f64) -> Reply {
    if page < 1.0 || page.fract() != 0.0 {
        return Reply::error(400, None, "page must be a positive integer");
    }
    if !(1.0..=50.0).contains(&limit) || limit.fract() != 0.0 {
        return Reply::error(400, None, "limit must be an integer between 1 and 50");
    }
    let total = users.len();
    let (page, limit) = (page as usize, limit as usize);
    let list: Vec<Value> = users
        .into_iter()
        .skip((page - 1).saturating_mul(limit))
        .take(limit)
        .collect();
    Reply::ok(Some(json!({"totalCount": total, "list": list})))
}

/// Orders JSON scalars: numbers numerically, everything else by its text; missing values come
/// last in either direction.
fn compare(a: &Value, b: &Value, desc: bool) -> Ordering {
    let ord = match (a, b) {
        (Value::Null, Value::Null) => return Ordering::Equal,
        (Value::Null, _) => return Ordering::Greater,
        (_, Value::Null) => return Ordering::Less,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    };
    if desc {
        ord.reverse()
    } else {
        ord
    }
}
