//! `cargo xtask msrv`: the workspace's `rust-version` is what Cargo.lock needs.
//!
//! The true minimum is the highest `rust-version` that a locked package declares:
//! the workspace cannot build on anything older, and it claims no more. Every
//! workspace member must declare the workspace's value, and that value must equal
//! the maximum; otherwise the check fails, naming the packages that set it. (Clippy's
//! `incompatible_msrv` lint, on in CI, then holds our own code to the same version
//! for standard-library APIs.)
//!
//! No network: the packages built for this machine are read with `cargo metadata
//! --offline --filter-platform <host>` (their sources are in the registry cache once
//! anything was built or fetched); the locked packages of other platforms (Windows,
//! macOS, wasm) have no source here, so their `rust_version` is read from Cargo's
//! cache of the registry index, which every resolution fills.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;
use std::collections::btree_map::{BTreeMap, Entry};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A Rust version as `rust-version` writes it ("1.88" is 1.88.0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RustVersion(u64, u64, u64);

impl RustVersion {
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.').map(|p| p.parse::<u64>().ok());
        let major = parts.next()??;
        let minor = parts.next().unwrap_or(Some(0))?;
        let patch = parts.next().unwrap_or(Some(0))?;
        parts
            .next()
            .is_none()
            .then_some(RustVersion(major, minor, patch))
    }
}

impl std::fmt::Display for RustVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RustVersion(major, minor, 0) => write!(f, "{major}.{minor}"),
            RustVersion(major, minor, patch) => write!(f, "{major}.{minor}.{patch}"),
        }
    }
}

pub fn check(root: &Path) -> Result<()> {
    let metadata = cargo_metadata(root)?;
    let packages = metadata["packages"]
        .as_array()
        .context("metadata packages")?;
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();

    // What each locked package declares, `name version` → rust-version (None: nothing).
    let mut declared: BTreeMap<String, Option<RustVersion>> = BTreeMap::new();
    let mut member_versions = Vec::new();
    for p in packages {
        let key = format!("{} {}", p["name"].as_str().unwrap_or("?"), p["version"]);
        let key = key.replace('"', "");
        let rv = p["rust_version"].as_str().and_then(RustVersion::parse);
        if members.contains(&p["id"].as_str().unwrap_or_default()) {
            member_versions.push((key, rv));
        } else {
            declared.insert(key, rv);
        }
    }
    let on_this_machine = declared.len();
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let index = index_cache_dir()?;
    for (name, version) in registry_packages(&lock) {
        let key = format!("{name} {version}");
        if let Entry::Vacant(slot) = declared.entry(key) {
            let rv = index_rust_version(&index, &name, &version).with_context(|| {
                format!(
                    "{} (another platform's package) in {}",
                    slot.key(),
                    index.display()
                )
            })?;
            slot.insert(rv);
        }
    }

    let Some(needed) = declared.values().flatten().max().copied() else {
        bail!("no locked package declares a rust-version");
    };
    let setters: Vec<&str> = declared
        .iter()
        .filter(|(_, v)| **v == Some(needed))
        .map(|(k, _)| k.as_str())
        .collect();
    let undeclared = declared.values().filter(|v| v.is_none()).count();
    eprintln!(
        "{} locked packages ({on_this_machine} built on this machine, the rest for other \
         platforms); {undeclared} declare no rust-version; the highest is {needed}: {}",
        declared.len(),
        setters.join(", ")
    );

    let mut wrong = Vec::new();
    for (member, rv) in &member_versions {
        match rv {
            Some(v) if *v == needed => {}
            Some(v) => wrong.push(format!("{member} declares {v}")),
            None => wrong.push(format!("{member} declares none")),
        }
    }
    if !wrong.is_empty() {
        bail!(
            "the workspace's rust-version must be {needed}, what Cargo.lock needs \
             (rust-version in [workspace.package] of Cargo.toml, and \
             `rust-version.workspace = true` in each member): {}",
            wrong.join("; ")
        );
    }
    eprintln!("rust-version {needed}: every workspace member declares it");
    Ok(())
}

fn cargo_metadata(root: &Path) -> Result<Value> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let host = host_triple()?;
    let out = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", &host])
        .current_dir(root)
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata --offline failed (run `cargo fetch --locked` first): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout).context("reading cargo metadata's output")
}

fn host_triple() -> Result<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .context("running rustc -vV")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_string)
        .ok_or_else(|| anyhow!("rustc -vV names no host"))
}

