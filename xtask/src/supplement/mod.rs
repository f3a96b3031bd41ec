//! `cargo xtask supplement --from <authing-node-sdk dir or .tgz> [--check]`: derive
//! `spec/management-supplement.json`, the operations Authing's Node SDK calls that
//! Authing's published document lacks, from the SDK's own TypeScript sources, and
//! `spec/SUPPLEMENT-SOURCE.txt`, where it came from and what the derivation found.
//!
//! The derivation reads only the given package and the vendored document; it never
//! downloads (scripts/supplement.sh fetches the package with `npm pack`). Its output
//! is deterministic: JSON objects are sorted (serde_json's map), arrays keep the SDK's
//! order. `--check` derives in memory and fails, showing the difference, when either
//! checked-in file differs.

mod against_document;
mod client;
mod derive;
mod lexer;
mod models;
mod package;
mod record;
mod schema;
mod types;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

pub const SUPPLEMENT: &str = "spec/management-supplement.json";
pub const RECORD: &str = "spec/SUPPLEMENT-SOURCE.txt";
const DOCUMENT: &str = "spec/management-openapi.json";
pub const USAGE: &str =
    "usage: cargo xtask supplement --from <authing-node-sdk dir or .tgz> [--check] [--root DIR]";

pub fn main(args: &[String], mut root: PathBuf) -> Result<()> {
    let mut from = None;
    let mut check = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--from" => from = Some(PathBuf::from(rest.next().context("--from needs a path")?)),
            "--root" => root = PathBuf::from(rest.next().context("--root needs a directory")?),
            bad => bail!("unknown argument {bad}\n{USAGE}"),
        }
    }
    let from = from.with_context(|| format!("--from is required\n{USAGE}"))?;
    run(&root, &from, check)
}

fn run(root: &Path, from: &Path, check: bool) -> Result<()> {
    let document: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(DOCUMENT))
            .with_context(|| format!("reading {DOCUMENT}"))?,
    )
    .with_context(|| format!("parsing {DOCUMENT}"))?;
    let pkg = package::open(from)?;
    let (supplement, notes) = derive_from(&pkg, &document)?;
    // The merge that generation performs must accept what was derived.
    crate::merge::merge(&mut document.clone(), &supplement)
        .context("the derived supplement does not merge into the document")?;

    let json = serde_json::to_string_pretty(&supplement)? + "\n";
    let record = record::render(&pkg, &notes);
    eprintln!(
        "{} {}: {} supplement operations ({} on new paths), {} schemas",
        pkg.name,
        pkg.version,
        notes.added.len(),
        notes.new_paths,
        notes.schemas_added
    );
    if check {
        let mut stale = Vec::new();
        if !same(root, SUPPLEMENT, &json, |l| l.to_string()) {
            stale.push(SUPPLEMENT);
        }
        // Without the tarball its hashes cannot be recomputed: compare the rest.
        let comparable = |l: &str| {
            if pkg.tarball.is_none() && record::TARBALL_KEYS.iter().any(|k| l.starts_with(k)) {
                String::new()
            } else {
                l.to_string()
            }
        };
        if !same(root, RECORD, &record, comparable) {
            stale.push(RECORD);
        }
        if !stale.is_empty() {
            bail!("stale: {}; run scripts/supplement.sh", stale.join(", "));
        }
        eprintln!("the supplement is up to date");
        return Ok(());
    }
    if pkg.tarball.is_none() {
        bail!("give the package's .tgz (scripts/supplement.sh does): its integrity is recorded in {RECORD}");
    }
    for (path, text) in [(SUPPLEMENT, &json), (RECORD, &record)] {
        std::fs::write(root.join(path), text).with_context(|| format!("writing {path}"))?;
        eprintln!("wrote {path}");
    }
    Ok(())
}

fn derive_from(pkg: &package::Package, document: &Value) -> Result<(Value, derive::Notes)> {
    let client_path = pkg.root.join(client::CLIENT_FILE);
    let src = std::fs::read_to_string(&client_path)
        .with_context(|| format!("reading {}", client_path.display()))?;
    let (methods, passthrough) = client::parse_client(&src)?;
    let mut models = models::Models::new(&pkg.root);
    let source = derive::Source {
        package: &pkg.name,
        version: &pkg.version,
        license: &pkg.license,
    };
    derive::derive(
        &source,
        &methods,
        &passthrough,
        &mut models,
        document,
        derive::KEEP_DOCUMENT_SCHEMA,
    )
}

/// Whether the checked-in `path` equals `want` (line by line through `key`); prints
/// the start of the difference when not.
fn same(root: &Path, path: &str, want: &str, key: impl Fn(&str) -> String) -> bool {
    let have = std::fs::read_to_string(root.join(path)).unwrap_or_default();
    let norm = |t: &str| t.lines().map(&key).collect::<Vec<_>>().join("\n");
    if norm(&have) == norm(want) {
        return true;
    }
    eprintln!("{path} differs from the derivation:");
    let diff = similar::TextDiff::from_lines(have.as_str(), want);
    let shown: String = diff
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("{path} (checked in)"),
            &format!("{path} (derived)"),
        )
        .to_string()
        .lines()
        .take(40)
        .collect::<Vec<_>>()
        .join("\n");
    eprintln!("{shown}");
    false
}
