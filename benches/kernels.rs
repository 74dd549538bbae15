//! The kernels under the workloads, one at a time (the workloads themselves
//! are in `benches/mlp.rs` and `benches/lenet.rs`; definitions and figures in
//! `docs/performance.md`):
//!
//! - `HW`: the hardware limits the workloads are measured against: the
//!   single-core f32 FMA peak with AVX-512 and AVX2 (12 independent
//!   accumulator chains), the time to stream W1's 401 KB of weights from L2
//!   with aligned AVX-512 loads, and writing 100 KB that the other core has
//!   just read against writing it on the same core.
//! - `dense_forward`, `dense_backward`: the dense kernels at the sizes of W1,
//!   W2 and W5 (784->128 and 128->10 at batch 1 and 32, the 1-16-16-1
//!   layers), each against `matrixmultiply::sgemm` on the same product; and
//!   the three 1-16-16-1 layers chained on one sample.
//! - `conv2d`: LeNet's two convolutions, forward at batch 1 (W4) and forward
//!   plus backward at batch 32 (a W3 step).
//! - `maxpool2d`: LeNet's two 2x2 max pools, forward and backward at batch 32.
//! - `int8`: the int8 product `gemv_i8` at 784x128 (W1's first layer, one
//!   sample) on each instruction-set path this CPU has, and the f32 dense
//!   forward of the same size in the same group, for the ratio.
//!
//! ```text
//! cargo bench --bench kernels -- --warm-up-time 1 --measurement-time 3
//! taskset -c 0 cargo bench --bench kernels -- HW
//! ```

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use staticnet::__private::rt::quant::gemv::Path;
use staticnet::kernels::conv2d::{conv2d_backward, conv2d_forward, Conv2dGeom};
use staticnet::kernels::dense::{dense_backward, dense_forward};
use staticnet::kernels::maxpool2d::{maxpool2d_backward, maxpool2d_forward, Pool2dGeom};
use std::hint::black_box;

/// (batch, inp, out): MNIST's two layers at batch 1 and 32, and the layers of
/// a 1-16-16-1 regression network.
const FORWARD: [(usize, usize, usize); 7] = [
    (1, 784, 128),
    (32, 784, 128),
    (1, 128, 10),
    (32, 128, 10),
    (1, 1, 16),
    (1, 16, 16),
    (1, 16, 1),
];

/// (batch, inp, out, with the input gradient).
const BACKWARD: [(usize, usize, usize, bool); 3] = [
    (32, 784, 128, false),
    (32, 128, 10, true),
    (1, 16, 16, true),
];

fn data(n: usize, seed: u32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) as f32 / 16_777_216.0
                - 0.5
        })
        .collect()
}

fn id(batch: usize, inp: usize, out: usize) -> String {
    format!("{batch}x{inp}->{out}")
}

/// `C[m][n] = A * B` with explicit strides, by matrixmultiply.
fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    (rsa, csa): (isize, isize),
    b: &[f32],
    (rsb, csb): (isize, isize),
    c: &mut [f32],
) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    // SAFETY: `a` is `m x k` and `b` is `k x n` with the given strides, which
    // the callers derive from those shapes, and `c` holds `m * n` row-major
    // elements; the assert checks the lengths.
    #[allow(unsafe_code, reason = "matrixmultiply's API takes raw pointers")]
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            0.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

fn forward(c: &mut Criterion) {
    let mut group = c.benchmark_group("dense_forward");
    for (batch, inp, out) in FORWARD {
        let (x, w, b) = (data(batch * inp, 1), data(out * inp, 2), data(out, 3));
        let mut y = vec![0.0; batch * out];
        group.throughput(Throughput::Elements((2 * batch * inp * out) as u64));
        group.bench_function(
            BenchmarkId::new("staticnet", id(batch, inp, out)),
            |bench| {
                bench.iter(|| {
                    dense_forward(
                        black_box(&x),
                        black_box(&w),
                        Some(black_box(&b)),
                        &mut y,
                        batch,
                        inp,
                        out,
                    )
                })
            },
        );
        group.bench_function(
            BenchmarkId::new("matrixmultiply", id(batch, inp, out)),
            |bench| {
                // y = x W^T (no bias): W read as [inp][out] with strides (1, inp).
                bench.iter(|| {
                    sgemm(
                        batch,
                        inp,
                        out,
                        black_box(&x),
                        (inp as isize, 1),
                        black_box(&w),
                        (1, inp as isize),
                        &mut y,
                    )
                })
            },
        );
    }
    group.finish();
}

