//! Our typed error through the generated code and back. Before a call is sent, a
//! hook's error travels as `Error::Custom(String)` ([`encode_hook_error`],
//! [`decode_hook_error`]); once the attempt loop owes a response, an error it meets
//! (re-authenticating a retry) travels in a stand-in response ([`relay`],
//! [`unexpected_response`]). They live with the error type so that the hooks depend
//! on the errors and not the other way round.

use serde::{Deserialize, Serialize};

use super::{ApiError, Error, TransportKind};

const HOOK_ERROR: &str = "authing-hook-error:";

#[derive(Serialize, Deserialize)]
enum WireError {
    Config(String),
    InvalidRequest(String),
    Transport(u8, String),
    /// Status, envelope, `Retry-After` in milliseconds.
    Http(u16, Option<ApiError>, Option<u64>),
    Api(ApiError),
    Auth(Box<WireError>),
    Decode(String),
}

fn to_wire(e: &Error) -> WireError {
    match e {
        Error::Config(m) => WireError::Config(m.clone()),
        Error::InvalidRequest(m) => WireError::InvalidRequest(m.clone()),
        Error::Transport { kind, message, .. } => WireError::Transport(
            match kind {
                TransportKind::Timeout => 0,
                TransportKind::Connect => 1,
                _ => 2,
            },
            message.clone(),
        ),
        Error::Http {
            status,
            api,
            retry_after,
        } => WireError::Http(
            *status,
            api.clone(),
            retry_after.map(|d| d.as_millis() as u64),
        ),
        Error::Api(a) => WireError::Api(a.clone()),
        Error::Auth(inner) => WireError::Auth(Box::new(to_wire(inner))),
        Error::Decode { what, .. } => WireError::Decode(what.clone()),
    }
}

fn from_wire(w: WireError) -> Error {
    match w {
        WireError::Config(m) => Error::Config(m),
        WireError::InvalidRequest(m) => Error::InvalidRequest(m),
        WireError::Transport(k, message) => Error::Transport {
            kind: match k {
                0 => TransportKind::Timeout,
                1 => TransportKind::Connect,
                _ => TransportKind::Other,
            },
            message,
            cause: None,
        },
        WireError::Http(status, api, retry_after) => Error::Http {
            status,
            api,
            retry_after: retry_after.map(std::time::Duration::from_millis),
        },
        WireError::Api(a) => Error::Api(a),
        WireError::Auth(inner) => Error::Auth(Box::new(from_wire(*inner))),
        WireError::Decode(what) => Error::Decode { what, body: None },
    }
}

/// The string a hook returns for `e`.
pub(crate) fn encode_hook_error(e: &Error) -> String {
    format!(
        "{HOOK_ERROR}{}",
        serde_json::to_string(&to_wire(e)).unwrap_or_default()
    )
}

/// The error a hook's string stands for; any other string is an invalid request.
pub(crate) fn decode_hook_error(s: &str) -> Error {
    s.strip_prefix(HOOK_ERROR)
        .and_then(|json| serde_json::from_str(json).ok())
        .map(from_wire)
        .unwrap_or_else(|| Error::InvalidRequest(s.to_string()))
}

/// An error carried in a stand-in response's extensions.
#[derive(Clone)]
struct Relayed(Error);

/// A response that stands for `error`: the generated code passes only responses on
/// from the attempt loop. Its status is the error's when it has one (so code that
/// looks only at the status still sees a failure of the right kind), else 502; the
/// typed error rides along and [`unexpected_response`] returns it whole.
pub(crate) fn relay(error: Error) -> reqwest::Response {
    let status = error
        .http_status()
        .and_then(|s| reqwest::StatusCode::from_u16(s).ok())
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(reqwest::StatusCode::BAD_GATEWAY);
    let mut response = http::Response::new(bytes::Bytes::new());
    *response.status_mut() = status;
    response.extensions_mut().insert(Relayed(error));
    reqwest::Response::from(response)
}

/// The error for a response with a status the document does not describe: a relayed
/// error as it was, else the status with Authing's envelope (which the attempt loop
/// put in the extensions) and `Retry-After`.
pub(crate) fn unexpected_response(response: &reqwest::Response) -> Error {
    if let Some(Relayed(e)) = response.extensions().get::<Relayed>() {
        return e.clone();
    }
    Error::Http {
        status: response.status().as_u16(),
        api: response.extensions().get::<ApiError>().cloned(),
        retry_after: crate::retry::retry_after(response.headers()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_errors_survive_the_string_channel() {
        let e = Error::Auth(Box::new(Error::Api(ApiError {
            status_code: 401,
            api_code: Some(2001),
            message: "bad key".into(),
            request_id: Some("r1".into()),
            http_status: 200,
        })));
        let back = decode_hook_error(&encode_hook_error(&e));
        assert!(back.is_auth());
        assert_eq!(back.api_code(), Some(2001));
        assert_eq!(back.request_id(), Some("r1"));
        let plain = decode_hook_error("something else");
        assert!(matches!(plain, Error::InvalidRequest(m) if m == "something else"));
    }
}
