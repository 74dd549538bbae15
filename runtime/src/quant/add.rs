//! The residual sum in int8: TFLite's int8 `Add`. Both inputs are moved to
//! a common scale with 20 bits of headroom, added, and rescaled to the
//! output, each step a [`Multiplier`] below one.

use super::Multiplier;

/// The bits TFLite shifts both inputs left by before rescaling them.
pub const LEFT_SHIFT: u32 = 20;

/// The three multipliers of an int8 sum `y = a + b`, and the zero points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddParams {
    /// `s_a / (2 max(s_a, s_b))`.
    pub a: Multiplier,
    /// `s_b / (2 max(s_a, s_b))`.
    pub b: Multiplier,
    /// `2 max(s_a, s_b) / (2^20 s_y)`.
    pub out: Multiplier,
    /// Zero points of `a`, `b` and `y`.
    pub zp: [i32; 3],
}

impl AddParams {
    /// TFLite's `PrepareGeneralSubOp` for int8 from the scales and zero points.
    pub fn new((s_a, zp_a): (f32, i32), (s_b, zp_b): (f32, i32), (s_y, zp_y): (f32, i32)) -> Self {
        let twice_max = 2.0 * f64::from(s_a.max(s_b));
        AddParams {
            a: Multiplier::new(f64::from(s_a) / twice_max),
            b: Multiplier::new(f64::from(s_b) / twice_max),
            out: Multiplier::new(twice_max / ((1u64 << LEFT_SHIFT) as f64 * f64::from(s_y))),
            zp: [zp_a, zp_b, zp_y],
        }
    }

    /// As the eight `i32`s a quantised network stores.
    pub fn to_array(self) -> [i32; 8] {
        [
            self.a.m,
            self.a.shift,
            self.b.m,
            self.b.shift,
            self.out.m,
            self.out.shift,
            self.zp[0],
            self.zp[1],
        ]
    }

    /// From [`AddParams::to_array`] and the output's zero point.
    pub fn from_array(v: &[i32; 8], zp_y: i32) -> Self {
        AddParams {
            a: Multiplier {
                m: v[0],
                shift: v[1],
            },
            b: Multiplier {
                m: v[2],
                shift: v[3],
            },
            out: Multiplier {
                m: v[4],
                shift: v[5],
            },
            zp: [v[6], v[7], zp_y],
        }
    }
}

/// `y = clamp(zp_y + M_out (M_a (a - zp_a) 2^20 + M_b (b - zp_b) 2^20))`,
/// elementwise; `y` may be `b`'s storage (it is read before written).
pub fn add(a: &[i8], b: &mut [i8], p: &AddParams, (lo, hi): (i32, i32)) {
    assert_eq!(a.len(), b.len(), "int8 add: operands of different lengths");
    for (a, b) in a.iter().zip(b.iter_mut()) {
        let sa = p.a.apply((i32::from(*a) - p.zp[0]) << LEFT_SHIFT);
        let sb = p.b.apply((i32::from(*b) - p.zp[1]) << LEFT_SHIFT);
        let v = p.out.apply(sa.wrapping_add(sb)).saturating_add(p.zp[2]);
        *b = v.clamp(lo, hi) as i8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sum_is_the_real_sum_within_one_step() {
        let mut rng = crate::Rng::new(2);
        for (sa, sb, sy) in [
            (0.02f32, 0.05f32, 0.06f32),
            (0.1, 0.1, 0.2),
            (0.003, 0.5, 0.4),
        ] {
            let (za, zb, zy) = (-3, 10, -128 + 50);
            let p = AddParams::new((sa, za), (sb, zb), (sy, zy));
            assert_eq!(AddParams::from_array(&p.to_array(), zy), p);
            let a: [i8; 101] = core::array::from_fn(|_| (rng.below(256) as i32 - 128) as i8);
            let mut b: [i8; 101] = core::array::from_fn(|_| (rng.below(256) as i32 - 128) as i8);
            let b0 = b;
            add(&a, &mut b, &p, (-128, 127));
            for i in 0..101 {
                let real = f64::from(sa) * f64::from(i32::from(a[i]) - za)
                    + f64::from(sb) * f64::from(i32::from(b0[i]) - zb);
                let want = (real / f64::from(sy) + f64::from(zy)).clamp(-128.0, 127.0);
                let got = f64::from(b[i]);
                assert!((got - want).abs() <= 1.0, "{i}: {got} vs {want}");
            }
        }
    }
}
