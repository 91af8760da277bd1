//===- CheckpointTest.cpp - Training checkpoints --------------------------===//
//
// A checkpoint must come back exactly as saved, its bytes must follow the
// format documented in Checkpoint.h, every damaged file (cut anywhere, any
// byte flipped) must be refused with a message naming the path, and a
// failed save must leave the previous checkpoint as it was.
//
//===----------------------------------------------------------------------===//
#include "TempDir.h"
#include "kiln/tools/Checkpoint.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

using namespace kiln;
using namespace kiln::test;

namespace {

HostTensor filled(DType dtype, Shape shape, double start) {
  HostTensor t(dtype, std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i)
    t.set(i, start + i);
  return t;
}

/// Parameters and Adam state of a small dense layer, and one of each dtype.
Checkpoint sample() {
  Checkpoint c;
  c.model = "fashion_mlp";
  c.counters = {{"step", 1234}, {"epoch", 3}, {"negative", -5}};
  c.tensors.emplace("dense0.w", filled(DType::F32, {4, 3}, 0.5));
  c.tensors.emplace("dense0.w.m", filled(DType::F32, {4, 3}, -1));
  c.tensors.emplace("dense0.b", filled(DType::F32, {3}, 7));
  c.tensors.emplace("adam.beta1_power", filled(DType::F32, {}, 0.9));
  c.tensors.emplace("half", filled(DType::F16, {2, 2}, 1));
  c.tensors.emplace("brain", filled(DType::BF16, {3}, 2));
  c.tensors.emplace("bytes", filled(DType::I8, {5}, -2));
  c.tensors.emplace("ids", filled(DType::I32, {2, 1, 2}, 100));
  c.tensors.emplace("empty", HostTensor(DType::F32, {0, 5}));
  return c;
}

void expectSame(const Checkpoint &a, const Checkpoint &b) {
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.counters, b.counters);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto &[name, t] : a.tensors) {
    auto it = b.tensors.find(name);
    ASSERT_NE(it, b.tensors.end()) << name;
    EXPECT_EQ(it->second.dtype(), t.dtype()) << name;
    EXPECT_EQ(it->second.shape(), t.shape()) << name;
    EXPECT_EQ(std::memcmp(it->second.data(), t.data(), t.byteSize()), 0)
        << name;
  }
}

std::string le(uint64_t v, int bytes) {
  std::string s;
  for (int i = 0; i < bytes; ++i)
    s.push_back((char)(v >> (8 * i)));
  return s;
}

uint32_t crcOf(const std::string &s, size_t n) {
  return (uint32_t)crc32(0, (const Bytef *)s.data(), (uInt)n);
}

/// The bytes of a valid checkpoint, for tests that damage them.
std::string sampleBytes(const TempDir &dir) {
  std::string path = dir.file("sample.ckpt"), error;
  EXPECT_TRUE(saveCheckpoint(path, sample(), error)) << error;
  return slurp(path);
}

TensorSpec spec(const std::string &name, DType dtype, const Shape &shape) {
  TensorSpec s;
  s.name = name;
  s.dtype = dtype;
  s.shape = shape;
  return s;
}

std::vector<TensorSpec> specsOf(const Checkpoint &c) {
  std::vector<TensorSpec> specs;
  for (const auto &[name, t] : c.tensors)
    specs.push_back(spec(name, t.dtype(), t.shape()));
  return specs;
}

} // namespace

TEST(CheckpointTest, RoundTrips) {
  TempDir dir;
  std::string path = dir.file("run.ckpt"), error;
  Checkpoint saved = sample();
  ASSERT_TRUE(saveCheckpoint(path, saved, error)) << error;
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"run.ckpt"});
  Checkpoint back;
  ASSERT_TRUE(loadCheckpoint(path, back, error)) << error;
  expectSame(saved, back);

  // The same state gives the same bytes; a new save replaces the old.
  std::string first = slurp(path);
  ASSERT_TRUE(saveCheckpoint(path, back, error)) << error;
  EXPECT_EQ(slurp(path), first);
  back.counters["step"] = 1235;
  ASSERT_TRUE(saveCheckpoint(path, back, error)) << error;
  Checkpoint later;
  ASSERT_TRUE(loadCheckpoint(path, later, error)) << error;
  EXPECT_EQ(later.counters.at("step"), 1235);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"run.ckpt"});

  // Nothing at all is a checkpoint too.
  ASSERT_TRUE(saveCheckpoint(path, Checkpoint(), error)) << error;
  ASSERT_TRUE(loadCheckpoint(path, later, error)) << error;
  expectSame(Checkpoint(), later);
}

