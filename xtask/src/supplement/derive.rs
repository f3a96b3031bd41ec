//! From the SDK's method table and models to the supplement document: the operations
//! the SDK calls that Authing's document lacks, and the schemas they need.

use super::client::{Literal, Method, Param, CLIENT_FILE};
use super::models::{refs, Models};
use super::schema::{differences, model_schema, schema_of, show, SCHEMA_REF};
use super::types::TsType;
use anyhow::{bail, Result};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Prefix of every supplement operationId. The method-name fix-up drops everything up
/// to the first `_`, as it drops `<Controller>_` from the document's ids, so
/// `NodeSdk_addDevice` becomes `add_device`.
pub const OPERATION_PREFIX: &str = "NodeSdk_";

/// Models the document also has, in a version that differs from the SDK's, where the
/// supplement refers to the document's version (the merge refuses two different
/// schemas of one name). Each is reviewed; the differences are listed in
/// spec/SUPPLEMENT-SOURCE.txt. A difference not listed here fails the derivation.
pub const KEEP_DOCUMENT_SCHEMA: &[(&str, &str)] = &[(
    "RoleDto",
    "document operations already return it; the SDK's only adds the optional \
     enablePermissionApply, which decoding into the document's type skips",
)];

/// What the package is, for descriptions and `x-authing-source`.
pub struct Source<'a> {
    pub package: &'a str,
    pub version: &'a str,
    pub license: &'a str,
}

