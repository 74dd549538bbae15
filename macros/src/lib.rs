//! The `network!` procedural macro. Only this file touches `proc_macro`; the
//! stages (parse -> plan -> validate -> codegen) live in the `staticnet-dsl`
//! library, which the ONNX importer uses too, and which unit tests drive
//! directly.
#![forbid(unsafe_code)]

/// Declares a network; see the `staticnet` crate for the DSL.
#[proc_macro]
pub fn network(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    staticnet_dsl::network(input.into()).into()
}
