//! Sine inference with trained weights in flash (`include_weights!`, used in
//! place): outputs for 16 inputs carried in the binary against the host's.
//! Tolerance: relative 1e-5 of max(1, |host|); the host's dense kernels use
//! fused multiply-add and another summation order than the Cortex-M4's
//! `vmla.f32`, so bit equality is reported, not required.
#![no_std]
#![no_main]

use staticnet::Network;
use staticnet_embedded::{
    bench_end, bench_start, close, entry, exit, expected, hprintln, Sine, SineWorkspace,
};

staticnet_embedded::panic_semihosting!();
staticnet_embedded::hard_fault_exits!();

static NET: &Sine = staticnet::include_weights!(Sine, concat!(env!("OUT_DIR"), "/sine.bin"));

#[entry]
fn main() -> ! {
    let mut ws = SineWorkspace::ZEROED;
    let (mut exact, mut ok) = (0, 0);
    for (i, &x) in expected::SINE_X.iter().enumerate() {
        let x = f32::from_bits(x);
        if i == 0 {
            bench_start();
        }
        let y = NET.forward(core::hint::black_box(&[x]), &mut ws)[0];
        if i == 0 {
            bench_end();
        }
        let host = f32::from_bits(expected::SINE_Y[i]);
        exact += usize::from(y.to_bits() == host.to_bits());
        ok += usize::from(close(y, host, 1e-5));
        let truth = staticnet::math::sin(x);
        hprintln!(
            "x {:.4}: device {:.6}, host {:.6}, sin {:.6}",
            x,
            y,
            host,
            truth
        );
    }
    let n = expected::SINE_X.len();
    hprintln!("sine: {ok}/{n} within 1e-5 of the host, {exact}/{n} bit-identical");
    exit(if ok == n { 0 } else { 1 })
}
