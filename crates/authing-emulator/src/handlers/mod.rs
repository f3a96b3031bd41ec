//! Emulated behaviour, keyed by operationId: one module per resource. Requests reaching
//! this module are authenticated and valid against the document; an operation without
//! behaviour here gets a success synthesized from the document (marked as such), or 501
//! with `--unemulated 501`.

mod list;
mod otp;
mod token;
mod users;

use serde_json::{json, Value};

use crate::operation as op;
use crate::state::Inner;
use crate::synth::{self, Unemulated};

/// Authing's success message.
pub const OK_MESSAGE: &str = "操作成功";
/// apiCode for "user not found" in Authing's document.
pub const USER_NOT_FOUND: u32 = 2004;

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
        op::GET_MANAGEMENT_TOKEN => token::get_management_token(inner, call),
        op::IMPORT_OTP => otp::import_otp(inner, call),
        op::GET_OTP_SECRET_BY_USER => otp::get_otp_secret(inner, call),
        op::GET_USER_MFA_INFO => otp::get_mfa_info(inner, call),
        op::CREATE_USER => users::create_user(inner, call),
        op::CREATE_USERS_BATCH => users::create_users_batch(inner, call),
        op::GET_USER => users::get_user(inner, call),
        op::LIST_USERS => list::list_users(inner, call),
        op::LIST_USERS_LEGACY => list::list_users_legacy(inner, call),
        _ => unemulated(inner, call),
    }
}

/// No behaviour for this operation: a success synthesized from the document, or the 501 the
/// emulator answered before synthesis existed (`--unemulated 501`).
fn unemulated(inner: &Inner, call: &Call<'_>) -> Reply {
    let op = inner.spec.operation(call.operation_id);
    match (inner.unemulated, op) {
        (Unemulated::Synthesize, Some(op)) => {
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
