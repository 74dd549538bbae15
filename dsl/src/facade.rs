//! Where the generated code finds the `staticnet` facade, as the user's crate
//! sees it: the `#[staticnet(crate = path)]` override if the declaration has
//! one (a crate that re-exports staticnet), else the name under which the
//! user's `Cargo.toml` depends on `staticnet` (`sn = { package = "staticnet" }`
//! gives `::sn`), else `::staticnet`.

use proc_macro2::TokenStream;
use proc_macro_crate::{crate_name, FoundCrate};
use quote::quote;
use syn::{parse_quote, Ident, Path};

/// The facade's paths that generated code uses.
pub struct Facade {
    /// The runtime crate: `<facade>::__private::rt`.
    pub rt: TokenStream,
    /// bytemuck: `<facade>::__private::bytemuck`.
    pub bytemuck: TokenStream,
}

impl Facade {
    /// `krate` is the override; without one, the user's `Cargo.toml` decides.
    pub fn new(krate: Option<&Path>) -> Self {
        let krate = krate.cloned().unwrap_or_else(from_manifest);
        Facade {
            rt: quote!(#krate::__private::rt),
            bytemuck: quote!(#krate::__private::bytemuck),
        }
    }
}

/// Looks `staticnet` up in the `Cargo.toml` of the crate being compiled.
fn from_manifest() -> Path {
    from_found(crate_name("staticnet").ok())
}

/// `FoundCrate::Itself` is staticnet's own examples, doctests and benches,
/// where `::staticnet` resolves as it does for any dependency. Not found (a
/// crate that depends on a re-export; a manifest that cannot be read) falls
/// back to `::staticnet` too: the resulting "unresolved path" error is what
/// `#[staticnet(crate = ...)]` is for.
fn from_found(found: Option<FoundCrate>) -> Path {
    let name = match found {
        Some(FoundCrate::Name(name)) => syn::parse_str::<Ident>(&name).ok(),
        Some(FoundCrate::Itself) | None => None,
    };
    match name {
        Some(ident) => parse_quote!(::#ident),
        None => parse_quote!(::staticnet),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn path(found: Option<FoundCrate>) -> String {
        from_found(found).to_token_stream().to_string()
    }

    #[test]
    fn renamed_dependency() {
        assert_eq!(path(Some(FoundCrate::Name("sn".into()))), ":: sn");
    }

    #[test]
    fn itself_and_not_found_are_staticnet() {
        assert_eq!(path(Some(FoundCrate::Itself)), ":: staticnet");
        assert_eq!(path(None), ":: staticnet");
    }

    #[test]
    fn a_name_that_is_no_identifier_falls_back() {
        assert_eq!(path(Some(FoundCrate::Name("crate".into()))), ":: staticnet");
    }

    #[test]
    fn override_wins() {
        let f = Facade::new(Some(&parse_quote!(my_lib::nn)));
        assert_eq!(f.rt.to_string(), "my_lib :: nn :: __private :: rt");
        assert_eq!(
            f.bytemuck.to_string(),
            "my_lib :: nn :: __private :: bytemuck"
        );
    }
}
