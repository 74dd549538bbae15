//! Dense-layer kernels at the sizes staticnet's examples use, against
//! `matrixmultiply::sgemm` on the same products.
//!
//! ```text
//! cargo bench --bench kernels -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use staticnet::kernels::dense::{dense_backward, dense_forward};
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

criterion_group!(benches, forward, backward, tiny_network);
criterion_main!(benches);
