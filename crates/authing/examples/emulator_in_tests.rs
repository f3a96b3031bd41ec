//! Testing your own service's Authing code against the emulator, from your crate's
//! tests. Add the emulator as a dev-dependency (it is part of this repository, not
//! published):
//!
//! ```toml
//! [dev-dependencies]
//! authing-emulator = { git = "https://github.com/…/authing-rs" }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! Each test starts its own emulator on 127.0.0.1 (a free port, in-process, a few
//! milliseconds), seeds what it needs, and points an ordinary `ManagementClient` at
//! it. This file is such a test: `cargo test -p authing --example emulator_in_tests`
//! (CI runs it with the rest).

use authing::{ManagementClient, ResultExt};

/// Your service's code: the user with this e-mail, created when there is none.
pub async fn find_or_create_user(
    client: &ManagementClient,
    email: &str,
) -> Result<String, authing::Error> {
    let found = client
        .api()
        .get_user()
        .user_id(email)
        .user_id_type("email")
        .send()
        .await
        .checked();
    match found {
        // Every field inside `data` is optional in the SDK's types (real answers leave
        // out fields the document promises); Authing does send `userId`.
        Ok(user) => Ok(user.data.user_id.unwrap_or_default()),
        // Authing answers an unknown user with statusCode 404.
        Err(e) if e.status_code() == Some(404) => {
            let created = client
                .api()
                .create_user()
                .body_map(|body| body.email(email.to_string()))
                .send()
                .await
                .checked()?;
            Ok(created.data.user_id.unwrap_or_default())
        }
        Err(e) => Err(e),
    }
}

fn main() {
    eprintln!("this example is a test: cargo test -p authing --example emulator_in_tests");
}

#[cfg(test)]
mod tests {
    use super::*;
    use authing_emulator::{Config, Emulator, FaultRule, SeedUser};

    async fn emulator(users: Vec<SeedUser>) -> (Emulator, ManagementClient) {
        let emu = Emulator::start(Config {
            seed_users: users,
            ..Config::default()
        })
        .await
        .unwrap();
        let client = ManagementClient::builder()
            .host(emu.base_url())
            .access_key_id(emu.access_key_id())
            .access_key_secret(emu.access_key_secret())
            .build()
            .unwrap();
        (emu, client)
    }

    #[tokio::test]
    async fn an_existing_user_is_found_and_a_new_one_created_once() {
        let (emu, client) = emulator(vec![SeedUser::new("u-1").email("ada@example.com")]).await;

        assert_eq!(
            find_or_create_user(&client, "ada@example.com")
                .await
                .unwrap(),
            "u-1"
        );
        let new = find_or_create_user(&client, "grace@example.com")
            .await
            .unwrap();
        assert_eq!(
            find_or_create_user(&client, "grace@example.com")
                .await
                .unwrap(),
            new
        );
        // The emulator's state is there to assert on.
        assert_eq!(emu.export().len(), 2);
    }

    #[tokio::test]
    async fn an_outage_on_one_call_is_retried_by_the_client() {
        let (emu, client) = emulator(vec![SeedUser::new("u-1").email("ada@example.com")]).await;
        // The next lookup answers HTTP 503 once: the client tries again by itself.
        emu.add_fault_rule(FaultRule::new(authing_emulator::operation::GET_USER, 503).count(1))
            .unwrap();

        assert_eq!(
            find_or_create_user(&client, "ada@example.com")
                .await
                .unwrap(),
            "u-1"
        );
        let lookups = emu
            .requests()
            .iter()
            .filter(|r| r.operation.as_deref() == Some(authing_emulator::operation::GET_USER))
            .count();
        assert_eq!(lookups, 2);
    }

    #[tokio::test]
    async fn a_business_error_reaches_the_caller_with_its_details() {
        let (emu, client) = emulator(vec![]).await;
        let rule = FaultRule::new(authing_emulator::operation::CREATE_USER, 200)
            .body(serde_json::json!({"statusCode": 400, "apiCode": 2026, "message": "bad e-mail"}));
        emu.add_fault_rule(rule).unwrap();

        let err = find_or_create_user(&client, "x@example.com")
            .await
            .unwrap_err();
        assert_eq!(err.status_code(), Some(400));
        assert_eq!(err.api_code(), Some(2026));
        assert!(!err.is_retryable());
    }
}
