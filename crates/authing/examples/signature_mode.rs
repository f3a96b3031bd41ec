//! Signature mode: every request signed with the access key secret (HMAC-SHA1, as
//! Authing's SDKs do it) instead of carrying a management token.
//!
//! ```sh
//! AUTHING_ACCESS_KEY_ID=… AUTHING_ACCESS_KEY_SECRET=… [AUTHING_HOST=https://…] \
//!     cargo run -p authing --example signature_mode
//! ```
//!
//! `AUTHING_AUTH_MODE=signature` does the same for any program using
//! `ManagementClient::from_env`.

use authing::{AuthMode, ManagementClient, ResultExt};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // The variables first, then the setter: a setter called later wins.
    let client = match ManagementClient::builder_from_env()
        .map(|builder| builder.auth_mode(AuthMode::Signature))
        .and_then(|builder| builder.build())
    {
        Ok(client) => client,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(78);
        }
    };
    // One page of users, signed; no token is fetched or cached in this mode.
    match client
        .api()
        .list_users_legacy()
        .page(1)
        .limit(10)
        .send()
        .await
        .checked()
    {
        Ok(page) => {
            let users = page.data.list.unwrap_or_default();
            println!(
                "signed request answered: {} users on the first page",
                users.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
