//! Rewrites of progenitor's output that no schema fix-up can express.

use syn::visit_mut::VisitMut;

/// Every `ResponseValue::from_response(response)` becomes
/// `crate::decode_response(response, info.operation_id)`, whose decode error names
/// the operation and the JSON path where a body stopped fitting its type (progenitor's
/// says only "line 1 column N"). Returns how many calls were rewritten.
pub fn named_decode_errors(file: &mut syn::File) -> usize {
    let mut rewrite = DecodeRewrite(0);
    rewrite.visit_file_mut(file);
    rewrite.0
}

struct DecodeRewrite(usize);

impl VisitMut for DecodeRewrite {
    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        syn::visit_mut::visit_expr_call_mut(self, call);
        let syn::Expr::Path(func) = &*call.func else {
            return;
        };
        let segments: Vec<String> = func
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        if segments == ["ResponseValue", "from_response"] && call.args.len() == 1 {
            let response = &call.args[0];
            *call = syn::parse_quote!(crate::decode_response(#response, info.operation_id));
            self.0 += 1;
        }
    }
}
