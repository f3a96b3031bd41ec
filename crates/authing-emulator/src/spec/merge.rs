//! The document the emulator serves: Authing's published one, plus the supplement of
//! operations Authing's Node SDK calls beyond it, with the request properties Authing's
//! server is known not to require made optional.
//!
//! The generator (the xtask) merges the same two files before its fix-ups, so the client and
//! the emulator know the same operations. The "not required" facts are read from the
//! generator's own record of what it changed (`spec/fixups-applied.txt`, kept current by
//! `cargo xtask generate --check`), so the two lists cannot drift apart.

use serde_json::Value;

/// Adds the supplement's paths and schemas to `doc`. Like the generator, it only adds: an
/// operation on a path and method the document already has, or a schema of the same name
/// with another shape, is an error. Returns how many operations were added.
pub fn merge_supplement(doc: &mut Value, supplement: &Value) -> Result<usize, String> {
    let paths = supplement["paths"]
        .as_object()
        .ok_or("the supplement has no paths")?;
    let mut added = 0;
    for (path, item) in paths {
        let item = item
            .as_object()
            .ok_or_else(|| format!("supplement path {path} is not an object"))?;
        let doc_paths = doc["paths"]
            .as_object_mut()
            .ok_or("the document has no paths")?;
        let target = doc_paths
            .entry(path.clone())
            .or_insert_with(|| Value::Object(Default::default()));
        for (method, op) in item {
            if target.get(method).is_some() {
                return Err(format!(
                    "supplement operation {method} {path} collides with the document's"
                ));
            }
            target[method] = op.clone();
            added += 1;
        }
    }
    let schemas = doc["components"]["schemas"]
        .as_object_mut()
        .ok_or("the document has no schemas")?;
    for (name, schema) in supplement["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        match schemas.get(name) {
            Some(theirs) if theirs != schema => {
                return Err(format!(
                    "supplement schema {name} differs from the document's"
                ))
            }
            Some(_) => {}
            None => {
                schemas.insert(name.clone(), schema.clone());
            }
        }
    }
    Ok(added)
}

/// Drops the `required` marks that the generator's record lists as `not-required`
/// (`not-required<TAB>/components/schemas/<Schema>/required <property>: <evidence>`).
/// Returns the `(schema, property)` pairs relaxed; a listed one the document does not
/// require is an error, as it is for the generator.
pub fn relax_required(doc: &mut Value, record: &str) -> Result<Vec<(String, String)>, String> {
    let mut relaxed = Vec::new();
    for line in record.lines() {
        let Some(rest) = line.strip_prefix("not-required\t") else {
            continue;
        };
        let (pointer, property) = rest
            .split_once(':')
            .and_then(|(target, _evidence)| target.split_once(' '))
            .ok_or_else(|| format!("unreadable not-required line: {line}"))?;
        let required = doc
            .pointer_mut(pointer)
            .and_then(Value::as_array_mut)
            .ok_or_else(|| format!("{pointer} is not in the document"))?;
        let before = required.len();
        required.retain(|name| name != property);
        if required.len() == before {
            return Err(format!("{pointer} does not list {property}"));
        }
        let schema = pointer
            .trim_start_matches("/components/schemas/")
            .trim_end_matches("/required");
        relaxed.push((schema.to_string(), property.to_string()));
    }
    Ok(relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_supplement_only_adds() {
        let mut doc = json!({"paths": {"/a": {"get": {"operationId": "A"}}},
                             "components": {"schemas": {"S": {"type": "string"}}}});
        let supplement = json!({"paths": {"/a": {"post": {"operationId": "B"}},
                                          "/c": {"get": {"operationId": "C"}}},
                                "components": {"schemas": {"S": {"type": "string"},
                                                           "T": {"type": "number"}}}});
        assert_eq!(merge_supplement(&mut doc, &supplement), Ok(2));
        assert_eq!(doc["paths"]["/a"]["get"]["operationId"], "A");
        assert_eq!(doc["paths"]["/a"]["post"]["operationId"], "B");
        assert_eq!(doc["components"]["schemas"]["T"]["type"], "number");
        let clash = json!({"paths": {"/a": {"get": {"operationId": "X"}}}});
        assert!(merge_supplement(&mut doc, &clash)
            .unwrap_err()
            .contains("get /a"));
        let other = json!({"paths": {}, "components": {"schemas": {"S": {"type": "number"}}}});
        assert!(merge_supplement(&mut doc, &other).is_err());
    }

    #[test]
    fn not_required_lines_relax_the_schema() {
        let mut doc = json!({"components": {"schemas": {"G": {"required": ["code", "type"]}}}});
        let record = "# comment\nnot-required\t/components/schemas/G/required type: evidence: \
                      a test\nother\tline";
        let relaxed = relax_required(&mut doc, record).unwrap();
        assert_eq!(relaxed, vec![("G".to_string(), "type".to_string())]);
        assert_eq!(
            doc["components"]["schemas"]["G"]["required"],
            json!(["code"])
        );
        assert!(
            relax_required(&mut doc, record).is_err(),
            "no longer required"
        );
    }
}
