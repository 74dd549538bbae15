//! `multihead_attention(heads, causal = false)`: PyTorch's
//! `nn.MultiheadAttention(E, heads, batch_first=True)` as self-attention on
//! `x: [T][E]`: `qkv = x in_proj_weight^T + in_proj_bias` (`[T][3E]`), per
//! head `P = softmax(Q K^T / sqrt(E / heads))` (rows; with `causal`, step
//! `i` sees steps `<= i`), `O = P V`, and `y = O out_proj.weight^T +
//! out_proj.bias`. Forward saves `qkv`, `P` and `O`; backward runs the
//! chain in reverse. The projections are GEMMs over all rows of the batch;
//! the `T x T` products per head are plain loops (T is small).

use super::gemm::{gemm_nn, gemm_nt, gemm_tn, Store};
use crate::math::{exp, sqrt};

use crate::raw::param_block;

param_block! {
    /// Parameters of `multihead_attention` on `E` features (`E3 = 3 E`):
    /// PyTorch's `nn.MultiheadAttention` (`in_proj_weight`, `in_proj_bias`,
    /// `out_proj.weight`, `out_proj.bias`).
    pub struct Attention<const E: usize, const E3: usize> {
        /// `[3E][E]`: query, key and value projections stacked.
        pub in_proj_weight: [[f32; E]; E3],
        /// `[3E]`.
        pub in_proj_bias: [f32; E3],
        /// `[E][E]`, PyTorch's `out_proj.weight`.
        pub out_proj_weight: [[f32; E]; E],
        /// `[E]`, PyTorch's `out_proj.bias`.
        pub out_proj_bias: [f32; E],
    }
}

/// Sizes of an attention layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttentionGeom {
    /// Sequence length `T`.
    pub steps: usize,
    /// Embedding size `E`.
    pub embed: usize,
    /// Heads; divides `E`.
    pub heads: usize,
    /// Mask future steps.
    pub causal: bool,
}

impl AttentionGeom {
    /// Scratch of single-sample inference: `qkv`, `O` and one row of `P`.
    pub const fn infer_scratch_len(&self) -> usize {
        self.steps * 4 * self.embed + self.steps
    }
}

/// The weights, PyTorch's layout.
#[derive(Clone, Copy)]
pub struct AttentionWeights<'a> {
    /// `[3E][E]`.
    pub in_w: &'a [f32],
    /// `[3E]`.
    pub in_b: &'a [f32],
    /// `[E][E]`.
    pub out_w: &'a [f32],
    /// `[E]`.
    pub out_b: &'a [f32],
}

fn add_rows(c: &mut [f32], bias: &[f32]) {
    for row in c.chunks_exact_mut(bias.len()) {
        for (v, &b) in row.iter_mut().zip(bias) {
            *v += b;
        }
    }
}

/// One sample's attention: from `qkv` (`[T][3E]`), writes `o` (`[T][E]`) and,
/// when given, every head's `P` (`[H][T][T]`); `row` holds `T` floats.
fn attend(
    qkv: &[f32],
    o: &mut [f32],
    mut p: Option<&mut [f32]>,
    row: &mut [f32],
    g: &AttentionGeom,
) {
    let (t_len, e, heads) = (g.steps, g.embed, g.heads);
    let d = e / heads;
    let scale = 1.0 / sqrt(d as f32);
    for h in 0..heads {
        for i in 0..t_len {
            let q = &qkv[i * 3 * e + h * d..][..d];
            let visible = if g.causal { i + 1 } else { t_len };
            let mut max = f32::NEG_INFINITY;
            for j in 0..visible {
                let k = &qkv[j * 3 * e + e + h * d..][..d];
                let s = q.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() * scale;
                row[j] = s;
                max = max.max(s);
            }
            let mut sum = 0.0;
            for v in &mut row[..visible] {
                *v = exp(*v - max);
                sum += *v;
            }
            for v in &mut row[..visible] {
                *v /= sum;
            }
            row[visible..t_len].fill(0.0);
            let out = &mut o[i * e + h * d..][..d];
            out.fill(0.0);
            for j in 0..visible {
                let v = &qkv[j * 3 * e + 2 * e + h * d..][..d];
                for (a, &b) in out.iter_mut().zip(v) {
                    *a += row[j] * b;
                }
            }
            if let Some(p) = p.as_deref_mut() {
                p[(h * t_len + i) * t_len..][..t_len].copy_from_slice(&row[..t_len]);
            }
        }
    }
}

