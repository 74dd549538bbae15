//! The one place where a kernel's instruction set is chosen.
//!
//! An instruction set is a proof token (rten's ISA tokens are the model):
//! [`Portable`] here, `Avx2` and `Avx512` (x86-64) and `Neon` (aarch64) in
//! `crate::raw` (made only when the CPU has their features). Each token implements [`Kernels`], whose default
//! methods are the portable code, so a token states only what it
//! accelerates. [`Isa`] is the token chosen at run time, and [`dispatch!`]
//! is the only `match` on it: it runs one body, written once, with the token
//! of the chosen instruction set bound to a name, so the body calls that
//! token's methods with static dispatch (each arm inlines its own
//! implementation).
//!
//! Adding an instruction set is one token, one `impl Kernels` and one arm in
//! [`dispatch!`] and in [`Isa`]; adding a kernel with a SIMD path is one
//! method here (its portable body as the default) and the overrides.

use super::conv2d::{self, LanesGeom};
use super::gemm::{portable, Out, Rows, Store};
use super::maxpool2d::{self, Pool2dGeom};
use crate::quant::conv2d::TileRq;
#[cfg(all(target_arch = "x86_64", any(test, feature = "std")))]
use crate::raw::Int8;
#[cfg(target_arch = "aarch64")]
use crate::raw::Neon;
#[cfg(all(target_arch = "x86_64", test))]
use crate::raw::Schedule;
#[cfg(target_arch = "x86_64")]
use crate::raw::{Avx2, Avx512};

/// An instruction set, with the proof (a token from `crate::raw`) that the
/// CPU supports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    /// Safe Rust, auto-vectorised for the compilation target.
    Portable,
    /// 256-bit AVX2 with FMA.
    #[cfg(target_arch = "x86_64")]
    Avx2(Avx2),
    /// 512-bit AVX-512F (and, for the int8 product, AVX-512BW and
    /// AVX512_VNNI where the CPU has them, which the token records).
    #[cfg(target_arch = "x86_64")]
    Avx512(Avx512),
    /// 128-bit NEON (aarch64).
    #[cfg(target_arch = "aarch64")]
    Neon(Neon),
}

/// Runs `$body` with `$t` bound to the token of `$isa` (an [`Isa`]): one
/// copy of the body per instruction set, each calling its own token's
/// [`Kernels`] methods.
///
/// ```text
/// dispatch!(isa, |t| t.nt(a, b, c, m, n, k, acc))
/// ```
macro_rules! dispatch {
    ($isa:expr, |$t:ident| $body:expr) => {
        match $isa {
            $crate::kernels::isa::Isa::Portable => {
                let $t = $crate::kernels::isa::Portable;
                $body
            }
            #[cfg(target_arch = "x86_64")]
            $crate::kernels::isa::Isa::Avx2($t) => $body,
            #[cfg(target_arch = "x86_64")]
            $crate::kernels::isa::Isa::Avx512($t) => $body,
            #[cfg(target_arch = "aarch64")]
            $crate::kernels::isa::Isa::Neon($t) => $body,
        }
    };
}
pub(crate) use dispatch;

impl Isa {
    /// The fastest path this CPU supports (cached after the first call).
    #[inline]
    pub(crate) fn best() -> Self {
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        return crate::raw::best_isa();
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        return Isa::Portable;
    }

