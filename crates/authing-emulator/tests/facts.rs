//! The emulator answers as Authing answers where that is known: one test per fact. The facts
//! come from Authing's own Node SDK test suite (written against the real service) and its
//! docs; the README lists them with the assumptions made where nothing is known.

mod support;

use authing_emulator::{Config, SeedUser};
use serde_json::{json, Value};
use support::{outcome, start, Api};

fn seeded() -> Config {
    Config {
        seed_users: vec![
            SeedUser::new("u1")
                .email("Alice@Example.com")
                .username("alice"),
            SeedUser::new("u2").username("bob").phone("13800000000"),
        ],
        ..support::config()
    }
}

async fn refused(api: &Api, path: &str, body: Value) -> (u64, String) {
    outcome(&api.post(path, body).await.1)
}

#[tokio::test]
async fn a_success_says_nothing() {
    let (_emu, api) = start(seeded()).await;
    let (_, body) = api
        .post("/api/v3/create-user", json!({"username": "carol"}))
        .await;
    assert_eq!(outcome(&body), (200, String::new()));
    let import = json!({"list": [{"userId": "u1", "otp": {"secret": "HZ2F6J3AGNAVSOTV"}}]});
    assert_eq!(
        outcome(&api.post("/api/v3/import-otp", import).await.1),
        (200, String::new())
    );
    assert_eq!(
        outcome(&api.get("/api/v3/get-user?userId=u1").await.1),
        (200, String::new())
    );
}

#[tokio::test]
async fn an_unknown_user_is_404_with_authings_message() {
    let (_emu, api) = start(seeded()).await;
    for path in [
        "/api/v3/get-user?userId=nobody",
        "/api/v3/get-user-mfa-info?userId=nobody",
        "/api/v3/get-user-roles?userId=nobody",
        "/api/v3/get-user?userId=nobody@example.com&userIdType=email",
    ] {
        let (_, body) = api.get(path).await;
        assert_eq!(outcome(&body), (404, "用户不存在".into()), "{path}");
        assert_eq!(body["apiCode"], 2004, "{path}");
    }
    let update = json!({"userId": "nobody", "name": "x"});
    assert_eq!(refused(&api, "/api/v3/update-user", update).await.0, 404);
}

#[tokio::test]
async fn a_malformed_user_id_for_its_type_is_400_and_a_well_formed_unknown_one_404() {
    let (_emu, api) = start(seeded()).await;
    let (_, body) = api
        .get("/api/v3/get-user?userId=not-an-email&userIdType=email")
        .await;
    assert_eq!(outcome(&body), (400, "参数 userId 格式错误".into()));
    let (_, body) = api
        .get("/api/v3/get-user?userId=x@nowhere.io&userIdType=email")
        .await;
    assert_eq!(outcome(&body).0, 404);
}

#[tokio::test]
async fn a_new_user_has_authings_defaults() {
    let (_emu, api) = start(seeded()).await;
    let (_, body) = api
        .post("/api/v3/create-user", json!({"email": "new@example.com"}))
        .await;
    let user = &body["data"];
    assert!(
        user["photo"]
            .as_str()
            .is_some_and(|p| p.starts_with("https://")),
        "{user}"
    );
    assert_eq!(user["loginsCount"], 0);
    assert_eq!(user["status"], "Activated");
    for key in ["lastLogin", "lastIp"] {
        assert_eq!(user.get(key), Some(&Value::Null), "{key} is there, as null");
    }
}

#[tokio::test]
async fn custom_data_identities_and_department_ids_come_only_when_asked_for() {
    let (_emu, api) = start(seeded()).await;
    let fields = ["customData", "identities", "departmentIds"];
    let (_, plain) = api.get("/api/v3/get-user?userId=u1").await;
    for key in fields {
        assert!(plain["data"].get(key).is_none(), "{key} without its flag");
    }
    let flags = "withCustomData=true&withIdentities=true&withDepartmentIds=true";
    let (_, asked) = api
        .get(&format!("/api/v3/get-user?userId=u1&{flags}"))
        .await;
    assert_eq!(asked["data"]["customData"], json!({}), "empty, but there");
    assert_eq!(asked["data"]["identities"], json!([]));
    assert_eq!(asked["data"]["departmentIds"], json!([]));
    let (_, batch) = api
        .get(&format!("/api/v3/get-user-batch?userIds[]=u1&{flags}"))
        .await;
    assert_eq!(batch["data"][0]["identities"], json!([]), "{batch}");
    let (_, legacy) = api.get(&format!("/api/v3/list-users?{flags}")).await;
    assert_eq!(legacy["data"]["list"][0]["customData"], json!({}));
    let options = json!({"options": {"withCustomData": true}});
    let (_, listed) = api.post("/api/v3/list-users", options).await;
    let first = &listed["data"]["list"][0];
    assert_eq!(first["customData"], json!({}));
    assert!(first.get("identities").is_none());
    // Authing's own test reads customData back from create-user without a flag.
    let (_, created) = api
        .post(
            "/api/v3/create-user",
            json!({"username": "cd", "customData": {"age": 30}}),
        )
        .await;
    assert_eq!(created["data"]["customData"], json!({"age": 30}));
}

