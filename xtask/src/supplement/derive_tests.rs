//! The derivation end to end on a small package and document.

use super::super::client::parse_client;
use super::super::models::Models;
use super::*;

const SOURCE: Source = Source {
    package: "authing-node-sdk",
    version: "4.0.1",
    license: "MIT",
};

const MODELS: &[(&str, &str)] = &[
    (
        "ListPostBatchDto",
        "export type ListPostBatchDto = {\n    /**\n     * 岗位 ID\n     */\n    ids: Array<string>;\n};\n",
    ),
    (
        "PostPaginatedRespDto",
        "export type PostPaginatedRespDto = {\n    statusCode: number;\n    message: string;\n};\n",
    ),
    (
        "CreateTerminalDto",
        "export type CreateTerminalDto = {\n    deviceUniqueId: string;\n    type?: CreateTerminalDto.type;\n};\n\
         export namespace CreateTerminalDto {\n    export enum type {\n        BROWSER = 'Browser',\n    }\n}\n",
    ),
    (
        "TerminalInfoRespDto",
        "import type { TerminalInfoDto } from './TerminalInfoDto';\n\
         export type TerminalInfoRespDto = {\n    statusCode: number;\n    message: string;\n    data: TerminalInfoDto;\n};\n",
    ),
    (
        "TerminalInfoDto",
        "export type TerminalInfoDto = {\n    id: string;\n    owner?: CreateTerminalDto;\n};\n",
    ),
];

fn method(doc: &str, signature: &str, ret: &str, request: &str) -> String {
    format!(
        "  /**\n{doc}   * @returns {ret}\n   */\n  public async {signature}: Promise<{ret}> {{\n    \
         return await this.httpClient.request({{\n{request}\n    }});\n  }}\n\n"
    )
}

fn client(extra: &str) -> String {
    let mut c = String::from("export class ManagementClient {\n");
    c += &method(
        "   * @summary 岗位列表\n",
        "postList({\n    page = 1,\n  }: {\n    page?: number;\n  })",
        "PostPaginatedRespDto",
        "      method: \"GET\",\n      url: \"/api/v3/list-post\",\n      params: {\n        page: page,\n      },",
    );
    c += &method(
        "   * @summary 岗位列表\n   * @description 批量\n",
        "postListBatch(\n    requestBody: ListPostBatchDto\n  )",
        "PostPaginatedRespDto",
        "      method: \"POST\",\n      url: \"/api/v3/list-post\",\n      data: requestBody,",
    );
    c += &method(
        "   * @summary 新增设备\n",
        "addDevice(\n    requestBody: CreateTerminalDto\n  )",
        "TerminalInfoRespDto",
        "      method: \"POST\",\n      url: \"/api/v3/add-device\",\n      data: requestBody,",
    );
    c += &method(
        "   * @summary 获取数据安全字段列表\n",
        "listDnef({\n    startIndex = 1,\n    type,\n  }: {\n    /** 起始 **/\n    startIndex?: number;\n    type: \"A\" | \"B\";\n  })",
        "PostPaginatedRespDto",
        "      method: \"GET\",\n      url: \"/api/v3/list-dnef\",\n      params: {\n        startIndex: startIndex,\n        type: type,\n      },",
    );
    c += extra;
    c + "}\n"
}

fn document() -> Value {
    json!({
        "paths": {
            "/api/v3/list-post": {"get": {
                "operationId": "PostController_postList",
                "parameters": [{"name": "page", "in": "query", "required": false, "schema": {"type": "number", "default": 1}}],
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/PostPaginatedRespDto"}}}}}
            }},
            "/api/v3/delete-device": {"post": {"operationId": "TerminalController_deleteDevice"}}
        },
        "components": {"schemas": {
            "PostPaginatedRespDto": {"type": "object", "properties": {"statusCode": {"type": "number"}, "message": {"type": "string"}}, "required": ["statusCode", "message"]},
            "CreateTerminalDto": {"type": "object", "properties": {
                "deviceUniqueId": {"type": "string", "example": "x"},
                "type": {"type": "string", "enum": ["Browser"]}
            }, "required": ["deviceUniqueId"]}
        }}
    })
}

fn run(extra: &str, models: &[(&str, &str)]) -> Result<(Value, Notes)> {
    run_keeping(extra, models, &[])
}

