//! Shared code generation of `rnn.rs`, `lstm.rs` and `gru.rs`:
//! `<kind>(hidden, sequence = true)` on `[T, F]`, output `[T, hidden]` (every
//! step, as PyTorch) or `[hidden]` (the last step, `sequence = false`).
//! Parameters as PyTorch's one-layer module (`weight_ih_l0 [G*H, F]`,
//! `weight_hh_l0 [G*H, H]`, `bias_ih_l0`, `bias_hh_l0`); every step's state
//! in the cache for backpropagation through time; a per-step form for
//! streaming. Kernels in `runtime/src/kernels/recurrent.rs`.

use crate::layers::{Block, Cx, Layer, Plan, SavedTensor, Step, Tensor};
use crate::shape::{self, Shape, ShapeError};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// A recurrent layer; `cell` is the runtime cell type's path after
/// `kernels::` (`lstm::Lstm`), with its `GATES`, `STATE` and `SAVE`.
pub struct Recurrent {
    pub cell: TokenStream,
    pub gates: usize,
    pub state: usize,
    pub save: usize,
    pub hidden: usize,
    pub sequence: bool,
    /// Extra hyper-parameters for the fingerprint (`nonlinearity=relu`).
    pub config: String,
}

fn init(cx: &Cx, _he: bool) -> TokenStream {
    let (rt, p) = (&cx.rt, &cx.params);
    // PyTorch: every weight and bias U(-1/sqrt(H), 1/sqrt(H)).
    quote! {{
        let bound = 1.0 / #rt::math::sqrt(#p.weight_hh_l0[0].len() as f32);
        #rt::init::uniform_symmetric(#rt::flat_mut(&mut #p), bound, &mut rng);
    }}
}

