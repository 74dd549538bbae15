#!/usr/bin/env python3
"""Writes the PyTorch parity fixtures that tests/parity.rs compares staticnet against.

Not run by CI: the fixtures it writes are committed in tests/fixtures/parity/, and
tests/parity.rs only reads them. Run it again after changing a network here (and the
same declaration in tests/parity.rs, or tests/zoo/ for vision, signal, vit and padded), or to check that the fixtures are reproducible.
Names on the command line write only those networks' fixtures
(`scripts/pytorch_parity.py padded`), leaving the others as they are.

How to run (from the repository root; the pip line pulls PyTorch with its CUDA
libraries, about 5 GB installed, which it loads on import even when only the CPU is used):

    python3 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install torch==2.15.0 safetensors numpy
    /tmp/torchenv/bin/python scripts/pytorch_parity.py           # every network
    /tmp/torchenv/bin/python scripts/pytorch_parity.py mobile    # only these

Fixtures were last written with torch 2.15.0, safetensors 0.8.0, Python 3.11, on CPU.
(`rms`, `mobile`, `padded` and `slopes` were added later with the same versions, written alone by
naming them, the others left as they were: rerun on
another machine, three fixtures differ in the last bits of gradients that are zero in
exact arithmetic, float64 rounding noise of about 1e-16: vision's `conv2d0.bias`, and
the key part of `in_proj_bias` in vit and gpt.)

For each network below, a torch module is built whose attribute names are staticnet's
layer names (`dense0`, `conv2d0`, `batchnorm0`, `lstm0`, ...), so that its `state_dict()`
keys are staticnet's tensor names (`dense0.weight`, `batchnorm0.running_mean`,
`lstm0.weight_ih_l0`, `multihead_attention0.out_proj.weight`, ...). Recurrent layers
are one-layer `nn.LSTM` / `nn.GRU` / `nn.RNN` with `batch_first=True` and a zero
initial state, passing on every step (`output`); staticnet's `sequence = false` is a
parameterless `LastStep` after them (`output[:, -1]`). Transformer layers (networks
`vit`, `gpt`): `layernorm` is `nn.LayerNorm` over the last dim; `multihead_attention`
is `SelfAttention`, an `nn.MultiheadAttention` (batch_first, biases) called as
`attn(x, x, x, need_weights=False)`, `causal` being a bool mask True above the
diagonal; `pos_embedding`, `patchify` and `mean_pool` are the small modules below. A
`residual { ... }` block is flattened as staticnet flattens it: parameterless
`residual<k>` / `residual_end<k>` markers around the inner layers, which keep their
own names (`layernorm0`, `multihead_attention0`, `dense1`), and `Net` adds the
block's input to its output at the end marker.
`rmsnorm` (network `rms`) is `nn.RMSNorm` over the last dim, its eps always given
(see `rms`). Network `mobile`: `relu6`, `hardswish`, `silu` and
`gelu(approximate = "tanh")` are `nn.ReLU6`, `nn.Hardswish`, `nn.SiLU` and
`nn.GELU(approximate="tanh")`; `hardsigmoid` is `nn.Hardsigmoid` with its defaults,
else `HardSigmoid` below (ONNX's form); its dense weights are scaled (see `mobile`).
(see `rms`). Network `padded`: `maxpool2d` / `avgpool2d` with `padding` are
`nn.MaxPool2d` / `nn.AvgPool2d` with the same padding (and `count_include_pad`), and
`log_softmax` is `nn.LogSoftmax(dim=-1)`. Network `slopes`: `prelu` is `nn.PReLU()`,
`prelu(per_channel = true)` is `nn.PReLU(C)` over dim 1 (a channel of an image, a
feature of a vector).

Weights are PyTorch's default initialisation under a fixed seed, except where that is
an identity or zero, which would leave a path unchecked: batch norm gets non-trivial
weight, bias and running statistics, layer norm a weight in [0.5, 1.5] and a bias
0.3 * randn, RMS norm a weight in [0.5, 1.5], PReLU slopes in [0.05, 0.5], the position table 0.5 * randn,
attention's `in_proj_bias` and `out_proj.bias` 0.3 * randn. The input and `grad_output` are standard normal, except
a token input (`tokens[T]`, networks `chars` and `gpt`), whose ids are uniform in
[0, vocab) and saved as float32. Every value is drawn in float32 and the computation
runs in float64 on those float32 values, so the reference is exact to float64 for
exactly the inputs staticnet sees; results are rounded to float32 when saved.
Two files per network in tests/fixtures/parity/:

  <name>.weights.safetensors  the state_dict before the training forward (float32,
                              `num_batches_tracked` an int64 scalar, as PyTorch saves it)
  <name>.io.safetensors       input [B, ...]; eval_output (module.eval(), the weights
                              above); train_output (module.train(): batch statistics);
                              grad_output; grad_input (none for token ids, which have
                              no gradient) and grad.<tensor> for every trainable
                              tensor (output.backward(grad_output) after the training
                              forward); for each batch norm
                              after.<layer>.running_mean / running_var /
                              num_batches_tracked (float32), the buffers after that one
                              training forward (PyTorch updates them during it)
"""

