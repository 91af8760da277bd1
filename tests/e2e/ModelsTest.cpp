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

TEST_P(E2EModels, MatchesReference) {
  const ModelInfo *info = findModel(GetParam());
  ASSERT_NE(info, nullptr);
  int64_t batch = GetParam() == "cnn" || GetParam() == "text_transformer"
                      ? 1
                      : 3; // odd on purpose: no power-of-two luck
  InputRange range;
  if (GetParam() == "text_transformer")
    range = {0, 1000}; // token ids
  expectMatchesReference(info->build(batch),
                         Tolerance::forModelOutput(DType::F32), range);
}

// The same models as .kmod artifacts run by the runtime: one kernel per op,
// buffers in a planned arena, weights from the artifact.
TEST_P(E2EModels, ArtifactMatchesReference) {
  const ModelInfo *info = findModel(GetParam());
  ASSERT_NE(info, nullptr);
  int64_t batch = GetParam() == "cnn" || GetParam() == "text_transformer"
                      ? 1
                      : 3;
  InputRange range;
  if (GetParam() == "text_transformer")
    range = {0, 1000};
  expectMatchesReference(info->build(batch),
                         Tolerance::forModelOutput(DType::F32), range,
                         Backend::Artifact);
}

INSTANTIATE_TEST_SUITE_P(Seed, E2EModels,
                         ::testing::Values("linreg", "house_mlp", "binary_mlp",
                                           "fashion_mlp", "cnn",
                                           "text_transformer"));

} // namespace
