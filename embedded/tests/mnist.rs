//! The 784-128-10 MNIST classifier with trained weights in flash (401 KB,
//! used in place) on the first 32 test images carried in the binary: the
//! predicted classes must equal the host's, and the logits agree within a
//! relative 1e-4 of max(1, |host|) (host kernels use fused multiply-add and
//! another summation order over 784 inputs).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use panic_semihosting as _;
use staticnet::Network;
use staticnet_embedded::{
    argmax, bench_end, bench_start, close, exit, expected, Mlp, MlpWorkspace, MNIST_TEST,
};

staticnet_embedded::hard_fault_exits!();

static NET: &Mlp = staticnet::include_weights!(Mlp, concat!(env!("OUT_DIR"), "/mlp.bin"));

/// The inference workspace, in `.bss` rather than on the stack.
static mut WS: MlpWorkspace = MlpWorkspace::ZEROED;

#[entry]
fn main() -> ! {
    // SAFETY: the only reference to WS, taken once, single-threaded.
    let ws = unsafe { &mut *core::ptr::addr_of_mut!(WS) };
    let mut x = [0.0f32; 784];
    let (mut same_class, mut close_logits, mut exact, mut correct) = (0, 0, 0, 0);
    let (mut worst, mut stack) = (0.0f32, 0);
    let n = expected::MLP_IMAGES;
    for i in 0..n {
        for (v, &p) in x.iter_mut().zip(&MNIST_TEST[i * 784..(i + 1) * 784]) {
            *v = f32::from(p) / 255.0;
        }
        if i == 0 {
            bench_start();
        }
        let logits = NET.forward(core::hint::black_box(&x), ws);
        if i == 0 {
            bench_end();
            stack = staticnet_embedded::stack_high_water();
        }
        let host: [f32; 10] =
            core::array::from_fn(|k| f32::from_bits(expected::MLP_LOGITS[i * 10 + k]));
        for (a, b) in logits.iter().zip(&host) {
            worst = worst.max((a - b).abs() / if b.abs() > 1.0 { b.abs() } else { 1.0 });
        }
        same_class += usize::from(argmax(logits) == argmax(&host));
        close_logits += usize::from(logits.iter().zip(&host).all(|(a, b)| close(*a, *b, 1e-4)));
        exact += usize::from(
            logits
                .iter()
                .zip(&host)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
        );
        correct += usize::from(argmax(logits) == usize::from(expected::MNIST_LABELS[i]));
    }
    hprintln!(
        "mlp: {same_class}/{n} classes as the host, {close_logits}/{n} logits within 1e-4, \
         {exact}/{n} bit-identical (worst relative difference {worst:e}); {correct}/{n} correct labels; stack high-water {stack} bytes"
    );
    exit(if same_class == n && close_logits == n {
        0
    } else {
        1
    })
}
