//===- RuntimeTest.cpp - The kiln runtime through its C API ---------------===//
//
// Everything goes through kiln_runtime.h, as a user's program would. The
// good cases check known answers of a small hand-made model whose kernels
// are a real shared object; the bad cases change one field of that model
// (or damage its bytes) and require a clean status with a message that
// names the problem: never a crash, whatever the bytes.
//
//===----------------------------------------------------------------------===//
#include "kiln/runtime/CodeHash.h"
#include "kiln_runtime.h"

#include "ArtifactBuilder.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

extern "C" int kiln_test_run_from_c(const void *bytes, size_t size,
                                    float y[4], float z[4], char *error,
                                    size_t error_size);

using namespace kiln::rt::test;
using kiln::kmod::BufferKind;
using kiln::kmod::DType;

namespace {

using ModelPtr = std::unique_ptr<kiln_model, decltype(&kiln_model_free)>;

struct LoadResult {
  kiln_status status;
  ModelPtr model{nullptr, kiln_model_free};
  std::string message;
};

const std::vector<uint8_t> &testCode() {
  static const std::vector<uint8_t> code = readFileBytes(KILN_TEST_KERNELS);
  return code;
}

const std::vector<uint8_t> &altTestCode() {
  static const std::vector<uint8_t> code =
      readFileBytes(KILN_TEST_KERNELS_ALT);
  return code;
}

ArtifactSpec reference() { return referenceSpec(testCode()); }

/// Loads through kiln_model_load_bytes, checking the API's promises about
/// the out-pointer and the message on the way.
LoadResult loadBytes(const std::vector<uint8_t> &bytes) {
  char error[512];
  std::memset(error, 'x', sizeof error);
  // A stale value, to see that a failure clears it.
  kiln_model *model = reinterpret_cast<kiln_model *>(uintptr_t{0x10});
  LoadResult r;
  r.status = kiln_model_load_bytes(bytes.data(), bytes.size(), &model, error,
                                   sizeof error);
  EXPECT_NE(std::memchr(error, '\0', sizeof error), nullptr)
      << "the message is not NUL-terminated";
  r.message = error;
  if (r.status == KILN_OK) {
    EXPECT_NE(model, nullptr);
    EXPECT_EQ(r.message, "");
    r.model.reset(model);
  } else {
    EXPECT_EQ(model, nullptr) << "a failed load must leave *model NULL";
    EXPECT_FALSE(r.message.empty()) << "a failure must say why";
  }
  return r;
}

LoadResult load(const ArtifactSpec &spec) {
  return loadBytes(buildArtifact(spec));
}

LoadResult loadFile(const std::string &path) {
  char error[512] = "unset";
  kiln_model *model = reinterpret_cast<kiln_model *>(uintptr_t{0x10});
  LoadResult r;
  r.status = kiln_model_load_file(path.c_str(), &model, error, sizeof error);
  r.message = error;
  if (r.status == KILN_OK)
    r.model.reset(model);
  else
    EXPECT_EQ(model, nullptr);
  return r;
}

/// Expects a load of `spec` to fail with `status` and a message holding
/// every fragment.
void expectLoadError(const ArtifactSpec &spec, kiln_status status,
                     std::initializer_list<const char *> fragments) {
  LoadResult r = load(spec);
  EXPECT_EQ(r.status, status) << r.message;
  for (const char *fragment : fragments)
    EXPECT_NE(r.message.find(fragment), std::string::npos)
        << "expected \"" << fragment << "\" in: " << r.message;
}

std::string tempPath(const std::string &name) {
  return testing::TempDir() + "kiln-runtime-" + std::to_string(getpid()) +
         "-" + name;
}

void writeFile(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

/// The caller's buffers for the reference model, 64-byte aligned.
struct RefBuffers {
  alignas(64) float a[4] = {1, 2, 3, 4};
  alignas(64) float b[4] = {5, 6, 7, 8};
  alignas(64) float y[4] = {-1, -1, -1, -1};
  alignas(64) float z[4] = {-1, -1, -1, -1};
  const void *inputs[2] = {a, b};
  void *outputs[2] = {y, z};
};

/// Runs the reference model and checks y = scale * ((a + w) + b), z = b + v.
void expectReferenceAnswer(kiln_model *model, float scale) {
  RefBuffers buf;
  char error[256];
  ASSERT_EQ(kiln_model_run(model, buf.inputs, buf.outputs, error,
                           sizeof error),
            KILN_OK)
      << error;
  EXPECT_STREQ(error, "");
  for (int i = 0; i < 4; ++i) {
    // Small integers and halves: exact in f32.
    EXPECT_EQ(buf.y[i], scale * ((buf.a[i] + kRefW[i]) + buf.b[i])) << i;
    EXPECT_EQ(buf.z[i], buf.b[i] + kRefV[i]) << i;
  }
}

//===----------------------------------------------------------------------===//
// Loading and running
//===----------------------------------------------------------------------===//

TEST(RuntimeLoad, RunsReferenceModelFromBytes) {
  LoadResult r = load(reference());
  ASSERT_EQ(r.status, KILN_OK) << r.message;
  expectReferenceAnswer(r.model.get(), 2.0f);
}

TEST(RuntimeLoad, RunsReferenceModelFromFile) {
  std::string path = tempPath("reference.kmod");
  writeFile(path, buildArtifact(reference()));
  LoadResult r = loadFile(path);
  ASSERT_EQ(r.status, KILN_OK) << r.message;
  EXPECT_EQ(r.message, "");
  expectReferenceAnswer(r.model.get(), 2.0f);
  std::remove(path.c_str());
}

TEST(RuntimeLoad, RunsReferenceModelFromPipe) {
  // Not a regular file: read to its end without knowing the size first.
  std::vector<uint8_t> bytes = buildArtifact(reference());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_LE(bytes.size(), static_cast<size_t>(fcntl(fds[1], F_GETPIPE_SZ)));
  ASSERT_EQ(write(fds[1], bytes.data(), bytes.size()),
            static_cast<ssize_t>(bytes.size()));
  close(fds[1]);
  LoadResult r = loadFile("/proc/self/fd/" + std::to_string(fds[0]));
  close(fds[0]);
  ASSERT_EQ(r.status, KILN_OK) << r.message;
  expectReferenceAnswer(r.model.get(), 2.0f);
}

TEST(RuntimeLoad, KeepsNoReferenceToCallerBytes) {
  std::vector<uint8_t> bytes = buildArtifact(reference());
  LoadResult r = loadBytes(bytes);
  ASSERT_EQ(r.status, KILN_OK) << r.message;
  std::fill(bytes.begin(), bytes.end(), 0xAB);
  bytes.clear();
  bytes.shrink_to_fit();
  expectReferenceAnswer(r.model.get(), 2.0f);
}

TEST(RuntimeLoad, RunsBorrowedBytesInPlace) {
  // As a linked-in artifact lies: 64-byte aligned, read-only to the runtime.
  std::vector<uint8_t> built = buildArtifact(reference());
  std::unique_ptr<uint8_t[]> storage(new uint8_t[built.size() + 128]);
  uint8_t *aligned = storage.get() + (64 - reinterpret_cast<uintptr_t>(
                                               storage.get()) % 64) % 64;
  std::memcpy(aligned, built.data(), built.size());
  char error[256];
  kiln_model *model = nullptr;
  ASSERT_EQ(kiln_model_load_borrowed(aligned, built.size(), &model, error,
                                     sizeof error),
            KILN_OK)
      << error;
  std::unique_ptr<kiln_model, void (*)(kiln_model *)> owner(model,
                                                            kiln_model_free);
  expectReferenceAnswer(model, 2.0f);
  // Nothing was written into the caller's bytes.
  EXPECT_EQ(std::memcmp(aligned, built.data(), built.size()), 0);

  // Misaligned or NULL: refused before anything is read.
  model = reinterpret_cast<kiln_model *>(uintptr_t{0x10});
  std::memmove(aligned + 8, aligned, built.size());
  EXPECT_EQ(kiln_model_load_borrowed(aligned + 8, built.size(), &model, error,
                                     sizeof error),
            KILN_ERROR_ARGUMENT);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(std::string(error).find("64-byte aligned"), std::string::npos)
      << error;
  EXPECT_EQ(kiln_model_load_borrowed(nullptr, 0, &model, error, sizeof error),
            KILN_ERROR_ARGUMENT);
}

TEST(RuntimeLoad, RunsRepeatedlyWithFreshInputs) {
  LoadResult r = load(reference());
  ASSERT_EQ(r.status, KILN_OK) << r.message;
  for (int run = 0; run < 5; ++run) {
    RefBuffers buf;
    for (int i = 0; i < 4; ++i) {
      buf.a[i] = static_cast<float>(run * 10 + i);
      buf.b[i] = static_cast<float>(-run + i);
    }
    ASSERT_EQ(kiln_model_run(r.model.get(), buf.inputs, buf.outputs, nullptr,
                             0),
              KILN_OK);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(buf.y[i], 2.0f * ((buf.a[i] + kRefW[i]) + buf.b[i]));
      EXPECT_EQ(buf.z[i], buf.b[i] + kRefV[i]);
    }
  }
}

// A profiled run gives the same answer and adds every step's time to its
// entry: twice run, each entry has grown.
TEST(RuntimeLoad, ProfiledRunTimesEachStep) {
  LoadResult r = load(reference());
  ASSERT_EQ(r.status, KILN_OK) << r.message;
  size_t steps = kiln_model_num_steps(r.model.get());
  ASSERT_EQ(steps, reference().steps.size());
  std::vector<double> seconds(steps, 0.0), once;
  for (int run = 0; run < 2; ++run) {
    RefBuffers buf;
    char error[256];
    ASSERT_EQ(kiln_model_run_profiled(r.model.get(), buf.inputs, buf.outputs,
                                      seconds.data(), error, sizeof error),
              KILN_OK)
        << error;
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(buf.y[i], 2.0f * ((buf.a[i] + kRefW[i]) + buf.b[i])) << i;
    if (run == 0)
      once = seconds;
  }
  for (size_t i = 0; i < steps; ++i) {
    EXPECT_GT(once[i], 0.0) << "step " << i;
    EXPECT_GT(seconds[i], once[i]) << "step " << i;
  }
  RefBuffers buf;
  char error[256];
  EXPECT_EQ(kiln_model_run_profiled(r.model.get(), buf.inputs, buf.outputs,
                                    nullptr, error, sizeof error),
            KILN_ERROR_ARGUMENT);
  EXPECT_STREQ(error, "step_seconds is NULL");
  EXPECT_EQ(kiln_model_num_steps(nullptr), 0u);
}

TEST(RuntimeLoad, ModelsWithDifferentCodeStayApart) {
  // Same symbols, different code: each model must call its own.
  LoadResult two = load(reference());
  LoadResult three = load(referenceSpec(altTestCode()));
  ASSERT_EQ(two.status, KILN_OK) << two.message;
  ASSERT_EQ(three.status, KILN_OK) << three.message;
  expectReferenceAnswer(two.model.get(), 2.0f);
  expectReferenceAnswer(three.model.get(), 3.0f);
}

TEST(RuntimeLoad, ReloadAfterFreeUsesNewCode) {
  // A freed model's descriptor number comes back for the next one; the
  // loader must not hand out the old code under the reused path.
  for (int i = 0; i < 6; ++i) {
    bool alt = i % 2;
    LoadResult r = load(referenceSpec(alt ? altTestCode() : testCode()));
    ASSERT_EQ(r.status, KILN_OK) << r.message;
    expectReferenceAnswer(r.model.get(), alt ? 3.0f : 2.0f);
  }
}

TEST(RuntimeLoad, RunsModelWithoutWeightsOrArena) {
  // y = 2 * a straight from input to output: empty weights (which the
  // builder does not align) and a zero-byte arena.
  ArtifactSpec spec;
  spec.inputs = {{"a", DType::F32, {4}}};
  spec.outputs = {{"y", DType::F32, {4}}};
  spec.buffers = {{BufferKind::Input, 0, 0, 16}, {BufferKind::Output, 0, 0, 16}};
  spec.kernels = {{"scale_f32_4", 2}};
  spec.steps = {{0, {0, 1}}};
  spec.code = testCode();
  LoadResult r = load(spec);
  ASSERT_EQ(r.status, KILN_OK) << r.message;
  EXPECT_EQ(kiln_model_arena_size(r.model.get()), 0u);
  alignas(16) float a[4] = {1, -2, 3.5f, 0};
  alignas(16) float y[4] = {};
  const void *in[] = {a};
  void *out[] = {y};
  ASSERT_EQ(kiln_model_run(r.model.get(), in, out, nullptr, 0), KILN_OK);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(y[i], 2 * a[i]);
}

// flatbuffers does not align an empty vector, so a scalar's shape may start
// 4 bytes off an 8-byte boundary (kilnc writes such files): with no
// dimension to read, that is no fault.
TEST(RuntimeLoad, AcceptsScalarShapeAnywhere) {
  ArtifactSpec spec = reference();
  spec.inputs.insert(spec.inputs.begin(), {"s", DType::F32, {}});
  for (BufferSpec &b : spec.buffers)
    if (b.kind == BufferKind::Input)
      ++b.index;
  spec.misalignFirstInputShape = true;
  LoadResult r = loadBytes(buildArtifact(spec));
  EXPECT_EQ(r.status, KILN_OK) << r.message;
}

TEST(RuntimeLoad, ReportsInterface) {
  ArtifactSpec spec = reference();
  spec.name = "ref_model";
  spec.inputs[1].dtype = DType::I32; // same byte size, another dtype
  LoadResult r = load(spec);
  ASSERT_EQ(r.status, KILN_OK) << r.message;
  kiln_model *m = r.model.get();
  EXPECT_STREQ(kiln_model_name(m), "ref_model");
  EXPECT_EQ(kiln_model_num_inputs(m), 2u);
  EXPECT_EQ(kiln_model_num_outputs(m), 2u);
  EXPECT_EQ(kiln_model_arena_size(m), 128u);

  kiln_tensor_info info;
  ASSERT_EQ(kiln_model_input_info(m, 0, &info), KILN_OK);
  EXPECT_STREQ(info.name, "a");
  EXPECT_EQ(info.dtype, KILN_F32);
  ASSERT_EQ(info.rank, 1u);
  EXPECT_EQ(info.shape[0], 4);
  EXPECT_EQ(info.byte_size, 16u);

  ASSERT_EQ(kiln_model_input_info(m, 1, &info), KILN_OK);
  EXPECT_STREQ(info.name, "b");
  EXPECT_EQ(info.dtype, KILN_I32);
  ASSERT_EQ(info.rank, 2u);
  EXPECT_EQ(info.shape[0], 2);
  EXPECT_EQ(info.shape[1], 2);
  EXPECT_EQ(info.byte_size, 16u);

  ASSERT_EQ(kiln_model_output_info(m, 1, &info), KILN_OK);
  EXPECT_STREQ(info.name, "z");
  EXPECT_EQ(info.dtype, KILN_F32);
  EXPECT_EQ(info.rank, 2u);
  EXPECT_EQ(info.byte_size, 16u);

  EXPECT_EQ(kiln_model_input_info(m, 2, &info), KILN_ERROR_ARGUMENT);
  EXPECT_EQ(kiln_model_output_info(m, 2, &info), KILN_ERROR_ARGUMENT);
  EXPECT_EQ(kiln_model_input_info(m, SIZE_MAX, &info), KILN_ERROR_ARGUMENT);
}

TEST(RuntimeLoad, DTypeValuesMatchSchema) {
  // The C enum and the schema enum are converted by value.
  EXPECT_EQ(KILN_F32, static_cast<int>(DType::F32));
  EXPECT_EQ(KILN_F16, static_cast<int>(DType::F16));
  EXPECT_EQ(KILN_BF16, static_cast<int>(DType::BF16));
  EXPECT_EQ(KILN_I8, static_cast<int>(DType::I8));
  EXPECT_EQ(KILN_I32, static_cast<int>(DType::I32));
}

//===----------------------------------------------------------------------===//
// The C API's argument handling
//===----------------------------------------------------------------------===//

TEST(RuntimeApi, FreeNullIsNoOp) { kiln_model_free(nullptr); }

TEST(RuntimeApi, UsableFromC99) {
  std::vector<uint8_t> bytes = buildArtifact(reference());
  float y[4] = {}, z[4] = {};
  char error[256] = "";
  ASSERT_EQ(kiln_test_run_from_c(bytes.data(), bytes.size(), y, z, error,
                                 sizeof error),
            0)
      << error;
  const float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(y[i], 2.0f * ((a[i] + kRefW[i]) + b[i])) << i;
    EXPECT_EQ(z[i], b[i] + kRefV[i]) << i;
  }
}

