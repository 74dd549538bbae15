//! Code generation of a planned network, one file per generated item
//! (serde_derive's `de/`, `ser/` are the model): the parameter struct
//! (`params.rs`), the training cache (`cache.rs`), the inference workspace
//! (`workspace.rs`), the scratch sizes (`scratch.rs`), the streaming API
//! (`stream.rs`), `fold_batchnorm` (`fold.rs`), the budget checks
//! (`budget.rs`) and the `Network` impl (`network.rs`), whose methods and
//! constants come from `init.rs`, `forward.rs`, `backward.rs`, `update.rs`,
//! `summary.rs` and `arch.rs` (the weights manifest); with
//! `#[staticnet(quantize)]`, the int8 network (`quant/`). Layer kinds contribute
//! through the `Layer` trait only; this module knows none by name.

mod arch;
mod backward;
mod budget;
mod cache;
mod fold;
mod forward;
mod init;
mod network;
mod params;
mod quant;
mod scratch;
mod stream;
mod summary;
mod update;
mod workspace;

use crate::ast::NetDef;
use crate::facade::Facade;
use crate::layers::{Cx, InPlace};
use crate::plan::Planned;
use crate::shape::Shape;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// What every part reads: the declaration, its planned layers and the
/// paths of the runtime (`rt`) and of bytemuck (`bm`) as the user's crate
/// sees them.
pub struct Net<'a> {
    pub def: &'a NetDef,
    pub layers: &'a [Planned<'a>],
    pub rt: &'a TokenStream,
    pub bm: &'a TokenStream,
    /// With `#[staticnet(quantize)]`: the tensors (0 the input, `i + 1`
    /// layer `i`'s output) the int8 network stores, which quantisation-aware
    /// training fake-quantises in the batch forward pass.
    pub fake_quant: Option<Vec<usize>>,
}

