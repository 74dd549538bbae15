//! Float weights to a layer's int8 parameters: weights symmetric per output
//! channel ([`quantize_symmetric`]), the bias in steps of `s_x s_w`
//! (TFLite's int32 bias), the row sums and each channel's [`Multiplier`]
//! `s_x s_w / s_y`. Runs on the host (or wherever the network is
//! quantised), so floats are fine here.

use super::{quantize_symmetric, Channels, Multiplier, QuantError};

impl<const O: usize> Channels<O> {
    /// Quantises `w` (`O` rows, float) into `qw` and fills these parameters
    /// for an input scale `s_x` and output scale `s_y`; `bias` is optional
    /// (`bias = false` layers). `layer` names the layer in errors.
    pub fn prepare(
        &mut self,
        w: &[f32],
        bias: Option<&[f32; O]>,
        scales: (f32, f32),
        qw: &mut [i8],
        layer: &'static str,
    ) -> Result<(), QuantError> {
        assert_eq!(w.len(), qw.len());
        self.prepare_rows(w, bias, scales, layer, |o, row| {
            let q = &mut qw[o * row.len()..][..row.len()];
            let s_w = quantize_symmetric(row, q);
            (s_w, q.iter().map(|&v| i32::from(v)).sum())
        })
    }

    /// What every prepare shares: checks that `w` is `O` rows and finite,
    /// then for each row `o` lets `quantize(o, row)` quantise it (returning
    /// its scale and the sum of its integers) and sets the channel
    /// ([`set_channel`](Self::set_channel)). Used by
    /// [`prepare`](Self::prepare) and
    /// [`prepare_packed`](Self::prepare_packed).
    ///
    /// # Panics
    ///
    /// If `w` is not `O` rows.
    pub(crate) fn prepare_rows(
        &mut self,
        w: &[f32],
        bias: Option<&[f32; O]>,
        scales: (f32, f32),
        layer: &'static str,
        mut quantize: impl FnMut(usize, &[f32]) -> (f32, i32),
    ) -> Result<(), QuantError> {
        assert!(w.len().is_multiple_of(O.max(1)));
        check_finite(w, bias, layer)?;
        let k = w.len() / O.max(1);
        for o in 0..O {
            let (s_w, wsum) = quantize(o, &w[o * k..][..k]);
            self.set_channel(o, s_w, wsum, bias.map(|b| b[o]), scales);
        }
        Ok(())
    }

    /// Channel `o`'s parameters once its weights are quantised with scale
    /// `s_w` and sum `wsum`: the int32 bias in steps of `s_x s_w` and the
    /// multiplier `s_x s_w / s_y`.
    fn set_channel(
        &mut self,
        o: usize,
        s_w: f32,
        wsum: i32,
        bias: Option<f32>,
        (s_x, s_y): (f32, f32),
    ) {
        self.scale[o] = s_w;
        self.wsum[o] = wsum;
        let step = f64::from(s_x) * f64::from(s_w);
        self.bias[o] = match bias {
            Some(b) => libm::round(f64::from(b) / step).clamp(-2.0e9, 2.0e9) as i32,
            None => 0,
        };
        let m = Multiplier::new(step / f64::from(s_y));
        (self.mult[o], self.shift[o]) = (m.m, m.shift);
    }
}

/// `Err(NonFinite)` naming `layer` if a weight or bias is a NaN or infinite.
fn check_finite<const O: usize>(
    w: &[f32],
    bias: Option<&[f32; O]>,
    layer: &'static str,
) -> Result<(), QuantError> {
    if w.iter()
        .chain(bias.into_iter().flatten())
        .any(|v| !v.is_finite())
    {
        return Err(QuantError::NonFinite { tensor: layer });
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::quant::{asymmetric_params, dense, Io};

    /// Inputs and outputs of the float layers the prepare tests quantise.
    pub(crate) const I: usize = 23;
    pub(crate) const O: usize = 7;

    /// A random float layer (`w`, `b`), an input in `[-0.5, 1.5)` with its
    /// scale and zero point `s_x`, `zp_x` and int8 form `x`, and the float
    /// outputs `y`.
    pub(crate) struct FloatLayer {
        pub w: [f32; I * O],
        pub b: [f32; O],
        pub x: [i8; I],
        pub y: [f32; O],
        pub s_x: f32,
        pub zp_x: i32,
    }

    pub(crate) fn float_layer(seed: u64) -> FloatLayer {
        let mut rng = crate::Rng::new(seed);
        let w: [f32; I * O] = core::array::from_fn(|_| rng.normal() * 0.3);
        let b: [f32; O] = core::array::from_fn(|_| rng.normal() * 0.1);
        let xf: [f32; I] = core::array::from_fn(|_| rng.uniform() * 2.0 - 0.5);
        let (s_x, zp_x) = asymmetric_params(-0.5, 1.5);
        let y = core::array::from_fn(|o| b[o] + (0..I).map(|i| w[o * I + i] * xf[i]).sum::<f32>());
        let x = xf.map(|v| ((v / s_x).round() as i32 + zp_x).clamp(-128, 127) as i8);
        FloatLayer {
            w,
            b,
            x,
            y,
            s_x,
            zp_x,
        }
    }

    #[test]
    fn a_prepared_dense_layer_approximates_the_float_one() {
        let FloatLayer {
            w,
            b,
            x,
            y: yf,
            s_x,
            zp_x,
        } = float_layer(9);
        let (s_y, zp_y) = asymmetric_params(-3.0, 3.0);
        let mut ch = Channels::<O>::ZEROED;
        let mut qw = [0i8; I * O];
        ch.prepare(&w, Some(&b), (s_x, s_y), &mut qw, "fc").unwrap();
        let mut y = [0i8; O];
        let io = Io {
            zp_x,
            zp_y,
            lo: -128,
            hi: 127,
        };
        dense::forward(&x, &qw, ch.view(), io, &mut y);
        for o in 0..O {
            let got = s_y * (i32::from(y[o]) - zp_y) as f32;
            assert!((got - yf[o]).abs() < 3.0 * s_y, "{o}: {got} vs {}", yf[o]);
        }
        let mut bad = w;
        bad[3] = f32::NAN;
        assert_eq!(
            ch.prepare(&bad, None, (s_x, s_y), &mut qw, "fc"),
            Err(QuantError::NonFinite { tensor: "fc" })
        );
    }
}
