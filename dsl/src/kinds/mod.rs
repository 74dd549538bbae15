//! The layer kinds, one file each (the file name is the DSL keyword and the
//! runtime's kernel file), and the registry that maps keywords to them.
//! Shared code of several kinds: `elementwise.rs`, `pool.rs`, `recurrent.rs`.

mod elementwise;
mod pool;
mod recurrent;

use crate::args::Args;
use crate::ast::LayerDef;
use crate::layers::Layer;

#[cfg(test)]
mod tests;

/// Declares every kind of the shared list ([`staticnet_kinds::for_each_kind`]):
/// its module (`<keyword>.rs`, which exports a [`Spec`] named `SPEC` and, for
/// tests, an [`Example`] named `EXAMPLE`) and its registry entry, the keyword
/// being the module's name; then the internal kinds. The parameter blocks
/// the list names are the runtime's business.
macro_rules! registry {
    ($($kind:ident $({ $($block:ident),+ })?,)*) => {
        $(pub mod $kind;)*

        /// Every DSL keyword, in the order "expected one of" lists them.
        pub const KINDS: &[Kind] = &[
            $(Kind { keyword: stringify!($kind), spec: &$kind::SPEC },)*
            residual::END_KIND,
        ];

        /// Every kind's [`Example`], by keyword.
        #[cfg(test)]
        pub const EXAMPLES: &[(&str, &Example)] = &[$((stringify!($kind), &$kind::EXAMPLE),)*];
    };
}

staticnet_kinds::for_each_kind!(registry);

/// What a kind's file declares as `pub const SPEC`: its argument schema and
/// its constructor. The keyword is the file's name.
pub struct Spec {
    /// Positional arguments, in order, all required.
    pub positional: &'static [&'static str],
    /// Named arguments, each optional (the kind knows its defaults).
    pub named: &'static [&'static str],
    /// Builds the layer from its checked arguments.
    pub build: fn(&Args<'_>) -> syn::Result<Box<dyn Layer>>,
    /// Whether the layer reads token ids (`embedding`): only such a layer
    /// may follow `input: tokens[T]`, and only there. Known before the
    /// shapes, since the token check comes first.
    pub takes_tokens: bool,
}

impl Spec {
    pub const fn new(
        positional: &'static [&'static str],
        named: &'static [&'static str],
        build: fn(&Args<'_>) -> syn::Result<Box<dyn Layer>>,
    ) -> Self {
        Self {
            positional,
            named,
            build,
            takes_tokens: false,
        }
    }

    /// The same, for a kind that reads token ids.
    pub const fn takes_tokens(self) -> Self {
        Self {
            takes_tokens: true,
            ..self
        }
    }
}

/// A kind's pinned fingerprint, declared in its file (`pub const EXAMPLE`)
/// and checked by `kinds/tests.rs`: `struct Net { input: <input>,
/// <declaration> }` must plan to `config` (what saved weights record), and
/// each variant, setting one named argument away from its default, must
/// change the config or the parameter shapes. A kind without it does not
/// compile its tests; a named argument without a variant fails them.
#[cfg(test)]
pub struct Example {
    pub input: &'static str,
    /// The checked layer comes first (a second only where the first may not
    /// come last).
    pub declaration: &'static str,
    pub config: &'static str,
    pub variants: &'static [&'static str],
}

/// A registry entry.
pub struct Kind {
    /// The DSL keyword; internal kinds (written by the parser, never by
    /// users) start with `__`.
    pub keyword: &'static str,
    pub spec: &'static Spec,
}

impl Kind {
    /// The name in messages, default layer names, the summary and the
    /// weights manifest: the keyword without a leading `__`.
    pub fn name(&self) -> &'static str {
        self.keyword.trim_start_matches("__")
    }

    /// Checks a declaration's arguments against the schema (all errors
    /// together), then builds the layer.
    pub fn build(&self, def: &LayerDef) -> syn::Result<Box<dyn Layer>> {
        let args = Args::check(self.name(), def, self.spec.positional, self.spec.named)?;
        (self.spec.build)(&args)
    }
}

/// Looks a keyword up in [`KINDS`].
pub fn lookup(keyword: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.keyword == keyword)
}