TEST(RuntimeApi, QueriesOnNullModel) {
  EXPECT_STREQ(kiln_model_name(nullptr), "");
  EXPECT_EQ(kiln_model_num_inputs(nullptr), 0u);
  EXPECT_EQ(kiln_model_num_outputs(nullptr), 0u);
  EXPECT_EQ(kiln_model_arena_size(nullptr), 0u);
  kiln_tensor_info info;
  EXPECT_EQ(kiln_model_input_info(nullptr, 0, &info), KILN_ERROR_ARGUMENT);
  EXPECT_EQ(kiln_model_output_info(nullptr, 0, &info), KILN_ERROR_ARGUMENT);
}

TEST(RuntimeApi, NullLoadArguments) {
  std::vector<uint8_t> bytes = buildArtifact(reference());
  char error[256];
  kiln_model *model = nullptr;
  EXPECT_EQ(kiln_model_load_bytes(bytes.data(), bytes.size(), nullptr, error,
                                  sizeof error),
            KILN_ERROR_ARGUMENT);
  EXPECT_NE(std::string(error).find("out-pointer is NULL"), std::string::npos)
      << error;
  EXPECT_EQ(kiln_model_load_bytes(nullptr, 100, &model, error, sizeof error),
            KILN_ERROR_ARGUMENT);
  EXPECT_NE(std::string(error).find("data is NULL"), std::string::npos)
      << error;
  EXPECT_EQ(model, nullptr);
  EXPECT_EQ(kiln_model_load_file(nullptr, &model, error, sizeof error),
            KILN_ERROR_ARGUMENT);
  EXPECT_NE(std::string(error).find("path is NULL"), std::string::npos)
      << error;
  EXPECT_EQ(kiln_model_load_file("x.kmod", nullptr, error, sizeof error),
            KILN_ERROR_ARGUMENT);
  // No message buffer at all is allowed; NULL and 0 is an empty artifact.
  EXPECT_EQ(kiln_model_load_bytes(nullptr, 0, &model, nullptr, 0),
            KILN_ERROR_FORMAT);
}

