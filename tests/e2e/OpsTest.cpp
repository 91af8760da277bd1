//===- OpsTest.cpp - Every kiln op, compiled vs the reference -------------===//
//
// Each op on several seeded random shapes, including broadcasting and
// size-1 dims. Elementwise results must agree to rtol 1e-5; contractions
// get a tolerance that grows with their reduction length.
//
//===----------------------------------------------------------------------===//
#include "Harness.h"

#include "kiln/runtime/CpuFeatures.h"

using namespace kiln;
using namespace kiln::test;

namespace {

struct ConvCase {
  Shape input, filter;
  std::vector<int64_t> strides, padding, dilations;
};

/// Every op test runs twice: JIT and .kmod artifact through the runtime.
/// The artifact splits every kernel it can into workgroups, however small,
/// and runs on 1, 2 and 3 threads with bitwise the same results.
class E2EOps : public ::testing::TestWithParam<Backend> {
protected:
  /// Each conv against the interpreter, to the tolerance of f32 sums of
  /// KH*KW*C products.
  void expectConvsMatch(const std::vector<ConvCase> &cases) {
    for (const ConvCase &c : cases)
      expectMatches(opGraph("conv2d" + toString(c.input) + toString(c.filter),
                            {c.input, c.filter},
                            [&](std::vector<Tensor> x) {
                              return conv2d(x[0], x[1], c.strides, c.padding,
                                            c.dilations);
                            }),
                    reductionTolerance(c.filter[0] * c.filter[1] * c.filter[2]));
  }

  void expectMatches(const Graph &g, Tolerance tol, InputRange range = {}) {
    cpu::CpuCodegenOptions options;
    options.minWorkPerWorkgroup = 1;
    expectMatchesReference(g, tol, range, GetParam(), options);
  }

  /// As expectMatches, and for an artifact also compiled for AVX2
  /// (x86-64-v3: a 6 x 16 tile, 16-column panels, 8-lane vectors) where
  /// the host runs it.
  void expectMatchesAvx2Too(const Graph &g, Tolerance tol) {
    expectMatches(g, tol);
    if (GetParam() != Backend::Artifact ||
        !rt::hostHasCpuFeature(*rt::findCpuFeature("avx2")) ||
        !rt::hostHasCpuFeature(*rt::findCpuFeature("fma")))
      return;
    cpu::CpuCodegenOptions avx2;
    avx2.targetCpu = "x86-64-v3";
    avx2.minWorkPerWorkgroup = 1;
    expectMatchesReference(g, tol, {}, Backend::Artifact, avx2);
  }

