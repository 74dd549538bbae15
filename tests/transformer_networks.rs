//! Transformers: residual blocks, layer norm, multi-head self-attention
//! (with and without a causal mask), learned positions, patches, mean
//! pooling; backward against finite differences, single-sample against
//! batch forward.

mod common;

use common::{check_gradients, check_param_gradients, random_batch, single_matches_batch};
use staticnet::{loss, Network};

staticnet::network! {
    /// A tiny Vision Transformer: 4 patches of 4x4, two pre-norm blocks.
    struct TinyVit {
        input: [1, 8, 8],
        patchify(4),
        dense(8),
        pos_embedding,
        residual { layernorm, multihead_attention(2) },
        residual { layernorm, dense(12), gelu, dense(8) },
        layernorm,
        mean_pool,
        dense(3),
    }
}

staticnet::network! {
    /// A causal character Transformer with nested residual blocks.
    struct TinyGpt {
        input: tokens[5],
        embedding(7, 6),
        pos_embedding,
        residual {
            residual { layernorm, multihead_attention(3, causal = true) },
            layernorm, dense(6), tanh,
        },
        dense(7),
    }
}

fn ce(out: &[f32], g: &mut [f32]) -> f32 {
    let labels: Vec<usize> = (0..out.len() / 3).map(|i| i % 3).collect();
    loss::softmax_cross_entropy(out, &labels, 3, g)
}

#[test]
fn vit_gradients_match_finite_differences() {
    let mut net = TinyVit::new_boxed(1);
    let mut x = random_batch::<TinyVit, 2>(11);
    check_gradients(&mut *net, &mut x, &|_| {}, &ce, 1e-3, 2e-2, 2e-3);
}

#[test]
fn causal_transformer_gradients_match_finite_differences() {
    let mut net = TinyGpt::new_boxed(2);
    let mut x: Box<[[f32; 5]; 2]> = bytemuck::zeroed_box();
    for (i, v) in staticnet::flat_mut(&mut *x).iter_mut().enumerate() {
        *v = ((i * 3 + 1) % 7) as f32;
    }
    let ce7 = |out: &[f32], g: &mut [f32]| {
        let labels: Vec<usize> = (0..out.len() / 7).map(|i| (i * 2) % 7).collect();
        loss::softmax_cross_entropy(out, &labels, 7, g)
    };
    check_param_gradients(&mut *net, &mut x, &ce7, 1e-3, 2e-2, 2e-3);
}

#[test]
fn causal_mask_hides_the_future() {
    // Changing the last token must not change earlier steps' outputs.
    let net = TinyGpt::new_boxed(3);
    let mut ws = TinyGpt::new_workspace();
    let a = *net.forward(&[1.0, 2.0, 3.0, 4.0, 5.0], &mut ws);
    let b = *net.forward(&[1.0, 2.0, 3.0, 4.0, 0.0], &mut ws);
    assert_eq!(a[..4], b[..4]);
    assert_ne!(a[4], b[4]);
}

#[test]
fn single_sample_forward_matches_batch() {
    single_matches_batch::<TinyVit, 3>(4);
    single_matches_batch::<TinyGpt, 2>(5);
}
