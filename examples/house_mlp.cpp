//===- house_mlp.cpp - Seed model: house-price regression MLP -------------===//
//
// A regression MLP on 13 features (Boston-housing style), trained with MSE
// and Adam: small dense layers whose cost is all in the kernels' overhead.
//
//===----------------------------------------------------------------------===//
#include "kiln/examples/Models.h"

namespace kiln {

Graph house_mlp(int64_t batch) {
  Graph g("house_mlp");
  Tensor x = g.input("features", {batch, 13});
  Tensor h = nn::dense(g, x, 64, Act::Relu);
  h = nn::dense(g, h, 64, Act::Relu);
  g.output("price", nn::dense(g, h, 1));
  return g;
}

} // namespace kiln
