//! The client against an in-process mock of Authing on 127.0.0.1 (wiremock).

use authing::{types, AuthMode, Error, ManagementClient, OtpImport, ResultExt, RetryConfig};
use base64::Engine as _;
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const KEY_ID: &str = "key-id-123";
const KEY_SECRET: &str = "key-secret-abcdef";
const POOL: &str = "pool-0001";

fn jwt(pool: &str, n: u32) -> String {
    let enc = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    format!(
        "{}.{}.sig{n}",
        enc(json!({"alg": "HS256", "typ": "JWT"})),
        enc(json!({"scoped_userpool_id": pool, "n": n}))
    )
}

/// Answers the token endpoint with a new token each time.
struct Tokens {
    expires_in: u64,
    counter: std::sync::atomic::AtomicU32,
}

impl Respond for Tokens {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        if body != json!({"accessKeyId": KEY_ID, "accessKeySecret": KEY_SECRET}) {
            return ResponseTemplate::new(200)
                .set_body_json(json!({"statusCode": 401, "apiCode": 2001, "message": "bad key"}));
        }
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ResponseTemplate::new(200).set_body_json(json!({
            "statusCode": 200, "message": "",
            "data": {"access_token": jwt(POOL, n), "expires_in": self.expires_in}
        }))
    }
}

async fn server_with_tokens(expires_in: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v3/get-management-token"))
        .respond_with(Tokens {
            expires_in,
            counter: Default::default(),
        })
        .mount(&server)
        .await;
    server
}

fn builder(server: &MockServer) -> authing::ManagementClientBuilder {
    ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .host(server.uri())
        .retry(
            RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(10))
                .with_max_backoff(Duration::from_millis(50)),
        )
}

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"statusCode": 200, "message": "操作成功", "requestId": "req-1"}))
}

/// Import one fixed record.
async fn import_one(client: &ManagementClient) -> Result<types::CommonResponseDto, Error> {
    client
        .import_otp(&[OtpImport::new("u1", "HZ2F6J3AGNAVSOTV")])
        .await
}

async fn count(server: &MockServer, p: &str) -> usize {
    let reqs = server.received_requests().await.unwrap();
    reqs.iter().filter(|r| r.url.path() == p).count()
}

#[tokio::test]
async fn import_otp_sends_exact_headers_and_body() {
    let server = server_with_tokens(7200).await;
    Mock::given(method("POST"))
        .and(path("/api/v3/import-otp"))
        .and(header(
            "authorization",
            format!("Bearer {}", jwt(POOL, 0)).as_str(),
        ))
        .and(header("x-authing-userpool-id", POOL))
        .and(header("content-type", "application/json"))
        .respond_with(ok())
        .mount(&server)
        .await;
    let client = builder(&server)
        .lang("en-US")
        .tenant_id("t1")
        .build()
        .unwrap();
    let resp = client
        .import_otp(&[
            OtpImport::new("u1", "HZ2F6J3AGNAVSOTV").with_recovery_code("b471-8ec0"),
            OtpImport::new("u2", "JBSWY3DPEHPK3PXP"),
        ])
        .await
        .unwrap();
    assert_eq!(resp.status_code, 200);
    assert_eq!(resp.request_id.as_deref(), Some("req-1"));

    let reqs = server.received_requests().await.unwrap();
    let import = reqs
        .iter()
        .find(|r| r.url.path() == "/api/v3/import-otp")
        .unwrap();
    assert_eq!(
        std::str::from_utf8(&import.body).unwrap(),
        r#"{"list":[{"otp":{"recoveryCode":"b471-8ec0","secret":"HZ2F6J3AGNAVSOTV"},"userId":"u1"},{"otp":{"secret":"JBSWY3DPEHPK3PXP"},"userId":"u2"}]}"#,
        "recoveryCode is absent, not null, when not given"
    );
    let h = |n: &str| {
        import
            .headers
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(h("x-authing-lang").as_deref(), Some("en-US"));
    assert_eq!(h("x-authing-app-tenant-id").as_deref(), Some("t1"));
    assert!(h("x-authing-sdk-version")
        .unwrap()
        .starts_with("authing-rs:"));
    assert!(h("user-agent").unwrap().starts_with("authing-rs/"));
}

#[tokio::test]
async fn one_token_request_serves_many_calls() {
    let server = server_with_tokens(7200).await;
    Mock::given(path("/api/v3/import-otp"))
        .respond_with(ok())
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    for _ in 0..5 {
        import_one(&client).await.unwrap();
    }
    assert_eq!(count(&server, "/api/v3/get-management-token").await, 1);
    assert_eq!(count(&server, "/api/v3/import-otp").await, 5);
}

#[tokio::test]
async fn fifty_concurrent_calls_on_a_cold_cache_fetch_one_token() {
    let server = server_with_tokens(7200).await;
    Mock::given(path("/api/v3/import-otp"))
        .respond_with(ok().set_delay(Duration::from_millis(20)))
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    let calls = (0..50).map(|i| {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .import_otp(&[OtpImport::new(format!("u{i}"), "HZ2F6J3AGNAVSOTV")])
                .await
        })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(count(&server, "/api/v3/get-management-token").await, 1);
    assert_eq!(count(&server, "/api/v3/import-otp").await, 50);
}

#[tokio::test]
async fn a_401_refreshes_the_token_and_retries_once() {
    let server = server_with_tokens(7200).await;
    // The first token is refused (in the body, as Authing does), the second accepted.
    Mock::given(path("/api/v3/import-otp"))
        .and(header(
            "authorization",
            format!("Bearer {}", jwt(POOL, 0)).as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"statusCode": 401, "message": "token expired"})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/api/v3/import-otp"))
        .and(header(
            "authorization",
            format!("Bearer {}", jwt(POOL, 1)).as_str(),
        ))
        .respond_with(ok())
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    import_one(&client).await.unwrap();
    assert_eq!(count(&server, "/api/v3/get-management-token").await, 2);
    assert_eq!(count(&server, "/api/v3/import-otp").await, 2);
}

#[tokio::test]
async fn a_persistent_401_is_retried_once_then_reported() {
    let server = server_with_tokens(7200).await;
    Mock::given(path("/api/v3/import-otp"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"statusCode": 401, "message": "no"})),
        )
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    let err = import_one(&client).await.unwrap_err();
    assert!(err.is_auth(), "{err}");
    assert_eq!(err.http_status(), Some(401));
    assert_eq!(err.status_code(), Some(401));
    assert_eq!(count(&server, "/api/v3/import-otp").await, 2);
    assert_eq!(count(&server, "/api/v3/get-management-token").await, 2);
}

