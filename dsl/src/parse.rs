//! `syn` parsing of the declaration into [`crate::ast`].

use crate::ast::{Arg, BudgetDef, InputDef, LayerDef, NetDef};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{
    braced, bracketed, parenthesized, Attribute, Expr, Ident, LitInt, LitStr, Path, Token,
    Visibility,
};

impl Parse for NetDef {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let (mut attrs, mut budget) = (Vec::new(), Vec::new());
        let mut options = Options::default();
        for attr in input.call(Attribute::parse_outer)? {
            if attr.path().is_ident("budget") {
                budget.extend(attr.parse_args_with(parse_budget)?);
            } else if attr.path().is_ident("staticnet") {
                attr.parse_args_with(|input: ParseStream<'_>| parse_options(input, &mut options))?;
            } else {
                attrs.push(attr);
            }
        }
        let vis: Visibility = input.parse()?;
        input.parse::<Token![struct]>()?;
        let ident: Ident = input.parse()?;
        let body;
        let brace = braced!(body in input);
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the network's `{ ... }` body"));
        }
        let mut net_input: Option<InputDef> = None;
        let mut layers = Vec::new();
        let mut errors: Option<syn::Error> = None;
        let mut push = |e: syn::Error| match &mut errors {
            Some(all) => all.combine(e),
            None => errors = Some(e),
        };
        while !body.is_empty() {
            if body.peek(Ident) && body.peek2(Token![:]) && !body.peek2(Token![::]) {
                let fork = body.fork();
                let key: Ident = fork.parse()?;
                if key == "input" {
                    let def = parse_input(&body)?;
                    if net_input.is_some() {
                        push(syn::Error::new(
                            def.key.span(),
                            "duplicate `input` declaration",
                        ));
                    } else {
                        if !layers.is_empty() {
                            push(syn::Error::new(
                                def.key.span(),
                                "`input` must be declared before the first layer",
                            ));
                        }
                        net_input = Some(def);
                    }
                    if !eat_comma(&body)? {
                        break;
                    }
                    continue;
                }
            }
            if body.peek(Ident) && body.peek2(syn::token::Brace) {
                parse_block(&body, &mut layers)?;
            } else {
                layers.push(body.parse::<LayerDef>()?);
            }
            if !eat_comma(&body)? {
                break;
            }
        }
        if !body.is_empty() {
            return Err(body.error("expected `,` between layers"));
        }
        let input = match net_input {
            Some(i) => i,
            None => {
                push(syn::Error::new(
                    brace.span.open(),
                    format!("network `{ident}` has no `input: [...]` declaration"),
                ));
                // Placeholder so that the remaining checks can still run.
                InputDef {
                    key: Ident::new("input", ident.span()),
                    tokens: false,
                    dims: Vec::new(),
                    span: ident.span(),
                }
            }
        };
        if layers.is_empty() {
            push(syn::Error::new(
                brace.span.close(),
                format!("network `{ident}` has no layers, expected at least one after `input`"),
            ));
        }
        if let Some(e) = errors {
            return Err(e);
        }
        Ok(NetDef {
            attrs,
            budget,
            krate: options.krate,
            quantize: options.quantize,
            vis,
            ident,
            input,
            layers,
        })
    }
}

/// Budget keys: what each limits is in `expand/budget.rs`.
pub const BUDGET_KEYS: &[&str] = &["ram", "state", "workspace"];

