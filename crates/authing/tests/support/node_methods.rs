//! The Node SDK's method table, read from its own `src/ManagementClient.ts`: for each
//! method, the request it makes (HTTP method and path) and how it takes its arguments,
//! so that a document operation is paired with the Node method that calls the same
//! path (several share a name with another path: `deleteDevice` calls
//! `delete-device-by-user`).

use std::collections::BTreeMap;

/// How a Node method takes its arguments.
#[derive(Debug, PartialEq)]
pub enum Form {
    Nothing,
    /// `(requestBody)`: the body.
    Body,
    /// `({a, b})`: the query parameters as one object, under the method's own names.
    Query,
    /// Anything else (positional values, or a query and a body).
    Other,
}

#[derive(Debug)]
pub struct NodeMethod {
    pub name: String,
    pub http: String,
    pub path: String,
    pub form: Form,
    /// Query parameters the method takes under another name: wire name → its name.
    pub renamed: BTreeMap<String, String>,
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

pub fn parse(ts: &str) -> Vec<NodeMethod> {
    ts.split("\n  public async ")
        .skip(1)
        .filter_map(|chunk| {
            let (name, rest) = chunk.split_once('(')?;
            let http = between(rest, "method: \"", "\"")?.to_string();
            let path = between(rest, "url: \"", "\"")?.to_string();
            let params = between(rest, "params: {", "}");
            // A line of its own: `withMetadata: withMetadata` is no body.
            let data = rest.lines().any(|l| l.trim_start().starts_with("data: "));
            let form = match rest.trim_start() {
                r if r.starts_with(')') && params.is_none() && !data => Form::Nothing,
                r if r.starts_with("requestBody") && params.is_none() => Form::Body,
                r if r.starts_with('{') && !data => Form::Query,
                _ => Form::Other,
            };
            let renamed = params
                .into_iter()
                .flat_map(|p| p.split(','))
                .filter_map(|pair| {
                    let (wire, local) = pair.split_once(':')?;
                    let (wire, local) = (wire.trim().trim_matches('"'), local.trim());
                    (wire != local).then(|| (wire.to_string(), local.to_string()))
                })
                .collect();
            Some(NodeMethod {
                name: name.trim().to_string(),
                http,
                path,
                form,
                renamed,
            })
        })
        .collect()
}
