#!/usr/bin/env bash
# Artifact benchmarks of every seed model: .kmod and standalone program
# sizes, time from process start to first result, runtime vs in-process JIT
# latency, arena vs lower bound; then the runtime's dispatch cost per step.
# One `key=value` line each (see tools/kiln-bench.cpp).
#
#   benchmarks/artifacts.sh [--repeat=N]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --target kiln-bench >/dev/null
for model in linreg house_mlp binary_mlp fashion_mlp cnn text_transformer; do
  build/tools/kiln-bench artifact "$model" "$@"
done
build/tools/kiln-bench dispatch "$@"