import os
import sys
from collections import OrderedDict

import torch
from safetensors.torch import save_file
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "parity")


class GlobalAvgPool(nn.Module):
    """staticnet's `global_avgpool`: mean over every spatial dim, [B, C, ...] -> [B, C]."""

    def forward(self, x):
        return x.mean(dim=tuple(range(2, x.dim())))


class LastStep(nn.Module):
    """The last step of a sequence, [B, T, H] -> [B, H]: what staticnet's
    `sequence = false` returns (PyTorch's `output[:, -1]`). No parameters, so
    it adds no `state_dict` key."""

    def forward(self, x):
        return x[:, -1]


class Patchify(nn.Module):
    """staticnet's `patchify(p)`: [B, C, H, W] -> [B, (H/p)(W/p), C*p*p], the
    p x p patches in row-major order, each flattened channel by channel, then
    row, then column."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        b, c = x.shape[:2]
        x = x.unfold(2, self.p, self.p).unfold(3, self.p, self.p)  # [B, C, H/p, W/p, p, p]
        x = x.permute(0, 2, 3, 1, 4, 5)  # [B, H/p, W/p, C, p, p]
        return x.reshape(b, -1, c * self.p * self.p)


class PosEmbedding(nn.Module):
    """staticnet's `pos_embedding`: a learned [T, E] table `weight` added to
    every sample of a [B, T, E] sequence."""

    def __init__(self, steps, embed):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(steps, embed))

    def forward(self, x):
        return x + self.weight


class SelfAttention(nn.MultiheadAttention):
    """staticnet's `multihead_attention(heads, causal)`: nn.MultiheadAttention
    (batch_first, biases) as self-attention on [B, T, E], `attn(x, x, x)`,
    returning only the output; with `causal`, step i attends to steps <= i
    (a bool mask, True above the diagonal). A subclass, so its `state_dict`
    keys are nn.MultiheadAttention's: `in_proj_weight`, `in_proj_bias`,
    `out_proj.weight`, `out_proj.bias`."""

    def __init__(self, embed, heads, causal=False):
        super().__init__(embed, heads, bias=True, batch_first=True)
        self.causal = causal

    def forward(self, x):
        mask = None
        if self.causal:
            t = x.shape[1]
            mask = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
        return super().forward(x, x, x, need_weights=False, attn_mask=mask)[0]


class MeanPool(nn.Module):
    """staticnet's `mean_pool`: [B, T, E] -> [B, E], the mean over steps."""

    def forward(self, x):
        return x.mean(dim=1)


class Residual(nn.Module):
    """staticnet's `residual {`, flattened as staticnet flattens it: a
    parameterless marker; `Net` keeps its input for the matching
    `ResidualEnd`."""

    def forward(self, x):
        return x


