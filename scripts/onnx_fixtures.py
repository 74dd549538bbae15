#!/usr/bin/env python3
"""ONNX fixtures for the importer's parity tests (import/parity/).

For each model: PyTorch builds it (seeded; batch-norm statistics made
non-trivial), torch.onnx.export writes `import/tests/fixtures/<name>.onnx`, and
onnxruntime runs it on a few seeded inputs: `<name>.in.f32` and `<name>.ort.f32`
hold the inputs and onnxruntime's outputs, little-endian float32, samples back to
back. The exporter and opset are per model below: torch's default (dynamo) at
opset 18 for most, the TorchScript exporter at opset 17 for LeNet-5, the
keyword-spotting net (older exporters are what many published models came from)
and the recurrent nets (dynamo unrolls LSTM, GRU and RNN into loops).

    pip install torch onnx onnxruntime onnxscript
    python3 scripts/onnx_fixtures.py
"""
import os
import sys

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(__file__), "..", "import", "tests", "fixtures")
SAMPLES = 4


class Residual(nn.Module):
    def __init__(self, *block):
        super().__init__()
        self.block = nn.Sequential(*block)

    def forward(self, x):
        return x + self.block(x)


def mlp():
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)), (784,)


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    ), (1, 28, 28)


def mobilenet_block():
    """Depthwise-separable convolution, batch norm, ReLU6 and hard-swish, a
    padded average pool, global average pool."""
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU6(),
        nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False), nn.BatchNorm2d(16), nn.ReLU6(),
        nn.Conv2d(16, 24, 1, bias=False), nn.BatchNorm2d(24), nn.Hardswish(),
        nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(24, 10),
    ), (3, 17, 17)


def residual_mlp():
    return nn.Sequential(
        nn.Linear(32, 64), nn.GELU(),
        Residual(nn.LayerNorm(64), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, 64)),
        Residual(nn.LayerNorm(64), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 64)),
        nn.LayerNorm(64), nn.Linear(64, 10), nn.LogSoftmax(dim=-1),
    ), (32,)


def kws_conv1d():
    """Keyword spotting style: MFCC frames [13, 49] -> 12 classes."""
    return nn.Sequential(
        nn.Conv1d(13, 32, 3, padding=1), nn.BatchNorm1d(32), nn.ReLU(),
        nn.Conv1d(32, 32, 3, stride=2, dilation=2, padding=2), nn.BatchNorm1d(32), nn.LeakyReLU(0.1),
        nn.Conv1d(32, 48, 3, groups=4), nn.Sigmoid(),
        nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(48, 12),
    ), (13, 49)


class LstmClassifier(nn.Module):
    """Two stacked LSTM layers read 28 rows of 28 pixels; the last step classifies."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(28, 32, num_layers=2, batch_first=True)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.fc(y[:, -1])


class GruLastHidden(nn.Module):
    """A GRU's final hidden state h_n classifies."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(8, 16, batch_first=True)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        _, h = self.gru(x)
        return self.fc(h[0])


class RnnTagger(nn.Module):
    """A ReLU RNN's every step goes through a per-step linear layer."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(6, 12, nonlinearity="relu", batch_first=True)
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y)


def lstm_classifier():
    return LstmClassifier(), (28, 28)


def gru_last_hidden():
    return GruLastHidden(), (7, 8)


def rnn_tagger():
    return RnnTagger(), (9, 6)


def activations():
    """Every activation exporters write as several nodes (GELU's two forms,
    SiLU) and those they write as one (HardSwish, ReLU6 as Clip, HardSigmoid)."""
    return nn.Sequential(
        nn.Linear(12, 16), nn.GELU(approximate="tanh"),
        nn.Linear(16, 16), nn.GELU(),
        nn.Linear(16, 16), nn.SiLU(),
        nn.Linear(16, 16), nn.Hardswish(),
        nn.Linear(16, 16), nn.ReLU6(),
        nn.Linear(16, 16), nn.Hardsigmoid(),
        nn.Linear(16, 6),
    ), (12,)


# name -> (builder, exporter, opset)
MODELS = {
    "mlp": (mlp, "dynamo", 18),
    "lenet": (lenet, "torchscript", 17),
    "mobilenet_block": (mobilenet_block, "dynamo", 18),
    "residual_mlp": (residual_mlp, "dynamo", 18),
    "kws_conv1d": (kws_conv1d, "torchscript", 17),
    # The TorchScript exporter writes LSTM, GRU and RNN operators (dynamo
    # unrolls them into loops).
    "lstm_classifier": (lstm_classifier, "torchscript", 17),
    "gru_last_hidden": (gru_last_hidden, "torchscript", 17),
    "rnn_tagger": (rnn_tagger, "torchscript", 17),
    # The same activations from both exporters: each writes GELU and SiLU
    # as its own subgraph.
    "activations_torchscript": (activations, "torchscript", 17),
    "activations_dynamo": (activations, "dynamo", 18),
}


def randomise_batchnorm(model, g):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(1 + 0.5 * torch.rand(m.running_var.shape, generator=g))


def export(name, build, exporter, opset):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    model, shape = build()
    randomise_batchnorm(model, g)
    model.eval()
    x = torch.randn((SAMPLES, *shape), generator=g)
    path = os.path.join(OUT, f"{name}.onnx")
    kwargs = dict(input_names=["x"], output_names=["y"], opset_version=opset)
    if exporter == "dynamo":
        batch = torch.export.Dim("batch")
        torch.onnx.export(model, (x,), path, dynamo=True, dynamic_shapes=({0: batch},), external_data=False, **kwargs)
    else:
        torch.onnx.export(model, (x,), path, dynamo=False, dynamic_axes={"x": {0: "batch"}}, **kwargs)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    y = sess.run(None, {"x": x.numpy()})[0]
    with torch.no_grad():
        ref = model(x).numpy()
    assert np.allclose(y, ref, atol=1e-5), f"{name}: onnxruntime and PyTorch differ"
    x.numpy().astype("<f4").tofile(os.path.join(OUT, f"{name}.in.f32"))
    y.astype("<f4").tofile(os.path.join(OUT, f"{name}.ort.f32"))
    print(f"{name}: {exporter} opset {opset}, {os.path.getsize(path)} bytes, output {y.shape}")


def main():
    os.makedirs(OUT, exist_ok=True)
    names = sys.argv[1:] or list(MODELS)
    for name in names:
        export(name, *MODELS[name])
    # The list the Rust tests, the parity crate and the bench read.
    with open(os.path.join(OUT, "names.txt"), "w") as f:
        f.write("".join(f"{name}\n" for name in MODELS))


if __name__ == "__main__":
    main()
