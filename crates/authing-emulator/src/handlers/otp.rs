//! TOTP: `import-otp`, `get-otp-secret-by-user`, `get-user-mfa-info`.

use serde_json::{json, Value};

use super::users::lookup;
use super::{Call, Reply, USER_NOT_FOUND};
use crate::state::Inner;
use crate::store::{now_ms, Otp};

/// Atomic by design (an assumption, see README): if any user is unknown, nothing is stored.
pub(super) fn import_otp(inner: &Inner, call: &Call<'_>) -> Reply {
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
        if !store.users.contains(id) && !missing.iter().any(|m| m == id) {
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
    let now = now_ms();
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

pub(super) fn get_otp_secret(inner: &Inner, call: &Call<'_>) -> Reply {
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

pub(super) fn get_mfa_info(inner: &Inner, call: &Call<'_>) -> Reply {
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
