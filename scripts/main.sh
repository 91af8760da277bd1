#!/usr/bin/env bash
# The main job on the bundled default model: train fashion_mlp on
# Fashion-MNIST through a compiled train step (autodiff + Adam, 5 epochs),
# export the trained model as a standalone executable, run that program on
# all 10000 test images and print its accuracy, and check its output against
# the reference interpreter. Installs and builds what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --target kiln-train kiln-run
out=build/out
mkdir -p "$out"
data=/usr/share/datasets/fashion-mnist
images=$data/t10k-images-idx3-ubyte.gz
labels=$data/t10k-labels-idx1-ubyte.gz
exe="$out/fashion_mlp"

build/tools/kiln-train --model=fashion_mlp --epochs=5 \
  --save="$out/fashion_mlp.ckpt" --export="$exe" --export-batch=10000
echo "standalone executable: $exe ($(stat -c %s "$exe") bytes, trained weights inside)"
echo "it needs: $(readelf -d "$exe" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')"

"$exe" --input=image="$images" --labels="$labels" \
  --output=probs="$out/fashion_mlp_probs.npy" --repeat=20

# The same 10000 images through the reference interpreter, with the trained
# weights from the checkpoint: the program's output must match it.
build/tools/kiln-run --model=fashion_mlp --batch=10000 \
  --checkpoint="$out/fashion_mlp.ckpt" --input=image="$images" \
  --check --compare=probs="$out/fashion_mlp_probs.npy" | grep '^check'
