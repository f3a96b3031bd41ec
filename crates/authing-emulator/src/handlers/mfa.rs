//! MFA trigger data: `set-mfa-status` stores it per user, `get-mfa-status` reads it back.

use serde_json::{json, Value};

use super::users::{lookup, resolve};
use super::{Call, Reply};
use crate::state::Inner;

pub(super) fn set_mfa_status(inner: &Inner, call: &Call<'_>) -> Reply {
    let id = call.body_str("userId").unwrap_or_default();
    let id_type = call.body_str("userIdType");
    let mut store = inner.lock_store();
    let user_id = match resolve(&store, &id, id_type.as_deref().unwrap_or("user_id")) {
        Ok(user) => user.user_id.clone(),
        Err(reply) => return reply,
    };
    if let Some(user) = store.users.get_mut(&user_id) {
        user.mfa = Some(call.body["mfaTriggerData"].clone());
    }
    Reply::success()
}

/// What was set, or (assumption) for a user without: face MFA off, TOTP on exactly when an
/// OTP secret is bound, no application MFA, an empty `mfaToken`.
pub(super) fn get_mfa_status(inner: &Inner, call: &Call<'_>) -> Reply {
    let store = inner.lock_store();
    let user = match lookup(&store, call) {
        Ok(user) => user,
        Err(reply) => return reply,
    };
    let mut data = match &user.mfa {
        Some(Value::Object(stored)) => Value::Object(stored.clone()),
        _ => json!({"faceMfaEnabled": false, "totpMfaEnabled": user.otp.is_some()}),
    };
    if !data["applicationMfa"].is_array() {
        data["applicationMfa"] = json!([]);
    }
    // Required by the document; a status read has no MFA flow, hence no token (assumption).
    if !data["mfaToken"].is_string() {
        data["mfaToken"] = json!("");
    }
    Reply::ok(Some(data))
}
