//! Two recorded requests, compared as Authing's server reads them, each difference
//! written as one line; and a recorded request's signature, checked by our signer's
//! rules.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One request as it reached a recorder.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// The raw query string, without `?` ("" when none).
    pub query: String,
    /// Lower-case names.
    pub headers: BTreeMap<String, String>,
    /// The raw body ("" when none).
    pub body: String,
}

/// Headers whose values differ between any two requests by design (time, randomness),
/// not between the SDKs.
const PER_REQUEST: &[&str] = &["date", "x-authing-signature-nonce"];

/// Every way `ours` differs from `node`, one line each; none when they are the same
/// request. `node_qs` and `our_qs` are the two queries as Express's `qs` read them.
pub fn differences(
    node: &Recorded,
    node_qs: &Value,
    ours: &Recorded,
    our_qs: &Value,
) -> Vec<String> {
    let mut out = Vec::new();
    if node.method != ours.method {
        out.push(format!("method: Node {}, we {}", node.method, ours.method));
    }
    if node.path != ours.path {
        out.push(format!("path: Node {}, we {}", node.path, ours.path));
    }
    query_differences(node, node_qs, ours, our_qs, &mut out);
    body_differences(&node.body, &ours.body, &mut out);
    let signed = |r: &Recorded| -> BTreeSet<String> {
        r.headers
            .keys()
            .filter(|n| is_signed(n) && !PER_REQUEST.contains(&n.as_str()))
            .cloned()
            .collect()
    };
    for name in signed(node).union(&signed(ours)) {
        let (n, o) = (node.headers.get(name), ours.headers.get(name));
        if n != o {
            out.push(format!("header {name}: Node {}, we {}", shown(n), shown(o)));
        }
    }
    out
}

fn shown(v: Option<&String>) -> String {
    v.map_or_else(|| "none".to_string(), |v| v.clone())
}

fn is_signed(name: &str) -> bool {
    name == "date" || name.starts_with("x-authing-")
}

/// What the server reads (the `qs` reading, key by key), then the wire form where the
/// readings agree but the pairs do not (`key[]=a` against `key=a&key=b` read alike).
fn query_differences(
    node: &Recorded,
    node_qs: &Value,
    ours: &Recorded,
    our_qs: &Value,
    out: &mut Vec<String>,
) {
    let empty = serde_json::Map::new();
    let (n, o) = (
        node_qs.as_object().unwrap_or(&empty),
        our_qs.as_object().unwrap_or(&empty),
    );
    let keys: BTreeSet<&String> = n.keys().chain(o.keys()).collect();
    let mut read_apart = BTreeSet::new();
    for key in keys {
        let (nv, ov) = (n.get(key), o.get(key));
        if nv != ov {
            read_apart.insert(key.clone());
            out.push(format!(
                "query {key}: Node {}, we {}",
                json_or_none(nv),
                json_or_none(ov)
            ));
        }
    }
    let (n, o) = (multimap(&node.query), multimap(&ours.query));
    let roots: BTreeSet<&str> = n.keys().chain(o.keys()).map(|k| root(k)).collect();
    for r in roots {
        let pairs = |m: &BTreeMap<String, Vec<String>>| -> Vec<String> {
            m.iter()
                .filter(|(k, _)| root(k) == r)
                .flat_map(|(k, vs)| vs.iter().map(move |v| format!("{k}={v}")))
                .collect()
        };
        let (np, op) = (pairs(&n), pairs(&o));
        if np != op && !read_apart.contains(r) {
            out.push(format!(
                "query wire form of {r} (read alike): Node {}, we {}",
                np.join("&"),
                op.join("&")
            ));
        }
    }
}

/// The decoded pairs of a query string, values in their order, by key.
pub fn multimap(query: &str) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        m.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    m
}

/// `a[]` and `a[b]` are read by `qs` into the key `a`.
fn root(key: &str) -> &str {
    key.split('[').next().unwrap_or(key)
}

fn json_or_none(v: Option<&Value>) -> String {
    v.map_or_else(|| "none".to_string(), Value::to_string)
}

/// Bodies as JSON values: numbers as they are on the wire (`1000` and `1000.0` differ:
/// serde_json keeps integers and floats apart), object keys in any order (a server reads
/// them by name; each signature is computed over its own body's order).
fn body_differences(node: &str, ours: &str, out: &mut Vec<String>) {
    match (node.is_empty(), ours.is_empty()) {
        (true, true) => return,
        (false, true) | (true, false) => {
            let show = |b: &str| {
                if b.is_empty() {
                    "none".to_string()
                } else {
                    b.to_string()
                }
            };
            out.push(format!("body: Node {}, we {}", show(node), show(ours)));
            return;
        }
        (false, false) => {}
    }
    match (
        serde_json::from_str::<Value>(node),
        serde_json::from_str::<Value>(ours),
    ) {
        (Ok(n), Ok(o)) => json_differences("", Some(&n), Some(&o), out),
        _ => out.push(format!("body (not both JSON): Node {node}, we {ours}")),
    }
}

fn json_differences(at: &str, node: Option<&Value>, ours: Option<&Value>, out: &mut Vec<String>) {
    match (node, ours) {
        (Some(Value::Object(n)), Some(Value::Object(o))) => {
            let keys: BTreeSet<&String> = n.keys().chain(o.keys()).collect();
            for k in keys {
                json_differences(&format!("{at}/{k}"), n.get(k), o.get(k), out);
            }
        }
        (Some(Value::Array(n)), Some(Value::Array(o))) if n.len() == o.len() => {
            for (i, (n, o)) in n.iter().zip(o).enumerate() {
                json_differences(&format!("{at}/{i}"), Some(n), Some(o), out);
            }
        }
        (n, o) if n != o => {
            let at = if at.is_empty() { "/" } else { at };
            out.push(format!(
                "body {at}: Node {}, we {}",
                json_or_none(n),
                json_or_none(o)
            ));
        }
        _ => {}
    }
}

/// Whether the request's `authorization` is `authing <key_id>:<signature>` with the
/// signature our signer computes from what was received: the parameters rebuilt from
/// the wire (`authing::signature::params`), the signed headers as received. `Err` says
/// what was expected.
pub fn signature_verifies(r: &Recorded, key_id: &str, secret: &str) -> Result<(), String> {
    let params = authing::signature::params(&r.method, Some(&r.query), Some(r.body.as_bytes()));
    let headers = r.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    let sts = authing::signature::string_to_sign(&r.method, headers, &r.path, &params);
    let want = format!(
        "authing {key_id}:{}",
        authing::signature::sign(secret, &sts)
    );
    match r.headers.get("authorization") {
        Some(got) if *got == want => Ok(()),
        _ => Err(format!("our rules sign {:?}", sts)),
    }
}
