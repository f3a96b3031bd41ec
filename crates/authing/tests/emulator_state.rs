//! The SDK's builder calls against the emulator's stateful operations, in both auth modes:
//! users, MFA status, roles, groups, organisations and departments. In signature mode each
//! request also proves that the SDK signs what a Node.js server rebuilds from the parsed
//! request: query arrays (`userIds[]=`), numbers (`1000.0` sent and signed as `1000`) and
//! explicit nulls.

use authing::{generated::types, AuthMode, ManagementClient, ResultExt};
use authing_emulator::{Config, Emulator, SeedUser};
use serde_json::{json, Value};

const MODES: [AuthMode; 2] = [AuthMode::Token, AuthMode::Signature];

async fn setup(mode: AuthMode) -> (Emulator, ManagementClient) {
    let emu = Emulator::start(Config {
        seed_users: vec![
            SeedUser::new("u1")
                .email("alice@example.com")
                .username("alice"),
            SeedUser::new("u2").username("bob"),
        ],
        ..Config::default()
    })
    .await
    .unwrap();
    let client = ManagementClient::builder()
        .access_key_id(emu.access_key_id())
        .access_key_secret(emu.access_key_secret())
        .host(emu.base_url())
        .auth_mode(mode)
        .build()
        .unwrap();
    (emu, client)
}

/// A request type from its JSON form (for nested bodies a builder would spell at length).
fn typed<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a valid request body")
}

fn ids(users: &[types::UserDto]) -> Vec<&str> {
    users.iter().filter_map(|u| u.user_id.as_deref()).collect()
}

