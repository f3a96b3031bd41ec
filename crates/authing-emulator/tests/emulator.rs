//! End-to-end tests: a real emulator on 127.0.0.1, driven over HTTP with reqwest.

use std::time::Duration;

use authing_emulator::{operation, Config, Emulator, Faults, SeedUser, Unemulated};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use sha1::Sha1;

const AK: &str = "ak-test";
const SK: &str = "sk-test-secret-0123456789";
const POOL: &str = "pool-0001";

fn config() -> Config {
    Config {
        access_key_id: Some(AK.into()),
        access_key_secret: Some(SK.into()),
        userpool_id: Some(POOL.into()),
        seed_users: vec![
            SeedUser::new("u1")
                .email("alice@example.com")
                .username("alice"),
            SeedUser::new("u2")
                .phone("13800000000")
                .external_id("ext-2"),
        ],
        ..Config::default()
    }
}

async fn start() -> Emulator {
    Emulator::start(config()).await.expect("emulator starts")
}

/// Gets a management token the way the Go/Python/Java SDKs do.
async fn token(emu: &Emulator, http: &Client) -> String {
    let body = post_json(
        http,
        emu,
        "/api/v3/get-management-token",
        &json!({"accessKeyId": emu.access_key_id(), "accessKeySecret": emu.access_key_secret()}),
    )
    .await
    .1;
    assert_eq!(body["statusCode"], 200, "{body}");
    body["data"]["access_token"].as_str().unwrap().to_string()
}

