//! Emulated behaviour, keyed by operationId. Requests reaching this module are authenticated and
//! valid against the document; an operation without behaviour here gets a success synthesized
//! from the document (marked as such), or 501 with `--unemulated 501`.

use std::cmp::Ordering;

use serde_json::{json, Map, Value};

use crate::auth;
use crate::store::{Conflict, NewUser, Otp, User};
use crate::synth;
use crate::Inner;

/// Authing's success message.
pub const OK_MESSAGE: &str = "操作成功";
/// apiCode for "user not found" in Authing's document.
pub const USER_NOT_FOUND: u32 = 2004;

pub const GET_MANAGEMENT_TOKEN: &str = "V3ManagementController_getManagementToken";

/// An answer: the HTTP status and the JSON body (the request id is added by the caller).
#[derive(Debug)]
pub struct Reply {
    pub http: u16,
    pub body: Value,
    /// Made up from the document (no emulated behaviour): marked in `x-authing-emulator`.
    pub synthesized: bool,
}

impl Reply {
    pub fn ok(data: Option<Value>) -> Reply {
        let mut body = json!({"statusCode": 200, "message": OK_MESSAGE});
        if let Some(data) = data {
            body["data"] = data;
        }
        Reply {
            http: 200,
            body,
            synthesized: false,
        }
    }

    /// A business error: HTTP 200 with `statusCode != 200`, as Authing answers them.
    pub fn error(status: u16, api_code: Option<u32>, message: impl Into<String>) -> Reply {
        Reply::with_http(200, status, api_code, message)
    }

    pub fn with_http(
        http: u16,
        status: u16,
        api_code: Option<u32>,
        message: impl Into<String>,
    ) -> Reply {
        let mut body = json!({"statusCode": status, "message": message.into()});
        if let Some(code) = api_code {
            body["apiCode"] = json!(code);
        }
        Reply {
            http,
            body,
            synthesized: false,
        }
    }

    pub fn data(mut self, data: Value) -> Reply {
        self.body["data"] = data;
        self
    }
}

/// What a handler gets: the operation, its query pairs and its JSON body (`Null` for GET).
pub struct Call<'a> {
    pub operation_id: &'a str,
    pub query: &'a [(String, String)],
    pub body: &'a Value,
}

