//===- linreg.cpp - Seed model: linear regression -------------------------===//
//
// The smallest trainable model (two parameters), the first check that
// autodiff and the optimizer move weights the right way: fit y = b0 + b1*x to
// X = [2, 4, 6, 8], Y = [4, 5, 7, 9].
//
//===----------------------------------------------------------------------===//
#include "kiln/examples/Models.h"

namespace kiln {

Graph linreg(int64_t batch) {
  Graph g("linreg");
  Tensor x = g.input("x", {batch, 1});
  g.output("y", nn::dense(g, x, 1));
  return g;
}

} // namespace kiln
