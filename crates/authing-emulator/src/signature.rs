//! The per-request HMAC-SHA1 signature of Authing's Node SDK 4.x, verified.
//!
//! Written from the wire description of that SDK, independently of the Rust client's
//! signer, so that each cross-checks the other.

use std::time::{Duration, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha1::Sha1;

use crate::auth::{now_ms, AuthError};
use crate::js::Js;
use crate::query::Query;

/// What the HMAC verifier needs to know about the emulator.
pub struct SignatureContext<'a> {
    pub access_key_id: &'a str,
    pub access_key_secret: &'a str,
    pub max_skew: Duration,
}

/// Parameters of the string to sign, as a Node.js server rebuilds them from the parsed
/// request: for GET the query as Express parsed it, otherwise the top-level keys of the body
/// as `JSON.parse` gave it. Strings go in as they are, other scalars as `String(value)`
/// (`1000.0` on the wire is `1000`; an explicit `null` is `null`, since only `undefined`,
/// which JSON cannot carry, is skipped), arrays and objects as `JSON.stringify` writes them.
/// A body that is not a JSON object has no parameters (assumption).
pub fn signature_params(
    method: &http::Method,
    query: &Query,
    body: Option<&str>,
) -> Vec<(String, String)> {
    if method == http::Method::GET {
        return query
            .iter()
            .map(|(k, v)| (k.clone(), v.to_param()))
            .collect();
    }
    match body.map(Js::parse) {
        Some(Ok(Js::Obj(object))) => object
            .iter()
            .map(|(k, v)| (k.clone(), v.to_param()))
            .collect(),
        _ => Vec::new(),
    }
}

/// The string to sign, built as the Node SDK 4.x's signer builds it.
pub fn string_to_sign(
    method: &str,
    headers: &HeaderMap,
    path: &str,
    params: &[(String, String)],
) -> String {
    let mut signed: Vec<(String, String)> = headers
        .keys()
        .map(|name| name.as_str())
        .filter(|name| *name == "date" || name.starts_with("x-authing-"))
        .map(|name| {
            let value = headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect::<Vec<_>>()
                .join(",");
            let value = value.replace(['\t', '\n', '\r'], " ").trim().to_string();
            (name.to_string(), value)
        })
        .collect();
    signed.sort();
    let mut out = format!("{}\n", method.to_ascii_uppercase());
    for (name, value) in &signed {
        out.push_str(&format!("{name}:{value}\n"));
    }
    out.push_str(path);
    if !params.is_empty() {
        let mut params: Vec<&(String, String)> = params.iter().collect();
        params.sort_by(|a, b| a.0.cmp(&b.0));
        let joined: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push('?');
        out.push_str(&joined.join("&"));
    }
    out
}

/// A request that passed every signature check; its nonce still has to be recorded.
pub struct VerifiedSignature {
    pub nonce: String,
}