/// A token refused mid-run (it expired in flight) whose renewal meets `renewal`: the
/// call reports what the token endpoint said, not the 401 it started from.
async fn renewal_after_a_refused_token(renewal: ResponseTemplate) -> (MockServer, Error) {
    let server = MockServer::start().await;
    Mock::given(path("/api/v3/get-management-token"))
        .respond_with(Tokens {
            expires_in: 7200,
            counter: Default::default(),
        })
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v3/get-management-token"))
        .respond_with(renewal)
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(path("/api/v3/import-otp"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"statusCode": 401, "message": "token expired"})),
        )
        .mount(&server)
        .await;
    // As `otp import` runs it: its own attempt loop, none in the client.
    let client = builder(&server)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let err = import_one(&client).await.unwrap_err();
    assert_eq!(count(&server, "/api/v3/import-otp").await, 1);
    assert_eq!(count(&server, "/api/v3/get-management-token").await, 2);
    (server, err)
}

#[tokio::test]
async fn a_throttled_token_renewal_is_throttling_not_a_refused_key() {
    let (_server, err) = renewal_after_a_refused_token(
        ResponseTemplate::new(429)
            .insert_header("retry-after", "3")
            .set_body_json(
                json!({"statusCode": 429, "message": "slow down", "requestId": "r-429"}),
            ),
    )
    .await;
    assert!(!err.is_auth(), "{err:?}");
    assert!(err.is_retryable(), "{err:?}");
    assert_eq!(err.http_status(), Some(429));
    assert_eq!(err.status_code(), Some(429));
    assert_eq!(err.request_id(), Some("r-429"));
    assert!(matches!(err, Error::Http { retry_after: Some(d), .. } if d == Duration::from_secs(3)));
}

#[tokio::test]
async fn a_key_revoked_mid_run_is_an_auth_error() {
    let (_server, err) = renewal_after_a_refused_token(
        ResponseTemplate::new(200)
            .set_body_json(json!({"statusCode": 401, "apiCode": 2001, "message": "bad key"})),
    )
    .await;
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
    assert_eq!(err.api_code(), Some(2001));
}

