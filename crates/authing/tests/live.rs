//! Read-only checks against a real Authing user pool. Ignored by a plain `cargo test`
//! (so a run without credentials shows them as ignored, not as passed);
//! scripts/test.sh runs them with `--ignored` when `AUTHING_LIVE_ACCESS_KEY_ID` and
//! `AUTHING_LIVE_ACCESS_KEY_SECRET` are set (and `AUTHING_LIVE_HOST` for a private
//! deployment). Run with `--ignored` but without credentials, they fail saying why.
//! Nothing is written to the pool.

use authing::{AuthMode, ManagementClient, ResultExt};

fn live_client(mode: AuthMode) -> ManagementClient {
    let id = std::env::var("AUTHING_LIVE_ACCESS_KEY_ID").ok();
    let secret = std::env::var("AUTHING_LIVE_ACCESS_KEY_SECRET").ok();
    let (Some(id), Some(secret)) = (id, secret) else {
        panic!(
            "set AUTHING_LIVE_ACCESS_KEY_ID and AUTHING_LIVE_ACCESS_KEY_SECRET \
             (and AUTHING_LIVE_HOST) to run the live checks against a real user pool"
        );
    };
    let mut builder = ManagementClient::builder()
        .access_key_id(id)
        .access_key_secret(secret)
        .auth_mode(mode);
    if let Ok(host) = std::env::var("AUTHING_LIVE_HOST") {
        builder = builder.host(host);
    }
    builder.build().expect("live client settings")
}

#[tokio::test]
#[ignore = "needs a real user pool: AUTHING_LIVE_ACCESS_KEY_ID/SECRET, run with --ignored"]
async fn live_pool_lists_users_in_both_auth_modes() {
    for mode in [AuthMode::Token, AuthMode::Signature] {
        let client = live_client(mode);
        client
            .check_credentials()
            .await
            .expect("access key accepted");
        let page = client
            .api()
            .list_users()
            .send()
            .await
            .checked()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert!(page.data.total_count.unwrap_or_default() >= 0);
    }
}
