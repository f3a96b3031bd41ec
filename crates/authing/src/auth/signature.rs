//! HMAC-SHA1 request signing, byte-compatible with Authing's Node SDK 4.x.
//!
//! stringToSign = `METHOD\n`, then `name:value\n` for every header named `date` or
//! starting with `x-authing-` (sorted by name, values with tabs and newlines turned
//! into spaces and trimmed), then the path, then — when there are parameters — `?`
//! and `k=v` pairs sorted by key and joined with `&`. The parameters are the query's
//! for GET and the JSON body's top-level keys otherwise, as a Node.js server parses
//! and prints them ([`params`]; nothing is URL-encoded). The header
//! `authorization: authing <accessKeyId>:<base64(HMAC-SHA1(secret, stringToSign))>`
//! carries the result.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::header::{HeaderName, HeaderValue};
use std::collections::BTreeMap;

use super::js::{self, JsValue};

/// `x-authing-signature-method`.
pub const METHOD: &str = "HMAC-SHA1";
/// `x-authing-signature-version`.
pub const VERSION: &str = "1.0";

/// The parameters that enter the signature, sorted by key, as a Node.js server rebuilds
/// them from the parsed request: the query's for GET, parsed as
/// `qs` does (`key[]=a&key[]=b` is the array `["a","b"]`); the JSON body's top-level
/// keys otherwise, each written as `String(value)` (nested values by
/// `JSON.stringify`, so `1000.0` is signed as `1000`).
pub fn params(method: &str, query: Option<&str>, body: Option<&[u8]>) -> BTreeMap<String, String> {
    if method.eq_ignore_ascii_case("GET") {
        let query = js::parse_query(query.unwrap_or_default());
        return query.into_iter().map(|(k, v)| (k, v.to_sign())).collect();
    }
    match body.map(serde_json::from_slice::<JsValue>) {
        Some(Ok(JsValue::Object(entries))) => {
            entries.into_iter().map(|(k, v)| (k, v.to_sign())).collect()
        }
        _ => BTreeMap::new(),
    }
}

/// The string that is signed.
pub fn string_to_sign<'a>(
    method: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    path: &str,
    params: &BTreeMap<String, String>,
) -> String {
    let mut signed: Vec<(String, String)> = headers
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .filter(|(n, _)| n == "date" || n.starts_with("x-authing-"))
        .map(|(n, v)| {
            (
                n,
                v.replace(['\t', '\n', '\r', '\x0c'], " ")
                    .trim()
                    .to_string(),
            )
        })
        .collect();
    signed.sort();
    let mut s = format!("{}\n", method.to_ascii_uppercase());
    for (name, value) in signed {
        s.push_str(&format!("{name}:{value}\n"));
    }
    s.push_str(path);
    if !params.is_empty() {
        let pairs: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        s.push('?');
        s.push_str(&pairs.join("&"));
    }
    s
}

/// base64(HMAC-SHA1(secret, string_to_sign)).
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Add `date`, nonce, method and version headers to `request` and sign it.
pub(crate) fn sign_request(request: &mut reqwest::Request, key_id: &str, secret: &str) {
    let headers = request.headers_mut();
    for name in ["authorization", "x-authing-userpool-id"] {
        headers.remove(name);
    }
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    for (name, value) in [
        ("date", date.as_str()),
        ("x-authing-signature-nonce", nonce.as_str()),
        ("x-authing-signature-method", METHOD),
        ("x-authing-signature-version", VERSION),
    ] {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).expect("ASCII header value"),
        );
    }
    let params = params(
        request.method().as_str(),
        request.url().query(),
        request.body().and_then(reqwest::Body::as_bytes),
    );
    let header_pairs: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str(), v)))
        .collect();
    let sts = string_to_sign(
        request.method().as_str(),
        header_pairs,
        request.url().path(),
        &params,
    );
    let value = format!("authing {key_id}:{}", sign(secret, &sts));
    let mut value = HeaderValue::from_str(&value).expect("ASCII header value");
    value.set_sensitive(true);
    request
        .headers_mut()
        .insert(reqwest::header::AUTHORIZATION, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_sign_for_a_post() {
        // A Node.js server skips only `undefined`, which JSON cannot carry: an explicit
        // null is signed as `null`; numbers as JavaScript prints them.
        let body =
            br#"{"list":[{"userId":"u1","otp":{"secret":"S"}}],"n":3.0,"skip":null,"b":true}"#;
        let params = params("POST", None, Some(body));
        let sts = string_to_sign(
            "post",
            [
                ("x-authing-signature-nonce", "abc"),
                ("Date", "Thu, 26 Nov 2026 05:00:00 GMT"),
                ("content-type", "application/json"),
                ("x-authing-lang", " zh-CN\t"),
                ("x-authing-signature-method", "HMAC-SHA1"),
                ("x-authing-signature-version", "1.0"),
            ],
            "/api/v3/import-otp",
            &params,
        );
        assert_eq!(
            sts,
            "POST\n\
             date:Thu, 26 Nov 2026 05:00:00 GMT\n\
             x-authing-lang:zh-CN\n\
             x-authing-signature-method:HMAC-SHA1\n\
             x-authing-signature-nonce:abc\n\
             x-authing-signature-version:1.0\n\
             /api/v3/import-otp?b=true&list=[{\"userId\":\"u1\",\"otp\":{\"secret\":\"S\"}}]&n=3&skip=null"
        );
    }

    #[test]
    fn get_parameters_come_from_the_query_unencoded() {
        let params = params(
            "GET",
            Some("userIdType=user_id&userId=a%2Bb%40c"),
            Some(b"{\"x\":1}"),
        );
        let sts = string_to_sign("GET", [], "/api/v3/get-user", &params);
        assert_eq!(sts, "GET\n/api/v3/get-user?userId=a+b@c&userIdType=user_id");
        // Arrays as the Node SDK sends them, rebuilt as an Express server parses them.
        let arrays = super::params("GET", Some("userIds%5B%5D=a&userIds%5B%5D=b"), None);
        let sts = string_to_sign("GET", [], "/api/v3/get-user-batch", &arrays);
        assert_eq!(sts, "GET\n/api/v3/get-user-batch?userIds=[\"a\",\"b\"]");
    }

    #[test]
    fn no_parameters_no_question_mark() {
        let sts = string_to_sign("POST", [], "/api/v3/x", &params("POST", None, Some(b"{}")));
        assert_eq!(sts, "POST\n/api/v3/x");
    }

    #[test]
    fn hmac_sha1_matches_a_known_vector() {
        // RFC 2202 test case 2.
        assert_eq!(
            sign("Jefe", "what do ya want for nothing?"),
            base64::engine::general_purpose::STANDARD
                .encode(hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"))
        );
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