#[tokio::test]
async fn users_batches_filters_and_mfa_status() {
    for mode in MODES {
        let (_emu, client) = setup(mode).await;
        let api = client.api();
        // An explicit null at the top of the body is signed as `customData=null`.
        let created = api
            .create_user()
            .body_map(|b| {
                b.username("carol".to_string())
                    .custom_data(Some(Value::Null))
            })
            .send()
            .await
            .checked()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        let carol = created.data.user_id.clone().unwrap();
        assert_eq!(created.data.logins_count, Some(0));

        // Query arrays of one and of two elements.
        for wanted in [vec!["u1"], vec!["u1", carol.as_str()]] {
            let batch = api
                .get_user_batch()
                .user_ids(wanted.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .with_custom_data(true)
                .send()
                .await
                .checked()
                .unwrap_or_else(|e| panic!("{mode:?} {wanted:?}: {e}"));
            assert_eq!(ids(&batch.data), wanted, "{mode:?}");
            assert!(batch.data[0].custom_data.is_some(), "asked for");
        }

        let updated = api
            .update_user()
            .body_map(|b| {
                b.user_id("u2")
                    .name("Bob".to_string())
                    .status(types::UpdateUserReqDtoStatus::Suspended)
            })
            .send()
            .await
            .checked()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert_eq!(updated.data.name.as_deref(), Some("Bob"));

        // Nested numbers and a nested null in the filter.
        let filters: Vec<types::ListUsersAdvancedFilterItemDto> = typed(json!([
            {"field": "phone", "operator": "IS_NULL", "value": null},
            {"field": "loginsCount", "operator": "LESSER", "value": 1000.0},
            {"field": "status", "operator": "EQUAL", "value": "Activated"}
        ]));
        let listed = api
            .list_users()
            .body_map(|b| b.advanced_filter(filters))
            .send()
            .await
            .checked()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        let list = listed.data.list.unwrap_or_default();
        assert_eq!(ids(&list), ["u1", carol.as_str()], "{mode:?}");

        let trigger: types::GetMfaInfoDataDto = typed(json!({
            "mfaToken": "t", "totpMfaEnabled": true,
            "applicationMfa": [{"mfaPolicy": "OTP", "status": 1, "sort": 0}]
        }));
        api.set_users_mfa_status()
            .body_map(|b| b.user_id("u1").mfa_trigger_data(trigger))
            .send()
            .await
            .checked()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        let status = api
            .get_user_mfa_status()
            .user_id("u1")
            .send()
            .await
            .checked()
            .unwrap();
        assert_eq!(status.data.totp_mfa_enabled, Some(true), "{mode:?}");

        api.delete_users_batch()
            .body_map(|b| b.user_ids(vec![carol.clone()]))
            .send()
            .await
            .checked()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        let err = api
            .get_user()
            .user_id(carol.clone())
            .send()
            .await
            .checked()
            .unwrap_err();
        assert_eq!(
            (err.status_code(), err.api_code()),
            (Some(404), Some(2004)),
            "{mode:?}"
        );
        assert_eq!(err.message(), Some("用户不存在"));
    }
}

#[tokio::test]
async fn roles_are_assigned_and_revoked() {
    for mode in MODES {
        let (_emu, client) = setup(mode).await;
        let api = client.api();
        let role = api
            .create_role()
            .body_map(|b| b.code("admin").description("all".to_string()))
            .send()
            .await
            .checked()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert_eq!(role.data.code.as_deref(), Some("admin"));
        let targets: Vec<types::TargetDto> =
            typed(json!([{"targetType": "USER", "targetIdentifier": "u1"},
                          {"targetType": "USER", "targetIdentifier": "u2"}]));
        api.assign_role()
            .body_map(|b| b.code("admin").targets(targets.clone()))
            .send()
            .await
            .checked()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        let members = api
            .list_role_members()
            .code("admin")
            .send()
            .await
            .checked()
            .unwrap();
        assert_eq!(ids(&members.data.list.unwrap_or_default()), ["u1", "u2"]);
        let roles = api
            .get_user_roles()
            .user_id("u2")
            .send()
            .await
            .checked()
            .unwrap();
        assert_eq!(roles.data.total_count, Some(1), "{mode:?}");
        // Authing does not require a name to update a role.
        api.update_role()
            .body_map(|b| b.code("admin").new_code("root"))
            .send()
            .await
            .checked()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        api.revoke_role()
            .body_map(|b| b.code("root").targets(targets[..1].to_vec()))
            .send()
            .await
            .checked()
            .unwrap();
        let roles = api
            .get_user_roles()
            .user_id("u1")
            .send()
            .await
            .checked()
            .unwrap();
        assert_eq!(roles.data.total_count, Some(0));
        let err = api
            .get_role()
            .code("admin")
            .send()
            .await
            .checked()
            .unwrap_err();
        assert_eq!(err.message(), Some("角色不存在"), "{mode:?}");
    }
}

#[tokio::test]
async fn groups_and_departments_hold_members() {
    for mode in MODES {
        let (_emu, client) = setup(mode).await;
        let api = client.api();
        // Authing does not require a group's type.
        api.create_group()
            .body_map(|b| b.code("eng").name("Engineering").description("builds"))
            .send()
            .await
            .checked()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        api.add_group_members()
            .body_map(|b| {
                b.code("eng")
                    .user_ids(vec!["u1".to_string(), "u2".to_string()])
            })
            .send()
            .await
            .checked()
            .unwrap();
        api.remove_group_members()
            .body_map(|b| b.code("eng").user_ids(vec!["u1".to_string()]))
            .send()
            .await
            .checked()
            .unwrap();
        let members = api
            .list_group_members()
            .code("eng")
            .send()
            .await
            .checked()
            .unwrap();
        assert_eq!(
            ids(&members.data.list.unwrap_or_default()),
            ["u2"],
            "{mode:?}"
        );

        // Nor an organisation's metadata.
        let org = api
            .create_organization()
            .body_map(|b| b.organization_code("acme").organization_name("Acme"))
            .send()
            .await
            .checked()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        let root = org.data.department_id.clone().unwrap();
        let department = api
            .create_department()
            .body_map(|b| {
                b.organization_code("acme")
                    .parent_department_id(root.clone())
                    .name("R&D")
                    .metadata(json!({}))
            })
            .send()
            .await
            .checked()
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        let department_id = department.data.department_id.clone().unwrap();
        api.add_department_members()
            .body_map(|b| {
                b.organization_code("acme")
                    .department_id(department_id.clone())
                    .user_ids(vec!["u1".to_string()])
            })
            .send()
            .await
            .checked()
            .unwrap();
        let members = api
            .list_department_members()
            .organization_code("acme")
            .department_id(department_id.clone())
            .with_department_ids(true)
            .send()
            .await
            .checked()
            .unwrap();
        let list = members.data.list.unwrap_or_default();
        assert_eq!(ids(&list), ["u1"], "{mode:?}");
        assert_eq!(list[0].department_ids, Some(vec![department_id.clone()]));
    }
}

#[tokio::test]
async fn a_signed_f64_is_sent_and_signed_as_javascript_writes_it() {
    let (emu, client) = setup(AuthMode::Signature).await;
    let field: types::CreateFunctionModelFieldDto = typed(json!({
        "modelId": "m", "name": "score", "key": "score", "type": "Number", "show": true,
        "editable": true, "help": "", "default": 0, "require": false, "unique": false,
        "maxLength": 10, "max": 1000.0, "min": 0.5, "regexp": "", "format": 0,
        "dropDown": {"key": "k", "label": "l"}, "fuzzySearch": false, "forLogin": false,
        "relationType": "", "relationMultiple": false, "relationShowKey": "",
        "relationOptionalRange": {"key": "k", "value": "v", "operator": "EQUAL"},
        "userVisible": false
    }));
    client
        .api()
        .create_field()
        .body(field)
        .send()
        .await
        .checked()
        .unwrap_or_else(|e| panic!("the emulator refused the signature: {e}"));
    let logged = emu.requests();
    assert_eq!(logged.last().unwrap().status_code, Some(200));
}
