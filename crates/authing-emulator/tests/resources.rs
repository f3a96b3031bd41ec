//! Stateful resources over HTTP: users (update, delete, batches, list filters), MFA status,
//! roles, groups, organisations and departments, each through its life.

mod support;

use authing_emulator::{Config, SeedUser};
use serde_json::{json, Value};
use support::{outcome, start, Api};

fn seeded() -> Config {
    Config {
        seed_users: vec![
            SeedUser::new("u1")
                .email("alice@example.com")
                .username("alice"),
            SeedUser::new("u2").username("bob").phone("13800000000"),
            SeedUser::new("u3").username("carol").email("carol@corp.io"),
        ],
        ..support::config()
    }
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|u| u["userId"].as_str().unwrap().to_string())
        .collect()
}

async fn ok(api: &Api, path: &str, body: Value) -> Value {
    let (_, answer) = api.post(path, body).await;
    assert_eq!(answer["statusCode"], 200, "{path}: {answer}");
    answer["data"].clone()
}

async fn get_ok(api: &Api, path: &str) -> Value {
    let (_, answer) = api.get(path).await;
    assert_eq!(answer["statusCode"], 200, "{path}: {answer}");
    answer["data"].clone()
}

#[tokio::test]
async fn users_are_updated_deleted_and_read_in_batches() {
    let (emu, api) = start(seeded()).await;
    let update = json!({"userId": "u1", "email": "alice@new.io", "name": "Alice",
                        "customData": {"team": "a"}, "status": "Suspended"});
    let user = ok(&api, "/api/v3/update-user", update).await;
    assert_eq!(
        (user["email"].as_str(), user["name"].as_str()),
        (Some("alice@new.io"), Some("Alice"))
    );
    assert_eq!(user["status"], "Suspended");
    let merged = json!({"userId": "u1", "customData": {"level": 2}});
    let user = ok(&api, "/api/v3/update-user", merged).await;
    assert_eq!(
        user["customData"],
        json!({"team": "a", "level": 2}),
        "merged"
    );
    // The old address is free, the new one found; another user's address is taken.
    let found = get_ok(
        &api,
        "/api/v3/get-user?userId=ALICE@new.io&userIdType=email",
    )
    .await;
    assert_eq!(found["userId"], "u1");
    let (_, old) = api
        .get("/api/v3/get-user?userId=alice@example.com&userIdType=email")
        .await;
    assert_eq!(outcome(&old).0, 404);
    let taken = json!({"userId": "u2", "email": "carol@corp.io"});
    assert_eq!(
        outcome(&api.post("/api/v3/update-user", taken).await.1).0,
        409
    );
    let by_name = json!({"userId": "bob", "options": {"userIdType": "username"}, "nickname": "B"});
    assert_eq!(
        ok(&api, "/api/v3/update-user", by_name).await["nickname"],
        "B"
    );

    let batch = get_ok(
        &api,
        "/api/v3/get-user-batch?userIds[]=u2&userIds[]=ghost&userIds[]=u3",
    )
    .await;
    assert_eq!(ids(&batch), ["u2", "u3"], "unknown ids are left out");

    // Deleting a user removes their memberships too.
    ok(
        &api,
        "/api/v3/create-group",
        json!({"code": "g", "name": "G", "description": ""}),
    )
    .await;
    ok(
        &api,
        "/api/v3/add-group-members",
        json!({"code": "g", "userIds": ["u2", "u3"]}),
    )
    .await;
    ok(
        &api,
        "/api/v3/delete-users-batch",
        json!({"userIds": ["u2", "ghost"]}),
    )
    .await;
    assert_eq!(emu.export().len(), 2);
    let members = get_ok(&api, "/api/v3/list-group-members?code=g").await;
    assert_eq!(ids(&members["list"]), ["u3"]);
    let by_email = json!({"userIds": ["carol@corp.io"], "options": {"userIdType": "email"}});
    ok(&api, "/api/v3/delete-users-batch", by_email).await;
    assert_eq!(emu.export().len(), 1);
}

