//! Code generation: the network struct (parameters), its cache and workspace
//! types, and the `Network` impl. One file per layer kind beside this one.

pub mod dense;
pub mod dropout;
mod elementwise;
pub mod flatten;
pub mod gelu;
pub mod leaky_relu;
pub mod relu;
pub mod sigmoid;
pub mod softmax;
pub mod tanh;

use crate::args::quoted_list;
use crate::ast::{LayerDef, NetDef};
use crate::layers::{self, Cx, Layer, Params};
use crate::shape::Shape;
use crate::validate;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

/// Path of the runtime crate as seen from the user's crate.
pub fn rt() -> TokenStream {
    quote!(::staticnet::__private::rt)
}

fn bytemuck() -> TokenStream {
    quote!(::staticnet::__private::bytemuck)
}

/// A layer with its name and shapes resolved.
pub struct Planned<'a> {
    pub def: &'a LayerDef,
    pub layer: Box<dyn Layer>,
    pub name: Ident,
    pub input: Shape,
    pub output: Shape,
    pub params: Option<Params>,
}

/// The macro's entry point: parse, shape, validate, expand.
pub fn network(tokens: TokenStream) -> TokenStream {
    let def: NetDef = match syn::parse2(tokens.clone()) {
        Ok(def) => def,
        Err(err) => return fallback(&tokens, err),
    };
    match plan(&def).and_then(|layers| generate(&def, &layers)) {
        Ok(out) => out,
        Err(err) => fallback(&tokens, err),
    }
}

/// On error: the errors plus a stub `struct Name;`, so that uses of the
/// network do not add a cascade of unrelated errors.
fn fallback(tokens: &TokenStream, err: syn::Error) -> TokenStream {
    let errors = err.to_compile_error();
    let stub = syn::parse::Parser::parse2(
        |input: syn::parse::ParseStream<'_>| {
            let _attrs = input.call(syn::Attribute::parse_outer)?;
            let vis: syn::Visibility = input.parse()?;
            input.parse::<syn::Token![struct]>()?;
            let ident: Ident = input.parse()?;
            input.parse::<TokenStream>()?;
            Ok(quote!(#vis struct #ident;))
        },
        tokens.clone(),
    )
    .unwrap_or_default();
    quote!(#errors #stub)
}

/// All errors as one, or `Ok` if there are none.
pub fn combine(errors: Vec<syn::Error>) -> syn::Result<()> {
    let mut iter = errors.into_iter();
    match iter.next() {
        None => Ok(()),
        Some(mut first) => {
            first.extend(iter);
            Err(first)
        }
    }
}

/// Builds every layer, names it and computes its shapes.
fn plan(def: &NetDef) -> syn::Result<Vec<Planned<'_>>> {
    let mut errors = Vec::new();
    let mut dims = Vec::new();
    for lit in &def.input.dims {
        match lit.base10_parse::<usize>() {
            Ok(d) => dims.push(d),
            Err(e) => errors.push(e),
        }
    }
    let mut built = Vec::new();
    for layer in &def.layers {
        let kind = layer.kind.to_string();
        match layers::lookup(&kind) {
            Some(ctor) => match ctor(layer) {
                Ok(l) => built.push((layer, l)),
                Err(e) => errors.push(e),
            },
            None => errors.push(unknown_kind(&layer.kind)),
        }
    }
    combine(errors)?;
    let mut shape =
        Shape::new(dims).map_err(|e| syn::Error::new(def.input.span, format!("input: {e}")))?;
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    let mut planned = Vec::new();
    for (def, layer) in built {
        let kind = layer.kind();
        let index = match counts.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => {
                *n += 1;
                *n - 1
            }
            None => {
                counts.push((kind, 1));
                0
            }
        };
        let name = def
            .name
            .clone()
            .unwrap_or_else(|| format_ident!("{}{}", kind, index));
        let output = layer
            .output_shape(&shape)
            .map_err(|e| syn::Error::new(def.kind.span(), format!("{kind}: {e}")))?;
        let params = layer.params(&shape, &output);
        planned.push(Planned {
            def,
            layer,
            name,
            input: shape,
            output: output.clone(),
            params,
        });
        shape = output;
    }
    validate::check(&planned)?;
    Ok(planned)
}

