//! Reading progenitor's output: which builder each `Client` method returns, each
//! builder's setters and success type, and the fields of the generated types. Used by
//! the passes that add to the generated code (paging) and by the test table.

use anyhow::{bail, Context, Result};
use quote::ToTokens;
use std::collections::BTreeMap;

/// An operation builder: its setters (field → the type the setter converts into,
/// `Option` removed) and what `send()` decodes into (`None` for no body).
#[derive(Default)]
pub struct Builder {
    pub fields: Vec<(String, syn::Type)>,
    pub response: Option<Option<syn::Type>>,
}

impl Builder {
    pub fn has_field(&self, name: &str) -> bool {
        self.fields.iter().any(|(f, _)| f == name)
    }
}

/// `Client::name() -> builder::Struct<'_>`: method name → builder struct name.
pub fn client_methods(file: &syn::File) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for item in &file.items {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || imp.self_ty.to_token_stream().to_string() != "Client" {
            continue;
        }
        for item in &imp.items {
            let syn::ImplItem::Fn(f) = item else { continue };
            let syn::ReturnType::Type(_, ty) = &f.sig.output else {
                continue;
            };
            let syn::Type::Path(p) = &**ty else { continue };
            let segments: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            if let [module, builder] = segments.as_slice() {
                if module == "builder" {
                    out.insert(f.sig.ident.to_string(), builder.clone());
                }
            }
        }
    }
    out
}

/// The top-level `mod builder`'s items.
pub fn builder_module(file: &mut syn::File) -> Result<&mut Vec<syn::Item>> {
    let module = file.items.iter_mut().find_map(|i| match i {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_mut(),
        _ => None,
    });
    match module {
        Some((_, items)) => Ok(items),
        None => bail!("the generated code has no top-level `mod builder`"),
    }
}

/// Every operation builder, by struct name.
pub fn builders(file: &syn::File) -> Result<BTreeMap<String, Builder>> {
    let mut out: BTreeMap<String, Builder> = BTreeMap::new();
    let module = file.items.iter().find_map(|i| match i {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
        _ => None,
    });
    let Some((_, items)) = module else {
        bail!("the generated code has no top-level `mod builder`");
    };
    for item in items {
        match item {
            syn::Item::Struct(s) => {
                let entry = out.entry(s.ident.to_string()).or_default();
                for f in &s.fields {
                    let Some(ident) = &f.ident else { continue };
                    if ident == "client" {
                        continue;
                    }
                    // `Result<T, String>`: the setter's target is T.
                    let ty = first_generic(&f.ty).context("builder field is not Result<..>")?;
                    entry.fields.push((ident.to_string(), ty));
                }
            }
            syn::Item::Impl(imp) => {
                let syn::Type::Path(p) = &*imp.self_ty else {
                    continue;
                };
                let Some(name) = p.path.segments.last().map(|s| s.ident.to_string()) else {
                    continue;
                };
                for item in &imp.items {
                    let syn::ImplItem::Fn(f) = item else { continue };
                    if f.sig.ident == "send" {
                        let response = success_type(&f.sig.output)
                            .with_context(|| format!("return type of {name}::send"))?;
                        out.entry(name.clone()).or_default().response = Some(response);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The named fields of every struct in `mod types`, by struct name.
pub fn type_structs(file: &syn::File) -> BTreeMap<String, Vec<(String, syn::Type)>> {
    let mut out = BTreeMap::new();
    let module = file.items.iter().find_map(|i| match i {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_ref(),
        _ => None,
    });
    for item in module
        .map(|(_, items)| items.as_slice())
        .unwrap_or_default()
    {
        if let syn::Item::Struct(s) = item {
            let fields = s
                .fields
                .iter()
                .filter_map(|f| Some((f.ident.as_ref()?.to_string(), f.ty.clone())))
                .collect();
            out.insert(s.ident.to_string(), fields);
        }
    }
    out
}

/// The last segment's name of a path type (`types::UserDto` → `UserDto`).
pub fn last_ident(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(p) = ty else { return None };
    Some(p.path.segments.last()?.ident.to_string())
}

/// `Result<ResponseValue<T>, Error<()>>` → `T` (`None` when `T` is `()`).
fn success_type(output: &syn::ReturnType) -> Result<Option<syn::Type>> {
    let syn::ReturnType::Type(_, ty) = output else {
        bail!("no return type");
    };
    let result = first_generic(ty).context("not Result<..>")?;
    let inner = first_generic(&result).context("not ResponseValue<..>")?;
    Ok(match &inner {
        syn::Type::Tuple(t) if t.elems.is_empty() => None,
        other => Some(other.clone()),
    })
}

/// The first type argument of a path type (`Option<T>` → `T`).
pub fn first_generic(ty: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    })
}

/// `T` for `Option<T>`, else the type itself.
pub fn unwrap_named(ty: &syn::Type, wrapper: &str) -> Option<syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    if p.path.segments.last()?.ident == wrapper {
        first_generic(ty)
    } else {
        None
    }
}
