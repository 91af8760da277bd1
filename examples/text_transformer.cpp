//===- text_transformer.cpp - Seed model: one-block text transformer ------===//
//
// Token ids through an embedding and one post-norm encoder block to a
// per-position distribution over the vocabulary: the model that exercises
// gather, batched matmuls, softmax over the last axis and layer norm.
//
//===----------------------------------------------------------------------===//
#include "kiln/examples/Models.h"

namespace kiln {

Graph text_transformer(int64_t batch) {
  constexpr int64_t seqLen = 64, vocab = 1000, dim = 512;
  Graph g("text_transformer");
  Tensor tokens = g.input("tokens", {batch, seqLen}, DType::I32);
  Tensor x = nn::embedding(g, tokens, vocab, dim);
  x = nn::transformer_encoder(g, x, /*heads=*/8, /*ffDim=*/2048);
  g.output("probs", nn::dense(g, x, vocab, Act::Softmax));
  return g;
}

} // namespace kiln
