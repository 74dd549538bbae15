//! The tiny MNIST classifier alone, for footprint measurements
//! (`scripts/embedded.sh`): its int8 network in flash (dense weights
//! 4-bit), one image classified between the `bench_start`/`bench_end`
//! markers with the input and workspace on the stack, no `core::fmt`, so
//! flash holds the network, its kernels, one image and the start-up only,
//! and RAM is the stack high-water mark. Exits 0 when the output equals the
//! host's bit for bit.
#![no_std]
#![no_main]

use staticnet_embedded::{entry, exit, expected, first, int8_footprint};
use staticnet_embedded::{TinyMnistQ, TinyMnistQWorkspace};

staticnet_embedded::hard_fault_exits!();

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    exit(1)
}

static NET: &TinyMnistQ = staticnet::include_weights!(
    TinyMnistQ,
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/tiny/tiny_mnist_int8.bin"
    )
);
/// The first quantised test image (the others are not linked).
static IMAGE: [u8; 784] = first(include_bytes!(concat!(env!("OUT_DIR"), "/tiny_test_q.bin")));

#[entry]
fn main() -> ! {
    let mut ws = TinyMnistQWorkspace::ZEROED;
    let sizes = (TinyMnistQWorkspace::BYTES, TinyMnistQ::BYTES);
    int8_footprint(&IMAGE, &expected::TINY_Q_OUT, sizes, |x| {
        *NET.forward(x, &mut ws)
    })
}