    /// Every path this CPU supports, for tests: with VNNI, AVX-512 also
    /// without it, so that the AVX-512BW int8 path is tested too (AVX-512
    /// without BW runs the int8 product of AVX2); AVX-512 also with the f32
    /// products of the schedule this CPU does not get (`Schedule`), so that
    /// both run everywhere.
    #[cfg(test)]
    #[cfg_attr(
        not(any(target_arch = "x86_64", target_arch = "aarch64")),
        allow(unused_mut, reason = "only x86-64 and aarch64 have more paths")
    )]
    pub(crate) fn available() -> std::vec::Vec<Self> {
        let mut isas = std::vec![Isa::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            isas.extend(Avx2::new().map(Isa::Avx2));
            if let Some(avx512) = Avx512::new(Int8::Vnni) {
                if avx512.int8() == Int8::Vnni {
                    isas.extend(Avx512::new(Int8::Bw).map(Isa::Avx512));
                }
                isas.push(Isa::Avx512(avx512));
                let other = match avx512.schedule() {
                    Schedule::InPlace => Schedule::Packed,
                    Schedule::Packed => Schedule::InPlace,
                };
                isas.push(Isa::Avx512(avx512.with_schedule(other)));
            }
        }
        #[cfg(target_arch = "aarch64")]
        isas.extend(Neon::new().map(Isa::Neon));
        isas
    }

    /// The path of a name, if this CPU has it: `portable`, `avx2`,
    /// `avx512` (its best int8 path), `avx512bw` and `avx512vnni` (AVX-512
    /// with at most that int8 extension, if the CPU has that one), `neon`.
    #[cfg(feature = "std")]
    pub(crate) fn named(name: &str) -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        let with = |most: Int8| {
            Avx512::new(most)
                .filter(|t| t.int8() == most)
                .map(Isa::Avx512)
        };
        match name {
            "portable" => Some(Isa::Portable),
            #[cfg(target_arch = "x86_64")]
            "avx2" => Avx2::new().map(Isa::Avx2),
            #[cfg(target_arch = "x86_64")]
            "avx512" => Avx512::new(Int8::Vnni).map(Isa::Avx512),
            #[cfg(target_arch = "x86_64")]
            "avx512bw" => with(Int8::Bw),
            #[cfg(target_arch = "x86_64")]
            "avx512vnni" => with(Int8::Vnni),
            #[cfg(target_arch = "aarch64")]
            "neon" => Neon::new().map(Isa::Neon),
            _ => None,
        }
    }
}

/// The token of safe Rust: every [`Kernels`] method as its default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Portable;

impl Kernels for Portable {}

/// The kernels an instruction set provides, called on its token. The
/// default methods are the portable code; callers (the `*_with` functions
/// of [`gemm`](super::gemm), [`maxpool2d`]) check the shapes and handle empty
/// products before dispatching, so `m`, `n` are nonzero here.
pub(crate) trait Kernels: Copy {
    /// `C[m][n] (+)= A[m][k] * B[n][k]^T`, `k >= 2`.
    #[inline]
    fn nt(self, a: &[f32], b: &[f32], c: &mut [f32], m: usize, n: usize, k: usize, acc: bool) {
        let _ = m;
        portable::nt(a, b, Rows::dense(n, k), c, n, k, acc);
    }

    /// `C[m][n] (+)= A[m][k] * B[n][k]^T` with row `j` of `B` at
    /// `b[rows.offset(j)..][..k]`, `n = rows.k()`.
    #[inline]
    fn nt_rows(
        self,
        a: &[f32],
        b: &[f32],
        rows: Rows,
        c: &mut [f32],
        m: usize,
        k: usize,
        acc: bool,
    ) {
        let _ = m;
        portable::nt(a, b, rows, c, rows.k(), k, acc);
    }

    /// `C[m][n] (+)= sum_p A(i, p) * B[p][n]` with `A(i, p) = a[i * rsa + p *
    /// csa]`, `p < k`, or the SGD step `Out::Descend`.
    #[inline]
    fn outer(
        self,
        a: &[f32],
        strides: (usize, usize),
        b: &[f32],
        c: &mut [f32],
        m: usize,
        n: usize,
        k: usize,
        out: Out,
    ) {
        let _ = m;
        portable::outer(a, strides, b, c, n, k, out);
    }

    /// `C[m][n] (+)= A[m][k] * B[k][n]` with row `p` of `B` at
    /// `b[rows.offset(p)..][..n]`, `k = rows.k()`.
    #[inline]
    fn nn_rows(
        self,
        a: &[f32],
        b: &[f32],
        rows: Rows,
        c: &mut [f32],
        m: usize,
        n: usize,
        store: Store,
    ) {
        let _ = m;
        portable::outer_rows(a, b, rows, c, n, store == Store::Accumulate);
    }

    /// Calls `f` compiled for this instruction set (see
    /// [`vectorized`](super::vectorized)).
    #[inline]
    fn vectorized<R>(self, f: impl FnOnce() -> R) -> R {
        f()
    }

    /// Output channels per vector of the convolution tiles below, 0 where
    /// the token has none (then `conv2d::lanes` is not used).
    #[inline]
    fn conv_lanes(self) -> usize {
        0
    }

    /// One sample and group of a stride-1 convolution, output channels in
    /// the lanes (see `conv2d::lanes::forward_portable`, which checks
    /// nothing: the tokens' versions check the lengths).
    #[inline]
    fn conv_lanes_forward(
        self,
        x: &[f32],
        wt: &[f32],
        bias: Option<&[f32]>,
        relu: bool,
        y: &mut [f32],
        ocg: usize,
        g: &LanesGeom,
    ) {
        conv2d::lanes::forward_portable(x, wt, bias, relu, y, ocg, g);
    }