#[tokio::test]
async fn a_refused_access_key_is_an_auth_error() {
    let server = server_with_tokens(7200).await;
    let client = builder(&server).access_key_secret("wrong").build().unwrap();
    let err = import_one(&client).await.unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
    assert_eq!(err.api_code(), Some(2001));
    assert_eq!(count(&server, "/api/v3/import-otp").await, 0);
    let err = client.check_credentials().await.unwrap_err();
    assert!(err.is_auth());
    assert!(!format!("{err} {err:?}").contains("wrong"));
}

async fn flaky(first: ResponseTemplate, failures: u64) -> (MockServer, ManagementClient) {
    let server = server_with_tokens(7200).await;
    Mock::given(path("/api/v3/import-otp"))
        .respond_with(first)
        .up_to_n_times(failures)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v3/import-otp"))
        .respond_with(ok())
        .with_priority(2)
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    (server, client)
}

#[tokio::test]
async fn rate_limits_and_unavailability_are_retried() {
    let throttled = ResponseTemplate::new(429).set_body_json(
        json!({"statusCode": 429, "message": "您的请求已超过最大数量限制，请稍后重试"}),
    );
    for (response, name) in [
        (throttled, "429"),
        (ResponseTemplate::new(503), "503"),
        (ResponseTemplate::new(502), "502"),
    ] {
        let (server, client) = flaky(response, 2).await;
        import_one(&client)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(count(&server, "/api/v3/import-otp").await, 3, "{name}");
    }
}

#[tokio::test]
async fn retries_are_bounded() {
    let (server, client) = flaky(ResponseTemplate::new(503), 10).await;
    let err = import_one(&client).await.unwrap_err();
    assert_eq!(err.http_status(), Some(503));
    assert!(err.is_retryable());
    assert_eq!(count(&server, "/api/v3/import-otp").await, 3);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (server, client) = flaky(
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
        1,
    )
    .await;
    let started = std::time::Instant::now();
    import_one(&client).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(count(&server, "/api/v3/import-otp").await, 2);
}

#[tokio::test]
async fn retries_can_be_switched_off() {
    let (server, _) = flaky(ResponseTemplate::new(503), 1).await;
    let client = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .host(server.uri())
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    drop(client.clone());
    let err = import_one(&client).await.unwrap_err();
    assert_eq!(err.http_status(), Some(503));
    assert_eq!(count(&server, "/api/v3/import-otp").await, 1);
}

#[tokio::test]
async fn bad_requests_are_not_retried() {
    let (server, client) = flaky(ResponseTemplate::new(400), 5).await;
    let err = import_one(&client).await.unwrap_err();
    assert_eq!(err.http_status(), Some(400));
    assert!(!err.is_retryable());
    assert_eq!(count(&server, "/api/v3/import-otp").await, 1);
}

#[tokio::test]
async fn timeouts_of_idempotent_calls_are_retried() {
    let (server, _) = flaky(ok().set_delay(Duration::from_secs(3)), 1).await;
    let client = builder(&server)
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    import_one(&client).await.unwrap();
    assert_eq!(count(&server, "/api/v3/import-otp").await, 2);
}