TEST(CheckpointTest, BytesFollowTheDocumentedFormat) {
  TempDir dir;
  std::string path = dir.file("tiny.ckpt"), error;
  Checkpoint c;
  c.model = "linreg";
  c.counters = {{"step", 7}};
  HostTensor w(DType::I32, {2});
  w.as<int32_t>()[0] = 1;
  w.as<int32_t>()[1] = -2;
  c.tensors.emplace("w", w);
  ASSERT_TRUE(saveCheckpoint(path, c, error)) << error;

  std::string body = le(6, 4) + "linreg" + le(1, 4) + le(4, 4) + "step" +
                     le(7, 8) + le(1, 4) + le(1, 4) + "w" + le(4, 1) +
                     le(1, 1) + le(2, 8) + le(1, 4) + le((uint32_t)-2, 4);
  std::string header = "KILNCKPT" + le(1, 4) + le(24 + body.size() + 4, 8);
  header += le(crcOf(header, 20), 4);
  std::string want = header + body;
  want += le(crcOf(want, want.size()), 4);
  EXPECT_EQ(slurp(path), want);
}

TEST(CheckpointTest, ErrorsNameThePath) {
  TempDir dir;
  Checkpoint out = sample();
  std::string error, missing = dir.file("missing.ckpt");
  EXPECT_FALSE(loadCheckpoint(missing, out, error));
  EXPECT_EQ(error, missing + ": cannot open: No such file or directory");

  std::string text = dir.file("notes.txt");
  spit(text, "step 1234, loss 0.25\n");
  EXPECT_FALSE(loadCheckpoint(text, out, error));
  EXPECT_EQ(error, text + ": not a kiln checkpoint (it does not start with "
                          "\"KILNCKPT\")");
  // A failed load leaves the checkpoint as it was.
  expectSame(sample(), out);

  std::string path = dir.file("future.ckpt");
  std::string bytes = sampleBytes(dir);
  bytes[8] = 2;
  spit(path, bytes);
  EXPECT_FALSE(loadCheckpoint(path, out, error));
  EXPECT_EQ(error, path + ": unsupported checkpoint version 2 (this kiln "
                          "reads version 1)");
}

TEST(CheckpointTest, RefusesEveryTruncation) {
  TempDir dir;
  std::string bytes = sampleBytes(dir), error;
  Checkpoint out;
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(parseCheckpoint(bytes.data(), n, out, error)) << n;
    EXPECT_EQ(error.rfind("truncated: ", 0), 0u) << "cut at " << n << ": "
                                                 << error;
  }
  // A few through files, for the whole message.
  std::string path = dir.file("cut.ckpt");
  for (size_t n : {size_t(0), size_t(5), size_t(23), size_t(100),
                   bytes.size() - 1}) {
    spit(path, bytes.substr(0, n));
    EXPECT_FALSE(loadCheckpoint(path, out, error));
    std::string want =
        n < 24 ? path + ": truncated: " + std::to_string(n) +
                     " bytes, less than the 24-byte header"
               : path + ": truncated: expected " +
                     std::to_string(bytes.size()) + " bytes, got " +
                     std::to_string(n);
    EXPECT_EQ(error, want);
  }
  spit(path, bytes + "x");
  EXPECT_FALSE(loadCheckpoint(path, out, error));
  EXPECT_EQ(error, path + ": corrupt: 1 unexpected bytes after the " +
                       std::to_string(bytes.size()) +
                       " bytes the header declares");
}

TEST(CheckpointTest, RefusesEveryFlippedByte) {
  TempDir dir;
  std::string bytes = sampleBytes(dir), error;
  Checkpoint out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] ^= 0x10;
    EXPECT_FALSE(parseCheckpoint(bad.data(), bad.size(), out, error)) << i;
    const char *want = i < 8    ? "not a kiln checkpoint"
                       : i < 12 ? "unsupported checkpoint version"
                       : i < 24 ? "corrupt: header checksum mismatch"
                                : "corrupt: checksum mismatch";
    EXPECT_EQ(error.rfind(want, 0), 0u) << "byte " << i << ": " << error;
  }
  std::string path = dir.file("flipped.ckpt");
  std::string bad = bytes;
  bad[bytes.size() / 2] ^= 1;
  spit(path, bad);
  EXPECT_FALSE(loadCheckpoint(path, out, error));
  char want[128];
  std::snprintf(want, sizeof want,
                ": corrupt: checksum mismatch (stored 0x%08x, computed 0x%08x)",
                crcOf(bytes, bytes.size() - 4), crcOf(bad, bad.size() - 4));
  EXPECT_EQ(error, path + want);
}

