//! The command line's shape: commands, arguments and their help.

use std::path::PathBuf;

use authing_cli::input::{Format, KeycloakIdentifier};
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "authing",
    version,
    about = "Command-line tools for the Authing v3 Management API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// TOTP authenticator (MFA) operations.
    #[command(subcommand)]
    Otp(OtpCommand),
}

#[derive(Debug, Subcommand)]
pub enum OtpCommand {
    /// Import users' TOTP secrets into Authing (importOtp), resumably.
    #[command(after_long_help = import_help(), after_help = import_help())]
    Import(ImportArgs),
}

/// `otp import --help`: how credentials are found, then the exit codes.
fn import_help() -> String {
    format!(
        "Credentials: the flags below, else AUTHING_ACCESS_KEY_ID, AUTHING_ACCESS_KEY_SECRET,\n\
         AUTHING_HOST (default https://api.authing.cn), AUTHING_AUTH_MODE (token|signature),\n\
         read by the authing SDK's own rules (set but empty is an error). The secret is never\n\
         taken on the command line (it would show in `ps` and shell history).\n\n{}",
        crate::exit::help()
    )
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The input file (CSV, JSON Lines, otpauth:// URI list, or Keycloak realm export).
    pub file: PathBuf,

    /// Input format; by default from the extension: .csv, .jsonl/.ndjson,
    /// .txt/.uri (otpauth URIs), .json (Keycloak).
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Keycloak input: which user attribute names the Authing user (`id` is matched
    /// against the Authing user's externalId).
    #[arg(long, value_enum, default_value = "username")]
    pub keycloak_identifier: KeycloakIdentifier,

    /// Records per importOtp request. Authing's other batch endpoints cap lists at 50.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=500))]
    pub batch_size: u16,

    /// Requests in flight at once, counting every request: imports, lookups and
    /// read-backs.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// Requests per second at most (0: no limit but Authing's). The default, 20,
    /// leaves most of a free plan's 300 QPS per user pool to live logins while the
    /// import runs. Whatever the limit, a throttled request (429) slows every
    /// request down, and the rate recovers by itself.
    #[arg(long, default_value_t = 20)]
    pub max_rps: u32,

    /// Validate the file and resolve its users (read-only); import nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Read each imported secret back and compare it (constant time). With --resume
    /// on a finished import, re-verifies everything.
    #[arg(long)]
    pub verify: bool,

    /// Continue an interrupted import from its journal (sends only what Authing has
    /// not confirmed).
    #[arg(long)]
    pub resume: bool,

    /// The journal file [default: FILE.journal].
    #[arg(long)]
    pub journal: Option<PathBuf>,

    /// JSON Lines on stdout: one `problem` object per record not imported, then a
    /// `summary` object.
    #[arg(long)]
    pub json: bool,

    /// Write the records not imported (no secrets) to this CSV file.
    #[arg(long)]
    pub report: Option<PathBuf>,

    /// Import the valid records even if some are invalid (those are reported).
    #[arg(long)]
    pub skip_invalid: bool,

    /// Accept an input without any record (otherwise an error: an empty export is
    /// usually a mistake).
    #[arg(long)]
    pub allow_empty: bool,

    /// Authing API host [default: AUTHING_HOST, else https://api.authing.cn].
    #[arg(long, conflicts_with = "emulator")]
    pub host: Option<String>,

    /// Access key id (user pool id or application key id) [default: AUTHING_ACCESS_KEY_ID].
    #[arg(long, conflicts_with = "emulator")]
    pub access_key_id: Option<String>,

    /// Read the access key secret from this file [default: AUTHING_ACCESS_KEY_SECRET].
    #[arg(long, conflicts_with = "emulator")]
    pub access_key_secret_file: Option<PathBuf>,

    /// How calls are authenticated [default: AUTHING_AUTH_MODE, else token].
    #[arg(long, value_enum, conflicts_with = "emulator")]
    pub auth_mode: Option<AuthModeArg>,

    /// Import into an embedded local emulator seeded with the file's users, then
    /// verify: a rehearsal that needs no Authing account (in builds with the
    /// `rehearsal` feature, the default).
    #[arg(long)]
    pub emulator: bool,
}

/// `--auth-mode`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AuthModeArg {
    /// A management token, fetched with the access key (Authing's documented scheme).
    Token,
    /// Every request signed with HMAC-SHA1 (Authing's Node SDK 4.x).
    Signature,
}

impl From<AuthModeArg> for authing::AuthMode {
    fn from(mode: AuthModeArg) -> Self {
        match mode {
            AuthModeArg::Token => authing::AuthMode::Token,
            AuthModeArg::Signature => authing::AuthMode::Signature,
        }
    }
}
