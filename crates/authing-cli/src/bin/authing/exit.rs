//! Exit codes (sysexits where one fits): one table, from which `authing otp import
//! --help` is written, and which a test holds the crate README's table to.

use authing_cli::engine::{ErrorKind, Report, Stop};

/// Every record was imported (or already had been, on `--resume`); with `--dry-run`:
/// the file is valid.
pub const OK: i32 = 0;
/// The run completed but some records were not imported.
pub const SOME_FAILED: i32 = 1;
/// Bad command line (clap's own code).
pub const USAGE: i32 = 2;
/// `authing api`: Authing refused the call (statusCode other than 200, or an HTTP
/// error status) or answered something that is not JSON.
pub const API_ERROR: i32 = 3;
/// The input has invalid records (or cannot be read): nothing was sent.
pub const INVALID_INPUT: i32 = 65;
/// The input file cannot be opened.
pub const NO_INPUT: i32 = 66;
/// Another run holds the journal's lock: nothing was read or sent.
pub const LOCKED: i32 = 75;
/// Authing was down (an outage, not throttling): the run stopped; `--resume`
/// continues it.
pub const UNAVAILABLE: i32 = 69;
/// A bug: something panicked. Confirmed batches are journaled.
pub const INTERNAL: i32 = 70;
/// Authing refused the access key (or the key lacks permission).
pub const AUTH: i32 = 77;
/// Configuration problem: credentials, host, journal.
pub const CONFIG: i32 = 78;
/// Interrupted by Ctrl-C (after the batches in flight were confirmed and journaled).
pub const INTERRUPTED: i32 = 130;

/// Each code with what it means, as the help and the README say it.
pub const TABLE: &[(i32, &str)] = &[
    (
        OK,
        "every record imported (or already imported, on --resume); dry run: all valid",
    ),
    (
        SOME_FAILED,
        "some records not imported (user not found, rejected, skipped invalid, \
         failed, --verify mismatch): see the report",
    ),
    (USAGE, "usage error"),
    (
        API_ERROR,
        "authing api: Authing refused the call (statusCode other than 200, or an HTTP \
         error status; its statusCode, apiCode, message and requestId are on stderr) or \
         answered something that is not JSON",
    ),
    (INVALID_INPUT, "invalid input: nothing was sent"),
    (NO_INPUT, "the input file cannot be opened"),
    (
        UNAVAILABLE,
        "Authing unavailable: at the start, or no call went through for 30 s \
         (throttling alone never stops a run): stopped, continue with --resume; \
         authing api: throttled, HTTP 5xx or unreachable once the SDK's retries gave up",
    ),
    (
        INTERNAL,
        "internal error (a bug): confirmed batches are journaled, continue with --resume",
    ),
    (
        LOCKED,
        "another run is using the journal (the message names it): nothing was read \
         or sent; wait for it, or stop it",
    ),
    (AUTH, "access key rejected by Authing"),
    (
        CONFIG,
        "configuration: credentials, host, or journal (exists without --resume, \
         or written for another file)",
    ),
    (
        INTERRUPTED,
        "interrupted (Ctrl-C): confirmed batches are journaled, continue with --resume",
    ),
];

