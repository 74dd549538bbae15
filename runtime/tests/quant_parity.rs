//! The int8 kernels of `quant` against PyTorch's quantised operators (the
//! fbgemm engine), on the fixtures `scripts/quant_fixtures.py` writes to
//! `tests/fixtures/quant/`: every output within one step (LSB) of PyTorch's,
//! and most of them equal.
//!
//! Why not all equal: PyTorch requantises in float — the accumulator times
//! `s_x s_w` plus the float bias, divided by `s_y`, rounded to nearest even
//! (`nearbyint`); the pools, the sum and the leaky ReLU dequantise, compute
//! in float and requantise the same way — where TFLite's specification,
//! which the kernels follow, rounds the bias to int32 in steps of `s_x s_w`,
//! rescales with a Q31 multiplier and two roundings (gemmlowp's doubling
//! high multiply to units of `2^shift` steps, then a shift to whole steps,
//! ties away from zero), and averages with an integer division rounding
//! ties away from zero. So the two can disagree, by one step, only where
//! the exact result is near a half step: within half a step of the rounded
//! bias plus the first rounding's error, `M / 2 + 2^shift / 2` steps, for
//! dense and convolution (at most 1/160 of a step here), within
//! `2^shift / 2` for the leaky ReLU (1/16 of a step for alpha 0.1, 1/8 for
//! 0.2: TFLite rescales `x - zp` without shifting it left first), and
//! exactly at ties for the averages. Each test checks that every
//! disagreement is such a one (`Tally::compare`), besides the one-step
//! bound.
//!
//! Exact ties are frequent only where the exact result is often a multiple
//! of one half: average pools over an even count (`sum / 4` is a tie a
//! quarter of the time, and rounding half to even then disagrees with half
//! away from zero in half of those: 1/8 of the 2x2 outputs differ), a sum
//! of two inputs of one scale into twice that scale (`add_same`: half the
//! results are ties) and the leaky ReLU with alpha 0.1 (`0.1 d` is a tie
//! for one `d` in ten). Over each op's cases at least 90% of the outputs
//! are equal (93% to 100% measured); the maximum, the clamps and the
//! zero-point padding of the convolution and of the average pool with
//! `count_include_pad` are the same in both, and the maximum and the clamps
//! are required to agree exactly.
//!
//! A missing or malformed fixture fails the test with its path.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use staticnet_runtime::kernels::conv2d::Conv2dGeom;
use staticnet_runtime::kernels::maxpool2d::Pool2dGeom;
use staticnet_runtime::quant::add::{add, AddParams};
use staticnet_runtime::quant::{act, conv2d, dense, pool, ChannelsRef, Io, Multiplier};

/// Why a fixture could not be read.
#[derive(Debug)]
enum FixtureError {
    /// The file could not be opened or read (run `python3 scripts/quant_fixtures.py`).
    Io(PathBuf, std::io::Error),
    /// The file is not what the script writes.
    Malformed(PathBuf, String),
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FixtureError::Io(p, e) => write!(
                f,
                "fixture {}: {e} (written by `python3 scripts/quant_fixtures.py`)",
                p.display()
            ),
            FixtureError::Malformed(p, what) => {
                write!(f, "fixture {} is malformed: {what}", p.display())
            }
        }
    }
}

impl std::error::Error for FixtureError {}

/// One record's elements.
enum Values {
    I8(Vec<i8>),
    I32(Vec<i32>),
    F32(Vec<f32>),
}

/// One case: named records.
struct Fixture {
    path: PathBuf,
    records: HashMap<String, Values>,
}

fn path_of(name: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "quant"]
        .iter()
        .collect::<PathBuf>()
        .join(format!("{name}.bin"))
}

