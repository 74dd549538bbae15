#!/usr/bin/env python3
"""staticnet -> ONNX -> onnxruntime: runs every `<name>.onnx` in DIR (written by
`cargo run -p staticnet-import-parity --example onnx_roundtrip -- DIR`) on
`<name>.in.f32` and compares with staticnet's outputs `<name>.sn.f32`. The measure
is the import parity test's: the largest difference over a sample's output over
that output's largest magnitude, at most 1e-5. Exits 1 on any failure, or if DIR
holds no model.

    pip install onnxruntime numpy
    python3 scripts/onnx_roundtrip.py DIR
"""
import glob
import os
import sys

import numpy as np
import onnxruntime as ort


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    models = sorted(glob.glob(os.path.join(sys.argv[1], "*.onnx")))
    if not models:
        sys.exit(f"error: no .onnx file in {sys.argv[1]}")
    failed = 0
    print(f"onnxruntime {ort.__version__}")
    for path in models:
        name = path[: -len(".onnx")]
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        inp = sess.get_inputs()[0]
        shape = [d for d in inp.shape[1:]]
        x = np.fromfile(name + ".in.f32", dtype="<f4").reshape([-1, *shape])
        ours = np.fromfile(name + ".sn.f32", dtype="<f4").reshape(x.shape[0], -1)
        theirs = sess.run(None, {inp.name: x})[0].reshape(x.shape[0], -1)
        scale = np.maximum(np.abs(theirs).max(axis=1, keepdims=True), np.finfo(np.float64).tiny)
        worst = float((np.abs(ours.astype(np.float64) - theirs) / scale).max())
        ok = worst <= 1e-5 and np.isfinite(worst)
        failed += not ok
        print(f"{os.path.basename(name)}: worst relative difference {worst:.2e} {'ok' if ok else 'FAILED'}")
    if failed:
        sys.exit(f"error: {failed} model(s) differ from onnxruntime by more than 1e-5")


if __name__ == "__main__":
    main()
