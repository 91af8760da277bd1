//===- norm_chain.cpp - Benchmark model: a memory-bound norm chain --------===//
//
// layer_norm -> GELU -> add x -> layer_norm on x [B, 1024] (B = 4096 by
// default, 16 MiB): no matmul, every op streams the whole tensor, so the
// time is the bytes moved. Unfused, each op reads and writes 16 MiB; fused,
// the kernel reads x once and writes the result once. It measures what
// fusion saves where memory is the limit.
//
//===----------------------------------------------------------------------===//
#include "kiln/examples/Models.h"

namespace kiln {

Graph norm_chain(int64_t batch) {
  Graph g("norm_chain");
  Tensor x = g.input("x", {batch, 1024});
  Tensor h = gelu(nn::layer_norm(g, x));
  g.output("y", nn::layer_norm(g, h + x));
  return g;
}

} // namespace kiln
