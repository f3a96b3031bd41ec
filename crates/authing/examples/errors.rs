//! What an error tells you: Authing's `statusCode`, `apiCode`, `message` and
//! `requestId`, whether it is worth trying again, and when.
//!
//! ```sh
//! AUTHING_ACCESS_KEY_ID=… AUTHING_ACCESS_KEY_SECRET=… [AUTHING_HOST=https://…] \
//!     cargo run -p authing --example errors -- [USER_ID]
//! ```
//!
//! Looks up a user (by default one that does not exist) and explains the answer.
//! The client has already retried what is safe to retry before an error comes back,
//! and neither `Display` nor `Debug` of an error ever shows a body, a secret or a token.

use authing::{ManagementClient, ResultExt};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let user_id = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "000000000000000000000000".to_string());
    let client = match ManagementClient::from_env() {
        Ok(client) => client,
        Err(e) => {
            // Configuration errors name the variable or setting and why.
            eprintln!("error: {e}");
            return ExitCode::from(78);
        }
    };
    match client
        .api()
        .get_user()
        .user_id(&user_id)
        .send()
        .await
        .checked()
    {
        Ok(user) => {
            println!("found {}", user.data.user_id.unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) if e.is_auth() => {
            eprintln!("the access key was refused: {e}");
            ExitCode::from(77)
        }
        Err(e) if e.api_error().is_some() => {
            // A business answer: HTTP 200 with statusCode != 200 (404: no such user).
            println!("statusCode: {:?}", e.status_code());
            println!("apiCode:    {:?}", e.api_code());
            println!("message:    {:?}", e.message());
            println!("requestId:  {:?}", e.request_id());
            println!("retryable:  {}", e.is_retryable());
            ExitCode::SUCCESS
        }
        Err(e) if e.is_retryable() => {
            // Throttling, an outage or a network failure that outlived the retries.
            let after = e
                .retry_after()
                .map(|d| format!(" (Authing asks to wait {d:?})"));
            eprintln!("try again later{}: {e}", after.unwrap_or_default());
            ExitCode::from(69)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