fn backward(c: &mut Criterion) {
    let mut group = c.benchmark_group("dense_backward");
    for (batch, inp, out, with_gx) in BACKWARD {
        let (x, w, gy) = (
            data(batch * inp, 1),
            data(out * inp, 2),
            data(batch * out, 4),
        );
        let (mut gw, mut gb, mut gx) =
            (vec![0.0; out * inp], vec![0.0; out], vec![0.0; batch * inp]);
        let name = format!(
            "{}{}",
            id(batch, inp, out),
            if with_gx { "+gx" } else { "" }
        );
        let flops = 2 * batch * inp * out * if with_gx { 2 } else { 1 };
        group.throughput(Throughput::Elements(flops as u64));
        group.bench_function(BenchmarkId::new("staticnet", &name), |bench| {
            bench.iter(|| {
                let gx = with_gx.then_some(&mut gx[..]);
                dense_backward(
                    black_box(&x),
                    black_box(&w),
                    black_box(&gy),
                    &mut gw,
                    Some(&mut gb),
                    gx,
                    batch,
                    inp,
                    out,
                )
            })
        });
        group.bench_function(BenchmarkId::new("matrixmultiply", &name), |bench| {
            bench.iter(|| {
                // gw = gy^T x: gy read as [out][batch] with strides (1, out).
                sgemm(
                    out,
                    batch,
                    inp,
                    black_box(&gy),
                    (1, out as isize),
                    black_box(&x),
                    (inp as isize, 1),
                    &mut gw,
                );
                if with_gx {
                    sgemm(
                        batch,
                        out,
                        inp,
                        black_box(&gy),
                        (out as isize, 1),
                        black_box(&w),
                        (inp as isize, 1),
                        &mut gx,
                    );
                }
            })
        });
    }
    group.finish();
}

/// The three dense layers of a 1-16-16-1 network, one sample.
fn tiny_network(c: &mut Criterion) {
    let (w1, b1, w2, b2, w3, b3) = (
        data(16, 1),
        data(16, 2),
        data(256, 3),
        data(16, 4),
        data(16, 5),
        data(1, 6),
    );
    let (mut h1, mut h2, mut y) = ([0.0; 16], [0.0; 16], [0.0; 1]);
    c.bench_function("dense_forward/staticnet/1-16-16-1", |bench| {
        bench.iter(|| {
            dense_forward(&[black_box(0.3)], &w1, Some(&b1), &mut h1, 1, 1, 16);
            dense_forward(&h1, &w2, Some(&b2), &mut h2, 1, 16, 16);
            dense_forward(&h2, &w3, Some(&b3), &mut y, 1, 16, 1);
            y[0]
        })
    });
}

/// LeNet-5's convolutions: 1 -> 6, 5x5, padding 2 on 28x28, and 6 -> 16, 5x5
/// on 14x14.
const LENET_CONV: [(&str, Conv2dGeom); 2] = [
    (
        "lenet_conv1",
        Conv2dGeom {
            in_c: 1,
            in_h: 28,
            in_w: 28,
            out_c: 6,
            out_h: 28,
            out_w: 28,
            k_h: 5,
            k_w: 5,
            stride_h: 1,
            stride_w: 1,
            pad_h: 2,
            pad_w: 2,
            dil_h: 1,
            dil_w: 1,
            groups: 1,
        },
    ),
    (
        "lenet_conv2",
        Conv2dGeom {
            in_c: 6,
            in_h: 14,
            in_w: 14,
            out_c: 16,
            out_h: 10,
            out_w: 10,
            k_h: 5,
            k_w: 5,
            stride_h: 1,
            stride_w: 1,
            pad_h: 0,
            pad_w: 0,
            dil_h: 1,
            dil_w: 1,
            groups: 1,
        },
    ),
];

