//! The SDK's model files (`src/models/<Name>.ts`), one exported type each:
//!
//! ```text
//! import type { Other } from './Other';
//! /** doc */
//! export type Name = { /** doc */ prop?: Type; … };
//! export namespace Name { /** doc */ export enum prop { KEY = 'value', … } }
//! ```

use super::lexer::{lex, Tok};
use super::types::{parse_object, parse_type, Cursor, Prop, TsType};
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    /// Path inside the package, e.g. `src/models/CreateTerminalDto.ts`.
    pub file: String,
    pub line: usize,
    pub doc: Option<String>,
    pub props: Vec<Prop>,
    pub enums: BTreeMap<String, Enum>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Enum {
    pub doc: Option<String>,
    pub values: Vec<EnumValue>,
    pub line: usize,
}

/// The generator writes a document enum's numbers as numbers (`'_-1' = -1`), next
/// to its strings in the same enum.
#[derive(Debug, Clone, PartialEq)]
pub enum EnumValue {
    Str(String),
    Num(i64),
}

/// Parses model files on demand from a package's `src/models`, once each.
pub struct Models {
    dir: PathBuf,
    cache: BTreeMap<String, Model>,
}

impl Models {
    pub fn new(package: &Path) -> Self {
        Models {
            dir: package.join("src/models"),
            cache: BTreeMap::new(),
        }
    }

    /// The model `name`, or an error saying where it was referred to from.
    pub fn get(&mut self, name: &str, referrer: &str) -> Result<&Model> {
        if !self.cache.contains_key(name) {
            let rel = format!("src/models/{name}.ts");
            let path = self.dir.join(format!("{name}.ts"));
            if !path.is_file() {
                bail!("{referrer}: type {name} is neither a primitive nor a model ({rel} does not exist)");
            }
            let src = std::fs::read_to_string(&path).with_context(|| format!("reading {rel}"))?;
            let model = parse_model(&rel, name, &src)?;
            self.cache.insert(name.to_string(), model);
        }
        Ok(&self.cache[name])
    }
}

pub fn parse_model(file: &str, name: &str, src: &str) -> Result<Model> {
    let toks = lex(file, src)?;
    let mut cur = Cursor::new(file, &toks);
    let mut model: Option<Model> = None;
    let mut enums = BTreeMap::new();
    while !cur.at_end() {
        let doc = cur.doc();
        if cur.eat_ident("import") {
            cur.expect_ident("type")?;
            cur.skip_group()?;
            cur.expect_ident("from")?;
            match cur.next()? {
                Tok::Str(_) => {}
                _ => return cur.fail("expected the module of an import"),
            }
            cur.expect_punct(';')?;
            continue;
        }
        let line = cur.line();
        cur.expect_ident("export")?;
        if cur.eat_ident("type") {
            let found = cur.ident()?;
            if found != name {
                bail!("{file}:{line}: exports type {found}, expected {name}");
            }
            if model.is_some() {
                bail!("{file}:{line}: second export of {name}");
            }
            cur.expect_punct('=')?;
            if !cur.is_punct('{') {
                let what = parse_type(&mut cur)?;
                bail!("{file}:{line}: {name} is not an object type but {what:?}");
            }
            let props = parse_object(&mut cur)?;
            cur.expect_punct(';')?;
            model = Some(Model {
                name: name.to_string(),
                file: file.to_string(),
                line,
                doc,
                props,
                enums: BTreeMap::new(),
            });
        } else if cur.eat_ident("namespace") {
            let ns = cur.ident()?;
            if ns != name {
                bail!("{file}:{line}: namespace {ns} in the file of {name}");
            }
            cur.expect_punct('{')?;
            while !cur.eat_punct('}') {
                let doc = cur.doc();
                let line = cur.line();
                cur.expect_ident("export")?;
                cur.expect_ident("enum")?;
                let enum_name = cur.ident()?;
                let values = parse_enum_body(&mut cur)?;
                if enums
                    .insert(enum_name.clone(), Enum { doc, values, line })
                    .is_some()
                {
                    bail!("{file}:{line}: enum {name}.{enum_name} declared twice");
                }
            }
        } else {
            return cur.fail(format!(
                "expected `export type` or `export namespace`, found {}",
                cur.describe()
            ));
        }
    }
    let Some(mut model) = model else {
        bail!("{file}: does not export type {name}");
    };
    model.enums = enums;
    Ok(model)
}

/// `{ KEY = 'value', 'KEY' = -1, … }`: string and integer values.
fn parse_enum_body(cur: &mut Cursor) -> Result<Vec<EnumValue>> {
    cur.expect_punct('{')?;
    let mut values = Vec::new();
    while !cur.eat_punct('}') {
        match cur.next()? {
            Tok::Ident(_) | Tok::Str(_) => {}
            _ => return cur.fail("expected an enum member name"),
        }
        cur.expect_punct('=')?;
        let negative = cur.eat_punct('-');
        let line = cur.line();
        match cur.next()? {
            Tok::Str(v) if !negative => values.push(EnumValue::Str(v.clone())),
            Tok::Num(n) => match n.parse::<i64>() {
                Ok(v) => values.push(EnumValue::Num(if negative { -v } else { v })),
                Err(_) => bail!("{}:{line}: enum value {n} is not an integer", cur.file),
            },
            _ => {
                cur.pos -= 1;
                return cur.fail(format!("enum value {} is not a literal", cur.describe()));
            }
        }
        if !cur.eat_punct(',') && !cur.is_punct('}') {
            return cur.fail(format!("expected `,` or `}}`, found {}", cur.describe()));
        }
    }
    Ok(values)
}

