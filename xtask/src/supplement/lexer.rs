//! Tokens of the TypeScript that Authing's Node SDK generator writes.
//!
//! Only what the derivation needs: identifiers, string and number literals, single
//! punctuation characters and doc comments (`/** … */`, kept because they carry the
//! descriptions). Template literals are kept as one opaque token so that a `}` inside
//! `${…}` cannot unbalance the braces of a method body. Anything else (a regular
//! expression literal, a non-ASCII character outside a string or comment) is an error
//! naming file:line rather than a token guessed at.

use anyhow::{bail, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    Punct(char),
    /// The text of a `/** … */` comment, leading `*`s and indentation removed.
    Doc(String),
    /// A template literal; its content is never interpreted.
    Template,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    /// 1-based line of the token's first character.
    pub line: usize,
}

pub fn lex(file: &str, src: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < chars.len() {
        let c = chars[i];
        let start_line = line;
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_whitespace() => i += 1,
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                let Some(end) = find(&chars, i + 2, &['*', '/']) else {
                    bail!("{file}:{start_line}: unterminated comment");
                };
                let body: String = chars[i + 2..end].iter().collect();
                line += body.matches('\n').count();
                // `/**` opens a doc comment, but `/**/` is an empty plain one.
                if let Some(doc) = body.strip_prefix('*').filter(|_| end > i + 2) {
                    out.push(Token {
                        tok: Tok::Doc(clean_doc(doc)),
                        line: start_line,
                    });
                }
                i = end + 2;
            }
            '"' | '\'' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None | Some('\n') => bail!("{file}:{start_line}: unterminated string"),
                        Some(&q) if q == c => break,
                        Some('\\') => {
                            let escaped = match chars.get(i + 1) {
                                Some('n') => '\n',
                                Some('t') => '\t',
                                Some(&e @ ('\\' | '\'' | '"' | '`')) => e,
                                other => bail!(
                                    "{file}:{start_line}: string escape \\{} is not supported",
                                    other.map_or(String::new(), |c| c.to_string())
                                ),
                            };
                            text.push(escaped);
                            i += 2;
                        }
                        Some(&ch) => {
                            text.push(ch);
                            i += 1;
                        }
                    }
                }
                i += 1;
                out.push(Token {
                    tok: Tok::Str(text),
                    line: start_line,
                });
            }
            '`' => {
                i = skip_template(&chars, i + 1, &mut line)
                    .ok_or_else(|| anyhow::anyhow!("{file}:{start_line}: unterminated template"))?;
                out.push(Token {
                    tok: Tok::Template,
                    line: start_line,
                });
            }
            c if c.is_ascii_digit() => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                out.push(Token {
                    tok: Tok::Num(chars[start..i].iter().collect()),
                    line,
                });
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == '$' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '$')
                {
                    i += 1;
                }
                out.push(Token {
                    tok: Tok::Ident(chars[start..i].iter().collect()),
                    line,
                });
            }
            c if c.is_ascii_punctuation() => {
                out.push(Token {
                    tok: Tok::Punct(c),
                    line,
                });
                i += 1;
            }
            other => bail!("{file}:{line}: unexpected character {other:?}"),
        }
    }
    Ok(out)
}

/// Index of the first occurrence of `pat` at or after `from`.
fn find(chars: &[char], from: usize, pat: &[char]) -> Option<usize> {
    (from..chars.len().saturating_sub(pat.len() - 1)).find(|&j| chars[j..j + pat.len()] == *pat)
}

