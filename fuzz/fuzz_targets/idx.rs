//! Fuzz target: see `tests/fuzz_harness/mod.rs` for what is checked.
#![no_main]

#[path = "../../tests/fuzz_harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::idx(data));