#[derive(Default)]
pub struct Notes {
    pub methods: usize,
    pub operations: usize,
    pub paths: usize,
    pub passthrough: Vec<String>,
    /// Operations that two SDK methods call: `(METHOD path, [method names])`.
    pub duplicates: Vec<(String, Vec<String>)>,
    /// `(METHOD, path, operationId)` of every supplement operation, sorted.
    pub added: Vec<(String, String, String)>,
    /// Of those, how many are on a path the document does not have at all.
    pub new_paths: usize,
    pub schemas_added: usize,
    pub shared_identical: Vec<String>,
    /// `(schema, differences, reason)` of the document schemas kept over the SDK's.
    pub shared_kept: Vec<(String, Vec<String>, &'static str)>,
    /// `(method, path)` of the document's operations no SDK method calls.
    pub document_only: Vec<(String, String)>,
    /// The same derivation applied to the operations the document has too.
    pub check: super::against_document::Outcome,
}

pub fn derive(
    src: &Source,
    methods: &[Method],
    passthrough: &[String],
    models: &mut Models,
    document: &Value,
    keep: &[(&str, &'static str)],
) -> Result<(Value, Notes)> {
    let mut notes = Notes {
        methods: methods.len(),
        passthrough: passthrough.to_vec(),
        ..Notes::default()
    };
    let doc_paths = document["paths"].as_object().expect("document paths");
    let in_document = |m: &Method| {
        doc_paths
            .get(&m.request.url)
            .is_some_and(|item| item.get(m.request.method.to_lowercase()).is_some())
    };

    let mut by_operation: BTreeMap<(String, String), Vec<&Method>> = BTreeMap::new();
    for m in methods {
        let key = (m.request.url.clone(), m.request.method.to_lowercase());
        by_operation.entry(key).or_default().push(m);
    }
    notes.operations = by_operation.len();
    notes.paths = by_operation
        .keys()
        .map(|(p, _)| p)
        .collect::<BTreeSet<_>>()
        .len();
    for ((path, method), ms) in &by_operation {
        if ms.len() > 1 {
            let names = ms.iter().map(|m| m.name.clone()).collect();
            notes
                .duplicates
                .push((format!("{} {path}", method.to_uppercase()), names));
            if !in_document(ms[0]) {
                bail!("{method} {path} is called by several SDK methods ({:?}); which one describes it?", ms.iter().map(|m| &m.name).collect::<Vec<_>>());
            }
        }
    }
    for (path, item) in doc_paths {
        for method in item.as_object().expect("path item").keys() {
            if !by_operation.contains_key(&(path.clone(), method.clone())) {
                notes.document_only.push((method.clone(), path.clone()));
            }
        }
    }

    let in_both: Vec<&Method> = by_operation
        .values()
        .map(|ms| ms[0])
        .filter(|m| in_document(m))
        .collect();
    notes.check = super::against_document::check(src, &in_both, models, document);

    let mut paths = Map::new();
    let mut wanted: Vec<(String, String)> = Vec::new();
    for ms in by_operation.values() {
        let m = ms[0];
        if in_document(m) {
            continue;
        }
        let op = operation(src, m, models, &mut wanted)?;
        let method = m.request.method.to_lowercase();
        notes.added.push((
            method.clone(),
            m.request.url.clone(),
            op["operationId"].as_str().expect("id").to_string(),
        ));
        if !doc_paths.contains_key(&m.request.url) {
            notes.new_paths += 1;
        }
        paths
            .entry(m.request.url.clone())
            .or_insert_with(|| json!({}))[&method] = op;
    }

    let schemas = closure(models, document, wanted, keep, &mut notes)?;
    notes.schemas_added = schemas.len();
    let document_only: Vec<Value> = notes
        .document_only
        .iter()
        .map(|(m, p)| json!({"method": m, "path": p}))
        .collect();
    let supplement = json!({
        "openapi": "3.0.0",
        "info": {
            "title": format!("Authing Management API: what {} {} calls beyond the published document", src.package, src.version),
            "version": src.version,
            "description": format!(
                "Derived by `cargo xtask supplement` from {}@{} ({}), src/ManagementClient.ts and src/models/. \
                 Holds the operations that SDK calls and Authing's published document lacks, and the schemas they need \
                 beyond the document's own.", src.package, src.version, src.license),
        },
        "x-authing-source": {"package": src.package, "version": src.version, "license": src.license},
        "x-authing-document-only": document_only,
        "paths": paths,
        "components": {"schemas": schemas},
    });
    Ok((supplement, notes))
}

/// One supplement operation; the models it refers to are pushed onto `wanted` with
/// the place that wants them.
pub fn operation(
    src: &Source,
    m: &Method,
    models: &mut Models,
    wanted: &mut Vec<(String, String)>,
) -> Result<Value> {
    let at = format!("{CLIENT_FILE}:{}", m.line);
    let r = &m.request;
    if !m.regular {
        bail!(
            "{at}: {} does more than `return await this.httpClient.request({{…}})`",
            m.name
        );
    }
    if !r.url.starts_with('/') || r.url.contains(['{', '}', '?', '#']) {
        bail!(
            "{at}: {} calls url {:?}, which is not a plain path",
            m.name,
            r.url
        );
    }
    if !["GET", "POST", "PUT", "DELETE"].contains(&r.method.as_str()) {
        bail!("{at}: {} uses HTTP method {}", m.name, r.method);
    }
    if !r.other_keys.is_empty() {
        bail!(
            "{at}: {} also sets {:?} on the request",
            m.name,
            r.other_keys
        );
    }
    for (tag, _) in &m.tags {
        if !["summary", "description", "returns", "deprecated"].contains(&tag.as_str()) {
            bail!(
                "{at}: {} has doc tag @{tag}, which the derivation does not know",
                m.name
            );
        }
    }

    let mut used = BTreeSet::new();
    let mut parameters = Vec::new();
    for (key, var) in r.params.iter().flatten() {
        let Some((prop, default)) = m.variable(var) else {
            bail!(
                "{at}: query parameter {key} is sent from {var}, which {} does not take",
                m.name
            );
        };
        used.insert(var.clone());
        let p_at = format!("{CLIENT_FILE}:{}", prop.line);
        if !query_expressible(&prop.ty) {
            bail!(
                "{p_at}: query parameter {key} has type {}, which a query string cannot carry",
                show(&prop.ty)
            );
        }
        let mut schema = schema_of(&prop.ty, None, models, &p_at)?;
        if let Some(d) = default {
            schema["default"] = literal_json(d, &p_at)?;
        }
        let mut param =
            json!({"name": key, "in": "query", "required": !prop.optional, "schema": schema});
        if let Some(doc) = &prop.doc {
            param["description"] = json!(doc);
        }
        parameters.push(param);
    }

    let mut op = json!({
        "operationId": format!("{OPERATION_PREFIX}{}", m.name),
        "parameters": parameters,
        // The Node SDK authenticates every call of the method table the same way.
        "security": [{"x-authing-userpool-id": []}, {"bearer": []}],
        "x-authing-source": {
            "package": src.package,
            "version": src.version,
            "method": m.name,
            "file": CLIENT_FILE,
            "line": m.line,
        },
    });
    match &r.data {
        None => {}
        Some(Err(line)) => bail!(
            "{CLIENT_FILE}:{line}: {}'s request body is not a parameter",
            m.name
        ),
        Some(Ok(var)) => {
            let Some((prop, _)) = m.variable(var) else {
                bail!(
                    "{at}: the body is sent from {var}, which {} does not take",
                    m.name
                );
            };
            used.insert(var.clone());
            let mut names = Vec::new();
            refs(&prop.ty, &mut names);
            wanted.extend(names.into_iter().map(|n| (n, at.clone())));
            let schema = schema_of(&prop.ty, None, models, &at)?;
            op["requestBody"] = json!({
                "required": !prop.optional,
                "content": {"application/json": {"schema": schema}},
            });
        }
    }
    for p in &m.params {
        let vars: Vec<&str> = match p {
            Param::Positional(prop) => vec![&prop.name],
            Param::Destructured(props) => props.iter().map(|(p, _)| p.name.as_str()).collect(),
        };
        if let Some(unused) = vars.iter().find(|v| !used.contains(**v)) {
            bail!("{at}: {} takes {unused} but never sends it", m.name);
        }
    }

    let returned = match (&m.returns, m.tag("returns")) {
        (Some(TsType::Ref(t)), Some(r)) if t == r => t.clone(),
        (promise, tag) => bail!(
            "{at}: {} returns {} but documents @returns {}; expected one response model in both",
            m.name,
            promise.as_ref().map_or("nothing".into(), show),
            tag.unwrap_or("nothing")
        ),
    };
    models.get(&returned, &at)?;
    wanted.push((returned.clone(), at.clone()));
    op["responses"] = json!({"200": {
        "description": "",
        "content": {"application/json": {"schema": {"$ref": format!("{SCHEMA_REF}{returned}")}}},
    }});

    let summary = m.tag("summary").filter(|s| !s.is_empty());
    let description = m.tag("description").filter(|s| !s.is_empty()).or(summary);
    let provenance = format!(
        "Not in Authing's published OpenAPI document: derived from {}@{} ({}), \
         `ManagementClient.{}` ({CLIENT_FILE}:{}).",
        src.package, src.version, src.license, m.name, m.line
    );
    if let Some(s) = summary {
        op["summary"] = json!(s);
    }
    op["description"] = json!(match description {
        Some(d) => format!("{d}\n\n{provenance}"),
        None => provenance,
    });
    if m.tag("deprecated").is_some() {
        op["deprecated"] = json!(true);
    }
    Ok(op)
}

/// Scalars, enums and arrays of them: what `?k=v&k=w` can carry.
fn query_expressible(t: &TsType) -> bool {
    match t {
        TsType::String | TsType::Number | TsType::Boolean | TsType::Literal(_) => true,
        TsType::EnumRef(..) => true,
        TsType::Union(ms) => ms.iter().all(|m| matches!(m, TsType::Literal(_))),
        TsType::Array(i) => query_expressible(i) && !matches!(**i, TsType::Array(_)),
        _ => false,
    }
}

fn literal_json(l: &Literal, at: &str) -> Result<Value> {
    Ok(match l {
        Literal::Bool(b) => json!(b),
        Literal::Str(s) => json!(s),
        Literal::Num(n) => match (n.parse::<i64>(), n.parse::<f64>()) {
            (Ok(i), _) => json!(i),
            (_, Ok(f)) => json!(f),
            _ => bail!("{at}: default {n} is not a number"),
        },
    })
}

/// The component schemas the supplement needs: every model reachable from its
/// operations, except those the document already has. A model the document has is
/// compared with it; its own references are then the document's business.
fn closure(
    models: &mut Models,
    document: &Value,
    mut todo: Vec<(String, String)>,
    keep: &[(&str, &'static str)],
    notes: &mut Notes,
) -> Result<Map<String, Value>> {
    let doc_schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas");
    let mut out = Map::new();
    let mut seen = BTreeSet::new();
    let mut kept_unused: BTreeSet<&str> = keep.iter().map(|(n, _)| *n).collect();
    let mut unreviewed = Vec::new();
    while let Some((name, at)) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let model = models.get(&name, &at)?.clone();
        if let Some(theirs) = doc_schemas.get(&name) {
            let diff = differences(&model, theirs);
            if diff.is_empty() {
                notes.shared_identical.push(name);
                continue;
            }
            let Some((_, reason)) = keep.iter().find(|(n, _)| *n == name) else {
                unreviewed.push(format!(
                    "{}:{}: model {name} differs from the document's schema of that name:\n  {}",
                    model.file,
                    model.line,
                    diff.join("\n  ")
                ));
                continue;
            };
            kept_unused.remove(name.as_str());
            notes.shared_kept.push((name, diff, reason));
            continue;
        }
        for p in &model.props {
            let mut names = Vec::new();
            refs(&p.ty, &mut names);
            let p_at = format!("{}:{}", model.file, p.line);
            todo.extend(names.into_iter().map(|n| (n, p_at.clone())));
        }
        out.insert(name, model_schema(&model, models)?);
    }
    if !unreviewed.is_empty() {
        unreviewed.sort();
        bail!(
            "{}\nReview each and list it in KEEP_DOCUMENT_SCHEMA (xtask/src/supplement/derive.rs) with the reason.",
            unreviewed.join("\n")
        );
    }
    if let Some(stale) = kept_unused.first() {
        bail!("KEEP_DOCUMENT_SCHEMA lists {stale}, which no longer differs or is no longer used: remove it");
    }
    notes.shared_identical.sort();
    notes.shared_kept.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

#[cfg(test)]
#[path = "derive_tests.rs"]
mod tests;