  /// As expectMatches, and an artifact also at fusion none (one kernel per
  /// op) besides full (the default), for graphs whose ops fuse at full.
  void expectMatchesUnfusedToo(const Graph &g, Tolerance tol,
                               InputRange range = {}) {
    expectMatches(g, tol, range);
    if (GetParam() != Backend::Artifact)
      return;
    SCOPED_TRACE("fusion none");
    cpu::CpuCodegenOptions options;
    options.minWorkPerWorkgroup = 1;
    options.fusion = "none";
    expectMatchesReference(g, tol, range, GetParam(), options);
  }
};

const std::vector<std::pair<Shape, Shape>> kBroadcastPairs = {
    {{4, 3}, {4, 3}}, {{4, 3}, {3}}, {{2, 1, 5}, {3, 1}},
    {{1}, {2, 2}},    {{}, {3, 2}},  {{5, 1, 1}, {1, 4, 1}},
};

using Binary = Tensor (*)(Tensor, Tensor);
const std::vector<std::pair<const char *, Binary>> kBinary = {
    {"add", add}, {"sub", sub},     {"mul", mul},
    {"div", div}, {"max", maximum}, {"min", minimum},
};

TEST_P(E2EOps, BinaryBroadcastF32) {
  for (auto [name, fn] : kBinary)
    for (auto &[a, b] : kBroadcastPairs)
      expectMatches(
          opGraph(std::string(name) + toString(a) + toString(b), {a, b},
                  [fn = fn](std::vector<Tensor> x) { return fn(x[0], x[1]); }),
          {}, name == std::string("div") ? InputRange{0.5, 2} : InputRange{});
}

TEST_P(E2EOps, IntegerDivisionEdgeCases) {
  // Divisors in [-3, 3): zeros and negatives, defined as in XLA.
  expectMatches(opGraph(
                    "div_i32_zero", {{6, 7}, {6, 7}},
                    [](std::vector<Tensor> x) { return div(x[0], x[1]); },
                    DType::I32),
                {0, 0}, InputRange{-3, 3});
}

TEST_P(E2EOps, BinaryI32) {
  for (auto [name, fn] : kBinary)
    expectMatches(
        opGraph(
            std::string(name) + "_i32", {{3, 4}, {4}},
            [fn = fn](std::vector<Tensor> x) { return fn(x[0], x[1]); },
            DType::I32),
        {0, 0}, InputRange{1, 50});
}

using Unary = Tensor (*)(Tensor);
TEST_P(E2EOps, Unary) {
  const std::vector<std::tuple<const char *, Unary, InputRange>> ops = {
      {"neg", neg, {}},
      {"exp", exp, {-3, 3}},
      {"log", log, {0.01, 10}},
      {"sqrt", sqrt, {0, 10}},
      {"rsqrt", rsqrt, {0.1, 10}},
      {"tanh", tanh, {-4, 4}},
      {"sigmoid", sigmoid, {-8, 8}},
      {"relu", relu, {}},
      {"gelu", gelu, {-4, 4}},
      // erf is clamped to +-1 beyond |x| = 4 (kiln-approximate-math).
      {"gelu_wide", gelu, {-12, 12}},
      {"erf", erf, {-4, 4}},
      {"erf_wide", erf, {-12, 12}},
  };
  // {2, 37}: whole vectors and a remainder.
  for (auto [name, fn, range] : ops)
    for (Shape s : {Shape{7}, Shape{3, 1, 4}, Shape{}, Shape{2, 37}})
      expectMatches(
          opGraph(std::string(name) + toString(s), {s},
                  [fn = fn](std::vector<Tensor> x) { return fn(x[0]); }),
          {}, range);
}

const std::vector<std::pair<const char *, Binary>> kCompare = {
    {"eq", equal}, {"ne", not_equal}, {"lt", less},
    {"le", less_equal}, {"gt", greater}, {"ge", greater_equal},
};

// Masks must be exact. Inputs of -1, 0 and 1 (x * 2 truncated to i32, and
// back) so that eq, le and ge see ties; the casts and the compare fuse at
// fusion full. Every predicate on two pairs, one of them broadcasting both
// ways; every pair with one predicate.
TEST_P(E2EOps, CompareBroadcastF32) {
  auto ties = [](Tensor x) {
    return cast(cast(x * 2.0f, DType::I32), DType::F32);
  };
  for (auto [name, fn] : kCompare)
    for (auto &[a, b] : kBroadcastPairs)
      if (name == std::string("lt") || a == Shape{4, 3} ||
          a == Shape{5, 1, 1})
        expectMatchesUnfusedToo(
            opGraph(std::string("compare_") + name + toString(a) +
                        toString(b),
                    {a, b},
                    [&, fn = fn](std::vector<Tensor> x) {
                      return fn(ties(x[0]), ties(x[1]));
                    }),
            {0, 0});
}

TEST_P(E2EOps, CompareI32) {
  for (auto [name, fn] : kCompare)
    expectMatches(
        opGraph(
            std::string("compare_") + name + "_i32", {{3, 4}, {4}},
            [fn = fn](std::vector<Tensor> x) { return fn(x[0], x[1]); },
            DType::I32),
        {0, 0}, InputRange{-2, 2});
}

// A mask multiplying a value, as relu's and max's gradients use it, next
// to erf: a fused elementwise kernel at fusion full.
TEST_P(E2EOps, CompareMaskAndErfFused) {
  expectMatchesUnfusedToo(opGraph("mask_erf", {{6, 40}, {40}},
                                  [](std::vector<Tensor> x) {
                                    Tensor m = greater(x[0], x[1]);
                                    return m * x[0] + erf(x[0] * 2.0f) * x[1];
                                  }),
                          {});
}

TEST_P(E2EOps, Cast) {
  expectMatches(
      opGraph("f32_to_i32", {{4, 5}},
              [](std::vector<Tensor> x) { return cast(x[0], DType::I32); }),
      {0, 0}, InputRange{-50, 50});
  expectMatches(
      opGraph(
          "i32_to_f32", {{4, 5}},
          [](std::vector<Tensor> x) { return cast(x[0], DType::F32); },
          DType::I32),
      {0, 0}, InputRange{0, 1000});
  expectMatches(opGraph("f32_to_f16_to_f32", {{9}},
                        [](std::vector<Tensor> x) {
                          return cast(cast(x[0], DType::F16), DType::F32);
                        }),
                {0, 0}, InputRange{-100, 100});
}

TEST_P(E2EOps, Matmul) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{5, 7}, {7, 3}},       {{1, 1}, {1, 1}},
      {{2, 5, 7}, {7, 3}},    {{2, 3, 4, 5}, {2, 3, 5, 6}},
      {{1, 4, 3}, {2, 3, 2}}, {{3, 64}, {64, 33}},
  };
  for (auto &[a, b] : cases)
    expectMatches(
        opGraph("matmul" + toString(a) + toString(b), {a, b},
                [](std::vector<Tensor> x) { return matmul(x[0], x[1]); }),
        reductionTolerance(a.back()));
}

