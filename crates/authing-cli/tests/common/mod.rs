//! What the end-to-end tests share: an emulator in the test process, the real
//! `authing` binary pointed at it, and ways to read what it did.
#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use authing_cli::base32;
use authing_emulator::{Config, Emulator, SeedUser};

/// A fresh random base32 secret of `bytes` bytes (160 bits by default in tests).
pub fn secret(bytes: usize) -> String {
    let raw: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    base32::encode(&raw)
}

pub fn recovery_code() -> String {
    let parts: Vec<String> = (0..6)
        .map(|_| format!("{:04x}", rand::random::<u16>()))
        .collect();
    parts.join("-")
}

pub async fn emulator(users: impl IntoIterator<Item = SeedUser>) -> Emulator {
    let emu = Emulator::start(Config::default()).await.expect("emulator");
    emu.seed(users).expect("seed");
    emu
}

pub fn user_ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:05}")).collect()
}

/// The binary without credentials and nothing inherited that could interfere.
pub fn plain_command(args: &[&str]) -> tokio::process::Command {
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
    cmd
}

/// The binary with credentials for `emu` and nothing inherited that could interfere.
pub fn command(emu: &Emulator, args: &[&str]) -> tokio::process::Command {
    let mut cmd = plain_command(args);
    cmd.env("AUTHING_HOST", emu.base_url())
        .env("AUTHING_ACCESS_KEY_ID", emu.access_key_id())
        .env("AUTHING_ACCESS_KEY_SECRET", emu.access_key_secret());
    cmd
}

pub async fn run(emu: &Emulator, args: &[&str]) -> Output {
    let out = command(emu, args).output().await.expect("run authing");
    assert_ne!(
        out.status.code(),
        Some(101),
        "panicked: {}",
        text(&out.stderr)
    );
    out
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

pub fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The emulator's view: user id -> (secret, recovery code).
pub fn otp_state(emu: &Emulator) -> std::collections::BTreeMap<String, (String, Option<String>)> {
    emu.export()
        .into_iter()
        .filter_map(|u| u.otp.map(|o| (u.user_id, (o.secret, o.recovery_code))))
        .collect()
}

/// The summary object of a `--json` run.
pub fn json_summary(out: &Output) -> serde_json::Value {
    let stdout = text(&out.stdout);
    let last = stdout.lines().last().expect("a summary line");
    let v: serde_json::Value = serde_json::from_str(last).expect("json");
    assert_eq!(v["type"], "summary");
    v
}

pub fn json_problems(out: &Output) -> Vec<serde_json::Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "problem")
        .collect()
}

/// The arguments of `authing otp import FILE FLAGS...`.
pub fn import_args<'a>(file: &'a Path, flags: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["otp", "import", p(file)];
    args.extend_from_slice(flags);
    args
}

/// `authing otp import FILE FLAGS...`, ready to spawn.
pub fn import_command(emu: &Emulator, file: &Path, flags: &[&str]) -> tokio::process::Command {
    command(emu, &import_args(file, flags))
}

/// Runs `authing otp import FILE FLAGS...` to the end.
pub async fn import(emu: &Emulator, file: &Path, flags: &[&str]) -> Output {
    run(emu, &import_args(file, flags)).await
}

/// The run exited with `expected`; its stderr is shown otherwise.
#[track_caller]
pub fn assert_exit(out: &Output, expected: i32) {
    assert_eq!(code(out), expected, "{}", text(&out.stderr));
}

/// Waits (20 s at most) until the journal has at least `lines` lines.
pub async fn wait_for_journal_lines(journal: &Path, lines: usize) {
    let started = Instant::now();
    while std::fs::read_to_string(journal)
        .map(|t| t.lines().count())
        .unwrap_or(0)
        < lines
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "journal never grew"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A CSV of `n` seeded users with random secrets: (file, ids, secrets).
pub async fn seeded_file(
    dir: &Path,
    prefix: &str,
    n: usize,
) -> (Emulator, PathBuf, Vec<String>, Vec<String>) {
    let ids = user_ids(prefix, n);
    let emu = emulator(ids.iter().map(SeedUser::new)).await;
    let secrets: Vec<String> = (0..n).map(|_| secret(20)).collect();
    let mut content = String::from("userId,secret\n");
    for (id, s) in ids.iter().zip(&secrets) {
        content.push_str(&format!("{id},{s}\n"));
    }
    let file = write(dir, "users.csv", &content);
    (emu, file, ids, secrets)
}

/// `users.csv` with one record, for user `u1`.
pub fn one_record(dir: &Path) -> PathBuf {
    write(
        dir,
        "users.csv",
        &format!("userId,secret\nu1,{}\n", secret(20)),
    )
}

pub fn assert_state_is(emu: &Emulator, ids: &[String], secrets: &[String]) {
    let state = otp_state(emu);
    assert_eq!(state.len(), ids.len());
    for (id, s) in ids.iter().zip(secrets) {
        assert_eq!(&state[id].0, s, "{id}");
    }
}

/// Every record of a `--json` summary is counted exactly once.
#[track_caller]
pub fn assert_counts_add_up(summary: &serde_json::Value, records: u64) {
    let sum: u64 = [
        "imported",
        "alreadyImported",
        "invalid",
        "userNotFound",
        "failed",
        "notSent",
    ]
    .iter()
    .map(|k| summary[*k].as_u64().unwrap())
    .sum();
    assert_eq!(summary["records"], records);
    assert_eq!(sum, records, "counts add up: {summary}");
}

/// No secret (nor its first 16 characters) in any of `outputs`.
#[track_caller]
pub fn assert_no_secret(outputs: &[&str], secrets: &[String]) {
    for hay in outputs {
        for s in secrets {
            assert!(!hay.contains(&s[..16]), "secret leaked");
        }
    }
}
