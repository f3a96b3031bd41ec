//! Every operation answers: each of the 511 (Authing's document's 425 and the supplement's 86,
//! spec/management-supplement.json) gets a request the document accepts, and its answer must
//! be a success valid under the document's response schema.
//!
//! Requests are built from the document alone (required parameters and a body from its
//! examples and types), and answers are checked against the document alone, so this test does
//! not depend on the SDK's generated types.

use std::collections::BTreeMap;

#[path = "synthesized/prepare.rs"]
mod prepare;

use authing_emulator::{schema_problems, synthesize_value, Config, Emulator, Unemulated};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

const DOCUMENT: &str = include_str!("../../../spec/management-openapi.json");
const SUPPLEMENT: &str = include_str!("../../../spec/management-supplement.json");
const OPERATIONS: usize = 511;
const AK: &str = "ak-synth";
const SK: &str = "sk-synth-secret-0123456789";
const POOL: &str = "pool-synth";
/// Any seed: the requests only have to be accepted by the document.
const REQUEST_SEED: u64 = 7;

/// Operations with emulated behaviour (`x-authing-emulator: 1`); every other one must be
/// synthesized.
const STATEFUL: &[&str] = authing_emulator::operation::EMULATED;

/// Authing's document with the supplement's paths and schemas added (the supplement only
/// adds; the emulator's own merge refuses collisions).
fn document() -> Value {
    let mut doc: Value = serde_json::from_str(DOCUMENT).unwrap();
    let supplement: Value = serde_json::from_str(SUPPLEMENT).unwrap();
    for (path, item) in supplement["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(doc["paths"][path].get(method).is_none(), "{method} {path}");
            doc["paths"][path][method] = op.clone();
        }
    }
    for (name, schema) in supplement["components"]["schemas"].as_object().unwrap() {
        doc["components"]["schemas"][name] = schema.clone();
    }
    doc
}

struct Operation {
    id: String,
    method: Method,
    path: String,
    /// (name, in, required, schema)
    params: Vec<(String, String, bool, Value)>,
    body_schema: Option<Value>,
    success_status: u16,
    success_schema: Option<Value>,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let (status, response) = op["responses"]
                .as_object()
                .unwrap()
                .iter()
                .find(|(code, _)| code.starts_with('2'))
                .expect("a success response");
            found.push(Operation {
                id: op["operationId"].as_str().unwrap().to_string(),
                method: method.to_uppercase().parse().unwrap(),
                path: path.clone(),
                params: op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        (
                            p["name"].as_str().unwrap().to_string(),
                            p["in"].as_str().unwrap().to_string(),
                            p["required"].as_bool().unwrap_or(false),
                            p["schema"].clone(),
                        )
                    })
                    .collect(),
                body_schema: op
                    .pointer("/requestBody/content/application~1json/schema")
                    .cloned(),
                success_status: status.parse().unwrap(),
                success_schema: response
                    .pointer("/content/application~1json/schema")
                    .cloned(),
            });
        }
    }
    found
}

/// A query or path value as Authing's Node SDK writes it.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Path and query with the required parameters, and the JSON body (none for GET).
fn request(doc: &Value, op: &Operation, seed: u64) -> (String, Option<Value>) {
    let mut path = op.path.clone();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, location, required, schema) in &op.params {
        if !required && location != "path" {
            continue;
        }
        let value = synthesize_value(doc, schema, seed);
        match (location.as_str(), &value) {
            ("path", _) => {
                let encoded: String =
                    url::form_urlencoded::byte_serialize(text(&value).as_bytes()).collect();
                path = path.replace(&format!("{{{name}}}"), &encoded);
            }
            // Arrays as the Node SDK (and this project's SDK) send them: `name[]=a&name[]=b`.
            (_, Value::Array(items)) => {
                for item in items {
                    query.append_pair(&format!("{name}[]"), &text(item));
                }
            }
            _ => {
                query.append_pair(name, &text(&value));
            }
        }
    }
    let query = query.finish();
    if !query.is_empty() {
        path = format!("{path}?{query}");
    }
    let body = match (&op.method, &op.body_schema) {
        (&Method::GET, _) => None,
        (_, Some(schema)) => Some(synthesize_value(doc, schema, seed)),
        (_, None) => Some(json!({})),
    };
    (path, body)
}