TEST(RuntimeApi, NullRunArguments) {
  LoadResult r = load(reference());
  ASSERT_EQ(r.status, KILN_OK) << r.message;
  kiln_model *m = r.model.get();
  RefBuffers buf;
  char error[256];

  EXPECT_EQ(kiln_model_run(nullptr, buf.inputs, buf.outputs, error,
                           sizeof error),
            KILN_ERROR_ARGUMENT);
  EXPECT_NE(std::string(error).find("model is NULL"), std::string::npos);

  EXPECT_EQ(kiln_model_run(m, nullptr, buf.outputs, error, sizeof error),
            KILN_ERROR_ARGUMENT);
  EXPECT_NE(std::string(error).find("inputs array is NULL"), std::string::npos)
      << error;

  EXPECT_EQ(kiln_model_run(m, buf.inputs, nullptr, error, sizeof error),
            KILN_ERROR_ARGUMENT);
  EXPECT_NE(std::string(error).find("outputs array is NULL"),
            std::string::npos)
      << error;

  const void *oneMissing[2] = {buf.a, nullptr};
  EXPECT_EQ(kiln_model_run(m, oneMissing, buf.outputs, error, sizeof error),
            KILN_ERROR_ARGUMENT);
  EXPECT_NE(std::string(error).find("input 1 ('b') is NULL"),
            std::string::npos)
      << error;

  void *outMissing[2] = {nullptr, buf.z};
  EXPECT_EQ(kiln_model_run(m, buf.inputs, outMissing, error, sizeof error),
            KILN_ERROR_ARGUMENT);
  EXPECT_NE(std::string(error).find("output 0 ('y') is NULL"),
            std::string::npos)
      << error;
  // Nothing ran: the outputs are untouched.
  EXPECT_EQ(buf.z[0], -1.0f);
}