/// The "Exit codes:" block of the help, wrapped at 80 columns.
pub fn help() -> String {
    let mut out = String::from("Exit codes:\n");
    for (code, meaning) in TABLE {
        let mut line = format!("  {code:<4} ");
        let indent = line.len();
        for word in meaning.split_whitespace() {
            if line.len() + word.len() + 1 > 80 && line.len() > indent {
                out.push_str(line.trim_end());
                out.push('\n');
                line = " ".repeat(indent);
            }
            line.push_str(word);
            line.push(' ');
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The code for an engine error.
pub fn for_error(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::Auth => AUTH,
        ErrorKind::Unavailable => UNAVAILABLE,
        ErrorKind::Config => CONFIG,
        ErrorKind::NoInput => NO_INPUT,
        ErrorKind::Input => INVALID_INPUT,
        ErrorKind::Internal => INTERNAL,
    }
}

/// The code for a run that went to its end (or stopped).
pub fn for_report(report: &Report, dry_run: bool) -> i32 {
    let counts = &report.counts;
    match &report.stop {
        Some(Stop::Interrupted) => INTERRUPTED,
        Some(Stop::Auth(_)) => AUTH,
        Some(Stop::Unavailable(_)) => UNAVAILABLE,
        Some(Stop::Journal(_)) => CONFIG,
        Some(Stop::Internal(_)) => INTERNAL,
        None if report.invalid_input => INVALID_INPUT,
        None if report.changed_during_run => SOME_FAILED,
        None if dry_run => {
            if counts.invalid + counts.user_not_found + counts.failed == 0 {
                OK
            } else {
                SOME_FAILED
            }
        }
        None if counts.imported + counts.already_imported == counts.records => OK,
        None => SOME_FAILED,
    }
}

/// The code for a failed `authing api` call (after the SDK's retries): a request
/// refused before sending is invalid input; throttling, HTTP 5xx and unreachable hosts
/// are [`UNAVAILABLE`]; a refused key is [`AUTH`]; every other answer of Authing's is
/// [`API_ERROR`]. A statusCode 500-503 inside an HTTP 2xx is Authing's application
/// answering (`otp import` would try it again): for `authing api` it is the answer to
/// report, so it is [`API_ERROR`] too, with its fields on stderr.
pub fn for_api_error(e: &authing::Error) -> i32 {
    let refused_key = authing_cli::service::key_refused(e);
    let application_answered =
        matches!(e, authing::Error::Api(api) if (200..300).contains(&api.http_status));
    match e {
        authing::Error::InvalidRequest(_) => INVALID_INPUT,
        authing::Error::Config(_) => CONFIG,
        _ if e.is_throttled() => UNAVAILABLE,
        _ if application_answered && !refused_key => API_ERROR,
        // Before the key: `Error::Auth` also wraps a token request that failed with a
        // 503 or a timeout, which is Authing being unavailable.
        _ if e.retry() != authing::Retry::Never => UNAVAILABLE,
        _ if refused_key => AUTH,
        _ => API_ERROR,
    }
}

/// Runs `main`, turning a panic anywhere on its thread into [`INTERNAL`] (the panic
/// hook has already printed where).
pub fn guarded(main: impl FnOnce() -> i32 + std::panic::UnwindSafe) -> i32 {
    std::panic::catch_unwind(main).unwrap_or_else(|_| {
        crate::output::stderr_line("error: internal error (a bug): see the panic message above");
        INTERNAL
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn words(text: &str) -> String {
        text.replace('`', "")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_readme_table_is_this_table() {
        let readme = include_str!("../../../README.md");
        let section = readme
            .split("## Exit codes")
            .nth(1)
            .expect("README has an exit-code section");
        let rows: Vec<(i32, String)> = section
            .lines()
            .skip_while(|l| !l.starts_with("| code"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
                (cells[0].parse().expect("a code"), words(cells[1]))
            })
            .collect();
        let table: Vec<(i32, String)> = TABLE.iter().map(|(c, m)| (*c, words(m))).collect();
        assert_eq!(rows, table);
    }

    #[test]
    fn the_help_shows_every_code_with_its_meaning() {
        let mut cli = crate::cli::Cli::command();
        let import = cli
            .find_subcommand_mut("otp")
            .and_then(|otp| otp.find_subcommand_mut("import"))
            .expect("otp import");
        let import_help = words(&import.render_long_help().to_string());
        let api = cli.find_subcommand_mut("api").expect("api");
        let api_help = words(&api.render_long_help().to_string());
        for help in [import_help, api_help] {
            for (code, meaning) in TABLE {
                let row = words(&format!("{code} {meaning}"));
                assert!(help.contains(&row), "help lacks `{row}`:\n{help}");
            }
        }
    }

    #[test]
    fn a_panic_is_an_internal_error_not_invalid_input() {
        let code = guarded(|| panic!("a bug"));
        assert_eq!(code, INTERNAL);
        assert_ne!(code, INVALID_INPUT);
        assert_eq!(guarded(|| 7), 7);
    }
}