struct Answer {
    status: StatusCode,
    marker: String,
    text: String,
    body: Value,
}

/// An emulator (in process, or the binary at `base_url`) with a client and a management
/// token.
struct Session {
    emu: Option<Emulator>,
    base_url: String,
    http: Client,
    token: String,
}

impl Session {
    async fn start(unemulated: Unemulated) -> Session {
        let emu = Emulator::start(Config {
            access_key_id: Some(AK.into()),
            access_key_secret: Some(SK.into()),
            userpool_id: Some(POOL.into()),
            unemulated,
            ..Config::default()
        })
        .await
        .unwrap();
        Session::connect(emu.base_url(), Some(emu)).await
    }

    async fn connect(base_url: String, emu: Option<Emulator>) -> Session {
        let mut session = Session {
            emu,
            base_url,
            http: Client::new(),
            token: String::new(),
        };
        let credentials = json!({"accessKeyId": AK, "accessKeySecret": SK});
        let answer = session
            .send(
                Method::POST,
                "/api/v3/get-management-token",
                Some(&credentials),
            )
            .await;
        session.token = answer.body["data"]["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token: {}", answer.text))
            .to_string();
        session
    }

    async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .header("authorization", format!("Bearer {}", self.token))
            .header("x-authing-userpool-id", POOL);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let marker = response
            .headers()
            .get("x-authing-emulator")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            marker,
            text,
            body,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }

    fn emu(&self) -> &Emulator {
        self.emu.as_ref().expect("an in-process emulator")
    }

    async fn shutdown(self) {
        if let Some(emu) = self.emu {
            emu.shutdown().await;
        }
    }
}

#[tokio::test]
async fn every_operation_answers_a_valid_success() {
    let doc = document();
    let operations = operations(&doc);
    assert_eq!(operations.len(), OPERATIONS);
    let session = Session::start(Unemulated::Synthesize).await;

    let mut failures: Vec<String> = Vec::new();
    let mut by_marker: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    let mut checked = 0;
    for op in &operations {
        let (mut path, mut body) = request(&doc, op, REQUEST_SEED);
        let stateful = STATEFUL.contains(&op.id.as_str());
        if stateful {
            prepare::prepare_stateful(&session, &op.id, &mut path, &mut body).await;
        }
        let answer = session.send(op.method.clone(), &path, body.as_ref()).await;
        let what = format!("{} {} {path}", op.id, op.method);
        *by_marker.entry(answer.marker.clone()).or_default() += 1;
        *by_status.entry(answer.status.as_u16()).or_default() += 1;
        if answer.status.as_u16() != op.success_status {
            failures.push(format!("{what}: HTTP {} ({})", answer.status, answer.text));
            continue;
        }
        if answer.body["statusCode"] != 200 {
            failures.push(format!("{what}: not a success: {}", answer.text));
            continue;
        }
        let expected_marker = if stateful { "1" } else { "synthesized" };
        if answer.marker != expected_marker {
            failures.push(format!("{what}: x-authing-emulator {:?}", answer.marker));
        }
        if !answer.body["requestId"].is_string() {
            failures.push(format!("{what}: no requestId: {}", answer.text));
        }
        if !stateful && answer.body["message"] != "" {
            failures.push(format!("{what}: message is not empty: {}", answer.text));
        }
        if let Some(schema) = &op.success_schema {
            checked += 1;
            for problem in schema_problems(&doc, schema, &answer.body) {
                failures.push(format!("{what}: {problem}"));
            }
            // The checker must see this schema: it refuses the answer without a property the
            // schema requires (`statusCode` for envelopes), or an array for an object.
            let broken = match first_required(&doc, schema) {
                Some(name) => {
                    let mut broken = answer.body.clone();
                    broken.as_object_mut().unwrap().remove(&name);
                    broken
                }
                None => json!([]),
            };
            if schema_problems(&doc, schema, &broken).is_empty() {
                failures.push(format!("{what}: the checker accepts {broken}"));
            }
        }
        if !stateful {
            let again = session.send(op.method.clone(), &path, body.as_ref()).await;
            if without_request_id(&again) != without_request_id(&answer) {
                failures.push(format!(
                    "{what}: not deterministic:\n{}\n{}",
                    answer.text, again.text
                ));
            }
        }
    }
    println!(
        "answers by x-authing-emulator: {by_marker:?}; by HTTP status: {by_status:?}; \
         {checked} checked against a response schema"
    );
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(by_marker.get("1"), Some(&STATEFUL.len()));
    assert_eq!(
        by_marker.get("synthesized"),
        Some(&(OPERATIONS - STATEFUL.len()))
    );
    // Four operations document no response body (the emulator answers a bare envelope).
    assert_eq!(checked, OPERATIONS - 4);
    session.shutdown().await;
}