impl Fixture {
    fn load(name: &str) -> Result<Self, FixtureError> {
        let path = path_of(name);
        let bytes = std::fs::read(&path).map_err(|e| FixtureError::Io(path.clone(), e))?;
        let bad = |what: &str| FixtureError::Malformed(path.clone(), what.to_string());
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8], FixtureError> {
            let s = bytes.get(at..at + n).ok_or_else(|| bad("truncated"))?;
            at += n;
            Ok(s)
        };
        let u32_of = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap());
        if take(4)? != b"SNQF" || u32_of(take(4)?) != 1 {
            return Err(bad("not an SNQF version 1 file"));
        }
        let count = u32_of(take(4)?);
        let mut records = HashMap::new();
        for _ in 0..count {
            let len = take(1)?[0] as usize;
            let key = String::from_utf8(take(len)?.to_vec()).map_err(|_| bad("record name"))?;
            let kind = take(1)?[0];
            let n = u32_of(take(4)?) as usize;
            let v = match kind {
                b'b' => Values::I8(take(n)?.iter().map(|&b| b as i8).collect()),
                b'i' => Values::I32(
                    take(4 * n)?
                        .chunks_exact(4)
                        .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
                        .collect(),
                ),
                b'f' => Values::F32(
                    take(4 * n)?
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                        .collect(),
                ),
                _ => return Err(bad("record type")),
            };
            records.insert(key, v);
        }
        if at != bytes.len() {
            return Err(bad("trailing bytes"));
        }
        Ok(Fixture { path, records })
    }

    fn missing(&self, key: &str, kind: &str) -> FixtureError {
        FixtureError::Malformed(self.path.clone(), format!("no {kind} record `{key}`"))
    }

    fn i8s(&self, key: &str) -> Result<&[i8], FixtureError> {
        match self.records.get(key) {
            Some(Values::I8(v)) => Ok(v),
            _ => Err(self.missing(key, "int8")),
        }
    }

    fn i32s(&self, key: &str) -> Result<&[i32], FixtureError> {
        match self.records.get(key) {
            Some(Values::I32(v)) => Ok(v),
            _ => Err(self.missing(key, "int32")),
        }
    }

    fn f32s(&self, key: &str) -> Result<&[f32], FixtureError> {
        match self.records.get(key) {
            Some(Values::F32(v)) => Ok(v),
            _ => Err(self.missing(key, "float32")),
        }
    }

    fn i32(&self, key: &str) -> Result<i32, FixtureError> {
        self.i32s(key)?
            .first()
            .copied()
            .ok_or_else(|| self.missing(key, "int32"))
    }

    fn f32(&self, key: &str) -> Result<f32, FixtureError> {
        self.f32s(key)?
            .first()
            .copied()
            .ok_or_else(|| self.missing(key, "float32"))
    }

    fn len_check(&self, key: &str, got: usize, want: usize) -> Result<(), FixtureError> {
        if got == want {
            Ok(())
        } else {
            Err(FixtureError::Malformed(
                self.path.clone(),
                format!("`{key}` has {got} elements, the geometry says {want}"),
            ))
        }
    }
}

/// Agreement of one op over its cases.
#[derive(Default)]
struct Tally {
    cases: usize,
    values: usize,
    exact: usize,
    max_diff: i32,
}

/// One case's results: ours, and the exact real result in output steps
/// (before clamping), with how far from a half step a disagreement may be
/// (the two implementations' rounding errors: the bias rounded to int32,
/// float multipliers).
struct Outcome {
    ours: Vec<i8>,
    real: Vec<f64>,
    eps: f64,
}

impl Tally {
    fn compare(&mut self, case: &str, got: &Outcome, theirs: &[i8]) {
        assert_eq!(got.ours.len(), theirs.len(), "{case}: output lengths");
        assert_eq!(got.real.len(), theirs.len(), "{case}: output lengths");
        self.cases += 1;
        let mut exact = 0;
        for (i, ((&a, &b), &r)) in got.ours.iter().zip(theirs).zip(&got.real).enumerate() {
            let d = (i32::from(a) - i32::from(b)).abs();
            assert!(
                d <= 1,
                "{case}[{i}]: ours {a}, PyTorch's {b} (real {r}): more than one step apart"
            );
            if d != 0 {
                // A disagreement is a rounding of a (near) tie, both within
                // the range: not a clamp, not an error of either side.
                let off_half = ((r - r.floor()) - 0.5).abs();
                assert!(
                    off_half <= got.eps && (-128.0..=127.0).contains(&r),
                    "{case}[{i}]: ours {a}, PyTorch's {b}, but the real result {r} is \
                     {off_half} from a half step (allowed {})",
                    got.eps
                );
            }
            exact += usize::from(d == 0);
            self.max_diff = self.max_diff.max(d);
        }
        println!("  {case}: {exact}/{} exact", theirs.len());
        self.values += theirs.len();
        self.exact += exact;
    }

    /// Prints the table row and requires at least `min_exact` of the values equal.
    fn finish(&self, op: &str, min_exact: f64) {
        let frac = self.exact as f64 / self.values as f64;
        println!(
            "| {op} | {} | {} | {} | {:.1}% ({}/{}) |",
            self.cases,
            self.values,
            self.max_diff,
            100.0 * frac,
            self.exact,
            self.values
        );
        assert!(
            frac >= min_exact,
            "{op}: {:.2}% exact, below the bound of {:.0}%",
            100.0 * frac,
            100.0 * min_exact
        );
    }
}

