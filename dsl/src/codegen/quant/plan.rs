//! The int8 network's operations: each layer's [`Quant`] with the fusions
//! TFLite's converter makes (a batch norm folded into the dense or
//! convolution layer before it, a ReLU/ReLU6 after it into its clamp), and
//! which tensor's calibrated range each activation uses.

use super::super::Net;
use crate::layers::{Quant, Residual};
use proc_macro2::TokenStream;

/// One operation of the int8 forward pass; `i` is a layer index, and
/// tensor `t` is the network input (`t = 0`) or layer `t - 1`'s output.
pub enum Op {
    /// A weighted layer `i`; its batch norm (`bn`) and clamp fused; writes
    /// tensor `out`.
    Weighted {
        i: usize,
        bn: Option<usize>,
        rows: usize,
        cols: usize,
        bias: bool,
        scratch: TokenStream,
        forward: TokenStream,
        out: usize,
        /// Bits per weight: 8, or 4 and 2 packed.
        bits: u8,
    },
    /// A clamp on its own at layer `i`.
    Clamp { i: usize },
    /// Leaky ReLU at layer `i`.
    Leaky { i: usize, alpha: f32 },
    /// Code at the input's scale (pooling) at layer `i`.
    Same { i: usize, forward: TokenStream },
    /// A residual block's start at layer `i`: keeps its input.
    Begin { i: usize },
    /// A residual block's end at layer `i`, adding `begin`'s input.
    End { i: usize, begin: usize },
}

/// The planned int8 network.
pub struct QPlan {
    pub ops: Vec<Op>,
    /// For each tensor, the tensor whose calibrated range it uses.
    pub range_of: Vec<usize>,
    /// For each tensor, the real clamp of the values written into it.
    pub clamp: Vec<Option<(f32, Option<f32>)>>,
}

impl QPlan {
    /// The tensors the int8 network stores: each operation's output.
    pub fn stored(&self) -> Vec<usize> {
        self.ops
            .iter()
            .filter_map(|op| match op {
                Op::Weighted { out, .. } => Some(*out),
                Op::Clamp { i } | Op::Leaky { i, .. } | Op::Same { i, .. } | Op::End { i, .. } => {
                    Some(i + 1)
                }
                Op::Begin { .. } => None,
            })
            .collect()
    }
}

pub fn plan(net: &Net<'_>) -> syn::Result<QPlan> {
    let layers = net.layers;
    let n = layers.len();
    let mut errors = Vec::new();
    let quant: Vec<Option<Quant>> = layers
        .iter()
        .map(|l| {
            let cx = net.cx(
                l,
                quote::quote!(1usize),
                TokenStream::new(),
                TokenStream::new(),
            );
            l.layer.quant(&cx)
        })
        .collect();
    for (l, q) in layers.iter().zip(&quant) {
        if let Some(Quant::Unsupported(why)) = q {
            errors.push(syn::Error::new(
                l.def.kind.span(),
                format!("`{}` ({}) {why}", l.name, l.kind),
            ));
        } else if q.is_none() {
            errors.push(syn::Error::new(
                l.def.kind.span(),
                format!(
                    "`{}` ({}) has no int8 kernel; `#[staticnet(quantize)]` takes dense, \
                     conv1d, conv2d, maxpool2d, avgpool2d, global_avgpool, relu, relu6, \
                     leaky_relu, batchnorm after dense or conv, flatten, dropout, residual, \
                     and softmax or log_softmax last",
                    l.name, l.kind
                ),
            ));
        }
    }
    crate::expand::combine(errors)?;
    let quant: Vec<Quant> = quant.into_iter().map(Option::unwrap).collect();
    let mut p = QPlan {
        ops: Vec::new(),
        range_of: (0..=n).collect(),
        clamp: vec![None; n + 1],
    };
    let mut i = 0;
    while i < n {
        let same = |p: &mut QPlan| p.range_of[i + 1] = p.range_of[i];
        match &quant[i] {
            Quant::Weighted {
                rows,
                cols,
                bias,
                scratch,
                forward,
                packed,
            } => {
                let bits = net.def.quantize.as_ref().map_or(8, |q| q.dense_bits);
                let (bits, forward) = match (bits, packed) {
                    (4, Some([four, _])) => (4, four),
                    (2, Some([_, two])) => (2, two),
                    _ => (8, forward),
                };
                let mut j = i;
                let mut bn = None;
                if let Some(Quant::Folded) = quant.get(j + 1) {
                    if !bias {
                        return Err(folding_error(net, j + 1));
                    }
                    j += 1;
                    bn = Some(j);
                }
                if let Some(Quant::Clamp { lo, hi }) = quant.get(j + 1) {
                    j += 1;
                    p.clamp[j + 1] = Some((*lo, *hi));
                }
                for t in i + 1..=j + 1 {
                    p.range_of[t] = j + 1;
                }
                p.ops.push(Op::Weighted {
                    i,
                    bn,
                    rows: *rows,
                    cols: *cols,
                    bias: *bias,
                    scratch: scratch.clone(),
                    forward: forward.clone(),
                    out: j + 1,
                    bits,
                });
                i = j + 1;
                continue;
            }
            Quant::Folded => return Err(folding_error(net, i)),
            Quant::Clamp { lo, hi } => {
                same(&mut p);
                p.clamp[i + 1] = Some((*lo, *hi));
                p.ops.push(Op::Clamp { i });
            }
            Quant::LeakyRelu { alpha } => {
                same(&mut p);
                p.ops.push(Op::Leaky { i, alpha: *alpha });
            }
            Quant::Same { forward } => {
                same(&mut p);
                p.ops.push(Op::Same {
                    i,
                    forward: forward.clone(),
                });
            }
            Quant::Identity | Quant::Dropped => same(&mut p),
            Quant::Unsupported(_) => unreachable!("reported above"),
            Quant::Residual => match layers[i].plan.residual {
                Some(Residual::Begin) => {
                    same(&mut p);
                    p.ops.push(Op::Begin { i });
                }
                _ => {
                    let partner = layers[i]
                        .partner
                        .as_ref()
                        .expect("residual halves are paired");
                    let begin = layers
                        .iter()
                        .position(|l| &l.name == partner)
                        .expect("the partner is a layer");
                    p.ops.push(Op::End { i, begin });
                }
            },
        }
        i += 1;
    }
    Ok(p)
}

fn folding_error(net: &Net<'_>, i: usize) -> syn::Error {
    let l = &net.layers[i];
    syn::Error::new(
        l.def.kind.span(),
        format!(
            "`{}` ({}): in the int8 network a batch norm is folded into the layer before it, \
             which must be a dense or conv layer with a bias",
            l.name, l.kind
        ),
    )
}