TEST_P(E2EOps, Conv2d) {
  const std::vector<ConvCase> cases = {
      {{1, 6, 6, 3}, {3, 3, 3, 4}, {1, 1}, {0, 0, 0, 0}, {1, 1}},
      {{2, 7, 5, 2}, {3, 2, 2, 3}, {2, 2}, {1, 1, 0, 1}, {1, 1}},
      {{1, 9, 9, 1}, {3, 3, 1, 2}, {1, 2}, {2, 2, 2, 2}, {2, 2}},
      {{1, 4, 4, 8}, {1, 1, 8, 5}, {1, 1}, {0, 0, 0, 0}, {1, 1}},
  };
  expectConvsMatch(cases);
}

// Few input channels (an RGB image's first convolution): --kiln-conv-to-
// matmul sums the whole window (kh, kw, c) in one k loop. Odd output widths
// leave 1-7 rows after the 8-row tiles, filter counts off the 32-wide panels
// leave masked ones, and strides, padding and row dilation move A's view;
// a column dilation stays a loop nest. Tolerance: f32 sums of KH*KW*C
// products, reductionTolerance.
TEST_P(E2EOps, Conv2dFewChannels) {
  const std::vector<ConvCase> cases = {
      {{1, 13, 19, 3}, {3, 3, 3, 32}, {1, 1}, {0, 0, 0, 0}, {1, 1}},
      {{2, 11, 12, 3}, {3, 3, 3, 40}, {2, 1}, {1, 1, 1, 1}, {1, 1}},
      {{1, 15, 17, 1}, {5, 3, 1, 7}, {1, 2}, {0, 2, 1, 0}, {2, 1}},
      {{3, 9, 10, 2}, {2, 4, 2, 33}, {3, 3}, {1, 0, 2, 1}, {1, 1}},
      {{1, 10, 23, 5}, {3, 3, 5, 16}, {1, 1}, {1, 1, 1, 1}, {1, 1}},
      {{1, 9, 11, 3}, {3, 3, 3, 8}, {1, 1}, {0, 0, 0, 0}, {1, 2}},
  };
  expectConvsMatch(cases);
}

// Many input channels: one filter row (KW*C = 288, 384) spans more than a
// 256-deep k block, so blocks start inside a filter row. The last case has
// a filter of 1 MiB or more and 64 output columns, which the tile packs
// into its stack buffer a k block at a time when the filter is an input.
TEST_P(E2EOps, Conv2dWindowAcrossKBlocks) {
  struct Case {
    Shape input, filter;
    std::vector<int64_t> strides, padding;
  };
  const std::vector<Case> cases = {
      {{1, 5, 7, 96}, {3, 3, 96, 24}, {1, 1}, {0, 0, 1, 1}},
      {{1, 3, 66, 128}, {3, 3, 128, 256}, {1, 1}, {0, 0, 0, 0}},
  };
  for (const Case &c : cases)
    expectMatches(
        opGraph("conv2d" + toString(c.input) + toString(c.filter),
                {c.input, c.filter},
                [&](std::vector<Tensor> x) {
                  return conv2d(x[0], x[1], c.strides, c.padding, {1, 1});
                }),
        reductionTolerance(c.filter[0] * c.filter[1] * c.filter[2]));
}

