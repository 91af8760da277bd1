#!/usr/bin/env bash
# The main job on the bundled default model: compile fashion_mlp for the CPU,
# run it on a batch of Fashion-MNIST test images, and compare it with the
# reference interpreter. Installs and builds what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --target kilnc kiln-run
out=build/out
mkdir -p "$out"
images=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
build/tools/kilnc --model=fashion_mlp --batch=64 -o "$out/fashion_mlp.mlir"
echo "kiln module: $out/fashion_mlp.mlir"
build/tools/kiln-run --model=fashion_mlp --batch=64 \
  --input=image="$images" --output=probs="$out/fashion_mlp_probs.npy" \
  --check --repeat=200
