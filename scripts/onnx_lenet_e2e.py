#!/usr/bin/env python3
"""Trains LeNet-5 in PyTorch for one epoch on MNIST and exports it to ONNX: the
model of the README's ONNX walk-through (`examples/onnx/lenet_mnist.onnx`).

Pixels are p / 255, as staticnet's MNIST loader gives them; the network is
examples/mnist_cnn.rs's LeNet-5. SGD with momentum 0.9, learning rate 0.05, batch
64, seeded. Prints the test accuracy PyTorch reaches, then exports with torch's
default (dynamo) exporter at opset 18 with a symbolic batch dimension.

    pip install torch onnx onnxscript numpy
    python3 scripts/onnx_lenet_e2e.py --mnist ../shared/data/mnist
"""
import argparse
import gzip
import os

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "examples", "onnx", "lenet_mnist.onnx")


def idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(d, name):
    for suffix in (".gz", ""):
        p = os.path.join(d, name + suffix)
        if os.path.exists(p):
            return idx(p)
    raise SystemExit(f"error: {d}: no {name}(.gz)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnist", required=True, help="directory of the MNIST IDX files")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    x = torch.tensor(load(args.mnist, "train-images-idx3-ubyte"), dtype=torch.float32).div(255).unsqueeze(1)
    y = torch.tensor(load(args.mnist, "train-labels-idx1-ubyte"), dtype=torch.long)
    tx = torch.tensor(load(args.mnist, "t10k-images-idx3-ubyte"), dtype=torch.float32).div(255).unsqueeze(1)
    ty = torch.tensor(load(args.mnist, "t10k-labels-idx1-ubyte"), dtype=torch.long)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    order = torch.randperm(len(x))
    model.train()
    for i in range(0, len(x), 64):
        b = order[i: i + 64]
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[b]), y[b]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(tx).argmax(1) == ty).float().mean().item()
    print(f"PyTorch, one epoch on {len(x)} images: test accuracy {acc:.4f} on {len(tx)}")
    batch = torch.export.Dim("batch")
    torch.onnx.export(model, (tx[:2],), OUT, dynamo=True, opset_version=18, input_names=["x"],
                      output_names=["logits"], dynamic_shapes=({0: batch},), external_data=False)
    print(f"wrote {os.path.relpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
