//===- MatmulTest.cpp - Tiled matmul kernels vs the reference -------------===//
//
// --kiln-tile-matmul at shapes that hit every edge of its tiles: M, N, K of
// 1, sizes just past a register tile, a panel, a cache block; weights that
// are packed at compile time, shared, or also read plainly; batched matmul
// with broadcast batch dims. Artifacts for the host and for x86-64-v3
// (AVX2), each split into as many workgroups as the kernel allows and run
// on 1, 2 and 3 threads with bitwise the same results. Tolerance: that of a
// length-K f32 dot product (reductionTolerance).
//
//===----------------------------------------------------------------------===//
#include "Harness.h"

#include "kiln/runtime/CpuFeatures.h"

#include "schema/kmod_generated.h"

#include <cstring>

using namespace kiln;
using namespace kiln::test;

namespace {

struct Target {
  const char *cpu;
  bool split; // min-work-per-workgroup 1: every kernel split
};

class TiledMatmul : public ::testing::TestWithParam<Target> {
protected:
  void SetUp() override {
    if (std::string(GetParam().cpu) == "x86-64-v3" &&
        (!rt::hostHasCpuFeature(*rt::findCpuFeature("avx2")) ||
         !rt::hostHasCpuFeature(*rt::findCpuFeature("fma"))))
      GTEST_SKIP() << "this host cannot run x86-64-v3 code";
  }
  void expectMatches(const Graph &g, int64_t k) {
    cpu::CpuCodegenOptions options;
    options.targetCpu = GetParam().cpu;
    if (GetParam().split)
      options.minWorkPerWorkgroup = 1;
    expectMatchesReference(g, reductionTolerance(k), {}, Backend::Artifact,
                           options);
  }
};

struct Mnk {
  int64_t m, n, k;
};
const std::vector<Mnk> kShapes = {
    {1, 1, 1},    {7, 33, 65}, {7, 65, 33},    {130, 257, 129},
    {1, 300, 70}, {40, 50, 1}, {9, 17, 300},   {64, 64, 64},
    {3, 1, 20},   {17, 16, 8}, {200, 48, 600}, {1, 8, 1},
};

std::string name(const char *what, Mnk s) {
  return std::string(what) + "_" + std::to_string(s.m) + "x" +
         std::to_string(s.n) + "x" + std::to_string(s.k);
}

TEST_P(TiledMatmul, Activations) {
  for (Mnk s : kShapes)
    expectMatches(
        opGraph(name("matmul", s), {{s.m, s.k}, {s.k, s.n}},
                [](std::vector<Tensor> x) { return matmul(x[0], x[1]); }),
        s.k);
}

// A B of 1 MiB or more is packed at run time, 128 columns at a time, when
// M >= 64: 130 rows split in two run one workgroup each way. With 32 rows
// or fewer it is streamed in k blocks of 32 rows, the last one partial.
TEST_P(TiledMatmul, LargeActivations) {
  for (Mnk s :
       std::vector<Mnk>{{70, 1030, 260}, {130, 1030, 260}, {5, 300, 1030}})
    expectMatches(
        opGraph(name("matmul", s), {{s.m, s.k}, {s.k, s.n}},
                [](std::vector<Tensor> x) { return matmul(x[0], x[1]); }),
        s.k);
}

// A read transposed (a filter gradient, X^T G): over a K of a whole k block
// or more and 4 panels or more, A's blocks are packed at run time, in
// groups of MR rows; M past a row block, with rows left over, and a last
// k block that is not whole.
TEST_P(TiledMatmul, TransposedA) {
  for (Mnk s : std::vector<Mnk>{{137, 130, 600}, {5, 200, 300},
                                {64, 288, 520}, {20, 27, 700}})
    expectMatches(opGraph(name("matmul_at", s), {{s.k, s.m}, {s.k, s.n}},
                          [](std::vector<Tensor> x) {
                            return matmul(transpose(x[0], {1, 0}), x[1]);
                          }),
                  s.k);
}

// The weight is packed into the artifact.
TEST_P(TiledMatmul, Weight) {
  for (Mnk s : kShapes) {
    Graph g(name("dense", s));
    g.output("y", matmul(g.input("x", {s.m, s.k}), g.param("w", {s.k, s.n})));
    expectMatches(g, s.k);
  }
}

// A weight applied to every batch of a 3-D or 4-D input is packed too.
TEST_P(TiledMatmul, BatchedByWeight) {
  for (auto [x, w] :
       std::vector<std::pair<Shape, Shape>>{{{2, 7, 33}, {33, 65}},
                                            {{3, 1, 5, 40}, {40, 17}},
                                            {{1, 64, 20}, {20, 96}}}) {
    Graph g("batched_dense" + toString(x) + toString(w));
    g.output("y", matmul(g.input("x", x), g.param("w", w)));
    expectMatches(g, w[0]);
  }
}

// One weight read by two matmuls (one kernel or two), and read plainly by
// an elementwise op too: the plain reader must still see it unpacked.
TEST_P(TiledMatmul, SharedWeight) {
  Graph g("shared_weight");
  Tensor w = g.param("w", {20, 45});
  Tensor a = matmul(g.input("x", {5, 20}), w);
  Tensor b = matmul(g.input("x2", {5, 20}), w);
  Tensor c = matmul(g.input("x3", {9, 20}), w);
  g.output("y", add(a, b));
  g.output("z", c);
  g.output("w2", mul(w, w));
  expectMatches(g, 20);
}

TEST_P(TiledMatmul, Batched) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{2, 5, 7}, {7, 3}},        {{2, 3, 4, 5}, {2, 3, 5, 6}},
      {{1, 4, 3}, {2, 3, 2}},     {{3, 1, 9, 17}, {2, 17, 33}},
      {{2, 33, 40}, {2, 40, 70}}, {{5, 1, 1}, {1, 1, 40}},
      {{4, 20}, {3, 20, 50}},
  };
  for (auto &[a, b] : cases)
    expectMatches(
        opGraph("batched" + toString(a) + toString(b), {a, b},
                [](std::vector<Tensor> x) { return matmul(x[0], x[1]); }),
        a.back());
}

