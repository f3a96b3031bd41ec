//! Authentication as Authing enforces it: a management token (HS256 JWTs this emulator
//! issues) with `x-authing-userpool-id`, or the per-request HMAC signature (verified in
//! [`crate::signature`]).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use http::header::AUTHORIZATION;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::query::Query;
use crate::signature::{self, SignatureContext};
use crate::state::Inner;

pub const POOL_HEADER: &str = "x-authing-userpool-id";

/// An authentication failure, answered as a real HTTP 401/403 with Authing's envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    pub status: u16,
    pub api_code: Option<u32>,
    pub message: String,
}

impl AuthError {
    fn unauthorized(message: impl Into<String>) -> Self {
        AuthError {
            status: 401,
            api_code: None,
            message: message.into(),
        }
    }

    pub(crate) fn signature(api_code: u32, message: impl Into<String>) -> Self {
        AuthError {
            status: 401,
            api_code: Some(api_code),
            message: message.into(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub scoped_userpool_id: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
    #[serde(default)]
    pub sub: String,
}

pub fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
}

/// Issues an HS256 JWT; `iat`/`exp` are whole seconds as JWT requires.
pub fn issue_token(key: &[u8], userpool_id: &str, access_key_id: &str, ttl_secs: u64) -> String {
    let iat = (now_ms() / 1000) as u64;
    let claims = Claims {
        scoped_userpool_id: userpool_id.to_string(),
        iat,
        exp: iat + ttl_secs,
        jti: uuid::Uuid::new_v4().simple().to_string(),
        sub: access_key_id.to_string(),
    };
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
    let signing_input = format!("{header}.{payload}");
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// Verifies signature and expiry of a token this emulator issued.
pub fn verify_token(key: &[u8], token: &str) -> Result<Claims, AuthError> {
    let malformed = || AuthError::unauthorized("malformed access token");
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let header: serde_json::Value = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or_else(malformed)?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
        return Err(AuthError::unauthorized(
            "unsupported access token algorithm",
        ));
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| malformed())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(header_and_payload(token).as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| AuthError::unauthorized("invalid access token signature"))?;
    let claims: Claims = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|p| serde_json::from_slice(&p).ok())
        .ok_or_else(malformed)?;
    // Millisecond precision so that a 1 s token really lives at most 1 s.
    if now_ms() >= u128::from(claims.exp) * 1000 {
        return Err(AuthError::unauthorized("access token expired"));
    }
    Ok(claims)
}

fn header_and_payload(token: &str) -> &str {
    match token.rfind('.') {
        Some(i) => &token[..i],
        None => token,
    }
}

/// Enforces a management token (with `x-authing-userpool-id`) or an HMAC signature.
pub(crate) fn authenticate(
    inner: &Inner,
    parts: &http::request::Parts,
    query: &Query,
    body_text: Option<&str>,
) -> Result<(), AuthError> {
    let pool = parts
        .headers
        .get(POOL_HEADER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string());
    let check_pool = |expected: &str| match &pool {
        Some(p) if p != expected => Err(AuthError {
            status: 403,
            api_code: None,
            message: format!(
                "{POOL_HEADER} header {p:?} does not match the user pool of the credentials"
            ),
        }),
        _ => Ok(()),
    };
    let authorization = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    if authorization.is_empty() {
        return Err(AuthError::unauthorized(
            "missing authorization header: send a management token or an HMAC signature",
        ));
    }
    if let Some(credentials) = strip_prefix_ignore_case(authorization, "authing ") {
        let params = signature::signature_params(&parts.method, query, body_text);
        let verified = signature::verify_signature(
            &SignatureContext {
                access_key_id: &inner.access_key_id,
                access_key_secret: &inner.access_key_secret,
                max_skew: inner.signature_skew,
            },
            credentials,
            &parts.method,
            parts.uri.path(),
            &parts.headers,
            &params,
        )?;
        check_pool(&inner.userpool_id)?;
        let keep_until = Instant::now() + inner.signature_skew * 2;
        if !inner.lock_store().use_nonce(&verified.nonce, keep_until) {
            return Err(signature::replay_error());
        }
        return Ok(());
    }
    // Java and Authing's curl examples send the bare token, the others `Bearer <token>`.
    let token = strip_prefix_ignore_case(authorization, "bearer ")
        .unwrap_or(authorization)
        .trim();
    let claims = verify_token(&inner.jwt_key, token)?;
    if pool.is_none() {
        return Err(AuthError::unauthorized(format!(
            "missing {POOL_HEADER} header (required with a management token)"
        )));
    }
    check_pool(&claims.scoped_userpool_id)
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_round_trip_and_tamper() {
        let token = issue_token(b"key", "pool", "ak", 60);
        let claims = verify_token(b"key", &token).unwrap();
        assert_eq!(claims.scoped_userpool_id, "pool");
        assert_eq!(claims.exp, claims.iat + 60);
        assert!(verify_token(b"other", &token).is_err());
        assert!(verify_token(b"key", "a.b").is_err());
        assert!(verify_token(b"key", &issue_token(b"key", "pool", "ak", 0)).is_err());
    }
}
