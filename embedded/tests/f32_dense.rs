//! The f32 dense product (`kernels::gemm::gemm_nt`, which `dense_forward`
//! runs for layers of more than 1,024 weights: two rows at a time in
//! `VLDMIA`/`VMLA.F32` assembly on Arm cores with an FPU, the portable loop
//! elsewhere) against a scalar loop in its documented order, bit for bit:
//! eight lane sums over the whole chunks of eight columns, added pairwise
//! (`((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7))`), then the last
//! products one by one. Pseudo-random data at odd sizes, rows starting off
//! the 32-byte grid, overwrite and accumulate. One 784x128 `dense_forward`
//! (the MLP's first layer) is between the instruction-count markers.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use staticnet::__private::rt::kernels::dense::dense_forward;
use staticnet::__private::rt::kernels::gemm::{gemm_nt, Store};
use staticnet_embedded::{bench_end, bench_start, exit, print, print_u32};

staticnet_embedded::hard_fault_exits!();

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    print("f32_dense: panic\n");
    exit(1)
}

const K: usize = 784;
const ROWS: usize = 128;

/// `L` pseudo-random f32 in [-1, 1) (a 32-bit LCG, the high 24 bits),
/// made at compile time: the arrays lie in flash.
const fn lcg<const L: usize>(seed: u32) -> [f32; L] {
    let mut out = [0.0f32; L];
    let mut s = seed;
    let mut i = 0;
    while i < L {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        out[i] = (s >> 8) as f32 / 8_388_608.0 - 1.0;
        i += 1;
    }
    out
}

/// One extra element, so that the rows can start one f32 in.
static W: [f32; K * ROWS + 1] = lcg(0x5eed_0011);
static X: [f32; 3 * K + 1] = lcg(0x5eed_0012);
static BIAS: [f32; ROWS] = lcg(0x5eed_0013);

/// `x . w` in the kernels' order (see the module docs).
#[inline(never)]
fn dot(x: &[f32], w: &[f32]) -> f32 {
    let whole = x.len() - x.len() % 8;
    let mut v = [0.0f32; 8];
    for p in (0..whole).step_by(8) {
        for l in 0..8 {
            v[l] += x[p + l] * w[p + l];
        }
    }
    let mut s = ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
    for i in whole..x.len() {
        s += x[i] * w[i];
    }
    s
}

/// `gemm_nt` of `m` rows of `x` and `n` rows of `w` (`k` columns), with
/// and without accumulation, against [`dot`]; true when every bit agrees.
fn check(x: &[f32], w: &[f32], m: usize, n: usize, k: usize) -> bool {
    let (a, b) = (&x[..m * k], &w[..n * k]);
    let mut ok = true;
    for store in [Store::Overwrite, Store::Accumulate] {
        let mut c = [0.0f32; 3 * ROWS];
        let c = &mut c[..m * n];
        c.iter_mut()
            .zip(BIAS.iter().cycle())
            .for_each(|(c, &b)| *c = b);
        gemm_nt(
            core::hint::black_box(a),
            core::hint::black_box(b),
            c,
            m,
            n,
            k,
            store,
        );
        for i in 0..m {
            for j in 0..n {
                let s = dot(&a[i * k..][..k], &b[j * k..][..k]);
                let want = match store {
                    Store::Overwrite => s,
                    Store::Accumulate => BIAS[(i * n + j) % ROWS] + s,
                };
                ok &= c[i * n + j].to_bits() == want.to_bits();
            }
        }
    }
    ok
}

#[entry]
fn main() -> ! {
    let (mut passed, mut failed) = (0u32, 0u32);
    let mut record = |ok: bool, what: &str, k: usize, n: usize| {
        if ok {
            passed += 1;
        } else {
            failed += 1;
            print("FAIL ");
            print(what);
            print(" k=");
            print_u32(k as u32);
            print(" rows=");
            print_u32(n as u32);
            print("\n");
        }
    };

    for k in [2usize, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 784] {
        for n in [1usize, 2, 3, 5, 10, 63, 128] {
            for m in [1usize, 3] {
                for off in [0usize, 1] {
                    let ok = check(&X[off..], &W[1 - off..], m, n, k);
                    record(ok, "gemm_nt", k, n);
                }
            }
        }
    }

    // The measured layer: 784x128 with bias, 100,352 multiply-adds.
    let mut y = [0.0f32; ROWS];
    bench_start();
    dense_forward(
        core::hint::black_box(&X[..K]),
        core::hint::black_box(&W[..K * ROWS]),
        Some(&BIAS),
        &mut y,
        1,
        K,
        ROWS,
    );
    bench_end();
    let same = (0..ROWS).all(|o| {
        let want = BIAS[o] + dot(&X[..K], &W[o * K..][..K]);
        y[o].to_bits() == want.to_bits()
    });
    record(same, "dense_forward", K, ROWS);

    print("f32_dense: ");
    print_u32(passed);
    print(" passed, ");
    print_u32(failed);
    print(" failed\n");
    exit(if failed == 0 { 0 } else { 1 })
}
