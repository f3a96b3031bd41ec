//! The table of every generated operation, for the data-driven tests that prove the
//! client on all of them (`crates/authing/tests/support/operation_table.rs`).
//!
//! It is read off the generated code itself (each builder's setters and the type its
//! `send()` decodes into) and joined with the fixed-up document (HTTP method, path,
//! Authing's operationId, parameter names), so the tests cannot drift from the client.
//! Each row can decode a success body and make the call from JSON arguments through the
//! typed builder: if the typed model cannot express a request, the call says so.

use crate::generated_code::{builders, client_methods, unwrap_named, Builder};
use anyhow::{bail, Context, Result};
use quote::{format_ident, quote};
use serde_json::Value;
use syn::visit_mut::VisitMut;

/// Render the test table as Rust source.
pub fn render(file: &syn::File, doc: &Value) -> Result<String> {
    let methods = client_methods(file);
    let builders = builders(file)?;
    let mut rows = Vec::new();
    let mut calls = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let name = op["operationId"].as_str().unwrap_or_default();
            let original = op["x-authing-operation-id"].as_str().unwrap_or_default();
            let builder_name = methods
                .get(name)
                .with_context(|| format!("no generated method for {name}"))?;
            let builder = builders
                .get(builder_name)
                .with_context(|| format!("no builder {builder_name} for {name}"))?;
            let Some(response) = &builder.response else {
                bail!("builder {builder_name} has no send()");
            };
            let response = response.clone().map(public_paths);
            let decode = match &response {
                Some(ty) => quote!(decode::<#ty>),
                None => quote!(decode_nothing),
            };
            let call_fn = format_ident!("call_{}", name);
            let method_ident = format_ident!("{}", name);
            let setters = setters(op, builder, name)?;
            let method_upper = method.to_uppercase();
            rows.push(quote! {
                Operation {
                    name: #name,
                    operation_id: #original,
                    method: #method_upper,
                    path: #path,
                    decode: #decode,
                    call: |client, args| Box::pin(#call_fn(client, args)),
                }
            });
            calls.push(quote! {
                // Operations without parameters or body leave `args` and `b` as they are.
                #[allow(unused_variables, unused_mut)]
                async fn #call_fn(client: &Client, args: &Args) -> Result<Sent, String> {
                    let mut b = client.#method_ident();
                    #(#setters)*
                    Ok(sent(b.send().await))
                }
            });
        }
    }
    let tokens = quote! {
        use authing::generated::Client;
        use serde_json::Value;
        use std::collections::BTreeMap;

        /// One operation of the generated client. (Each test reads the fields it needs.)
        #[allow(dead_code)]
        pub struct Operation {
            /// The method name on `authing::generated::Client`.
            pub name: &'static str,
            /// Authing's operationId.
            pub operation_id: &'static str,
            pub method: &'static str,
            pub path: &'static str,
            /// Decode a success body into the operation's response type.
            pub decode: fn(&[u8]) -> Result<(), String>,
            /// Make the call through the typed builder. `Err` when the arguments cannot
            /// be expressed in the generated types (naming the argument).
            pub call: for<'a> fn(&'a Client, &'a Args) -> futures::future::BoxFuture<'a, Result<Sent, String>>,
        }

        /// A call's arguments as JSON: parameters by their wire name, and the body.
        #[derive(Clone, Debug, Default)]
        #[allow(dead_code)]
        pub struct Args {
            pub params: BTreeMap<String, Value>,
            pub body: Option<Value>,
        }

        /// What came back: the decoded body, serialised again, or the SDK's error.
        pub type Sent = Result<Value, authing::Error>;

        #[allow(dead_code)]
        fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<(), String> {
            serde_json::from_slice::<T>(body).map(drop).map_err(|e| e.to_string())
        }

        #[allow(dead_code)]
        fn decode_nothing(_: &[u8]) -> Result<(), String> {
            Ok(())
        }

        fn arg<T: serde::de::DeserializeOwned>(name: &str, v: &Value) -> Result<T, String> {
            serde_json::from_value(v.clone()).map_err(|e| format!("{name}: {e}"))
        }

        fn sent<T: serde::Serialize>(
            r: Result<authing::generated::ResponseValue<T>, authing::generated::Error<()>>,
        ) -> Sent {
            match r {
                Ok(v) => Ok(serde_json::to_value(v.into_inner()).unwrap_or(Value::Null)),
                Err(e) => Err(authing::Error::from(e)),
            }
        }

        #[allow(dead_code)]
        pub const OPERATIONS: &[Operation] = &[#(#rows),*];

        #(#calls)*
    };
    let file: syn::File = syn::parse2(tokens).context("parsing the operation table")?;
    Ok(format!(
        "// @generated by `cargo xtask generate` from the generated client and the fixed-up\n\
         // document. DO NOT EDIT.\n\n{}",
        prettyplease::unparse(&file)
    ))
}

/// One `if let` per parameter and body: set it when the arguments carry it.
fn setters(op: &Value, builder: &Builder, name: &str) -> Result<Vec<proc_macro2::TokenStream>> {
    let mut out = Vec::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        let wire = p["name"].as_str().unwrap_or_default();
        let (field, ty) = builder
            .fields
            .iter()
            .find(|(f, _)| squash(f) == squash(wire))
            .with_context(|| format!("{name}: no builder setter for parameter {wire}"))?;
        let setter = format_ident!("{}", field);
        let ty = public_paths(unwrap_named(ty, "Option").unwrap_or_else(|| ty.clone()));
        // `key[]` (as sent) or the document's `key`.
        let plain = wire.trim_end_matches("[]");
        out.push(quote! {
            if let Some(v) = args.params.get(#wire).or_else(|| args.params.get(#plain)) {
                b = b.#setter(arg::<#ty>(#wire, v)?);
            }
        });
    }
    if let Some((_, ty)) = builder.fields.iter().find(|(f, _)| f == "body") {
        let ty = body_type(ty).with_context(|| format!("{name}: body type"))?;
        out.push(quote! {
            if let Some(v) = &args.body {
                b = b.body(arg::<#ty>("body", v)?);
            }
        });
    }
    Ok(out)
}

/// `userIds[]` and `user_ids` both become `userids`.
fn squash(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `types::builder::X` (a body) → `authing::generated::types::X`.
fn body_type(ty: &syn::Type) -> Result<syn::Type> {
    let syn::Type::Path(p) = ty else {
        bail!("not a path")
    };
    let last = p.path.segments.last().context("empty path")?.ident.clone();
    Ok(syn::parse_quote!(authing::generated::types::#last))
}

/// Paths as the test crate sees them: `types::X` → `authing::generated::types::X`.
fn public_paths(mut ty: syn::Type) -> syn::Type {
    struct Prefix;
    impl VisitMut for Prefix {
        fn visit_type_path_mut(&mut self, p: &mut syn::TypePath) {
            syn::visit_mut::visit_type_path_mut(self, p);
            let first = p.path.segments.first().map(|s| s.ident.to_string());
            if p.qself.is_none() && p.path.leading_colon.is_none() {
                if first.as_deref() == Some("super") {
                    p.path.segments = p.path.segments.iter().skip(1).cloned().collect();
                }
                if p.path.segments.first().is_some_and(|s| s.ident == "types") {
                    let rest = &p.path;
                    *p = syn::parse_quote!(authing::generated::#rest);
                }
            }
        }
    }
    Prefix.visit_type_mut(&mut ty);
    ty
}