/// `(name, version)` of every package Cargo.lock takes from crates.io.
fn registry_packages(lock: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for block in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block.lines().find_map(|l| {
                l.strip_prefix(key)
                    .and_then(|r| r.trim().strip_prefix("= "))
                    .map(|v| v.trim_matches('"').to_string())
            })
        };
        if field("source").is_some_and(|s| s.starts_with("registry+")) {
            if let (Some(name), Some(version)) = (field("name"), field("version")) {
                out.push((name, version));
            }
        }
    }
    out
}

fn index_cache_dir() -> Result<PathBuf> {
    let home = match std::env::var_os("CARGO_HOME") {
        Some(h) => PathBuf::from(h),
        None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".cargo"),
    };
    let index = home.join("registry/index");
    let entries =
        std::fs::read_dir(&index).with_context(|| format!("reading {}", index.display()))?;
    // Cargo versions name the directory differently (1.85 changed its hash), so a
    // machine may hold several: the one written last is the one Cargo now uses.
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("index.crates.io-")
        })
        .map(|p| p.join(".cache"))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max()
        .map(|(_, p)| p)
        .ok_or_else(|| anyhow!("no cache of the crates.io index under {}", index.display()))
}

/// The `rust_version` the index gives one published version, from Cargo's cache
/// file of the package's index entry. That file is Cargo's own (version 3 of its
/// layout: a header, then `version NUL json NUL` pairs); another layout is an error
/// rather than a silent pass.
fn index_rust_version(cache: &Path, name: &str, version: &str) -> Result<Option<RustVersion>> {
    let lower = name.to_lowercase();
    let relative = match lower.len() {
        1 | 2 => format!("{}/{lower}", lower.len()),
        3 => format!("3/{}/{lower}", &lower[..1]),
        _ => format!("{}/{}/{lower}", &lower[..2], &lower[2..4]),
    };
    let bytes = std::fs::read(cache.join(&relative))
        .with_context(|| format!("no index entry {relative} (run `cargo fetch --locked`)"))?;
    if bytes.first() != Some(&3) || bytes.len() < 5 {
        bail!("{relative}: not the index cache layout this check reads (version 3)");
    }
    let mut fields = bytes[5..].split(|b| *b == 0).skip(1);
    while let (Some(v), Some(json)) = (fields.next(), fields.next()) {
        if v == version.as_bytes() {
            let entry: Value = serde_json::from_slice(json)
                .with_context(|| format!("{relative}: entry {version} is not JSON"))?;
            return Ok(entry["rust_version"].as_str().and_then(RustVersion::parse));
        }
    }
    bail!("{relative} has no entry for version {version} (run `cargo fetch --locked`)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        let v = |s| RustVersion::parse(s).unwrap();
        assert_eq!(v("1.88"), v("1.88.0"));
        assert!(v("1.89") > v("1.88.5"));
        assert!(v("1.100") > v("1.99"));
        assert_eq!(v("1.88").to_string(), "1.88");
        assert_eq!(v("1.71.1").to_string(), "1.71.1");
        assert_eq!(RustVersion::parse("1.x"), None);
        assert_eq!(RustVersion::parse(""), None);
    }

    #[test]
    fn registry_packages_of_a_lockfile() {
        let lock = r#"version = 4

[[package]]
name = "authing"
version = "0.1.0"
dependencies = ["uuid"]

[[package]]
name = "uuid"
version = "1.29.3"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "00"
"#;
        assert_eq!(
            registry_packages(lock),
            [("uuid".to_string(), "1.29.3".to_string())]
        );
    }

    #[test]
    fn an_index_cache_entry() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("wi/nd")).unwrap();
        let mut file = vec![3, 2, 0, 0, 0];
        file.extend_from_slice(b"etag\0");
        for (v, json) in [
            (
                "0.52.0",
                r#"{"name":"windows-sys","vers":"0.52.0","rust_version":"1.56"}"#,
            ),
            (
                "0.61.2",
                r#"{"name":"windows-sys","vers":"0.61.2","rust_version":"1.71"}"#,
            ),
        ] {
            file.extend_from_slice(v.as_bytes());
            file.push(0);
            file.extend_from_slice(json.as_bytes());
            file.push(0);
        }
        std::fs::write(dir.path().join("wi/nd/windows-sys"), &file).unwrap();
        let rv = index_rust_version(dir.path(), "windows-sys", "0.61.2").unwrap();
        assert_eq!(rv, RustVersion::parse("1.71"));
        let e = index_rust_version(dir.path(), "windows-sys", "0.60.0").unwrap_err();
        assert!(e.to_string().contains("no entry for version 0.60.0"), "{e}");

        file[0] = 4;
        std::fs::write(dir.path().join("wi/nd/windows-sys"), &file).unwrap();
        let e = index_rust_version(dir.path(), "windows-sys", "0.61.2").unwrap_err();
        assert!(e.to_string().contains("not the index cache layout"), "{e}");
    }
}
