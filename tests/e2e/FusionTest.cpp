//===- FusionTest.cpp - Fused kernels vs the reference interpreter --------===//
//
// Graphs that exercise each fusion rule, compiled at every fusion level
// with a small cache budget (16 KiB), so that even these small shapes are
// cut into chunks: chunk slicing along every kind of grid dim (rows,
// columns, batch, heads, query rows), broadcast operands read whole,
// reshapes and transposes inside a chunk, several outputs, and 1, 2 and 3
// threads sharing the chunks with bitwise the same results. Outputs must
// agree with the interpreter to rtol 1e-4 / atol 1e-5.
//
//===----------------------------------------------------------------------===//
#include "Harness.h"

#include <algorithm>

using namespace kiln;
using namespace kiln::test;

namespace {

class E2EFusion : public ::testing::TestWithParam<const char *> {
protected:
  /// Checks `g` against the interpreter; at full fusion, also that some
  /// kernel of it fuses `fusedOps` ops and some kernel is cut into chunks
  /// along a grid of `gridAxes` axes (what this test is about).
  void expectMatches(const Graph &g, size_t fusedOps = 2,
                     bool chunkedToo = true, size_t gridAxes = 1,
                     int64_t cacheBudget = 16384) {
    cpu::CpuCodegenOptions options;
    options.fusion = GetParam();
    options.fusionCacheBudget = cacheBudget;
    options.minWorkPerWorkgroup = 1;
    expectMatchesReference(g, Tolerance::forModelOutput(DType::F32), {},
                           Backend::Artifact, options);
    if (options.fusion != std::string("full"))
      return;
    auto ctx = makeContext();
    auto module = toModule(g, *ctx);
    ASSERT_TRUE(module);
    auto plan = cpu::planArtifact(*module, options);
    ASSERT_TRUE(!!plan) << llvm::toString(plan.takeError());
    size_t largest = 0, axes = 0;
    bool chunked = false;
    for (const cpu::KernelInfo &k : plan->kernels) {
      largest = std::max(largest, k.ops.size());
      chunked |= k.chunks > 1;
      axes = std::max(axes, k.grid.size());
    }
    EXPECT_GE(largest, fusedOps) << "no kernel fuses " << fusedOps << " ops";
    EXPECT_TRUE(chunked || !chunkedToo) << "no kernel is cut into chunks";
    EXPECT_GE(axes, chunkedToo ? gridAxes : 0)
        << "no kernel is cut along a grid of " << gridAxes << " axes";
  }
};

TEST_P(E2EFusion, ElementwiseChainWithBroadcasts) {
  expectMatches(opGraph("chain", {{32, 48}, {48}, {32, 1}},
                        [](std::vector<Tensor> x) {
                          Tensor y = gelu(x[0] * x[1] + x[2]);
                          return tanh(y) - sigmoid(y) * 0.5f;
                        }));
}

TEST_P(E2EFusion, MatmulEpilogues) {
  // Bias, activation, residual add and scaling after a matmul.
  expectMatches(opGraph("epilogue", {{40, 24}, {24, 64}, {64}, {40, 64}},
                        [](std::vector<Tensor> x) {
                          Tensor m = matmul(x[0], x[1]) + x[2];
                          return (relu(m) + x[3]) * 0.25f;
                        }),
                /*fusedOps=*/5);
}

TEST_P(E2EFusion, SoftmaxAndLayerNorm) {
  expectMatches(opGraph("norms", {{48, 40}, {40}, {40}},
                        [](std::vector<Tensor> x) {
                          Tensor h = layer_norm(x[0], x[1], x[2]);
                          return log_softmax(gelu(h) + x[0], 1);
                        }),
                /*fusedOps=*/2, /*chunkedToo=*/true, /*gridAxes=*/1,
                /*cacheBudget=*/4096);
}

TEST_P(E2EFusion, ReductionsWithoutKeptDims) {
  expectMatches(opGraph("reduce", {{64, 24, 8}},
                        [](std::vector<Tensor> x) {
                          Tensor s = reduce_sum(exp(x[0]), {2});
                          return reduce_max(s, {1}, true) - reduce_mean(s, {1}, true);
                        }));
}

TEST_P(E2EFusion, Attention) {
  // QK^T, scale, softmax, .V with 2 heads of 24 query rows.
  expectMatches(opGraph("attention",
                        {{2, 2, 24, 8}, {2, 2, 8, 24}, {2, 2, 24, 8}},
                        [](std::vector<Tensor> x) {
                          Tensor s = matmul(x[0], x[1]) * 0.35f;
                          return matmul(softmax(s, -1), x[2]);
                        }),
                /*fusedOps=*/8);
}

TEST_P(E2EFusion, HeadSplitAndMerge) {
  // A projection split into heads and merged back, as attention layers do.
  expectMatches(opGraph("heads", {{2, 16, 32}, {32, 32}, {32}},
                        [](std::vector<Tensor> x) {
                          Tensor p = matmul(x[0], x[1]) + x[2];
                          Tensor h = transpose(reshape(p, {2, 16, 4, 8}),
                                               {0, 2, 1, 3});
                          Tensor back = reshape(transpose(relu(h), {0, 2, 1, 3}),
                                                {2, 16, 32});
                          return back + x[0];
                        }));
}

TEST_P(E2EFusion, LongAttentionByHeadsAndQueryRows) {
  // Multi-head attention from [1, 128, 64] projections, 4 heads of 16: K
  // and V (32 KiB each) exceed the 16 KiB budget, so query-row chunks
  // alone would read them again and again; a grid of heads by query rows
  // reads one head's (8 KiB) once per head.
  expectMatches(opGraph("long_attention", {{1, 128, 64}, {1, 128, 64},
                                           {1, 128, 64}},
                        [](std::vector<Tensor> x) {
                          auto heads = [](Tensor t, std::vector<int64_t> p) {
                            return transpose(reshape(t, {1, 128, 4, 16}),
                                             std::move(p));
                          };
                          Tensor s = matmul(heads(x[0], {0, 2, 1, 3}),
                                            heads(x[1], {0, 2, 3, 1})) *
                                     0.25f;
                          Tensor o = matmul(softmax(s, -1),
                                            heads(x[2], {0, 2, 1, 3}));
                          return reshape(transpose(o, {0, 2, 1, 3}),
                                         {1, 128, 64});
                        }),
                /*fusedOps=*/8, /*chunkedToo=*/true, /*gridAxes=*/2);
}

TEST_P(E2EFusion, AttentionOverBlocksOfKeys) {
  // 700 keys: two blocks of 256 with an online softmax and a last step
  // of 188; with random inputs a row's max changes between blocks, so the
  // rescaling counts. A budget of 64 KiB holds a chunk's [8, 256] blocks
  // of scores.
  expectMatches(opGraph("flash", {{2, 64, 16}, {2, 16, 700}, {2, 700, 16}},
                        [](std::vector<Tensor> x) {
                          Tensor s = matmul(x[0], x[1]) * 0.5f;
                          return matmul(softmax(s, -1), x[2]);
                        }),
                /*fusedOps=*/8, /*chunkedToo=*/true, /*gridAxes=*/1,
                /*cacheBudget=*/65536);
}

TEST_P(E2EFusion, ConvPoolByImagesAndRows) {
  // 4 images whose conv output fits the budget neither one image at a time
  // nor one pooled row (of all images) at a time.
  expectMatches(opGraph("images_rows", {{4, 18, 18, 3}, {3, 3, 3, 16}, {16}},
                        [](std::vector<Tensor> x) {
                          Tensor c = relu(conv2d(x[0], x[1]) + x[2]);
                          return max_pool2d(c, {2, 2}, {2, 2}, {0, 0, 0, 0});
                        }),
                /*fusedOps=*/4, /*chunkedToo=*/true, /*gridAxes=*/2);
}

TEST_P(E2EFusion, BatchedMatmulWithBroadcastBatch) {
  expectMatches(opGraph("bmm", {{3, 96, 12}, {12, 32}, {3, 96, 32}},
                        [](std::vector<Tensor> x) {
                          return sigmoid(matmul(x[0], x[1])) * x[2];
                        }));
}

TEST_P(E2EFusion, ValueUsedInsideAndOutside) {
  // An intermediate that is also an output: the region yields it too.
  Graph g("two_outputs");
  Tensor x = g.input("x", {96, 64});
  Tensor e = exp(x * 0.1f);
  g.output("e", e);
  g.output("y", e / reduce_sum(e, {1}, true));
  expectMatches(g);
}

TEST_P(E2EFusion, ConvPoolDense) {
  expectMatches(opGraph("cnn_block", {{2, 10, 10, 3}, {3, 3, 3, 16}, {16}},
                        [](std::vector<Tensor> x) {
                          Tensor c = relu(conv2d(x[0], x[1]) + x[2]);
                          return max_pool2d(c, {2, 2}, {2, 2}, {0, 0, 0, 0});
                        }));
}

TEST_P(E2EFusion, ScalarOutput) {
  // A mean cross-entropy: the region's result is a scalar. It runs whole:
  // its only [256, 40] intermediates are computed in their users' loops.
  expectMatches(opGraph("mean_ce", {{256, 40}, {256, 40}},
                        [](std::vector<Tensor> x) {
                          Tensor ce = -reduce_sum(x[1] * log_softmax(x[0], 1),
                                                  {1});
                          return reduce_mean(ce, {0});
                        }),
                /*fusedOps=*/2, /*chunkedToo=*/false);
}

TEST_P(E2EFusion, GroupsLinkedThroughAnOutsideOp) {
  // {exp, add} and {neg, mul} are each fine, but neg feeds add through the
  // matmul and exp feeds mul: merged both ways they would wait on each
  // other.
  Graph g("cycle");
  Tensor a = g.input("a", {64, 16}), b = g.input("b", {64, 16});
  Tensor w = g.input("w", {16, 16});
  Tensor e = exp(a);
  Tensor n = neg(b);
  g.output("y1", e + matmul(n, w));
  g.output("y2", n * e);
  expectMatches(g, /*fusedOps=*/2, /*chunkedToo=*/false);
}

TEST_P(E2EFusion, CompareMaskAndErf) {
  // A 0/1 mask (as relu's gradient makes) and erf in one kernel, chunked:
  // 24 KiB of x exceed the 16 KiB budget.
  expectMatches(opGraph("mask_erf", {{64, 96}, {96}, {64, 1}},
                        [](std::vector<Tensor> x) {
                          Tensor m = greater_equal(x[0], x[1]);
                          return m * erf(x[0] * 1.5f) + less(x[2], x[0]);
                        }),
                /*fusedOps=*/4);
}

TEST_P(E2EFusion, SparseCrossEntropyWithOneHot) {
  // The label's log-probability picked by a one-hot row, the labels cast
  // from a float input ([-2, 12) for 10 classes: some out of range, whose
  // rows are zero). At full, all 14 ops (the cast and the one_hot, the
  // decomposed log_softmax, the product and its sum) are one kernel cut
  // along the rows.
  expectMatches(opGraph("sparse_ce", {{128, 10}, {128}},
                        [](std::vector<Tensor> x) {
                          Tensor labels = cast(x[1] * 7.0f + 5.0f, DType::I32);
                          Tensor hot = one_hot(labels, 10);
                          return -reduce_sum(hot * log_softmax(x[0] * 4.0f, 1),
                                             {1});
                        }),
                /*fusedOps=*/14, /*chunkedToo=*/true, /*gridAxes=*/1,
                /*cacheBudget=*/4096);
}

TEST_P(E2EFusion, PadBetweenFusedKernels) {
  // pad runs as a kernel of its own; the ops on either side fuse.
  expectMatches(opGraph("pad_between", {{2, 8, 8, 16}, {16}},
                        [](std::vector<Tensor> x) {
                          Tensor h = relu(x[0] + x[1]);
                          Tensor p = pad(h, {0, 1, 0, 0}, {0, 0, 1, 0},
                                         {0, 1, 1, 0});
                          return sigmoid(p) * 2.0f;
                        }));
}

INSTANTIATE_TEST_SUITE_P(Levels, E2EFusion,
                         ::testing::Values("none", "elementwise", "full"));

} // namespace
