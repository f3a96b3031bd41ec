//! Finding an operation by any of the names people have for it.

use serde_json::{Map, Value};

use super::{Operation, OPERATIONS};

/// An operation found by [`find`], with the path parameters a concrete path gave.
#[derive(Debug)]
pub struct Found {
    pub operation: &'static Operation,
    /// From `DELETE /api/v3/ip-list/abc`: `{"id": "abc"}`.
    pub path_params: Map<String, Value>,
}

/// The operation `name` stands for: the SDK's method name (`list_users`), Authing's
/// operationId (`UsersManagementController_listUsers`), or `METHOD /path`, where the
/// path is the document's (`/api/v3/ip-list/{id}`) or a concrete one
/// (`/api/v3/ip-list/abc`, whose segments become the path parameters). Methods are
/// case-insensitive; names are not (they are identifiers).
pub fn find(name: &str) -> Option<Found> {
    let name = name.trim();
    let plain = |operation| Found {
        operation,
        path_params: Map::new(),
    };
    if let Some(op) = OPERATIONS
        .iter()
        .find(|op| op.name == name || op.operation_id == name)
    {
        return Some(plain(op));
    }
    let (method, path) = name.split_once(char::is_whitespace)?;
    let path = path.trim();
    OPERATIONS
        .iter()
        .filter(|op| op.method.eq_ignore_ascii_case(method))
        .find_map(|op| {
            let path_params = match_path(op, path)?;
            Some(Found {
                operation: op,
                path_params,
            })
        })
}

/// The path parameters when `path` is `operation`'s path, as written or filled in.
fn match_path(operation: &Operation, path: &str) -> Option<Map<String, Value>> {
    let template: Vec<&str> = operation.path.split('/').collect();
    let given: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    if template.len() != given.len() {
        return None;
    }
    let mut params = Map::new();
    for (t, g) in template.iter().zip(&given) {
        match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            // A literal `{id}` leaves the parameter to be given otherwise.
            Some(name) if g != t => {
                let decoded = percent_decode(g)?;
                params.insert(name.to_string(), Value::String(decoded));
            }
            Some(_) => {}
            None if t == g => {}
            None => return None,
        }
    }
    Some(params)
}

fn percent_decode(segment: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()?;
    Some(decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_sdk_name_operation_id_and_method_path() {
        let by_name = find("list_users").unwrap();
        assert_eq!(
            by_name.operation.operation_id,
            "UsersManagementController_listUsers"
        );
        let by_id = find("UsersManagementController_listUsers").unwrap();
        assert_eq!(by_id.operation.name, "list_users");
        let by_path = find("post /api/v3/list-users").unwrap();
        assert_eq!(by_path.operation.name, "list_users");
        let legacy = find("GET /api/v3/list-users").unwrap();
        assert_eq!(legacy.operation.name, "list_users_legacy");
        assert!(find("PATCH /api/v3/list-users").is_none());
        assert!(find("listUsers").is_none());
    }

    #[test]
    fn a_concrete_path_gives_its_parameters() {
        let found = find("delete /api/v3/ip-list/abc%20d").unwrap();
        assert_eq!(found.path_params["id"], "abc d");
        let template = find("DELETE /api/v3/ip-list/{id}").unwrap();
        assert!(template.path_params.is_empty());
        assert_eq!(found.operation.name, template.operation.name);
    }
}
