//! LeNet-5 in int8 alone, for footprint measurements (`scripts/embedded.sh`):
//! its int8 network in flash, one image classified between the
//! `bench_start`/`bench_end` markers with the input and workspace on the
//! stack, no `core::fmt`, so flash holds the network, its kernels, one
//! image and the start-up only, and RAM is the stack high-water mark. Exits
//! 0 when the output equals the host's bit for bit.
#![no_std]
#![no_main]

use staticnet_embedded::{entry, exit, expected, first, int8_footprint};
use staticnet_embedded::{LeNetQ, LeNetQWorkspace};

staticnet_embedded::hard_fault_exits!();

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    exit(1)
}

static NET: &LeNetQ =
    staticnet::include_weights!(LeNetQ, concat!(env!("OUT_DIR"), "/lenet_int8.bin"));
/// The first quantised test image (the others are not linked).
static IMAGE: [u8; 784] = first(include_bytes!(concat!(
    env!("OUT_DIR"),
    "/lenet_test_q.bin"
)));

#[entry]
fn main() -> ! {
    let mut ws = LeNetQWorkspace::ZEROED;
    let sizes = (LeNetQWorkspace::BYTES, LeNetQ::BYTES);
    int8_footprint(&IMAGE, &expected::LENET_Q_OUT, sizes, |x| {
        *NET.forward(x, &mut ws)
    })
}
