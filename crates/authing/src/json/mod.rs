//! Any operation called with JSON arguments instead of a typed builder, for tools that
//! take the operation and its arguments at run time (`authing api`).
//!
//! The operation comes from the generated table ([`OPERATIONS`], found with [`find`]);
//! the arguments are checked against it before anything is sent ([`check`]: an error
//! names the parameter or the body's JSON path, and why); the request is built the
//! way the typed builder builds it (query arrays as `key[]=`, `accept` and
//! `api-version` headers, the body as JSON) and sent through the same hooks:
//! authentication in either mode, the retry table with the operation's idempotency,
//! the `authing.request` span. The answer comes back as the server's JSON, unknown
//! fields included; `statusCode != 200` is [`Error::Api`] as with `checked()`.

mod check;
mod find;
mod pages;

use authing_management_gen::progenitor_client::{encode_path, ClientInfo};
use serde_json::{Map, Value};

pub use authing_management_gen::operations::{
    Body, Kind, Location, Operation, PageAt, Paging, Parameter, OPERATIONS,
};
pub use check::{check, describe};
pub use find::{find, Found};

use crate::client::ManagementClient;
use crate::envelope::RawEnvelope;
use crate::error::{unexpected_response, Error};

/// A call's arguments as JSON.
#[derive(Clone, Default)]
pub struct JsonRequest {
    /// Path and query parameters by name (`userIds` or its wire name `userIds[]`), as
    /// JSON values of the types the document gives them.
    pub params: Map<String, Value>,
    /// Query pairs sent as given after the parameters, unchecked.
    pub extra_query: Vec<(String, String)>,
    /// The JSON body; `None` sends `{}` to an operation that takes a body, as the typed
    /// builder does when none of its fields is set.
    pub body: Option<Value>,
}

impl std::fmt::Debug for JsonRequest {
    // The values may be secrets (a password, an OTP secret): names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonRequest")
            .field("params", &self.params.keys().collect::<Vec<_>>())
            .field(
                "extra_query",
                &self.extra_query.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("body", &self.body.as_ref().map(|_| "…"))
            .finish()
    }
}

impl JsonRequest {
    /// The value given for `parameter`, under its wire name or its plain name.
    pub fn param(&self, parameter: &Parameter) -> Option<&Value> {
        self.params
            .get(parameter.name)
            .or_else(|| self.params.get(parameter.plain_name()))
    }
}

impl ManagementClient {
    /// Call `operation` with JSON arguments: checked against the document (an
    /// [`Error::InvalidRequest`] names the parameter and why, and nothing is sent),
    /// then sent like the typed builder's call. Returns the answer's JSON as the server
    /// sent it (`Value::Null` for an empty body).
    pub async fn call_json(
        &self,
        operation: &'static Operation,
        request: &JsonRequest,
    ) -> Result<Value, Error> {
        check(operation, request)?;
        let http = build(self, operation, request)?;
        let response = self.send_hooked(http, operation.name).await?;
        let status = response.status();
        if !status.is_success() {
            return Err(unexpected_response(&response));
        }
        let body = response.bytes().await.map_err(Error::transport)?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        let value: Value =
            serde_json::from_slice(&body).map_err(|e| Error::decode(&e, Some(body.clone())))?;
        let failed = RawEnvelope::parse(&body)
            .and_then(|env| env.into_api_error(status.as_u16()))
            .filter(|api| api.status_code != 200);
        match failed {
            Some(api) => Err(Error::Api(api)),
            None => Ok(value),
        }
    }
}

/// The request the typed builder would build: the path with its parameters filled in
/// and percent-encoded, the query in the table's order (arrays as repeated `key[]=`),
/// then the extra pairs, the body as JSON.
fn build(
    client: &ManagementClient,
    operation: &Operation,
    request: &JsonRequest,
) -> Result<reqwest::Request, Error> {
    let api = client.api();
    let mut path = operation.path.to_string();
    let mut query: Vec<(&str, String)> = Vec::new();
    for p in operation.parameters {
        let Some(value) = request.param(p) else {
            continue;
        };
        match p.location {
            Location::Path => {
                let placeholder = format!("{{{}}}", p.name);
                path = path.replace(&placeholder, &encode_path(&text(value)));
            }
            Location::Query => match value {
                Value::Array(items) => query.extend(items.iter().map(|i| (p.name, text(i)))),
                Value::Null => {}
                other => query.push((p.name, text(other))),
            },
            Location::Body => {}
        }
    }
    query.extend(
        request
            .extra_query
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone())),
    );
    let method = reqwest::Method::from_bytes(operation.method.as_bytes())
        .map_err(|_| Error::InvalidRequest(format!("bad method {}", operation.method)))?;
    let mut builder = api
        .client()
        .request(method, format!("{}{path}", api.baseurl()))
        .header(
            "api-version",
            <authing_management_gen::Client as ClientInfo<authing_management_gen::Inner>>::api_version(),
        );
    if operation.answers_json {
        builder = builder.header(reqwest::header::ACCEPT, "application/json");
    }
    if !query.is_empty() {
        builder = builder.query(&query);
    }
    if let Some(body) = body(operation, request) {
        builder = builder.json(&body);
    }
    builder
        .build()
        .map_err(|e| Error::InvalidRequest(format!("{}: {}", operation.name, e.without_url())))
}

/// The body to send: the one given, else `{}` for an operation that takes one (what
/// the typed builder sends when no field of its body is set).
pub(crate) fn body<'a>(
    operation: &Operation,
    request: &'a JsonRequest,
) -> Option<std::borrow::Cow<'a, Value>> {
    match (&request.body, &operation.body) {
        (Some(given), _) => Some(std::borrow::Cow::Borrowed(given)),
        (None, Some(_)) => Some(std::borrow::Cow::Owned(Value::Object(Map::new()))),
        (None, None) => None,
    }
}

/// A query or path value as Authing's Node SDK writes it: strings as they are, other
/// values as JSON (`true`, `50`).
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
