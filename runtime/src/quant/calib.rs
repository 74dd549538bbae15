//! Calibration: the range of each activation of a float network over a
//! calibration set, and from it the tensor's int8 scale and zero point.
//!
//! The first pass records each tensor's minimum and maximum. [`Range::MinMax`]
//! stops there; [`Range::Percentile`] and [`Range::Mse`] take a second pass
//! that fills a histogram of [`BINS`] bins over that span, then clip the
//! range: at a percentile of the values, or where the expected squared
//! error (clipping outside, rounding inside) is least (TensorRT's and
//! PyTorch's `HistogramObserver` idea, on a fixed grid of candidates).

use super::{asymmetric_params, QuantError};
use crate::Network;

/// A float network declared with `#[staticnet(quantize)]`, whose `T`
/// activation tensors (the input, then each layer's output) calibration
/// observes.
pub trait Observe<const T: usize>: Network {
    /// Runs a batch in inference mode and records every tensor's values.
    fn observe<const B: usize>(
        &self,
        input: &[Self::Input; B],
        cache: &mut Self::Cache<B>,
        calib: &mut Calibration<T>,
    );
}

/// Histogram bins per tensor.
pub const BINS: usize = 1024;

/// How a tensor's range is chosen from what calibration saw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Range {
    /// The smallest and largest value seen (TFLite's converter default).
    MinMax,
    /// Clip the given percentage of the values off the range, half at each
    /// end (all of it at the top when no value is negative): `Percentile(99.99)`.
    Percentile(f32),
    /// The clip with the least expected squared error.
    Mse,
}

/// What calibration saw of one tensor.
#[derive(Clone, Copy, Debug)]
pub struct Observer {
    min: f32,
    max: f32,
    non_finite: bool,
    hist: [u32; BINS],
}

impl Observer {
    const EMPTY: Self = Observer {
        min: f32::INFINITY,
        max: f32::NEG_INFINITY,
        non_finite: false,
        hist: [0; BINS],
    };

    fn bin(&self, v: f32) -> usize {
        let t = (v - self.min) / (self.max - self.min);
        ((t * BINS as f32) as usize).min(BINS - 1)
    }

    /// The value at the middle of bin `i`.
    fn center(&self, i: usize) -> f64 {
        let w = f64::from(self.max - self.min) / BINS as f64;
        f64::from(self.min) + (i as f64 + 0.5) * w
    }
}

/// Observers for the `T` activation tensors of a network (its input first,
/// then each layer's output), and the method that turns them into ranges.
#[derive(Clone, Debug)]
pub struct Calibration<const T: usize> {
    method: Range,
    pass: usize,
    obs: [Observer; T],
}

impl<const T: usize> Calibration<T> {
    /// No values seen yet.
    pub const fn new(method: Range) -> Self {
        Calibration {
            method,
            pass: 0,
            obs: [Observer::EMPTY; T],
        }
    }

    /// Passes over the calibration set `method` needs: 1 or 2.
    pub fn passes(&self) -> usize {
        match self.method {
            Range::MinMax => 1,
            Range::Percentile(_) | Range::Mse => 2,
        }
    }

    /// Ends a pass over the calibration set.
    pub fn next_pass(&mut self) {
        self.pass += 1;
    }

    /// Records `values` of tensor `t`.
    pub fn observe(&mut self, t: usize, values: &[f32]) {
        let o = &mut self.obs[t];
        if self.pass == 0 {
            for &v in values {
                if v.is_finite() {
                    o.min = o.min.min(v);
                    o.max = o.max.max(v);
                } else {
                    o.non_finite = true;
                }
            }
        } else if self.pass == 1 && o.max > o.min {
            for &v in values {
                if v.is_finite() {
                    let b = o.bin(v.clamp(o.min, o.max));
                    o.hist[b] = o.hist[b].saturating_add(1);
                }
            }
        }
    }

    /// The real range `[lo, hi]` chosen for tensor `t` (widened to hold 0).
    pub fn range(&self, t: usize, name: &'static str) -> Result<(f32, f32), QuantError> {
        let o = &self.obs[t];
        if o.non_finite {
            return Err(QuantError::NonFinite { tensor: name });
        }
        if o.min > o.max || self.pass < self.passes() {
            return Err(QuantError::NotCalibrated { tensor: name });
        }
        let (lo, hi) = (o.min.min(0.0), o.max.max(0.0));
        if o.max == o.min {
            return Ok((lo, hi));
        }
        Ok(match self.method {
            Range::MinMax => (lo, hi),
            Range::Percentile(p) => percentile(o, p),
            Range::Mse => mse(o),
        })
    }

    /// Tensor `t`'s scale and zero point.
    pub fn params(&self, t: usize, name: &'static str) -> Result<(f32, i32), QuantError> {
        let (lo, hi) = self.range(t, name)?;
        Ok(asymmetric_params(lo, hi))
    }
}

