//! RISC-V: `riscv-rt` starts the program, `riscv-semihosting` talks to QEMU
//! (`-semihosting-config enable=on`), and `__pre_init` below paints the
//! stack as `cortex-m-rt`'s `paint-stack` does.

pub use riscv_rt::entry;

/// Prints a line to the host's standard output, as `hprintln!` of
/// `cortex-m-semihosting`. (`riscv-semihosting`'s own appends the newline
/// with `concat!`, which loses format strings' captured identifiers.)
#[macro_export]
macro_rules! hprintln {
    ($($arg:tt)*) => {
        $crate::__print_line(core::format_args!($($arg)*))
    };
}

/// What `hprintln!` calls: one semihosting handle for the whole line.
pub fn print_line(args: core::fmt::Arguments<'_>) {
    struct Host(riscv_semihosting::hio::HostStream);
    impl core::fmt::Write for Host {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            self.0
                .write_all(s.as_bytes())
                .map_err(|()| core::fmt::Error)
        }
    }
    if let Ok(out) = riscv_semihosting::hio::hstdout() {
        let mut host = Host(out);
        let _ = core::fmt::Write::write_fmt(&mut host, args);
        let _ = host.0.write_all(b"\n");
    }
}

// riscv-rt (feature `pre-init`) calls `__pre_init` right after setting the
// stack pointer to the top of the stack, before RAM is initialised: fill
// `[__estack, sp)`, the whole stack, with 0xCCCC_CCCC. Assembly as riscv-rt
// requires; it uses only temporaries and never the stack.
core::arch::global_asm!(
    r#".section .init.pre_init, "ax"
    .global __pre_init
__pre_init:
    la t0, __estack
    li t1, 0xCCCCCCCC
1:  bgeu t0, sp, 2f
    sw t1, 0(t0)
    addi t0, t0, 4
    j 1b
2:  ret"#
);

/// Semihosting call `nr` with the parameter block `arg`.
///
/// # Safety
/// As `riscv_semihosting::syscall`: `nr` must be a semihosting operation
/// and `arg` its parameter block.
pub unsafe fn syscall<T>(nr: usize, arg: &T) -> usize {
    // SAFETY: the caller's contract.
    unsafe { riscv_semihosting::syscall(nr, arg) }
}

/// Writes `bytes` to the host's standard output.
pub fn write(bytes: &[u8]) {
    if let Ok(mut out) = riscv_semihosting::hio::hstdout() {
        let _ = out.write_all(bytes);
    }
}

/// Waits forever (after an exit that did not end the program).
pub fn halt() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// The painted stack: riscv-rt's `.stack` section runs from `__estack`
/// (lowest address) to `_stack_start` (top).
pub fn stack_region() -> (*const u32, usize) {
    unsafe extern "C" {
        static _stack_start: u32;
        static __estack: u32;
    }
    (&raw const __estack, &raw const _stack_start as usize)
}

/// An exception handler that ends the program with status 101 instead of
/// looping forever (riscv-rt's default `ExceptionHandler` is `abort`, a
/// busy loop: QEMU would hang until the runner's timeout).
#[macro_export]
macro_rules! hard_fault_exits {
    () => {
        #[unsafe(export_name = "ExceptionHandler")]
        extern "C" fn exception_exits(_trap_frame: usize) -> ! {
            $crate::exit(101)
        }
    };
}

/// Panics print their message through semihosting and exit with status 1,
/// as `panic-semihosting` with feature `exit` does on Cortex-M.
#[macro_export]
macro_rules! panic_semihosting {
    () => {
        #[panic_handler]
        fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
            $crate::hprintln!("{}", info);
            $crate::exit(1)
        }
    };
}
