//===- ThreadingTest.cpp - The thread pool and multi-threaded runs --------===//
//
// The pool on its own (every workgroup of every job runs exactly once, at
// the same time on the caller and the workers, whether they were spinning
// or asleep), then models whose kernels split into
// workgroups, through the C API: the same outputs for every thread count,
// and clean errors for bad counts and bad max_workgroups.
//
//===----------------------------------------------------------------------===//
#include "kiln_runtime.h"
#include "kiln/runtime/ThreadPool.h"

#include "ArtifactBuilder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <random>
#include <thread>
#include <vector>

using namespace kiln::rt;
using namespace kiln::rt::test;
using kiln::kmod::BufferKind;
using kiln::kmod::DType;

namespace {

/// Per workgroup: how often it ran, with which count.
struct Record {
  std::atomic<int> runs{0};
  std::atomic<size_t> count{0};
};

void recordTask(void *context, size_t workgroup, size_t count) {
  auto *records = static_cast<Record *>(context);
  records[workgroup].runs.fetch_add(1);
  records[workgroup].count.store(count);
}

TEST(ThreadPool, EveryWorkgroupRunsOnce) {
  ThreadPool pool;
  ASSERT_FALSE(pool.start(3));
  EXPECT_EQ(pool.workers(), 3u);
  // Fewer workgroups than threads, as many, and several per thread.
  for (size_t count = 1; count <= 13; ++count) {
    Record records[14];
    pool.run(recordTask, records, count);
    for (size_t g = 0; g < 14; ++g) {
      EXPECT_EQ(records[g].runs.load(), g < count ? 1 : 0)
          << "workgroup " << g << " of " << count;
      if (g < count) {
        EXPECT_EQ(records[g].count.load(), count);
      }
    }
  }
}

/// Each workgroup waits until all of them have started: only workgroups
/// running at the same time get past it (bounded, so a bug fails, not
/// hangs).
struct Rendezvous {
  std::atomic<size_t> arrived{0};
  std::atomic<size_t> timedOut{0};
};

void rendezvousTask(void *context, size_t, size_t count) {
  auto *r = static_cast<Rendezvous *>(context);
  r->arrived.fetch_add(1);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (r->arrived.load() < count)
    if (std::chrono::steady_clock::now() > deadline) {
      r->timedOut.fetch_add(1);
      return;
    }
}

TEST(ThreadPool, WorkgroupsRunAtTheSameTime) {
  ThreadPool pool;
  ASSERT_FALSE(pool.start(2));
  for (int i = 0; i < 10; ++i) {
    Rendezvous r;
    pool.run(rendezvousTask, &r, 3);
    EXPECT_EQ(r.timedOut.load(), 0u);
  }
}

/// A rendezvous that also notes each workgroup's thread.
struct Placement {
  Rendezvous rendezvous;
  std::thread::id thread[3];
};

void placementTask(void *context, size_t workgroup, size_t count) {
  auto *p = static_cast<Placement *>(context);
  p->thread[workgroup] = std::this_thread::get_id();
  rendezvousTask(&p->rendezvous, workgroup, count);
}

// With one workgroup per thread, workgroup 0 runs on the caller and
// workgroup w on worker w, run after run, so each thread keeps its part of
// the data in its caches. (With every workgroup waiting for the others,
// none can be taken over.)
TEST(ThreadPool, WorkgroupsStayOnTheirThreads) {
  ThreadPool pool;
  ASSERT_FALSE(pool.start(2));
  std::thread::id first[3];
  for (int i = 0; i < 10; ++i) {
    Placement p;
    pool.run(placementTask, &p, 3);
    ASSERT_EQ(p.rendezvous.timedOut.load(), 0u);
    EXPECT_EQ(p.thread[0], std::this_thread::get_id());
    EXPECT_NE(p.thread[1], p.thread[2]);
    for (int w = 0; w < 3; ++w) {
      if (i == 0)
        first[w] = p.thread[w];
      EXPECT_EQ(p.thread[w], first[w]) << "workgroup " << w << ", run " << i;
    }
  }
}

void sumTask(void *context, size_t workgroup, size_t count) {
  auto *sums = static_cast<std::vector<uint64_t> *>(context);
  (*sums)[workgroup] += workgroup + count;
}

// Back to back, with pauses longer than the spin (workers asleep) and
// random short ones (workers going to sleep while a job arrives): no job is
// lost, none runs twice, and the writes of workers are seen by the caller.
TEST(ThreadPool, ManyJobsAcrossSleepAndWake) {
  ThreadPool pool;
  ASSERT_FALSE(pool.start(2));
  std::vector<uint64_t> sums(3, 0), expected(3, 0);
  std::mt19937 rng(5);
  for (int i = 0; i < 3000; ++i) {
    size_t count = 1 + rng() % 3;
    pool.run(sumTask, &sums, count);
    for (size_t g = 0; g < count; ++g)
      expected[g] += g + count;
    unsigned pause = rng() % 8;
    if (pause == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    else if (pause == 1)
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 120));
  }
  EXPECT_EQ(sums, expected);
}

