//! Read-only checks against a real Authing user pool. They run only when
//! `AUTHING_LIVE_ACCESS_KEY_ID` and `AUTHING_LIVE_ACCESS_KEY_SECRET` are set (and
//! `AUTHING_LIVE_HOST` for a private deployment); otherwise they print why they are
//! skipped. Nothing is written to the pool.

use authing::{AuthMode, ManagementClient, ResultExt};

fn live_client(mode: AuthMode) -> Option<ManagementClient> {
    let id = std::env::var("AUTHING_LIVE_ACCESS_KEY_ID").ok();
    let secret = std::env::var("AUTHING_LIVE_ACCESS_KEY_SECRET").ok();
    let (Some(id), Some(secret)) = (id, secret) else {
        eprintln!(
            "skipped: set AUTHING_LIVE_ACCESS_KEY_ID and AUTHING_LIVE_ACCESS_KEY_SECRET \
             (and AUTHING_LIVE_HOST) to run the live checks against a real user pool"
        );
        return None;
    };
    let mut builder = ManagementClient::builder()
        .access_key_id(id)
        .access_key_secret(secret)
        .auth_mode(mode);
    if let Ok(host) = std::env::var("AUTHING_LIVE_HOST") {
        builder = builder.host(host);
    }
    Some(builder.build().expect("live client settings"))
}

#[tokio::test]
async fn live_pool_lists_users_in_both_auth_modes() {
    for mode in [AuthMode::Token, AuthMode::Signature] {
        let Some(client) = live_client(mode) else {
            return;
        };
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
