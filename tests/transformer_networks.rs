//! Transformers: the causal mask hides the future. (Gradients of the tiny
//! ViT and GPT against finite differences, single-sample against batch,
//! allocation and weights checks are rows of `tests/layers.rs`.)

mod zoo;

use staticnet::Network;
use zoo::TinyGpt;

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
