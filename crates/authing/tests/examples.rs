//! The examples in crates/authing/examples/ run against the emulator as a reader
//! would run them: the built example binary, with the `AUTHING_*` variables pointing
//! at an emulator on 127.0.0.1 (through a TLS proxy with a private CA for
//! `private_ca`). `cargo test` builds the examples before it runs this file.

use authing_emulator::operation::GET_MANAGEMENT_TOKEN;
use authing_emulator::{Config, Emulator, SeedUser};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

#[path = "support/private_ca.rs"]
mod private_ca;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// The built example, next to this test's own binary (target/debug/examples/).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built: `cargo test -p authing` builds the examples (`--test examples` alone does not)",
        path.display()
    );
    path
}

async fn run(name: &str, args: &[&str], env: &[(&str, String)]) -> Run {
    let mut command = tokio::process::Command::new(example(name));
    command.args(args).env_clear();
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().await.unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

async fn emulator(users: Vec<SeedUser>) -> Emulator {
    Emulator::start(Config {
        seed_users: users,
        ..Config::default()
    })
    .await
    .unwrap()
}

fn env_for(emu: &Emulator) -> Vec<(&'static str, String)> {
    vec![
        ("AUTHING_HOST", emu.base_url()),
        ("AUTHING_ACCESS_KEY_ID", emu.access_key_id().to_string()),
        (
            "AUTHING_ACCESS_KEY_SECRET",
            emu.access_key_secret().to_string(),
        ),
    ]
}

#[tokio::test]
async fn list_users_prints_every_user_once_across_pages() {
    let ids: BTreeSet<String> = (0..120).map(|i| format!("user-{i:03}")).collect();
    let emu = emulator(
        ids.iter()
            .map(|id| SeedUser::new(id).email(format!("{id}@example.com")))
            .collect(),
    )
    .await;
    let out = run("list_users", &[], &env_for(&emu)).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let printed: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(printed.len(), 120, "three pages of 50, each user once");
    assert_eq!(
        printed
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
        ids
    );
    assert!(out.stdout.contains("user-007\tuser-007@example.com"));
    assert_eq!(out.stderr.trim(), "120 users");
}

#[tokio::test]
async fn create_user_and_role_gives_the_new_user_the_role() {
    let emu = emulator(vec![]).await;
    let out = run("create_user_and_role", &["ada", "reader"], &env_for(&emu)).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let user_id = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("created user "))
        .expect("the new user's id")
        .to_string();
    assert!(out.stdout.contains("created role reader"), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("{user_id} has role reader")),
        "{}",
        out.stdout
    );
    assert!(emu.export().iter().any(|u| u.user_id == user_id));

    // Without its two arguments it says how to call it.
    let out = run("create_user_and_role", &[], &env_for(&emu)).await;
    assert_eq!(out.code, Some(64));
    assert!(out.stderr.contains("usage"), "{}", out.stderr);
}

#[tokio::test]
async fn errors_explains_an_unknown_user() {
    let emu = emulator(vec![SeedUser::new("u-1")]).await;
    let out = run("errors", &[], &env_for(&emu)).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("statusCode: Some(404)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("retryable:  false"), "{}", out.stdout);
    let request_id = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("requestId:  Some(\""))
        .expect("a request id");
    assert!(request_id.len() > 10, "{request_id}");

    let out = run("errors", &["u-1"], &env_for(&emu)).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "found u-1");

    // A refused key is said to be one, and nothing shows the secret.
    let mut wrong = env_for(&emu);
    wrong[2].1 = "not-the-secret-0123456789".to_string();
    let out = run("errors", &[], &wrong).await;
    assert_eq!(out.code, Some(77), "{}", out.stderr);
    assert!(
        out.stderr.contains("access key was refused"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("not-the-secret"), "{}", out.stderr);

    // Without credentials: a configuration error naming the variable.
    let out = run("errors", &[], &[]).await;
    assert_eq!(out.code, Some(78));
    assert!(
        out.stderr.contains("AUTHING_ACCESS_KEY_ID"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn signature_mode_signs_instead_of_fetching_a_token() {
    let emu = emulator((0..3).map(|i| SeedUser::new(format!("u-{i}"))).collect()).await;
    let out = run("signature_mode", &[], &env_for(&emu)).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("3 users on the first page"),
        "{}",
        out.stdout
    );
    let requests = emu.requests();
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| r.operation.as_deref() != Some(GET_MANAGEMENT_TOKEN)),
        "no token is fetched in signature mode"
    );
}

#[tokio::test]
async fn import_otp_stores_authings_documented_example() {
    let emu = emulator(vec![SeedUser::new("635215b413xxxxf5f63c511a")]).await;
    let out = run("import_otp", &[], &env_for(&emu)).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let user = emu.export().into_iter().next().unwrap();
    let otp = user.otp.expect("the secret is stored");
    assert_eq!(otp.secret, "HZ2F6J3AGNAVSOTV");
    assert!(!out.stdout.contains("HZ2F6J3AGNAVSOTV") && !out.stderr.contains("HZ2F6J3AGNAVSOTV"));
}

/// A TLS front for the emulator with a private CA's certificate, as a private
/// deployment has. Returns its https URL.
async fn tls_proxy(emu: &Emulator, server: Arc<rustls::ServerConfig>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let backend = emu.local_addr();
    let acceptor = tokio_rustls::TlsAcceptor::from(server);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return; // the client refused the certificate
                };
                let mut plain = tokio::net::TcpStream::connect(backend).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    url
}

#[tokio::test]
async fn private_ca_connects_only_with_the_deployments_ca() {
    let emu = emulator(vec![]).await;
    let ca = private_ca::private_ca();
    let url = tls_proxy(&emu, ca.server.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("private-ca.pem");
    std::fs::write(&ca_file, &ca.ca_pem).unwrap();
    let other_file = dir.path().join("other-ca.pem");
    std::fs::write(&other_file, private_ca::private_ca().ca_pem).unwrap();

    let mut env = env_for(&emu);
    env[0].1 = url.clone();
    env.push(("AUTHING_CA_FILE", ca_file.display().to_string()));
    let out = run("private_ca", &[], &env).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stdout.trim(),
        format!("connected to {url} over verified TLS")
    );

    // Another CA: the handshake fails, nothing is sent.
    let served = emu.requests().len();
    env.last_mut().unwrap().1 = other_file.display().to_string();
    let out = run("private_ca", &[], &env).await;
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    assert_eq!(emu.requests().len(), served);
}
