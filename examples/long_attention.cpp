//===- long_attention.cpp - Benchmark model: attention over 1024 tokens ---===//
//
// One 4-head self-attention layer (q, k, v and output projections) over a
// sequence of 1024 tokens of width 256. Its scores are [B, 4, 1024, 1024]
// (16 MiB per sequence), which a fused kernel must never hold whole: it
// measures attention fusion where the scores, not the weights, are the
// bytes.
//
//===----------------------------------------------------------------------===//
#include "kiln/examples/Models.h"

namespace kiln {

Graph long_attention(int64_t batch) {
  Graph g("long_attention");
  Tensor x = g.input("x", {batch, 1024, 256});
  g.output("y", nn::multi_head_attention(g, x, /*heads=*/4));
  return g;
}

} // namespace kiln
