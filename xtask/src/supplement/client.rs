//! The method table of `src/ManagementClient.ts`.
//!
//! Every method of the generated class has the same shape:
//!
//! ```text
//! /** @summary … @description … @returns RespDto */
//! public async name({ a, b = 1 }: { /** doc **/ a: T; b?: T; }): Promise<RespDto> {
//!   return await this.httpClient.request({ method: "GET", url: "/api/v3/…", params: { a: a, b: b } });
//! }
//! ```
//!
//! with `(requestBody: Dto)` and `data: requestBody` for bodies, or positional
//! parameters (`(id: string)`). A member whose body is anything but that one return
//! statement is still found (its HTTP method and path are string literals) but is
//! marked irregular, so that the derivation refuses to express it.

use super::lexer::{doc_tags, lex, Tok};
use super::types::{parse_object, parse_type, Cursor, Prop, TsType};
use anyhow::{bail, Result};

pub const CLIENT_FILE: &str = "src/ManagementClient.ts";

#[derive(Debug, Clone)]
pub struct Method {
    pub name: String,
    pub line: usize,
    pub tags: Vec<(String, String)>,
    pub params: Vec<Param>,
    /// `T` of `Promise<T>`.
    pub returns: Option<TsType>,
    pub request: Request,
    /// The body is exactly `return await this.httpClient.request({…});`.
    pub regular: bool,
}

/// A parameter of the method's signature.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// `{ a, b = 1 }: { a: T; b?: T }`: one property each, with its default.
    Destructured(Vec<(Prop, Option<Literal>)>),
    /// `name: T` or `name?: T`.
    Positional(Prop),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Num(String),
    Str(String),
    Bool(bool),
}

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    pub url: String,
    /// `params: { key: variable }`, in order; `None` when absent.
    pub params: Option<Vec<(String, String)>>,
    /// `data: variable`; `Err(line)` for an object literal or other expression.
    pub data: Option<std::result::Result<String, usize>>,
    /// Keys other than method, url, params and data.
    pub other_keys: Vec<String>,
}

impl Method {
    pub fn tag(&self, name: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(t, _)| t == name)
            .map(|(_, v)| v.as_str())
    }

    /// The signature's variable `var`, with its default when destructured.
    pub fn variable(&self, var: &str) -> Option<(&Prop, Option<&Literal>)> {
        self.params.iter().find_map(|p| match p {
            Param::Positional(prop) if prop.name == var => Some((prop, None)),
            Param::Destructured(props) => props
                .iter()
                .find(|(prop, _)| prop.name == var)
                .map(|(prop, d)| (prop, d.as_ref())),
            Param::Positional(_) => None,
        })
    }
}

/// Every member of `class ManagementClient` that calls `this.httpClient.request`
/// with an object literal. Members that call it with anything else (the generic
/// `makeRequest(params)` pass-through) are returned in the second list by name.
pub fn parse_client(src: &str) -> Result<(Vec<Method>, Vec<String>)> {
    let file = CLIENT_FILE;
    let toks = lex(file, src)?;
    let mut cur = Cursor::new(file, &toks);
    while !(cur.is_ident("class") && cur.peek_at(1) == Some(&Tok::Ident("ManagementClient".into())))
    {
        if cur.at_end() {
            bail!("{file}: no `class ManagementClient`");
        }
        cur.pos += 1;
    }
    cur.pos += 2;
    cur.expect_punct('{')?;
    let mut methods = Vec::new();
    let mut passthrough = Vec::new();
    while !cur.eat_punct('}') {
        let doc = cur.doc();
        let line = cur.line();
        while ["public", "private", "protected", "static", "async"]
            .iter()
            .any(|m| cur.is_ident(m))
        {
            cur.pos += 1;
        }
        let name = cur.ident()?;
        if !cur.is_punct('(') {
            // A field: `private options: ManagementClientOptions;`.
            skip_to_semicolon(&mut cur)?;
            continue;
        }
        let params = parse_params(&mut cur)?;
        let returns = if cur.eat_punct(':') {
            Some(parse_return(&mut cur)?)
        } else {
            None
        };
        let body_start = cur.pos;
        cur.skip_group()?;
        let body_end = cur.pos;
        cur.pos = body_start;
        let found = find_request(&mut cur, body_end)?;
        cur.pos = body_end;
        match found {
            Found::None => {}
            Found::Other => passthrough.push(name),
            Found::Literal { request, regular } => {
                let tags = doc.as_deref().map(doc_tags).unwrap_or_default();
                methods.push(Method {
                    name,
                    line,
                    tags,
                    params,
                    returns,
                    request,
                    regular,
                });
            }
        }
    }
    Ok((methods, passthrough))
}

