//! `#[budget(ram = N, state = N, workspace = N)]`: compile-time checks of the
//! bytes a network needs (`state`: parameters and buffers; `workspace`: the
//! inference workspace; `ram`: both), evaluated by `rt::memory::check_budget`
//! in a `const` item spanned at the key, so the error points at the budget.

use crate::ast::NetDef;
use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::quote_spanned;

/// `rt` is the runtime's path as the user's crate sees it.
pub fn checks(def: &NetDef, rt: &TokenStream) -> TokenStream {
    let (ident, name) = (&def.ident, def.ident.to_string());
    def.budget
        .iter()
        .map(|b| {
            let (key, bytes) = (b.key.to_string(), &b.bytes);
            // Every token spanned at the key (the runtime path too), so that
            // the evaluation error points at the budget.
            let rt = respan(rt, b.key.span());
            quote_spanned! {b.key.span()=>
                const _: () = #rt::memory::check_budget(
                    #name,
                    #key,
                    #rt::memory::state_bytes::<#ident>(),
                    #rt::memory::workspace_bytes::<#ident>(),
                    #bytes,
                );
            }
        })
        .collect()
}

/// `tokens` with every span set to `span`.
fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(g) = &tt {
                let mut inner = Group::new(g.delimiter(), respan(&g.stream(), span));
                inner.set_span(span);
                tt = TokenTree::Group(inner);
            }
            tt.set_span(span);
            tt
        })
        .collect()
}
