//! staticnet on a Cortex-M4F: the networks of `src/nets.rs` (shared with the
//! host reference in `build.rs`), the host's expected results, and the few
//! bare-metal helpers the test programs share: exit status, instruction
//! count markers, stack high-water mark.
//!
//! No allocator is linked anywhere: no `alloc` crate, no `#[global_allocator]`
//! (`scripts/embedded.sh` checks the symbol tables).
#![no_std]

include!("nets.rs");

/// The host's results, written by `build.rs`.
pub mod expected {
    include!(concat!(env!("OUT_DIR"), "/expected.rs"));
}

/// The first test images of MNIST, `u8` pixels, 784 per image.
pub static MNIST_TEST: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/mnist_test.bin"));

/// Ends the program under QEMU with exit status `code` (semihosting
/// `SYS_EXIT_EXTENDED`), without formatting anything.
pub fn exit(code: u32) -> ! {
    // ADP_Stopped_ApplicationExit, then the status.
    let block: [u32; 2] = [0x20026, code];
    // SAFETY: SYS_EXIT_EXTENDED (0x20) reads the two-word block the pointer
    // designates, which lives until the call returns (it does not).
    unsafe { cortex_m_semihosting::syscall(0x20, &block) };
    loop {
        cortex_m::asm::nop();
    }
}

/// Writes `s` to the host's standard output (semihosting `SYS_WRITE` to
/// `:tt`, as `hprintln!`), without `core::fmt`.
pub fn print(s: &str) {
    if let Ok(mut out) = cortex_m_semihosting::hio::hstdout() {
        let _ = out.write_all(s.as_bytes());
    }
}

/// Writes `v` in decimal, without `core::fmt`.
pub fn print_u32(mut v: u32) {
    let mut digits = [0u8; 10];
    let mut n = 0;
    loop {
        digits[9 - n] = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    print(core::str::from_utf8(&digits[10 - n..]).unwrap_or("?"));
}

/// Start of an instruction-count window (`tools/qemu/` counts between the
/// entries of `bench_start` and `bench_end`).
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn bench_start() {
    // SAFETY: a `nop` touches no memory and no stack.
    unsafe { core::arch::asm!("nop", options(nomem, nostack)) }
}

/// End of an instruction-count window. Its body differs from `bench_start`'s
/// so that the two are not folded into one function.
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn bench_end() {
    // SAFETY: two `nop`s touch no memory and no stack.
    unsafe { core::arch::asm!("nop", "nop", options(nomem, nostack)) }
}

/// Bytes of stack used so far: `cortex-m-rt`'s `paint-stack` fills the stack
/// with `0xCCCC_CCCC` at reset; the first overwritten word from the bottom
/// marks the deepest use.
pub fn stack_high_water() -> usize {
    unsafe extern "C" {
        static _stack_start: u32;
        static _stack_end: u32;
    }
    let top = &raw const _stack_start as usize;
    let mut p = &raw const _stack_end;
    // SAFETY: `[_stack_end, _stack_start)` is the stack region the linker
    // script defines, mapped RAM, read word by word without references.
    while (p as usize) < top && unsafe { p.read_volatile() } == 0xCCCC_CCCC {
        // SAFETY: still inside the region (checked by the loop condition).
        p = unsafe { p.add(1) };
    }
    top - p as usize
}

/// `|a - b| <= tol * max(1, |b|)`.
pub fn close(a: f32, b: f32, tol: f32) -> bool {
    let scale = if b.abs() > 1.0 { b.abs() } else { 1.0 };
    (a - b).abs() <= tol * scale
}

/// Index of the largest value.
pub fn argmax(v: &[f32]) -> usize {
    staticnet::loss::argmax(v)
}

/// A `HardFault` handler that ends the program with status 101 instead of
/// looping forever (QEMU would hang until the runner's timeout).
#[macro_export]
macro_rules! hard_fault_exits {
    () => {
        #[cortex_m_rt::exception]
        unsafe fn HardFault(_frame: &cortex_m_rt::ExceptionFrame) -> ! {
            $crate::exit(101)
        }
    };
}
