//! Test controls: the request log, fault rules per operation, and saved state, through the
//! admin API, the Rust API and the binary.

use std::time::Duration;

use authing_emulator::{operation, Config, Emulator, FaultRule, SeedUser};
use serde_json::json;

mod support;

use reqwest::Method;
use support::{Api, AK, POOL, SK};

fn config() -> Config {
    Config {
        seed_users: vec![SeedUser::new("u1").email("alice@example.com")],
        ..support::config()
    }
}

#[tokio::test]
async fn the_request_log_names_each_exchange_and_holds_no_secret() {
    let emu = Emulator::start(Config {
        request_log_capacity: 3,
        ..config()
    })
    .await
    .unwrap();
    let api = Api::new(emu.base_url()).await;
    api.get("/api/v3/get-user?userId=u1").await;
    api.get("/api/v3/get-user?userId=nobody").await;
    api.admin(Method::GET, "health", None).await;
    let import = json!({"list": [{"userId": "u1", "otp": {"secret": "HZ2F6J3AGNAVSOTV"}}]});
    api.post("/api/v3/import-otp", import).await;

    let log = emu.requests();
    // Capacity 3: the token request fell out; admin requests are not logged.
    let seen: Vec<(Option<&str>, u16, Option<u16>)> = log
        .iter()
        .map(|e| (e.operation.as_deref(), e.status, e.status_code))
        .collect();
    assert_eq!(
        seen,
        [
            (Some(operation::GET_USER), 200, Some(200)),
            (Some(operation::GET_USER), 200, Some(404)),
            (Some(operation::IMPORT_OTP), 200, Some(200)),
        ]
    );
    assert_eq!(log[0].path, "/api/v3/get-user");
    assert_eq!(log.last().unwrap().seq, 4);
    assert!(log
        .iter()
        .all(|e| e.request_id.len() == 36 && e.duration_ms >= 0.0));

    let (status, body) = api
        .admin(
            Method::GET,
            "requests?operation=UsersManagementController_getUser&limit=1",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["requests"].as_array().unwrap().len(), 1);
    assert_eq!(body["requests"][0]["statusCode"], 404);
    assert_eq!(
        (body["total"].as_u64(), body["capacity"].as_u64()),
        (Some(4), Some(3))
    );
    let (_, all) = api.admin(Method::GET, "requests", None).await;
    let text = all.to_string();
    for secret in [SK, "HZ2F6J3AGNAVSOTV", &api.token, "nobody"] {
        assert!(!text.contains(secret), "{secret} in the request log");
    }
    api.admin(Method::DELETE, "requests", None).await;
    assert!(emu.requests().is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn fault_rules_hit_one_operation_a_given_number_of_times() {
    let emu = Emulator::start(config()).await.unwrap();
    let api = Api::new(emu.base_url()).await;
    let rule = json!({"operation": operation::GET_USER, "status": 503, "count": 2});
    let (status, added) = api.admin(Method::POST, "fault-rules", Some(rule)).await;
    assert_eq!(status, 200, "{added}");
    let id = added["id"].as_u64().unwrap();
    for _ in 0..2 {
        let (status, body) = api.get("/api/v3/get-user?userId=u1").await;
        assert_eq!(
            (status, body["statusCode"].as_u64()),
            (503, Some(503)),
            "{body}"
        );
        assert!(body["requestId"].is_string());
    }
    let (status, body) = api.get("/api/v3/get-user?userId=u1").await;
    assert_eq!(
        (status, body["statusCode"].as_u64()),
        (200, Some(200)),
        "count used up"
    );
    // Other operations were never touched.
    let (_, body) = api.get("/api/v3/get-user-mfa-info?userId=u1").await;
    assert_eq!(body["statusCode"], 200);
    let (_, rules) = api.admin(Method::GET, "fault-rules", None).await;
    assert_eq!(
        (rules[0]["fired"].as_u64(), rules[0]["count"].as_u64()),
        (Some(2), Some(0))
    );
    let faults: Vec<_> = emu.requests().into_iter().filter_map(|e| e.fault).collect();
    assert_eq!(faults, [format!("rule {id}"), format!("rule {id}")]);

    // A business error in an HTTP 200, with a body of the test's choosing.
    let body = json!({"statusCode": 500, "message": "内部错误", "apiCode": 3000});
    let rule = FaultRule::new(operation::IMPORT_OTP, 200).body(body);
    let business = emu.add_fault_rule(rule).unwrap();
    let import = json!({"list": [{"userId": "u1", "otp": {"secret": "HZ2F6J3AGNAVSOTV"}}]});
    let (status, answer) = api.post("/api/v3/import-otp", import).await;
    assert_eq!((status, answer["statusCode"].as_u64()), (200, Some(500)));
    assert_eq!(answer["apiCode"], 3000);
    assert!(answer["requestId"].is_string());
    assert!(
        emu.export()[0].otp.is_none(),
        "a faulted request changes nothing"
    );
    assert!(emu.remove_fault_rule(business));
    let (status, _) = api
        .admin(Method::DELETE, &format!("fault-rules/{business}"), None)
        .await;
    assert_eq!(status, 404, "already removed");

    // Latency only: the real answer, later.
    let slow = FaultRule {
        status: None,
        latency_ms: 300,
        ..FaultRule::new("*", 0)
    };
    emu.add_fault_rule(slow).unwrap();
    let started = std::time::Instant::now();
    let (_, body) = api.get("/api/v3/get-user?userId=u1").await;
    assert_eq!(body["data"]["userId"], "u1");
    assert!(started.elapsed() >= Duration::from_millis(300));
    emu.clear_fault_rules();
    assert!(emu.fault_rules().is_empty());

    // Refused rules say why.
    for (rule, why) in [
        (
            json!({"operation": "NoSuchOperation", "status": 500}),
            "NoSuchOperation",
        ),
        (
            json!({"operation": "*", "status": 500, "probability": 3}),
            "probability",
        ),
        (json!({"operation": "*", "statuss": 500}), "statuss"),
    ] {
        let (status, body) = api.admin(Method::POST, "fault-rules", Some(rule)).await;
        assert_eq!(status, 400);
        assert!(body["message"].as_str().unwrap().contains(why), "{body}");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn a_429_rule_answers_like_authing_throttles() {
    let emu = Emulator::start(config()).await.unwrap();
    let api = Api::new(emu.base_url()).await;
    emu.add_fault_rule(FaultRule::new(operation::GET_USER, 429).probability(1.0))
        .unwrap();
    let (status, body) = api.get("/api/v3/get-user?userId=u1").await;
    assert_eq!(status, 429);
    assert_eq!(body["message"], authing_emulator::THROTTLE_MESSAGE);
    assert_eq!(emu.stats().count(operation::GET_USER, "429"), 1);
    emu.shutdown().await;
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("emu-controls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn state_is_saved_on_close_and_snapshot_and_loaded_at_start() {
    let dir = temp_dir();
    let path = dir.join("state.json");
    let with_state = || Config {
        state_file: Some(path.clone()),
        seed_users: Vec::new(),
        ..config()
    };
    let emu = Emulator::start(with_state()).await.unwrap();
    let api = Api::new(emu.base_url()).await;
    let (_, created) = api
        .post(
            "/api/v3/create-user",
            json!({"email": "saved@example.com", "customData": {"k": 1}}),
        )
        .await;
    let id = created["data"]["userId"].as_str().unwrap().to_string();
    let import = json!({"list": [{"userId": id, "otp": {"secret": "HZ2F6J3AGNAVSOTV"}}]});
    api.post("/api/v3/import-otp", import).await;
    api.post("/api/v3/create-role", json!({"code": "saved-role"}))
        .await;
    let assign =
        json!({"code": "saved-role", "targets": [{"targetType": "USER", "targetIdentifier": id}]});
    api.post("/api/v3/assign-role", assign).await;
    let (status, body) = api.admin(Method::POST, "snapshot", None).await;
    assert_eq!(status, 200, "{body}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the state holds OTP secrets");
    }
    api.post(
        "/api/v3/create-group",
        json!({"code": "after-snapshot", "name": "g", "description": ""}),
    )
    .await;
    emu.close().await.unwrap();

    let emu = Emulator::start(with_state()).await.unwrap();
    let api = Api::new(emu.base_url()).await;
    let (_, user) = api
        .get(&format!("/api/v3/get-user?userId={id}&withCustomData=true"))
        .await;
    assert_eq!(user["data"]["email"], "saved@example.com");
    assert_eq!(user["data"]["customData"], json!({"k": 1}));
    let (_, secret) = api
        .get(&format!("/api/v3/get-otp-secret-by-user?userId={id}"))
        .await;
    assert_eq!(secret["data"]["secret"], "HZ2F6J3AGNAVSOTV");
    let (_, roles) = api
        .get(&format!("/api/v3/get-user-roles?userId={id}"))
        .await;
    assert_eq!(roles["data"]["list"][0]["code"], "saved-role");
    let (_, group) = api.get("/api/v3/get-group?code=after-snapshot").await;
    assert_eq!(group["statusCode"], 200, "written on close too: {group}");
    emu.shutdown().await;

    // A broken state file stops the start, naming the file; nothing is overwritten.
    std::fs::write(&path, "{\"version\": 1, \"users\": 7}").unwrap();
    let err = Emulator::start(with_state()).await.unwrap_err().to_string();
    assert!(err.contains("state.json"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"version\": 1, \"users\": 7}"
    );
    // Without a state file, a snapshot is refused.
    let emu = Emulator::start(config()).await.unwrap();
    assert!(matches!(
        emu.snapshot(),
        Err(authing_emulator::Error::NoStateFile)
    ));
    let api = Api::new(emu.base_url()).await;
    let (status, _) = api.admin(Method::POST, "snapshot", None).await;
    assert_eq!(status, 409);
    emu.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn state_can_be_read_and_replaced_through_the_admin_api() {
    let emu = Emulator::start(config()).await.unwrap();
    let api = Api::new(emu.base_url()).await;
    let (_, state) = api.admin(Method::GET, "state", None).await;
    assert_eq!(state["users"][0]["userId"], "u1");
    let mut state = state;
    state["users"][0]["email"] = json!("renamed@example.com");
    let (status, body) = api.admin(Method::PUT, "state", Some(state)).await;
    assert_eq!(status, 200, "{body}");
    let (_, user) = api
        .get("/api/v3/get-user?userId=RENAMED@example.com&userIdType=email")
        .await;
    assert_eq!(user["data"]["userId"], "u1");
    let (status, body) = api
        .admin(
            Method::PUT,
            "state",
            Some(json!({"version": 1, "users": [{"userId": 1}]})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("invalid state"));
    emu.shutdown().await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_binary_keeps_its_state_across_restarts() {
    use tokio::io::AsyncBufReadExt;
    let dir = temp_dir();
    let path = dir.join("emulator-state.json");
    let start = || async {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_authing-emulator"))
            .args([
                "--port",
                "0",
                "--access-key-id",
                AK,
                "--access-key-secret",
                SK,
            ])
            .args(["--userpool-id", POOL, "--state"])
            .arg(&path)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let url = first.strip_prefix("listening on ").unwrap().to_string();
        (child, url)
    };
    let (child, url) = start().await;
    let api = Api::new(url).await;
    let (_, created) = api
        .post("/api/v3/create-user", json!({"username": "kept"}))
        .await;
    assert_eq!(created["statusCode"], 200, "{created}");
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(0), "a clean stop");
    assert!(path.exists(), "written on SIGTERM");

    let (mut child, url) = start().await;
    let api = Api::new(url).await;
    let (_, found) = api
        .get("/api/v3/get-user?userId=kept&userIdType=username")
        .await;
    assert_eq!(found["statusCode"], 200, "{found}");
    child.kill().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
