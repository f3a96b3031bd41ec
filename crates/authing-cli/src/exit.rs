//! Exit codes (sysexits where one fits), also listed in `authing otp import --help`
//! (`app::AFTER_HELP`) and the README.

/// Every record was imported (or already had been, on `--resume`); with `--dry-run`:
/// the file is valid.
pub const OK: i32 = 0;
/// The run completed but some records were not imported (user not found, rejected,
/// skipped as invalid, failed after retries, or `--verify` found a mismatch). The
/// report says which.
pub const SOME_FAILED: i32 = 1;
/// Bad command line (clap's own code).
pub const USAGE: i32 = 2;
/// The input has invalid records (or cannot be read): nothing was sent.
pub const INVALID_INPUT: i32 = 65;
/// The input file cannot be opened.
pub const NO_INPUT: i32 = 66;
/// Authing stayed unavailable (5xx, 429, timeouts) after retries: the run stopped;
/// `--resume` continues it.
pub const UNAVAILABLE: i32 = 69;
/// Authing refused the access key (or the key lacks permission).
pub const AUTH: i32 = 77;
/// Configuration problem: missing credentials, bad host, a journal that exists
/// without `--resume` or belongs to another file.
pub const CONFIG: i32 = 78;
/// Interrupted by Ctrl-C (after the batches in flight were confirmed and journaled).
pub const INTERRUPTED: i32 = 130;