/// Forward at batch 1 (inference), forward + backward at batch 32 (a
/// training step; conv1 is a first layer, so it computes no input gradient).
fn conv(c: &mut Criterion) {
    let mut group = c.benchmark_group("conv2d");
    for (name, g) in LENET_CONV {
        let k = g.in_c / g.groups * g.k_h * g.k_w;
        let (inp, out) = (g.in_c * g.in_h * g.in_w, g.out_c * g.out_h * g.out_w);
        let (w, b) = (data(g.out_c * k, 2), data(g.out_c, 3));
        let mut scratch = vec![0.0; g.train_scratch_len()];
        let macs = out * k;

        let (x, mut y) = (data(inp, 1), vec![0.0; out]);
        group.throughput(Throughput::Elements((2 * macs) as u64));
        group.bench_function(BenchmarkId::new("forward", format!("{name}/b1")), |bench| {
            bench.iter(|| {
                conv2d_forward(black_box(&x), &w, Some(&b), &mut y, &mut scratch, 1, &g);
            })
        });

        let batch = 32;
        let with_gx = name != "lenet_conv1";
        let (x, gy) = (data(batch * inp, 1), data(batch * out, 4));
        let mut y = vec![0.0; batch * out];
        let (mut gw, mut gb, mut gx) = (vec![0.0; w.len()], vec![0.0; b.len()], vec![0.0; x.len()]);
        let passes = if with_gx { 3 } else { 2 };
        group.throughput(Throughput::Elements((2 * passes * macs * batch) as u64));
        let id = format!("{name}/b{batch}");
        group.bench_function(BenchmarkId::new("forward+backward", id), |bench| {
            bench.iter(|| {
                conv2d_forward(black_box(&x), &w, Some(&b), &mut y, &mut scratch, batch, &g);
                let gx = with_gx.then_some(&mut gx[..]);
                conv2d_backward(
                    black_box(&x),
                    &w,
                    black_box(&gy),
                    &mut gw,
                    Some(&mut gb),
                    gx,
                    &mut scratch,
                    batch,
                    &g,
                );
            })
        });
    }
    group.finish();
}

/// FMA peak and L2 streaming floor (x86-64 only; the group is empty elsewhere).
fn hardware(c: &mut Criterion) {
    let mut group = c.benchmark_group("HW");
    #[cfg(target_arch = "x86_64")]
    {
        const STEPS: usize = 100_000;
        if std::is_x86_feature_detected!("avx512f") {
            group.throughput(Throughput::Elements((STEPS * 12 * 16 * 2) as u64));
            group.bench_function("fma peak avx512", |b| {
                b.iter(|| probe::fma_avx512(black_box(STEPS)))
            });
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            group.throughput(Throughput::Elements((STEPS * 12 * 8 * 2) as u64));
            group.bench_function("fma peak avx2", |b| {
                b.iter(|| probe::fma_avx2(black_box(STEPS)))
            });
        }
        if std::is_x86_feature_detected!("avx512f") {
            // W1's first weight matrix, 784 x 128 f32, 64-byte aligned.
            let lines = 784 * 128 / 16;
            let buf: Vec<Line> = (0..lines).map(|i| Line([i as f32 * 1e-6; 16])).collect();
            let floats: &[f32] = bytemuck::cast_slice(&buf);
            assert_eq!(floats.as_ptr().align_offset(64), 0);
            group.throughput(Throughput::Bytes((floats.len() * 4) as u64));
            group.bench_function("l2 read 401KB", |b| {
                b.iter(|| probe::sum_avx512(black_box(floats)))
            });
        }
    }
    cross_core(&mut group);
    group.finish();
}

