//! Walk every user of a user pool as one stream, a page at a time.
//!
//! ```sh
//! AUTHING_ACCESS_KEY_ID=… AUTHING_ACCESS_KEY_SECRET=… [AUTHING_HOST=https://…] \
//!     cargo run -p authing --example list_users
//! ```
//!
//! Prints one line per user (`userId`, e-mail) and the count on stderr. A page that
//! fails after the client's retries ends the walk with that error: a list is never
//! silently cut short.

use authing::{ManagementClient, Paginate};
use futures::TryStreamExt;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let client = match ManagementClient::from_env() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(78);
        }
    };
    // 50 a page: the most `list_users` accepts (a larger size is lowered to it).
    let mut users = client.api().list_users().paginate_by(50);
    let mut count = 0u64;
    loop {
        match users.try_next().await {
            Ok(Some(user)) => {
                count += 1;
                println!(
                    "{}\t{}",
                    user.user_id.as_deref().unwrap_or("-"),
                    user.email.as_deref().unwrap_or("-")
                );
            }
            Ok(None) => break,
            Err(e) => {
                eprintln!("error after {count} users: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    eprintln!("{count} users");
    ExitCode::SUCCESS
}
