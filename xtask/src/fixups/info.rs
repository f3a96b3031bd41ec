//! The document's own metadata.

use super::Report;
use serde_json::Value;

/// A number as `info.version` becomes its string.
///
/// Why: OpenAPI requires a string and openapiv3 refuses anything else, but three of
/// Authing's published revisions (2022-10-22 to 2023-01-04) carry `"version": 3`, a
/// number. The value is only echoed by the generated `Client::api_version()`, so
/// writing it as a string changes nothing else.
pub fn version_string(doc: &mut Value, report: &mut Report) {
    if let Some(version) = doc.pointer_mut("/info/version") {
        if let Value::Number(n) = version {
            let text = n.to_string();
            report.push(("info-version-string", format!("/info/version: {text}")));
            *version = Value::String(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_numeric_version_becomes_a_string_and_a_string_stays() {
        let mut doc = json!({"info": {"version": 3}});
        let mut report = Report::new();
        version_string(&mut doc, &mut report);
        assert_eq!(doc["info"]["version"], json!("3"));
        assert_eq!(
            report,
            [("info-version-string", "/info/version: 3".to_string())]
        );

        version_string(&mut doc, &mut report);
        assert_eq!(doc["info"]["version"], json!("3"));
        assert_eq!(report.len(), 1);
    }
}
