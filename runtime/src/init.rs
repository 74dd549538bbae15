//! Seeded randomness and weight initialisers.
//!
//! [`Rng`] is SplitMix64 (Steele, Lea and Flood 2014; the seeding generator of
//! `xoshiro`): one `u64` of state, `Pod`, so it lives inside a zero-initialised
//! training cache. Every draw goes through integer arithmetic and
//! [`crate::math`], so the same seed gives bit-identical numbers on every
//! target.
//!
//! The initialisers fill flat slices in place (a weight matrix in PyTorch
//! layout, `[out][in]` for `dense`), drawing elements in slice order.

use crate::math;

/// The golden-ratio increment of SplitMix64, `floor(2^64 / phi)`, odd.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: a bijection on `u64` with full avalanche.
const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A small, fast, seedable random generator (SplitMix64).
///
/// Any state is valid, including `0`: the state is advanced by an odd
/// constant *before* mixing, so a zeroed cache yields a normal-looking stream.
/// Not cryptographic.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose state is `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The whole state: `Rng::new(rng.state())` continues exactly where
    /// `rng` is (what checkpoints save).
    pub const fn state(&self) -> u64 {
        self.state
    }

    /// The `index`-th independent stream derived from `seed`: for one seed,
    /// distinct indices give distinct, well-mixed starting states (the
    /// derivation `mix(seed + mix(index + GAMMA))` is injective in `index`).
    /// Use it to give each layer its own stream, so that adding a layer does
    /// not shift the numbers drawn by the others.
    pub const fn stream(seed: u64, index: u64) -> Self {
        Self::new(mix(seed.wrapping_add(mix(index.wrapping_add(GAMMA)))))
    }

    /// Splits off a child generator seeded from this one's next output; both
    /// then advance independently.
    pub fn fork(&mut self) -> Self {
        Self::new(mix(self.next_u64()))
    }

    /// 64 uniformly distributed random bits:
    /// `state += GAMMA; mix(state)`.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix(self.state)
    }

    /// Uniform in `[0, 1)`: the top 24 bits of [`next_u64`](Self::next_u64)
    /// times `2^-24`, so every value is exactly representable and `1.0` is
    /// never returned.
    #[inline]
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    /// Standard normal (mean 0, variance 1) by Box–Muller:
    /// `sqrt(-2 ln u1) cos(2 pi u2)` with `u1` in `(0, 1]`, `u2` in `[0, 1)`.
    /// The sine twin is discarded so the state stays one `u64`; the tails are
    /// truncated at `sqrt(-2 ln 2^-24)`, about 5.8 sigma.
    pub fn normal(&mut self) -> f32 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        math::sqrt(-2.0 * math::ln(u1)) * math::cos(core::f32::consts::TAU * u2)
    }

    /// Uniform integer in `0..n`, without modulo bias (Lemire's
    /// multiply-and-reject).
    ///
    /// # Panics
    ///
    /// If `n == 0`.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below: n must be positive");
        let n = n as u64;
        // Products whose low half falls below 2^64 mod n are rejected, so each
        // high half is hit by exactly floor(2^64 / n) accepted values.
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as usize;
            }
        }
    }

    /// Shuffles `items` in place (Fisher–Yates): every permutation is equally
    /// likely.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// He (Kaiming) normal, for layers followed by a ReLU-like activation:
/// `w ~ N(0, std^2)` with `std = sqrt(2 / fan_in)`. PyTorch's
/// `kaiming_normal_(w, nonlinearity="relu")` with the default fan-in mode.
pub fn he_normal(w: &mut [f32], fan_in: usize, rng: &mut Rng) {
    debug_assert!(fan_in > 0);
    let std = math::sqrt(2.0 / fan_in as f32);
    for v in w {
        *v = std * rng.normal();
    }
}

/// He (Kaiming) uniform: `w ~ U(-limit, limit)` with
/// `limit = sqrt(6 / fan_in)` (variance `2 / fan_in`). PyTorch's
/// `kaiming_uniform_(w, nonlinearity="relu")`.
pub fn he_uniform(w: &mut [f32], fan_in: usize, rng: &mut Rng) {
    debug_assert!(fan_in > 0);
    uniform_symmetric(w, math::sqrt(6.0 / fan_in as f32), rng);
}

/// Xavier (Glorot) uniform, for layers followed by `tanh`, `sigmoid`,
/// `softmax` or nothing: `w ~ U(-limit, limit)` with
/// `limit = sqrt(6 / (fan_in + fan_out))`. PyTorch's `xavier_uniform_`.
pub fn xavier_uniform(w: &mut [f32], fan_in: usize, fan_out: usize, rng: &mut Rng) {
    debug_assert!(fan_in + fan_out > 0);
    uniform_symmetric(w, math::sqrt(6.0 / (fan_in + fan_out) as f32), rng);
}

/// Standard normal values (PyTorch's `nn.Embedding` initialisation).
pub fn normal(w: &mut [f32], rng: &mut Rng) {
    for v in w {
        *v = rng.normal();
    }
}

/// `w = 0`, for biases.
pub fn zeros(w: &mut [f32]) {
    w.fill(0.0);
}