impl Model {
    /// The values of `Model.enumName` used at `at`.
    pub fn enum_values(&self, enum_name: &str, at: &str) -> Result<&Enum> {
        self.enums.get(enum_name).ok_or_else(|| {
            anyhow::anyhow!(
                "{at}: enum {}.{enum_name} is not declared in {}",
                self.name,
                self.file
            )
        })
    }
}

/// Every model name a type mentions (`Ref` and the model of an `EnumRef`).
pub fn refs(ty: &TsType, out: &mut Vec<String>) {
    match ty {
        TsType::Ref(n) => out.push(n.clone()),
        TsType::EnumRef(n, _) => out.push(n.clone()),
        TsType::Array(t) => refs(t, out),
        TsType::Union(ts) => ts.iter().for_each(|t| refs(t, out)),
        TsType::Object(props) => props.iter().for_each(|p| refs(&p.ty, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TERMINAL: &str = "/* istanbul ignore file */\n\
        import type { TerminalInfoDto } from './TerminalInfoDto';\n\
        \n\
        /**\n * 设备\n */\n\
        export type CreateTerminalDto = {\n\
        /**\n * 设备类型\n */\n\
        type: CreateTerminalDto.type;\n\
        info?: Array<TerminalInfoDto>;\n\
        };\n\
        \n\
        export namespace CreateTerminalDto {\n\
        /**\n * 设备类型\n */\n\
        export enum type {\n\
        BROWSER = 'Browser',\n\
        MOBILE = 'Mobile'\n\
        }\n\
        }\n";

    #[test]
    fn type_with_namespace_enum() {
        let m = parse_model(
            "src/models/CreateTerminalDto.ts",
            "CreateTerminalDto",
            TERMINAL,
        )
        .unwrap();
        assert_eq!(m.doc.as_deref(), Some("设备"));
        assert_eq!(m.line, 7);
        assert_eq!(m.props.len(), 2);
        assert_eq!(
            m.props[0].ty,
            TsType::EnumRef("CreateTerminalDto".into(), "type".into())
        );
        let e = m.enum_values("type", "here").unwrap();
        assert_eq!(
            e.values,
            vec![
                EnumValue::Str("Browser".into()),
                EnumValue::Str("Mobile".into())
            ]
        );
        assert_eq!(e.doc.as_deref(), Some("设备类型"));
        let err = m.enum_values("kind", "x.ts:3").unwrap_err().to_string();
        assert_eq!(
            err,
            "x.ts:3: enum CreateTerminalDto.kind is not declared in src/models/CreateTerminalDto.ts"
        );
        let mut r = Vec::new();
        m.props.iter().for_each(|p| refs(&p.ty, &mut r));
        assert_eq!(r, vec!["CreateTerminalDto", "TerminalInfoDto"]);
    }

    #[test]
    fn enums_may_mix_strings_and_integers() {
        let mixed = "export type A = { a: A.k; };\nexport namespace A {\n export enum k {\n PASS = 'pass',\n '_-1' = -1,\n }\n}";
        let m = parse_model("a.ts", "A", mixed).unwrap();
        assert_eq!(
            m.enums["k"].values,
            vec![EnumValue::Str("pass".into()), EnumValue::Num(-1)]
        );
    }

    #[test]
    fn refuses_what_it_cannot_express() {
        let float = "export type A = { a: A.k; };\nexport namespace A {\n export enum k {\n ONE = 1.5,\n }\n}";
        let e = parse_model("a.ts", "A", float).unwrap_err().to_string();
        assert_eq!(e, "a.ts:4: enum value 1.5 is not an integer");
        let computed = "export type A = { a: A.k; };\nexport namespace A {\n export enum k {\n ONE = X,\n }\n}";
        let e = parse_model("a.ts", "A", computed).unwrap_err().to_string();
        assert_eq!(e, "a.ts:4: enum value `X` is not a literal");
        let e = parse_model("a.ts", "A", "export type B = { };")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "a.ts:1: exports type B, expected A");
        let e = parse_model("a.ts", "A", "export type A = string;")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "a.ts:1: A is not an object type but String");
        let e = parse_model("a.ts", "A", "export const A = 1;")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "a.ts:1: expected `export type` or `export namespace`, found `const`"
        );
    }

    #[test]
    fn a_missing_model_names_its_referrer() {
        let dir = tempfile::tempdir().unwrap();
        let mut models = Models::new(dir.path());
        let e = models
            .get("Date", "src/models/X.ts:4")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "src/models/X.ts:4: type Date is neither a primitive nor a model (src/models/Date.ts does not exist)"
        );
    }
}
