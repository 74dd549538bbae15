//! The sine regressor in int8 (`SineQ`, quantised on the host by
//! `build.rs`, used in place from flash) on 16 inputs quantised on the
//! host: every output equals the host's int8 output bit for bit.
#![no_std]
#![no_main]

use staticnet_embedded::{
    bench_end, bench_start, entry, exit, expected, hprintln, SineQ, SineQWorkspace,
};

staticnet_embedded::panic_semihosting!();
staticnet_embedded::hard_fault_exits!();

static NET: &SineQ = staticnet::include_weights!(SineQ, concat!(env!("OUT_DIR"), "/sine_int8.bin"));

#[entry]
fn main() -> ! {
    let mut ws = SineQWorkspace::ZEROED;
    let mut exact = 0;
    for (i, (&x, &host)) in expected::SINE_QX.iter().zip(&expected::SINE_QY).enumerate() {
        if i == 0 {
            bench_start();
        }
        let y = NET.forward(core::hint::black_box(&[x]), &mut ws)[0];
        if i == 0 {
            bench_end();
        }
        exact += usize::from(y == host);
        hprintln!("x {}: device {}, host {}", x, y, host);
    }
    let n = expected::SINE_QX.len();
    hprintln!(
        "sine int8: {}/{} outputs bit-identical to the host's",
        exact,
        n
    );
    exit(if exact == n { 0 } else { 1 })
}