// The same with the filter a parameter, as in the cnn model: an artifact
// stores it packed into 32-column panels of the [KH*KW*C, F] matrix, and the
// block conv + bias + ReLU + max pool is one fused kernel.
TEST_P(E2EOps, Conv2dFewChannelsPackedFilter) {
  struct Case {
    Shape input;
    int64_t filters, kernel, stride;
    Padding padding;
  };
  const std::vector<Case> cases = {
      {{2, 21, 19, 3}, 32, 3, 1, Padding::Valid},
      {{1, 17, 23, 3}, 40, 3, 2, Padding::Same},
      {{3, 14, 13, 1}, 7, 5, 1, Padding::Same},
      {{1, 12, 29, 2}, 64, 3, 1, Padding::Valid},
  };
  for (const Case &c : cases) {
    Graph g("conv_block" + toString(c.input) + "x" + std::to_string(c.filters));
    Tensor x = g.input("image", c.input);
    x = nn::conv2d(g, x, c.filters, c.kernel, c.stride, c.padding, Act::Relu);
    g.output("out", nn::max_pool2d(x, 2));
    Tolerance tol = reductionTolerance(c.kernel * c.kernel * c.input[3]);
    expectMatchesAvx2Too(g, tol);
  }
}

// 3x3 convolutions of stride 1 with 16 channels or more, fused with their
// bias and ReLU (static chunks): --kiln-conv-to-winograd computes them by
// F(2x2, 3x3). Odd output sizes leave a row and a column to the direct
// convolution; Same padding reads a padded copy; 8 small images make
// chunks of 4 images, whose tiles the matmuls take together. Winograd
// rounds differently from the direct sum; the tolerance is the same as for
// it.
TEST_P(E2EOps, Conv2dWinograd) {
  struct Case {
    Shape input;
    int64_t filters;
    Padding padding;
  };
  const std::vector<Case> cases = {
      {{2, 10, 12, 16}, 32, Padding::Valid},
      {{1, 11, 9, 32}, 16, Padding::Valid},
      {{2, 9, 14, 16}, 48, Padding::Same},
      {{8, 6, 6, 16}, 16, Padding::Valid},
  };
  for (const Case &c : cases) {
    Graph g("winograd" + toString(c.input) + "x" + std::to_string(c.filters));
    Tensor x = g.input("image", c.input);
    g.output("out",
             nn::conv2d(g, x, c.filters, 3, 1, c.padding, Act::Relu));
    Tolerance tol = reductionTolerance(9 * c.input[3]);
    expectMatchesAvx2Too(g, tol);
  }
}

TEST_P(E2EOps, MaxPool2d) {
  expectMatches(opGraph("pool2x2", {{1, 6, 6, 2}},
                        [](std::vector<Tensor> x) {
                          return max_pool2d(x[0], {2, 2}, {2, 2});
                        }),
                {0, 0});
  expectMatches(opGraph("pool3x3_padded", {{2, 5, 5, 3}},
                        [](std::vector<Tensor> x) {
                          return max_pool2d(x[0], {3, 3}, {2, 2}, {1, 1, 1, 1});
                        }),
                {0, 0});
}

TEST_P(E2EOps, SoftmaxAndLogSoftmax) {
  for (auto [s, axis] : std::vector<std::pair<Shape, int64_t>>{
           {{3, 5}, 1}, {{3, 5}, 0}, {{2, 3, 4}, 2}, {{2, 1, 4}, 1}}) {
    expectMatches(opGraph("softmax" + toString(s), {s},
                          [axis = axis](std::vector<Tensor> x) {
                            return softmax(x[0] * 10.0f, axis);
                          }),
                  {1e-5, 1e-7});
    expectMatches(opGraph("log_softmax" + toString(s), {s},
                          [axis = axis](std::vector<Tensor> x) {
                            return log_softmax(x[0] * 10.0f, axis);
                          }),
                  {1e-5, 1e-6});
  }
}

