//===- ModelsTest.cpp - Every seed model, compiled vs the reference -------===//
//
// The whole models at small batches, with kiln-run --check's tolerance
// (rtol 1e-4, atol 1e-5): several ops deep, and cnn's dense layer reduces
// over 36992 inputs.
//
//===----------------------------------------------------------------------===//
#include "Harness.h"

#include "kiln/examples/Models.h"

using namespace kiln;
using namespace kiln::test;

namespace {

class E2EModels : public ::testing::TestWithParam<std::string> {};

/// Models tested at batch 1, their kernels split as shipped.
bool isLarge(const std::string &model) {
  return model == "cnn" || model == "text_transformer" ||
         model == "long_attention";
}

TEST_P(E2EModels, MatchesReference) {
  const ModelInfo *info = findModel(GetParam());
  ASSERT_NE(info, nullptr);
  int64_t batch = isLarge(GetParam()) ? 1 : 3; // odd: no power-of-two luck
  InputRange range;
  if (GetParam() == "text_transformer")
    range = {0, 1000}; // token ids
  expectMatchesReference(info->build(batch),
                         Tolerance::forModelOutput(DType::F32), range);
}

// The same models as .kmod artifacts run by the runtime at every fusion
// level (one kernel per op, elementwise chains, full), buffers in a
// planned arena, weights from the artifact, on 1, 2 and 3 threads with
// bitwise the same results. The large models split their kernels as
// shipped; the small ones, whose kernels are all too small for that, split
// every kernel that can be.
TEST_P(E2EModels, ArtifactMatchesReference) {
  const ModelInfo *info = findModel(GetParam());
  ASSERT_NE(info, nullptr);
  bool large = isLarge(GetParam());
  int64_t batch = large ? 1 : 3;
  InputRange range;
  if (GetParam() == "text_transformer")
    range = {0, 1000};
  for (const char *fusion : {"none", "elementwise", "full"}) {
    SCOPED_TRACE(std::string("fusion=") + fusion);
    cpu::CpuCodegenOptions options;
    options.fusion = fusion;
    if (!large)
      options.minWorkPerWorkgroup = 1;
    expectMatchesReference(info->build(batch),
                           Tolerance::forModelOutput(DType::F32), range,
                           Backend::Artifact, options);
  }
}

INSTANTIATE_TEST_SUITE_P(Seed, E2EModels,
                         ::testing::Values("linreg", "house_mlp", "binary_mlp",
                                           "fashion_mlp", "cnn",
                                           "text_transformer", "norm_chain",
                                           "long_attention"));

} // namespace
