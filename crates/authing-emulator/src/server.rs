//! The HTTP front: every request enters at [`router`], is routed by the document,
//! faulted, read, authenticated, validated and handed to [`crate::handlers`]; replies
//! are serialised by [`crate::responses`].

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, Method};
use serde_json::{json, Value};

use crate::handlers::{self, Reply};
use crate::idle::Busy;
use crate::query::Query;
use crate::request_log::LoggedRequest;
use crate::responses::{dropped_response, fault_response, respond, rule_response, EMULATOR_HEADER};
use crate::spec::{self, RouteMatch};
use crate::state::Inner;
use crate::{admin, auth, operation};

/// The service: one fallback handler, since routing follows the document.
pub(crate) fn router(inner: Arc<Inner>) -> axum::Router {
    axum::Router::new().fallback(entry).with_state(inner)
}

/// Every request enters here; panics become a 500 envelope instead of a reset connection.
async fn entry(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let started = Instant::now();
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let (method, path) = (
        request.method().to_string(),
        request.uri().path().to_string(),
    );
    let mut trace = Trace::default();
    let mut response = catch_panics(
        dispatch(&inner, request, &request_id, &mut trace),
        &request_id,
    )
    .await;
    response
        .headers_mut()
        .entry(EMULATOR_HEADER)
        .or_insert(HeaderValue::from_static("1"));
    if !trace.admin {
        inner.log_request(LoggedRequest {
            seq: 0,
            at,
            method,
            path,
            operation: trace.operation,
            status: response.status().as_u16(),
            status_code: trace.status_code,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            request_id,
            fault: trace.fault,
        });
    }
    response
}

/// What the request log and the statistics keep of one exchange.
#[derive(Debug, Default)]
struct Trace {
    admin: bool,
    operation: Option<String>,
    status_code: Option<u16>,
    fault: Option<String>,
}

impl Trace {
    /// Counts the exchange in the statistics (by `outcome`: the envelope's statusCode, else
    /// the HTTP status, or `dropped`) and keeps it for the request log.
    fn record(
        &mut self,
        inner: &Inner,
        operation: Option<&str>,
        outcome: &str,
        status_code: Option<u16>,
        fault: Option<&str>,
    ) {
        inner.lock_store().stats.record(operation, outcome);
        self.operation = operation.map(str::to_string);
        self.status_code = status_code;
        self.fault = fault.map(str::to_string);
    }
}

async fn catch_panics(
    handler: impl std::future::Future<Output = Response>,
    request_id: &str,
) -> Response {
    AssertUnwindSafe(handler)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            tracing::error!(%request_id, "handler panicked");
            respond(
                &Reply::with_http(500, 500, None, "internal emulator error"),
                request_id,
            )
        })
}

async fn dispatch(
    inner: &Arc<Inner>,
    request: Request,
    request_id: &str,
    trace: &mut Trace,
) -> Response {
    let (parts, body) = request.into_parts();
    let busy = parts
        .extensions
        .get::<axum::extract::ConnectInfo<Busy>>()
        .map(|info| info.0.clone());
    let path = parts.uri.path().to_string();
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        trace.admin = true;
        return admin::handle(inner, &parts, body, request_id).await;
    }
    let (op, path_params) = match inner.spec.find(&parts.method, &path) {
        RouteMatch::Found(op, params) => (op, params),
        RouteMatch::WrongMethod(allowed) => {
            trace.record(inner, None, "405", Some(405), None);
            let allow: Vec<&str> = allowed.iter().map(Method::as_str).collect();
            let mut response = respond(
                &Reply::with_http(
                    405,
                    405,
                    None,
                    format!(
                        "method {} is not allowed on {path} (allowed: {})",
                        parts.method,
                        allow.join(", ")
                    ),
                ),
                request_id,
            );
            if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                response.headers_mut().insert(http::header::ALLOW, v);
            }
            return response;
        }
        RouteMatch::NotFound => {
            trace.record(inner, None, "404", Some(404), None);
            return respond(
                &Reply::with_http(404, 404, None, format!("no operation at {path}")),
                request_id,
            );
        }
    };

    // Faults come first so that a faulted request changes nothing; rules for the operation
    // before the global ones.
    if let Some(firing) = inner.fire_rule(&op.id) {
        delay(busy.as_ref(), Duration::from_millis(firing.latency_ms)).await;
        if let Some((status, body)) = firing.answer {
            let (response, status_code) = rule_response(status, body, firing.rule, request_id);
            let outcome = status_code.unwrap_or(status).to_string();
            let fault = format!("rule {}", firing.rule);
            trace.record(inner, Some(&op.id), &outcome, status_code, Some(&fault));
            return response;
        }
    }
    let faults = inner.faults();
    delay(busy.as_ref(), faults.jittered_latency()).await;
    let admitted = inner.admit(faults.max_rps);
    let failure = if admitted {
        faults.roll_failure()
    } else {
        Some(429)
    };
    if let Some(status) = failure {
        let fault = if admitted {
            format!("fail{status}")
        } else {
            "maxRps".to_string()
        };
        trace.record(
            inner,
            Some(&op.id),
            &status.to_string(),
            Some(status),
            Some(&fault),
        );
        return fault_response(status, &faults, request_id);
    }
    let drop_connection = faults.roll_drop();

    let reply = process(inner, op, &parts, body, &path_params).await;
    let status_code = reply.body["statusCode"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok());
    let outcome = status_code.unwrap_or(reply.http).to_string();
    if drop_connection {
        // The state change above has happened; only the answer is lost, as when a connection
        // breaks on the way back. Clients must make retries of such requests idempotent.
        trace.record(inner, Some(&op.id), "dropped", status_code, Some("dropped"));
        return dropped_response(&reply, request_id);
    }
    trace.record(inner, Some(&op.id), &outcome, status_code, None);
    respond(&reply, request_id)
}