#[tokio::test]
async fn list_users_filters_searches_and_sorts() {
    let (_emu, api) = start(seeded()).await;
    ok(
        &api,
        "/api/v3/update-user",
        json!({"userId": "u2", "status": "Suspended", "name": "Bob B"}),
    )
    .await;
    ok(
        &api,
        "/api/v3/update-user",
        json!({"userId": "u3", "name": "Carol C"}),
    )
    .await;
    let list = |filters: Value| json!({"advancedFilter": filters});
    let cases = [
        (
            json!([{"field": "status", "operator": "EQUAL", "value": "Activated"}]),
            vec!["u1", "u3"],
        ),
        (
            json!([{"field": "status", "operator": "NOT_EQUAL", "value": "Activated"}]),
            vec!["u2"],
        ),
        (
            json!([{"field": "status", "operator": "IN", "value": ["Suspended", "Archived"]}]),
            vec!["u2"],
        ),
        (
            json!([{"field": "email", "operator": "EQUAL", "value": "ALICE@example.com"}]),
            vec!["u1"],
        ),
        (
            json!([{"field": "email", "operator": "CONTAINS", "value": "corp"}]),
            vec!["u3"],
        ),
        (
            json!([{"field": "phone", "operator": "IS_NULL"}]),
            vec!["u1", "u3"],
        ),
        (
            json!([{"field": "name", "operator": "CONTAINS", "value": "c"}]),
            vec!["u3"],
        ),
        (
            json!([{"field": "username", "operator": "IN", "value": ["alice", "bob"]},
                {"field": "status", "operator": "EQUAL", "value": "Activated"}]),
            vec!["u1"],
        ),
        (
            json!([{"field": "loginsCount", "operator": "LESSER", "value": 1}]),
            vec!["u1", "u2", "u3"],
        ),
    ];
    for (filters, expected) in cases {
        let data = ok(&api, "/api/v3/list-users", list(filters.clone())).await;
        assert_eq!(ids(&data["list"]), expected, "{filters}");
        assert_eq!(data["totalCount"], expected.len(), "{filters}");
    }
    let data = ok(&api, "/api/v3/list-users", json!({"keywords": "CAR"})).await;
    assert_eq!(ids(&data["list"]), ["u3"]);
    let on_email = json!({"keywords": "example", "options": {"fuzzySearchOn": ["email"]}});
    assert_eq!(
        ids(&ok(&api, "/api/v3/list-users", on_email).await["list"]),
        ["u1"]
    );
    let sorted = json!({"options": {"sort": [{"field": "username", "order": "desc"}],
                                    "pagination": {"page": 1, "limit": 2}}});
    let data = ok(&api, "/api/v3/list-users", sorted).await;
    assert_eq!(
        (ids(&data["list"]), data["totalCount"].as_u64()),
        (vec!["u3".into(), "u2".into()], Some(3))
    );
    let legacy = get_ok(&api, "/api/v3/list-users?status=Suspended").await;
    assert_eq!(ids(&legacy["list"]), ["u2"]);
}

#[tokio::test]
async fn mfa_status_is_kept_per_user() {
    let (_emu, api) = start(seeded()).await;
    let default = get_ok(&api, "/api/v3/get-mfa-status?userId=u1").await;
    assert_eq!(
        (
            default["totpMfaEnabled"].as_bool(),
            default["applicationMfa"].clone()
        ),
        (Some(false), json!([]))
    );
    let data = json!({"mfaToken": "t", "totpMfaEnabled": true,
                      "applicationMfa": [{"mfaPolicy": "OTP", "status": 1, "sort": 0}]});
    let set = json!({"userId": "bob", "userIdType": "username", "mfaTriggerData": data});
    assert_eq!(
        ok(&api, "/api/v3/set-mfa-status", set).await,
        json!({"success": true})
    );
    let status = get_ok(&api, "/api/v3/get-mfa-status?userId=u2").await;
    assert_eq!(status["totpMfaEnabled"], true);
    assert_eq!(status["applicationMfa"][0]["mfaPolicy"], "OTP");
    let unknown =
        json!({"userId": "ghost", "mfaTriggerData": {"mfaToken": "t", "applicationMfa": []}});
    assert_eq!(
        outcome(&api.post("/api/v3/set-mfa-status", unknown).await.1).0,
        404
    );
}