async fn post_json(http: &Client, emu: &Emulator, path: &str, body: &Value) -> (StatusCode, Value) {
    let response = http
        .post(format!("{}{path}", emu.base_url()))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// A token-authenticated call; `body` is sent as JSON for non-GET methods.
async fn call(
    http: &Client,
    emu: &Emulator,
    token: &str,
    method: Method,
    path_and_query: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut request = http
        .request(method, format!("{}{path_and_query}", emu.base_url()))
        .header("authorization", format!("Bearer {token}"))
        .header("x-authing-userpool-id", emu.userpool_id());
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.headers()["x-authing-emulator"], "1");
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// `call` with GET and no body.
async fn get(
    http: &Client,
    emu: &Emulator,
    token: &str,
    path_and_query: &str,
) -> (StatusCode, Value) {
    call(http, emu, token, Method::GET, path_and_query, None).await
}

/// `call` with POST and a JSON body.
async fn post(
    http: &Client,
    emu: &Emulator,
    token: &str,
    path: &str,
    body: &Value,
) -> (StatusCode, Value) {
    call(http, emu, token, Method::POST, path, Some(body)).await
}

/// The usual start of a test: an emulator, a client and a management token.
async fn start_with_token() -> (Emulator, Client, String) {
    let emu = start().await;
    let http = Client::new();
    let token = token(&emu, &http).await;
    (emu, http, token)
}

/// Adds the bearer token and the pool header to a raw request.
fn authed(request: RequestBuilder, token: &str) -> RequestBuilder {
    request
        .header("authorization", format!("Bearer {token}"))
        .header("x-authing-userpool-id", POOL)
}

/// Sends a request and parses the answer as JSON, whatever the status.
async fn fetch_json(request: RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

// ---- HMAC signing, written by hand from the Node SDK 4.x wire description ----

struct Signed {
    method: &'static str,
    path: String,
    query: Vec<(String, String)>,
    body: Option<String>,
    headers: Vec<(String, String)>,
    key_id: String,
    secret: String,
    /// What follows the path in the string to sign, when a test states it literally.
    signed_as: Option<String>,
    /// The query string as sent, when a test states it literally.
    raw_query: Option<String>,
}

impl Signed {
    fn new(method: &'static str, path: &str) -> Self {
        Signed {
            method,
            path: path.into(),
            query: vec![],
            body: None,
            headers: vec![
                (
                    "date".into(),
                    httpdate::fmt_http_date(std::time::SystemTime::now()),
                ),
                ("x-authing-signature-method".into(), "HMAC-SHA1".into()),
                ("x-authing-signature-version".into(), "1.0".into()),
                (
                    "x-authing-signature-nonce".into(),
                    uuid::Uuid::new_v4().to_string(),
                ),
                ("x-authing-userpool-id".into(), POOL.into()),
                (
                    "x-authing-sdk-version".into(),
                    "authing-node-sdk:4.0.0".into(),
                ),
            ],
            key_id: AK.into(),
            secret: SK.into(),
            signed_as: None,
            raw_query: None,
        }
    }

    /// Signs `path` + `params` (e.g. `?ids=["a"]`) instead of what `signature` would build.
    fn signed_as(mut self, params: &str) -> Self {
        self.signed_as = Some(params.into());
        self
    }

    /// Sends this query string as it is (`ids%5B%5D=a&ids%5B%5D=b`).
    fn raw_query(mut self, query: &str) -> Self {
        self.raw_query = Some(query.into());
        self
    }

    /// Sends this body text as it is (`{"n": 1000.0}`).
    fn raw_body(mut self, body: &str) -> Self {
        self.body = Some(body.into());
        self
    }

    fn query(mut self, k: &str, v: &str) -> Self {
        self.query.push((k.into(), v.into()));
        self
    }

    fn body(mut self, body: &Value) -> Self {
        self.body = Some(body.to_string());
        self
    }

    fn header(mut self, name: &str, value: Option<&str>) -> Self {
        self.headers.retain(|(n, _)| n != name);
        if let Some(value) = value {
            self.headers.push((name.into(), value.into()));
        }
        self
    }

    fn signature(&self) -> String {
        let mut headers: Vec<&(String, String)> = self
            .headers
            .iter()
            .filter(|(n, _)| n == "date" || n.starts_with("x-authing-"))
            .collect();
        headers.sort();
        let mut text = format!("{}\n", self.method);
        for (name, value) in headers {
            text += &format!("{name}:{}\n", value.replace(['\t', '\n'], " ").trim());
        }
        text += &self.path;
        if let Some(params) = &self.signed_as {
            text += params;
            let mut mac = Hmac::<Sha1>::new_from_slice(self.secret.as_bytes()).unwrap();
            mac.update(text.as_bytes());
            return STANDARD.encode(mac.finalize().into_bytes());
        }
        let mut params: Vec<(String, String)> = if self.method == "GET" {
            self.query.clone()
        } else {
            let body: Value = serde_json::from_str(self.body.as_deref().unwrap_or("{}")).unwrap();
            body.as_object()
                .unwrap()
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect()
        };
        params.sort();
        if !params.is_empty() {
            let pairs: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            text += &format!("?{}", pairs.join("&"));
        }
        let mut mac = Hmac::<Sha1>::new_from_slice(self.secret.as_bytes()).unwrap();
        mac.update(text.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }

    async fn send_with_signature(
        &self,
        http: &Client,
        emu: &Emulator,
        signature: &str,
    ) -> (StatusCode, Value) {
        let mut url = reqwest::Url::parse(&format!("{}{}", emu.base_url(), self.path)).unwrap();
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        if let Some(query) = &self.raw_query {
            url.set_query(Some(query));
        }
        let mut request = http
            .request(Method::from_bytes(self.method.as_bytes()).unwrap(), url)
            .header(
                "authorization",
                format!("authing {}:{signature}", self.key_id),
            );
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if let Some(body) = &self.body {
            request = request
                .header("content-type", "application/json")
                .body(body.clone());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    async fn send(&self, http: &Client, emu: &Emulator) -> (StatusCode, Value) {
        self.send_with_signature(http, emu, &self.signature()).await
    }
}

fn import_body(user_id: &str, secret: &str, recovery: Option<&str>) -> Value {
    let mut otp = json!({ "secret": secret });
    if let Some(code) = recovery {
        otp["recoveryCode"] = json!(code);
    }
    json!({"list": [{"userId": user_id, "otp": otp}]})
}

// ---- tokens ----

#[tokio::test]
async fn token_is_issued_and_expires() {
    let emu = Emulator::start(Config {
        faults: Faults {
            token_ttl_secs: Some(1),
            ..Faults::default()
        },
        ..config()
    })
    .await
    .unwrap();
    let http = Client::new();
    let (status, body) = post_json(
        &http,
        &emu,
        "/api/v3/get-management-token",
        &json!({"accessKeyId": AK, "accessKeySecret": SK}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["statusCode"], 200);
    assert_eq!(body["data"]["expires_in"], 1);
    let token = body["data"]["access_token"].as_str().unwrap().to_string();
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["scoped_userpool_id"], POOL);
    assert_eq!(
        claims["exp"].as_u64(),
        claims["iat"].as_u64().map(|i| i + 1)
    );
    assert!(claims["jti"].is_string());

    let user = "/api/v3/get-user?userId=u1";
    let (status, body) = get(&http, &emu, &token, user).await;
    assert_eq!(
        (status, body["statusCode"].as_u64()),
        (StatusCode::OK, Some(200))
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = get(&http, &emu, &token, user).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["statusCode"], 401);
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    assert!(body["requestId"].is_string());
}

#[tokio::test]
async fn wrong_credentials_are_a_401_envelope() {
    let emu = start().await;
    let http = Client::new();
    let (status, body) = post_json(
        &http,
        &emu,
        "/api/v3/get-management-token",
        &json!({"accessKeyId": AK, "accessKeySecret": "wrong"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["statusCode"], 401);
    assert!(body["apiCode"].is_number());
    assert!(body.get("data").is_none());
    // The token call is validated like any other.
    let (_, body) = post_json(
        &http,
        &emu,
        "/api/v3/get-management-token",
        &json!({"accessKeyId": AK}),
    )
    .await;
    assert_eq!(body["statusCode"], 400);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("accessKeySecret is required"));
}

#[tokio::test]
async fn bad_tokens_and_pool_headers_are_rejected() {
    let (emu, http, token) = start_with_token().await;
    let url = format!("{}/api/v3/get-user?userId=u1", emu.base_url());

    let send = |auth: Option<String>, pool: Option<&'static str>| {
        let mut request = http.get(&url);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        if let Some(pool) = pool {
            request = request.header("x-authing-userpool-id", pool);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            (status.as_u16(), body["statusCode"].as_u64().unwrap(), body)
        }
    };
    // Missing, malformed, badly signed.
    assert_eq!(send(None, Some(POOL)).await.0, 401);
    assert_eq!(
        send(Some("Bearer not-a-jwt".into()), Some(POOL)).await.0,
        401
    );
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    let (http_status, status, body) = send(Some(format!("Bearer {forged}")), Some(POOL)).await;
    assert_eq!((http_status, status), (401, 401), "{body}");
    // Bare token (as the Java SDK sends it) is accepted.
    assert_eq!(send(Some(token.clone()), Some(POOL)).await.1, 200);
    // Pool header: wrong or missing.
    let (http_status, status, body) = send(Some(format!("Bearer {token}")), Some("other")).await;
    assert_eq!((http_status, status), (403, 403));
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("x-authing-userpool-id"));
    let (http_status, _, body) = send(Some(format!("Bearer {token}")), None).await;
    assert_eq!(http_status, 401);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("x-authing-userpool-id"));
    // A token of another emulator does not work here.
    let other = Emulator::start(config()).await.unwrap();
    let foreign = self::token(&other, &http).await;
    assert_eq!(
        send(Some(format!("Bearer {foreign}")), Some(POOL)).await.0,
        401
    );
}

// ---- HMAC signatures ----

#[tokio::test]
async fn signed_requests_pass() {
    let emu = start().await;
    let http = Client::new();
    let (status, body) = Signed::new("GET", "/api/v3/get-user")
        .query("userId", "alice@example.com")
        .query("userIdType", "email")
        .send(&http, &emu)
        .await;
    assert_eq!(
        (status, body["statusCode"].as_u64()),
        (StatusCode::OK, Some(200)),
        "{body}"
    );
    assert_eq!(body["data"]["userId"], "u1");

    // POST: nested values are signed as compact JSON; a millisecond timestamp works as date.
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string();
    let (_, body) = Signed::new("POST", "/api/v3/import-otp")
        .header("date", Some(&millis))
        .body(&import_body("u1", "HZ2F6J3AGNAVSOTV", Some("b471-8ec0")))
        .send(&http, &emu)
        .await;
    assert_eq!(body["statusCode"], 200, "{body}");
    // Without x-authing-userpool-id (the pool is the key's), scalars in the body.
    let (_, body) = Signed::new("POST", "/api/v3/list-users")
        .header("x-authing-userpool-id", None)
        .body(&json!({"keywords": "alice", "options": {"pagination": {"page": 1, "limit": 5}}}))
        .send(&http, &emu)
        .await;
    assert_eq!(body["statusCode"], 200, "{body}");
    assert_eq!(body["data"]["totalCount"], 1);
}

/// A Node.js server rebuilds the string to sign from what Express and `JSON.parse` make of the
/// request; these are the strings it would build, written out.
#[tokio::test]
async fn signatures_cover_what_a_node_server_parses() {
    let emu = start().await;
    let http = Client::new();
    let ok = |(status, body): (StatusCode, Value)| {
        assert_eq!(
            (status, body["statusCode"].as_u64()),
            (StatusCode::OK, Some(200)),
            "{body}"
        );
        body
    };
    // Query arrays (the Node SDK's `key[]=`), one element or more, as JSON arrays.
    for (query, signed) in [
        (
            "userIds%5B%5D=u1&userIds%5B%5D=u2",
            r#"?userIds=["u1","u2"]"#,
        ),
        ("userIds[]=u1", r#"?userIds=["u1"]"#),
        (
            "userIds=u1&userIds=u2&withCustomData=true",
            r#"?userIds=["u1","u2"]&withCustomData=true"#,
        ),
    ] {
        let body = ok(Signed::new("GET", "/api/v3/get-user-batch")
            .raw_query(query)
            .signed_as(signed)
            .send(&http, &emu)
            .await);
        assert!(!body["data"].as_array().unwrap().is_empty(), "{query}");
    }
    // All optional values unset: the Node SDK signs `path?`; plain `path` works as well.
    for signed in ["?", ""] {
        ok(Signed::new("GET", "/api/v3/list-users")
            .signed_as(signed)
            .send(&http, &emu)
            .await);
    }
    // Bodies: numbers as String(number), null as null, nested values re-serialised.
    let body = r#"{"options": {"pagination": {"page": 1.0, "limit": 1e1}}, "keywords": null,
                   "advancedFilter": [{"field":"loginsCount","operator":"LESSER","value":1000.0}]}"#;
    let signed = r#"?advancedFilter=[{"field":"loginsCount","operator":"LESSER","value":1000}]&keywords=null&options={"pagination":{"page":1,"limit":10}}"#;
    let answer = ok(Signed::new("POST", "/api/v3/list-users")
        .raw_body(body)
        .signed_as(signed)
        .send(&http, &emu)
        .await);
    assert_eq!(answer["data"]["totalCount"], 2);
    let mfa = r#"{"userId": "u1", "mfaTriggerData": {"mfaToken": "t", "applicationMfa": [{"mfaPolicy": "OTP", "status": 1.0, "sort": 1e21}]}}"#;
    let signed = r#"?mfaTriggerData={"mfaToken":"t","applicationMfa":[{"mfaPolicy":"OTP","status":1,"sort":1e+21}]}&userId=u1"#;
    ok(Signed::new("POST", "/api/v3/set-mfa-status")
        .raw_body(mfa)
        .signed_as(signed)
        .send(&http, &emu)
        .await);
    // What the wire says (`1.0`) is not what the server signs.
    let (status, refused) = Signed::new("POST", "/api/v3/list-users")
        .raw_body(r#"{"options": {"pagination": {"page": 1.0}}}"#)
        .signed_as(r#"?options={"pagination":{"page":1.0}}"#)
        .send(&http, &emu)
        .await;
    assert_eq!(
        (status, refused["apiCode"].as_u64()),
        (StatusCode::UNAUTHORIZED, Some(1300))
    );
}

#[tokio::test]
async fn each_signature_fault_has_its_api_code() {
    let emu = start().await;
    let http = Client::new();
    let base = || Signed::new("GET", "/api/v3/get-user").query("userId", "u1");
    let expect = |code: u64, (status, body): (StatusCode, Value)| {
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{code}: {body}");
        assert_eq!(body["statusCode"], 401, "{code}: {body}");
        assert_eq!(body["apiCode"], code, "{body}");
        assert!(body["requestId"].is_string());
    };

    // 1300: signature that does not match (tampered query after signing, or wrong secret).
    let request = base();
    let signature = request.signature();
    let tampered = request.query("extra", "1");
    expect(
        1300,
        tampered.send_with_signature(&http, &emu, &signature).await,
    );
    let mut wrong_secret = base();
    wrong_secret.secret = "not-the-secret".into();
    expect(1300, wrong_secret.send(&http, &emu).await);
    let mut unknown_key = base();
    unknown_key.key_id = "nobody".into();
    expect(1300, unknown_key.send(&http, &emu).await);
    // 1301-1305 (1305: a correctly signed request from 20 minutes ago).
    let old = std::time::SystemTime::now() - Duration::from_secs(20 * 60);
    let old = httpdate::fmt_http_date(old);
    for (code, header, value) in [
        (1301, "x-authing-signature-method", Some("HMAC-SHA256")),
        (1302, "x-authing-signature-version", Some("2.0")),
        (1303, "date", Some("yesterday")),
        (1304, "date", None),
        (1305, "date", Some(old.as_str())),
    ] {
        expect(code, base().header(header, value).send(&http, &emu).await);
    }
    // 1306: the same nonce twice.
    let request = base();
    let (_, first) = request.send(&http, &emu).await;
    assert_eq!(first["statusCode"], 200, "{first}");
    expect(1306, request.send(&http, &emu).await);
    // Wrong pool header on a signed request.
    let (status, body) = base()
        .header("x-authing-userpool-id", Some("other-pool"))
        .send(&http, &emu)
        .await;
    assert_eq!(
        (status.as_u16(), body["statusCode"].as_u64()),
        (403, Some(403))
    );
}

// ---- OTP import ----

#[tokio::test]
async fn import_otp_round_trip() {
    let (emu, http, token) = start_with_token().await;
    let mfa =
        |id: &'static str| format!("/api/v3/get-user-mfa-info?userId={id}&userIdType=user_id");
    let (_, body) = get(&http, &emu, &token, &mfa("u1")).await;
    assert_eq!(body["data"]["totpStatus"], "disabled");
    let secret_url = "/api/v3/get-otp-secret-by-user?userId=u1&userIdType=user_id";
    let (_, body) = get(&http, &emu, &token, secret_url).await;
    assert_eq!(body["statusCode"], 404);
    assert!(
        body.get("apiCode").is_none(),
        "no OTP is not 'user not found'"
    );

    let import = import_body(
        "u1",
        "HZ2F6J3AGNAVSOTV",
        Some("b471-8ec0-874a-087f-bccb-cd54"),
    );
    let (status, body) = post(&http, &emu, &token, "/api/v3/import-otp", &import).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["statusCode"], 200);
    // Authing's successes say nothing (its Node SDK's tests check `message` is "").
    assert_eq!(body["message"], "");
    assert!(body["requestId"].is_string());

    let (_, body) = get(&http, &emu, &token, secret_url).await;
    assert_eq!(body["data"]["secret"], "HZ2F6J3AGNAVSOTV");
    let (_, body) = get(&http, &emu, &token, &mfa("u1")).await;
    assert_eq!(body["data"]["totpStatus"], "enabled");
    let exported = emu.export();
    let u1 = exported.iter().find(|u| u.user_id == "u1").unwrap();
    let otp = u1.otp.as_ref().unwrap();
    assert_eq!(otp.secret, "HZ2F6J3AGNAVSOTV");
    assert_eq!(
        otp.recovery_code.as_deref(),
        Some("b471-8ec0-874a-087f-bccb-cd54")
    );
    assert!(u1.mfa_enabled);
    assert!(!format!("{u1:?}").contains("HZ2F6J3AGNAVSOTV"));

    // Re-import overwrites, recovery code included; the admin export agrees.
    let again = import_body("u1", "JBSWY3DPEHPK3PXP", None);
    let (_, body) = post(&http, &emu, &token, "/api/v3/import-otp", &again).await;
    assert_eq!(body["statusCode"], 200);
    let export = fetch_json(http.get(format!("{}/_emulator/export", emu.base_url()))).await;
    let u1 = export
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["userId"] == "u1")
        .unwrap();
    assert_eq!(u1["otp"], json!({"secret": "JBSWY3DPEHPK3PXP"}));
    assert_eq!(u1["mfaEnabled"], true);
}

#[tokio::test]
async fn import_otp_with_an_unknown_user_applies_nothing() {
    let (emu, http, token) = start_with_token().await;
    let body = json!({"list": [
        {"userId": "u1", "otp": {"secret": "AAAA"}},
        {"userId": "ghost-1", "otp": {"secret": "BBBB"}},
        {"userId": "ghost-2", "otp": {"secret": "CCCC"}},
    ]});
    let (status, reply) = post(&http, &emu, &token, "/api/v3/import-otp", &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reply["statusCode"], 404);
    assert_eq!(reply["apiCode"], 2004);
    let message = reply["message"].as_str().unwrap();
    assert!(
        message.contains("ghost-1") && message.contains("ghost-2"),
        "{message}"
    );
    assert_eq!(
        reply["data"]["notFoundUserIds"],
        json!(["ghost-1", "ghost-2"])
    );
    assert!(
        emu.export().iter().all(|u| u.otp.is_none()),
        "nothing applied"
    );
}

#[tokio::test]
async fn validation_errors_name_the_field() {
    let (emu, http, token) = start_with_token().await;
    let post = |body: Value| {
        let (http, emu, token) = (&http, &emu, &token);
        async move {
            let (status, reply) = post(http, emu, token, "/api/v3/import-otp", &body).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(reply["statusCode"], 400, "{reply}");
            reply["message"].as_str().unwrap().to_string()
        }
    };
    let ok = json!({"userId": "u1", "otp": {"secret": "S"}});
    let missing = post(json!({"list": [ok, ok, ok, {"userId": "u1", "otp": {}}]})).await;
    assert!(
        missing.contains("list[3].otp.secret is required"),
        "{missing}"
    );
    let wrong = post(json!({"list": [{"userId": 42, "otp": {"secret": "S"}}]})).await;
    assert!(wrong.contains("list[0].userId must be a string"), "{wrong}");
    let not_array = post(json!({"list": "u1"})).await;
    assert!(not_array.contains("list must be an array"), "{not_array}");
    assert!(post(json!({})).await.contains("list is required"));
    assert!(post(json!({"list": []}))
        .await
        .contains("list must not be empty"));
    assert!(emu.export().iter().all(|u| u.otp.is_none()));

    // Query parameters: required and enums.
    let (_, reply) = get(&http, &emu, &token, "/api/v3/get-user").await;
    assert_eq!(reply["statusCode"], 400);
    assert!(reply["message"]
        .as_str()
        .unwrap()
        .contains("userId is required"));
    let (_, reply) = get(
        &http,
        &emu,
        &token,
        "/api/v3/get-user?userId=u1&userIdType=nick",
    )
    .await;
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .contains("userIdType must be one of"),
        "{reply}"
    );
    let (_, reply) = get(&http, &emu, &token, "/api/v3/list-users?limit=500").await;
    assert_eq!(reply["statusCode"], 400, "{reply}");
}

// ---- users ----

#[tokio::test]
async fn users_can_be_created_found_and_listed() {
    let (emu, http, token) = start_with_token().await;
    let create =
        json!({"email": "bob@example.com", "name": "Bob", "password": "pw", "status": "Activated"});
    let (_, reply) = post(&http, &emu, &token, "/api/v3/create-user", &create).await;
    assert_eq!(reply["statusCode"], 200, "{reply}");
    let id = reply["data"]["userId"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 24);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(reply["data"]["name"], "Bob");
    assert!(reply["data"].get("password").is_none());
    assert!(reply["data"]["createdAt"].is_string());

    let (_, reply) = post(
        &http,
        &emu,
        &token,
        "/api/v3/create-user",
        &json!({"email": "BOB@example.com"}),
    )
    .await;
    assert_eq!(reply["statusCode"], 409, "{reply}");
    let (_, reply) = post(
        &http,
        &emu,
        &token,
        "/api/v3/create-user",
        &json!({"name": "nobody"}),
    )
    .await;
    assert_eq!(reply["statusCode"], 400);

    for (id_type, value) in [("email", "bob@example.com"), ("user_id", id.as_str())] {
        let url = format!("/api/v3/get-user?userId={value}&userIdType={id_type}");
        let (_, reply) = get(&http, &emu, &token, &url).await;
        assert_eq!(reply["data"]["userId"], id);
    }
    let (_, reply) = get(
        &http,
        &emu,
        &token,
        "/api/v3/get-user?userId=13800000000&userIdType=phone",
    )
    .await;
    assert_eq!(reply["data"]["userId"], "u2");
    let (_, reply) = get(&http, &emu, &token, "/api/v3/get-user?userId=nope").await;
    assert_eq!(
        (reply["statusCode"].as_u64(), reply["apiCode"].as_u64()),
        (Some(404), Some(2004))
    );

    // Batch: all or nothing.
    let batch = json!({"list": [{"username": "c1"}, {"username": "alice"}]});
    let (_, reply) = post(&http, &emu, &token, "/api/v3/create-users-batch", &batch).await;
    assert_eq!(reply["statusCode"], 409, "{reply}");
    assert_eq!(emu.export().len(), 3);
    let batch = json!({"list": [{"username": "c1"}, {"username": "c2"}]});
    let (_, reply) = post(&http, &emu, &token, "/api/v3/create-users-batch", &batch).await;
    assert_eq!(reply["data"].as_array().unwrap().len(), 2, "{reply}");

    // Paging, both list-users operations.
    let list = json!({"options": {"pagination": {"page": 2, "limit": 2}}});
    let (_, reply) = post(&http, &emu, &token, "/api/v3/list-users", &list).await;
    assert_eq!(reply["data"]["totalCount"], 5, "{reply}");
    let ids: Vec<&str> = reply["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userId"].as_str().unwrap())
        .collect();
    assert_eq!(ids[0], id);
    assert_eq!(ids.len(), 2);
    let (_, reply) = get(&http, &emu, &token, "/api/v3/list-users?page=3&limit=2").await;
    assert_eq!(
        reply["data"]["list"].as_array().unwrap().len(),
        1,
        "{reply}"
    );
    let sorted = json!({"options": {"sort": [{"field": "username", "order": "desc"}]}});
    let (_, reply) = post(&http, &emu, &token, "/api/v3/list-users", &sorted).await;
    assert_eq!(reply["data"]["list"][0]["username"], "c2", "{reply}");
    let filtered =
        json!({"advancedFilter": [{"field": "status", "operator": "EQUAL", "value": "Suspended"}]});
    let (_, reply) = post(&http, &emu, &token, "/api/v3/list-users", &filtered).await;
    assert_eq!(reply["data"]["totalCount"], 0, "{reply}");
    let search = json!({"searchQuery": {"query": {"match_all": {}}}});
    let (_, reply) = post(&http, &emu, &token, "/api/v3/list-users", &search).await;
    assert_eq!(
        reply["statusCode"], 501,
        "searchQuery is not emulated: {reply}"
    );
}

#[tokio::test]
async fn concurrent_requests_are_safe() {
    let (emu, http, token) = start_with_token().await;
    let tasks = (0..20).map(|i| {
        let body = json!({"username": format!("user{i}")});
        let (http, emu, token) = (&http, &emu, &token);
        async move { post(http, emu, token, "/api/v3/create-user", &body).await }
    });
    let replies = futures::future::join_all(tasks).await;
    assert!(replies.iter().all(|(_, r)| r["statusCode"] == 200));
    assert_eq!(emu.export().len(), 22);
    assert_eq!(emu.stats().count(operation::CREATE_USER, "200"), 20);
}

// ---- routing and robustness ----

#[tokio::test]
async fn with_unemulated_501_operations_without_behaviour_answer_501() {
    let emu = Emulator::start(Config {
        unemulated: Unemulated::Status501,
        ..config()
    })
    .await
    .unwrap();
    let http = Client::new();
    let token = token(&emu, &http).await;
    let (status, reply) = get(&http, &emu, &token, "/api/v3/list-applications").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reply["statusCode"], 501);
    assert_eq!(
        reply["message"],
        "operation ApplicationsManagementController_listApplications is not emulated by authing-emulator"
    );
    let (_, reply) = call(
        &http,
        &emu,
        &token,
        Method::DELETE,
        "/api/v3/ip-list/abc",
        None,
    )
    .await;
    assert_eq!(reply["statusCode"], 501, "{reply}");
    // Non-emulated operations still require authentication.
    let response = http
        .get(format!("{}/api/v3/list-applications", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_requests_get_envelopes_and_the_server_keeps_serving() {
    let emu = Emulator::start(Config {
        max_body_bytes: 64 * 1024,
        ..config()
    })
    .await
    .unwrap();
    let http = Client::new();
    let token = token(&emu, &http).await;
    let url = |path: &str| format!("{}{path}", emu.base_url());
    let envelope = |response: reqwest::Response| async move {
        let status = response.status().as_u16();
        assert_eq!(response.headers()["x-authing-emulator"], "1");
        let body: Value = response.json().await.expect("an envelope");
        assert!(body["requestId"].is_string(), "{body}");
        (
            status,
            body["statusCode"].as_u64().unwrap(),
            body["message"].as_str().unwrap().to_string(),
        )
    };
    let raw_post = |body: Vec<u8>, content_type: &'static str| {
        let request = authed(http.post(url("/api/v3/import-otp")), &token)
            .header("content-type", content_type)
            .body(body);
        async move { envelope(request.send().await.unwrap()).await }
    };

    let (status, code, _) =
        envelope(http.get(url("/api/v3/no-such-thing")).send().await.unwrap()).await;
    assert_eq!((status, code), (404, 404));
    let (status, code, _) = envelope(
        authed(http.get(url("/api/v3/import-otp")), &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code), (405, 405));
    let big = vec![b' '; 200 * 1024];
    let (status, code, _) = raw_post(big, "application/json").await;
    assert_eq!((status, code), (413, 413));
    let (_, code, message) = raw_post(b"{\"list\": [".to_vec(), "application/json").await;
    assert_eq!(code, 400);
    assert!(message.contains("malformed JSON"), "{message}");
    let (_, code, message) =
        raw_post(b"{\"list\": \"\xff\xfe\"}".to_vec(), "application/json").await;
    assert_eq!(code, 400);
    assert!(message.contains("UTF-8"), "{message}");
    let deep = format!("{{\"list\": {}{}}}", "[".repeat(5000), "]".repeat(5000));
    let (_, code, message) = raw_post(deep.into_bytes(), "application/json").await;
    assert_eq!(code, 400);
    assert!(message.contains("recursion limit"), "{message}");
    let (_, code, message) =
        raw_post(b"list=1".to_vec(), "application/x-www-form-urlencoded").await;
    assert_eq!(code, 400);
    assert!(message.contains("content-type"), "{message}");
    let (status, code, _) =
        envelope(http.get(url("/_emulator/nothing")).send().await.unwrap()).await;
    assert_eq!((status, code), (404, 404));

    // Still serving, and every bad request was counted.
    let (_, reply) = get(&http, &emu, &token, "/api/v3/get-user?userId=u1").await;
    assert_eq!(reply["statusCode"], 200);
    let stats = emu.stats();
    assert_eq!(stats.unmatched, 2);
    assert_eq!(stats.count(operation::IMPORT_OTP, "400"), 4);
    assert_eq!(stats.count(operation::IMPORT_OTP, "413"), 1);
}

// ---- faults ----

#[tokio::test]
async fn injected_failures_change_responses_and_zero_restores() {
    let (emu, http, token) = start_with_token().await;
    let import = import_body("u1", "AAAA", None);
    let send = || {
        authed(
            http.post(format!("{}/api/v3/import-otp", emu.base_url())),
            &token,
        )
        .json(&import)
        .send()
    };

    emu.set_faults(Faults {
        fail_429: 1.0,
        retry_after_secs: Some(2),
        ..Faults::default()
    });
    let response = send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "2");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["statusCode"], 429);
    assert_eq!(body["message"], "您的请求已超过最大数量限制，请稍后重试");
    assert!(
        emu.export().iter().all(|u| u.otp.is_none()),
        "a faulted request changes nothing"
    );

    // Through the admin API this time.
    let admin = format!("{}/_emulator/faults", emu.base_url());
    let response = http
        .put(&admin)
        .json(&json!({"fail503": 1.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.json::<Value>().await.unwrap()["statusCode"], 503);
    // The admin API itself is never faulted.
    let current = fetch_json(http.get(&admin)).await;
    assert_eq!(current["fail503"], 1.0);
    let invalid = http
        .put(&admin)
        .json(&json!({"fail500": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.json::<Value>().await.unwrap()["statusCode"], 400);

    http.put(&admin).json(&json!({})).send().await.unwrap();
    let response = send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["statusCode"], 200);
    let stats = emu.stats();
    let op = operation::IMPORT_OTP;
    assert_eq!(
        (
            stats.count(op, "429"),
            stats.count(op, "503"),
            stats.count(op, "200")
        ),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn max_rps_throttles_like_authing() {
    let (emu, http, token) = start_with_token().await;
    emu.set_faults(Faults {
        max_rps: Some(2),
        ..Faults::default()
    });
    let mut throttled = 0;
    let started = std::time::Instant::now();
    for _ in 0..6 {
        let get_user = format!("{}/api/v3/get-user?userId=u1", emu.base_url());
        let response = authed(http.get(get_user), &token).send().await.unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["message"], authing_emulator::THROTTLE_MESSAGE);
            throttled += 1;
        }
    }
    // A bucket of 2 refilled at 2/s admits at most 2 + 2 * elapsed requests.
    let admitted_max = 2 + (started.elapsed().as_secs_f64() * 2.0).floor() as usize;
    assert!(6 - throttled <= admitted_max, "throttled {throttled}");
    assert!(throttled >= 1);
    emu.set_faults(Faults::default());
    let (_, body) = get(&http, &emu, &token, "/api/v3/get-user?userId=u1").await;
    assert_eq!(body["statusCode"], 200);
}

#[tokio::test]
async fn dropped_connections_happen_after_the_change() {
    let (emu, http, token) = start_with_token().await;
    emu.set_faults(Faults {
        fail_drop: 1.0,
        ..Faults::default()
    });
    let result = async {
        let import = format!("{}/api/v3/import-otp", emu.base_url());
        let response = authed(http.post(import), &token)
            .json(&import_body("u1", "DROPPED1", None))
            .send()
            .await?;
        response.bytes().await
    }
    .await;
    assert!(
        result.is_err(),
        "client must see a transport error, got {result:?}"
    );
    // The import was applied even though the answer was lost.
    let exported = emu.export();
    let u1 = exported.iter().find(|u| u.user_id == "u1").unwrap();
    assert_eq!(u1.otp.as_ref().unwrap().secret, "DROPPED1");
    assert_eq!(emu.stats().count(operation::IMPORT_OTP, "dropped"), 1);

    emu.set_faults(Faults::default());
    let (_, body) = get(&http, &emu, &token, "/api/v3/get-user?userId=u1").await;
    assert_eq!(body["statusCode"], 200);
}

#[tokio::test]
async fn latency_is_applied() {
    let emu = Emulator::start(Config {
        faults: Faults {
            latency_ms: 200,
            ..Faults::default()
        },
        ..config()
    })
    .await
    .unwrap();
    let http = Client::new();
    let started = std::time::Instant::now();
    let token = token(&emu, &http).await;
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(emu.faults().latency_ms, 200);
    assert!(!token.is_empty());
}

// ---- admin API, stats, library ----

#[tokio::test]
async fn admin_seed_export_stats_reset() {
    let emu = start().await;
    let http = Client::new();
    let admin = |path: &str| format!("{}/_emulator/{path}", emu.base_url());
    let health = fetch_json(http.get(admin("health"))).await;
    assert_eq!(health["status"], "ok");

    let lines = "{\"userId\":\"s1\",\"email\":\"s1@example.com\"}\n\n{\"userId\":\"s2\",\"username\":\"s2\",\"externalId\":\"x2\"}\n";
    let seeded = fetch_json(http.post(admin("seed")).body(lines)).await;
    assert_eq!(seeded["seeded"], 2);
    let array = json!([{"userId": "s3", "phone": "139"}]);
    let seeded = fetch_json(http.post(admin("seed")).json(&array)).await;
    assert_eq!(seeded["seeded"], 1);
    let conflict = fetch_json(
        http.post(admin("seed"))
            .json(&json!([{"userId": "s4", "email": "alice@example.com"}])),
    )
    .await;
    assert_eq!(conflict["statusCode"], 409);
    let export = fetch_json(http.get(admin("export"))).await;
    let ids: Vec<&str> = export
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["u1", "u2", "s1", "s2", "s3"]);
    assert_eq!(export[3]["externalId"], "x2");

    let token = token(&emu, &http).await;
    get(&http, &emu, &token, "/api/v3/get-user?userId=s2").await;
    get(&http, &emu, &token, "/api/v3/get-user?userId=zz").await;
    http.get(format!("{}/nowhere", emu.base_url()))
        .send()
        .await
        .unwrap();
    let stats = fetch_json(http.get(admin("stats"))).await;
    assert_eq!(stats["total"], 4, "{stats}");
    assert_eq!(stats["unmatched"], 1);
    assert_eq!(
        stats["byOperation"][operation::GET_USER],
        json!({"200": 1, "404": 1})
    );
    assert_eq!(
        stats["byOperation"][operation::GET_MANAGEMENT_TOKEN],
        json!({"200": 1})
    );
    assert_eq!(emu.stats().operation_total(operation::GET_USER), 2);

    let reset = http.post(admin("reset")).send().await.unwrap();
    assert_eq!(reset.status(), StatusCode::OK);
    assert!(emu.export().is_empty());
    assert_eq!(emu.stats().total, 0);
    // Credentials survive a reset, and so do tokens issued before it.
    let (_, body) = get(&http, &emu, &token, "/api/v3/get-user?userId=u1").await;
    assert_eq!(body["apiCode"], 2004);
    let wrong_method = http.get(admin("reset")).send().await.unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn library_api_seeds_and_debug_hides_secrets() {
    let config = config();
    assert!(!format!("{config:?}").contains(SK));
    let emu = Emulator::start(config).await.unwrap();
    let debug = format!("{emu:?}");
    assert!(!debug.contains(SK), "{debug}");
    assert!(debug.contains(AK));
    assert!(emu.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(emu.userpool_id(), POOL);
    assert!(emu.seed([SeedUser::new("x").username("alice")]).is_err());
    assert_eq!(emu.export().len(), 2, "a failed seed adds nobody");
    assert_eq!(
        emu.seed([SeedUser::new("x"), SeedUser::new("y")]).unwrap(),
        2
    );
    assert!(emu
        .try_set_faults(Faults {
            fail_drop: -1.0,
            ..Faults::default()
        })
        .is_err());
    let random = Emulator::start(Config::default()).await.unwrap();
    assert_eq!(random.userpool_id().len(), 24);
    assert!(!random.access_key_secret().is_empty());
    assert_ne!(random.access_key_secret(), emu.access_key_secret());
    emu.shutdown().await;
    random.shutdown().await;
}

#[tokio::test]
async fn binary_prints_its_address_first() {
    use tokio::io::AsyncBufReadExt;
    let seed = std::env::temp_dir().join(format!("emulator-seed-{}.jsonl", uuid::Uuid::new_v4()));
    std::fs::write(
        &seed,
        "{\"userId\":\"a\"}\n{\"userId\":\"b\",\"email\":\"b@x.io\"}\n",
    )
    .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_authing-emulator"))
        .args(["--port", "0", "--access-key-id", AK, "--seed"])
        .arg(&seed)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("a first line in time")
        .unwrap()
        .unwrap();
    let url = first.strip_prefix("listening on ").expect(&first);
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(port, 0);
    let second = lines.next_line().await.unwrap().unwrap();
    assert!(second.starts_with("access key secret: "), "{second}");
    let response = reqwest::get(format!("{url}/_emulator/health"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-authing-emulator"], "1");
    let health: Value = response.json().await.unwrap();
    assert_eq!(health["users"], 2, "seed file loaded");
    std::fs::remove_file(&seed).unwrap();
    // SIGTERM stops it cleanly (exit status 0).
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
}
