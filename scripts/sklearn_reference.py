#!/usr/bin/env python3
"""Held-out accuracy of two scikit-learn models on data/tabular/breast_cancer.csv,
with the split and standardisation that staticnet's `data::csv` module uses, as a
reference for a staticnet network trained on the same rows.

Usage (from the repository root):

    pip install scikit-learn
    python3 scripts/sklearn_reference.py [CSV] [K]

CSV defaults to data/tabular/breast_cancer.csv, K to 5. The same steps as the
Rust side:

- read the CSV: a header row, the last column (`target`) the class label, every
  other column a feature, in file order
  (`CsvOptions::new().target("target").load_classes(path)`);
- split: the data row at index i (from 0, header not counted) is a test row if
  i % K == K - 1, else a training row (`Table::split_every(K)`);
- standardise with `StandardScaler` fitted on the training rows only
  (`Standardize::fit(&train)`: the same mean and population std, ddof 0; a
  constant column is centred, not scaled, in both);
- (a) `LogisticRegression()` and (b) `MLPClassifier(random_state=0)`, both with
  scikit-learn's default settings (the MLP: one hidden layer of 100 ReLU units,
  Adam, learning rate 1e-3, L2 penalty alpha 1e-4, batch min(200, n), max_iter
  200 epochs), fitted on the training rows, scored on the test rows: accuracy,
  and the mean cross-entropy of the predicted probabilities (natural log), a finer
  comparison where the accuracies of good models tie.

scikit-learn works in float64 here, staticnet in float32. Convergence warnings
are caught and printed, not hidden.
"""

import csv
import os
import platform
import sys
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler


def load(path):
    """Features (float64) and integer labels, the label being the last column."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], [r for r in rows[1:] if r]
    x = np.array([[float(v) for v in r[:-1]] for r in rows], dtype=np.float64)
    y = np.array([int(r[-1]) for r in rows], dtype=np.int64)
    return header, x, y


def fit_and_score(name, model, x_train, y_train, x_test, y_test):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x_train, y_train)
    correct = int((model.predict(x_test) == y_test).sum())
    loss = log_loss(y_test, model.predict_proba(x_test), labels=model.classes_)
    iters = int(np.max(model.n_iter_))
    print(f"{name}: test accuracy {correct / len(y_test):.4f} ({correct}/{len(y_test)}), "
          f"test cross-entropy {loss:.4f}, train accuracy {model.score(x_train, y_train):.4f}, "
          f"iterations {iters}")
    for w in caught:
        kind = "ConvergenceWarning" if issubclass(w.category, ConvergenceWarning) else w.category.__name__
        print(f"  {kind}: {w.message}")
    if not caught:
        print("  no warnings")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "data", "tabular", "breast_cancer.csv")
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    header, x, y = load(path)
    test = np.arange(len(y)) % k == k - 1
    x_train, y_train, x_test, y_test = x[~test], y[~test], x[test], y[test]

    print(f"python {platform.python_version()}, scikit-learn {sklearn.__version__}, numpy {np.__version__}")
    print(f"{os.path.relpath(path)}: {len(y)} rows, {x.shape[1]} features (`{header[0]}` ... `{header[-2]}`), "
          f"target `{header[-1]}`")
    print(f"split every {k}: {len(y_train)} train (class counts {np.bincount(y_train).tolist()}), "
          f"{len(y_test)} test (class counts {np.bincount(y_test).tolist()})")
    majority = np.bincount(y_train).argmax()
    print(f"majority class ({majority}) on test: {(y_test == majority).mean():.4f}")

    def both(x_fit, y_fit):
        scaler = StandardScaler().fit(x_fit)
        xf, xt = scaler.transform(x_fit), scaler.transform(x_test)
        fit_and_score("LogisticRegression()", LogisticRegression(), xf, y_fit, xt, y_test)
        fit_and_score("MLPClassifier(random_state=0)", MLPClassifier(random_state=0),
                      xf, y_fit, xt, y_test)

    print(f"trained on all {len(y_train)} training rows:")
    both(x_train, y_train)
    # examples/tabular.rs holds out every k-th training row again for early
    # stopping (`split_every(k)` twice) and trains on the rest.
    inner = np.arange(len(y_train)) % k == k - 1
    print(f"trained on the {int((~inner).sum())} rows examples/tabular.rs trains on "
          f"(every {k}th training row its validation set):")
    both(x_train[~inner], y_train[~inner])


if __name__ == "__main__":
    main()
