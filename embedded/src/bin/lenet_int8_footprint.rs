//! LeNet-5 in int8 alone, for footprint measurements
//! (`scripts/embedded.sh`): its int8 network in flash, one image classified between the `bench_start`/`bench_end`
//! markers with the input and workspace on the stack, no `core::fmt`, so
//! flash holds the network, its kernels, one image and the start-up only,
//! and RAM is the stack high-water mark. Exits 0 when the output equals the
//! host's bit for bit.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use staticnet_embedded::{bench_end, bench_start, exit, expected, print, print_u32};
use staticnet_embedded::{LeNetQ, LeNetQWorkspace};

staticnet_embedded::hard_fault_exits!();

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    exit(1)
}

static NET: &LeNetQ = staticnet::include_weights!(
    LeNetQ,
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/tiny/tiny_mnist_int8.bin"
    )
);
/// The first quantised test image (the others are not linked).
static IMAGE: [u8; 784] = {
    let all = include_bytes!(concat!(env!("OUT_DIR"), "/lenet_test_q.bin"));
    let mut one = [0u8; 784];
    let mut i = 0;
    while i < 784 {
        one[i] = all[i];
        i += 1;
    }
    one
};

#[entry]
fn main() -> ! {
    let mut ws = LeNetQWorkspace::ZEROED;
    let mut x = [0i8; 784];
    for (q, &b) in x.iter_mut().zip(&IMAGE) {
        *q = b as i8;
    }
    bench_start();
    let y = *NET.forward(core::hint::black_box(&x), &mut ws);
    bench_end();
    let stack = staticnet_embedded::stack_high_water();
    print("stack_high_water_bytes=");
    print_u32(stack as u32);
    print(" workspace_bytes=");
    print_u32(core::mem::size_of::<LeNetQWorkspace>() as u32);
    print(" network_bytes=");
    print_u32(core::mem::size_of::<LeNetQ>() as u32);
    print("\n");
    exit(if y[..] == expected::LENET_Q_OUT[..10] {
        0
    } else {
        1
    })
}