class ResidualEnd(nn.Module):
    """The closing `}` of a `residual` block: `Net` adds the input kept at the
    matching (innermost open) `Residual` to the block's output."""

    def forward(self, x):
        return x


class Net(nn.Sequential):
    """nn.Sequential whose recurrent modules (nn.RNN, nn.LSTM, nn.GRU, which
    return `(output, h_n)` or `(output, (h_n, c_n))`) pass on `output`, every
    step (the initial state is PyTorch's default, zero), and whose
    `Residual` ... `ResidualEnd` markers add a block's input to its output."""

    def forward(self, x):
        skips = []
        for m in self:
            if isinstance(m, Residual):
                skips.append(x)
            elif isinstance(m, ResidualEnd):
                x = x + skips.pop()
            else:
                x = m(x)
                if isinstance(m, nn.RNNBase):
                    x = x[0]
        assert not skips, "unclosed residual block"
        return x


class Tokens:
    """A token input `tokens[steps]`: ids drawn uniformly from [0, vocab)."""

    def __init__(self, steps, vocab):
        self.steps, self.vocab = steps, vocab


def mlp():
    # input: [20], dense(16), relu, dense(12), leaky_relu(0.1), dense(9), gelu,
    # dense(7), sigmoid, dense(5), tanh, dense(4, bias = false), softmax
    layers = [
        ("dense0", nn.Linear(20, 16)),
        ("relu0", nn.ReLU()),
        ("dense1", nn.Linear(16, 12)),
        ("leaky_relu0", nn.LeakyReLU(0.1)),
        ("dense2", nn.Linear(12, 9)),
        ("gelu0", nn.GELU()),  # exact (erf) form
        ("dense3", nn.Linear(9, 7)),
        ("sigmoid0", nn.Sigmoid()),
        ("dense4", nn.Linear(7, 5)),
        ("tanh0", nn.Tanh()),
        ("dense5", nn.Linear(5, 4, bias=False)),
        ("softmax0", nn.Softmax(dim=-1)),
    ]
    return layers, [20]


def vision():
    # input: [2, 7, 6], conv2d(4, 3, padding = 1), batchnorm, tanh,
    # conv2d(4, (2, 3), stride = 2, groups = 2), maxpool2d(2, stride = 1),
    # conv2d(4, 1, groups = 4), sigmoid, avgpool2d((2, 1)), flatten, dense(3)
    layers = [
        ("conv2d0", nn.Conv2d(2, 4, 3, padding=1)),  # [4, 7, 6]
        ("batchnorm0", nn.BatchNorm2d(4, eps=1e-5, momentum=0.1)),
        ("tanh0", nn.Tanh()),
        ("conv2d1", nn.Conv2d(4, 4, (2, 3), stride=2, groups=2)),  # [4, 3, 2]
        ("maxpool2d0", nn.MaxPool2d(2, stride=1)),  # [4, 2, 1]
        ("conv2d2", nn.Conv2d(4, 4, 1, groups=4)),  # [4, 2, 1]
        ("sigmoid0", nn.Sigmoid()),
        ("avgpool2d0", nn.AvgPool2d((2, 1))),  # [4, 1, 1]
        ("flatten0", nn.Flatten()),  # [4]
        ("dense0", nn.Linear(4, 3)),
    ]
    return layers, [2, 7, 6]


def signal():
    # input: [3, 9], conv1d(4, 3, stride = 2, padding = 1, dilation = 2), relu,
    # conv1d(2, 2, groups = 2, bias = false), global_avgpool, dense(2)
    layers = [
        ("conv1d0", nn.Conv1d(3, 4, 3, stride=2, padding=1, dilation=2)),  # [4, 4]
        ("relu0", nn.ReLU()),
        ("conv1d1", nn.Conv1d(4, 2, 2, groups=2, bias=False)),  # [2, 3]
        ("global_avgpool0", GlobalAvgPool()),  # [2]
        ("dense0", nn.Linear(2, 2)),
    ]
    return layers, [3, 9]