TEST_P(E2EOps, Reductions) {
  struct Case {
    Shape shape;
    std::vector<int64_t> axes;
    bool keep;
  };
  const std::vector<Case> cases = {{{4, 6}, {1}, false},
                                   {{4, 6}, {0}, true},
                                   {{2, 3, 4}, {0, 2}, false},
                                   {{2, 3, 4}, {0, 1, 2}, true},
                                   {{5, 1}, {1}, false},
                                   // Over leading dims into 8 or more
                                   // columns: --kiln-column-reductions,
                                   // a masked last vector.
                                   {{16, 150}, {0}, false},
                                   {{4, 5, 37}, {0, 1}, true}};
  for (const Case &c : cases) {
    Tolerance tol = reductionTolerance(numElements(c.shape));
    expectMatches(opGraph("reduce_sum" + toString(c.shape), {c.shape},
                          [&](std::vector<Tensor> x) {
                            return reduce_sum(x[0], c.axes, c.keep);
                          }),
                  tol);
    expectMatches(opGraph("reduce_mean" + toString(c.shape), {c.shape},
                          [&](std::vector<Tensor> x) {
                            return reduce_mean(x[0], c.axes, c.keep);
                          }),
                  tol);
    expectMatches(opGraph("reduce_max" + toString(c.shape), {c.shape},
                          [&](std::vector<Tensor> x) {
                            return reduce_max(x[0], c.axes, c.keep);
                          }),
                  {0, 0});
  }
}

TEST_P(E2EOps, LayerNorm) {
  for (Shape s : {Shape{4, 8}, Shape{2, 3, 16}, Shape{1, 1}}) {
    Graph g("layer_norm" + toString(s));
    Tensor x = g.input("x", s);
    Tensor gamma = g.input("gamma", {s.back()});
    Tensor beta = g.input("beta", {s.back()});
    g.output("out", layer_norm(x, gamma, beta));
    expectMatches(g, {1e-4, 1e-5});
  }
}

TEST_P(E2EOps, Reshape) {
  for (auto [from, to] :
       std::vector<std::pair<Shape, Shape>>{{{2, 3, 4}, {6, 4}},
                                            {{6}, {1, 2, 3}},
                                            {{}, {1, 1}},
                                            {{1, 1}, {}},
                                            {{2, 6}, {12}},
                                            {{4, 1}, {2, 2}}})
    expectMatches(
        opGraph("reshape" + toString(from) + toString(to), {from},
                [to = to](std::vector<Tensor> x) { return reshape(x[0], to); }),
        {0, 0});
}

TEST_P(E2EOps, Transpose) {
  for (auto [s, perm] : std::vector<std::pair<Shape, std::vector<int64_t>>>{
           {{2, 3}, {1, 0}},
           {{2, 3, 4}, {2, 0, 1}},
           {{1, 3, 1, 2}, {3, 1, 0, 2}}})
    expectMatches(opGraph("transpose" + toString(s), {s},
                          [perm = perm](std::vector<Tensor> x) {
                            return transpose(x[0], perm);
                          }),
                  {0, 0});
}

TEST_P(E2EOps, Concat) {
  expectMatches(opGraph("concat_axis1", {{2, 3}, {2, 1}, {2, 4}},
                        [](std::vector<Tensor> x) { return concat(x, 1); }),
                {0, 0});
  expectMatches(opGraph("concat_axis0", {{1, 2, 2}, {3, 2, 2}},
                        [](std::vector<Tensor> x) { return concat(x, 0); }),
                {0, 0});
}

TEST_P(E2EOps, Slice) {
  expectMatches(opGraph("slice_strided", {{10, 6}},
                        [](std::vector<Tensor> x) {
                          return slice(x[0], {1, 0}, {10, 6}, {3, 2});
                        }),
                {0, 0});
  expectMatches(opGraph("slice_box", {{2, 5, 4}},
                        [](std::vector<Tensor> x) {
                          return slice(x[0], {1, 1, 0}, {2, 4, 4});
                        }),
                {0, 0});
}

