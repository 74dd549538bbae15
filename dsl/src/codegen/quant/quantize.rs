//! From a float network to its int8 form: `<Name>::observe` (calibration
//! over batches), `<Name>Q::quantize` (ranges, folding, weights), the
//! float boundary helpers (`quantize_input`, `dequantize_output`), and the
//! file traits (`Quantized`, `Embedded`).

use super::super::{array_type, Net};
use super::plan::{Op, QPlan};
use super::types::q_ident;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// `impl <Name> { observe }`.
pub fn observe(net: &Net<'_>, p: &QPlan) -> TokenStream {
    let (rt, ident) = (net.rt, &net.def.ident);
    let fq_weights = p.ops.iter().filter_map(|op| match op {
        Op::Weighted { i, rows, bits, .. } => {
            let name = &net.layers[*i].name;
            let most = u32::from(*bits);
            Some(quote!(#rt::quant::qat::fake_quantize_weights(#rt::flat_mut(&mut self.#name.weight), #rows, bits.min(#most));))
        }
        _ => None,
    });
    let cache = net.cache_ident();
    let t = net.layers.len() + 1;
    let input_ty = array_type(net.input());
    let feeds = net.layers.iter().enumerate().map(|(k, l)| {
        let (name, t) = (&l.name, k + 1);
        quote!(calib.observe(#t, #rt::flat(&cache.#name));)
    });
    quote! {
        impl #ident {
            /// Calibration: runs a batch through the network in inference
            /// mode and records the range of its input and of every layer's
            /// output in `calib` (see `Calibration::passes`).
            pub fn observe<const B: usize>(
                &self,
                input: &[#input_ty; B],
                cache: &mut #cache<B>,
                calib: &mut #rt::quant::calib::Calibration<#t>,
            ) {
                <Self as #rt::Network>::forward_batch(self, input, cache, #rt::Mode::Infer);
                calib.observe(0, #rt::flat(input));
                #(#feeds)*
            }
        }

        impl #ident {
            /// Rounds every dense and convolution weight to its per-channel
            /// symmetric `bits`-bit grid (`2..=8`; at most the layer's own
            /// bits in the int8 network, `dense_bits`), in place: the forward
            /// weights of quantisation-aware training (`Trainer::qat`). A
            /// batch norm after a layer is folded only when quantising, so
            /// its layer's weights are rounded before the fold here.
            pub fn fake_quantize_weights(&mut self, bits: u32) {
                #(#fq_weights)*
            }
        }

        impl #rt::quant::qat::Qat<#t> for #ident {
            fn fake_quantize_weights(&mut self, bits: u32) {
                #ident::fake_quantize_weights(self, bits)
            }
            fn ranges<const B: usize>(cache: &mut #cache<B>) -> &mut #rt::quant::qat::Ranges<#t> {
                &mut cache.fq
            }
        }

        impl #rt::quant::calib::Observe<#t> for #ident {
            fn observe<const B: usize>(
                &self,
                input: &[#input_ty; B],
                cache: &mut #cache<B>,
                calib: &mut #rt::quant::calib::Calibration<#t>,
            ) {
                #ident::observe(self, input, cache, calib)
            }
        }
    }
}

/// The methods and trait impls of `<Name>Q` besides `forward`.
pub fn items(net: &Net<'_>, p: &QPlan, forward: TokenStream) -> TokenStream {
    let (rt, ident) = (net.rt, &net.def.ident);
    let q = q_ident(net);
    let t = net.layers.len() + 1;
    let names: Vec<String> = std::iter::once("input".to_string())
        .chain(net.layers.iter().map(|l| l.name.to_string()))
        .collect();
    let range_of = &p.range_of;
    let clamps = p.clamp.iter().enumerate().filter_map(|(t, c)| {
        let (lo, hi) = (*c)?;
        let hi = match hi {
            Some(h) => quote!(Some(#h)),
            None => quote!(None),
        };
        Some(quote!(self.clamp[#t] = #rt::quant::clamp_range(self.scale[#t], self.zero[#t], #lo, #hi);))
    });
    let mut prepare = Vec::new();
    let mut validate = Vec::new();
    let mut layout = String::from("int8 v1");
    for op in &p.ops {
        match op {
            Op::Weighted {
                i,
                bn,
                rows,
                cols,
                bias,
                out,
                bits,
                ..
            } => {
                let l = &net.layers[*i];
                let (name, name_s) = (&l.name, l.name.to_string());
                let w = format_ident!("{}_weight", name);
                let src = match bn {
                    None => quote!(let src = &net.#name;),
                    Some(b) => {
                        let bl = &net.layers[*b];
                        let mut cx = net.cx(bl, quote!(1usize), quote!(), quote!());
                        let (bname, bstats) = (&bl.name, format_ident!("{}_stats", bl.name));
                        cx.params = quote!(bn);
                        cx.stats = quote!(bn_stats);
                        let fold = bl
                            .layer
                            .fold_into_previous(&cx, &quote!(folded))
                            .expect("a folded layer folds");
                        quote! {
                            let mut folded = net.#name;
                            let (mut bn, mut bn_stats) = (net.#bname, net.#bstats);
                            #fold
                            let _ = (&mut bn, &mut bn_stats);
                            let src = &folded;
                        }
                    }
                };
                let bias_arg = if *bias {
                    quote!(Some(&src.bias))
                } else {
                    quote!(None)
                };
                let t_in = *i;
                let prep = match bits {
                    4 => quote!(prepare_packed::<4>),
                    2 => quote!(prepare_packed::<2>),
                    _ => quote!(prepare),
                };
                prepare.push(quote! {{
                    #src
                    self.#name.#prep(
                        #rt::flat(&src.weight), #bias_arg,
                        (self.scale[#t_in], self.scale[#out]),
                        self.#w.as_flattened_mut(), #name_s,
                    )?;
                }});
                let b = u32::from(*bits);
                validate.push(if *bits == 8 {
                    quote!(self.#name.validate(self.#w.as_flattened(), #name_s)?;)
                } else {
                    quote!(self.#name.validate_packed(self.#w.as_flattened(), #cols, #b, #name_s)?;)
                });
                layout += &format!(
                    ";{name_s}: weighted {rows}x{cols} bits={bits} bias={bias} bn={} out={out}",
                    bn.is_some()
                );
            }
            Op::Leaky { i, alpha } => {
                let l = &net.layers[*i];
                let (f, name_s) = (format_ident!("{}_alpha", l.name), l.name.to_string());
                let alpha = f64::from(*alpha);
                prepare.push(quote! {{
                    let m = #rt::quant::Multiplier::new(#alpha);
                    self.#f = [m.m, m.shift];
                }});
                validate.push(quote! {
                    if !#rt::quant::file::valid_multiplier(self.#f[0], self.#f[1]) {
                        return Err(#rt::weights::LoadError::Invalid { layer: #name_s, what: "a multiplier outside Q31 form" });
                    }
                });
                layout += &format!(";{name_s}: leaky");
            }
            Op::End { i, begin } => {
                let l = &net.layers[*i];
                let (f, name_s) = (format_ident!("{}_add", l.name), l.name.to_string());
                let (skip, x, y) = (*begin, *i, *i + 1);
                prepare.push(quote! {
                    self.#f = #rt::quant::add::AddParams::new(
                        (self.scale[#skip], self.zero[#skip]),
                        (self.scale[#x], self.zero[#x]),
                        (self.scale[#y], self.zero[#y]),
                    ).to_array();
                });
                validate.push(quote! {
                    let a = &self.#f;
                    if !(#rt::quant::file::valid_multiplier(a[0], a[1])
                        && #rt::quant::file::valid_multiplier(a[2], a[3])
                        && #rt::quant::file::valid_multiplier(a[4], a[5])
                        && a[6] == self.zero[#skip] && a[7] == self.zero[#x])
                    {
                        return Err(#rt::weights::LoadError::Invalid { layer: #name_s, what: "a sum's multipliers or zero points" });
                    }
                });
                layout += &format!(";{name_s}: add");
            }
            Op::Clamp { i } | Op::Same { i, .. } | Op::Begin { i } => {
                layout += &format!(";{}", net.layers[*i].name);
            }
        }
    }
    let input_ty = array_type(net.input());
    let (in_len, out_len) = (net.input().len(), net.output().len());
    let summary = summary(net, p);
    quote! {
        impl #q {
            /// The activation tensors: the input, then each layer's output.
            pub const TENSORS: [&'static str; #t] = [#(#names),*];
            /// For each tensor, the tensor whose calibrated range it uses
            /// (a fused layer's output is its group's; pooling and
            /// activations keep their input's).
            pub const RANGE_OF: [usize; #t] = [#(#range_of),*];
            /// The layers, their int8 form and sizes.
            pub const SUMMARY: &'static str = #summary;

            /// An empty calibration for this network: pass it to
            /// `observe` over the calibration set, `passes()` times.
            pub const fn calibration(method: #rt::quant::calib::Range) -> #rt::quant::calib::Calibration<#t> {
                #rt::quant::calib::Calibration::new(method)
            }

            /// Quantises `net` with the ranges of `calib` (TFLite's int8
            /// scheme): batch norms folded, weights symmetric per output
            /// channel, activations asymmetric per tensor.
            pub fn quantize(
                net: &#ident,
                calib: &#rt::quant::calib::Calibration<#t>,
            ) -> ::core::result::Result<Self, #rt::quant::QuantError> {
                let mut q = Self::ZEROED;
                q.quantize_from(net, calib)?;
                Ok(q)
            }

            /// [`Self::quantize`] in place (for a network in a `static` or a `Box`).
            pub fn quantize_from(
                &mut self,
                net: &#ident,
                calib: &#rt::quant::calib::Calibration<#t>,
            ) -> ::core::result::Result<(), #rt::quant::QuantError> {
                for t in 0..#t {
                    let r = Self::RANGE_OF[t];
                    let (s, z) = calib.params(r, Self::TENSORS[r])?;
                    self.scale[t] = s;
                    self.zero[t] = z;
                    self.clamp[t] = [-128, 127];
                }
                #(#clamps)*
                #(#prepare)*
                Ok(())
            }

            /// A float input in the input's scale and zero point (rounded,
            /// saturated). Floats here are at the boundary, not on the
            /// integer path; a sensor's raw integers can be fed directly.
            pub fn quantize_input(&self, x: &#input_ty, out: &mut [i8; #in_len]) {
                let (s, z) = (self.scale[0], self.zero[0]);
                for (q, &v) in out.iter_mut().zip(#rt::flat(x)) {
                    *q = ((#rt::math::round(v / s) as i32).saturating_add(z)).clamp(-128, 127) as i8;
                }
            }

            /// The activation ranges of quantisation-aware training: this
            /// network's scales, zero points and clamps (`Trainer::qat`).
            pub fn qat_ranges(&self) -> #rt::quant::qat::Ranges<#t> {
                #rt::quant::qat::Ranges { on: 1, scale: self.scale, zero: self.zero, clamp: self.clamp }
            }

            /// The real values of an output.
            pub fn dequantize_output(&self, y: &[i8; #out_len]) -> [f32; #out_len] {
                let (s, z) = (self.scale[#t - 1], self.zero[#t - 1]);
                ::core::array::from_fn(|i| s * (i32::from(y[i]) - z) as f32)
            }

            #forward
        }

        impl #rt::quant::file::Quantized for #q {
            const FINGERPRINT: u64 = #rt::quant::file::fingerprint(
                <#ident as #rt::Network>::ARCH.fingerprint(), #layout,
            );
            fn validate(&self) -> ::core::result::Result<(), #rt::weights::LoadError> {
                #rt::quant::file::validate_table(&self.scale, &self.zero, &self.clamp)?;
                #(#validate)*
                Ok(())
            }
        }

        impl #rt::weights::Embedded for #q {
            const LAYOUT: #rt::weights::Layout = #rt::weights::Layout::Int8 {
                fingerprint: <Self as #rt::quant::file::Quantized>::FINGERPRINT,
            };
        }
    }
}

fn summary(net: &Net<'_>, p: &QPlan) -> String {
    let mut s = format!("{:<24} {:<34} {:>10}\n", "layer", "int8", "bytes");
    for op in &p.ops {
        let (i, what, bytes) = match op {
            Op::Weighted {
                i,
                rows,
                cols,
                bn,
                out,
                bits,
                ..
            } => {
                let mut fused: Vec<String> = Vec::new();
                if let Some(b) = bn {
                    fused.push(net.layers[*b].name.to_string());
                }
                if *out > bn.unwrap_or(*i) + 1 {
                    fused.push(net.layers[*out - 1].name.to_string());
                }
                let f = if fused.is_empty() {
                    String::new()
                } else {
                    format!(" + {}", fused.join(" + "))
                };
                let bytes = super::types::weight_type(*bits, *cols).1;
                let w = if *bits == 8 {
                    String::new()
                } else {
                    format!(" {bits}-bit")
                };
                (
                    *i,
                    format!("weights{w} {rows}x{cols}{f}"),
                    rows * bytes + rows * 20,
                )
            }
            Op::Clamp { i } => (*i, "clamp".into(), 0),
            Op::Leaky { i, .. } => (*i, "leaky relu".into(), 8),
            Op::Same { i, .. } => (*i, "same scale".into(), 0),
            Op::Begin { i } => (*i, "keep input".into(), 0),
            Op::End { i, .. } => (*i, "add".into(), 32),
        };
        let l = &net.layers[i];
        s += &format!(
            "{:<24} {:<34} {:>10}\n",
            format!("{} ({})", l.name, l.kind),
            what,
            bytes
        );
    }
    s
}