TEST(ThreadPool, StartStopAndRestart) {
  ThreadPool pool;
  EXPECT_EQ(pool.workers(), 0u);
  Record one[1];
  pool.run(recordTask, one, 1); // no workers: inline
  EXPECT_EQ(one[0].runs.load(), 1);
  for (size_t workers : {1u, 4u, 0u, 2u}) {
    pool.stop();
    ASSERT_FALSE(pool.start(workers));
    EXPECT_EQ(pool.workers(), workers);
    Record records[5];
    pool.run(recordTask, records, workers + 1);
    for (size_t g = 0; g <= workers; ++g)
      EXPECT_EQ(records[g].runs.load(), 1);
  }
  // Destroyed with its workers asleep.
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

TEST(ThreadPool, DefaultThreadCount) {
  size_t n = defaultThreadCount();
  EXPECT_GE(n, 1u);
  EXPECT_LE(n, 64u);
}

// ---- Models whose kernels split into workgroups, through the C API. ----

using ModelPtr = std::unique_ptr<kiln_model, decltype(&kiln_model_free)>;

const std::vector<uint8_t> &testCode() {
  static const std::vector<uint8_t> code = readFileBytes(KILN_TEST_KERNELS);
  return code;
}

/// x: f32[64] -> y = 2 * x + 1, seen: i32[64], in two steps: zero `seen`,
/// then the split kernel (at most `maxWorkgroups` workgroups) twice, the
/// second time on its own output (y = 2 * (2 * x + 1) + 1).
ArtifactSpec splitSpec(uint32_t maxWorkgroups) {
  ArtifactSpec spec;
  spec.inputs = {{"x", DType::F32, {64}}};
  spec.outputs = {{"y", DType::F32, {64}}, {"seen", DType::I32, {64}}};
  spec.buffers = {
      {BufferKind::Input, 0, 0, 256},  // 0: x
      {BufferKind::Arena, 0, 0, 256},  // 1: t
      {BufferKind::Output, 0, 0, 256}, // 2: y
      {BufferKind::Output, 1, 0, 256}, // 3: seen
  };
  spec.kernels = {{"zero_i32_64", 1, 1},
                  {"split_scale_f32_64", 3, maxWorkgroups}};
  spec.steps = {{0, {3}}, {1, {0, 1, 3}}, {1, {1, 2, 3}}};
  spec.arenaSize = 256;
  spec.code = testCode();
  return spec;
}

ModelPtr load(const ArtifactSpec &spec, kiln_status &status,
              std::string &message) {
  std::vector<uint8_t> bytes = buildArtifact(spec);
  char error[512] = "";
  kiln_model *model = nullptr;
  status = kiln_model_load_bytes(bytes.data(), bytes.size(), &model, error,
                                 sizeof error);
  message = error;
  return ModelPtr(model, kiln_model_free);
}

TEST(RuntimeThreads, SameOutputsForEveryThreadCount) {
  kiln_status status;
  std::string message;
  ModelPtr model = load(splitSpec(8), status, message);
  ASSERT_EQ(status, KILN_OK) << message;
  // The default: the host's CPUs.
  EXPECT_EQ(kiln_model_num_threads(model.get()), defaultThreadCount());

  float x[64], y[64];
  int32_t seen[64];
  for (int i = 0; i < 64; ++i)
    x[i] = 0.25f * static_cast<float>(i) - 3.0f;
  const void *inputs[] = {x};
  void *outputs[] = {y, seen};
  char error[256];
  for (size_t threads : {1u, 2u, 3u, 5u, 8u, 16u, 0u}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    ASSERT_EQ(kiln_model_set_num_threads(model.get(), threads, error,
                                         sizeof error),
              KILN_OK)
        << error;
    size_t expectThreads = threads ? threads : defaultThreadCount();
    EXPECT_EQ(kiln_model_num_threads(model.get()), expectThreads);
    for (int run = 0; run < 50; ++run) {
      std::memset(y, 0, sizeof y);
      ASSERT_EQ(kiln_model_run(model.get(), inputs, outputs, error,
                               sizeof error),
                KILN_OK)
          << error;
      // Two steps each add the workgroup count to each element once: on
      // several threads, up to 4 workgroups per thread, at most 8.
      int32_t count = static_cast<int32_t>(
          expectThreads == 1 ? 1 : std::min<size_t>(4 * expectThreads, 8));
      for (int i = 0; i < 64; ++i) {
        ASSERT_EQ(y[i], 2.0f * (2.0f * x[i] + 1.0f) + 1.0f) << "element " << i;
        ASSERT_EQ(seen[i], 2 * count) << "element " << i;
      }
    }
  }
}

TEST(RuntimeThreads, OneWorkgroupKernelsIgnoreThreads) {
  kiln_status status;
  std::string message;
  ModelPtr model = load(splitSpec(1), status, message);
  ASSERT_EQ(status, KILN_OK) << message;
  char error[256];
  ASSERT_EQ(kiln_model_set_num_threads(model.get(), 4, error, sizeof error),
            KILN_OK);
  float x[64] = {}, y[64];
  int32_t seen[64];
  const void *inputs[] = {x};
  void *outputs[] = {y, seen};
  ASSERT_EQ(kiln_model_run(model.get(), inputs, outputs, error, sizeof error),
            KILN_OK)
      << error;
  for (int i = 0; i < 64; ++i)
    EXPECT_EQ(seen[i], 2) << "element " << i; // count 1, twice
}

// A kernel whose every workgroup reads all of a large operand runs as many
// workgroups as threads, not up to 4 per thread.
TEST(RuntimeThreads, OneWorkgroupPerThread) {
  ArtifactSpec spec = splitSpec(8);
  spec.kernels[1].oneWorkgroupPerThread = true;
  kiln_status status;
  std::string message;
  ModelPtr model = load(spec, status, message);
  ASSERT_EQ(status, KILN_OK) << message;
  float x[64] = {}, y[64];
  int32_t seen[64];
  const void *inputs[] = {x};
  void *outputs[] = {y, seen};
  char error[256];
  for (size_t threads : {1u, 2u, 3u, 16u}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    ASSERT_EQ(kiln_model_set_num_threads(model.get(), threads, error,
                                         sizeof error),
              KILN_OK)
        << error;
    ASSERT_EQ(kiln_model_run(model.get(), inputs, outputs, error,
                             sizeof error),
              KILN_OK)
        << error;
    int32_t count = static_cast<int32_t>(std::min<size_t>(threads, 8));
    for (int i = 0; i < 64; ++i)
      ASSERT_EQ(seen[i], 2 * count) << "element " << i;
  }
}

TEST(RuntimeThreads, BadThreadCounts) {
  kiln_status status;
  std::string message;
  ModelPtr model = load(splitSpec(8), status, message);
  ASSERT_EQ(status, KILN_OK) << message;
  char error[256];
  ASSERT_EQ(kiln_model_set_num_threads(model.get(), 3, error, sizeof error),
            KILN_OK);
  EXPECT_EQ(kiln_model_set_num_threads(model.get(), 1025, error, sizeof error),
            KILN_ERROR_ARGUMENT);
  EXPECT_STREQ(error, "cannot run on 1025 threads; at most 1024");
  EXPECT_EQ(kiln_model_num_threads(model.get()), 3u) << "unchanged";
  EXPECT_EQ(kiln_model_set_num_threads(nullptr, 2, error, sizeof error),
            KILN_ERROR_ARGUMENT);
  EXPECT_STREQ(error, "the model is NULL");
  EXPECT_EQ(kiln_model_set_num_threads(nullptr, 2, nullptr, 0),
            KILN_ERROR_ARGUMENT);
  EXPECT_EQ(kiln_model_num_threads(nullptr), 0u);
}

TEST(RuntimeThreads, ZeroMaxWorkgroupsIsRefused) {
  ArtifactSpec spec = splitSpec(0);
  kiln_status status;
  std::string message;
  ModelPtr model = load(spec, status, message);
  EXPECT_EQ(status, KILN_ERROR_FORMAT);
  EXPECT_EQ(model, nullptr);
  EXPECT_EQ(message, "kernel 1 ('split_scale_f32_64'): max_workgroups is 0; "
                     "every kernel runs as at least one workgroup");
}

} // namespace
