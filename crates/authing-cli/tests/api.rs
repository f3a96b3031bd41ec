//! `authing api` end to end: the real binary against an emulator started in the test
//! process. Every operation once with a request built from Authing's document; paging
//! across page boundaries; the errors (unknown operation, bad argument, business
//! error) with their exit codes; `--list`; completions; secrets kept off stderr.

use std::collections::BTreeSet;
use std::process::{Output, Stdio};

// The authing crate's test support: the document with the supplement merged in.
#[path = "../../authing/tests/support/document.rs"]
mod document;

use authing_emulator::{synthesize_value, Config, Emulator, SeedUser};
use futures::StreamExt;
use serde_json::{json, Value};

/// Exit codes of the one table (src/bin/authing/exit.rs).
const USAGE: i32 = 2;
const API_ERROR: i32 = 3;
const INVALID_INPUT: i32 = 65;

async fn emulator(users: impl IntoIterator<Item = SeedUser>) -> Emulator {
    let emu = Emulator::start(Config::default()).await.expect("emulator");
    emu.seed(users).expect("seed");
    emu
}

/// `authing ARGS` with credentials for `emu` (none for `None`) and nothing inherited
/// that could interfere.
fn command(emu: Option<&Emulator>, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_authing"));
    cmd.args(args)
        .env_remove("AUTHING_HOST")
        .env_remove("AUTHING_ACCESS_KEY_ID")
        .env_remove("AUTHING_ACCESS_KEY_SECRET")
        .env_remove("AUTHING_AUTH_MODE")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(emu) = emu {
        cmd.env("AUTHING_HOST", emu.base_url())
            .env("AUTHING_ACCESS_KEY_ID", emu.access_key_id())
            .env("AUTHING_ACCESS_KEY_SECRET", emu.access_key_secret());
    }
    cmd
}

/// What a run printed and how it ended.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let code = out.status.code().expect("exited normally");
        assert_ne!(code, 101, "panicked: {stderr}");
        Run {
            code,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr,
        }
    }
}

impl Run {
    #[track_caller]
    fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    fn lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON value a line"))
            .collect()
    }
}

async fn api(emu: Option<&Emulator>, args: &[&str]) -> Run {
    let mut all = vec!["api"];
    all.extend_from_slice(args);
    command(emu, &all)
        .output()
        .await
        .expect("run authing")
        .into()
}

/// The arguments of a request the document accepts for one operation: `-F` for each
/// required (and path) parameter, `--data` for the body; values from the document's
/// examples and types (the emulator's synthesizer, with a fixed seed).
fn document_request(doc: &Value, op: &Value) -> Vec<String> {
    let mut args = Vec::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        if p["required"] != true && p["in"] != "path" {
            continue;
        }
        let value = synthesize_value(doc, &p["schema"], 7);
        let text = match value {
            Value::String(s) => s,
            other => other.to_string(),
        };
        args.push("-F".into());
        args.push(format!("{}={text}", p["name"].as_str().unwrap()));
    }
    if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
        args.push("--data".into());
        args.push(synthesize_value(doc, schema, 7).to_string());
    }
    args
}

/// Requests whose document-derived form the emulator's state would refuse, adjusted
/// as the emulator's own test of every operation adjusts them.
fn adjust(operation_id: &str, args: &mut Vec<String>, emu: &Emulator) {
    let data = args.iter().position(|a| a == "--data").map(|i| i + 1);
    let mut body: Option<Value> = data.map(|i| serde_json::from_str(&args[i]).unwrap());
    match operation_id {
        // The document's example credentials are not the emulator's.
        "V3ManagementController_getManagementToken" => {
            body = Some(
                json!({"accessKeyId": emu.access_key_id(), "accessKeySecret": emu.access_key_secret()}),
            );
        }
        // `departmentId` is optional in the document, but the emulator (as Authing)
        // needs it or `departmentCode` to find a department: with neither it is a 400.
        "DepartmentsManagementController_getDepartment" => {
            args.extend(["-F".into(), "departmentId=60b49eb83fd80adb96f26e68".into()]);
        }
        // The examples make both items one user, and the same user as create-user's:
        // users are unique by e-mail, phone, username and external id.
        "UsersManagementController_createUsersBatch" => {
            if let Some(list) = body.as_mut().and_then(|b| b["list"].as_array_mut()) {
                list.truncate(1);
                list.iter_mut().for_each(|user| unique_user(user, "batch"));
            }
        }
        "UsersManagementController_createUser" => {
            if let Some(user) = body.as_mut() {
                unique_user(user, "single");
            }
        }
        _ => {}
    }
    if let (Some(i), Some(body)) = (data, body) {
        args[i] = body.to_string();
    }
}

