//===- ThreadPool.cpp - Runs one step's workgroups on several threads -----===//
//
// Waking a sleeper without losing the wake-up: the waiter sets its
// `sleeping` flag and then rereads what it waits for; the waker changes that
// and then reads the flag. Both sides use sequentially consistent atomics,
// so at least one of them sees the other's write: either the waiter does
// not sleep, or the waker takes the waiter's mutex (which the waiter holds
// from its check until it is inside the wait) and notifies it.
//
//===----------------------------------------------------------------------===//
#include "kiln/runtime/ThreadPool.h"
#include "kiln/runtime/FloatMode.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <system_error>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace kiln::rt {

namespace {

/// How long a thread polls before it blocks. Waking a blocked thread costs
/// a system call for the waker and, on a virtual machine whose idle vCPU
/// halted, tens to hundreds of microseconds before the thread runs: a
/// worker keeps polling through the serial steps between parallel ones,
/// and a caller waiting for a workgroup already begun polls longer still.
/// After kPolite of polling, a thread yields between polls, so that on an
/// oversubscribed CPU it does not keep the thread it waits for off it.
constexpr auto kWorkerSpin = std::chrono::microseconds(250);
constexpr auto kCallerSpin = std::chrono::microseconds(1000);
constexpr auto kPolite = std::chrono::microseconds(50);

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

/// Polls `ready` for up to `limit`; true as soon as it holds.
template <typename Ready>
bool spinUntil(Ready &&ready, std::chrono::microseconds limit) {
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    // The clock costs more than a poll: look at it once in a while.
    for (int i = 0; i < 64; ++i) {
      if (ready())
        return true;
      cpuRelax();
    }
    auto spent = std::chrono::steady_clock::now() - start;
    if (spent >= limit)
      return ready();
    if (spent >= kPolite)
      std::this_thread::yield();
  }
}

} // namespace

ThreadPool::~ThreadPool() { stop(); }

Status ThreadPool::start(size_t workers) {
  if (numWorkers_ != 0 || workers == 0)
    return Status::ok();
  workers_.reset(new Worker[workers]);
  ranges_.reset(new Range[workers + 1]);
  generation_ = 0;
  for (size_t w = 0; w < workers; ++w) {
    try {
      workers_[w].thread = std::thread([this, w] { workerLoop(w); });
    } catch (const std::system_error &e) {
      numWorkers_ = w;
      stop();
      return Status::error(KILN_ERROR_PLATFORM,
                           strCat("cannot start thread ", w + 1, " of ",
                                  workers + 1, ": ", e.what()));
    }
  }
  numWorkers_ = workers;
  return Status::ok();
}

void ThreadPool::stop() {
  for (size_t w = 0; w < numWorkers_; ++w) {
    Worker &k = workers_[w];
    k.stop.store(true);
    {
      std::lock_guard<std::mutex> lock(k.mutex);
      k.mailbox.fetch_add(1);
    }
    k.wake.notify_one();
  }
  for (size_t w = 0; w < numWorkers_; ++w)
    workers_[w].thread.join();
  workers_.reset();
  numWorkers_ = 0;
}

namespace {
// A range word: [generation:40][next:12][end:12].
constexpr uint64_t kField = 12, kFieldMask = (1u << kField) - 1;
uint64_t rangeWord(uint64_t generation, size_t begin, size_t end) {
  return generation << (2 * kField) | uint64_t(begin) << kField | end;
}
// The job word: [generation:40][threads:12][count:12].
uint64_t jobWord(uint64_t generation, size_t threads, size_t count) {
  return generation << (2 * kField) | uint64_t(threads) << kField | count;
}
} // namespace

bool ThreadPool::claim(size_t range, uint64_t generation, size_t &workgroup) {
  std::atomic<uint64_t> &word = ranges_[range].word;
  uint64_t w = word.load();
  for (;;) {
    uint64_t next = (w >> kField) & kFieldMask, end = w & kFieldMask;
    if ((w >> (2 * kField)) != generation || next >= end)
      return false;
    if (word.compare_exchange_weak(w, w + (uint64_t(1) << kField))) {
      workgroup = next;
      return true;
    }
  }
}

size_t ThreadPool::work(size_t self, size_t threads, size_t count,
                        uint64_t generation) {
  size_t done = 0, workgroup;
  // Its own range first, then what the others have not begun. task_ and
  // context_ are this job's once a claim of it succeeds: the caller
  // changes them only after every claimed workgroup finished.
  for (size_t i = 0; i < threads; ++i) {
    size_t range = (self + i) % threads;
    while (claim(range, generation, workgroup)) {
      task_(context_, workgroup, count);
      ++done;
    }
  }
  return done;
}

void ThreadPool::run(Task task, void *context, size_t count) {
  if (count <= 1 || numWorkers_ == 0) {
    for (size_t g = 0; g < count; ++g)
      task(context, g, count);
    return;
  }
  count = std::min(count, kMaxWorkgroups);
  size_t threads = std::min(count, numWorkers_ + 1);
  // Every workgroup of the last job has finished (the wait below), so no
  // worker reads these while they change.
  task_ = task;
  context_ = context;
  finished_.store(0);
  uint64_t generation = ++generation_;
  for (size_t t = 0; t < threads; ++t)
    ranges_[t].word.store(rangeWord(generation, count * t / threads,
                                    count * (t + 1) / threads));
  job_.store(jobWord(generation, threads, count));
  for (size_t w = 0; w + 1 < threads; ++w) {
    Worker &k = workers_[w];
    k.mailbox.fetch_add(1);
    if (k.sleeping.load()) {
      { std::lock_guard<std::mutex> lock(k.mutex); }
      k.wake.notify_one();
    }
  }
  size_t mine = work(0, threads, count, generation);
  auto finished = [&] { return finished_.load() == count - mine; };
  if (spinUntil(finished, kCallerSpin))
    return;
  std::unique_lock<std::mutex> lock(doneMutex_);
  callerSleeping_.store(true);
  done_.wait(lock, finished);
  callerSleeping_.store(false);
}

void ThreadPool::workerLoop(size_t index) {
  // Named for profilers and debuggers (at most 15 characters).
  pthread_setname_np(pthread_self(), strCat("kiln-worker-", index + 1)
                                          .substr(0, 15)
                                          .c_str());
  ScopedFlushDenormals::setForThread();
  Worker &k = workers_[index];
  size_t self = index + 1;
  uint64_t seen = 0;
  for (;;) {
    auto hasJob = [&] { return k.mailbox.load() != seen; };
    if (!spinUntil(hasJob, kWorkerSpin)) {
      std::unique_lock<std::mutex> lock(k.mutex);
      k.sleeping.store(true);
      k.wake.wait(lock, hasJob);
      k.sleeping.store(false);
    }
    seen = k.mailbox.load();
    if (k.stop.load())
      return;
    // The current job, maybe a later one than the wake-up was for.
    uint64_t job = job_.load();
    size_t threads = (job >> kField) & kFieldMask, count = job & kFieldMask;
    if (self >= threads)
      continue;
    size_t done = work(self, threads, count, job >> (2 * kField));
    if (done == 0)
      continue;
    finished_.fetch_add(done);
    if (callerSleeping_.load()) {
      { std::lock_guard<std::mutex> lock(doneMutex_); }
      done_.notify_one();
    }
  }
}

size_t defaultThreadCount() {
  size_t n = 0;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    n = static_cast<size_t>(CPU_COUNT(&set));
  if (n == 0)
    n = std::thread::hardware_concurrency();
  return std::clamp<size_t>(n, 1, 64);
}

} // namespace kiln::rt
