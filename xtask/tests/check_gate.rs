//! `cargo xtask generate --check` passes on the checked-in files and fails, naming the
//! file, as soon as any generated file is edited by hand, or the supplement it
//! merges changes or goes missing.

use std::path::Path;
use std::process::Command;

const GENERATED: &[&str] = &[
    "spec/fixups-applied.txt",
    "crates/authing-management-gen/src/generated.rs",
    "crates/authing/tests/support/operation_table.rs",
];
const FILES: &[&str] = &[
    "spec/management-openapi.json",
    "spec/management-supplement.json",
    GENERATED[0],
    GENERATED[1],
    GENERATED[2],
];

fn copy_checkout(to: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    for f in FILES.iter().chain(&["spec/SOURCE.txt"]) {
        std::fs::create_dir_all(to.join(f).parent().unwrap()).unwrap();
        std::fs::copy(root.join(f), to.join(f)).unwrap();
    }
}

fn check(root: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["generate", "--check", "--root"])
        .arg(root)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_fails_on_a_hand_edit_of_a_generated_file() {
    let dir = tempfile::tempdir().unwrap();
    copy_checkout(dir.path());
    let (ok, stderr) = check(dir.path());
    assert!(ok, "the checked-in files must be up to date: {stderr}");
    assert!(stderr.contains("511 operations"), "{stderr}");

    // One run with every generated file edited: each must be named, with its diff.
    copy_checkout(dir.path());
    for (i, edited) in GENERATED.iter().enumerate() {
        let path = dir.path().join(edited);
        let text = std::fs::read_to_string(&path).unwrap();
        let mark = format!("import_otp_by_hand_{i}");
        std::fs::write(&path, text.replacen("import_otp", &mark, 1)).unwrap();
    }
    let (ok, stderr) = check(dir.path());
    assert!(!ok, "a hand edit of a generated file must fail the check");
    for (i, edited) in GENERATED.iter().enumerate() {
        assert!(
            stderr.contains(&format!("{edited} is stale or was edited by hand")),
            "{edited}: {stderr}"
        );
        assert!(
            stderr.contains(&format!("import_otp_by_hand_{i}")),
            "the diff of {edited} is shown: {stderr}"
        );
    }
}

#[test]
fn check_covers_the_supplement() {
    let dir = tempfile::tempdir().unwrap();
    let supplement = dir.path().join("spec/management-supplement.json");

    copy_checkout(dir.path());
    let text = std::fs::read_to_string(&supplement).unwrap();
    std::fs::write(
        &supplement,
        text.replacen("新增设备", "新增设备 by hand", 1),
    )
    .unwrap();
    let (ok, stderr) = check(dir.path());
    assert!(!ok, "an edited supplement must fail the check");
    assert!(
        stderr.contains("crates/authing-management-gen/src/generated.rs is stale"),
        "{stderr}"
    );

    copy_checkout(dir.path());
    std::fs::remove_file(&supplement).unwrap();
    let (ok, stderr) = check(dir.path());
    assert!(!ok, "generating without the supplement must fail the check");
    assert!(stderr.contains("425 operations"), "{stderr}");
}