fn skip_to_semicolon(cur: &mut Cursor) -> Result<()> {
    loop {
        match cur.peek() {
            Some(Tok::Punct(';')) => {
                cur.pos += 1;
                return Ok(());
            }
            Some(Tok::Punct('{' | '(' | '[')) => cur.skip_group()?,
            Some(_) => cur.pos += 1,
            None => return cur.fail("field never ends"),
        }
    }
}

/// `( … )` of a method: destructured object parameters and positional ones.
fn parse_params(cur: &mut Cursor) -> Result<Vec<Param>> {
    cur.expect_punct('(')?;
    let mut params = Vec::new();
    while !cur.eat_punct(')') {
        if cur.is_punct('{') {
            params.push(destructured(cur)?);
        } else {
            let line = cur.line();
            let name = cur.ident()?;
            let optional = cur.eat_punct('?');
            let ty = if cur.eat_punct(':') {
                parse_type(cur)?
            } else {
                TsType::Any
            };
            if cur.eat_punct('=') {
                // Only the private websocket helpers have defaults here; no
                // operation does, so nothing downstream needs the value.
                literal(cur)?;
            }
            params.push(Param::Positional(Prop {
                name,
                optional,
                ty,
                doc: None,
                line,
            }));
        }
        if !cur.eat_punct(',') && !cur.is_punct(')') {
            return cur.fail(format!("expected `,` or `)`, found {}", cur.describe()));
        }
    }
    Ok(params)
}

fn destructured(cur: &mut Cursor) -> Result<Param> {
    cur.expect_punct('{')?;
    let mut names = Vec::new();
    while !cur.eat_punct('}') {
        let name = cur.ident()?;
        let default = if cur.eat_punct('=') {
            Some(literal(cur)?)
        } else {
            None
        };
        names.push((name, default));
        if !cur.eat_punct(',') && !cur.is_punct('}') {
            return cur.fail(format!("expected `,` or `}}`, found {}", cur.describe()));
        }
    }
    cur.expect_punct(':')?;
    let line = cur.line();
    let mut props = parse_object(cur)?;
    if props.len() != names.len() || props.iter().zip(&names).any(|(p, (n, _))| &p.name != n) {
        bail!(
            "{}:{line}: destructured names {:?} do not match their type's properties {:?}",
            cur.file,
            names.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            props.iter().map(|p| &p.name).collect::<Vec<_>>()
        );
    }
    Ok(Param::Destructured(
        props
            .drain(..)
            .zip(names)
            .map(|(p, (_, d))| (p, d))
            .collect(),
    ))
}

fn literal(cur: &mut Cursor) -> Result<Literal> {
    let lit = match cur.next()? {
        Tok::Num(n) => Literal::Num(n.clone()),
        Tok::Str(s) => Literal::Str(s.clone()),
        Tok::Ident(w) if w == "true" => Literal::Bool(true),
        Tok::Ident(w) if w == "false" => Literal::Bool(false),
        _ => {
            cur.pos -= 1;
            return cur.fail(format!("default value {} is not a literal", cur.describe()));
        }
    };
    Ok(lit)
}

/// `Promise<T>` → `T`; any other return type as it is.
fn parse_return(cur: &mut Cursor) -> Result<TsType> {
    if !cur.eat_ident("Promise") {
        return parse_type(cur);
    }
    cur.expect_punct('<')?;
    let t = parse_type(cur)?;
    cur.expect_punct('>')?;
    Ok(t)
}

enum Found {
    None,
    Other,
    Literal { request: Request, regular: bool },
}