/// The cost of writing 100 KB (W2's batch of 32 inputs) that another core has
/// just read, against writing it again on the same core: what a step split
/// over two threads pays whenever one thread overwrites what the other read.
/// Needs two CPUs (run it unpinned).
fn cross_core(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    let buf: Arc<Vec<AtomicU32>> = Arc::new((0..25_600).map(|_| AtomicU32::new(0)).collect());
    // Even: the reader may read; odd: it has read (or `usize::MAX`: stop).
    let turn = Arc::new(AtomicUsize::new(1));
    let reader = {
        let (buf, turn) = (Arc::clone(&buf), Arc::clone(&turn));
        std::thread::spawn(move || loop {
            let t = turn.load(Ordering::Acquire);
            if t == usize::MAX {
                return;
            }
            if t % 2 == 0 {
                let s = buf
                    .iter()
                    .fold(0u32, |s, v| s.wrapping_add(v.load(Ordering::Relaxed)));
                black_box(s);
                turn.store(t + 1, Ordering::Release);
            } else {
                std::thread::yield_now();
            }
        })
    };
    let write = |v: u32| buf.iter().for_each(|x| x.store(v, Ordering::Relaxed));
    group.throughput(Throughput::Bytes(102_400));
    group.bench_function("write 100KB read by the other core", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let t = turn.load(Ordering::Acquire) + 1;
                turn.store(t, Ordering::Release);
                while turn.load(Ordering::Acquire) == t {
                    std::thread::yield_now();
                }
                let start = Instant::now();
                write(i as u32);
                total += start.elapsed();
            }
            total
        })
    });
    group.bench_function("write 100KB on the same core", |b| {
        b.iter_custom(|iters| {
            write(0);
            let start = Instant::now();
            for i in 0..iters {
                write(black_box(i as u32));
            }
            start.elapsed()
        })
    });
    turn.store(usize::MAX, Ordering::Release);
    reader.join().expect("reader thread");
}

/// One 64-byte cache line of f32s.
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, align(64))]
struct Line([f32; 16]);

/// The probes' inner loops, with the CPU features they need.
#[cfg(target_arch = "x86_64")]
#[allow(
    unsafe_code,
    reason = "SIMD intrinsics need `target_feature` functions"
)]
mod probe {
    use std::arch::x86_64::*;

    /// `steps` rounds of 12 independent `zmm` FMA chains.
    pub fn fma_avx512(steps: usize) -> f32 {
        assert!(std::is_x86_feature_detected!("avx512f"));
        // SAFETY: the CPU has AVX-512F (asserted above); the function only
        // computes on registers.
        unsafe { fma512(steps) }
    }

