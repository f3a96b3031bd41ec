//! The npm package the supplement is derived from: an unpacked directory or the
//! `.tgz` that `npm pack` leaves. A tarball is unpacked with the system's `tar` into a
//! temporary directory, and hashed the way the npm registry records it
//! (`dist.integrity` is `sha512-<base64>`, `dist.shasum` the hex SHA-1), so the record
//! next to the supplement can be checked against `npm view`.

use anyhow::{bail, Context, Result};
use base64::Engine;
use serde_json::Value;
use sha1::Digest;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::provenance::hex;

pub const PACKAGE: &str = "authing-node-sdk";

pub struct Package {
    /// The directory holding package.json and src/.
    pub root: PathBuf,
    _unpacked: Option<tempfile::TempDir>,
    pub name: String,
    pub version: String,
    /// package.json's `license`.
    pub license: String,
    /// The LICENSE file's copyright line, if it has one.
    pub copyright: Option<String>,
    pub tarball: Option<Tarball>,
}

pub struct Tarball {
    pub file_name: String,
    pub integrity: String,
    pub shasum: String,
}

pub fn open(from: &Path) -> Result<Package> {
    let (root, unpacked, tarball) = if from.is_dir() {
        let root = if from.join("package.json").is_file() {
            from.to_path_buf()
        } else {
            from.join("package")
        };
        (root, None, None)
    } else {
        let bytes = std::fs::read(from).with_context(|| format!("reading {}", from.display()))?;
        let dir = tempfile::tempdir().context("creating a temporary directory")?;
        let status = Command::new("tar")
            .arg("-xzf")
            .arg(from)
            .arg("-C")
            .arg(dir.path())
            .status()
            .context("running tar")?;
        if !status.success() {
            bail!("tar could not unpack {}", from.display());
        }
        let tarball = Tarball {
            file_name: from
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            integrity: format!(
                "sha512-{}",
                base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(&bytes))
            ),
            shasum: hex(&sha1::Sha1::digest(&bytes)),
        };
        (dir.path().join("package"), Some(dir), Some(tarball))
    };
    let manifest_path = root.join("package.json");
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(&manifest_path)
            .with_context(|| format!("reading {}", manifest_path.display()))?,
    )
    .with_context(|| format!("parsing {}", manifest_path.display()))?;
    let field = |k: &str| -> Result<String> {
        manifest[k]
            .as_str()
            .map(str::to_string)
            .with_context(|| format!("package.json has no string `{k}`"))
    };
    let name = field("name")?;
    if name != PACKAGE {
        bail!("{} is package {name}, not {PACKAGE}", from.display());
    }
    let copyright = std::fs::read_to_string(root.join("LICENSE"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.trim_start().starts_with("Copyright"))
                .map(|l| l.trim().to_string())
        });
    Ok(Package {
        version: field("version")?,
        license: field("license")?,
        name,
        copyright,
        root,
        _unpacked: unpacked,
        tarball,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_package(dir: &Path, name: &str) {
        std::fs::create_dir_all(dir.join("package/src")).unwrap();
        std::fs::write(
            dir.join("package/package.json"),
            format!(r#"{{"name": "{name}", "version": "9.9.9", "license": "MIT"}}"#),
        )
        .unwrap();
        std::fs::write(
            dir.join("package/LICENSE"),
            "MIT License\n\nCopyright (c) 2019-present Authing\n",
        )
        .unwrap();
    }

    #[test]
    fn tarballs_are_unpacked_and_hashed_like_npm() {
        let dir = tempfile::tempdir().unwrap();
        write_package(dir.path(), PACKAGE);
        let tgz = dir.path().join("p.tgz");
        let ok = Command::new("tar")
            .arg("-czf")
            .arg(&tgz)
            .arg("-C")
            .arg(dir.path())
            .arg("package")
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let p = open(&tgz).unwrap();
        assert_eq!(p.version, "9.9.9");
        assert_eq!(p.license, "MIT");
        assert_eq!(
            p.copyright.as_deref(),
            Some("Copyright (c) 2019-present Authing")
        );
        assert!(p.root.join("src").is_dir());
        let t = p.tarball.unwrap();
        let bytes = std::fs::read(&tgz).unwrap();
        assert_eq!(t.shasum, hex(&sha1::Sha1::digest(&bytes)));
        assert_eq!(t.shasum.len(), 40);
        assert!(t.integrity.starts_with("sha512-") && t.integrity.len() == 7 + 88);

        // The unpacked directory, given directly or by its parent.
        assert_eq!(open(&dir.path().join("package")).unwrap().version, "9.9.9");
        assert!(open(dir.path()).unwrap().tarball.is_none());
    }

    #[test]
    fn another_package_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write_package(dir.path(), "left-pad");
        let e = open(dir.path()).err().unwrap().to_string();
        assert!(
            e.ends_with("is package left-pad, not authing-node-sdk"),
            "{e}"
        );
    }
}
