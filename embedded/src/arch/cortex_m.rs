//! Cortex-M: `cortex-m-rt` starts the program and paints the stack
//! (feature `paint-stack`), `cortex-m-semihosting` talks to QEMU.

pub use cortex_m_rt::entry;
pub use cortex_m_semihosting::hprintln;

/// Semihosting call `nr` with the parameter block `arg`.
///
/// # Safety
/// As `cortex_m_semihosting::syscall`: `nr` must be a semihosting operation
/// and `arg` its parameter block.
pub unsafe fn syscall<T>(nr: usize, arg: &T) -> usize {
    // SAFETY: the caller's contract.
    unsafe { cortex_m_semihosting::syscall(nr, arg) }
}

/// Writes `bytes` to the host's standard output.
pub fn write(bytes: &[u8]) {
    if let Ok(mut out) = cortex_m_semihosting::hio::hstdout() {
        let _ = out.write_all(bytes);
    }
}

/// Waits forever (after an exit that did not end the program).
pub fn halt() -> ! {
    loop {
        cortex_m::asm::nop();
    }
}

/// The painted stack: `cortex-m-rt` names its top `_stack_start` and its
/// lowest address `_stack_end`.
pub fn stack_region() -> (*const u32, usize) {
    unsafe extern "C" {
        static _stack_start: u32;
        static _stack_end: u32;
    }
    (&raw const _stack_end, &raw const _stack_start as usize)
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

/// Panics print their message through semihosting and exit with status 1
/// (`panic-semihosting`, feature `exit`).
#[macro_export]
macro_rules! panic_semihosting {
    () => {
        use panic_semihosting as _;
    };
}