TEST(CheckpointTest, ChecksModelAndTensors) {
  Checkpoint c = sample();
  std::vector<TensorSpec> specs = specsOf(c);
  std::string error, path = "runs/a.ckpt";
  EXPECT_TRUE(checkCheckpoint(c, path, "fashion_mlp", specs, false, error))
      << error;

  EXPECT_FALSE(checkCheckpoint(c, path, "cnn", specs, false, error));
  EXPECT_EQ(error, "checkpoint runs/a.ckpt is for model 'fashion_mlp', not "
                   "'cnn'");

  std::vector<TensorSpec> more = specs;
  more.push_back(spec("dense1.w", DType::F32, {128, 10}));
  EXPECT_FALSE(checkCheckpoint(c, path, "fashion_mlp", more, false, error));
  EXPECT_EQ(error, "checkpoint runs/a.ckpt has no tensor 'dense1.w' "
                   "(expected f32 [128, 10])");

  std::vector<TensorSpec> wrong = specs;
  for (TensorSpec &s : wrong)
    if (s.name == "dense0.w")
      s.shape = {784, 3};
  EXPECT_FALSE(checkCheckpoint(c, path, "fashion_mlp", wrong, false, error));
  EXPECT_EQ(error, "checkpoint runs/a.ckpt: tensor 'dense0.w' is f32 [4, 3], "
                   "expected f32 [784, 3]");
  for (TensorSpec &s : wrong)
    if (s.name == "ids")
      s.dtype = DType::F32;
  EXPECT_FALSE(checkCheckpoint(c, path, "fashion_mlp", wrong, false, error));
  EXPECT_EQ(error, "checkpoint runs/a.ckpt: tensor 'dense0.w' is f32 [4, 3], "
                   "expected f32 [784, 3] (and 1 more problem)");

  // Only the parameters: the optimizer state is extra.
  std::vector<TensorSpec> params = {spec("dense0.w", DType::F32, {4, 3}),
                                    spec("dense0.b", DType::F32, {3})};
  EXPECT_TRUE(checkCheckpoint(c, path, "fashion_mlp", params, true, error))
      << error;
  EXPECT_FALSE(checkCheckpoint(c, path, "fashion_mlp", params, false, error));
  EXPECT_EQ(error, "checkpoint runs/a.ckpt has an unexpected tensor "
                   "'adam.beta1_power' (f32 []) (and 6 more problems)");
}

TEST(CheckpointTest, FailedSaveKeepsTheOldCheckpoint) {
  TempDir dir;
  std::string path = dir.file("run.ckpt"), error;
  Checkpoint old = sample();
  ASSERT_TRUE(saveCheckpoint(path, old, error)) << error;
  std::string oldBytes = slurp(path);

  // A write that fails part way (the disk fills up), even for root: a
  // child process limited to files of 100 bytes.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {100, 100};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    Checkpoint next = sample();
    next.counters["step"] = 9999;
    std::string childError;
    bool saved = saveCheckpoint(path, next, childError);
    bool named = childError.rfind("cannot write '" + path + "': ", 0) == 0 &&
                 childError.find("File too large") != std::string::npos;
    ::_exit(saved ? 1 : named ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the save succeeded, 2: its "
                                       "message does not name the path";
  EXPECT_EQ(slurp(path), oldBytes);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"run.ckpt"});

  // A directory that cannot be written (root writes anywhere: skip then).
  if (::geteuid() != 0) {
    ASSERT_EQ(::chmod(dir.path().c_str(), 0500), 0);
    EXPECT_FALSE(saveCheckpoint(path, sample(), error));
    EXPECT_EQ(error.rfind("cannot write '" + path + "': ", 0), 0u) << error;
    ::chmod(dir.path().c_str(), 0700);
    EXPECT_EQ(slurp(path), oldBytes);
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"run.ckpt"});
  }

  std::string missing = dir.file("no/such/dir/run.ckpt");
  EXPECT_FALSE(saveCheckpoint(missing, old, error));
  EXPECT_EQ(error.rfind("cannot write '" + missing + "': ", 0), 0u) << error;
  EXPECT_NE(error.find("No such file or directory"), std::string::npos)
      << error;
}

// A checksum only catches accidents: a file with a damaged body and a CRC to
// match must still be refused (or read) without reading out of bounds.
TEST(CheckpointTest, SurvivesCraftedBodies) {
  TempDir dir;
  std::string bytes = sampleBytes(dir), error;
  Checkpoint out;
  int refused = 0;
  for (size_t i = 24; i + 4 < bytes.size(); ++i)
    for (uint8_t v : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::string bad = bytes;
      bad[i] = (char)v;
      bad.replace(bad.size() - 4, 4, le(crcOf(bad, bad.size() - 4), 4));
      if (parseCheckpoint(bad.data(), bad.size(), out, error))
        continue;
      ++refused;
      EXPECT_EQ(error.rfind("corrupt: ", 0), 0u) << "byte " << i << ": "
                                                 << error;
    }
  EXPECT_GT(refused, 0);
}
