//! TypeScript type expressions as the SDK writes them, and a cursor over tokens.
//!
//! The subset: `string`, `number`, `boolean`, `any`, `null`, string literals, a
//! model name, `Model.enumName` (an enum in the model's namespace), `Array<T>`,
//! unions (`A | B`, optionally parenthesised) and object types `{ name?: T; … }` with
//! doc comments. Any other generic, keyword or syntax is an error naming file:line.

use super::lexer::{Tok, Token};
use anyhow::{bail, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum TsType {
    String,
    Number,
    Boolean,
    Any,
    Null,
    Literal(String),
    /// A model of `src/models/`, resolved later (and failing there if absent).
    Ref(String),
    /// `Model.enumName`.
    EnumRef(String, String),
    Array(Box<TsType>),
    Union(Vec<TsType>),
    Object(Vec<Prop>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prop {
    pub name: String,
    pub optional: bool,
    pub ty: TsType,
    pub doc: Option<String>,
    pub line: usize,
}

pub struct Cursor<'a> {
    pub file: &'a str,
    toks: &'a [Token],
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(file: &'a str, toks: &'a [Token]) -> Self {
        Cursor { file, toks, pos: 0 }
    }

    pub fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    /// The token at absolute index `i`.
    pub fn tok_at(&self, i: usize) -> Option<&'a Tok> {
        self.toks.get(i).map(|t| &t.tok)
    }

    pub fn peek_at(&self, ahead: usize) -> Option<&'a Tok> {
        self.toks.get(self.pos + ahead).map(|t| &t.tok)
    }

    /// Line of the current token (of the last one at the end of the file).
    pub fn line(&self) -> usize {
        self.toks
            .get(self.pos)
            .or(self.toks.last())
            .map_or(0, |t| t.line)
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    pub fn next(&mut self) -> Result<&'a Tok> {
        match self.toks.get(self.pos) {
            Some(t) => {
                self.pos += 1;
                Ok(&t.tok)
            }
            None => bail!("{}: unexpected end of file", self.file),
        }
    }

    pub fn fail<T>(&self, what: impl std::fmt::Display) -> Result<T> {
        bail!("{}:{}: {what}", self.file, self.line())
    }

    pub fn is_punct(&self, c: char) -> bool {
        self.peek() == Some(&Tok::Punct(c))
    }

    pub fn is_ident(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w == word)
    }

    pub fn eat_punct(&mut self, c: char) -> bool {
        let found = self.is_punct(c);
        if found {
            self.pos += 1;
        }
        found
    }

    pub fn eat_ident(&mut self, word: &str) -> bool {
        let found = self.is_ident(word);
        if found {
            self.pos += 1;
        }
        found
    }

    pub fn expect_punct(&mut self, c: char) -> Result<()> {
        if self.eat_punct(c) {
            Ok(())
        } else {
            self.fail(format!("expected `{c}`, found {}", self.describe()))
        }
    }

    pub fn expect_ident(&mut self, word: &str) -> Result<()> {
        if self.eat_ident(word) {
            Ok(())
        } else {
            self.fail(format!("expected `{word}`, found {}", self.describe()))
        }
    }

    pub fn ident(&mut self) -> Result<String> {
        match self.peek() {
            Some(Tok::Ident(w)) => {
                self.pos += 1;
                Ok(w.clone())
            }
            _ => self.fail(format!("expected a name, found {}", self.describe())),
        }
    }

    /// A doc comment if one comes next.
    pub fn doc(&mut self) -> Option<String> {
        match self.peek() {
            Some(Tok::Doc(d)) => {
                self.pos += 1;
                Some(d.clone())
            }
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self.peek() {
            None => "end of file".into(),
            Some(Tok::Ident(w)) => format!("`{w}`"),
            Some(Tok::Str(s)) => format!("string {s:?}"),
            Some(Tok::Num(n)) => format!("number {n}"),
            Some(Tok::Punct(c)) => format!("`{c}`"),
            Some(Tok::Doc(_)) => "a doc comment".into(),
            Some(Tok::Template) => "a template literal".into(),
        }
    }

    /// Skips one balanced `{…}`, `(…)` or `[…]` group starting at the current token.
    pub fn skip_group(&mut self) -> Result<()> {
        let line = self.line();
        let mut depth = 0usize;
        loop {
            match self.next() {
                Ok(Tok::Punct('{' | '(' | '[')) => depth += 1,
                Ok(Tok::Punct('}' | ')' | ']')) => {
                    depth = depth.checked_sub(1).ok_or_else(|| {
                        anyhow::anyhow!("{}:{line}: unbalanced brackets", self.file)
                    })?;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Ok(_) if depth == 0 => {
                    return self.fail("expected an opening bracket");
                }
                Ok(_) => {}
                Err(_) => bail!("{}:{line}: group never closed", self.file),
            }
        }
    }
}

/// A type expression: a union of primaries, the first `|` optional (prettier breaks
/// a long union into lines that each start with `|`).
pub fn parse_type(cur: &mut Cursor) -> Result<TsType> {
    cur.eat_punct('|');
    let mut members = vec![primary(cur)?];
    while cur.eat_punct('|') {
        members.push(primary(cur)?);
    }
    Ok(if members.len() == 1 {
        members.pop().expect("one member")
    } else {
        TsType::Union(members)
    })
}

fn primary(cur: &mut Cursor) -> Result<TsType> {
    let line = cur.line();
    match cur.next()? {
        Tok::Punct('(') => {
            let inner = parse_type(cur)?;
            cur.expect_punct(')')?;
            Ok(inner)
        }
        Tok::Punct('{') => {
            cur.pos -= 1;
            Ok(TsType::Object(parse_object(cur)?))
        }
        Tok::Str(s) => Ok(TsType::Literal(s.clone())),
        Tok::Ident(word) => match word.as_str() {
            "string" => Ok(TsType::String),
            "number" => Ok(TsType::Number),
            "boolean" => Ok(TsType::Boolean),
            "any" => Ok(TsType::Any),
            "null" => Ok(TsType::Null),
            "Array" => {
                cur.expect_punct('<')?;
                let item = parse_type(cur)?;
                cur.expect_punct('>')?;
                Ok(TsType::Array(Box::new(item)))
            }
            _ if cur.is_punct('<') => bail!(
                "{}:{line}: generic type {word}<…> is not expressible (only Array<…> is)",
                cur.file
            ),
            _ if cur.eat_punct('.') => Ok(TsType::EnumRef(word.clone(), cur.ident()?)),
            _ => Ok(TsType::Ref(word.clone())),
        },
        _ => {
            cur.pos -= 1;
            cur.fail(format!("expected a type, found {}", cur.describe()))
        }
    }
}

/// `{ /** doc */ name?: T; 'quoted-name': T; }`.
pub fn parse_object(cur: &mut Cursor) -> Result<Vec<Prop>> {
    cur.expect_punct('{')?;
    let mut props: Vec<Prop> = Vec::new();
    loop {
        let doc = cur.doc();
        if cur.eat_punct('}') {
            if doc.is_some() {
                return cur.fail("doc comment documents nothing");
            }
            return Ok(props);
        }
        let line = cur.line();
        let name = match cur.next()? {
            Tok::Ident(n) | Tok::Str(n) => n.clone(),
            _ => {
                cur.pos -= 1;
                return cur.fail(format!("expected a property, found {}", cur.describe()));
            }
        };
        let optional = cur.eat_punct('?');
        cur.expect_punct(':')?;
        let ty = parse_type(cur)?;
        cur.expect_punct(';')?;
        if props.iter().any(|p| p.name == name) {
            bail!("{}:{line}: property {name} declared twice", cur.file);
        }
        props.push(Prop {
            name,
            optional,
            ty,
            doc,
            line,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn ty(src: &str) -> Result<TsType> {
        let toks = lex("t.ts", src)?;
        let mut cur = Cursor::new("t.ts", &toks);
        let t = parse_type(&mut cur)?;
        if !cur.at_end() {
            return cur.fail("trailing tokens");
        }
        Ok(t)
    }

    #[test]
    fn primitives_refs_arrays_and_unions() {
        assert_eq!(ty("string").unwrap(), TsType::String);
        assert_eq!(
            ty("Array<UserDto>").unwrap(),
            TsType::Array(Box::new(TsType::Ref("UserDto".into())))
        );
        assert_eq!(
            ty("CreateTerminalDto.type").unwrap(),
            TsType::EnumRef("CreateTerminalDto".into(), "type".into())
        );
        assert_eq!(
            ty("\n  | \"user_id\"\n  | \"phone\"").unwrap(),
            TsType::Union(vec![
                TsType::Literal("user_id".into()),
                TsType::Literal("phone".into())
            ])
        );
        assert_eq!(
            ty("(string | null)").unwrap(),
            TsType::Union(vec![TsType::String, TsType::Null])
        );
        assert_eq!(
            ty("Array<'OTP' | 'SMS'>").unwrap(),
            TsType::Array(Box::new(TsType::Union(vec![
                TsType::Literal("OTP".into()),
                TsType::Literal("SMS".into())
            ])))
        );
    }

    #[test]
    fn object_types_keep_docs_and_optional_markers() {
        let t = ty("{\n/** 策略 ID **/\npolicyId: string;\n'zh-CN'?: any;\n}").unwrap();
        let TsType::Object(props) = t else {
            panic!("{t:?}")
        };
        assert_eq!(props[0].name, "policyId");
        assert!(!props[0].optional);
        assert_eq!(props[0].doc.as_deref(), Some("策略 ID"));
        assert_eq!(props[0].line, 3);
        assert_eq!(props[1].name, "zh-CN");
        assert!(props[1].optional);
        assert_eq!(props[1].ty, TsType::Any);
    }

    #[test]
    fn what_cannot_be_expressed_fails_with_its_line() {
        let e = ty("\nRecord<string, any>").unwrap_err().to_string();
        assert_eq!(
            e,
            "t.ts:2: generic type Record<…> is not expressible (only Array<…> is)"
        );
        let e = ty("{ a: string, b: number }").unwrap_err().to_string();
        assert_eq!(e, "t.ts:1: expected `;`, found `,`");
        let e = ty("{ a: string; a: number; }").unwrap_err().to_string();
        assert_eq!(e, "t.ts:1: property a declared twice");
        let e = ty("{ [k: string]: any; }").unwrap_err().to_string();
        assert_eq!(e, "t.ts:1: expected a property, found `[`");
    }
}
