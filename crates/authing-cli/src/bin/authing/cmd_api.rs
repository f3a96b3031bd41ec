//! `authing api OPERATION`: any operation of the Management API with JSON arguments,
//! checked against the document before sending, sent through the SDK (auth, signing,
//! retries, tracing), its answer's JSON on stdout.
//!
//! The answer is what the user asked for and goes to stdout as the server sent it,
//! secrets included; stderr only ever gets Authing's envelope fields and the SDK's
//! errors, which carry no body, token or secret.

use std::io::IsTerminal;

use authing::json::{Found, JsonRequest};
use authing::ManagementClient;
use futures::StreamExt;
use serde_json::Value;

use crate::api_request::{self, Refused};
use crate::cli::ApiArgs;
use crate::output::{fail, stderr_line, Stdout};
use crate::{api_lookup, credentials, exit, rehearsal};

pub async fn run(args: ApiArgs) -> i32 {
    if let Some(word) = &args.list {
        let mut out = Stdout::default();
        for line in api_lookup::list(word) {
            out.line(&line);
        }
        return exit::OK;
    }
    let Some(name) = args.operation.as_deref() else {
        return fail(exit::USAGE, "name an OPERATION, or pass --list");
    };
    let found = match api_lookup::find(name) {
        Ok(found) => found,
        Err(message) => return fail(exit::USAGE, message),
    };
    let operation = found.operation;
    if args.paginate && operation.paging.is_none() {
        return fail(
            exit::USAGE,
            format!(
                "--paginate: {} does not answer in pages (`authing api --list` marks those that do with [pages])",
                operation.name
            ),
        );
    }
    // Everything is checked before connecting: a wrong argument costs no call.
    let request = match request(&found, &args) {
        Ok(request) => request,
        Err(Refused { code, message }) => return fail(code, message),
    };
    if args.emulator && !rehearsal::AVAILABLE {
        return fail(exit::CONFIG, rehearsal::NOT_BUILT_IN);
    }
    let (emulator, client) = if args.emulator {
        match rehearsal::start(&[], authing::RetryConfig::default()).await {
            Ok((emu, client)) => (Some(emu), client),
            Err(m) => return fail(exit::CONFIG, m),
        }
    } else {
        match credentials::client(&args.connection, authing::RetryConfig::default()) {
            Ok(Some(client)) => (None, client),
            Ok(None) => return fail(exit::CONFIG, credentials::MISSING),
            Err(m) => return fail(exit::CONFIG, m),
        }
    };
    let code = if args.paginate {
        paginate(&client, found, request).await
    } else {
        call(&client, found, &request, args.data_only).await
    };
    if let Some(emu) = emulator {
        emu.shutdown().await;
    }
    code
}

/// The request, checked against the document.
fn request(found: &Found, args: &ApiArgs) -> Result<JsonRequest, Refused> {
    let request = api_request::build(found, args)?;
    authing::json::check(found.operation, &request).map_err(|e| Refused {
        code: exit::INVALID_INPUT,
        message: e.to_string(),
    })?;
    Ok(request)
}

async fn call(
    client: &ManagementClient,
    found: Found,
    request: &JsonRequest,
    data_only: bool,
) -> i32 {
    match client.call_json(found.operation, request).await {
        Ok(mut answer) => {
            let shown = if data_only {
                answer
                    .get_mut("data")
                    .map(Value::take)
                    .unwrap_or(Value::Null)
            } else {
                answer
            };
            let mut out = Stdout::default();
            let text = if std::io::stdout().is_terminal() {
                serde_json::to_string_pretty(&shown)
            } else {
                serde_json::to_string(&shown)
            };
            out.line(&text.unwrap_or_default());
            exit::OK
        }
        Err(e) => failed(found.operation.name, &e),
    }
}

/// Every item of every page, one compact JSON value a line. Stops early, quietly, when
/// stdout is closed (`| head`).
async fn paginate(client: &ManagementClient, found: Found, request: JsonRequest) -> i32 {
    let name = found.operation.name;
    let mut items = match client.paginate_json(found.operation, request, None) {
        Ok(items) => items,
        Err(e) => return failed(name, &e),
    };
    let mut out = Stdout::default();
    while let Some(item) = items.next().await {
        match item {
            Ok(item) => out.line(&item.to_string()),
            Err(e) => return failed(name, &e),
        }
        if out.is_closed() {
            break;
        }
    }
    exit::OK
}

/// The error on stderr, with Authing's envelope field by field, and its exit code.
fn failed(operation: &str, e: &authing::Error) -> i32 {
    stderr_line(format!("error: {operation}: {e}"));
    if let Some(api) = e.api_error() {
        stderr_line(format!("statusCode: {}", api.status_code));
        if let Some(code) = api.api_code {
            stderr_line(format!("apiCode: {code}"));
        }
        stderr_line(format!("message: {}", api.message));
        if let Some(id) = &api.request_id {
            stderr_line(format!("requestId: {id}"));
        }
        if api.http_status != 200 {
            stderr_line(format!("httpStatus: {}", api.http_status));
        }
    }
    exit::for_api_error(e)
}
