//! Threads that kernels split large products over (feature `std`; without
//! it, and by default, everything runs on the calling thread).
//!
//! After [`set_threads`]`(n)`, a matrix product of at least [`MIN_WORK`]
//! multiply-adds is cut into `n` blocks of its output along tile boundaries
//! (columns of `C` for the dot-product form, rows for the outer-product form),
//! one per thread, and the SGD step into `n` ranges of parameters. Every
//! output element is computed by the same instructions in the same order as
//! on one thread, so results are bit-identical for any thread count. The
//! threads are started once and spin between products, so a step allocates
//! nothing and pays no wake-up; they park after about a millisecond idle.
//!
//! ```
//! # #[cfg(feature = "std")] {
//! use staticnet_runtime::threads;
//! let n = threads::set_threads(2); // 1 on a single CPU
//! assert_eq!(threads::threads(), n);
//! threads::set_threads(1); // back to one thread
//! # }
//! ```

use core::sync::atomic::{AtomicUsize, Ordering};

/// The smallest product (`m * n * k` multiply-adds) split over threads:
/// below it the hand-off (about a microsecond) costs more than it saves.
pub const MIN_WORK: usize = 1 << 16;

/// The most threads a product is split over.
pub const MAX_THREADS: usize = 16;

static THREADS: AtomicUsize = AtomicUsize::new(1);

/// Threads that large products are split over (1: no splitting).
pub fn threads() -> usize {
    THREADS.load(Ordering::Relaxed)
}

/// Splits large products over `n` threads, at most the CPUs this process
/// may run on (`std::thread::available_parallelism`, which follows
/// `taskset`) and [`MAX_THREADS`]; starts the worker threads the first time
/// they are needed. Returns the number set.
#[cfg(any(feature = "std", test))]
pub fn set_threads(n: usize) -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |c| c.get());
    let n = n.clamp(1, MAX_THREADS.min(cpus).max(1));
    crate::raw::ensure_workers(n);
    THREADS.store(n, Ordering::Relaxed);
    n
}

/// Products and steps that have run split over several threads so far in
/// this process (0 without `std`): shows that splitting happens.
pub fn split_jobs() -> usize {
    #[cfg(any(feature = "std", test))]
    return crate::raw::PARALLEL_JOBS.load(Ordering::Relaxed);
    #[cfg(not(any(feature = "std", test)))]
    0
}

/// Calls `f(i, chunk)` for every `chunk_len`-long chunk `i` of `data` (its
/// length a multiple of `chunk_len`), split over the threads when there are
/// at least `min_len` elements: for per-sample work outside the kernels,
/// such as converting a batch of inputs.
pub fn for_each_chunk(
    data: &mut [f32],
    chunk_len: usize,
    min_len: usize,
    f: &(dyn Fn(usize, &mut [f32]) + Sync),
) {
    let chunks = data.len() / chunk_len.max(1);
    let parts = if data.len() >= min_len {
        threads().min(chunks).max(1)
    } else {
        1
    };
    crate::raw::split_chunks(parts, data, chunk_len, f);
}

/// Runs `f(t)` for every `t < parts`: on the worker threads with `std`,
/// else one after the other.
#[inline]
pub(crate) fn par(parts: usize, f: &(dyn Fn(usize) + Sync)) {
    // The common case (one thread, or a small product) skips the pool.
    if parts == 1 {
        return f(0);
    }
    #[cfg(any(feature = "std", test))]
    crate::raw::pool_run(parts, f);
    #[cfg(not(any(feature = "std", test)))]
    (0..parts).for_each(f);
}

/// Parts to split `work` multiply-adds into, with at least `blocks` blocks
/// available to split.
#[inline]
pub(crate) fn parts(work: usize, blocks: usize) -> usize {
    let t = threads();
    if t <= 1 || work < MIN_WORK {
        1
    } else {
        t.min(blocks).max(1)
    }
}

/// The range of part `t` of `parts` of `0..len`, in multiples of `align`
/// (the last part takes the remainder).
#[inline]
pub(crate) fn range(len: usize, parts: usize, t: usize, align: usize) -> (usize, usize) {
    let blocks = len.div_ceil(align);
    let at = |t: usize| (blocks * t / parts * align).min(len);
    (at(t), at(t + 1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ranges_cover_exactly_in_aligned_blocks() {
        for len in [1, 3, 8, 63, 65, 128, 784] {
            for parts in 1..5 {
                let mut next = 0;
                for t in 0..parts {
                    let (lo, hi) = super::range(len, parts, t, 8);
                    assert_eq!(lo, next, "len {len} parts {parts}");
                    assert!(lo % 8 == 0 && lo <= hi);
                    next = hi;
                }
                assert_eq!(next, len);
            }
        }
    }
}