impl Recurrent {
    fn geom(&self, rt: &TokenStream, input: &Shape) -> TokenStream {
        let (steps, features, hidden, sequence) =
            (input.0[0], input.0[1], self.hidden, self.sequence);
        quote!(#rt::kernels::recurrent::RecurrentGeom {
            steps: #steps, input: #features, hidden: #hidden, sequence: #sequence,
        })
    }

    fn weights(&self, cx: &Cx) -> TokenStream {
        let (rt, p) = (&cx.rt, &cx.params);
        quote!(#rt::kernels::recurrent::Weights {
            w_ih: #rt::flat(&#p.weight_ih_l0),
            w_hh: #rt::flat(&#p.weight_hh_l0),
            b_ih: Some(&#p.bias_ih_l0[..]),
            b_hh: Some(&#p.bias_hh_l0[..]),
        })
    }

    /// A cache buffer `<name>_<suffix>` as `&mut [f32]` (empty if unused).
    fn buf(&self, cx: &Cx, suffix: &str, used: bool) -> TokenStream {
        let rt = &cx.rt;
        match (&cx.saved_in, used) {
            (Some(name), true) => {
                let field = format_ident!("{}_{}", name, suffix);
                quote!(#rt::flat_mut(&mut cache.#field))
            }
            _ => quote!(&mut []),
        }
    }

    /// The kernel's `Buffers`: views of the layer's saved tensors.
    fn cache_views(&self, cx: &Cx) -> TokenStream {
        let rt = &cx.rt;
        let (xw, h, s, save) = (
            self.buf(cx, "xw", true),
            self.buf(cx, "h", true),
            self.buf(cx, "s", self.state > 0),
            self.buf(cx, "save", self.save > 0),
        );
        let (hbuf, gbuf) = (self.buf(cx, "hbuf", true), self.buf(cx, "gbuf", true));
        quote!(#rt::kernels::recurrent::Buffers { xw: #xw, h: #h, s: #s, save: #save, hbuf: #hbuf, gbuf: #gbuf })
    }

    fn params(&self, rt: &TokenStream, input: &Shape) -> Option<Block> {
        let (f, h) = (input.0[1], self.hidden);
        let gh = self.gates.checked_mul(h)?;
        let count = gh.checked_mul(f.checked_add(h)?.checked_add(2)?)?;
        Some(Block {
            ty: quote!(#rt::layers::Recurrent<#gh, #f, #h>),
            zeroed: quote!(#rt::layers::Recurrent::<#gh, #f, #h>::ZEROED),
            count,
            tensors: vec![
                Tensor::new("weight_ih_l0", &[gh, f]),
                Tensor::new("weight_hh_l0", &[gh, h]),
                Tensor::new("bias_ih_l0", &[gh]),
                Tensor::new("bias_hh_l0", &[gh]),
            ],
            init,
            foldable: false,
        })
    }
    fn saved(&self, input: &Shape) -> Vec<SavedTensor> {
        let (t, h) = (input.0[0], self.hidden);
        let gh = self.gates * h;
        let mut v = vec![
            ("xw", vec![t, gh]),
            ("h", vec![t + 1, h]),
            ("hbuf", vec![h]),
            ("gbuf", vec![gh]),
            ("dxw", vec![t, gh]),
            ("dhw", vec![t, gh]),
            ("dh", vec![h]),
        ];
        if self.state > 0 {
            v.push(("s", vec![t + 1, self.state * h]));
            v.push(("ds", vec![self.state * h]));
        }
        if self.save > 0 {
            v.push(("save", vec![t, self.save * h]));
        }
        v.into_iter()
            .map(|(suffix, dims)| SavedTensor::per_sample(suffix, dims))
            .collect()
    }

    /// The per-step form: the hidden state (and an LSTM's cell state).
    fn step(&self, rt: &TokenStream) -> Step {
        let mut state = vec![("h", self.hidden)];
        if self.state > 0 {
            state.push(("s", self.state * self.hidden));
        }
        let (g, s, c, h) = (self.gates, self.state, self.save, self.hidden);
        Step {
            state,
            scratch: Some(quote!(#rt::kernels::recurrent::step_scratch_len(#g, #s, #c, #h))),
        }
    }
}

impl Layer for Recurrent {
    fn plan(&self, rt: &TokenStream, input: &Shape) -> Result<Plan, ShapeError> {
        let output = shape::recurrent(input, self.hidden, self.sequence)?;
        let config = format!("sequence={}{}", self.sequence, self.config);
        let (geom, (g, s, c)) = (self.geom(rt, input), (self.gates, self.state, self.save));
        let mut plan = Plan::new(output, config);
        plan.params = self.params(rt, input);
        plan.saved = self.saved(input);
        plan.scratch = Some(quote!(#geom.infer_scratch_len(#g, #s, #c)));
        plan.sequence_out = Some(self.sequence);
        plan.step = Some(self.step(rt));
        Ok(plan)
    }
    fn step(&self, cx: &Cx) -> TokenStream {
        let (rt, cell, x, y, st) = (&cx.rt, &self.cell, &cx.x, &cx.y, &cx.state);
        let w = self.weights(cx);
        let h = format_ident!("{}_h", cx.name);
        let s = if self.state > 0 {
            let f = format_ident!("{}_s", cx.name);
            quote!(&mut #st.#f[..])
        } else {
            quote!(&mut [])
        };
        // The layer's input shape in `cx` is per step: rebuild the geometry.
        let (f, hid) = (cx.input.len(), self.hidden);
        let geom = quote!(#rt::kernels::recurrent::RecurrentGeom {
            steps: 1, input: #f, hidden: #hid, sequence: true,
        });
        let scratch = &cx.scratch;
        quote!(#rt::kernels::recurrent::recurrent_step::<#rt::kernels::#cell>(
            #x, #w, &mut #st.#h[..], #s, #y, #scratch, &#geom,
        );)
    }
    fn forward(&self, cx: &Cx) -> TokenStream {
        let (rt, cell, x, y, b) = (&cx.rt, &self.cell, &cx.x, &cx.y, &cx.batch);
        let (w, geom) = (self.weights(cx), self.geom(&cx.rt, &cx.input));
        if cx.saved_in.is_none() {
            let s = &cx.scratch;
            return quote!(#rt::kernels::recurrent::recurrent_infer::<#rt::kernels::#cell>(#x, #w, #y, #s, &#geom););
        }
        let bufs = self.cache_views(cx);
        quote!(#rt::kernels::recurrent::recurrent_forward::<#rt::kernels::#cell>(#x, #w, #y, #bufs, #b, &#geom);)
    }
    fn backward(&self, cx: &Cx) -> TokenStream {
        let (rt, cell, x, gy, gx, b, g) = (
            &cx.rt, &self.cell, &cx.x, &cx.gy, &cx.gx, &cx.batch, &cx.grads,
        );
        let (w, geom, bufs) = (
            self.weights(cx),
            self.geom(&cx.rt, &cx.input),
            self.cache_views(cx),
        );
        let (dxw, dhw, dh) = (
            self.buf(cx, "dxw", true),
            self.buf(cx, "dhw", true),
            self.buf(cx, "dh", true),
        );
        let ds = self.buf(cx, "ds", self.state > 0);
        quote! {
            #rt::kernels::recurrent::recurrent_backward::<#rt::kernels::#cell>(
                #x, #w, #gy,
                #rt::flat_mut(&mut #g.weight_ih_l0), #rt::flat_mut(&mut #g.weight_hh_l0),
                Some((&mut #g.bias_ih_l0[..], &mut #g.bias_hh_l0[..])),
                #gx, #bufs,
                #rt::kernels::recurrent::GradBuffers { dxw: #dxw, dhw: #dhw, dh: #dh, ds: #ds },
                #b, &#geom,
            );
        }
    }
}
