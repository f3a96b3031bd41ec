//! `impl Paged` for every operation that pages, added to the generated builders.
//!
//! progenitor generates streams only for Dropshot-style paging, which Authing does not
//! use. Authing pages by page number and size in one of five places, and answers a
//! page's items with a total in one of three. Both are read off the document and the
//! generated types (rules, not a list of operations); an operation counts as paged
//! when it has both. The `authing` crate turns any `Paged` builder into a stream.

use crate::generated_code::{
    builder_module, builders, client_methods, last_ident, type_structs, unwrap_named,
};
use anyhow::{Context, Result};
use quote::{format_ident, quote};
use serde_json::Value;
use std::collections::BTreeMap;

/// Where a request says which page it wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// `?page=&limit=`
    Query,
    /// `?pageNo=&pageSize=`
    QueryPageNo,
    /// `{"page", "limit"}` at the top of the body.
    Body,
    /// `{"pagination": {"page", "limit"}}`
    BodyPagination,
    /// `{"options": {"pagination": {"page", "limit"}}}`
    BodyOptionsPagination,
}

impl Request {
    pub fn describe(self) -> &'static str {
        match self {
            Request::Query => "query page/limit",
            Request::QueryPageNo => "query pageNo/pageSize",
            Request::Body => "body page/limit",
            Request::BodyPagination => "body pagination",
            Request::BodyOptionsPagination => "body options.pagination",
        }
    }
}

/// One paged operation, for the report and the operation table.
pub struct PagedOperation {
    pub name: String,
    pub request: Request,
    /// A JSON pointer to the page's items in the answer (`/data/list`).
    pub items: &'static str,
    /// A JSON pointer to the list's total, when the answer has one.
    pub total: Option<&'static str>,
    pub max_page_size: Option<i64>,
}

impl PagedOperation {
    /// The answer's shape in words: `data: [items]`, `data: {list, totalCount}`.
    pub fn answer(&self) -> String {
        let last = |pointer: &str| pointer.rsplit('/').next().unwrap_or_default().to_string();
        match self.items {
            "/data" => "data: [items]".to_string(),
            items => {
                let fields: Vec<String> = std::iter::once(last(items))
                    .chain(self.total.map(last))
                    .collect();
                format!("data: {{{}}}", fields.join(", "))
            }
        }
    }
}

/// Add the `Paged` impls to `mod builder`; returns what was found.
/// `doc` is the fixed-up document; `original` the one before fix-ups (document and
/// supplement merged), whose page-size limits the fix-ups remove from the client.
pub fn add_impls(
    file: &mut syn::File,
    doc: &Value,
    original: &Value,
) -> Result<Vec<PagedOperation>> {
    let methods = client_methods(file);
    let builders = builders(file)?;
    let types = type_structs(file);
    let mut found = Vec::new();
    let mut impls = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let name = op["operationId"].as_str().unwrap_or_default();
            let builder_name = methods.get(name).context("no builder")?;
            let builder = &builders[builder_name];
            let Some(request) = request_shape(doc, op, builder) else {
                continue;
            };
            let Some(Some(response)) = &builder.response else {
                continue;
            };
            let Some(answer) = answer_shape(response, &types) else {
                continue;
            };
            let body = builder
                .fields
                .iter()
                .find(|(f, _)| f == "body")
                .and_then(|(_, t)| last_ident(t))
                .map(|b| format_ident!("{b}"));
            let page_field = if request == Request::QueryPageNo {
                "page_no"
            } else {
                "page"
            };
            let query_field = match builder.fields.iter().find(|(f, _)| f == page_field) {
                None => QueryField {
                    optional: true,
                    kind: Number::Integer,
                },
                Some((_, t)) => match number_kind(t) {
                    Some(kind) => QueryField {
                        optional: unwrap_named(t, "Option").is_some(),
                        kind,
                    },
                    None => continue,
                },
            };
            let max = max_page_size(original, &original["paths"][path][method], request);
            impls.push(paged_impl(
                builder_name,
                request,
                response,
                body,
                query_field,
                max,
                &answer,
            ));
            found.push(PagedOperation {
                name: name.to_string(),
                request,
                items: answer.items,
                total: answer.total,
                max_page_size: max,
            });
        }
    }
    builder_module(file)?.extend(impls);
    Ok(found)
}

fn request_shape(
    doc: &Value,
    op: &Value,
    builder: &crate::generated_code::Builder,
) -> Option<Request> {
    if builder.has_field("page") && builder.has_field("limit") {
        return Some(Request::Query);
    }
    if builder.has_field("page_no") && builder.has_field("page_size") {
        return Some(Request::QueryPageNo);
    }
    let body = resolve(
        doc,
        op.pointer("/requestBody/content/application~1json/schema")?,
    );
    let props = &body["properties"];
    let pages = |s: &Value| {
        let p = &resolve(doc, s)["properties"];
        p.get("page").is_some() && p.get("limit").is_some()
    };
    if pages(body) {
        Some(Request::Body)
    } else if props.get("pagination").is_some_and(pages) {
        Some(Request::BodyPagination)
    } else if props
        .get("options")
        .and_then(|o| resolve(doc, o)["properties"].get("pagination"))
        .is_some_and(pages)
    {
        Some(Request::BodyOptionsPagination)
    } else {
        None
    }
}