def lenet():
    # As examples/mnist_cnn.rs: input: [1, 28, 28],
    # conv2d(6, 5, padding = 2), relu, maxpool2d(2), conv2d(16, 5), relu, maxpool2d(2),
    # flatten, dense(120), relu, dense(84), relu, dense(10)
    layers = [
        ("conv2d0", nn.Conv2d(1, 6, 5, padding=2)),  # [6, 28, 28]
        ("relu0", nn.ReLU()),
        ("maxpool2d0", nn.MaxPool2d(2)),  # [6, 14, 14]
        ("conv2d1", nn.Conv2d(6, 16, 5)),  # [16, 10, 10]
        ("relu1", nn.ReLU()),
        ("maxpool2d1", nn.MaxPool2d(2)),  # [16, 5, 5]
        ("flatten0", nn.Flatten()),  # [400]
        ("dense0", nn.Linear(400, 120)),
        ("relu2", nn.ReLU()),
        ("dense1", nn.Linear(120, 84)),
        ("relu3", nn.ReLU()),
        ("dense2", nn.Linear(84, 10)),
    ]
    return layers, [1, 28, 28]


def lstm():
    # input: [6, 5], lstm(7), lstm(4, sequence = false), dense(3)
    layers = [
        ("lstm0", nn.LSTM(5, 7, batch_first=True)),  # [6, 7], every step
        ("lstm1", nn.LSTM(7, 4, batch_first=True)),  # [6, 4]
        ("last0", LastStep()),  # [4]
        ("dense0", nn.Linear(4, 3)),
    ]
    return layers, [6, 5]


def gru():
    # input: [5, 3], gru(6), dense(2), tanh
    layers = [
        ("gru0", nn.GRU(3, 6, batch_first=True)),  # [5, 6]
        ("dense0", nn.Linear(6, 2)),  # per step: [5, 2]
        ("tanh0", nn.Tanh()),
    ]
    return layers, [5, 3]


def rnn():
    # input: [4, 3], rnn(5, relu = true), rnn(3, sequence = false)
    layers = [
        ("rnn0", nn.RNN(3, 5, nonlinearity="relu", batch_first=True)),  # [4, 5]
        ("rnn1", nn.RNN(5, 3, nonlinearity="tanh", batch_first=True)),  # [4, 3]
        ("last0", LastStep()),  # [3]
    ]
    return layers, [4, 3]


def chars():
    # input: tokens[7], embedding(11, 4), lstm(6), dense(11)
    layers = [
        ("embedding0", nn.Embedding(11, 4)),  # [7, 4]
        ("lstm0", nn.LSTM(4, 6, batch_first=True)),  # [7, 6]
        ("dense0", nn.Linear(6, 11)),  # per step: [7, 11]
    ]
    return layers, Tokens(7, 11)


def vit():
    # input: [1, 8, 8], patchify(4), dense(8), pos_embedding,
    # residual { layernorm, multihead_attention(2) },
    # residual { layernorm, dense(12), gelu, dense(8) },
    # layernorm, mean_pool, dense(3)
    layers = [
        ("patchify0", Patchify(4)),  # [4, 16]
        ("dense0", nn.Linear(16, 8)),  # per step: [4, 8]
        ("pos_embedding0", PosEmbedding(4, 8)),
        ("residual0", Residual()),
        ("layernorm0", nn.LayerNorm(8, eps=1e-5)),
        ("multihead_attention0", SelfAttention(8, 2)),
        ("residual_end0", ResidualEnd()),
        ("residual1", Residual()),
        ("layernorm1", nn.LayerNorm(8, eps=1e-5)),
        ("dense1", nn.Linear(8, 12)),  # [4, 12]
        ("gelu0", nn.GELU()),
        ("dense2", nn.Linear(12, 8)),  # [4, 8]
        ("residual_end1", ResidualEnd()),
        ("layernorm2", nn.LayerNorm(8, eps=1e-5)),
        ("mean_pool0", MeanPool()),  # [8]
        ("dense3", nn.Linear(8, 3)),
    ]
    return layers, [1, 8, 8]