#[tokio::test]
async fn roles_are_created_assigned_listed_revoked_and_deleted() {
    let (_emu, api) = start(seeded()).await;
    let role = ok(
        &api,
        "/api/v3/create-role",
        json!({"code": "admin", "description": "all",
                                                      "disableTime": "1669881887852"}),
    )
    .await;
    assert_eq!(
        (role["code"].as_str(), role["name"].as_str()),
        (Some("admin"), Some("admin"))
    );
    assert_eq!(
        (role["namespace"].as_str(), role["disableTime"].as_i64()),
        (Some("default"), Some(1669881887852))
    );
    let (_, again) = api
        .post("/api/v3/create-role", json!({"code": "admin"}))
        .await;
    assert_eq!(outcome(&again).0, 409);
    ok(
        &api,
        "/api/v3/create-role",
        json!({"code": "viewer", "namespace": "app1"}),
    )
    .await;
    let batch = json!({"list": [{"code": "ops"}, {"code": "dev", "name": "Developers"}]});
    assert_eq!(
        ok(&api, "/api/v3/create-roles-batch", batch).await["success"],
        true
    );

    let all = get_ok(&api, "/api/v3/list-roles").await;
    assert_eq!(all["totalCount"], 4);
    let app1 = get_ok(&api, "/api/v3/list-roles?namespace=app1").await;
    assert_eq!(app1["list"][0]["code"], "viewer");
    let found = get_ok(&api, "/api/v3/list-roles?keywords=DEVELOP&limit=1").await;
    assert_eq!(
        (
            found["totalCount"].as_u64(),
            found["list"][0]["code"].as_str()
        ),
        (Some(1), Some("dev"))
    );

    let targets = json!([{"targetType": "USER", "targetIdentifier": "u1"},
                         {"targetType": "USER", "targetIdentifier": "u2"}]);
    ok(
        &api,
        "/api/v3/assign-role",
        json!({"code": "admin", "targets": targets}),
    )
    .await;
    ok(
        &api,
        "/api/v3/assign-role",
        json!({"code": "viewer", "namespace": "app1",
        "targets": [{"targetType": "USER", "targetIdentifier": "u1"}]}),
    )
    .await;
    let members = get_ok(&api, "/api/v3/list-role-members?code=admin").await;
    assert_eq!(ids(&members["list"]), ["u1", "u2"]);
    let roles = get_ok(&api, "/api/v3/get-user-roles?userId=u1").await;
    assert_eq!(roles["totalCount"], 2);
    let roles = get_ok(&api, "/api/v3/get-user-roles?userId=u1&namespace=app1").await;
    assert_eq!(roles["list"][0]["code"], "viewer");

    let update = json!({"code": "admin", "newCode": "root", "name": "Root"});
    ok(&api, "/api/v3/update-role", update).await;
    let role = get_ok(&api, "/api/v3/get-role?code=root").await;
    assert_eq!(
        (role["name"].as_str(), role["description"].as_str()),
        (Some("Root"), Some("all"))
    );
    let revoke =
        json!({"code": "root", "targets": [{"targetType": "USER", "targetIdentifier": "u1"}]});
    ok(&api, "/api/v3/revoke-role", revoke.clone()).await;
    ok(&api, "/api/v3/revoke-role", revoke).await;
    let members = get_ok(&api, "/api/v3/list-role-members?code=root").await;
    assert_eq!(ids(&members["list"]), ["u2"]);
    ok(
        &api,
        "/api/v3/delete-roles-batch",
        json!({"codeList": ["root", "ghost"]}),
    )
    .await;
    let (_, gone) = api.get("/api/v3/get-role?code=root").await;
    assert_eq!(outcome(&gone), (404, "角色不存在".into()));
    let roles = get_ok(&api, "/api/v3/get-user-roles?userId=u2").await;
    assert_eq!(roles["totalCount"], 0);
}

