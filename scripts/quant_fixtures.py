#!/usr/bin/env python3
"""Fixtures for runtime/tests/quant_parity.rs: PyTorch's quantised operators
(the fbgemm engine) on random data at odd sizes, written as little-endian
binary files under runtime/tests/fixtures/quant/.

PyTorch's activations are quint8 (0..255); ours are int8. Subtracting 128 from
every value and every zero point gives the same real numbers and the same
integer arithmetic, so the fixtures hold int8 values and zero points. Weights
are PyTorch's own per-channel symmetric qint8 (`q.int_repr()`, zero points 0),
with their float32 scales, so the Rust side rebuilds the int32 bias and the
Multiplier `s_x s_w / s_y` from exactly the scales PyTorch used. Biases are
float, as PyTorch keeps them (fbgemm adds the float bias after rescaling the
accumulator; TFLite rounds it to int32 in steps of `s_x s_w`).

File format, one file per case:
    b"SNQF", u32 version (1), u32 record count, then per record:
    u8 name length, name (ASCII), u8 type (b"b" int8, b"i" int32, b"f" float32),
    u32 element count, the elements (little endian).

Deterministic: a fixed seed (numpy's PCG64), fixed sizes and scales; rerunning
writes identical bytes (`git diff --exit-code runtime/tests/fixtures/quant`).

    python3 scripts/quant_fixtures.py
"""

import os
import struct
import sys
import warnings

import numpy as np
import torch
import torch.ao.nn.quantized.functional as qF
import torch.nn.functional as F

warnings.filterwarnings("ignore")

ENGINE = "fbgemm"
SEED = 20261207
OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "runtime", "tests", "fixtures", "quant"
)

rng = np.random.default_rng(SEED)


def f32(v):
    """A scale as the nearest float32, so PyTorch (double) and the Rust side
    (f32) hold the same number."""
    return float(np.float32(v))


def write(name, records):
    body = bytearray()
    for key, kind, values in records:
        arr = np.asarray(values)
        dtype = {"b": "<i1", "i": "<i4", "f": "<f4"}[kind]
        data = arr.astype(dtype).reshape(-1)
        body += struct.pack("<B", len(key)) + key.encode("ascii")
        body += struct.pack("<cI", kind.encode("ascii"), data.size) + data.tobytes()
    head = b"SNQF" + struct.pack("<II", 1, len(records))
    path = os.path.join(OUT, name + ".bin")
    with open(path, "wb") as f:
        f.write(head + bytes(body))
    return len(head) + len(body)


