//===- cnn.cpp - Seed model: image classifier CNN -------------------------===//
//
// The Keras cats-vs-dogs style CNN on 150x150 RGB images: three valid 3x3
// convolutions with 2x2 pooling, then a wide dense layer that holds most of
// the weights (about 19M parameters).
//
//===----------------------------------------------------------------------===//
#include "kiln/examples/Models.h"

namespace kiln {

Graph cnn(int64_t batch) {
  Graph g("cnn");
  Tensor x = g.input("image", {batch, 150, 150, 3});
  for (int64_t filters : {32, 64, 128}) {
    x = nn::conv2d(g, x, filters, /*kernel=*/3, /*stride=*/1, Padding::Valid,
                   Act::Relu);
    x = nn::max_pool2d(x, 2);
  }
  Tensor h = nn::dense(g, nn::flatten(x), 512, Act::Relu);
  g.output("prob", nn::dense(g, h, 1, Act::Sigmoid));
  return g;
}

} // namespace kiln
