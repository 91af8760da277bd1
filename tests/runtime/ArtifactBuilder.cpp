//===- ArtifactBuilder.cpp - Hand-made .kmod artifacts for tests ----------===//
//
// The same builder calls the compiler's artifact writer makes, including the
// forced 64-byte alignment of code and weights, so the tests load artifacts
// laid out as real ones are.
//
//===----------------------------------------------------------------------===//
#include "ArtifactBuilder.h"

#include "kiln/runtime/CodeHash.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace kiln::rt::test {

const float kRefV[4] = {10, 20, 30, 40};
const float kRefW[4] = {0.5f, 1.5f, 2.5f, 3.5f};

namespace {

using TensorVector =
    flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<kmod::TensorSig>>>;

/// A [long] vector whose elements start 4 bytes past an 8-byte boundary.
/// The builder aligns int64 elements, so it is carved out of a [uint]
/// vector instead: {n, lo0, hi0, lo1, hi1, ...} read from its second word on
/// is a vector of n int64 values, little-endian.
flatbuffers::Offset<flatbuffers::Vector<int64_t>>
buildMisalignedShape(flatbuffers::FlatBufferBuilder &fbb,
                     const std::vector<int64_t> &shape) {
  std::vector<uint32_t> words = {static_cast<uint32_t>(shape.size())};
  for (int64_t d : shape) {
    words.push_back(static_cast<uint32_t>(static_cast<uint64_t>(d)));
    words.push_back(static_cast<uint32_t>(static_cast<uint64_t>(d) >> 32));
  }
  // The builder grows downward and the finished buffer is a multiple of 64
  // bytes long: ending the words' vector (its length word, then the words)
  // 4 bytes short of an 8-byte boundary puts the carved vector's elements,
  // 8 bytes past its start, 4 bytes off.
  fbb.PreAlign(words.size() * sizeof(uint32_t) + 8, 8);
  flatbuffers::uoffset_t whole = fbb.CreateVector(words).o;
  return flatbuffers::Offset<flatbuffers::Vector<int64_t>>(
      whole - sizeof(uint32_t));
}

TensorVector buildSignature(flatbuffers::FlatBufferBuilder &fbb,
                            const std::vector<TensorSpec> &tensors,
                            bool misalignFirstShape = false) {
  std::vector<flatbuffers::Offset<kmod::TensorSig>> sigs;
  for (const TensorSpec &t : tensors) {
    auto shape = misalignFirstShape && sigs.empty()
                     ? buildMisalignedShape(fbb, t.shape)
                     : fbb.CreateVector(t.shape);
    sigs.push_back(kmod::CreateTensorSig(fbb, fbb.CreateString(t.name),
                                         t.dtype, shape, t.indexRange));
  }
  return fbb.CreateVector(sigs);
}

flatbuffers::Offset<flatbuffers::Vector<uint8_t>>
buildAligned(flatbuffers::FlatBufferBuilder &fbb,
             const std::vector<uint8_t> &bytes) {
  fbb.ForceVectorAlignment(bytes.size(), sizeof(uint8_t), 64);
  return fbb.CreateVector(bytes);
}

} // namespace