TEST(RuntimeApi, MisalignedBufferRefused) {
  LoadResult r = load(reference());
  ASSERT_EQ(r.status, KILN_OK) << r.message;
  alignas(64) unsigned char storage[64] = {};
  RefBuffers buf;
  buf.outputs[1] = storage + 1;
  char error[256];
  EXPECT_EQ(kiln_model_run(r.model.get(), buf.inputs, buf.outputs, error,
                           sizeof error),
            KILN_ERROR_ARGUMENT);
  EXPECT_NE(std::string(error).find("output 1 ('z') is not aligned to its "
                                    "4-byte f32 elements"),
            std::string::npos)
      << error;
}

TEST(RuntimeApi, OverlappingBuffersRefused) {
  LoadResult r = load(reference());
  ASSERT_EQ(r.status, KILN_OK) << r.message;
  char error[256];
  {
    // In place: y written over input a.
    RefBuffers buf;
    buf.outputs[0] = buf.a;
    EXPECT_EQ(kiln_model_run(r.model.get(), buf.inputs, buf.outputs, error,
                             sizeof error),
              KILN_ERROR_ARGUMENT);
    EXPECT_STREQ(error, "output 0 ('y') overlaps input 0 ('a'); every "
                        "output needs a buffer of its own");
    EXPECT_EQ(buf.a[0], 1.0f); // nothing ran
  }
  {
    // Partly: z starts inside y.
    RefBuffers buf;
    buf.outputs[1] = buf.y + 2;
    EXPECT_EQ(kiln_model_run(r.model.get(), buf.inputs, buf.outputs, error,
                             sizeof error),
              KILN_ERROR_ARGUMENT);
    EXPECT_STREQ(error, "output 1 ('z') overlaps output 0 ('y'); every "
                        "output needs a buffer of its own");
  }
  {
    // Two inputs may share a buffer: both are only read.
    RefBuffers buf;
    buf.inputs[1] = buf.a;
    EXPECT_EQ(kiln_model_run(r.model.get(), buf.inputs, buf.outputs, error,
                             sizeof error),
              KILN_OK)
        << error;
  }
}

