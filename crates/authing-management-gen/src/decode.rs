//! Decoding a success body, with an error that says where it failed.
//!
//! The generated methods call [`decode_response`] (the xtask puts it in place of
//! progenitor's `ResponseValue::from_response`), so a body that does not fit its type
//! fails with the operation and the JSON path (`get_user: data.createdAt: invalid type:
//! integer, expected a string`) instead of "line 1 column 7265". The message never
//! quotes the offending value: it may be a secret.

use crate::{Error, ResponseValue};
use serde::de::DeserializeOwned;

/// Read and decode a response body as `T`.
#[doc(hidden)]
pub async fn decode_response<T: DeserializeOwned>(
    response: reqwest::Response,
    operation: &'static str,
) -> Result<ResponseValue<T>, Error<()>> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(Error::ResponseBodyError)?;
    match serde_json::from_slice(&body) {
        Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
        Err(_) => {
            let described = describe::<T>(&body, operation);
            Err(Error::InvalidResponsePayload(body, described))
        }
    }
}

/// Decode again, tracking the path, to say where and why decoding failed. Only runs on
/// failure, so successes pay nothing for it.
pub fn describe<T: DeserializeOwned>(body: &[u8], operation: &str) -> serde_json::Error {
    let mut de = serde_json::Deserializer::from_slice(body);
    let message = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(_) => format!("{operation}: trailing data after the JSON value"),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let what = if inner.is_syntax() || inner.is_eof() {
                format!(
                    "not valid JSON (line {} column {})",
                    inner.line(),
                    inner.column()
                )
            } else {
                without_values(&inner.to_string())
            };
            if path == "." {
                format!("{operation}: {what}")
            } else {
                format!("{operation}: {path}: {what}")
            }
        }
    };
    <serde_json::Error as serde::de::Error>::custom(message)
}

/// serde's data errors quote the value they met (`invalid type: string "…", expected
/// i64`); keep what kind of value it was and what was expected, never the value.
pub(crate) fn without_values(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    for kind in ["invalid type", "invalid value"] {
        if let Some(rest) = message.strip_prefix(&format!("{kind}: ")) {
            // The last separator: the value may contain one, the expectation (our
            // own type's description) does not.
            let (found, expected) = rest
                .rsplit_once(", expected ")
                .unwrap_or((rest, "another value"));
            let found = found.split(['`', '"']).next().unwrap_or_default().trim();
            return format!("{kind}: {found}, expected {expected}");
        }
    }
    if message.starts_with("missing field") || message.starts_with("duplicate field") {
        return message.to_string();
    }
    if message.starts_with("unknown variant") {
        return "a value outside the known enum values".to_string();
    }
    if message.starts_with("invalid length") {
        return "an array or string of the wrong length".to_string();
    }
    "a value that does not fit the documented type".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Envelope {
        data: Data,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Data {
        list: Vec<Item>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Item {
        #[serde(rename = "createdAt")]
        created_at: String,
        kind: Kind,
    }
    #[derive(serde::Deserialize, Debug)]
    enum Kind {
        A,
    }

    #[test]
    fn errors_name_the_operation_and_path_but_not_the_value() {
        let body =
            br#"{"data":{"list":[{"createdAt":"x","kind":"A"},{"createdAt":12345,"kind":"A"}]}}"#;
        let e = describe::<Envelope>(body, "list_users").to_string();
        assert_eq!(
            e,
            "list_users: data.list[1].createdAt: invalid type: integer, expected a string"
        );
        let body = br#"{"data":{"list":[{"createdAt":"x, expected y","kind":"A"},{"createdAt":["no"],"kind":"A"}]}}"#;
        let e = describe::<Envelope>(body, "op").to_string();
        assert_eq!(
            e,
            "op: data.list[1].createdAt: invalid type: sequence, expected a string"
        );
        let body = br#"{"data":{"list":[{"createdAt":7.5,"kind":"A"}]}}"#;
        let e = describe::<Envelope>(body, "op").to_string();
        assert_eq!(
            e,
            "op: data.list[0].createdAt: invalid type: floating point, expected a string"
        );
        let body = br#"{"data":{"list":[{"createdAt":"x","kind":"TOPSECRET"}]}}"#;
        let e = describe::<Envelope>(body, "list_users").to_string();
        assert!(e.starts_with("list_users: data.list[0].kind: "), "{e}");
        assert!(!e.contains("TOPSECRET"), "{e}");
        let e = describe::<Envelope>(br#"{"data":{}}"#, "op").to_string();
        assert_eq!(e, "op: data: missing field `list`");
        let e = describe::<Envelope>(br#"{"data":"#, "op").to_string();
        assert!(e.starts_with("op: ") && e.contains("not valid JSON"), "{e}");
    }
}
