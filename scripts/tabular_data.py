#!/usr/bin/env python3
"""Writes data/tabular/breast_cancer.csv from scikit-learn's copy of the UCI
Breast Cancer Wisconsin (Diagnostic) data set (569 rows, 30 features, 2 classes).

Usage (from the repository root):

    pip install scikit-learn
    python3 scripts/tabular_data.py [OUT_DIR]

OUT_DIR defaults to data/tabular next to this script's parent directory. The
file is a CSV with a header row: the 30 feature names as scikit-learn spells
them (`mean radius`, ..., `worst fractal dimension`), then `target`, the class
as scikit-learn numbers it (0 = malignant, 1 = benign). Rows keep
scikit-learn's order (the order of the UCI file). Each value is written as
Python's `repr` of the float64 scikit-learn holds, the shortest text that reads
back to the same float64 (the values carry at most four significant digits, so
this is the original file's text, except that whole numbers gain a `.0`: `1001.0`).
Lines end with `\n`. Written with scikit-learn 1.9.1; the SHA-256 printed at the
end is recorded in data/tabular/README.md, so a rerun shows whether the bytes are
the same.
"""

import csv
import hashlib
import io
import os
import sys

from sklearn.datasets import load_breast_cancer


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "data", "tabular")
    os.makedirs(out_dir, exist_ok=True)
    data = load_breast_cancer()
    if data.data.shape != (569, 30) or list(data.target_names) != ["malignant", "benign"]:
        sys.exit(f"unexpected data set: shape {data.data.shape}, classes {list(data.target_names)}")

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([str(name) for name in data.feature_names] + ["target"])
    for row, label in zip(data.data, data.target):
        w.writerow([repr(float(v)) for v in row] + [str(int(label))])
    text = buf.getvalue().encode("ascii")

    path = os.path.join(out_dir, "breast_cancer.csv")
    with open(path, "wb") as f:
        f.write(text)
    counts = [int((data.target == k).sum()) for k in (0, 1)]
    print(f"{path}: {len(data.target)} rows, {data.data.shape[1]} features, "
          f"{counts[0]} malignant (0), {counts[1]} benign (1)")
    print(f"sha256 {hashlib.sha256(text).hexdigest()}")


if __name__ == "__main__":
    main()