TEST(RuntimeApi, MessagesTruncateSafely) {
  std::vector<uint8_t> junk(3, 0);
  kiln_model *model = nullptr;
  for (size_t size : {size_t{1}, size_t{2}, size_t{10}}) {
    char error[16];
    std::memset(error, 'x', sizeof error);
    EXPECT_EQ(kiln_model_load_bytes(junk.data(), junk.size(), &model, error,
                                    size),
              KILN_ERROR_FORMAT);
    // size - 1 characters and a NUL; nothing written past `size`.
    EXPECT_EQ(std::strlen(error), size - 1);
    EXPECT_EQ(error[size], 'x');
  }
  char untouched = 'x';
  EXPECT_EQ(kiln_model_load_bytes(junk.data(), junk.size(), &model,
                                  &untouched, 0),
            KILN_ERROR_FORMAT);
  EXPECT_EQ(untouched, 'x');
  EXPECT_EQ(kiln_model_load_bytes(junk.data(), junk.size(), &model, nullptr,
                                  0),
            KILN_ERROR_FORMAT);
}

//===----------------------------------------------------------------------===//
// Damaged bytes
//===----------------------------------------------------------------------===//

/// After a damaged artifact loaded (the damage hit bytes nothing checks, or
/// swapped in other valid values), running it must stay within the caller's
/// buffers; every buffer of the reference model is 16 bytes, so any
/// surviving plan is memory-safe.
void runSurvivor(kiln_model *model) {
  RefBuffers buf;
  EXPECT_EQ(kiln_model_run(model, buf.inputs, buf.outputs, nullptr, 0),
            KILN_OK);
}

TEST(RuntimeBadInput, TruncatedAtEveryLength) {
  std::vector<uint8_t> full = buildArtifact(reference());
  size_t firstSurvivor = full.size();
  for (size_t cut = 0; cut < full.size(); ++cut) {
    std::vector<uint8_t> bytes(full.begin(), full.begin() + cut);
    LoadResult r = loadBytes(bytes);
    if (r.status == KILN_OK) {
      firstSurvivor = std::min(firstSurvivor, cut);
      runSurvivor(r.model.get());
      continue;
    }
    ASSERT_EQ(r.status, KILN_ERROR_FORMAT) << "cut at " << cut << ": "
                                           << r.message;
  }
  testing::Test::RecordProperty("artifact_bytes", std::to_string(full.size()));
  testing::Test::RecordProperty("shortest_loading_cut",
                                std::to_string(firstSurvivor));
  // Only the builder's trailing alignment padding may go unnoticed.
  EXPECT_GE(firstSurvivor + 8, full.size())
      << "an artifact cut to " << firstSurvivor << " of " << full.size()
      << " bytes still loaded";
}

void flipEveryByte(uint8_t mask, size_t &survivors) {
  std::vector<uint8_t> good = buildArtifact(reference());
  survivors = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    std::vector<uint8_t> bytes = good;
    bytes[i] ^= mask;
    LoadResult r = loadBytes(bytes);
    if (r.status == KILN_OK) {
      ++survivors;
      runSurvivor(r.model.get());
      continue;
    }
    // A flip in the target string is a platform mismatch, and so is one
    // that makes the arena larger than the host can map; anything else is
    // a format error (code damage included: the code hash catches it before
    // the system loader sees the code).
    bool platform = r.status == KILN_ERROR_PLATFORM &&
                    (r.message.find("target") != std::string::npos ||
                     r.message.find("byte arena") != std::string::npos);
    ASSERT_TRUE(r.status == KILN_ERROR_FORMAT || platform)
        << "byte " << i << " ^ " << int{mask} << ": status " << r.status
        << ": " << r.message;
  }
}