/// The per-channel parameters of a dense or convolution layer from
/// PyTorch's int8 weights (`out` rows), their scales and the float bias, as
/// TFLite's converter computes them: the bias rounded in steps of
/// `s_x s_w[o]`, the multiplier `s_x s_w[o] / s_y` in double. With the
/// float values, for the exact result.
struct Params {
    bias: Vec<i32>,
    wsum: Vec<i32>,
    mult: Vec<i32>,
    shift: Vec<i32>,
    /// `s_x s_w[o] / s_y`: an accumulator step in output steps.
    m: Vec<f64>,
    /// The float bias in output steps.
    b: Vec<f64>,
}

impl Params {
    fn new(f: &Fixture, out: usize) -> Result<Self, FixtureError> {
        let (w, s_w, b) = (f.i8s("w")?, f.f32s("s_w")?, f.f32s("bias")?);
        f.len_check("s_w", s_w.len(), out)?;
        f.len_check("bias", b.len(), out)?;
        let k = w.len() / out;
        f.len_check("w", w.len(), out * k)?;
        let (s_x, s_y) = (f64::from(f.f32("s_x")?), f64::from(f.f32("s_y")?));
        let mut p = Params {
            bias: vec![],
            wsum: vec![],
            mult: vec![],
            shift: vec![],
            m: vec![],
            b: vec![],
        };
        for o in 0..out {
            let step = s_x * f64::from(s_w[o]);
            p.bias.push((f64::from(b[o]) / step).round() as i32);
            p.wsum
                .push(w[o * k..][..k].iter().map(|&v| i32::from(v)).sum());
            let m = Multiplier::new(step / s_y);
            p.mult.push(m.m);
            p.shift.push(m.shift);
            p.m.push(step / s_y);
            p.b.push(f64::from(b[o]) / s_y);
        }
        Ok(p)
    }

    fn view(&self) -> ChannelsRef<'_> {
        ChannelsRef {
            bias: &self.bias,
            wsum: &self.wsum,
            mult: &self.mult,
            shift: &self.shift,
        }
    }

    /// Channel `o`'s exact output for the integer sum `acc` of
    /// `(x - zp_x) w`, in output steps.
    fn real(&self, o: usize, acc: i64, zp_y: i32) -> f64 {
        f64::from(zp_y) + acc as f64 * self.m[o] + self.b[o]
    }

    /// How far from a tie a disagreement may be: half a step of the rounded
    /// bias, the first of TFLite's two roundings, and float rounding.
    fn eps(&self) -> f64 {
        (0..self.m.len())
            .map(|o| 0.5 * self.m[o] + first_rounding(self.shift[o]) + 1e-6)
            .fold(0.0, f64::max)
    }
}

/// The largest error, in output steps, of the first of TFLite's two
/// roundings (the doubling high multiply, before a right shift by
/// `-shift`): half a unit of `2^shift` steps. With `|M| < 1` the shift is
/// at most 0 and this at most half a step; the second rounding, to the
/// nearest step, then turns a result within it of a half step either way.
fn first_rounding(shift: i32) -> f64 {
    0.5 * 2f64.powi(shift.min(0))
}

fn layer_io(f: &Fixture, relu: bool) -> Result<Io, FixtureError> {
    let zp_y = f.i32("zp_y")?;
    Ok(Io {
        zp_x: f.i32("zp_x")?,
        zp_y,
        lo: if relu { zp_y } else { -128 },
        hi: 127,
    })
}

fn run(
    cases: &[&str],
    op: &str,
    min_exact: f64,
    mut one: impl FnMut(&Fixture) -> Result<Outcome, FixtureError>,
) {
    println!("{op}:");
    let mut tally = Tally::default();
    for &case in cases {
        let f = Fixture::load(case).unwrap_or_else(|e| panic!("{e}"));
        let got = one(&f).unwrap_or_else(|e| panic!("{e}"));
        tally.compare(case, &got, f.i8s("y").unwrap_or_else(|e| panic!("{e}")));
    }
    tally.finish(op, min_exact);
}

