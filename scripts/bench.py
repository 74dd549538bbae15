#!/usr/bin/env python3
"""Runs staticnet's criterion benchmarks (W1, W2, W5) and, when a built copy of
../shared/peers is given, the Rust peers on the same workloads in the same
sitting; prints one markdown table of medians, min-max and ratios.

usage: python3 scripts/bench.py [--peers DIR] [--mnist DIR] [--reps 3]

  --peers DIR   a copy of ../shared/peers whose rust-* peers are built
                (d=$(mktemp -d); cp -r ../shared/peers $d; cd $d/peers/rust-dfdx && cargo build --release; ...)
                tract also needs models/*.onnx (python3 py/make_onnx.py, needs the `onnx` package)
  --mnist DIR   the four *uncompressed* IDX files with dotted names, for the peers' W2
                (gunzip ../shared/data/mnist/*.gz, renamed train-images.idx3-ubyte, ...)

Everything single-threaded runs pinned to CPU 0 (taskset), as the peers' driver does.
staticnet's figures are criterion's median of per-iteration times; min-max spans criterion's
samples. A peer's figure is the median over its runs of its own median (200 blocks of K calls),
min-max over its runs' block minima and maxima.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BENCHES = {
    "W1": ("W1 mlp 784-128-10 batch-1 forward", "us"),
    "W4": ("W4 lenet batch-1 forward", "us"),
    "W3": ("W3/W3 lenet training 12800 samples (sgd 0.05, batch 32)", "s"),
    "W5": ("W5 mlp 1-16-16-1 batch-1 forward", "ns"),
    "W2 step": ("W2 mlp training step batch 32", "us"),
    "W2": ("W2 epoch/W2 mlp one epoch of 60000 (sgd 0.1, batch 32)", "s"),
}
SCALE = {"ns": 1.0, "us": 1e-3, "s": 1e-9}
PEERS = [  # (peer, workload, binary, args)
    ("tract", "W4", "rust-tract/target/release/bench-tract", ["--workload", "w4"]),
    ("candle", "W4", "rust-candle/target/release/bench-candle", ["--workload", "w4"]),
    ("burn flex", "W4", "rust-burn/target/release/bench-burn", ["--workload", "w4", "--backend", "flex"]),
    ("tract", "W1", "rust-tract/target/release/bench-tract", ["--workload", "w1"]),
    ("tract", "W5", "rust-tract/target/release/bench-tract", ["--workload", "w5"]),
    ("dfdx", "W1", "rust-dfdx/target/release/bench-dfdx", ["--workload", "w1"]),
    ("dfdx", "W5", "rust-dfdx/target/release/bench-dfdx", ["--workload", "w5"]),
    ("dfdx", "W2", "rust-dfdx/target/release/bench-dfdx", ["--workload", "w2"]),
    ("candle", "W1", "rust-candle/target/release/bench-candle", ["--workload", "w1"]),
    ("candle", "W5", "rust-candle/target/release/bench-candle", ["--workload", "w5"]),
    ("candle", "W2", "rust-candle/target/release/bench-candle", ["--workload", "w2"]),
    ("burn flex", "W1", "rust-burn/target/release/bench-burn", ["--workload", "w1", "--backend", "flex"]),
    ("burn flex", "W5", "rust-burn/target/release/bench-burn", ["--workload", "w5", "--backend", "flex"]),
    ("burn flex", "W2", "rust-burn/target/release/bench-burn", ["--workload", "w2", "--backend", "flex"]),
]


def pin():
    return ["taskset", "-c", "0"] if shutil.which("taskset") else []


def criterion_dir(name):
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "criterion", *name.split("/"), "new")


def ours(unit_of):
    env = dict(os.environ, BENCH_THREADS="1")
    for bench in ("mlp", "lenet"):
        subprocess.run(["cargo", "bench", "--bench", bench, "--no-run"], cwd=ROOT, check=True)
        subprocess.run(pin() + ["cargo", "bench", "--bench", bench, "--", "--noplot"], cwd=ROOT, check=True, env=env)
    out = {}
    for wl, (name, unit) in BENCHES.items():
        d = criterion_dir(name)
        try:
            est = json.load(open(os.path.join(d, "estimates.json")))
            sample = json.load(open(os.path.join(d, "sample.json")))
        except FileNotFoundError:
            print(f"no criterion result for {name!r} in {d}", file=sys.stderr)
            continue
        per_iter = [t / n for t, n in zip(sample["times"], sample["iters"])]
        s = SCALE[unit]
        out[wl] = (est["median"]["point_estimate"] * s, min(per_iter) * s, max(per_iter) * s, unit)
    return out


def peers(pdir, mnist, reps):
    res = {}
    env = dict(os.environ, BENCH_THREADS="1", RAYON_NUM_THREADS="1", MATMUL_NUM_THREADS="1")
    if mnist:
        env["MNIST_DIR"] = mnist
    for peer, wl, binary, args in PEERS:
        path = os.path.join(pdir, binary)
        if not os.path.exists(path) or (wl == "W2" and not mnist):
            continue
        runs = []
        for _ in range(reps):
            p = subprocess.run(pin() + [path] + args, cwd=pdir, env=env, capture_output=True, text=True)
            m = re.search(r"^RESULT (\{.*\})$", p.stdout, re.M)
            if not m:
                print(f"{peer} {wl}: no RESULT line\n{p.stderr[-500:]}", file=sys.stderr)
                break
            runs.append(json.loads(m.group(1)))
        if not runs:
            continue
        if wl == "W2":
            secs = [r["epoch_s"][0] for r in runs]
            res[(peer, wl)] = (statistics.median(secs), min(secs), max(secs), "s")
        else:
            unit = "ns" if wl == "W5" else "us"
            med = statistics.median(r[f"median_{unit}"] for r in runs)
            res[(peer, wl)] = (med, min(r[f"block_min_{unit}"] for r in runs),
                               max(r[f"block_max_{unit}"] for r in runs), unit)
    return res


def fmt(v):
    return f"{v:.3g}" if v < 100 else f"{v:,.0f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers")
    ap.add_argument("--mnist")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    mine = ours(BENCHES)
    theirs = peers(a.peers, a.mnist, a.reps) if a.peers else {}
    print("\n| workload | staticnet median | min-max | best peer this sitting | peer median | ratio (peer / staticnet) |")
    print("|---|---|---|---|---|---|")
    for wl, (med, mn, mx, unit) in mine.items():
        cands = [(v[0], p) for (p, w), v in theirs.items() if w == wl]
        if cands:
            pm, pname = min(cands)
            peer_cols = f"{pname} | {fmt(pm)} {unit} | {pm / med:.1f}x"
        else:
            peer_cols = "- | - | -"
        print(f"| {wl} | {fmt(med)} {unit} | {fmt(mn)}-{fmt(mx)} | {peer_cols} |")
    if theirs:
        print("\nAll peers measured:\n")
        print("| peer | workload | median | min-max |")
        print("|---|---|---|---|")
        for (p, wl), (med, mn, mx, unit) in sorted(theirs.items(), key=lambda kv: (kv[0][1], kv[1][0])):
            print(f"| {p} | {wl} | {fmt(med)} {unit} | {fmt(mn)}-{fmt(mx)} |")


if __name__ == "__main__":
    main()
