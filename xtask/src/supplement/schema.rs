//! TypeScript types → OpenAPI 3.0 schemas, written the way Authing's document writes
//! them (NestJS swagger): enums inline as `type: string, enum: […]`, a documented
//! reference as `{description, allOf: [{$ref}]}`, `X | null` as `nullable: true`.
//!
//! And the reverse reading, for comparing a model with the document's schema of the
//! same name: the type the SDK's generator writes for a document schema.

use super::models::{EnumValue, Model, Models};
use super::types::{Prop, TsType};
use anyhow::{bail, Result};
use serde_json::{json, Map, Value};

pub const SCHEMA_REF: &str = "#/components/schemas/";

/// The schema of a type. `at` names where it is used (file:line) for errors; `doc`
/// becomes its description.
pub fn schema_of(ty: &TsType, doc: Option<&str>, models: &mut Models, at: &str) -> Result<Value> {
    let mut schema = match ty {
        TsType::String => json!({"type": "string"}),
        // Like the document: every number is `number`; the integer fix-up narrows
        // the fields known to be integral, in the supplement as in the document.
        TsType::Number => json!({"type": "number"}),
        TsType::Boolean => json!({"type": "boolean"}),
        // `any` says nothing about the value. The generator writes `any` for the
        // document's property-less `type: object`, but also for properties the
        // document types as string or number, so nothing narrower is claimed.
        TsType::Any => json!({}),
        TsType::Null => bail!("{at}: a type that is only `null` is not expressible"),
        TsType::Literal(v) => json!({"type": "string", "enum": [v]}),
        TsType::Ref(name) => {
            models.get(name, at)?;
            return Ok(with_ref(name, doc, false));
        }
        TsType::EnumRef(model, name) => {
            enum_schema(&models.get(model, at)?.enum_values(name, at)?.values)
        }
        TsType::Array(item) => {
            json!({"type": "array", "items": schema_of(item, None, models, at)?})
        }
        TsType::Union(members) => return union(members, doc, models, at),
        TsType::Object(props) => object(props, models, at)?,
    };
    if let Some(d) = doc {
        schema["description"] = json!(d);
    }
    Ok(schema)
}

/// An enum as the document writes one; an enum mixing strings and integers (the
/// document has `not_submit | reviewing | pass | -1`) has no single `type`, so it
/// becomes `oneOf` a string enum and an integer enum.
fn enum_schema(values: &[EnumValue]) -> Value {
    let strings: Vec<&str> = values
        .iter()
        .filter_map(|v| match v {
            EnumValue::Str(s) => Some(s.as_str()),
            EnumValue::Num(_) => None,
        })
        .collect();
    let numbers: Vec<i64> = values
        .iter()
        .filter_map(|v| match v {
            EnumValue::Num(n) => Some(*n),
            EnumValue::Str(_) => None,
        })
        .collect();
    match (strings.is_empty(), numbers.is_empty()) {
        (_, true) => json!({"type": "string", "enum": strings}),
        (true, false) => json!({"type": "integer", "enum": numbers}),
        (false, false) => json!({"oneOf": [
            {"type": "string", "enum": strings},
            {"type": "integer", "enum": numbers},
        ]}),
    }
}

fn with_ref(name: &str, doc: Option<&str>, nullable: bool) -> Value {
    let reference = json!({"$ref": format!("{SCHEMA_REF}{name}")});
    if doc.is_none() && !nullable {
        return reference;
    }
    let mut s = json!({"allOf": [reference]});
    if let Some(d) = doc {
        s["description"] = json!(d);
    }
    if nullable {
        s["nullable"] = json!(true);
    }
    s
}

fn union(members: &[TsType], doc: Option<&str>, models: &mut Models, at: &str) -> Result<Value> {
    let nullable = members.contains(&TsType::Null);
    let rest: Vec<&TsType> = members.iter().filter(|m| **m != TsType::Null).collect();
    let mut schema = if rest.iter().all(|m| matches!(m, TsType::Literal(_))) {
        let values: Vec<&str> = rest
            .iter()
            .map(|m| match m {
                TsType::Literal(v) => v.as_str(),
                _ => unreachable!("all literals"),
            })
            .collect();
        json!({"type": "string", "enum": values})
    } else if let [only] = rest.as_slice() {
        if let TsType::Ref(name) = only {
            models.get(name, at)?;
            return Ok(with_ref(name, doc, nullable));
        }
        schema_of(only, None, models, at)?
    } else {
        let one_of = rest
            .iter()
            .map(|m| schema_of(m, None, models, at))
            .collect::<Result<Vec<_>>>()?;
        json!({"oneOf": one_of})
    };
    if nullable {
        schema["nullable"] = json!(true);
    }
    if let Some(d) = doc {
        schema["description"] = json!(d);
    }
    Ok(schema)
}

