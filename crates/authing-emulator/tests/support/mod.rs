//! What the HTTP-level tests share: fixed credentials and a client with a management token.

#![allow(dead_code)] // each test file uses part of it

use authing_emulator::Config;
use reqwest::{Client, Method};
use serde_json::{json, Value};

pub const AK: &str = "ak-support";
pub const SK: &str = "sk-support-secret-0123456789";
pub const POOL: &str = "pool-support";

/// An emulator configuration with these credentials.
pub fn config() -> Config {
    Config {
        access_key_id: Some(AK.into()),
        access_key_secret: Some(SK.into()),
        userpool_id: Some(POOL.into()),
        ..Config::default()
    }
}

/// A client with a management token for `base_url`.
pub struct Api {
    pub http: Client,
    pub base: String,
    pub token: String,
}

impl Api {
    pub async fn new(base: String) -> Api {
        let http = Client::new();
        let answer: Value = http
            .post(format!("{base}/api/v3/get-management-token"))
            .json(&json!({"accessKeyId": AK, "accessKeySecret": SK}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = answer["data"]["access_token"].as_str().unwrap().to_string();
        Api { http, base, token }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("x-authing-userpool-id", POOL);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}/_emulator/{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// An emulator with `config` and a client for it.
pub async fn start(config: Config) -> (authing_emulator::Emulator, Api) {
    let emu = authing_emulator::Emulator::start(config).await.unwrap();
    let api = Api::new(emu.base_url()).await;
    (emu, api)
}

/// The envelope's statusCode and message.
pub fn outcome(body: &Value) -> (u64, String) {
    (
        body["statusCode"].as_u64().unwrap_or_default(),
        body["message"].as_str().unwrap_or_default().to_string(),
    )
}
