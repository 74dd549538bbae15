//! staticnet on an nRF52840-DK (Cortex-M4F). Ten handwritten digits, one of
//! each class from the MNIST test set, are stored in flash; each press of
//! button 1 classifies the next one with the int8 `TinyMnist` network (99.1%
//! on the test set; weights in flash), shows the predicted digit in binary on
//! LEDs 1-4 (LED 1 the lowest bit) and logs the label, the prediction and the
//! ten int8 scores (defmt, printed by probe-rs).
//!
//! Flash and run: `cargo run --release` (the DK's USB port is its debug probe).
#![no_std]
#![no_main]

use embassy_executor::Spawner;
use embassy_nrf::gpio::{Input, Level, Output, OutputDrive, Pull};
use embassy_time::Timer;
// The defmt transport (RTT) and the panic handler (prints over defmt).
use {defmt_rtt as _, panic_probe as _};

staticnet::network! {
    /// The network `examples/tiny_mnist.rs` trains and quantises (dense
    /// weights 4-bit). The weights file is checked against this declaration
    /// while compiling: another shape fails the build.
    #[staticnet(quantize(dense_bits = 4))]
    pub struct TinyMnist {
        input: [1, 28, 28],
        conv2d(6, 5, stride = 2, padding = 2), relu,
        conv2d(16, 3, stride = 2, padding = 1), relu,
        conv2d(32, 3, stride = 2, padding = 1), relu,
        flatten,
        dropout(0.25),
        dense(10),
    }
}

/// The committed int8 weights (9.6 KB), used in place in flash.
static NET: &TinyMnistQ =
    staticnet::include_weights!(TinyMnistQ, "../../../../examples/tiny/tiny_mnist_int8.bin");

/// The digits 0-9 (28x28, one byte a pixel), taken by `build.rs` from the
/// repository's MNIST slice.
static DIGITS: &[u8; 10 * 784] = include_bytes!(concat!(env!("OUT_DIR"), "/digits.bin"));

/// The pixels scaled to [0, 1] as in training, quantised to the network's
/// int8 input, one inference: the class with the highest score, and the scores.
fn classify(image: &[u8], ws: &mut TinyMnistQWorkspace) -> (usize, [i8; 10]) {
    let mut x = [[[0.0f32; 28]; 28]; 1];
    for (v, &p) in staticnet::flat_mut(&mut x).iter_mut().zip(image) {
        *v = f32::from(p) / 255.0;
    }
    let mut q = [0i8; 784];
    NET.quantize_input(&x, &mut q);
    let scores = *NET.forward(&q, ws);
    let mut best = 0;
    for (class, &s) in scores.iter().enumerate() {
        if s > scores[best] {
            best = class;
        }
    }
    (best, scores)
}

#[embassy_executor::main]
async fn main(_spawner: Spawner) {
    let p = embassy_nrf::init(Default::default());
    // The DK's buttons and LEDs are active low.
    let mut button = Input::new(p.P0_11, Pull::Up);
    let mut leds = [
        Output::new(p.P0_13, Level::High, OutputDrive::Standard),
        Output::new(p.P0_14, Level::High, OutputDrive::Standard),
        Output::new(p.P0_15, Level::High, OutputDrive::Standard),
        Output::new(p.P0_16, Level::High, OutputDrive::Standard),
    ];
    // The network's scratch (about 4.3 KB: two activation buffers and the
    // DSP product's int16 columns), a zeroed static handed out once (`Some`
    // on this first call; the M4 has compare-and-swap).
    let ws = staticnet::singleton!(TinyMnistQWorkspace).unwrap();
    defmt::info!("press button 1 to classify the next digit");
    for (label, image) in DIGITS.chunks_exact(784).enumerate().cycle() {
        button.wait_for_low().await; // GPIOTE wakes the task on the press
        let (class, scores) = classify(image, ws);
        for (bit, led) in leds.iter_mut().enumerate() {
            led.set_level(if class >> bit & 1 == 1 {
                Level::Low
            } else {
                Level::High
            });
        }
        defmt::info!("digit {}: predicted {}, scores {}", label, class, scores);
        Timer::after_millis(20).await; // debounce, then wait for the release
        button.wait_for_high().await;
    }
}
