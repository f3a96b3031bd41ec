//! `get-management-token`: the access key exchanged for a token.

use serde_json::json;

use super::{Call, Reply};
use crate::auth;
use crate::state::Inner;

pub(super) fn get_management_token(inner: &Inner, call: &Call<'_>) -> Reply {
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