fn object(props: &[Prop], models: &mut Models, at_file: &str) -> Result<Value> {
    let file = at_file.split(':').next().unwrap_or(at_file).to_string();
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in props {
        let at = format!("{file}:{}", p.line);
        properties.insert(
            p.name.clone(),
            schema_of(&p.ty, p.doc.as_deref(), models, &at)?,
        );
        if !p.optional {
            required.push(json!(p.name));
        }
    }
    let mut s = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        s["required"] = Value::Array(required);
    }
    Ok(s)
}

/// The component schema of a model.
pub fn model_schema(model: &Model, models: &mut Models) -> Result<Value> {
    let at = format!("{}:{}", model.file, model.line);
    let mut s = object(&model.props, models, &at)?;
    if let Some(d) = &model.doc {
        s["description"] = json!(d);
    }
    s["x-authing-source"] = json!({"file": model.file});
    Ok(s)
}

/// How a model differs from the document's schema of the same name, one line per
/// difference; empty when the generator would have written this model from that
/// schema. Descriptions and examples are not compared (the SDK drops examples).
pub fn differences(model: &Model, schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let props = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for p in &model.props {
        let Some(theirs) = props.get(&p.name) else {
            out.push(format!("{}: only in the SDK", p.name));
            continue;
        };
        if p.optional == required.contains(&p.name.as_str()) {
            let (sdk, doc) = if p.optional {
                ("optional", "required")
            } else {
                ("required", "optional")
            };
            out.push(format!(
                "{}: {sdk} in the SDK, {doc} in the document",
                p.name
            ));
        }
        let ours = canonical(&resolve_enums(&p.ty, model));
        let doc_ty = canonical(&ts_of(theirs));
        if ours != doc_ty {
            out.push(format!(
                "{}: SDK type {} but document type {}",
                p.name,
                show(&ours),
                show(&doc_ty)
            ));
        }
    }
    for name in props.keys() {
        if !model.props.iter().any(|p| &p.name == name) {
            out.push(format!("{name}: only in the document"));
        }
    }
    out
}

fn resolve_enums(ty: &TsType, model: &Model) -> TsType {
    match ty {
        TsType::EnumRef(m, e) if *m == model.name => match model.enums.get(e) {
            Some(en) => TsType::Union(
                en.values
                    .iter()
                    .map(|v| match v {
                        EnumValue::Str(s) => TsType::Literal(s.clone()),
                        // As `ts_of` reads a document's non-string enum value.
                        EnumValue::Num(n) => TsType::Literal(n.to_string()),
                    })
                    .collect(),
            ),
            None => ty.clone(),
        },
        TsType::Array(t) => TsType::Array(Box::new(resolve_enums(t, model))),
        TsType::Union(ts) => TsType::Union(ts.iter().map(|t| resolve_enums(t, model)).collect()),
        _ => ty.clone(),
    }
}

/// The TypeScript type the SDK's generator writes for a document schema.
pub fn ts_of(s: &Value) -> TsType {
    let base = if let Some(r) = s["$ref"].as_str() {
        TsType::Ref(r.trim_start_matches(SCHEMA_REF).to_string())
    } else if let Some([one]) = s["allOf"].as_array().map(Vec::as_slice) {
        ts_of(one)
    } else if let Some(members) = s["oneOf"].as_array().or(s["anyOf"].as_array()) {
        TsType::Union(members.iter().map(ts_of).collect())
    } else if let Some(values) = s["enum"].as_array() {
        TsType::Union(
            values
                .iter()
                .map(|v| TsType::Literal(v.as_str().map_or_else(|| v.to_string(), String::from)))
                .collect(),
        )
    } else {
        match s["type"].as_str() {
            Some("string") => TsType::String,
            Some("number" | "integer") => TsType::Number,
            Some("boolean") => TsType::Boolean,
            Some("array") => TsType::Array(Box::new(s.get("items").map_or(TsType::Any, ts_of))),
            _ => TsType::Any,
        }
    };
    if s["nullable"] == json!(true) {
        TsType::Union(vec![base, TsType::Null])
    } else {
        base
    }
}

/// Unions flattened, deduplicated and sorted, so that member order does not count.
pub fn canonical(t: &TsType) -> TsType {
    match t {
        TsType::Array(i) => TsType::Array(Box::new(canonical(i))),
        TsType::Union(ms) => {
            let mut flat = Vec::new();
            for m in ms {
                match canonical(m) {
                    TsType::Union(inner) => flat.extend(inner),
                    other => flat.push(other),
                }
            }
            flat.sort_by_key(show);
            flat.dedup();
            if flat.len() == 1 {
                flat.pop().expect("one")
            } else {
                TsType::Union(flat)
            }
        }
        other => other.clone(),
    }
}