std::vector<uint8_t> buildArtifact(const ArtifactSpec &spec) {
  flatbuffers::FlatBufferBuilder fbb;
  auto name = fbb.CreateString(spec.name);
  auto target = fbb.CreateString(spec.target);
  auto cpu = fbb.CreateString(spec.cpu);
  auto inputs =
      buildSignature(fbb, spec.inputs, spec.misalignFirstInputShape);
  auto outputs = buildSignature(fbb, spec.outputs);
  auto params = buildSignature(fbb, spec.params);

  std::vector<flatbuffers::Offset<kmod::Buffer>> bufferList;
  for (const BufferSpec &b : spec.buffers)
    bufferList.push_back(
        kmod::CreateBuffer(fbb, b.kind, b.index, b.offset, b.size));
  auto buffers = fbb.CreateVector(bufferList);

  std::vector<flatbuffers::Offset<kmod::Kernel>> kernelList;
  for (size_t i = 0; i < spec.kernels.size(); ++i) {
    const KernelSpec &k = spec.kernels[i];
    std::vector<uint64_t> sizes = k.argSizes;
    for (const StepSpec &s : spec.steps)
      if (sizes.empty() && s.kernel == i)
        for (uint32_t b : s.args)
          sizes.push_back(b < spec.buffers.size() ? spec.buffers[b].size : 0);
    kernelList.push_back(kmod::CreateKernel(
        fbb, fbb.CreateString(k.symbol), k.numArgs, k.maxWorkgroups,
        k.numOutputs, fbb.CreateVector(sizes), k.oneWorkgroupPerThread));
  }
  auto kernels = fbb.CreateVector(kernelList);

  std::vector<flatbuffers::Offset<kmod::Step>> stepList;
  for (const StepSpec &s : spec.steps)
    stepList.push_back(
        kmod::CreateStep(fbb, s.kernel, fbb.CreateVector(s.args)));
  auto steps = fbb.CreateVector(stepList);

  auto code = buildAligned(fbb, spec.code);
  flatbuffers::Offset<flatbuffers::Vector<uint8_t>> weights;
  if (spec.misalignWeights) {
    // The builder grows downward: aligning the end of (data + 4 bytes) to 64
    // leaves the data itself starting 4 bytes past a boundary.
    fbb.PreAlign(spec.weights.size() + 4, 64);
    weights = fbb.CreateVector(spec.weights);
  } else {
    weights = buildAligned(fbb, spec.weights);
  }
  uint64_t hash = spec.codeHash ? *spec.codeHash
                                : codeHash(spec.code.data(), spec.code.size());
  auto features = fbb.CreateVectorOfStrings(spec.cpuFeatures);
  uint64_t weightsHashed =
      spec.weightsHash
          ? *spec.weightsHash
          : weightsHash(spec.weights.data(), spec.weights.size());
  auto module = kmod::CreateModule(fbb, spec.version, name, target, cpu,
                                   inputs, outputs, params, buffers, kernels,
                                   steps, spec.arenaSize, code, weights, hash,
                                   weightsHashed, features);
  // FinishModuleBuffer, with the identifier the spec asks for.
  EXPECT_EQ(spec.identifier.size(), 4u);
  fbb.Finish(module, spec.identifier.c_str());
  return std::vector<uint8_t>(fbb.GetBufferPointer(),
                              fbb.GetBufferPointer() + fbb.GetSize());
}

std::vector<uint8_t> readFileBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                              std::istreambuf_iterator<char>());
}

ArtifactSpec referenceSpec(std::vector<uint8_t> code) {
  using kmod::BufferKind;
  ArtifactSpec spec;
  spec.inputs = {{"a", kmod::DType::F32, {4}}, {"b", kmod::DType::F32, {2, 2}}};
  spec.outputs = {{"y", kmod::DType::F32, {4}},
                  {"z", kmod::DType::F32, {2, 2}}};
  spec.params = {{"v", kmod::DType::F32, {4}}, {"w", kmod::DType::F32, {4}}};
  spec.buffers = {
      {BufferKind::Input, 0, 0, 16},   // 0: a
      {BufferKind::Input, 1, 0, 16},   // 1: b
      {BufferKind::Param, 0, 64, 16},  // 2: w
      {BufferKind::Param, 0, 0, 16},   // 3: v
      {BufferKind::Arena, 0, 0, 16},   // 4: t = a + w
      {BufferKind::Arena, 0, 64, 16},  // 5: u = t + b
      {BufferKind::Output, 0, 0, 16},  // 6: y = S * u
      {BufferKind::Output, 1, 0, 16},  // 7: z = b + v
  };
  spec.kernels = {{"add_f32_4", 3}, {"scale_f32_4", 2}};
  spec.steps = {{0, {0, 2, 4}}, {0, {4, 1, 5}}, {1, {5, 6}}, {0, {1, 3, 7}}};
  spec.arenaSize = 128;
  spec.code = std::move(code);
  spec.weights.assign(128, 0);
  std::memcpy(spec.weights.data(), kRefV, sizeof kRefV);
  std::memcpy(spec.weights.data() + 64, kRefW, sizeof kRefW);
  return spec;
}

} // namespace kiln::rt::test