fn run_keeping(
    extra: &str,
    models: &[(&str, &str)],
    keep: &[(&str, &'static str)],
) -> Result<(Value, Notes)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src/models")).unwrap();
    for (name, src) in models {
        std::fs::write(dir.path().join(format!("src/models/{name}.ts")), src).unwrap();
    }
    let (methods, passthrough) = parse_client(&client(extra))?;
    let mut models = Models::new(dir.path());
    derive(
        &SOURCE,
        &methods,
        &passthrough,
        &mut models,
        &document(),
        keep,
    )
}

#[test]
fn derives_exactly_what_the_document_lacks() {
    let (s, notes) = run("", MODELS).unwrap();
    let paths: Vec<&String> = s["paths"].as_object().unwrap().keys().collect();
    assert_eq!(
        paths,
        [
            "/api/v3/add-device",
            "/api/v3/list-dnef",
            "/api/v3/list-post"
        ]
    );
    assert!(
        s["paths"]["/api/v3/list-post"].get("get").is_none(),
        "the document has it"
    );

    let batch = &s["paths"]["/api/v3/list-post"]["post"];
    assert_eq!(batch["operationId"], "NodeSdk_postListBatch");
    assert_eq!(batch["summary"], "岗位列表");
    assert_eq!(
        batch["description"],
        "批量\n\nNot in Authing's published OpenAPI document: derived from \
         authing-node-sdk@4.0.1 (MIT), `ManagementClient.postListBatch` (src/ManagementClient.ts:25)."
    );
    assert_eq!(
        batch["x-authing-source"],
        json!({"package": "authing-node-sdk", "version": "4.0.1", "method": "postListBatch",
               "file": "src/ManagementClient.ts", "line": 25})
    );
    assert_eq!(
        batch["requestBody"],
        json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ListPostBatchDto"}}}})
    );
    assert_eq!(
        batch["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/PostPaginatedRespDto"})
    );

    let dnef = &s["paths"]["/api/v3/list-dnef"]["get"];
    assert_eq!(
        dnef["parameters"],
        json!([
            {"name": "startIndex", "in": "query", "required": false, "description": "起始",
             "schema": {"type": "number", "default": 1}},
            {"name": "type", "in": "query", "required": true,
             "schema": {"type": "string", "enum": ["A", "B"]}}
        ])
    );
    assert!(dnef.get("requestBody").is_none());
    // Without @description the summary describes it.
    assert!(dnef["description"]
        .as_str()
        .unwrap()
        .starts_with("获取数据安全字段列表\n\n"));

    // New models only; CreateTerminalDto matches the document's and is referred to.
    let schemas: Vec<&String> = s["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        schemas,
        ["ListPostBatchDto", "TerminalInfoDto", "TerminalInfoRespDto"]
    );
    assert_eq!(
        notes.shared_identical,
        ["CreateTerminalDto", "PostPaginatedRespDto"]
    );
    assert_eq!(
        s["x-authing-document-only"],
        json!([{"method": "post", "path": "/api/v3/delete-device"}])
    );
    assert_eq!((notes.methods, notes.operations, notes.paths), (4, 4, 3));
    assert_eq!((notes.added.len(), notes.new_paths), (3, 2));
    assert_eq!((notes.check.compared, notes.check.identical), (1, 1));
}

#[test]
fn refuses_methods_it_cannot_express() {
    let unused = method(
        "   * @summary x\n",
        "deleteById(id: string)",
        "PostPaginatedRespDto",
        "      method: \"DELETE\",\n      url: \"/api/v3/ip-list/x\",",
    );
    let e = run(&unused, MODELS).err().expect("must fail").to_string();
    assert!(e.ends_with("deleteById takes id but never sends it"), "{e}");

    let wrong_returns = method(
        "   * @summary x\n",
        "other()",
        "PostPaginatedRespDto",
        "      method: \"GET\",\n      url: \"/api/v3/other\",",
    )
    .replacen(
        "Promise<PostPaginatedRespDto>",
        "Promise<ListPostBatchDto>",
        1,
    );
    let e = run(&wrong_returns, MODELS)
        .err()
        .expect("must fail")
        .to_string();
    assert!(
        e.ends_with("other returns ListPostBatchDto but documents @returns PostPaginatedRespDto; expected one response model in both"),
        "{e}"
    );

    let twice = method(
        "   * @summary x\n",
        "addDeviceAgain(\n    requestBody: CreateTerminalDto\n  )",
        "TerminalInfoRespDto",
        "      method: \"POST\",\n      url: \"/api/v3/add-device\",\n      data: requestBody,",
    );
    let e = run(&twice, MODELS).err().expect("must fail").to_string();
    assert!(
        e.contains("post /api/v3/add-device is called by several SDK methods"),
        "{e}"
    );

    let unknown_tag = method(
        "   * @summary x\n   * @since 4.0\n",
        "newer()",
        "PostPaginatedRespDto",
        "      method: \"GET\",\n      url: \"/api/v3/newer\",",
    );
    let e = run(&unknown_tag, MODELS)
        .err()
        .expect("must fail")
        .to_string();
    assert!(
        e.ends_with("newer has doc tag @since, which the derivation does not know"),
        "{e}"
    );
}

#[test]
fn a_model_that_drifted_from_the_document_needs_a_review() {
    let mut models = MODELS.to_vec();
    models[2].1 = "export type CreateTerminalDto = {\n    deviceUniqueId: string;\n    type?: string;\n    sn?: string;\n};\n";
    let e = run("", &models).err().expect("must fail").to_string();
    assert_eq!(
        e,
        "src/models/CreateTerminalDto.ts:1: model CreateTerminalDto differs from the document's schema of that name:\n  \
         type: SDK type string but document type 'Browser'\n  \
         sn: only in the SDK\n\
         Review each and list it in KEEP_DOCUMENT_SCHEMA (xtask/src/supplement/derive.rs) with the reason."
    );
}

#[test]
fn a_reviewed_drift_keeps_the_document_schema_and_a_stale_review_fails() {
    let mut models = MODELS.to_vec();
    models[2].1 = "export type CreateTerminalDto = {\n    deviceUniqueId: string;\n    type?: CreateTerminalDto.type;\n    sn?: string;\n};\n\
                   export namespace CreateTerminalDto {\n    export enum type {\n        BROWSER = 'Browser',\n    }\n}\n";
    let keep = [("CreateTerminalDto", "reviewed")];
    let (s, notes) = run_keeping("", &models, &keep).unwrap();
    assert!(s["components"]["schemas"]
        .get("CreateTerminalDto")
        .is_none());
    assert_eq!(
        notes.shared_kept,
        vec![(
            "CreateTerminalDto".to_string(),
            vec!["sn: only in the SDK".to_string()],
            "reviewed"
        )]
    );

    let e = run_keeping("", MODELS, &keep)
        .err()
        .expect("must fail")
        .to_string();
    assert_eq!(
        e,
        "KEEP_DOCUMENT_SCHEMA lists CreateTerminalDto, which no longer differs or is no longer used: remove it"
    );
}