/// TypeScript notation of a type, for messages.
pub fn show(t: &TsType) -> String {
    match t {
        TsType::String => "string".into(),
        TsType::Number => "number".into(),
        TsType::Boolean => "boolean".into(),
        TsType::Any => "any".into(),
        TsType::Null => "null".into(),
        TsType::Literal(v) => format!("'{v}'"),
        TsType::Ref(n) => n.clone(),
        TsType::EnumRef(m, e) => format!("{m}.{e}"),
        TsType::Array(i) => format!("Array<{}>", show(i)),
        TsType::Union(ms) => ms.iter().map(show).collect::<Vec<_>>().join(" | "),
        TsType::Object(ps) => format!(
            "{{ {} }}",
            ps.iter()
                .map(|p| format!(
                    "{}{}: {};",
                    p.name,
                    if p.optional { "?" } else { "" },
                    show(&p.ty)
                ))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::models::parse_model;
    use super::*;

    fn models_with(files: &[(&str, &str)]) -> (tempfile::TempDir, Models) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src/models")).unwrap();
        for (name, src) in files {
            std::fs::write(dir.path().join(format!("src/models/{name}.ts")), src).unwrap();
        }
        let models = Models::new(dir.path());
        (dir, models)
    }

    const DTO: &str = "/**\n * 设备\n */\nexport type Dto = {\n/**\n * 类型\n */\ntype: Dto.type;\n/**\n * 信息\n */\ninfo?: Info;\nplain?: Info;\nids: Array<string>;\ndept: (string | null);\nvalue: (string | number);\nany?: any;\n};\nexport namespace Dto {\nexport enum type {\nA = 'a',\nB = 'b',\n}\n}\n";
    const INFO: &str = "export type Info = {\n};\n";

    #[test]
    fn models_become_document_style_schemas() {
        let (_dir, mut models) = models_with(&[("Dto", DTO), ("Info", INFO)]);
        let model = models.get("Dto", "test").unwrap().clone();
        let s = model_schema(&model, &mut models).unwrap();
        assert_eq!(
            s,
            json!({
                "type": "object",
                "description": "设备",
                "x-authing-source": {"file": "src/models/Dto.ts"},
                "properties": {
                    "type": {"type": "string", "enum": ["a", "b"], "description": "类型"},
                    "info": {"allOf": [{"$ref": "#/components/schemas/Info"}], "description": "信息"},
                    "plain": {"$ref": "#/components/schemas/Info"},
                    "ids": {"type": "array", "items": {"type": "string"}},
                    "dept": {"type": "string", "nullable": true},
                    // `oneOf` keeps the SDK's member order.
                    "value": {"oneOf": [{"type": "string"}, {"type": "number"}]},
                    "any": {}
                },
                "required": ["type", "ids", "dept", "value"]
            })
        );
    }

    #[test]
    fn enums_mixing_strings_and_integers_become_one_of() {
        let src = "export type R = {\n  s?: R.s;\n};\nexport namespace R {\n  export enum s {\n    PASS = 'pass',\n    '_-1' = -1,\n  }\n}\n";
        let (_dir, mut models) = models_with(&[("R", src)]);
        let model = models.get("R", "test").unwrap().clone();
        let s = model_schema(&model, &mut models).unwrap();
        assert_eq!(
            s["properties"]["s"],
            json!({"oneOf": [{"type": "string", "enum": ["pass"]}, {"type": "integer", "enum": [-1]}]})
        );
        // As the document would write it, the comparison sees no difference.
        let theirs = json!({"properties": {"s": {"enum": ["pass", -1]}}});
        assert_eq!(differences(&model, &theirs), Vec::<String>::new());
    }

    #[test]
    fn unknown_types_fail_naming_the_use() {
        let src = "export type Dto = {\n  a: string;\n  when: Date;\n};\n";
        let (_dir, mut models) = models_with(&[("Dto", src)]);
        let model = models.get("Dto", "test").unwrap().clone();
        let e = model_schema(&model, &mut models).unwrap_err().to_string();
        assert_eq!(
            e,
            "src/models/Dto.ts:3: type Date is neither a primitive nor a model (src/models/Date.ts does not exist)"
        );
    }

    #[test]
    fn comparison_with_the_document_reads_the_generator_back() {
        let model = parse_model("src/models/Dto.ts", "Dto", DTO).unwrap();
        let same = json!({
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["b", "a"], "example": "a"},
                "info": {"allOf": [{"$ref": "#/components/schemas/Info"}]},
                "plain": {"$ref": "#/components/schemas/Info"},
                "ids": {"type": "array", "items": {"type": "string"}, "maxItems": 50},
                "dept": {"type": "string", "nullable": true},
                "value": {"oneOf": [{"type": "number"}, {"type": "string"}]},
                "any": {"type": "object"}
            },
            "required": ["type", "ids", "dept", "value"]
        });
        assert_eq!(differences(&model, &same), Vec::<String>::new());

        let mut other = same.clone();
        other["properties"]["type"]["enum"] = json!(["a", "b", "c"]);
        other["properties"]["extra"] = json!({"type": "string"});
        other["properties"].as_object_mut().unwrap().remove("any");
        other["required"] = json!(["type", "ids", "dept", "value", "info"]);
        assert_eq!(
            differences(&model, &other),
            vec![
                "type: SDK type 'a' | 'b' but document type 'a' | 'b' | 'c'",
                "info: optional in the SDK, required in the document",
                "any: only in the SDK",
                "extra: only in the document",
            ]
        );
    }
}
