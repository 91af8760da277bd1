//===- binary_mlp.cpp - Seed model: binary classifier MLP -----------------===//
//
// A two-layer binary classifier on 3 features, trained with binary
// cross-entropy; its sigmoid output is what the loss expects.
//
//===----------------------------------------------------------------------===//
#include "kiln/examples/Models.h"

namespace kiln {

Graph binary_mlp(int64_t batch) {
  Graph g("binary_mlp");
  Tensor x = g.input("features", {batch, 3});
  Tensor h = nn::dense(g, x, 10, Act::Relu);
  g.output("prob", nn::dense(g, h, 1, Act::Sigmoid));
  return g;
}

} // namespace kiln