#[test]
fn dense_agrees_with_quantized_linear() {
    let cases = [
        "dense_5x3",
        "dense_37x13",
        "dense_129x10",
        "dense_64x33_relu",
    ];
    run(
        &cases,
        "dense (`quantized::linear`, `linear_relu`)",
        0.9,
        |f| {
            let g = f.i32s("geom")?;
            let (batch, n, out, relu) = (g[0] as usize, g[1] as usize, g[2] as usize, g[3] != 0);
            let (x, w) = (f.i8s("x")?, f.i8s("w")?);
            f.len_check("x", x.len(), batch * n)?;
            f.len_check("w", w.len(), out * n)?;
            let p = Params::new(f, out)?;
            let io = layer_io(f, relu)?;
            let mut ours = vec![0i8; batch * out];
            let mut real = vec![];
            for (x, y) in x.chunks_exact(n).zip(ours.chunks_exact_mut(out)) {
                dense::forward(x, w, p.view(), io, y);
                for o in 0..out {
                    let acc = x
                        .iter()
                        .zip(&w[o * n..][..n])
                        .map(|(&x, &w)| i64::from(i32::from(x) - io.zp_x) * i64::from(w))
                        .sum();
                    real.push(p.real(o, acc, io.zp_y));
                }
            }
            let eps = p.eps();
            Ok(Outcome { ours, real, eps })
        },
    );
}

/// The convolution's exact integer sums `(x - zp_x) w` of one sample,
/// padding a real 0: `[out_c][out_h][out_w]`.
fn conv_sums(x: &[i8], w: &[i8], g: &Conv2dGeom, zp_x: i32) -> Vec<i64> {
    let (cin_g, cout_g) = (g.in_c / g.groups, g.out_c / g.groups);
    let mut acc = vec![0i64; g.out_c * g.out_h * g.out_w];
    for oc in 0..g.out_c {
        let c0 = oc / cout_g * cin_g;
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let mut s = 0i64;
                for c in 0..cin_g {
                    for ky in 0..g.k_h {
                        for kx in 0..g.k_w {
                            let iy = (oy * g.stride_h + ky * g.dil_h) as isize - g.pad_h as isize;
                            let ix = (ox * g.stride_w + kx * g.dil_w) as isize - g.pad_w as isize;
                            if iy < 0 || ix < 0 || iy >= g.in_h as isize || ix >= g.in_w as isize {
                                continue;
                            }
                            let xv = x[((c0 + c) * g.in_h + iy as usize) * g.in_w + ix as usize];
                            let wv = w[((oc * cin_g + c) * g.k_h + ky) * g.k_w + kx];
                            s += i64::from(i32::from(xv) - zp_x) * i64::from(wv);
                        }
                    }
                }
                acc[(oc * g.out_h + oy) * g.out_w + ox] = s;
            }
        }
    }
    acc
}

#[test]
fn conv2d_agrees_with_quantized_conv2d() {
    let cases = [
        "conv_plain",
        "conv_grouped",
        "conv_depthwise_dil",
        "conv_depthwise_mult2",
        "conv_rect",
        "conv_1x1",
        "conv_relu",
    ];
    run(
        &cases,
        "conv2d (`quantized::conv2d`, `conv2d_relu`)",
        0.9,
        |f| {
            let v: Vec<usize> = f.i32s("geom")?.iter().map(|&v| v as usize).collect();
            let g = Conv2dGeom {
                in_c: v[0],
                in_h: v[1],
                in_w: v[2],
                out_c: v[3],
                out_h: v[4],
                out_w: v[5],
                k_h: v[6],
                k_w: v[7],
                stride_h: v[8],
                stride_w: v[9],
                pad_h: v[10],
                pad_w: v[11],
                dil_h: v[12],
                dil_w: v[13],
                groups: v[14],
            };
            let (batch, relu) = (v[15], v[16] != 0);
            let (x, w) = (f.i8s("x")?, f.i8s("w")?);
            let (nx, ny) = (g.in_c * g.in_h * g.in_w, g.out_c * g.out_h * g.out_w);
            f.len_check("x", x.len(), batch * nx)?;
            f.len_check("w", w.len(), g.out_c * (g.in_c / g.groups * g.k_h * g.k_w))?;
            let p = Params::new(f, g.out_c)?;
            let io = layer_io(f, relu)?;
            let mut patch = vec![0i8; conv2d::scratch_len(&g)];
            let mut ours = vec![0i8; batch * ny];
            let mut real = vec![];
            let plane = g.out_h * g.out_w;
            for (x, y) in x.chunks_exact(nx).zip(ours.chunks_exact_mut(ny)) {
                conv2d::forward(x, w, p.view(), &g, io, &mut patch, y);
                for (i, acc) in conv_sums(x, w, &g, io.zp_x).into_iter().enumerate() {
                    real.push(p.real(i / plane, acc, io.zp_y));
                }
            }
            let eps = p.eps();
            Ok(Outcome { ours, real, eps })
        },
    );
}