fn unique_user(user: &mut Value, tag: &str) {
    for (field, value) in [
        ("email", format!("{tag}@example.com")),
        ("username", format!("user-{tag}")),
        ("externalId", format!("ext-{tag}")),
    ] {
        if user.get(field).is_some() {
            user[field] = json!(value);
        }
    }
    if let Some(map) = user.as_object_mut() {
        map.remove("phone");
        map.remove("phoneCountryCode");
    }
}

/// The user ids a request names (in `-F userId=` or the body's `list[].userId`), to be
/// seeded so that stateful operations find their users.
fn referenced_users(args: &[String]) -> Vec<String> {
    let mut ids = Vec::new();
    for pair in args.windows(2) {
        match pair[0].as_str() {
            "-F" => {
                if let Some(id) = pair[1].strip_prefix("userId=") {
                    ids.push(id.to_string());
                }
            }
            "--data" => {
                let body: Value = serde_json::from_str(&pair[1]).unwrap();
                for item in body["list"].as_array().into_iter().flatten() {
                    if let Some(id) = item["userId"].as_str() {
                        ids.push(id.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_once_with_a_document_derived_request() {
    let doc = document::document();
    let mut calls: Vec<(String, String, Vec<String>)> = Vec::new();
    let emu = emulator([]).await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap().to_string();
            let mut args = vec![format!("{} {path}", method.to_uppercase())];
            args.extend(document_request(&doc, op));
            adjust(&id, &mut args, &emu);
            calls.push((id, format!("{} {path}", method.to_uppercase()), args));
        }
    }
    assert_eq!(calls.len(), 511);
    let users: BTreeSet<String> = calls.iter().flat_map(|c| referenced_users(&c.2)).collect();
    emu.seed(users.into_iter().map(SeedUser::new)).unwrap();
    // Reading a secret back needs one stored first.
    for call in &calls {
        if call.0 == "UsersManagementController_getOtpSecretByUser" {
            let user = referenced_users(&call.2).pop().unwrap();
            let import = json!({"list": [{"userId": user, "otp": {"secret": "JBSWY3DPEHPK3PXP"}}]});
            api(Some(&emu), &["import_otp", "--data", &import.to_string()])
                .await
                .expect(0);
        }
    }
    let before = emu.stats();

    let runs: Vec<(String, String, Run)> = futures::stream::iter(calls)
        .map(|(id, what, args)| {
            let emu = &emu;
            async move {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                (id, what, api(Some(emu), &args).await)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;

    let stats = emu.stats();
    let mut failures = Vec::new();
    let mut answers: std::collections::BTreeMap<String, usize> = Default::default();
    for (id, what, run) in &runs {
        let reached = stats.operation_total(id) > before.operation_total(id);
        if !reached {
            failures.push(format!(
                "{what}: never reached {id}: exit {}: {}",
                run.code,
                run.stderr.trim()
            ));
            continue;
        }
        if run.code == 0 {
            match serde_json::from_str::<Value>(&run.stdout) {
                Ok(answer) if answer["statusCode"] == 200 => {
                    *answers.entry("exit 0, statusCode 200".into()).or_default() += 1
                }
                Ok(answer) => failures.push(format!("{what}: exit 0 with {answer}")),
                Err(e) => failures.push(format!("{what}: stdout is not JSON ({e})")),
            }
            continue;
        }
        // The emulator's business answers to the document's example ids (not found,
        // already exists) and its 501 for a feature it does not model (list-users'
        // `searchQuery`) are answers: it validated the request against the document
        // first. The CLI reports them as Authing's errors, field by field, exit 3.
        let business = ["404", "409", "501"]
            .into_iter()
            .find(|code| run.stderr.contains(&format!("\nstatusCode: {code}\n")));
        match business {
            Some(code)
                if run.code == API_ERROR
                    && run.stdout.is_empty()
                    && run.stderr.contains("\nmessage: ")
                    && run.stderr.contains("\nrequestId: ") =>
            {
                *answers
                    .entry(format!("exit 3, statusCode {code}"))
                    .or_default() += 1
            }
            _ => failures.push(format!("{what}: exit {}: {}", run.code, run.stderr.trim())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        stats.unmatched, before.unmatched,
        "every call reached its own operation"
    );
    assert_eq!(answers.values().sum::<usize>(), 511);
    eprintln!("511 operations called through `authing api`: {answers:?}");
}

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
    for field in ["statusCode: 404", "message: ", "requestId: "] {
        assert!(run.stderr.contains(field), "{field}: {}", run.stderr);
    }
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