    /// `steps` rounds of 12 independent `ymm` FMA chains.
    pub fn fma_avx2(steps: usize) -> f32 {
        assert!(std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"));
        // SAFETY: the CPU has AVX2 and FMA (asserted above); registers only.
        unsafe { fma256(steps) }
    }

    /// The sum of `x` (64-byte aligned, a multiple of 16 long) with aligned
    /// 512-bit loads into 8 accumulators.
    pub fn sum_avx512(x: &[f32]) -> f32 {
        assert!(std::is_x86_feature_detected!("avx512f"));
        assert!(x.as_ptr().align_offset(64) == 0 && x.len().is_multiple_of(128));
        // SAFETY: AVX-512F is present; `sum512` reads `x[..x.len()]` in
        // aligned 16-lane loads, in bounds as the length is a multiple of 128.
        unsafe { sum512(x.as_ptr(), x.len()) }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn fma512(steps: usize) -> f32 {
        let (x, y) = (_mm512_set1_ps(0.999_999), _mm512_set1_ps(1e-7));
        let mut acc = [_mm512_setzero_ps(); 12];
        for _ in 0..steps {
            for a in &mut acc {
                *a = _mm512_fmadd_ps(*a, x, y);
            }
        }
        let s = acc
            .iter()
            .fold(_mm512_setzero_ps(), |s, &a| _mm512_add_ps(s, a));
        _mm512_reduce_add_ps(s)
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn fma256(steps: usize) -> f32 {
        let (x, y) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
        let mut acc = [_mm256_setzero_ps(); 12];
        for _ in 0..steps {
            for a in &mut acc {
                *a = _mm256_fmadd_ps(*a, x, y);
            }
        }
        let s = acc
            .iter()
            .fold(_mm256_setzero_ps(), |s, &a| _mm256_add_ps(s, a));
        let mut out = [0.0f32; 8];
        _mm256_storeu_ps(out.as_mut_ptr(), s);
        out.iter().sum()
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn sum512(x: *const f32, len: usize) -> f32 {
        let mut acc = [_mm512_setzero_ps(); 8];
        let mut p = 0;
        while p < len {
            for (j, a) in acc.iter_mut().enumerate() {
                *a = _mm512_add_ps(*a, _mm512_load_ps(x.add(p + 16 * j)));
            }
            p += 128;
        }
        let s = acc
            .iter()
            .fold(_mm512_setzero_ps(), |s, &a| _mm512_add_ps(s, a));
        _mm512_reduce_add_ps(s)
    }
}

/// LeNet-5's two 2x2 max pools (6x28x28 and 16x10x10 inputs), forward and
/// backward at batch 32.
fn maxpool(c: &mut Criterion) {
    let mut group = c.benchmark_group("maxpool2d");
    for (name, channels, size) in [("lenet_pool1", 6, 28), ("lenet_pool2", 16, 10)] {
        let g = Pool2dGeom {
            channels,
            in_h: size,
            in_w: size,
            out_h: size / 2,
            out_w: size / 2,
            k_h: 2,
            k_w: 2,
            stride_h: 2,
            stride_w: 2,
            pad_h: 0,
            pad_w: 0,
        };
        let batch = 32;
        let x = data(batch * channels * size * size, 1);
        let gy = data(batch * channels * size * size / 4, 2);
        let (mut y, mut gx) = (vec![0.0; gy.len()], vec![0.0; x.len()]);
        group.bench_function(
            BenchmarkId::new("forward", format!("{name}/b{batch}")),
            |bench| bench.iter(|| maxpool2d_forward(black_box(&x), &mut y, batch, &g)),
        );
        maxpool2d_forward(&x, &mut y, batch, &g);
        group.bench_function(
            BenchmarkId::new("backward", format!("{name}/b{batch}")),
            |bench| {
                bench.iter(|| {
                    maxpool2d_backward(black_box(&x), &y, black_box(&gy), &mut gx, batch, &g)
                })
            },
        );
    }
    group.finish();
}

/// `gemv_i8` at 784x128 on each path (`portable`, `avx2`, `avx512bw`,
/// `avx512vnni`, those this CPU has) and the f32 dense forward at batch 1,
/// 784->128: 2 * 784 * 128 operations each.
fn int8(c: &mut Criterion) {
    let (inp, out) = (784, 128);
    let mut group = c.benchmark_group("int8");
    group.throughput(Throughput::Elements((2 * inp * out) as u64));
    let byte = |i: usize, seed: u32| {
        ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 24) as u8 as i8
    };
    let x: Vec<i8> = (0..inp).map(|i| byte(i, 1)).collect();
    let w: Vec<i8> = (0..inp * out).map(|i| byte(i, 2)).collect();
    let wsum: Vec<i32> = w
        .chunks_exact(inp)
        .map(|row| row.iter().map(|&v| i32::from(v)).sum())
        .collect();
    let mut acc = vec![0i32; out];
    for name in ["portable", "avx2", "avx512bw", "avx512vnni"] {
        let Some(path) = Path::named(name) else {
            continue;
        };
        group.bench_function(BenchmarkId::new("gemv 784x128", name), |bench| {
            bench.iter(|| path.run(black_box(&x), black_box(&w), &wsum, &mut acc))
        });
    }
    let (xf, wf, bf) = (data(inp, 1), data(out * inp, 2), data(out, 3));
    let mut y = vec![0.0; out];
    group.bench_function("f32 dense_forward 1x784->128", |bench| {
        bench.iter(|| {
            dense_forward(
                black_box(&xf),
                black_box(&wf),
                Some(black_box(&bf)),
                &mut y,
                1,
                inp,
                out,
            )
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    hardware,
    forward,
    backward,
    tiny_network,
    conv,
    maxpool,
    int8
);
criterion_main!(benches);