/// `ram = 1024, workspace = 512`.
fn parse_budget(input: ParseStream<'_>) -> syn::Result<Vec<BudgetDef>> {
    let mut items: Vec<BudgetDef> = Vec::new();
    while !input.is_empty() {
        let key: Ident = input.parse()?;
        if !BUDGET_KEYS.iter().any(|k| key == k) {
            return Err(syn::Error::new(
                key.span(),
                format!(
                    "budget: unknown key `{key}`, expected one of {}",
                    crate::args::quoted_list(BUDGET_KEYS)
                ),
            ));
        }
        if items.iter().any(|b| b.key == key) {
            return Err(syn::Error::new(
                key.span(),
                format!("budget: duplicate key `{key}`"),
            ));
        }
        input.parse::<Token![=]>()?;
        let bytes: LitInt = input.parse()?;
        bytes.base10_parse::<usize>()?;
        items.push(BudgetDef { key, bytes });
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    Ok(items)
}

/// Keys of `#[staticnet(...)]`.
pub const OPTION_KEYS: &[&str] = &["crate", "quantize"];

/// What `#[staticnet(...)]` sets.
#[derive(Default)]
struct Options {
    krate: Option<Path>,
    quantize: Option<crate::ast::QuantizeDef>,
}

/// `crate = "my_lib::staticnet"` (or the path unquoted, like serde's
/// `#[serde(crate = "...")]`): where generated code finds the facade;
/// `quantize`: also generate the int8 network.
fn parse_options(input: ParseStream<'_>, options: &mut Options) -> syn::Result<()> {
    let expected = match OPTION_KEYS {
        [one] => format!("`{one}`"),
        keys => format!("one of {}", crate::args::quoted_list(keys)),
    };
    if input.is_empty() {
        return Err(input.error(format!("staticnet: expected an option, {expected}")));
    }
    while !input.is_empty() {
        // `crate` is a keyword: `parse_any` takes keywords as identifiers.
        let key = input.call(Ident::parse_any)?;
        if !OPTION_KEYS.iter().any(|k| key == k) {
            return Err(syn::Error::new(
                key.span(),
                format!("staticnet: unknown option `{key}`, expected {expected}"),
            ));
        }
        let seen = if key == "quantize" {
            options.quantize.is_some()
        } else {
            options.krate.is_some()
        };
        if seen {
            return Err(syn::Error::new(
                key.span(),
                format!("staticnet: duplicate option `{key}`"),
            ));
        }
        if key == "quantize" {
            options.quantize = Some(parse_quantize(input, &key)?);
        } else {
            input.parse::<Token![=]>()?;
            options.krate = Some(parse_crate_path(input)?);
        }
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    Ok(())
}

/// `quantize` or `quantize(dense_bits = 4)`.
fn parse_quantize(input: ParseStream<'_>, key: &Ident) -> syn::Result<crate::ast::QuantizeDef> {
    let _ = key;
    let mut q = crate::ast::QuantizeDef { dense_bits: 8 };
    if !input.peek(syn::token::Paren) {
        return Ok(q);
    }
    let body;
    syn::parenthesized!(body in input);
    let expected = "staticnet: `quantize` takes `dense_bits = 8`, `4` or `2`";
    let name: Ident = body.parse()?;
    if name != "dense_bits" {
        return Err(syn::Error::new(
            name.span(),
            format!("{expected}, found `{name}`"),
        ));
    }
    body.parse::<Token![=]>()?;
    let lit: syn::LitInt = body.parse()?;
    q.dense_bits = match lit.base10_parse::<u8>() {
        Ok(b @ (2 | 4 | 8)) => b,
        _ => {
            return Err(syn::Error::new(
                lit.span(),
                format!("{expected}, found `{lit}`"),
            ))
        }
    };
    if !body.is_empty() {
        return Err(body.error(expected));
    }
    Ok(q)
}

/// The value of `crate =`: a path such as `my_lib::staticnet`, quoted or not.
fn parse_crate_path(input: ParseStream<'_>) -> syn::Result<Path> {
    let expected = "staticnet: `crate` expects the path of the staticnet crate, \
                    for example `crate = \"my_lib::staticnet\"`";
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return lit.parse_with(Path::parse_mod_style).map_err(|_| {
            syn::Error::new(lit.span(), format!("{expected}, found `{:?}`", lit.value()))
        });
    }
    // `crate`, `self` and `super` are keywords that `peek_any` accepts.
    if !(input.peek(Token![::]) || input.peek(Ident::peek_any)) {
        let found: proc_macro2::TokenTree = input.parse()?;
        return Err(syn::Error::new(
            found.span(),
            format!("{expected}, found `{found}`"),
        ));
    }
    Path::parse_mod_style(input)
}

/// `residual { layers... }`, flattened into the layer list between a
/// `residual` layer (the block's input) and a `__residual_end` layer (which
/// adds it back); blocks nest.
fn parse_block(input: ParseStream<'_>, layers: &mut Vec<LayerDef>) -> syn::Result<()> {
    let kind: Ident = input.parse()?;
    if kind != "residual" {
        return Err(syn::Error::new(
            kind.span(),
            format!("unknown block `{kind}`, expected `residual {{ ... }}`"),
        ));
    }
    let content;
    let brace = braced!(content in input);
    let begin = LayerDef {
        name: None,
        kind: kind.clone(),
        args: Vec::new(),
        parens: None,
    };
    layers.push(begin);
    let first = layers.len();
    while !content.is_empty() {
        if content.peek(Ident) && content.peek2(syn::token::Brace) {
            parse_block(&content, layers)?;
        } else {
            layers.push(content.parse::<LayerDef>()?);
        }
        if !eat_comma(&content)? {
            break;
        }
    }
    if !content.is_empty() {
        return Err(content.error("expected `,` between layers"));
    }
    if layers.len() == first {
        return Err(syn::Error::new(
            brace.span.join(),
            "residual: the block has no layers",
        ));
    }
    layers.push(LayerDef {
        name: None,
        kind: Ident::new(crate::kinds::residual::END, kind.span()),
        args: Vec::new(),
        parens: None,
    });
    Ok(())
}

fn eat_comma(input: ParseStream<'_>) -> syn::Result<bool> {
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
        Ok(true)
    } else {
        Ok(false)
    }
}

