//! Code generation of a planned network: the parameter struct, the cache and
//! workspace types, and the `Network` impl. Layer kinds contribute through
//! the `Layer` trait only.

use super::Planned;
use crate::ast::NetDef;
use crate::facade::Facade;
use crate::layers::{Cx, Params};
use crate::shape::Shape;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

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

fn stats_field(name: &Ident) -> Ident {
    format_ident!("{}_stats", name)
}

/// A context with the common expressions filled in.
fn cx_for(
    rt: &TokenStream,
    l: &Planned<'_>,
    batch: TokenStream,
    x: TokenStream,
    y: TokenStream,
) -> Cx {
    let name = &l.name;
    let stats = stats_field(name);
    Cx {
        rng: quote!(&mut cache.rng),
        rt: rt.clone(),
        input: l.input.clone(),
        output: l.output.clone(),
        batch,
        params: quote!(self.#name),
        grads: quote!(grads.#name),
        x,
        y,
        gy: TokenStream::new(),
        gx: TokenStream::new(),
        saved_in: None,
        saved_mut: false,
        scratch: quote!(&mut cache.scratch[..]),
        buffers: quote!(self.#stats),
        mode: None,
        state: quote!(stream),
        name: name.clone(),
    }
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
    let buffers: usize = layers
        .iter()
        .filter_map(|l| l.buffers.as_ref())
        .map(|b| b.count)
        .sum();
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
    if buffers > 0 {
        s.push_str(&format!("buffers: {buffers} ({} bytes)\n", buffers * 4));
    }
    s
}

/// One field of the network struct (parameters or buffers).
fn block_field(field: &Ident, kind: &str, p: &Params, what: &str) -> (TokenStream, TokenStream) {
    let (ty, zeroed) = (&p.ty, &p.zeroed);
    let doc = format!("`{field}` ({kind}) {what}: {}", p.doc());
    (
        quote!(#[doc = #doc] pub #field: #ty,),
        quote!(#field: #zeroed,),
    )
}

/// The `Network::ARCH` constant: input, layers, and tensors in memory order
/// (every parameter block, then every buffer block).
fn arch(rt: &TokenStream, in_shape: &Shape, layers: &[Planned<'_>]) -> TokenStream {
    let dims = |s: &[usize]| quote!(&[#(#s),*]);
    let input = dims(&in_shape.0);
    let infos = layers.iter().map(|l| {
        let (name, kind, config) = (l.name.to_string(), l.layer.kind(), l.layer.config());
        let output = dims(&l.output.0);
        quote!(#rt::weights::LayerInfo { name: #name, kind: #kind, config: #config, output: #output })
    });
    let mut tensors = Vec::new();
    let mut offset = 0usize;
    for trainable in [true, false] {
        for l in layers {
            let block = if trainable { &l.params } else { &l.buffers };
            for t in block.iter().flat_map(|b| &b.tensors) {
                let (layer, attr, shape) = (l.name.to_string(), t.name, dims(&t.shape));
                tensors.push(quote!(#rt::weights::TensorInfo {
                    layer: #layer, attr: #attr, shape: #shape, offset: #offset, trainable: #trainable,
                }));
                offset += t.shape.iter().product::<usize>();
            }
        }
    }
    quote!(#rt::weights::Arch { input: #input, layers: &[#(#infos),*], tensors: &[#(#tensors),*] })
}

/// A per-step shape: without the leading time dimension on a sequence
/// (`[1]` for a single token).
fn per_step(shape: &Shape, seq: bool) -> Shape {
    if !seq {
        return shape.clone();
    }
    match &shape.0[1..] {
        [] => Shape(vec![1]),
        rest => Shape(rest.to_vec()),
    }
}

/// The streaming API: `<Name>Stream` (state of every recurrent layer, step
/// buffers) and `<Name>::step`, if the input is a sequence and every layer
/// can run one step at a time; nothing otherwise.
fn stream(def: &NetDef, layers: &[Planned<'_>], facade: &Facade) -> TokenStream {
    let rt = &facade.rt;
    let in_shape = &layers[0].input;
    if !(def.input.tokens || in_shape.rank() == 2) {
        return TokenStream::new();
    }
    let mut states = Vec::new();
    for l in layers {
        match l.layer.streams(&l.output) {
            Some(s) => states.push(s),
            None => return TokenStream::new(),
        }
    }
    let ident = &def.ident;
    let bm = &facade.bytemuck;
    let bm_crate = bm.to_string().replace(' ', "");
    let stream_ident = format_ident!("{}Stream", ident);
    let vis = &def.vis;
    let mut seq = true;
    let mut shapes = Vec::new();
    for l in layers {
        let out_seq = l.layer.sequence_out(seq);
        shapes.push((per_step(&l.input, seq), per_step(&l.output, out_seq)));
        seq = out_seq;
    }
    let n = layers.len();
    let widest = shapes[..n - 1]
        .iter()
        .map(|(_, o)| o.len())
        .max()
        .unwrap_or(1);
    let scratch_len = layers
        .iter()
        .zip(&shapes)
        .filter_map(|(l, (_, o))| l.layer.step_scratch(rt, o))
        .fold(
            quote!(0usize),
            |acc, e| quote!(#rt::kernels::max_len(#acc, #e)),
        );
    let (mut fields, mut zero) = (Vec::new(), Vec::new());
    for (l, st) in layers.iter().zip(&states) {
        for (suffix, len) in st {
            let f = format_ident!("{}_{}", l.name, suffix);
            let doc = format!("`{}` ({}) state `{suffix}`", l.name, l.layer.kind());
            fields.push(quote!(#[doc = #doc] pub #f: [f32; #len],));
            zero.push(quote!(#f: [0.0; #len],));
        }
    }
    let mut code = Vec::new();
    for (i, (l, (sin, sout))) in layers.iter().zip(&shapes).enumerate() {
        let (lin, lout) = (sin.len(), sout.len());
        let x = match i {
            0 => quote!(input),
            _ if i % 2 == 1 => quote!(&stream.a[..#lin]),
            _ => quote!(&stream.b[..#lin]),
        };
        let y = match i {
            _ if i == n - 1 => quote!(#rt::flat_mut(&mut stream.output)),
            _ if i % 2 == 0 => quote!(&mut stream.a[..#lout]),
            _ => quote!(&mut stream.b[..#lout]),
        };
        let mut cx = cx_for(rt, l, quote!(1usize), x, y);
        cx.input = sin.clone();
        cx.output = sout.clone();
        cx.scratch = quote!(&mut stream.scratch[..]);
        code.push(l.layer.step(&cx));
    }
    let (in_ty, out_ty) = (array_type(&shapes[0].0), array_type(&shapes[n - 1].1));
    let out_zero = array_zero(&shapes[n - 1].1);
    let doc = format!(
        "Streaming state of [`{ident}`]: what `{ident}::step` keeps between time steps \
         (every recurrent layer's hidden state), and its step buffers."
    );
    quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, #bm::Zeroable)]
        #[bytemuck(crate = #bm_crate)]
        #vis struct #stream_ident {
            #(#fields)*
            /// Ping-pong buffer.
            pub a: [f32; #widest],
            /// Ping-pong buffer.
            pub b: [f32; #widest],
            /// Kernel scratch of one step.
            pub scratch: [f32; #scratch_len],
            /// The last step's output.
            pub output: #out_ty,
        }

        impl #stream_ident {
            /// The initial state (all zeros), usable to initialise a `static`.
            pub const ZEROED: Self = Self {
                #(#zero)*
                a: [0.0; #widest],
                b: [0.0; #widest],
                scratch: [0.0; #scratch_len],
                output: #out_zero,
            };

            /// Back to the initial state, for a new sequence.
            pub fn reset(&mut self) {
                *self = Self::ZEROED;
            }
        }

        impl #ident {
            /// Inference on one time step: consumes `input` (one step of the
            /// sequence), updates `stream` and returns this step's output.
            /// Feeding a sequence step by step gives the outputs of
            /// `forward` on the whole sequence (its last row for a network
            /// that returns only the last step). No allocation.
            pub fn step<'s>(&self, input: &#in_ty, stream: &'s mut #stream_ident) -> &'s #out_ty {
                let input: &[f32] = #rt::flat(input);
                #(#code)*
                &stream.output
            }
        }
    }
}

pub fn generate(def: &NetDef, layers: &[Planned<'_>], facade: &Facade) -> syn::Result<TokenStream> {
    let (rt, bm) = (&facade.rt, &facade.bytemuck);
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
    let scratch_const = format_ident!("__{}_SCRATCH", ident);
    let train_scratch_const = format_ident!("__{}_TRAIN_SCRATCH", ident);
    let max_of = |lens: Vec<&TokenStream>| {
        lens.into_iter().fold(
            quote!(0usize),
            |acc, e| quote!(#rt::kernels::max_len(#acc, #e)),
        )
    };
    let scratch_len = max_of(layers.iter().filter_map(|l| l.scratch.as_ref()).collect());
    let train_scratch_len = max_of(
        layers
            .iter()
            .filter_map(|l| l.train_scratch.as_ref())
            .collect(),
    );
    let scratch = quote!(#scratch_const);
    let train_scratch = quote!(#train_scratch_const);
    let count = |p: &Option<Params>| p.as_ref().map_or(0, |p| p.count);
    let total_params: usize = layers.iter().map(|l| count(&l.params)).sum();
    let total_buffers: usize = layers.iter().map(|l| count(&l.buffers)).sum();
    let summary = summary(def, layers);
    let arch = arch(rt, in_shape, layers);

    // The network struct: every parameter block, then every buffer block.
    let (mut fields, mut zero_fields) = (Vec::new(), Vec::new());
    for l in layers {
        if let Some(p) = &l.params {
            let (f, z) = block_field(&l.name, l.layer.kind(), p, "parameters");
            fields.push(f);
            zero_fields.push(z);
        }
    }
    for l in layers {
        if let Some(b) = &l.buffers {
            let (f, z) = block_field(&stats_field(&l.name), l.layer.kind(), b, "buffers");
            fields.push(f);
            zero_fields.push(z);
        }
    }

    // The cache: every layer's output and saved tensors.
    let (mut cache_fields, mut cache_zero) = (Vec::new(), Vec::new());
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
        for s in &l.saved {
            let field = format_ident!("{}_{}", name, s.suffix);
            let (ty, zero) = (array_type(&s.shape), array_zero(&s.shape));
            let doc = format!(
                "`{}` ({}) saved `{}`, {}",
                name,
                l.layer.kind(),
                s.suffix,
                s.shape
            );
            if s.per_sample {
                cache_fields.push(quote!(#[doc = #doc] pub #field: [#ty; B],));
                cache_zero.push(quote!(#field: [#zero; B],));
            } else {
                cache_fields.push(quote!(#[doc = #doc] pub #field: #ty,));
                cache_zero.push(quote!(#field: #zero,));
            }
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
        let mut cx = cx_for(rt, l, quote!(1usize), x, y);
        cx.scratch = quote!(&mut ws.scratch[..]);
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
        let name = &l.name;
        let mut cx = cx_for(
            rt,
            l,
            quote!(B),
            cached_input(i),
            quote!(#rt::flat_mut(&mut cache.#name)),
        );
        cx.mode = Some(quote!(mode));
        cx.saved_in = Some(name.clone());
        cx.saved_mut = true;
        fwdb.push(l.layer.forward(&cx));
    }

    // backward, last layer first, gradients ping-ponging through grad_a/grad_b.
    let buf = |k: usize| {
        if (n - 1 - k).is_multiple_of(2) {
            quote!(grad_a)
        } else {
            quote!(grad_b)
        }
    };
    let (mut bwd, mut bwd_sgd) = (Vec::new(), Vec::new());
    for (i, l) in layers.iter().enumerate().rev() {
        let name = &l.name;
        let mut cx = cx_for(
            rt,
            l,
            quote!(B),
            cached_input(i),
            quote!(#rt::flat(&cache.#name)),
        );
        cx.mode = Some(quote!(#rt::Mode::Train));
        cx.saved_in = Some(name.clone());
        cx.gy = if i == n - 1 {
            quote!(grad_output)
        } else {
            let (b, len) = (buf(i + 1), l.output.len());
            quote!(&#rt::flat(&cache.#b)[..B * #len])
        };
        cx.gx = if i == 0 {
            quote!(grad_input.take())
        } else {
            let (b, len) = (buf(i), l.input.len());
            quote!(Some(&mut #rt::flat_mut(&mut cache.#b)[..B * #len]))
        };
        let backward = l.layer.backward(&cx);
        // The fused-SGD variant: no later (earlier-declared) layer reads this
        // one's parameters, so it can step them as soon as its gradients are
        // known.
        bwd_sgd.push(l.layer.backward_sgd(&cx).unwrap_or_else(|| {
            let (p, g) = (&cx.params, &cx.grads);
            let step = l
                .params
                .as_ref()
                .map(|_| quote!(#rt::optim::sgd_step(#rt::flat_mut(&mut #p), #rt::flat(&#g), lr);));
            quote!(#backward #step)
        }));
        bwd.push(backward);
    }

    // init, in declaration order from one generator; buffers after.
    let mut init = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let he = layers.get(i + 1).is_some_and(|next| next.layer.relu_like());
        let cx = cx_for(rt, l, quote!(1usize), quote!(), quote!());
        if let Some(p) = &l.params {
            init.push((p.init)(&cx, he));
        }
        if let Some(b) = &l.buffers {
            let mut cx = cx;
            cx.params = cx.buffers.clone();
            init.push((b.init)(&cx, he));
        }
    }

    // update_buffers.
    let mut update = Vec::new();
    for l in layers.iter().filter(|l| l.buffers.is_some()) {
        let mut cx = cx_for(rt, l, quote!(B), quote!(), quote!());
        cx.saved_in = Some(l.name.clone());
        update.push(l.layer.update_buffers(&cx));
    }

    let docs_cache = format!(
        "Training cache of [`{ident}`] for batches of `B`: every layer's output, saved \
         tensors, kernel scratch, gradient scratch and the dropout generator."
    );
    let docs_ws = format!(
        "Inference workspace of [`{ident}`]: two buffers of the widest layer ({widest} floats), \
         kernel scratch and the output."
    );
    let zero_ws = array_zero(out_shape);
    let last = &layers[n - 1].name;
    // fold_batchnorm.
    let mut fold = Vec::new();
    for (i, l) in layers.iter().enumerate().skip(1) {
        let prev = &layers[i - 1];
        if prev.params.as_ref().is_some_and(|p| p.foldable) {
            let cx = cx_for(rt, l, quote!(1usize), quote!(), quote!());
            let prev_params = cx_for(rt, prev, quote!(1usize), quote!(), quote!()).params;
            fold.extend(l.layer.fold_into_previous(&cx, &prev_params));
        }
    }

    let budget = super::budget::checks(def, rt);
    let (mut ws_fields, mut ws_zero) = (Vec::new(), Vec::new());
    for l in layers {
        if let Some(len) = l.layer.workspace(&l.input) {
            let f = format_ident!("{}_skip", l.name);
            let doc = format!(
                "`{}` ({}) input, kept for the skip connection",
                l.name,
                l.layer.kind()
            );
            ws_fields.push(quote!(#[doc = #doc] pub #f: [f32; #len],));
            ws_zero.push(quote!(#f: [0.0; #len],));
        }
    }
    let stream = stream(def, layers, facade);

    Ok(quote! {
        #budget
        #stream

        /// `f32`s of kernel scratch the layers of the network need (the largest).
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        const #scratch_const: usize = #scratch_len;
        /// `f32`s of kernel scratch the layers need in training (the largest).
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        const #train_scratch_const: usize = #train_scratch_len;

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
            /// Kernel scratch shared by the layers (convolution columns).
            pub scratch: [f32; #train_scratch],
            /// Generator for dropout masks; seed it with `Rng::new(seed)`.
            pub rng: #rt::Rng,
        }

        impl<const B: usize> #cache_ident<B> {
            /// The zeroed cache, usable to initialise a `static`.
            pub const ZEROED: Self = Self {
                #(#cache_zero)*
                grad_a: [[0.0; #widest]; B],
                grad_b: [[0.0; #widest]; B],
                scratch: [0.0; #train_scratch],
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
            /// Kernel scratch shared by the layers.
            pub scratch: [f32; #scratch],
            #(#ws_fields)*
            /// The last layer's output.
            pub output: #output_ty,
        }

        impl #ws_ident {
            /// The zeroed workspace, usable to initialise a `static`.
            pub const ZEROED: Self = Self {
                a: [0.0; #widest],
                b: [0.0; #widest],
                scratch: [0.0; #scratch],
                #(#ws_zero)*
                output: #zero_ws,
            };
        }

        impl #ident {
            /// Folds every batch norm that follows a layer with weight and
            /// bias into that layer, using the running statistics, and makes
            /// the batch norm the identity: the same inference outputs (up to
            /// rounding) with one affine map less. For inference only: training
            /// afterwards would train a different network.
            pub fn fold_batchnorm(&mut self) {
                #(#fold)*
            }
        }

        impl #rt::Network for #ident {
            const PARAMS: usize = #total_params;
            const BUFFERS: usize = #total_buffers;
            const INPUT_LEN: usize = #input_len;
            const OUTPUT_LEN: usize = #output_len;
            const SUMMARY: &'static str = #summary;
            const ARCH: #rt::weights::Arch = #arch;
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

            fn cached_output<const B: usize>(cache: &#cache_ident<B>) -> &[#output_ty; B] {
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

            fn backward_sgd<const B: usize>(
                &mut self,
                input: &[#input_ty; B],
                cache: &mut #cache_ident<B>,
                grad_output: &[#output_ty; B],
                grads: &mut Self,
                lr: f32,
            ) {
                let input: &[f32] = #rt::flat(input);
                let grad_output: &[f32] = #rt::flat(grad_output);
                let mut grad_input: ::core::option::Option<&mut [f32]> = ::core::option::Option::None;
                let _ = (&grads, &mut grad_input, lr);
                #(#bwd_sgd)*
            }

            fn update_buffers<const B: usize>(&mut self, cache: &#cache_ident<B>) {
                let _ = cache;
                #(#update)*
            }
        }
    })
}