/// Looks for `this.httpClient.request(` inside the body that starts at the cursor
/// (`{`) and ends before `end`.
fn find_request(cur: &mut Cursor, end: usize) -> Result<Found> {
    let open = cur.pos;
    let call = [
        Tok::Ident("this".into()),
        Tok::Punct('.'),
        Tok::Ident("httpClient".into()),
        Tok::Punct('.'),
        Tok::Ident("request".into()),
        Tok::Punct('('),
    ];
    let Some(at) =
        (open..end).find(|&i| (0..call.len()).all(|k| cur.tok_at(i + k) == Some(&call[k])))
    else {
        return Ok(Found::None);
    };
    cur.pos = at + call.len();
    if !cur.is_punct('{') {
        return Ok(Found::Other);
    }
    let request = request_literal(cur)?;
    // Regular: `{ return await <call>({…}) ; }` and nothing else.
    let prefix_ok = at == open + 3
        && cur.tok_at(open + 1) == Some(&Tok::Ident("return".into()))
        && cur.tok_at(open + 2) == Some(&Tok::Ident("await".into()));
    let suffix_ok =
        cur.eat_punct(')') && cur.eat_punct(';') && cur.eat_punct('}') && cur.pos == end;
    Ok(Found::Literal {
        request,
        regular: prefix_ok && suffix_ok,
    })
}

/// `{ method: "GET", url: "/…", params: { k: v, … }, data: requestBody }`.
fn request_literal(cur: &mut Cursor) -> Result<Request> {
    let line = cur.line();
    cur.expect_punct('{')?;
    let mut req = Request::default();
    while !cur.eat_punct('}') {
        let key = cur.ident()?;
        cur.expect_punct(':')?;
        match key.as_str() {
            "method" | "url" => {
                let Tok::Str(value) = cur.next()? else {
                    cur.pos -= 1;
                    return cur.fail(format!("{key} is not a string literal"));
                };
                if key == "method" {
                    req.method = value.clone();
                } else {
                    req.url = value.clone();
                }
            }
            "params" => {
                cur.expect_punct('{')?;
                let mut pairs = Vec::new();
                while !cur.eat_punct('}') {
                    let k = match cur.next()? {
                        Tok::Ident(k) | Tok::Str(k) => k.clone(),
                        _ => return cur.fail("expected a query parameter name"),
                    };
                    let v = if cur.eat_punct(':') {
                        cur.ident()?
                    } else {
                        k.clone()
                    };
                    pairs.push((k, v));
                    if !cur.eat_punct(',') && !cur.is_punct('}') {
                        return cur.fail(format!(
                            "query parameter value is not a plain variable: {}",
                            cur.describe()
                        ));
                    }
                }
                req.params = Some(pairs);
            }
            "data" => {
                let value_line = cur.line();
                let simple = matches!(cur.peek(), Some(Tok::Ident(_)))
                    && matches!(cur.peek_at(1), Some(Tok::Punct(',' | '}')));
                if simple {
                    req.data = Some(Ok(cur.ident()?));
                } else {
                    req.data = Some(Err(value_line));
                    skip_value(cur)?;
                }
            }
            _ => {
                req.other_keys.push(key);
                skip_value(cur)?;
            }
        }
        if !cur.eat_punct(',') && !cur.is_punct('}') {
            return cur.fail(format!("expected `,` or `}}`, found {}", cur.describe()));
        }
    }
    if req.method.is_empty() || req.url.is_empty() {
        bail!("{}:{line}: request without method or url", cur.file);
    }
    Ok(req)
}

