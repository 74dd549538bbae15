#!/bin/bash
# Same-sitting A/B of a criterion bench: the code at REV (a git worktree with
# its own target directory) against the working tree, alternated ROUNDS
# times, after the FMA peak of the sitting (`kernels -- HW/fma`).
#
#   MNIST_DIR=DIR scripts/bench_ab.sh REV BENCH FILTER [ROUNDS]
#   MNIST_DIR=../shared/data/mnist scripts/bench_ab.sh 80a281a mlp "W2 epoch|W2 mlp training step" 2
#
# Prints criterion's time (and throughput) lines per round: quote medians,
# their min-max, and the after/before ratios.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: MNIST_DIR=DIR $0 REV BENCH FILTER [ROUNDS]" >&2
  exit 2
fi
rev=$1 bench=$2 filter=$3 rounds=${4:-2}
here=$(git rev-parse --show-toplevel)
base=$(mktemp -d "${TMPDIR:-/tmp}/staticnet-ab.XXXXXX")
trap 'git -C "$here" worktree remove --force "$base/src" >/dev/null 2>&1 || true; rm -rf "$base"' EXIT
git -C "$here" worktree add --detach "$base/src" "$rev" >/dev/null
(cd "$base/src" && CARGO_TARGET_DIR="$base/target" cargo bench --bench "$bench" --no-run)
(cd "$here" && cargo bench --bench "$bench" --bench kernels --no-run)
(cd "$here" && cargo bench --bench kernels -- HW/fma 2>&1) | grep -E "^HW|time:"
for r in $(seq "$rounds"); do
  echo "== before ($rev), round $r"
  (cd "$base/src" && CARGO_TARGET_DIR="$base/target" cargo bench --bench "$bench" -- "$filter" 2>&1) \
    | grep -E "^[A-Z0-9]|time:|thrpt:" | grep -v "^Benchmarking\|^Found\|^Gnuplot"
  echo "== after (working tree), round $r"
  (cd "$here" && cargo bench --bench "$bench" -- "$filter" 2>&1) \
    | grep -E "^[A-Z0-9]|time:|thrpt:" | grep -v "^Benchmarking\|^Found\|^Gnuplot"
done
