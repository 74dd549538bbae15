//! The sine network alone, for footprint measurements (`scripts/embedded.sh`):
//! weights in flash, one inference between the `bench_start`/`bench_end`
//! markers, no `core::fmt` (integers printed by hand, a panic only exits),
//! so flash holds the network, its kernels and the runtime start-up only.
//! Prints the stack high-water mark and exits 0 when the output equals the
//! host's within 1e-5.
#![no_std]
#![no_main]

use staticnet::Network;
use staticnet_embedded::{bench_end, bench_start, close, entry, exit, expected, print, print_u32};
use staticnet_embedded::{Sine, SineWorkspace};

staticnet_embedded::hard_fault_exits!();

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    exit(1)
}

static NET: &Sine = staticnet::include_weights!(Sine, concat!(env!("OUT_DIR"), "/sine.bin"));

#[entry]
fn main() -> ! {
    let mut ws = SineWorkspace::ZEROED;
    let x = f32::from_bits(expected::SINE_X[3]);
    bench_start();
    let y = NET.forward(core::hint::black_box(&[x]), &mut ws)[0];
    bench_end();
    let stack = staticnet_embedded::stack_high_water();
    print("stack_high_water_bytes=");
    print_u32(stack as u32);
    print(" workspace_bytes=");
    print_u32(core::mem::size_of::<SineWorkspace>() as u32);
    print(" params_bytes=");
    print_u32(core::mem::size_of::<Sine>() as u32);
    print("\n");
    exit(if close(y, f32::from_bits(expected::SINE_Y[3]), 1e-5) {
        0
    } else {
        1
    })
}
