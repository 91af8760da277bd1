//===- CpuFeaturesTest.cpp - Refusing code the host's CPU cannot run ------===//
//
// The runtime's own CPUID reading agrees with the compiler's
// __builtin_cpu_supports, and an artifact whose code needs an extension
// this host lacks, or one the runtime does not know, is refused at load
// with KILN_ERROR_PLATFORM and the names, instead of dying of SIGILL later.
//
//===----------------------------------------------------------------------===//
#include "kiln_runtime.h"
#include "kiln/runtime/CpuFeatures.h"

#include "ArtifactBuilder.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

using namespace kiln::rt;
using namespace kiln::rt::test;

namespace {

TEST(CpuFeatures, TableIsWellFormed) {
  std::set<std::string_view> names;
  for (const CpuFeatureInfo &f : kCpuFeatures) {
    EXPECT_TRUE(names.insert(f.name).second) << f.name << " twice";
    EXPECT_LT(f.reg, 4) << f.name;
    EXPECT_LT(f.bit, 32) << f.name;
    EXPECT_EQ(findCpuFeature(f.name), &f);
  }
  EXPECT_EQ(findCpuFeature("avx9000"), nullptr);
  EXPECT_EQ(findCpuFeature(""), nullptr);
}

#if defined(__x86_64__)
TEST(CpuFeatures, AgreesWithTheCompilersCheck) {
  // __builtin_cpu_supports reads CPUID and XCR0 in libgcc: a second opinion.
#define KILN_CHECK(name)                                                       \
  EXPECT_EQ(hostHasCpuFeature(*findCpuFeature(name)),                          \
            static_cast<bool>(__builtin_cpu_supports(name)))                   \
      << name;
  KILN_CHECK("cmov");
  KILN_CHECK("mmx");
  KILN_CHECK("sse");
  KILN_CHECK("sse2");
  KILN_CHECK("sse3");
  KILN_CHECK("ssse3");
  KILN_CHECK("sse4.1");
  KILN_CHECK("sse4.2");
  KILN_CHECK("sse4a");
  KILN_CHECK("popcnt");
  KILN_CHECK("aes");
  KILN_CHECK("pclmul");
  KILN_CHECK("avx");
  KILN_CHECK("avx2");
  KILN_CHECK("fma");
  KILN_CHECK("fma4");
  KILN_CHECK("xop");
  KILN_CHECK("bmi");
  KILN_CHECK("bmi2");
  KILN_CHECK("gfni");
  KILN_CHECK("vpclmulqdq");
  KILN_CHECK("avx512f");
  KILN_CHECK("avx512bw");
  KILN_CHECK("avx512dq");
  KILN_CHECK("avx512vl");
  KILN_CHECK("avx512cd");
  KILN_CHECK("avx512ifma");
  KILN_CHECK("avx512vbmi");
  KILN_CHECK("avx512vbmi2");
  KILN_CHECK("avx512vnni");
  KILN_CHECK("avx512bitalg");
  KILN_CHECK("avx512vpopcntdq");
  KILN_CHECK("avx512bf16");
#undef KILN_CHECK
  // Every x86-64 CPU has the baseline.
  for (const char *name : {"x87", "cx8", "cmov", "fxsr", "mmx", "sse", "sse2"})
    EXPECT_TRUE(hostHasCpuFeature(*findCpuFeature(name))) << name;
}
#endif

using ModelPtr = std::unique_ptr<kiln_model, decltype(&kiln_model_free)>;

/// The reference model of the runtime tests, its code declared to need
/// `features`.
kiln_status loadWithFeatures(const std::vector<std::string> &features,
                             std::string &message) {
  ArtifactSpec spec = referenceSpec(readFileBytes(KILN_TEST_KERNELS));
  spec.cpu = "test-cpu";
  spec.cpuFeatures = features;
  std::vector<uint8_t> bytes = buildArtifact(spec);
  char error[512] = "";
  kiln_model *model = nullptr;
  kiln_status status = kiln_model_load_bytes(bytes.data(), bytes.size(),
                                             &model, error, sizeof error);
  ModelPtr owned(model, kiln_model_free);
  message = error;
  EXPECT_EQ(model == nullptr, status != KILN_OK);
  return status;
}

TEST(RuntimeCpuFeatures, LoadsWhatTheHostHas) {
  std::vector<std::string> present;
  for (const CpuFeatureInfo &f : kCpuFeatures)
    if (hostHasCpuFeature(f))
      present.emplace_back(f.name);
  std::string message;
  EXPECT_EQ(loadWithFeatures(present, message), KILN_OK) << message;
  EXPECT_EQ(loadWithFeatures({}, message), KILN_OK) << message;
}

TEST(RuntimeCpuFeatures, RefusesWhatTheHostLacks) {
  std::vector<std::string> lacking;
  for (const CpuFeatureInfo &f : kCpuFeatures)
    if (!hostHasCpuFeature(f))
      lacking.emplace_back(f.name);
  // No CPU has both AMD's XOP/FMA4 and AVX-512, so every host lacks some.
  ASSERT_FALSE(lacking.empty()) << "this host has every feature kiln knows";
  std::string message;
  EXPECT_EQ(loadWithFeatures({"sse2", lacking[0]}, message),
            KILN_ERROR_PLATFORM);
  EXPECT_EQ(message, "this CPU lacks " + lacking[0] +
                         ", which the artifact's code (compiled for "
                         "'test-cpu') may use; compile it for this CPU, or "
                         "for an older one with kilnc --cpu (e.g. "
                         "--cpu=x86-64-v3 for any AVX2 CPU)");
  // All of them are named.
  EXPECT_EQ(loadWithFeatures(lacking, message), KILN_ERROR_PLATFORM);
  for (size_t i = 0; i < lacking.size() && i < 8; ++i)
    EXPECT_NE(message.find(lacking[i]), std::string::npos) << message;
}

TEST(RuntimeCpuFeatures, RefusesNamesItCannotCheck) {
  std::string message;
  EXPECT_EQ(loadWithFeatures({"sse2", "avx9000", "amx-tile"}, message),
            KILN_ERROR_PLATFORM);
  EXPECT_EQ(message, "the artifact's code needs CPU features this runtime "
                     "cannot check: 'avx9000', 'amx-tile' (from a newer "
                     "kilnc?)");
}

TEST(RuntimeCpuFeatures, EmptyOrNulNameIsCorrupt) {
  std::string message;
  EXPECT_EQ(loadWithFeatures({"sse2", ""}, message), KILN_ERROR_FORMAT);
  EXPECT_EQ(message, "cpu feature 1 '' is empty or contains a NUL byte");
  EXPECT_EQ(loadWithFeatures({std::string("avx\0x", 5)}, message),
            KILN_ERROR_FORMAT);
  EXPECT_EQ(message,
            "cpu feature 0 'avx\\x00x' is empty or contains a NUL byte");
}

} // namespace