    /// The padded input gradient of one sample and group, added to `gxp`
    /// (see `conv2d::lanes::dgrad_portable`).
    #[inline]
    fn conv_lanes_dgrad(self, w: &[f32], gyw: &[f32], gxp: &mut [f32], ocg: usize, g: &LanesGeom) {
        conv2d::lanes::dgrad_portable(w, gyw, gxp, ocg, g);
    }

    /// `dst[j rows + i] = src[i cols + j]`, `i < rows`, `j < cols`.
    #[inline]
    fn transpose(self, src: &[f32], dst: &mut [f32], rows: usize, cols: usize) {
        conv2d::lanes::transpose_portable(src, dst, rows, cols);
    }

    /// The weight gradient of one sample and group, transposed, added to
    /// `acc` (see `conv2d::lanes::wgrad_portable`).
    #[inline]
    fn conv_lanes_wgrad(self, x: &[f32], gyt: &[f32], acc: &mut [f32], ocg: usize, g: &LanesGeom) {
        conv2d::lanes::wgrad_portable(x, gyt, acc, ocg, g);
    }

    /// 2x2, stride-2 max pool forward (see `maxpool2d::forward_2x2`).
    #[inline]
    fn maxpool2x2_forward(self, x: &[f32], y: &mut [f32], g: &Pool2dGeom) {
        maxpool2d::forward_2x2_portable(x, y, g);
    }

    /// 2x2, stride-2 max pool backward, with the ReLU before it fused in
    /// with `relu` (see `maxpool2d::backward_2x2`).
    #[inline]
    fn maxpool2x2_backward(
        self,
        x: &[f32],
        y: &[f32],
        gy: &[f32],
        gx: &mut [f32],
        g: &Pool2dGeom,
        relu: bool,
    ) {
        maxpool2d::backward_2x2_portable(x, y, gy, gx, g, relu);
    }

    /// `acc[o] += x . w[o]` over int8 rows of `x.len()`, in int32, wrapping;
    /// `wsum[o]` the sum of row `o` (see `crate::quant::gemv::gemv_i8`,
    /// which checks the lengths).
    #[inline]
    fn gemv_i8(self, x: &[i8], w: &[i8], wsum: &[i32], acc: &mut [i32]) {
        let _ = wsum;
        // Cortex-M4/M7: the DSP extension's dual 16-bit multiply-accumulate.
        #[cfg(staticnet_arm_dsp)]
        crate::raw::gemv_i8_dsp(x, w, acc);
        #[cfg(not(staticnet_arm_dsp))]
        crate::quant::gemv::portable(x, w, acc);
    }

    /// The int8 convolution's tile, `out[p][o] = rq.lane(o).apply(rq.start[o]
    /// + sum_i cols[p * k4 + i] * wpack[(i / 4 * 16 + o) * 4 + i % 4])`
    /// over `i < k4` for `p < out.len()`, `o < 16`, the sums in int32,
    /// wrapping (see `crate::quant::conv2d`, which checks the lengths).
    #[inline]
    fn conv_i8_tile(self, cols: &[i8], k4: usize, wpack: &[i8], rq: &TileRq, out: &mut [[i8; 16]]) {
        crate::quant::conv2d::tile_portable(cols, k4, wpack, rq, out);
    }
}

#[cfg(test)]
mod tests {
    use super::Isa;

    /// Every aarch64 CPU has NEON: the tests that run over
    /// [`Isa::available`] must run its kernels, not only the portable ones.
    #[cfg(all(target_arch = "aarch64", not(staticnet_portable)))]
    #[test]
    fn neon_is_detected_and_chosen() {
        assert!(matches!(Isa::best(), Isa::Neon(_)));
        assert!(Isa::available().contains(&Isa::best()));
    }

    /// Built with `--cfg staticnet_packed_gemm`, an AVX-512 CPU gets the
    /// packed schedule whatever its vendor.
    #[cfg(all(target_arch = "x86_64", staticnet_packed_gemm))]
    #[test]
    fn the_flag_forces_the_packed_schedule() {
        if let Isa::Avx512(t) = Isa::best() {
            assert_eq!(t.schedule(), crate::raw::Schedule::Packed);
        }
    }

    #[test]
    fn the_best_path_is_available_and_portable_always() {
        assert!(Isa::available().contains(&Isa::best()));
        assert_eq!(Isa::available()[0], Isa::Portable);
    }
}
