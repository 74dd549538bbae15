#!/usr/bin/env python3
"""Runs staticnet's criterion benchmarks for W1-W5 and the hardware probe in one sitting and,
when a built copy of ../shared/peers is given, the Rust peers on the same workloads right
after; prints one markdown table: staticnet's medians with min-max, the fraction of the
hardware limit each reaches, the best peer and the ratio, and the issue's target.

usage: python3 scripts/bench.py [--peers DIR] [--mnist DIR] [--reps 3] [--quick]

  --peers DIR   a copy of ../shared/peers whose rust-* peers are built
                (d=$(mktemp -d); cp -r ../shared/peers $d; cd $d/peers/rust-tract && cargo build --release; ...)
                tract also needs models/*.onnx (python3 py/make_onnx.py, needs the `onnx` package)
  --mnist DIR   the four *uncompressed* IDX files with dotted names, for the peers' W2/W3
                and staticnet's own W2/W3 epochs (required unless MNIST_DIR is set)
                (gunzip ../shared/data/mnist/*.gz, renamed train-images.idx3-ubyte, ...)
  --quick       shorter criterion runs (1 s warm-up, 3 s measurement) for a first look

Single-threaded cases run pinned to CPU 0 (taskset), as the peers' driver does; the 2-thread
cases are not pinned. staticnet's figures are criterion's median of per-iteration times;
min-max spans criterion's samples. A peer's figure is the median over its runs.

Limits (from the `HW` group of `cargo bench --bench kernels`, measured in the same sitting):
W2, W3, W4 as a fraction of the single-core f32 FMA peak (FLOP counted as multiply-adds x 2 of
the layers' products: W2 409,088 per sample, W3 2,263,920, W4 833,040); W1 as a fraction of
the time to stream its 401 KB of weights from L2 (the floor); W5 of the FMA peak (576 FLOP).
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
T2 = " = 2 threads x 16)"
# workload: (bench, criterion id, unit, threads, FLOP per iteration or None, target, better)
OURS = {
    "W1": ("mlp", "W1/f32", "us", 1, None, 3.0, "low"),
    "W5": ("mlp", "W5 mlp 1-16-16-1 batch-1 forward", "ns", 1, 576, 40, "low"),
    "W2": ("mlp", "W2 epoch/W2 mlp one epoch of 60000 (sgd 0.1, batch 32)", "s", 1,
           409_088 * 60_000, 0.25, "low"),
    "W2 fused": ("mlp", "W2 epoch/W2 mlp one epoch of 60000 (fused sgd 0.1, batch 32)", "s", 1,
                 409_088 * 60_000, 0.25, "low"),
    "W2 fused 2 kernel threads": ("mlp", "W2 epoch/W2 mlp one epoch (fused sgd 0.1, batch 32, 2 kernel threads)",
                                  "s", 2, 409_088 * 60_000, 0.15, "low"),
    "W2 2 threads": ("mlp", "W2 epoch/W2 mlp one epoch of 60000 (sgd 0.1, batch 32" + T2, "s", 2,
                     409_088 * 60_000, 0.15, "low"),
    "W2 2 kernel threads": ("mlp", "W2 epoch/W2 mlp one epoch (sgd 0.1, batch 32, 2 kernel threads)", "s", 2,
                            409_088 * 60_000, 0.15, "low"),
    "W1 2 kernel threads": ("mlp", "W1 mlp 784-128-10 batch-1 forward, 2 kernel threads", "us", 2, None, None, "low"),
    "W2 step": ("mlp", "W2 mlp training step batch 32", "us", 1, 409_088 * 32, None, "low"),
    "W4": ("lenet", "W4/f32", "us", 1, 833_040, 10.0, "low"),
    "W3": ("lenet", "W3/W3 lenet training 12800 samples (sgd 0.05, batch 32)", "samples/s", 1,
           2_263_920 * 12_800, 30_000, "high"),
    "W3 2 threads": ("lenet", "W3/W3 lenet training 12800 samples (sgd 0.05, 2 threads x 16)",
                     "samples/s", 2, 2_263_920 * 12_800, None, "high"),
}
HW = {"fma512": "HW/fma peak avx512", "fma256": "HW/fma peak avx2", "l2": "HW/l2 read 401KB",
      "xcore": "HW/write 100KB read by the other core", "local": "HW/write 100KB on the same core"}
PEERS = [  # (peer, workload, binary, args)
    ("tract", "W1", "rust-tract/target/release/bench-tract", ["--workload", "w1"]),
    ("tract", "W4", "rust-tract/target/release/bench-tract", ["--workload", "w4"]),
    ("tract", "W5", "rust-tract/target/release/bench-tract", ["--workload", "w5"]),
    ("dfdx", "W1", "rust-dfdx/target/release/bench-dfdx", ["--workload", "w1"]),
    ("dfdx", "W5", "rust-dfdx/target/release/bench-dfdx", ["--workload", "w5"]),
    ("dfdx", "W2", "rust-dfdx/target/release/bench-dfdx", ["--workload", "w2"]),
    ("candle", "W1", "rust-candle/target/release/bench-candle", ["--workload", "w1"]),
    ("candle", "W4", "rust-candle/target/release/bench-candle", ["--workload", "w4"]),
    ("candle", "W5", "rust-candle/target/release/bench-candle", ["--workload", "w5"]),
    ("candle", "W2", "rust-candle/target/release/bench-candle", ["--workload", "w2"]),
    ("candle", "W3", "rust-candle/target/release/bench-candle", ["--workload", "w3", "--samples", "12800"]),
] + [
    ("burn flex", wl, "rust-burn/target/release/bench-burn", ["--workload", wl.lower(), "--backend", "flex"]
     + (["--samples", "12800"] if wl == "W3" else []))
    for wl in ("W1", "W4", "W5", "W2", "W3")
]
SCALE = {"ns": 1.0, "us": 1e-3, "s": 1e-9}


def pin(threads):
    return ["taskset", "-c", "0"] if threads == 1 and shutil.which("taskset") else []


def criterion(name):
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    d = os.path.join(target, "criterion", *name.split("/"), "new")
    est = json.load(open(os.path.join(d, "estimates.json")))
    sample = json.load(open(os.path.join(d, "sample.json")))
    per_iter = [t / n for t, n in zip(sample["times"], sample["iters"])]  # ns
    return est["median"]["point_estimate"], min(per_iter), max(per_iter)


def run_bench(bench, filt, threads, quick):
    args = ["--noplot"] + (["--warm-up-time", "1", "--measurement-time", "3"] if quick else [])
    env = dict(os.environ, BENCH_THREADS=str(threads))
    subprocess.run(pin(threads) + ["cargo", "bench", "-q", "--bench", bench, "--", *args, filt],
                   cwd=ROOT, check=True, env=env, stdout=subprocess.DEVNULL)


def ours(quick):
    for bench in ("kernels", "mlp", "lenet"):
        subprocess.run(["cargo", "bench", "-q", "--bench", bench, "--no-run"], cwd=ROOT, check=True)
    run_bench("kernels", "^HW/(fma|l2)", 1, quick)
    run_bench("kernels", "^HW/write", 2, quick)
    run_bench("mlp", r"^W1/|forward$|^W2 mlp training step|batch 32\)$", 1, quick)
    run_bench("lenet", r"^W4|batch 32\)$", 1, quick)
    run_bench("mlp", "2 threads|2 kernel threads", 2, quick)
    run_bench("lenet", "2 threads", 2, quick)
    hw = {}
    for key, name in HW.items():
        try:
            hw[key] = criterion(name)[0]  # ns
        except FileNotFoundError:
            print(f"no criterion result for {name!r}", file=sys.stderr)
    out = {}
    for wl, (_, name, unit, *_rest) in OURS.items():
        try:
            med, mn, mx = criterion(name)
        except FileNotFoundError:
            print(f"no criterion result for {name!r}", file=sys.stderr)
            continue
        if unit == "samples/s":
            out[wl] = (12_800 / (med * 1e-9), 12_800 / (mx * 1e-9), 12_800 / (mn * 1e-9), med)
        else:
            s = SCALE[unit]
            out[wl] = (med * s, mn * s, mx * s, med)
    return out, hw


def peers(pdir, mnist, reps):
    res = {}
    env = dict(os.environ, BENCH_THREADS="1", RAYON_NUM_THREADS="1", MATMUL_NUM_THREADS="1")
    if mnist:
        env["MNIST_DIR"] = mnist
    for peer, wl, binary, args in PEERS:
        path = os.path.join(pdir, binary)
        if not os.path.exists(path) or (wl in ("W2", "W3") and not mnist):
            continue
        runs = []
        for _ in range(reps):
            p = subprocess.run(pin(1) + [path] + args, cwd=pdir, env=env, capture_output=True, text=True)
            m = re.search(r"^RESULT (\{.*\})$", p.stdout, re.M)
            if not m:
                print(f"{peer} {wl}: no RESULT line\n{p.stderr[-500:]}", file=sys.stderr)
                break
            runs.append(json.loads(m.group(1)))
        if not runs:
            continue
        if wl == "W2":
            v = [r["epoch_s"][0] for r in runs]
        elif wl == "W3":
            v = [float(r["samples_per_s"]) for r in runs]
        else:
            unit = "ns" if wl == "W5" else "us"
            v = [r[f"median_{unit}"] for r in runs]
        res[(peer, wl)] = (statistics.median(v), min(v), max(v))
    return res


def fmt(v):
    return f"{v:.3g}" if v < 100 else f"{v:,.0f}"


def limit(wl, med_ns, hw):
    """The fraction of the hardware limit one iteration reaches."""
    flop = OURS[wl][4]
    if wl.startswith("W1") and "l2" in hw:
        return f"{hw['l2'] / med_ns:.0%} of the L2 floor ({hw['l2'] / 1e3:.2f} µs)"
    peak = 12 * 16 * 2 * 100_000 / hw["fma512"] if "fma512" in hw else None  # GFLOP/s
    if flop and peak:
        cores = OURS[wl][3]
        rate = flop / med_ns
        return f"{rate:.0f} GFLOP/s = {rate / (peak * cores):.0%} of {cores} x {peak:.0f}"
    return "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers")
    ap.add_argument("--mnist")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if a.mnist:  # our W2/W3 epochs read the full set from MNIST_DIR too
        os.environ["MNIST_DIR"] = os.path.abspath(a.mnist)
    elif not os.environ.get("MNIST_DIR"):
        sys.exit("error: W2's epoch needs the full MNIST set: pass --mnist DIR or set MNIST_DIR")
    mine, hw = ours(a.quick)
    theirs = peers(a.peers, a.mnist, a.reps) if a.peers else {}
    if "fma512" in hw:
        print(f"\nFMA peak (1 core): AVX-512 {12 * 16 * 2 * 1e5 / hw['fma512']:.0f} GFLOP/s, "
              f"AVX2 {12 * 8 * 2 * 1e5 / hw['fma256']:.0f} GFLOP/s; "
              f"401 KB from L2: {hw['l2'] / 1e3:.2f} µs")
    if "xcore" in hw and "local" in hw:
        print(f"Writing 100 KB another core has just read: {hw['xcore'] / 1e3:.1f} µs "
              f"(on the same core: {hw['local'] / 1e3:.1f} µs)")
    print("\n| workload | staticnet median | min-max | of the hardware limit | best peer | peer median"
          " | ratio | target |")
    print("|---|---|---|---|---|---|---|---|")
    for wl, (med, lo, hi, med_ns) in mine.items():
        unit, target, better = OURS[wl][2], OURS[wl][5], OURS[wl][6]
        base = wl.split(" ")[0]
        cands = [(v[0], p) for (p, w), v in theirs.items() if w == base and (" " not in wl or wl == "W2 fused")]
        if cands:
            pm, pname = max(cands) if better == "high" else min(cands)
            ratio = med / pm if better == "high" else pm / med
            peer_cols = f"{pname} | {fmt(pm)} {unit} | {ratio:.1f}x"
        else:
            peer_cols = "- | - | -"
        if target is None:
            tgt = "-"
        else:
            met = med >= target if better == "high" else med <= target
            tgt = f"{'≥' if better == 'high' else '≤'} {fmt(target)}: {'met' if met else 'not met'}"
        print(f"| {wl} | {fmt(med)} {unit} | {fmt(lo)}-{fmt(hi)} | {limit(wl, med_ns, hw)} | "
              f"{peer_cols} | {tgt} |")
    if theirs:
        print("\nAll peers measured (1 thread, pinned):\n")
        print("| peer | workload | median | min-max |")
        print("|---|---|---|---|")
        for (p, wl), (med, mn, mx) in sorted(theirs.items(), key=lambda kv: (kv[0][1], kv[1][0])):
            print(f"| {p} | {wl} | {fmt(med)} | {fmt(mn)}-{fmt(mx)} |")


if __name__ == "__main__":
    main()
