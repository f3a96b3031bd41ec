//! Emulated behaviour, keyed by operationId: one module per resource. Requests reaching
//! this module are authenticated and valid against the document; an operation without
//! behaviour here gets a success synthesized from the document (marked as such), or 501
//! with `--unemulated 501`.

mod departments;
mod groups;
mod list;
mod mfa;
mod orgs;
mod otp;
mod paging;
mod roles;
mod token;
mod user_json;
mod users;

use serde_json::{json, Value};

use crate::operation as op;
use crate::query::Query;
use crate::state::Inner;
use crate::synth::{self, Unemulated};

/// apiCode for "user not found" in Authing's document.
pub const USER_NOT_FOUND: u32 = 2004;
/// Authing's message for an unknown user (its Node SDK's tests match it).
pub const USER_NOT_FOUND_MESSAGE: &str = "用户不存在";

/// An answer: the HTTP status and the JSON body (the request id is added by the caller).
#[derive(Debug)]
pub struct Reply {
    pub http: u16,
    pub body: Value,
    /// Made up from the document (no emulated behaviour): marked in `x-authing-emulator`.
    pub synthesized: bool,
}

impl Reply {
    /// A success. Authing's successes carry an empty `message` (its Node SDK's tests check
    /// `message` is `""`); the document's examples say `操作成功`.
    pub fn ok(data: Option<Value>) -> Reply {
        let mut body = json!({"statusCode": 200, "message": ""});
        if let Some(data) = data {
            body["data"] = data;
        }
        Reply {
            http: 200,
            body,
            synthesized: false,
        }
    }

    /// `{"success": true}`, the document's `IsSuccessDto`.
    pub fn success() -> Reply {
        Reply::ok(Some(json!({"success": true})))
    }

    /// A business error: HTTP 200 with `statusCode != 200`, as Authing answers them.
    pub fn error(status: u16, api_code: Option<u32>, message: impl Into<String>) -> Reply {
        Reply::with_http(200, status, api_code, message)
    }

    /// Authing's answer to a parameter it refuses: 400 `参数 <name> 格式错误`.
    pub fn bad_param(name: &str) -> Reply {
        Reply::error(400, None, format!("参数 {name} 格式错误"))
    }

    /// 404 without apiCode (Authing documents apiCodes for users only).
    pub fn not_found(message: impl Into<String>) -> Reply {
        Reply::error(404, None, message)
    }

    /// 404 `用户不存在` with apiCode 2004.
    pub fn user_not_found() -> Reply {
        Reply::error(404, Some(USER_NOT_FOUND), USER_NOT_FOUND_MESSAGE)
    }

    /// 409, the document's status for a conflict (assumption: Authing lists no apiCode).
    pub fn conflict(message: impl Into<String>) -> Reply {
        Reply::error(409, None, message)
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

/// What a handler gets: the operation, its parsed query and its JSON body (`Null` for GET).
pub struct Call<'a> {
    pub operation_id: &'a str,
    pub query: &'a Query,
    pub body: &'a Value,
}

impl Call<'_> {
    /// A non-empty string in the body.
    fn body_str(&self, name: &str) -> Option<String> {
        self.body
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// The strings of an array in the body (other items skipped).
    fn body_strings(&self, name: &str) -> Vec<String> {
        self.body[name]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    }
}

/// The handler of each emulated operation.
type Handler = fn(&Inner, &Call<'_>) -> Reply;

fn handler(operation_id: &str) -> Option<Handler> {
    Some(match operation_id {
        op::GET_MANAGEMENT_TOKEN => token::get_management_token,
        op::IMPORT_OTP => otp::import_otp,
        op::GET_OTP_SECRET_BY_USER => otp::get_otp_secret,
        op::GET_USER_MFA_INFO => otp::get_mfa_info,
        op::SET_USERS_MFA_STATUS => mfa::set_mfa_status,
        op::GET_USER_MFA_STATUS => mfa::get_mfa_status,
        op::CREATE_USER => users::create_user,
        op::CREATE_USERS_BATCH => users::create_users_batch,
        op::GET_USER => users::get_user,
        op::GET_USER_BATCH => users::get_user_batch,
        op::UPDATE_USER => users::update_user,
        op::DELETE_USERS_BATCH => users::delete_users_batch,
        op::LIST_USERS => list::list_users,
        op::LIST_USERS_LEGACY => list::list_users_legacy,
        op::CREATE_ROLE => roles::create_role,
        op::CREATE_ROLES_BATCH => roles::create_roles_batch,
        op::GET_ROLE => roles::get_role,
        op::LIST_ROLES => roles::list_roles,
        op::UPDATE_ROLE => roles::update_role,
        op::DELETE_ROLES_BATCH => roles::delete_roles_batch,
        op::ASSIGN_ROLE => roles::assign_role,
        op::REVOKE_ROLE => roles::revoke_role,
        op::LIST_ROLE_MEMBERS => roles::list_role_members,
        op::GET_USER_ROLES => roles::get_user_roles,
        op::CREATE_GROUP => groups::create_group,
        op::CREATE_GROUPS_BATCH => groups::create_groups_batch,
        op::GET_GROUP => groups::get_group,
        op::LIST_GROUPS => groups::list_groups,
        op::UPDATE_GROUP => groups::update_group,
        op::DELETE_GROUPS_BATCH => groups::delete_groups_batch,
        op::ADD_GROUP_MEMBERS => groups::add_group_members,
        op::REMOVE_GROUP_MEMBERS => groups::remove_group_members,
        op::LIST_GROUP_MEMBERS => groups::list_group_members,
        op::GET_USER_GROUPS => groups::get_user_groups,
        op::CREATE_ORGANIZATION => orgs::create_organization,
        op::GET_ORGANIZATION => orgs::get_organization,
        op::LIST_ORGANIZATIONS => orgs::list_organizations,
        op::DELETE_ORGANIZATION => orgs::delete_organization,
        op::CREATE_DEPARTMENT => departments::create_department,
        op::GET_DEPARTMENT => departments::get_department,
        op::UPDATE_DEPARTMENT => departments::update_department,
        op::DELETE_DEPARTMENT => departments::delete_department,
        op::ADD_DEPARTMENT_MEMBERS => departments::add_department_members,
        op::REMOVE_DEPARTMENT_MEMBERS => departments::remove_department_members,
        op::LIST_DEPARTMENT_MEMBERS => departments::list_department_members,
        op::GET_USER_DEPARTMENTS => departments::get_user_departments,
        _ => return None,
    })
}

pub fn handle(inner: &Inner, call: &Call<'_>) -> Reply {
    match handler(call.operation_id) {
        Some(handler) => handler(inner, call),
        None => unemulated(inner, call),
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

#[cfg(test)]
mod tests {
    #[test]
    fn every_listed_operation_has_a_handler_and_back() {
        for id in super::op::EMULATED {
            assert!(super::handler(id).is_some(), "{id} has no handler");
        }
        assert!(super::handler("NodeSdk_addDevice").is_none());
    }
}
