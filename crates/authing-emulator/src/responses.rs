//! How replies go on the wire: Authing's JSON envelope with the request id, the emulator
//! header, injected faults, fault rules' answers and dropped connections.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use serde_json::{json, Value};

use crate::faults::{Faults, THROTTLE_MESSAGE};
use crate::handlers::Reply;

/// Header on every response, so that a client (or a person with curl) can tell it is talking
/// to the emulator and not to Authing.
pub const EMULATOR_HEADER: &str = "x-authing-emulator";

/// Gives an object body the request id, unless it has one.
fn with_request_id(mut body: Value, request_id: &str) -> Value {
    if let Some(object) = body.as_object_mut() {
        object
            .entry("requestId")
            .or_insert_with(|| json!(request_id));
    }
    body
}

/// Serialises a reply; every envelope gets the request id.
pub(crate) fn respond(reply: &Reply, request_id: &str) -> Response {
    let body = with_request_id(reply.body.clone(), request_id);
    let mut response = json_response(reply.http, &body);
    if reply.synthesized {
        response
            .headers_mut()
            .insert(EMULATOR_HEADER, HeaderValue::from_static("synthesized"));
    }
    response
}

pub(crate) fn json_response(http: u16, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::from_u16(http).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

pub(crate) fn fault_response(status: u16, faults: &Faults, request_id: &str) -> Response {
    let message = match status {
        429 => THROTTLE_MESSAGE,
        500 => "injected fault: internal server error",
        502 => "injected fault: bad gateway",
        _ => "injected fault: service unavailable",
    };
    let mut response = respond(&Reply::with_http(status, status, None, message), request_id);
    if status == 429 {
        if let Some(secs) = faults.retry_after_secs {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
        }
    }
    response
}

/// A fault rule's answer: its body (an object gets the request id), or Authing's envelope
/// with the rule's status. Also returns the answer's `statusCode`.
pub(crate) fn rule_response(
    status: u16,
    body: Option<Value>,
    rule: u64,
    request_id: &str,
) -> (Response, Option<u16>) {
    match body {
        Some(body) => {
            let body = with_request_id(body, request_id);
            let status_code = body["statusCode"]
                .as_u64()
                .and_then(|s| u16::try_from(s).ok());
            (json_response(status, &body), status_code)
        }
        None => {
            let message = if status == 429 {
                THROTTLE_MESSAGE.to_string()
            } else {
                format!("injected fault (rule {rule})")
            };
            let reply = Reply::with_http(status, status, None, message);
            (respond(&reply, request_id), Some(status))
        }
    }
}

/// Offers the status line and half of the body, then fails the body stream, which makes hyper
/// abort the connection. Depending on buffering the client gets nothing or a truncated body;
/// either way it sees a transport error, never a complete answer.
pub(crate) fn dropped_response(reply: &Reply, request_id: &str) -> Response {
    let body = with_request_id(reply.body.clone(), request_id);
    let text = body.to_string().into_bytes();
    let prefix = Bytes::from(text[..text.len() / 2].to_vec());
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(prefix),
        Err(std::io::Error::other("emulated dropped connection")),
    ];
    let mut response = Response::new(Body::from_stream(futures::stream::iter(chunks)));
    *response.status_mut() = StatusCode::from_u16(reply.http).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}
