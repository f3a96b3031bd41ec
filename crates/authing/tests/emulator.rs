//! The client against the local emulator, in both auth modes, as a user would use it.

use authing::{types, AuthMode, ManagementClient, OtpImport, ResultExt};
use authing_emulator::{operation, Config, Emulator, Faults, SeedUser};
use std::time::Duration;

const SEED_USER: &str = "635215b413xxxxf5f63c511a";

async fn emulator(token_ttl: Duration) -> Emulator {
    Emulator::start(Config {
        faults: Faults {
            token_ttl_secs: Some(token_ttl.as_secs()),
            ..Faults::default()
        },
        seed_users: vec![
            SeedUser::new(SEED_USER).email("seed@example.com"),
            SeedUser::new("user-2").username("bob"),
        ],
        ..Config::default()
    })
    .await
    .unwrap()
}

fn client(emu: &Emulator, mode: AuthMode) -> ManagementClient {
    ManagementClient::builder()
        .access_key_id(emu.access_key_id())
        .access_key_secret(emu.access_key_secret())
        .host(emu.base_url())
        .auth_mode(mode)
        .build()
        .unwrap()
}

#[tokio::test]
async fn import_and_read_back_in_both_auth_modes() {
    for mode in [AuthMode::Token, AuthMode::Signature] {
        let emu = emulator(Duration::from_secs(7200)).await;
        let client = client(&emu, mode);
        client.check_credentials().await.unwrap();
        let resp = client
            .import_otp(&[
                OtpImport::new(SEED_USER, "HZ2F6J3AGNAVSOTV").with_recovery_code("b471-8ec0"),
                OtpImport::new("user-2", "JBSWY3DPEHPK3PXPJBSWY3DP"),
            ])
            .await
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert_eq!(resp.status_code, 200);
        assert_eq!(
            client
                .get_otp_secret(SEED_USER)
                .await
                .unwrap()
                .unwrap()
                .expose_secret(),
            "HZ2F6J3AGNAVSOTV"
        );

        let exported = emu.export();
        let seed = exported.iter().find(|u| u.user_id == SEED_USER).unwrap();
        let otp = seed.otp.as_ref().unwrap();
        assert_eq!(otp.secret, "HZ2F6J3AGNAVSOTV");
        assert_eq!(otp.recovery_code.as_deref(), Some("b471-8ec0"));

        // Any generated operation works with auth applied.
        let user = client
            .api()
            .get_user()
            .user_id("bob")
            .user_id_type(types::GetUserUserIdType::Username)
            .send()
            .await
            .checked()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert_eq!(user.data.user_id.as_deref(), Some("user-2"));
        let mfa = client
            .api()
            .get_user_mfa_info()
            .user_id(SEED_USER)
            .send()
            .await
            .checked()
            .unwrap();
        assert_eq!(mfa.data.totp_status.as_deref(), Some("enabled"));
    }
}

#[tokio::test]
async fn unknown_users_are_business_errors_that_name_the_user() {
    for mode in [AuthMode::Token, AuthMode::Signature] {
        let emu = emulator(Duration::from_secs(7200)).await;
        let err = client(&emu, mode)
            .import_otp(&[
                OtpImport::new(SEED_USER, "HZ2F6J3AGNAVSOTV"),
                OtpImport::new("nobody-here", "HZ2F6J3AGNAVSOTV"),
            ])
            .await
            .unwrap_err();
        assert_eq!(err.status_code(), Some(404), "{mode:?}: {err}");
        assert_eq!(err.api_code(), Some(2004));
        assert!(err.message().unwrap().contains("nobody-here"));
        assert!(err.request_id().is_some());
        assert!(
            emu.export().iter().all(|u| u.otp.is_none()),
            "nothing applied"
        );
    }
}

#[tokio::test]
async fn wrong_credentials_are_auth_errors_in_both_modes() {
    let emu = emulator(Duration::from_secs(7200)).await;
    for mode in [AuthMode::Token, AuthMode::Signature] {
        let client = ManagementClient::builder()
            .access_key_id(emu.access_key_id())
            .access_key_secret("not-the-secret")
            .host(emu.base_url())
            .auth_mode(mode)
            .build()
            .unwrap();
        let err = client
            .import_otp(&[OtpImport::new(SEED_USER, "HZ2F6J3AGNAVSOTV")])
            .await
            .unwrap_err();
        assert!(err.is_auth(), "{mode:?}: {err:?}");
        assert!(!format!("{err} {err:?}").contains("not-the-secret"));
    }
}

#[tokio::test]
async fn an_expired_token_is_replaced_transparently() {
    let emu = emulator(Duration::from_secs(1)).await;
    let client = client(&emu, AuthMode::Token);
    let item = [OtpImport::new(SEED_USER, "HZ2F6J3AGNAVSOTV")];
    client.import_otp(&item).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    client.import_otp(&item).await.unwrap();
    let stats = emu.stats();
    assert_eq!(stats.operation_total(operation::IMPORT_OTP), 2);
}

/// Where cargo put the example binaries of this package.
fn example(name: &str) -> std::path::PathBuf {
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    deps.parent().unwrap().join("examples").join(name)
}

#[tokio::test]
async fn the_import_otp_example_works_against_any_compatible_host() {
    let bin = example("import_otp");
    assert!(
        bin.exists(),
        "{} not built (cargo test builds examples)",
        bin.display()
    );
    for mode in ["token", "signature"] {
        let emu = emulator(Duration::from_secs(7200)).await;
        let out = tokio::process::Command::new(&bin)
            .env("AUTHING_ACCESS_KEY_ID", emu.access_key_id())
            .env("AUTHING_ACCESS_KEY_SECRET", emu.access_key_secret())
            .env("AUTHING_HOST", emu.base_url())
            .env("AUTHING_AUTH_MODE", mode)
            .env("RUST_LOG", "trace")
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{mode}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("status_code: 200"), "{stdout}");
        // Even at trace level nothing secret is printed: not the OTP secret or
        // recovery code, not the access key secret, not a token (JWTs start `eyJ`).
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("authing.request"),
            "one span per attempt is logged"
        );
        let all = format!("{stdout}{stderr}");
        for secret in [
            "HZ2F6J3AGNAVSOTV",
            "b471-8ec0-874a-087f-bccb-cd54",
            emu.access_key_secret(),
            "eyJ",
        ] {
            assert!(!all.contains(secret), "{mode}: {secret} printed");
        }
        let user = emu
            .export()
            .into_iter()
            .find(|u| u.user_id == SEED_USER)
            .unwrap();
        assert_eq!(user.otp.unwrap().secret, "HZ2F6J3AGNAVSOTV");
    }
    // A refused key: non-zero exit, and the secret is nowhere in the output.
    let emu = emulator(Duration::from_secs(7200)).await;
    let out = tokio::process::Command::new(&bin)
        .env("AUTHING_ACCESS_KEY_ID", emu.access_key_id())
        .env("AUTHING_ACCESS_KEY_SECRET", "wrong-secret-value")
        .env("AUTHING_HOST", emu.base_url())
        .env("RUST_LOG", "trace")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("authentication failed"), "{all}");
    assert!(!all.contains("wrong-secret-value"));
    // Missing configuration: exit 78 naming the variable.
    let out = tokio::process::Command::new(&bin)
        .env_remove("AUTHING_ACCESS_KEY_ID")
        .env("AUTHING_ACCESS_KEY_SECRET", "x")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AUTHING_ACCESS_KEY_ID is not set"));
}
