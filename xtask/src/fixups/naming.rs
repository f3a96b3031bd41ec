//! Operation names and accepted statuses.

use super::{for_each_operation, Report};
use anyhow::{bail, Result};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Operations declaring only `201` also accept `200`.
///
/// Why: Authing answers its POSTs with HTTP 200; the three internal metadata
/// operations declaring `201` would otherwise turn every success into an
/// `UnexpectedResponse`.
pub fn accept_200_where_201_declared(doc: &mut Value, report: &mut Report) {
    for_each_operation(doc, |path, method, op| {
        let responses = op["responses"].as_object_mut().expect("responses");
        if !responses.contains_key("200") {
            if let Some(created) = responses.remove("201") {
                responses.insert("2XX".into(), created);
                report.push(("accept-2xx", format!("{method} {path}")));
            }
        }
    });
}

/// Method names without the `<Controller>_` prefix.
///
/// Why: `UsersManagementController_importOtp` would become
/// `users_management_controller_import_otp`. The prefix is dropped; where two
/// operations would then share a name (six pairs), each of them is named after its
/// path instead (`/api/v3/delete-device-by-user` → `delete_device_by_user`,
/// `/api/internal/v1/metadata/update-row` → `internal_metadata_update_row`), which is
/// deterministic and says what the call does. Any remaining clash fails generation.
pub fn method_names(doc: &mut Value, report: &mut Report) -> Result<()> {
    let mut by_short: BTreeMap<String, usize> = BTreeMap::new();
    for_each_operation(doc, |_, _, op| {
        *by_short.entry(short_name(op)).or_default() += 1;
    });
    let mut seen = BTreeMap::new();
    let mut clash = None;
    for_each_operation(doc, |path, method, op| {
        let original = op["operationId"].as_str().unwrap_or_default().to_string();
        let short = short_name(op);
        let name = if by_short[&short] > 1 {
            path_name(path)
        } else {
            short
        };
        let snake = to_snake(&name);
        let at = format!("{original} (/paths/{}/{method})", super::escape(path));
        if let Some(other) = seen.insert(snake.clone(), at.clone()) {
            clash = Some(format!("{at} and {other} both map to {snake}"));
        }
        op.insert("x-authing-operation-id".into(), json!(original));
        op.insert("operationId".into(), json!(snake));
        report.push((
            "method-name",
            format!("{method} {path}: {original} -> {snake}"),
        ));
    });
    match clash {
        Some(c) => bail!("fix-up method-name: {c}; name one of them in this rule"),
        None => Ok(()),
    }
}

fn short_name(op: &Map<String, Value>) -> String {
    let id = op["operationId"].as_str().unwrap_or_default();
    id.split_once('_').map_or(id, |(_, name)| name).to_string()
}

fn path_name(path: &str) -> String {
    let rest = path
        .strip_prefix("/api/v3/")
        .map(str::to_string)
        .or_else(|| {
            path.strip_prefix("/api/internal/v1/")
                .map(|r| format!("internal/{r}"))
        })
        .unwrap_or_else(|| path.trim_start_matches('/').to_string());
    rest.replace(['/', '-'], "_")
}

/// `importOtp` → `import_otp`, `getUserMFAInfo` → `get_user_mfa_info`.
pub fn to_snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if c == '-' || c == ' ' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_names() {
        assert_eq!(to_snake("importOtp"), "import_otp");
        assert_eq!(to_snake("getManagementToken"), "get_management_token");
        assert_eq!(to_snake("getUserMFAInfo"), "get_user_mfa_info");
        assert_eq!(to_snake("delete_device_by_user"), "delete_device_by_user");
    }

    #[test]
    fn colliding_names_come_from_the_path() {
        assert_eq!(
            path_name("/api/v3/delete-device-by-user"),
            "delete_device_by_user"
        );
        assert_eq!(
            path_name("/api/internal/v1/metadata/update-row"),
            "internal_metadata_update_row"
        );
        assert_eq!(path_name("/get-row-batch"), "get_row_batch");
    }
}