fn unknown_kind(kind: &Ident) -> syn::Error {
    let names: Vec<&str> = layers::KINDS.iter().map(|(k, _)| *k).collect();
    let given = kind.to_string();
    let close = names.iter().find(|n| edit_distance(n, &given) <= 2);
    let hint = match close {
        Some(n) => format!("; did you mean `{n}`?"),
        None => String::new(),
    };
    syn::Error::new(
        kind.span(),
        format!(
            "unknown layer `{given}`, expected one of {}{hint}",
            quoted_list(&names)
        ),
    )
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `[[f32; 28]; 28]` for `[28, 28]`.
fn array_type(shape: &Shape) -> TokenStream {
    shape
        .0
        .iter()
        .rev()
        .fold(quote!(f32), |inner, d| quote!([#inner; #d]))
}

/// A zero value of [`array_type`].
fn array_zero(shape: &Shape) -> TokenStream {
    shape
        .0
        .iter()
        .rev()
        .fold(quote!(0.0f32), |inner, d| quote!([#inner; #d]))
}

fn summary(def: &NetDef, layers: &[Planned<'_>]) -> String {
    let input = Shape(
        def.input
            .dims
            .iter()
            .map(|d| d.base10_parse().unwrap_or(0))
            .collect(),
    );
    let mut rows = vec![("input".to_string(), input.to_string(), 0usize)];
    for l in layers {
        let count = l.params.as_ref().map_or(0, |p| p.count);
        rows.push((
            format!("{} ({})", l.name, l.layer.kind()),
            l.output.to_string(),
            count,
        ));
    }
    let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(5);
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(12);
    let total: usize = rows.iter().map(|r| r.2).sum();
    let mut s = format!(
        "{:<w0$}  {:<w1$}  {:>10}\n",
        "layer", "output shape", "params"
    );
    s.push_str(&"-".repeat(w0 + w1 + 14));
    s.push('\n');
    for (name, shape, count) in &rows {
        s.push_str(&format!("{name:<w0$}  {shape:<w1$}  {count:>10}\n"));
    }
    s.push_str(&format!("total params: {total} ({} bytes)\n", total * 4));
    s
}

fn generate(def: &NetDef, layers: &[Planned<'_>]) -> syn::Result<TokenStream> {
    let rt = rt();
    let bm = bytemuck();
    let bm_crate = bm.to_string().replace(' ', "");
    let NetDef {
        attrs, vis, ident, ..
    } = def;
    let cache_ident = format_ident!("{}Cache", ident);
    let ws_ident = format_ident!("{}Workspace", ident);
    let n = layers.len();
    let in_shape = &layers[0].input;
    let out_shape = &layers[n - 1].output;
    let input_ty = array_type(in_shape);
    let output_ty = array_type(out_shape);
    let (input_len, output_len) = (in_shape.len(), out_shape.len());
    let widest = layers[..n - 1]
        .iter()
        .map(|l| l.output.len())
        .max()
        .unwrap_or(1);
    let total_params: usize = layers
        .iter()
        .filter_map(|l| l.params.as_ref())
        .map(|p| p.count)
        .sum();
    let summary = summary(def, layers);

    // The parameter struct.
    let mut fields = Vec::new();
    let mut zero_fields = Vec::new();
    for l in layers {
        if let Some(p) = &l.params {
            let (name, ty, zeroed) = (&l.name, &p.ty, &p.zeroed);
            let doc = format!("`{}` ({}): {}", name, l.layer.kind(), p.doc);
            fields.push(quote!(#[doc = #doc] pub #name: #ty,));
            zero_fields.push(quote!(#name: #zeroed,));
        }
    }

    // The cache: every layer's output, masks, gradient scratch, generator.
    let mut cache_fields = Vec::new();
    let mut cache_zero = Vec::new();
    for l in layers {
        let (name, ty, zero) = (&l.name, array_type(&l.output), array_zero(&l.output));
        let doc = format!(
            "`{}` ({}) output, {} per sample",
            name,
            l.layer.kind(),
            l.output
        );
        cache_fields.push(quote!(#[doc = #doc] pub #name: [#ty; B],));
        cache_zero.push(quote!(#name: [#zero; B],));
        if l.layer.needs_mask() {
            let mask = format_ident!("{}_mask", name);
            let doc = format!("`{}` mask (0 or 1/(1-p)), {} per sample", name, l.output);
            cache_fields.push(quote!(#[doc = #doc] pub #mask: [#ty; B],));
            cache_zero.push(quote!(#mask: [#zero; B],));
        }
    }

    // forward, one sample, ping-pong through the workspace.
    let mut fwd1 = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let (lin, lout) = (l.input.len(), l.output.len());
        let x = match i {
            0 => quote!(input),
            _ if i % 2 == 1 => quote!(&ws.a[..#lin]),
            _ => quote!(&ws.b[..#lin]),
        };
        let y = match i {
            _ if i == n - 1 => quote!(#rt::flat_mut(&mut ws.output)),
            _ if i % 2 == 0 => quote!(&mut ws.a[..#lout]),
            _ => quote!(&mut ws.b[..#lout]),
        };
        let cx = cx_for(l, quote!(1usize), x, y, None);
        fwd1.push(l.layer.forward(&cx));
    }

    // A layer's input in batch code: the network input or the previous output.
    let cached_input = |i: usize| match i.checked_sub(1) {
        None => quote!(input),
        Some(prev) => {
            let p = &layers[prev].name;
            quote!(#rt::flat(&cache.#p))
        }
    };

    // forward, a batch, into the cache.
    let mut fwdb = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let x = cached_input(i);
        let name = &l.name;
        let mut cx = cx_for(
            l,
            quote!(B),
            x,
            quote!(#rt::flat_mut(&mut cache.#name)),
            Some(quote!(mode)),
        );
        let mask = format_ident!("{}_mask", name);
        cx.mask = quote!(#rt::flat_mut(&mut cache.#mask));
        fwdb.push(l.layer.forward(&cx));
    }

    // backward, last layer first, gradients ping-ponging through grad_a/grad_b.
    let mut bwd = Vec::new();
    for (i, l) in layers.iter().enumerate().rev() {
        let x = cached_input(i);
        let name = &l.name;
        let mut cx = cx_for(
            l,
            quote!(B),
            x,
            quote!(#rt::flat(&cache.#name)),
            Some(quote!(mode)),
        );
        let buf = |k: usize| {
            if (n - 1 - k).is_multiple_of(2) {
                quote!(grad_a)
            } else {
                quote!(grad_b)
            }
        };
        cx.gy = if i == n - 1 {
            quote!(grad_output)
        } else {
            let b = buf(i + 1);
            let len = l.output.len();
            quote!(&#rt::flat(&cache.#b)[..B * #len])
        };
        cx.gx = if i == 0 {
            quote!(grad_input.take())
        } else {
            let b = buf(i);
            let len = l.input.len();
            quote!(Some(&mut #rt::flat_mut(&mut cache.#b)[..B * #len]))
        };
        let mask = format_ident!("{}_mask", name);
        cx.mask = quote!(#rt::flat(&cache.#mask));
        if let Some(_p) = &l.params {
            cx.grads = quote!(grads.#name);
        }
        bwd.push(l.layer.backward(&cx));
    }

    // init, in declaration order from one generator.
    let mut init = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        if let Some(p) = &l.params {
            let he = layers.get(i + 1).is_some_and(|next| next.layer.relu_like());
            let cx = cx_for(l, quote!(1usize), quote!(), quote!(), None);
            init.push((p.init)(&cx, he));
        }
    }

    let docs_cache = format!("Training cache of [`{ident}`] for batches of `B`: every layer's output, dropout masks, gradient scratch and the dropout generator.");
    let docs_ws = format!("Inference workspace of [`{ident}`]: two buffers of the widest layer ({widest} floats) and the output.");
    let zero_ws = array_zero(out_shape);
    let last = &layers[n - 1].name;
    Ok(quote! {
        #(#attrs)*
        #[repr(C)]
        #[derive(Clone, Copy, #bm::Pod, #bm::Zeroable)]
        #[bytemuck(crate = #bm_crate)]
        #vis struct #ident {
            #(#fields)*
        }

        #[doc = #docs_cache]
        #[derive(Clone, Copy, #bm::Zeroable)]
        #[bytemuck(crate = #bm_crate)]
        #vis struct #cache_ident<const B: usize> {
            #(#cache_fields)*
            /// Backward scratch (gradient ping-pong buffer).
            pub grad_a: [[f32; #widest]; B],
            /// Backward scratch (gradient ping-pong buffer).
            pub grad_b: [[f32; #widest]; B],
            /// Generator for dropout masks; seed it with `Rng::new(seed)`.
            pub rng: #rt::Rng,
        }

        impl<const B: usize> #cache_ident<B> {
            /// The zeroed cache, usable to initialise a `static`.
            pub const ZEROED: Self = Self {
                #(#cache_zero)*
                grad_a: [[0.0; #widest]; B],
                grad_b: [[0.0; #widest]; B],
                rng: #rt::Rng::new(0),
            };
        }

        #[doc = #docs_ws]
        #[derive(Clone, Copy, #bm::Zeroable)]
        #[bytemuck(crate = #bm_crate)]
        #vis struct #ws_ident {
            /// Ping-pong buffer.
            pub a: [f32; #widest],
            /// Ping-pong buffer.
            pub b: [f32; #widest],
            /// The last layer's output.
            pub output: #output_ty,
        }

        impl #ws_ident {
            /// The zeroed workspace, usable to initialise a `static`.
            pub const ZEROED: Self = Self { a: [0.0; #widest], b: [0.0; #widest], output: #zero_ws };
        }

        impl #rt::Network for #ident {
            const PARAMS: usize = #total_params;
            const INPUT_LEN: usize = #input_len;
            const OUTPUT_LEN: usize = #output_len;
            const SUMMARY: &'static str = #summary;
            const ZEROED: Self = Self { #(#zero_fields)* };
            type Input = #input_ty;
            type Output = #output_ty;
            type Workspace = #ws_ident;
            type Cache<const B: usize> = #cache_ident<B>;

            fn init(&mut self, seed: u64) {
                let mut rng = #rt::Rng::new(seed);
                #(#init)*
                let _ = &mut rng;
            }

            fn forward<'w>(&self, input: &#input_ty, ws: &'w mut #ws_ident) -> &'w #output_ty {
                let input: &[f32] = #rt::flat(input);
                #(#fwd1)*
                &ws.output
            }

            fn forward_batch<'c, const B: usize>(
                &self,
                input: &[#input_ty; B],
                cache: &'c mut #cache_ident<B>,
                mode: #rt::Mode,
            ) -> &'c [#output_ty; B] {
                let input: &[f32] = #rt::flat(input);
                let _ = mode;
                #(#fwdb)*
                &cache.#last
            }

            fn backward<const B: usize>(
                &self,
                input: &[#input_ty; B],
                cache: &mut #cache_ident<B>,
                grad_output: &[#output_ty; B],
                grads: &mut Self,
                grad_input: ::core::option::Option<&mut [#input_ty; B]>,
            ) {
                let input: &[f32] = #rt::flat(input);
                let grad_output: &[f32] = #rt::flat(grad_output);
                let mut grad_input = grad_input.map(|g| #rt::flat_mut(g));
                let _ = (&grads, &mut grad_input);
                #(#bwd)*
            }
        }
    })
}

/// A context with the common expressions filled in.
fn cx_for(
    l: &Planned<'_>,
    batch: TokenStream,
    x: TokenStream,
    y: TokenStream,
    mode: Option<TokenStream>,
) -> Cx {
    let rt = rt();
    let name = &l.name;
    Cx {
        rng: quote!(&mut cache.rng),
        rt,
        input: l.input.clone(),
        output: l.output.clone(),
        batch,
        params: quote!(self.#name),
        grads: quote!(grads.#name),
        x,
        y,
        gy: quote!(),
        gx: quote!(),
        mask: quote!(),
        mode,
    }
}
