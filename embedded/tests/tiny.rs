//! The tiny MNIST classifier in f32 (`TinyMnist`: three strided convolutions
//! and a dense layer, 10,806 parameters, 43 KB in flash used in place),
//! trained one epoch by `build.rs` on the repository's slice, on the first 32
//! test images carried in the binary: the predicted classes must equal the
//! host's, and the logits agree within a relative 1e-4 of max(1, |host|)
//! (host kernels use fused multiply-add and other summation orders; the
//! Cortex-M0 and rv32imc compute in soft float). Small enough for the M0:
//! its workspace (9.4 KB) and input are on the stack there.
#![no_std]
#![no_main]

use staticnet_embedded::{
    compare_classifier, entry, exit, expected, hprintln, TinyMnist, TinyMnistWorkspace,
};

staticnet_embedded::panic_semihosting!();
staticnet_embedded::hard_fault_exits!();

static NET: &TinyMnist =
    staticnet::include_weights!(TinyMnist, concat!(env!("OUT_DIR"), "/tiny.bin"));

#[entry]
fn main() -> ! {
    // In `.bss` where `singleton!` can be had; on the stack where it cannot
    // (no compare-and-swap: the M0, rv32imc).
    #[cfg(target_has_atomic = "ptr")]
    let Some(ws) = staticnet::singleton!(TinyMnistWorkspace) else {
        exit(1)
    };
    #[cfg(not(target_has_atomic = "ptr"))]
    let mut on_stack = TinyMnistWorkspace::ZEROED;
    #[cfg(not(target_has_atomic = "ptr"))]
    let ws = &mut on_stack;
    let c = compare_classifier(NET, ws, expected::TINY_IMAGES, &expected::TINY_LOGITS, 1e-4);
    let n = c.images;
    hprintln!(
        "tiny f32: {}/{n} classes as the host, {}/{n} logits within 1e-4, {}/{n} bit-identical \
         (worst relative difference {:e}); {}/{n} correct labels; stack high-water {} bytes",
        c.same_class,
        c.close,
        c.exact,
        c.worst,
        c.correct,
        c.stack
    );
    exit(if c.same_class == n && c.close == n {
        0
    } else {
        1
    })
}