#[tokio::test]
async fn timeouts_of_other_calls_are_not_retried() {
    let server = server_with_tokens(7200).await;
    Mock::given(path("/api/v3/create-user"))
        .respond_with(ok().set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let client = builder(&server)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = client
        .api()
        .create_user()
        .body_map(|b| b.email("a@example.com".to_string()))
        .send()
        .await
        .checked()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: authing::TransportKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(count(&server, "/api/v3/create-user").await, 1);
}

#[tokio::test]
async fn a_business_500_is_retried_only_for_idempotent_calls() {
    // HTTP 200 with statusCode 500: Authing's code ran and may have applied the call.
    let failed = ResponseTemplate::new(200)
        .set_body_json(json!({"statusCode": 500, "message": "internal error"}));
    let (server, client) = flaky(failed.clone(), 2).await;
    import_one(&client).await.unwrap();
    assert_eq!(
        count(&server, "/api/v3/import-otp").await,
        3,
        "import_otp is idempotent"
    );

    Mock::given(path("/api/v3/create-user"))
        .respond_with(failed)
        .mount(&server)
        .await;
    let body: types::CreateUserReqDto =
        serde_json::from_value(json!({"email": "a@example.com"})).unwrap();
    let err = client
        .api()
        .create_user()
        .body(body)
        .send()
        .await
        .checked()
        .unwrap_err();
    assert_eq!(err.status_code(), Some(500));
    assert_eq!(err.retry(), authing::Retry::IfIdempotent);
    assert!(!err.is_retryable(), "not safe for any call");
    assert_eq!(count(&server, "/api/v3/create-user").await, 1, "sent once");
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .host(format!("http://127.0.0.1:{port}"))
        .retry(RetryConfig::standard().with_initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    let err = import_one(&client).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: authing::TransportKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn business_errors_are_errors_with_their_fields() {
    let server = server_with_tokens(7200).await;
    let not_found =
        json!({"statusCode": 404, "apiCode": 2004, "message": "用户不存在", "requestId": "r-404"});
    Mock::given(path("/api/v3/import-otp"))
        .respond_with(ResponseTemplate::new(200).set_body_json(not_found.clone()))
        .mount(&server)
        .await;
    // An error envelope has no `data`, which a success of this operation requires.
    Mock::given(path("/api/v3/get-otp-secret-by-user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(not_found))
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    let err = import_one(&client).await.unwrap_err();
    assert!(matches!(err, Error::Api(_)), "{err:?}");
    assert_eq!(err.status_code(), Some(404));
    assert_eq!(err.api_code(), Some(2004));
    assert_eq!(err.message(), Some("用户不存在"));
    assert_eq!(err.request_id(), Some("r-404"));
    assert!(!err.is_retryable());
    assert_eq!(count(&server, "/api/v3/import-otp").await, 1);
    assert_eq!(
        err.to_string(),
        "Authing answered statusCode 404 (apiCode 2004): 用户不存在 [requestId r-404]"
    );
    let err = client.get_otp_secret("u1").await.unwrap_err();
    assert_eq!(err.api_code(), Some(2004), "{err:?}");
}

#[tokio::test]
async fn otp_secret_read_back_is_redacted_in_debug() {
    let server = server_with_tokens(7200).await;
    Mock::given(path("/api/v3/get-otp-secret-by-user"))
        .and(wiremock::matchers::query_param("userId", "u1"))
        .and(wiremock::matchers::query_param("userIdType", "user_id"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"statusCode": 200, "message": "", "data": {"secret": "HZ2F6J3AGNAVSOTV"}}),
        ))
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    let secret = client.get_otp_secret("u1").await.unwrap().unwrap();
    assert_eq!(secret.expose_secret(), "HZ2F6J3AGNAVSOTV");
    assert_eq!(format!("{secret:?}"), "[REDACTED]");
}

#[tokio::test]
async fn unknown_enum_values_in_responses_still_decode() {
    let server = server_with_tokens(7200).await;
    Mock::given(method("POST"))
        .and(path("/api/v3/device-status"))
        .and(body_json(json!({"id": "dev-1"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statusCode": 200, "message": "",
            "data": {"status": "quarantined-in-a-future-release", "diffTime": 3}
        })))
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    let resp = client
        .api()
        .get_device_status()
        .body(types::TerminalBaseDto { id: "dev-1".into() })
        .send()
        .await
        .checked()
        .unwrap();
    assert_eq!(
        resp.data.unwrap().status.as_deref(),
        Some("quarantined-in-a-future-release")
    );
}

#[tokio::test]
async fn signature_mode_signs_each_attempt_without_a_token() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v3/import-otp"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v3/import-otp"))
        .respond_with(ok())
        .with_priority(2)
        .mount(&server)
        .await;
    let client = builder(&server)
        .auth_mode(AuthMode::Signature)
        .build()
        .unwrap();
    import_one(&client).await.unwrap();

    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2, "no token request in signature mode");
    let mut nonces = Vec::new();
    for r in &reqs {
        let h = |n: &str| r.headers.get(n).unwrap().to_str().unwrap().to_string();
        assert_eq!(h("x-authing-signature-method"), "HMAC-SHA1");
        assert_eq!(h("x-authing-signature-version"), "1.0");
        assert!(r.headers.get("x-authing-userpool-id").is_none());
        httpdate::parse_http_date(&h("date")).expect("RFC 1123 date");
        nonces.push(h("x-authing-signature-nonce"));
        // Recompute from what the server received, as the server would.
        let headers: Vec<(String, String)> = r
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap().to_string()))
            .collect();
        let params = authing::signature::params("POST", None, Some(&r.body));
        let sts = authing::signature::string_to_sign(
            "POST",
            headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            r.url.path(),
            &params,
        );
        assert!(sts.starts_with("POST\ndate:"), "{sts}");
        assert!(sts.contains("\nx-authing-sdk-version:authing-rs:"));
        assert!(sts.ends_with(&format!(
            "/api/v3/import-otp?list={}",
            r#"[{"otp":{"secret":"HZ2F6J3AGNAVSOTV"},"userId":"u1"}]"#
        )));
        let expected = format!(
            "authing {KEY_ID}:{}",
            authing::signature::sign(KEY_SECRET, &sts)
        );
        assert_eq!(h("authorization"), expected);
    }
    assert_ne!(nonces[0], nonces[1], "a fresh nonce per attempt");
}