/// The latency a fault asks for. The connection is not idle meanwhile: hyper reads
/// on while an answer is awaited, and that read must not time out (see `idle`).
async fn delay(busy: Option<&Busy>, latency: Duration) {
    if !latency.is_zero() {
        let _busy = busy.map(Busy::hold);
        tokio::time::sleep(latency).await;
    }
}

/// Reads the body, authenticates, validates, and runs the operation's handler.
async fn process(
    inner: &Inner,
    op: &spec::Operation,
    parts: &http::request::Parts,
    body: Body,
    path_params: &[(String, String)],
) -> Reply {
    // Parsed once, as Express parses it: handlers, validation and the HMAC verifier must all
    // read the same request.
    let query = Query::parse(parts.uri.query().unwrap_or_default());
    let bytes = match read_body(body, &parts.headers, inner.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(reply) => return reply,
    };
    let (json, text) = if op.method == Method::GET {
        (Value::Null, None)
    } else {
        match parse_json_body(&parts.headers, &bytes) {
            Ok(parsed) => parsed,
            Err(reply) => return reply,
        }
    };

    if op.id != operation::GET_MANAGEMENT_TOKEN {
        if let Err(e) = auth::authenticate(inner, parts, &query, text) {
            let mut reply = Reply::with_http(e.status, e.status, e.api_code, e.message);
            reply.http = e.status;
            return reply;
        }
    }

    if let Err(message) = inner.spec.validate_params(op, &query, path_params) {
        return Reply::error(400, None, message);
    }
    if let Some(schema) = &op.body_schema {
        if let Err(message) = inner.spec.validate_body(schema, &json) {
            return Reply::error(400, None, message);
        }
    }
    handlers::handle(
        inner,
        &handlers::Call {
            operation_id: &op.id,
            query: &query,
            body: &json,
        },
    )
}

/// Reads at most `limit` bytes. A larger body is still drained (up to a bound) so that the
/// client, which is still sending, gets to read the 413 instead of a reset connection.
pub(crate) async fn read_body(
    body: Body,
    headers: &http::HeaderMap,
    limit: usize,
) -> Result<Bytes, Reply> {
    let too_large = || {
        Reply::with_http(
            413,
            413,
            None,
            format!("request body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let drain_limit = limit.saturating_mul(8);
    let mut stream = body.into_data_stream();
    let mut buffer: Vec<u8> = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return Err(Reply::error(400, None, "request body could not be read"));
        };
        seen = seen.saturating_add(chunk.len());
        if seen <= limit && declared.is_none_or(|d| d <= limit as u64) {
            buffer.extend_from_slice(&chunk);
        } else if seen > drain_limit {
            break;
        }
    }
    if seen > limit || declared.is_some_and(|d| d > limit as u64) {
        return Err(too_large());
    }
    Ok(Bytes::from(buffer))
}

/// Parses a JSON request body; an empty body counts as `{}` (what Authing's framework sees).
/// Also returns the text, which the HMAC verifier needs verbatim.
fn parse_json_body<'a>(
    headers: &http::HeaderMap,
    bytes: &'a [u8],
) -> Result<(Value, Option<&'a str>), Reply> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok((json!({}), None));
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(Reply::error(
            400,
            None,
            format!(
                "content-type must be application/json, got {:?}",
                if essence.is_empty() { "none" } else { essence }
            ),
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Reply::error(400, None, format!("request body is not valid UTF-8: {e}")))?;
    // serde_json's recursion limit (128) turns deep nesting into an error, not a stack overflow.
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Reply::error(400, None, format!("malformed JSON body: {e}")))?;
    Ok((value, Some(text)))
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_becomes_a_500_envelope() {
        let response = catch_panics(async { panic!("boom") }, "rid-1").await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["statusCode"], 500);
        assert_eq!(body["requestId"], "rid-1");
    }
}