pub(crate) fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    loop {
        if let Some(r) = schema["$ref"].as_str() {
            schema = doc
                .pointer(r.trim_start_matches('#'))
                .unwrap_or(&Value::Null);
        } else if let Some([only]) = schema["allOf"].as_array().map(Vec::as_slice) {
            schema = only;
        } else {
            return schema;
        }
    }
}

/// Where a page's items and total are in the answer.
struct Answer {
    item: syn::Type,
    /// How to get `(items, total)` out of `data` (`Option` unwrapped).
    extract: proc_macro2::TokenStream,
    /// Whether the envelope's `data` is an `Option`.
    data_optional: bool,
    /// JSON pointers to the items and the total in the answer, on the wire.
    items: &'static str,
    total: Option<&'static str>,
}

fn answer_shape(
    response: &syn::Type,
    types: &BTreeMap<String, Vec<(String, syn::Type)>>,
) -> Option<Answer> {
    let envelope = types.get(&last_ident(response)?)?;
    let data = &envelope.iter().find(|(f, _)| f == "data")?.1;
    let (data, data_optional) = match unwrap_named(data, "Option") {
        Some(inner) => (inner, true),
        None => (data.clone(), false),
    };
    if let Some(item) = unwrap_named(&data, "Vec") {
        return Some(Answer {
            item,
            extract: quote!((data, None)),
            data_optional,
            items: "/data",
            total: None,
        });
    }
    let fields = types.get(&last_ident(&data)?)?;
    let field = |name: &str| fields.iter().find(|(f, _)| f == name).map(|(_, t)| t);
    let (list, list_ty) = ["list", "data"]
        .iter()
        .find_map(|n| field(n).map(|t| (*n, t)))?;
    // The total, when the answer has one as a number; without it the walk stops at
    // the first short page.
    let total = ["total_count", "count"].iter().find_map(|n| {
        let ty = field(n)?;
        Some((*n, unwrap_named(ty, "Option").is_some(), number_kind(ty)?))
    });
    let (item, optional_list) = match unwrap_named(list_ty, "Option") {
        Some(vec) => (unwrap_named(&vec, "Vec")?, true),
        None => (unwrap_named(list_ty, "Vec")?, false),
    };
    let list_ident = format_ident!("{}", list);
    let items = if optional_list {
        quote!(data.#list_ident.unwrap_or_default())
    } else {
        quote!(data.#list_ident)
    };
    let total_expr = match total {
        None => quote!(None),
        Some((name, optional, kind)) => {
            let t = format_ident!("{}", name);
            match (optional, kind) {
                (true, Number::Integer) => quote!(data.#t),
                (true, Number::Text) => quote!(data.#t.and_then(|t| t.parse().ok())),
                (false, Number::Integer) => quote!(Some(data.#t)),
                (false, Number::Text) => quote!(data.#t.parse().ok()),
            }
        }
    };
    Some(Answer {
        item,
        extract: quote!((#items, #total_expr)),
        data_optional,
        items: if list == "list" {
            "/data/list"
        } else {
            "/data/data"
        },
        total: total.map(|(name, ..)| {
            if name == "total_count" {
                "/data/totalCount"
            } else {
                "/data/count"
            }
        }),
    })
}

fn paged_impl(
    builder: &str,
    request: Request,
    response: &syn::Type,
    body: Option<syn::Ident>,
    query_field: QueryField,
    max: Option<i64>,
    answer: &Answer,
) -> syn::Item {
    let ty = format_ident!("{}", builder);
    let item = in_builder_module(answer.item.clone());
    let max = match max {
        Some(m) => quote!(Some(#m)),
        None => quote!(None),
    };
    let extract = &answer.extract;
    let data = if answer.data_optional {
        quote!(let Some(data) = response.data else { return (Vec::new(), None) };)
    } else {
        quote!(let data = response.data;)
    };
    let (get, set) = match request {
        Request::Query | Request::QueryPageNo => {
            let (page, limit) = if request == Request::Query {
                (format_ident!("page"), format_ident!("limit"))
            } else {
                (format_ident!("page_no"), format_ident!("page_size"))
            };
            // Some operations type their page numbers as strings, a few as required.
            let flatten = query_field.optional.then(|| quote!(.flatten()));
            let parse = matches!(query_field.kind, Number::Text)
                .then(|| quote!(.and_then(|v| v.parse().ok())));
            let write = |n: proc_macro2::TokenStream| {
                let n = match query_field.kind {
                    Number::Integer => n,
                    Number::Text => quote!(#n.to_string()),
                };
                if query_field.optional {
                    quote!(Some(#n))
                } else {
                    n
                }
            };
            let (write_page, write_limit) = (write(quote!(page)), write(quote!(limit)));
            (
                quote! {
                    (
                        self.#page.clone().ok() #flatten #parse,
                        self.#limit.clone().ok() #flatten #parse,
                    )
                },
                quote! {
                    self.#page = Ok(#write_page);
                    if let Some(limit) = limit {
                        self.#limit = Ok(#write_limit);
                    }
                    self
                },
            )
        }
        _ => {
            let at: &[&str] = match request {
                Request::Body => &[],
                Request::BodyPagination => &["pagination"],
                _ => &["options", "pagination"],
            };
            (
                quote! { crate::paging::body_page::<types::#body, _>(&self.body, &[#(#at),*]) },
                quote! {
                    self.body = crate::paging::with_body_page::<types::#body, _>(
                        self.body, &[#(#at),*], page, limit,
                    );
                    self
                },
            )
        }
    };
    syn::parse_quote! {
        impl<'a> crate::Paged<'a> for #ty<'a> {
            type Item = #item;
            type Response = #response;
            const MAX_PAGE_SIZE: Option<i64> = #max;

            fn requested(&self) -> (Option<i64>, Option<i64>) {
                #get
            }

            fn at_page(mut self, page: i64, limit: Option<i64>) -> Self {
                #set
            }

            fn send_page(self) -> crate::BoxFuture<'a, Result<ResponseValue<Self::Response>, Error<()>>> {
                Box::pin(self.send())
            }

            fn items(response: Self::Response) -> (Vec<Self::Item>, Option<i64>) {
                #data
                #extract
            }
        }
    }
}

/// A field type of `mod types` as `mod builder` must write it: sibling types
/// (`UserDto`) become `types::UserDto`; absolute and crate paths stay.
fn in_builder_module(mut ty: syn::Type) -> syn::Type {
    use syn::visit_mut::VisitMut;
    struct Qualify;
    impl VisitMut for Qualify {
        fn visit_type_path_mut(&mut self, p: &mut syn::TypePath) {
            syn::visit_mut::visit_type_path_mut(self, p);
            let first = p.path.segments.first().map(|s| s.ident.to_string());
            let local = p.qself.is_none()
                && p.path.leading_colon.is_none()
                && !matches!(
                    first.as_deref(),
                    Some("crate" | "std" | "types" | "Option" | "Vec")
                );
            if local {
                let path = &p.path;
                *p = syn::parse_quote!(types::#path);
            }
        }
    }
    Qualify.visit_type_mut(&mut ty);
    ty
}

/// How a page number or total is typed.
#[derive(Clone, Copy)]
enum Number {
    Integer,
    /// The document types some as strings.
    Text,
}

/// `i64` or `String`, `Option` or not; anything else does not page.
fn number_kind(ty: &syn::Type) -> Option<Number> {
    let inner = unwrap_named(ty, "Option").unwrap_or_else(|| ty.clone());
    match last_ident(&inner)?.as_str() {
        "i64" => Some(Number::Integer),
        "String" => Some(Number::Text),
        _ => None,
    }
}

/// How a query page number is typed in its builder.
#[derive(Clone, Copy)]
struct QueryField {
    optional: bool,
    kind: Number,
}

/// The largest page size the document allows: the `maximum` of the page-size
/// parameter or property, or the number its description gives ("每页数目，最大不能超过
/// 50"). The fix-ups drop such limits from the client; paging keeps to them.
fn max_page_size(doc: &Value, op: &Value, request: Request) -> Option<i64> {
    let limit = match request {
        Request::Query | Request::QueryPageNo => {
            let name = if request == Request::Query {
                "limit"
            } else {
                "pageSize"
            };
            let param = op["parameters"]
                .as_array()?
                .iter()
                .find(|p| p["name"] == name)?;
            Some(param["schema"].clone()).map(|s| with_description(s, &param["description"]))
        }
        _ => {
            let body = resolve(
                doc,
                op.pointer("/requestBody/content/application~1json/schema")?,
            );
            let at = match request {
                Request::Body => body,
                Request::BodyPagination => resolve(doc, &body["properties"]["pagination"]),
                _ => {
                    let options = resolve(doc, &body["properties"]["options"]);
                    resolve(doc, &options["properties"]["pagination"])
                }
            };
            let limit = &at["properties"]["limit"];
            Some(with_description(
                resolve(doc, limit).clone(),
                &limit["description"],
            ))
        }
    }?;
    limit["maximum"].as_i64().or_else(|| {
        let text = limit["description"].as_str()?;
        let rest = &text[text.find("最大不能超过")? + "最大不能超过".len()..];
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
}

fn with_description(mut schema: Value, description: &Value) -> Value {
    if schema["description"].is_null() && !description.is_null() {
        schema["description"] = description.clone();
    }
    schema
}