fn percentile(o: &Observer, p: f32) -> (f32, f32) {
    let total: u64 = o.hist.iter().map(|&c| u64::from(c)).sum();
    let cut = (f64::from(100.0 - p.clamp(0.0, 100.0)) / 100.0) * total as f64;
    let (cut_lo, cut_hi) = if o.min >= 0.0 {
        (0.0, cut)
    } else {
        (cut / 2.0, cut / 2.0)
    };
    let w = (o.max - o.min) / BINS as f32;
    let mut seen = 0u64;
    let mut lo = o.min;
    for (i, &c) in o.hist.iter().enumerate() {
        if (seen + u64::from(c)) as f64 > cut_lo {
            lo = o.min + i as f32 * w;
            break;
        }
        seen += u64::from(c);
    }
    seen = 0;
    let mut hi = o.max;
    for (i, &c) in o.hist.iter().enumerate().rev() {
        if (seen + u64::from(c)) as f64 > cut_hi {
            hi = o.min + (i + 1) as f32 * w;
            break;
        }
        seen += u64::from(c);
    }
    (lo.min(0.0), hi.max(0.0))
}

/// Candidates: each end of the observed range scaled by `0.96^k`,
/// `k = 0..=60` (down to 9% of it), independently; scored by the expected
/// squared error of the histogram's values.
fn mse(o: &Observer) -> (f32, f32) {
    let (lo0, hi0) = (f64::from(o.min.min(0.0)), f64::from(o.max.max(0.0)));
    let mut best = (f64::INFINITY, (lo0, hi0));
    let factors: [f64; 61] = core::array::from_fn(|k| libm::pow(0.96, k as f64));
    for &fl in &factors {
        for &fh in &factors {
            let (lo, hi) = (lo0 * fl, hi0 * fh);
            let err = expected_error(o, lo, hi);
            if err < best.0 {
                best = (err, (lo, hi));
            }
        }
        if lo0 == 0.0 {
            break; // every low end is 0
        }
    }
    (best.1 .0 as f32, best.1 .1 as f32)
}

/// The squared error of quantising the histogram's values to `[lo, hi]`:
/// the clipping error outside, a uniform rounding error (`step^2 / 12`)
/// inside.
fn expected_error(o: &Observer, lo: f64, hi: f64) -> f64 {
    let step = (hi - lo) / 255.0;
    let mut err = 0.0;
    for (i, &c) in o.hist.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let v = o.center(i);
        let e = if v < lo {
            (lo - v) * (lo - v)
        } else if v > hi {
            (v - hi) * (v - hi)
        } else {
            step * step / 12.0
        };
        err += f64::from(c) * e;
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_from_min_max_percentile_and_mse() {
        let mut rng = crate::Rng::new(1);
        let mut values = [0f32; 10_000];
        for v in values.iter_mut() {
            *v = rng.normal();
        }
        values[0] = 40.0; // one outlier
        for (method, check) in [
            (Range::MinMax, (40.0f32, 40.0f32)),
            (Range::Percentile(99.9), (3.0, 4.5)),
        ] {
            let mut c = Calibration::<2>::new(method);
            assert_eq!(
                c.range(0, "x"),
                Err(QuantError::NotCalibrated { tensor: "x" })
            );
            for _ in 0..c.passes() {
                for chunk in values.chunks(333) {
                    c.observe(0, chunk);
                }
                c.next_pass();
            }
            let (lo, hi) = c.range(0, "x").unwrap();
            assert!(
                (check.0..=check.1).contains(&hi),
                "{method:?}: [{lo}, {hi}]"
            );
            assert!(lo < -2.0, "{method:?}: [{lo}, {hi}]");
            // Tensor 1 saw nothing.
            assert_eq!(
                c.params(1, "y"),
                Err(QuantError::NotCalibrated { tensor: "y" })
            );
        }
        // A heavy tail (cubes of normal values): the chosen range's expected
        // error is no larger than the full range's or a halved one's.
        let cubes: [f32; 10_000] = core::array::from_fn(|_| rng.normal().powi(3));
        let mut c = Calibration::<1>::new(Range::Mse);
        for _ in 0..2 {
            c.observe(0, &cubes);
            c.next_pass();
        }
        let (lo, hi) = c.range(0, "x").unwrap();
        let o = &c.obs[0];
        let err = expected_error(o, f64::from(lo), f64::from(hi));
        let (min, max) = (f64::from(o.min), f64::from(o.max));
        assert!(err <= expected_error(o, min, max), "[{lo}, {hi}]");
        assert!(
            err <= expected_error(o, min / 2.0, max / 2.0),
            "[{lo}, {hi}]"
        );
        assert!(hi <= o.max && lo >= o.min && hi > 1.0 && lo < -1.0);
        let mut c = Calibration::<1>::new(Range::MinMax);
        c.observe(0, &[1.0, f32::NAN]);
        c.next_pass();
        assert_eq!(c.range(0, "z"), Err(QuantError::NonFinite { tensor: "z" }));
        // Only non-negative values: the range starts at 0, zero point -128.
        let mut c = Calibration::<1>::new(Range::MinMax);
        c.observe(0, &[0.5, 2.55]);
        c.next_pass();
        let (s, zp) = c.params(0, "r").unwrap();
        assert_eq!(zp, -128);
        assert!((s - 0.01).abs() < 1e-7);
    }
}