/// The first property a (`$ref`erenced) response schema requires.
fn first_required(doc: &Value, schema: &Value) -> Option<String> {
    let target = match schema["$ref"].as_str() {
        Some(reference) => doc.pointer(reference.strip_prefix('#')?)?,
        None => schema,
    };
    Some(
        target["required"]
            .as_array()?
            .first()?
            .as_str()?
            .to_string(),
    )
}

/// The answer's bytes with the request id blanked: every answer gets a fresh one, as from
/// Authing, and everything else must be byte-identical.
fn without_request_id(answer: &Answer) -> String {
    match answer.body["requestId"].as_str() {
        Some(id) => answer.text.replace(id, ""),
        None => answer.text.clone(),
    }
}

#[tokio::test]
async fn answers_follow_the_request_and_still_need_credentials() {
    let session = Session::start(Unemulated::Synthesize).await;
    let first = session.get("/api/v3/list-applications?page=1").await;
    let second = session.get("/api/v3/list-applications?page=2").await;
    assert_eq!(first.marker, "synthesized");
    assert_ne!(
        without_request_id(&first),
        without_request_id(&second),
        "derived values come from the request"
    );
    assert_ne!(first.body["requestId"], second.body["requestId"]);

    let anonymous = session
        .http
        .get(format!("{}/api/v3/list-applications", session.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let invalid = session
        .post("/api/v3/create-organization", &json!({}))
        .await;
    assert_eq!(invalid.body["statusCode"], 400, "{}", invalid.text);
    assert_eq!(invalid.marker, "1", "a refused request is not synthesized");
    session.shutdown().await;
}

#[tokio::test]
async fn with_501_unemulated_operations_say_so_and_stateful_ones_work() {
    let session = Session::start(Unemulated::Status501).await;
    let answer = session.get("/api/v3/list-applications").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.marker, "1");
    assert_eq!(answer.body["statusCode"], 501, "{}", answer.text);
    let create = json!({"email": "a@example.com"});
    let answer = session.post("/api/v3/create-user", &create).await;
    assert_eq!(answer.body["statusCode"], 200, "{}", answer.text);
    assert_eq!(answer.body["data"]["email"], "a@example.com");
    session.shutdown().await;
}

#[tokio::test]
async fn the_binary_takes_the_option() {
    use tokio::io::AsyncBufReadExt;
    let refused = tokio::process::Command::new(env!("CARGO_BIN_EXE_authing-emulator"))
        .args(["--unemulated", "502"])
        .output()
        .await
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("synthesize or 501"), "{stderr}");

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_authing-emulator"))
        .args(["--port", "0", "--unemulated", "501"])
        .args([
            "--access-key-id",
            AK,
            "--access-key-secret",
            SK,
            "--userpool-id",
            POOL,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
        .await
        .expect("a first line in time")
        .unwrap()
        .unwrap();
    let url = first.strip_prefix("listening on ").expect(&first);
    let session = Session::connect(url.to_string(), None).await;
    let answer = session.get("/api/v3/list-applications").await;
    assert_eq!(answer.body["statusCode"], 501, "{}", answer.text);
    child.kill().await.unwrap();
}