/// Checks an `authorization: authing <id>:<signature>` request. Each failure has its own apiCode
/// (1300-1305); replay (1306) is checked by the caller, which owns the nonce store.
pub fn verify_signature(
    ctx: &SignatureContext<'_>,
    credentials: &str,
    method: &http::Method,
    path: &str,
    headers: &HeaderMap,
    params: &[(String, String)],
) -> Result<VerifiedSignature, AuthError> {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
    };
    // Each with its own apiCode: the method (1301), then the version (1302).
    for (name, what, expected, api_code) in [
        ("x-authing-signature-method", "method", "HMAC-SHA1", 1301),
        ("x-authing-signature-version", "version", "1.0", 1302),
    ] {
        match header(name) {
            Some(v) if v == expected => {}
            Some(v) => {
                return Err(AuthError::signature(
                    api_code,
                    format!("unsupported signature {what} {v:?}: only {expected} is supported"),
                ))
            }
            None => {
                return Err(AuthError::signature(
                    api_code,
                    format!("missing {name} header (expected {expected})"),
                ))
            }
        }
    }
    let Some(date) = header("date") else {
        return Err(AuthError::signature(1304, "missing date header"));
    };
    let Some(date_ms) = parse_date_ms(&date) else {
        return Err(AuthError::signature(
            1303,
            format!(
                "bad date header {date:?}: expected a millisecond Unix timestamp or an RFC 1123 date"
            ),
        ));
    };
    let skew = now_ms().abs_diff(date_ms);
    if skew > ctx.max_skew.as_millis() {
        return Err(AuthError::signature(
            1305,
            format!(
                "date header is {} s away from the server clock (allowed: {} s)",
                skew / 1000,
                ctx.max_skew.as_secs()
            ),
        ));
    }
    let nonce = header("x-authing-signature-nonce").unwrap_or_default();
    if nonce.is_empty() {
        return Err(AuthError::signature(
            1300,
            "missing x-authing-signature-nonce header",
        ));
    }
    let Some((key_id, signature)) = credentials.trim().rsplit_once(':') else {
        return Err(AuthError::signature(
            1300,
            "malformed authorization header: expected `authing <accessKeyId>:<signature>`",
        ));
    };
    if key_id != ctx.access_key_id {
        return Err(AuthError::signature(1300, "unknown accessKeyId"));
    }
    let to_sign = string_to_sign(method.as_str(), headers, path, params);
    let signature = STANDARD
        .decode(signature.trim())
        .map_err(|_| AuthError::signature(1300, "signature is not valid base64"))?;
    // The Node SDK writes `path?` when it had parameters that were all unset (its query
    // object had only undefined values); a Node.js server sees no parameters either way.
    let with_question_mark = params.is_empty().then(|| format!("{to_sign}?"));
    let matches = |text: &str| {
        let mut mac =
            Hmac::<Sha1>::new_from_slice(ctx.access_key_secret.as_bytes()).expect("any key length");
        mac.update(text.as_bytes());
        mac.verify_slice(&signature).is_ok()
    };
    if matches(&to_sign) || with_question_mark.as_deref().is_some_and(matches) {
        Ok(VerifiedSignature { nonce })
    } else {
        Err(AuthError::signature(1300, "signature does not match"))
    }
}

/// Authing's document asks for a millisecond timestamp, the Node SDK sends RFC 1123: both count.
fn parse_date_ms(date: &str) -> Option<u128> {
    if !date.is_empty() && date.bytes().all(|b| b.is_ascii_digit()) {
        return date.parse().ok();
    }
    let time = httpdate::parse_http_date(date).ok()?;
    Some(time.duration_since(UNIX_EPOCH).ok()?.as_millis())
}

pub fn replay_error() -> AuthError {
    AuthError::signature(1306, "signature nonce was already used")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_sign_layout() {
        let mut headers = HeaderMap::new();
        headers.insert("x-authing-signature-nonce", "n1".parse().unwrap());
        headers.insert("date", "Thu, 26 Nov 2026 05:00:00 GMT".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        headers.insert("x-authing-lang", " zh-CN\t ".parse().unwrap());
        let params = signature_params(
            &http::Method::POST,
            &Query::default(),
            Some(
                r#"{"z": 1.0, "list": [ {"b": "x y", "a": true, "e": 1e21} ], "s": "t", "n": null}"#,
            ),
        );
        assert_eq!(
            string_to_sign("POST", &headers, "/api/v3/import-otp", &params),
            "POST\ndate:Thu, 26 Nov 2026 05:00:00 GMT\nx-authing-lang:zh-CN\n\
             x-authing-signature-nonce:n1\n/api/v3/import-otp?\
             list=[{\"b\":\"x y\",\"a\":true,\"e\":1e+21}]&n=null&s=t&z=1"
        );
        let query = Query::parse("userIds%5B%5D=a&userIds%5B%5D=b&one[]=c&page=1");
        let params = signature_params(&http::Method::GET, &query, None);
        assert_eq!(
            string_to_sign("GET", &HeaderMap::new(), "/p", &params),
            "GET\n/p?one=[\"c\"]&page=1&userIds=[\"a\",\"b\"]"
        );
        assert_eq!(
            string_to_sign("GET", &HeaderMap::new(), "/p", &[]),
            "GET\n/p"
        );
    }

    #[test]
    fn dates_in_both_formats() {
        assert_eq!(
            parse_date_ms("Thu, 26 Nov 2026 05:00:00 GMT"),
            Some(1_795_669_200_000)
        );
        assert_eq!(parse_date_ms("1795669200000"), Some(1_795_669_200_000));
        assert_eq!(parse_date_ms("yesterday"), None);
    }
}