def gpt():
    # input: tokens[6], embedding(9, 8), pos_embedding,
    # residual { layernorm, multihead_attention(2, causal = true) },
    # residual { layernorm, dense(16), gelu, dense(8) },
    # layernorm, dense(9)
    layers = [
        ("embedding0", nn.Embedding(9, 8)),  # [6, 8]
        ("pos_embedding0", PosEmbedding(6, 8)),
        ("residual0", Residual()),
        ("layernorm0", nn.LayerNorm(8, eps=1e-5)),
        ("multihead_attention0", SelfAttention(8, 2, causal=True)),
        ("residual_end0", ResidualEnd()),
        ("residual1", Residual()),
        ("layernorm1", nn.LayerNorm(8, eps=1e-5)),
        ("dense0", nn.Linear(8, 16)),  # [6, 16]
        ("gelu0", nn.GELU()),
        ("dense1", nn.Linear(16, 8)),  # [6, 8]
        ("residual_end1", ResidualEnd()),
        ("layernorm2", nn.LayerNorm(8, eps=1e-5)),
        ("dense2", nn.Linear(8, 9)),  # per step: [6, 9]
    ]
    return layers, Tokens(6, 9)


def rms():
    # input: [4, 6], dense(8), rmsnorm, residual { rmsnorm(eps = 1e-5), dense(8), gelu },
    # mean_pool, rmsnorm(eps = 1e-3), dense(3)
    # staticnet's default eps is float32's machine epsilon, what nn.RMSNorm's eps=None
    # means on float32; it is passed explicitly because the module runs in float64 here,
    # where None would mean float64's.
    layers = [
        ("dense0", nn.Linear(6, 8)),  # per step: [4, 8]
        ("rmsnorm0", nn.RMSNorm(8, eps=torch.finfo(torch.float32).eps)),
        ("residual0", Residual()),
        ("rmsnorm1", nn.RMSNorm(8, eps=1e-5)),
        ("dense1", nn.Linear(8, 8)),
        ("gelu0", nn.GELU()),
        ("residual_end0", ResidualEnd()),
        ("mean_pool0", MeanPool()),  # [8]
        ("rmsnorm2", nn.RMSNorm(8, eps=1e-3)),
        ("dense2", nn.Linear(8, 3)),
    ]
    return layers, [4, 6]


class HardSigmoid(nn.Module):
    """staticnet's `hardsigmoid(alpha, beta)` away from PyTorch's defaults:
    ONNX's `HardSigmoid`, `clamp(alpha x + beta, 0, 1)`. `alpha` and `beta`
    are the float32 values staticnet holds."""

    def __init__(self, alpha, beta):
        super().__init__()
        self.alpha = torch.tensor(alpha, dtype=torch.float32).item()
        self.beta = torch.tensor(beta, dtype=torch.float32).item()

    def forward(self, x):
        return torch.clamp(self.alpha * x + self.beta, 0.0, 1.0)


def mobile():
    # input: [10], dense(16), relu6, dense(16), hardswish, dense(12), hardsigmoid,
    # dense(12), silu, dense(9), gelu(approximate = "tanh"),
    # dense(8), hardsigmoid(alpha = 0.2, beta = 0.4), dense(4)
    layers = [
        ("dense0", nn.Linear(10, 16)),
        ("relu60", nn.ReLU6()),
        ("dense1", nn.Linear(16, 16)),
        ("hardswish0", nn.Hardswish()),
        ("dense2", nn.Linear(16, 12)),
        ("hardsigmoid0", nn.Hardsigmoid()),  # alpha = 1/6, beta = 0.5
        ("dense3", nn.Linear(12, 12)),
        ("silu0", nn.SiLU()),
        ("dense4", nn.Linear(12, 9)),
        ("gelu0", nn.GELU(approximate="tanh")),
        ("dense5", nn.Linear(9, 8)),
        ("hardsigmoid1", HardSigmoid(0.2, 0.4)),
        ("dense6", nn.Linear(8, 4)),
    ]
    # Dense weights scaled so that the pre-activations reach every piece:
    # relu6's cap at 6, hard swish's and hard sigmoid's kinks at -3 and 3
    # (-2 and 3 for alpha 0.2, beta 0.4), while each piece keeps inputs.
    gains = {"dense0": 8, "dense1": 2, "dense2": 2.5, "dense3": 10, "dense4": 4, "dense5": 6}
    with torch.no_grad():
        for name, m in layers:
            if name in gains:
                m.weight.mul_(float(gains[name]))
    return layers, [10]


