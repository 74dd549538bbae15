//! The `network!` procedural macro. Only this file touches `proc_macro`;
//! the stages (parse -> plan -> validate -> codegen, run by `expand.rs`) use `proc_macro2` so that
//! unit tests can drive them directly.
#![forbid(unsafe_code)]

mod args;
mod ast;
mod codegen;
mod expand;
mod facade;
mod kinds;
mod layers;
mod parse;
mod plan;
mod shape;
mod validate;

/// Declares a network; see the `staticnet` crate for the DSL.
#[proc_macro]
pub fn network(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand::network(input.into()).into()
}