#[tokio::test]
async fn plain_http_is_refused_for_remote_hosts_and_bad_cas_are_errors() {
    let err = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .host("http://api.example.com")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("plain http"), "{err}");
    let err = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .add_root_certificate_pem("not a certificate")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("root certificate #1"), "{err}");
    let err = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "configuration: access_key_secret is missing or empty"
    );
}

#[test]
fn debug_output_never_shows_a_secret() {
    let secrets = [
        "HZ2F6J3AGNAVSOTV",
        "b471-8ec0-874a",
        KEY_SECRET,
        "tok.en.value",
    ];
    let item = OtpImport::new("u1", secrets[0]).with_recovery_code(secrets[1]);
    let body = types::ImportOtpReqDto {
        list: vec![types::ImportOtpItemDto {
            user_id: "u1".into(),
            otp: types::ImportOtpItemDataDto {
                secret: secrets[0].into(),
                recovery_code: Some(secrets[1].into()),
            },
        }],
    };
    let token_req = types::GetManagementAccessTokenDto {
        access_key_id: KEY_ID.into(),
        access_key_secret: KEY_SECRET.into(),
    };
    let token_resp = types::AccessTokenResDto {
        access_token: Some(secrets[3].into()),
        expires_in: Some(7200),
    };
    let builder = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET);
    let client = builder.clone().host("http://127.0.0.1:1").build().unwrap();
    let printed =
        format!("{item:?} {body:?} {body:#?} {token_req:?} {token_resp:?} {builder:?} {client:?}");
    for s in secrets {
        assert!(!printed.contains(s), "{s} leaked in {printed}");
    }
    assert!(printed.contains("[REDACTED]"));
    assert!(printed.contains(KEY_ID));
}

#[tokio::test]
async fn an_unavailable_token_endpoint_is_not_an_auth_error() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v3/get-management-token"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    let err = client.check_credentials().await.unwrap_err();
    assert!(!err.is_auth(), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.http_status(), Some(503));
    let err = import_one(&client).await.unwrap_err();
    assert!(!err.is_auth() && err.is_retryable(), "{err:?}");
    assert_eq!(count(&server, "/api/v3/import-otp").await, 0);
}

#[tokio::test]
async fn optional_lists_are_left_out_sent_empty_or_sent_as_null() {
    use authing::Nullable;
    let server = server_with_tokens(7200).await;
    Mock::given(path("/api/v3/update-security-settings"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"statusCode": 200, "message": "", "data": {}})),
        )
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    let cases: [(Nullable<Vec<String>>, serde_json::Value); 3] = [
        (Nullable::Absent, json!({"authingTokenExpiresIn": 3600})),
        (
            vec![].into(),
            json!({"authingTokenExpiresIn": 3600, "allowedOrigins": []}),
        ),
        (
            Nullable::Null,
            json!({"authingTokenExpiresIn": 3600, "allowedOrigins": null}),
        ),
    ];
    for (origins, want) in cases {
        client
            .api()
            .update_security_settings()
            .body_map(|b| b.authing_token_expires_in(3600).allowed_origins(origins))
            .send()
            .await
            .checked()
            .unwrap();
        let requests = server.received_requests().await.unwrap();
        let sent = requests.last().unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&sent.body).unwrap(),
            want
        );
    }
}

#[tokio::test]
async fn a_body_that_does_not_fit_names_the_operation_and_path_not_the_value() {
    let server = server_with_tokens(7200).await;
    Mock::given(path("/api/v3/get-user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "statusCode": 200, "message": "",
            "data": {"userId": "u1", "loginsCount": "SECRET-LOOKING-VALUE"}
        })))
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    let err = client
        .api()
        .get_user()
        .user_id("u1")
        .send()
        .await
        .checked()
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(
        shown.contains("get_user: data.loginsCount: invalid type: string, expected i64"),
        "{shown}"
    );
    assert!(!shown.contains("SECRET-LOOKING-VALUE"), "{shown}");
    assert!(err.raw_body().is_some(), "the body is kept for diagnosis");
}