/// A pooling fixture's geometry (the batch folded into the channels, which
/// are pooled independently), `count_include_pad`, and its input.
fn pool_input(f: &Fixture) -> Result<(Pool2dGeom, bool, &[i8]), FixtureError> {
    let v: Vec<usize> = f.i32s("geom")?.iter().map(|&v| v as usize).collect();
    let g = Pool2dGeom {
        channels: v[0] * v[11],
        in_h: v[1],
        in_w: v[2],
        out_h: v[3],
        out_w: v[4],
        k_h: v[5],
        k_w: v[6],
        stride_h: v[7],
        stride_w: v[8],
        pad_h: v[9],
        pad_w: v[10],
    };
    let x = f.i8s("x")?;
    f.len_check("x", x.len(), g.channels * g.in_h * g.in_w)?;
    Ok((g, v[12] != 0, x))
}

/// The in-bounds values of each pooling window, channel by channel.
fn windows(x: &[i8], g: &Pool2dGeom) -> Vec<Vec<i32>> {
    let mut out = vec![];
    for c in 0..g.channels {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let mut v = vec![];
                for ky in 0..g.k_h {
                    for kx in 0..g.k_w {
                        let iy = (oy * g.stride_h + ky) as isize - g.pad_h as isize;
                        let ix = (ox * g.stride_w + kx) as isize - g.pad_w as isize;
                        if iy >= 0 && ix >= 0 && iy < g.in_h as isize && ix < g.in_w as isize {
                            let at = (c * g.in_h + iy as usize) * g.in_w + ix as usize;
                            v.push(i32::from(x[at]));
                        }
                    }
                }
                out.push(v);
            }
        }
    }
    out
}

#[test]
fn maxpool_agrees_with_quantized_max_pool2d() {
    run(&["maxpool_k2s2", "maxpool_k3s2p1"], "maxpool", 1.0, |f| {
        let (g, _, x) = pool_input(f)?;
        let mut ours = vec![0i8; g.channels * g.out_h * g.out_w];
        pool::maxpool(x, &mut ours, &g);
        let real = windows(x, &g)
            .iter()
            .map(|v| f64::from(*v.iter().max().unwrap()))
            .collect();
        Ok(Outcome {
            ours,
            real,
            eps: 0.0,
        })
    });
}

#[test]
fn avgpool_agrees_with_quantized_avg_pool2d() {
    let cases = [
        "avgpool_k2s2",
        "avgpool_k3s1",
        "avgpool_k3s2p1_incl",
        "avgpool_k3s2p1_excl",
        "avgpool_k2s1p1_incl",
    ];
    // Ties (sums that are an odd multiple of half the divisor) round half
    // to even in PyTorch and away from zero here: exact only at ties.
    run(
        &cases,
        "avgpool (with and without `count_include_pad`)",
        0.9,
        |f| {
            let (g, include, x) = pool_input(f)?;
            let zp = f.i32("zp")?;
            let mut ours = vec![0i8; g.channels * g.out_h * g.out_w];
            pool::avgpool(x, &mut ours, &g, include, zp);
            let window = (g.k_h * g.k_w) as f64;
            let real = windows(x, &g)
                .iter()
                .map(|v| {
                    let sum: i32 = v.iter().map(|&x| x - zp).sum();
                    let count = if include { window } else { v.len() as f64 };
                    f64::from(zp) + f64::from(sum) / count
                })
                .collect();
            Ok(Outcome {
                ours,
                real,
                eps: 1e-9,
            })
        },
    );
}

#[test]
fn global_avgpool_agrees_with_quantized_adaptive_avg_pool2d() {
    let cases = ["global_avgpool_5x7x9", "global_avgpool_16x3x3"];
    run(
        &cases,
        "global_avgpool (`adaptive_avg_pool2d(1)`)",
        0.9,
        |f| {
            let g = f.i32s("geom")?;
            let (batch, c, spatial) = (g[0] as usize, g[1] as usize, g[2] as usize);
            let x = f.i8s("x")?;
            f.len_check("x", x.len(), batch * c * spatial)?;
            let mut ours = vec![0i8; batch * c];
            pool::global_avgpool(x, &mut ours, spatial);
            let real = x
                .chunks_exact(spatial)
                .map(|v| f64::from(v.iter().map(|&x| i32::from(x)).sum::<i32>()) / spatial as f64)
                .collect();
            Ok(Outcome {
                ours,
                real,
                eps: 1e-9,
            })
        },
    );
}