def act_params(lo, hi):
    """PyTorch's quint8 parameters for [lo, hi] (widened to hold 0)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    s = f32((hi - lo) / 255.0)
    zp = int(np.clip(round(-lo / s), 0, 255))
    return s, zp


def quantize_act(xf, s, zp):
    q = torch.quantize_per_tensor(torch.from_numpy(xf.astype(np.float32)), s, zp, torch.quint8)
    return q


def i8(q):
    """quint8 values as int8: minus 128."""
    return q.int_repr().contiguous().numpy().astype(np.int32) - 128


def weights(shape):
    w = rng.standard_normal(shape).astype(np.float32) * 0.4
    o = shape[0]
    s_w = np.array([f32(np.abs(w[c]).max() / 127.0) for c in range(o)], dtype=np.float32)
    wq = torch.quantize_per_channel(
        torch.from_numpy(w),
        torch.from_numpy(s_w.astype(np.float64)),
        torch.zeros(o, dtype=torch.long),
        0,
        torch.qint8,
    )
    return wq, s_w


def dense_case(name, batch, n, out, relu, x_range, y_range):
    xf = rng.uniform(*x_range, size=(batch, n))
    s_x, zp_x = act_params(*x_range)
    xq = quantize_act(xf, s_x, zp_x)
    wq, s_w = weights((out, n))
    bias = (rng.standard_normal(out) * 0.5).astype(np.float32)
    s_y, zp_y = act_params(*y_range)
    packed = torch.ops.quantized.linear_prepack(wq, torch.from_numpy(bias))
    op = torch.ops.quantized.linear_relu if relu else torch.ops.quantized.linear
    yq = op(xq, packed, s_y, zp_y)
    return write(
        name,
        [
            ("geom", "i", [batch, n, out, int(relu)]),
            ("x", "b", i8(xq)),
            ("s_x", "f", [s_x]),
            ("zp_x", "i", [zp_x - 128]),
            ("w", "b", wq.int_repr().numpy()),
            ("s_w", "f", s_w),
            ("bias", "f", bias),
            ("s_y", "f", [s_y]),
            ("zp_y", "i", [zp_y - 128]),
            ("y", "b", i8(yq)),
        ],
    )


def conv_case(name, batch, in_c, hw, out_c, k, stride, pad, dil, groups, relu, x_range, y_range):
    (in_h, in_w), (k_h, k_w) = hw, k
    xf = rng.uniform(*x_range, size=(batch, in_c, in_h, in_w))
    s_x, zp_x = act_params(*x_range)
    xq = quantize_act(xf, s_x, zp_x)
    wq, s_w = weights((out_c, in_c // groups, k_h, k_w))
    bias = (rng.standard_normal(out_c) * 0.5).astype(np.float32)
    s_y, zp_y = act_params(*y_range)
    packed = torch.ops.quantized.conv2d_prepack(
        wq, torch.from_numpy(bias), list(stride), list(pad), list(dil), groups
    )
    op = torch.ops.quantized.conv2d_relu if relu else torch.ops.quantized.conv2d
    yq = op(xq, packed, s_y, zp_y)
    _, _, out_h, out_w = yq.shape
    geom = [in_c, in_h, in_w, out_c, out_h, out_w, k_h, k_w, *stride, *pad, *dil, groups, batch]
    return write(
        name,
        [
            ("geom", "i", geom + [int(relu)]),
            ("x", "b", i8(xq)),
            ("s_x", "f", [s_x]),
            ("zp_x", "i", [zp_x - 128]),
            ("w", "b", wq.int_repr().numpy()),
            ("s_w", "f", s_w),
            ("bias", "f", bias),
            ("s_y", "f", [s_y]),
            ("zp_y", "i", [zp_y - 128]),
            ("y", "b", i8(yq)),
        ],
    )


def pool_case(name, kind, batch, c, hw, k, stride, pad, include_pad, x_range):
    xf = rng.uniform(*x_range, size=(batch, c, *hw))
    s, zp = act_params(*x_range)
    xq = quantize_act(xf, s, zp)
    if kind == "max":
        yq = F.max_pool2d(xq, k, stride, pad)
    else:
        yq = F.avg_pool2d(xq, k, stride, pad, ceil_mode=False, count_include_pad=include_pad)
    assert yq.q_scale() == s and yq.q_zero_point() == zp
    _, _, out_h, out_w = yq.shape
    geom = [c, *hw, out_h, out_w, *k, *stride, *pad, batch, int(include_pad)]
    return write(
        name,
        [
            ("geom", "i", geom),
            ("x", "b", i8(xq)),
            ("s", "f", [s]),
            ("zp", "i", [zp - 128]),
            ("y", "b", i8(yq)),
        ],
    )


def global_avgpool_case(name, batch, c, hw, x_range):
    xf = rng.uniform(*x_range, size=(batch, c, *hw))
    s, zp = act_params(*x_range)
    xq = quantize_act(xf, s, zp)
    yq = F.adaptive_avg_pool2d(xq, 1)
    assert yq.q_scale() == s and yq.q_zero_point() == zp
    return write(
        name,
        [
            ("geom", "i", [batch, c, hw[0] * hw[1]]),
            ("x", "b", i8(xq)),
            ("s", "f", [s]),
            ("zp", "i", [zp - 128]),
            ("y", "b", i8(yq)),
        ],
    )


def add_case(name, n, a_range, b_range, y_range, relu):
    s_a, zp_a = act_params(*a_range)
    s_b, zp_b = act_params(*b_range)
    s_y, zp_y = act_params(*y_range)
    aq = quantize_act(rng.uniform(*a_range, size=n), s_a, zp_a)
    bq = quantize_act(rng.uniform(*b_range, size=n), s_b, zp_b)
    op = torch.ops.quantized.add_relu if relu else torch.ops.quantized.add
    yq = op(aq, bq, s_y, zp_y)
    return write(
        name,
        [
            ("geom", "i", [n, int(relu)]),
            ("a", "b", i8(aq)),
            ("s_a", "f", [s_a]),
            ("zp_a", "i", [zp_a - 128]),
            ("b", "b", i8(bq)),
            ("s_b", "f", [s_b]),
            ("zp_b", "i", [zp_b - 128]),
            ("s_y", "f", [s_y]),
            ("zp_y", "i", [zp_y - 128]),
            ("y", "b", i8(yq)),
        ],
    )


def clamp_case(name, kind, n, x_range):
    """kind 0: relu, 1: hardtanh(0, 6) (ReLU6)."""
    s, zp = act_params(*x_range)
    xq = quantize_act(rng.uniform(*x_range, size=n), s, zp)
    yq = torch.relu(xq) if kind == 0 else qF.hardtanh(xq, 0.0, 6.0)
    assert yq.q_scale() == s and yq.q_zero_point() == zp
    return write(
        name,
        [
            ("geom", "i", [n, kind]),
            ("x", "b", i8(xq)),
            ("s", "f", [s]),
            ("zp", "i", [zp - 128]),
            ("y", "b", i8(yq)),
        ],
    )


def leaky_case(name, n, alpha, x_range):
    s, zp = act_params(*x_range)
    xq = quantize_act(rng.uniform(*x_range, size=n), s, zp)
    yq = qF.leaky_relu(xq, alpha)
    assert yq.q_scale() == s and yq.q_zero_point() == zp
    return write(
        name,
        [
            ("geom", "i", [n]),
            ("x", "b", i8(xq)),
            ("s", "f", [s]),
            ("zp", "i", [zp - 128]),
            ("alpha", "f", [f32(alpha)]),
            ("y", "b", i8(yq)),
        ],
    )


def main():
    assert ENGINE in torch.backends.quantized.supported_engines, ENGINE
    torch.backends.quantized.engine = ENGINE
    os.makedirs(OUT, exist_ok=True)
    total = 0
    # Dense (quantized::linear, per-channel qint8 weights).
    total += dense_case("dense_5x3", 7, 5, 3, False, (-1.0, 1.0), (-2.0, 2.0))
    total += dense_case("dense_37x13", 6, 37, 13, False, (-0.5, 2.0), (-6.0, 5.0))
    total += dense_case("dense_129x10", 5, 129, 10, False, (-3.0, 3.0), (-20.0, 20.0))
    total += dense_case("dense_64x33_relu", 4, 64, 33, True, (0.0, 4.0), (-8.0, 8.0))
    # Convolutions (quantized::conv2d): plain, strided and padded, grouped,
    # depthwise with dilation, depthwise with a channel multiplier, a
    # rectangular kernel, 1x1, fused ReLU.
    total += conv_case(
        "conv_plain", 2, 3, (9, 7), 5, (3, 3), (2, 2), (1, 1), (1, 1), 1, False, (-1, 1), (-4, 4)
    )
    total += conv_case(
        "conv_grouped", 2, 6, (5, 6), 9, (3, 3), (1, 1), (1, 1), (1, 1), 3, False, (-1, 2), (-5, 5)
    )
    total += conv_case(
        "conv_depthwise_dil", 2, 4, (7, 7), 4, (3, 3), (1, 1), (2, 2), (2, 2), 4, False,
        (-2, 1), (-3, 3),
    )
    total += conv_case(
        "conv_depthwise_mult2", 2, 4, (8, 9), 8, (3, 3), (2, 2), (1, 1), (1, 1), 4, False,
        (-1, 1), (-2, 2),
    )
    total += conv_case(
        "conv_rect", 1, 5, (11, 8), 7, (3, 2), (2, 1), (1, 0), (1, 2), 1, False, (-1, 3), (-9, 9)
    )
    total += conv_case(
        "conv_1x1", 2, 7, (4, 5), 11, (1, 1), (1, 1), (0, 0), (1, 1), 1, False, (-1, 1), (-3, 3)
    )
    total += conv_case(
        "conv_relu", 1, 3, (10, 10), 6, (5, 5), (1, 1), (2, 2), (1, 1), 1, True, (0, 1), (-4, 4)
    )
    # Pooling, same scale and zero point in and out.
    total += pool_case("maxpool_k2s2", "max", 2, 3, (7, 9), (2, 2), (2, 2), (0, 0), False, (-1, 2))
    total += pool_case("maxpool_k3s2p1", "max", 2, 4, (9, 8), (3, 3), (2, 2), (1, 1), False, (-2, 1))
    total += pool_case("avgpool_k2s2", "avg", 2, 3, (7, 9), (2, 2), (2, 2), (0, 0), True, (-1, 2))
    total += pool_case("avgpool_k3s1", "avg", 2, 3, (6, 7), (3, 3), (1, 1), (0, 0), True, (-1, 1))
    total += pool_case(
        "avgpool_k3s2p1_incl", "avg", 2, 4, (9, 8), (3, 3), (2, 2), (1, 1), True, (-2, 1)
    )
    total += pool_case(
        "avgpool_k3s2p1_excl", "avg", 2, 4, (9, 8), (3, 3), (2, 2), (1, 1), False, (-2, 1)
    )
    total += pool_case(
        "avgpool_k2s1p1_incl", "avg", 1, 5, (6, 5), (2, 2), (1, 1), (1, 1), True, (-0.5, 3)
    )
    total += global_avgpool_case("global_avgpool_5x7x9", 2, 5, (7, 9), (-1, 2))
    total += global_avgpool_case("global_avgpool_16x3x3", 3, 16, (3, 3), (-3, 1))
    # The residual sum (quantized::add, quantized::add_relu).
    total += add_case("add_a", 301, (-1, 1), (-2, 3), (-3, 4), False)
    total += add_case("add_b", 301, (-0.1, 0.1), (-4, 4), (-4, 4), False)
    total += add_case("add_same", 301, (-1, 2), (-1, 2), (-2, 4), False)
    total += add_case("add_relu", 301, (-2, 1), (-1, 1), (-3, 2), True)
    # Activations at the input's scale and zero point.
    total += clamp_case("relu", 0, 301, (-3, 5))
    total += clamp_case("relu6", 1, 301, (-3, 9))
    total += leaky_case("leaky_relu_0.1", 301, 0.1, (-4, 2))
    total += leaky_case("leaky_relu_0.01", 301, 0.01, (-20, 5))
    total += leaky_case("leaky_relu_0.2", 301, 0.2, (-3, 3))
    print(f"wrote {total} bytes to {os.path.normpath(OUT)} (torch {torch.__version__}, {ENGINE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
