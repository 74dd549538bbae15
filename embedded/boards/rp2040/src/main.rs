//! staticnet on a Raspberry Pi Pico (RP2040, Cortex-M0+: no FPU, so f32 is
//! computed in software). A potentiometer on GP26 (ADC0) sets `x` in
//! [0, 2 pi); the 1-16-16-1 sine network, its weights in flash, computes
//! sin(x) five times a second; the log (defmt, printed by probe-rs) shows `x`,
//! the network's output and the true sine, and the on-board LED (GP25) is lit
//! while the output is positive.
//!
//! Wiring: the potentiometer's ends to 3V3 (pin 36) and AGND (pin 33), its
//! wiper to GP26 (pin 31). Flash and run: `cargo run --release`.
#![no_std]
#![no_main]

use core::f32::consts::{PI, TAU};
use embassy_executor::Spawner;
use embassy_rp::adc::{self, Adc, Channel};
use embassy_rp::bind_interrupts;
use embassy_rp::gpio::{Level, Output, Pull};
use embassy_time::Timer;
use staticnet::Network;
// The defmt transport (RTT) and the panic handler (prints over defmt).
use {defmt_rtt as _, panic_probe as _};

staticnet::network! {
    /// The network `examples/sine.rs` trains. The weights file is checked
    /// against this declaration while compiling: another shape fails the build.
    pub struct Sine { input: [1], dense(16), relu, dense(16), relu, dense(1) }
}

/// The trained weights (`cargo run --release --example sine -- --out
/// embedded/boards/rp2040` from the repository's root), used in place: they
/// stay in flash, nothing is copied to RAM.
static NET: &Sine = staticnet::include_weights!(Sine, "../sine.bin");

// The ADC signals the end of a conversion through this interrupt.
bind_interrupts!(struct Irqs {
    ADC_IRQ_FIFO => adc::InterruptHandler;
});

#[embassy_executor::main]
async fn main(_spawner: Spawner) {
    let p = embassy_rp::init(Default::default());
    let mut adc = Adc::new(p.ADC, Irqs, adc::Config::default());
    let mut knob = Channel::new_pin(p.PIN_26, Pull::None);
    let mut led = Output::new(p.PIN_25, Level::Low);
    // The network's scratch: 132 bytes, part of this task's state, which the
    // executor keeps in a static (no `singleton!` needed, and none is
    // available here: the M0+ has no compare-and-swap).
    let mut ws = SineWorkspace::ZEROED;
    loop {
        Timer::after_millis(200).await;
        let Ok(raw) = adc.read(&mut knob).await else {
            defmt::warn!("ADC conversion failed");
            continue;
        };
        // 12 bits, 0..=4095, to [0, 2 pi); the network was trained on x / pi - 1.
        let x = f32::from(raw) / 4096.0 * TAU;
        let y = NET.forward(&[x / PI - 1.0], &mut ws)[0];
        led.set_level(if y > 0.0 { Level::High } else { Level::Low });
        defmt::info!(
            "x = {=f32}: network {=f32}, sin(x) {=f32}",
            x,
            y,
            staticnet::math::sin(x)
        );
    }
}