fn parse_input(input: ParseStream<'_>) -> syn::Result<InputDef> {
    let key: Ident = input.parse()?;
    input.parse::<Token![:]>()?;
    let tokens = input.peek(Ident) && input.peek2(syn::token::Bracket) && {
        let word: Ident = input.fork().parse()?;
        word == "tokens"
    };
    if tokens {
        input.parse::<Ident>()?;
    }
    if !input.peek(syn::token::Bracket) {
        return Err(input.error(
            "expected `[dims]` or `tokens[steps]` after `input:`, for example `input: [784]`",
        ));
    }
    let content;
    let bracket = bracketed!(content in input);
    let dims = Punctuated::<LitInt, Token![,]>::parse_terminated(&content)?;
    if dims.is_empty() {
        return Err(syn::Error::new(
            bracket.span.join(),
            "input: expected at least one dimension, found `[]`",
        ));
    }
    if tokens && dims.len() != 1 {
        return Err(syn::Error::new(
            bracket.span.join(),
            format!(
                "input: token input has one dimension, `tokens[steps]`, found {}",
                dims.len()
            ),
        ));
    }
    Ok(InputDef {
        key,
        tokens,
        dims: dims.into_iter().collect(),
        span: bracket.span.join(),
    })
}

impl Parse for LayerDef {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if !lookahead.peek(Ident) {
            return Err(lookahead.error());
        }
        let first: Ident = input.parse()?;
        let (name, kind) = if input.peek(Token![:]) && !input.peek(Token![::]) {
            input.parse::<Token![:]>()?;
            let kind: Ident = input.parse().map_err(|e| {
                syn::Error::new(e.span(), format!("expected a layer kind after `{first}:`"))
            })?;
            (Some(first), kind)
        } else {
            (None, first)
        };
        let (args, parens) = if input.peek(syn::token::Paren) {
            let content;
            let paren = parenthesized!(content in input);
            let args = Punctuated::<Arg, Token![,]>::parse_terminated(&content)?;
            (args.into_iter().collect(), Some(paren.span.join()))
        } else {
            (Vec::new(), None)
        };
        Ok(LayerDef {
            name,
            kind,
            args,
            parens,
        })
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            let value: Expr = input.parse()?;
            Ok(Arg {
                key: Some(key),
                value,
            })
        } else {
            Ok(Arg {
                key: None,
                value: input.parse()?,
            })
        }
    }
}
