#!/usr/bin/env python3
"""Int8 batch-1 inference of W1 (MLP 784-128-10, ReLU) and W4 (LeNet-5) in onnxruntime and
PyTorch, next to staticnet's `W1/int8` and `W4/int8` criterion cases; prints one markdown table.

usage: taskset -c 0 python3 scripts/int8_peers.py [--blocks 200] [--criterion DIR] [--models DIR]

Needs torch, onnx and onnxruntime. The networks are built in PyTorch with the workloads' shapes
and random weights (seed 0; the figures are latencies, the weights do not matter), exported to
ONNX (opset 17, batch fixed to 1) and statically quantised with
`onnxruntime.quantization.quantize_static` after a min/max calibration on 64 random inputs in
[0, 1) (the inputs staticnet's benches calibrate on are drawn the same way), weights int8 per
channel, in three forms:

  - QDQ, activations uint8 (U8S8: onnxruntime's recommended form on x86),
  - QDQ, activations int8 (S8S8: the scheme staticnet and TensorFlow Lite use),
  - QOperator (QLinearConv, QLinearMatMul...), activations uint8.

PyTorch's own int8 inference is eager-mode static quantisation (`torch.ao.quantization`, the
x86 engine on fbgemm, `get_default_qconfig("x86")`, Linear/Conv fused with their ReLU).

Every case runs on one thread (onnxruntime: intra_op_num_threads=1, inter_op 1, sequential,
all graph optimisations; PyTorch: torch.set_num_threads(1), inference_mode). Latency is
measured as the peers' scripts do (../shared/peers/py/common.py): 2000 warm-up calls, then
`--blocks` blocks of K calls (K = 100 for W1, 50 for W4); the figure is the median over
blocks of block time / K, with the min and max block. Run it pinned (`taskset -c 0`), as
scripts/bench.py pins every one-thread case.

With `--criterion DIR` (default: $CARGO_TARGET_DIR, else ./target) the table also holds
staticnet's W1/f32, W1/int8, W4/f32 and W4/int8 from DIR/criterion (run
`taskset -c 0 cargo bench --bench mlp -- '^W1/'` and `... --bench lenet -- '^W4/'` first, in the
same sitting) and every figure's ratio to staticnet int8 (> 1: slower than staticnet int8).
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_static)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = {  # workload: (input shape, calls per block, staticnet criterion group)
    "W1": ((1, 784), 100, "W1"),
    "W4": ((1, 1, 28, 28), 50, "W4"),
}
CALIB = 64


def latency(fn, warmup, blocks, per_block):
    """warmup calls, then `blocks` blocks of `per_block` calls; (median, min, max) seconds/call over blocks
    (the method of ../shared/peers/py/common.py)."""
    for _ in range(warmup):
        fn()
    vals = []
    pc = time.perf_counter
    for _ in range(blocks):
        t = pc()
        for _ in range(per_block):
            fn()
        vals.append((pc() - t) / per_block)
    return statistics.median(vals), min(vals), max(vals)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant, self.dequant = torch.ao.quantization.QuantStub(), torch.ao.quantization.DeQuantStub()
        self.fc1, self.relu1, self.fc2 = nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)

    def forward(self, x):
        return self.dequant(self.fc2(self.relu1(self.fc1(self.quant(x)))))

    fuse = [["fc1", "relu1"]]


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant, self.dequant = torch.ao.quantization.QuantStub(), torch.ao.quantization.DeQuantStub()
        self.c1, self.r1, self.p1 = nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2)
        self.c2, self.r2, self.p2 = nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2)
        self.flat = nn.Flatten()
        self.f1, self.r3 = nn.Linear(400, 120), nn.ReLU()
        self.f2, self.r4 = nn.Linear(120, 84), nn.ReLU()
        self.f3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.quant(x)
        x = self.p1(self.r1(self.c1(x)))
        x = self.p2(self.r2(self.c2(x)))
        x = self.r4(self.f2(self.r3(self.f1(self.flat(x)))))
        return self.dequant(self.f3(x))

    fuse = [["c1", "r1"], ["c2", "r2"], ["f1", "r3"], ["f2", "r4"]]


class Reader(CalibrationDataReader):
    def __init__(self, xs):
        self.it = iter([{"x": x} for x in xs])

    def get_next(self):
        return next(self.it, None)


def session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def onnx_models(name, model, shape, calib, out):
    """The f32 export and its three quantised forms: {label: path}."""
    f32 = os.path.join(out, f"{name}_f32.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(shape), f32, input_names=["x"], output_names=["y"],
                          opset_version=17, dynamo=False)
    onnx.checker.check_model(onnx.load(f32))
    pre = os.path.join(out, f"{name}_pre.onnx")
    try:
        from onnxruntime.quantization.shape_inference import quant_pre_process
        quant_pre_process(f32, pre)
    except Exception as e:  # the pre-processing only helps; quantise the export itself without it
        print(f"{name}: quant_pre_process failed ({e}); quantising the export", file=sys.stderr)
        pre = f32
    paths = {"onnxruntime f32": f32}
    for label, fmt, act in [("onnxruntime int8 QDQ U8S8", QuantFormat.QDQ, QuantType.QUInt8),
                            ("onnxruntime int8 QDQ S8S8", QuantFormat.QDQ, QuantType.QInt8),
                            ("onnxruntime int8 QOperator U8S8", QuantFormat.QOperator, QuantType.QUInt8)]:
        path = os.path.join(out, f"{name}_{label.split(' ', 2)[2].replace(' ', '_')}.onnx")
        quantize_static(pre, path, Reader(calib), quant_format=fmt, per_channel=True,
                        activation_type=act, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax)
        paths[label] = path
    return paths


def torch_int8(model, calib):
    torch.backends.quantized.engine = "x86"
    m = torch.ao.quantization.fuse_modules(model, model.fuse)
    m.qconfig = torch.ao.quantization.get_default_qconfig("x86")
    torch.ao.quantization.prepare(m, inplace=True)
    with torch.inference_mode():
        for x in calib:
            m(torch.from_numpy(x))
    return torch.ao.quantization.convert(m)


def criterion(target, name):
    """criterion's median and the min-max of its samples' per-iteration times, in seconds."""
    d = os.path.join(target, "criterion", *name.split("/"), "new")
    est = json.load(open(os.path.join(d, "estimates.json")))
    sample = json.load(open(os.path.join(d, "sample.json")))
    per_iter = [t / n for t, n in zip(sample["times"], sample["iters"])]
    return est["median"]["point_estimate"] * 1e-9, min(per_iter) * 1e-9, max(per_iter) * 1e-9


def main():
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # torch.ao.quantization's notice
    warnings.filterwarnings("ignore", category=UserWarning)  # its observers' reduce_range notice
    ap = argparse.ArgumentParser()
    ap.add_argument("--blocks", type=int, default=200)
    ap.add_argument("--criterion", default=os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")))
    ap.add_argument("--models", help="where to write the ONNX files (default: a temporary directory)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    out = a.models or tempfile.mkdtemp(prefix="int8_peers.")
    os.makedirs(out, exist_ok=True)
    res = {}  # (case, workload): (median, min, max) seconds
    for wl, (shape, per_block, group) in WORKLOADS.items():
        rng = np.random.default_rng(1)
        x = rng.random(shape, dtype=np.float32)
        calib = [rng.random(shape, dtype=np.float32) for _ in range(CALIB)]
        model = (Mlp() if wl == "W1" else LeNet()).eval()
        with torch.inference_mode():
            ref = model(torch.from_numpy(x)).numpy()
        for label, path in onnx_models(wl.lower(), model, shape, calib, out).items():
            sess = session(path)
            y = sess.run(["y"], {"x": x})[0]
            err = float(np.abs(y - ref).max())
            print(f"{wl} {label}: max |y - y_f32| = {err:.4f} (|y_f32| <= {float(np.abs(ref).max()):.3f})",
                  file=sys.stderr)
            res[(label, wl)] = latency(lambda: sess.run(["y"], {"x": x}), 2000, a.blocks, per_block)
        xt = torch.from_numpy(x)
        with torch.inference_mode():
            res[("PyTorch f32", wl)] = latency(lambda: model(xt), 2000, a.blocks, per_block)
        try:
            q = torch_int8(model, calib)
            with torch.inference_mode():
                y = q(xt).numpy()
                print(f"{wl} PyTorch int8: max |y - y_f32| = {float(np.abs(y - ref).max()):.4f}", file=sys.stderr)
                res[("PyTorch int8 (x86/fbgemm)", wl)] = latency(lambda: q(xt), 2000, a.blocks, per_block)
        except Exception as e:  # eager quantisation is deprecated upstream; report rather than stop
            print(f"{wl} PyTorch int8 failed: {e}", file=sys.stderr)
        for kind in ("f32", "int8"):
            try:
                res[(f"staticnet {kind}", wl)] = criterion(a.criterion, f"{group}/{kind}")
            except FileNotFoundError:
                print(f"no criterion result for {group}/{kind} under {a.criterion}", file=sys.stderr)
    print(f"\nonnxruntime {ort.__version__}, torch {torch.__version__}, onnx {onnx.__version__}; "
          f"models in {out}\n")
    cases = sorted({c for c, _ in res}, key=lambda c: (not c.startswith("staticnet"), c))
    print("| case | W1 median µs (min-max) | W1 / staticnet int8 | W4 median µs (min-max) | W4 / staticnet int8 |")
    print("|---|---|---|---|---|")
    for c in cases:
        cols = []
        for wl in WORKLOADS:
            if (c, wl) not in res:
                cols += ["-", "-"]
                continue
            med, mn, mx = res[(c, wl)]
            base = res.get(("staticnet int8", wl))
            cols += [f"{med * 1e6:.2f} ({mn * 1e6:.2f}-{mx * 1e6:.2f})",
                     f"{med / base[0]:.2f}" if base else "-"]
        print(f"| {c} | " + " | ".join(cols) + " |")


if __name__ == "__main__":
    main()