/// Per-sample buffers of the training cache, `B` samples each.
pub struct AttentionBuffers<'a> {
    /// `[B][T][3E]`.
    pub qkv: &'a mut [f32],
    /// `[B][H][T][T]`.
    pub p: &'a mut [f32],
    /// `[B][T][E]`.
    pub o: &'a mut [f32],
    /// `[B][T][E]`, backward.
    pub go: &'a mut [f32],
    /// `[B][T][3E]`, backward.
    pub dqkv: &'a mut [f32],
    /// `[B][T]`.
    pub row: &'a mut [f32],
}

/// Forward on a batch, saving what backward needs.
pub fn attention_forward(
    x: &[f32],
    w: AttentionWeights<'_>,
    y: &mut [f32],
    buf: AttentionBuffers<'_>,
    batch: usize,
    g: &AttentionGeom,
) {
    let (t_len, e) = (g.steps, g.embed);
    let rows = batch * t_len;
    gemm_nt(x, w.in_w, buf.qkv, rows, 3 * e, e, Store::Overwrite);
    add_rows(buf.qkv, w.in_b);
    let hp = g.heads * t_len * t_len;
    for b in 0..batch {
        attend(
            &buf.qkv[b * t_len * 3 * e..][..t_len * 3 * e],
            &mut buf.o[b * t_len * e..][..t_len * e],
            Some(&mut buf.p[b * hp..][..hp]),
            &mut buf.row[b * t_len..][..t_len],
            g,
        );
    }
    gemm_nt(buf.o, w.out_w, y, rows, e, e, Store::Overwrite);
    add_rows(y, w.out_b);
}

/// Single-sample inference with buffers from `scratch`
/// ([`AttentionGeom::infer_scratch_len`]).
pub fn attention_infer(
    x: &[f32],
    w: AttentionWeights<'_>,
    y: &mut [f32],
    scratch: &mut [f32],
    g: &AttentionGeom,
) {
    let (t_len, e) = (g.steps, g.embed);
    let (qkv, rest) = scratch.split_at_mut(t_len * 3 * e);
    let (o, rest) = rest.split_at_mut(t_len * e);
    let row = &mut rest[..t_len];
    gemm_nt(x, w.in_w, qkv, t_len, 3 * e, e, Store::Overwrite);
    add_rows(qkv, w.in_b);
    attend(qkv, o, None, row, g);
    gemm_nt(o, w.out_w, y, t_len, e, e, Store::Overwrite);
    add_rows(y, w.out_b);
}

