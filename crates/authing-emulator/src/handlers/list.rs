//! User listings: `POST /api/v3/list-users` (filters, keywords, sorting, paging) and the
//! legacy `GET /api/v3/list-users`.
//!
//! A listing costs what its page costs: users are filtered and sorted on their fields, and
//! only the page asked for is turned into JSON. Without filters or sorting, a page is read
//! straight off the creation order.

use std::cmp::Ordering;

use serde_json::Value;

use super::paging::Page;
use super::user_json::{user_field, users_page, With};
use super::{Call, Reply};
use crate::state::Inner;
use crate::store::User;

/// Where keywords are looked for when `options.fuzzySearchOn` does not say.
const FUZZY_FIELDS: &[&str] = &[
    "phone",
    "email",
    "name",
    "username",
    "nickname",
    "identityNumber",
];
const STATUSES: &[&str] = &[
    "Suspended",
    "Resigned",
    "Activated",
    "Archived",
    "Deactivated",
];

/// One `advancedFilter` item.
struct Filter {
    field: String,
    operator: String,
    value: Value,
}

pub(super) fn list_users(inner: &Inner, call: &Call<'_>) -> Reply {
    let body = call.body;
    // Elasticsearch's query language is not emulated; an unfiltered page would look like a
    // result.
    if body["searchQuery"]
        .as_object()
        .is_some_and(|q| !q.is_empty())
    {
        return Reply::error(
            501,
            None,
            "list-users with searchQuery is not emulated by authing-emulator",
        );
    }
    let options = &body["options"];
    let page = match Page::new(
        options["pagination"]["page"].as_f64(),
        options["pagination"]["limit"].as_f64(),
    ) {
        Ok(page) => page,
        Err(reply) => return reply,
    };
    let filters = match filters(&body["advancedFilter"]) {
        Ok(filters) => filters,
        Err(reply) => return reply,
    };
    let keywords = body["keywords"].as_str().unwrap_or_default().to_lowercase();
    let fuzzy: Vec<String> = match options["fuzzySearchOn"].as_array() {
        Some(fields) if !fields.is_empty() => fields
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => FUZZY_FIELDS.iter().map(|f| f.to_string()).collect(),
    };
    let sort: Vec<(String, bool)> = options["sort"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|key| {
            // The document says `order`, its own example `direction`: either is read.
            let order = key["order"].as_str().or(key["direction"].as_str());
            (
                key["field"].as_str().unwrap_or_default().to_string(),
                order == Some("desc"),
            )
        })
        .collect();
    let with = With::from_object(options);
    let store = inner.lock_store();
    if filters.is_empty() && keywords.is_empty() && sort.is_empty() {
        let users = page.of(store.users.in_order());
        return Reply::ok(Some(users_page(&store, store.users.len(), &users, with)));
    }
    let matches = |user: &&User| {
        filters.iter().all(|f| f.accepts(user))
            && (keywords.is_empty()
                || fuzzy.iter().any(|field| {
                    user_field(user, field)
                        .as_str()
                        .is_some_and(|v| v.to_lowercase().contains(&keywords))
                }))
    };
    let mut users: Vec<&User> = store.users.in_order().filter(matches).collect();
    if !sort.is_empty() {
        let mut keyed: Vec<(Vec<Value>, &User)> = users
            .into_iter()
            .map(|u| (sort.iter().map(|(f, _)| user_field(u, f)).collect(), u))
            .collect();
        keyed.sort_by(|(a, _), (b, _)| {
            sort.iter()
                .enumerate()
                .map(|(i, (_, desc))| compare(&a[i], &b[i], *desc))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        users = keyed.into_iter().map(|(_, u)| u).collect();
    }
    let total = users.len();
    let users = page.of(users.into_iter());
    Reply::ok(Some(users_page(&store, total, &users, with)))
}

/// `GET /api/v3/list-users` (the document's "legacy" listing): paging, status and an
/// `updatedAt` range in milliseconds.
pub(super) fn list_users_legacy(inner: &Inner, call: &Call<'_>) -> Reply {
    let query = call.query;
    let page = match Page::from_query(query) {
        Ok(page) => page,
        Err(reply) => return reply,
    };
    let status = query.str("status");
    let (start, end) = (query.number("updatedAtStart"), query.number("updatedAtEnd"));
    let with = With::from_query(query);
    let store = inner.lock_store();
    if status.is_none() && start.is_none() && end.is_none() {
        let users = page.of(store.users.in_order());
        return Reply::ok(Some(users_page(&store, store.users.len(), &users, with)));
    }
    let users: Vec<&User> = store
        .users
        .in_order()
        .filter(|u| status.is_none_or(|s| u.status == s))
        .filter(|u| start.is_none_or(|s| u.updated_at_ms as f64 >= s))
        .filter(|u| end.is_none_or(|e| u.updated_at_ms as f64 <= e))
        .collect();
    let total = users.len();
    let users = page.of(users.into_iter());
    Reply::ok(Some(users_page(&store, total, &users, with)))
}

fn filters(given: &Value) -> Result<Vec<Filter>, Reply> {
    let mut filters = Vec::new();
    for item in given.as_array().into_iter().flatten() {
        let filter = Filter {
            field: item["field"].as_str().unwrap_or_default().to_string(),
            operator: item["operator"].as_str().unwrap_or_default().to_string(),
            value: item["value"].clone(),
        };
        // Authing refuses a status that is not one (its Node SDK's tests).
        if filter.field == "status" {
            let values = match &filter.value {
                Value::Array(items) => items.clone(),
                Value::Null => Vec::new(),
                one => vec![one.clone()],
            };
            if values
                .iter()
                .any(|v| !v.as_str().is_some_and(|s| STATUSES.contains(&s)))
            {
                return Err(Reply::bad_param("status"));
            }
        }
        filters.push(filter);
    }
    Ok(filters)
}

impl Filter {
    fn accepts(&self, user: &User) -> bool {
        let actual = user_field(user, &self.field);
        let empty = actual.is_null() || actual.as_str() == Some("");
        let items = || self.value.as_array().cloned().unwrap_or_default();
        match self.operator.as_str() {
            "EQUAL" => self.same(&actual, &self.value),
            "NOT_EQUAL" => !self.same(&actual, &self.value),
            "IN" => items().iter().any(|v| self.same(&actual, v)),
            "CONTAINS" => contains(&actual, &self.value),
            "NOT_CONTAINS" => !contains(&actual, &self.value),
            "IS_NULL" => empty,
            "NOT_NULL" => !empty,
            "GREATER" => self.order(&actual, &self.value) == Some(Ordering::Greater),
            "LESSER" => self.order(&actual, &self.value) == Some(Ordering::Less),
            "BETWEEN" => match items().as_slice() {
                [low, high] => {
                    self.order(&actual, low).is_some_and(Ordering::is_ge)
                        && self.order(&actual, high).is_some_and(Ordering::is_le)
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// Equality as a person means it: e-mail addresses ignore case (as lookups do),
    /// numbers and times compare as numbers.
    fn same(&self, actual: &Value, wanted: &Value) -> bool {
        if let (Some(a), Some(b)) = (actual.as_str(), wanted.as_str()) {
            return if self.field == "email" {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            };
        }
        self.order(actual, wanted) == Some(Ordering::Equal) || actual == wanted
    }

    fn order(&self, actual: &Value, wanted: &Value) -> Option<Ordering> {
        let a = number(actual)?;
        let b = number(wanted)?;
        a.partial_cmp(&b)
    }
}

/// A number, or a time in milliseconds (RFC 3339 or a date); `None` otherwise.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<f64>().ok().or_else(|| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.timestamp_millis() as f64)
                .ok()
                .or_else(|| {
                    let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
                    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis() as f64)
                })
        }),
        _ => None,
    }
}

/// Substring match, ignoring case (assumption).
fn contains(actual: &Value, wanted: &Value) -> bool {
    match (actual.as_str(), wanted.as_str()) {
        (Some(a), Some(w)) => a.to_lowercase().contains(&w.to_lowercase()),
        _ => false,
    }
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
