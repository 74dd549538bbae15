//! On-device training: the sine network starts from its initial weights
//! (`init`, in RAM), takes 500 Adam steps on batches of 8 generated on the
//! device, and its loss must fall from about 0.8 to below 0.1. The host ran
//! the same loop in `build.rs` (same code, `src/nets.rs`); the trained
//! weights must agree within 1e-3 of max(1, |host|) each (the host's kernels
//! use fused multiply-add, and 500 steps let the rounding differences grow),
//! and the loss within 1e-3.
#![no_std]
#![no_main]

use staticnet::{Network, Rng};
use staticnet_embedded::{
    bench_end, bench_start, close, entry, exit, expected, hprintln, sine_train, Sine, SineCache,
    SINE_BATCH,
};
use staticnet_embedded::{SINE_DATA_SEED, SINE_INIT_SEED};

staticnet_embedded::panic_semihosting!();
staticnet_embedded::hard_fault_exits!();

static HOST: &Sine =
    staticnet::include_weights!(Sine, concat!(env!("OUT_DIR"), "/sine_device_host.bin"));

/// Everything training needs, in one static in `.bss`.
struct Training {
    net: Sine,
    grads: Sine,
    moments: [Sine; 2],
    cache: SineCache<SINE_BATCH>,
}

#[entry]
fn main() -> ! {
    let Some(t) = staticnet::singleton!(
        Training = Training {
            net: Sine::ZEROED,
            grads: Sine::ZEROED,
            moments: [Sine::ZEROED; 2],
            cache: SineCache::ZEROED,
        }
    ) else {
        exit(1)
    };
    t.net.init(SINE_INIT_SEED);
    let mut rng = Rng::new(SINE_DATA_SEED);
    let steps = expected::SINE_DEVICE_STEPS;
    bench_start();
    let loss = sine_train(
        &mut t.net,
        &mut t.grads,
        &mut t.cache,
        &mut t.moments,
        &mut rng,
        steps,
        20,
    );
    bench_end();
    let stack = staticnet_embedded::stack_high_water();
    let host_loss = f32::from_bits(expected::SINE_DEVICE_HOST_LOSS);
    let initial = f32::from_bits(expected::SINE_INITIAL_LOSS);
    let (mut worst, mut exact) = (0.0f32, 0);
    for (a, b) in t.net.state().iter().zip(HOST.state()) {
        let scale = if b.abs() > 1.0 { b.abs() } else { 1.0 };
        worst = worst.max((a - b).abs() / scale);
        exact += usize::from(a.to_bits() == b.to_bits());
    }
    hprintln!(
        "train_sine: {steps} steps, loss {loss:.5} (host {host_loss:.5}, first 20 steps {initial:.5}); \
         weights: worst relative difference to the host {worst:e}, {exact}/{} bit-identical; stack high-water {stack} bytes",
        Sine::PARAMS
    );
    let ok = loss < 0.1 && close(loss, host_loss, 1e-3) && worst <= 1e-3;
    exit(if ok { 0 } else { 1 })
}
