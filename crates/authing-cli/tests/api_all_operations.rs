//! `authing api` against every operation: each of the 511 once, through the real
//! binary and an emulator started in the test process, with a request built from
//! Authing's document (the emulator's synthesizer on each parameter and body schema).

use std::collections::BTreeSet;

// The authing crate's test support: the document with the supplement merged in.
mod api_support;
mod common;
#[path = "../../authing/tests/support/document.rs"]
mod document;

use api_support::{api, emulator, Run, API_ERROR};
use authing_emulator::{synthesize_value, Emulator, SeedUser};
use futures::StreamExt;
use serde_json::{json, Value};

/// The arguments of a request the document accepts for one operation: `-F` for each
/// required (and path) parameter, `--data` for the body; values from the document's
/// examples and types (the emulator's synthesizer, with a fixed seed).
fn document_request(doc: &Value, op: &Value) -> Vec<String> {
    let mut args = Vec::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        if p["required"] != true && p["in"] != "path" {
            continue;
        }
        let value = synthesize_value(doc, &p["schema"], 7);
        let text = match value {
            Value::String(s) => s,
            other => other.to_string(),
        };
        args.push("-F".into());
        args.push(format!("{}={text}", p["name"].as_str().unwrap()));
    }
    if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
        args.push("--data".into());
        args.push(synthesize_value(doc, schema, 7).to_string());
    }
    args
}

/// Requests whose document-derived form the emulator's state would refuse, adjusted
/// as the emulator's own test of every operation adjusts them.
fn adjust(operation_id: &str, args: &mut Vec<String>, emu: &Emulator) {
    let data = args.iter().position(|a| a == "--data").map(|i| i + 1);
    let mut body: Option<Value> = data.map(|i| serde_json::from_str(&args[i]).unwrap());
    match operation_id {
        // The document's example credentials are not the emulator's.
        "V3ManagementController_getManagementToken" => {
            body = Some(
                json!({"accessKeyId": emu.access_key_id(), "accessKeySecret": emu.access_key_secret()}),
            );
        }
        // `departmentId` is optional in the document, but the emulator (as Authing)
        // needs it or `departmentCode` to find a department: with neither it is a 400.
        "DepartmentsManagementController_getDepartment" => {
            args.extend(["-F".into(), "departmentId=60b49eb83fd80adb96f26e68".into()]);
        }
        // The examples make both items one user, and the same user as create-user's:
        // users are unique by e-mail, phone, username and external id.
        "UsersManagementController_createUsersBatch" => {
            if let Some(list) = body.as_mut().and_then(|b| b["list"].as_array_mut()) {
                list.truncate(1);
                list.iter_mut().for_each(|user| unique_user(user, "batch"));
            }
        }
        "UsersManagementController_createUser" => {
            if let Some(user) = body.as_mut() {
                unique_user(user, "single");
            }
        }
        _ => {}
    }
    if let (Some(i), Some(body)) = (data, body) {
        args[i] = body.to_string();
    }
}

fn unique_user(user: &mut Value, tag: &str) {
    for (field, value) in [
        ("email", format!("{tag}@example.com")),
        ("username", format!("user-{tag}")),
        ("externalId", format!("ext-{tag}")),
    ] {
        if user.get(field).is_some() {
            user[field] = json!(value);
        }
    }
    if let Some(map) = user.as_object_mut() {
        map.remove("phone");
        map.remove("phoneCountryCode");
    }
}

/// The user ids a request names (in `-F userId=` or the body's `list[].userId`), to be
/// seeded so that stateful operations find their users.
fn referenced_users(args: &[String]) -> Vec<String> {
    let mut ids = Vec::new();
    for pair in args.windows(2) {
        match pair[0].as_str() {
            "-F" => {
                if let Some(id) = pair[1].strip_prefix("userId=") {
                    ids.push(id.to_string());
                }
            }
            "--data" => {
                let body: Value = serde_json::from_str(&pair[1]).unwrap();
                for item in body["list"].as_array().into_iter().flatten() {
                    if let Some(id) = item["userId"].as_str() {
                        ids.push(id.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_once_with_a_document_derived_request() {
    let doc = document::document();
    let mut calls: Vec<(String, String, Vec<String>)> = Vec::new();
    let emu = emulator([]).await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap().to_string();
            let mut args = vec![format!("{} {path}", method.to_uppercase())];
            args.extend(document_request(&doc, op));
            adjust(&id, &mut args, &emu);
            calls.push((id, format!("{} {path}", method.to_uppercase()), args));
        }
    }
    assert_eq!(calls.len(), 511);
    let users: BTreeSet<String> = calls.iter().flat_map(|c| referenced_users(&c.2)).collect();
    emu.seed(users.into_iter().map(SeedUser::new)).unwrap();
    // Reading a secret back needs one stored first.
    for call in &calls {
        if call.0 == "UsersManagementController_getOtpSecretByUser" {
            let user = referenced_users(&call.2).pop().unwrap();
            let import = json!({"list": [{"userId": user, "otp": {"secret": "JBSWY3DPEHPK3PXP"}}]});
            api(Some(&emu), &["import_otp", "--data", &import.to_string()])
                .await
                .expect(0);
        }
    }
    let before = emu.stats();

    let runs: Vec<(String, String, Run)> = futures::stream::iter(calls)
        .map(|(id, what, args)| {
            let emu = &emu;
            async move {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                (id, what, api(Some(emu), &args).await)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;

    let stats = emu.stats();
    let mut failures = Vec::new();
    let mut answers: std::collections::BTreeMap<String, usize> = Default::default();
    for (id, what, run) in &runs {
        let reached = stats.operation_total(id) > before.operation_total(id);
        if !reached {
            failures.push(format!(
                "{what}: never reached {id}: exit {}: {}",
                run.code,
                run.stderr.trim()
            ));
            continue;
        }
        if run.code == 0 {
            match serde_json::from_str::<Value>(&run.stdout) {
                Ok(answer) if answer["statusCode"] == 200 => {
                    *answers.entry("exit 0, statusCode 200".into()).or_default() += 1
                }
                Ok(answer) => failures.push(format!("{what}: exit 0 with {answer}")),
                Err(e) => failures.push(format!("{what}: stdout is not JSON ({e})")),
            }
            continue;
        }
        // The emulator's business answers to the document's example ids (not found,
        // already exists) and its 501 for a feature it does not model (list-users'
        // `searchQuery`) are answers: it validated the request against the document
        // first. The CLI reports them as Authing's errors, field by field, exit 3.
        let business = ["404", "409", "501"]
            .into_iter()
            .find(|code| run.stderr.contains(&format!("\nstatusCode: {code}\n")));
        match business {
            Some(code)
                if run.code == API_ERROR
                    && run.stdout.is_empty()
                    && run.stderr.contains("\nmessage: ")
                    && run.stderr.contains("\nrequestId: ") =>
            {
                *answers
                    .entry(format!("exit 3, statusCode {code}"))
                    .or_default() += 1
            }
            _ => failures.push(format!("{what}: exit {}: {}", run.code, run.stderr.trim())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        stats.unmatched, before.unmatched,
        "every call reached its own operation"
    );
    assert_eq!(answers.values().sum::<usize>(), 511);
    eprintln!("511 operations called through `authing api`: {answers:?}");
}