def padded():
    # As tests/zoo's Padded: input: [2, 7, 6], conv2d(3, 3, padding = 1), tanh,
    # maxpool2d((3, 2), stride = 2, padding = 1), avgpool2d(3, stride = 1, padding = 1),
    # avgpool2d((3, 2), stride = (2, 1), padding = (1, 0), count_include_pad = false),
    # flatten, dense(5), log_softmax
    # tanh makes every in-bounds element of some corner windows negative, where a
    # zero padding would win the max.
    layers = [
        ("conv2d0", nn.Conv2d(2, 3, 3, padding=1)),  # [3, 7, 6]
        ("tanh0", nn.Tanh()),
        ("maxpool2d0", nn.MaxPool2d((3, 2), stride=2, padding=1)),  # [3, 4, 4]
        ("avgpool2d0", nn.AvgPool2d(3, stride=1, padding=1)),  # [3, 4, 4]
        (
            "avgpool2d1",
            nn.AvgPool2d((3, 2), stride=(2, 1), padding=(1, 0), count_include_pad=False),
        ),  # [3, 2, 3]
        ("flatten0", nn.Flatten()),  # [18]
        ("dense0", nn.Linear(18, 5)),
        ("log_softmax0", nn.LogSoftmax(dim=-1)),
    ]
    return layers, [2, 7, 6]


def slopes():
    # As tests/zoo's Slopes: input: [2, 6, 6], conv2d(3, 3), prelu(per_channel = true),
    # flatten, dense(7), prelu(per_channel = true), dense(5), prelu, dense(3)
    layers = [
        ("conv2d0", nn.Conv2d(2, 3, 3)),  # [3, 4, 4]
        ("prelu0", nn.PReLU(3)),  # a slope per channel
        ("flatten0", nn.Flatten()),  # [48]
        ("dense0", nn.Linear(48, 7)),
        ("prelu1", nn.PReLU(7)),  # a slope per feature
        ("dense1", nn.Linear(7, 5)),
        ("prelu2", nn.PReLU()),  # one slope
        ("dense2", nn.Linear(5, 3)),
    ]
    return layers, [2, 6, 6]


# name, builder, seed, batch size
NETWORKS = [
    ("mlp", mlp, 1, 3),
    ("vision", vision, 2, 3),
    ("signal", signal, 3, 3),
    ("lenet", lenet, 4, 2),
    ("lstm", lstm, 5, 3),
    ("gru", gru, 6, 3),
    ("rnn", rnn, 7, 3),
    ("chars", chars, 8, 3),
    ("vit", vit, 9, 3),
    ("gpt", gpt, 10, 3),
    ("rms", rms, 11, 3),
    ("mobile", mobile, 12, 3),
    ("padded", padded, 12, 3),
    ("slopes", slopes, 13, 3),
]


def batchnorms(module):
    bn = (nn.BatchNorm1d, nn.BatchNorm2d)
    return [(n, m) for n, m in module.named_children() if isinstance(m, bn)]