#[test]
fn add_agrees_with_quantized_add() {
    // `add_same` sums two inputs of one scale into twice that scale: half
    // its exact results are ties.
    let cases = ["add_a", "add_b", "add_same", "add_relu"];
    run(&cases, "add (`quantized::add`, `add_relu`)", 0.9, |f| {
        let g = f.i32s("geom")?;
        let (n, relu) = (g[0] as usize, g[1] != 0);
        let (a, b) = (f.i8s("a")?, f.i8s("b")?);
        f.len_check("a", a.len(), n)?;
        f.len_check("b", b.len(), n)?;
        let (s_a, zp_a, s_b, zp_b) = (f.f32("s_a")?, f.i32("zp_a")?, f.f32("s_b")?, f.i32("zp_b")?);
        let (s_y, zp_y) = (f.f32("s_y")?, f.i32("zp_y")?);
        let p = AddParams::new((s_a, zp_a), (s_b, zp_b), (s_y, zp_y));
        let mut ours = b.to_vec();
        add(a, &mut ours, &p, (if relu { zp_y } else { -128 }, 127));
        let real = a
            .iter()
            .zip(b)
            .map(|(&a, &b)| {
                let sum = f64::from(s_a) * f64::from(i32::from(a) - zp_a)
                    + f64::from(s_b) * f64::from(i32::from(b) - zp_b);
                f64::from(zp_y) + sum / f64::from(s_y)
            })
            .collect();
        Ok(Outcome {
            ours,
            real,
            eps: 1e-4,
        })
    });
}

#[test]
fn clamps_agree_with_quantized_relu_and_hardtanh() {
    run(
        &["relu", "relu6"],
        "relu, relu6 (`hardtanh(0, 6)`)",
        1.0,
        |f| {
            let g = f.i32s("geom")?;
            let (zp, s) = (f.i32("zp")?, f.f32("s")?);
            // TFLite's CalculateActivationRangeQuantized: ReLU6's top is 6 in steps.
            let hi = if g[1] == 1 {
                zp + (6.0 / s).round() as i32
            } else {
                127
            };
            let mut ours = f.i8s("x")?.to_vec();
            act::clamp(&mut ours, zp, hi);
            let real = f
                .i8s("x")?
                .iter()
                .map(|&x| f64::from(i32::from(x).clamp(zp, hi)))
                .collect();
            Ok(Outcome {
                ours,
                real,
                eps: 0.0,
            })
        },
    );
}

#[test]
fn leaky_relu_agrees_with_quantized_leaky_relu() {
    // alpha 0.1 puts `alpha (x - zp)` on a half step for one negative input
    // in ten; and TFLite's LeakyRelu rescales `x - zp` unshifted, so its
    // first rounding (to `2^shift` steps: 1/16 of a step for 0.1, 1/8 for
    // 0.2) moves results that close to a tie onto it (0.2: `-7.4` becomes
    // `-7.5`, then `-8`, where PyTorch gives `-7`).
    let cases = ["leaky_relu_0.1", "leaky_relu_0.01", "leaky_relu_0.2"];
    run(&cases, "leaky_relu (alpha 0.1, 0.01, 0.2)", 0.9, |f| {
        let (zp, alpha) = (f.i32("zp")?, f.f32("alpha")?);
        let mut ours = f.i8s("x")?.to_vec();
        let m = Multiplier::new(f64::from(alpha));
        act::leaky_relu(&mut ours, zp, m);
        let real = f
            .i8s("x")?
            .iter()
            .map(|&x| {
                let d = f64::from(i32::from(x) - zp);
                f64::from(zp) + if d < 0.0 { f64::from(alpha) * d } else { d }
            })
            .collect();
        Ok(Outcome {
            ours,
            real,
            eps: first_rounding(m.shift) + 1e-6,
        })
    });
}

#[test]
fn a_missing_fixture_is_an_error_naming_it() {
    let err = Fixture::load("no_such_case").err().expect("an error");
    let msg = err.to_string();
    assert!(
        matches!(err, FixtureError::Io(..)) && msg.contains("no_such_case.bin"),
        "{msg}"
    );
}
