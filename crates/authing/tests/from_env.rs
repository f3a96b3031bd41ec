//! `ManagementClient::from_env` names the variable that is missing, empty or wrong.
//! One test function: the process environment is shared by every test in a binary.

use authing::ManagementClient;

fn error_with(vars: &[(&str, Option<&str>)]) -> Option<String> {
    for name in [
        "AUTHING_ACCESS_KEY_ID",
        "AUTHING_ACCESS_KEY_SECRET",
        "AUTHING_HOST",
        "AUTHING_AUTH_MODE",
    ] {
        std::env::remove_var(name);
    }
    for (name, value) in vars {
        if let Some(v) = value {
            std::env::set_var(name, v);
        }
    }
    ManagementClient::from_env().err().map(|e| e.to_string())
}

#[test]
fn from_env_reports_which_setting_is_wrong() {
    let id = ("AUTHING_ACCESS_KEY_ID", Some("id"));
    let secret = ("AUTHING_ACCESS_KEY_SECRET", Some("s3cr3t-value"));
    assert_eq!(
        error_with(&[secret]).unwrap(),
        "configuration: AUTHING_ACCESS_KEY_ID is not set"
    );
    assert_eq!(
        error_with(&[id]).unwrap(),
        "configuration: AUTHING_ACCESS_KEY_SECRET is not set"
    );
    assert_eq!(
        error_with(&[id, ("AUTHING_ACCESS_KEY_SECRET", Some("  "))]).unwrap(),
        "configuration: AUTHING_ACCESS_KEY_SECRET is set but empty"
    );
    let e = error_with(&[id, secret, ("AUTHING_HOST", Some("api.authing.cn"))]).unwrap();
    assert!(
        e.starts_with("configuration: AUTHING_HOST: host `api.authing.cn` is not a URL"),
        "{e}"
    );
    let e = error_with(&[id, secret, ("AUTHING_HOST", Some("http://10.1.2.3"))]).unwrap();
    assert!(
        e.contains("AUTHING_HOST") && e.contains("plain http"),
        "{e}"
    );
    assert_eq!(
        error_with(&[id, secret, ("AUTHING_AUTH_MODE", Some("hmac"))]).unwrap(),
        "configuration: AUTHING_AUTH_MODE must be `token` or `signature`, not `hmac`"
    );
    assert_eq!(error_with(&[id, secret]), None);
    // Without the access key the builder says so, for programs that can run without.
    error_with(&[]);
    let partial = ManagementClient::builder().with_env().unwrap();
    assert!(!partial.has_credentials());
    error_with(&[id]);
    assert!(ManagementClient::builder()
        .with_env()
        .unwrap()
        .has_credentials());
    assert_eq!(
        error_with(&[
            id,
            secret,
            ("AUTHING_HOST", Some("http://127.0.0.1:8080")),
            ("AUTHING_AUTH_MODE", Some("signature"))
        ]),
        None
    );
    let client = {
        error_with(&[
            id,
            secret,
            ("AUTHING_HOST", Some("https://authing.example.com/")),
        ]);
        ManagementClient::from_env().unwrap()
    };
    assert_eq!(client.host(), "https://authing.example.com");
    assert!(!format!("{client:?}").contains("s3cr3t-value"));
}