/// Every generated item, in this order.
pub fn generate(def: &NetDef, layers: &[Planned<'_>], facade: &Facade) -> syn::Result<TokenStream> {
    let mut net = Net {
        def,
        layers,
        rt: &facade.rt,
        bm: &facade.bytemuck,
        fake_quant: None,
    };
    let qplan = match &def.quantize {
        Some(_) => {
            let p = quant::plan(&net)?;
            net.fake_quant = Some(p.stored());
            Some(p)
        }
        None => None,
    };
    let net = &net;
    let budget = budget::checks(def, net.rt);
    let stream = stream::items(net);
    let scratch = scratch::consts(net);
    let params = params::item(net);
    let cache = cache::item(net);
    let workspace = workspace::item(net);
    let fold = fold::item(net);
    let network = network::item(net);
    let quant = quant::items(net, qplan.as_ref());
    Ok(quote! {
        #budget
        #stream
        #scratch
        #params
        #cache
        #workspace
        #fold
        #network
        #quant
    })
}

impl Net<'_> {
    /// The per-sample input shape.
    fn input(&self) -> &Shape {
        &self.layers[0].input
    }

    /// The per-sample output shape.
    fn output(&self) -> &Shape {
        &self.layers[self.layers.len() - 1].plan.output
    }

    /// Floats of the widest layer output before the last: the ping-pong
    /// buffers' length.
    fn widest(&self) -> usize {
        let n = self.layers.len();
        self.layers[..n - 1]
            .iter()
            .map(|l| l.plan.output.len())
            .max()
            .unwrap_or(1)
    }

    fn cache_ident(&self) -> Ident {
        format_ident!("{}Cache", self.def.ident)
    }

    fn ws_ident(&self) -> Ident {
        format_ident!("{}Workspace", self.def.ident)
    }

    /// `#[derive(Clone, Copy, Zeroable)]` through the user's bytemuck path.
    fn derive_zeroable(&self) -> TokenStream {
        let bm = self.bm;
        let bm_crate = bm_crate(bm);
        quote! {
            #[derive(Clone, Copy, #bm::Zeroable)]
            #[bytemuck(crate = #bm_crate)]
        }
    }

    /// A context with the common expressions filled in.
    fn cx(&self, l: &Planned<'_>, batch: TokenStream, x: TokenStream, y: TokenStream) -> Cx {
        let name = &l.name;
        let stats = stats_field(name);
        Cx {
            rng: quote!(&mut cache.rng),
            rt: self.rt.clone(),
            input: l.input.clone(),
            output: l.plan.output.clone(),
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
            stats: quote!(self.#stats),
            mode: None,
            state: quote!(stream),
            name: name.clone(),
            partner: l.partner.clone(),
        }
    }
}

/// bytemuck's path as the string its derives' `crate = "..."` takes.
fn bm_crate(bm: &TokenStream) -> String {
    bm.to_string().replace(' ', "")
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

/// The network struct's field of a layer's statistics block.
fn stats_field(name: &Ident) -> Ident {
    format_ident!("{}_stats", name)
}

/// Ping-pong code through two buffers `<at>.a` and `<at>.b` and an output
/// `<at>.output`, one sample: layer `i`'s input and output slices of
/// `lin`/`lout` floats.
fn ping_pong(
    rt: &TokenStream,
    at: &Ident,
    i: usize,
    n: usize,
    (lin, lout): (usize, usize),
) -> (TokenStream, TokenStream) {
    let x = match i {
        0 => quote!(input),
        _ if !i.is_multiple_of(2) => quote!(&#at.a[..#lin]),
        _ => quote!(&#at.b[..#lin]),
    };
    let y = match i {
        _ if i == n - 1 => quote!(#rt::flat_mut(&mut #at.output)),
        _ if i.is_multiple_of(2) => quote!(&mut #at.a[..#lout]),
        _ => quote!(&mut #at.b[..#lout]),
    };
    (x, y)
}

/// A buffer of the single-sample forward.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Buf {
    Input,
    A,
    B,
    Output,
}

/// What the single-sample forward does for one layer.
#[derive(Clone, Copy)]
enum Io {
    /// Reads one buffer, writes another.
    Moves(Buf, Buf),
    /// As `Moves`, with the ReLU of the next layer fused in
    /// ([`Plan::fuses_relu`](crate::layers::Plan::fuses_relu)).
    MovesRelu(Buf, Buf),
    /// Runs over the buffer that holds its input ([`InPlace::Elementwise`]).
    InPlace(Buf),
    /// Nothing: its output is its input ([`InPlace::Identity`]).
    Nothing,
}

/// The single-sample forward's buffers: each layer's [`Io`], and the
/// floats `a` and `b` must hold. A layer that may run in place does so
/// unless it reads the network's input or writes its output.
fn inference_io(net: &Net<'_>) -> (Vec<Io>, usize, usize) {
    let n = net.layers.len();
    let (mut cur, mut a, mut b) = (Buf::Input, 1, 1);
    let mut io = Vec::with_capacity(n);
    for (i, l) in net.layers.iter().enumerate() {
        if i + 1 < n && cur != Buf::Input {
            match l.plan.in_place {
                // Written by the layer before (`MovesRelu`).
                Some(InPlace::Relu) if matches!(io.last(), Some(Io::MovesRelu(..))) => {
                    io.push(Io::Nothing);
                    continue;
                }
                Some(InPlace::Elementwise | InPlace::Relu) => {
                    io.push(Io::InPlace(cur));
                    continue;
                }
                Some(InPlace::Identity) => {
                    io.push(Io::Nothing);
                    continue;
                }
                None => {}
            }
        }
        let next = match (i + 1 == n, cur) {
            (true, _) => Buf::Output,
            (false, Buf::A) => Buf::B,
            (false, _) => Buf::A,
        };
        let len = l.plan.output.len();
        match next {
            Buf::A => a = a.max(len),
            Buf::B => b = b.max(len),
            _ => {}
        }
        // A ReLU next that would run in place (not the last layer) is fused.
        let relu_next = i + 2 < n && net.layers[i + 1].plan.in_place == Some(InPlace::Relu);
        io.push(if l.plan.fuses_relu && relu_next {
            Io::MovesRelu(cur, next)
        } else {
            Io::Moves(cur, next)
        });
        cur = next;
    }
    (io, a, b)
}

/// A buffer of the single-sample workspace `ws` as a slice of `len` floats.
fn buf_slice(rt: &TokenStream, buf: Buf, len: usize, mutable: bool) -> TokenStream {
    match (buf, mutable) {
        (Buf::Input, _) => quote!(input),
        (Buf::A, false) => quote!(&ws.a[..#len]),
        (Buf::B, false) => quote!(&ws.b[..#len]),
        (Buf::A, true) => quote!(&mut ws.a[..#len]),
        (Buf::B, true) => quote!(&mut ws.b[..#len]),
        (Buf::Output, _) => quote!(#rt::flat_mut(&mut ws.output)),
    }
}

impl Net<'_> {
    /// Layer `i`'s input in batch code: the network input or the previous
    /// layer's output in the cache.
    fn cached_input(&self, i: usize) -> TokenStream {
        let rt = self.rt;
        match i.checked_sub(1) {
            None => quote!(input),
            Some(prev) => {
                let p = &self.layers[prev].name;
                quote!(#rt::flat(&cache.#p))
            }
        }
    }
}