#[tokio::test]
async fn e_mail_lookup_ignores_case() {
    let (_emu, api) = start(seeded()).await;
    for email in ["alice@example.com", "ALICE@EXAMPLE.COM"] {
        let (_, body) = api
            .get(&format!("/api/v3/get-user?userId={email}&userIdType=email"))
            .await;
        assert_eq!(body["data"]["userId"], "u1", "{email}");
    }
    let (_, body) = api
        .post("/api/v3/create-user", json!({"email": "alice@EXAMPLE.com"}))
        .await;
    assert_eq!(outcome(&body).0, 409, "the same address: {body}");
}

#[tokio::test]
async fn create_user_refuses_what_authing_refuses_with_its_messages() {
    let (emu, api) = start(seeded()).await;
    for (body, message) in [
        (
            json!({}),
            "Must contain one of the following fields: username, phone, email",
        ),
        (json!({"email": "test1@qqq"}), "参数 email 格式错误"),
        (
            json!({"email": "test1@qq.com", "customData": {"intro": "hello".repeat(205)}}),
            "customData must be less than 1024 characters",
        ),
        (
            json!({"phoneCountryCode": "+86", "email": "test@qq.com"}),
            "phone cannot be empty",
        ),
    ] {
        assert_eq!(
            refused(&api, "/api/v3/create-user", body.clone()).await,
            (400, message.into()),
            "{body}"
        );
    }
    assert_eq!(emu.export().len(), 2, "nothing created");
}

