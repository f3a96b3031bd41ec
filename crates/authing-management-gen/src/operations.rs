//! Every operation as data, for calls made from JSON rather than through the typed
//! builders (`authing api` on the command line, the `authing` crate's
//! `ManagementClient::call_json`). `cargo xtask generate` writes the table
//! ([`OPERATIONS`], in `generated_operations.rs`) from the fixed-up document, so what it
//! says about parameters, bodies and paging is what the typed client does.

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use crate::generated_operations::OPERATIONS;

/// One operation of the Management API.
#[derive(Debug)]
pub struct Operation {
    /// The method name on [`crate::Client`] (`list_users`).
    pub name: &'static str,
    /// Authing's operationId (`UsersManagementController_listUsers`, or `NodeSdk_*` for
    /// what only the Node SDK calls).
    pub operation_id: &'static str,
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: &'static str,
    /// The path, with `{name}` for path parameters.
    pub path: &'static str,
    /// The document's one-line summary (Chinese, as Authing writes it).
    pub summary: &'static str,
    /// Generated but no longer called by Authing's own SDK (see the README).
    pub deprecated: bool,
    /// Path parameters, then query parameters, in the order the typed builder sends
    /// them (by name), then the top-level properties of the body.
    pub parameters: &'static [Parameter],
    /// The JSON body, for operations that take one.
    pub body: Option<Body>,
    /// Whether the document gives the answer a JSON body (the typed builder asks for
    /// `application/json` only then).
    pub answers_json: bool,
    /// How the operation pages, for the 77 that do.
    pub paging: Option<Paging>,
}

/// A parameter, or a top-level property of the body.
#[derive(Debug)]
pub struct Parameter {
    /// The name on the wire (array query parameters end in `[]`, as Authing's Node SDK
    /// sends them).
    pub name: &'static str,
    pub location: Location,
    pub required: bool,
    pub kind: Kind,
    /// The allowed values, when the document lists them (for an array: its items').
    pub values: &'static [&'static str],
}

impl Parameter {
    /// The name without the `[]` of array query parameters (`userIds`).
    pub fn plain_name(&self) -> &'static str {
        self.name.strip_suffix("[]").unwrap_or(self.name)
    }
}

/// Where a parameter goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    /// A top-level property of the JSON body.
    Body,
}

/// The JSON type the document gives a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Object,
    /// Untyped in the document: any JSON value.
    Any,
    Array(&'static Kind),
}

/// An operation's JSON body.
#[derive(Debug)]
pub struct Body {
    pub required: bool,
    /// Decode a body into the generated body type: `Err` names the JSON path and what
    /// was expected there, never the value met.
    pub check: fn(&Value) -> Result<(), String>,
}

/// How an operation pages (what `cargo xtask generate` found; the typed builders
/// implement `Paged` from the same findings).
#[derive(Debug)]
pub struct Paging {
    pub at: PageAt,
    /// A JSON pointer to the page's items in the answer (`/data/list`).
    pub items: &'static str,
    /// A JSON pointer to the list's total length, when the answer has one.
    pub total: Option<&'static str>,
    /// The largest page size the document allows, when it says.
    pub max_page_size: Option<i64>,
}

/// Where a request says which page it wants.
#[derive(Debug)]
pub enum PageAt {
    /// Query parameters named `page` and `limit` (or `pageNo` and `pageSize`).
    Query {
        page: &'static str,
        limit: &'static str,
    },
    /// `page` and `limit` in the body, under the object at these keys.
    Body { at: &'static [&'static str] },
}

/// Decode `value` as `T`, naming the JSON path of a failure (`list[0].otp: missing
/// field `secret``), without quoting the value (it may be a secret).
#[doc(hidden)]
pub fn check_body<T: DeserializeOwned>(value: &Value) -> Result<(), String> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(_) => Ok(()),
        Err(e) => {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            // The allowed values are the document's, safe to show; the value met is not.
            let what = match message.strip_prefix("unknown variant ") {
                Some(rest) => match rest.rsplit_once(", expected ") {
                    Some((_, allowed)) => format!("not an allowed value: expected {allowed}"),
                    None => "not an allowed value".to_string(),
                },
                None => crate::decode::without_values(&message),
            };
            Err(if path == "." {
                what
            } else {
                format!("{path}: {what}")
            })
        }
    }
}
