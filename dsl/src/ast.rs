//! The parsed declaration: tokens and spans only, no shapes.

use proc_macro2::Span;
use syn::{Attribute, Expr, Ident, LitInt, Path, Visibility};

/// `<attrs> <vis> struct Name { input: [dims], layers... }`
pub struct NetDef {
    /// Attributes passed through to the struct (`#[budget]` and
    /// `#[staticnet]` taken out).
    pub attrs: Vec<Attribute>,
    /// `#[budget(ram = 1024, ...)]` limits, in bytes.
    pub budget: Vec<BudgetDef>,
    /// `#[staticnet(crate = "my_lib::staticnet")]`: the facade's path, for a
    /// crate that re-exports staticnet; `None` looks it up in `Cargo.toml`.
    pub krate: Option<Path>,
    /// `#[staticnet(quantize)]` or `#[staticnet(quantize(dense_bits = 4))]`:
    /// also generate `<Name>Q`, the int8 network, with dense weights of
    /// `dense_bits` (8, 4 or 2) bits.
    pub quantize: Option<QuantizeDef>,
    pub vis: Visibility,
    pub ident: Ident,
    pub input: InputDef,
    pub layers: Vec<LayerDef>,
}

/// `input: [784]`, `input: [1, 28, 28]`, or token ids `input: tokens[32]`.
pub struct InputDef {
    pub key: Ident,
    /// `tokens[T]`: integer ids (carried as `f32`) for `embedding`.
    pub tokens: bool,
    pub dims: Vec<LitInt>,
    /// The `[...]` group.
    pub span: Span,
}

/// The int8 network's options.
pub struct QuantizeDef {
    /// Bits of the dense layers' weights: 8 (default), 4 or 2, packed.
    pub dense_bits: u8,
}

/// `[name:] kind[(args)]`
pub struct LayerDef {
    pub name: Option<Ident>,
    pub kind: Ident,
    pub args: Vec<Arg>,
    /// The `(...)` group, when present.
    pub parens: Option<Span>,
}

/// `value` or `key = value`.
pub struct Arg {
    pub key: Option<Ident>,
    pub value: Expr,
}

/// One `key = bytes` of `#[budget(...)]`.
pub struct BudgetDef {
    pub key: Ident,
    pub bytes: LitInt,
}