TEST(RuntimeBadInput, EveryByteInverted) {
  size_t survivors;
  flipEveryByte(0xFF, survivors);
  RecordProperty("loaded_after_flip", std::to_string(survivors));
  // The 128 weight bytes plus names and padding; far fewer than the total.
  EXPECT_LT(survivors, 1000u);
}

TEST(RuntimeBadInput, EveryLowBitFlipped) {
  size_t survivors;
  flipEveryByte(0x01, survivors);
  RecordProperty("loaded_after_flip", std::to_string(survivors));
  EXPECT_LT(survivors, 1000u);
}

TEST(RuntimeBadInput, TooSmall) {
  LoadResult r = loadBytes({});
  EXPECT_EQ(r.status, KILN_ERROR_FORMAT);
  EXPECT_NE(r.message.find("0 bytes"), std::string::npos) << r.message;
  r = loadBytes({1, 2, 3});
  EXPECT_EQ(r.status, KILN_ERROR_FORMAT);
  EXPECT_NE(r.message.find("3 bytes; a .kmod has at least 8"),
            std::string::npos)
      << r.message;
}

TEST(RuntimeBadInput, WrongFileIdentifier) {
  ArtifactSpec spec = reference();
  spec.identifier = "ONNX";
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"wrong file identifier", "expected \"KMOD\"",
                   "found \"ONNX\""});
  spec.identifier = std::string("K\x01\nD", 4);
  expectLoadError(spec, KILN_ERROR_FORMAT, {"found \"K\\x01\\x0aD\""});
}

TEST(RuntimeBadInput, CorruptStructure) {
  std::vector<uint8_t> bytes = buildArtifact(reference());
  // The root offset points past the end.
  bytes[0] = bytes[1] = bytes[2] = 0xFF;
  bytes[3] = 0x7F;
  LoadResult r = loadBytes(bytes);
  EXPECT_EQ(r.status, KILN_ERROR_FORMAT);
  EXPECT_NE(r.message.find("corrupt or truncated"), std::string::npos)
      << r.message;
}

TEST(RuntimeBadInput, WrongVersion) {
  ArtifactSpec spec = reference();
  spec.version = 3; // before artifacts recorded arg sizes
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"unsupported format version 3", "reads version 4"});
  spec.version = 5;
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"unsupported format version 5", "reads version 4"});
  spec.version = 0;
  expectLoadError(spec, KILN_ERROR_FORMAT, {"unsupported format version 0"});
}

TEST(RuntimeBadInput, ParamOutsideWeights) {
  ArtifactSpec spec = reference();
  spec.buffers[2].offset = 4096;
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"buffer 2: weights range [4096, 4112) is outside the "
                   "128-byte weights"});
  spec = reference();
  spec.buffers[2].size = 65; // [64, 129)
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"buffer 2: weights range [64, 129)"});
}

TEST(RuntimeBadInput, ArenaOutsideArena) {
  ArtifactSpec spec = reference();
  spec.buffers[5].offset = 4096;
  spec.buffers[5].size = 4096;
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"buffer 5: arena range [4096, 8192) is outside the "
                   "128-byte arena"});
}

TEST(RuntimeBadInput, RangeOverflow) {
  // offset + size wraps around 2^64; the check must not.
  ArtifactSpec spec = reference();
  spec.buffers[4].offset = UINT64_MAX - 63;
  spec.buffers[4].size = 128;
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"buffer 4: arena range [18446744073709551552, "
                   "18446744073709551552 + 128)"});
}

TEST(RuntimeBadInput, MisalignedOffset) {
  ArtifactSpec spec = reference();
  spec.buffers[3].offset = 4;
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"buffer 3: weights offset 4 is not a multiple of 64"});
}

TEST(RuntimeBadInput, MisalignedWeights) {
  ArtifactSpec spec = reference();
  spec.misalignWeights = true;
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"the weights start at byte", "not at a multiple of 64"});
}

// flatbuffers' Verifier checks only a vector's length for alignment; the
// int64 dimensions behind it are kiln's to check (found by fuzzing).
TEST(RuntimeBadInput, MisalignedShape) {
  ArtifactSpec spec = reference();
  spec.misalignFirstInputShape = true;
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"input 0 ('a'): the dimensions of its shape start at byte",
                   "not at a multiple of 8 (the file is corrupt)"});
}

TEST(RuntimeBadInput, InputIndexOutOfRange) {
  ArtifactSpec spec = reference();
  spec.buffers[1].index = 2;
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"buffer 1: input index 2 is out of range; the model has "
                   "2 inputs"});
}

TEST(RuntimeBadInput, BufferSizeDiffersFromSignature) {
  ArtifactSpec spec = reference();
  spec.buffers[7].size = 32;
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"buffer 7: size 32 differs from the 16-byte output 1 "
                   "('z', F32 [2, 2])"});
}

TEST(RuntimeBadInput, UnknownBufferKind) {
  ArtifactSpec spec = reference();
  spec.buffers[0].kind = static_cast<BufferKind>(9);
  expectLoadError(spec, KILN_ERROR_FORMAT, {"buffer 0: unknown kind 9"});
}

