//! Test-only endpoints under `/_emulator/`: health, reset, seed, export, faults, stats.
//!
//! They have no authentication, by design: they exist for test harnesses on the same machine.
//! Keep the emulator bound to loopback. Faults, rate limits and statistics never apply here.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::request::Parts;
use http::Method;
use serde_json::{json, Value};

use crate::faults::Faults;
use crate::handlers::Reply;
use crate::seed::parse_seed;
use crate::server::{json_response, read_body, respond};
use crate::state::Inner;

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
    let allowed: &[Method] = match endpoint {
        "health" | "export" | "stats" => &[Method::GET],
        "reset" | "seed" => &[Method::POST],
        "faults" => &[Method::GET, Method::PUT],
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
    let bad_request = |message: String| respond(&Reply::error(400, None, message), request_id);
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
                Err(message) => return bad_request(message),
            };
            match inner.seed(users) {
                Ok(count) => json_response(200, &json!({ "seeded": count })),
                Err(e) => respond(&Reply::error(409, None, e.to_string()), request_id),
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
                Err(e) => return bad_request(format!("invalid faults: {e}")),
            };
            if let Err(message) = faults.validate() {
                return bad_request(format!("invalid faults: {message}"));
            }
            inner.set_faults(faults.clone());
            json_response(200, &json!(faults))
        }
        (Method::GET, "stats") => json_response(200, &json!(inner.lock_store().stats)),
        _ => respond(
            &Reply::with_http(405, 405, None, "method not allowed"),
            request_id,
        ),
    }
}
