//! The worker threads kernels split large products over ([`crate::threads`]).
//!
//! One global pool: `set_threads(n)` starts `n - 1` workers once (later calls
//! only start more); a job runs `f(t)` for every part `t < parts`, part 0 on
//! the calling thread, part `t` on worker `t`, and returns when all are done.
//! Workers spin between jobs (a training step's products come every few
//! microseconds, less than waking a parked thread costs), then park after
//! about a millisecond without work. A job allocates nothing. One job runs at
//! a time: a call while another runs (another thread's kernel, or a kernel
//! inside a part) runs its parts serially on its own thread.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::Thread;
use std::vec::Vec;

/// A job's function, with its lifetime erased (see [`run`]'s SAFETY proof).
type Job = *const (dyn Fn(usize) + Sync);

struct Pool {
    /// Parts the current job has (workers with a higher index skip it).
    parts: AtomicUsize,
    /// Bumped once per job; workers wait for it to change.
    generation: AtomicUsize,
    /// Workers done with the current job.
    done: AtomicUsize,
    /// Taken by the thread running a job.
    busy: AtomicBool,
    /// Set by a worker whose part of the current job panicked.
    panicked: AtomicBool,
    /// The current job; written only by the holder of `busy` before it bumps
    /// `generation`, read by workers after they see the bump.
    job: UnsafeCell<Option<Job>>,
    /// Workers started, and the parked-or-parking flag of each.
    workers: Mutex<Vec<(Thread, &'static AtomicBool)>>,
    started: AtomicUsize,
}

// SAFETY: `job` is the only field without synchronisation of its own. It is
// written by the one thread holding `busy` (an acquire/release flag) before
// the release increment of `generation`, and read by workers only after an
// acquire load sees that increment, while the writer waits for every reader
// (`done`) before it writes again. So accesses never race.
unsafe impl Sync for Pool {}
// SAFETY: the pool is only ever used from the `static` (shared, see above);
// `OnceLock` asks for `Send` too, and no field is tied to a thread.
unsafe impl Send for Pool {}

static POOL: OnceLock<Pool> = OnceLock::new();

/// Jobs that ran on more than one thread ([`crate::threads::split_jobs`]).
pub(crate) static PARALLEL_JOBS: AtomicUsize = AtomicUsize::new(0);

/// Spins of a worker waiting for a job before it parks: enough to bridge the
/// gaps between the products of a training step, few enough that an idle
/// pool soon stops occupying its cores (see `docs/design.md`).
const SPINS: u32 = 1 << 16;

fn pool() -> &'static Pool {
    POOL.get_or_init(|| Pool {
        parts: AtomicUsize::new(0),
        generation: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        busy: AtomicBool::new(false),
        panicked: AtomicBool::new(false),
        job: UnsafeCell::new(None),
        workers: Mutex::new(Vec::new()),
        started: AtomicUsize::new(0),
    })
}

/// Makes sure at least `threads - 1` workers run.
pub(crate) fn ensure_workers(threads: usize) {
    let pool = pool();
    let mut workers = pool.workers.lock().unwrap_or_else(|e| e.into_inner());
    while workers.len() + 1 < threads {
        let index = workers.len() + 1;
        // The generation before the worker counts in `started`: a job that
        // counts on it bumps the generation after this, so the worker sees
        // the change even if it starts after the job is published.
        let seen = pool.generation.load(Ordering::Acquire);
        let sleeping: &'static AtomicBool =
            std::boxed::Box::leak(std::boxed::Box::new(AtomicBool::new(false)));
        let handle = std::thread::Builder::new()
            .name(std::format!("staticnet-{index}"))
            .spawn(move || worker(pool, index, seen, sleeping))
            .expect("spawn a staticnet worker thread");
        workers.push((handle.thread().clone(), sleeping));
    }
    pool.started.store(workers.len(), Ordering::Release);
}

