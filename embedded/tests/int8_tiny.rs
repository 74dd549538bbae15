//! The tiny MNIST classifier (`TinyMnistQ`: int8, dense weights 4-bit,
//! trained by `examples/tiny_mnist.rs` and committed) on the first 32 test
//! images, quantised on the host: every output equals the host's int8
//! output bit for bit.
#![no_std]
#![no_main]

use staticnet_embedded::{
    compare_int8, entry, exit, expected, hprintln, TinyMnistQ, TinyMnistQWorkspace,
};

staticnet_embedded::panic_semihosting!();
staticnet_embedded::hard_fault_exits!();

static NET: &TinyMnistQ = staticnet::include_weights!(
    TinyMnistQ,
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/tiny/tiny_mnist_int8.bin"
    )
);
static INPUTS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/tiny_test_q.bin"));

#[entry]
fn main() -> ! {
    let mut ws = TinyMnistQWorkspace::ZEROED;
    let n = INPUTS.len() / 784;
    let c = compare_int8::<784, 10>(n, INPUTS, &expected::TINY_Q_OUT, |x| {
        *NET.forward(x, &mut ws)
    });
    hprintln!(
        "tiny int8: {}/{n} outputs bit-identical to the host's; {}/{n} correct labels; \
         stack high-water {} bytes",
        c.exact,
        c.correct,
        c.stack
    );
    exit(if c.exact == n { 0 } else { 1 })
}
