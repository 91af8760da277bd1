#!/usr/bin/env bash
# The main job on the bundled default model: compile fashion_mlp ahead of
# time into a standalone executable, run it on a batch of Fashion-MNIST test
# images, and check its output against the reference interpreter. Installs
# and builds what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --target kilnc kiln-run
out=build/out
mkdir -p "$out"
images=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
exe="$out/fashion_mlp"

build/tools/kilnc --model=fashion_mlp --batch=64 --emit=exe -o "$exe"
echo "standalone executable: $exe ($(stat -c %s "$exe") bytes, weights inside)"
echo "it needs: $(readelf -d "$exe" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')"

"$exe" --input=image="$images" --output=probs="$out/fashion_mlp_probs.npy" \
  --repeat=200

# The same images through the reference interpreter.
build/tools/kiln-run --model=fashion_mlp --batch=64 --input=image="$images" \
  --check --compare=probs="$out/fashion_mlp_probs.npy" | grep '^check'
