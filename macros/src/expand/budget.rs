//! `#[budget(ram = N, state = N, workspace = N)]`: compile-time checks of the
//! bytes a network needs (`state`: parameters and buffers; `workspace`: the
//! inference workspace; `ram`: both), evaluated by `rt::memory::check_budget`
//! in a `const` item spanned at the key, so the error points at the budget.

use crate::ast::NetDef;
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub fn checks(def: &NetDef) -> TokenStream {
    let (ident, name) = (&def.ident, def.ident.to_string());
    def.budget
        .iter()
        .map(|b| {
            let (key, bytes) = (b.key.to_string(), &b.bytes);
            // Every token spanned at the key (the runtime path written out
            // here), so that the evaluation error points at the budget.
            quote_spanned! {b.key.span()=>
                const _: () = ::staticnet::__private::rt::memory::check_budget(
                    #name,
                    #key,
                    ::staticnet::__private::rt::memory::state_bytes::<#ident>(),
                    ::staticnet::__private::rt::memory::workspace_bytes::<#ident>(),
                    #bytes,
                );
            }
        })
        .collect()
}