/// Skips one value expression up to the `,` or `}` that ends it.
fn skip_value(cur: &mut Cursor) -> Result<()> {
    loop {
        match cur.peek() {
            Some(Tok::Punct(',' | '}')) => return Ok(()),
            Some(Tok::Punct('{' | '(' | '[')) => cur.skip_group()?,
            Some(_) => cur.pos += 1,
            None => return cur.fail("value never ends"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: &str = r#"
import type { X } from "./models/X";
export class ManagementClient {
  private httpClient: ManagementHttpClient;
  private wsMap: { [propName: string]: { socket: WebSocket; } };
  constructor(options: ManagementClientOptions) {
    this.options = Object.assign({}, options);
  }

  public async makeRequest(params: AxiosRequestConfig) {
    return await this.httpClient.request(params);
  }

  /**
   * @summary 获取邀请策略详情
   * @description 获取邀请策略详情
   * @returns GetInvitationPolicyRespDto
   */
  public async getPolicyDetailById({
    policyId,
    withCreatorDetail = false,
    page = 1,
  }: {
    /** 策略 ID **/
    policyId: string;
    /** 是否返回创建者详情 **/
    withCreatorDetail?: boolean;
    page?: number;
  }): Promise<GetInvitationPolicyRespDto> {
    return await this.httpClient.request({
      method: "GET",
      url: "/api/v3/get-invitation-policy",
      params: {
        policyId: policyId,
        withCreatorDetail: withCreatorDetail,
        page: page,
      },
    });
  }

  /**
   * @summary 新增设备
   * @returns TerminalInfoRespDto
   */
  public async addDevice(
    requestBody: CreateTerminalDto
  ): Promise<TerminalInfoRespDto> {
    return await this.httpClient.request({
      method: "POST",
      url: "/api/v3/add-device",
      data: requestBody,
    });
  }

  public async upload(_private: boolean): Promise<R> {
    return await this.httpClient.request({
      method: "POST",
      url: "/api/v3/invitation-invitee/upload",
      params: { private: _private },
    });
  }

  public async pub(eventName: string, data: string) {
    if (typeof eventName !== "string") {
      throw new Error(`bad ${eventName}`);
    }
    return await this.httpClient.request({
      method: "POST",
      url: "/api/v3/pub-event",
      data: { eventType: eventName, source: `${pkg.name}: ${pkg.version}` },
    });
  }

  public sub(eventName: string, callback: Function) {
    this.initWebSocket(eventName).catch((e) => { item[1]?.(e); });
  }
}
"#;

    #[test]
    fn methods_signatures_and_requests() {
        let (methods, passthrough) = parse_client(CLIENT).unwrap();
        assert_eq!(passthrough, vec!["makeRequest"]);
        let names: Vec<&str> = methods.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["getPolicyDetailById", "addDevice", "upload", "pub"]
        );

        let get = &methods[0];
        assert_eq!(
            get.line, 19,
            "the line of the declaration, after its doc comment"
        );
        assert_eq!(get.tag("summary"), Some("获取邀请策略详情"));
        assert_eq!(get.tag("returns"), Some("GetInvitationPolicyRespDto"));
        assert_eq!(
            get.returns,
            Some(TsType::Ref("GetInvitationPolicyRespDto".into()))
        );
        assert!(get.regular);
        assert_eq!(get.request.method, "GET");
        assert_eq!(get.request.url, "/api/v3/get-invitation-policy");
        let (prop, default) = get.variable("withCreatorDetail").unwrap();
        assert!(prop.optional);
        assert_eq!(prop.doc.as_deref(), Some("是否返回创建者详情"));
        assert_eq!(default, Some(&Literal::Bool(false)));
        assert_eq!(
            get.variable("page").unwrap().1,
            Some(&Literal::Num("1".into()))
        );
        assert_eq!(get.variable("policyId").unwrap().1, None);

        let add = &methods[1];
        assert_eq!(add.request.data, Some(Ok("requestBody".to_string())));
        assert_eq!(
            add.variable("requestBody").unwrap().0.ty,
            TsType::Ref("CreateTerminalDto".into())
        );

        let upload = &methods[2];
        assert_eq!(
            upload.request.params,
            Some(vec![("private".to_string(), "_private".to_string())])
        );
        assert_eq!(upload.variable("_private").unwrap().0.ty, TsType::Boolean);

        let publish = &methods[3];
        assert!(!publish.regular, "checks before the call");
        assert_eq!(publish.request.url, "/api/v3/pub-event");
        assert!(matches!(publish.request.data, Some(Err(_))));
    }

    #[test]
    fn mismatched_destructuring_fails_with_its_line() {
        let src = "export class ManagementClient {\n  public async f({\n a,\n }: {\n b: string;\n }): Promise<X> {\n return await this.httpClient.request({ method: \"GET\", url: \"/x\" });\n }\n}";
        let e = parse_client(src).unwrap_err().to_string();
        assert_eq!(
            e,
            "src/ManagementClient.ts:4: destructured names [\"a\"] do not match their type's properties [\"b\"]"
        );
        let src = "export class ManagementClient {\n f() {\n return await this.httpClient.request({ method: \"GET\", url: `/x/${id}` });\n }\n}";
        let e = parse_client(src).unwrap_err().to_string();
        assert_eq!(e, "src/ManagementClient.ts:3: url is not a string literal");
    }
}
