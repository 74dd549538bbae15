#!/usr/bin/env python3
"""Cut the MNIST slice carried in the repository out of the full data set.

Usage: python3 scripts/make_mnist_slice.py FULL_MNIST_DIR [OUT_DIR]

Reads the four standard gzipped IDX files from FULL_MNIST_DIR, keeps the first
10,000 training and the first 2,000 test samples, rewrites the count in each
header, and writes gzipped IDX files with the standard names to OUT_DIR
(default: data/mnist next to this script's parent directory). The output is
byte-for-byte reproducible: the gzip header carries no file name and mtime 0.
Standard library only.
"""

import gzip
import os
import struct
import sys

TRAIN_COUNT = 10_000
TEST_COUNT = 2_000

# (file stem, IDX magic, samples kept)
FILES = [
    ("train-images-idx3-ubyte", 0x00000803, TRAIN_COUNT),
    ("train-labels-idx1-ubyte", 0x00000801, TRAIN_COUNT),
    ("t10k-images-idx3-ubyte", 0x00000803, TEST_COUNT),
    ("t10k-labels-idx1-ubyte", 0x00000801, TEST_COUNT),
]


def slice_idx(data, magic, keep, name):
    """Returns `data` (an uncompressed IDX file) cut to its first `keep` samples."""
    (found,) = struct.unpack(">I", data[:4])
    if found != magic:
        sys.exit(f"{name}: wrong magic number: expected {magic:#010x}, found {found:#010x}")
    ndims = magic & 0xFF
    header_len = 4 + 4 * ndims
    dims = list(struct.unpack(f">{ndims}I", data[4:header_len]))
    sample_len = 1
    for d in dims[1:]:
        sample_len *= d
    if len(data) != header_len + dims[0] * sample_len:
        sys.exit(f"{name}: header says {dims}, file has {len(data) - header_len} bytes of data")
    if dims[0] < keep:
        sys.exit(f"{name}: has {dims[0]} samples, fewer than the {keep} to keep")
    dims[0] = keep
    header = struct.pack(f">I{ndims}I", magic, *dims)
    return header + data[header_len : header_len + keep * sample_len]


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    src = sys.argv[1]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.join(repo, "data", "mnist")
    os.makedirs(out, exist_ok=True)
    for stem, magic, keep in FILES:
        name = stem + ".gz"
        with gzip.open(os.path.join(src, name), "rb") as f:
            data = f.read()
        sliced = slice_idx(data, magic, keep, name)
        with open(os.path.join(out, name), "wb") as f:
            f.write(gzip.compress(sliced, compresslevel=9, mtime=0))
        print(f"{name}: kept {keep} samples, {len(sliced)} bytes uncompressed")


if __name__ == "__main__":
    main()
