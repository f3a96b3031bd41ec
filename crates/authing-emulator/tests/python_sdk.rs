//! Requests shaped exactly as Authing's official Python SDK (authing 5.1.0, on `requests`)
//! sends them, as read from its source and recorded by `scripts/interop_python.py`:
//!
//! - `POST /api/v3/get-management-token` with no header of its own (only requests' defaults)
//!   and `json.dumps` spacing in the body; the SDK then decodes the JWT payload with
//!   `base64.b64decode` (the standard alphabet, after padding it with `=`) and reads
//!   `scoped_userpool_id` from it.
//! - Management calls carry `authorization: Bearer <token>`, `x-authing-userpool-id`,
//!   `x-authing-sdk-version: authing-py-sdk:5.1.0` and, when no language is configured, an
//!   empty `x-authing-lang`.
//! - GET parameters go through `requests`' `params=`: `None` values are dropped and Python
//!   booleans become `True` / `False`.

use authing_emulator::{Config, Emulator, SeedUser};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::{Client, StatusCode};
use serde_json::Value;

const AK: &str = "interop-python-key-id";
const SK: &str = "interop-python-key-secret";
const POOL: &str = "62f20932716fbcc10d966ee5";
const USER: &str = "6229ffa0b1c2d3e4f5a6b7c8";

async fn start() -> Emulator {
    Emulator::start(Config {
        access_key_id: Some(AK.into()),
        access_key_secret: Some(SK.into()),
        userpool_id: Some(POOL.into()),
        seed_users: vec![SeedUser::new(USER).email("alice@example.com")],
        ..Config::default()
    })
    .await
    .expect("emulator starts")
}

/// What `requests` adds to every request on its own.
fn requests_defaults(builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    builder
        .header("user-agent", "python-requests/2.32.3")
        .header("accept-encoding", "gzip, deflate")
        .header("accept", "*/*")
        .header("connection", "keep-alive")
}

fn sdk_headers(builder: reqwest::RequestBuilder, token: &str) -> reqwest::RequestBuilder {
    requests_defaults(builder)
        .header("x-authing-sdk-version", "authing-py-sdk:5.1.0")
        .header("x-authing-userpool-id", POOL)
        .header("x-authing-lang", "")
        .header("authorization", format!("Bearer {token}"))
}

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// `ManagementTokenProvider.decode_jwt`: split, pad with `=`, standard base64, JSON.
fn decode_like_the_python_sdk(token: &str) -> Value {
    let mut payload = token.split('.').nth(1).expect("three parts").to_string();
    while !payload.len().is_multiple_of(4) {
        payload.push('=');
    }
    let bytes = STANDARD
        .decode(payload)
        .expect("the payload decodes with the standard alphabet");
    serde_json::from_slice(&bytes).expect("the payload is JSON")
}

async fn python_token(http: &Client, emu: &Emulator) -> String {
    let body = format!(r#"{{"accessKeyId": "{AK}", "accessKeySecret": "{SK}"}}"#);
    let response =
        requests_defaults(http.post(format!("{}/api/v3/get-management-token", emu.base_url())))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["statusCode"], 200, "{body}");
    // The SDK computes `int(time.time()) + expires_in`: it must be a number.
    assert!(body["data"]["expires_in"].is_number(), "{body}");
    body["data"]["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn python_sdk_token_call_and_jwt_decoding() {
    let emu = start().await;
    let http = Client::new();
    for _ in 0..20 {
        // Several tokens: each has a fresh jti, so each payload encodes differently.
        let token = python_token(&http, &emu).await;
        let claims = decode_like_the_python_sdk(&token);
        assert_eq!(claims["scoped_userpool_id"], POOL);
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn python_sdk_import_and_read_back() {
    let emu = start().await;
    let http = Client::new();
    let token = python_token(&http, &emu).await;

    // import_otp(list=[...]): json.dumps spacing, recoveryCode omitted when absent.
    let body =
        format!(r#"{{"list": [{{"userId": "{USER}", "otp": {{"secret": "HZ2F6J3AGNAVSOTV"}}}}]}}"#);
    let response = sdk_headers(
        http.post(format!("{}/api/v3/import-otp", emu.base_url())),
        &token,
    )
    .header("content-type", "application/json")
    .body(body)
    .send()
    .await
    .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["statusCode"], 200, "{body}");

    // get_otp_secret_by_user(user_id=..., user_id_type="user_id"): GET, query, no body.
    let response = sdk_headers(
        http.get(format!(
            "{}/api/v3/get-otp-secret-by-user?userId={USER}&userIdType=user_id",
            emu.base_url()
        )),
        &token,
    )
    .send()
    .await
    .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["secret"], "HZ2F6J3AGNAVSOTV", "{body}");
    emu.shutdown().await;
}

#[tokio::test]
async fn python_booleans_in_the_query_are_booleans() {
    let emu = start().await;
    let http = Client::new();
    let token = python_token(&http, &emu).await;
    let get_user = |query: &str| {
        sdk_headers(
            http.get(format!(
                "{}/api/v3/get-user?userId=alice%40example.com&userIdType=email&{query}",
                emu.base_url()
            )),
            &token,
        )
        .send()
    };

    // get_user(..., with_custom_data=True, with_identities=False) as requests encodes it.
    let (status, body) = json_of(
        get_user("withCustomData=True&withIdentities=False")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["statusCode"], 200, "{body}");
    assert_eq!(body["data"]["userId"], USER);

    // The lower-case spelling still works, and a non-boolean is still refused.
    let (_, body) = json_of(get_user("withCustomData=true").await.unwrap()).await;
    assert_eq!(body["statusCode"], 200, "{body}");
    let (_, body) = json_of(get_user("withCustomData=yes").await.unwrap()).await;
    assert_eq!(body["statusCode"], 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("withCustomData"),
        "{body}"
    );
    emu.shutdown().await;
}
