//! Optional arrays and objects of request bodies become `crate::Nullable<T>`.
//!
//! typify makes them `Option<T>`, which can leave a property out or send it, but never
//! send `null`; and Authing clears some lists and objects only on an explicit `null`
//! (or `[]`, which `Some(vec![])` already sends). `Nullable` is absent by default, and
//! `Null` or a value when the caller says so. It is used only for types that requests
//! use and responses do not (found from the generated code itself: what the builders
//! take, what `send()` returns, and every type those reach), so response types keep
//! `Option`, where `null` and absent mean the same.

use crate::generated_code::{builders, unwrap_named};
use anyhow::{bail, Result};
use quote::ToTokens;
use std::collections::{BTreeMap, BTreeSet};
use syn::visit::Visit;
use syn::visit_mut::VisitMut;

/// Rewrite the request-only containers; returns `(type, field)` of each rewritten one.
pub fn request_containers(file: &mut syn::File) -> Result<Vec<(String, String)>> {
    let builders = builders(file)?;
    let Some(types) = module_items(&mut file.items, "types") else {
        bail!("the generated code has no `mod types`");
    };
    let graph = type_graph(types);
    let mut request_roots = BTreeSet::new();
    let mut response_roots = BTreeSet::new();
    for builder in builders.values() {
        for (_, ty) in &builder.fields {
            request_roots.extend(type_names(ty));
        }
        if let Some(Some(ty)) = &builder.response {
            response_roots.extend(type_names(ty));
        }
    }
    let requests = closure(&graph, request_roots);
    let responses = closure(&graph, response_roots);
    // Objects: structs with named fields (not enums, not newtypes).
    let structs: BTreeSet<String> = types
        .iter()
        .filter_map(|i| match i {
            syn::Item::Struct(s) if matches!(s.fields, syn::Fields::Named(_)) => {
                Some(s.ident.to_string())
            }
            _ => None,
        })
        .collect();

    let mut changed = Vec::new();
    for item in types.iter_mut() {
        let syn::Item::Struct(s) = item else { continue };
        let name = s.ident.to_string();
        if !requests.contains(&name) || responses.contains(&name) {
            continue;
        }
        for field in s.fields.iter_mut() {
            let Some(inner) = unwrap_named(&field.ty, "Option") else {
                continue;
            };
            let is_container = unwrap_named(&inner, "Vec").is_some()
                || last_ident(&inner).is_some_and(|i| structs.contains(&i));
            if !is_container {
                continue;
            }
            field.ty = syn::parse_quote!(crate::Nullable<#inner>);
            for attr in field
                .attrs
                .iter_mut()
                .filter(|a| a.path().is_ident("serde"))
            {
                let text = attr.meta.to_token_stream().to_string().replace(
                    "\"::std::option::Option::is_none\"",
                    "\"crate::Nullable::is_absent\", default",
                );
                attr.meta = syn::parse_str(&text)?;
            }
            changed.push((
                name.clone(),
                field
                    .ident
                    .as_ref()
                    .map(|i| i.to_string())
                    .unwrap_or_default(),
            ));
        }
    }

    // The struct builders (`types::builder::X`) keep `Result<T, String>` per field and
    // take `TryInto<T>` in the setter: T changes with the field.
    let Some(builder_items) = module_items(types, "builder") else {
        bail!("the generated code has no `mod types::builder`");
    };
    let by_type: BTreeMap<&str, BTreeSet<&str>> =
        changed.iter().fold(BTreeMap::new(), |mut m, (t, f)| {
            m.entry(t.as_str())
                .or_insert_with(BTreeSet::new)
                .insert(f.as_str());
            m
        });
    for item in builder_items.iter_mut() {
        match item {
            syn::Item::Struct(s) => {
                let Some(fields) = by_type.get(s.ident.to_string().as_str()) else {
                    continue;
                };
                for field in s.fields.iter_mut() {
                    if field
                        .ident
                        .as_ref()
                        .is_some_and(|i| fields.contains(i.to_string().as_str()))
                    {
                        OptionToNullable.visit_type_mut(&mut field.ty);
                    }
                }
            }
            syn::Item::Impl(imp) if imp.trait_.is_none() => {
                let Some(fields) = last_ident(&imp.self_ty).and_then(|n| by_type.get(n.as_str()))
                else {
                    continue;
                };
                for item in imp.items.iter_mut() {
                    if let syn::ImplItem::Fn(f) = item {
                        if fields.contains(f.sig.ident.to_string().as_str()) {
                            if let Some(wc) = f.sig.generics.where_clause.as_mut() {
                                OptionToNullable.visit_where_clause_mut(wc);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(changed)
}

/// `Option<X>` → `crate::Nullable<X>`, wherever it appears.
struct OptionToNullable;

impl VisitMut for OptionToNullable {
    fn visit_type_mut(&mut self, ty: &mut syn::Type) {
        if let Some(inner) = unwrap_named(ty, "Option") {
            *ty = syn::parse_quote!(crate::Nullable<#inner>);
        } else {
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }
}

fn module_items<'a>(items: &'a mut [syn::Item], name: &str) -> Option<&'a mut Vec<syn::Item>> {
    items.iter_mut().find_map(|i| match i {
        syn::Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

/// Struct and enum names of `mod types` → the type names their fields mention.
fn type_graph(items: &[syn::Item]) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    for item in items {
        let (name, mentioned) = match item {
            syn::Item::Struct(s) => (
                s.ident.to_string(),
                s.fields.iter().flat_map(|f| type_names(&f.ty)).collect(),
            ),
            syn::Item::Enum(e) => (
                e.ident.to_string(),
                e.variants
                    .iter()
                    .flat_map(|v| v.fields.iter().flat_map(|f| type_names(&f.ty)))
                    .collect(),
            ),
            _ => continue,
        };
        graph.insert(name, mentioned);
    }
    graph
}

fn closure(
    graph: &BTreeMap<String, BTreeSet<String>>,
    roots: BTreeSet<String>,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = roots.into_iter().collect();
    while let Some(name) = todo.pop() {
        if let Some(next) = graph.get(&name) {
            if seen.insert(name) {
                todo.extend(next.iter().cloned());
            }
        }
    }
    seen
}

/// The last segment of every path a type mentions (`Vec<types::UserDto>` → `Vec`,
/// `UserDto`).
fn type_names(ty: &syn::Type) -> BTreeSet<String> {
    struct Names(BTreeSet<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_type_path(&mut self, p: &'ast syn::TypePath) {
            if let Some(last) = p.path.segments.last() {
                self.0.insert(last.ident.to_string());
            }
            syn::visit::visit_type_path(self, p);
        }
    }
    let mut names = Names(BTreeSet::new());
    names.visit_type(ty);
    names.0
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    crate::generated_code::last_ident(ty)
}
