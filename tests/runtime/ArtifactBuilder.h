//===- ArtifactBuilder.h - Hand-made .kmod artifacts for tests ----*- C++ -*-===//
//
// The runtime tests describe an artifact as plain structs, change one field
// to make it wrong, and serialize it with flatbuffers' builder, so each bad
// case reads as the one difference from a good model.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TESTS_RUNTIME_ARTIFACTBUILDER_H
#define KILN_TESTS_RUNTIME_ARTIFACTBUILDER_H

#include "schema/kmod_generated.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln::rt::test {

struct TensorSpec {
  std::string name;
  kmod::DType dtype = kmod::DType::F32;
  std::vector<int64_t> shape;
  int64_t indexRange = 0;
};

struct BufferSpec {
  kmod::BufferKind kind;
  uint32_t index = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

struct KernelSpec {
  std::string symbol;
  uint32_t numArgs = 0;
  uint32_t maxWorkgroups = 1;
  uint32_t numOutputs = 1;
  /// Kernel.arg_sizes; when empty, the sizes of the buffers the first step
  /// calling the kernel passes.
  std::vector<uint64_t> argSizes = {};
  bool oneWorkgroupPerThread = false;
};

struct StepSpec {
  uint32_t kernel = 0;
  std::vector<uint32_t> args;
};

struct ArtifactSpec {
  uint32_t version = 4;
  std::string name = "test_model";
  std::string target = "x86_64-cpu";
  std::string cpu = "generic";
  std::vector<TensorSpec> inputs, outputs, params;
  std::vector<BufferSpec> buffers;
  std::vector<KernelSpec> kernels;
  std::vector<StepSpec> steps;
  uint64_t arenaSize = 0;
  std::vector<uint8_t> code;
  std::vector<uint8_t> weights;
  /// Module.cpu_features: what the code may need of the CPU.
  std::vector<std::string> cpuFeatures;
  /// Module.code_hash; the hash of `code` unless set.
  std::optional<uint64_t> codeHash;
  /// Module.weights_hash; the hash of `weights` unless set.
  std::optional<uint64_t> weightsHash;
  /// The file identifier (4 characters); "KMOD" unless set.
  std::string identifier = "KMOD";
  /// Places the weights 4 bytes past a 64-byte boundary, as a writer that
  /// forgot force_align might.
  bool misalignWeights = false;
  /// Places the dimensions of input 0's shape 4 bytes past an 8-byte
  /// boundary, in a layout flatbuffers' Verifier accepts.
  bool misalignFirstInputShape = false;
};

/// Serializes `spec` as a finished .kmod buffer.
std::vector<uint8_t> buildArtifact(const ArtifactSpec &spec);

/// The bytes of a file; fails the current test if it cannot be read.
std::vector<uint8_t> readFileBytes(const std::string &path);

/// The reference model, over the test kernels in `code`:
///   inputs  a: f32[4], b: f32[2, 2]
///   params  v = {10, 20, 30, 40} at weights 0, w = {0.5, 1.5, 2.5, 3.5} at 64
///   y = S * ((a + w) + b)   (S is the kernels' scale: 2, or 3 in _alt)
///   z = b + v
/// through two arena temporaries at offsets 0 and 64, in four steps.
ArtifactSpec referenceSpec(std::vector<uint8_t> code);

/// The reference model's weights, as floats.
extern const float kRefV[4];
extern const float kRefW[4];

} // namespace kiln::rt::test

#endif // KILN_TESTS_RUNTIME_ARTIFACTBUILDER_H