INSTANTIATE_TEST_SUITE_P(Targets, TiledMatmul,
                         ::testing::Values(Target{"host", false},
                                           Target{"host", true},
                                           Target{"x86-64-v3", false},
                                           Target{"x86-64-v3", true}),
                         [](const auto &info) {
                           std::string cpu = info.param.cpu;
                           std::replace(cpu.begin(), cpu.end(), '-', '_');
                           return cpu + (info.param.split ? "_split" : "");
                         });

// The artifact stores a weight that only a matmul reads in panels of 32
// columns (16 for AVX2), not as the row-major matrix it was given.
TEST(TiledMatmulPacking, WeightIsStoredPacked) {
  Graph g("dense");
  g.output("y", matmul(g.input("x", {4, 3}), g.param("w", {3, 40})));
  auto ctx = makeContext();
  auto module = toModule(g, *ctx);
  ASSERT_TRUE(module);
  auto sig = signatureOf(*module);
  ASSERT_TRUE((bool)sig) << llvm::toString(sig.takeError());
  ParamValues params = initParams(*sig, 7);
  const float *w = static_cast<const float *>(params.at("w").data());
  for (auto [cpu, nr] :
       {std::pair<const char *, int>{"znver4", 32}, {"x86-64-v3", 16}}) {
    cpu::CpuCodegenOptions options;
    options.targetCpu = cpu;
    auto artifact = cpu::compileArtifact(*module, params, options);
    ASSERT_TRUE((bool)artifact) << llvm::toString(artifact.takeError());
    const kmod::Module *m = kmod::GetModule(artifact->bytes.data());
    const float *stored = reinterpret_cast<const float *>(m->weights()->data());
    ASSERT_GE(m->weights()->size(), 3u * 40 * sizeof(float));
    // Element (k, n) of panel j = n - n % nr, width min(nr, 40 - j).
    for (int k = 0; k < 3; ++k)
      for (int n = 0; n < 40; ++n) {
        int j = n - n % nr, width = std::min(nr, 40 - j);
        EXPECT_EQ(stored[j * 3 + k * width + n % nr], w[k * 40 + n])
            << cpu << ": k " << k << " n " << n;
      }
  }
}

// A matmul split by columns whose every workgroup reads all of a 1 MiB A
// is marked for one workgroup per thread; a small one is not.
TEST(TiledMatmulPacking, LargeSharedOperandRunsOneWorkgroupPerThread) {
  for (auto [m, expected] : {std::pair<int64_t, bool>{64, true}, {16, false}}) {
    Graph g = opGraph("matmul_at", {{4096, m}, {4096, 288}},
                      [](std::vector<Tensor> x) {
                        return matmul(transpose(x[0], {1, 0}), x[1]);
                      });
    auto ctx = makeContext();
    auto module = toModule(g, *ctx);
    ASSERT_TRUE(module);
    auto artifact = cpu::compileArtifact(*module, {}, {});
    ASSERT_TRUE((bool)artifact) << llvm::toString(artifact.takeError());
    const kmod::Module *k = kmod::GetModule(artifact->bytes.data());
    bool split = false, onePerThread = false;
    for (const kmod::Kernel *kernel : *k->kernels())
      if (kernel->max_workgroups() > 1) {
        split = true;
        onePerThread |= kernel->one_workgroup_per_thread();
      }
    EXPECT_TRUE(split) << "M " << m;
    EXPECT_EQ(onePerThread, expected) << "M " << m;
  }
}

} // namespace