#[tokio::test]
async fn requests_the_document_overstates_are_accepted_as_the_server_accepts_them() {
    let (_emu, api) = start(seeded()).await;
    // Stateful operations: each request leaves out a property the document calls required.
    let group = json!({"code": "g1", "name": "G", "description": "d"});
    assert_eq!(refused(&api, "/api/v3/create-group", group).await.0, 200);
    let org = json!({"organizationCode": "o1", "organizationName": "O"});
    let (_, created) = api.post("/api/v3/create-organization", org).await;
    let root = created["data"]["departmentId"]
        .as_str()
        .unwrap()
        .to_string();
    api.post("/api/v3/create-role", json!({"code": "r1"})).await;
    let role = json!({"code": "r1", "newCode": "r2"});
    assert_eq!(refused(&api, "/api/v3/update-role", role).await.0, 200);
    let rename = json!({"organizationCode": "o1", "departmentId": root, "name": "renamed"});
    assert_eq!(
        refused(&api, "/api/v3/update-department", rename).await.0,
        200
    );
    // Synthesized operations: validated, then a synthesized success.
    assert_eq!(
        refused(&api, "/api/v3/create-tenant", json!({"name": "t"}))
            .await
            .0,
        200
    );
    let tenant_user = json!({"username": "tu"});
    assert_eq!(
        refused(&api, "/api/v3/create-tenant-user", tenant_user)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn paging_and_filter_values_are_checked_with_authings_messages() {
    let (_emu, api) = start(seeded()).await;
    for (pagination, message) in [
        (json!({"page": 0}), "参数 page 格式错误"),
        (json!({"limit": 0}), "参数 limit 格式错误"),
        (json!({"limit": 220}), "limit must less than 50"),
    ] {
        let body = json!({"options": {"pagination": pagination}});
        assert_eq!(
            refused(&api, "/api/v3/list-users", body).await,
            (400, message.into())
        );
    }
    let filter =
        json!({"advancedFilter": [{"field": "status", "operator": "EQUAL", "value": "invalid"}]});
    let expected = (400, "参数 status 格式错误".to_string());
    assert_eq!(refused(&api, "/api/v3/list-users", filter).await, expected);
}

#[tokio::test]
async fn empty_id_lists_are_refused() {
    let (_emu, api) = start(seeded()).await;
    let expected = (400, "参数 userIds 格式错误".to_string());
    assert_eq!(
        refused(&api, "/api/v3/delete-users-batch", json!({"userIds": []})).await,
        expected
    );
    let (_, body) = api.get("/api/v3/get-user-batch?userIds=").await;
    assert_eq!(outcome(&body).0, 400, "{body}");
}

#[tokio::test]
async fn query_arrays_arrive_in_every_form_express_reads() {
    let (_emu, api) = start(seeded()).await;
    for (query, expected) in [
        ("userIds[]=u1", vec!["u1"]),
        ("userIds%5B%5D=u1&userIds%5B%5D=u2", vec!["u1", "u2"]),
        ("userIds=u1&userIds=u2", vec!["u1", "u2"]),
        ("userIds=u2", vec!["u2"]),
    ] {
        let (_, body) = api.get(&format!("/api/v3/get-user-batch?{query}")).await;
        let ids: Vec<&str> = body["data"]
            .as_array()
            .unwrap_or_else(|| panic!("{query}: {body}"))
            .iter()
            .map(|u| u["userId"].as_str().unwrap())
            .collect();
        assert_eq!(ids, expected, "{query}");
    }
}

#[tokio::test]
async fn roles_groups_and_organisations_refuse_with_authings_messages() {
    let (_emu, api) = start(seeded()).await;
    let assign = |code: &str, namespace: &str, targets: Value| json!({"code": code, "namespace": namespace, "targets": targets});
    let user = json!([{"targetType": "USER", "targetIdentifier": "u1"}]);
    api.post("/api/v3/create-role", json!({"code": "admin"}))
        .await;
    for (body, message) in [
        (assign("nope", "default", user.clone()), "角色不存在"),
        (
            assign("admin", "no-such-namespace", user.clone()),
            "权限组不存在",
        ),
        (
            assign("admin", "default", json!([])),
            "参数 targets 格式错误",
        ),
        (
            assign(
                "admin",
                "default",
                json!([{"targetType": "USER", "targetIdentifier": "ghost"}]),
            ),
            "用户不存在",
        ),
    ] {
        let (status, got) = refused(&api, "/api/v3/assign-role", body.clone()).await;
        assert_ne!(status, 200, "{body}");
        assert_eq!(got, message, "{body}");
    }
    let (_, body) = api.get("/api/v3/get-role?code=nope").await;
    assert_eq!(outcome(&body).1, "角色不存在");
    for code in ["额!", " "] {
        let (_, body) = api.post("/api/v3/create-role", json!({"code": code})).await;
        assert_eq!(
            (body["apiCode"].as_u64(), outcome(&body).1),
            (Some(500), "角色 Code 格式不正确！".into())
        );
    }
    let long = "1234567891".repeat(10);
    assert_eq!(
        refused(&api, "/api/v3/create-role", json!({"code": long}))
            .await
            .1,
        "参数 code 格式错误"
    );

    let group = json!({"code": "dev", "name": "Dev", "description": "d"});
    api.post("/api/v3/create-group", group.clone()).await;
    let (status, message) = refused(&api, "/api/v3/create-group", group).await;
    assert_ne!(status, 200);
    assert_eq!(message, "分组标识符已存在");
    let members = json!({"code": "nope", "userIds": ["u1"]});
    assert_eq!(
        refused(&api, "/api/v3/add-group-members", members).await.1,
        "分组不存在"
    );
    let members = json!({"code": "dev", "userIds": []});
    assert_eq!(
        refused(&api, "/api/v3/add-group-members", members).await.1,
        "参数 userIds 格式错误"
    );

    let (_, body) = api
        .get("/api/v3/get-organization?organizationCode=nope")
        .await;
    assert_eq!(
        outcome(&body),
        (404, "organization not found for code: nope".into())
    );
    let department = json!({"organizationCode": "nope", "departmentId": "d", "userIds": ["u1"]});
    let expected = (404, "organization not found for code: nope".to_string());
    assert_eq!(
        refused(&api, "/api/v3/add-department-members", department).await,
        expected
    );
    let org = |code: &str| json!({"organizationCode": code, "organizationName": "O"});
    let long = refused(
        &api,
        "/api/v3/create-organization",
        org(&"1234567891".repeat(10)),
    )
    .await;
    assert_eq!(long, (400, "参数 organizationCode 格式错误".into()));
    let odd = refused(&api, "/api/v3/create-organization", org("额！ ")).await;
    assert_eq!(odd, (499, "部门标识符格式不正确！".into()));
    assert_eq!(
        refused(&api, "/api/v3/create-organization", org("")).await,
        (200, String::new())
    );
}
