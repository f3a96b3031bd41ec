//! What a stateful operation needs before a request built from the document can succeed:
//! the users, roles, groups, organisations and departments it refers to. Each operation
//! starts from an empty store so that the order of operations does not matter.
//!
//! Records are created through the emulator's own API, as a test of a client would. Where
//! the emulator makes up an id (departments), the request is rewritten to use it.

use authing_emulator::operation as op;
use authing_emulator::SeedUser;
use serde_json::{json, Value};

use super::{Session, AK, SK};

/// Values of query parameter `name` (also as `name[]`).
fn query_values(path: &str, name: &str) -> Vec<String> {
    let array = format!("{name}[]");
    url::Url::parse(&format!("http://x{path}"))
        .unwrap()
        .query_pairs()
        .filter(|(k, _)| k == name || *k == array)
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// A string from the query or the body.
fn given(path: &str, body: &Option<Value>, name: &str) -> Option<String> {
    query_values(path, name).pop().or_else(|| {
        body.as_ref()
            .and_then(|b| b[name].as_str())
            .map(str::to_string)
    })
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// The ids of the users a request refers to, so that they can be seeded.
fn referenced_users(path: &str, body: Option<&Value>) -> Vec<String> {
    let mut ids: Vec<String> = ["userId", "userIds"]
        .iter()
        .flat_map(|name| query_values(path, name))
        .collect();
    if let Some(body) = body {
        ids.extend(strings(&body["userId"]));
        ids.extend(strings(&body["userIds"]));
        for item in body["list"].as_array().into_iter().flatten() {
            ids.extend(strings(&item["userId"]));
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

/// Sets parameter `name` (query or top-level body property) to the emulator's value where
/// the document made one up.
fn rewrite(path: &mut String, body: &mut Option<Value>, name: &str, to: &str) {
    let mut url = url::Url::parse(&format!("http://x{path}")).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                to.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    if !pairs.is_empty() {
        url.query_pairs_mut().clear().extend_pairs(&pairs);
        *path = format!("{}?{}", url.path(), url.query().unwrap_or_default());
    }
    if let Some(Value::Object(map)) = body {
        if map.contains_key(name) {
            map.insert(name.to_string(), json!(to));
        }
    }
}

async fn create(session: &Session, path: &str, body: Value) -> Value {
    let answer = session.post(path, &body).await;
    assert_eq!(answer.body["statusCode"], 200, "{path}: {}", answer.text);
    answer.body["data"].clone()
}

/// Creates organisation `code`; returns the id of its root department.
async fn organization(session: &Session, code: &str) -> String {
    let org = json!({"organizationCode": code, "organizationName": code});
    let data = create(session, "/api/v3/create-organization", org).await;
    data["departmentId"].as_str().unwrap().to_string()
}

/// Creates a department below `parent`; returns its id.
async fn department(session: &Session, org: &str, parent: &str) -> String {
    // The document requires `metadata`; Authing's own test creates departments without it
    // (not yet in the generator's not-required list, so the emulator still asks for it).
    let body = json!({"organizationCode": org, "parentDepartmentId": parent, "name": "prepared",
                      "metadata": {}});
    let data = create(session, "/api/v3/create-department", body).await;
    data["departmentId"].as_str().unwrap().to_string()
}

pub async fn prepare_stateful(
    session: &Session,
    id: &str,
    path: &mut String,
    body: &mut Option<Value>,
) {
    let emu = session.emu();
    emu.reset();
    let users: Vec<SeedUser> = referenced_users(path, body.as_ref())
        .into_iter()
        .map(SeedUser::new)
        .collect();
    emu.seed(users.clone()).unwrap();
    let namespace = given(path, body, "namespace");
    let org = given(path, body, "organizationCode").unwrap_or_default();
    match id {
        // The document's example credentials are not the emulator's.
        op::GET_MANAGEMENT_TOKEN => {
            *body = Some(json!({"accessKeyId": AK, "accessKeySecret": SK}));
        }
        // Elasticsearch queries are not emulated (the README says so).
        op::LIST_USERS => {
            if let Some(Value::Object(map)) = body {
                map.remove("searchQuery");
            }
        }
        // The document's examples make both list items the same user (group); the emulator
        // refuses duplicates within a batch, as Authing does.
        op::CREATE_USERS_BATCH | op::CREATE_GROUPS_BATCH => {
            if let Some(list) = body.as_mut().and_then(|b| b["list"].as_array_mut()) {
                list.truncate(1);
            }
        }
        // Reading a secret back needs one bound first.
        op::GET_OTP_SECRET_BY_USER => {
            for user in &users {
                let import = json!({"list": [{"userId": user.user_id, "otp": {"secret": "JBSWY3DPEHPK3PXP"}}]});
                create(session, "/api/v3/import-otp", import).await;
            }
        }
        op::GET_ROLE
        | op::UPDATE_ROLE
        | op::ASSIGN_ROLE
        | op::REVOKE_ROLE
        | op::LIST_ROLE_MEMBERS
        | op::DELETE_ROLES_BATCH => {
            let mut codes: Vec<String> = given(path, body, "code").into_iter().collect();
            codes.extend(
                body.as_ref()
                    .map(|b| strings(&b["codeList"]))
                    .unwrap_or_default(),
            );
            for code in codes {
                let role = json!({"code": code, "namespace": namespace});
                create(session, "/api/v3/create-role", role).await;
            }
            // The examples' targets are departments of another pool: assign a user instead.
            if let Some(Value::Object(map)) = body.as_mut().filter(|_| id != op::UPDATE_ROLE) {
                if map.contains_key("targets") {
                    emu.seed([SeedUser::new("target-user")]).unwrap();
                    map["targets"] =
                        json!([{"targetType": "USER", "targetIdentifier": "target-user"}]);
                }
            }
        }
        op::GET_GROUP
        | op::UPDATE_GROUP
        | op::ADD_GROUP_MEMBERS
        | op::REMOVE_GROUP_MEMBERS
        | op::LIST_GROUP_MEMBERS
        | op::DELETE_GROUPS_BATCH => {
            let mut codes: Vec<String> = given(path, body, "code").into_iter().collect();
            codes.extend(
                body.as_ref()
                    .map(|b| strings(&b["codeList"]))
                    .unwrap_or_default(),
            );
            for code in codes {
                let group = json!({"code": code, "name": code, "description": ""});
                create(session, "/api/v3/create-group", group).await;
            }
        }
        op::GET_ORGANIZATION | op::DELETE_ORGANIZATION => {
            organization(session, &org).await;
        }
        op::CREATE_DEPARTMENT => {
            let root = organization(session, &org).await;
            rewrite(path, body, "parentDepartmentId", &root);
        }
        op::GET_DEPARTMENT => {
            // Neither id nor code is required by the document; one of them is by the server.
            let org = "prepared-org";
            let root = organization(session, org).await;
            let child = department(session, org, &root).await;
            let separator = if path.contains('?') { '&' } else { '?' };
            path.push_str(&format!(
                "{separator}organizationCode={org}&departmentId={child}"
            ));
        }
        op::UPDATE_DEPARTMENT
        | op::DELETE_DEPARTMENT
        | op::ADD_DEPARTMENT_MEMBERS
        | op::REMOVE_DEPARTMENT_MEMBERS
        | op::LIST_DEPARTMENT_MEMBERS => {
            let root = organization(session, &org).await;
            let child = department(session, &org, &root).await;
            rewrite(path, body, "departmentId", &child);
            rewrite(path, body, "parentDepartmentId", &root);
        }
        _ => {}
    }
}