def build(builder, seed):
    torch.manual_seed(seed)
    layers, input_shape = builder()
    module = Net(OrderedDict(layers))
    with torch.no_grad():
        for _, bn in batchnorms(module):
            c = bn.num_features
            bn.weight.copy_(torch.empty(c).uniform_(0.5, 1.5))
            bn.bias.copy_(0.3 * torch.randn(c))
            bn.running_mean.copy_(0.5 * torch.randn(c))
            bn.running_var.copy_(torch.empty(c).uniform_(0.5, 2.0))
            bn.num_batches_tracked.fill_(7)
        # PyTorch initialises these to identities (ones, zeros); make them
        # non-trivial so that the scale, shift and bias paths are checked.
        for m in module.children():
            if isinstance(m, nn.LayerNorm):
                (d,) = m.normalized_shape
                m.weight.copy_(torch.empty(d).uniform_(0.5, 1.5))
                m.bias.copy_(0.3 * torch.randn(d))
            elif isinstance(m, nn.RMSNorm):
                (d,) = m.normalized_shape
                m.weight.copy_(torch.empty(d).uniform_(0.5, 1.5))
            elif isinstance(m, nn.PReLU):
                # PyTorch starts every slope at 0.25: distinct slopes check
                # which channel each value takes its slope from.
                m.weight.copy_(torch.empty(m.weight.shape).uniform_(0.05, 0.5))
            elif isinstance(m, PosEmbedding):
                m.weight.copy_(0.5 * torch.randn(m.weight.shape))
            elif isinstance(m, nn.MultiheadAttention):
                m.in_proj_bias.copy_(0.3 * torch.randn(m.in_proj_bias.shape))
                m.out_proj.bias.copy_(0.3 * torch.randn(m.out_proj.bias.shape))
    return module, input_shape


def f32(t):
    t = t.detach()
    return (t.float() if t.is_floating_point() else t).contiguous().clone()


def describe(tensors):
    return ", ".join(f"{k} {list(v.shape)}" for k, v in tensors.items())


def write(name, tensors):
    path = os.path.join(OUT, name)
    save_file(tensors, path, metadata={"format": "pt"})
    size = os.path.getsize(path)
    print(f"wrote {os.path.relpath(path, ROOT)} ({size} bytes): {describe(tensors)}")


def make(name, builder, seed, batch):
    module, input_shape = build(builder, seed)
    weights = OrderedDict((k, f32(v)) for k, v in module.state_dict().items())
    # Drawn in float32, so the float64 computation below sees exactly the saved values.
    tokens = isinstance(input_shape, Tokens)
    if tokens:
        # Integer ids, saved as float32 as staticnet carries them; the module
        # takes them as int64 and has no gradient with respect to them.
        ids = torch.randint(input_shape.vocab, (batch, input_shape.steps))
        x = ids.float()
        x64 = ids
    else:
        x = torch.randn(batch, *input_shape)
        x64 = x.double()
    module = module.double()

    module.eval()
    with torch.no_grad():
        eval_output = module(x64)
    grad_output = torch.randn(eval_output.shape)

    module.train()
    if not tokens:
        x64.requires_grad_(True)
    train_output = module(x64)
    train_output.backward(grad_output.double())

    io = OrderedDict()
    io["input"] = f32(x)
    io["eval_output"] = f32(eval_output)
    io["train_output"] = f32(train_output)
    io["grad_output"] = f32(grad_output)
    if not tokens:
        io["grad_input"] = f32(x64.grad)
    for pname, p in module.named_parameters():
        io[f"grad.{pname}"] = f32(p.grad)
    for lname, bn in batchnorms(module):
        io[f"after.{lname}.running_mean"] = f32(bn.running_mean)
        io[f"after.{lname}.running_var"] = f32(bn.running_var)
        io[f"after.{lname}.num_batches_tracked"] = bn.num_batches_tracked.detach().float().clone()

    write(f"{name}.weights.safetensors", weights)
    write(f"{name}.io.safetensors", io)


def main():
    # Optional arguments: the networks to write (default: all), so that adding
    # one leaves the others' fixtures as they are.
    only = sys.argv[1:]
    unknown = set(only) - {name for name, *_ in NETWORKS}
    if unknown:
        sys.exit(f"unknown network(s): {', '.join(sorted(unknown))}")
    os.makedirs(OUT, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    print(f"torch {torch.__version__}")
    for name, builder, seed, batch in NETWORKS:
        if not only or name in only:
            make(name, builder, seed, batch)


if __name__ == "__main__":
    main()