#[tokio::test]
async fn groups_gain_and_lose_members() {
    let (_emu, api) = start(seeded()).await;
    let group = json!({"code": "eng", "name": "Engineering", "description": "builds",
                       "customData": {"floor": 3}});
    let created = ok(&api, "/api/v3/create-group", group).await;
    assert_eq!(
        (created["type"].as_str(), created["members"].clone()),
        (Some("static"), json!([]))
    );
    let batch = json!({"list": [{"code": "ops", "name": "Ops", "description": ""}]});
    assert_eq!(
        ok(&api, "/api/v3/create-groups-batch", batch).await[0]["code"],
        "ops"
    );
    ok(
        &api,
        "/api/v3/add-group-members",
        json!({"code": "eng", "userIds": ["u1", "u3"]}),
    )
    .await;
    let (_, ghost) = api
        .post(
            "/api/v3/add-group-members",
            json!({"code": "eng", "userIds": ["u2", "ghost"]}),
        )
        .await;
    assert_eq!(outcome(&ghost), (404, "用户不存在".into()));
    let members = get_ok(
        &api,
        "/api/v3/list-group-members?code=eng&withCustomData=true",
    )
    .await;
    assert_eq!(
        ids(&members["list"]),
        ["u1", "u3"],
        "nothing added from the refused request"
    );
    assert_eq!(members["list"][0]["customData"], json!({}));
    let page = get_ok(&api, "/api/v3/list-group-members?code=eng&page=2&limit=1").await;
    assert_eq!(
        (ids(&page["list"]), page["totalCount"].as_u64()),
        (vec!["u3".to_string()], Some(2))
    );
    let groups = get_ok(&api, "/api/v3/get-user-groups?userId=u3").await;
    assert_eq!(groups["list"][0]["code"], "eng");
    let group = get_ok(&api, "/api/v3/get-group?code=eng&withCustomData=true").await;
    assert_eq!(
        (
            group["customData"].clone(),
            group["members"].as_array().unwrap().len()
        ),
        (json!({"floor": 3}), 2)
    );

    ok(
        &api,
        "/api/v3/remove-group-members",
        json!({"code": "eng", "userIds": ["u1"]}),
    )
    .await;
    let update = json!({"code": "eng", "newCode": "engineering", "description": "ships"});
    assert_eq!(
        ok(&api, "/api/v3/update-group", update).await["code"],
        "engineering"
    );
    let listed = get_ok(&api, "/api/v3/list-groups?keywords=ship").await;
    assert_eq!(
        (
            listed["totalCount"].as_u64(),
            ids(&listed["list"][0]["members"])
        ),
        (Some(1), vec!["u3".to_string()])
    );
    ok(
        &api,
        "/api/v3/delete-groups-batch",
        json!({"codeList": ["engineering"]}),
    )
    .await;
    let (_, gone) = api.get("/api/v3/get-group?code=engineering").await;
    assert_eq!(outcome(&gone), (404, "分组不存在".into()));
}

