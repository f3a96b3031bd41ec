//! The minimal envelope every Authing answer has (`statusCode`, `apiCode`,
//! `message`, `requestId`), read leniently: the attempt loop looks at it before the
//! generated code decodes the body, and error bodies that lack a success's `data`
//! are still read through it.

use serde::Deserialize;

use crate::error::ApiError;

/// Every field optional, numbers as whatever JSON number the server sent.
#[derive(Deserialize)]
pub(crate) struct RawEnvelope {
    #[serde(rename = "statusCode")]
    pub status_code: Option<serde_json::Number>,
    #[serde(rename = "apiCode")]
    pub api_code: Option<serde_json::Number>,
    pub message: Option<serde_json::Value>,
    #[serde(rename = "requestId")]
    pub request_id: Option<String>,
}

impl RawEnvelope {
    pub(crate) fn parse(body: &[u8]) -> Option<Self> {
        serde_json::from_slice(body).ok()
    }

    pub(crate) fn status(&self) -> Option<i64> {
        self.status_code.as_ref().and_then(number)
    }

    pub(crate) fn api_code(&self) -> Option<i64> {
        self.api_code.as_ref().and_then(number)
    }

    pub(crate) fn into_api_error(self, http_status: u16) -> Option<ApiError> {
        Some(ApiError {
            status_code: self.status()?,
            api_code: self.api_code(),
            message: match self.message {
                Some(serde_json::Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => String::new(),
            },
            request_id: self.request_id,
            http_status,
        })
    }
}

/// A server may send `200.0` where the document says integer: accept it.
fn number(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_about_number_forms_and_message_types() {
        let env = RawEnvelope::parse(br#"{"statusCode":404.0,"apiCode":2004,"message":{"a":1}}"#)
            .unwrap();
        assert_eq!(env.status(), Some(404));
        let api = env.into_api_error(200).unwrap();
        assert_eq!(api.api_code, Some(2004));
        assert_eq!(api.message, r#"{"a":1}"#);
        assert!(RawEnvelope::parse(b"not json").is_none());
        let no_status = RawEnvelope::parse(b"{}").unwrap();
        assert!(no_status.into_api_error(200).is_none());
    }
}
