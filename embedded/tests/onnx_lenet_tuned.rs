//! The README's ONNX walk-through on the device, last step: the LeNet-5
//! PyTorch trained and `staticnet-import` wrote (`examples/onnx/`),
//! fine-tuned one epoch by the host (`build.rs`), its weights in flash in
//! place, on the first 16 test images: the classes must equal the host's and
//! the logits agree within a relative 1e-4 of max(1, |host|).
#![no_std]
#![no_main]

use staticnet_embedded::{compare_classifier, entry, exit, expected, hprintln, Comparison};

staticnet_embedded::panic_semihosting!();
staticnet_embedded::hard_fault_exits!();

/// The declaration the tool wrote.
#[allow(dead_code, reason = "the imported weights' static is not used here")]
mod onnx {
    include!("../../examples/onnx/lenet_mnist.rs");
}

static TUNED: &onnx::LeNet = staticnet::include_weights!(
    onnx::LeNet,
    concat!(env!("OUT_DIR"), "/lenet_onnx_finetuned.bin")
);

fn report(name: &str, c: &Comparison) -> bool {
    let n = c.images;
    hprintln!(
        "{name}: {}/{n} classes as the host, {}/{n} logits within 1e-4, {}/{n} bit-identical \
         (worst relative difference {:e}); {}/{n} correct labels",
        c.same_class,
        c.close,
        c.exact,
        c.worst,
        c.correct
    );
    c.same_class == n && c.close == n
}

#[entry]
fn main() -> ! {
    let Some(ws) = staticnet::singleton!(onnx::LeNetWorkspace) else {
        exit(1)
    };
    let images = expected::LENET_IMAGES;
    let tuned = compare_classifier(TUNED, ws, images, &expected::ONNX_LENET_TUNED_LOGITS, 1e-4);
    let ok = report("onnx lenet, fine-tuned", &tuned);
    exit(if ok { 0 } else { 1 })
}
