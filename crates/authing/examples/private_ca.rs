//! A private deployment whose HTTPS certificate comes from its own certificate
//! authority: add that CA's certificate. TLS is verified either way; there is no
//! switch to turn verification off.
//!
//! ```sh
//! AUTHING_HOST=https://authing.internal.example AUTHING_CA_FILE=/etc/ssl/private-ca.pem \
//! AUTHING_ACCESS_KEY_ID=… AUTHING_ACCESS_KEY_SECRET=… cargo run -p authing --example private_ca
//! ```

use authing::ManagementClient;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let Some(ca_file) = std::env::var_os("AUTHING_CA_FILE") else {
        eprintln!("error: AUTHING_CA_FILE is not set (a PEM file of the deployment's CA)");
        return ExitCode::from(78);
    };
    let pem = match std::fs::read(&ca_file) {
        Ok(pem) => pem,
        Err(e) => {
            eprintln!("error: AUTHING_CA_FILE {}: {e}", ca_file.to_string_lossy());
            return ExitCode::from(66);
        }
    };
    // Trusted in addition to the system's roots. A file that is not PEM is an error
    // of `build`.
    let client = match ManagementClient::builder_from_env()
        .map(|builder| builder.add_root_certificate_pem(pem))
        .and_then(|builder| builder.build())
    {
        Ok(client) => client,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(78);
        }
    };
    // Fetches a management token: the TLS handshake and the access key, checked now.
    match client.check_credentials().await {
        Ok(()) => {
            println!("connected to {} over verified TLS", client.host());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
