//! staticnet on a microcontroller core under QEMU (Cortex-M, RISC-V): the
//! networks of `src/nets.rs` (shared with the host reference in `build.rs`),
//! the host's expected results, and the few bare-metal helpers the test
//! programs share: exit status, instruction count markers, stack high-water
//! mark. What depends on the core (start-up, semihosting, fault handler) is
//! in `arch/`, chosen by `target_arch`; the programs take `entry`,
//! `hprintln!`, `hard_fault_exits!` and `panic_semihosting!` from here.
//!
//! No allocator is linked anywhere: no `alloc` crate, no `#[global_allocator]`
//! (`scripts/embedded.sh` checks the symbol tables).
#![no_std]

include!("nets.rs");

#[cfg(target_arch = "arm")]
#[path = "arch/cortex_m.rs"]
mod arch;
#[cfg(target_arch = "riscv32")]
#[path = "arch/riscv.rs"]
mod arch;
pub use arch::entry;
#[cfg(target_arch = "arm")]
pub use arch::hprintln;
#[cfg(target_arch = "riscv32")]
#[doc(hidden)]
pub use arch::print_line as __print_line;

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
    unsafe { arch::syscall(0x20, &block) };
    arch::halt()
}

/// Writes `s` to the host's standard output (semihosting `SYS_WRITE` to
/// `:tt`, as `hprintln!`), without `core::fmt`.
pub fn print(s: &str) {
    arch::write(s.as_bytes());
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

/// Bytes of stack used so far: the start-up code fills the stack with
/// `0xCCCC_CCCC` (`cortex-m-rt`'s `paint-stack`, `__pre_init` in
/// `arch/riscv.rs`); the first overwritten word from the bottom marks the
/// deepest use.
pub fn stack_high_water() -> usize {
    let (bottom, top) = arch::stack_region();
    let mut p = bottom;
    // SAFETY: `[bottom, top)` is the stack region the linker script defines,
    // mapped RAM, read word by word without references.
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

/// How a classifier on the device compares with the host.
#[derive(Clone, Copy, Debug, Default)]
pub struct Comparison {
    /// Images compared.
    pub images: usize,
    /// Same predicted class as the host.
    pub same_class: usize,
    /// Every logit within `tol` of the host's.
    pub close: usize,
    /// Every logit bit-identical.
    pub exact: usize,
    /// Predicted class equals the label.
    pub correct: usize,
    /// Worst `|device - host| / max(1, |host|)`.
    pub worst: f32,
    /// Stack high-water mark right after the first inference.
    pub stack: usize,
}

/// Classifies the first `images` test images of [`MNIST_TEST`] with `net`
/// and compares the logits with the host's (`host_logits`, 10 per image, as
/// `f32` bits). The first inference is between the instruction-count markers.
pub fn compare_classifier<N: staticnet::Network<Output = [f32; 10]>>(
    net: &N,
    ws: &mut N::Workspace,
    images: usize,
    host_logits: &[u32],
    tol: f32,
) -> Comparison {
    let mut c = Comparison {
        images,
        ..Comparison::default()
    };
    let mut x: N::Input = staticnet::__private::bytemuck::Zeroable::zeroed();
    for i in 0..images {
        let pixels = &MNIST_TEST[i * 784..(i + 1) * 784];
        for (v, &p) in staticnet::flat_mut(&mut x).iter_mut().zip(pixels) {
            *v = f32::from(p) / 255.0;
        }
        if i == 0 {
            bench_start();
        }
        let logits = net.forward(core::hint::black_box(&x), ws);
        if i == 0 {
            bench_end();
            c.stack = stack_high_water();
        }
        let host: [f32; 10] = core::array::from_fn(|k| f32::from_bits(host_logits[i * 10 + k]));
        for (a, b) in logits.iter().zip(&host) {
            let scale = if b.abs() > 1.0 { b.abs() } else { 1.0 };
            c.worst = c.worst.max((a - b).abs() / scale);
        }
        c.same_class += usize::from(argmax(logits) == argmax(&host));
        c.close += usize::from(logits.iter().zip(&host).all(|(a, b)| close(*a, *b, tol)));
        c.exact += usize::from(
            logits
                .iter()
                .zip(&host)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
        );
        c.correct += usize::from(argmax(logits) == usize::from(expected::MNIST_LABELS[i]));
    }
    c
}

/// What an int8 classifier did on the quantised test images.
#[derive(Clone, Copy, Debug, Default)]
pub struct Int8Comparison {
    /// Images run.
    pub images: usize,
    /// Images whose int8 outputs equal the host's bit for bit.
    pub exact: usize,
    /// Images classified as their label.
    pub correct: usize,
    /// Stack high-water mark after the first inference, in bytes.
    pub stack: usize,
}

/// Runs `forward` on each of `images` int8 inputs of `IN` bytes in `inputs`
/// (between `bench_start` and `bench_end` for the first) and compares its
/// outputs with `host`'s, bit for bit.
pub fn compare_int8<const IN: usize, const OUT: usize>(
    images: usize,
    inputs: &[u8],
    host: &[i8],
    mut forward: impl FnMut(&[i8; IN]) -> [i8; OUT],
) -> Int8Comparison {
    let mut c = Int8Comparison {
        images,
        ..Int8Comparison::default()
    };
    let mut x = [0i8; IN];
    for i in 0..images {
        for (q, &b) in x.iter_mut().zip(&inputs[i * IN..(i + 1) * IN]) {
            *q = b as i8;
        }
        if i == 0 {
            bench_start();
        }
        let y = forward(core::hint::black_box(&x));
        if i == 0 {
            bench_end();
            c.stack = stack_high_water();
        }
        c.exact += usize::from(y[..] == host[i * OUT..(i + 1) * OUT]);
        c.correct +=
            usize::from(staticnet::quant::argmax(&y) == usize::from(expected::MNIST_LABELS[i]));
    }
    c
}

/// The first `N` bytes of `all`, at compile time (one image of a test set
/// for a footprint binary, without linking the others).
pub const fn first<const N: usize>(all: &[u8]) -> [u8; N] {
    let mut one = [0u8; N];
    let mut i = 0;
    while i < N {
        one[i] = all[i];
        i += 1;
    }
    one
}

/// The body of an int8 footprint binary: copies `image` into an int8 input
/// on the stack, runs `forward` once between `bench_start` and `bench_end`,
/// prints the stack high-water mark and the workspace and network sizes
/// (no `core::fmt`), and exits 0 if the output equals `host` bit for bit.
pub fn int8_footprint<const IN: usize, const OUT: usize>(
    image: &[u8; IN],
    host: &[i8],
    (workspace_bytes, network_bytes): (usize, usize),
    forward: impl FnOnce(&[i8; IN]) -> [i8; OUT],
) -> ! {
    let mut x = [0i8; IN];
    for (q, &b) in x.iter_mut().zip(image) {
        *q = b as i8;
    }
    bench_start();
    let y = forward(core::hint::black_box(&x));
    bench_end();
    let stack = stack_high_water();
    print("stack_high_water_bytes=");
    print_u32(stack as u32);
    print(" workspace_bytes=");
    print_u32(workspace_bytes as u32);
    print(" network_bytes=");
    print_u32(network_bytes as u32);
    print("\n");
    exit(if y[..] == host[..OUT] { 0 } else { 1 })
}