TEST_P(E2EOps, Pad) {
  struct Case {
    Shape shape;
    std::vector<int64_t> low, high, interior;
  };
  const std::vector<Case> cases = {
      // NHWC with interior zeros between rows and between columns.
      {{2, 5, 4, 3}, {0, 1, 0, 0}, {0, 2, 1, 0}, {0, 1, 2, 0}},
      {{3, 4}, {2, 0}, {1, 3}, {0, 0}},
      // Without interior zeros only the border is zeroed, box by box.
      {{2, 5, 4, 3}, {1, 2, 0, 1}, {0, 1, 3, 2}, {0, 0, 0, 0}},
      {{7}, {0}, {0}, {3}},
      {{2, 3}, {0, 0}, {0, 0}, {0, 0}}, // no padding at all
      {{}, {}, {}, {}},
  };
  for (const Case &c : cases)
    expectMatches(opGraph("pad" + toString(c.shape) + "_low" +
                              toString(c.low) + "_high" + toString(c.high),
                          {c.shape},
                          [&](std::vector<Tensor> x) {
                            return pad(x[0], c.low, c.high, c.interior);
                          }),
                  {0, 0});
  expectMatches(opGraph(
                    "pad_i32", {{4, 3}},
                    [](std::vector<Tensor> x) {
                      return pad(x[0], {1, 1}, {0, 1}, {1, 0});
                    },
                    DType::I32),
                {0, 0}, InputRange{-100, 100});
}

// A padded NHWC tensor between fused elementwise ops and a convolution, as
// in the gradient of a strided convolution: pad runs as a kernel of its
// own, the ops around it fuse at fusion full.
TEST_P(E2EOps, PadBetweenFusedOps) {
  expectMatchesUnfusedToo(
      opGraph("pad_nhwc_conv", {{2, 6, 5, 4}, {4}, {3, 3, 4, 8}},
              [](std::vector<Tensor> x) {
                Tensor h = relu(x[0] + x[1]);
                Tensor p = pad(h * 0.5f, {0, 1, 2, 0}, {0, 1, 0, 0},
                               {0, 1, 1, 0});
                return tanh(conv2d(p, x[2]));
              }),
      reductionTolerance(3 * 3 * 4));
}

TEST_P(E2EOps, OneHot) {
  // Ids in [-3, 13) for depth 10: both ends out of range give zero rows.
  for (Shape idx : {Shape{2, 3}, Shape{17}, Shape{}}) {
    Graph g("one_hot" + toString(idx));
    g.output("out", one_hot(g.input("ids", idx, DType::I32), 10));
    expectMatches(g, {0, 0}, InputRange{-3, 13});
  }
  Graph g("one_hot_f16");
  g.output("out", one_hot(g.input("ids", {5, 4}, DType::I32), 7, DType::F16));
  expectMatches(g, {0, 0}, InputRange{-1, 9});
}

// Sparse cross-entropy, the use one_hot is made for: the label's
// log-probability picked out by a one-hot row. Labels come from a float
// input (x * 7 + 5, truncated: [-2, 12) for 10 classes) so that some are
// out of range and give a loss of 0.
TEST_P(E2EOps, OneHotCrossEntropy) {
  expectMatchesUnfusedToo(
      opGraph("sparse_ce", {{12, 10}, {12}},
              [](std::vector<Tensor> x) {
                Tensor labels = cast(x[1] * 7.0f + 5.0f, DType::I32);
                Tensor picked = one_hot(labels, 10) * log_softmax(x[0], 1);
                return -reduce_sum(picked, {1});
              }),
      reductionTolerance(10));
}

TEST_P(E2EOps, Gather) {
  // Indices in [0, 14) on a 10-row table: the last ones are clamped.
  for (Shape idx : {Shape{2, 3}, Shape{5}, Shape{}}) {
    Graph g("gather" + toString(idx));
    Tensor table = g.input("table", {10, 4});
    Tensor ids = g.input("ids", idx, DType::I32);
    g.output("out", gather(table, ids));
    expectMatches(g, {0, 0}, InputRange{0, 14});
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, E2EOps,
                         ::testing::Values(Backend::Jit, Backend::Artifact),
                         [](const auto &info) {
                           return info.param == Backend::Jit ? "Jit"
                                                             : "Artifact";
                         });

} // namespace