/// Skips a template literal whose opening backtick precedes `i`; returns the index
/// after the closing backtick. `${…}` may hold strings, braces and nested templates.
fn skip_template(chars: &[char], mut i: usize, line: &mut usize) -> Option<usize> {
    while i < chars.len() {
        match chars[i] {
            '`' => return Some(i + 1),
            '\\' => i += 2,
            '$' if chars.get(i + 1) == Some(&'{') => {
                i += 2;
                let mut depth = 1;
                while depth > 0 {
                    match *chars.get(i)? {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        '`' => {
                            i = skip_template(chars, i + 1, line)?;
                            continue;
                        }
                        '\n' => *line += 1,
                        _ => {}
                    }
                    i += 1;
                }
            }
            '\n' => {
                *line += 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// `* @summary x\n   * @description y\n   ` → `@summary x\n@description y`; the inline
/// form `/** text **/` loses its trailing `*`.
fn clean_doc(body: &str) -> String {
    let lines: Vec<&str> = body
        .lines()
        .map(|l| {
            let l = l.trim();
            let l = l.strip_prefix('*').unwrap_or(l);
            let l = l.strip_prefix(' ').unwrap_or(l);
            l.trim_end_matches('*').trim_end()
        })
        .collect();
    lines.join("\n").trim().to_string()
}

/// The `@tag text` entries of a doc comment, in order; text before the first tag is
/// returned under the empty tag. A tag's text runs until the next line starting
/// with `@`.
pub fn doc_tags(doc: &str) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = Vec::new();
    for line in doc.lines() {
        let starts_tag =
            line.starts_with('@') && line[1..].starts_with(|c: char| c.is_alphabetic());
        if starts_tag {
            let (tag, text) = line[1..].split_once(' ').unwrap_or((&line[1..], ""));
            tags.push((tag.to_string(), text.trim().to_string()));
        } else if let Some((_, text)) = tags.last_mut() {
            text.push('\n');
            text.push_str(line);
        } else {
            tags.push((String::new(), line.to_string()));
        }
    }
    for (_, text) in &mut tags {
        *text = text.trim().to_string();
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex("t.ts", src)
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn identifiers_strings_numbers_and_punctuation() {
        assert_eq!(
            toks(r#"page = 1; x: 'a\'b' | "c";"#),
            vec![
                Tok::Ident("page".into()),
                Tok::Punct('='),
                Tok::Num("1".into()),
                Tok::Punct(';'),
                Tok::Ident("x".into()),
                Tok::Punct(':'),
                Tok::Str("a'b".into()),
                Tok::Punct('|'),
                Tok::Str("c".into()),
                Tok::Punct(';'),
            ]
        );
    }

    #[test]
    fn doc_comments_are_kept_and_plain_comments_dropped() {
        let src = "/* istanbul */\n// line\n/**\n * @summary 新增\n * @description 创建。\n */\nfoo\n/** 行 id **/\n";
        let t = lex("t.ts", src).unwrap();
        assert_eq!(
            t[0].tok,
            Tok::Doc("@summary 新增\n@description 创建。".into())
        );
        assert_eq!(t[0].line, 3);
        assert_eq!(
            t[1],
            Token {
                tok: Tok::Ident("foo".into()),
                line: 7
            }
        );
        assert_eq!(t[2].tok, Tok::Doc("行 id".into()));
        assert_eq!(toks("/**/ x"), vec![Tok::Ident("x".into())]);
    }

    #[test]
    fn templates_are_opaque_and_keep_line_count() {
        let t = lex("t.ts", "a(`x ${ {b: `y`}.b } }`)\nz").unwrap();
        assert_eq!(t[2].tok, Tok::Template);
        assert_eq!(t[3].tok, Tok::Punct(')'));
        assert_eq!(
            t[4],
            Token {
                tok: Tok::Ident("z".into()),
                line: 2
            }
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = lex("m.ts", "a\n'open\n").unwrap_err().to_string();
        assert_eq!(e, "m.ts:2: unterminated string");
        let e = lex("m.ts", "a\nb\n  é").unwrap_err().to_string();
        assert!(e.starts_with("m.ts:3: unexpected character"), "{e}");
        let e = lex("m.ts", "/** never closed").unwrap_err().to_string();
        assert_eq!(e, "m.ts:1: unterminated comment");
    }

    #[test]
    fn doc_tags_split_on_at_lines() {
        let tags = doc_tags("intro\n@deprecated\n@summary 岗位\n@description a\nb @c\n@returns X");
        assert_eq!(
            tags,
            vec![
                (String::new(), "intro".into()),
                ("deprecated".into(), String::new()),
                ("summary".into(), "岗位".into()),
                ("description".into(), "a\nb @c".into()),
                ("returns".into(), "X".into()),
            ]
        );
    }
}
