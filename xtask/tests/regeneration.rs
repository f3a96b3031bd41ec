//! What happens when Authing publishes a changed document: a revision derived from
//! the vendored one (an operation added, a property added, an enum value added, an
//! operation the wrapper does not use removed) generates, with the supplement merged
//! as for the vendored one, `--check` names the files it would change, and the
//! hand-written crates still fit the regenerated code.
//!
//! "Still fit" is checked two ways. Always: every identifier of the checked-in
//! generated code that a hand-written crate uses (type, method, setter, field and
//! variant names) is still defined by the regenerated code; a name check, a few
//! seconds, shown to fail when the wrapper's operation goes. With
//! `XTASK_BUILD_REGENERATED=1` (CI sets it): `cargo check` of `authing` and
//! `authing-cli`, all targets, in a copy of the workspace holding the regenerated
//! crate, which also catches changed signatures and types. That takes minutes even
//! with the workspace's dependencies already built (measured 206 s on a busy 2-core
//! machine), nearly all of it type-checking the 217,000 generated lines, so a plain
//! `cargo test` leaves it out and says so.

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const GENERATED: &str = "crates/authing-management-gen/src/generated.rs";
const OPERATION_TABLE: &str = "crates/authing/tests/support/operation_table.rs";
/// Hand-written code that uses the generated client, directly or through `authing`.
const HAND_WRITTEN: &[&str] = &[
    "crates/authing/src",
    "crates/authing/examples",
    "crates/authing/tests",
    "crates/authing-cli/src",
    "crates/authing-cli/examples",
    "crates/authing-cli/tests",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn vendored() -> Value {
    let text = std::fs::read_to_string(workspace().join("spec/management-openapi.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The vendored document as Authing might change it next.
fn next_revision() -> Value {
    let mut doc = vendored();
    let paths = doc["paths"].as_object_mut().unwrap();
    paths.insert(
        "/api/v3/list-widgets".into(),
        json!({"post": {
            "operationId": "WidgetsController_listWidgets",
            "summary": "List widgets",
            "requestBody": {"required": true, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/ListWidgetsDto"}
            }}},
            "responses": {"200": {"description": "", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/CommonResponseDto"}
            }}}}
        }}),
    );
    let removed = paths.remove("/api/v3/get-admin-audit-logs");
    assert!(
        removed.is_some(),
        "the vendored document changed: pick another operation"
    );

    let schemas = &mut doc["components"]["schemas"];
    schemas["ListWidgetsDto"] = json!({"type": "object", "properties": {
        "widgetKind": {"type": "string", "description": "kind"}
    }});
    schemas["UserDto"]["properties"]["favouriteColour"] =
        json!({"type": "string", "description": "The user's favourite colour"});

    let parameters = doc["paths"]["/api/v3/get-otp-secret-by-user"]["get"]["parameters"]
        .as_array_mut()
        .unwrap();
    let id_type = parameters
        .iter_mut()
        .find(|p| p["name"] == "userIdType")
        .unwrap();
    id_type["schema"]["enum"]
        .as_array_mut()
        .unwrap()
        .push(json!("union_id"));
    doc
}

fn xtask(args: &[&str], spec: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("generate")
        .args(args)
        .arg("--spec")
        .arg(spec)
        .arg("--root")
        .arg(workspace())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.success(), stderr)
}

/// Generate `doc` into `dir`; the regenerated files are under `dir`.
fn regenerate(doc: &Value, dir: &Path) -> String {
    let spec = dir.join("revision.json");
    std::fs::write(&spec, serde_json::to_vec(doc).unwrap()).unwrap();
    let out = dir.join("out");
    let (ok, stderr) = xtask(&["--out", out.to_str().unwrap()], &spec);
    assert!(ok, "the revision must generate: {stderr}");
    std::fs::read_to_string(out.join(GENERATED)).unwrap()
}

fn identifiers(source: &str) -> BTreeSet<String> {
    fn collect(tokens: proc_macro2::TokenStream, out: &mut BTreeSet<String>) {
        for t in tokens {
            match t {
                proc_macro2::TokenTree::Ident(i) => {
                    out.insert(i.to_string());
                }
                proc_macro2::TokenTree::Group(g) => collect(g.stream(), out),
                _ => {}
            }
        }
    }
    let mut out = BTreeSet::new();
    collect(source.parse().expect("Rust source tokenizes"), &mut out);
    out
}

