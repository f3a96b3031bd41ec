//! The client for a real user pool: the `authing` SDK's own reading of the
//! `AUTHING_*` variables (one set of rules for the SDK and the CLI), then the flags,
//! which win over the variables. `retry` is the command's: `otp import` makes one
//! attempt per call (its engine runs the attempt loop), `authing api` takes the SDK's
//! standard retries.

use authing::{ManagementClient, RetryConfig, Secret};

use crate::cli::ConnectionArgs;

/// What to say when a command needs a key and none is given.
pub const MISSING: &str = "no credentials: set AUTHING_ACCESS_KEY_ID and AUTHING_ACCESS_KEY_SECRET (or --access-key-id / --access-key-secret-file), or use --emulator";

/// `Ok(None)` when no access key is given at all (a dry run can do without); an
/// error naming the variable or flag that is wrong otherwise.
pub fn client(
    args: &ConnectionArgs,
    retry: RetryConfig,
) -> Result<Option<ManagementClient>, String> {
    let mut builder = ManagementClient::builder()
        .with_env()
        .map_err(|e| e.to_string())?
        .retry(retry);
    if let Some(id) = &args.access_key_id {
        builder = builder.access_key_id(id.clone());
    }
    if let Some(path) = &args.access_key_secret_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "cannot read --access-key-secret-file {}: {e}",
                path.display()
            )
        })?;
        builder = builder.access_key_secret(Secret::new(text.trim()));
    }
    if let Some(host) = &args.host {
        builder = builder.host(host.clone());
    }
    if let Some(mode) = args.auth_mode {
        builder = builder.auth_mode(mode.into());
    }
    if !builder.has_credentials() {
        return Ok(None);
    }
    builder.build().map(Some).map_err(|e| match e.to_string() {
        m if m.contains("access_key") => format!(
            "{m}: set both AUTHING_ACCESS_KEY_ID (or --access-key-id) and \
             AUTHING_ACCESS_KEY_SECRET (or --access-key-secret-file)"
        ),
        m => m,
    })
}
