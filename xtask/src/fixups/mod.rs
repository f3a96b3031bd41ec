//! The reviewed repairs applied to Authing's OpenAPI document before generation.
//!
//! The vendored `spec/management-openapi.json` is never edited. Each fix-up is a rule
//! over the parsed JSON (no hand list of operations, except where a list is the
//! evidence itself), has a reason, and reports every location it changed; the full list
//! is written to `spec/fixups-applied.txt`, so a change of upstream document or of a
//! rule shows up as a reviewable diff (and `generate --check` catches it stale).
//!
//! The rules follow one policy, "lenient in, exact out": a response decodes whenever
//! its data is usable (Authing's server sends nulls, omits documented fields, writes
//! dates in several forms and adds enum values), and a request carries exactly what
//! Authing's own SDKs send (integers without `.0`, query arrays as `key[]=`, nothing
//! the server does not require).

mod info;
mod naming;
mod numbers;
mod requests;
mod responses;
mod values;

use anyhow::{anyhow, bail, Result};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

use crate::document::escape;

pub use naming::to_snake;

/// One entry of the report: which fix-up touched which JSON location.
pub type Report = Vec<(&'static str, String)>;

/// The schema secret-bearing properties point at; the xtask replaces its generated
/// type by the hand-written `crate::Secret`.
pub const SECRET_SCHEMA: &str = "AuthingSecret";
/// The schema date-time properties point at; replaced by `crate::LenientDateTime`.
pub const DATE_TIME_SCHEMA: &str = "AuthingDateTime";

/// What a rule does when the document lacks the thing it repairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Absent {
    /// Generation fails (the vendored document): a rule must not outlive its
    /// target unnoticed, since its evidence may no longer hold either.
    Fails,
    /// A note, and generation goes on (another revision, `--spec`): where the
    /// target is absent the rule has nothing to repair.
    Noted,
}

/// What [`apply`] did: the changes, and the rules that found nothing to repair.
pub struct Applied {
    pub report: Report,
    pub notes: Vec<String>,
}

pub fn apply(doc: &mut Value, absent: Absent) -> Result<Applied> {
    let mut report = Report::new();
    let mut notes = Vec::new();
    info::version_string(doc, &mut report);
    // The rules below take the document's shape for granted; a document that is not
    // OpenAPI 3.0 stops here, at the first value that does not fit.
    crate::document::openapi(doc).map_err(|e| anyhow!("not an OpenAPI 3.0 document at {e}"))?;
    // Which schemas requests and responses use, read before any rule adds references.
    let sides = Sides::of(doc)?;
    values::strip_defaults(doc, &mut report);
    values::no_client_side_checks(doc, &mut report);
    numbers::integers(doc, &mut report)?;
    numbers::integral_alternatives(doc, &mut report);
    values::free_form_values(doc, &mut report);
    values::lenient_date_times(doc, &mut report);
    values::secret_fields(doc, &mut report);
    responses::open_enums(doc, &sides, &mut report);
    responses::optional_inside_data(doc, &sides, &mut report);
    requests::not_required_by_the_server(doc, absent, &mut report, &mut notes)?;
    responses::nullable_optional_containers(doc, &mut report);
    requests::query_arrays(doc, &mut report);
    naming::accept_200_where_201_declared(doc, &mut report);
    naming::method_names(doc, &mut report)?;
    Ok(Applied { report, notes })
}

/// The component schemas reachable from requests (bodies, parameters) and from
/// responses. A schema may be on both sides (34 are in the 2023-11 document).
pub struct Sides {
    pub requests: BTreeSet<String>,
    pub responses: BTreeSet<String>,
    /// The schemas operations answer with directly: Authing's envelopes.
    pub envelopes: BTreeSet<String>,
}

impl Sides {
    fn of(doc: &Value) -> Result<Sides> {
        let mut request_roots = Vec::new();
        let mut response_roots = Vec::new();
        let mut envelopes = BTreeSet::new();
        let operations = doc["paths"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values())
            .flat_map(|item| item.as_object().into_iter().flat_map(|i| i.values()));
        for op in operations {
            collect_refs(&op["requestBody"], &mut request_roots);
            collect_refs(&op["parameters"], &mut request_roots);
            collect_refs(&op["responses"], &mut response_roots);
            let responses = op["responses"]
                .as_object()
                .into_iter()
                .flat_map(|r| r.values());
            for response in responses {
                let direct = response
                    .pointer("/content/application~1json/schema/$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"));
                envelopes.extend(direct.map(str::to_string));
            }
        }
        Ok(Sides {
            requests: closure(doc, request_roots)?,
            responses: closure(doc, response_roots)?,
            envelopes,
        })
    }
}

fn closure(doc: &Value, mut todo: Vec<String>) -> Result<BTreeSet<String>> {
    let schemas = &doc["components"]["schemas"];
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            let Some(s) = schemas.get(&name) else {
                bail!("a $ref points at the missing schema {name}");
            };
            collect_refs(s, &mut todo);
        }
    }
    Ok(seen)
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    out.push(name.to_string());
                }
            }
            m.values().for_each(|c| collect_refs(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| collect_refs(c, out)),
        _ => {}
    }
}

/// Visit every operation: `(path, method, operation)`.
fn for_each_operation(doc: &mut Value, mut f: impl FnMut(&str, &str, &mut Map<String, Value>)) {
    let paths = doc["paths"].as_object_mut().expect("paths is an object");
    for (path, item) in paths.iter_mut() {
        for (method, op) in item.as_object_mut().expect("path item is an object") {
            if let Some(op) = op.as_object_mut() {
                f(path, method, op);
            }
        }
    }
}

/// Visit every JSON object in `v`, with its JSON pointer. Example values are data, not
/// schemas, and are not entered (an example object may well have a `type` key).
fn walk_objects(v: &mut Value, at: &str, f: &mut impl FnMut(&str, &mut Map<String, Value>)) {
    match v {
        Value::Object(map) => {
            f(at, map);
            for (k, child) in map.iter_mut() {
                if k == "example" || k == "examples" {
                    continue;
                }
                walk_objects(child, &format!("{at}/{}", escape(k)), f);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                walk_objects(child, &format!("{at}/{i}"), f);
            }
        }
        _ => {}
    }
}

/// Visit every object of the schemas one side uses: the named component schemas and
/// the inline schemas of that side in every operation.
fn walk_side(
    doc: &mut Value,
    names: &BTreeSet<String>,
    inline: &[&str],
    f: &mut impl FnMut(&str, &mut Map<String, Value>),
) {
    for name in names {
        let at = format!("/components/schemas/{}", escape(name));
        walk_objects(&mut doc["components"]["schemas"][name], &at, f);
    }
    for_each_operation(doc, |path, method, op| {
        for key in inline {
            if let Some(v) = op.get_mut(*key) {
                let at = format!("/paths/{}/{method}/{key}", escape(path));
                walk_objects(v, &at, f);
            }
        }
    });
}

fn is_schema_like(map: &Map<String, Value>) -> bool {
    [
        "type",
        "$ref",
        "enum",
        "allOf",
        "oneOf",
        "anyOf",
        "properties",
        "items",
    ]
    .iter()
    .any(|k| map.contains_key(*k))
}

/// Each named property schema of an object schema, with the object's location.
fn for_each_property(
    map: &mut Map<String, Value>,
    at: &str,
    mut f: impl FnMut(&str, &str, &mut Value),
) {
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for (name, schema) in props.iter_mut() {
            let here = format!("{at}/properties/{}", escape(name));
            f(name, &here, schema);
        }
    }
}