fn hand_written_identifiers() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo: Vec<PathBuf> = HAND_WRITTEN.iter().map(|d| workspace().join(d)).collect();
    while let Some(path) = todo.pop() {
        if path.is_dir() {
            todo.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with(OPERATION_TABLE) {
            out.extend(identifiers(&std::fs::read_to_string(&path).unwrap()));
        }
    }
    out
}

/// Identifiers the hand-written crates take from the checked-in generated code that
/// the regenerated code no longer defines.
fn lost_identifiers(regenerated: &str) -> Vec<String> {
    let checked_in = std::fs::read_to_string(workspace().join(GENERATED)).unwrap();
    let before = identifiers(&checked_in);
    let after = identifiers(regenerated);
    hand_written_identifiers()
        .into_iter()
        .filter(|i| before.contains(i) && !after.contains(i))
        .collect()
}

#[test]
fn a_changed_document_regenerates_and_check_names_the_changed_files() {
    let dir = tempfile::tempdir().unwrap();
    let doc = next_revision();
    let code = regenerate(&doc, dir.path());

    assert!(code.contains("pub fn list_widgets("), "added operation");
    assert!(code.contains("pub struct ListWidgetsDto"), "added schema");
    assert!(
        !code.contains("fn get_admin_audit_logs("),
        "removed operation"
    );
    assert!(code.contains("pub favourite_colour:"), "added property");
    assert!(code.contains("UnionId,"), "added enum value");

    // The preview against the checked-in files names each one the revision changes.
    let spec = dir.path().join("revision.json");
    let (ok, stderr) = xtask(&["--check"], &spec);
    assert!(!ok, "--check must fail on a changed document: {stderr}");
    for changed in ["spec/fixups-applied.txt", GENERATED, OPERATION_TABLE] {
        assert!(
            stderr.contains(&format!("{changed} is stale")),
            "{changed} not named: {stderr}"
        );
    }
    assert!(
        stderr.contains("list_widgets"),
        "the diff is shown: {stderr}"
    );
    // One operation added, one removed.
    let checked_in = std::fs::read_to_string(workspace().join(GENERATED)).unwrap();
    let operations = checked_in.matches("operation_id: \"").count();
    assert!(
        stderr.contains(&format!("{operations} operations")),
        "{stderr}"
    );

    let lost = lost_identifiers(&code);
    assert!(lost.is_empty(), "the wrapper uses what is gone: {lost:?}");

    if std::env::var_os("XTASK_BUILD_REGENERATED").is_some_and(|v| v == "1") {
        build_wrapper_against(&dir.path().join("out"));
    } else {
        eprintln!(
            "note: the wrapper was not compiled against the regenerated crate \
             (minutes); set XTASK_BUILD_REGENERATED=1, as CI does"
        );
    }
}

#[test]
fn the_name_check_fails_when_an_operation_the_wrapper_uses_goes() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc = vendored();
    doc["paths"]
        .as_object_mut()
        .unwrap()
        .remove("/api/v3/import-otp");
    let lost = lost_identifiers(&regenerate(&doc, dir.path()));
    assert_eq!(lost, ["import_otp"]);
}

/// `cargo check` of the hand-written crates in a copy of the workspace whose
/// generated files are the regenerated ones. It shares the workspace's target
/// directory, so only the copied crates are checked again.
fn build_wrapper_against(regenerated: &Path) {
    let copy = tempfile::tempdir().unwrap();
    let root = workspace();
    for entry in [
        "Cargo.toml",
        "Cargo.lock",
        "crates",
        "xtask",
        "spec",
        "examples",
    ] {
        copy_tree(&root.join(entry), &copy.path().join(entry));
    }
    for file in [GENERATED, OPERATION_TABLE] {
        std::fs::copy(regenerated.join(file), copy.path().join(file)).unwrap();
    }
    // target/debug/xtask → target
    let target = Path::new(env!("CARGO_BIN_EXE_xtask"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf();
    let started = Instant::now();
    let out = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--locked", "--all-targets"])
        .args(["-p", "authing", "-p", "authing-cli"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(copy.path())
        .output()
        .unwrap();
    eprintln!(
        "cargo check of authing and authing-cli against the regenerated crate: {:.0?}",
        started.elapsed()
    );
    assert!(
        out.status.success(),
        "the wrapper does not build against the regenerated crate:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        if from.file_name().is_some_and(|n| n == "target") {
            return;
        }
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}
