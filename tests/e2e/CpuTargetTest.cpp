//===- CpuTargetTest.cpp - Artifacts for a chosen CPU ---------------------===//
//
// kilnc --cpu: the artifact records the CPU and the extensions its code may
// use (those of that CPU, not this host's), and code compiled for an older
// CPU still computes what the reference interpreter does.
//
//===----------------------------------------------------------------------===//
#include "Harness.h"

#include "kiln/examples/Models.h"
#include "kiln/runtime/CpuFeatures.h"

#include "schema/kmod_generated.h"

#include <algorithm>

using namespace kiln;
using namespace kiln::test;

namespace {

/// Compiles a small model for `cpu`; the artifact's CPU and features.
void compileFor(const std::string &cpu, std::string &recordedCpu,
                std::vector<std::string> &features) {
  auto ctx = makeContext();
  Graph g = opGraph("relu", {{4, 8}},
                    [](std::vector<Tensor> x) { return relu(x[0]); });
  auto module = toModule(g, *ctx);
  ASSERT_TRUE(module);
  cpu::CpuCodegenOptions options;
  options.targetCpu = cpu;
  auto artifact = cpu::compileArtifact(*module, {}, options);
  ASSERT_TRUE((bool)artifact) << llvm::toString(artifact.takeError());
  const kmod::Module *m = kmod::GetModule(artifact->bytes.data());
  recordedCpu = m->cpu()->str();
  features.clear();
  for (const flatbuffers::String *f : *m->cpu_features())
    features.push_back(f->str());
}

bool has(const std::vector<std::string> &features, const char *name) {
  return std::find(features.begin(), features.end(), name) != features.end();
}

TEST(CpuTarget, RecordsTheChosenCpusFeatures) {
  std::string cpu;
  std::vector<std::string> features;

  compileFor("x86-64", cpu, features);
  EXPECT_EQ(cpu, "x86-64");
  EXPECT_TRUE(has(features, "sse2"));
  EXPECT_FALSE(has(features, "sse3"));
  EXPECT_FALSE(has(features, "avx"));

  compileFor("x86-64-v3", cpu, features);
  EXPECT_EQ(cpu, "x86-64-v3");
  for (const char *name : {"avx", "avx2", "fma", "f16c", "bmi2", "sse4.2"})
    EXPECT_TRUE(has(features, name)) << name;
  EXPECT_FALSE(has(features, "avx512f"));

  compileFor("znver4", cpu, features);
  EXPECT_EQ(cpu, "znver4");
  for (const char *name :
       {"avx2", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512vnni"})
    EXPECT_TRUE(has(features, name)) << name;

  // Only names the runtime can check, each once.
  for (const std::string &f : features) {
    EXPECT_NE(rt::findCpuFeature(f), nullptr) << f;
    EXPECT_EQ(std::count(features.begin(), features.end(), f), 1) << f;
  }

  // The host's own: everything recorded is something this host has.
  compileFor("host", cpu, features);
  EXPECT_NE(cpu, "host");
  EXPECT_TRUE(has(features, "sse2"));
  for (const std::string &f : features)
    EXPECT_TRUE(rt::hostHasCpuFeature(*rt::findCpuFeature(f))) << f;
}

// kilnc --dump-after shows the artifact pipeline; the JIT's whole-function
// pipeline keeps its own dump (JitModel::compile), which checks the name
// against its own passes before it runs any.
TEST(CpuTarget, JitPipelineDumpChecksThePassName) {
  auto ctx = makeContext();
  Graph g = opGraph("relu", {{4, 8}},
                    [](std::vector<Tensor> x) { return relu(x[0]); });
  auto module = toModule(g, *ctx);
  ASSERT_TRUE(module);
  std::string dump;
  llvm::raw_string_ostream os(dump);
  llvm::Error err = cpu::runCpuCodegen(*module, {}, "kiln-fusion", &os);
  ASSERT_TRUE((bool)err);
  std::string message = llvm::toString(std::move(err));
  EXPECT_EQ(message.rfind("--dump-after=kiln-fusion: the whole-function CPU "
                          "pipeline has no pass of that name; give 'all' or "
                          "one of: kiln-params-to-arguments, kiln-decompose",
                          0),
            0u)
      << message;
  EXPECT_EQ(dump, "");
  // Nothing ran: the module is still kiln ops.
  EXPECT_FALSE(module->getOps<mlir::func::FuncOp>().empty());
  ASSERT_FALSE((bool)cpu::runCpuCodegen(*module, {}, "kiln-lower-to-linalg",
                                        &os));
  EXPECT_NE(dump.find("IR Dump After LowerToLinalg (kiln-lower-to-linalg)"),
            std::string::npos);
  EXPECT_NE(dump.find("linalg.generic"), std::string::npos);
}

TEST(CpuTarget, UnknownCpuIsAnError) {
  auto ctx = makeContext();
  Graph g = opGraph("relu", {{4}},
                    [](std::vector<Tensor> x) { return relu(x[0]); });
  auto module = toModule(g, *ctx);
  ASSERT_TRUE(module);
  cpu::CpuCodegenOptions options;
  options.targetCpu = "znver99";
  auto artifact = cpu::compileArtifact(*module, {}, options);
  ASSERT_FALSE((bool)artifact);
  std::string message = llvm::toString(artifact.takeError());
  EXPECT_NE(message.find("--cpu=znver99: LLVM knows no CPU of that name"),
            std::string::npos)
      << message;
  llvm::Error bad = cpu::checkTargetCpu("znver99");
  EXPECT_TRUE((bool)bad);
  llvm::consumeError(std::move(bad));
  EXPECT_FALSE((bool)cpu::checkTargetCpu("x86-64-v3"));
  EXPECT_FALSE((bool)cpu::checkTargetCpu("host"));
}

// An AVX2 artifact of every seed model, split as finely as it goes, on 1,
// 2 and 3 threads: the same checks as the host's artifacts.
class PortableArtifact : public ::testing::TestWithParam<std::string> {};

TEST_P(PortableArtifact, MatchesReference) {
  if (!rt::hostHasCpuFeature(*rt::findCpuFeature("avx2")) ||
      !rt::hostHasCpuFeature(*rt::findCpuFeature("fma")))
    GTEST_SKIP() << "this host cannot run x86-64-v3 code";
  const ModelInfo *info = findModel(GetParam());
  ASSERT_NE(info, nullptr);
  bool large = GetParam() == "cnn" || GetParam() == "text_transformer";
  InputRange range;
  if (GetParam() == "text_transformer")
    range = {0, 1000};
  cpu::CpuCodegenOptions options;
  options.targetCpu = "x86-64-v3";
  if (!large)
    options.minWorkPerWorkgroup = 1;
  expectMatchesReference(info->build(large ? 1 : 3),
                         Tolerance::forModelOutput(DType::F32), range,
                         Backend::Artifact, options);
}

INSTANTIATE_TEST_SUITE_P(Seed, PortableArtifact,
                         ::testing::Values("linreg", "house_mlp", "binary_mlp",
                                           "fashion_mlp", "cnn",
                                           "text_transformer"));

} // namespace