impl Call<'_> {
    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn body_str(&self, name: &str) -> Option<String> {
        self.body
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

pub fn handle(inner: &Inner, call: &Call<'_>) -> Reply {
    match call.operation_id {
        GET_MANAGEMENT_TOKEN => get_management_token(inner, call),
        "UsersManagementController_importOtp" => import_otp(inner, call),
        "UsersManagementController_getOtpSecretByUser" => get_otp_secret(inner, call),
        "UsersManagementController_getUserMfaInfo" => get_mfa_info(inner, call),
        "UsersManagementController_createUser" => create_user(inner, call),
        "UsersManagementController_createUsersBatch" => create_users_batch(inner, call),
        "UsersManagementController_getUser" => get_user(inner, call),
        "UsersManagementController_listUsers" => list_users(inner, call),
        "UsersManagementController_listUsersLegacy" => list_users_legacy(inner, call),
        _ => unemulated(inner, call),
    }
}

/// No behaviour for this operation: a success synthesized from the document, or the 501 the
/// emulator answered before synthesis existed (`--unemulated 501`).
fn unemulated(inner: &Inner, call: &Call<'_>) -> Reply {
    let op = inner.spec.operation(call.operation_id);
    match (inner.unemulated, op) {
        (crate::Unemulated::Synthesize, Some(op)) => {
            let seed = synth::request_seed(call.operation_id, call.query, call.body);
            Reply {
                http: op.success_status,
                body: synth::success_body(inner.spec.document(), op.success_schema.as_ref(), seed),
                synthesized: true,
            }
        }
        _ => not_emulated(call.operation_id),
    }
}

pub fn not_emulated(operation_id: &str) -> Reply {
    Reply::error(
        501,
        None,
        format!("operation {operation_id} is not emulated by authing-emulator"),
    )
}

fn get_management_token(inner: &Inner, call: &Call<'_>) -> Reply {
    let id = call.body_str("accessKeyId").unwrap_or_default();
    let secret = call.body_str("accessKeySecret").unwrap_or_default();
    // Compare both in full so that timing does not reveal which one was wrong.
    let id_ok = constant_time_eq(id.as_bytes(), inner.access_key_id.as_bytes());
    let secret_ok = constant_time_eq(secret.as_bytes(), inner.access_key_secret.as_bytes());
    if !(id_ok && secret_ok) {
        // Authing documents no apiCode for this; 2020 ("not logged in") is the closest listed.
        return Reply::error(
            401,
            Some(2020),
            "accessKeyId or accessKeySecret is incorrect",
        );
    }
    let ttl = inner.token_ttl_secs();
    let token = auth::issue_token(
        &inner.jwt_key,
        &inner.userpool_id,
        &inner.access_key_id,
        ttl,
    );
    let mut reply = Reply::ok(Some(json!({"access_token": token, "expires_in": ttl})));
    reply.body["message"] = json!("");
    reply
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

/// Atomic by design (an assumption, see README): if any user is unknown, nothing is stored.
fn import_otp(inner: &Inner, call: &Call<'_>) -> Reply {
    let list = call
        .body
        .get("list")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if list.is_empty() {
        return Reply::error(400, None, "list must not be empty");
    }
    let mut store = inner.lock_store();
    let mut missing: Vec<String> = Vec::new();
    for item in &list {
        let id = item["userId"].as_str().unwrap_or_default();
        if !store.users.contains_key(id) && !missing.iter().any(|m| m == id) {
            missing.push(id.to_string());
        }
    }
    if !missing.is_empty() {
        return Reply::error(
            404,
            Some(USER_NOT_FOUND),
            format!("user not found: {}", missing.join(", ")),
        )
        .data(json!({ "notFoundUserIds": missing }));
    }
    let now = auth::now_ms() as i64;
    for item in &list {
        let id = item["userId"].as_str().unwrap_or_default();
        if let Some(user) = store.users.get_mut(id) {
            // A re-import replaces secret and recovery code together (idempotent retries).
            user.otp = Some(Otp {
                secret: item["otp"]["secret"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                recovery_code: item["otp"]["recoveryCode"].as_str().map(str::to_string),
            });
            user.updated_at_ms = now;
        }
    }
    Reply::ok(None)
}

/// Resolves `userId` + `userIdType` from the query to a user, or the error to answer.
fn lookup<'s>(store: &'s crate::store::Store, call: &Call<'_>) -> Result<&'s User, Reply> {
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

fn get_otp_secret(inner: &Inner, call: &Call<'_>) -> Reply {
    let store = inner.lock_store();
    let user = match lookup(&store, call) {
        Ok(user) => user,
        Err(reply) => return reply,
    };
    match &user.otp {
        Some(otp) => Reply::ok(Some(json!({ "secret": otp.secret }))),
        // Emulator choice: 404 without apiCode, distinguishable from "user not found" (2004).
        None => Reply::error(
            404,
            None,
            format!("user {} has no OTP secret bound", user.user_id),
        ),
    }
}

fn get_mfa_info(inner: &Inner, call: &Call<'_>) -> Reply {
    let store = inner.lock_store();
    match lookup(&store, call) {
        Ok(user) => Reply::ok(Some(json!({
            "totpStatus": if user.otp.is_some() { "enabled" } else { "disabled" },
            "faceMfaStatus": "disabled",
            "smsMfaStatus": "disabled",
            "emailMfaStatus": "disabled",
        }))),
        Err(reply) => reply,
    }
}

fn get_user(inner: &Inner, call: &Call<'_>) -> Reply {
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

fn create_user(inner: &Inner, call: &Call<'_>) -> Reply {
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

fn create_users_batch(inner: &Inner, call: &Call<'_>) -> Reply {
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

/// `POST /api/v3/list-users`: keyword search, sorting and paging; the advanced filters are not
/// emulated and say so rather than returning unfiltered users.
fn list_users(inner: &Inner, call: &Call<'_>) -> Reply {
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
fn list_users_legacy(inner: &Inner, call: &Call<'_>) -> Reply {
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
