//! `authing api` end to end: the real binary against an emulator started in the test
//! process. Paging across page boundaries; the errors (unknown operation, bad
//! argument, business error) with their exit codes; `--list`; completions; secrets
//! kept off stderr. (Every operation once: api_all_operations.rs.)

use std::collections::BTreeSet;

mod api_support;
mod common;

use api_support::{api, command, emulator, Run, API_ERROR, INVALID_INPUT, USAGE};
use authing_emulator::SeedUser;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paginate_walks_every_page_in_the_body_and_query_shapes() {
    let ids: BTreeSet<String> = (0..120).map(|i| format!("user-{i:03}")).collect();
    let emu = emulator(ids.iter().map(SeedUser::new)).await;
    // Body `options.pagination`, pages of the document's largest size, 50: 50 + 50 + 20.
    let run = api(Some(&emu), &["list_users", "--paginate"])
        .await
        .expect(0);
    let items = run.lines();
    assert_eq!(items.len(), 120);
    let seen: BTreeSet<String> = items
        .iter()
        .map(|u| u["userId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, ids);
    assert_eq!(
        emu.stats()
            .operation_total("UsersManagementController_listUsers"),
        3
    );
    // Query `page`/`limit`, in pages of the size asked for, from the page asked for.
    let run = api(
        Some(&emu),
        &[
            "GET /api/v3/list-users",
            "--paginate",
            "-F",
            "limit=40",
            "-F",
            "page=2",
        ],
    )
    .await
    .expect(0);
    assert_eq!(run.lines().len(), 80, "pages 2 and 3 of 40");
    assert_eq!(
        emu.stats()
            .operation_total("UsersManagementController_listUsersLegacy"),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_data_only_and_the_three_ways_to_name_an_operation() {
    let emu = emulator([SeedUser::new("u1").email("ann@example.com")]).await;
    for name in [
        "get_user",
        "UsersManagementController_getUser",
        "get /api/v3/get-user",
    ] {
        let answer = api(Some(&emu), &[name, "-F", "userId=u1"])
            .await
            .expect(0)
            .json();
        assert_eq!(answer["statusCode"], 200, "{name}");
        assert_eq!(answer["data"]["email"], "ann@example.com", "{name}");
    }
    let data = api(
        Some(&emu),
        &[
            "get_user",
            "-F",
            "userId=ann@example.com",
            "-F",
            "userIdType=email",
            "--data-only",
        ],
    )
    .await
    .expect(0)
    .json();
    assert_eq!(data["userId"], "u1");
    // Piped: one line.
    let run = api(Some(&emu), &["get_user", "-F", "userId=u1"]).await;
    assert_eq!(run.stdout.lines().count(), 1);
    // Parameters of an operation without a body from --data; arrays from commas.
    let batch = api(
        Some(&emu),
        &["get_user_batch", "--data", r#"{"userIds":["u1"]}"#],
    )
    .await;
    let by_commas = api(Some(&emu), &["get_user_batch", "-F", "userIds=u1,u2"]).await;
    let by_flags = api(
        Some(&emu),
        &[
            "get_user_batch",
            "-F",
            "userIds=u1",
            "-F",
            "userIds[]=u2",
            "--data-only",
        ],
    )
    .await;
    for run in [batch, by_commas] {
        assert_eq!(run.expect(0).json()["statusCode"], 200);
    }
    assert!(
        by_flags.expect(0).json().is_array(),
        "data of get_user_batch"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_names_and_arguments_are_refused_before_sending() {
    let emu = emulator([]).await;
    let run = api(Some(&emu), &["list_user"]).await.expect(USAGE);
    assert!(
        run.stderr.contains("unknown operation `list_user`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean list_users"),
        "{}",
        run.stderr
    );
    let run = api(Some(&emu), &["GET /api/v3/list-users", "-F", "limit=fifty"])
        .await
        .expect(INVALID_INPUT);
    assert!(
        run.stderr.contains("-F limit: expected an integer"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("fifty"), "values are not echoed");
    let run = api(Some(&emu), &["get_user", "-F", "userld=u1"])
        .await
        .expect(INVALID_INPUT);
    assert!(run.stderr.contains("did you mean userId"), "{}", run.stderr);
    let run = api(Some(&emu), &["get_user"]).await.expect(INVALID_INPUT);
    assert!(
        run.stderr.contains("parameter `userId` is required"),
        "{}",
        run.stderr
    );
    let run = api(
        Some(&emu),
        &[
            "import_otp",
            "--data",
            r#"{"list":[{"userId":"u1","otp":{"secret":123456}}]}"#,
        ],
    )
    .await
    .expect(INVALID_INPUT);
    assert!(
        run.stderr
            .contains("body: list[0].otp.secret: invalid type: integer, expected"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("123456"));
    let run = api(Some(&emu), &["get_user", "--data", "{nope"])
        .await
        .expect(INVALID_INPUT);
    assert!(
        run.stderr.contains("--data: not JSON: line 1 column 2"),
        "{}",
        run.stderr
    );
    let run = api(Some(&emu), &["get_user", "--paginate", "-F", "userId=u1"])
        .await
        .expect(USAGE);
    assert!(
        run.stderr.contains("does not answer in pages"),
        "{}",
        run.stderr
    );
    assert_eq!(emu.stats().total, 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_business_error_prints_authings_fields_and_exits_3() {
    let emu = emulator([]).await;
    let run = api(Some(&emu), &["get_user", "-F", "userId=nobody"])
        .await
        .expect(API_ERROR);
    assert!(run.stdout.is_empty());
    for field in [
        "\nstatusCode: 404\n",
        "\napiCode: 2004\n",
        "\nmessage: 用户不存在\n",
        "\nrequestId: ",
    ] {
        assert!(run.stderr.contains(field), "{field}: {}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_from_a_file_and_unchecked_query_pairs() {
    let emu = emulator(["u1", "u2", "u3"].map(SeedUser::new)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.json");
    std::fs::write(&file, r#"{"userIds": ["u2", "u3"]}"#).unwrap();
    let at_file = format!("@{}", file.display());
    let data = api(
        Some(&emu),
        &["get_user_batch", "--data", &at_file, "--data-only"],
    )
    .await
    .expect(0)
    .json();
    let ids: Vec<&str> = data
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["u2", "u3"]);
    let missing = format!("@{}", dir.path().join("nope.json").display());
    let run = api(Some(&emu), &["get_user_batch", "--data", &missing])
        .await
        .expect(66);
    assert!(run.stderr.contains("--data @"), "{}", run.stderr);
    // A pair the document does not know reaches the server as given.
    let page = api(
        Some(&emu),
        &[
            "GET /api/v3/list-users",
            "--query",
            "limit=1",
            "--data-only",
        ],
    )
    .await
    .expect(0)
    .json();
    assert_eq!(page["list"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["totalCount"], 3);
    let run = api(Some(&emu), &["list_roles", "--query", "nokey"])
        .await
        .expect(USAGE);
    assert!(
        run.stderr.contains("--query takes KEY=VALUE"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_in_answers_go_to_stdout_only() {
    let emu = emulator([SeedUser::new("u1")]).await;
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DP";
    let import =
        json!({"list": [{"userId": "u1", "otp": {"secret": secret, "recoveryCode": "b471-8ec0"}}]});
    api(Some(&emu), &["import_otp", "--data", &import.to_string()])
        .await
        .expect(0);
    for mode in ["token", "signature"] {
        let mut cmd = command(
            Some(&emu),
            &["api", "-vv", "get_otp_secret_by_user", "-F", "userId=u1"],
        );
        cmd.env("AUTHING_AUTH_MODE", mode);
        let run = Run::from(cmd.output().await.unwrap()).expect(0);
        assert_eq!(run.json()["data"]["secret"], secret, "{mode}");
        assert!(
            run.stderr.contains("authing.request"),
            "{mode}: logged: {}",
            run.stderr
        );
        assert!(!run.stderr.contains(secret), "{mode}: {}", run.stderr);
        assert!(!run.stderr.contains(emu.access_key_secret()));
    }
    // The token an answer carries, at trace level.
    let credentials =
        json!({"accessKeyId": emu.access_key_id(), "accessKeySecret": emu.access_key_secret()});
    let mut cmd = command(
        Some(&emu),
        &[
            "api",
            "get_management_token",
            "--data",
            &credentials.to_string(),
        ],
    );
    cmd.env("RUST_LOG", "trace");
    let run = Run::from(cmd.output().await.unwrap()).expect(0);
    let token = run.json()["data"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(token.starts_with("eyJ"));
    assert!(!run.stderr.contains("eyJ"), "{}", run.stderr);
    assert!(!run.stderr.contains(emu.access_key_secret()));
}

#[tokio::test]
async fn list_and_the_embedded_emulator() {
    let run = api(None, &["--list"]).await.expect(0);
    assert_eq!(run.stdout.lines().count(), 511);
    let run = api(None, &["--list", "get-user-batch"]).await.expect(0);
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("get_user_batch "))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(
        line.contains(" GET ") && line.contains("/api/v3/get-user-batch"),
        "{line}"
    );
    let run = api(None, &["--list", "list-users"]).await.expect(0);
    assert!(run.stdout.contains("[pages]"), "{}", run.stdout);
    // No credentials: --emulator needs none.
    let answer = api(None, &["list_users", "--emulator"])
        .await
        .expect(0)
        .json();
    assert_eq!(answer["data"]["totalCount"], 0);
    let run = api(None, &["list_users"]).await.expect(78);
    assert!(run.stderr.contains("no credentials"), "{}", run.stderr);
}

#[tokio::test]
async fn completions_offer_commands_and_operation_names() {
    for shell in ["bash", "zsh", "fish"] {
        let out = command(None, &["completions", shell])
            .output()
            .await
            .unwrap();
        let run = Run::from(out).expect(0);
        for word in [
            "otp",
            "import",
            "api",
            "paginate",
            "list_users",
            "UsersManagementController_listUsers",
        ] {
            assert!(run.stdout.contains(word), "{shell}: no {word}");
        }
        if shell == "bash" {
            let script = std::env::temp_dir()
                .join(format!("authing-completion-{}.bash", std::process::id()));
            std::fs::write(&script, &run.stdout).unwrap();
            let checked = std::process::Command::new("bash")
                .arg("-n")
                .arg(&script)
                .output();
            let _ = std::fs::remove_file(&script);
            assert!(
                checked.unwrap().status.success(),
                "bash -n refuses the script"
            );
        }
    }
}

#[test]
fn pretty_on_a_terminal() {
    // `script` (util-linux, essential on Debian) gives the binary a pseudo-terminal.
    let line = format!(
        "{} api --emulator list_roles",
        env!("CARGO_BIN_EXE_authing")
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_remove("AUTHING_HOST")
        .env_remove("AUTHING_ACCESS_KEY_ID")
        .env_remove("AUTHING_ACCESS_KEY_SECRET")
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run script");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(text.starts_with("{\n  \""), "indented: {text}");
    let answer: serde_json::Value = serde_json::from_str(&text).expect("one JSON value");
    assert_eq!(answer["statusCode"], 200);
}
