//! Test-only endpoints under `/_emulator/`: health, reset, seed, export, faults, fault rules,
//! stats, the request log, and the saved state.
//!
//! They have no authentication, by design: they exist for test harnesses on the same machine.
//! Keep the emulator bound to loopback. Faults, rate limits, statistics and the request log
//! never apply here.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::request::Parts;
use http::Method;
use serde_json::{json, Value};

use crate::fault_rules::FaultRule;
use crate::faults::Faults;
use crate::handlers::Reply;
use crate::query::Query;
use crate::responses::{json_response, respond};
use crate::seed::parse_seed;
use crate::server::read_body;
use crate::state::Inner;
use crate::store::SavedState;
use crate::Error;

const RULES: &str = "fault-rules";

pub(crate) async fn handle(
    inner: &Arc<Inner>,
    parts: &Parts,
    body: Body,
    request_id: &str,
) -> Response {
    let endpoint = parts
        .uri
        .path()
        .trim_start_matches("/_emulator")
        .trim_matches('/');
    let method = &parts.method;
    let rule_id = endpoint
        .strip_prefix(RULES)
        .and_then(|rest| rest.strip_prefix('/'));
    let allowed: &[Method] = match endpoint {
        "health" | "export" | "stats" => &[Method::GET],
        "reset" | "seed" | "snapshot" => &[Method::POST],
        "faults" | "state" => &[Method::GET, Method::PUT],
        "requests" => &[Method::GET, Method::DELETE],
        RULES => &[Method::GET, Method::POST, Method::DELETE],
        _ if rule_id.is_some() => &[Method::DELETE],
        _ => {
            return respond(
                &Reply::with_http(404, 404, None, format!("no admin endpoint {endpoint:?}")),
                request_id,
            )
        }
    };
    if !allowed.contains(method) {
        return respond(
            &Reply::with_http(
                405,
                405,
                None,
                format!("method {method} is not allowed on /_emulator/{endpoint}"),
            ),
            request_id,
        );
    }
    let bytes = match read_body(body, &parts.headers, inner.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(reply) => return respond(&reply, request_id),
    };
    let fail = |status: u16, message: String| {
        respond(&Reply::with_http(status, status, None, message), request_id)
    };
    match (method.clone(), endpoint) {
        (Method::GET, "health") => json_response(
            200,
            &json!({
                "status": "ok",
                "userpoolId": inner.userpool_id,
                "users": inner.lock_store().users.len(),
            }),
        ),
        (Method::POST, "reset") => {
            inner.reset();
            json_response(200, &json!({"reset": true}))
        }
        (Method::POST, "seed") => {
            let users = match parse_seed(&bytes) {
                Ok(users) => users,
                Err(message) => return fail(400, message),
            };
            match inner.seed(users) {
                Ok(count) => json_response(200, &json!({ "seeded": count })),
                Err(e) => fail(409, e.to_string()),
            }
        }
        (Method::GET, "export") => json_response(
            200,
            &serde_json::to_value(inner.lock_store().export()).unwrap_or(Value::Null),
        ),
        (Method::GET, "faults") => json_response(200, &json!(inner.faults())),
        (Method::PUT, "faults") => {
            let faults: Faults = match serde_json::from_slice(&bytes) {
                Ok(f) => f,
                Err(e) => return fail(400, format!("invalid faults: {e}")),
            };
            if let Err(message) = faults.validate() {
                return fail(400, format!("invalid faults: {message}"));
            }
            inner.set_faults(faults.clone());
            json_response(200, &json!(faults))
        }
        (Method::GET, "stats") => json_response(200, &json!(inner.lock_store().stats)),
        (Method::GET, "requests") => requests(inner, parts),
        (Method::DELETE, "requests") => {
            inner.lock_log().clear();
            json_response(200, &json!({"cleared": true}))
        }
        (Method::GET, RULES) => json_response(200, &json!(inner.lock_rules().list())),
        (Method::POST, RULES) => {
            let rule: FaultRule = match serde_json::from_slice(&bytes) {
                Ok(rule) => rule,
                Err(e) => return fail(400, format!("invalid fault rule: {e}")),
            };
            match inner.add_rule(rule) {
                Ok(id) => {
                    let added = inner.lock_rules().list().into_iter().find(|r| r.id == id);
                    json_response(200, &json!(added))
                }
                Err(message) => fail(400, format!("invalid fault rule: {message}")),
            }
        }
        (Method::DELETE, RULES) => {
            inner.lock_rules().clear();
            json_response(200, &json!({"cleared": true}))
        }
        (Method::DELETE, _) if rule_id.is_some() => {
            let id = rule_id.unwrap_or_default();
            match id.parse::<u64>() {
                Ok(n) if inner.lock_rules().remove(n) => json_response(200, &json!({"removed": n})),
                _ => fail(404, format!("no fault rule {id:?}")),
            }
        }
        (Method::POST, "snapshot") => match inner.save_state() {
            Ok(Some(path)) => json_response(200, &json!({"saved": path.display().to_string()})),
            Ok(None) => fail(409, Error::NoStateFile.to_string()),
            Err(e) => fail(500, e.to_string()),
        },
        // The whole state, OTP secrets included, like /export.
        (Method::GET, "state") => json_response(200, &json!(inner.saved_state())),
        (Method::PUT, "state") => {
            let state: SavedState = match serde_json::from_slice(&bytes) {
                Ok(state) => state,
                Err(e) => return fail(400, format!("invalid state: {e}")),
            };
            match inner.restore(state) {
                Ok(()) => json_response(200, &json!({"restored": true})),
                Err(message) => fail(400, format!("invalid state: {message}")),
            }
        }
        _ => fail(405, "method not allowed".into()),
    }
}

/// `GET /_emulator/requests[?operation=ID][&limit=N]`: the newest `limit` entries (all by
/// default) of one operation (all by default), oldest first.
fn requests(inner: &Inner, parts: &Parts) -> Response {
    let query = Query::parse(parts.uri.query().unwrap_or_default());
    let log = inner.lock_log();
    let mut entries: Vec<_> = log
        .entries()
        .into_iter()
        .filter(|e| {
            query
                .str("operation")
                .is_none_or(|op| e.operation.as_deref() == Some(op))
        })
        .collect();
    if let Some(limit) = query.number("limit").filter(|n| *n >= 0.0) {
        let keep = (limit as usize).min(entries.len());
        entries.drain(..entries.len() - keep);
    }
    json_response(
        200,
        &json!({"requests": entries, "total": log.total(), "capacity": log.capacity()}),
    )
}
