//! The 784-128-10 MNIST classifier with trained weights in flash (401 KB,
//! used in place) on the first 32 test images carried in the binary: the
//! predicted classes must equal the host's, and the logits agree within a
//! relative 1e-4 of max(1, |host|) (host kernels use fused multiply-add and
//! another summation order over 784 inputs).
#![no_std]
#![no_main]

use staticnet_embedded::{compare_classifier, entry, exit, expected, hprintln, Mlp, MlpWorkspace};

staticnet_embedded::panic_semihosting!();
staticnet_embedded::hard_fault_exits!();

static NET: &Mlp = staticnet::include_weights!(Mlp, concat!(env!("OUT_DIR"), "/mlp.bin"));

#[entry]
fn main() -> ! {
    // The inference workspace, in `.bss` rather than on the stack; on the
    // stack where `singleton!` cannot be had (no compare-and-swap: rv32imc).
    #[cfg(target_has_atomic = "ptr")]
    let Some(ws) = staticnet::singleton!(MlpWorkspace) else {
        exit(1)
    };
    #[cfg(not(target_has_atomic = "ptr"))]
    let mut on_stack = MlpWorkspace::ZEROED;
    #[cfg(not(target_has_atomic = "ptr"))]
    let ws = &mut on_stack;
    let c = compare_classifier(NET, ws, expected::MLP_IMAGES, &expected::MLP_LOGITS, 1e-4);
    let n = c.images;
    hprintln!(
        "mlp: {}/{n} classes as the host, {}/{n} logits within 1e-4, {}/{n} bit-identical \
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
