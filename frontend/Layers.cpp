//===- Layers.cpp - Keras-like layers of the kiln DSL ---------------------===//
//
// Layers are compositions of the op functions plus the parameters they own;
// they add no op of their own, so every layer is as checkable, differentiable
// and fusable as the ops it is made of. Parameter names follow the layer's
// unique name ("dense0.w"); a composite layer names its parts below its own
// ("encoder0.mha.q.w"), so names stay stable when a model gains a layer
// elsewhere, and the same name is the ops' MLIR location.
//
//===----------------------------------------------------------------------===//
#include "kiln/frontend/kiln.h"

#include <algorithm>
#include <cmath>

namespace kiln {

namespace {

/// Tags the nodes a layer adds with its name while the layer runs, and lets
/// go even when an op inside throws.
class Scope {
public:
  Scope(Graph &g, const std::string &name) : g_(g) { g_.pushScope(name); }
  ~Scope() { g_.popScope(); }
  Scope(const Scope &) = delete;
  Scope &operator=(const Scope &) = delete;

private:
  Graph &g_;
};

[[noreturn]] void fail(const std::string &layer, const std::string &msg) {
  throw ShapeError("nn::" + layer + ": " + msg);
}

/// TF's SAME padding along one dim: the output has ceil(in / stride) rows
/// and the odd row of padding, if any, goes at the end.
std::pair<int64_t, int64_t> samePadding(int64_t in, int64_t k, int64_t stride) {
  int64_t out = (in + stride - 1) / stride;
  int64_t total = std::max<int64_t>((out - 1) * stride + k - in, 0);
  return {total / 2, total - total / 2};
}

/// [top, bottom, left, right] for a k x k window over NHWC `x`; zeros where
/// `x` is not 4-D so that the op's own rule reports the rank.
std::vector<int64_t> padding2d(Tensor x, int64_t k, int64_t stride,
                               Padding padding) {
  if (padding == Padding::Valid || x.rank() != 4 || stride < 1)
    return {0, 0, 0, 0};
  auto [top, bottom] = samePadding(x.dim(1), k, stride);
  auto [left, right] = samePadding(x.dim(2), k, stride);
  return {top, bottom, left, right};
}

Tensor denseNamed(Graph &g, const std::string &name, Tensor x, int64_t units,
                  Act act) {
  Scope scope(g, name);
  Tensor w = g.param(name + ".w", {x.dim(-1), units}, "glorot_uniform");
  Tensor b = g.param(name + ".b", {units}, "zeros");
  return activate(matmul(x, w) + b, act);
}

Tensor layerNormNamed(Graph &g, const std::string &name, Tensor x,
                      float epsilon) {
  Scope scope(g, name);
  Tensor gamma = g.param(name + ".gamma", {x.dim(-1)}, "ones");
  Tensor beta = g.param(name + ".beta", {x.dim(-1)}, "zeros");
  return layer_norm(x, gamma, beta, epsilon);
}

Tensor attentionNamed(Graph &g, const std::string &name, Tensor x,
                      int64_t heads) {
  Scope scope(g, name);
  if (x.rank() != 3)
    fail("multi_head_attention",
         "expects x [B, S, D], got " + toString(x.shape()));
  int64_t b = x.dim(0), s = x.dim(1), d = x.dim(2);
  if (heads < 1 || d % heads != 0)
    fail("multi_head_attention",
         "model dim " + std::to_string(d) + " of " + toString(x.shape()) +
             " does not split into " + std::to_string(heads) + " heads");
  int64_t dh = d / heads;
  // [B, S, D] -> [B, S, H, dh]; the perm then picks the head-major layout
  // the batched matmuls want.
  auto split = [&](Tensor t, std::vector<int64_t> perm) {
    return transpose(reshape(t, {b, s, heads, dh}), std::move(perm));
  };
  Tensor q = split(denseNamed(g, name + ".q", x, d, Act::None), {0, 2, 1, 3});
  Tensor kT = split(denseNamed(g, name + ".k", x, d, Act::None), {0, 2, 3, 1});
  Tensor v = split(denseNamed(g, name + ".v", x, d, Act::None), {0, 2, 1, 3});
  Tensor scores = matmul(q, kT) * (1.0f / std::sqrt((float)dh)); // [B,H,S,S]
  Tensor ctx = matmul(softmax(scores, -1), v);                    // [B,H,S,dh]
  Tensor merged = reshape(transpose(ctx, {0, 2, 1, 3}), {b, s, d});
  return denseNamed(g, name + ".o", merged, d, Act::None);
}

} // namespace

Tensor activate(Tensor x, Act act) {
  switch (act) {
  case Act::None: return x;
  case Act::Relu: return relu(x);
  case Act::Sigmoid: return sigmoid(x);
  case Act::Tanh: return tanh(x);
  case Act::Gelu: return gelu(x);
  case Act::Softmax: return softmax(x, -1);
  }
  return x;
}

namespace nn {

Tensor dense(Graph &g, Tensor x, int64_t units, Act act) {
  return denseNamed(g, g.uniqueName("dense"), x, units, act);
}

Tensor conv2d(Graph &g, Tensor x, int64_t filters, int64_t kernel,
              int64_t stride, Padding padding, Act act) {
  std::string name = g.uniqueName("conv2d");
  Scope scope(g, name);
  Tensor w = g.param(name + ".w", {kernel, kernel, x.dim(-1), filters},
                     "glorot_uniform");
  Tensor b = g.param(name + ".b", {filters}, "zeros");
  Tensor y = kiln::conv2d(x, w, {stride, stride},
                          padding2d(x, kernel, stride, padding), {1, 1});
  return activate(y + b, act);
}

Tensor max_pool2d(Tensor x, int64_t pool, int64_t stride, Padding padding) {
  if (stride == 0)
    stride = pool;
  return kiln::max_pool2d(x, {pool, pool}, {stride, stride},
                          padding2d(x, pool, stride, padding));
}

Tensor flatten(Tensor x) {
  if (x.rank() < 1)
    fail("flatten", "expects [N, ...], got " + toString(x.shape()));
  Shape rest(x.shape().begin() + 1, x.shape().end());
  return reshape(x, {x.dim(0), numElements(rest)});
}

Tensor embedding(Graph &g, Tensor ids, int64_t vocab, int64_t dim) {
  std::string name = g.uniqueName("embedding");
  Scope scope(g, name);
  return gather(g.param(name + ".table", {vocab, dim}, "uniform"), ids);
}

Tensor layer_norm(Graph &g, Tensor x, float epsilon) {
  return layerNormNamed(g, g.uniqueName("layer_norm"), x, epsilon);
}

Tensor multi_head_attention(Graph &g, Tensor x, int64_t heads) {
  return attentionNamed(g, g.uniqueName("mha"), x, heads);
}

Tensor transformer_encoder(Graph &g, Tensor x, int64_t heads, int64_t ffDim) {
  std::string name = g.uniqueName("encoder");
  Scope scope(g, name);
  Tensor h = layerNormNamed(g, name + ".ln1",
                            x + attentionNamed(g, name + ".mha", x, heads),
                            1e-5f);
  Tensor ff = denseNamed(g, name + ".ffn1", h, ffDim, Act::Relu);
  ff = denseNamed(g, name + ".ffn2", ff, x.dim(-1), Act::None);
  return layerNormNamed(g, name + ".ln2", h + ff, 1e-5f);
}

} // namespace nn

} // namespace kiln