/// `w ~ U(-limit, limit)`, as `(2u - 1) limit` with `u` from [`Rng::uniform`]
/// (PyTorch's recurrent layers: `limit = 1 / sqrt(hidden)` for every tensor).
pub fn uniform_symmetric(w: &mut [f32], limit: f32, rng: &mut Rng) {
    for v in w {
        *v = (2.0 * rng.uniform() - 1.0) * limit;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Mean and (population) variance in f64.
    fn moments(x: &[f32]) -> (f64, f64) {
        let n = x.len() as f64;
        let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = x
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var)
    }

    #[test]
    fn splitmix64_reference_values() {
        // Published SplitMix64 outputs for seed 0 (as in the xoshiro reference
        // `splitmix64.c`): the zero state is a fine starting point.
        let mut rng = Rng::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(rng.next_u64(), 0x06C4_5D18_8009_454F);
        let zeroed: Rng = bytemuck::Zeroable::zeroed();
        assert_eq!(zeroed, Rng::new(0));
    }

    #[test]
    fn same_seed_same_sequence() {
        let (mut a, mut b, mut c) = (Rng::new(42), Rng::new(42), Rng::new(43));
        let xa: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        let xb: Vec<u64> = (0..100).map(|_| b.next_u64()).collect();
        let xc: Vec<u64> = (0..100).map(|_| c.next_u64()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
    }

    #[test]
    fn streams_and_forks_differ() {
        let firsts: Vec<u64> = (0..8).map(|i| Rng::stream(7, i).next_u64()).collect();
        for i in 0..firsts.len() {
            for j in 0..i {
                assert_ne!(firsts[i], firsts[j], "streams {i} and {j}");
            }
        }
        assert_eq!(Rng::stream(7, 3), Rng::stream(7, 3));
        let mut parent = Rng::new(1);
        let mut child = parent.fork();
        assert_ne!(parent.next_u64(), child.next_u64());
    }

    #[test]
    fn uniform_is_in_unit_interval_with_mean_one_half() {
        let mut rng = Rng::new(3);
        let x: Vec<f32> = (0..10_000).map(|_| rng.uniform()).collect();
        assert!(x.iter().all(|&v| (0.0..1.0).contains(&v)));
        let (mean, var) = moments(&x);
        // Standard error of the mean is sqrt(1/12 / 1e4) ~ 0.003.
        assert!((mean - 0.5).abs() < 0.015, "mean {mean}");
        assert!((var - 1.0 / 12.0).abs() < 0.005, "var {var}");
    }

    #[test]
    fn normal_has_mean_zero_variance_one() {
        let mut rng = Rng::new(4);
        let x: Vec<f32> = (0..10_000).map(|_| rng.normal()).collect();
        assert!(x.iter().all(|v| v.is_finite()));
        let (mean, var) = moments(&x);
        // Standard errors: 0.01 for the mean, ~0.014 for the variance.
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!((var - 1.0).abs() < 0.07, "var {var}");
    }

    #[test]
    fn below_covers_its_range_uniformly() {
        let mut rng = Rng::new(5);
        let mut counts = [0usize; 7];
        for _ in 0..7_000 {
            counts[rng.below(7)] += 1;
        }
        // Expected 1000 each, standard deviation ~29.
        assert!(
            counts.iter().all(|&c| (850..1150).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(rng.below(1), 0);
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut rng = Rng::new(6);
        let mut v: Vec<usize> = (0..100).collect();
        rng.shuffle(&mut v);
        assert_ne!(v, (0..100).collect::<Vec<_>>());
        v.sort_unstable();
        assert_eq!(v, (0..100).collect::<Vec<_>>());
        rng.shuffle(&mut [0u8; 0]);
        rng.shuffle(&mut [1u8]);
    }

    #[test]
    fn he_normal_has_std_sqrt_2_over_fan_in() {
        let mut w = std::vec![0.0f32; 10_000];
        he_normal(&mut w, 50, &mut Rng::new(8));
        let (mean, var) = moments(&w);
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var / (2.0 / 50.0) - 1.0).abs() < 0.07, "var {var}");
    }

    #[test]
    fn uniform_initialisers_respect_their_limits() {
        let check = |w: &[f32], limit: f64| {
            assert!(w
                .iter()
                .all(|&v| f64::from(v).abs() <= limit * (1.0 + 1e-6)));
            let (mean, var) = moments(w);
            // U(-a, a) has variance a^2 / 3.
            assert!(mean.abs() < 0.02 * limit, "mean {mean}");
            assert!(
                (var / (limit * limit / 3.0) - 1.0).abs() < 0.05,
                "var {var}"
            );
        };
        let mut rng = Rng::new(9);
        let mut w = std::vec![0.0f32; 10_000];
        he_uniform(&mut w, 50, &mut rng);
        check(&w, f64::sqrt(6.0 / 50.0));
        xavier_uniform(&mut w, 50, 30, &mut rng);
        check(&w, f64::sqrt(6.0 / 80.0));
    }

    #[test]
    fn initialisers_are_deterministic() {
        let (mut a, mut b) = ([0.0f32; 65], [0.0f32; 65]);
        he_normal(&mut a, 10, &mut Rng::new(11));
        he_normal(&mut b, 10, &mut Rng::new(11));
        assert_eq!(a, b);
        zeros(&mut a);
        assert!(a.iter().all(|&v| v == 0.0));
    }
}