TEST(RuntimeBadInput, EmptyTensorName) {
  ArtifactSpec spec = reference();
  spec.outputs[1].name = "";
  expectLoadError(spec, KILN_ERROR_FORMAT, {"output 1: the name is empty"});
}

TEST(RuntimeBadInput, TensorNameWithNul) {
  // Through the C API this name would read as "" (found by fuzzing).
  ArtifactSpec spec = reference();
  spec.inputs[1].name = std::string("\0b", 2);
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"input 1 ('\\x00b'): the name contains a NUL byte"});
}

TEST(RuntimeBadInput, RankAboveEight) {
  ArtifactSpec spec = reference();
  spec.params[0].shape = {1, 1, 1, 1, 1, 1, 1, 1, 4};
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"param 0 ('v'): rank 9 exceeds the maximum of 8"});
}

TEST(RuntimeBadInput, NegativeDimension) {
  ArtifactSpec spec = reference();
  spec.inputs[1].shape = {2, -2};
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"input 1 ('b'): dimension 1 of shape [2, -2] is "
                   "negative"});
}

TEST(RuntimeBadInput, ByteSizeOverflow) {
  ArtifactSpec spec = reference();
  spec.inputs[0].shape = {INT64_MAX / 2, 3};
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"input 0 ('a'): the byte size of shape", "overflows"});
}

TEST(RuntimeBadInput, UnknownDType) {
  ArtifactSpec spec = reference();
  spec.inputs[0].dtype = static_cast<DType>(17);
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"input 0 ('a'): unknown dtype 17"});
}

TEST(RuntimeBadInput, NamesAreEscapedInMessages) {
  ArtifactSpec spec = reference();
  spec.inputs[0].name = std::string("a\n\x7f") + std::string(200, 'q');
  spec.inputs[0].shape = {-1};
  LoadResult r = load(spec);
  EXPECT_EQ(r.status, KILN_ERROR_FORMAT);
  EXPECT_NE(r.message.find("'a\\x0a\\x7fqqq"), std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("q...'"), std::string::npos) << r.message;
}

TEST(RuntimeBadInput, StepArgOutOfRange) {
  ArtifactSpec spec = reference();
  spec.steps[2].args[1] = 8;
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"step 2 (kernel 1, 'scale_f32_4'): arg 1 is buffer 8, out "
                   "of range; the module has 8 buffers"});
}

TEST(RuntimeBadInput, StepKernelOutOfRange) {
  ArtifactSpec spec = reference();
  spec.steps[0].kernel = 2;
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"step 0: kernel index 2 is out of range; the module has 2 "
                   "kernels"});
}

TEST(RuntimeBadInput, StepArgCountDiffersFromKernel) {
  ArtifactSpec spec = reference();
  spec.steps[1].args.push_back(5);
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"step 1 (kernel 0, 'add_f32_4'): 4 args",
                   "the kernel takes 3"});
}

TEST(RuntimeBadInput, StepArgSmallerThanKernelUses) {
  // A kernel that reads or writes 32 bytes through an arg must not be given
  // a 16-byte buffer: it would run past it.
  ArtifactSpec spec = reference();
  spec.kernels[0].argSizes = {16, 16, 32};
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"step 0 (kernel 0, 'add_f32_4'): arg 2 is buffer 4 of 16 "
                   "bytes; the kernel uses 32"});
}

TEST(RuntimeBadInput, StepWritesInputOrParam) {
  // The last arg is the kernel's output: never the caller's input or the
  // weights.
  ArtifactSpec spec = reference();
  spec.steps[0].args = {0, 2, 1};
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"step 0 (kernel 0, 'add_f32_4'): arg 2 is written, but "
                   "buffer 1 is an input"});
  spec = reference();
  spec.steps[0].args = {0, 2, 3};
  expectLoadError(spec, KILN_ERROR_FORMAT, {"buffer 3 is a parameter"});
  spec = reference();
  spec.kernels[0].numOutputs = 0;
  expectLoadError(spec, KILN_ERROR_FORMAT, {"0 of its 3 args are outputs"});
}

TEST(RuntimeBadInput, KernelSymbolTwice) {
  ArtifactSpec spec = reference();
  spec.kernels[1].symbol = spec.kernels[0].symbol;
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"kernel 1: symbol 'add_f32_4' is named by an earlier kernel "
                   "too"});
}

TEST(RuntimeBadInput, WeightsHashMismatch) {
  // A flipped weight would give wrong answers and no error.
  ArtifactSpec spec = reference();
  spec.weights[5] ^= 0x10;
  spec.weightsHash = kiln::rt::weightsHash(reference().weights.data(),
                                           reference().weights.size());
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"weights hash mismatch", "the weights are corrupt"});
}

TEST(RuntimeBadInput, IndexRangeOnFloatInput) {
  ArtifactSpec spec = reference();
  spec.inputs[0].indexRange = 7;
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"index range 7 is negative or on a non-integer tensor"});
}

TEST(RuntimeBadInput, NoSteps) {
  ArtifactSpec spec = reference();
  spec.steps.clear();
  expectLoadError(spec, KILN_ERROR_FORMAT, {"the module has no steps"});
}

TEST(RuntimeBadInput, OutputNeverWritten) {
  ArtifactSpec spec = reference();
  spec.steps.pop_back(); // the step that wrote z
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"output 1 ('z') is never written"});
}

