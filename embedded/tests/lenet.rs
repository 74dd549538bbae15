//! The LeNet-5 with trained weights in flash (246 KB,
//! used in place) on the first 16 test images carried in the binary: the
//! predicted classes must equal the host's, and the logits agree within a
//! relative 1e-4 of max(1, |host|) (host kernels use fused multiply-add and
//! another summation order over up to 400 inputs).
#![no_std]
#![no_main]

use staticnet_embedded::{
    compare_classifier, entry, exit, expected, hprintln, LeNet, LeNetWorkspace,
};

staticnet_embedded::panic_semihosting!();
staticnet_embedded::hard_fault_exits!();

static NET: &LeNet = staticnet::include_weights!(LeNet, concat!(env!("OUT_DIR"), "/lenet.bin"));

#[entry]
fn main() -> ! {
    // The inference workspace, in `.bss` rather than on the stack.
    let Some(ws) = staticnet::singleton!(LeNetWorkspace) else {
        exit(1)
    };
    let c = compare_classifier(
        NET,
        ws,
        expected::LENET_IMAGES,
        &expected::LENET_LOGITS,
        1e-4,
    );
    let n = c.images;
    hprintln!(
        "lenet: {}/{n} classes as the host, {}/{n} logits within 1e-4, {}/{n} bit-identical \
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
