//! The LeNet-5 in int8 (`LeNetQ`, quantised on the host
//! by `build.rs`, 66 KB used in place from flash) on the first 16 test
//! images, quantised on the host: every output equals the host's int8
//! output bit for bit (integer arithmetic only, so any difference is a bug).
#![no_std]
#![no_main]

use staticnet_embedded::{compare_int8, entry, exit, expected, hprintln, LeNetQ, LeNetQWorkspace};

staticnet_embedded::panic_semihosting!();
staticnet_embedded::hard_fault_exits!();

static NET: &LeNetQ =
    staticnet::include_weights!(LeNetQ, concat!(env!("OUT_DIR"), "/lenet_int8.bin"));
static INPUTS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/lenet_test_q.bin"));

#[entry]
fn main() -> ! {
    // On the stack (counted in the high-water mark): `singleton!` needs
    // atomics the Cortex-M0 lacks.
    let mut ws = LeNetQWorkspace::ZEROED;
    let n = INPUTS.len() / 784;
    let c = compare_int8::<784, 10>(n, INPUTS, &expected::LENET_Q_OUT, |x| {
        *NET.forward(x, &mut ws)
    });
    hprintln!(
        "lenet int8: {}/{n} outputs bit-identical to the host's; {}/{n} correct labels; \
         stack high-water {} bytes",
        c.exact,
        c.correct,
        c.stack
    );
    exit(if c.exact == n { 0 } else { 1 })
}