/// Gradients after [`attention_forward`] with the same buffers: overwrites
/// `gw` (`in_w`, `in_b`, `out_w`, `out_b` in that order) and, when given, `gx`.
pub fn attention_backward(
    x: &[f32],
    w: AttentionWeights<'_>,
    gy: &[f32],
    gw: (&mut [f32], &mut [f32], &mut [f32], &mut [f32]),
    gx: Option<&mut [f32]>,
    buf: AttentionBuffers<'_>,
    batch: usize,
    g: &AttentionGeom,
) {
    let (t_len, e, heads) = (g.steps, g.embed, g.heads);
    let (d, rows) = (e / heads, batch * t_len);
    let scale = 1.0 / sqrt(d as f32);
    let (g_in_w, g_in_b, g_out_w, g_out_b) = gw;
    gemm_tn(gy, buf.o, g_out_w, e, e, rows, Store::Overwrite);
    g_out_b.fill(0.0);
    for row in gy.chunks_exact(e) {
        for (a, &v) in g_out_b.iter_mut().zip(row) {
            *a += v;
        }
    }
    gemm_nn(gy, w.out_w, buf.go, rows, e, e, Store::Overwrite);
    buf.dqkv.fill(0.0);
    let hp = heads * t_len * t_len;
    for b in 0..batch {
        let qkv = &buf.qkv[b * t_len * 3 * e..][..t_len * 3 * e];
        let dqkv = &mut buf.dqkv[b * t_len * 3 * e..][..t_len * 3 * e];
        let go = &buf.go[b * t_len * e..][..t_len * e];
        let p = &buf.p[b * hp..][..hp];
        let dp = &mut buf.row[b * t_len..][..t_len];
        for h in 0..heads {
            for i in 0..t_len {
                let pi = &p[(h * t_len + i) * t_len..][..t_len];
                let goi = &go[i * e + h * d..][..d];
                let visible = if g.causal { i + 1 } else { t_len };
                // dP[i][j] = go_i . V_j; dV_j += P[i][j] go_i.
                let mut dot = 0.0;
                for j in 0..visible {
                    let v = &qkv[j * 3 * e + 2 * e + h * d..][..d];
                    dp[j] = goi.iter().zip(v).map(|(a, b)| a * b).sum::<f32>();
                    dot += dp[j] * pi[j];
                    let dv = &mut dqkv[j * 3 * e + 2 * e + h * d..][..d];
                    for (a, &gv) in dv.iter_mut().zip(goi) {
                        *a += pi[j] * gv;
                    }
                }
                // dS = P (dP - sum_j P dP); dQ_i += scale dS K_j; dK_j += scale dS Q_i.
                for j in 0..visible {
                    let ds = pi[j] * (dp[j] - dot) * scale;
                    if ds == 0.0 {
                        continue;
                    }
                    for k in 0..d {
                        let qk = qkv[i * 3 * e + h * d + k];
                        let kk = qkv[j * 3 * e + e + h * d + k];
                        dqkv[i * 3 * e + h * d + k] += ds * kk;
                        dqkv[j * 3 * e + e + h * d + k] += ds * qk;
                    }
                }
            }
        }
    }
    gemm_tn(buf.dqkv, x, g_in_w, 3 * e, e, rows, Store::Overwrite);
    g_in_b.fill(0.0);
    for row in buf.dqkv.chunks_exact(3 * e) {
        for (a, &v) in g_in_b.iter_mut().zip(row) {
            *a += v;
        }
    }
    if let Some(gx) = gx {
        gemm_nn(buf.dqkv, w.in_w, gx, rows, e, 3 * e, Store::Overwrite);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, fd_vjp, random_vec, to_f64};
    use std::vec;
    use std::vec::Vec;

    /// f64 reference: `p` = x, in_w, in_b, out_w, out_b.
    fn reference(p: &[f64], batch: usize, g: &AttentionGeom) -> Vec<f64> {
        let (t, e, hs) = (g.steps, g.embed, g.heads);
        let d = e / hs;
        let (x, rest) = p.split_at(batch * t * e);
        let (in_w, rest) = rest.split_at(3 * e * e);
        let (in_b, rest) = rest.split_at(3 * e);
        let (out_w, out_b) = rest.split_at(e * e);
        let mut y = Vec::new();
        for b in 0..batch {
            let xs = &x[b * t * e..][..t * e];
            let qkv: Vec<f64> = (0..t)
                .flat_map(|i| (0..3 * e).map(move |r| (i, r)))
                .map(|(i, r)| {
                    in_b[r] + (0..e).map(|k| in_w[r * e + k] * xs[i * e + k]).sum::<f64>()
                })
                .collect();
            let mut o = vec![0.0; t * e];
            for h in 0..hs {
                for i in 0..t {
                    let vis = if g.causal { i + 1 } else { t };
                    let s: Vec<f64> = (0..vis)
                        .map(|j| {
                            (0..d)
                                .map(|k| {
                                    qkv[i * 3 * e + h * d + k] * qkv[j * 3 * e + e + h * d + k]
                                })
                                .sum::<f64>()
                                / (d as f64).sqrt()
                        })
                        .collect();
                    let m = s.iter().cloned().fold(f64::MIN, f64::max);
                    let z: f64 = s.iter().map(|v| (v - m).exp()).sum();
                    for j in 0..vis {
                        let pj = (s[j] - m).exp() / z;
                        for k in 0..d {
                            o[i * e + h * d + k] += pj * qkv[j * 3 * e + 2 * e + h * d + k];
                        }
                    }
                }
            }
            for i in 0..t {
                for r in 0..e {
                    y.push(out_b[r] + (0..e).map(|k| out_w[r * e + k] * o[i * e + k]).sum::<f64>());
                }
            }
        }
        y
    }

    #[test]
    fn matches_reference_and_finite_differences() {
        for (batch, steps, embed, heads, causal) in [
            (1, 1, 1, 1, false),
            (2, 3, 4, 2, false),
            (2, 5, 6, 3, true),
            (1, 4, 4, 1, true),
        ] {
            let g = AttentionGeom {
                steps,
                embed,
                heads,
                causal,
            };
            let (t, e) = (steps, embed);
            let x = random_vec(1, batch * t * e);
            let in_w = random_vec(2, 3 * e * e);
            let in_b = random_vec(3, 3 * e);
            let out_w = random_vec(4, e * e);
            let out_b = random_vec(5, e);
            let w = AttentionWeights {
                in_w: &in_w,
                in_b: &in_b,
                out_w: &out_w,
                out_b: &out_b,
            };
            let mut bufs: Vec<Vec<f32>> = [t * 3 * e, heads * t * t, t * e, t * e, t * 3 * e, t]
                .iter()
                .map(|n| vec![f32::NAN; batch * n])
                .collect();
            let [qkv, p, o, go, dqkv, row] = &mut bufs[..] else {
                unreachable!()
            };
            let mut y = vec![f32::NAN; batch * t * e];
            attention_forward(
                &x,
                w,
                &mut y,
                AttentionBuffers {
                    qkv,
                    p,
                    o,
                    go,
                    dqkv,
                    row,
                },
                batch,
                &g,
            );
            let all: Vec<f32> = [&x[..], &in_w, &in_b, &out_w, &out_b].concat();
            let what = std::format!("{g:?} batch {batch}");
            assert_close(&what, &y, &reference(&to_f64(&all), batch, &g), 1e-4, 1e-5);
            if batch == 1 {
                let mut scratch = vec![f32::NAN; g.infer_scratch_len()];
                let mut y1 = vec![f32::NAN; t * e];
                attention_infer(&x, w, &mut y1, &mut scratch, &g);
                assert_eq!(y1, y);
            }
            let gy = random_vec(6, y.len());
            let mut grads: Vec<Vec<f32>> = [3 * e * e, 3 * e, e * e, e]
                .iter()
                .map(|&n| vec![f32::NAN; n])
                .collect();
            let mut gx = vec![f32::NAN; x.len()];
            {
                let [a, b, c, d] = &mut grads[..] else {
                    unreachable!()
                };
                attention_backward(
                    &x,
                    w,
                    &gy,
                    (a, b, c, d),
                    Some(&mut gx),
                    AttentionBuffers {
                        qkv,
                        p,
                        o,
                        go,
                        dqkv,
                        row,
                    },
                    batch,
                    &g,
                );
            }
            let got: Vec<f32> = [&gx[..], &grads[0], &grads[1], &grads[2], &grads[3]].concat();
            let want = fd_vjp(|ps| reference(ps, batch, &g), &all, &gy);
            assert_close(&std::format!("{what} backward"), &got, &want, 1e-3, 1e-4);
        }
    }
}
