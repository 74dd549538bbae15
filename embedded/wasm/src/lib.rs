//! staticnet without `std` on `wasm32-unknown-unknown`: the sine network of
//! `src/net.rs` with its weights embedded by `include_weights!` (used in
//! place, in the module's data), exported as `sine(x)`, and the host's
//! inputs and outputs from `build.rs`, exported as `host_x(i)` and
//! `host_y(i)` (`f32` bits), so that `check.mjs` can compare the two bit
//! for bit under node.
#![no_std]

use staticnet::Network;

include!("net.rs");

/// The host's inputs and outputs, written by `build.rs`.
mod expected {
    include!(concat!(env!("OUT_DIR"), "/expected.rs"));
}

static NET: &Sine = staticnet::include_weights!(Sine, "../../../tests/fixtures/sine.bin");

/// The network's output for `x`.
#[unsafe(no_mangle)]
pub extern "C" fn sine(x: f32) -> f32 {
    let mut ws = SineWorkspace::ZEROED;
    NET.forward(&[x], &mut ws)[0]
}

/// How many inputs the host ran.
#[unsafe(no_mangle)]
pub extern "C" fn host_points() -> u32 {
    expected::X.len() as u32
}

/// The host's `i`-th input, as `f32` bits (0 past the end).
#[unsafe(no_mangle)]
pub extern "C" fn host_x(i: u32) -> u32 {
    expected::X.get(i as usize).copied().unwrap_or(0)
}

/// The host's output for its `i`-th input, as `f32` bits (0 past the end).
#[unsafe(no_mangle)]
pub extern "C" fn host_y(i: u32) -> u32 {
    expected::Y.get(i as usize).copied().unwrap_or(0)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}
