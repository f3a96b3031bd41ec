//! Authing's documented `ManagementClient.importOtp` example (a fixed user id, secret and
//! recovery code), in Rust.
//!
//! ```sh
//! AUTHING_ACCESS_KEY_ID=… AUTHING_ACCESS_KEY_SECRET=… [AUTHING_HOST=https://…] \
//! [AUTHING_AUTH_MODE=signature] cargo run -p authing --example import_otp
//! ```
//!
//! Exits 0 only when Authing answers statusCode 200.

use authing::{ManagementClient, OtpImport};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // RUST_LOG=authing=debug shows one span per request attempt (never a secret).
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let client = match ManagementClient::from_env() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(78);
        }
    };
    let item = OtpImport::new("635215b413xxxxf5f63c511a", "HZ2F6J3AGNAVSOTV")
        .with_recovery_code("b471-8ec0-874a-087f-bccb-cd54");
    match client.import_otp(&[item]).await {
        Ok(response) => {
            println!("{response:#?}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
