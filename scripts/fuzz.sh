#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (default 60 s each) with libFuzzer
# through cargo-fuzz on the nightly toolchain, seeded from the committed
# regression inputs. Needs: `cargo install cargo-fuzz`, `rustup toolchain
# install nightly`. Not run by CI (the regression inputs are, by
# `cargo test --test fuzz_regressions`).
#
#   scripts/fuzz.sh [seconds-per-target] [target...]
#
# Limits: a single allocation above 64 MiB, RSS above 512 MiB or one input
# taking more than 5 s is a failure. A crash leaves its input in
# fuzz/artifacts/<target>/; copy it (minimised with `cargo fuzz tmin`) into
# tests/fuzz-regressions/<target>/ once fixed. `cargo fuzz cmin` keeps the
# working corpus (fuzz/corpus/, not committed) small.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(weights_binary weights_safetensors idx)
fi
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    echo "== $t: ${secs}s"
    cargo +nightly fuzz run "$t" "corpus/$t" "../tests/fuzz-regressions/$t" -- \
        -max_total_time="$secs" -malloc_limit_mb=64 -rss_limit_mb=512 -timeout=5 \
        -print_final_stats=1 2>&1 | grep -E "^(Done|stat::|==|INFO: -max_total_time|#[0-9]+ +DONE)|ERROR|panicked|SUMMARY" || true
    test "${PIPESTATUS[0]}" -eq 0
done
