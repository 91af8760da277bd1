//===- fashion_mlp.cpp - Seed model: Fashion-MNIST MLP --------------------===//
//
// The classic 784 -> 128 -> 10 classifier on flattened 28x28 images; the
// softmax is a separate op so that fusion has a reduction to place.
//
//===----------------------------------------------------------------------===//
#include "kiln/examples/Models.h"

namespace kiln {

Graph fashion_mlp(int64_t batch) {
  Graph g("fashion_mlp");
  Tensor x = g.input("image", {batch, 784});
  Tensor h = nn::dense(g, x, 128, Act::Relu);
  Tensor logits = nn::dense(g, h, 10);
  g.output("probs", softmax(logits, /*axis=*/1));
  return g;
}

} // namespace kiln
