//! Which document the generated code comes from, recorded in the code itself.
//!
//! A regeneration from a changed document changes public types, so a release says
//! which document it was made from (README.md, "Versions"): the generated crate
//! carries the document's SHA-256 and, for the vendored document, the commit and
//! date `spec/SOURCE.txt` gives. That file must describe the document actually
//! vendored: a replaced document with a stale SOURCE.txt fails generation.

use anyhow::{bail, Context, Result};
use proc_macro2::TokenStream;
use quote::quote;
use sha2::{Digest, Sha256};
use std::path::Path;

pub const SOURCE: &str = "spec/SOURCE.txt";

/// Where a document came from.
#[derive(Debug)]
pub struct Provenance {
    pub sha256: String,
    /// `(commit, date)` upstream, known for the vendored document only.
    pub origin: Option<(String, String)>,
}

impl Provenance {
    /// The vendored document, checked against `spec/SOURCE.txt`.
    pub fn vendored(root: &Path, document: &[u8]) -> Result<Self> {
        let sha256 = hex(&Sha256::digest(document));
        let source = std::fs::read_to_string(root.join(SOURCE))
            .with_context(|| format!("reading {SOURCE}"))?;
        let field = |key: &str| {
            source.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == key).then(|| v.trim().to_string())
            })
        };
        let recorded = field("SHA-256").with_context(|| format!("{SOURCE} has no SHA-256 line"))?;
        if recorded != sha256 {
            bail!(
                "{SOURCE} gives SHA-256 {recorded}, but the vendored document's is {sha256}: \
                 describe the new revision there (commit, date, SHA-256) before generating"
            );
        }
        // "Commit : <40 hex>  (<date>, "<subject>"; ...)"
        let commit_line =
            field("Commit").with_context(|| format!("{SOURCE} has no Commit line"))?;
        let (commit, rest) = commit_line
            .split_once(char::is_whitespace)
            .with_context(|| format!("{SOURCE}: Commit line is not `<sha> (<date>, …)`"))?;
        let date = rest
            .trim_start()
            .strip_prefix('(')
            .and_then(|r| r.split([',', ')']).next())
            .with_context(|| format!("{SOURCE}: Commit line is not `<sha> (<date>, …)`"))?;
        Ok(Provenance {
            sha256,
            origin: Some((commit.to_string(), date.trim().to_string())),
        })
    }

    /// Another revision (`--spec`): only its hash is known.
    pub fn given(document: &[u8]) -> Self {
        Provenance {
            sha256: hex(&Sha256::digest(document)),
            origin: None,
        }
    }

    /// `DOCUMENT_*` constants for the generated code.
    pub fn tokens(&self) -> TokenStream {
        let sha256 = &self.sha256;
        let (commit, date) = match &self.origin {
            Some((commit, date)) => (commit.as_str(), date.as_str()),
            None => ("unknown (generated with --spec)", "unknown"),
        };
        let summary = format!(
            " Authing's `management-openapi.json` this code was generated from: commit \
             `{commit}` of github.com/Authing/authing-docs-factory, dated {date}."
        );
        quote! {
            #[doc = #summary]
            pub const DOCUMENT_COMMIT: &str = #commit;
            /// The date of [`DOCUMENT_COMMIT`] (`YYYY-MM-DD`).
            pub const DOCUMENT_DATE: &str = #date;
            /// The SHA-256 of the document as published (before the fix-ups).
            pub const DOCUMENT_SHA256: &str = #sha256;
        }
    }
}

/// Lower-case hexadecimal, as `sha256sum` and npm's `shasum` write digests.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_with(source: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("spec")).unwrap();
        std::fs::write(dir.path().join(SOURCE), source).unwrap();
        dir
    }

    #[test]
    fn the_vendored_document_is_the_one_source_txt_describes() {
        let doc = b"{}";
        let sha = hex(&Sha256::digest(doc));
        let dir = root_with(&format!(
            "Commit     : 2ec535667b49c31499fb365efaae55aefa2eaab1  (2023-11-10, \"fix\")\n\
             SHA-256    : {sha}\n"
        ));
        let p = Provenance::vendored(dir.path(), doc).unwrap();
        assert_eq!(
            p.origin,
            Some((
                "2ec535667b49c31499fb365efaae55aefa2eaab1".into(),
                "2023-11-10".into()
            ))
        );
        let code = p.tokens().to_string();
        assert!(code.contains(&sha), "{code}");
        assert!(code.contains("2023-11-10"), "{code}");

        let e = Provenance::vendored(dir.path(), b"{ }")
            .unwrap_err()
            .to_string();
        assert!(e.contains("spec/SOURCE.txt gives SHA-256"), "{e}");
    }
}