#[tokio::test]
async fn organisations_and_departments_hold_members() {
    let (_emu, api) = start(seeded()).await;
    let org = ok(
        &api,
        "/api/v3/create-organization",
        json!({"organizationCode": "acme", "organizationName": "Acme"}),
    )
    .await;
    let root = org["departmentId"].as_str().unwrap().to_string();
    let dept = |name: &str, parent: &str, code: &str| {
        json!({"organizationCode": "acme", "parentDepartmentId": parent, "name": name,
               "code": code, "metadata": {}})
    };
    let rd = ok(&api, "/api/v3/create-department", dept("R&D", &root, "rd")).await;
    let rd_id = rd["departmentId"].as_str().unwrap().to_string();
    assert_eq!(rd["parentDepartmentId"], root.as_str());
    let web = ok(
        &api,
        "/api/v3/create-department",
        dept("Web", &rd_id, "web"),
    )
    .await;
    let web_id = web["departmentId"].as_str().unwrap().to_string();
    let (_, dup) = api
        .post("/api/v3/create-department", dept("Again", &root, "rd"))
        .await;
    assert_eq!(outcome(&dup).0, 409);

    let add = |id: &str, users: Value| json!({"organizationCode": "acme", "departmentId": id, "userIds": users});
    ok(
        &api,
        "/api/v3/add-department-members",
        add(&rd_id, json!(["u1"])),
    )
    .await;
    ok(
        &api,
        "/api/v3/add-department-members",
        add(&web_id, json!(["u2", "u1"])),
    )
    .await;
    let members =
        |query: &str| format!("/api/v3/list-department-members?organizationCode=acme&{query}");
    let direct = get_ok(&api, &members(&format!("departmentId={rd_id}"))).await;
    assert_eq!(ids(&direct["list"]), ["u1"]);
    let all = get_ok(
        &api,
        &members(&format!(
            "departmentId={rd_id}&includeChildrenDepartments=true"
        )),
    )
    .await;
    assert_eq!(ids(&all["list"]), ["u1", "u2"]);
    let by_code = get_ok(
        &api,
        &members("departmentId=web&departmentIdType=code&withDepartmentIds=true"),
    )
    .await;
    assert_eq!(ids(&by_code["list"]), ["u2", "u1"]);
    assert_eq!(by_code["list"][1]["departmentIds"], json!([rd_id, web_id]));

    let mine = get_ok(&api, "/api/v3/get-user-departments?userId=u1").await;
    assert_eq!(mine["totalCount"], 2);
    assert_eq!(
        (
            mine["list"][0]["departmentId"].as_str(),
            mine["list"][0]["isMainDepartment"].as_bool()
        ),
        (Some(rd_id.as_str()), Some(true))
    );
    let org = get_ok(&api, "/api/v3/get-organization?organizationCode=acme").await;
    assert_eq!(
        (org["membersCount"].as_u64(), org["hasChildren"].as_bool()),
        (Some(2), Some(true))
    );

    let remove = json!({"organizationCode": "acme", "departmentId": web_id, "userIds": ["u1"]});
    ok(&api, "/api/v3/remove-department-members", remove).await;
    let rename = json!({"organizationCode": "acme", "departmentId": web_id, "name": "Frontend"});
    assert_eq!(
        ok(&api, "/api/v3/update-department", rename).await["name"],
        "Frontend"
    );
    let got = get_ok(
        &api,
        &format!("/api/v3/get-department?organizationCode=acme&departmentId={web_id}"),
    )
    .await;
    assert_eq!(
        (got["name"].as_str(), got["membersCount"].as_u64()),
        (Some("Frontend"), Some(1))
    );
    assert_eq!(got["parentDepartmentCode"], "rd");

    let delete = json!({"organizationCode": "acme", "departmentId": rd_id});
    ok(&api, "/api/v3/delete-department", delete).await;
    let (_, gone) = api
        .get(&format!(
            "/api/v3/get-department?organizationCode=acme&departmentId={web_id}"
        ))
        .await;
    assert_eq!(outcome(&gone).0, 404, "children go with their parent");
    let root_delete = json!({"organizationCode": "acme", "departmentId": root});
    assert_eq!(
        outcome(&api.post("/api/v3/delete-department", root_delete).await.1).0,
        400
    );
    let listed = get_ok(&api, "/api/v3/list-organizations").await;
    assert_eq!(listed["totalCount"], 1);
    ok(
        &api,
        "/api/v3/delete-organization",
        json!({"organizationCode": "acme"}),
    )
    .await;
    let (_, gone) = api
        .get("/api/v3/get-organization?organizationCode=acme")
        .await;
    assert_eq!(outcome(&gone).0, 404);
}