TEST(RuntimeBadInput, MissingKernelSymbol) {
  ArtifactSpec spec = reference();
  spec.kernels[1].symbol = "softmax_f32_4";
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"kernel 1: symbol 'softmax_f32_4' is not defined by the "
                   "artifact's code"});
}

TEST(RuntimeBadInput, SymbolOfADependencyRefused) {
  // dlsym would find libc's free through the code's dependencies.
  ArtifactSpec spec = reference();
  spec.kernels[1].symbol = "free";
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"kernel 1: symbol 'free' is not defined"});
}

TEST(RuntimeBadInput, EmptyOrTruncatedSymbol) {
  ArtifactSpec spec = reference();
  spec.kernels[0].symbol = "";
  expectLoadError(spec, KILN_ERROR_FORMAT, {"kernel 0: the symbol is empty"});
  spec.kernels[0].symbol = std::string("add_f32_4\0x", 11);
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"kernel 0: symbol 'add_f32_4\\x00x' contains a NUL byte"});
}

TEST(RuntimeBadInput, CodeHashMismatch) {
  ArtifactSpec spec = reference();
  spec.codeHash = 0;
  expectLoadError(spec, KILN_ERROR_FORMAT,
                  {"code hash mismatch: the artifact records "
                   "0x0000000000000000",
                   "the code is corrupt"});
}

TEST(RuntimeBadInput, CodeTheLoaderRefuses) {
  // Bytes with a matching hash that are no ELF object: dlopen's own error.
  ArtifactSpec spec = reference();
  spec.code.assign(256, 0x5A);
  LoadResult r = load(spec);
  EXPECT_EQ(r.status, KILN_ERROR_PLATFORM);
  EXPECT_NE(r.message.find("cannot load the artifact's 256-byte code"),
            std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("/proc/self/fd/"), std::string::npos)
      << "dlerror()'s text is expected: " << r.message;
}

TEST(RuntimeBadInput, EmptyCode) {
  ArtifactSpec spec = reference();
  spec.code.clear();
  expectLoadError(spec, KILN_ERROR_FORMAT, {"the code is empty"});
}

TEST(RuntimeBadInput, WrongTarget) {
  ArtifactSpec spec = reference();
  spec.target = "nvptx-cuda";
  expectLoadError(spec, KILN_ERROR_PLATFORM,
                  {"the artifact's code is for target 'nvptx-cuda'",
                   "runs 'x86_64-cpu'"});
}

TEST(RuntimeBadInput, ArenaTooLargeForTheHost) {
  // Verifies (the buffers lie inside), but no host maps 2^62 bytes.
  ArtifactSpec spec = reference();
  spec.arenaSize = uint64_t{1} << 62;
  LoadResult r = load(spec);
  EXPECT_EQ(r.status, KILN_ERROR_PLATFORM);
  EXPECT_NE(r.message.find("cannot allocate the 4611686018427387904-byte "
                           "arena"),
            std::string::npos)
      << r.message;
}

TEST(RuntimeBadInput, MissingFile) {
  std::string path = tempPath("does-not-exist.kmod");
  LoadResult r = loadFile(path);
  EXPECT_EQ(r.status, KILN_ERROR_IO);
  EXPECT_NE(r.message.find("cannot open '" + path + "'"), std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("No such file"), std::string::npos) << r.message;
}

TEST(RuntimeBadInput, DirectoryInsteadOfFile) {
  LoadResult r = loadFile(testing::TempDir());
  EXPECT_EQ(r.status, KILN_ERROR_IO);
  EXPECT_NE(r.message.find("is a directory"), std::string::npos) << r.message;
}

TEST(RuntimeBadInput, UnreadableFile) {
  if (geteuid() == 0)
    GTEST_SKIP() << "root reads files regardless of their mode";
  std::string path = tempPath("unreadable.kmod");
  writeFile(path, buildArtifact(reference()));
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  LoadResult r = loadFile(path);
  EXPECT_EQ(r.status, KILN_ERROR_IO);
  EXPECT_NE(r.message.find("Permission denied"), std::string::npos)
      << r.message;
  std::remove(path.c_str());
}

TEST(RuntimeBadInput, FifoWithoutWriterDoesNotHang) {
  std::string path = tempPath("fifo.kmod");
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0) << std::strerror(errno);
  LoadResult r = loadFile(path);
  EXPECT_EQ(r.status, KILN_ERROR_FORMAT);
  EXPECT_NE(r.message.find("the artifact is 0 bytes"), std::string::npos)
      << r.message;
  std::remove(path.c_str());
}

TEST(RuntimeBadInput, EmptyAndDamagedFiles) {
  std::string path = tempPath("damaged.kmod");
  writeFile(path, {});
  LoadResult r = loadFile(path);
  EXPECT_EQ(r.status, KILN_ERROR_FORMAT);
  EXPECT_NE(r.message.find("'" + path + "': the artifact is 0 bytes"),
            std::string::npos)
      << r.message;

  ArtifactSpec spec = reference();
  spec.version = 7;
  writeFile(path, buildArtifact(spec));
  r = loadFile(path);
  EXPECT_EQ(r.status, KILN_ERROR_FORMAT);
  EXPECT_NE(r.message.find("'" + path + "': unsupported format version 7"),
            std::string::npos)
      << r.message;
  std::remove(path.c_str());
}

} // namespace
