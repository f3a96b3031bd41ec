//! End-to-end tests: the real `authing` binary against an emulator started in the
//! test process, checked through the emulator's export and request statistics.

mod common;

use authing_cli::base32;
use authing_emulator::operation::{GET_USER as GET_USER_OP, IMPORT_OTP as IMPORT_OP};
use authing_emulator::SeedUser;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_with_user_ids_emails_and_recovery_codes() {
    let emu = emulator([
        SeedUser::new("u1"),
        SeedUser::new("u2"),
        SeedUser::new("u3").email("carol@example.com"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (s1, s2, s3) = (secret(20), secret(20), secret(20));
    let rc = recovery_code();
    // Lower case with spaces and padding: normalised before sending.
    let s2_messy = format!("{} {}==", &s2[..16].to_lowercase(), &s2[16..]);
    let file = write(
        dir.path(),
        "users.csv",
        &format!(
            "userId,email,secret,recoveryCode\nu1,,{s1},{rc}\nu2,,{s2_messy},\n,carol@example.com,{s3},\n"
        ),
    );
    let out = import(&emu, &file, &["--json", "--max-rps", "0"]).await;
    assert_exit(&out, 0);
    let summary = json_summary(&out);
    assert_eq!(summary["records"], 3);
    assert_eq!(summary["imported"], 3);

    let state = otp_state(&emu);
    assert_eq!(state["u1"], (s1, Some(rc)));
    assert_eq!(state["u2"], (s2, None));
    assert_eq!(state["u3"], (s3, None));
    // One import call for the whole batch; carol resolved by e-mail.
    let stats = emu.stats();
    assert_eq!(stats.operation_total(IMPORT_OP), 1);
    assert_eq!(stats.count(GET_USER_OP, "200"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_named_by_email_and_by_id_is_sent_once() {
    let emu = emulator([
        SeedUser::new("u1").email("alice@example.com"),
        SeedUser::new("u2"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (s1, s2, s3) = (secret(20), secret(20), secret(20));
    let file = write(
        dir.path(),
        "users.csv",
        &format!("userId,email,secret\nu1,,{s1}\nu2,,{s2}\n,alice@example.com,{s3}\n"),
    );
    let out = import(&emu, &file, &["--json", "--max-rps", "0"]).await;
    assert_exit(&out, 1);
    let summary = json_summary(&out);
    assert_eq!(summary["records"], 3);
    assert_eq!(summary["imported"], 2);
    let problems = json_problems(&out);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["line"], 4);
    assert!(
        problems[0]["reason"]
            .as_str()
            .unwrap()
            .contains("same Authing user as line 2"),
        "{problems:?}"
    );
    // The record named by id went in; the one that resolved to the same user did not.
    assert_eq!(otp_state(&emu)["u1"].0, s1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonl_import() {
    let emu = emulator([SeedUser::new("u1"), SeedUser::new("u2").username("bob")]).await;
    let dir = tempfile::tempdir().unwrap();
    let (s1, s2) = (secret(20), secret(32));
    let file = write(
        dir.path(),
        "users.ndjson",
        &format!(
            "{{\"userId\":\"u1\",\"secret\":\"{s1}\",\"recoveryCode\":\"r-1\"}}\n\n{{\"username\":\"bob\",\"secret\":\"{s2}\",\"digits\":6,\"period\":30,\"algorithm\":\"SHA1\"}}\n"
        ),
    );
    let out = import(&emu, &file, &["--max-rps", "0"]).await;
    assert_exit(&out, 0);
    let state = otp_state(&emu);
    assert_eq!(state["u1"], (s1, Some("r-1".to_string())));
    assert_eq!(state["u2"], (s2, None));
    assert!(text(&out.stdout).contains("all records imported"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otpauth_uri_list() {
    let emu = emulator([
        SeedUser::new("u1").email("alice@example.com"),
        SeedUser::new("u2").username("bob"),
        SeedUser::new("u3"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (s1, s2, s3) = (secret(20), secret(20), secret(20));
    let file = write(
        dir.path(),
        "uris.txt",
        &format!(
            "# exported from the old IdP\n\
             otpauth://totp/ACME:alice%40example.com?secret={s1}&issuer=ACME&algorithm=SHA1&digits=6&period=30\n\
             otpauth://totp/ACME:bob?secret={s2}&issuer=ACME\n\
             u3\totpauth://totp/ACME:whoever?secret={s3}\n"
        ),
    );
    let out = import(&emu, &file, &["--max-rps", "0"]).await;
    assert_exit(&out, 0);
    let state = otp_state(&emu);
    assert_eq!(state["u1"].0, s1);
    assert_eq!(state["u2"].0, s2);
    assert_eq!(state["u3"].0, s3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keycloak_export_secret_is_base32_encoded() {
    let emu = emulator([
        SeedUser::new("u1").username("alice"),
        SeedUser::new("u2").username("dave"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    // Keycloak keeps the raw secret; the authenticator holds its base32 encoding.
    let raw = "Xq3vLm9TzR2pWc8KbN4s";
    let file = write(
        dir.path(),
        "realm.json",
        &serde_json::json!({
            "realm": "acme",
            "users": [
                {"id": "kc-1", "username": "alice", "credentials": [
                    {"type": "password", "secretData": "{\"value\":\"x\"}", "credentialData": "{}"},
                    {"type": "otp", "secretData": serde_json::json!({"value": raw}).to_string(),
                     "credentialData": "{\"subType\":\"totp\",\"digits\":6,\"counter\":0,\"period\":30,\"algorithm\":\"HmacSHA1\"}"}
                ]},
                {"id": "kc-2", "username": "eve", "credentials": []},
                {"id": "kc-3", "username": "dave", "credentials": [
                    {"type": "otp", "secretData": serde_json::json!({"value": "Ab12Cd34Ef56Gh78Ij90"}).to_string(),
                     "credentialData": "{\"subType\":\"totp\",\"digits\":8,\"period\":30,\"algorithm\":\"HmacSHA256\"}"}
                ]}
            ]
        })
        .to_string(),
    );
    // dave's credential (8 digits, SHA256) cannot be carried: invalid, so nothing is sent.
    let out = import(&emu, &file, &["--max-rps", "0"]).await;
    assert_exit(&out, 65);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("realm.json:1: algorithm:"), "{stderr}");
    assert!(stderr.contains("realm.json:1: digits:"), "{stderr}");
    assert_eq!(emu.stats().operation_total(IMPORT_OP), 0);

    let out = import(&emu, &file, &["--max-rps", "0", "--skip-invalid", "--json"]).await;
    assert_exit(&out, 1);
    let summary = json_summary(&out);
    assert_eq!(summary["records"], 2, "users without OTP are not records");
    assert_eq!(summary["imported"], 1);
    assert_eq!(summary["invalid"], 1);
    let state = otp_state(&emu);
    assert_eq!(state["u1"].0, base32::encode(raw.as_bytes()));
    assert!(!state.contains_key("u2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_sends_nothing_and_names_lines() {
    let emu = emulator([
        SeedUser::new("u1"),
        SeedUser::new("u2"),
        SeedUser::new("u3"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let good = secret(20);
    let bad_char = format!("{}1", &secret(20)[..31]);
    let short = secret(8);
    let dup = secret(20);
    let content = format!(
        "userId,secret,recoveryCode,digits\n\
         u1,{good},,6\n\
         u2,{bad_char},,\n\
         u3,{short},,\n\
         u1,{dup},,\n\
         u3,{good},,8\n\
         ,{good},,\n"
    );
    let file = write(dir.path(), "bad.csv", &content);
    let report = dir.path().join("report.csv");
    let out = import(&emu, &file, &["--report", p(&report)]).await;
    assert_exit(&out, 65);
    let stderr = text(&out.stderr);
    let f = p(&file);
    for expected in [
        format!("{f}:3: secret: not base32: invalid character at position 32"),
        format!("{f}:4: secret: too short: 64 bits"),
        format!("{f}:2: userId: same user as line 5"),
        format!("{f}:5: userId: same user as line 2"),
        format!("{f}:6: digits: 8 cannot be imported"),
        format!("{f}:6: userId: same user as line 4"),
        format!("{f}:7: userId: no user identifier"),
    ] {
        assert!(
            stderr.contains(&expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
    assert!(text(&out.stdout).contains("nothing sent"));
    // Nothing was sent, not even a token request.
    assert_eq!(emu.stats().total, 0, "{:?}", emu.stats());
    assert!(otp_state(&emu).is_empty());
    // No journal was created.
    assert!(!dir.path().join("bad.csv.journal").exists());
    // The report lists every record that was not imported.
    let report_text = std::fs::read_to_string(&report).unwrap();
    assert!(report_text
        .starts_with("line,userId,email,username,phone,externalId,outcome,field,reason\n"));
    assert_eq!(report_text.lines().count(), 1 + 6, "{report_text}");
    for s in [&good, &bad_char, &short, &dup] {
        for hay in [&stderr, &text(&out.stdout), &report_text] {
            assert!(
                !hay.contains(s.as_str()) && !hay.contains(&s[..12]),
                "secret leaked"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_imports_nothing_but_finds_unknown_users() {
    let emu = emulator([SeedUser::new("u1").email("a@example.com")]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "users.csv",
        &format!(
            "email,secret\na@example.com,{}\nghost@example.com,{}\n",
            secret(20),
            secret(20)
        ),
    );
    let out = import(&emu, &file, &["--dry-run", "--json", "--max-rps", "0"]).await;
    assert_exit(&out, 1);
    let summary = json_summary(&out);
    assert_eq!(summary["dryRun"], true);
    assert_eq!(summary["userNotFound"], 1);
    assert_eq!(summary["notSent"], 1);
    let problems = json_problems(&out);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0]["line"], 3);
    assert_eq!(problems[0]["outcome"], "user_not_found");
    assert_eq!(problems[0]["field"], "email");
    let stats = emu.stats();
    assert_eq!(stats.operation_total(IMPORT_OP), 0);
    assert_eq!(stats.operation_total(GET_USER_OP), 2);
    assert!(otp_state(&emu).is_empty());
    assert!(!dir.path().join("users.csv.journal").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_user_is_isolated_and_the_rest_imported() {
    let ids = user_ids("u", 20);
    let emu = emulator(ids.iter().map(SeedUser::new)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut content = String::from("userId,secret\n");
    for (i, id) in ids.iter().enumerate() {
        content.push_str(&format!("{id},{}\n", secret(20)));
        if i == 12 {
            content.push_str(&format!("nobody,{}\n", secret(20)));
        }
    }
    let file = write(dir.path(), "users.csv", &content);
    let report = dir.path().join("report.csv");
    let out = import(
        &emu,
        &file,
        &[
            "--json",
            "--batch-size",
            "8",
            "--max-rps",
            "0",
            "--report",
            p(&report),
        ],
    )
    .await;
    assert_exit(&out, 1);
    let summary = json_summary(&out);
    assert_eq!(summary["records"], 21);
    assert_eq!(summary["imported"], 20);
    assert_eq!(summary["userNotFound"], 1);
    let problems = json_problems(&out);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0]["line"], 15);
    assert_eq!(problems[0]["userId"], "nobody");
    assert_eq!(problems[0]["outcome"], "user_not_found");
    assert_eq!(otp_state(&emu).len(), 20);
    let report_text = std::fs::read_to_string(&report).unwrap();
    assert!(
        report_text.contains("15,nobody,,,,,user_not_found,userId,user not found"),
        "{report_text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_then_resume_sends_only_unconfirmed_batches() {
    const N: usize = 300;
    const BATCH: usize = 10;
    let ids = user_ids("k", N);
    let emu = emulator(ids.iter().map(SeedUser::new)).await;
    let dir = tempfile::tempdir().unwrap();
    let secrets: Vec<String> = (0..N).map(|_| secret(20)).collect();
    let mut content = String::from("userId,secret,recoveryCode\n");
    for (id, s) in ids.iter().zip(&secrets) {
        content.push_str(&format!("{id},{s},rc-{id}\n"));
    }
    let file = write(dir.path(), "users.csv", &content);
    let journal = dir.path().join("users.csv.journal");

    // Slow run: 8 requests/s, 30 batches; killed once a few batches are journaled.
    let mut child = import_command(
        &emu,
        &file,
        &["--batch-size", "10", "--concurrency", "2", "--max-rps", "8"],
    )
    .spawn()
    .unwrap();
    wait_for_journal_lines(&journal, 4).await;
    child.start_kill().unwrap(); // SIGKILL
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), None, "killed by a signal");

    let journal_text = std::fs::read_to_string(&journal).unwrap();
    let confirmed: usize = journal_text
        .lines()
        .skip(1)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| v["records"].as_array().unwrap().len())
        .sum();
    assert!((3 * BATCH..N).contains(&confirmed), "confirmed {confirmed}");
    for s in &secrets {
        assert!(!journal_text.contains(s.as_str()), "secret in the journal");
    }
    let imports_before = emu.stats().operation_total(IMPORT_OP);

    // Without --resume, the existing journal is refused.
    let out = import(&emu, &file, &[]).await;
    assert_exit(&out, 78);
    assert!(text(&out.stderr).contains("--resume"));

    let out = import(
        &emu,
        &file,
        &["--resume", "--batch-size", "10", "--max-rps", "0", "--json"],
    )
    .await;
    assert_exit(&out, 0);
    let summary = json_summary(&out);
    assert_eq!(summary["records"], N as u64);
    assert_eq!(summary["alreadyImported"], confirmed as u64);
    assert_eq!(summary["imported"], (N - confirmed) as u64);

    // No confirmed batch was sent again: the resumed run sent exactly the batches
    // needed for the unconfirmed records.
    let imports_after = emu.stats().operation_total(IMPORT_OP);
    assert_eq!(
        imports_after - imports_before,
        (N - confirmed).div_ceil(BATCH) as u64
    );

    // The emulator's state is exactly the input.
    let state = otp_state(&emu);
    assert_eq!(state.len(), N);
    for (id, s) in ids.iter().zip(&secrets) {
        assert_eq!(state[id], (s.clone(), Some(format!("rc-{id}"))), "{id}");
    }

    // A journal for a different file is refused.
    std::fs::write(&file, format!("{content}k99999,{},\n", secret(20))).unwrap();
    let out = import(&emu, &file, &["--resume"]).await;
    assert_exit(&out, 78);
    assert!(
        text(&out.stderr).contains("different input"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_catches_a_secret_changed_behind_our_back() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, file, _, secrets) = seeded_file(dir.path(), "v", 5).await;
    let out = import(&emu, &file, &["--verify", "--max-rps", "0"]).await;
    assert_exit(&out, 0);
    assert!(text(&out.stdout).contains("verified"));

    // Someone re-imports another secret for v00003.
    let other = secret(20);
    let client = authing::ManagementClient::builder()
        .access_key_id(emu.access_key_id())
        .access_key_secret(emu.access_key_secret())
        .host(emu.base_url())
        .build()
        .unwrap();
    client
        .import_otp(&[authing::OtpImport::new("v00003", other.as_str())])
        .await
        .unwrap();
    let imports = emu.stats().operation_total(IMPORT_OP);

    // Re-verification of the finished import: nothing is sent, the change is caught.
    let out = import(
        &emu,
        &file,
        &["--resume", "--verify", "--json", "--max-rps", "0"],
    )
    .await;
    assert_exit(&out, 1);
    assert_eq!(emu.stats().operation_total(IMPORT_OP), imports);
    let summary = json_summary(&out);
    assert_eq!(summary["alreadyImported"], 4);
    assert_eq!(summary["failed"], 1);
    assert_eq!(summary["verified"], 4);
    assert_eq!(summary["verifyFailed"], 1);
    let problems = json_problems(&out);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0]["line"], 5);
    assert_eq!(problems[0]["userId"], "v00003");
    assert!(problems[0]["reason"].as_str().unwrap().contains("differs"));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(&other) && !all.contains(&secrets[3]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_anywhere_even_with_trace_logging() {
    let emu = emulator([
        SeedUser::new("u1"),
        SeedUser::new("u2").email("b@example.com"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let secrets = [secret(20), secret(20), secret(20), secret(20)];
    let codes = [recovery_code(), recovery_code()];
    let file = write(
        dir.path(),
        "users.csv",
        &format!(
            "userId,email,secret,recoveryCode\nu1,,{},{}\n,b@example.com,{},{}\nghost,,{},\nu1,,{}x,\n",
            secrets[0], codes[0], secrets[1], codes[1], secrets[2], secrets[3]
        ),
    );
    let report = dir.path().join("report.csv");
    let mut cmd = import_command(
        &emu,
        &file,
        &[
            "--skip-invalid",
            "--verify",
            "--json",
            "--report",
            p(&report),
            "--max-rps",
            "0",
        ],
    );
    cmd.env("RUST_LOG", "trace");
    let out = cmd.output().await.unwrap();
    assert_exit(&out, 1);
    let stderr = text(&out.stderr);
    assert!(stderr.len() > 1000, "trace logging is on");
    let journal = std::fs::read_to_string(dir.path().join("users.csv.journal")).unwrap();
    let report_text = std::fs::read_to_string(&report).unwrap();
    let stdout = text(&out.stdout);
    for hay in [&stdout, &stderr, &journal, &report_text] {
        for s in &secrets {
            assert!(!hay.contains(s.as_str()), "secret leaked");
            assert!(!hay.contains(&s.to_lowercase()), "secret leaked");
            assert!(!hay.contains(&s[..16]), "secret fragment leaked");
        }
        for c in &codes {
            assert!(!hay.contains(c.as_str()), "recovery code leaked");
        }
    }
    // Dup of u1 (line 5) makes both u1 lines invalid; ghost is not found.
    let summary = json_summary(&out);
    assert_eq!(summary["imported"], 1);
    assert_eq!(summary["invalid"], 2);
    assert_eq!(summary["userNotFound"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_access_key_exits_77() {
    let emu = emulator([SeedUser::new("u1")]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = one_record(dir.path());
    let mut cmd = import_command(&emu, &file, &[]);
    cmd.env("AUTHING_ACCESS_KEY_SECRET", "not-the-secret");
    let out = cmd.output().await.unwrap();
    assert_exit(&out, 77);
    assert!(!text(&out.stderr).contains("not-the-secret"));
    assert_eq!(emu.stats().operation_total(IMPORT_OP), 0);
    // No journal is left behind that would demand --resume next time.
    assert!(!dir.path().join("users.csv.journal").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_follow_the_sdk_rules_and_flags_override_them() {
    let emu = emulator([SeedUser::new("u1")]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = one_record(dir.path());
    // Set but empty is an error naming the variable, as in the SDK.
    let mut cmd = import_command(&emu, &file, &["--dry-run"]);
    cmd.env("AUTHING_ACCESS_KEY_SECRET", "");
    let out = cmd.output().await.unwrap();
    assert_exit(&out, 78);
    assert!(
        text(&out.stderr).contains("AUTHING_ACCESS_KEY_SECRET is set but empty"),
        "{}",
        text(&out.stderr)
    );
    // A malformed AUTHING_AUTH_MODE too (even where a flag would override it).
    let mut cmd = import_command(&emu, &file, &["--dry-run"]);
    cmd.env("AUTHING_AUTH_MODE", "hmac");
    assert_exit(&cmd.output().await.unwrap(), 78);
    let secret_file = write(dir.path(), "secret.txt", emu.access_key_secret());
    let mut cmd = import_command(
        &emu,
        &file,
        &[
            "--auth-mode",
            "signature",
            "--access-key-secret-file",
            p(&secret_file),
            "--max-rps",
            "0",
        ],
    );
    cmd.env("AUTHING_AUTH_MODE", "token")
        .env("AUTHING_ACCESS_KEY_SECRET", "not-the-secret");
    let out = cmd.output().await.unwrap();
    assert_exit(&out, 0);
    // Signed requests, no token: the flags won over both variables.
    let stats = emu.stats();
    assert_eq!(stats.operation_total(IMPORT_OP), 1);
    assert_eq!(
        stats.operation_total(authing_emulator::operation::GET_MANAGEMENT_TOKEN),
        1,
        "only the key check fetches a token in signature mode"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_exit_78_and_unknown_extension_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = one_record(dir.path());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_authing"))
        .args(["otp", "import", p(&file)])
        .env_remove("AUTHING_ACCESS_KEY_ID")
        .env_remove("AUTHING_ACCESS_KEY_SECRET")
        .env_remove("AUTHING_HOST")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78), "{}", text(&out.stderr));
    let other = write(dir.path(), "users.dat", "x");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_authing"))
        .args(["otp", "import", p(&other), "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_authing"))
        .args(["otp", "import", "--help"])
        .output()
        .unwrap();
    let help = text(&help.stdout);
    for code in ["65", "69", "77", "78", "130"] {
        assert!(help.contains(code), "exit code {code} not in --help");
    }
}

#[cfg(feature = "rehearsal")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_emulator_runs_the_example() {
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/otp-users.csv");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_authing"))
        .args(["otp", "import", "--emulator", p(&example), "--max-rps", "0"])
        .env_remove("AUTHING_ACCESS_KEY_ID")
        .env_remove("AUTHING_ACCESS_KEY_SECRET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("all records imported"), "{stdout}");
    assert!(stdout.contains("verified"), "{stdout}");
    assert!(!example.with_extension("csv.journal").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_stdout_is_not_a_panic() {
    let emu = emulator([]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut content = String::from("userId,secret\n");
    for i in 0..200 {
        content.push_str(&format!("missing{i},{}\n", secret(20)));
    }
    let file = write(dir.path(), "users.csv", &content);
    let mut child = import_command(&emu, &file, &["--json", "--max-rps", "0"])
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away at once
    let out = child.wait_with_output().await.unwrap();
    assert_ne!(out.status.code(), Some(101), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_finishes_in_flight_batches_then_resume_completes() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, file, ids, secrets) = seeded_file(dir.path(), "c", 200).await;
    let journal = dir.path().join("users.csv.journal");
    let child = import_command(&emu, &file, &["--batch-size", "10", "--max-rps", "6"])
        .spawn()
        .unwrap();
    wait_for_journal_lines(&journal, 3).await;
    let pid = child.id().unwrap().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().await.unwrap();
    assert_exit(&out, 130);
    assert!(
        text(&out.stdout).contains("--resume"),
        "{}",
        text(&out.stdout)
    );
    // Everything Authing has is journaled (in-flight batches were waited for).
    let journaled: usize = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["records"]
                .as_array()
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(journaled, otp_state(&emu).len());
    assert!(journaled < 200);

    let out = import(&emu, &file, &["--resume", "--max-rps", "0", "--verify"]).await;
    assert_exit(&out, 0);
    assert_state_is(&emu, &ids, &secrets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_service_exits_69() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, file, _, _) = seeded_file(dir.path(), "x", 3).await;
    emu.set_faults(authing_emulator::Faults {
        fail_503: 1.0,
        ..Default::default()
    });
    let out = import(&emu, &file, &["--max-rps", "0", "--json"]).await;
    assert_exit(&out, 69);
    assert!(otp_state(&emu).is_empty());
    // --json readers still get a summary, with the error.
    let summary = json_summary(&out);
    assert_eq!(summary["exitCode"], 69);
    assert_eq!(summary["notSent"], 3);
    assert!(summary["error"].as_str().unwrap().contains("unavailable"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flaky_service_converges_with_resume() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, file, ids, secrets) = seeded_file(dir.path(), "f", 120).await;
    // Errors and lost responses (applied, then the connection drops): retried by the
    // client; whatever still fails is sent again by --resume.
    emu.set_faults(authing_emulator::Faults {
        fail_503: 0.15,
        fail_429: 0.1,
        fail_drop: 0.1,
        ..Default::default()
    });
    let mut last = None;
    for _ in 0..6 {
        let out = import(
            &emu,
            &file,
            &["--resume", "--batch-size", "10", "--max-rps", "0", "--json"],
        )
        .await;
        let c = code(&out);
        assert!(matches!(c, 0 | 1 | 69), "exit {c}: {}", text(&out.stderr));
        assert_counts_add_up(&json_summary(&out), 120);
        last = Some(c);
        if c == 0 {
            break;
        }
    }
    assert_eq!(last, Some(0));
    emu.set_faults(authing_emulator::Faults::default());
    assert_state_is(&emu, &ids, &secrets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torn_last_journal_line_is_ignored_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, file, ids, secrets) = seeded_file(dir.path(), "t", 6).await;
    let out = import(&emu, &file, &["--batch-size", "3", "--max-rps", "0"]).await;
    assert_exit(&out, 0);
    let journal = dir.path().join("users.csv.journal");
    let complete = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(complete.lines().count(), 3, "header + 2 batches");
    // Drop the last batch's line and leave half of it, as kill -9 mid-write would.
    let keep: Vec<&str> = complete.lines().take(2).collect();
    let last = complete.lines().nth(2).unwrap();
    std::fs::write(
        &journal,
        format!("{}\n{}", keep.join("\n"), &last[..last.len() / 2]),
    )
    .unwrap();

    let out = import(
        &emu,
        &file,
        &["--resume", "--batch-size", "3", "--max-rps", "0", "--json"],
    )
    .await;
    assert_exit(&out, 0);
    let summary = json_summary(&out);
    assert_eq!(summary["alreadyImported"], 3);
    assert_eq!(summary["imported"], 3);
    let repaired = std::fs::read_to_string(&journal).unwrap();
    assert!(repaired.ends_with('\n'));
    for line in repaired.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("every journal line is whole");
    }
    assert_state_is(&emu, &ids, &secrets);
}