fn worker(pool: &'static Pool, index: usize, mut seen: usize, sleeping: &'static AtomicBool) {
    loop {
        let mut spins = 0u32;
        loop {
            let now = pool.generation.load(Ordering::Acquire);
            if now != seen {
                seen = now;
                break;
            }
            spins = spins.wrapping_add(1);
            if spins < SPINS {
                core::hint::spin_loop();
            } else {
                // Dekker with `run`: either `run` sees `sleeping` and
                // unparks, or this load sees the new generation.
                sleeping.store(true, Ordering::SeqCst);
                if pool.generation.load(Ordering::SeqCst) == seen {
                    std::thread::park();
                }
                sleeping.store(false, Ordering::SeqCst);
                spins = 0;
            }
        }
        if index < pool.parts.load(Ordering::Acquire) {
            // SAFETY: the acquire load of `generation` above saw the bump
            // that published `job` (see `impl Sync for Pool`), and the
            // function it points to lives until `run` has seen this worker's
            // `done` increment below.
            let job = unsafe { (*pool.job.get()).expect("a job is published") };
            // SAFETY: as above, `job` points to a live `dyn Fn(usize) + Sync`.
            let part = || unsafe { (*job)(index) };
            // A panicking part still counts as done (else `run` would wait
            // forever); `run` then panics on the caller's thread.
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(part)).is_err() {
                pool.panicked.store(true, Ordering::Release);
            }
            pool.done.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// Runs `f(t)` for `t < parts`, in parallel when the pool has the workers
/// and is free, else one after the other on this thread.
pub(crate) fn run(parts: usize, f: &(dyn Fn(usize) + Sync)) {
    let pool = pool();
    let serial = parts <= 1
        || pool.started.load(Ordering::Acquire) + 1 < parts
        || pool
            .busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err();
    if serial {
        (0..parts).for_each(f);
        return;
    }
    PARALLEL_JOBS.fetch_add(1, Ordering::Relaxed);
    // SAFETY: erasing the lifetime of `f` is sound because this function does
    // not return, nor unwind, before every worker that reads the pointer has
    // finished calling it (`Wait`, below, waits on `done` when dropped, and a
    // worker counts a part as done even if it panics), and the pointer is
    // replaced by `None` before `busy` is released.
    let job: Job = unsafe { core::mem::transmute::<&(dyn Fn(usize) + Sync), Job>(f) };
    // SAFETY: this thread holds `busy`, so no other thread writes `job`, and
    // no worker reads it until the generation bump below.
    unsafe { *pool.job.get() = Some(job) };
    pool.parts.store(parts, Ordering::Release);
    pool.done.store(0, Ordering::Release);
    pool.generation.fetch_add(1, Ordering::SeqCst);
    {
        let workers = pool.workers.lock().unwrap_or_else(|e| e.into_inner());
        for (thread, sleeping) in workers.iter().take(parts - 1) {
            if sleeping.load(Ordering::SeqCst) {
                thread.unpark();
            }
        }
    }
    // Waits for the workers when this scope ends, also if `f(0)` panics, so
    // that no worker still runs `f` once this frame is gone.
    let _wait = Wait { pool, parts };
    f(0);
}

/// Ends a job: waits until every worker's part is done, then releases the
/// pool (on return and on unwinding alike).
struct Wait {
    pool: &'static Pool,
    parts: usize,
}

impl Drop for Wait {
    fn drop(&mut self) {
        let pool = self.pool;
        let mut spins = 0u32;
        while pool.done.load(Ordering::Acquire) + 1 < self.parts {
            // Yield now and then, in case a worker shares this CPU.
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(1 << 12) {
                std::thread::yield_now();
            } else {
                core::hint::spin_loop();
            }
        }
        // SAFETY: every worker of this job is done with `job` (the loop
        // above), and this thread still holds `busy`.
        unsafe { *pool.job.get() = None };
        let panicked = pool.panicked.swap(false, Ordering::AcqRel);
        pool.busy.store(false, Ordering::Release);
        if panicked && !std::thread::panicking() {
            panic!("a staticnet kernel thread panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A part that panics on a worker makes `run` panic on the caller, after
    /// every part has ended; the pool works afterwards. Where the process
    /// has one CPU or the pool is busy with another test's job the parts run
    /// serially, and the panic comes from the caller's own call of `f(1)`.
    #[test]
    fn a_panicking_part_panics_the_caller_and_the_pool_recovers() {
        ensure_workers(2);
        let ran = AtomicUsize::new(0);
        let result = std::panic::catch_unwind(|| {
            run(2, &|t| {
                ran.fetch_add(1, Ordering::Relaxed);
                assert!(t != 1, "part 1 fails");
            })
        });
        assert!(result.is_err());
        assert_eq!(ran.load(Ordering::Relaxed), 2);
        let sum = AtomicUsize::new(0);
        run(2, &|t| {
            sum.fetch_add(t + 1, Ordering::Relaxed);
        });
        assert_eq!(sum.load(Ordering::Relaxed), 3);
    }
}
