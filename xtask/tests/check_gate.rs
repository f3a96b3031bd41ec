//! `cargo xtask generate --check` passes on the checked-in files and fails, naming the
//! file, as soon as any generated file is edited by hand.

use std::path::Path;
use std::process::Command;

const FILES: &[&str] = &[
    "spec/management-openapi.json",
    "spec/fixups-applied.txt",
    "crates/authing-management-gen/src/generated.rs",
    "crates/authing/tests/support/operation_table.rs",
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
    assert!(stderr.contains("425 operations"), "{stderr}");

    for edited in &FILES[1..] {
        copy_checkout(dir.path());
        let path = dir.path().join(edited);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("import_otp", "import_otp_by_hand", 1)).unwrap();
        let (ok, stderr) = check(dir.path());
        assert!(!ok, "a hand edit of {edited} must fail the check");
        assert!(
            stderr.contains(&format!("{edited} is stale or was edited by hand")),
            "{stderr}"
        );
        assert!(
            stderr.contains("import_otp_by_hand"),
            "the diff is shown: {stderr}"
        );
    }
}
